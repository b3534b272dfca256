"""What every central service shares: its error, the clock, ids, time formats, and the change buffer a
writing transaction fills and closes with numbers taken from the counter row."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from pos_app.central import db_repo as repo
from pos_app.domain.ids import uuid7


class CentralError(Exception):
    """A refusal: ``status`` (HTTP), ``code`` (the wire's ``error``), a one-line English message."""

    def __init__(self, status: int, code: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.extra = extra


def now_ms() -> int:
    return int(time.time() * 1000)


def new_id() -> str:
    return uuid7(datetime.now(UTC))


def iso(ms: int | None) -> str | None:
    if ms is None:
        return None
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


@dataclass
class ChangeBuffer:
    """Changes a transaction produces; :meth:`flush` numbers them from the counter row (taken last, so the
    row lock is held only for the end of the transaction) and writes them."""

    rows: list[dict[str, Any]] = field(default_factory=list)

    def add(self, kind: str, key: str, data: dict[str, Any], *, store_code: str | None,
            audience: str | None = None, skip_store: str | None = None) -> None:
        self.rows.append({"kind": kind, "key": key, "store_code": store_code, "audience": audience,
                          "skip_store": skip_store, "data_json": dumps(data)})

    def flush(self, s: Session) -> None:
        if not self.rows:
            return
        last = repo.take_numbers(s, len(self.rows))
        first = last - len(self.rows) + 1
        stamp = now_ms()
        for i, row in enumerate(self.rows):
            row["change_no"] = first + i
            row["created_ms"] = stamp
        repo.add_changes(s, self.rows)
        self.rows = []
