"""Free text a person types (names, notes, reasons): one rule for every service that stores it.

Refused, never stripped silently: control and format characters (ESC, BEL, RTL marks and every other
Unicode Cc/Cf character, which would redraw or reorder a terminal or a receipt), text that is not
valid Unicode (undecodable bytes from a terminal in another encoding arrive as lone surrogates), and
text longer than :data:`MAX_TEXT_LEN`. Runs of white space become one space.
"""

from __future__ import annotations

import unicodedata

from pos_app.domain.errors import InvalidInput
from pos_app.domain.textparams import Term

#: the one length limit for a note or a reason, in characters (names have their own, shorter one)
MAX_TEXT_LEN = 200

#: general categories refused in free text: control, format, surrogate, private use, unassigned
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})


def bad_character(text: str) -> str | None:
    """The first character of ``text`` that free text may not hold, shown as U+XXXX; None if all are fine.
    Plain white space (space, tab, new line) is allowed here: :func:`clean_text` folds it."""
    for ch in text:
        if ch in " \t\r\n":
            continue
        if unicodedata.category(ch) in _REFUSED_CATEGORIES:
            return f"U+{ord(ch):04X}"
    return None


def clean_text(
    text: str | None, *, field: str, max_chars: int = MAX_TEXT_LEN, required: bool = False
) -> str | None:
    """Validate one free-text value. Returns it with white space folded, or None when empty and not
    ``required``. Refusals: ``text.required``, ``text.bad_character``, ``text.too_long``."""
    raw = "" if text is None else str(text)
    named = Term(f"term.field.{field}", field)  # the field's name, in the reader's language
    bad = bad_character(raw)
    if bad is not None:
        raise InvalidInput("text.bad_character", field=named, char=bad)
    folded = " ".join(raw.split())
    if not folded:
        if required:
            raise InvalidInput("text.required", field=named)
        return None
    if len(folded) > max_chars:
        raise InvalidInput("text.too_long", field=named, max_chars=max_chars)
    return folded


#: the longest a value a person typed is quoted back in a message (the rest is cut: "…")
MAX_QUOTED_LEN = 200

#: shown as U+XXXX when quoted back: what free text refuses, and line and paragraph separators
_ESCAPED_CATEGORIES = _REFUSED_CATEGORIES | {"Zl", "Zp"}


def one_line(value: str, max_chars: int = MAX_QUOTED_LEN) -> str:
    """A value quoted back in a message, made safe to show: a message is one line, so new lines, carriage
    returns, tabs and every character free text refuses (ESC, RTL marks...) are shown as U+XXXX, and a
    value longer than ``max_chars`` is cut with "…" (a 10,000-character paste stays readable)."""
    if value.isprintable() and len(value) <= max_chars:
        return value
    shown = "".join(f"U+{ord(ch):04X}" if unicodedata.category(ch) in _ESCAPED_CATEGORIES else ch
                    for ch in value[: max_chars + 1])
    return shown if len(value) <= max_chars else shown[:max_chars] + "…"


def check_arg_text(value: str) -> None:
    """A command-line argument must be valid text: undecodable bytes (a GBK terminal talking to a UTF-8
    program) arrive as lone surrogates and are refused before anything runs."""
    for ch in value:
        if 0xD800 <= ord(ch) <= 0xDFFF:
            shown = value.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
            raise InvalidInput("text.not_unicode", value=shown)
