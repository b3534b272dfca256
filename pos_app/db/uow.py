"""Unit of work: one use case = one transaction. Everything is written, or nothing.

A writing transaction has at most one outbox event (DESIGN.md: one use case = one event): the use case
names it once (:meth:`UnitOfWork.set_event`), feature code adds the facts it produced to it
(:meth:`UnitOfWork.add_facts`: the coupons a recharge issued, a referral it qualified...), and the one
outbox row is written just before the commit, with the next gap-free per-device sequence number (safe:
every write transaction holds SQLite's write lock from its first statement, BEGIN IMMEDIATE)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.orm import Session

from pos_app.db import memo, repo, written
from pos_app.db.engine import Database


class EventError(RuntimeError):
    """A programming error: a second event in one transaction, or facts no event carries."""


@dataclass
class PendingEvent:
    event_id: str
    device_id: str
    type: str
    occurred_at: Any
    payload: dict[str, Any]
    facts: dict[str, list[Any]] = field(default_factory=dict)

    def body(self) -> dict[str, Any]:
        clash = set(self.facts) & set(self.payload)
        if clash:
            raise EventError(f"event {self.type}: facts {sorted(clash)} would overwrite its payload")
        return {**self.payload, **self.facts}


def event_json(payload: dict[str, Any]) -> str:
    return json.dumps(payload, default=str, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


class UnitOfWork:
    def __init__(
        self,
        db: Database,
        read_only: bool = False,
        before_commit: Callable[[frozenset[str], str | None], None] | None = None,
    ) -> None:
        self.db = db
        self.read_only = read_only
        #: called with the tables the transaction wrote and its event type, just before COMMIT (may refuse by raising)
        self.before_commit = before_commit
        self._session: Session | None = None
        #: a read-only unit of work's one connection (its read transaction); its session is made on it when used
        self._conn: Connection | None = None
        self.committed = False
        #: per-transaction memo (e.g. the store row, which the session's weak identity map would drop)
        self.cache: dict[str, Any] = {}
        #: the transaction's one outbox event, once the use case named it
        self.event: PendingEvent | None = None
        self._facts: dict[str, list[Any]] = {}

    @property
    def session(self) -> Session:
        """The transaction's ORM session. A read-only unit of work makes it on first use, on its connection
        (a read that needs no ORM object, :attr:`connection`, never pays for one)."""
        if self._session is None:
            if self._conn is None:
                raise RuntimeError("unit of work used outside its 'with' block")
            self._session = self.db.read_sessions(bind=self._conn)
        return self._session

    @property
    def connection(self) -> Connection:
        """The transaction's connection, for Core reads: no session, no identity map, nothing flushed."""
        if self._conn is not None:
            return self._conn
        return self.session.connection()

    def __enter__(self) -> UnitOfWork:
        if self.read_only:  # one connection checked out, one read transaction begun (WAL: never waits)
            self._conn = self.db.read_engine.connect()
            self._conn.begin()
            return self
        self._session = self.db.session()
        self._session.begin()
        return self

    def set_event(self, event: PendingEvent) -> None:
        """The use case's event (once per transaction: a second one is a loud error)."""
        if self.read_only:
            raise EventError("a read-only unit of work writes no event")
        if self.event is not None:
            raise EventError(f"two events in one transaction: {self.event.type} and {event.type}")
        self.event = event

    def add_facts(self, key: str, facts: list[Any]) -> None:
        """Facts a feature module produced in this transaction (``key``: coupons, referral...), carried by
        the transaction's one event under ``key``."""
        self._facts.setdefault(key, []).extend(facts)

    def _write_event(self) -> None:
        ev = self.event
        if ev is None:
            if any(self._facts.values()):
                raise EventError(f"facts {sorted(self._facts)} but no event in this transaction")
            return
        ev.facts = {k: v for k, v in self._facts.items() if v}
        body = event_json(ev.body())
        repo.outbox.add(self.session, dict(
            seq=repo.outbox.last_seq(self.session) + 1, event_id=ev.event_id, device_id=ev.device_id, type=ev.type,
            occurred_at=ev.occurred_at, payload_json=body, payload_hash=hashlib.sha256(body.encode()).hexdigest(),
        ))

    def commit(self) -> None:
        if self.read_only:
            raise RuntimeError("read-only unit of work cannot commit")
        self._write_event()
        self.session.flush()
        conn = self.session.connection()
        counts = written.counts(conn.info)
        tables = written.take(conn.info)
        if self.before_commit is not None:
            self.before_commit(tables, self.event.type if self.event is not None else None)
        memo.committing(self.session, counts, conn.connection.driver_connection)
        try:
            self.session.commit()
        except BaseException:
            memo.commit_failed(conn.info)
            raise
        self.committed = True

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._conn is not None:
            self._end_read()
            return
        assert self._session is not None
        try:
            if not self.committed:
                memo.ended(self._session)
                self._session.rollback()
        finally:
            self._session.close()
            self._session = None
            self.cache.clear()
            self.event = None
            self._facts = {}

    def _end_read(self) -> None:
        """A read-only unit of work ends: what its session learnt is kept (:func:`memo.ended`), then the
        connection goes back to the pool, which ends the read transaction."""
        conn, session = self._conn, self._session
        self._conn = self._session = None
        self.cache.clear()
        try:
            if session is not None:
                memo.ended(session)
                session.close()
        finally:
            assert conn is not None
            conn.close()
