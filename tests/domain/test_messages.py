"""Every error key the foundation raises has a message in Chinese and in English, and money parameters
are shown as yuan."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pos_app import messages
from pos_app.domain.errors import InsufficientFunds, PermissionDenied

ROOT = Path(__file__).resolve().parents[2] / "pos_app"
FOUNDATION = [
    *sorted((ROOT / "domain").glob("*.py")),
    *(ROOT / "services" / f"{n}.py" for n in ("common", "wallet", "members", "staff", "campaigns", "grants")),
    *sorted((ROOT / "cli").glob("*.py")),
]
_RAISE = re.compile(
    r"(?:InvalidInput|NotFound|PermissionDenied|AuthenticationFailed|InsufficientFunds|LimitExceeded|Conflict|"
    r"StateError|DomainError)\(\s*\"([a-z_]+\.[a-z_.]+)\""
)


def _raised_keys() -> set[str]:
    keys: set[str] = set()
    for path in FOUNDATION:
        if path.name in ("coupons.py", "gifts.py", "referrals.py"):
            continue
        keys |= set(_RAISE.findall(path.read_text(encoding="utf-8")))
    return keys


def test_the_scan_finds_the_keys():
    assert {"money.negative", "member.phone_invalid", "wallet.cap_exceeded", "request.reused"} <= _raised_keys()


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_every_raised_key_is_translated(lang):
    missing = sorted(k for k in _raised_keys() if not messages.has_message(k, lang))
    assert missing == []


def test_money_parameters_are_shown_in_yuan_and_roles_by_name():
    err = InsufficientFunds("wallet.insufficient", amount=100_01, balance=550_00)
    assert messages.tr_error(err, "en") == "Insufficient balance: ¥100.01 needed, ¥550.00 available"
    assert messages.tr_error(err, "zh_CN") == "余额不足：需支付 ¥100.01，可用余额 ¥550.00"
    denied = PermissionDenied("error.permission_denied", action="wallet.refund", role="cashier")
    assert messages.tr_error(denied, "zh_CN") == "当前账号（收银员）无权执行此操作"


def test_unknown_key_or_missing_parameter_still_gives_a_message():
    assert messages.translate("no.such.key") == "no.such.key"
    assert messages.translate("money.invalid", {}, "en") == "Not a valid amount: {value}"


def test_count_and_length_parameters_are_not_money():
    for key, params in (("coupon.count_invalid", {"count": 0, "max_count": 1000}),
                        ("gift.reason_too_long", {"max_chars": 200}), ("text.too_long", {"field": "note", "max_chars": 200}),
                        ("member.name_too_long", {"max_chars": 40})):
        for lang in messages.LANGS:
            text = messages.translate(key, params, lang)
            assert "¥" not in text and "{" not in text, (key, lang, text)
            assert str(params.get("max_count", params.get("max_chars"))) in text


def test_free_text_refusals_name_the_field_in_the_language():
    from pos_app.domain.errors import InvalidInput
    from pos_app.domain.text import clean_text

    with pytest.raises(InvalidInput) as exc:
        clean_text("a\x1bb", field="note")
    assert messages.tr_error(exc.value, "zh_CN").startswith("备注含有不允许的控制字符（U+001B）")
    assert messages.tr_error(exc.value, "en").startswith("The note contains")


@pytest.mark.parametrize("lang", messages.LANGS)
def test_a_typed_value_quoted_back_keeps_the_message_on_one_line(lang):
    """Found by the fuzzing campaign (tests/reliability): a coupon code or a payment method typed with a new
    line, a carriage return or an ESC came back verbatim and broke the one-line message (or redrew the terminal)."""
    for typed in ("\n", "AB\r\nCD", "\x1b[2J", "a\u2028b", "x\u202ey"):
        line = messages.translate("coupon.code_malformed", {"code": typed}, lang)
        assert "\n" not in line and "\r" not in line and "\x1b" not in line and "\u2028" not in line, line
        assert "\u202e" not in line and "U+" in line
    assert "U+000A" in messages.translate("wallet.pay_method_invalid", {"pay": "\n", "allowed": "cash"}, lang)
    long = messages.translate("coupon.code_malformed", {"code": "7" * 10_000}, lang)
    assert "7" * 200 + "…" in long and "7" * 201 not in long
    assert "王五 ＡＢ" in messages.translate("coupon.code_malformed", {"code": "王五 ＡＢ"}, lang)  # kept as typed
