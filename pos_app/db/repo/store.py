"""The store's own row (store code, device id, time zone, settings) and small key-value state."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from pos_app.db import memo
from pos_app.db import models as m
from pos_app.db.repo.base import run, table

_S = table(m.StoreInfo)
_SETTINGS_FACT = "store.settings"
_SETTINGS_TABLES = frozenset({"store_info"})
_SETTINGS = select(_S.c.settings_json, _S.c.store_code, _S.c.name, _S.c.device_id, _S.c.timezone).where(_S.c.id == 1)


def settings_row(session: Session) -> tuple[str | None, str, str, str, str] | None:
    """(settings_json, store_code, name, device_id, timezone) of this store; None before ``init``. A plain
    read: it never flushes the transaction's pending changes (known on the connection until the store row
    is written: :mod:`pos_app.db.memo`)."""
    known = memo.recall(session, _SETTINGS_FACT)
    if known is not memo.UNKNOWN:
        return known  # type: ignore[no-any-return]
    row = run(session, _SETTINGS).first()
    found = None if row is None else (row[0], row[1], row[2], row[3], row[4])
    memo.learn(session, _SETTINGS_FACT, found, _SETTINGS_TABLES)
    return found


def info(session: Session) -> m.StoreInfo | None:
    """The store row as an ORM object (to change it)."""
    return session.get(m.StoreInfo, 1)
