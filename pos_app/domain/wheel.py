"""The provably fair lucky wheel (抽奖大转盘): prize table, commitment, outcome mapping, verification.

The mapping from a draw to a prize is written down in docs/wheel.md; this module is its only
implementation (the service and ``pos-app wheel verify`` both call it):

1. ``digest = HMAC-SHA256(key=seed, msg=f"{draw_id}:{nonce}".encode("utf-8"))``
2. ``u = int.from_bytes(digest[:8], "big")`` (a number in [0, 2**64))
3. the table in force: the prizes in table order (their ``position``) with quantity left > 0 and weight > 0;
   ``W`` = the sum of their weights; ``r = u % W``
4. the prize is the first in that order whose running sum of weights is > ``r``.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from pos_app.domain.errors import InvalidInput, StateError
from pos_app.domain.fields import bad_field as _bad
from pos_app.domain.fields import int_field as _int
from pos_app.domain.fields import text_field as _text

PRIZE_POINTS = "points"
PRIZE_COUPON = "coupon"
PRIZE_GIFT = "gift"
PRIZE_VIRTUAL = "virtual"
PRIZE_KINDS = (PRIZE_POINTS, PRIZE_COUPON, PRIZE_GIFT, PRIZE_VIRTUAL)

#: the cap China's Anti-Unfair Competition Law sets on a lottery-style promotion's top prize (50,000 yuan)
DEFAULT_TOP_PRIZE_CAP_FEN = 5_000_000

DRAFT = "draft"
PUBLISHED = "published"
CLOSED = "closed"


@dataclass(frozen=True)
class Prize:
    code: str
    tier: str  # 一等奖 / 二等奖 / 三等奖 / 参与奖 ...
    name: str
    kind: str  # points | coupon | gift | virtual
    ref: str = ""  # coupon template / gift SKU / virtual prize key
    points: int = 0  # a points prize: how many
    value_fen: int = 0  # the disclosed value
    weight: int = 1
    quantity: int = 1


@dataclass(frozen=True)
class WheelRules:
    code: str
    name: str
    cost_points: int
    prizes: tuple[Prize, ...]
    top_prize_cap_fen: int = DEFAULT_TOP_PRIZE_CAP_FEN
    #: how prizes are claimed and when they lapse (disclosed with the table)
    claim_days: int = 30
    claim_note: str = ""


@dataclass(frozen=True)
class Slot:
    """One row of the table in force at a draw: a prize, its weight and the quantity left."""

    code: str
    weight: int
    left: int


def wheel_from_dict(data: Mapping[str, Any], parse_money: Any) -> WheelRules:
    """The ``[points.wheel]`` table with its ``[[points.wheel.prizes]]``; ``parse_money(value, field)``
    turns a yuan value into fen (the campaign parser's)."""
    p = "points.wheel"
    cap = parse_money(data.get("top_prize_cap", "50000"), f"{p}.top_prize_cap")
    prizes: list[Prize] = []
    seen: set[str] = set()
    raw = data.get("prizes")
    if not isinstance(raw, list) or not raw or not all(isinstance(x, Mapping) for x in raw):
        raise InvalidInput("campaign.missing_field", field=f"{p}.prizes")
    for i, d in enumerate(raw):
        f = f"{p}.prizes[{i}]"
        code = _text(d.get("code"), f"{f}.code")
        if code in seen:
            raise _bad(f"{f}.code", code)
        seen.add(code)
        kind = _text(d.get("kind"), f"{f}.kind")
        if kind not in PRIZE_KINDS:
            raise _bad(f"{f}.kind", kind)
        prize = Prize(
            code=code,
            tier=_text(d.get("tier", code), f"{f}.tier"),
            name=_text(d.get("name"), f"{f}.name"),
            kind=kind,
            ref=_text(d.get("ref", d.get("template", d.get("sku"))), f"{f}.ref", required=kind in (PRIZE_COUPON, PRIZE_GIFT)),
            points=_int(d.get("points", 0), f"{f}.points", 0, 1_000_000),
            value_fen=parse_money(d.get("value", "0"), f"{f}.value"),
            weight=_int(d.get("weight", 1), f"{f}.weight", 1, 1_000_000),
            quantity=_int(d.get("quantity"), f"{f}.quantity", 0, 10_000_000),
        )
        if kind == PRIZE_POINTS and prize.points <= 0:
            raise _bad(f"{f}.points", prize.points)
        prizes.append(prize)
    rules = WheelRules(
        code=_text(data.get("code", "WHEEL"), f"{p}.code"),
        name=_text(data.get("name", "抽奖大转盘"), f"{p}.name"),
        cost_points=_int(data.get("cost_points", 0), f"{p}.cost_points", 0, 1_000_000),
        prizes=tuple(prizes),
        top_prize_cap_fen=cap,
        claim_days=_int(data.get("claim_days", 30), f"{p}.claim_days", 1, 366),
        claim_note=_text(data.get("claim_note", ""), f"{p}.claim_note", required=False),
    )
    check_cap(rules)
    return rules


def check_cap(rules: WheelRules) -> None:
    """A wheel whose top prize is worth more than the cap is refused."""
    for prize in rules.prizes:
        if prize.value_fen > rules.top_prize_cap_fen:
            from pos_app.domain.textparams import Money  # noqa: PLC0415

            raise InvalidInput("wheel.over_cap", prize=prize.name, value=Money(prize.value_fen),
                               cap=Money(rules.top_prize_cap_fen))


def check_amendment(published: Sequence[Prize], proposed: Sequence[Prize]) -> dict[str, int]:
    """A published wheel may change only in the members' favour: the same prizes, names, kinds, values
    and weights, in the same order, each with at least its quantity. Returns the quantity each prize
    gains (code -> added, only those that gain); anything else is refused."""
    if [p.code for p in published] != [p.code for p in proposed]:
        raise StateError("wheel.locked")
    added: dict[str, int] = {}
    for old, new in zip(published, proposed, strict=True):
        same = (old.tier, old.name, old.kind, old.ref, old.points, old.value_fen, old.weight) == (
            new.tier, new.name, new.kind, new.ref, new.points, new.value_fen, new.weight)
        if not same or new.quantity < old.quantity:
            raise StateError("wheel.locked")
        if new.quantity > old.quantity:
            added[old.code] = new.quantity - old.quantity
    return added


def commitment(seed: bytes) -> str:
    """What publication shows: SHA-256 of the secret seed, as hex."""
    return hashlib.sha256(seed).hexdigest()


def draw_digest(seed: bytes, draw_id: str, nonce: str) -> bytes:
    return hmac.new(seed, f"{draw_id}:{nonce}".encode(), hashlib.sha256).digest()


def in_force(table: Sequence[Slot]) -> list[Slot]:
    return [s for s in table if s.left > 0 and s.weight > 0]


def pick(digest: bytes, table: Sequence[Slot]) -> str:
    """The prize code the digest maps to in the table in force (module docstring, steps 2-4)."""
    slots = in_force(table)
    if not slots:
        raise StateError("wheel.sold_out")
    total = sum(s.weight for s in slots)
    r = int.from_bytes(digest[:8], "big") % total
    running = 0
    for s in slots:
        running += s.weight
        if r < running:
            return s.code
    raise AssertionError("unreachable: r < total")


def probabilities(table: Sequence[Slot]) -> dict[str, Fraction]:
    """Each prize's chance on the next draw (0 for a prize that is gone)."""
    slots = in_force(table)
    total = sum(s.weight for s in slots)
    live = {s.code for s in slots}
    return {s.code: (Fraction(s.weight, total) if s.code in live else Fraction(0)) for s in table}


def after(table: Sequence[Slot], won: str) -> tuple[Slot, ...]:
    return tuple(Slot(s.code, s.weight, s.left - 1 if s.code == won else s.left) for s in table)


@dataclass(frozen=True)
class LoggedDraw:
    seq: int
    draw_id: str
    nonce: str
    digest_hex: str
    prize_code: str
    #: the table in force when the draw was made, and the quantities left after it
    table: tuple[Slot, ...]
    left_after: tuple[Slot, ...]


@dataclass(frozen=True)
class Mismatch:
    seq: int
    draw_id: str
    reason: str  # digest | prize | table | quantities


def verify(seed: bytes, committed: str, initial: Sequence[Slot], draws: Sequence[LoggedDraw]) -> list[Mismatch]:
    """Recompute every draw of the log from the revealed seed. The seed must match the commitment; the
    first draw's table must be the published one; between draws quantities may only grow (a published
    amendment in the members' favour), never shrink; each draw's digest and prize must be recomputed
    from the seed and its table; the quantities after it must be its table less the prize won."""
    if commitment(seed) != committed:
        return [Mismatch(0, "", "commitment")]
    out: list[Mismatch] = []
    prev: Sequence[Slot] = initial
    for d in sorted(draws, key=lambda x: x.seq):
        digest = draw_digest(seed, d.draw_id, d.nonce)
        if digest.hex() != d.digest_hex:
            out.append(Mismatch(d.seq, d.draw_id, "digest"))
        if [s.code for s in d.table] != [s.code for s in prev] or any(
            a.weight != b.weight or a.left < b.left for a, b in zip(d.table, prev, strict=False)
        ):
            out.append(Mismatch(d.seq, d.draw_id, "table"))
        try:
            expected = pick(digest, d.table)
        except StateError:
            expected = ""
        if expected != d.prize_code:
            out.append(Mismatch(d.seq, d.draw_id, "prize"))
        if tuple(d.left_after) != after(d.table, d.prize_code):
            out.append(Mismatch(d.seq, d.draw_id, "quantities"))
        prev = d.left_after
    return out
