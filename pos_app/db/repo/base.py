"""What every repository shares: appending rows, reading a model's column values."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any, TypeVar

from sqlalchemy import Connection, Executable, Insert, Table, insert
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session

from pos_app.db.base import Base

B = TypeVar("B", bound=Base)


def table(model: type[Base]) -> Table:
    t = model.__table__
    assert isinstance(t, Table)
    return t


def append(session: Session, model: type[Base], rows: Sequence[Mapping[str, Any]]) -> None:
    """INSERT append-only rows of ``model`` now, in the session's transaction: one statement (Core
    ``insert()``; several rows go in as one multi-row INSERT through insertmanyvalues). Every row must
    have the same keys; columns not given take their default. When the session holds new ORM objects it
    is flushed first (the rows may refer to them); otherwise changed objects stay pending until commit."""
    if not rows:
        return
    if session.new:
        session.flush()
    run(session, _insert(model), dict(rows[0]) if len(rows) == 1 else list(rows))


@cache
def _insert(model: type[Base]) -> Insert:
    """The model's INSERT, built once (its cache key is computed once, the compiled form is cached)."""
    return insert(table(model))


def run(session: Session | Connection, stmt: Executable, params: Any = None) -> Any:
    """Execute the Core statement ``stmt`` in the session's transaction, on its connection: nothing is
    flushed first (the ORM objects a use case changes, a member's balances..., are written once, at
    commit) and no ORM execution step is run for a statement that loads no ORM object. A read-only unit
    of work's connection (``uow.connection``) may be given instead: no session is made for the read."""
    conn = session if isinstance(session, Connection) else session.connection()
    return conn.execute(stmt, params)


def load(session: Session, stmt: Executable, params: Any = None) -> Any:
    """Execute a SELECT of ORM entities (``select(Model)``) through the session, so its rows come back as
    the session's objects; pending changes are not flushed first (see :func:`run`)."""
    with session.no_autoflush:
        return session.execute(stmt, params)


@cache
def column_keys(model: type[Base]) -> tuple[str, ...]:
    return tuple(attr.key for attr in sa_inspect(model).column_attrs)


def values_of(obj: Base) -> dict[str, Any]:
    """The column values of an ORM object (a transient copy built for writing with :func:`append`)."""
    return {k: getattr(obj, k) for k in column_keys(type(obj))}


@cache
def _defaults(model: type[Base]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for attr in sa_inspect(model).column_attrs:
        default = attr.columns[0].default
        arg = getattr(default, "arg", None) if default is not None and getattr(default, "is_scalar", False) else None
        out[attr.key] = arg
    return out


def copy_of(model: type[B], values: Mapping[str, Any]) -> B:
    """A transient ORM object holding a row just written with ``values`` (columns not given: their scalar
    default, else None), for reading. It is in no session: load the row to change it."""
    return model(**{**_defaults(model), **values})
