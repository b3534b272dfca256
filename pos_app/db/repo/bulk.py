"""Bulk writes for the data generator (`pos-app gen`): many rows of a model in one statement through the ORM's
bulk APIs (``session.execute(insert(Model), rows)``, and ``session.execute(update(Model), rows)`` by primary
key), plus the few reads the generator starts from. Nothing here bypasses the library."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import func, insert, select, text, update
from sqlalchemy.orm import Session

from pos_app.db import models as m
from pos_app.db import models_checkout as mk
from pos_app.db import models_gifts as mg
from pos_app.db import models_sync as ms
from pos_app.db.base import Base
from pos_app.db.repo.base import table

#: rows per statement (SQLite's executemany takes any number; this keeps memory flat)
CHUNK = 20_000


def insert_rows(session: Session, model: type[Base], rows: Sequence[Mapping[str, Any]]) -> int:
    """INSERT ``rows`` of ``model`` (every row with the same keys, every column given) in the session's
    transaction: one executemany per chunk on the model's table (the ORM's bulk INSERT of a list of dicts
    splits the rows into one statement per pattern of None values: many small statements)."""
    stmt = insert(table(model))
    for i in range(0, len(rows), CHUNK):
        session.execute(stmt, list(rows[i:i + CHUNK]))
    return len(rows)


def update_rows(session: Session, model: type[Base], rows: Sequence[Mapping[str, Any]]) -> int:
    """UPDATE rows of ``model`` by primary key (each row holds its key and the columns it changes; every row
    the same keys): the ORM's bulk UPDATE by primary key."""
    for i in range(0, len(rows), CHUNK):
        session.execute(update(model), list(rows[i:i + CHUNK]))
    return len(rows)


def cache_mib(session: Session, mib: int) -> None:
    """Give this connection's page cache ``mib`` MiB (SQLite; 2 by default) for a bulk load: the indexes of a
    big store then stay in memory while millions of rows go in. Set it back with ``cache_mib(session, 2)``."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text(f"PRAGMA cache_size=-{int(mib) * 1024}"))


def has_members(session: Session) -> bool:
    return session.scalar(select(m.Member.id).limit(1)) is not None


def is_paired(session: Session) -> bool:
    """Whether this store was paired with a central server (its sync state names one)."""
    return session.scalar(select(ms.SyncState.id).where(ms.SyncState.server_url.is_not(None)).limit(1)) is not None


def products(session: Session) -> list[dict[str, Any]]:
    """The active catalogue, in SKU order: sku, barcode, name, category, price, member price."""
    p = mk.Product
    stmt = (select(p.sku, p.barcode, p.name, p.category, p.price_fen, p.member_price_fen)
            .where(p.active.is_(True)).order_by(p.sku))
    return [dict(r) for r in session.execute(stmt).mappings()]


def gift_stock(session: Session) -> list[dict[str, Any]]:
    """The gift catalogue's stock, in SKU order: id, sku, on hand, movements so far."""
    g = mg.GiftItem
    stmt = select(g.id, g.sku, g.on_hand, g.movement_seq).order_by(g.sku)
    return [dict(r) for r in session.execute(stmt).mappings()]


def staff_ids(session: Session) -> dict[str, str]:
    """Staff code -> id."""
    return {code: sid for code, sid in session.execute(select(m.Staff.code, m.Staff.id))}


def row_counts(session: Session, models: Iterable[type[Base]]) -> dict[str, int]:
    """Rows per table of these models."""
    out: dict[str, int] = {}
    for model in models:
        out[str(model.__tablename__)] = int(session.scalar(select(func.count()).select_from(model)) or 0)
    return out
