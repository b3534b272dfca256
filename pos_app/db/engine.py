"""Engine and session setup.

SQLite: WAL, foreign_keys=ON, synchronous=FULL, a busy timeout, and ``BEGIN IMMEDIATE`` for every
write transaction (one writer; a use case never fails half-way on a lock upgrade). Read-only units of
work begin DEFERRED so they never block the writer.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from pos_app.db import memo, written
from pos_app.db.storelock import StoreFolderReadOnly, StoreLock, WalGuard
from pos_app.domain.errors import DomainError

#: how long a write waits for another process's write before it gives up and says so (POS_BUSY_TIMEOUT_S)
BUSY_TIMEOUT_MS = 5_000


class StoreWriteBusy(DomainError):
    """Another process kept the store's write lock for longer than the busy timeout."""

    key = "store.write_busy"


#: SQLite's extended result code for "the WAL index could not be grown" (the disk is full); the sqlite3
#: module names the primary codes only
SQLITE_IOERR_SHMSIZE = 4874


class StoreReadOnly(DomainError):
    """SQLite may not write the store file (a read-only file, folder or file system): reads go on."""

    key = "store.read_only"


class StoreDiskFull(DomainError):
    """The disk (or the file system the store is on) is full: the transaction was rolled back whole."""

    key = "store.disk_full"


#: what keeps a write from happening now without anything being wrong with the store: a login's note of its
#: time skips its write on these, and every other writer refuses with the error's one translated line
CANNOT_WRITE: tuple[type[DomainError], ...] = (StoreWriteBusy, StoreReadOnly, StoreDiskFull)


def not_writable(exc: BaseException, db: object) -> DomainError | None:
    """The refusal for a SQLite error that says the store cannot be written (a read-only file or folder, a full
    disk), else None."""
    code = getattr(getattr(exc, "orig", None) or exc, "sqlite_errorcode", None)
    if not isinstance(code, int):
        return None
    primary = code & 0xFF  # extended result codes carry the primary one in the low byte
    if primary == sqlite3.SQLITE_CANTOPEN:  # the file is there (checked before): its -wal/-shm cannot be made
        return StoreFolderReadOnly(db=str(db))
    if primary == sqlite3.SQLITE_READONLY:
        return StoreReadOnly(db=str(db))
    if primary == sqlite3.SQLITE_FULL or code == SQLITE_IOERR_SHMSIZE:  # no room left for SQLite's WAL index
        return StoreDiskFull(db=str(db))
    return None


def busy_timeout_ms() -> int:
    text = os.environ.get("POS_BUSY_TIMEOUT_S", "").strip()
    try:
        seconds = float(text) if text else BUSY_TIMEOUT_MS / 1000
    except ValueError:
        seconds = BUSY_TIMEOUT_MS / 1000
    return int(min(max(seconds, 0.0), 600.0) * 1000)


def to_url(db: str | Path) -> str:
    text = str(db)
    if "://" in text:
        return text
    return f"sqlite:///{Path(text).expanduser().resolve()}"


def _install_sqlite_pragmas(engine: Engine, guard: WalGuard | None, timeout_ms: int, db: object) -> None:
    @event.listens_for(engine, "handle_error")
    def _on_error(context: Any) -> None:
        refusal = not_writable(context.original_exception, db)
        if refusal is not None:  # one translated line for the user, not a driver error
            raise refusal from None

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        try:
            cur.execute(f"PRAGMA busy_timeout={timeout_ms}")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=FULL")
        except sqlite3.Error as exc:
            refusal = not_writable(exc, db)
            if refusal is not None:
                raise refusal from None
            raise
        finally:
            cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # straight to the driver: a full statement execution here costs more than the BEGIN itself
        raw = conn.connection.driver_connection
        if conn.get_execution_options().get("pos_read_only"):
            raw.execute("BEGIN")  # WAL: readers never wait for the writer
            memo.on_begin(conn.info, raw)
            return
        if guard is not None:
            try:
                guard.before_write(conn.info)
            except DomainError:
                conn.invalidate()  # this connection's files are gone: the next one opens the store afresh
                raise
        try:
            raw.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                raise StoreWriteBusy(seconds=timeout_ms // 1000) from None
            refusal = not_writable(exc, db)
            if refusal is not None:
                raise refusal from None
            raise
        if guard is not None:
            guard.after_begin(conn.info)
        memo.on_begin(conn.info, raw)  # what the connection knew holds only if nothing was committed since


class Database:
    """One store database: a writer engine, a read-only view of it, and their session factories."""

    def __init__(self, db: str | Path, *, echo: bool = False, lock: StoreLock | None = None) -> None:
        self.url = to_url(db)
        self.is_sqlite = self.url.startswith("sqlite")
        #: the store file's owner lock (held by the app or a command; None in tests and tools)
        self.lock = lock
        self.guard: WalGuard | None = None
        kwargs: dict[str, Any] = {"echo": echo}
        timeout_ms = busy_timeout_ms()
        if self.is_sqlite:
            kwargs["connect_args"] = {"timeout": timeout_ms / 1000, "check_same_thread": False}
            if self.url not in ("sqlite://", "sqlite:///:memory:"):
                self.guard = WalGuard(Path(self.url.removeprefix("sqlite:///")), lock)
        else:
            kwargs["pool_pre_ping"] = True
        self.engine = create_engine(self.url, **kwargs)
        written.track(self.engine)  # which tables each transaction writes: the use case's Changes
        if self.is_sqlite:
            _install_sqlite_pragmas(self.engine, self.guard, timeout_ms, self.path or self.url)
            self.read_engine = self.engine.execution_options(pos_read_only=True)
        else:
            self.engine = self.engine.execution_options(isolation_level="SERIALIZABLE")
            self.read_engine = self.engine.execution_options(isolation_level="REPEATABLE READ")
        self.write_sessions = sessionmaker(bind=self.engine, expire_on_commit=False, autoflush=True)
        self.read_sessions = sessionmaker(bind=self.read_engine, expire_on_commit=False)

    def session(self, read_only: bool = False) -> Session:
        return (self.read_sessions if read_only else self.write_sessions)()

    @property
    def path(self) -> Path | None:
        if not self.is_sqlite:
            return None
        return Path(self.url.removeprefix("sqlite:///"))

    def dispose(self) -> None:
        """Close every connection, then let go of the store file (the lock goes last)."""
        self.engine.dispose()
        if self.lock is not None:
            self.lock.release()
