"""The fields of a campaign file's tables (wheel, tasks, levels, mall and redemption items), read one way:
a bad value is refused with the field's name and the value (cut to 60 characters), a missing one with its
name."""

from __future__ import annotations

from typing import Any

from pos_app.domain.errors import InvalidInput


def bad_field(field: str, value: Any) -> InvalidInput:
    return InvalidInput("campaign.bad_field", field=field, value=str(value)[:60])


def int_field(value: Any, field: str, minimum: int = 0, maximum: int = 10_000_000) -> int:
    """A whole number in ``[minimum, maximum]`` (a TOML integer: not a bool, not a float or a text)."""
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
        raise bad_field(field, value)
    return value


def text_field(value: Any, field: str, required: bool = True) -> str:
    """A text, stripped; empty is refused when ``required``, else given as ""."""
    if value is None or str(value).strip() == "":
        if required:
            raise InvalidInput("campaign.missing_field", field=field)
        return ""
    return str(value).strip()
