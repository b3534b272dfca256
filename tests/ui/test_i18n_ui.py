"""Every string the counter app shows is in the catalogue in zh_CN and en."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.pofile import read_po

from pos_app import messages
from pos_app.domain.textparams import Money
from pos_app.services.common import PAY_METHODS

UI = Path(__file__).resolve().parents[2] / "pos_app" / "ui"
MINE = ("common", "counter", "history", "login", "main", "models", "pay", "receipt", "recharge", "scanner")


def _po(lang: str) -> dict[str, str]:
    with messages.po_path(lang).open("rb") as f:
        return {str(m.id): str(m.string) for m in read_po(f) if m.id}


def test_both_languages_have_the_same_keys() -> None:
    zh, en = _po("zh_CN"), _po("en")
    assert set(zh) == set(en)
    assert all(v.strip() for v in zh.values()) and all(v.strip() for v in en.values())


def test_every_literal_key_used_by_the_ui_is_translated() -> None:
    used: set[str] = set()
    for name in MINE:
        text = (UI / f"{name}.py").read_text(encoding="utf-8")
        used |= set(re.findall(r"""\btr\(\s*["']([a-z_]+\.[a-z_.]*[a-z_])["']""", text))
        used |= set(re.findall(r"""Column\(\s*"([a-z_]+\.[a-z_]+)\"""", text))
        used |= set(re.findall(r"""ScreenSpec\([^)]*?"(screen\.[a-z_]+)\"""", text))
    assert len(used) > 100
    for lang in messages.LANGS:
        missing = sorted(k for k in used if not messages.has_message(k, lang))
        assert missing == [], (lang, missing)


def test_enumerations_shown_in_tables_are_translated() -> None:
    keys = [f"pay.{p}" for p in PAY_METHODS]
    keys += [f"item.kind.{k}" for k in ("coupon", "gift", "voucher", "member_price")]
    keys += [f"item.state.{s}" for s in ("owed", "issued", "handed_out", "declined", "revoked", "kept", "cancelled")]
    keys += [f"wallet.kind.{k}" for k in ("recharge", "spend", "refund")]
    keys += [f"recharge.state.{s}" for s in ("active", "refunded")]
    for lang in messages.LANGS:
        assert [k for k in keys if not messages.has_message(k, lang)] == []


def test_money_parameters_are_shown_as_yuan() -> None:
    from pos_app.ui.common import tr

    messages.set_language("en")
    try:
        assert tr("pay.split", principal=Money(123456), bonus=Money(5)) == "principal ¥1,234.56, bonus ¥0.05"
    finally:
        messages.set_language("zh_CN")
    assert tr("preview.balance_after", amount=Money(100_000_00)) == "充值后余额：¥100,000.00"
