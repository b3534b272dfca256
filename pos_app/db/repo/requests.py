"""The request log: a request id is done once; a repeat returns the first result."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from pos_app.db import models as m
from pos_app.db.repo.base import append, run, table

_R = table(m.RequestLog)
_FIND = select(_R.c.use_case, _R.c.params_hash, _R.c.ref_id).where(_R.c.request_id == bindparam("rid"))


def find(session: Session, request_id: str) -> tuple[str, str, str] | None:
    """(use case, params hash, ref id) of a request already done, else None (a plain read)."""
    row = run(session, _FIND, {"rid": request_id}).first()
    return None if row is None else (row[0], row[1], row[2])


def add(session: Session, values: Mapping[str, Any]) -> None:
    append(session, m.RequestLog, [values])
