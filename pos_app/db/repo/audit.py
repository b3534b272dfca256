"""The audit trail's rows: the chain's last link, appending a row, streaming the chain in order."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from sqlalchemy import Text, select, type_coerce
from sqlalchemy.orm import Session

from pos_app.db import memo
from pos_app.db import models as m
from pos_app.db.repo.base import append, run, table

_A = table(m.AuditLog)
_HEAD = "audit.head"
_TABLES = frozenset({"audit_log"})
_LAST = select(_A.c.seq, _A.c.hash).order_by(_A.c.seq.desc()).limit(1)


def last_link(session: Session) -> tuple[int, str] | None:
    """(seq, hash) of the newest row, None for an empty trail (a plain read; known on the connection
    while this process is the trail's only writer: :mod:`pos_app.db.memo`)."""
    known = memo.recall(session, _HEAD)
    if known is not memo.UNKNOWN:
        return known  # type: ignore[no-any-return]
    row = run(session, _LAST).first()
    found = None if row is None else (int(row[0]), str(row[1]))
    memo.learn(session, _HEAD, found, _TABLES)
    return found


def add(session: Session, values: Mapping[str, Any]) -> None:
    """Append a row. When it follows the head known so far (a higher seq), it is the new head."""
    head = memo.recall(session, _HEAD)
    append(session, m.AuditLog, [values])
    if head is not memo.UNKNOWN and (head is None or values["seq"] > head[0]):
        memo.learn(session, _HEAD, (int(values["seq"]), str(values["hash"])), _TABLES)


def chain_rows(session: Session, fields: Sequence[str], batch: int) -> Iterator[Sequence[Any]]:
    """Every row's ``fields`` then ``hash``, in (seq, id) order, streamed ``batch`` rows at a time. ``at``
    comes back as the text SQLite stores (what was hashed), not parsed into a datetime."""
    cols = [type_coerce(_A.c[f], Text()).label(f) if f == "at" else _A.c[f] for f in fields]
    stmt = select(*cols, _A.c.hash).order_by(_A.c.seq, _A.c.id).execution_options(yield_per=batch)
    for part in run(session, stmt).partitions():
        yield from part
