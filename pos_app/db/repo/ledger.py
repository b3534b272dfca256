"""The wallet and points ledgers, recharges and entitlements.

Ledger rows (wallet entries, points entries) are append-only; a recharge, a points lot and an
entitlement are written once by the use case that makes them and changed later by others (a spend
moves a recharge's lot, a hand-out an entitlement's state), which load them as ORM objects."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session

from pos_app.db import models as m
from pos_app.db.repo.base import append, copy_of, run, table, values_of

_R = table(m.Recharge)
_LAST_RECEIPT = select(func.max(_R.c.receipt_no)).where(_R.c.receipt_no >= bindparam("lo"), _R.c.receipt_no < bindparam("hi"))


def add_recharge(session: Session, values: Mapping[str, Any]) -> m.Recharge:
    """INSERT the recharge now (the rows after it refer to it); a transient copy for reading."""
    append(session, m.Recharge, [values])
    return copy_of(m.Recharge, values)


def set_items_count(session: Session, recharge_id: str, count: int) -> None:
    run(session, update(_R).where(_R.c.id == recharge_id).values(items_count=count))


def last_receipt_no(session: Session, prefix: str) -> str | None:
    """The highest receipt number starting with ``prefix`` (one index seek on the unique receipt_no)."""
    last = run(session, _LAST_RECEIPT, {"lo": prefix, "hi": prefix + "~"}).scalar()
    return None if last is None else str(last)


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
