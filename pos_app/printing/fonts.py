"""The CJK font for printed PDFs and PNGs: found once per process and cached.

Choice (works on a fresh Debian machine and in the packaged app):

1. ``POS_CJK_FONT`` (a .ttf/.ttc path, optionally ``path#index``), then any font bundled in
   ``resources/fonts/`` (the PyInstaller build ships that folder).
2. A system TrueType-outline CJK font, embedded (subset) in the PDF so any viewer or printer shows it:
   Noto Sans CJK SC (``fonts-noto-cjk``, subfont 2 of NotoSansCJK-Regular.ttc — only usable by reportlab
   when it is a TrueType-flavoured build: Debian ships CFF outlines, which reportlab's TTFont refuses),
   WenQuanYi Zen Hei (``fonts-wqy-zenhei``, which ``make system-deps`` and ``.ci/run`` install: TrueType
   outlines, Latin included), WenQuanYi Micro Hei, Droid Sans Fallback (``fonts-droid-fallback``), and the usual
   Windows and macOS fonts (Microsoft YaHei, SimHei, SimSun, Arial Unicode).
3. Last resort, always available: reportlab's built-in CID font ``STSong-Light`` (Adobe-GB1, not embedded;
   viewers substitute a local Song/Ming font — poppler, Acrobat and Qt all do).

Some CJK fallback fonts have no Latin digits (Droid Sans Fallback); text is therefore drawn in runs: ASCII
in Helvetica, other characters in the CJK font when it has them. PNGs use Pillow (FreeType reads CFF
outlines too), so for images the Noto CJK SC face is preferred.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont

LATIN = "Helvetica"
CID_FALLBACK = "STSong-Light"
NOTO_CJK_TTC = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
NOTO_SC_INDEX = 2

SYSTEM_CANDIDATES: tuple[tuple[str, int], ...] = (
    (NOTO_CJK_TTC, NOTO_SC_INDEX),
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc", NOTO_SC_INDEX),
    ("/usr/share/fonts/truetype/noto/NotoSansSC-Regular.ttf", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", 0),
    ("C:/Windows/Fonts/msyh.ttc", 0),
    ("C:/Windows/Fonts/simhei.ttf", 0),
    ("C:/Windows/Fonts/simsun.ttc", 0),
    ("/System/Library/Fonts/Supplemental/Arial Unicode.ttf", 0),
    ("/Library/Fonts/Arial Unicode.ttf", 0),
)


def resources_dir() -> Path:
    frozen = getattr(sys, "_MEIPASS", None)
    base = Path(frozen) if frozen else Path(__file__).resolve().parents[2]
    return base / "resources" / "fonts"


def _candidates() -> list[tuple[str, int]]:
    out: list[tuple[str, int]] = []
    env = os.environ.get("POS_CJK_FONT")
    if env:
        path, _, idx = env.partition("#")
        out.append((path, int(idx or 0)))
    d = resources_dir()
    if d.is_dir():
        out += [(str(p), 0) for p in sorted(d.iterdir()) if p.suffix.lower() in (".ttf", ".ttc", ".otf")]
    return out + list(SYSTEM_CANDIDATES)


@dataclass(frozen=True)
class PdfFont:
    name: str  # registered reportlab font name
    path: str | None  # None for the built-in CID font
    embedded: bool
    cmap: frozenset[int]  # code points the font has (empty: the CID font, assumed complete)

    def has(self, ch: str) -> bool:
        return not self.embedded or ord(ch) in self.cmap


@cache
def pdf_font() -> PdfFont:
    """Register (once) and return the CJK font for PDFs."""
    for path, index in _candidates():
        if not Path(path).is_file():
            continue
        try:
            font = TTFont("PosCJK", path, subfontIndex=index)
        except Exception:  # CFF outlines, broken file: try the next one
            continue
        cmap = frozenset(font.face.charToGlyph.keys())
        if ord("中") not in cmap:
            continue
        pdfmetrics.registerFont(font)
        return PdfFont("PosCJK", path, True, cmap)
    pdfmetrics.registerFont(UnicodeCIDFont(CID_FALLBACK))
    return PdfFont(CID_FALLBACK, None, False, frozenset())


def runs(text: str) -> list[tuple[str, str]]:
    """Split ``text`` into (font name, piece) runs: ASCII in Helvetica, the rest in the CJK font."""
    f = pdf_font()
    if not f.embedded:
        return [(f.name, text)] if text else []
    out: list[tuple[str, str]] = []
    for ch in text:
        name = LATIN if ord(ch) < 128 or not f.has(ch) else f.name
        if out and out[-1][0] == name:
            out[-1] = (name, out[-1][1] + ch)
        else:
            out.append((name, ch))
    return out


def string_width(text: str, size: float) -> float:
    return float(sum(pdfmetrics.stringWidth(piece, name, size) for name, piece in runs(text)))


def draw(c: Any, x: float, y: float, text: str, size: float, *, align: str = "left") -> float:
    """Draw ``text`` on reportlab canvas ``c`` (mixed CJK/Latin); returns its width."""
    width = string_width(text, size)
    if align == "center":
        x -= width / 2
    elif align == "right":
        x -= width
    t = c.beginText(x, y)
    for name, piece in runs(text):  # one text object: extractors read the runs as one line
        t.setFont(name, size)
        t.textOut(piece)
    c.drawText(t)
    return width


def fit(text: str, size: float, max_width: float) -> str:
    """Shorten ``text`` with an ellipsis so it fits ``max_width``."""
    if string_width(text, size) <= max_width:
        return text
    while text and string_width(text + "…", size) > max_width:
        text = text[:-1]
    return text + "…"


def wrap(text: str, size: float, max_width: float) -> list[str]:
    """Break ``text`` into lines no wider than ``max_width`` (character by character: CJK has no spaces)."""
    lines: list[str] = []
    line = ""
    for ch in text:
        if string_width(line + ch, size) > max_width and line:
            lines.append(line)
            line = ch.lstrip()
        else:
            line += ch
    if line:
        lines.append(line)
    return lines


@cache
def image_font_path() -> tuple[str, int] | None:
    """A CJK font file for Pillow (FreeType reads CFF too): Noto Sans CJK SC first."""
    for path, index in _candidates():
        if Path(path).is_file():
            return path, index
    return None


@cache
def image_font(size: int) -> Any:
    from PIL import ImageFont  # noqa: PLC0415

    found = image_font_path()
    if found is not None:
        try:
            return ImageFont.truetype(found[0], size, index=found[1])
        except OSError:
            pass
    return ImageFont.load_default(size)
