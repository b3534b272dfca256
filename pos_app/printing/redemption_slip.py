"""The redemption slip (兑换单) of a mall redemption or a premium request: the item, what it cost, the 核销
code as text and QR (scanned at the counter to hand the gift over), and what was issued at once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reportlab.pdfgen.canvas import Canvas

from pos_app import messages
from pos_app.domain.coupons import normalize
from pos_app.domain.money import format_fen
from pos_app.printing.pdf import Block, Line, Qr, Rule, draw_layout, mask_phone


def redemption_blocks(r: Any, store: str = "") -> list[Block]:
    """``r``: a mall.RedemptionView."""
    _t = messages.translate
    blocks: list[Block] = []
    if store:
        blocks.append(Line(store, 11, "center"))
    blocks += [
        Line(_t("print.redemption_title") if r.program == "mall" else _t("print.premium_title"), 11, "center"),
        Rule(),
        Line(r.item_name, 12, "center"),
        Line(f"{_t('print.prize_member')}\t{mask_phone(r.phone)}", 8, "pair"),
    ]
    if r.points:
        blocks.append(Line(f"{_t('print.redemption_points')}\t{r.points:,}", 8, "pair"))
    if r.cash_fen:
        blocks.append(Line(f"{_t('print.redemption_cash')}\t{format_fen(r.cash_fen)}", 8, "pair"))
    if r.issued_code:
        blocks.append(Line(f"{_t('print.redemption_issued')}\t{r.issued_code}", 8, "pair"))
    blocks += [
        Qr(normalize(r.code), 0.55),
        Line(r.code, 9, "center", mono=True),
        Rule(),
        Line(_t(f"print.redemption_note.{r.state}") if r.state in ("reserved", "requested")
             else _t("print.redemption_note"), 7.5, "center"),
    ]
    return blocks


def write_redemption_slip(r: Any, out: str | Path, *, store: str = "", layout: str = "80mm") -> Path:
    c = Canvas(str(out), pageCompression=1)
    c.setTitle(messages.translate("print.redemption_title"))
    draw_layout(c, redemption_blocks(r, store), layout)
    c.save()
    return Path(out)
