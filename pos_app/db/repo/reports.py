"""The reports' read queries (prepaid liability, shift, daily sales) and the shift's rows: the only place
that knows their SQL. Every figure is a sum over the ledger or fact rows it is about, inside a time
window ``[start, end)`` in UTC (the service turns store-local days into it)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, exists, func, select
from sqlalchemy.orm import Session

from pos_app.db import models as m
from pos_app.db import models_checkout as mk
from pos_app.db import models_reports as mr
from pos_app.db.repo.base import append, load, run

#: the wallet entry kind a sale's balance payment is written with; told apart from a wallet spend by its
#: spend being a sale's (``sale.spend_id``)
SALE_PAYMENT = "sale_payment"


def _sum0(col: Any) -> Any:
    return func.coalesce(func.sum(col), 0)


# ----------------------------------------------------------------------------- prepaid liability


def wallet_totals_before(session: Session, at: datetime) -> tuple[int, int]:
    """(principal, bonus) of every member's wallet from every ledger row before ``at``."""
    w = m.WalletEntry
    p, b = run(session, select(_sum0(w.principal_delta_fen), _sum0(w.bonus_delta_fen)).where(w.created_at < at)).one()
    return int(p), int(b)


def wallet_movements(session: Session, start: datetime, end: datetime) -> list[tuple[str, int, int, int]]:
    """(kind, rows, principal, bonus) of the wallet ledger rows in ``[start, end)`` by kind; a ``spend``
    row whose spend is a sale's is of kind :data:`SALE_PAYMENT`."""
    w = m.WalletEntry
    is_sale = exists().where(mk.Sale.spend_id == w.spend_id)
    kind = case((and_(w.kind == "spend", w.spend_id.is_not(None), is_sale), SALE_PAYMENT), else_=w.kind)
    stmt = (select(kind.label("k"), func.count(), _sum0(w.principal_delta_fen), _sum0(w.bonus_delta_fen))
            .where(w.created_at >= start, w.created_at < end).group_by("k"))
    return [(str(k), int(n), int(p), int(b)) for k, n, p, b in run(session, stmt)]


def balances_at(session: Session, at: datetime, above_fen: int) -> list[tuple[str, str, str | None, int, int]]:
    """(member id, phone, name, principal, bonus) of the members whose wallet, after their last ledger row
    before ``at``, holds more than ``above_fen`` (principal + bonus), largest first."""
    w = m.WalletEntry
    last = (select(w.member_id, func.max(w.seq).label("seq")).where(w.created_at < at)
            .group_by(w.member_id).subquery())
    total = w.principal_after_fen + w.bonus_after_fen
    stmt = (select(m.Member.id, m.Member.phone, m.Member.name, w.principal_after_fen, w.bonus_after_fen)
            .join(last, and_(last.c.member_id == w.member_id, last.c.seq == w.seq))
            .join(m.Member, m.Member.id == w.member_id)
            .where(total > above_fen).order_by(total.desc(), m.Member.phone))
    return [(str(i), str(ph), nm, int(p), int(b)) for i, ph, nm, p, b in run(session, stmt)]


def members_with_balance_at(session: Session, at: datetime) -> int:
    """How many members hold a balance (principal or bonus) after their last ledger row before ``at``."""
    w = m.WalletEntry
    last = (select(w.member_id, func.max(w.seq).label("seq")).where(w.created_at < at)
            .group_by(w.member_id).subquery())
    stmt = (select(func.count()).select_from(w)
            .join(last, and_(last.c.member_id == w.member_id, last.c.seq == w.seq))
            .where((w.principal_after_fen != 0) | (w.bonus_after_fen != 0)))
    return int(run(session, stmt).scalar() or 0)


def points_total_before(session: Session, at: datetime) -> int:
    """Points outstanding before ``at``: every lot earned before it plus every points ledger row before it
    (what left the lots: spent, expired, revoked)."""
    earned = run(session, select(_sum0(m.PointsLot.points)).where(m.PointsLot.earned_at < at)).scalar()
    moved = run(session, select(_sum0(m.PointsEntry.delta)).where(m.PointsEntry.created_at < at)).scalar()
    return int(earned or 0) + int(moved or 0)


def points_earned(session: Session, start: datetime, end: datetime) -> list[tuple[str, int, int]]:
    """(source, lots, points) of the lots earned in ``[start, end)``."""
    lot = m.PointsLot
    stmt = (select(lot.source, func.count(), _sum0(lot.points)).where(lot.earned_at >= start, lot.earned_at < end)
            .group_by(lot.source))
    return [(str(s), int(n), int(p)) for s, n, p in run(session, stmt)]


def points_moved(session: Session, start: datetime, end: datetime) -> list[tuple[str, int, int]]:
    """(kind, rows, points) of the points ledger rows in ``[start, end)`` (spend, expire, revoke...)."""
    e = m.PointsEntry
    stmt = (select(e.kind, func.count(), _sum0(e.delta)).where(e.created_at >= start, e.created_at < end)
            .group_by(e.kind))
    return [(str(k), int(n), int(p)) for k, n, p in run(session, stmt)]


# ----------------------------------------------------------------------------- shifts


def add_shift(session: Session, values: Mapping[str, Any]) -> None:
    append(session, mr.Shift, [values])


def shift(session: Session, shift_id: str) -> mr.Shift | None:
    return session.get(mr.Shift, shift_id)


def latest_shift(session: Session, staff_id: str, *, state: str | None = None) -> mr.Shift | None:
    """The staff member's newest shift (of ``state`` when given)."""
    q = select(mr.Shift).where(mr.Shift.staff_id == staff_id)
    if state is not None:
        q = q.where(mr.Shift.state == state)
    row: mr.Shift | None = load(session, q.order_by(mr.Shift.opened_at.desc(), mr.Shift.id.desc()).limit(1)).scalars().first()
    return row


def shifts(session: Session, start: datetime, end: datetime, staff_id: str | None = None) -> list[mr.Shift]:
    """Shifts opened in ``[start, end)`` (one staff member's when given), oldest first."""
    q = select(mr.Shift).where(mr.Shift.opened_at >= start, mr.Shift.opened_at < end)
    if staff_id is not None:
        q = q.where(mr.Shift.staff_id == staff_id)
    return list(load(session, q.order_by(mr.Shift.opened_at, mr.Shift.id)).scalars())


def staff_names(session: Session) -> dict[str, tuple[str, str]]:
    """staff id -> (code, name)."""
    return {str(i): (str(c), str(n)) for i, c, n in run(session, select(m.Staff.id, m.Staff.code, m.Staff.name))}


def staff_by_code(session: Session, code: str) -> tuple[str, str, str] | None:
    row = run(session, select(m.Staff.id, m.Staff.code, m.Staff.name).where(m.Staff.code == code)).first()
    return None if row is None else (str(row[0]), str(row[1]), str(row[2]))


def shift_recharges(session: Session, staff_id: str, start: datetime, end: datetime) -> list[tuple[str, int, int]]:
    """(method, recharges, principal paid) the staff member took in ``[start, end)``."""
    r = m.Recharge
    stmt = (select(r.pay_method, func.count(), _sum0(r.amount_fen))
            .where(r.staff_id == staff_id, r.created_at >= start, r.created_at < end).group_by(r.pay_method))
    return [(str(k), int(n), int(a)) for k, n, a in run(session, stmt)]


def shift_refunds(session: Session, staff_id: str, start: datetime, end: datetime) -> list[tuple[str, int, int]]:
    """(method, refunds, principal paid back) of the staff member's recharge refunds in ``[start, end)``:
    cash when the refund went back in cash, else the recharge's own method."""
    f = m.Refund
    method = case((f.refund_method == "cash", "cash"), else_=f.pay_method)
    stmt = (select(method.label("k"), func.count(), _sum0(f.principal_refund_fen))
            .where(f.staff_id == staff_id, f.created_at >= start, f.created_at < end).group_by("k"))
    return [(str(k), int(n), int(a)) for k, n, a in run(session, stmt)]


def shift_sales(session: Session, staff_id: str, start: datetime, end: datetime) -> list[tuple[str, int, int]]:
    """(method, sales paid with it, amount) of the sales the staff member rang up in ``[start, end)``."""
    s, p = mk.Sale, mk.SalePayment
    stmt = (select(p.method, func.count(), _sum0(p.amount_fen)).join(s, s.id == p.sale_id)
            .where(s.staff_id == staff_id, s.created_at >= start, s.created_at < end).group_by(p.method))
    return [(str(k), int(n), int(a)) for k, n, a in run(session, stmt)]


def shift_returns(session: Session, staff_id: str, start: datetime, end: datetime) -> list[tuple[str, int, int]]:
    """(method, returns paid back with it, amount) of the returns the staff member did in ``[start, end)``."""
    r, p = mk.SaleReturn, mk.ReturnPayment
    stmt = (select(p.method, func.count(), _sum0(p.amount_fen)).join(r, r.id == p.return_id)
            .where(r.staff_id == staff_id, r.created_at >= start, r.created_at < end).group_by(p.method))
    return [(str(k), int(n), int(a)) for k, n, a in run(session, stmt)]


# ----------------------------------------------------------------------------- daily sales


def sales_rows(session: Session, start: datetime, end: datetime) -> list[tuple[str, datetime, int, int]]:
    """(sale id, created at, total, actually paid) of the sales in ``[start, end)``."""
    s = mk.Sale
    stmt = select(s.id, s.created_at, s.total_fen, s.paid_fen).where(s.created_at >= start, s.created_at < end)
    return [(str(i), at, int(t), int(p)) for i, at, t, p in run(session, stmt)]


def sale_payment_rows(session: Session, start: datetime, end: datetime) -> list[tuple[datetime, str, int, int]]:
    """(sale's time, method, amount, bonus part) of the payments of the sales in ``[start, end)``."""
    s, p = mk.Sale, mk.SalePayment
    stmt = (select(s.created_at, p.method, p.amount_fen, p.bonus_fen).join(s, s.id == p.sale_id)
            .where(s.created_at >= start, s.created_at < end))
    return [(at, str(k), int(a), int(b)) for at, k, a, b in run(session, stmt)]


def sale_line_rows(session: Session, start: datetime, end: datetime) -> list[tuple[datetime, str, int]]:
    """(sale's time, category, line amount) of the lines of the sales in ``[start, end)``."""
    s, ln = mk.Sale, mk.SaleLine
    stmt = (select(s.created_at, ln.category, ln.amount_fen).join(s, s.id == ln.sale_id)
            .where(s.created_at >= start, s.created_at < end))
    return [(at, str(c), int(a)) for at, c, a in run(session, stmt)]


def return_rows(session: Session, start: datetime, end: datetime) -> list[tuple[datetime, int]]:
    """(time, amount) of the returns in ``[start, end)``."""
    r = mk.SaleReturn
    stmt = select(r.created_at, r.amount_fen).where(r.created_at >= start, r.created_at < end)
    return [(at, int(a)) for at, a in run(session, stmt)]
