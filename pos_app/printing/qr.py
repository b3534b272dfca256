"""QR codes: the module matrix (cached), vector drawing on a reportlab canvas, and PNG images.

Coupon codes are upper-case letters and digits, so they use QR's compact alphanumeric mode (version 1-2).
Drawing merges each row's dark modules into one rectangle per run, in a single path: fast and sharp at
any printer resolution."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import qrcode
from qrcode.constants import ERROR_CORRECT_M
from qrcode.exceptions import DataOverflowError

Matrix = tuple[tuple[bool, ...], ...]


@lru_cache(maxsize=4096)
def matrix(text: str) -> Matrix:
    """The QR modules of ``text`` (no quiet zone). A fixed mask pattern skips the slow best-mask search;
    every mask is a valid QR code."""
    try:  # coupon codes fit version 1 (17 alphanumeric characters): skip the size search
        q = qrcode.QRCode(version=1, error_correction=ERROR_CORRECT_M, border=0, mask_pattern=0)
        q.add_data(text)
        q.make(fit=False)
    except DataOverflowError:
        q = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=0, mask_pattern=0)
        q.add_data(text)
        q.make(fit=True)
    return tuple(tuple(bool(v) for v in row) for row in q.get_matrix())


def draw(c: Any, text: str, x: float, y: float, size: float) -> None:
    """Draw the QR code of ``text`` with its bottom-left corner at (x, y), ``size`` points wide, plus a
    white quiet zone of 2 modules around it (the caller leaves room)."""
    mtx = matrix(text)
    n = len(mtx)
    mod = size / n
    c.saveState()
    c.setFillColorRGB(1, 1, 1)
    c.rect(x - 2 * mod, y - 2 * mod, size + 4 * mod, size + 4 * mod, stroke=0, fill=1)
    c.setFillColorRGB(0, 0, 0)
    # in module units (integers): one "re" operator per run of dark modules, written straight into the
    # page stream (reportlab's path object formats every float in Python, which is the slow part)
    c.translate(x, y)
    c.scale(mod, mod)
    ops = []
    for r, row in enumerate(mtx):
        yy = n - 1 - r
        start = -1
        for col in range(n + 1):
            dark = col < n and row[col]
            if dark and start < 0:
                start = col
            elif not dark and start >= 0:
                ops.append(f"{start} {yy} {col - start} 1 re")
                start = -1
    c._code.append("\n".join(ops) + "\nf")
    c.restoreState()


def image(text: str, box: int = 10, border: int = 4) -> Any:
    """A Pillow image of the QR code of ``text`` (black on white, ``border`` modules of quiet zone)."""
    from PIL import Image  # noqa: PLC0415

    mtx = matrix(text)
    n = len(mtx) + 2 * border
    img = Image.new("L", (n, n), 255)
    px = img.load()
    assert px is not None  # a new in-memory image always loads
    for r, row in enumerate(mtx):
        for col, dark in enumerate(row):
            if dark:
                px[col + border, r + border] = 0
    return img.resize((n * box, n * box), Image.Resampling.NEAREST).convert("RGB")
