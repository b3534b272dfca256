"""Open a store: its database (``pos_app.db.opening``: there or created, its owner lock, migrated) and the
service context around it, carrying the start-up registry (``pos_app.bootstrap``).

Who may open the store at the same time is decided in ``pos_app.db.opening`` (docs/store-file-safety.md): the
counter app holds it exclusively (``owner="app"``), each ``pos-app`` command shares it with other commands
(``owner="command"``), and tests and tools that pass no owner take no lock."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from pos_app import bootstrap
from pos_app.db.opening import COMMAND_WAIT_S, StoreMissing, StorePathInvalid, open_database
from pos_app.services.context import ServiceContext
from pos_app.services.registry import Feature

__all__ = ["COMMAND_WAIT_S", "StoreMissing", "StorePathInvalid", "open_store"]


def open_store(
    db: str | Path,
    *,
    migrate_now: bool = True,
    create: bool = True,
    owner: str | None = None,
    wait_s: float = COMMAND_WAIT_S,
    features: Sequence[Feature] | None = None,
) -> ServiceContext:
    """Open (and with ``create``, make) the store at ``db``.

    ``create=False`` refuses a file that is not there (a mistyped ``--db`` must not make a new, empty store).
    ``owner`` takes the store's lock (``"app"`` or ``"command"``) before SQLite opens the file, and keeps it
    until ``ctx.db.dispose()``. The store settings this computer sets are read here
    (``services.store_settings.load_local_overrides``): a value its check refuses is refused before anything
    opens. The context carries the start-up registry (``pos_app.bootstrap``; built from ``features`` when
    given): a feature set missing a required handler fails here."""
    from pos_app.services.store_settings import load_local_overrides  # noqa: PLC0415

    registry = bootstrap.registry(features)
    load_local_overrides()  # this computer's store settings (env, config [store]): a bad one refused here, its key named
    database = open_database(db, migrate_now=migrate_now, create=create, owner=owner, wait_s=wait_s)
    return ServiceContext(database, registry)
