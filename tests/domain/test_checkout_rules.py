"""Checkout rules (domain.checkout): pricing, the coupon on the lines it covers, the payment split, points,
returns. Money invariants by hypothesis: lines - discounts == payments; the balance never goes negative;
points == floor(eligible / X) * Y; returning everything gives back exactly what was paid and earned, and
partial returns add up to a full one."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pos_app.domain import checkout as ck
from pos_app.domain import wallet as w
from pos_app.domain.coupons import AMOUNT_OFF, ISSUED, PERCENT_OFF, REDEEMED, CouponState
from pos_app.domain.errors import InsufficientFunds, InvalidInput, StateError

TODAY = date(2026, 12, 2)
CATS = ck.DEFAULT_CATEGORIES
RULES = ck.CheckoutRules(points_step_fen=10_00, points_per_step=1)


def coupon(kind: str = AMOUNT_OFF, value: int = 20_00, pct: int = 0, min_spend: int = 0, member: str | None = "m1",
           state: str = ISSUED, until: date = date(2026, 12, 31), code: str = "C" * 17) -> CouponState:
    return CouponState(code=code, kind=kind, state=state, member_id=member, bearer=False, valid_from=date(2026, 11, 1),
                       valid_until=until, value_fen=value, percent_bp=pct, max_discount_fen=0, min_spend_fen=min_spend)


def item(price: int, member: int | None = None, qty: int = 1, cat: str = "宠物食品") -> ck.Item:
    return ck.Item("S", "B", "n", cat, qty, price, member)


# ----------------------------------------------------------------------------- examples


def test_member_price_only_while_eligible_and_only_when_lower():
    assert ck.member_prices_on(date(2026, 12, 2), TODAY) and not ck.member_prices_on(date(2026, 12, 1), TODAY)
    assert not ck.member_prices_on(None, TODAY)
    lines = ck.price_lines([item(128_00, 108_00, 2), item(50_00, 60_00)], member_prices=True)
    assert [(ln.unit_fen, ln.saving_fen) for ln in lines] == [(108_00, 40_00), (50_00, 0)]
    lines = ck.price_lines([item(128_00, 108_00, 2)], member_prices=False)
    assert (lines[0].unit_fen, lines[0].saving_fen) == (128_00, 0)


def test_coupon_covers_only_its_category_and_spreads_with_deterministic_remainders():
    lines = ck.price_lines([item(10_00, cat="宠物用品"), item(20_00, cat="宠物用品"), item(100_00, cat="宠物食品")], False)
    got = ck.apply_coupons(lines, [ck.CouponOnSale(coupon(value=10_01), "宠物用品")], member_id="m1", today=TODAY)
    assert [ln.discount_fen for ln in got] == [3_34, 6_67, 0]  # 1001 over 1000:2000 -> 333.67 / 667.33
    assert sum(ln.amount_fen for ln in got) == 130_00 - 10_01
    # min spend is checked on the lines the coupon covers, not on the whole bill
    with pytest.raises(StateError) as e:
        ck.apply_coupons(lines, [ck.CouponOnSale(coupon(min_spend=50_00), "宠物用品")], member_id="m1", today=TODAY)
    assert e.value.key == "coupon.min_spend"
    with pytest.raises(StateError) as e:
        ck.apply_coupons(lines, [ck.CouponOnSale(coupon(), "医疗")], member_id="m1", today=TODAY)
    assert e.value.key == "checkout.coupon_no_lines"


@pytest.mark.parametrize(("c", "member", "key"), [
    (coupon(member="m2"), "m1", "coupon.other_member"),
    (coupon(state=REDEEMED), "m1", "coupon.used"),
    (coupon(until=date(2026, 12, 1)), "m1", "coupon.expired"),
])
def test_coupon_refusals_name_the_reason(c, member, key):
    lines = ck.price_lines([item(100_00)], False)
    with pytest.raises(StateError) as e:
        ck.apply_coupons(lines, [ck.CouponOnSale(c, "")], member_id=member, today=TODAY)
    assert e.value.key == key


def test_one_coupon_unless_stacking():
    lines = ck.price_lines([item(100_00)], False)
    two = [ck.CouponOnSale(coupon(code="A" * 17), ""), ck.CouponOnSale(coupon(code="B" * 17, kind=PERCENT_OFF, pct=1000), "")]
    with pytest.raises(StateError) as e:
        ck.apply_coupons(lines, two, member_id="m1", today=TODAY)
    assert e.value.key == "checkout.one_coupon"
    got = ck.apply_coupons(lines, two, member_id="m1", today=TODAY, stacking=True)
    assert got[0].discount_fen == 20_00 + 8_00  # 10% of what the first left


def test_payment_split_refusals():
    bal = w.Balance(100_00, 20_00)
    with pytest.raises(InvalidInput) as e:
        ck.settle(100_00, [ck.Payment("cash", 50_00)], None)
    assert e.value.key == "checkout.pay_mismatch"
    with pytest.raises(InvalidInput) as e:
        ck.settle(100_00, [ck.Payment("balance", 100_00)], None)
    assert e.value.key == "checkout.balance_walk_in"
    with pytest.raises(InsufficientFunds):
        ck.settle(200_00, [ck.Payment("balance", 130_00), ck.Payment("cash", 70_00)], bal)
    with pytest.raises(InvalidInput) as e:
        ck.settle(100_00, [ck.Payment("cash", 100_00, 90_00)], None)
    assert e.value.key == "checkout.tendered_short"
    with pytest.raises(InvalidInput) as e:
        ck.settle(100_00, [ck.Payment("wechat", 100_00, 100_00)], None)
    assert e.value.key == "checkout.tendered_not_cash"
    with pytest.raises(InvalidInput) as e:
        ck.settle(100_00, [ck.Payment("cash", 50_00), ck.Payment("cash", 50_00)], None)
    assert e.value.key == "checkout.method_twice"
    with pytest.raises(InvalidInput):
        ck.settle(100_00, [ck.Payment("bitcoin", 100_00)], None)
    paid = ck.settle(100_00, [ck.Payment("balance", 60_00), ck.Payment("cash", 40_00, 50_00)], bal)
    assert [(p.method, p.principal_fen, p.bonus_fen, p.change_fen) for p in paid] == [
        ("balance", 50_00, 10_00, 0), ("cash", 0, 0, 10_00)]
    assert ck.actually_paid(100_00, paid) == 90_00
    no_principal = ck.CheckoutRules(points_step_fen=10_00, points_per_step=1, principal_earns_points=False)
    assert ck.points_eligible(100_00, paid, RULES) == 90_00
    assert ck.points_eligible(100_00, paid, no_principal) == 40_00


def test_rules_from_campaign_file_and_refusals():
    r = ck.rules_from_dict({"checkout": {"points_every": "10", "points": 2, "principal_earns_points": False,
                                         "stack_coupons": True, "spent_points": "negative", "point_value": "0.05"}})
    assert (r.points_step_fen, r.points_per_step, r.principal_earns_points, r.stack_coupons, r.spent_points_policy,
            r.point_value_fen) == (10_00, 2, False, True, "negative", 5)
    assert ck.rules_from_dict({}) == ck.CheckoutRules()
    for bad in ({"points": 1}, {"points": "x"}, {"spent_points": "forgive"}, {"stack_coupons": "yes"},
                {"categories": "宠物"}):
        with pytest.raises(InvalidInput):
            ck.rules_from_dict({"checkout": bad})


def test_return_refusals():
    sold = [ck.SoldLine(1, 2, 100_00), ck.SoldLine(2, 1, 30_00, returned_qty=1)]
    for wanted, key in (([(3, 1)], "return.line_unknown"), ([(1, 3)], "return.too_many"), ([(2, 1)], "return.too_many"),
                        ([(1, 1), (1, 1)], "return.line_twice"), ([], "return.no_lines")):
        with pytest.raises((InvalidInput, StateError)) as e:
            ck.return_lines(sold, wanted)
        assert e.value.key == key
    assert ck.return_lines(sold, None) == ((1, 2, 100_00),)
    with pytest.raises(StateError):
        ck.return_lines([ck.SoldLine(1, 1, 10_00, 1)], None)


def test_points_already_spent_deduct_from_cash_or_go_negative():
    back = (ck.Refund("balance", 50_00, 40_00, 10_00), ck.Refund("cash", 3_00))
    rules = ck.CheckoutRules(points_step_fen=10_00, points_per_step=1, point_value_fen=10)
    got = ck.settle_points_shortfall(20, rules, back)
    assert (got.policy, got.deducted_fen, got.negative) == ("deduct", 2_00, 0)
    assert [r.amount_fen for r in got.refunds] == [50_00, 1_00]  # never off the balance part
    got = ck.settle_points_shortfall(50, rules, back)  # 5 yuan of points, 3 yuan of cash to take it from
    assert (got.deducted_fen, got.negative, [r.amount_fen for r in got.refunds]) == (3_00, 20, [50_00, 0])
    neg = ck.settle_points_shortfall(20, ck.CheckoutRules(spent_points_policy="negative"), back)
    assert (neg.policy, neg.deducted_fen, neg.negative, neg.refunds) == ("negative", 0, 20, back)


# ----------------------------------------------------------------------------- properties

prices = st.integers(min_value=1, max_value=2_000_00)
lines_st = st.lists(
    st.tuples(prices, st.one_of(st.none(), st.integers(min_value=1, max_value=2_000_00)), st.integers(1, 5),
              st.sampled_from(CATS)),
    min_size=1, max_size=8,
)
coupon_st = st.one_of(
    st.none(),
    st.tuples(st.sampled_from([AMOUNT_OFF, PERCENT_OFF]), st.integers(1, 300_00), st.integers(1, 9_999),
              st.sampled_from(("", *CATS))),
)


def _sale(data, basket, member_prices, cpn, balance):
    lines = ck.price_lines([item(p, mp, q, c) for p, mp, q, c in basket], member_prices)
    if cpn is not None:
        kind, value, pct, cat = cpn
        c = coupon(kind=kind, value=value, pct=pct)
        if cat and not any(ln.category == cat for ln in lines):
            cat = ""
        lines = ck.apply_coupons(lines, [ck.CouponOnSale(c, cat)], member_id="m1", today=TODAY)
    t = ck.totals(lines)
    total = t.total_fen
    # a split: some from the balance (never above it), some cash with tendered, the rest by WeChat
    from_balance = data.draw(st.integers(0, min(total, balance.total_fen)))
    cash = data.draw(st.integers(0, total - from_balance))
    pays = []
    if from_balance:
        pays.append(ck.Payment("balance", from_balance))
    if cash:
        pays.append(ck.Payment("cash", cash, cash + data.draw(st.integers(0, 100_00))))
    if total - from_balance - cash:
        pays.append(ck.Payment("wechat", total - from_balance - cash))
    order = data.draw(st.sampled_from(w.SPEND_ORDERS))
    return lines, t, ck.settle(total, pays, balance, order)


@given(st.data(), lines_st, st.booleans(), coupon_st, st.integers(0, 3_000_00), st.integers(0, 1_000_00))
def test_lines_less_discounts_equal_the_payments_and_the_balance_never_goes_negative(data, basket, mp, cpn, p, b):
    balance = w.Balance(p, b)
    lines, t, paid = _sale(data, basket, mp, cpn, balance)
    assert sum(ln.amount_fen for ln in lines) == t.subtotal_fen - t.saving_fen - t.discount_fen == t.total_fen
    assert sum(x.amount_fen for x in paid) == t.total_fen
    assert all(0 <= ln.discount_fen <= ln.gross_fen for ln in lines)
    bal = [x for x in paid if x.method == "balance"]
    for x in bal:
        assert x.principal_fen + x.bonus_fen == x.amount_fen
        assert 0 <= x.principal_fen <= balance.principal_fen and 0 <= x.bonus_fen <= balance.bonus_fen
    assert all(x.change_fen == (x.tendered_fen or 0) - x.amount_fen >= 0 for x in paid if x.method == "cash")
    eligible = ck.points_eligible(t.total_fen, paid, RULES)
    assert ck.points_for(eligible, RULES) == (eligible // RULES.points_step_fen) * RULES.points_per_step
    assert ck.actually_paid(t.total_fen, paid) == t.total_fen - sum(x.bonus_fen for x in bal)


def _left(paid, backs):
    out = []
    for p in paid:
        gone = [r for rs in backs for r in rs if r.method == p.method]
        out.append(ck.PaidLeft(p.method, p.amount_fen - sum(r.amount_fen for r in gone),
                               p.principal_fen - sum(r.principal_fen for r in gone),
                               p.bonus_fen - sum(r.bonus_fen for r in gone)))
    return out


@given(st.data(), lines_st, st.booleans(), coupon_st, st.integers(0, 3_000_00), st.integers(0, 1_000_00),
       st.integers(0, 500))
def test_partial_returns_add_up_to_a_full_one_which_gives_back_exactly_what_was_paid(data, basket, mp, cpn, p, b, pts):
    balance = w.Balance(p, b)
    lines, t, paid = _sale(data, basket, mp, cpn, balance)
    sold = {ln.no: ck.SoldLine(ln.no, ln.qty, ln.amount_fen) for ln in lines}
    backs: list[tuple[ck.Refund, ...]] = []
    returned_fen = 0
    points_back = 0
    while any(s.returned_qty < s.qty for s in sold.values()):
        open_lines = [s for s in sold.values() if s.returned_qty < s.qty]
        if data.draw(st.booleans()):
            wanted = None  # the rest of the sale at once
        else:
            pick = data.draw(st.sampled_from(open_lines))
            wanted = [(pick.no, data.draw(st.integers(1, pick.qty - pick.returned_qty)))]
        got = ck.return_lines(list(sold.values()), wanted)
        amount = sum(a for _, _, a in got)
        back = ck.refunds(amount, _left(paid, backs))
        assert sum(r.amount_fen for r in back) == amount
        assert all(r.principal_fen + r.bonus_fen == r.amount_fen for r in back if r.method == "balance")
        points_back += ck.points_back(pts, t.total_fen, returned_fen, amount)
        returned_fen += amount
        backs.append(back)
        for no, q, _ in got:
            s = sold[no]
            sold[no] = ck.SoldLine(s.no, s.qty, s.amount_fen, s.returned_qty + q)
    # everything returned: every payment back in full, principal and bonus apart, every point
    assert returned_fen == t.total_fen
    assert all(x.amount_fen == 0 and x.principal_fen == 0 and x.bonus_fen == 0 for x in _left(paid, backs))
    assert points_back == (pts if t.total_fen > 0 else 0)


@given(st.integers(0, 10**9), st.lists(st.integers(0, 10**7), min_size=1, max_size=20))
def test_spread_adds_up_and_never_passes_a_weight(total, weights):
    if sum(weights) == 0:
        return
    total = total % (sum(weights) + 1)
    parts = ck.spread(total, weights)
    assert sum(parts) == total
    assert all(0 <= x <= wt for x, wt in zip(parts, weights, strict=True))
