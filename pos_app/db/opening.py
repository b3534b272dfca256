"""Open a store database: check it is there (or create it), take its owner lock, migrate it.

Who may open the store at the same time is decided here (docs/store-file-safety.md): the counter app
holds it exclusively (``owner="app"``), each ``pos-app`` command shares it with other commands
(``owner="command"``), and tests and tools that pass no owner take no lock. ``pos_app.app.open_store`` puts
the start-up registry beside the database (a service context); services that open a store file of their own
(restore) use :func:`open_database` with ``pos_app.bootstrap.service_context``."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy.exc import DBAPIError

from pos_app.db import migrate
from pos_app.db.engine import Database
from pos_app.db.sqlitefile import sqlite_path
from pos_app.db.storelock import StoreLock
from pos_app.domain.errors import DomainError

#: how long a command waits for the app to finish starting or for another command's exclusive step
COMMAND_WAIT_S = 2.0


class StoreMissing(DomainError):
    key = "store.missing"


class StorePathInvalid(DomainError):
    key = "store.path_invalid"


class StoreUnreadable(DomainError):
    """The store file is there but is no store SQLite can read (garbage, damaged, cut short, empty). Nothing
    was written to it: the message names the file and what to do (restore a backup)."""

    key = "store.damaged"


#: SQLite's primary result codes for a file that is not a database or whose pages are damaged
_SQLITE_CORRUPT, _SQLITE_NOTADB = 11, 26


def open_database(
    db: str | Path,
    *,
    migrate_now: bool = True,
    create: bool = True,
    owner: str | None = None,
    wait_s: float = COMMAND_WAIT_S,
) -> Database:
    """Open (and with ``create``, make) the store database at ``db``.

    ``create=False`` refuses a file that is not there (a mistyped ``--db`` must not make a new, empty store).
    ``owner`` takes the store's lock (``"app"`` or ``"command"``) before SQLite opens the file, and keeps it
    until ``dispose()``. ``migrate_now`` brings the schema to the current revision."""
    if not str(db).strip():
        raise StorePathInvalid(db=str(db))
    path = sqlite_path(db)
    lock: StoreLock | None = None
    if path is not None:
        if path.is_dir():
            raise StorePathInvalid(db=str(path))
        if path.exists() and not create and path.stat().st_size == 0:
            # a store file cut to nothing (a failed copy, a full disk) is not taken for a new store
            raise StoreUnreadable("store.empty", db=str(path))
        for existing in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            if existing.exists():
                _owner_only(existing)
        if not path.exists():
            if not create:
                raise StoreMissing(db=str(path))
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            # an empty file is a new SQLite database; made owner-only, SQLite gives its WAL and shm the same mode
            try:
                os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
            except FileExistsError:
                pass  # another process made it a moment ago
        if owner is not None:
            lock = StoreLock(path, owner).acquire(wait_s=wait_s)
    database: Database | None = None
    try:
        database = Database(db, lock=lock)
        if path is not None:
            _check_readable(database)
        if migrate_now:
            migrate.upgrade(database)
    except DBAPIError as exc:
        _release(database, lock)
        code = getattr(exc.orig, "sqlite_errorcode", None)
        if path is not None and code is not None and code & 0xFF in (_SQLITE_CORRUPT, _SQLITE_NOTADB):
            if code & 0xFF == _SQLITE_NOTADB:
                raise StoreUnreadable("store.not_database", db=str(path)) from None
            raise StoreUnreadable("store.damaged", db=str(path)) from None
        raise
    except BaseException:
        _release(database, lock)
        raise
    return database


def _release(database: Database | None, lock: StoreLock | None) -> None:
    """A failed open lets go of everything: the connections (a file system is not left busy), then the lock."""
    if database is not None:
        database.dispose()  # its lock is ``lock``, released last
    elif lock is not None:
        lock.release()


def _owner_only(path: Path) -> None:
    """An existing store file keeps no permission for others (an older version made it 0644): group and
    other bits are dropped, the owner's are kept (a read-only file stays read-only)."""
    try:
        mode = path.stat().st_mode & 0o777
        if mode & 0o077:
            os.chmod(path, mode & 0o700)
    except OSError:
        pass  # not ours to change (another owner, a read-only mount): SQLite decides whether it can be read


def _check_readable(database: Database) -> None:
    """Read the schema: SQLite reports a file that is not a database, and one cut short or damaged (its
    header counts pages the file does not have, or the schema's pages are not b-tree pages)."""
    with database.read_engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA page_count").scalar()
        conn.exec_driver_sql("SELECT count(*) FROM sqlite_master").scalar()
