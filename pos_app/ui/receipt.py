"""The recharge receipt: an HTML document shown after success, printable through Qt's print dialog
(with a print preview) and savable as PDF; and the list of gifts to hand over now."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QLabel,
    QListWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from pos_app.printing.receipt_html import receipt_html, receipt_no
from pos_app.ui.appctx import AppContext
from pos_app.ui.common import CJK_FAMILIES, big_button, tr
from pos_app.ui.models import fmt_date, store_timezone
from pos_app.ui.printable import PrintableDialog


def gifts_to_hand_over(result: Any) -> list[Any]:
    return [i for i in result.items if i.kind == "gift" and i.state == "owed"]


class ReceiptDialog(PrintableDialog):
    def __init__(self, appctx: AppContext, result: Any, parent: QWidget | None = None, *, tier_name: str | None = None) -> None:
        super().__init__(parent, pdf_name=lambda: f"receipt-{receipt_no(result)}.pdf", write_pdf=self._receipt_pdf)
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
        self.add_messages(lay)
        self.keys_hint = QLabel(tr("receipt.keys_hint"))
        self.keys_hint.setObjectName("hint")
        self.keys_hint.setWordWrap(True)
        lay.addWidget(self.keys_hint)
        self.add_buttons(lay)
        self.view.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # Tab reaches it; arrows then scroll
        sb = self.view.verticalScrollBar()
        for keys, fn in (
            ("PgDown", lambda: sb.setValue(sb.value() + sb.pageStep())),
            ("PgUp", lambda: sb.setValue(sb.value() - sb.pageStep())),
            ("Ctrl+End", lambda: sb.setValue(sb.maximum())), ("Ctrl+Home", lambda: sb.setValue(sb.minimum())),
        ):
            QShortcut(QKeySequence(keys), self, activated=fn)
        if self.gifts:
            QShortcut(QKeySequence("Ctrl+G"), self, activated=self.open_handout)
        self.close_btn.setFocus()

    def _receipt_pdf(self, path: str) -> None:
        """The receipt as the printing module draws it: one page on an 80 mm roll, words never broken."""
        from pos_app.printing import pdf  # noqa: PLC0415

        pdf.recharge_receipt(self.result, self.appctx.store_name, path, layout="80mm", tier_name=self.tier_name,
                             tz=store_timezone())

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
