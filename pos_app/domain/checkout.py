"""Checkout rules (收银, DOMAIN.md: Sales at the counter): pricing a basket, a coupon on the lines it
covers, the payment split, "actually paid", points, and returns. Pure functions on integer fen.

Rounding, written down once:
- a coupon's discount is spread over the lines it covers in proportion to their amounts, rounded down,
  the fen left over going to the lines with the largest remainders (ties: the earlier line) — :func:`spread`;
- a partial return of ``q`` of a line's ``Q`` units gives back ``A*(r+q)//Q - A*r//Q`` of its amount
  ``A`` (``r``: units returned before), so partial returns always add up to the whole line;
- the money of a return goes back over the sale's payments in proportion to what each has not yet given
  back (:func:`spread` again), a balance part to principal and bonus the same way, and the points in
  proportion to the money: ``E*(returned after)//T - E*(returned before)//T``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pos_app.domain import wallet as w
from pos_app.domain.coupons import CouponState, check_redeemable, group
from pos_app.domain.errors import InvalidInput, StateError
from pos_app.domain.money import MAX_AMOUNT_FEN, parse_yuan
from pos_app.domain.textparams import Money

BALANCE = "balance"
CASH = "cash"
METHODS = (BALANCE, CASH, "wechat", "alipay", "card", "other")
#: the order a return gives money back when it must pick (deductions come off the first external ones)
EXTERNAL = tuple(m for m in METHODS if m != BALANCE)

DEFAULT_CATEGORIES = ("宠物食品", "宠物用品", "洗护美容", "寄养", "医疗")

POINTS_DEDUCT = "deduct"  # points the member already spent: their value comes off the cash refund
POINTS_NEGATIVE = "negative"  # ... or the points balance goes below zero
POINTS_POLICIES = (POINTS_DEDUCT, POINTS_NEGATIVE)

MAX_QTY = 9999
MAX_LINES = 500


# ----------------------------------------------------------------------------- configuration


@dataclass(frozen=True)
class CheckoutRules:
    """The campaign's ``[checkout]`` table (every number is configuration)."""

    #: every full ``points_step_fen`` actually paid earns ``points_per_step`` points (0: no points)
    points_step_fen: int = 0
    points_per_step: int = 0
    #: whether the stored-value principal part of a payment earns points (the bonus part never does)
    principal_earns_points: bool = True
    #: more than one coupon on a sale
    stack_coupons: bool = False
    #: what a return does when the member already spent the points it takes back
    spent_points_policy: str = POINTS_DEDUCT
    #: the value of one point when it is deducted from a cash refund (fen)
    point_value_fen: int = 1
    #: the product categories (empty: the store's setting or the default list)
    categories: tuple[str, ...] = ()


def _bool(value: Any, name: str) -> bool:
    if not isinstance(value, bool):
        raise InvalidInput("campaign.bad_field", field=name, value=str(value)[:60])
    return value


def _yuan(value: Any, name: str) -> int:
    try:
        return parse_yuan(f"{value:.2f}" if isinstance(value, float) else value, allow_zero=True, field=name)
    except InvalidInput:
        raise InvalidInput("campaign.bad_field", field=name, value=str(value)[:60]) from None


def rules_from_dict(data: Mapping[str, Any]) -> CheckoutRules:
    """The ``[checkout]`` table of a campaign file, validated (defaults when it is absent)."""
    r = data.get("checkout") or {}
    if not isinstance(r, Mapping):
        raise InvalidInput("campaign.bad_field", field="checkout", value=str(r)[:60])
    points = r.get("points", 0)
    if isinstance(points, bool) or not isinstance(points, int) or not 0 <= points <= 1_000_000:
        raise InvalidInput("campaign.bad_field", field="checkout.points", value=str(points)[:60])
    step = _yuan(r.get("points_every", "0"), "checkout.points_every")
    if points and not step:
        raise InvalidInput("campaign.missing_field", field="checkout.points_every")
    policy = str(r.get("spent_points", POINTS_DEDUCT))
    if policy not in POINTS_POLICIES:
        raise InvalidInput("campaign.bad_field", field="checkout.spent_points", value=policy[:60])
    cats = r.get("categories", [])
    if not isinstance(cats, list) or not all(isinstance(c, str) and c.strip() for c in cats):
        raise InvalidInput("campaign.bad_field", field="checkout.categories", value=str(cats)[:60])
    return CheckoutRules(
        points_step_fen=step,
        points_per_step=points,
        principal_earns_points=_bool(r.get("principal_earns_points", True), "checkout.principal_earns_points"),
        stack_coupons=_bool(r.get("stack_coupons", False), "checkout.stack_coupons"),
        spent_points_policy=policy,
        point_value_fen=_yuan(r.get("point_value", "0.01"), "checkout.point_value"),
        categories=tuple(c.strip() for c in cats),
    )


def check_category(category: str, allowed: Sequence[str]) -> str:
    c = " ".join(str(category or "").split())
    if not c:
        raise InvalidInput("product.category_missing")
    if c not in allowed:
        raise InvalidInput("product.category_unknown", category=c, allowed="、".join(allowed))
    return c


# ----------------------------------------------------------------------------- pricing


def member_prices_on(until: date | None, today: date) -> bool:
    """Whether member-price eligibility running to ``until`` (inclusive) is current on ``today``."""
    return until is not None and today <= until


def check_qty(qty: Any) -> int:
    if isinstance(qty, bool) or not isinstance(qty, int) or not 1 <= qty <= MAX_QTY:
        raise InvalidInput("checkout.qty_invalid", qty=str(qty), max=MAX_QTY)
    return qty


def check_amount(amount_fen: Any, field_name: str = "amount") -> int:
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int):
        raise InvalidInput("money.invalid", value=str(amount_fen), field=field_name)
    if amount_fen < 0:
        raise InvalidInput("money.negative", value=str(amount_fen), field=field_name)
    if amount_fen == 0:
        raise InvalidInput("money.zero", value=str(amount_fen), field=field_name)
    if amount_fen > MAX_AMOUNT_FEN:
        raise InvalidInput("money.absurd", value=str(amount_fen), field=field_name, max=Money(MAX_AMOUNT_FEN))
    return amount_fen


@dataclass(frozen=True)
class Item:
    """A line before the coupon: a product (``sku``) or a free line (``sku`` None, by category)."""

    sku: str | None
    barcode: str | None
    name: str
    category: str
    qty: int
    list_unit_fen: int
    member_unit_fen: int | None = None


@dataclass(frozen=True)
class Line:
    no: int
    sku: str | None
    barcode: str | None
    name: str
    category: str
    qty: int
    list_unit_fen: int
    unit_fen: int
    discount_fen: int = 0

    @property
    def gross_fen(self) -> int:
        return self.unit_fen * self.qty

    @property
    def saving_fen(self) -> int:
        return (self.list_unit_fen - self.unit_fen) * self.qty

    @property
    def amount_fen(self) -> int:
        return self.gross_fen - self.discount_fen


def price_lines(items: Sequence[Item], member_prices: bool) -> tuple[Line, ...]:
    """Number the lines and price each unit: the member price when it applies and is lower."""
    if not items:
        raise InvalidInput("checkout.no_lines")
    if len(items) > MAX_LINES:
        raise InvalidInput("checkout.too_many_lines", max=MAX_LINES)
    out = []
    for i, it in enumerate(items, start=1):
        check_qty(it.qty)
        unit = it.list_unit_fen
        if member_prices and it.member_unit_fen is not None and it.member_unit_fen < unit:
            unit = it.member_unit_fen
        out.append(Line(i, it.sku, it.barcode, it.name, it.category, it.qty, it.list_unit_fen, unit))
    if sum(line.gross_fen for line in out) > MAX_AMOUNT_FEN:
        raise InvalidInput("money.absurd", value=str(sum(line.gross_fen for line in out)), field="total",
                           max=Money(MAX_AMOUNT_FEN))
    return tuple(out)


def spread(total: int, weights: Sequence[int]) -> list[int]:
    """``total`` split over ``weights`` in proportion (largest remainder; ties to the earlier one). Each
    part is at most its weight when ``total <= sum(weights)``; the parts add up to ``total``."""
    whole = sum(weights)
    if total < 0 or any(x < 0 for x in weights):
        raise ValueError("spread: negative")
    if whole == 0:
        if total:
            raise ValueError("spread: nothing to spread over")
        return [0] * len(weights)
    parts = [total * x // whole for x in weights]
    rest = total - sum(parts)
    order = sorted(range(len(weights)), key=lambda i: (-(total * weights[i] % whole), i))
    for i in order[:rest]:
        parts[i] += 1
    return parts


@dataclass(frozen=True)
class CouponOnSale:
    state: CouponState
    category: str  # "" = any line


def apply_coupons(
    lines: Sequence[Line], coupons: Sequence[CouponOnSale], *, member_id: str | None, today: date,
    stacking: bool = False,
) -> tuple[Line, ...]:
    """The lines with each coupon's discount spread over the lines it covers (its category label; all
    lines when it has none). Each coupon is checked as at redemption (owner, state, validity, the minimum
    spend on the lines it covers, after the coupons before it). One coupon unless ``stacking``."""
    if len(coupons) > 1 and not stacking:
        raise StateError("checkout.one_coupon")
    codes = [c.state.code for c in coupons]
    if len(set(codes)) != len(codes):
        raise InvalidInput("checkout.coupon_twice")
    out = list(lines)
    for c in coupons:
        covered = [i for i, line in enumerate(out) if not c.category or line.category == c.category]
        if not covered:
            raise StateError("checkout.coupon_no_lines", code=group(c.state.code), category=c.category)
        base = [out[i].amount_fen for i in covered]
        discount = check_redeemable(c.state, member_id=member_id, amount_fen=sum(base), today=today)
        for i, part in zip(covered, spread(discount, base), strict=True):
            line = out[i]
            out[i] = Line(line.no, line.sku, line.barcode, line.name, line.category, line.qty, line.list_unit_fen,
                          line.unit_fen, line.discount_fen + part)
    return tuple(out)


@dataclass(frozen=True)
class Totals:
    subtotal_fen: int
    saving_fen: int
    discount_fen: int
    total_fen: int


def totals(lines: Sequence[Line]) -> Totals:
    subtotal = sum(line.list_unit_fen * line.qty for line in lines)
    saving = sum(line.saving_fen for line in lines)
    discount = sum(line.discount_fen for line in lines)
    return Totals(subtotal, saving, discount, subtotal - saving - discount)


# ----------------------------------------------------------------------------- payments


@dataclass(frozen=True)
class Payment:
    method: str
    amount_fen: int
    tendered_fen: int | None = None


@dataclass(frozen=True)
class Paid:
    method: str
    amount_fen: int
    principal_fen: int = 0
    bonus_fen: int = 0
    tendered_fen: int | None = None
    change_fen: int = 0


def settle(
    total_fen: int, payments: Sequence[Payment], balance: w.Balance | None, order: str = w.PROPORTIONAL
) -> tuple[Paid, ...]:
    """Check the payment split against the total: known methods, each once, positive amounts that add
    up to exactly the total; cash tendered at least its amount (the change is the difference); the balance
    part split principal/bonus by ``order`` and never above the balance (``balance`` None: a walk-in)."""
    seen: set[str] = set()
    out: list[Paid] = []
    for p in payments:
        if p.method not in METHODS:
            raise InvalidInput("checkout.method_unknown", method=str(p.method), allowed=", ".join(METHODS))
        if p.method in seen:
            raise InvalidInput("checkout.method_twice", method=p.method)
        seen.add(p.method)
        check_amount(p.amount_fen)
        if p.tendered_fen is not None and p.method != CASH:
            raise InvalidInput("checkout.tendered_not_cash", method=p.method)
        if p.method == CASH:
            tendered = p.amount_fen if p.tendered_fen is None else p.tendered_fen
            if isinstance(tendered, bool) or not isinstance(tendered, int) or tendered > MAX_AMOUNT_FEN:
                raise InvalidInput("money.invalid", value=str(tendered), field="tendered")
            if tendered < p.amount_fen:
                raise InvalidInput("checkout.tendered_short", tendered=Money(tendered), amount=Money(p.amount_fen))
            out.append(Paid(CASH, p.amount_fen, tendered_fen=tendered, change_fen=tendered - p.amount_fen))
        elif p.method == BALANCE:
            if balance is None:
                raise InvalidInput("checkout.balance_walk_in")
            split = w.split_spend(balance, p.amount_fen, order)
            out.append(Paid(BALANCE, p.amount_fen, split.principal_fen, split.bonus_fen))
        else:
            out.append(Paid(p.method, p.amount_fen))
    paid = sum(p.amount_fen for p in out)
    if paid != total_fen:
        raise InvalidInput("checkout.pay_mismatch", total=Money(total_fen), paid=Money(paid))
    return tuple(out)


def actually_paid(total_fen: int, paid: Sequence[Paid]) -> int:
    """实际支付: the total (after member prices and coupons) without the stored-value bonus part."""
    return total_fen - sum(p.bonus_fen for p in paid)


def points_eligible(total_fen: int, paid: Sequence[Paid], rules: CheckoutRules) -> int:
    """What earns points: actually paid, less the principal part unless the campaign says it earns."""
    out = actually_paid(total_fen, paid)
    if not rules.principal_earns_points:
        out -= sum(p.principal_fen for p in paid)
    return out


def points_for(eligible_fen: int, rules: CheckoutRules) -> int:
    """floor(eligible / X) * Y."""
    if rules.points_step_fen <= 0 or rules.points_per_step <= 0 or eligible_fen <= 0:
        return 0
    return (eligible_fen // rules.points_step_fen) * rules.points_per_step


# ----------------------------------------------------------------------------- returns


@dataclass(frozen=True)
class SoldLine:
    no: int
    qty: int
    amount_fen: int
    returned_qty: int = 0


def return_lines(sold: Sequence[SoldLine], wanted: Sequence[tuple[int, int]] | None) -> tuple[tuple[int, int, int], ...]:
    """(line no, qty, amount) this return gives back: ``wanted`` as (line no, qty), or everything not yet
    returned. Refuses an unknown line, a line named twice, more than is left."""
    by_no = {line.no: line for line in sold}
    if wanted is None:
        wanted = [(line.no, line.qty - line.returned_qty) for line in sold if line.qty > line.returned_qty]
        if not wanted:
            raise StateError("sale.already_returned")
    elif not wanted:
        raise InvalidInput("return.no_lines")
    out = []
    seen: set[int] = set()
    for no, qty in wanted:
        line = by_no.get(no)
        if line is None:
            raise InvalidInput("return.line_unknown", line=no)
        if no in seen:
            raise InvalidInput("return.line_twice", line=no)
        seen.add(no)
        check_qty(qty)
        left = line.qty - line.returned_qty
        if qty > left:
            raise StateError("return.too_many", line=no, qty=qty, left=left)
        r = line.returned_qty
        amount = line.amount_fen * (r + qty) // line.qty - line.amount_fen * r // line.qty
        out.append((no, qty, amount))
    return tuple(out)


@dataclass(frozen=True)
class PaidLeft:
    """What one payment of the sale has not yet given back."""

    method: str
    amount_fen: int
    principal_fen: int = 0
    bonus_fen: int = 0


@dataclass(frozen=True)
class Refund:
    method: str
    amount_fen: int
    principal_fen: int = 0
    bonus_fen: int = 0


def refunds(amount_fen: int, left: Sequence[PaidLeft]) -> tuple[Refund, ...]:
    """``amount_fen`` back over the payments, in proportion to what each has left; the balance part to
    principal and bonus in proportion to what each has left. The whole of what is left goes back when
    ``amount_fen`` is all of it."""
    weights = [p.amount_fen for p in left]
    if amount_fen > sum(weights):
        raise StateError("return.more_than_paid", amount=Money(amount_fen))
    out = []
    for p, part in zip(left, spread(amount_fen, weights), strict=True):
        if part == 0:
            continue
        if p.method == BALANCE:
            principal, bonus = spread(part, [p.principal_fen, p.bonus_fen])
            out.append(Refund(BALANCE, part, principal, bonus))
        else:
            out.append(Refund(p.method, part))
    return tuple(out)


def points_back(points_earned: int, total_fen: int, returned_before_fen: int, returned_now_fen: int) -> int:
    """The points a return takes back, in proportion to the money (all of them once all is returned)."""
    if total_fen <= 0 or points_earned <= 0:
        return 0
    after = returned_before_fen + returned_now_fen
    return points_earned * after // total_fen - points_earned * returned_before_fen // total_fen


@dataclass(frozen=True)
class PointsShortfall:
    """What a return does with points the member already spent."""

    policy: str | None  # None: nothing was short
    short: int  # points that were not there to take back
    deducted_fen: int  # their value taken off the external refunds (policy deduct)
    negative: int  # points the balance goes below zero by (policy negative, or what no refund could cover)
    refunds: tuple[Refund, ...] = field(default=())


def settle_points_shortfall(
    short: int, rules: CheckoutRules, money_back: Sequence[Refund]
) -> PointsShortfall:
    """Policy ``negative``: the points balance goes below zero. Policy ``deduct``: their value comes off
    the cash refund, then the other external methods (never the balance part); points whose value no
    refund could cover go negative."""
    if short <= 0:
        return PointsShortfall(None, 0, 0, 0, tuple(money_back))
    if rules.spent_points_policy == POINTS_NEGATIVE or rules.point_value_fen <= 0:
        return PointsShortfall(POINTS_NEGATIVE, short, 0, short, tuple(money_back))
    value = short * rules.point_value_fen
    rank = {m: i for i, m in enumerate(EXTERNAL)}
    order = sorted((i for i, r in enumerate(money_back) if r.method != BALANCE), key=lambda i: rank[money_back[i].method])
    amounts = [r.amount_fen for r in money_back]
    need = value
    for i in order:
        take = min(need, amounts[i])
        amounts[i] -= take
        need -= take
    deducted = value - need
    covered = deducted // rules.point_value_fen
    if covered * rules.point_value_fen != deducted:  # a partly covered point is given back in full
        amounts_back = deducted - covered * rules.point_value_fen
        for i in reversed(order):
            give = min(amounts_back, money_back[i].amount_fen - amounts[i])
            amounts[i] += give
            amounts_back -= give
        deducted = covered * rules.point_value_fen
    out = tuple(Refund(r.method, a, r.principal_fen, r.bonus_fen) for r, a in zip(money_back, amounts, strict=True))
    return PointsShortfall(POINTS_DEDUCT, short, deducted, short - covered, out)
