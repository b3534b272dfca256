"""Unit of work: one use case = one transaction. Everything is written, or nothing."""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Any

from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from pos_app.db import written
from pos_app.db.engine import Database
from pos_app.db.rawsql import bind_processor

# ------------------------------------------------------------------ lean flush of changed rows
#
# At commit, a use case usually has a few persistent rows with changed columns (the member's cached
# balances, an entitlement's state) and nothing new or deleted left to write. The ORM's flush of those
# costs ~0.1-0.3 ms each in Python; on SQLite :func:`_flush_updates` writes each as one plain
# ``UPDATE ... WHERE pk = ?`` on the transaction's own connection (the columns' own bind processors
# convert the values, so the stored text is what the ORM writes) and marks the values committed. Anything
# else (pending inserts or deletes, other databases, mappers with a version column or onupdate
# defaults) goes through the ORM's flush as before.

_UPDATE_PLANS: dict[tuple[type, tuple[str, ...]], tuple[str, tuple[Any, ...], Any] | None] = {}


def _update_plan(mapper: Any, keys: tuple[str, ...], dialect: Any) -> tuple[str, tuple[Any, ...], Any] | None:
    cache_key = (mapper.class_, keys)
    if cache_key in _UPDATE_PLANS:
        return _UPDATE_PLANS[cache_key]
    plan: tuple[str, tuple[Any, ...], Any] | None = None
    table = mapper.local_table
    simple = (
        mapper.version_id_col is None
        and len(mapper.primary_key) == 1
        and not mapper.inherits
        and all(c.onupdate is None and c.server_onupdate is None for c in table.columns)
    )
    if simple:
        cols: list[Any] = []
        for k in keys:
            prop = mapper.column_attrs.get(k) if hasattr(mapper.column_attrs, "get") else None
            if prop is None or len(prop.columns) != 1 or prop.columns[0].table is not table:
                cols = []
                break
            cols.append(prop.columns[0])
        pk = mapper.primary_key[0]
        if cols and pk.name not in {c.name for c in cols}:
            sql = f"UPDATE {table.name} SET {', '.join(f'{c.name} = ?' for c in cols)} WHERE {pk.name} = ?"
            procs = tuple(bind_processor(c.type, dialect) for c in cols)
            plan = (sql, procs, bind_processor(pk.type, dialect))
    _UPDATE_PLANS[cache_key] = plan
    return plan


def _flush_updates(session: Session) -> None:
    """Write the changed columns of dirty persistent rows with plain UPDATEs (SQLite only; see above)."""
    if session.new or session.deleted or session.dispatch.before_flush or session.dispatch.after_flush:
        return  # the ORM orders inserts/deletes and updates by their foreign keys; flush listeners expect it
    states = [sa_inspect(obj) for obj in session.dirty]
    if not states:
        return
    conn = session.connection()
    if conn.dialect.name != "sqlite":
        return
    work = []
    for state in states:
        keys = tuple(sorted(state.committed_state))
        if not keys or state.key is None:
            continue
        mapper = state.mapper
        if mapper.dispatch.before_update or mapper.dispatch.after_update:
            return  # an update listener expects the ORM's flush: leave all of it to the ORM
        plan = _update_plan(mapper, keys, conn.dialect)
        if plan is None:
            return  # leave all of it to the ORM
        work.append((state, keys, plan))
    raw = conn.connection.driver_connection
    assert raw is not None
    for state, keys, (sql, procs, pk_proc) in work:
        d = state.dict
        params = [p(d[k]) if p is not None else d[k] for p, k in zip(procs, keys, strict=True)]
        ident = state.key[1][0]
        params.append(pk_proc(ident) if pk_proc is not None else ident)
        written.note(conn.info, state.mapper.local_table.name)
        cur = raw.execute(sql, params)
        if cur.rowcount != 1:
            raise StaleDataError(f"UPDATE of {state.mapper.class_.__name__} {ident!r} matched {cur.rowcount} rows")
        commit_all = getattr(state, "_commit_all", None)
        if commit_all is not None:
            # every change of the row is written: it is clean (as after the ORM's own flush), so the
            # ORM's flush at commit has nothing left to visit
            commit_all(d, state.session.identity_map if state.session else None)
        else:
            obj = state.obj()
            for k in keys:
                set_committed_value(obj, k, d[k])


class UnitOfWork:
    def __init__(
        self,
        db: Database,
        read_only: bool = False,
        before_commit: Callable[[frozenset[str]], None] | None = None,
    ) -> None:
        self.db = db
        self.read_only = read_only
        #: called with the tables the transaction wrote, just before COMMIT (may refuse by raising)
        self.before_commit = before_commit
        #: the tables the committed transaction wrote (see db/written.py)
        self.written: frozenset[str] = frozenset()
        self._session: Session | None = None
        self.committed = False
        #: per-transaction memo (e.g. the store row, which the session's weak identity map would drop)
        self.cache: dict[str, Any] = {}

    @property
    def session(self) -> Session:
        if self._session is None:
            raise RuntimeError("unit of work used outside its 'with' block")
        return self._session

    def __enter__(self) -> UnitOfWork:
        self._session = self.db.session(read_only=self.read_only)
        self._session.begin()
        return self

    def commit(self) -> None:
        if self.read_only:
            raise RuntimeError("read-only unit of work cannot commit")
        _flush_updates(self.session)
        self.session.flush()
        tables = written.take(self.session.connection().info)
        if self.before_commit is not None:
            self.before_commit(tables)
        self.session.commit()
        self.written = tables
        self.committed = True

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        assert self._session is not None
        try:
            if not self.committed:
                self._session.rollback()
        finally:
            self._session.close()
            self._session = None
            self.cache.clear()
