"""Printing through Qt's printer (paper, print preview, or Qt's PDF writer): page set-up, coupons painted on a
``QPrinter``, documents written as PDF, the printing module's slip lines as HTML for Qt's text document.

Qt GUI and print support only, no widgets: the dialogs that choose a printer or preview a page live in ui/.
Everything here may run off the GUI thread (a ``QPainter`` on a ``QPrinter``, a ``QTextDocument`` printed)."""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QMarginsF, QRectF, QSizeF
from PySide6.QtGui import QImage, QPageLayout, QPageSize, QPainter, QTextDocument
from PySide6.QtPrintSupport import QPrinter

from pos_app.printing import pdf, raster

#: A4 sheets hold 2 columns of 5 coupons; a slip layout holds one coupon a page
A4_COLS, A4_PER_PAGE = 2, 10


def qimage(img: Any) -> QImage:
    """A Pillow image (RGB or RGBA) as a QImage that owns its pixels."""
    if img.mode == "RGBA":
        return QImage(img.tobytes("raw", "RGBA"), img.width, img.height, QImage.Format.Format_RGBA8888).copy()
    rgb = img if img.mode == "RGB" else img.convert("RGB")
    return QImage(rgb.tobytes("raw", "RGB"), rgb.width, rgb.height, rgb.width * 3, QImage.Format.Format_RGB888).copy()


def roll_page(width_mm: float, height_mm: float, margin_mm: float) -> QPageLayout:
    """A page of a receipt roll (58 or 80 mm wide)."""
    return QPageLayout(QPageSize(QSizeF(width_mm, height_mm), QPageSize.Unit.Millimeter, f"{width_mm:g}mm"),
                       QPageLayout.Orientation.Portrait, QMarginsF(margin_mm, margin_mm, margin_mm, margin_mm),
                       QPageLayout.Unit.Millimeter)


def sheet_page(size: QPageSize.PageSizeId, margin_mm: float) -> QPageLayout:
    """A portrait sheet (A4, A5) with even margins."""
    return QPageLayout(QPageSize(size), QPageLayout.Orientation.Portrait,
                       QMarginsF(margin_mm, margin_mm, margin_mm, margin_mm), QPageLayout.Unit.Millimeter)


def set_coupon_page(printer: QPrinter, layout: str) -> None:
    """Page size and margins for a coupon layout (``a4``, ``58mm``, ``80mm``: printing.pdf.LAYOUTS)."""
    if layout in pdf.SLIP_WIDTH_MM:
        w = pdf.SLIP_WIDTH_MM[layout]
        printer.setPageSize(QPageSize(QSizeF(w, 120), QPageSize.Unit.Millimeter, f"{w}mm"))
        printer.setPageMargins(QMarginsF(2, 2, 2, 2), QPageLayout.Unit.Millimeter)
    else:
        printer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
        printer.setPageMargins(QMarginsF(10, 10, 10, 10), QPageLayout.Unit.Millimeter)


def coupons_per_page(layout: str) -> tuple[int, int]:
    """(columns, coupons a page) for a coupon layout."""
    return (1, 1) if layout in pdf.SLIP_WIDTH_MM else (A4_COLS, A4_PER_PAGE)


def paint_coupons(
    painter: QPainter, printer: QPrinter, rows: Sequence[Any], store: str, *, cols: int = 2, per_page: int = 10,
    progress: Callable[[int, int], None] | None = None, cancelled: Callable[[], bool] | None = None,
) -> int:
    """Draw coupons on ``printer`` (paper or PDF), ``per_page`` a page with cut marks: each coupon is drawn
    by Pillow (printing/raster.py) and placed with one ``drawImage``. Safe off the GUI thread (QPainter on
    a QPrinter). Returns the coupons drawn."""
    page = printer.pageLayout().paintRectPixels(printer.resolution())
    rows_per_page = max(1, per_page // cols)
    cw, ch = page.width() / cols, page.height() / rows_per_page
    scale = min(1.0, 200 / max(1, printer.resolution()))  # images at 200 dpi at most, scaled by Qt
    iw, ih = max(1, int(cw * scale)), max(1, int(ch * scale))
    done = 0
    for i, c in enumerate(rows):
        if cancelled is not None and cancelled():
            break
        slot = i % per_page
        if slot == 0 and i:
            printer.newPage()
        col, row = slot % cols, slot // cols
        img = raster.coupon_image(c, store, iw, ih)
        qimg = QImage(img.tobytes("raw", "RGB"), img.width, img.height, img.width * 3, QImage.Format.Format_RGB888)
        painter.drawImage(QRectF(col * cw, row * ch, cw, ch), qimg)
        done += 1
        if progress is not None and (done % 10 == 0 or done == len(rows)):
            progress(done, len(rows))
    return done


def html_pdf(text: str, path: str, page: QPageLayout) -> None:
    """An HTML document (QTextDocument's subset) written as a PDF by Qt's PDF writer (CJK through the
    system fonts). The caller checks the path before and the file after."""
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(path)
    printer.setPageLayout(page)
    doc = QTextDocument()
    doc.setHtml(text)
    doc.print_(printer)


def blocks_html(blocks: Sequence[pdf.Block], *, families: Sequence[str], size_pt: int = 8) -> str:
    """The lines of a slip (printing.pdf blocks: lines and rules) as HTML for Qt's printer: the same text the
    PDF prints. A QR block has no place on a Qt slip and is left out."""
    font = ", ".join(f"'{f}'" for f in families)
    out = []
    for b in blocks:
        if isinstance(b, pdf.Line):
            label, _, value = b.text.partition("\t")
            align = "center" if b.align == "center" else "right" if b.align == "right" else "left"
            if b.align == "pair":
                out.append(f"<tr><td>{html.escape(label)}</td><td align='right'>{html.escape(value)}</td></tr>")
            else:
                out.append(f"<tr><td colspan='2' align='{align}'>{html.escape(b.text)}</td></tr>")
        elif isinstance(b, pdf.Rule):
            out.append("<tr><td colspan='2'><hr/></td></tr>")
    return (f"<html><body style=\"font-family: {font}; font-size: {size_pt}pt\"><table width='100%'>"
            + "".join(out) + "</table></body></html>")
