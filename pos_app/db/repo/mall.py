"""The points mall and premium redemption: items, external codes, redemptions, their change log, the
manager's review queue, and the sale lines a spend threshold counts."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pos_app.db import models as m
from pos_app.db import models_checkout as mk
from pos_app.db import models_mall as mm
from pos_app.db.repo.base import append, load, run


def items(session: Session, campaign_code: str, program: str | None = None) -> list[mm.MallItem]:
    stmt = select(mm.MallItem).where(mm.MallItem.campaign_code == campaign_code)
    if program is not None:
        stmt = stmt.where(mm.MallItem.program == program)
    return list(load(session, stmt.order_by(mm.MallItem.program, mm.MallItem.points, mm.MallItem.code)).scalars())


def all_items(session: Session) -> list[mm.MallItem]:
    return list(load(session, select(mm.MallItem).order_by(mm.MallItem.code)).scalars())


def find_item(session: Session, campaign_code: str, program: str, code: str) -> mm.MallItem | None:
    row: mm.MallItem | None = load(session, select(mm.MallItem).where(
        mm.MallItem.campaign_code == campaign_code, mm.MallItem.program == program,
        func.lower(mm.MallItem.code) == code.strip().lower())).scalars().first()
    return row


def get_item(session: Session, item_id: str) -> mm.MallItem | None:
    return session.get(mm.MallItem, item_id)


def add_item(session: Session, values: Mapping[str, Any]) -> None:
    append(session, mm.MallItem, [values])


def add_codes(session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
    if rows:
        append(session, mm.MallCode, list(rows))


def known_codes(session: Session, item_id: str, codes: Collection[str]) -> set[str]:
    if not codes:
        return set()
    return set(run(session, select(mm.MallCode.code).where(mm.MallCode.item_id == item_id,
                                                           mm.MallCode.code.in_(list(codes)))).scalars())


def free_code(session: Session, item_id: str) -> mm.MallCode | None:
    """The oldest imported code of the item not yet given."""
    row: mm.MallCode | None = load(session, select(mm.MallCode).where(
        mm.MallCode.item_id == item_id, mm.MallCode.redemption_id.is_(None))
        .order_by(mm.MallCode.imported_at, mm.MallCode.id).limit(1)).scalars().first()
    return row


def code_counts(session: Session) -> dict[str, tuple[int, int]]:
    """item id -> (codes imported, codes given)."""
    rows = run(session, select(mm.MallCode.item_id, func.count(), func.count(mm.MallCode.redemption_id))
               .group_by(mm.MallCode.item_id)).all()
    return {r[0]: (int(r[1]), int(r[2])) for r in rows}


def add_redemption(session: Session, values: Mapping[str, Any]) -> None:
    append(session, mm.Redemption, [values])


def get(session: Session, redemption_id: str) -> mm.Redemption | None:
    return session.get(mm.Redemption, redemption_id)


def by_code(session: Session, code: str) -> mm.Redemption | None:
    row: mm.Redemption | None = load(session, select(mm.Redemption).where(mm.Redemption.code == code)).scalars().first()
    return row


def by_request(session: Session, request_id: str) -> mm.Redemption | None:
    row: mm.Redemption | None = load(session, select(mm.Redemption).where(
        mm.Redemption.request_id == request_id)).scalars().first()
    return row


def taken(session: Session, member_id: str, item_id: str, states: Collection[str], since: datetime | None = None,
          until: datetime | None = None) -> int:
    """The member's redemptions of the item in ``states`` made in [since, until)."""
    stmt = select(func.count()).select_from(mm.Redemption).where(
        mm.Redemption.member_id == member_id, mm.Redemption.item_id == item_id, mm.Redemption.state.in_(list(states)))
    if since is not None:
        stmt = stmt.where(mm.Redemption.created_at >= since)
    if until is not None:
        stmt = stmt.where(mm.Redemption.created_at < until)
    return int(run(session, stmt).scalar() or 0)


def add_log(session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
    if rows:
        append(session, mm.RedemptionLog, list(rows))


def log_of(session: Session, redemption_id: str) -> list[Any]:
    return list(run(session, select(mm.RedemptionLog.from_state, mm.RedemptionLog.to_state, mm.RedemptionLog.event,
                                    m.Staff.code, mm.RedemptionLog.note, mm.RedemptionLog.created_at)
                    .outerjoin(m.Staff, m.Staff.id == mm.RedemptionLog.staff_id)
                    .where(mm.RedemptionLog.redemption_id == redemption_id)
                    .order_by(mm.RedemptionLog.created_at, mm.RedemptionLog.id)).all())


def _listing() -> Any:
    r = mm.Redemption
    return (select(r.id, r.program, r.state, r.points, r.cash_fen, r.code, r.contact, r.ship_to, r.carrier, r.tracking,
                   r.issued_ref, r.reason, r.created_at, r.updated_at, r.reviewed_at, r.fulfilled_at, r.received_at,
                   r.member_id, m.Member.phone, m.Member.name.label("member_name"), r.item_id, mm.MallItem.code.label("item_code"),
                   mm.MallItem.name.label("item_name"), mm.MallItem.kind)
            .join(m.Member, m.Member.id == r.member_id).join(mm.MallItem, mm.MallItem.id == r.item_id))


def listing(session: Session, *, program: str | None, states: Collection[str] | None = None,
            start: datetime | None = None, end: datetime | None = None, member_id: str | None = None,
            ids: Collection[str] | None = None, limit: int = 500, offset: int = 0) -> list[Any]:
    """Redemptions (plain rows with the member's phone and the item's name), newest first: the manager's
    review queue by state and by month (``created_at`` in [start, end)), a member's, or the ones named."""
    r = mm.Redemption
    stmt = _listing()
    if program is not None:
        stmt = stmt.where(r.program == program)
    if states:
        stmt = stmt.where(r.state.in_(list(states)))
    if start is not None:
        stmt = stmt.where(r.created_at >= start)
    if end is not None:
        stmt = stmt.where(r.created_at < end)
    if member_id is not None:
        stmt = stmt.where(r.member_id == member_id)
    if ids is not None:
        stmt = stmt.where(r.id.in_(list(ids)))
    return list(run(session, stmt.order_by(r.created_at.desc(), r.id.desc()).limit(limit).offset(offset)).all())


def in_state(session: Session, program: str, state: str) -> list[mm.Redemption]:
    return list(load(session, select(mm.Redemption).where(mm.Redemption.program == program,
                                                          mm.Redemption.state == state)
                     .order_by(mm.Redemption.created_at)).scalars())


def state_counts(session: Session) -> dict[tuple[str, str], int]:
    """(item id, state) -> redemptions."""
    rows = run(session, select(mm.Redemption.item_id, mm.Redemption.state, func.count())
               .group_by(mm.Redemption.item_id, mm.Redemption.state)).all()
    return {(r[0], r[1]): int(r[2]) for r in rows}


def sale_lines(session: Session, member_id: str, start: datetime, end: datetime) -> list[Any]:
    """(category, line amount, sale total, sale actually paid, line amount returned) of the member's
    sales made in [start, end)."""
    returned = (select(mk.ReturnLine.line_no, mk.SaleReturn.sale_id, func.sum(mk.ReturnLine.amount_fen).label("amt"))
                .join(mk.SaleReturn, mk.SaleReturn.id == mk.ReturnLine.return_id)
                .group_by(mk.SaleReturn.sale_id, mk.ReturnLine.line_no).subquery())
    stmt = (select(mk.SaleLine.category, mk.SaleLine.amount_fen, mk.Sale.total_fen, mk.Sale.paid_fen,
                   func.coalesce(returned.c.amt, 0))
            .join(mk.Sale, mk.Sale.id == mk.SaleLine.sale_id)
            .outerjoin(returned, (returned.c.sale_id == mk.SaleLine.sale_id) & (returned.c.line_no == mk.SaleLine.no))
            .where(mk.Sale.member_id == member_id, mk.Sale.created_at >= start, mk.Sale.created_at < end))
    return list(run(session, stmt).all())
