"""The product catalogue: look-ups by barcode and SKU (unique indexes), a name/SKU/barcode search."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import bindparam, or_, select
from sqlalchemy.orm import Session

from pos_app.db import models_checkout as mk
from pos_app.db.repo.base import append, load, run, table

_P = table(mk.Product)
#: what a sale's line takes from a product (columns, not ORM objects: a 20-line sale reads 20 of them)
SALE_FIELDS = ("sku", "barcode", "name", "category", "price_fen", "member_price_fen", "active")
_SALE_COLS = [_P.c[f] for f in SALE_FIELDS]
_SALE_BY_BARCODES = select(*_SALE_COLS).where(_P.c.barcode.in_(bindparam("codes", expanding=True)))
_SALE_BY_SKUS = select(*_SALE_COLS).where(_P.c.sku.in_(bindparam("skus", expanding=True)))
_BY_BARCODE = select(mk.Product).where(mk.Product.barcode == bindparam("code"))
_BY_SKU = select(mk.Product).where(mk.Product.sku == bindparam("sku"))


def by_barcode(session: Session, barcode: str) -> mk.Product | None:
    """One index seek (the scanner's path); a plain read that flushes nothing."""
    row: mk.Product | None = load(session, _BY_BARCODE, {"code": barcode}).scalar_one_or_none()
    return row


def by_sku(session: Session, sku: str) -> mk.Product | None:
    row: mk.Product | None = load(session, _BY_SKU, {"sku": sku}).scalar_one_or_none()
    return row


def by_skus(session: Session, skus: Sequence[str]) -> dict[str, mk.Product]:
    if not skus:
        return {}
    return {p.sku: p for p in load(session, select(mk.Product).where(mk.Product.sku.in_(list(skus)))).scalars()}


def by_barcodes(session: Session, codes: Sequence[str]) -> dict[str, mk.Product]:
    if not codes:
        return {}
    return {p.barcode: p for p in load(session, select(mk.Product).where(mk.Product.barcode.in_(list(codes)))).scalars()}


def sale_fields_by_barcodes(session: Session, codes: Sequence[str]) -> dict[str, tuple[Any, ...]]:
    """barcode -> the product's :data:`SALE_FIELDS` (a plain read, one statement)."""
    if not codes:
        return {}
    return {r[1]: tuple(r) for r in run(session, _SALE_BY_BARCODES, {"codes": list(dict.fromkeys(codes))})}


def sale_fields_by_skus(session: Session, skus: Sequence[str]) -> dict[str, tuple[Any, ...]]:
    """sku -> the product's :data:`SALE_FIELDS` (a plain read, one statement)."""
    if not skus:
        return {}
    return {r[0]: tuple(r) for r in run(session, _SALE_BY_SKUS, {"skus": list(dict.fromkeys(skus))})}


def search(session: Session, text: str, limit: int, include_inactive: bool = False) -> list[mk.Product]:
    stmt = select(mk.Product)
    if text:
        like = f"%{text.replace('%', '').replace('_', '')}%"
        stmt = stmt.where(or_(mk.Product.name.like(like), mk.Product.sku.like(like), mk.Product.barcode.like(like)))
    if not include_inactive:
        stmt = stmt.where(mk.Product.active.is_(True))
    return list(load(session, stmt.order_by(mk.Product.sku).limit(limit)).scalars())


def add(session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
    append(session, mk.Product, rows)
