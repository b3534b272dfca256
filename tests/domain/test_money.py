"""Money in fen: parsing typed yuan, formatting, percentages. Rounding is down, in one place."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pos_app.domain.errors import InvalidInput
from pos_app.domain.money import (
    MAX_AMOUNT_FEN,
    fen_to_yuan_str,
    format_fen,
    parse_percent_bp,
    parse_yuan,
    percent_of,
)


@pytest.mark.parametrize(
    ("text", "fen"),
    [
        ("500", 500_00),
        ("99.90", 99_90),
        ("99.9", 99_90),
        ("0.01", 1),
        ("¥1,234.50", 1_234_50),
        ("￥88", 88_00),
        ("RMB 12.5", 12_50),
        ("  7 ", 7_00),
        ("５００", 500_00),  # full-width digits typed with a Chinese IME
        (500, 500_00),
        ("10000000", MAX_AMOUNT_FEN),
    ],
)
def test_parse_yuan_accepts_what_a_cashier_types(text, fen):
    assert parse_yuan(text) == fen


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("-5", "money.negative"),
        ("-0.01", "money.negative"),
        ("1.234", "money.invalid"),  # three decimals
        ("99.999", "money.invalid"),
        ("10000000.01", "money.absurd"),  # over 10 million yuan
        ("99999999999", "money.absurd"),
        ("abc", "money.invalid"),
        ("12abc", "money.invalid"),
        ("1e3", "money.invalid"),
        ("NaN", "money.invalid"),
        ("inf", "money.invalid"),
        ("", "money.invalid"),
        ("1,2,3", "money.invalid"),  # commas only as thousands separators
        ("12,34", "money.invalid"),
        (".5", "money.invalid"),
        ("5.", "money.invalid"),
        ("٥٠٠", "money.invalid"),  # other scripts' digits are not money
        ("0", "money.zero"),
        ("0.00", "money.zero"),
        (True, "money.invalid"),
    ],
)
def test_parse_yuan_refuses_bad_amounts_with_a_reason(text, key):
    with pytest.raises(InvalidInput) as exc:
        parse_yuan(text)
    assert exc.value.key == key


def test_parse_yuan_zero_allowed_only_when_asked():
    assert parse_yuan("0", allow_zero=True) == 0


def test_format_fen_123450_is_yuan_1234_50_with_grouping():
    assert format_fen(1_234_50) == "¥1,234.50"
    assert format_fen(5) == "¥0.05"
    assert format_fen(-5_00) == "-¥5.00"
    assert fen_to_yuan_str(1_234_50) == "1234.50"
    assert fen_to_yuan_str(-1) == "-0.01"


@given(st.integers(min_value=1, max_value=MAX_AMOUNT_FEN))
def test_format_then_parse_round_trips_every_amount(fen):
    assert parse_yuan(format_fen(fen)) == fen
    assert parse_yuan(fen_to_yuan_str(fen)) == fen


@pytest.mark.parametrize(("text", "bp"), [("5", 500), ("5%", 500), ("2.5", 250), ("100", 10_000), ("0", 0)])
def test_parse_percent_in_basis_points(text, bp):
    assert parse_percent_bp(text) == bp


@pytest.mark.parametrize("text", ["100.01", "101", "-1", "x", "5.555"])
def test_parse_percent_refuses_over_100_and_junk(text):
    with pytest.raises(InvalidInput):
        parse_percent_bp(text)


def test_5_percent_of_1000_yuan_is_50_yuan_and_rounding_is_down():
    assert percent_of(1000_00, 500) == 50_00
    assert percent_of(1_99, 500) == 9  # 9.95 fen rounds down to 9
    with pytest.raises(ValueError):
        percent_of(-1, 500)
