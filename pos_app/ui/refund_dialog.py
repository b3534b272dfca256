"""The refund confirmation (History F5, Ctrl+R): what the refund pays back line by line (the unspent
principal, each perk the member already used or kept, the net refund), how it is paid back (the
recharge's original method or cash), then, once done, the refund slip to print or save as PDF.

Keyboard: 1 / 2 choose the method, Enter confirms, Esc cancels; after the refund Ctrl+P prints the slip,
Ctrl+S saves it as PDF, Enter closes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut, QTextDocument
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from pos_app.domain.textparams import Money
from pos_app.ui import filedialogs
from pos_app.ui.appctx import AppContext
from pos_app.ui.common import CJK_FAMILIES, ErrorLabel, big_button, money, tr
from pos_app.ui.models import fmt_dt

METHODS = ("original", "cash")


def save_file_path(parent: QWidget, title: str, name: str, filters: str) -> str | None:
    """Where to save: the app's own chooser, which never lists or opens the store's database files."""
    return filedialogs.save_file(parent, title, name, filters)


class RefundConfirmDialog(QDialog):
    """Shows a RefundPreview; ``on_confirm(method)`` starts the refund (the caller asks for the manager and
    runs the service); :meth:`show_done` / :meth:`show_failed` report back."""

    def __init__(self, appctx: AppContext, preview: Any, on_confirm: Callable[[str], None],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("refund_confirm")
        self.appctx = appctx
        self.preview = preview
        self.on_confirm = on_confirm
        self.result: Any = None
        self.busy = False
        self.printer: Any = None  # kept alive while the print dialog uses it
        self.setWindowTitle(tr("refund.confirm_title"))
        self.setMinimumWidth(640)  # three big buttons once done (print, PDF, done) fit without clipping
        lay = QVBoxLayout(self)
        head = QLabel(tr("refund.confirm_head", phone=preview.phone, no=preview.receipt_no or preview.recharge_id[-12:],
                         time=fmt_dt(preview.created_at)))
        head.setObjectName("title")
        head.setWordWrap(True)
        lay.addWidget(head)
        grid = QGridLayout()
        rows: list[tuple[str, str, str]] = [
            ("paid", tr("refund.row.paid"), money(preview.principal_paid_fen)),
            ("refundable", tr("refund.row.refundable"), money(preview.principal_refundable_fen)),
        ]
        for i, d in enumerate(preview.deductions):
            rows.append((f"deduction_{i}", tr("refund.row.deduction", kind=tr(f"refund.perk.{d.kind}"), name=d.name),
                         "-" + money(d.value_fen)))
        if preview.deductions:
            rows.append(("deductions", tr("refund.row.deductions"), "-" + money(preview.deductions_fen)))
        rows += [
            ("net", tr("refund.row.net"), money(preview.net_refund_fen)),
            ("bonus", tr("refund.row.bonus"), money(preview.bonus_revoke_fen)),
            ("points", tr("refund.row.points"), str(preview.points_revoke)),
        ]
        self.values: dict[str, QLabel] = {}
        for r, (key, label, value) in enumerate(rows):
            lab = QLabel(label)
            lab.setWordWrap(True)
            val = QLabel(value)
            val.setObjectName(f"refund_{key}")
            val.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            if key == "net":
                lab.setObjectName("big_label")
                val.setStyleSheet("font-size: 20pt; font-weight: bold")
            grid.addWidget(lab, r, 0)
            grid.addWidget(val, r, 1)
            self.values[key] = val
        grid.setColumnStretch(0, 1)
        lay.addLayout(grid)
        if not preview.deduct_used_perks:
            note = QLabel(tr("refund.no_deduction_rule"))
            note.setWordWrap(True)
            lay.addWidget(note)
        elif not preview.deductions:
            note = QLabel(tr("refund.nothing_used"))
            note.setWordWrap(True)
            lay.addWidget(note)
        lay.addWidget(QLabel(tr("refund.method_label")))
        self.method_group = QButtonGroup(self)
        self.method_buttons: dict[str, QRadioButton] = {}
        mrow = QHBoxLayout()
        pay = tr(f"pay.{preview.original_pay_method}")
        for i, method in enumerate(METHODS):
            b = QRadioButton(tr(f"refund.method.{method}", pay=pay) + f" ({i + 1})")
            b.setObjectName(f"method_{method}")
            self.method_group.addButton(b, i)
            self.method_buttons[method] = b
            mrow.addWidget(b)
            QShortcut(QKeySequence(str(i + 1)), self, activated=lambda b=b: b.isEnabled() and b.setChecked(True))
        self.method_buttons["original"].setChecked(True)
        lay.addLayout(mrow)
        self.status = QLabel("")
        self.status.setObjectName("refund_status")
        self.status.setWordWrap(True)
        self.status.hide()
        lay.addWidget(self.status)
        self.error = ErrorLabel()
        lay.addWidget(self.error)
        row = QHBoxLayout()
        self.confirm_btn = big_button(tr("refund.confirm"))
        self.confirm_btn.setObjectName("primary")
        self.confirm_btn.setDefault(True)
        self.confirm_btn.clicked.connect(self.confirm)
        self.cancel_btn = big_button(tr("refund.cancel"))
        self.cancel_btn.clicked.connect(self.reject)
        self.print_btn = big_button(tr("refund.print_slip"))
        self.print_btn.clicked.connect(self.print_slip)
        self.save_btn = big_button(tr("refund.save_slip"))
        self.save_btn.clicked.connect(self.ask_save_slip)
        self.close_btn = big_button(tr("refund.close"))
        self.close_btn.clicked.connect(self.accept)
        for b in (self.confirm_btn, self.cancel_btn, self.print_btn, self.save_btn, self.close_btn):
            row.addWidget(b)
        for b in (self.print_btn, self.save_btn, self.close_btn):
            b.hide()
        lay.addLayout(row)
        QShortcut(QKeySequence("Ctrl+P"), self, activated=self.print_slip)
        QShortcut(QKeySequence("Ctrl+S"), self, activated=self.ask_save_slip)
        self.confirm_btn.setFocus()

    # ------------------------------------------------------------------ confirm
    def method(self) -> str:
        return next(m for m, b in self.method_buttons.items() if b.isChecked())

    def confirm(self) -> None:
        if self.busy or self.result is not None:
            return
        self.busy = True
        self.error.show_error(None)
        self.confirm_btn.setEnabled(False)
        for b in self.method_buttons.values():
            b.setEnabled(False)
        self.status.setText(tr("refund.in_progress"))
        self.status.show()
        self.on_confirm(self.method())

    def show_failed(self, exc: BaseException | str | None) -> None:
        """The refund did not happen (manager cancelled, or the service refused): the dialog stays open."""
        self.busy = False
        self.status.hide()
        self.confirm_btn.setEnabled(True)
        for b in self.method_buttons.values():
            b.setEnabled(True)
        self.error.show_error(exc)

    def show_done(self, result: Any) -> None:
        """The refund is written: say what was paid back and how; offer the slip."""
        self.busy = False
        self.result = result
        method = tr(f"refund.method.{result.method}", pay=tr(f"pay.{result.pay_method}"))
        self.status.setText(tr("refund.done_text", amount=Money(result.principal_refund_fen), method=method))
        self.status.show()
        self.values["net"].setText(money(result.principal_refund_fen))
        self.confirm_btn.hide()
        self.cancel_btn.hide()
        for b in (self.print_btn, self.save_btn, self.close_btn):
            b.show()
        self.close_btn.setDefault(True)
        self.close_btn.setFocus()

    # ------------------------------------------------------------------ the slip
    def save_slip(self, path: str, done: Callable[[Any], None] | None = None) -> None:
        """Write the refund slip PDF (on the database worker: it reads the store's time zone)."""
        if self.result is None:
            return
        from pos_app.printing import pdf  # noqa: PLC0415
        from pos_app.services.counter import store_brief  # noqa: PLC0415

        ctx, res, store = self.appctx.ctx, self.result, self.appctx.store_name

        def work() -> str:
            pdf.refund_slip(res, store, path, tz=store_brief(ctx).timezone)
            return path

        def saved(p: Any) -> None:
            self.status.setText(tr("refund.slip_saved", path=p))
            if done is not None:
                done(p)

        self.appctx.run(work, saved, self.error.show_error, key="refund_slip")

    def ask_save_slip(self) -> None:
        if self.result is None:
            return
        name = f"refund-{self.result.receipt_no or self.result.refund_id[-12:]}.pdf"
        path = save_file_path(self, tr("refund.save_slip"), name, "PDF (*.pdf)")
        if path:
            self.save_slip(path)

    def slip_html(self) -> str:
        """The slip for Qt's printer (an 80 mm roll): the same lines as the PDF."""
        if self.result is None:
            return ""
        from pos_app.printing import pdf, qtprint  # noqa: PLC0415

        return qtprint.blocks_html(pdf.refund_blocks(self.result, self.appctx.store_name), families=CJK_FAMILIES)

    def print_slip(self) -> None:
        """Ctrl+P: the system print dialog, then the slip on an 80 mm roll."""
        if self.result is None:
            return
        from PySide6.QtPrintSupport import QPrintDialog, QPrinter  # noqa: PLC0415

        from pos_app.printing import qtprint  # noqa: PLC0415

        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setPageLayout(qtprint.roll_page(80, 160, 3))
        self.printer = printer
        dlg = QPrintDialog(printer, self)
        self.print_dialog = dlg
        if dlg.exec() == QDialog.DialogCode.Accepted:
            doc = QTextDocument()
            doc.setHtml(self.slip_html())
            doc.print_(printer)
