"""SQLite store files below the ORM: which file a store address names, a file's own integrity check, and a
WAL checkpoint on a store's engine. The services that back up, restore and open stores use these; nothing
outside db/ speaks PRAGMA to a file of its own."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from pos_app.db.engine import to_url


def sqlite_path(db: str | Path) -> Path | None:
    """The file behind a store address, or None for a server URL or an in-memory database."""
    url = to_url(db)
    if not url.startswith("sqlite:///") or url in ("sqlite:///:memory:",):
        return None
    return Path(url.removeprefix("sqlite:///"))


def integrity_check(path: Path) -> list[str]:
    """``PRAGMA integrity_check`` on a fresh read-only connection to a file (``["ok"]`` when whole)."""
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return [str(r[0]) for r in conn.execute("PRAGMA integrity_check").fetchall()]
    finally:
        conn.close()


def checkpoint(engine: Any, *, leave_wal: bool = False) -> None:
    """Copy the WAL into the database file (outside any transaction: on the driver connection); with
    ``leave_wal``, also switch the file out of WAL mode so it is one self-contained file."""
    raw = engine.raw_connection()
    try:
        conn = raw.driver_connection
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        if leave_wal:
            conn.execute("PRAGMA journal_mode=DELETE").fetchall()
    finally:
        raw.close()


def copy_live(engine: Any, dest: Path) -> None:
    """Copy the store behind ``engine`` into ``dest`` (an empty file) with SQLite's online backup API, as one
    self-contained file (journal mode DELETE: no WAL beside it). Raises ``sqlite3.Error``."""
    dst = sqlite3.connect(dest)
    try:
        raw = engine.raw_connection()  # a pooled connection of the store: SQLite reads the file
        try:
            source: Any = raw.driver_connection  # the sqlite3 connection SQLAlchemy opened
            source.backup(dst)
        finally:
            raw.close()
        dst.execute("PRAGMA journal_mode=DELETE")
    finally:
        dst.close()


def copy_file(source: Path, dest: Path) -> tuple[list[str], tuple[str, ...]]:
    """Copy the store file ``source`` into ``dest`` (an empty file) with SQLite's backup API, read-only (with
    its WAL when one lies beside it, else as an immutable file: no lock, no shm made beside it). Returns the
    copy's integrity check and the schema revisions it records (empty when it has none). Raises
    ``sqlite3.DatabaseError`` for a file that is not a database."""
    with_wal = Path(f"{source}-wal").is_file()
    src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro{'' if with_wal else '&immutable=1'}", uri=True)
    try:
        dst = sqlite3.connect(dest)
        try:
            src.backup(dst)
            dst.execute("PRAGMA journal_mode=DELETE")
            check = [str(r[0]) for r in dst.execute("PRAGMA integrity_check").fetchall()]
            if check != ["ok"]:
                return check, ()
            try:
                revs = tuple(sorted(str(r[0]) for r in dst.execute("SELECT version_num FROM alembic_version")))
            except sqlite3.OperationalError:
                revs = ()
            return check, revs
        finally:
            dst.close()
    finally:
        src.close()
