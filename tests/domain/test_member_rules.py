"""Member rules: mainland mobile numbers, member and invite codes, no self-invite."""

from __future__ import annotations

import random

import pytest

from pos_app.domain.errors import InvalidInput
from pos_app.domain.ids import CROCKFORD
from pos_app.domain.members import (
    check_inviter,
    is_phone_prefix,
    new_invite_code,
    new_member_code,
    normalize_invite_code,
    normalize_member_code,
    normalize_name,
    normalize_phone,
)


@pytest.mark.parametrize(
    ("text", "phone"),
    [
        ("13800138000", "13800138000"),
        ("138 0013 8000", "13800138000"),
        ("138-0013-8000", "13800138000"),
        ("+86 13800138000", "13800138000"),
        ("008619912345678", "19912345678"),
        ("１３８００１３８０００", "13800138000"),  # full-width digits
        ("(138)00138000", "13800138000"),
    ],
)
def test_phone_13800138000_accepted_in_the_ways_people_write_it(text, phone):
    assert normalize_phone(text) == phone


@pytest.mark.parametrize(
    "text",
    [
        "1380013800",  # 10 digits
        "138001380001",  # 12 digits
        "12800138000",  # 12x is not a mobile range
        "10800138000",
        "23800138000",  # does not start with 1
        "1380013800a",
        "",
        "+1 13800138000",
        "1380013800٠",  # a digit of another script
    ],
)
def test_bad_phone_numbers_are_refused(text):
    with pytest.raises(InvalidInput) as exc:
        normalize_phone(text)
    assert exc.value.key == "member.phone_invalid"


def test_phone_prefix_for_search_as_you_type():
    assert is_phone_prefix("1")
    assert is_phone_prefix("138")
    assert is_phone_prefix("13800138000")
    assert not is_phone_prefix("12")
    assert not is_phone_prefix("138001380001")
    assert not is_phone_prefix("abc")


def test_member_code_is_M_plus_10_crockford_chars_and_reads_back_with_lookalikes():
    code = new_member_code(random.Random(3).getrandbits)
    assert code.startswith("M") and len(code) == 11
    assert all(c in CROCKFORD for c in code[1:])
    assert normalize_member_code(code.lower()) == code
    assert normalize_member_code(code[1:]) == code  # the M may be left off
    typed = code[1:].replace("0", "O").replace("1", "I")
    assert normalize_member_code("m-" + typed) == code
    with pytest.raises(InvalidInput):
        normalize_member_code("M123")


def test_invite_code_is_6_chars_and_typos_of_lookalikes_are_forgiven():
    code = new_invite_code(random.Random(5).getrandbits)
    assert len(code) == 6 and all(c in CROCKFORD for c in code)
    assert normalize_invite_code("  " + code.lower() + " ") == code
    assert normalize_invite_code("OIL0UV") == "0110VV"
    with pytest.raises(InvalidInput) as exc:
        normalize_invite_code("ABC")
    assert exc.value.key == "member.invite_code_invalid"


def test_a_member_cannot_invite_themselves():
    check_inviter("13800138000", "13900139000")
    with pytest.raises(InvalidInput) as exc:
        check_inviter("13800138000", "13800138000")
    assert exc.value.key == "member.self_invite"


def test_names_are_trimmed_and_40_chars_at_most():
    assert normalize_name("  陈   一 ") == "陈 一"
    assert normalize_name("   ") is None
    assert normalize_name(None) is None
    assert normalize_name("x" * 40) == "x" * 40
    with pytest.raises(InvalidInput):
        normalize_name("x" * 41)


@pytest.mark.parametrize("bad", ["\x1b[2J", "\x07", "\u202e", "\u200b", "\ufeff", "\x7f", "\udcb3"])
def test_names_with_control_or_format_characters_are_refused(bad):
    with pytest.raises(InvalidInput) as exc:
        normalize_name(f"陈{bad}一")
    assert exc.value.key == "text.bad_character" and exc.value.params["char"] == f"U+{ord(bad[0]):04X}"


def test_name_too_long_counts_characters_not_money():
    from pos_app import messages

    with pytest.raises(InvalidInput) as exc:
        normalize_name("名" * 41)
    assert "40" in messages.tr_error(exc.value, "en") and "¥" not in messages.tr_error(exc.value, "zh_CN")
