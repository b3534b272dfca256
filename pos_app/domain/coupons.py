"""Coupons (优惠券) and vouchers (代金券): codes, templates, redemption checks, discounts (DOMAIN.md: Coupons).

Codes
-----
A coupon code is 16 random Crockford base32 characters (80 random bits) followed by one check
character, shown grouped for reading: ``XXXX-XXXX-XXXX-XXXX-C``.

The check character is a parity symbol over GF(32) (the field with 32 elements, x^5 + x^2 + 1), like
one Reed-Solomon parity symbol: with the characters ``c_0 .. c_16`` read as field elements,
``sum(c_i * a^(16-i)) == 0`` where ``a`` is a primitive element. Because every power of ``a`` is
non-zero and ``a != 1``, it catches:

- every single-character substitution (the error is ``e * a^k != 0``), including in the check character;
- every transposition of two adjacent different characters (the error is ``(x + y) * a^k * (a + 1) != 0``).

(Crockford's own mod-37 check symbol needs five extra symbols ``* ~ $ = U`` that are awkward to type
and to scan; this scheme stays inside the 32-character alphabet.)

Input is forgiving: lower case, spaces and dashes are accepted, and the look-alikes O -> 0, I/L -> 1 are
mapped. A code whose check character is wrong is refused before any lookup.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from pos_app.domain.campaign import field_date, field_money
from pos_app.domain.errors import InvalidInput, NotFound, StateError
from pos_app.domain.ids import CROCKFORD, RandBits
from pos_app.domain.money import parse_percent_bp, percent_of
from pos_app.domain.textparams import Money

# ----------------------------------------------------------------------------- codes

DATA_LEN = 16  # 16 x 5 = 80 random bits
CODE_LEN = DATA_LEN + 1
GROUP = 4
_VALUE = {ch: i for i, ch in enumerate(CROCKFORD)}
_CONFUSABLE = str.maketrans({"O": "0", "I": "1", "L": "1"})
_DROP = str.maketrans("", "", " -\t\r\n_")


def _gf_tables() -> tuple[list[int], list[int]]:
    exp = [0] * 62
    log = [0] * 32
    x = 1
    for i in range(31):
        exp[i] = x
        log[x] = i
        x <<= 1
        if x & 0x20:
            x ^= 0b100101  # x^5 + x^2 + 1 (primitive)
    for i in range(31, 62):
        exp[i] = exp[i - 31]
    return exp, log


_EXP, _LOG = _gf_tables()


def _gf_mul(a: int, b: int) -> int:
    if a == 0 or b == 0:
        return 0
    return _EXP[_LOG[a] + _LOG[b]]


def _weighted(values: list[int]) -> int:
    """Horner: sum(v_i * a^(n-1-i)) in GF(32) with a = 2 (primitive)."""
    acc = 0
    for v in values:
        acc = _gf_mul(acc, 2) ^ v
    return acc


def check_char(data: str) -> str:
    """The check character for ``data`` (already normalised, alphabet characters only)."""
    acc = _weighted([_VALUE[c] for c in data])
    # append check c so that acc * a + c == 0  ->  c = acc * a (characteristic 2)
    return CROCKFORD[_gf_mul(acc, 2)]


def is_valid_check(code: str) -> bool:
    """True when ``code`` (normalised) has the right length, alphabet and check character."""
    if len(code) != CODE_LEN:
        return False
    try:
        return _weighted([_VALUE[c] for c in code]) == 0
    except KeyError:
        return False


def new_code(randbits: RandBits) -> str:
    """A fresh coupon code (normalised form, no dashes): 80 random bits + check character."""
    n = randbits(5 * DATA_LEN)
    chars = []
    for _ in range(DATA_LEN):
        chars.append(CROCKFORD[n & 31])
        n >>= 5
    data = "".join(reversed(chars))
    return data + check_char(data)


def normalize(text: str) -> str:
    """Forgiving input: upper case, no spaces/dashes, O -> 0, I/L -> 1. Idempotent."""
    return str(text or "").translate(_DROP).upper().translate(_CONFUSABLE)


def parse_code(text: str) -> str:
    """Normalise and check a typed or scanned code; refuse a bad one before any lookup."""
    code = normalize(text)
    if len(code) != CODE_LEN or any(c not in _VALUE for c in code):
        raise InvalidInput("coupon.code_malformed", code=str(text))
    if not is_valid_check(code):
        raise InvalidInput("coupon.code_check", code=str(text))
    return code


def group(code: str) -> str:
    """'ABCD1234EFGH5678K' -> 'ABCD-1234-EFGH-5678-K' (reading form)."""
    c = normalize(code)
    return "-".join(c[i:i + GROUP] for i in range(0, len(c), GROUP))


# ----------------------------------------------------------------------------- templates

AMOUNT_OFF = "amount_off"
PERCENT_OFF = "percent_off"
GIFT_VOUCHER = "gift_voucher"
SERVICE_VOUCHER = "service_voucher"
KINDS = (AMOUNT_OFF, PERCENT_OFF, GIFT_VOUCHER, SERVICE_VOUCHER)

ISSUED = "issued"
REDEEMED = "redeemed"
VOIDED = "voided"
EXPIRED = "expired"  # shown, never stored: an issued coupon past its validity

MAX_VALID_DAYS = 3660


@dataclass(frozen=True)
class Template:
    code: str
    name: str
    kind: str
    value_fen: int = 0  # amount off / voucher value
    percent_bp: int = 0  # percent off, in basis points
    max_discount_fen: int = 0  # cap for percent off (0 = no cap)
    min_spend_fen: int = 0
    valid_days: int = 0  # N days from issue (inclusive of the day of issue) ...
    valid_from: date | None = None  # ... or fixed dates (inclusive)
    valid_until: date | None = None
    category: str = ""  # where usable (label)
    bearer: bool = False  # False: only the member it was issued to


def check_template(t: Template) -> Template:
    if not t.code or len(t.code) > 32 or not all(ch.isalnum() or ch in "-_" for ch in t.code):
        raise InvalidInput("coupon.template_code_invalid", template=t.code)
    if not t.name:
        raise InvalidInput("campaign.missing_field", field="coupon_templates.name")
    if t.kind not in KINDS:
        raise InvalidInput("coupon.kind_invalid", kind=t.kind, allowed=", ".join(KINDS))
    if t.kind == PERCENT_OFF:
        if not 0 < t.percent_bp < 10_000:
            raise InvalidInput("coupon.percent_invalid", template=t.code)
    elif t.kind == AMOUNT_OFF and t.value_fen <= 0:
        raise InvalidInput("coupon.value_invalid", template=t.code)
    if t.value_fen < 0 or t.min_spend_fen < 0 or t.max_discount_fen < 0:
        raise InvalidInput("coupon.value_invalid", template=t.code)
    if t.kind == AMOUNT_OFF and t.min_spend_fen and t.min_spend_fen < t.value_fen:
        raise InvalidInput("coupon.min_below_value", template=t.code)
    fixed = t.valid_from is not None or t.valid_until is not None
    if fixed and t.valid_days:
        raise InvalidInput("coupon.validity_both", template=t.code)
    if not fixed and not 0 < t.valid_days <= MAX_VALID_DAYS:
        raise InvalidInput("coupon.validity_missing", template=t.code)
    if fixed and (t.valid_until is None or (t.valid_from is not None and t.valid_until < t.valid_from)):
        raise InvalidInput("coupon.validity_invalid", template=t.code)
    return t


def _opt_date(value: Any, name: str) -> date | None:
    return None if value is None or value == "" else field_date(value, name)


def _money(value: Any, name: str) -> int:
    return field_money(value if value is not None else "0", name)


def template_from_dict(d: Mapping[str, Any]) -> Template:
    """A template from a campaign file table (money in yuan strings, percent as "15")."""
    if not isinstance(d, Mapping):
        raise InvalidInput("campaign.missing_field", field="coupon_templates")
    code = str(d.get("code") or "").strip()
    kind = str(d.get("kind") or AMOUNT_OFF).strip()
    percent_bp = 0
    value_fen = 0
    if kind == PERCENT_OFF:
        percent_bp = parse_percent_bp(d.get("percent", d.get("value", "0")))
    else:
        value_fen = _money(d.get("value", "0"), f"coupon_templates.{code}.value")
    days = d.get("valid_days", 0) or 0
    if isinstance(days, bool) or not isinstance(days, int):
        raise InvalidInput("campaign.bad_field", field=f"coupon_templates.{code}.valid_days", value=str(days))
    return check_template(
        Template(
            code=code,
            name=str(d.get("name") or "").strip(),
            kind=kind,
            value_fen=value_fen,
            percent_bp=percent_bp,
            max_discount_fen=_money(d.get("max_discount", "0"), f"coupon_templates.{code}.max_discount"),
            min_spend_fen=_money(d.get("min_spend", "0"), f"coupon_templates.{code}.min_spend"),
            valid_days=days,
            valid_from=_opt_date(d.get("valid_from"), f"coupon_templates.{code}.valid_from"),
            valid_until=_opt_date(d.get("valid_until"), f"coupon_templates.{code}.valid_until"),
            category=str(d.get("category") or "").strip(),
            bearer=bool(d.get("bearer", False)),
        )
    )


def validity(t: Template, issued_on: date) -> tuple[date, date]:
    """(first day, last day), both inclusive. ``valid_days`` counts the day of issue as day 1."""
    if t.valid_days:
        return issued_on, issued_on + timedelta(days=t.valid_days - 1)
    assert t.valid_until is not None
    return (t.valid_from or issued_on), t.valid_until


# ----------------------------------------------------------------------------- redemption


@dataclass(frozen=True)
class CouponState:
    """What redemption needs to know about one issued coupon."""

    code: str
    kind: str
    state: str  # issued | redeemed | voided
    member_id: str | None
    bearer: bool
    valid_from: date
    valid_until: date
    value_fen: int
    percent_bp: int
    max_discount_fen: int
    min_spend_fen: int


def effective_state(c: CouponState, today: date) -> str:
    if c.state == ISSUED and today > c.valid_until:
        return EXPIRED
    return c.state


def discount_for(c: CouponState, amount_fen: int) -> int:
    """The discount in fen on a bill of ``amount_fen``; never more than the bill.

    Rounding (domain.money): percent off is rounded down to the fen, then capped."""
    if amount_fen < 0:
        raise InvalidInput("money.negative", value=str(amount_fen), field="amount")
    if c.kind == PERCENT_OFF:
        d = percent_of(amount_fen, c.percent_bp)
        if c.max_discount_fen:
            d = min(d, c.max_discount_fen)
        return d
    return min(c.value_fen, amount_fen)


def check_redeemable(c: CouponState, *, member_id: str | None, amount_fen: int, today: date) -> int:
    """Every refusal has its own message key. Returns the discount."""
    if not c.bearer and c.member_id is not None and c.member_id != member_id:
        raise StateError("coupon.other_member", code=group(c.code))
    if c.state == REDEEMED:
        raise StateError("coupon.used", code=group(c.code))
    if c.state == VOIDED:
        raise StateError("coupon.voided", code=group(c.code))
    if c.state != ISSUED:
        raise StateError("coupon.state_unknown", code=group(c.code), state=c.state)
    if today > c.valid_until:
        raise StateError("coupon.expired", code=group(c.code), until=c.valid_until.isoformat())
    if today < c.valid_from:
        raise StateError("coupon.not_yet_valid", code=group(c.code), since=c.valid_from.isoformat())
    if amount_fen < c.min_spend_fen:
        raise StateError("coupon.min_spend", code=group(c.code), min_spend=Money(c.min_spend_fen), amount=Money(amount_fen))
    return discount_for(c, amount_fen)


def unknown_code(code: str) -> NotFound:
    return NotFound("coupon.unknown", code=group(code))
