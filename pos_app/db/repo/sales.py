"""Sales, their lines and payments, returns with theirs. A sale and its parts are written once (Core
inserts, one statement per table); only ``sale.state`` changes later (a return)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from pos_app.db import memo
from pos_app.db import models as m
from pos_app.db import models_checkout as mk
from pos_app.db.repo.base import append, copy_of, load, run, table

_S = table(mk.Sale)
_TABLES = frozenset({"sale"})
_LAST_RECEIPT = select(func.max(_S.c.receipt_no)).where(_S.c.receipt_no >= bindparam("lo"), _S.c.receipt_no < bindparam("hi"))


def last_receipt_no(session: Session, prefix: str) -> str | None:
    """The highest receipt number starting with ``prefix`` (one seek on the unique receipt_no; known on the
    connection while this process is the only one writing sales: :mod:`pos_app.db.memo`)."""
    key = ("sale.receipt.last", prefix)
    known = memo.recall(session, key)
    if known is memo.UNKNOWN:
        last = run(session, _LAST_RECEIPT, {"lo": prefix, "hi": prefix + "~"}).scalar()
        known = None if last is None else str(last)
        memo.learn(session, key, known, _TABLES)
    return known  # type: ignore[no-any-return]


def add_sale(
    session: Session, sale: Mapping[str, Any], lines: Sequence[Mapping[str, Any]], payments: Sequence[Mapping[str, Any]],
    *, receipt_prefix: str | None = None,
) -> None:
    """INSERT the sale, its lines and its payments now (one statement per table). ``receipt_prefix``: the
    prefix its receipt number was counted under (:func:`last_receipt_no`)."""
    key = ("sale.receipt.last", receipt_prefix)
    last = memo.recall(session, key) if receipt_prefix is not None else memo.UNKNOWN
    append(session, mk.Sale, [sale])
    append(session, mk.SaleLine, lines)
    append(session, mk.SalePayment, payments)
    if last is not memo.UNKNOWN and receipt_prefix is not None:
        no = sale.get("receipt_no")
        if no is not None and receipt_prefix <= no < receipt_prefix + "~":
            last = no if last is None else max(last, no)
        memo.learn(session, key, last, _TABLES)


def copy_of_sale(values: Mapping[str, Any]) -> mk.Sale:
    """A transient copy of a sale row just written with ``values``, for reading (load it to change it)."""
    return copy_of(mk.Sale, values)


def add_return(
    session: Session, ret: Mapping[str, Any], lines: Sequence[Mapping[str, Any]], payments: Sequence[Mapping[str, Any]]
) -> None:
    append(session, mk.SaleReturn, [ret])
    append(session, mk.ReturnLine, lines)
    append(session, mk.ReturnPayment, payments)


def get(session: Session, sale_id: str) -> mk.Sale | None:
    return session.get(mk.Sale, sale_id)


def by_receipt(session: Session, receipt_no: str) -> mk.Sale | None:
    row: mk.Sale | None = load(session, select(mk.Sale).where(mk.Sale.receipt_no == receipt_no)).scalar_one_or_none()
    return row


def lines(session: Session, sale_id: str) -> list[mk.SaleLine]:
    return list(load(session, select(mk.SaleLine).where(mk.SaleLine.sale_id == sale_id).order_by(mk.SaleLine.no)).scalars())


def payments(session: Session, sale_id: str) -> list[mk.SalePayment]:
    return list(load(session, select(mk.SalePayment).where(mk.SalePayment.sale_id == sale_id)
                    .order_by(mk.SalePayment.no)).scalars())


def returns(session: Session, sale_id: str) -> list[mk.SaleReturn]:
    return list(load(session, select(mk.SaleReturn).where(mk.SaleReturn.sale_id == sale_id)
                    .order_by(mk.SaleReturn.created_at, mk.SaleReturn.id)).scalars())


def return_lines(session: Session, return_ids: Sequence[str]) -> list[mk.ReturnLine]:
    if not return_ids:
        return []
    return list(load(session, select(mk.ReturnLine).where(mk.ReturnLine.return_id.in_(list(return_ids)))).scalars())


def return_payments(session: Session, return_ids: Sequence[str]) -> list[mk.ReturnPayment]:
    if not return_ids:
        return []
    return list(load(session, select(mk.ReturnPayment).where(mk.ReturnPayment.return_id.in_(list(return_ids)))
                    .order_by(mk.ReturnPayment.return_id, mk.ReturnPayment.no)).scalars())


def member_sales(session: Session, member_id: str, limit: int) -> list[mk.Sale]:
    return list(load(session, select(mk.Sale).where(mk.Sale.member_id == member_id)
                    .order_by(mk.Sale.created_at.desc(), mk.Sale.id.desc()).limit(limit)).scalars())


def returned_paid(session: Session, sale_id: str) -> int:
    """What the sale's returns gave back of what was actually paid (their amounts less the bonus part)."""
    total = run(session, select(func.coalesce(func.sum(mk.ReturnPayment.amount_fen - mk.ReturnPayment.bonus_fen), 0))
                .join(mk.SaleReturn, mk.SaleReturn.id == mk.ReturnPayment.return_id)
                .where(mk.SaleReturn.sale_id == sale_id)).scalar()
    return int(total or 0)


def spend_allocations(session: Session, spend_ids: Sequence[str]) -> list[m.SpendAllocation]:
    if not spend_ids:
        return []
    return list(load(session, select(m.SpendAllocation).where(m.SpendAllocation.spend_id.in_(list(spend_ids)))
                    .order_by(m.SpendAllocation.id)).scalars())


def wallet_after(session: Session, member_id: str, at: datetime, spend_id: str | None) -> tuple[int, int] | None:
    """The member's balances after the sale: its spend's ledger row, or the last row before it."""
    if spend_id is not None:
        row = run(session, select(m.WalletEntry.principal_after_fen, m.WalletEntry.bonus_after_fen)
                  .where(m.WalletEntry.spend_id == spend_id)).first()
    else:
        row = run(session, select(m.WalletEntry.principal_after_fen, m.WalletEntry.bonus_after_fen)
                  .where(m.WalletEntry.member_id == member_id, m.WalletEntry.created_at <= at)
                  .order_by(m.WalletEntry.seq.desc()).limit(1)).first()
    return None if row is None else (int(row[0]), int(row[1]))
