"""Open a store database: check it is there (or create it), take its owner lock, migrate it.

Who may open the store at the same time is decided here (docs/store-file-safety.md): the counter app
holds it exclusively (``owner="app"``), each ``pos-app`` command shares it with other commands
(``owner="command"``), and tests and tools that pass no owner take no lock. ``pos_app.app.open_store`` puts
the start-up registry beside the database (a service context); services that open a store file of their own
(restore) use :func:`open_database` with ``pos_app.bootstrap.service_context``."""

from __future__ import annotations

import os
from pathlib import Path

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
        if migrate_now:
            migrate.upgrade(database)
    except BaseException:
        if database is not None:
            database.dispose()  # its connections (a file system is not left busy), then the lock
        elif lock is not None:
            lock.release()
        raise
    return database
