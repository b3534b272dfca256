"""The gettext catalogues (pos_app/locale/<lang>/LC_MESSAGES/pos_app.po): every message id the code uses is in
both, none in them is unused, and parameters are shown by their type, never by their name."""

from __future__ import annotations

import os
import re
import shutil
from datetime import date
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from pos_app import messages
from pos_app.domain.errors import InvalidInput, PermissionDenied
from pos_app.domain.members import MAX_NAME_LEN, normalize_name
from pos_app.domain.textparams import Count, Day, Money, Term, message_ref, parse_message_ref
from pos_app.locale import extract

PLACEHOLDER = re.compile(r"(?<!\{)\{([a-z_]+)\}(?!\})")


def _po(lang: str) -> dict[str, str]:
    with messages.po_path(lang).open("rb") as f:
        return {str(m.id): str(m.string) for m in read_po(f) if m.id}


@pytest.fixture(scope="module")
def scan() -> extract.Scan:
    return extract.scan_tree()


def test_the_scan_finds_calls_error_keys_and_dynamic_ids(scan: extract.Scan) -> None:
    # a raise, a class-level key, a UI tr() call, a CLI translate() call, a wrapper (_t) in printing
    assert {"money.absurd", "store.busy_app", "backup.too_new", "counter.register", "init.done",
            "print.receipt_title"} <= set(scan.called)
    assert {"pay.{}", "role.{}", "term.role.{}", "term.field.{}"} <= set(scan.patterns)


@pytest.mark.parametrize("lang", messages.LANGS)
def test_every_id_the_code_uses_is_in_the_catalogue(scan: extract.Scan, lang: str) -> None:
    used = set(scan.called) | messages.dynamic_ids()
    assert len(used) > 800
    assert sorted(k for k in used if not messages.has_message(k, lang)) == []


def test_every_id_built_from_a_value_is_listed_in_one_place(scan: extract.Scan) -> None:
    unlisted = {p: where for p, where in scan.patterns.items() if p not in messages.DYNAMIC_IDS}
    assert unlisted == {}
    assert sorted(set(messages.DYNAMIC_IDS) - set(scan.patterns)) == []  # and no listed pattern is left over


def test_no_id_in_the_catalogues_is_unused(scan: extract.Scan) -> None:
    referenced = set(scan.called) | set(scan.literals) | messages.dynamic_ids()
    for lang in messages.LANGS:
        assert sorted(set(_po(lang)) - referenced) == [], lang


def test_both_catalogues_have_the_same_ids_and_placeholders() -> None:
    zh, en = _po("zh_CN"), _po("en")
    assert set(zh) == set(en) and len(zh) > 800
    differ = {k: (zh[k], en[k]) for k in zh if set(PLACEHOLDER.findall(zh[k])) != set(PLACEHOLDER.findall(en[k]))}
    assert differ == {}
    assert [k for k in zh if not zh[k].strip() or not en[k].strip()] == []


def test_the_catalogues_are_read_through_gettext() -> None:
    cat = messages.catalogue("zh_CN")
    assert cat.gettext("money.zero") == "金额必须大于零"
    assert messages.catalogue("en").gettext("money.zero") == "The amount must be more than zero"
    assert messages.mo_path("zh_CN").is_file()


def test_a_stale_compiled_catalogue_is_compiled_again_and_a_missing_one_fails_loudly(tmp_path: Path, monkeypatch) -> None:
    src = messages.LOCALE_DIR / "en" / "LC_MESSAGES" / "pos_app.po"
    dest = tmp_path / "en" / "LC_MESSAGES"
    dest.mkdir(parents=True)
    po = dest / "pos_app.po"
    po.write_text(src.read_text(encoding="utf-8").replace('msgstr "The amount must be more than zero"',
                                                          'msgstr "Zero is not an amount"'), encoding="utf-8")
    monkeypatch.setattr(messages, "LOCALE_DIR", tmp_path)
    monkeypatch.setattr(messages, "_catalogues", {})
    assert not (dest / "pos_app.mo").exists()
    assert messages.translate("money.zero", lang="en") == "Zero is not an amount"  # compiled on first use
    assert (dest / "pos_app.mo").is_file()
    # a built app has only the .mo: without it, a clear error, not an English-less silence
    (dest / "pos_app.mo").unlink()
    po.unlink()
    monkeypatch.setattr(messages, "_catalogues", {})
    with pytest.raises(messages.CatalogueMissing, match="make messages-compile"):
        messages.translate("money.zero", lang="en")


def test_an_edited_po_is_picked_up_when_newer_than_its_mo(tmp_path: Path, monkeypatch) -> None:
    shutil.copytree(messages.LOCALE_DIR / "zh_CN", tmp_path / "zh_CN")
    monkeypatch.setattr(messages, "LOCALE_DIR", tmp_path)
    monkeypatch.setattr(messages, "_catalogues", {})
    messages.compile_catalogue("zh_CN")
    po = tmp_path / "zh_CN" / "LC_MESSAGES" / "pos_app.po"
    po.write_text(po.read_text(encoding="utf-8").replace('msgstr "金额必须大于零"', 'msgstr "金额须大于零"'),
                  encoding="utf-8")
    mo = tmp_path / "zh_CN" / "LC_MESSAGES" / "pos_app.mo"
    os.utime(mo, (1, 1))
    assert messages.translate("money.zero", lang="zh_CN") == "金额须大于零"


# --- parameters by type --------------------------------------------------------------------------------------

def test_a_count_named_max_is_a_count_and_money_is_yuan() -> None:
    # the same parameter name, two types: "at most 40", and "at most ¥0.40" only when it is money
    assert messages.translate("money.absurd", {"value": "9", "max": 40}, "en") == "Amount too large: 9 (at most 40)"
    assert messages.translate("money.absurd", {"value": "9", "max": Money(40)}, "en") == \
        "Amount too large: 9 (at most ¥0.40)"
    assert messages.translate("audit.limit_invalid", {"limit": 0, "max": Count(1000)}, "zh_CN") == "条数 0 无效（1 到 1000）"
    assert messages.translate("money.absurd", {"value": "9", "max": Money(1_234_50)}, "zh_CN") == \
        "金额过大：9（上限 ¥1,234.50）"


def test_at_most_40_characters_prints_as_characters() -> None:
    with pytest.raises(InvalidInput) as exc:
        normalize_name("名" * (MAX_NAME_LEN + 1))
    assert MAX_NAME_LEN == 40
    assert messages.tr_error(exc.value, "zh_CN") == "姓名过长（最多 40 个字）"
    assert messages.tr_error(exc.value, "en") == "Name too long (at most 40 characters)"


def test_money_count_day_and_term() -> None:
    assert messages.show_param(Money(123450)) == "¥1,234.50"
    assert messages.show_param(Money(-5)) == "-¥0.05"
    assert messages.show_param(Count(1234)) == 1234 and messages.show_param(1234) == 1234
    assert messages.show_param(Day(date(2026, 3, 1))) == "2026-03-01"
    assert messages.show_param(date(2026, 3, 1)) == "2026-03-01"
    assert messages.show_param(Term("term.role.manager"), "zh_CN") == "店长"
    assert messages.show_param(Term("term.role.manager"), "en") == "manager"
    assert messages.show_param(Term("term.field.sku", "sku"), "en") == "sku"  # no translation: the fallback
    assert Money(100) + 1 == 101 and isinstance(Money(100), int)  # still an int for arithmetic and JSON


def test_an_errors_declared_parameter_types_apply_to_raw_values() -> None:
    denied = PermissionDenied("error.permission_denied", role="manager")
    assert messages.tr_error(denied, "zh_CN") == "当前账号（店长）无权执行此操作"
    assert messages.tr_error(denied, "en") == "Your role (manager) may not do this"


def test_a_message_reference_round_trips_with_its_types() -> None:
    ref = message_ref("coupon.pay_note", code="ABCD-EFGH", paid=Money(100), n=Count(2), who=Term("term.role.cashier"))
    assert ref.startswith("\x1e") and "优惠券" not in ref
    key, params = parse_message_ref(ref) or ("", {})
    assert key == "coupon.pay_note" and params == {"code": "ABCD-EFGH", "paid": 100, "n": 2,
                                                   "who": Term("term.role.cashier")}
    assert isinstance(params["paid"], Money) and isinstance(params["n"], Count)
    assert messages.stored_text(ref, "zh_CN") == "优惠券 ABCD-EFGH"
    assert messages.stored_text(ref, "en") == "Coupon ABCD-EFGH"
    assert messages.stored_text("狗粮", "en") == "狗粮"  # what a person typed stays as typed
    assert parse_message_ref("coupon.pay_note") is None and messages.stored_text(None) is None
