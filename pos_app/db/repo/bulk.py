"""Bulk writes for the data generator (`pos-app gen`): many rows of a model in one statement through the ORM's
bulk APIs (``session.execute(insert(Model), rows)``, and ``session.execute(update(Model), rows)`` by primary
key), plus the few reads the generator starts from. Nothing here bypasses the library."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from operator import itemgetter
from typing import Any

from sqlalchemy import ColumnDefault, Engine, event, func, insert, select, text, update
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session

from pos_app.db import models as m
from pos_app.db import models_checkout as mk
from pos_app.db import models_gifts as mg
from pos_app.db import models_sync as ms
from pos_app.db import written
from pos_app.db.base import Base
from pos_app.db.repo.base import table

#: rows per statement (SQLite's executemany takes any number; this keeps memory flat)
CHUNK = 50_000


@dataclass(frozen=True)
class _Insert:
    """A model's INSERT of some columns, compiled once by SQLAlchemy for the session's dialect: its SQL, the
    row keys in the order of its placeholders, and each column type's own bind processor (what the Core
    statement would apply to the value: a UTC datetime to SQLite's text, a date, a boolean)."""

    sql: str
    keys: tuple[str, ...]
    processors: tuple[Callable[[Any], Any] | None, ...]
    #: a column the rows do not give, with its scalar default, by position
    defaults: tuple[tuple[int, Any], ...]


@cache
def _compiled_insert(model: type[Base], keys: frozenset[str], dialect: Dialect) -> _Insert:
    t = table(model)
    compiled = insert(t).compile(dialect=dialect, column_keys=sorted(keys))
    order = tuple(str(k) for k in (compiled.positiontup or ()))
    if compiled.positional is False or len(order) != str(compiled).count("?"):
        raise ValueError(f"bulk insert of {t.name}: needs the qmark paramstyle")
    defaults = []
    for i, k in enumerate(order):
        if k not in keys:
            default = t.c[k].default
            if not isinstance(default, ColumnDefault) or not default.is_scalar:  # a callable: not here
                raise ValueError(f"bulk insert of {t.name}: column {k} has no value and no scalar default")
            defaults.append((i, default.arg))
    procs = tuple(t.c[k].type.dialect_impl(dialect).bind_processor(dialect) for k in order)
    return _Insert(str(compiled), order, procs, tuple(defaults))


def insert_rows(session: Session, model: type[Base], rows: Sequence[Mapping[str, Any]]) -> int:
    """INSERT ``rows`` of ``model`` (every row with the same keys; columns not given take their scalar
    default) in the session's transaction: SQLAlchemy compiles the model's Core INSERT once and the rows go
    to the driver's ``executemany`` as tuples, each value through its column type's bind processor (a
    value repeated in a chunk, the use case's instant or a coupon's last day, is converted once), so the
    stored values are the Core statement's. The Core path spends far more per row building each row's
    parameters than SQLite spends storing it. The write is counted for the transaction
    (:func:`pos_app.db.written.note`) as a Core statement's would be."""
    if not rows:
        return 0
    conn = session.connection()
    plan = _compiled_insert(model, frozenset(rows[0]), conn.dialect)
    fixed = dict(plan.defaults)
    getters: list[Callable[[Mapping[str, Any]], Any]] = []
    for i, (key, proc) in enumerate(zip(plan.keys, plan.processors, strict=True)):
        if i in fixed:
            getters.append(_constant(fixed[i] if proc is None else proc(fixed[i])))
        elif proc is None:
            getters.append(itemgetter(key))
        else:
            getters.append(_converted(itemgetter(key), proc))
    build: Callable[[Mapping[str, Any]], tuple[Any, ...]]
    if fixed or any(p is not None for p in plan.processors) or len(plan.keys) < 2:
        def build(r: Mapping[str, Any]) -> tuple[Any, ...]:
            return tuple(g(r) for g in getters)
    else:
        build = itemgetter(*plan.keys)
    for i in range(0, len(rows), CHUNK):
        conn.exec_driver_sql(plan.sql, [build(r) for r in rows[i:i + CHUNK]])
    written.note(conn.info, str(table(model).name), -(-len(rows) // CHUNK))
    return len(rows)


def _constant(value: Any) -> Callable[[Mapping[str, Any]], Any]:
    return lambda _row: value


def _converted(get: Callable[[Mapping[str, Any]], Any], proc: Callable[[Any], Any]) -> Callable[[Mapping[str, Any]], Any]:
    """A row's value through ``proc``, each distinct value converted once for the rows of one call (most values
    of a datetime or date column repeat: every row of a use case has its instant)."""
    seen: dict[Any, Any] = {}

    def convert(row: Mapping[str, Any]) -> Any:
        value = get(row)
        if value is None:
            return None
        try:
            return seen[value]
        except KeyError:
            out = seen[value] = proc(value)
            return out

    return convert


def update_rows(session: Session, model: type[Base], rows: Sequence[Mapping[str, Any]]) -> int:
    """UPDATE rows of ``model`` by primary key (each row holds its key and the columns it changes; every row
    the same keys): the ORM's bulk UPDATE by primary key."""
    for i in range(0, len(rows), CHUNK):
        session.execute(update(model), list(rows[i:i + CHUNK]))
    return len(rows)


@contextmanager
def bulk_load(engine: Engine, cache_mib: int) -> Iterator[None]:
    """Settings for a bulk load into a new store, for its duration only (SQLite; nothing elsewhere).

    - ``synchronous=OFF``: a commit does not wait for the disk (set as the pool hands a connection out, before
      its ``BEGIN``: SQLite refuses to change it inside a transaction). A crash in the middle leaves a half-built store either way; the end
      is made durable below.
    - a page cache of ``cache_mib`` MiB: the indexes of a big store stay in memory while millions of rows go in.
    - in each transaction (:func:`relax_checks`): foreign keys checked at its commit, not row by row.

    At the end the write-ahead log is checkpointed into the file with ``synchronous=FULL`` (the file is then
    on disk) and the engine's connections are closed, so every later one opens with the engine's own
    settings (``synchronous=FULL``, the default cache)."""
    if engine.dialect.name != "sqlite":
        yield
        return

    def relaxed(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        dbapi_connection.execute("PRAGMA synchronous=OFF")
        dbapi_connection.execute(f"PRAGMA cache_size=-{int(cache_mib) * 1024}")

    event.listen(engine.pool, "checkout", relaxed)
    try:
        yield
    finally:
        event.remove(engine.pool, "checkout", relaxed)
        with engine.connect() as conn:  # no statement through SQLAlchemy: no BEGIN
            raw = conn.connection.driver_connection
            assert raw is not None
            raw.execute("PRAGMA synchronous=FULL")
            raw.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        engine.dispose()


def relax_checks(session: Session) -> None:
    """In this transaction, check foreign keys at its commit rather than row by row (SQLite; reset by the
    commit)."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("PRAGMA defer_foreign_keys=ON"))


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
