"""The wallet and points ledgers, recharges and entitlements.

Ledger rows (wallet entries, points entries) are append-only; a recharge, a points lot and an
entitlement are written once by the use case that makes them and changed later by others (a spend
moves a recharge's lot, a hand-out an entitlement's state), which load them as ORM objects."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session

from pos_app.db import memo
from pos_app.db import models as m
from pos_app.db.repo.base import append, copy_of, run, table, values_of

_R = table(m.Recharge)
_TABLES = frozenset({"recharge"})
# a member's recharge lots with something left, oldest first (the order a spend takes from them)
_SPENDABLE = (select(_R.c.id, _R.c.principal_left_fen, _R.c.bonus_left_fen)
              .where(_R.c.member_id == bindparam("mid"), _R.c.state == "active",
                     (_R.c.principal_left_fen > 0) | (_R.c.bonus_left_fen > 0))
              .order_by(_R.c.created_at, _R.c.id))
_LOT_LEFT = (update(_R).where(_R.c.id == bindparam("lot_id"))
             .values(principal_left_fen=bindparam("principal_left"), bonus_left_fen=bindparam("bonus_left")))
_LAST_RECEIPT = select(func.max(_R.c.receipt_no)).where(_R.c.receipt_no >= bindparam("lo"), _R.c.receipt_no < bindparam("hi"))


def add_recharge(session: Session, values: Mapping[str, Any], *, receipt_prefix: str | None = None) -> m.Recharge:
    """INSERT the recharge now (the rows after it refer to it); a transient copy for reading.
    ``receipt_prefix``: the prefix its receipt number was counted under (:func:`last_receipt_no`)."""
    key = ("receipt.last", receipt_prefix)
    last = memo.recall(session, key) if receipt_prefix is not None else memo.UNKNOWN
    append(session, m.Recharge, [values])
    if last is not memo.UNKNOWN and receipt_prefix is not None:
        no = values.get("receipt_no")
        if no is not None and receipt_prefix <= no < receipt_prefix + "~":
            last = no if last is None else max(last, no)
        memo.learn(session, key, last, _TABLES)
    return copy_of(m.Recharge, values)


def set_items_count(session: Session, recharge_id: str, count: int) -> None:
    run(session, update(_R).where(_R.c.id == recharge_id).values(items_count=count))


def last_receipt_no(session: Session, prefix: str) -> str | None:
    """The highest receipt number starting with ``prefix`` (one index seek on the unique receipt_no; known
    on the connection while this process is the only one writing recharges: :mod:`pos_app.db.memo`)."""
    key = ("receipt.last", prefix)
    known = memo.recall(session, key)
    if known is memo.UNKNOWN:
        last = run(session, _LAST_RECEIPT, {"lo": prefix, "hi": prefix + "~"}).scalar()
        known = None if last is None else str(last)
        memo.learn(session, key, known, _TABLES)
    return known  # type: ignore[no-any-return]


def spendable_lots(session: Session, member_id: str) -> list[tuple[str, int, int]]:
    """(id, principal left, bonus left) of the member's active recharge lots with something left, oldest
    first (a plain read)."""
    return [(r[0], int(r[1]), int(r[2])) for r in run(session, _SPENDABLE, {"mid": member_id})]


def add_spend(session: Session, spend: Mapping[str, Any], allocations: Sequence[Mapping[str, Any]],
              lots_left: Sequence[tuple[str, int, int]]) -> m.Spend:
    """INSERT a spend and its allocations now, and set what the lots it took from have left
    (``lots_left``: (recharge id, principal left, bonus left); one executemany UPDATE). A transient copy of
    the spend for reading."""
    append(session, m.Spend, [spend])
    append(session, m.SpendAllocation, allocations)
    if lots_left:
        rows = [{"lot_id": i, "principal_left": p, "bonus_left": b} for i, p, b in lots_left]
        run(session, _LOT_LEFT, rows[0] if len(rows) == 1 else rows)
    return copy_of(m.Spend, spend)


def append_wallet_entry(session: Session, values: Mapping[str, Any]) -> None:
    append(session, m.WalletEntry, [values])


def add_points_lot(session: Session, lot: Mapping[str, Any], entry: Mapping[str, Any] | None = None) -> None:
    """A new points lot (and its ledger row, when given), written now."""
    append(session, m.PointsLot, [lot])
    if entry is not None:
        append(session, m.PointsEntry, [entry])


def add_points_entries(session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
    """Points leaving lots (spend, expire, revoke), written now."""
    append(session, m.PointsEntry, rows)


def add_entitlements(session: Session, rows: Sequence[m.Entitlement]) -> None:
    """INSERT new entitlements (transient objects, as the hooks left them) in one statement. They stay
    transient copies: a later use case loads a row to change it."""
    append(session, m.Entitlement, [values_of(e) for e in rows])


# ----------------------------------------------------------------------------- wallet adjustments
def add_adjustment(session: Session, values: Mapping[str, Any]) -> None:
    """A manager's wallet adjustment, written now (its ledger row refers to it)."""
    append(session, m.WalletAdjustment, [values])


def get_adjustment(session: Session, adjustment_id: str) -> m.WalletAdjustment | None:
    return session.get(m.WalletAdjustment, adjustment_id)


_ANY_ADJUSTMENT_LEFT = ("adjustment.any_left",)
_ADJUSTMENT_TABLES = frozenset({"wallet_adjustment"})


def adjustment_lots(session: Session, member_id: str) -> list[m.WalletAdjustment]:
    """The member's adjustments with something of what they added still in the wallet, oldest first (loaded:
    a spend moves what is left). A store where none has anything left (most) answers without a query once the
    connection knows it (:mod:`pos_app.db.memo`: until an adjustment is written or moved)."""
    a = m.WalletAdjustment
    known = memo.recall(session, _ANY_ADJUSTMENT_LEFT)
    if known is memo.UNKNOWN:
        known = run(session, select(a.id).where((a.principal_left_fen > 0) | (a.bonus_left_fen > 0)).limit(1)
                    ).first() is not None
        memo.learn(session, _ANY_ADJUSTMENT_LEFT, known, _ADJUSTMENT_TABLES)
    if not known:
        return []
    return list(session.scalars(
        select(a).where(a.member_id == member_id, (a.principal_left_fen > 0) | (a.bonus_left_fen > 0))
        .order_by(a.created_at, a.id)))


def adjustments_by_id(session: Session, ids: Sequence[str]) -> dict[str, m.WalletAdjustment]:
    if not ids:
        return {}
    a = m.WalletAdjustment
    return {x.id: x for x in session.scalars(select(a).where(a.id.in_(list(ids))))}


def add_adjustment_allocations(session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
    """What spends took from (negative: a sale return gave back to) adjustments' lots."""
    if rows:
        append(session, m.AdjustmentAllocation, rows)


def adjustment_allocations(session: Session, spend_ids: Sequence[str]) -> list[m.AdjustmentAllocation]:
    if not spend_ids:
        return []
    al = m.AdjustmentAllocation
    return list(session.scalars(select(al).where(al.spend_id.in_(list(spend_ids))).order_by(al.id)))
