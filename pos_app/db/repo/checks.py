"""The doctor's checks: each query returns the rows that break one rule (none when the store is sound).
Every one only reads."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, and_, exists, func, or_, select
from sqlalchemy.orm import Session

from pos_app.db import models as m
from pos_app.db import models_coupons as mc
from pos_app.db.repo.base import table

_M = table(m.Member)
_W = table(m.WalletEntry)
_R = table(m.Recharge)
_L = table(m.PointsLot)
_PE = table(m.PointsEntry)
_E = table(m.Entitlement)
_A = table(m.AuditLog)
_Q = table(m.RequestLog)
_F = table(m.Refund)
_S = table(m.Spend)
_SA = table(m.SpendAllocation)
_O = table(m.Outbox)
_C = table(mc.Coupon)

Rows = list[tuple[Any, ...]]


def _rows(session: Session, stmt: Any) -> Rows:
    return [tuple(r) for r in session.execute(stmt)]


def sqlite_file(engine: Engine) -> tuple[list[str], Rows]:
    """SQLite's own checks: ``PRAGMA integrity_check`` (["ok"] when sound) and the foreign-key violations."""
    with engine.connect() as conn:
        res = [str(r[0]) for r in conn.exec_driver_sql("PRAGMA integrity_check").fetchall()]
        fk = [tuple(r) for r in conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()]
        conn.rollback()
    return res, fk


def _sum0(col: Any) -> Any:
    return func.coalesce(func.sum(col), 0)


def balance_not_ledger(session: Session) -> Rows:
    """(phone, principal, bonus, ledger principal, ledger bonus) of members whose cached balances are not
    the sum of their wallet entries."""
    sp, sb = _sum0(_W.c.principal_delta_fen), _sum0(_W.c.bonus_delta_fen)
    return _rows(session, select(_M.c.phone, _M.c.principal_fen, _M.c.bonus_fen, sp, sb)
                 .select_from(_M.outerjoin(_W, _W.c.member_id == _M.c.id)).group_by(_M.c.id)
                 .having(or_(_M.c.principal_fen != sp, _M.c.bonus_fen != sb)))


def last_entry_not_balance(session: Session) -> list[str]:
    """Phones whose last wallet entry's balances-after are not the cached balances."""
    stmt = (select(_M.c.phone)
            .select_from(_M.join(_W, and_(_W.c.member_id == _M.c.id, _W.c.seq == _M.c.wallet_seq)))
            .where(or_(_W.c.principal_after_fen != _M.c.principal_fen, _W.c.bonus_after_fen != _M.c.bonus_fen)))
    return list(session.execute(stmt).scalars())


def entries_not_chained(session: Session) -> list[str]:
    """Wallet entries whose balances-after are not the previous entry's plus their own deltas."""
    p = _W.alias("p")
    stmt = (select(_W.c.id)
            .select_from(_W.join(p, and_(p.c.member_id == _W.c.member_id, p.c.seq == _W.c.seq - 1)))
            .where(or_(_W.c.principal_after_fen != p.c.principal_after_fen + _W.c.principal_delta_fen,
                       _W.c.bonus_after_fen != p.c.bonus_after_fen + _W.c.bonus_delta_fen)))
    return list(session.execute(stmt).scalars())


def negative_balances(session: Session) -> list[str]:
    """Phones with a negative cached balance, then ids of wallet entries with a negative balance after."""
    neg = session.execute(select(_M.c.phone).where(or_(_M.c.principal_fen < 0, _M.c.bonus_fen < 0))).scalars()
    neg_e = session.execute(
        select(_W.c.id).where(or_(_W.c.principal_after_fen < 0, _W.c.bonus_after_fen < 0))).scalars()
    return list(neg) + list(neg_e)


def lots_not_balance(session: Session) -> list[str]:
    """Phones whose balances are not the sum of what is left of their recharges."""
    pl, bl = _sum0(_R.c.principal_left_fen), _sum0(_R.c.bonus_left_fen)
    stmt = (select(_M.c.phone).select_from(_M.outerjoin(_R, _R.c.member_id == _M.c.id)).group_by(_M.c.id)
            .having(or_(_M.c.principal_fen != pl, _M.c.bonus_fen != bl)))
    return list(session.execute(stmt).scalars())


def incomplete_recharges(session: Session, items_count: Any = None) -> list[str]:
    """Recharges missing a part (their wallet entry, points lot, audit row, request-log row, refund) or
    with impossible amounts left. ``items_count``: the correlated count that must equal the recharge's
    ``items_count`` (default: its entitlement rows, and the coupons it issued at once, which are their
    entitlement's only row)."""
    if items_count is None:
        rows = select(func.count()).select_from(_E).where(_E.c.recharge_id == _R.c.id).scalar_subquery()
        held = (select(func.count()).select_from(_C)
                .where(_C.c.batch_id == _R.c.id, _C.c.item_json.is_not(None)).scalar_subquery())
        items_count = rows + held
    stmt = select(_R.c.id).where(_R.c.origin_store.is_(None)).where(or_(  # a pulled copy's parts are at its store
        ~exists().where(_W.c.recharge_id == _R.c.id, _W.c.kind == "recharge",
                        _W.c.principal_delta_fen == _R.c.amount_fen, _W.c.bonus_delta_fen == _R.c.bonus_fen),
        and_(_R.c.points > 0, ~exists().where(_L.c.recharge_id == _R.c.id, _L.c.points == _R.c.points)),
        _R.c.items_count != items_count,
        ~exists().where(_A.c.entity == "recharge", _A.c.entity_id == _R.c.id),
        ~exists().where(_Q.c.ref_id == _R.c.id, _Q.c.request_id == _R.c.request_id),
        and_(_R.c.state == "refunded", ~exists().where(_F.c.recharge_id == _R.c.id)),
        _R.c.principal_left_fen < 0, _R.c.bonus_left_fen < 0,
        _R.c.principal_left_fen > _R.c.amount_fen, _R.c.bonus_left_fen > _R.c.bonus_fen,
    ))
    return list(session.execute(stmt).scalars())


def recharge_ids(session: Session) -> set[str]:
    """This store's own recharges (a pulled copy's event is at the store that made it)."""
    return set(session.execute(select(_R.c.id).where(_R.c.origin_store.is_(None))).scalars())


def event_payloads(session: Session, event_type: str) -> list[str]:
    return list(session.execute(select(_O.c.payload_json).where(_O.c.type == event_type)).scalars())


def duplicate_entries(session: Session) -> Rows:
    """(kind, ref, count) of movements with more than one wallet entry, or entries that refer to none."""
    ref = func.coalesce(_W.c.recharge_id, _W.c.spend_id, _W.c.refund_id, _W.c.origin_ref)
    return _rows(session, select(_W.c.kind, ref.label("ref"), func.count()).group_by(_W.c.kind, ref)
                 .having(or_(func.count() > 1, ref.is_(None))))


def movement_counts(session: Session) -> tuple[int, int]:
    """(recharges, wallet entries of kind recharge)."""
    n_rc = session.execute(select(func.count()).select_from(_R)).scalar() or 0
    n_en = session.execute(select(func.count()).select_from(_W).where(_W.c.kind == "recharge")).scalar() or 0
    return int(n_rc), int(n_en)


def incomplete_spends(session: Session) -> list[str]:
    """Spends without their wallet entry, or whose parts do not add up (split, allocations)."""
    alloc_p = select(_sum0(_SA.c.principal_fen)).where(_SA.c.spend_id == _S.c.id).scalar_subquery()
    alloc_b = select(_sum0(_SA.c.bonus_fen)).where(_SA.c.spend_id == _S.c.id).scalar_subquery()
    stmt = select(_S.c.id).where(or_(
        ~exists().where(_W.c.spend_id == _S.c.id, -_W.c.principal_delta_fen == _S.c.principal_fen,
                        -_W.c.bonus_delta_fen == _S.c.bonus_fen),
        _S.c.principal_fen + _S.c.bonus_fen != _S.c.amount_fen,
        _S.c.principal_fen != alloc_p,
        _S.c.bonus_fen != alloc_b,
    ))
    return list(session.execute(stmt).scalars())


def points_not_ledger(session: Session) -> list[str]:
    """Phones whose cached points are not what their lots earned plus their points ledger (what left the
    lots: spent, expired, revoked), nor what is left of their lots, or are negative."""
    earned = select(_sum0(_L.c.points)).where(_L.c.member_id == _M.c.id).scalar_subquery()
    moved = select(_sum0(_PE.c.delta)).where(_PE.c.member_id == _M.c.id).scalar_subquery()
    ledger = earned + moved
    left = select(_sum0(_L.c.remaining)).where(_L.c.member_id == _M.c.id).scalar_subquery()
    # below zero only by a lot left below zero (a sale returned after its points were spent, under the
    # campaign's ``[checkout] spent_points = "negative"``)
    owed = exists().where(_L.c.member_id == _M.c.id, _L.c.remaining < 0)
    stmt = select(_M.c.phone).where(or_(_M.c.points_balance != ledger, _M.c.points_balance != left,
                                        and_(_M.c.points_balance < 0, ~owed)))
    return list(session.execute(stmt).scalars())


def outbox_span(session: Session) -> tuple[int, int | None, int | None]:
    """(events, lowest seq, highest seq)."""
    n, lo, hi = session.execute(select(func.count(), func.min(_O.c.seq), func.max(_O.c.seq))).one()
    return int(n), lo, hi
