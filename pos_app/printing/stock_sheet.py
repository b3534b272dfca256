"""The printable stocktake count sheet as HTML (QTextDocument's subset): what the stock screen previews,
prints and saves as PDF.

Plain data in, text out: the sheet's lines (``services.gifts.CountLineDTO``), the store's name and time zone,
the time it was printed. No Qt here (the screen that prints it is ``ui/stock_view.py``); texts come from
``pos_app.messages`` in the app's language."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from html import escape
from typing import Any

from pos_app import messages
from pos_app.domain.money import format_fen
from pos_app.printing.receipt_html import DEFAULT_TZ, local_time

#: the sheet's columns (message ids), the count sheet on screen has the same
HEADERS = ("gift.col.sku", "gift.col.name", "gift.col.expected", "gift.col.counted", "gift.col.difference",
           "gift.col.difference_value")


def _t(key: str, **params: Any) -> str:
    return messages.translate(key, params or None)


def stocktake_html(
    lines: Sequence[Any], store_name: str = "", staff_name: str = "", when: datetime | None = None, *,
    tz: str = DEFAULT_TZ,
) -> str:
    """The count sheet: expected quantities, the counted column (blank until counted), differences and their
    value, and lines to sign. ``when``: the time it is printed, shown in the store's time zone ``tz``."""
    head = "".join(f"<th>{escape(_t(k))}</th>" for k in HEADERS)
    body = []
    for c in lines:
        diff = c.difference
        cells = [
            escape(c.sku), escape(c.name), str(c.expected), "" if c.counted is None else str(c.counted),
            "" if diff is None else f"{diff:+d}", "" if diff is None else escape(format_fen(diff * c.unit_value_fen)),
        ]
        body.append("<tr>" + "".join(f"<td>{x}</td>" for x in cells) + "</tr>")
    return (
        "<html><body style='font-size:10pt'>"
        f"<h2>{escape(_t('stock.sheet_title'))}</h2>"
        f"<p>{escape(store_name)} &nbsp; {escape(local_time(when, tz))} &nbsp; {escape(_t('gift.col.staff'))}: "
        f"{escape(staff_name)}</p>"
        "<table border='1' cellspacing='0' cellpadding='4' width='100%'>"
        f"<tr>{head}</tr>{''.join(body)}</table>"
        f"<p><br/>{escape(_t('stock.sheet_sign'))}</p></body></html>"
    )
