"""The recharge receipt: an HTML document shown after success, printable through Qt's print dialog
(with a print preview) and savable as PDF; and the list of gifts to hand over now."""

from __future__ import annotations

import html
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
from pos_app.ui import filedialogs
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
        from pos_app.ui.models import store_timezone  # noqa: PLC0415

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
