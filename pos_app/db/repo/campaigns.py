"""Campaign reads on the hot path."""

from __future__ import annotations

from datetime import date

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from pos_app.db import models as m
from pos_app.db.repo.base import run, table

_C = table(m.Campaign)
_RUNNING = select(_C.c.rules_json).where(_C.c.starts_on <= bindparam("day"), _C.c.ends_on >= bindparam("day"))


def running_rules(session: Session, today: date) -> list[str]:
    """The rules JSON of every campaign whose window contains ``today`` (a plain read)."""
    return list(run(session, _RUNNING, {"day": today}).scalars())
