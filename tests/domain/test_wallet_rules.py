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
    UsedPerk,
    allocate,
    check_recharge,
    largest_recharge_within_cap,
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


# ----------------------------------------------------------------------------- refund deductions (issue 9)


def test_refund_deducts_the_voucher_used_and_the_toy_kept():
    """The member used the 50 voucher and kept the 39 toy: 947.90 unspent -> 858.90 paid back."""
    used = [UsedPerk("voucher", "洗护美容服务券", 50_00), UsedPerk("gift", "宠物玩具", 39_00)]
    plan = plan_refund(Lot("r1", 947_90, 142_19), 1000_00, 150_00, used)
    assert (plan.principal_unspent_fen, plan.deductions_fen, plan.deducted_fen) == (947_90, 89_00, 89_00)
    assert plan.principal_refund_fen == 858_90
    assert plan.bonus_revoke_fen == 142_19
    assert plan.deductions == tuple(used)
    off = plan_refund(Lot("r1", 947_90, 142_19), 1000_00, 150_00, used, deduct_used_perks=False)
    assert (off.principal_refund_fen, off.deductions, off.deducted_fen) == (947_90, (), 0)


def test_refund_deductions_never_go_below_zero_and_refuse_a_negative_value():
    plan = plan_refund(Lot("r1", 30_00, 0), 500_00, 50_00, [UsedPerk("gift", "toy", 39_00)])
    assert (plan.principal_refund_fen, plan.deducted_fen, plan.deductions_fen) == (0, 30_00, 39_00)
    with pytest.raises(InvalidInput) as exc:
        plan_refund(Lot("r1", 30_00, 0), 500_00, 50_00, [UsedPerk("gift", "toy", -1)])
    assert exc.value.key == "refund.perk_value_invalid"


perks = st.lists(
    st.builds(UsedPerk, st.sampled_from(["coupon", "voucher", "gift"]), st.text(max_size=5), st.integers(0, 600_00)),
    max_size=6,
)


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 5000_00), st.integers(0, 1000_00), st.integers(0, 5000_00), perks, st.booleans())
def test_a_refund_is_never_negative_never_more_than_unspent_and_its_deductions_sum_its_lines(
    paid_extra, bonus, unspent, used, deduct
):
    if unspent == 0 and bonus == 0:
        return
    plan = plan_refund(Lot("r", unspent, bonus), unspent + paid_extra, bonus, used, deduct_used_perks=deduct)
    assert 0 <= plan.principal_refund_fen <= plan.principal_unspent_fen == unspent
    assert plan.deductions_fen == sum(p.value_fen for p in plan.deductions)
    assert plan.deductions == (tuple(used) if deduct else ())
    assert plan.deducted_fen == min(plan.deductions_fen, unspent)
    assert plan.principal_refund_fen + plan.deducted_fen == unspent  # what is not paid back is what was deducted
    assert plan.principal_refund_fen == max(0, unspent - plan.deductions_fen)


# ----------------------------------------------------------------------------- the cap hint (issue 9)

DEMO_TIERS = ((500_00, 50_00), (1000_00, 150_00), (2000_00, 400_00))


def _bonus_for(amount, tiers):
    reached = [t for t in tiers if t[0] <= amount]
    return max(reached)[1] if reached else 0  # the highest-priced tier the amount reaches


def _passes(balance, amount, cap, tiers):
    return balance + amount + _bonus_for(amount, tiers) <= cap


def test_cap_hint_for_a_1100_10_balance_is_3499_90_not_3899_90():
    hint = largest_recharge_within_cap(1100_10, 5000_00, DEMO_TIERS)
    assert hint == 3499_90
    assert _passes(1100_10, hint, 5000_00, DEMO_TIERS) and not _passes(1100_10, hint + 1, 5000_00, DEMO_TIERS)
    with pytest.raises(LimitExceeded) as exc:
        check_recharge(Balance(1000_00, 100_10), 5000_01, 400_00, 5000_00, DEMO_TIERS)
    assert exc.value.params["room"] == 3499_90
    # just under a tier price can be the best: 1,999.99 (+150) beats 2,000 (+400) when 2,000 does not fit
    assert largest_recharge_within_cap(2600_00, 5000_00, DEMO_TIERS) == 2000_00
    assert largest_recharge_within_cap(2700_00, 5000_00, DEMO_TIERS) == 1999_99
    assert largest_recharge_within_cap(5000_00, 5000_00, DEMO_TIERS) == 0
    assert largest_recharge_within_cap(1, 0, DEMO_TIERS, max_fen=99) == 99  # no cap


tier_sets = st.lists(st.tuples(st.integers(1, 3000_00), st.integers(0, 1000_00)), max_size=4, unique_by=lambda t: t[0])


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 5000_00), tier_sets)
def test_the_hinted_amount_passes_and_one_fen_more_does_not(balance, tiers):
    cap = 5000_00
    hint = largest_recharge_within_cap(balance, cap, tiers)
    if hint > 0:
        assert _passes(balance, hint, cap, tiers)
    # nothing above the hint passes: one fen more, and every tier price above it (the bonus steps)
    for amount in {hint + 1, *[p for p, _ in tiers if p > hint], *[p - 1 for p, _ in tiers if p - 1 > hint]}:
        assert not _passes(balance, amount, cap, tiers), (amount, hint)


@settings(max_examples=150, deadline=None)
@given(st.integers(0, 300), st.lists(st.tuples(st.integers(1, 300), st.integers(0, 100)), max_size=3, unique_by=lambda t: t[0]))
def test_the_hint_is_the_brute_force_maximum_on_small_numbers(balance, tiers):
    cap = 300
    best = max((a for a in range(1, cap + 1) if _passes(balance, a, cap, tiers)), default=0)
    assert largest_recharge_within_cap(balance, cap, tiers) == best
