"""The one free-text rule (names, notes, reasons): control/format characters and undecodable bytes
are refused, white space folds, one length limit."""

from __future__ import annotations

import pytest

from pos_app.domain.errors import InvalidInput
from pos_app.domain.text import MAX_TEXT_LEN, check_arg_text, clean_text


def test_plain_text_is_folded_and_empty_is_none():
    assert clean_text("  狗粮 \t 两袋\n", field="note") == "狗粮 两袋"
    assert clean_text("   ", field="note") is None
    assert clean_text(None, field="note") is None
    with pytest.raises(InvalidInput) as exc:
        clean_text(" ", field="reason", required=True)
    assert exc.value.key == "text.required"


@pytest.mark.parametrize("ch", ["\x1b", "\x07", "\x00", "\x85", "\u200e", "\u200f", "\u202a", "\u202e", "\u2066",
                                "\ufeff", "\u00ad", "\ue000", "\udc80"])
def test_control_format_private_and_surrogate_characters_are_refused(ch):
    with pytest.raises(InvalidInput) as exc:
        clean_text(f"a{ch}b", field="note")
    assert exc.value.key == "text.bad_character" and exc.value.params["char"] == f"U+{ord(ch):04X}"


def test_one_length_limit():
    assert clean_text("x" * MAX_TEXT_LEN, field="note") == "x" * MAX_TEXT_LEN
    with pytest.raises(InvalidInput) as exc:
        clean_text("x" * (MAX_TEXT_LEN + 1), field="note")
    assert exc.value.key == "text.too_long" and exc.value.params["max_chars"] == MAX_TEXT_LEN == 200


def test_arguments_with_undecodable_bytes_are_refused_and_shown_as_bytes():
    check_arg_text("陈一 ok")
    arg = "陈二".encode("gbk").decode("utf-8", "surrogateescape")
    with pytest.raises(InvalidInput) as exc:
        check_arg_text(arg)
    assert exc.value.params["value"] == "\\xb3¶\\xfe"  # the bytes that are not UTF-8 (c2 b6 happens to be ¶)
