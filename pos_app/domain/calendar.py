"""Date arithmetic for expiry and "within N working days" promises."""

from __future__ import annotations

import calendar as _cal
from collections.abc import Collection
from datetime import date, timedelta


def add_months(day: date, months: int) -> date:
    """Same day ``months`` later; clamps to the month's last day (Jan 31 + 1 month = Feb 28/29)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    last = _cal.monthrange(year, month)[1]
    return date(year, month, min(day.day, last))


def add_working_days(day: date, n: int, holidays: Collection[date] = ()) -> date:
    """The date ``n`` working days (Mon-Fri, not a holiday) after ``day``. n=0 returns ``day``."""
    current = day
    left = n
    while left > 0:
        current += timedelta(days=1)
        if current.weekday() < 5 and current not in holidays:
            left -= 1
    return current
