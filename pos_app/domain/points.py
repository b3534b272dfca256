"""Points (积分): each earning is a lot that expires; spending uses the oldest lots first."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from pos_app.domain.errors import InsufficientFunds, InvalidInput, StateError
from pos_app.domain.textparams import Day


@dataclass(frozen=True)
class PointsLot:
    lot_id: str
    earned_on: date
    expires_on: date  # the lot is unusable on and after this date
    remaining: int
    #: a purchase's points under the campaign's pending period (``[points.pending] days``): spendable from
    #: this date on; until then they are pending (a return can take them back, spending and expiry cannot)
    available_on: date | None = None

    def pending_on(self, today: date) -> bool:
        return self.available_on is not None and self.available_on > today


@dataclass(frozen=True)
class PointsTake:
    lot_id: str
    points: int


def usable(lots: Sequence[PointsLot], today: date) -> list[PointsLot]:
    """The lots that can be spent today: points left, not expired, not pending."""
    return sorted(
        (lot for lot in lots if lot.remaining > 0 and lot.expires_on > today and not lot.pending_on(today)),
        key=lambda lot: (lot.expires_on, lot.earned_on, lot.lot_id),
    )


def available_points(lots: Sequence[PointsLot], today: date) -> int:
    """What the usable lots hold, less any lot below zero (points a return took back that the member had
    already spent, under the campaign's ``[checkout] spent_points = "negative"``)."""
    return sum(lot.remaining for lot in usable(lots, today)) + sum(lot.remaining for lot in lots if lot.remaining < 0)


def spend_points(lots: Sequence[PointsLot], points: int, today: date) -> tuple[PointsTake, ...]:
    """Take ``points`` from the lots that expire first."""
    if points <= 0:
        raise InvalidInput("points.invalid", points=points)
    have = available_points(lots, today)
    if points > have:
        raise InsufficientFunds("points.insufficient", points=points, available=have)
    left = points
    takes: list[PointsTake] = []
    for lot in usable(lots, today):
        take = min(left, lot.remaining)
        takes.append(PointsTake(lot.lot_id, take))
        left -= take
        if left == 0:
            break
    return tuple(takes)


def pending_points(lots: Sequence[PointsLot], today: date) -> int:
    """What the pending lots hold (not yet spendable: a return may still take them back)."""
    return sum(lot.remaining for lot in lots if lot.remaining > 0 and lot.pending_on(today))


def expiring(lots: Sequence[PointsLot], today: date) -> list[PointsLot]:
    """Lots with points left whose expiry date has come: to be expired now (never a pending lot)."""
    return [lot for lot in lots if lot.remaining > 0 and lot.expires_on <= today and not lot.pending_on(today)]


# ----------------------------------------------------------------------------- the pending period
#: the longest pending period a campaign may set (days)
MAX_PENDING_DAYS = 90


@dataclass(frozen=True)
class PendingRules:
    """``[points.pending]``: points earned by a purchase become spendable ``days`` after it."""

    days: int = 0
    sources: tuple[str, ...] = ("sale",)

    def available_on(self, source: str, today: date) -> date | None:
        if self.days <= 0 or source not in self.sources:
            return None
        return today + timedelta(days=self.days)


def pending_rules_from_dict(data: Mapping[str, object]) -> PendingRules:
    """The campaign file's ``[points.pending]`` table (``days``, 0 = off; ``sources``, default the sale)."""
    points = data.get("points")
    raw = points.get("pending") if isinstance(points, Mapping) else None
    if raw is None:
        return PendingRules()
    if not isinstance(raw, Mapping):
        raise InvalidInput("campaign.bad_field", field="points.pending", value=str(raw)[:60])
    days = raw.get("days", 0)
    if isinstance(days, bool) or not isinstance(days, int) or not 0 <= days <= MAX_PENDING_DAYS:
        raise InvalidInput("campaign.bad_field", field="points.pending.days", value=str(days)[:60])
    sources = raw.get("sources", ["sale"])
    if not isinstance(sources, list) or not sources or any(x not in ("sale", "recharge") for x in sources):
        raise InvalidInput("campaign.bad_field", field="points.pending.sources", value=str(sources)[:60])
    return PendingRules(days, tuple(sources))


def expiring_soon(lots: Sequence[PointsLot], today: date, within_days: int = 30) -> int:
    return sum(
        lot.remaining
        for lot in usable(lots, today)
        if (lot.expires_on - today).days <= within_days
    )


# ----------------------------------------------------------------------------- sources and adjustments
SOURCES = ("recharge", "spend", "checkin", "task", "invite", "wheel", "adjust", "birthday")

#: the largest manual adjustment, either way (a typo of a few zeros is refused)
MAX_ADJUST = 1_000_000


def check_adjustment(points: int, reason: str) -> tuple[int, str]:
    """A manager's adjustment: a non-zero whole number of points within bounds, and a reason."""
    if isinstance(points, bool) or not isinstance(points, int) or points == 0 or abs(points) > MAX_ADJUST:
        raise InvalidInput("points.adjust_invalid", points=str(points), max=MAX_ADJUST)
    text = (reason or "").strip()
    if not text:
        raise InvalidInput("points.reason_required")
    if len(text) > 200:
        raise InvalidInput("points.reason_too_long", max=200)
    return points, text


# ----------------------------------------------------------------------------- check-in (签到)
@dataclass(frozen=True)
class StreakBonus:
    days: int  # reached on the day the streak is this long
    points: int = 0
    tickets: int = 0  # free wheel draws


@dataclass(frozen=True)
class CheckinRules:
    points: int
    streaks: tuple[StreakBonus, ...] = ()


@dataclass(frozen=True)
class CheckinOutcome:
    day: date
    streak: int
    points: int  # the day's points
    bonus_points: int  # the streak bonus
    tickets: int

    @property
    def total_points(self) -> int:
        return self.points + self.bonus_points


def next_streak(last_day: date | None, last_streak: int, today: date) -> int:
    """The streak a check-in on store-local ``today`` makes: one more when the last check-in was the
    store-local day before, else a fresh 1. A second check-in the same day is refused."""
    if last_day is not None and last_day >= today:
        raise StateError("checkin.already", day=Day(today))
    if last_day is not None and (today - last_day).days == 1:
        return last_streak + 1
    return 1


def checkin(rules: CheckinRules, last_day: date | None, last_streak: int, today: date) -> CheckinOutcome:
    streak = next_streak(last_day, last_streak, today)
    bonus = sum(b.points for b in rules.streaks if b.days == streak)
    tickets = sum(b.tickets for b in rules.streaks if b.days == streak)
    return CheckinOutcome(today, streak, rules.points, bonus, tickets)
