"""Engine and session setup.

SQLite: WAL, foreign_keys=ON, synchronous=FULL, a busy timeout, and ``BEGIN IMMEDIATE`` for every
write transaction (one writer; a use case never fails half-way on a lock upgrade). Read-only units of
work begin DEFERRED so they never block the writer.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

BUSY_TIMEOUT_MS = 30_000


def to_url(db: str | Path) -> str:
    text = str(db)
    if "://" in text:
        return text
    return f"sqlite:///{Path(text).expanduser().resolve()}"


def _install_sqlite_pragmas(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=FULL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # straight to the driver: a full statement execution here costs more than the BEGIN itself
        raw = conn.connection.driver_connection
        raw.execute("BEGIN" if conn.get_execution_options().get("pos_read_only") else "BEGIN IMMEDIATE")


class Database:
    """One store database: a writer engine, a read-only view of it, and their session factories."""

    def __init__(self, db: str | Path, *, echo: bool = False) -> None:
        self.url = to_url(db)
        self.is_sqlite = self.url.startswith("sqlite")
        kwargs: dict[str, Any] = {"echo": echo}
        if self.is_sqlite:
            kwargs["connect_args"] = {"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False}
            if self.url not in ("sqlite://", "sqlite:///:memory:"):
                Path(self.url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        else:
            kwargs["pool_pre_ping"] = True
        self.engine = create_engine(self.url, **kwargs)
        if self.is_sqlite:
            _install_sqlite_pragmas(self.engine)
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
        self.engine.dispose()
