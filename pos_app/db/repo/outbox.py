"""The outbox: events for the central server in a gap-free per-device sequence."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pos_app.db import memo
from pos_app.db import models as m
from pos_app.db.repo.base import append, run, table

_O = table(m.Outbox)
_SEQ = "outbox.last_seq"
_TABLES = frozenset({"outbox"})
_LAST = select(func.max(_O.c.seq))


def last_seq(session: Session) -> int:
    """The highest sequence number written so far (0 for none; known on the connection while this
    process is the outbox's only writer: :mod:`pos_app.db.memo`)."""
    known = memo.recall(session, _SEQ)
    if known is memo.UNKNOWN:
        known = int(run(session, _LAST).scalar() or 0)
        memo.learn(session, _SEQ, known, _TABLES)
    return int(known)


def add(session: Session, row: Mapping[str, Any]) -> None:
    """Append an event. When it follows the last sequence number known so far, it is the new last."""
    last = memo.recall(session, _SEQ)
    append(session, m.Outbox, [row])
    if last is not memo.UNKNOWN and row["seq"] > last:
        memo.learn(session, _SEQ, int(row["seq"]), _TABLES)
