"""Open a store database: create/migrate it and build the service context."""

from __future__ import annotations

from pathlib import Path

from pos_app.db import migrate
from pos_app.db.engine import Database
from pos_app.services.context import ServiceContext


def open_store(db: str | Path, *, migrate_now: bool = True) -> ServiceContext:
    database = Database(db)
    if migrate_now:
        migrate.upgrade(database)
    return ServiceContext(database)
