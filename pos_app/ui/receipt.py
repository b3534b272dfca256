"""The recharge receipt: an HTML document shown after success, printable through Qt's print dialog
(with a print preview) and savable as PDF; and the list of gifts to hand over now."""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtCore import QMarginsF, Qt
from PySide6.QtGui import QKeySequence, QPageLayout, QPageSize, QShortcut, QTextDocument
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from pos_app.ui.appctx import AppContext
from pos_app.ui.common import CJK_FAMILIES, ErrorLabel, big_button, money, tr
from pos_app.ui.models import fmt_date, fmt_dt


def _esc(v: Any) -> str:
    return html.escape(str(v))


def receipt_no(result: Any) -> str:
    """The short receipt number (T001-20261202-0007); the internal id only for a result without one."""
    return str(getattr(result, "receipt_no", "") or result.recharge_id)


def gifts_to_hand_over(result: Any) -> list[Any]:
    return [i for i in result.items if i.kind == "gift" and i.state == "owed"]


def receipt_html(result: Any, store_name: str = "", staff_name: str = "", tier_name: str | None = None) -> str:
    """The receipt for a RechargeResult as simple HTML (QTextDocument's subset)."""
    font = ", ".join(f"'{f}'" for f in CJK_FAMILIES)
    rows = [
        (tr("receipt.time"), fmt_dt(result.created_at)),
        (tr("receipt.member"), result.phone),
        (tr("receipt.tier"), tier_name or result.tier_code or tr("recharge.custom")),
        (tr("receipt.pay_method"), tr(f"pay.{result.pay_method}")),
        (tr("receipt.paid"), money(result.principal_fen)),
        (tr("receipt.bonus"), money(result.bonus_fen)),
        (tr("receipt.points"), f"+{result.points}"),
        (tr("receipt.principal_after"), money(result.principal_balance_fen)),
        (tr("receipt.bonus_after"), money(result.bonus_balance_fen)),
        (tr("receipt.balance_after"), money(result.balance_fen)),
        (tr("receipt.points_after"), str(result.points_balance)),
        (tr("receipt.staff"), staff_name or result.staff_code),
    ]
    body = "".join(
        f"<tr><td style='padding:2px 12px 2px 0;color:#555'>{_esc(k)}</td><td align='right'><b>{_esc(v)}</b></td></tr>"
        for k, v in rows
    )
    items = ""
    if result.items:
        lis = "".join(
            (f"<li>{_esc(tr('receipt.member_price', date=i.issued_ref or ''))}</li>" if i.kind == "member_price" else
             f"<li>{_esc(tr('item.kind.' + i.kind))}：{_esc(i.name)}"
            + (f"（{_esc(money(i.value_fen))}）" if i.value_fen else "")
            + f" — {_esc(tr('item.state.' + i.state))}"
            + (f"，{_esc(tr('receipt.due', date=fmt_date(i.due_on)))}" if i.due_on and i.state == "owed" else "")
            + "</li>")
            for i in result.items
        )
        items = f"<h3>{_esc(tr('receipt.items'))}</h3><ul>{lis}</ul>"
    return (
        f"<html><body style=\"font-family: {font}; font-size: 11pt\">"
        f"<h2 align='center'>{_esc(store_name)}</h2>"
        f"<h3 align='center'>{_esc(tr('receipt.title'))}</h3>"
        f"<table width='100%'>{body}</table>{items}"
        f"<p style='color:#555;font-size:9pt'>{_esc(tr('receipt.no'))} {_esc(receipt_no(result))}</p>"
        f"<p align='center'>{_esc(tr('receipt.thanks'))}</p></body></html>"
    )


def save_pdf(doc: QTextDocument, path: str) -> None:
    from PySide6.QtPrintSupport import QPrinter  # noqa: PLC0415

    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(path)
    printer.setPageLayout(QPageLayout(QPageSize(QPageSize.PageSizeId.A5), QPageLayout.Orientation.Portrait,
                                      QMarginsF(10, 10, 10, 10), QPageLayout.Unit.Millimeter))
    doc.print_(printer)


class ReceiptDialog(QDialog):
    def __init__(self, appctx: AppContext, result: Any, parent: QWidget | None = None, *, tier_name: str | None = None) -> None:
        super().__init__(parent)
        self.appctx = appctx
        self.result = result
        self.tier_name = tier_name
        self.setWindowTitle(tr("receipt.title"))
        self.resize(560, 680)
        lay = QVBoxLayout(self)
        staff = appctx.actor.name if appctx.has_actor else ""
        self.html = receipt_html(result, appctx.store_name, staff, tier_name)
        self.view = QTextBrowser()
        self.view.setObjectName("receipt")
        self.view.setHtml(self.html)
        lay.addWidget(self.view, 1)
        self.gifts = gifts_to_hand_over(result)
        self.gift_list = QListWidget()
        self.gift_list.setObjectName("gifts_now")
        self.handout_btn = big_button(tr("receipt.handout"))
        self.handout_btn.clicked.connect(self.open_handout)
        if self.gifts:
            title = QLabel(tr("receipt.gifts_now", n=len(self.gifts)))
            title.setObjectName("warn")
            lay.addWidget(title)
            for g in self.gifts:
                self.gift_list.addItem(f"• {g.name}" + (f"  ({tr('receipt.due', date=fmt_date(g.due_on))})" if g.due_on else ""))
            self.gift_list.setMaximumHeight(110)
            lay.addWidget(self.gift_list)
            lay.addWidget(self.handout_btn)
        else:
            self.gift_list.hide()
            self.handout_btn.hide()
        self.error = ErrorLabel()
        lay.addWidget(self.error)
        row = QHBoxLayout()
        self.print_btn = big_button(tr("receipt.print"))
        self.print_btn.clicked.connect(self.print_preview)
        self.pdf_btn = big_button(tr("receipt.save_pdf"))
        self.pdf_btn.clicked.connect(self.ask_save_pdf)
        self.close_btn = big_button(tr("receipt.close"))
        self.close_btn.setObjectName("primary")
        self.close_btn.clicked.connect(self.accept)
        self.close_btn.setDefault(True)
        for b in (self.print_btn, self.pdf_btn, self.close_btn):
            row.addWidget(b)
        lay.addLayout(row)
        QShortcut(QKeySequence("Ctrl+P"), self, activated=self.print_direct)
        QShortcut(QKeySequence("Ctrl+S"), self, activated=self.ask_save_pdf)
        self.close_btn.setFocus()

    def document(self) -> QTextDocument:
        doc = QTextDocument()
        doc.setHtml(self.html)
        return doc

    def save_pdf(self, path: str) -> None:
        """The receipt as the printing module draws it: one page on an 80 mm roll, words never broken."""
        from pos_app.printing import pdf  # noqa: PLC0415
        from pos_app.ui.models import store_timezone  # noqa: PLC0415

        pdf.recharge_receipt(self.result, self.appctx.store_name, path, layout="80mm", tier_name=self.tier_name,
                             tz=store_timezone())

    def ask_save_pdf(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, tr("receipt.save_pdf"), f"receipt-{receipt_no(self.result)}.pdf", "PDF (*.pdf)")
        if path:
            self.save_pdf(path)

    def print_preview(self) -> None:
        """Print preview; its print button sends the receipt to the printer."""
        from PySide6.QtPrintSupport import QPrinter, QPrintPreviewDialog  # noqa: PLC0415

        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        doc = self.document()
        preview = QPrintPreviewDialog(printer, self)
        preview.paintRequested.connect(doc.print_)
        self._preview = preview
        preview.exec()

    def print_direct(self) -> None:
        """Ctrl+P: the system print dialog (QPrintDialog), then print."""
        from PySide6.QtPrintSupport import QPrintDialog, QPrinter  # noqa: PLC0415

        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        dlg = QPrintDialog(printer, self)
        self._print_dialog = dlg
        if dlg.exec() == QDialog.DialogCode.Accepted:
            self.document().print_(printer)

    def open_handout(self) -> None:
        try:
            from pos_app.ui.gifts_view import GiftHandoutDialog  # noqa: PLC0415
        except ImportError:
            self.error.show_error(tr("receipt.no_gift_module"))
            return
        dlg = GiftHandoutDialog(self.appctx, self.result.member_id, self)
        self._handout = dlg
        dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, False)
        dlg.open()
