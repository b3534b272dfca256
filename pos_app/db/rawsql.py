"""Value converters for the lean SQL paths (plain INSERT/UPDATE on the DB-API connection).

On SQLite, SQLAlchemy stores a ``DateTime`` as ``YYYY-MM-DD HH:MM:SS.ffffff`` text and a ``Date`` as
``YYYY-MM-DD``. Its own bind processors build that text with ``%``-formatting of a dict, and the
:class:`~pos_app.db.base.UTCDateTime` decorator adds a second step; on the hot path (a recharge binds two
dozen timestamps) the C ``isoformat`` gives the same text for a fraction of the cost. Every other type,
and every other dialect, uses SQLAlchemy's own processor."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Date, DateTime

from pos_app.db.base import UTCDateTime

Processor = Callable[[Any], Any] | None


def _fast_utc(fallback: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def process(value: Any) -> Any:
        if value is None:
            return None
        if type(value) is datetime:
            if value.tzinfo is None:
                raise ValueError("naive datetime given to a UTC column")
            if value.utcoffset():
                value = value.astimezone(UTC)
            return value.replace(tzinfo=None).isoformat(" ", "microseconds")
        return fallback(value)

    return process


def _fast_date(fallback: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def process(value: Any) -> Any:
        if type(value) is date:
            return value.isoformat()
        return fallback(value) if value is not None else None

    return process


def _default_format(type_: Any, dialect: Any) -> bool:
    """True when the dialect's date/time type keeps its default storage format (not customised)."""
    impl = type_.dialect_impl(dialect)
    impl = getattr(impl, "impl_instance", impl)  # a TypeDecorator's own dialect type
    return "_storage_format" not in vars(impl)


def bind_processor(type_: Any, dialect: Any) -> Processor:
    """The bind processor for a column of ``type_`` (what SQLAlchemy would apply), fast where it can be."""
    proc: Processor = type_._cached_bind_processor(dialect)
    if dialect.name != "sqlite" or proc is None:
        return proc
    if isinstance(type_, UTCDateTime) and _default_format(type_, dialect):
        return _fast_utc(proc)
    if isinstance(type_, Date) and not isinstance(type_, DateTime) and _default_format(type_, dialect):
        return _fast_date(proc)
    return proc
