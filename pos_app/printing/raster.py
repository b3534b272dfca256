"""Coupons as images (Pillow), for printing through Qt: one ``drawImage`` per coupon.

Qt's own painter calls are avoided on purpose: each costs a Python call into the binding (PySide6 6.12.0, which pyproject.toml excludes, on
Python 3.11 also drops a reference to ``None`` on every void call, which aborts the process after some
tens of thousands of calls), while Pillow draws the whole cell in C."""

from __future__ import annotations

from typing import Any

from pos_app.printing import fonts, pdf, qr


def coupon_image(c: Any, store: str, width: int, height: int) -> Any:
    """One coupon cell, ``width`` x ``height`` pixels, with corner cut marks."""
    from PIL import Image, ImageDraw  # noqa: PLC0415

    img = Image.new("RGB", (width, height), (255, 255, 255))
    d = ImageDraw.Draw(img)
    unit = height / 156.0  # the A4 cell is about 156 pt high; sizes follow the PDF layout
    pad = int(11 * unit)
    qs = int(min(74 * unit, height - 2 * pad - 28 * unit))
    tw = width - 3 * pad - qs
    arm = int(7 * unit)
    gray = (150, 150, 150)
    for cx, cy in ((0, 0), (width - 1, 0), (0, height - 1), (width - 1, height - 1)):
        d.line((max(0, cx - arm), cy, min(width - 1, cx + arm), cy), fill=gray, width=1)
        d.line((cx, max(0, cy - arm), cx, min(height - 1, cy + arm)), fill=gray, width=1)

    def text(x: float, y: float, s: str, size: float, fill: tuple[int, int, int]) -> None:
        font = fonts.image_font(max(6, int(size * unit)))
        while s and d.textlength(s, font=font) > tw:
            s = s[:-2] + "…" if len(s) > 2 else ""
        d.text((x, y), s, font=font, fill=fill)

    text(pad, pad, store, 8, (100, 100, 100))
    text(pad, pad + 12 * unit, c.name, 11, (0, 0, 0))
    text(pad, pad + 27 * unit, pdf.value_text(c), 22, (190, 26, 26))
    y = pad + 56 * unit
    for line in pdf.condition_lines(c) + [pdf.validity_text(c), pdf.holder_text(c)]:
        text(pad, y, line, 7.5, (0, 0, 0))
        y += 10 * unit
    mtx = qr.matrix(c.raw_code)
    box = max(1, qs // (len(mtx) + 4))
    code_img = qr.image(c.raw_code, box=box, border=2)
    img.paste(code_img, (width - pad - code_img.width, pad))
    mono = fonts.image_font(max(6, int(8.5 * unit)))
    w = d.textlength(c.code, font=mono)
    d.text(((width - w) / 2, height - pad - 10 * unit), c.code, font=mono, fill=(0, 0, 0))
    return img
