"""Member levels (会员等级): reached by cumulative recharge or amount actually paid in a rolling window, with
perks per level (a points multiplier, member prices), a level-upgrade voucher (a wheel prize) that lifts a
member one level for some months, and configurable downgrades (none, or at the window's end).

A campaign file configures them as ``[member_levels]`` with ``[[member_levels.levels]]``::

    [member_levels]
    basis = "recharge"        # recharge (cumulative principal recharged) | paid (actually paid at the till)
    window_months = 12        # the rolling window the basis is summed over (0: since the member joined)
    downgrade = "window_end"  # none: a level is kept | window_end: re-evaluated when its window ends
    voucher_months = 3        # a level-upgrade voucher lifts the member one level for 3 months
      [[member_levels.levels]]
      code = "normal"
      name = "普通"
      threshold = "0"         # yuan; the first level's is 0
      points_multiplier = "1" # points earned by recharges and purchases are multiplied (1.5 = +50%)
      member_prices = false   # the level pays member prices at the till

The state of a member is their level code and, where it may change by itself, the date it is looked at
again (``until``): a level reached under ``window_end`` is held for one window, a voucher's lift for its
months. Each change is one decision of this module, logged by the service with its reason."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from pos_app.domain.calendar import add_months
from pos_app.domain.errors import InvalidInput
from pos_app.domain.fields import bad_field as _bad

BASIS_RECHARGE = "recharge"
BASIS_PAID = "paid"
DOWNGRADE_NONE = "none"
DOWNGRADE_WINDOW_END = "window_end"

# reasons a level changes (the log's ``reason``)
BY_RECHARGE = "recharge"
BY_SALE = "sale"
BY_VOUCHER = "voucher"
VOUCHER_END = "voucher_end"
WINDOW_END = "window_end"
REASONS = (BY_RECHARGE, BY_SALE, BY_VOUCHER, VOUCHER_END, WINDOW_END)

#: the virtual wheel prize (``kind = "virtual"``, ``ref``) that is a level-upgrade voucher
VOUCHER_PRIZE_REF = "level-upgrade"

ONE_BP = 10_000


@dataclass(frozen=True)
class Level:
    code: str
    name: str
    threshold_fen: int
    points_bp: int = ONE_BP  # the points multiplier, in basis points (15000 = x1.5)
    member_prices: bool = False
    #: the birthday gift (once a year, on the member's birthday when it is known): points and/or a coupon
    birthday_points: int = 0
    birthday_coupon: str = ""

    @property
    def birthday_gift(self) -> bool:
        return bool(self.birthday_points or self.birthday_coupon)


@dataclass(frozen=True)
class LevelRules:
    levels: tuple[Level, ...]  # lowest first; the first one's threshold is 0
    basis: str = BASIS_RECHARGE
    window_months: int = 12
    downgrade: str = DOWNGRADE_NONE
    voucher_months: int = 3

    def index(self, code: str | None) -> int:
        """The level's rank (0 = the lowest); an unknown or missing code is the lowest."""
        for i, lv in enumerate(self.levels):
            if lv.code == code:
                return i
        return 0

    def level(self, code: str | None) -> Level:
        return self.levels[self.index(code)]

    def qualified(self, amount_fen: int) -> int:
        """The highest level whose threshold ``amount_fen`` reaches."""
        return max(i for i, lv in enumerate(self.levels) if lv.threshold_fen <= max(0, amount_fen))

    def window_start(self, today: date) -> date | None:
        """The first day the basis is summed from (None: all of it)."""
        return add_months(today, -self.window_months) if self.window_months > 0 else None

    def until_for(self, today: date) -> date | None:
        """How long a level reached today is held before it is looked at again."""
        if self.downgrade != DOWNGRADE_WINDOW_END:
            return None
        return add_months(today, self.window_months or 12)


@dataclass(frozen=True)
class Held:
    """A member's level now: its code, the date it is looked at again (None: kept), whether a voucher
    lifted it, and then the level the member had before the voucher."""

    code: str | None
    until: date | None = None
    by_voucher: bool = False
    floor: str | None = None


@dataclass(frozen=True)
class Decision:
    """What changes: the new level and its date; ``log`` when it is a change to log (a new level, or a
    voucher's lift that ends or becomes earned), not a mere renewal of the same level's window."""

    code: str
    until: date | None
    reason: str
    by_voucher: bool = False
    floor: str | None = None
    log: bool = True


def is_birthday(birthday: date, today: date) -> bool:
    """Whether ``today`` is the member's birthday (29 February: the 28th in a year without one)."""
    if (birthday.month, birthday.day) == (today.month, today.day):
        return True
    leap = today.year % 4 == 0 and (today.year % 100 != 0 or today.year % 400 == 0)
    return (birthday.month, birthday.day) == (2, 29) and not leap and (today.month, today.day) == (2, 28)


#: the earliest birthday taken (a member older than this is a typing mistake)
EARLIEST_BIRTHDAY = date(1900, 1, 1)


def check_birthday(birthday: date, today: date) -> date:
    """A birthday a member gives: a real past date (today at the latest), not before 1900."""
    if birthday > today or birthday < EARLIEST_BIRTHDAY:
        raise InvalidInput("member.birthday_invalid", value=birthday.isoformat())
    return birthday


def parse_birthday(text: str | None) -> date | None:
    """A birthday as typed at the counter: ``1990-05-01``, ``1990/5/1``, ``1990.5.1`` or ``19900501``
    (full-width digits and separators too); empty: None. Not a real calendar date (30 February, month 13):
    refused with ``member.birthday_invalid``. Whether it is in the plausible range is :func:`check_birthday`."""
    raw = unicodedata.normalize("NFKC", text or "").strip()
    if not raw:
        return None
    parts = re.fullmatch(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})", raw, re.ASCII) or re.fullmatch(r"(\d{4})(\d{2})(\d{2})", raw, re.ASCII)
    if parts is None:
        raise InvalidInput("member.birthday_invalid", value=raw[:40])
    try:
        return date(int(parts[1]), int(parts[2]), int(parts[3]))
    except ValueError:
        raise InvalidInput("member.birthday_invalid", value=raw[:40]) from None


def points_with(rules: LevelRules | None, code: str | None, points: int) -> int:
    """``points`` earned by a member of level ``code``: the level's multiplier, rounded down."""
    if rules is None or points <= 0:
        return points
    return points * rules.level(code).points_bp // ONE_BP


def on_event(rules: LevelRules, held: Held, amount_fen: int, today: date, reason: str) -> Decision | None:
    """A qualifying recharge or sale: ``amount_fen`` is the basis summed over the window, this event
    included. The member moves up to the level it reaches; a level reached again is renewed."""
    q = rules.qualified(amount_fen)
    cur = rules.index(held.code)
    until = rules.until_for(today) if q > 0 else None  # the lowest level has nothing to fall to
    if q > cur:
        return Decision(rules.levels[q].code, until, reason)
    if q == cur and held.by_voucher:  # the voucher's level is now earned
        return Decision(rules.levels[q].code, until, reason)
    if q == cur and not held.by_voucher and until is not None and (held.until is None or until > held.until):
        return Decision(rules.levels[q].code, until, reason, log=False)
    return None


def voucher(rules: LevelRules, held: Held, today: date) -> Decision:
    """A level-upgrade voucher: one level up for ``voucher_months`` (at the top level the member keeps it
    at least that long)."""
    cur = rules.index(held.code)
    new = min(cur + 1, len(rules.levels) - 1)
    until = add_months(today, rules.voucher_months)
    if held.until is not None and new == cur and held.until > until:
        until = held.until
    floor = held.floor if held.by_voucher else rules.levels[cur].code
    return Decision(rules.levels[new].code, until, BY_VOUCHER, by_voucher=True, floor=floor)


def lapse(rules: LevelRules, held: Held, amount_fen: int, today: date) -> Decision | None:
    """The daily job: a level whose date has come is looked at again. A voucher's lift ends (the member
    keeps what the basis reaches, and under ``downgrade = none`` at least the level they had before it);
    a level held for a window is re-evaluated on the window (``downgrade = window_end``)."""
    if held.until is None or held.until > today:
        return None
    q = rules.qualified(amount_fen)
    cur = rules.index(held.code)
    if held.by_voucher:
        base = q if rules.downgrade == DOWNGRADE_WINDOW_END else max(q, rules.index(held.floor))
        reason = VOUCHER_END
    elif rules.downgrade == DOWNGRADE_WINDOW_END:
        base = q
        reason = WINDOW_END
    else:
        return Decision(rules.levels[cur].code, None, WINDOW_END, log=False)
    until = rules.until_for(today) if base > 0 else None
    return Decision(rules.levels[base].code, until, reason, log=held.by_voucher or base != cur)


# ----------------------------------------------------------------------------- parsing


def _multiplier_bp(value: Any, field: str) -> int:
    try:
        d = Decimal(str(value).strip())
    except InvalidOperation:
        raise _bad(field, value) from None
    bp = d * ONE_BP
    if isinstance(value, bool) or bp != bp.to_integral_value() or not ONE_BP <= bp <= 10 * ONE_BP:
        raise _bad(field, value)
    return int(bp)


def _count(value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 1_000_000:
        raise _bad(field, value)
    return value


def level_rules_from_dict(data: Mapping[str, Any], parse_money: Any) -> LevelRules | None:
    """The campaign's ``[member_levels]`` (None when it has none); ``parse_money(value, field)`` turns yuan
    into fen (the campaign parser's)."""
    raw = data.get("member_levels")
    if raw is None:
        return None
    p = "member_levels"
    if not isinstance(raw, Mapping):
        raise _bad(p, raw)
    basis = str(raw.get("basis", BASIS_RECHARGE))
    if basis not in (BASIS_RECHARGE, BASIS_PAID):
        raise _bad(f"{p}.basis", basis)
    downgrade = str(raw.get("downgrade", DOWNGRADE_NONE))
    if downgrade not in (DOWNGRADE_NONE, DOWNGRADE_WINDOW_END):
        raise _bad(f"{p}.downgrade", downgrade)
    window = raw.get("window_months", 12)
    if isinstance(window, bool) or not isinstance(window, int) or not 0 <= window <= 120:
        raise _bad(f"{p}.window_months", window)
    months = raw.get("voucher_months", 3)
    if isinstance(months, bool) or not isinstance(months, int) or not 1 <= months <= 36:
        raise _bad(f"{p}.voucher_months", months)
    items = raw.get("levels")
    if not isinstance(items, list) or not items or not all(isinstance(x, Mapping) for x in items):
        raise InvalidInput("campaign.missing_field", field=f"{p}.levels")
    levels: list[Level] = []
    for i, d in enumerate(items):
        f = f"{p}.levels[{i}]"
        code = str(d.get("code") or "").strip()
        if not code or len(code) > 32 or any(lv.code == code for lv in levels):
            raise _bad(f"{f}.code", code)
        prices = d.get("member_prices", False)
        if not isinstance(prices, bool):
            raise _bad(f"{f}.member_prices", prices)
        levels.append(Level(
            code=code, name=str(d.get("name") or code).strip(),
            threshold_fen=parse_money(d.get("threshold", "0"), f"{f}.threshold"),
            points_bp=_multiplier_bp(d.get("points_multiplier", "1"), f"{f}.points_multiplier"),
            member_prices=prices,
            birthday_points=_count(d.get("birthday_points", 0), f"{f}.birthday_points"),
            birthday_coupon=str(d.get("birthday_coupon") or "").strip(),
        ))
    if levels[0].threshold_fen != 0:
        raise _bad(f"{p}.levels[0].threshold", levels[0].threshold_fen)
    for i in range(1, len(levels)):
        if levels[i].threshold_fen <= levels[i - 1].threshold_fen:
            raise _bad(f"{p}.levels[{i}].threshold", levels[i].threshold_fen)
    return LevelRules(tuple(levels), basis, window, downgrade, months)
