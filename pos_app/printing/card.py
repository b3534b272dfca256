"""The invite card as a PNG (qrcode + Pillow, CJK text with the font from printing/fonts.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pos_app import messages
from pos_app.printing import fonts, qr

WIDTH, HEIGHT = 640, 980


def invite_card_image(card: Any) -> Any:
    from PIL import Image, ImageDraw  # noqa: PLC0415

    img = Image.new("RGB", (WIDTH, HEIGHT), (255, 250, 240))
    d = ImageDraw.Draw(img)
    d.rectangle((0, 0, WIDTH, 150), fill=(192, 57, 43))

    def center(y: int, text: str, size: int, fill: tuple[int, int, int]) -> None:
        font = fonts.image_font(size)
        box = d.textbbox((0, 0), text, font=font)
        d.text(((WIDTH - (box[2] - box[0])) / 2, y), text, font=font, fill=fill)

    center(30, card.store_name, 44, (255, 255, 255))
    center(95, messages.translate("print.invite_title"), 30, (255, 235, 200))
    center(180, messages.translate("print.invite_from", {"who": card.name or card.phone_masked}), 28, (60, 60, 60))
    code_img = qr.image(card.qr_text, box=12, border=4)
    img.paste(code_img, ((WIDTH - code_img.width) // 2, 240))
    y = 240 + code_img.height + 20
    center(y, messages.translate("print.invite_code"), 26, (90, 90, 90))
    center(y + 40, card.invite_code, 64, (192, 57, 43))
    hint_font = fonts.image_font(20)
    line = ""
    hy = y + 130
    for ch in messages.translate("print.invite_hint"):
        if d.textlength(line + ch, font=hint_font) > WIDTH - 80 and line:
            center(hy, line, 20, (90, 90, 90))
            hy += 30
            line = ch
        else:
            line += ch
    if line:
        center(hy, line, 20, (90, 90, 90))
    return img


def invite_card_png(card: Any, out: str | Path) -> None:
    invite_card_image(card).save(str(out), "PNG")
