"""Typed parameters of user-facing messages, and message references stored instead of sentences.

A message's parameter is shown by its TYPE, never by its name: ``Money(4000)`` reads ``¥40.00``,
``Count(40)`` and a plain ``int`` read ``40``, ``Day(date)`` reads ``2026-03-01``, ``Term("term.role.cashier")``
is itself a message id shown in the reader's language. ``pos_app.messages.translate`` does the showing.

The database stores facts and message ids, never translated sentences: :func:`message_ref` turns a message id
and its parameters into a short text a column can hold (a spend's note, for instance) and
:func:`parse_message_ref` gives them back, so the text is translated when it is shown, in the language of
whoever reads it. A reference starts with a control character, which free text a person types can never hold
(``domain.text.clean_text`` refuses it), so a typed note is never mistaken for a reference.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any


class Money(int):
    """An amount of money in fen, shown as yuan (``¥1,234.50``). Still an ``int`` for arithmetic and JSON."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"Money({int(self)})"

    def __str__(self) -> str:  # the plain number (the repr above would otherwise be str() and format())
        return int.__repr__(self)


class Count(int):
    """A count or a length (characters, rows, items): shown as a plain whole number."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"Count({int(self)})"

    def __str__(self) -> str:  # the plain number (the repr above would otherwise be str() and format())
        return int.__repr__(self)


@dataclass(frozen=True, slots=True)
class Day:
    """A calendar day, shown in ISO form (``2026-03-01``)."""

    day: date

    def __str__(self) -> str:
        return self.day.isoformat()


@dataclass(frozen=True, slots=True)
class Term:
    """A word or phrase that is itself a message id (a role, a field's name), shown in the reader's language;
    ``fallback`` is shown when no catalogue has the id (a field name that has no translation)."""

    key: str
    fallback: str | None = None

    def __str__(self) -> str:
        return self.key


#: the mark a stored message reference starts with (ASCII record separator: never in typed free text)
REF_MARK = "\x1e"

#: the params a reference may carry: plain values only (what JSON holds), plus Money and Count, kept as typed
_TYPED = {"money": Money, "count": Count}


def _plain(value: Any) -> Any:
    if isinstance(value, Money):
        return {"money": int(value)}
    if isinstance(value, Count):
        return {"count": int(value)}
    if isinstance(value, Day):
        return value.day.isoformat()
    if isinstance(value, Term):
        return {"term": [value.key, value.fallback]}
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise TypeError(f"a stored message parameter must be plain, not {type(value).__name__}")


def _typed(value: Any) -> Any:
    if isinstance(value, dict) and len(value) == 1:
        ((kind, raw),) = value.items()
        if kind in _TYPED and isinstance(raw, int):
            return _TYPED[kind](raw)
        if kind == "term" and isinstance(raw, list) and len(raw) == 2 and isinstance(raw[0], str):
            return Term(raw[0], raw[1] if isinstance(raw[1], str) else None)
    return value


def message_ref(key: str, **params: Any) -> str:
    """A message id with its parameters, as a text to store (translated only when shown)."""
    body = json.dumps({k: _plain(v) for k, v in params.items()}, ensure_ascii=False, sort_keys=True,
                      separators=(",", ":"))
    return f"{REF_MARK}{key}{REF_MARK}{body}"


def parse_message_ref(text: str | None) -> tuple[str, dict[str, Any]] | None:
    """``(key, params)`` when ``text`` is a stored :func:`message_ref`, else None (plain text, e.g. typed)."""
    if not text or not text.startswith(REF_MARK):
        return None
    key, sep, body = text[1:].partition(REF_MARK)
    if not sep or not key:
        return None
    try:
        raw = json.loads(body)
    except ValueError:
        return None
    if not isinstance(raw, dict):
        return None
    return key, {str(k): _typed(v) for k, v in raw.items()}
