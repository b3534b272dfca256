"""Money is an ``int`` of fen (分). Parsing and formatting happen only at the edges.

Rounding rule (the one place it is written down): every derived amount (a percentage of an amount,
a proportional split) is rounded DOWN to the fen in the member's favour of the store's liability,
i.e. ``amount * bp // 10_000``. Percentages are integer basis points (1% = 100 bp).
"""

from __future__ import annotations

import re
import unicodedata

from pos_app.domain.errors import InvalidInput

FEN_PER_YUAN = 100
BP_PER_UNIT = 10_000
#: Anything above this is an absurd amount for one counter transaction (10 million yuan).
MAX_AMOUNT_FEN = 1_000_000_000

_YUAN_RE = re.compile(r"^(?P<int>[0-9]{1,12})(?:\.(?P<frac>[0-9]{1,2}))?$")
#: thousands separators are accepted only where they belong: "1,234.50", not "1,2,3"
_GROUPED_RE = re.compile(r"^[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]*)?$")
_PERCENT_RE = re.compile(r"^(?P<int>[0-9]{1,3})(?:\.(?P<frac>[0-9]{1,2}))?$")


def parse_yuan(text: str | int, *, allow_zero: bool = False, field: str = "amount") -> int:
    """Parse a yuan amount typed by a person ("500", "99.9", "¥1,234.50") into fen.

    Refuses negatives, more than two decimals, absurd amounts, and anything that is not a number.
    """
    if isinstance(text, bool):
        raise InvalidInput("money.invalid", value=str(text), field=field)
    if isinstance(text, int):
        raw = str(text)
    else:
        # NFKC: full-width digits and signs typed with a Chinese IME become ASCII ("５００" -> "500")
        raw = unicodedata.normalize("NFKC", str(text)).strip()
        for prefix in ("¥", "RMB", "CNY"):
            if raw.upper().startswith(prefix):
                raw = raw[len(prefix):].strip()
        if "," in raw:
            if not _GROUPED_RE.match(raw):
                raise InvalidInput("money.invalid", value=str(text), field=field)
            raw = raw.replace(",", "")
    if raw.startswith("-"):
        raise InvalidInput("money.negative", value=str(text), field=field)
    m = _YUAN_RE.match(raw)
    if not m:
        raise InvalidInput("money.invalid", value=str(text), field=field)
    frac = (m.group("frac") or "").ljust(2, "0")
    fen = int(m.group("int")) * FEN_PER_YUAN + int(frac or "0")
    if fen == 0 and not allow_zero:
        raise InvalidInput("money.zero", value=str(text), field=field)
    if fen > MAX_AMOUNT_FEN:
        raise InvalidInput("money.absurd", value=str(text), field=field, max=format_fen(MAX_AMOUNT_FEN))
    return fen


def parse_signed_yuan(text: str, *, field: str = "amount") -> int:
    """A yuan amount with an optional sign ("+50", "-12.5", "30"), as a signed number of fen (a correction
    up or down); the rest as :func:`parse_yuan` reads it, zero allowed."""
    raw = unicodedata.normalize("NFKC", str(text)).strip()
    sign = -1 if raw.startswith("-") else 1
    body = raw[1:].strip() if raw[:1] in ("+", "-") else raw
    try:
        return sign * parse_yuan(body, allow_zero=True, field=field)
    except InvalidInput as exc:
        exc.params["value"] = str(text)
        raise


def parse_percent_bp(text: str | int | float) -> int:
    """Parse "5", "5%", "2.5" into basis points (500, 500, 250). Refuses > 100%."""
    raw = unicodedata.normalize("NFKC", str(text)).strip().rstrip("%").strip()
    m = _PERCENT_RE.match(raw)
    if not m:
        raise InvalidInput("percent.invalid", value=str(text))
    frac = (m.group("frac") or "").ljust(2, "0")
    bp = int(m.group("int")) * 100 + int(frac or "0")
    if bp > BP_PER_UNIT:
        raise InvalidInput("percent.invalid", value=str(text))
    return bp


def percent_of(amount_fen: int, bp: int) -> int:
    """``bp`` basis points of ``amount_fen``, rounded down to the fen."""
    if amount_fen < 0 or bp < 0:
        raise ValueError("percent_of takes non-negative values")
    return amount_fen * bp // BP_PER_UNIT


def format_fen(fen: int, *, symbol: str = "¥") -> str:
    """1234_50 -> '¥1,234.50'; negative amounts get a leading minus: '-¥5.00'."""
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(fen), FEN_PER_YUAN)
    return f"{sign}{symbol}{yuan:,}.{cents:02d}"


def fen_to_yuan_str(fen: int) -> str:
    """1234_50 -> '1234.50' (no symbol, no grouping): for files and exports."""
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(fen), FEN_PER_YUAN)
    return f"{sign}{yuan}.{cents:02d}"
