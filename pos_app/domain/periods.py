"""Report periods: store-local days, both included, as a UTC window ``[start, end)``; which local day an
instant falls on. Shared by the store's reports and head office's (the central server)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from pos_app.domain.errors import InvalidInput

#: the longest period a report covers, in days
MAX_DAYS = 3660


def period(from_day: date, to_day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC window ``[start, end)`` of the store-local days ``from_day`` .. ``to_day`` (both included)."""
    if to_day < from_day:
        raise InvalidInput("report.range_invalid", start=from_day.isoformat(), end=to_day.isoformat())
    if (to_day - from_day).days >= MAX_DAYS:
        raise InvalidInput("report.range_too_long", days=MAX_DAYS)
    return day_start(from_day, tz), day_start(to_day + timedelta(days=1), tz)


def day_start(day: date, tz: ZoneInfo) -> datetime:
    """The UTC instant the store-local ``day`` starts."""
    return datetime.combine(day, time(0), tz).astimezone(UTC)


def local_day(at: datetime, tz: ZoneInfo) -> date:
    return at.astimezone(tz).date()


def days(from_day: date, to_day: date) -> list[date]:
    """Every day from ``from_day`` to ``to_day``, both included."""
    return [from_day + timedelta(days=i) for i in range((to_day - from_day).days + 1)]
