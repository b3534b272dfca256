"""The outbox: events for the central server in a gap-free per-device sequence."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pos_app.db import models as m
from pos_app.db.repo.base import append, run, table

_O = table(m.Outbox)
_LAST = select(func.max(_O.c.seq))


def last_seq(session: Session) -> int:
    """The highest sequence number written so far (0 for none)."""
    return int(run(session, _LAST).scalar() or 0)


def add(session: Session, row: Mapping[str, Any]) -> None:
    append(session, m.Outbox, [row])
