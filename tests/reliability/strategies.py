"""Hypothesis strategies for hostile input: what a cashier, a scanner, a spreadsheet or an attacker may type
(amounts, phones, codes, names with emoji, control characters and SQL, 10,000-character strings, full-width
digits), and malformed files (CSV, XLSX, TOML)."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import strategies as st

FULL_WIDTH = str.maketrans("0123456789.", "０１２３４５６７８９．")

SPECIALS = (
    "", " ", "0", "-0", "-1", "00", "1e3", "1e309", "NaN", "inf", "-inf", "0x10", "1_000", "1,000.00", "¥100",
    "100元", "99.999", "0.001", ".5", "5.", "--5", "+5", "9" * 30, "1" * 10_000, "名" * 10_000, "x" * 201,
    "' OR 1=1 --", "'; DROP TABLE member; --", "%", "_", "\\", "\x00", "\x1b[2J", "\u202e", "\ufeff", "\u200b",
    "😀", "👨‍👩‍👧", "\ud7ff", "null", "None", "true", "[]", "{}", "${HOME}", "$(id)", "../../etc/passwd",
    "13800138000", "１３８００１３８０００", "+8613800138000", "138 0013 8000", "138-0013-8000", "1380013800",
    "138001380001", "23800138000", "MABCD1234", "7K3M-Q9RT-VX2C-8HND-4", "7k3mq9rtvx2c8hnd4", "OIL0-1111",
)


def hostile_text(max_size: int = 40) -> st.SearchStrategy[str]:
    """Anything: the specials above, random text (emoji, control characters, any plane), full-width digits."""
    return st.one_of(
        st.sampled_from(SPECIALS),
        st.text(max_size=max_size),
        st.text(st.characters(codec="utf-8"), max_size=max_size),
        st.from_regex(r"\A[0-9.\-]{0,14}\Z").map(lambda s: s.translate(FULL_WIDTH)),
    )


def amount_text() -> st.SearchStrategy[str]:
    """Amounts in yuan as typed: mostly plausible, often not."""
    return st.one_of(
        hostile_text(20),
        st.decimals(min_value=-10**7, max_value=10**9, places=3, allow_nan=False).map(str),
        st.integers(-10**6, 10**12).map(str),
        st.integers(0, 10**5).map(lambda n: str(n).translate(FULL_WIDTH)),
    )


def phone_text() -> st.SearchStrategy[str]:
    valid = st.from_regex(r"\A1[3-9][0-9]{9}\Z")
    return st.one_of(
        valid, valid.map(lambda s: s.translate(FULL_WIDTH)), valid.map(lambda s: f" {s[:3]}-{s[3:7]} {s[7:]} "),
        st.from_regex(r"\A[0-9]{0,13}\Z"), hostile_text(20),
    )


def fen() -> st.SearchStrategy[int]:
    """Money in fen as a service receives it: mostly sane, sometimes absurd."""
    return st.one_of(st.integers(-10**4, 10**6), st.integers(-2**63, 2**63), st.sampled_from([0, 1, -1, 2**31, 10**15]))


# ----------------------------------------------------------------------------- files

def csv_bytes() -> st.SearchStrategy[bytes]:
    """A products CSV: a header that may be wrong, rows of hostile cells, in some encoding, or plain garbage."""
    header = st.one_of(st.just("sku,barcode,name,category,price,member_price"),
                       st.just("sku,barcode,name,category,price"), hostile_text(30))
    cell = st.one_of(hostile_text(16), amount_text(), st.just('"'), st.just('"a""b'), st.just("a,b"))
    row = st.lists(cell, min_size=0, max_size=8).map(lambda cs: ",".join(cs))
    text = st.tuples(header, st.lists(row, max_size=6)).map(lambda t: "\n".join([t[0], *t[1]]) + "\n")
    encoded = st.tuples(text, st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "utf-16", "latin-1"])).map(
        lambda t: t[0].encode(t[1], errors="replace"))
    return st.one_of(encoded, st.binary(max_size=200))


def xlsx_cells() -> st.SearchStrategy[list[list[Any]]]:
    """The rows of a products sheet, with cells of every type a spreadsheet holds."""
    value = st.one_of(
        st.none(), hostile_text(16), amount_text(), st.integers(-10**12, 10**12),
        st.floats(allow_nan=True, allow_infinity=True), st.booleans(), st.dates(), st.datetimes(),
        st.just("=1/0"), st.just("=SUM(A1:A2)"),
    )
    header = st.one_of(st.just(["sku", "barcode", "name", "category", "price", "member_price"]),
                       st.lists(value, max_size=6))
    return st.tuples(header, st.lists(st.lists(value, max_size=7), max_size=5)).map(lambda t: [t[0], *t[1]])


def toml_text() -> st.SearchStrategy[str]:
    """Campaign files that are not TOML, or TOML that is not a campaign."""
    return st.one_of(
        hostile_text(80),
        st.just("[campaign]\ncode = \n"), st.just("[[tiers]]\n[[tiers]]\ncode = 1\n"), st.just("a = [" * 300),
        st.dictionaries(st.text(min_size=1, max_size=8), st.one_of(st.integers(), hostile_text(10)), max_size=4)
        .map(lambda d: "\n".join(f'"{k}" = {v!r}' for k, v in d.items())),
    )


def _paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out: list[tuple[Any, ...]] = []
    items = data.items() if isinstance(data, dict) else enumerate(data) if isinstance(data, list) else ()
    for k, v in items:
        out.append((*prefix, k))
        out += _paths(v, (*prefix, k))
    return out


JUNK = st.one_of(st.none(), st.integers(-10**12, 10**12), st.floats(), st.booleans(), hostile_text(12),
                 st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
                 st.dates())


@st.composite
def mutated(draw: st.DrawFn, base: dict[str, Any], max_changes: int = 3) -> dict[str, Any]:
    """``base`` (a parsed campaign file) with a few values replaced by junk of any type, or removed."""
    data = copy.deepcopy(base)
    for _ in range(draw(st.integers(1, max_changes))):
        paths = _paths(data)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent: Any = data
        for k in path[:-1]:
            parent = parent[k]
        if draw(st.booleans()) and isinstance(parent, dict):
            del parent[path[-1]]
        else:
            parent[path[-1]] = draw(JUNK)
    return data
