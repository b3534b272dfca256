"""Physical gift stock (礼品库存): the pure rules.

Every change of stock is a *movement* with a signed quantity (``delta``). Stock on hand is the sum of
the movements of a SKU and never goes below zero. What members are owed (entitlements of kind "gift",
state "owed") is not on hand yet for them: ``available = on_hand - owed``. A SKU is low when what is
available has come down to its threshold. A stocktake compares counted quantities with what the
system expects and turns the differences into adjustments.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from pos_app.domain.errors import InvalidInput, StateError
from pos_app.domain.text import MAX_TEXT_LEN, clean_text

RECEIVED = "received"
HANDOUT = "handout"
RETURNED = "returned"
ADJUSTED = "adjusted"
TRANSFER_OUT = "transfer_out"
TRANSFER_IN = "transfer_in"
KINDS = (RECEIVED, HANDOUT, RETURNED, ADJUSTED, TRANSFER_OUT, TRANSFER_IN)
#: kinds that add stock / take stock away; an adjustment goes either way
INBOUND = frozenset({RECEIVED, RETURNED, TRANSFER_IN})
OUTBOUND = frozenset({HANDOUT, TRANSFER_OUT})

#: why a gift is handed out: the entitlement's source
HANDOUT_REASONS = ("tier", "milestone", "referral", "new_member", "prize", "redemption", "manual", "rebate")

#: why an owed gift could not be handed out now
SHORT_OUT_OF_STOCK = "out_of_stock"
SHORT_UNKNOWN_SKU = "unknown_sku"

MAX_QTY = 100_000
MAX_REASON_LEN = MAX_TEXT_LEN
_SKU_RE = re.compile(r"^[A-Z0-9][A-Z0-9_.\-]{0,63}$")


class OutOfStock(StateError):
    """Taking more than is on the shelf (stock never goes below zero)."""

    key = "gift.out_of_stock"


def normalize_sku(text: str) -> str:
    """SKUs are upper-case letters, digits, '-', '_' and '.'; up to 64 characters."""
    sku = str(text or "").strip().upper()
    if not _SKU_RE.match(sku):
        raise InvalidInput("gift.sku_invalid", sku=str(text))
    return sku


def check_name(name: str) -> str:
    n = " ".join(str(name or "").split())
    if not n:
        raise InvalidInput("gift.name_missing")
    if len(n) > MAX_TEXT_LEN:
        raise InvalidInput("gift.name_too_long", max_chars=MAX_TEXT_LEN)
    return clean_text(name, field="name", required=True) or n


def check_qty(qty: int, *, allow_zero: bool = False) -> int:
    """A movement quantity typed by a person: a whole number of items, 1..MAX_QTY."""
    if isinstance(qty, bool) or not isinstance(qty, int):
        raise InvalidInput("gift.qty_invalid", qty=str(qty))
    if qty < 0 or (qty == 0 and not allow_zero) or qty > MAX_QTY:
        raise InvalidInput("gift.qty_invalid", qty=str(qty))
    return qty


def check_threshold(threshold: int) -> int:
    if isinstance(threshold, bool) or not isinstance(threshold, int) or not 0 <= threshold <= MAX_QTY:
        raise InvalidInput("gift.threshold_invalid", threshold=str(threshold))
    return threshold


def check_unit_value(fen: int) -> int:
    if isinstance(fen, bool) or not isinstance(fen, int) or not 0 <= fen <= 100_000_000:
        raise InvalidInput("gift.unit_value_invalid", unit_value=str(fen))
    return fen


def check_reason(reason: str | None, *, required: bool) -> str | None:
    """A movement's reason: free text by the one rule (domain.text: no control characters, one limit)."""
    text = " ".join(str(reason or "").split())
    if not text:
        if required:
            raise InvalidInput("gift.reason_required")
        return None
    if len(text) > MAX_REASON_LEN:
        raise InvalidInput("gift.reason_too_long", max_chars=MAX_REASON_LEN)
    return clean_text(reason, field="reason", max_chars=MAX_REASON_LEN)


def movement_delta(kind: str, qty: int) -> int:
    """The signed change of stock for a movement of ``qty`` items of ``kind``.

    Inbound kinds add ``qty``, outbound kinds take it; an adjustment's ``qty`` is already the signed
    difference (counted - expected) and must not be zero."""
    if kind not in KINDS:
        raise InvalidInput("gift.kind_invalid", kind=kind, allowed=", ".join(KINDS))
    if kind == ADJUSTED:
        if isinstance(qty, bool) or not isinstance(qty, int) or qty == 0 or abs(qty) > MAX_QTY:
            raise InvalidInput("gift.qty_invalid", qty=str(qty))
        return qty
    check_qty(qty)
    return qty if kind in INBOUND else -qty


def apply_delta(sku: str, on_hand: int, delta: int) -> int:
    """Stock after a movement; refuses to go below zero."""
    after = on_hand + delta
    if after < 0:
        raise OutOfStock("gift.out_of_stock", sku=sku, on_hand=on_hand, qty=-delta)
    return after


def replay(deltas: Iterable[int]) -> list[int]:
    """Running on-hand after each movement (what each movement row records). Raises on a negative."""
    out: list[int] = []
    on_hand = 0
    for d in deltas:
        on_hand = apply_delta("?", on_hand, d)
        out.append(on_hand)
    return out


def available(on_hand: int, owed: int) -> int:
    """What is on the shelf and not already promised to a member; negative when members wait."""
    return on_hand - owed


def is_low(on_hand: int, owed: int, threshold: int, active: bool = True) -> bool:
    """Low stock: an active gift whose available quantity has come down to its threshold (or below)."""
    return active and available(on_hand, owed) <= threshold


def is_overdue(due_on: date | None, today: date) -> bool:
    """An owed gift is overdue the day after its promised date."""
    return due_on is not None and due_on < today


# ----------------------------------------------------------------------------- hand-out


@dataclass(frozen=True)
class OwedUnit:
    """One owed gift (one entitlement row) in the order it should be served (oldest first)."""

    entitlement_id: str
    sku: str


@dataclass(frozen=True)
class HandoutPlan:
    give: tuple[OwedUnit, ...]
    short: tuple[tuple[OwedUnit, str], ...]  # (unit, reason)


def plan_handout(units: Sequence[OwedUnit], on_hand: Mapping[str, int]) -> HandoutPlan:
    """Hand out what is on the shelf, oldest first; the rest stays owed with the reason.

    ``on_hand`` has one entry per SKU known to the catalogue. An entitlement appears at most once."""
    left = dict(on_hand)
    give: list[OwedUnit] = []
    short: list[tuple[OwedUnit, str]] = []
    seen: set[str] = set()
    for u in units:
        if u.entitlement_id in seen:
            raise InvalidInput("gift.entitlement_repeated", entitlement_id=u.entitlement_id)
        seen.add(u.entitlement_id)
        if u.sku not in left:
            short.append((u, SHORT_UNKNOWN_SKU))
        elif left[u.sku] > 0:
            left[u.sku] -= 1
            give.append(u)
        else:
            short.append((u, SHORT_OUT_OF_STOCK))
    return HandoutPlan(tuple(give), tuple(short))


def tier_short(gifts: Iterable[tuple[str, int]], stock: Mapping[str, tuple[int, int]]) -> list[tuple[str, int, int]]:
    """For a tier's gifts ``(sku, qty)`` and ``stock[sku] = (on_hand, owed)``: the gifts whose available
    quantity cannot cover ``qty``, as ``(sku, qty, available)``. Unknown SKUs count as 0 on hand."""
    need: dict[str, int] = {}
    for sku, qty in gifts:
        need[sku] = need.get(sku, 0) + qty
    out = []
    for sku, qty in need.items():
        on_hand, owed = stock.get(sku, (0, 0))
        avail = available(on_hand, owed)
        if avail < qty:
            out.append((sku, qty, avail))
    return out


# ----------------------------------------------------------------------------- stocktake


@dataclass(frozen=True)
class CountLine:
    sku: str
    expected: int
    counted: int

    @property
    def difference(self) -> int:
        return self.counted - self.expected


def stocktake_lines(expected: Mapping[str, int], counted: Mapping[str, int]) -> list[CountLine]:
    """One line per counted SKU, sorted by SKU. Counted quantities are whole numbers >= 0; a SKU that is
    not in the catalogue is refused (add it first)."""
    lines = []
    for raw, qty in counted.items():
        sku = normalize_sku(raw)
        if sku not in expected:
            raise InvalidInput("gift.sku_unknown", sku=sku)
        check_qty(qty, allow_zero=True)
        lines.append(CountLine(sku, expected[sku], qty))
    if not lines:
        raise InvalidInput("gift.stocktake_empty")
    return sorted(lines, key=lambda c: c.sku)


def adjustments(lines: Iterable[CountLine]) -> list[tuple[str, int]]:
    """The adjustments a confirmed stocktake posts: ``(sku, delta)`` for every line that differs."""
    return [(c.sku, c.difference) for c in lines if c.difference != 0]
