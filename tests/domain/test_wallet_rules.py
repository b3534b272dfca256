"""The wallet: principal (owed back on refund) and bonus (marketing cost), spend order, refund, cap."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pos_app.domain.errors import InsufficientFunds, InvalidInput, LimitExceeded
from pos_app.domain.wallet import (
    BONUS_FIRST,
    DEFAULT_BALANCE_CAP_FEN,
    PRINCIPAL_FIRST,
    PROPORTIONAL,
    Balance,
    Lot,
    Split,
    allocate,
    check_recharge,
    plan_refund,
    split_spend,
)


def test_spend_100_of_balance_500_plus_50_proportional_takes_90_91_principal_and_9_09_bonus():
    s = split_spend(Balance(500_00, 50_00), 100_00)
    assert (s.principal_fen, s.bonus_fen) == (90_91, 9_09)  # bonus share 100*50/550 = 9.0909 rounded down


def test_spend_100_of_1000_plus_150_proportional_takes_86_96_and_13_04():
    s = split_spend(Balance(1000_00, 150_00), 100_00)
    assert (s.principal_fen, s.bonus_fen) == (86_96, 13_04)


def test_spend_orders_principal_first_and_bonus_first():
    b = Balance(30_00, 50_00)
    assert split_spend(b, 40_00, PRINCIPAL_FIRST) == Split(30_00, 10_00)
    assert split_spend(b, 40_00, BONUS_FIRST) == Split(0, 40_00)
    assert split_spend(b, 80_00, BONUS_FIRST) == Split(30_00, 50_00)
    with pytest.raises(InvalidInput):
        split_spend(b, 1, "random")


def test_spending_more_than_the_balance_550_is_refused():
    with pytest.raises(InsufficientFunds) as exc:
        split_spend(Balance(500_00, 50_00), 550_01)
    assert exc.value.params == {"amount": 550_01, "balance": 550_00}
    assert split_spend(Balance(500_00, 50_00), 550_00) == Split(500_00, 50_00)
    with pytest.raises(InsufficientFunds):
        split_spend(Balance(0, 0), 1)


def test_cap_5000_refuses_a_recharge_that_would_pass_it():
    assert DEFAULT_BALANCE_CAP_FEN == 5000_00
    after = check_recharge(Balance(4000_00, 400_00), 500_00, 50_00, DEFAULT_BALANCE_CAP_FEN)
    assert after == Balance(4500_00, 450_00)
    assert check_recharge(Balance(0, 0), 5000_00, 0, DEFAULT_BALANCE_CAP_FEN).total_fen == 5000_00
    with pytest.raises(LimitExceeded) as exc:
        check_recharge(Balance(4000_00, 400_00), 500_00, 100_01, DEFAULT_BALANCE_CAP_FEN)
    assert exc.value.params["room"] == 600_00 and exc.value.params["cap"] == 5000_00
    assert check_recharge(Balance(9_000_00, 0), 1, 0, 0).total_fen == 9_000_01  # cap 0 = no cap


def test_allocate_takes_oldest_lot_first_principal_and_bonus_each_on_its_own():
    lots = [Lot("r1", 100_00, 0), Lot("r2", 500_00, 50_00)]
    takes = allocate(lots, Split(150_00, 20_00))
    assert [(t.lot_id, t.principal_fen, t.bonus_fen) for t in takes] == [("r1", 100_00, 0), ("r2", 50_00, 20_00)]
    with pytest.raises(InsufficientFunds):
        allocate(lots, Split(700_00, 0))


def test_refund_of_a_500_plus_50_recharge_after_spending_100_returns_409_09_and_takes_back_40_91():
    left = Lot("r1", 500_00 - 90_91, 50_00 - 9_09)
    plan = plan_refund(left, 500_00, 50_00)
    assert plan.principal_refund_fen == 409_09
    assert plan.bonus_revoke_fen == 40_91
    assert (plan.principal_spent_fen, plan.bonus_spent_fen) == (90_91, 9_09)


def test_refund_of_a_fully_spent_recharge_is_refused():
    with pytest.raises(InvalidInput) as exc:
        plan_refund(Lot("r1", 0, 0), 500_00, 50_00)
    assert exc.value.key == "refund.nothing_left"


balances = st.builds(Balance, st.integers(0, 10_000_00), st.integers(0, 5_000_00))


@settings(max_examples=200, deadline=None)
@given(balances, st.integers(1, 15_000_00), st.sampled_from([PROPORTIONAL, PRINCIPAL_FIRST, BONUS_FIRST]))
def test_a_split_always_sums_to_the_amount_and_never_exceeds_either_part(balance, amount, order):
    if amount > balance.total_fen:
        with pytest.raises(InsufficientFunds):
            split_spend(balance, amount, order)
        return
    s = split_spend(balance, amount, order)
    assert s.total_fen == amount
    assert 0 <= s.principal_fen <= balance.principal_fen
    assert 0 <= s.bonus_fen <= balance.bonus_fen
    if order == PROPORTIONAL:
        # the bonus part is the bonus share rounded down: within one fen of exact
        assert s.bonus_fen * balance.total_fen <= amount * balance.bonus_fen < (s.bonus_fen + 1) * balance.total_fen


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 1000_00), st.integers(0, 200_00)), min_size=1, max_size=6), st.data())
def test_allocation_over_lots_matches_the_split_exactly(lot_spec, data):
    lots = [Lot(f"r{i}", p, b) for i, (p, b) in enumerate(lot_spec)]
    total = Balance(sum(lot.principal_fen for lot in lots), sum(lot.bonus_fen for lot in lots))
    if total.total_fen == 0:
        return
    amount = data.draw(st.integers(1, total.total_fen))
    s = split_spend(total, amount)
    takes = allocate(lots, s)
    assert sum(t.principal_fen for t in takes) == s.principal_fen
    assert sum(t.bonus_fen for t in takes) == s.bonus_fen
    by_id = {lot.lot_id: lot for lot in lots}
    for t in takes:
        assert t.principal_fen <= by_id[t.lot_id].principal_fen and t.bonus_fen <= by_id[t.lot_id].bonus_fen
