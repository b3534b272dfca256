"""The points platform through the services on a real SQLite store: adjustments with a reason, check-in
streaks on store-local days, the history, spending closest-to-expiry first."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from pos_app.db import models as m
from pos_app.domain.errors import InsufficientFunds, InvalidInput, PermissionDenied, StateError
from pos_app.services import members, points, wallet
from tests.conftest import make_store

PHONE = "13800000001"


def _member(store, phone=PHONE):
    return members.register_member(store.ctx, store.cashier, phone=phone)


def test_adjust_adds_and_takes_with_reason_and_history(store):
    _member(store)
    up = points.adjust(store.ctx, store.manager, phone=PHONE, points=120, reason="开业补偿")
    assert up.points_balance == 120 and up.changes.points
    down = points.adjust(store.ctx, store.manager, phone=PHONE, points=-20, reason="误加更正")
    assert down.points_balance == 100
    lines = points.history(store.ctx, store.cashier, phone=PHONE)
    assert [(x.kind, x.points, x.reason) for x in lines] == [("adjust", -20, "误加更正"), ("adjust", 120, "开业补偿")]
    assert points.show(store.ctx, store.cashier, phone=PHONE).points_balance == 100


def test_adjust_refusals_write_nothing(store):
    _member(store)
    with pytest.raises(PermissionDenied):
        points.adjust(store.ctx, store.cashier, phone=PHONE, points=5, reason="x")
    with pytest.raises(InvalidInput):
        points.adjust(store.ctx, store.manager, phone=PHONE, points=5, reason="  ")
    with pytest.raises(InsufficientFunds):
        points.adjust(store.ctx, store.manager, phone=PHONE, points=-5, reason="too much")
    with store.ctx.uow(read_only=True) as uow:
        assert uow.session.scalar(select(func.count()).select_from(m.PointsLot)) == 0


def test_adjust_is_idempotent_by_request_id(store):
    _member(store)
    a = points.adjust(store.ctx, store.manager, phone=PHONE, points=10, reason="r", request_id="adj-1")
    b = points.adjust(store.ctx, store.manager, phone=PHONE, points=10, reason="r", request_id="adj-1")
    assert a.adjustment_id == b.adjustment_id
    assert points.show(store.ctx, store.manager, phone=PHONE).points_balance == 10


def test_checkin_once_a_day_and_streak_bonus_with_ticket(store):
    _member(store)
    first = points.checkin(store.ctx, store.cashier, phone=PHONE)
    assert (first.streak, first.points, first.bonus_points) == (1, 5, 0)
    with pytest.raises(StateError) as e:
        points.checkin(store.ctx, store.cashier, phone=PHONE)
    assert e.value.key == "checkin.already"
    total = 5
    for day in range(2, 31):
        store.clock.advance(days=1)
        r = points.checkin(store.ctx, store.cashier, phone=PHONE)
        assert r.streak == day
        total += r.points + r.bonus_points
        if day == 7:
            assert r.bonus_points == 20
        if day == 30:
            assert r.bonus_points == 100 and r.tickets == 1
    shown = points.show(store.ctx, store.cashier, phone=PHONE)
    assert shown.points_balance == total == 30 * 5 + 20 + 100
    assert shown.tickets == 1 and shown.streak == 30
    store.clock.advance(days=2)  # a day missed: the streak starts again
    assert points.checkin(store.ctx, store.cashier, phone=PHONE).streak == 1


def test_streak_counts_store_local_days_across_a_month_end(tmp_path):
    s = make_store(tmp_path / "s.db")
    try:
        _member(s)
        # 2026-11-30 23:30 Beijing = 15:30 UTC; 2026-12-01 00:10 Beijing = 16:10 UTC the same UTC day
        s.clock.now = datetime(2026, 11, 30, 15, 30, tzinfo=UTC)
        assert points.checkin(s.ctx, s.cashier, phone=PHONE).day.isoformat() == "2026-11-30"
        s.clock.now = datetime(2026, 11, 30, 16, 10, tzinfo=UTC)
        r = points.checkin(s.ctx, s.cashier, phone=PHONE)
        assert r.day.isoformat() == "2026-12-01" and r.streak == 2
        s.clock.now = datetime(2026, 11, 30, 23, 0, tzinfo=UTC)  # still 12-01 in Beijing: refused
        with pytest.raises(StateError):
            points.checkin(s.ctx, s.cashier, phone=PHONE)
    finally:
        s.ctx.db.dispose()


def test_checkin_by_member_code(store):
    mm = _member(store)
    r = points.checkin(store.ctx, store.staff, code=mm.member_code)
    assert r.member_id == mm.member_id and r.changes.points


def test_spend_takes_closest_to_expiry_and_expiry_keeps_spent(store):
    _member(store)
    points.adjust(store.ctx, store.manager, phone=PHONE, points=30, reason="a")  # expires in 12 months
    store.clock.advance(days=40)
    points.adjust(store.ctx, store.manager, phone=PHONE, points=50, reason="b")
    points.adjust(store.ctx, store.manager, phone=PHONE, points=-40, reason="c")  # 30 from a, 10 from b
    with store.ctx.uow(read_only=True) as uow:
        left = sorted(uow.session.execute(select(m.PointsLot.reason, m.PointsLot.remaining)).all())
    assert left == [("a", 0), ("b", 40)]
    store.clock.advance(days=400)
    assert wallet.expire_points(store.ctx, store.manager) == 40
    assert points.show(store.ctx, store.manager, phone=PHONE).points_balance == 0


OPS = st.lists(st.tuples(st.sampled_from(["earn", "take", "wait", "expire"]), st.integers(1, 200)), max_size=25)


@settings(max_examples=15)
@given(OPS)
def test_balance_is_lots_less_consumption_and_expiry(tmp_path_factory, ops):
    s = make_store(tmp_path_factory.mktemp("p") / "p.db", with_campaign=False)
    try:
        _member(s)
        for op, n in ops:
            if op == "earn":
                points.adjust(s.ctx, s.manager, phone=PHONE, points=n, reason="earn")
            elif op == "take":
                have = points.show(s.ctx, s.manager, phone=PHONE).points_balance
                if have:
                    points.adjust(s.ctx, s.manager, phone=PHONE, points=-min(n, have), reason="take")
            elif op == "wait":
                s.clock.advance(days=n * 3)
            else:
                wallet.expire_points(s.ctx, s.manager)
            with s.ctx.uow(read_only=True) as uow:
                earned = uow.session.scalar(select(func.coalesce(func.sum(m.PointsLot.points), 0)))
                out = uow.session.scalar(select(func.coalesce(func.sum(m.PointsEntry.delta), 0)))
                expired = uow.session.scalar(select(func.coalesce(func.sum(m.PointsEntry.delta), 0))
                                             .where(m.PointsEntry.kind == "expire"))
                balance = uow.session.scalar(select(m.Member.points_balance))
                bad_lots = uow.session.scalar(select(func.count()).select_from(m.PointsLot)
                                              .where(m.PointsLot.remaining < 0))
                remaining = uow.session.scalar(select(func.coalesce(func.sum(m.PointsLot.remaining), 0)))
            assert balance == earned + out == remaining >= 0
            assert bad_lots == 0 and expired <= 0
    finally:
        s.ctx.db.dispose()
