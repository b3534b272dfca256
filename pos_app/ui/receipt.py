"""The recharge receipt: an HTML document shown after success, printable through Qt's print dialog
(with a print preview) and savable as PDF; and the list of gifts to hand over now."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut, QTextDocument
from PySide6.QtWidgets import (
    QDialog,
    QGridLayout,
    QLabel,
    QListWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from pos_app.domain.errors import DomainError
from pos_app.printing.receipt_html import receipt_html, receipt_no
from pos_app.ui import filedialogs
from pos_app.ui.appctx import AppContext
from pos_app.ui.common import CJK_FAMILIES, ErrorLabel, big_button, tr
from pos_app.ui.models import fmt_date, store_timezone


def gifts_to_hand_over(result: Any) -> list[Any]:
    return [i for i in result.items if i.kind == "gift" and i.state == "owed"]


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
        #: the receipt as HTML (printing.receipt_html): store time, the UI's CJK fonts
        self.html = receipt_html(result, appctx.store_name, staff, tier_name, tz=store_timezone(), families=CJK_FAMILIES)
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
        #: where the last PDF went ("已保存到 …"), shown after a save
        self.saved = QLabel()
        self.saved.setObjectName("result")
        self.saved.setWordWrap(True)
        self.saved.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.saved.hide()
        lay.addWidget(self.saved)
        self.keys_hint = QLabel(tr("receipt.keys_hint"))
        self.keys_hint.setObjectName("hint")
        self.keys_hint.setWordWrap(True)
        lay.addWidget(self.keys_hint)
        row = QGridLayout()
        self.preview_btn = big_button(tr("receipt.preview"))
        self.preview_btn.clicked.connect(self.print_preview)
        self.print_btn = big_button(tr("receipt.print"))
        self.print_btn.clicked.connect(self.print_direct)
        self.pdf_btn = big_button(tr("receipt.save_pdf"))
        self.pdf_btn.clicked.connect(self.ask_save_pdf)
        self.close_btn = big_button(tr("receipt.close"))
        self.close_btn.setObjectName("primary")
        self.close_btn.clicked.connect(self.accept)
        self.close_btn.setDefault(True)
        for i, b in enumerate((self.preview_btn, self.print_btn, self.pdf_btn, self.close_btn)):
            row.addWidget(b, i // 2, i % 2)
        lay.addLayout(row)
        self.preview_dialog: Any = None  # the last QPrintPreviewDialog (it keeps its printer)
        self.print_dialog: Any = None  # the last QPrintDialog
        #: times a preview painted the receipt (the preview paints when it opens and on every change)
        self.preview_paints = 0
        self.view.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # Tab reaches it; arrows then scroll
        sb = self.view.verticalScrollBar()
        for keys, fn in (
            ("Ctrl+P", self.print_direct), ("Ctrl+Shift+P", self.print_preview), ("Ctrl+S", self.ask_save_pdf),
            ("PgDown", lambda: sb.setValue(sb.value() + sb.pageStep())),
            ("PgUp", lambda: sb.setValue(sb.value() - sb.pageStep())),
            ("Ctrl+End", lambda: sb.setValue(sb.maximum())), ("Ctrl+Home", lambda: sb.setValue(sb.minimum())),
        ):
            QShortcut(QKeySequence(keys), self, activated=fn)
        if self.gifts:
            QShortcut(QKeySequence("Ctrl+G"), self, activated=self.open_handout)
        self.close_btn.setFocus()

    def document(self) -> QTextDocument:
        doc = QTextDocument()
        doc.setHtml(self.html)
        return doc

    def save_pdf(self, path: str) -> None:
        """The receipt as the printing module draws it: one page on an 80 mm roll, words never broken."""
        from pos_app.printing import pdf  # noqa: PLC0415

        filedialogs.check_output(path)
        filedialogs.writing(path, lambda: pdf.recharge_receipt(
            self.result, self.appctx.store_name, path, layout="80mm", tier_name=self.tier_name, tz=store_timezone()))

    def ask_save_pdf(self) -> None:
        path = filedialogs.save_file(self, tr("receipt.save_pdf_title"), f"receipt-{receipt_no(self.result)}.pdf",
                                     "PDF (*.pdf)")
        if path:
            self.save_to(path)

    def save_to(self, path: str) -> bool:
        """Save the PDF at ``path``; say where it went, or why it could not be written."""
        self.saved.hide()
        try:
            self.save_pdf(path)
        except DomainError as exc:
            self.error.show_error(exc)
            return False
        self.error.show_error(None)
        self.saved.setText(tr("receipt.saved", path=path))
        self.saved.show()
        return True

    def _paint_preview(self, printer: Any) -> None:
        self.document().print_(printer)
        self.preview_paints += 1

    def print_preview(self) -> None:
        """Print preview (modal over the receipt); its print button sends the receipt to the printer. The
        dialog keeps its printer, so it can repaint at any time, also after this returns."""
        printer = filedialogs.new_printer()
        preview = filedialogs.preview_dialog(printer, self)
        preview.paintRequested.connect(self._paint_preview)
        self.preview_dialog = preview
        preview.exec()

    def print_direct(self) -> None:
        """Ctrl+P: the system print dialog (QPrintDialog), then print."""
        printer = filedialogs.new_printer()
        dlg = filedialogs.print_dialog(printer, self)
        self.print_dialog = dlg
        if dlg.exec() == QDialog.DialogCode.Accepted:
            if not printer.isValid():
                self.error.show_error(tr("print.failed"))
                return
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
