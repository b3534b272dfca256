"""The stored-value wallet: principal (本金, owed back on refund) and bonus (赠送金, marketing cost).

Each recharge is a *lot* holding what is left of its principal and bonus. Spending splits the amount
between principal and bonus by the configured order, then takes each part from the lots oldest-first,
so a refund can return exactly the principal of that recharge that is not yet spent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pos_app.domain.errors import InsufficientFunds, InvalidInput, LimitExceeded
from pos_app.domain.money import MAX_AMOUNT_FEN
from pos_app.domain.textparams import Money, Term

PROPORTIONAL = "proportional"
PRINCIPAL_FIRST = "principal_first"
BONUS_FIRST = "bonus_first"
SPEND_ORDERS = (PROPORTIONAL, PRINCIPAL_FIRST, BONUS_FIRST)

#: Named (记名) prepaid card cap under 单用途商业预付卡管理办法: 5,000 yuan. Configuration, this is the default.
DEFAULT_BALANCE_CAP_FEN = 500_000


@dataclass(frozen=True)
class Balance:
    principal_fen: int = 0
    bonus_fen: int = 0

    @property
    def total_fen(self) -> int:
        return self.principal_fen + self.bonus_fen

    def plus(self, principal: int, bonus: int) -> Balance:
        return Balance(self.principal_fen + principal, self.bonus_fen + bonus)


@dataclass(frozen=True)
class Split:
    principal_fen: int
    bonus_fen: int

    @property
    def total_fen(self) -> int:
        return self.principal_fen + self.bonus_fen


def largest_recharge_within_cap(
    balance_fen: int, cap_fen: int, tiers: Sequence[tuple[int, int]] = (), max_fen: int | None = None
) -> int:
    """The largest amount (fen) a custom recharge may be, bonus included, so the balance stays within the cap.

    ``tiers`` are the campaign's (price, bonus) pairs: a custom amount takes the best (highest-priced) tier
    it reaches, so its bonus is a step function of the amount. Between two tier prices the bonus is fixed;
    the answer is the best of each step's largest amount. 0 when nothing fits; ``max_fen`` (or the room
    without a bonus) when there is no cap."""
    room = cap_fen - balance_fen
    if cap_fen <= 0:
        return max_fen if max_fen is not None else 0
    if room <= 0:
        return 0
    prices = sorted({p for p, _ in tiers if p > 0})
    bonus_at = {p: max(b for q, b in tiers if q == p) for p in prices}
    best = 0
    # the steps: [1, first price - 1] with no bonus, then [price_i, price_{i+1} - 1] with tier i's bonus
    starts = [1, *prices]
    for i, start in enumerate(starts):
        end = starts[i + 1] - 1 if i + 1 < len(starts) else room
        bonus = bonus_at.get(start, 0) if i > 0 else 0
        top = min(end, room - bonus)
        if top >= start:
            best = max(best, top)
    if max_fen is not None:
        best = min(best, max_fen)
    return best


def check_recharge(
    balance: Balance, principal_fen: int, bonus_fen: int, cap_fen: int, tiers: Sequence[tuple[int, int]] = ()
) -> Balance:
    """The balance after a recharge, or LimitExceeded when it would pass the cap. The refusal's ``room``
    is the largest custom amount that passes, bonus included (``tiers``: the campaign's price/bonus pairs)."""
    if principal_fen <= 0 or bonus_fen < 0:
        raise InvalidInput("money.zero", value=str(principal_fen), field="amount")
    after = balance.plus(principal_fen, bonus_fen)
    if cap_fen > 0 and after.total_fen > cap_fen:
        raise LimitExceeded(
            "wallet.cap_exceeded",
            cap=cap_fen,
            balance=balance.total_fen,
            room=largest_recharge_within_cap(balance.total_fen, cap_fen, tiers),
            after=after.total_fen,
        )
    return after


#: the two parts of a wallet an adjustment names
ADJUST_PARTS = ("principal", "bonus")


def check_adjustment_amounts(principal_delta_fen: int, bonus_delta_fen: int) -> None:
    """An adjustment's two signed parts: each a whole number of fen within bounds, not both zero."""
    for part, delta in zip(ADJUST_PARTS, (principal_delta_fen, bonus_delta_fen), strict=True):
        if isinstance(delta, bool) or not isinstance(delta, int):
            raise InvalidInput("money.invalid", value=str(delta), field=part)
        if abs(delta) > MAX_AMOUNT_FEN:
            raise InvalidInput("money.absurd", value=str(delta), field=part, max=Money(MAX_AMOUNT_FEN))
    if principal_delta_fen == 0 and bonus_delta_fen == 0:
        raise InvalidInput("wallet.adjust_nothing")


def check_adjustment(balance: Balance, principal_delta_fen: int, bonus_delta_fen: int, cap_fen: int = 0) -> Balance:
    """The balance after a manager's adjustment (principal and/or bonus, up or down), or a refusal: the amounts
    (:func:`check_adjustment_amounts`); neither part ever below zero; a balance raised above the named-card cap
    (``cap_fen``; 0: none) is refused too (lowering one that is already above it is not)."""
    check_adjustment_amounts(principal_delta_fen, bonus_delta_fen)
    after = balance.plus(principal_delta_fen, bonus_delta_fen)
    for part, had, left, delta in (("principal", balance.principal_fen, after.principal_fen, principal_delta_fen),
                                   ("bonus", balance.bonus_fen, after.bonus_fen, bonus_delta_fen)):
        if left < 0:
            raise InvalidInput("wallet.adjust_below_zero", part=Term(f"wallet.part.{part}"), balance=Money(had),
                               amount=Money(-delta))
    if cap_fen > 0 and after.total_fen > cap_fen and after.total_fen > balance.total_fen:
        raise InvalidInput("wallet.adjust_over_cap", cap=Money(cap_fen), after=Money(after.total_fen))
    return after


def split_spend(balance: Balance, amount_fen: int, order: str = PROPORTIONAL) -> Split:
    """How ``amount_fen`` is taken from principal and bonus. Never more than the balance.

    Proportional: the bonus part is ``amount * bonus // total`` (rounded down, so the member's bonus
    never pays more than its share); the principal part is the rest, which never exceeds the principal.
    """
    if amount_fen <= 0:
        raise InvalidInput("money.zero", value=str(amount_fen), field="amount")
    if amount_fen > balance.total_fen:
        raise InsufficientFunds("wallet.insufficient", amount=amount_fen, balance=balance.total_fen)
    if order == PROPORTIONAL:
        bonus = amount_fen * balance.bonus_fen // balance.total_fen
        principal = amount_fen - bonus
    elif order == PRINCIPAL_FIRST:
        principal = min(amount_fen, balance.principal_fen)
        bonus = amount_fen - principal
    elif order == BONUS_FIRST:
        bonus = min(amount_fen, balance.bonus_fen)
        principal = amount_fen - bonus
    else:
        raise InvalidInput("wallet.spend_order_invalid", order=order)
    assert 0 <= principal <= balance.principal_fen and 0 <= bonus <= balance.bonus_fen
    return Split(principal, bonus)


@dataclass(frozen=True)
class Lot:
    """What is left of one recharge."""

    lot_id: str
    principal_fen: int
    bonus_fen: int


@dataclass(frozen=True)
class LotTake:
    lot_id: str
    principal_fen: int
    bonus_fen: int


def allocate(lots: Sequence[Lot], split: Split) -> tuple[LotTake, ...]:
    """Take ``split`` from the lots, oldest first, principal and bonus each on its own."""
    need_p, need_b = split.principal_fen, split.bonus_fen
    takes: list[LotTake] = []
    for lot in lots:
        if need_p == 0 and need_b == 0:
            break
        tp = min(need_p, lot.principal_fen)
        tb = min(need_b, lot.bonus_fen)
        if tp or tb:
            takes.append(LotTake(lot.lot_id, tp, tb))
            need_p -= tp
            need_b -= tb
    if need_p or need_b:
        raise InsufficientFunds("wallet.insufficient", amount=split.total_fen, balance=0)
    return tuple(takes)


#: what a refund deducts for: a coupon or voucher the member redeemed, a gift handed out
PERK_COUPON = "coupon"
PERK_VOUCHER = "voucher"
PERK_GIFT = "gift"

#: how the refunded principal is paid back
REFUND_CASH = "cash"
REFUND_ORIGINAL = "original"
REFUND_METHODS = (REFUND_ORIGINAL, REFUND_CASH)


@dataclass(frozen=True)
class UsedPerk:
    """Something the recharge granted that the member already used or kept, at its unit value."""

    kind: str  # coupon | voucher | gift
    name: str
    value_fen: int


@dataclass(frozen=True)
class RefundPlan:
    principal_refund_fen: int  # paid back to the member: unspent principal less the deductions, never below 0
    bonus_revoke_fen: int  # taken back from the wallet
    principal_spent_fen: int  # already used: not refundable
    bonus_spent_fen: int  # already used: recorded as kept
    principal_unspent_fen: int = 0  # what of this recharge's principal is still in the wallet (it all leaves it)
    deductions: tuple[UsedPerk, ...] = ()  # one line per perk used or kept (empty when the setting is off)
    deductions_fen: int = 0  # the sum of the lines
    deducted_fen: int = 0  # what was actually kept back: min(deductions, unspent principal)


def plan_refund(
    lot: Lot,
    principal_paid_fen: int,
    bonus_granted_fen: int,
    used: Sequence[UsedPerk] = (),
    *,
    deduct_used_perks: bool = True,
) -> RefundPlan:
    """A refund returns the principal of this recharge not yet spent and takes back its unspent bonus.

    With ``deduct_used_perks`` (the campaign's ``[refund] deduct_used_perks``, default on) the value of
    what the member already used or kept (``used``) is deducted from the principal returned, never below
    zero; the whole unspent principal still leaves the wallet (the store keeps the deducted part)."""
    if lot.principal_fen == 0 and lot.bonus_fen == 0:
        raise InvalidInput("refund.nothing_left")
    if any(p.value_fen < 0 for p in used):
        raise InvalidInput("refund.perk_value_invalid")
    lines = tuple(used) if deduct_used_perks else ()
    total = sum(p.value_fen for p in lines)
    deducted = min(total, lot.principal_fen)
    return RefundPlan(
        principal_refund_fen=lot.principal_fen - deducted,
        bonus_revoke_fen=lot.bonus_fen,
        principal_spent_fen=principal_paid_fen - lot.principal_fen,
        bonus_spent_fen=bonus_granted_fen - lot.bonus_fen,
        principal_unspent_fen=lot.principal_fen,
        deductions=lines,
        deductions_fen=total,
        deducted_fen=deducted,
    )
