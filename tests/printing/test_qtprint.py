"""Printing through Qt's printer (pos_app/printing/qtprint.py): the slip's lines as HTML carry the same text
as the PDF, an HTML document becomes a PDF with that text, coupons are painted a page at a time."""

from __future__ import annotations

import pytest
from pypdf import PdfReader

pytest.importorskip("PySide6.QtPrintSupport")

from PySide6.QtGui import QPageSize, QPainter  # noqa: E402
from PySide6.QtPrintSupport import QPrinter  # noqa: E402

from pos_app.printing import pdf, qtprint  # noqa: E402


def test_slip_lines_become_table_rows_pairs_in_two_cells_rules_as_lines():
    blocks = [pdf.Line("店", align="center"), pdf.Line("本金\t¥10.00", align="pair"), pdf.Rule(), pdf.Qr("x")]
    text = qtprint.blocks_html(blocks, families=["WenQuanYi Zen Hei"], size_pt=9)
    assert "<td colspan='2' align='center'>店</td>" in text
    assert "<td>本金</td><td align='right'>¥10.00</td>" in text
    assert text.count("<hr/>") == 1  # the rule; a QR code has no place on a Qt slip
    assert "'WenQuanYi Zen Hei'" in text and "font-size: 9pt" in text


def test_html_document_is_written_as_a_pdf_of_the_page_asked(qapp, tmp_path):
    out = tmp_path / "sheet.pdf"
    qtprint.html_pdf("<html><body><h2>Count sheet</h2><p>GIFT-1 12</p></body></html>", str(out),
                     qtprint.sheet_page(QPageSize.PageSizeId.A5, 10))
    reader = PdfReader(out)
    assert len(reader.pages) == 1
    w_mm = float(reader.pages[0].mediabox.width) * 25.4 / 72
    assert abs(w_mm - 148) < 1  # A5
    text = " ".join(reader.pages[0].extract_text().split())
    assert "Count sheet" in text and "GIFT-1 12" in text


@pytest.mark.parametrize("layout,cols,per_page", [("a4", 2, 10), ("58mm", 1, 1), ("80mm", 1, 1)])
def test_coupon_layouts_set_the_page_and_how_many_a_page(qapp, layout, cols, per_page):
    printer = QPrinter(QPrinter.PrinterMode.ScreenResolution)
    qtprint.set_coupon_page(printer, layout)
    assert qtprint.coupons_per_page(layout) == (cols, per_page)
    width = printer.pageLayout().pageSize().size(QPageSize.Unit.Millimeter).width()
    assert abs(width - {"a4": 210, "58mm": 58, "80mm": 80}[layout]) < 0.5


def test_coupons_are_painted_ten_a_page_and_a_cancel_stops_the_rest(qapp, store, tmp_path):
    from pos_app.services import coupons

    rows = coupons.issue_coupons(store.ctx, store.manager, template_code=_template(store), phone=None, count=12,
                                 reason="test", request_id=None)
    printer = QPrinter(QPrinter.PrinterMode.ScreenResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(tmp_path / "c.pdf"))
    qtprint.set_coupon_page(printer, "a4")
    seen: list[tuple[int, int]] = []
    painter = QPainter(printer)
    try:
        n = qtprint.paint_coupons(painter, printer, rows, "测试门店", cols=2, per_page=10,
                                  progress=lambda d, t: seen.append((d, t)))
    finally:
        painter.end()
    assert n == 12 and seen == [(10, 12), (12, 12)]
    assert len(PdfReader(tmp_path / "c.pdf").pages) == 2

    printer2 = QPrinter(QPrinter.PrinterMode.ScreenResolution)
    printer2.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer2.setOutputFileName(str(tmp_path / "d.pdf"))
    painter = QPainter(printer2)
    try:
        drawn = qtprint.paint_coupons(painter, printer2, rows, "测试门店", cancelled=lambda: len(seen) >= 2)
    finally:
        painter.end()
    assert drawn == 0


def _template(store) -> str:
    from pos_app.domain import coupons as rules
    from pos_app.services import coupons

    coupons.add_template(store.ctx, store.manager, rules.Template(code="T10", name="十元券", kind=rules.AMOUNT_OFF,
                                                                  value_fen=1000, valid_days=30, bearer=True))
    return "T10"
