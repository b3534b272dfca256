"""Counting the SQL statements a use case sends (a figure that does not depend on the machine's load): a
SQLAlchemy ``before_cursor_execute`` listener on the store's engine, attached by the benchmark only."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event


class Statements:
    """Statements seen while attached, by their first word (SELECT, INSERT, UPDATE...), and rows executemany
    sent."""

    def __init__(self) -> None:
        self.by_kind: Counter[str] = Counter()
        self.texts: Counter[str] = Counter()

    def seen(self, _conn: Any, _cursor: Any, statement: str, _params: Any, _context: Any, executemany: bool) -> None:
        kind = statement.lstrip().split(None, 1)[0].upper() if statement.strip() else "?"
        self.by_kind[kind] += 1
        self.texts[" ".join(statement.split())[:160]] += 1

    @property
    def total(self) -> int:
        return sum(self.by_kind.values())


@contextmanager
def counting(engine: Any) -> Iterator[Statements]:
    st = Statements()
    fn: Callable[..., None] = st.seen
    event.listen(engine, "before_cursor_execute", fn)
    try:
        yield st
    finally:
        event.remove(engine, "before_cursor_execute", fn)


def per_call(st: Statements, calls: int) -> dict[str, Any]:
    """Statements per call, in all and by kind (BEGIN/COMMIT are not cursor statements: not counted)."""
    return {"statements_per_call": round(st.total / calls, 2),
            "by_kind_per_call": {k: round(v / calls, 2) for k, v in sorted(st.by_kind.items())}}
