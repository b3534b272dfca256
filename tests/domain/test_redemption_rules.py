"""Premium redemption and the points mall, the pure rules: the state machine (every allowed move works,
every other is refused with a message), stock arithmetic, spend eligibility without discounts, coupons
and the stored-value bonus part, and the campaign file's tables."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pos_app import messages
from pos_app.domain import redemption as rules
from pos_app.domain.campaign import field_date, field_money
from pos_app.domain.errors import InvalidInput, StateError


@pytest.mark.parametrize("state", rules.STATES)
@pytest.mark.parametrize("event", rules.EVENTS)
def test_every_move_is_either_in_the_table_or_refused_with_a_message(state, event):
    if (state, event) in rules.TRANSITIONS:
        assert rules.transition(state, event) == rules.TRANSITIONS[(state, event)]
        assert event in rules.allowed_events(state)
    else:
        with pytest.raises(StateError) as e:
            rules.transition(state, event)
        assert e.value.key == "redemption.transition_refused"
        text = messages.tr_error(e.value)
        assert "{" not in text and text.strip()


def test_the_premium_path_and_its_exits():
    s = rules.REQUESTED
    for ev, want in ((rules.APPROVE, rules.APPROVED), (rules.FULFIL, rules.FULFILLED), (rules.RECEIVE, rules.RECEIVED)):
        s = rules.transition(s, ev)
        assert s == want
    assert rules.transition(rules.REQUESTED, rules.REJECT) == rules.REJECTED
    assert rules.transition(rules.APPROVED, rules.CANCEL) == rules.CANCELLED
    assert rules.allowed_events(rules.RECEIVED) == ()
    assert rules.allowed_events(rules.FULFILLED) == (rules.RECEIVE,)  # no cancel after fulfilment


@given(st.lists(st.sampled_from(rules.EVENTS), max_size=20), st.sampled_from([rules.REQUESTED, rules.RESERVED,
                                                                              rules.ISSUED]))
def test_stock_moves_keep_reserved_plus_given_plus_available_equal_to_the_quantity(events, first):
    quantity = 3
    reserved, given_ = rules.stock_delta(None, first)
    state = first
    for ev in events:
        try:
            after = rules.transition(state, ev)
        except StateError:
            continue
        dr, dg = rules.stock_delta(state, after)
        reserved, given_, state = reserved + dr, given_ + dg, after
        assert reserved + given_ + rules.available(quantity, reserved, given_) == quantity
        assert (reserved, given_) == (int(state in rules.RESERVING), int(state in rules.GIVEN))
        assert 0 <= reserved <= 1 and 0 <= given_ <= 1


def test_spend_counts_what_was_actually_paid_in_the_named_categories():
    lines = [
        # 150 of pet supplies less a 20 coupon: 130 counts
        rules.PaidLine("宠物用品", 130_00, 130_00, 130_00),
        # a grooming line: not a named category
        rules.PaidLine("洗护美容", 100_00, 100_00, 100_00),
        # 100 of food paid 10 from the stored-value bonus: 90 counts
        rules.PaidLine("宠物食品", 100_00, 100_00, 90_00),
        # 50 of food returned in full: nothing counts
        rules.PaidLine("宠物食品", 50_00, 50_00, 50_00, returned_fen=50_00),
    ]
    assert rules.spent_in(lines, ["宠物用品", "宠物食品"]) == 220_00
    assert rules.spent_in(lines, []) == 320_00
    assert rules.paid_share(1, 3, 2) == 0  # rounded down: a threshold is never reached by rounding


@given(st.integers(0, 10_000_00), st.integers(1, 10_000_00), st.integers(0, 100))
def test_a_lines_paid_share_is_never_more_than_the_line_nor_than_what_was_paid(amount, total, pct):
    amount = min(amount, total)
    paid = total * pct // 100
    share = rules.paid_share(amount, total, paid)
    assert 0 <= share <= amount and share <= paid


def _program(data):
    return rules.program_rules_from_dict(data, field_money, field_date)


def test_eligibility_says_how_far_the_member_is():
    pr = _program({"redemption": {"items": [
        {"code": "A", "name": "茅台", "points": 3000, "quantity": 2},
        {"code": "B", "name": "礼盒", "spend": "2000", "categories": ["宠物食品"], "quantity": 1}]}})
    a, b = pr.premium
    assert rules.eligibility(a, 2500, 0) == rules.Eligibility(False, 500, 0)
    assert rules.eligibility(a, 3000, 0).eligible
    assert rules.eligibility(b, 0, 1500_00) == rules.Eligibility(False, 0, 500_00)
    assert rules.eligibility(b, 0, 2000_00).eligible
    assert pr.receive_working_days == 7 and pr.review_working_days == 2


@pytest.mark.parametrize("bad", [
    {"mall": {"items": [{"code": "X", "name": "x", "kind": "toy", "points": 1}]}},
    {"mall": {"items": [{"code": "X", "name": "x", "kind": "gift", "points": 1}]}},  # no sku
    {"mall": {"items": [{"code": "X", "name": "x", "kind": "coupon", "template": "T", "points": 1,
                         "limit_period": "week"}]}},
    {"redemption": {"items": [{"code": "X", "name": "x"}]}},  # neither points nor spend
    {"redemption": {"items": [{"code": "X", "name": "x", "points": 1}, {"code": "x", "name": "y", "points": 2}]}},
    {"redemption": {"receive_working_days": -1}},
])
def test_bad_tables_are_refused_with_the_field(bad):
    with pytest.raises(InvalidInput) as e:
        _program(bad)
    assert e.value.key in ("campaign.bad_field", "campaign.missing_field")


def test_limits_windows_and_stock_refusals():
    it = _program({"mall": {"items": [{"code": "T", "name": "玩具", "kind": "gift", "sku": "TOY", "points": 10,
                                       "limit": 2, "limit_period": "month", "starts_on": "2026-12-01"}]}}).mall[0]
    with pytest.raises(StateError) as e:
        rules.check_limit(it, 2)
    assert e.value.key == "mall.limit_month"
    rules.check_limit(it, 1)
    with pytest.raises(StateError) as e:
        rules.check_window(it, date(2026, 11, 1), date(2027, 1, 31), date(2026, 11, 30))
    assert e.value.key == "mall.not_started"
    with pytest.raises(StateError) as e:
        rules.check_stock("茅台", 5, 3, 2, False)
    assert e.value.key == "redemption.out_of_stock"
    with pytest.raises(StateError) as e:
        rules.check_stock("茅台", 5, 0, 0, True)
    assert e.value.key == "redemption.item_paused"
    assert rules.month_bounds(date(2026, 12, 15)) == (date(2026, 12, 1), date(2027, 1, 1))
