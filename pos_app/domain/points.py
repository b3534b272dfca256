"""Points (积分): each earning is a lot that expires; spending uses the oldest lots first."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from pos_app.domain.errors import InsufficientFunds, InvalidInput


@dataclass(frozen=True)
class PointsLot:
    lot_id: str
    earned_on: date
    expires_on: date  # the lot is unusable on and after this date
    remaining: int


@dataclass(frozen=True)
class PointsTake:
    lot_id: str
    points: int


def usable(lots: Sequence[PointsLot], today: date) -> list[PointsLot]:
    return sorted(
        (lot for lot in lots if lot.remaining > 0 and lot.expires_on > today),
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


def expiring(lots: Sequence[PointsLot], today: date) -> list[PointsLot]:
    """Lots with points left whose expiry date has come: to be expired now."""
    return [lot for lot in lots if lot.remaining > 0 and lot.expires_on <= today]


def expiring_soon(lots: Sequence[PointsLot], today: date, within_days: int = 30) -> int:
    return sum(
        lot.remaining
        for lot in usable(lots, today)
        if (lot.expires_on - today).days <= within_days
    )
