"""Campaign reads on the hot path."""

from __future__ import annotations

from datetime import date

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from pos_app.db import memo
from pos_app.db import models as m
from pos_app.db.repo.base import run, table

_C = table(m.Campaign)
_TABLES = frozenset({"campaign"})
_RUNNING = select(_C.c.rules_json).where(_C.c.starts_on <= bindparam("day"), _C.c.ends_on >= bindparam("day"))


def running_rules(session: Session, today: date) -> list[str]:
    """The rules JSON of every campaign whose window contains ``today`` (a plain read; known on the
    connection until a campaign is written: :mod:`pos_app.db.memo`)."""
    key = ("campaign.running", today)
    known = memo.recall(session, key)
    if known is memo.UNKNOWN:
        known = tuple(run(session, _RUNNING, {"day": today}).scalars())
        memo.learn(session, key, known, _TABLES)
    return list(known)
