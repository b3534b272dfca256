"""Pure gift-stock rules: movements, never negative, available/low, hand-out plan, stocktake."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pos_app.domain import gifts as r
from pos_app.domain.errors import InvalidInput


def test_sku_normalized_and_bad_ones_refused():
    assert r.normalize_sku(" toy-001 ") == "TOY-001"
    for bad in ("", "  ", "-X", "A B", "玩具", "X" * 65):
        with pytest.raises(InvalidInput) as e:
            r.normalize_sku(bad)
        assert e.value.key == "gift.sku_invalid"


@pytest.mark.parametrize(
    ("kind", "qty", "delta"),
    [
        (r.RECEIVED, 5, 5),
        (r.RETURNED, 2, 2),
        (r.TRANSFER_IN, 3, 3),
        (r.HANDOUT, 1, -1),
        (r.TRANSFER_OUT, 4, -4),
        (r.ADJUSTED, -3, -3),
        (r.ADJUSTED, 7, 7),
    ],
)
def test_movement_delta_signs(kind, qty, delta):
    assert r.movement_delta(kind, qty) == delta


@pytest.mark.parametrize(
    ("kind", "qty"),
    [(r.RECEIVED, 0), (r.RECEIVED, -1), (r.HANDOUT, 0), (r.ADJUSTED, 0), (r.RECEIVED, True), (r.RECEIVED, 1.0),
     (r.RECEIVED, r.MAX_QTY + 1), ("stolen", 1)],
)
def test_bad_movements_refused(kind, qty):
    with pytest.raises(InvalidInput):
        r.movement_delta(kind, qty)


def test_stock_never_below_zero():
    assert r.apply_delta("A", 3, -3) == 0
    with pytest.raises(r.OutOfStock) as e:
        r.apply_delta("A", 2, -3)
    assert e.value.key == "gift.out_of_stock"
    assert e.value.params == {"sku": "A", "on_hand": 2, "qty": 3}


@given(st.lists(st.tuples(st.sampled_from(r.KINDS), st.integers(-20, 20)), max_size=60))
def test_replay_is_running_sum_and_never_negative(ops):
    """Apply movements one by one, skipping the ones the rules refuse: the running stock equals the sum
    of the accepted deltas and is never negative; a refused movement would have gone below zero."""
    on_hand = 0
    accepted: list[int] = []
    for kind, qty in ops:
        try:
            d = r.movement_delta(kind, qty)
        except InvalidInput:
            assert qty == 0 if kind == r.ADJUSTED else qty <= 0
            continue
        try:
            on_hand = r.apply_delta("S", on_hand, d)
        except r.OutOfStock:
            assert on_hand + d < 0
            continue
        accepted.append(d)
        assert on_hand == sum(accepted) >= 0
    assert r.replay(accepted) == [sum(accepted[: i + 1]) for i in range(len(accepted))]
    assert all(x >= 0 for x in r.replay(accepted))


def test_replay_refuses_going_negative():
    with pytest.raises(r.OutOfStock):
        r.replay([2, -1, -2])


def test_available_and_low():
    assert r.available(5, 2) == 3
    assert r.available(1, 3) == -2
    assert r.is_low(5, 2, 3) is True  # available 3 <= threshold 3
    assert r.is_low(6, 2, 3) is False
    assert r.is_low(0, 0, 0) is True  # out of stock is low
    assert r.is_low(0, 0, 0, active=False) is False


def test_overdue_after_due_date():
    assert r.is_overdue(date(2026, 11, 25), date(2026, 11, 26))
    assert not r.is_overdue(date(2026, 11, 26), date(2026, 11, 26))
    assert not r.is_overdue(None, date(2026, 11, 26))


def test_plan_handout_oldest_first_rest_stays_owed():
    units = [r.OwedUnit("e1", "A"), r.OwedUnit("e2", "A"), r.OwedUnit("e3", "B"), r.OwedUnit("e4", "X")]
    plan = r.plan_handout(units, {"A": 1, "B": 3})
    assert [u.entitlement_id for u in plan.give] == ["e1", "e3"]
    assert [(u.entitlement_id, why) for u, why in plan.short] == [("e2", r.SHORT_OUT_OF_STOCK), ("e4", r.SHORT_UNKNOWN_SKU)]


def test_plan_handout_refuses_the_same_entitlement_twice():
    with pytest.raises(InvalidInput):
        r.plan_handout([r.OwedUnit("e1", "A"), r.OwedUnit("e1", "A")], {"A": 5})


@given(
    st.lists(st.sampled_from("ABC"), max_size=30),
    st.dictionaries(st.sampled_from("ABCD"), st.integers(0, 10)),
)
def test_plan_handout_never_gives_more_than_on_hand(skus, stock):
    units = [r.OwedUnit(f"e{i}", s) for i, s in enumerate(skus)]
    plan = r.plan_handout(units, stock)
    given_ids = [u.entitlement_id for u in plan.give]
    short_ids = [u.entitlement_id for u, _ in plan.short]
    assert sorted(given_ids + short_ids, key=lambda x: int(x[1:])) == [u.entitlement_id for u in units]
    assert len(set(given_ids)) == len(given_ids)  # each handed out at most once
    for sku in "ABC":
        n = sum(1 for u in plan.give if u.sku == sku)
        assert n <= stock.get(sku, 0)
        # what stays owed for a known SKU is owed only because the shelf is empty
        if any(u.sku == sku and why == r.SHORT_OUT_OF_STOCK for u, why in plan.short):
            assert n == stock[sku]


def test_tier_short_sums_quantities_and_counts_owed():
    stock = {"A": (3, 2), "B": (5, 0)}
    assert r.tier_short([("A", 1), ("B", 2)], stock) == []
    assert r.tier_short([("A", 1), ("A", 1)], stock) == [("A", 2, 1)]
    assert r.tier_short([("Z", 1)], stock) == [("Z", 1, 0)]


def test_stocktake_lines_and_adjustments():
    lines = r.stocktake_lines({"A": 5, "B": 2, "C": 0}, {"b": 2, "A": 3, "C": 4})
    assert [(c.sku, c.expected, c.counted, c.difference) for c in lines] == [
        ("A", 5, 3, -2), ("B", 2, 2, 0), ("C", 0, 4, 4)
    ]
    assert r.adjustments(lines) == [("A", -2), ("C", 4)]


@pytest.mark.parametrize("counted", [{}, {"Z": 1}, {"A": -1}, {"A": "3"}])
def test_stocktake_refusals(counted):
    with pytest.raises(InvalidInput):
        r.stocktake_lines({"A": 5}, counted)


@given(st.dictionaries(st.sampled_from(["A", "B", "C"]), st.integers(0, 50), min_size=3, max_size=3),
       st.dictionaries(st.sampled_from(["A", "B", "C"]), st.integers(0, 50), min_size=1))
def test_stocktake_adjustments_bring_stock_to_the_count(expected, counted):
    lines = r.stocktake_lines(expected, counted)
    after = dict(expected)
    for sku, d in r.adjustments(lines):
        after[sku] = r.apply_delta(sku, after[sku], r.movement_delta(r.ADJUSTED, d))
    for sku, qty in counted.items():
        assert after[sku] == qty


def test_reason_rules():
    assert r.check_reason("  broken   box ", required=True) == "broken box"
    assert r.check_reason("", required=False) is None
    with pytest.raises(InvalidInput):
        r.check_reason("  ", required=True)
    with pytest.raises(InvalidInput):
        r.check_reason("x" * 201, required=True)
