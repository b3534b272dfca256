"""Points lots (oldest expiring first, expiry), calendar arithmetic, UUIDv7, roles."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pos_app.domain import roles
from pos_app.domain.calendar import add_months, add_working_days
from pos_app.domain.errors import InsufficientFunds, InvalidInput, PermissionDenied
from pos_app.domain.ids import CROCKFORD, random_code, uuid7
from pos_app.domain.points import (
    PointsLot,
    available_points,
    expiring,
    expiring_soon,
    spend_points,
)

TODAY = date(2026, 11, 23)
LOTS = [
    PointsLot("b", date(2026, 3, 1), date(2027, 3, 1), 100),
    PointsLot("a", date(2026, 1, 1), date(2027, 1, 1), 50),
    PointsLot("old", date(2025, 1, 1), date(2026, 1, 1), 70),  # expired
    PointsLot("empty", date(2026, 2, 1), date(2027, 2, 1), 0),
]


def test_points_150_available_of_lots_100_and_50_the_expired_70_does_not_count():
    assert available_points(LOTS, TODAY) == 150


def test_spending_120_points_takes_50_from_the_oldest_lot_then_70_from_the_next():
    takes = spend_points(LOTS, 120, TODAY)
    assert [(t.lot_id, t.points) for t in takes] == [("a", 50), ("b", 70)]


def test_spending_more_points_than_usable_is_refused_and_zero_is_invalid():
    with pytest.raises(InsufficientFunds) as exc:
        spend_points(LOTS, 151, TODAY)
    assert exc.value.params["available"] == 150
    with pytest.raises(InvalidInput):
        spend_points(LOTS, 0, TODAY)


def test_a_lot_expires_on_its_expiry_date():
    lot = PointsLot("x", date(2025, 11, 23), date(2026, 11, 23), 10)
    assert available_points([lot], TODAY - timedelta(days=1)) == 10
    assert available_points([lot], TODAY) == 0
    assert expiring([lot], TODAY) == [lot]
    assert expiring(LOTS, TODAY) == [LOTS[2]]


def test_expiring_soon_counts_lots_ending_within_30_days():
    lots = [PointsLot("s", TODAY, TODAY + timedelta(days=30), 5), PointsLot("l", TODAY, TODAY + timedelta(days=31), 7)]
    assert expiring_soon(lots, TODAY, 30) == 5


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 400), st.integers(1, 800), st.integers(0, 500)), min_size=1, max_size=8),
    st.integers(1, 2000),
)
def test_points_spend_takes_exactly_the_amount_never_more_than_a_lot_holds(lots_spec, want):
    lots = [
        PointsLot(f"l{i}", TODAY - timedelta(days=ago), TODAY - timedelta(days=ago) + timedelta(days=life), rem)
        for i, (ago, life, rem) in enumerate(lots_spec)
    ]
    have = available_points(lots, TODAY)
    if want > have:
        with pytest.raises(InsufficientFunds):
            spend_points(lots, want, TODAY)
        return
    takes = spend_points(lots, want, TODAY)
    by_id = {lot.lot_id: lot for lot in lots}
    assert sum(t.points for t in takes) == want
    for t in takes:
        assert 0 < t.points <= by_id[t.lot_id].remaining and by_id[t.lot_id].expires_on > TODAY
    # oldest-expiring first: every lot taken from before the last one is emptied
    for t in takes[:-1]:
        assert t.points == by_id[t.lot_id].remaining


def test_jan_31_plus_1_month_is_feb_28_and_12_months_from_nov_23_is_next_nov_23():
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2028, 1, 31), 1) == date(2028, 2, 29)
    assert add_months(TODAY, 12) == date(2027, 11, 23)
    assert add_months(date(2026, 12, 15), 1) == date(2027, 1, 15)


def test_3_working_days_after_friday_is_wednesday_and_holidays_are_skipped():
    friday = date(2026, 11, 27)
    assert add_working_days(friday, 3) == date(2026, 12, 2)
    assert add_working_days(friday, 3, holidays={date(2026, 11, 30)}) == date(2026, 12, 3)
    assert add_working_days(friday, 0) == friday


def test_uuid7_is_version_7_and_time_ordered():
    rnd = random.Random(1).getrandbits
    t = datetime(2026, 11, 23, tzinfo=UTC)
    ids = [uuid7(t + timedelta(milliseconds=i), rnd) for i in range(50)]
    assert all(uuid.UUID(i).version == 7 for i in ids)
    assert ids == sorted(ids)
    assert len(random_code(16, rnd)) == 16 and set(random_code(200, rnd)) <= set(CROCKFORD)


def test_roles_cashier_may_recharge_but_not_refund_or_manage_staff():
    roles.check("cashier", "wallet.recharge")
    roles.check("manager", "wallet.refund")
    for action in ("wallet.refund", "staff.manage", "campaign.manage"):
        with pytest.raises(PermissionDenied) as exc:
            roles.check("cashier", action)
        assert exc.value.exit_code == 3
    with pytest.raises(PermissionDenied):
        roles.check("staff", "wallet.recharge")
    with pytest.raises(KeyError):
        roles.check("manager", "no.such.action")
