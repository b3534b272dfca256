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

from sqlalchemy import ColumnDefault, Engine, Table, bindparam, event, func, insert, select, text, update
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
class _Bulk:
    """A model's INSERT (or UPDATE by primary key) of some columns, compiled once by SQLAlchemy for the
    session's dialect: its SQL, the row keys in the order of its placeholders, and each column type's own
    bind processor (what the Core statement would apply to the value: a UTC datetime to SQLite's text, a
    date, a boolean)."""

    sql: str
    keys: tuple[str, ...]
    processors: tuple[Callable[[Any], Any] | None, ...]
    #: a column the rows do not give, with its scalar default, by position
    defaults: tuple[tuple[int, Any], ...]
    #: what converts each value (its column type: two columns of one type convert a value alike)
    kinds: tuple[str, ...]


@cache
def _compiled_insert(model: type[Base], keys: frozenset[str], dialect: Dialect) -> _Bulk:
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
    return _plan(t, str(compiled), order, dialect, tuple(defaults))


def _plan(t: Table, sql: str, order: tuple[str, ...], dialect: Dialect, defaults: tuple[tuple[int, Any], ...],
          columns: Sequence[str] | None = None) -> _Bulk:
    cols = [t.c[k] for k in (columns or order)]
    procs = tuple(c.type.dialect_impl(dialect).bind_processor(dialect) for c in cols)
    return _Bulk(sql, order, procs, defaults, tuple(repr(c.type) for c in cols))


@cache
def _compiled_update(model: type[Base], keys: frozenset[str], dialect: Dialect) -> _Bulk:
    """The model's UPDATE of the columns ``keys`` (less its primary key) by primary key, compiled once."""
    t = table(model)
    (pk,) = t.primary_key.columns
    cols = sorted(keys - {pk.name})
    stmt = (update(t).where(pk == bindparam("pk_" + pk.name))
            .values({c: bindparam("v_" + c) for c in cols}))
    compiled = stmt.compile(dialect=dialect)
    order = tuple(str(k) for k in (compiled.positiontup or ()))
    if len(order) != str(compiled).count("?") or sorted(order) != sorted(["pk_" + pk.name, *("v_" + c for c in cols)]):
        raise ValueError(f"bulk update of {t.name}: needs the qmark paramstyle")
    names = tuple(k.partition("_")[2] for k in order)
    return _plan(t, str(compiled), names, dialect, (), names)


def _run(session: Session, model: type[Base], plan: _Bulk, rows: Sequence[Mapping[str, Any]],
         converted: dict[str, dict[Any, Any]] | None) -> int:
    """``plan``'s statement for each row (as tuples, each value through its column type's bind processor:
    a value repeated in the rows, or in the rows of other calls sharing ``converted``, converted once)."""
    conn = session.connection()
    seen = {} if converted is None else converted
    fixed = dict(plan.defaults)
    getters: list[Callable[[Mapping[str, Any]], Any]] = []
    for i, (key, proc) in enumerate(zip(plan.keys, plan.processors, strict=True)):
        if i in fixed:
            getters.append(_constant(fixed[i] if proc is None else proc(fixed[i])))
        elif proc is None:
            getters.append(itemgetter(key))
        else:
            getters.append(_converted(itemgetter(key), proc, seen.setdefault(plan.kinds[i], {})))
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


def insert_rows(session: Session, model: type[Base], rows: Sequence[Mapping[str, Any]],
                converted: dict[str, dict[Any, Any]] | None = None) -> int:
    """INSERT ``rows`` of ``model`` (every row with the same keys; columns not given take their scalar
    default) in the session's transaction: SQLAlchemy compiles the model's Core INSERT once and the rows go
    to the driver's ``executemany`` as tuples, each value through its column type's bind processor (a
    value repeated in a chunk, the use case's instant or a coupon's last day, is converted once), so the
    stored values are the Core statement's. The Core path spends far more per row building each row's
    parameters than SQLite spends storing it. The write is counted for the transaction
    (:func:`pos_app.db.written.note`) as a Core statement's would be. ``converted``: a dict shared by the
    calls of one transaction, so a value repeated across tables is converted once."""
    if not rows:
        return 0
    return _run(session, model, _compiled_insert(model, frozenset(rows[0]), session.get_bind().dialect), rows,
                converted)


def _constant(value: Any) -> Callable[[Mapping[str, Any]], Any]:
    return lambda _row: value


def _converted(get: Callable[[Mapping[str, Any]], Any], proc: Callable[[Any], Any],
               seen: dict[Any, Any]) -> Callable[[Mapping[str, Any]], Any]:
    """A row's value through ``proc``, each distinct value converted once (remembered in ``seen``: most values
    of a datetime or date column repeat, every row of a use case has its instant)."""

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


def update_rows(session: Session, model: type[Base], rows: Sequence[Mapping[str, Any]],
                converted: dict[str, dict[Any, Any]] | None = None) -> int:
    """UPDATE rows of ``model`` by primary key (each row holds its key and the columns it changes; every row
    the same keys), the statement compiled once by SQLAlchemy and run as :func:`insert_rows` runs its."""
    if not rows:
        return 0
    return _run(session, model, _compiled_update(model, frozenset(rows[0]), session.get_bind().dialect), rows,
                converted)


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
