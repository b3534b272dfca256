"""The points mall (积分商城) and premium redemption (兑换活动, e.g. Moutai): the items a campaign file
defines, their stock arithmetic, per-member limits, spend eligibility, and the life of a redemption.

Every number is configuration (``[mall]`` with ``[[mall.items]]``, ``[redemption]`` with
``[[redemption.items]]`` in the campaign file). Pure: no I/O.

A premium request's life::

    requested ──approve──> approved ──fulfil──> fulfilled ──receive──> received
        │  └─reject─> rejected   │                 (in store against its code, or shipped)
        └──cancel──> cancelled <─┘                 (received: confirmed, or automatically after N working days)

A mall redemption is ``issued`` at once (a coupon, an external code) or ``reserved`` (a gift waiting to be
picked up) and then ``picked_up``.

Stock of an item: ``quantity`` (the total allocated to it) == reserved + given + available, where
reserved = requested/approved requests and gifts waiting for pick-up, given = fulfilled/received requests
and issued/picked-up mall redemptions; rejected and cancelled requests give their unit back."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from types import MappingProxyType
from typing import Any

from pos_app.domain.errors import InvalidInput, StateError
from pos_app.domain.fields import bad_field as _bad
from pos_app.domain.fields import int_field as _int
from pos_app.domain.fields import text_field as _text
from pos_app.domain.textparams import Term

MALL = "mall"
PREMIUM = "premium"

# mall item kinds
KIND_GIFT = "gift"
KIND_COUPON = "coupon"
KIND_CODE = "code"
MALL_KINDS = (KIND_GIFT, KIND_COUPON, KIND_CODE)
#: a premium item is its own goods (a bottle of Moutai): its stock is the item's
KIND_GOODS = "goods"

PER_CAMPAIGN = "campaign"
PER_MONTH = "month"
LIMIT_PERIODS = (PER_CAMPAIGN, PER_MONTH)

# states
REQUESTED = "requested"
APPROVED = "approved"
REJECTED = "rejected"
FULFILLED = "fulfilled"
RECEIVED = "received"
CANCELLED = "cancelled"
ISSUED = "issued"
RESERVED = "reserved"
PICKED_UP = "picked_up"
PREMIUM_STATES = (REQUESTED, APPROVED, REJECTED, FULFILLED, RECEIVED, CANCELLED)
MALL_STATES = (ISSUED, RESERVED, PICKED_UP)
STATES = PREMIUM_STATES + MALL_STATES

# events
APPROVE = "approve"
REJECT = "reject"
FULFIL = "fulfil"
RECEIVE = "receive"
CANCEL = "cancel"
PICK_UP = "pick_up"
EVENTS = (APPROVE, REJECT, FULFIL, RECEIVE, CANCEL, PICK_UP)

#: the allowed moves: (state, event) -> new state; anything else is refused with a message
TRANSITIONS: Mapping[tuple[str, str], str] = MappingProxyType({
    (REQUESTED, APPROVE): APPROVED,
    (REQUESTED, REJECT): REJECTED,
    (REQUESTED, CANCEL): CANCELLED,
    (APPROVED, CANCEL): CANCELLED,
    (APPROVED, FULFIL): FULFILLED,
    (FULFILLED, RECEIVE): RECEIVED,
    (RESERVED, PICK_UP): PICKED_UP,
})

#: states whose unit is held for the member (not yet handed over)
RESERVING = frozenset({REQUESTED, APPROVED, RESERVED})
#: states whose unit the member has (or has had handed over / shipped)
GIVEN = frozenset({FULFILLED, RECEIVED, ISSUED, PICKED_UP})
#: states that give their unit and points back
RELEASED = frozenset({REJECTED, CANCELLED})
#: states that count against a member's limit
COUNTING = RESERVING | GIVEN


def transition(state: str, event: str) -> str:
    """The state after ``event``; refused (a StateError naming both) when the table has no such move."""
    try:
        return TRANSITIONS[(state, event)]
    except KeyError:
        raise StateError("redemption.transition_refused", state=Term(f"redemption.state.{state}", state),
                         event=Term(f"redemption.event.{event}", event)) from None


def allowed_events(state: str) -> tuple[str, ...]:
    return tuple(e for (s, e) in TRANSITIONS if s == state)


def stock_delta(before: str | None, after: str) -> tuple[int, int]:
    """How (reserved, given) move when a redemption goes from ``before`` (None: new) to ``after``."""
    reserved = (after in RESERVING) - (before in RESERVING if before else 0)
    given = (after in GIVEN) - (before in GIVEN if before else 0)
    return int(reserved), int(given)


def available(quantity: int, reserved: int, given: int) -> int:
    return quantity - reserved - given


def is_low(quantity: int, reserved: int, given: int, threshold: int) -> bool:
    return available(quantity, reserved, given) <= threshold


# ----------------------------------------------------------------------------- configuration
@dataclass(frozen=True)
class ItemRules:
    program: str  # mall | premium
    code: str
    name: str
    kind: str  # gift | coupon | code (mall) ; goods (premium)
    ref: str  # gift SKU / coupon template ("" for code and goods)
    points: int
    cash_fen: int = 0
    #: premium by spend: at least this much actually paid in the window, in ``categories`` (all when empty)
    spend_fen: int = 0
    categories: tuple[str, ...] = ()
    quantity: int = 0
    threshold: int = 0
    limit_per_member: int = 1
    limit_period: str = PER_CAMPAIGN
    starts_on: date | None = None
    ends_on: date | None = None
    value_fen: int = 0

    @property
    def by_spend(self) -> bool:
        return self.spend_fen > 0


@dataclass(frozen=True)
class ProgramRules:
    mall: tuple[ItemRules, ...] = ()
    premium: tuple[ItemRules, ...] = ()
    #: a request not reviewed within this many working days is flagged
    review_working_days: int = 2
    #: a fulfilled request not confirmed within this many working days is received automatically
    receive_working_days: int = 7

    def item(self, program: str, code: str) -> ItemRules | None:
        key = str(code or "").strip().casefold()
        for it in self.mall if program == MALL else self.premium:
            if it.code.casefold() == key:
                return it
        return None


def _items(raw: Any, field: str) -> list[Mapping[str, Any]]:
    if raw is None:
        return []
    if not isinstance(raw, list | tuple) or not all(isinstance(x, Mapping) for x in raw):
        raise _bad(field, raw)
    return list(raw)


def _item(d: Mapping[str, Any], program: str, f: str, parse_money: Any, parse_date: Any) -> ItemRules:
    kind = _text(d.get("kind", KIND_GOODS if program == PREMIUM else None), f"{f}.kind")
    if (program == MALL and kind not in MALL_KINDS) or (program == PREMIUM and kind != KIND_GOODS):
        raise _bad(f"{f}.kind", kind)
    ref = _text(d.get("sku") if kind == KIND_GIFT else d.get("template") if kind == KIND_COUPON else None,
                f"{f}.{'sku' if kind == KIND_GIFT else 'template'}", required=kind in (KIND_GIFT, KIND_COUPON))
    cats = d.get("categories", [])
    if isinstance(cats, str):
        cats = [cats]
    if not isinstance(cats, list | tuple) or not all(isinstance(c, str) and c.strip() for c in cats):
        raise _bad(f"{f}.categories", cats)
    period = _text(d.get("limit_period", PER_CAMPAIGN), f"{f}.limit_period")
    if period not in LIMIT_PERIODS:
        raise _bad(f"{f}.limit_period", period)
    starts = parse_date(d["starts_on"], f"{f}.starts_on") if d.get("starts_on") else None
    ends = parse_date(d["ends_on"], f"{f}.ends_on") if d.get("ends_on") else None
    if starts and ends and ends < starts:
        raise _bad(f"{f}.ends_on", ends)
    it = ItemRules(
        program=program, code=_text(d.get("code"), f"{f}.code"), name=_text(d.get("name"), f"{f}.name"), kind=kind,
        ref=ref, points=_int(d.get("points", 0), f"{f}.points", 0, 100_000_000),
        cash_fen=parse_money(d.get("cash", "0"), f"{f}.cash"),
        spend_fen=parse_money(d.get("spend", "0"), f"{f}.spend") if program == PREMIUM else 0,
        categories=tuple(c.strip() for c in cats) if program == PREMIUM else (),
        quantity=_int(d.get("quantity", 0), f"{f}.quantity", 0, 10_000_000) if kind != KIND_CODE else 0,
        threshold=_int(d.get("threshold", 0), f"{f}.threshold", 0, 10_000_000),
        limit_per_member=_int(d.get("limit", d.get("limit_per_member", 1)), f"{f}.limit", 0, 10_000),
        limit_period=period, starts_on=starts, ends_on=ends, value_fen=parse_money(d.get("value", "0"), f"{f}.value"),
    )
    if not it.points and not it.by_spend and not it.cash_fen:
        raise InvalidInput("campaign.missing_field", field=f"{f}.points")
    return it


def program_rules_from_dict(data: Mapping[str, Any], parse_money: Any, parse_date: Any) -> ProgramRules:
    """The ``[mall]`` and ``[redemption]`` tables of a campaign file (``parse_money(value, field)``: yuan
    text to fen; ``parse_date(value, field)``: the campaign parser's)."""
    mall = data.get("mall") or {}
    prem = data.get("redemption") or {}
    if not isinstance(mall, Mapping):
        raise _bad("mall", mall)
    if not isinstance(prem, Mapping):
        raise _bad("redemption", prem)
    out: dict[str, list[ItemRules]] = {MALL: [], PREMIUM: []}
    for program, table, name in ((MALL, mall, "mall"), (PREMIUM, prem, "redemption")):
        seen: set[str] = set()
        for i, d in enumerate(_items(table.get("items"), f"{name}.items")):
            it = _item(d, program, f"{name}.items[{i}]", parse_money, parse_date)
            if it.code.casefold() in seen:
                raise _bad(f"{name}.items[{i}].code", it.code)
            seen.add(it.code.casefold())
            out[program].append(it)
    return ProgramRules(
        mall=tuple(out[MALL]), premium=tuple(out[PREMIUM]),
        review_working_days=_int(prem.get("review_working_days", 2), "redemption.review_working_days", 0, 60),
        receive_working_days=_int(prem.get("receive_working_days", 7), "redemption.receive_working_days", 0, 60),
    )


# ----------------------------------------------------------------------------- checks
def check_window(item: ItemRules, campaign_starts: date, campaign_ends: date, today: date) -> None:
    starts = item.starts_on or campaign_starts
    ends = item.ends_on or campaign_ends
    if today < starts:
        raise StateError("mall.not_started", item=item.name, day=starts.isoformat())
    if today > ends:
        raise StateError("mall.ended", item=item.name, day=ends.isoformat())


def check_limit(item: ItemRules, taken: int) -> None:
    """``taken``: the member's redemptions of the item in its limit period that still count."""
    if item.limit_per_member and taken >= item.limit_per_member:
        if item.limit_period == PER_MONTH:
            raise StateError("mall.limit_month", item=item.name, limit=item.limit_per_member)
        raise StateError("mall.limit_campaign", item=item.name, limit=item.limit_per_member)


def check_stock(name: str, quantity: int, reserved: int, given: int, paused: bool) -> None:
    if paused:
        raise StateError("redemption.item_paused", item=name)
    if available(quantity, reserved, given) <= 0:
        raise StateError("redemption.out_of_stock", item=name)


def month_bounds(today: date) -> tuple[date, date]:
    """The first day of ``today``'s month and of the next."""
    first = today.replace(day=1)
    nxt = date(first.year + (first.month == 12), first.month % 12 + 1, 1)
    return first, nxt


# ----------------------------------------------------------------------------- spend eligibility
@dataclass(frozen=True)
class PaidLine:
    """One sale line as it counts toward a spend threshold: its amount after member prices, discounts and
    coupons (``amount_fen``), the sale's total and what of it was actually paid (the total less the
    stored-value bonus part), and what of the line was returned."""

    category: str
    amount_fen: int
    sale_total_fen: int
    sale_paid_fen: int
    returned_fen: int = 0


def paid_share(amount_fen: int, total_fen: int, paid_fen: int) -> int:
    """The line's part of what was actually paid: its amount less its share of the bonus part (rounded
    down, so a threshold is never reached by rounding)."""
    if total_fen <= 0:
        return 0
    return amount_fen * paid_fen // total_fen


def spent_in(lines: Iterable[PaidLine], categories: Sequence[str]) -> int:
    """What was actually paid on these lines in the named categories (every category when none are named),
    returns taken off."""
    wanted = set(categories)
    total = 0
    for ln in lines:
        if wanted and ln.category not in wanted:
            continue
        total += paid_share(ln.amount_fen - ln.returned_fen, ln.sale_total_fen, ln.sale_paid_fen)
    return max(total, 0)


@dataclass(frozen=True)
class Eligibility:
    eligible: bool
    points_short: int
    spend_short_fen: int


def eligibility(item: ItemRules, points_balance: int, spent_fen: int) -> Eligibility:
    points_short = max(item.points - points_balance, 0)
    spend_short = max(item.spend_fen - spent_fen, 0) if item.by_spend else 0
    return Eligibility(points_short == 0 and spend_short == 0, points_short, spend_short)
