"""The pure rules of member levels, tasks and the pending period (domain/levels.py, domain/tasks.py,
domain/points.py), with hypothesis invariants for points under a pending period: the balance is the sum of
the lots less what was consumed and expired, never negative, and pending points are never spent or expired."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pos_app.domain import levels as lv
from pos_app.domain import points as pt
from pos_app.domain import tasks as tk
from pos_app.domain.campaign import field_money
from pos_app.domain.errors import InsufficientFunds, InvalidInput

D0 = date(2026, 11, 23)


def _levels(**kw: object) -> lv.LevelRules:
    data = {"member_levels": {"basis": "recharge", "window_months": 12, "downgrade": "window_end",
                              "voucher_months": 3, "levels": [
                                  {"code": "n", "name": "普通"},
                                  {"code": "s", "name": "银卡", "threshold": "1000", "points_multiplier": "1.2"},
                                  {"code": "g", "name": "金卡", "threshold": "3000", "points_multiplier": "1.5",
                                   "member_prices": True}]}}
    data["member_levels"].update(kw)  # type: ignore[attr-defined]
    rules = lv.level_rules_from_dict(data, field_money)
    assert rules is not None
    return rules


# ----------------------------------------------------------------------------- levels
def test_levels_parse_and_qualify_by_threshold() -> None:
    r = _levels()
    assert [x.code for x in r.levels] == ["n", "s", "g"]
    assert (r.qualified(0), r.qualified(999_99), r.qualified(1000_00), r.qualified(10_000_00)) == (0, 0, 1, 2)
    assert lv.points_with(r, "s", 50) == 60 and lv.points_with(r, "g", 7) == 10 and lv.points_with(r, None, 7) == 7
    assert lv.level_rules_from_dict({}, field_money) is None


@pytest.mark.parametrize("change", [
    {"basis": "visits"}, {"downgrade": "monthly"}, {"window_months": -1}, {"voucher_months": 0},
    {"levels": []}, {"levels": [{"code": "a", "threshold": "5"}]},
    {"levels": [{"code": "a"}, {"code": "b", "threshold": "10"}, {"code": "c", "threshold": "10"}]},
    {"levels": [{"code": "a"}, {"code": "a", "threshold": "10"}]},
    {"levels": [{"code": "a", "points_multiplier": "0.5"}]},
    {"levels": [{"code": "a", "points_multiplier": "1.00001"}]},
    {"levels": [{"code": "a", "member_prices": "yes"}]},
])
def test_a_bad_levels_table_is_refused_with_its_field(change: dict) -> None:
    with pytest.raises(InvalidInput) as e:
        _levels(**change)
    assert e.value.params.get("field", "").startswith("member_levels")


def test_an_event_moves_up_renews_and_never_down() -> None:
    r = _levels()
    up = lv.on_event(r, lv.Held(None), 1500_00, D0, lv.BY_RECHARGE)
    assert up == lv.Decision("s", date(2027, 11, 23), lv.BY_RECHARGE)
    assert lv.on_event(r, lv.Held(None), 500_00, D0, lv.BY_RECHARGE) is None  # the lowest: nothing held
    later = D0 + timedelta(days=30)
    renew = lv.on_event(r, lv.Held("s", date(2027, 11, 23)), 1500_00, later, lv.BY_RECHARGE)
    assert renew is not None and renew.code == "s" and not renew.log and renew.until == date(2027, 12, 23)
    assert lv.on_event(r, lv.Held("g", date(2027, 11, 23)), 1500_00, later, lv.BY_SALE) is None  # never down here
    held_for_good = _levels(downgrade="none")
    assert lv.on_event(held_for_good, lv.Held(None), 3000_00, D0, lv.BY_RECHARGE) == lv.Decision("g", None, "recharge")


def test_a_voucher_lifts_one_level_and_its_end_returns_to_what_the_basis_reaches() -> None:
    r = _levels()
    v = lv.voucher(r, lv.Held(None), D0)
    assert (v.code, v.until, v.by_voucher, v.floor, v.reason) == ("s", date(2027, 2, 23), True, "n", "voucher")
    top = lv.voucher(r, lv.Held("g", date(2027, 6, 1)), D0)
    assert (top.code, top.until) == ("g", date(2027, 6, 1))  # at the top: kept at least as long
    held = lv.Held("s", date(2027, 2, 23), by_voucher=True, floor="n")
    assert lv.lapse(r, held, 0, date(2027, 2, 22)) is None  # not due
    end = lv.lapse(r, held, 0, date(2027, 2, 23))
    assert end is not None and (end.code, end.until, end.reason, end.log) == ("n", None, "voucher_end", True)
    earned = lv.on_event(r, held, 1200_00, D0, lv.BY_RECHARGE)  # the voucher's level is earned meanwhile
    assert earned is not None and earned.log and not earned.by_voucher
    keep = lv.lapse(_levels(downgrade="none"), lv.Held("g", date(2027, 2, 23), True, "s"), 0, date(2027, 3, 1))
    assert keep is not None and (keep.code, keep.until) == ("s", None)  # no downgrade: back to the level before


def test_the_window_end_reevaluates_on_the_window() -> None:
    r = _levels()
    assert r.window_start(D0) == date(2025, 11, 23) and _levels(window_months=0).window_start(D0) is None
    held = lv.Held("g", date(2027, 11, 23))
    down = lv.lapse(r, held, 1500_00, date(2027, 11, 23))
    assert down is not None and (down.code, down.reason, down.until) == ("s", "window_end", date(2028, 11, 23))
    same = lv.lapse(r, held, 5000_00, date(2027, 11, 23))
    assert same is not None and same.code == "g" and not same.log


def test_birthdays_and_the_29th_of_february() -> None:
    assert lv.is_birthday(date(1990, 5, 1), date(2027, 5, 1)) and not lv.is_birthday(date(1990, 5, 1), date(2027, 5, 2))
    assert lv.is_birthday(date(2000, 2, 29), date(2027, 2, 28)) and not lv.is_birthday(date(2000, 2, 29), date(2028, 2, 28))
    assert lv.is_birthday(date(2000, 2, 29), date(2028, 2, 29))
    for bad in (date(1899, 12, 31), D0 + timedelta(days=1)):
        with pytest.raises(InvalidInput):
            lv.check_birthday(bad, D0)
    r = _levels(levels=[{"code": "a"}, {"code": "b", "threshold": "1", "birthday_points": 5, "birthday_coupon": "X"}])
    assert not r.levels[0].birthday_gift and r.levels[1].birthday_gift


# ----------------------------------------------------------------------------- tasks
def _tasks(*items: dict) -> tuple[tk.Task, ...]:
    return tk.tasks_from_dict({"points": {"tasks": list(items)}}, field_money)


def test_tasks_parse_with_levels_kinds_and_money_targets() -> None:
    ts = _tasks({"code": "a", "level": "advanced", "kind": "spend", "target": "800", "points": 200},
                {"code": "b", "kind": "purchases", "target": 3, "points": 50},
                {"code": "c", "level": "intermediate", "kind": "category", "category": "洗护美容", "coupon": "G"})
    assert [(t.code, t.level, t.target) for t in tk.by_level(ts)] == [
        ("b", "basic", 3), ("c", "intermediate", 1), ("a", "advanced", 800_00)]
    assert tk.tasks_from_dict({}, field_money) == ()


@pytest.mark.parametrize("item", [
    {"code": "a", "kind": "dance", "points": 1}, {"code": "a", "level": "expert", "kind": "purchases", "points": 1},
    {"code": "a", "kind": "purchases"}, {"code": "a", "kind": "category", "points": 1},
    {"code": "a", "kind": "spend", "target": "0", "points": 1}, {"code": "a", "kind": "purchases", "target": 0, "points": 1},
    {"code": "a", "kind": "invites", "invite_counts": "visit", "points": 1}, {"kind": "purchases", "points": 1},
])
def test_a_bad_task_is_refused(item: dict) -> None:
    with pytest.raises(InvalidInput):
        _tasks(item)


def test_progress_advances_completes_once_and_returns_take_back_what_they_added() -> None:
    buy, spend, cat, inv, rc = _tasks(
        {"code": "b", "kind": "purchases", "target": 2, "points": 1},
        {"code": "s", "kind": "spend", "target": "100", "points": 1},
        {"code": "c", "kind": "category", "category": "寄养", "points": 1},
        {"code": "i", "kind": "invites", "target": 1, "invite_counts": "first_purchase", "points": 1},
        {"code": "r", "kind": "recharge", "target": "500", "points": 1})
    sale = tk.Event(tk.EV_SALE, 70_00, frozenset({"宠物食品"}))
    assert tk.advance(buy, 0, tk.OPEN, sale) == tk.Advance(1, False)
    assert tk.advance(buy, 1, tk.OPEN, sale) == tk.Advance(2, True)
    assert tk.advance(buy, 2, tk.COMPLETED, sale) is None  # nothing twice (counted only if a return reopens it)
    assert tk.advance(spend, 70_00, tk.OPEN, sale) == tk.Advance(140_00, True)  # not capped (shown capped)
    assert tk.Advance(140_00, True).shown(100_00) == 100_00
    assert tk.advance(cat, 0, tk.OPEN, sale) is None
    assert tk.advance(cat, 0, tk.OPEN, tk.Event(tk.EV_SALE, 1, frozenset({"寄养"}))) == tk.Advance(1, True)
    assert tk.advance(inv, 0, tk.OPEN, tk.Event(tk.EV_INVITE_REGISTERED)) is None
    assert tk.advance(inv, 0, tk.OPEN, tk.Event(tk.EV_INVITE_FIRST_PURCHASE)) == tk.Advance(1, True)
    assert tk.advance(rc, 0, tk.OPEN, sale) is None
    assert tk.advance(rc, 0, tk.OPEN, tk.Event(tk.EV_RECHARGE, 300_00)) == tk.Advance(300_00, False)
    part = tk.Returned(30_00, frozenset({"宠物食品"}), full=False)
    whole = tk.Returned(70_00, frozenset(), full=True)
    assert tk.give_back(spend, 70_00, part) == 30_00 and tk.give_back(spend, 20_00, part) == 20_00
    assert tk.give_back(spend, 70_00, whole) == 70_00
    assert tk.give_back(buy, 1, part) == 0 and tk.give_back(buy, 1, whole) == 1 and tk.give_back(buy, 0, whole) == 0
    assert tk.give_back(cat, 1, tk.Returned(10_00, frozenset({"宠物食品"}), full=False)) == 1  # its line went
    assert tk.give_back(cat, 1, tk.Returned(10_00, frozenset({"寄养"}), full=False)) == 0
    assert tk.give_back(inv, 1, whole) == 0 and tk.give_back(rc, 1, whole) == 0
    assert tk.retreat(100_00, 140_00, tk.COMPLETED, 30_00) == tk.Retreat(110_00, False)  # still reaches it
    assert tk.retreat(100_00, 140_00, tk.COMPLETED, 70_00) == tk.Retreat(70_00, True)  # reopened
    assert tk.retreat(100_00, 70_00, tk.OPEN, 70_00) == tk.Retreat(0, False)
    assert tk.kept_step(spend, 40_00, frozenset(), False) == 40_00 and tk.kept_step(spend, -1, frozenset(), True) == 0
    assert tk.kept_step(buy, 0, frozenset(), False) == 1 and tk.kept_step(buy, 0, frozenset(), True) == 0
    assert tk.kept_step(cat, 0, frozenset({"寄养"}), False) == 1 and tk.kept_step(cat, 0, frozenset({"x"}), False) == 0
    assert tk.kept_step(inv, 9, frozenset(), False) == 0 and tk.kept_step(rc, 9, frozenset(), False) == 0


# ----------------------------------------------------------------------------- the pending period
def test_pending_rules_parse_and_date() -> None:
    r = pt.pending_rules_from_dict({"points": {"pending": {"days": 7}}})
    assert r.available_on("sale", D0) == date(2026, 11, 30) and r.available_on("recharge", D0) is None
    assert pt.pending_rules_from_dict({}).available_on("sale", D0) is None
    for bad in ({"days": -1}, {"days": 91}, {"days": "7"}, {"days": 7, "sources": ["checkin"]}):
        with pytest.raises(InvalidInput):
            pt.pending_rules_from_dict({"points": {"pending": bad}})


def test_pending_lots_are_neither_spendable_nor_expiring() -> None:
    lots = [pt.PointsLot("a", D0, D0 + timedelta(days=3), 40, available_on=D0 + timedelta(days=7)),
            pt.PointsLot("b", D0, D0 + timedelta(days=300), 10)]
    assert pt.available_points(lots, D0) == 10 and pt.pending_points(lots, D0) == 40
    with pytest.raises(InsufficientFunds):
        pt.spend_points(lots, 20, D0)
    assert pt.expiring(lots, D0 + timedelta(days=5)) == []  # past its expiry date, still pending
    assert [x.lot_id for x in pt.expiring(lots, D0 + timedelta(days=7))] == ["a"]


# one step of the model: earn (pending or not), spend, expire, return (take back a pending lot), a day passes
step = st.one_of(
    st.tuples(st.just("earn"), st.integers(1, 500), st.booleans(), st.integers(1, 60)),
    st.tuples(st.just("spend"), st.integers(1, 600), st.just(False), st.just(0)),
    st.tuples(st.just("expire"), st.just(0), st.just(False), st.just(0)),
    st.tuples(st.just("return"), st.integers(0, 30), st.just(False), st.just(0)),
    st.tuples(st.just("day"), st.integers(1, 20), st.just(False), st.just(0)),
)


@settings(max_examples=300)
@given(st.lists(step, max_size=40))
def test_points_balance_is_lots_less_consumption_and_expiry_and_pending_is_never_spent(steps: list) -> None:
    today = D0
    lots: dict[str, pt.PointsLot] = {}
    earned = consumed = expired = revoked = 0
    for n, (kind, amount, pending, days) in enumerate(steps):
        view = list(lots.values())
        if kind == "earn":
            lid = f"L{n}"
            lots[lid] = pt.PointsLot(lid, today, today + timedelta(days=days), amount,
                                     available_on=today + timedelta(days=7) if pending else None)
            earned += amount
        elif kind == "spend":
            try:
                takes = pt.spend_points(view, amount, today)
            except InsufficientFunds:
                assert amount > pt.available_points(view, today)
                continue
            assert sum(t.points for t in takes) == amount
            for t in takes:
                lot = lots[t.lot_id]
                assert not lot.pending_on(today) and lot.expires_on > today  # never a pending or expired lot
                lots[t.lot_id] = pt.PointsLot(lot.lot_id, lot.earned_on, lot.expires_on, lot.remaining - t.points,
                                              lot.available_on)
            consumed += amount
        elif kind == "expire":
            for lot in pt.expiring(view, today):
                assert not lot.pending_on(today)
                expired += lot.remaining
                lots[lot.lot_id] = pt.PointsLot(lot.lot_id, lot.earned_on, lot.expires_on, 0, lot.available_on)
        elif kind == "return":
            pend = [x for x in view if x.pending_on(today) and x.remaining > 0]
            if pend:
                lot = pend[amount % len(pend)]
                revoked += lot.remaining
                lots[lot.lot_id] = pt.PointsLot(lot.lot_id, lot.earned_on, lot.expires_on, 0, lot.available_on)
        else:
            today += timedelta(days=amount)
        view = list(lots.values())
        held = sum(x.remaining for x in view)
        assert held == earned - consumed - expired - revoked
        assert all(x.remaining >= 0 for x in view)
        assert pt.available_points(view, today) + pt.pending_points(view, today) <= held
        assert pt.available_points(view, today) >= 0 and pt.pending_points(view, today) >= 0


@given(st.dates(min_value=date(1000, 1, 1), max_value=date(9999, 12, 31)), st.sampled_from(["{y:04d}-{m:02d}-{d:02d}",
       "{y}/{m}/{d}", "{y}.{m}.{d}", "{y:04d}{m:02d}{d:02d}"]))
def test_a_birthday_typed_in_any_accepted_form_is_that_date(day, form):
    text = form.format(y=day.year, m=day.month, d=day.day)
    assert lv.parse_birthday(text) == day
    assert lv.parse_birthday(f"  {text} ") == day


@pytest.mark.parametrize("text", ["1990-02-30", "1991-02-29", "1990-13-01", "1990-00-10", "90-05-01", "1990-5",
                                  "19900532", "abc", "1990--05-01", "1990-05-01x"])
def test_a_birthday_that_is_not_a_real_date_is_refused(text):
    with pytest.raises(InvalidInput) as e:
        lv.parse_birthday(text)
    assert e.value.key == "member.birthday_invalid"


def test_a_birthday_in_range_only():
    today = date(2026, 12, 4)
    assert lv.parse_birthday("") is None and lv.parse_birthday(None) is None
    assert lv.parse_birthday("２０００－０２－２９") == date(2000, 2, 29)  # full-width, as an input method types it
    assert lv.check_birthday(today, today) == today and lv.check_birthday(date(1900, 1, 1), today)
    for bad in (today + timedelta(days=1), date(1899, 12, 31)):
        with pytest.raises(InvalidInput):
            lv.check_birthday(bad, today)
