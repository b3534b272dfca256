"""The lucky wheel's prize slip: the prize, the claim code (as text and QR) and how to claim it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reportlab.pdfgen.canvas import Canvas

from pos_app import messages
from pos_app.domain.coupons import normalize
from pos_app.domain.money import format_fen
from pos_app.domain.textparams import Count
from pos_app.printing.pdf import Block, Line, Qr, Rule, draw_layout, mask_phone


def prize_blocks(r: Any, store: str = "") -> list[Block]:
    """``r``: a wheel.DrawResult."""
    blocks: list[Block] = []
    if store:
        blocks.append(Line(store, 11, "center"))
    blocks += [
        Line(messages.translate("print.prize_title", {"wheel": r.wheel_name}), 11, "center"),
        Rule(),
        Line(r.tier, 14, "center"),
        Line(r.prize_name, 11, "center"),
    ]
    if r.value_fen:
        blocks.append(Line(f"{messages.translate('print.prize_value')}\t{format_fen(r.value_fen)}", 8, "pair"))
    blocks += [
        Line(f"{messages.translate('print.prize_member')}\t{mask_phone(r.phone)}", 8, "pair"),
        Line(f"{messages.translate('print.prize_draw')}\t#{r.seq}", 8, "pair"),
        Qr(normalize(r.claim_code), 0.55),
        Line(r.claim_code, 9, "center", mono=True),
        Rule(),
        Line(messages.translate("print.prize_claim", {"days": Count(r.claim_days)}), 7.5, "center"),
    ]
    return blocks


def write_prize_slip(r: Any, out: str | Path, *, store: str = "", layout: str = "80mm") -> Path:
    c = Canvas(str(out), pageCompression=1)
    c.setTitle(messages.translate("print.prize_title", {"wheel": r.wheel_name}))
    draw_layout(c, prize_blocks(r, store), layout)
    c.save()
    return Path(out)
