"""The dialogs of a sale: its receipt (shown as it prints; print preview, print, save as PDF on an 80 mm or
58 mm roll or A4) and its return (the whole sale or chosen lines; a cashier asks a manager's PIN; then the
refunds by method, the points taken back and the policy note). Opened from checkout (F12) and from the member
history's purchases (F5).

Keyboard: receipt: Ctrl+Shift+P preview, Ctrl+P print, Ctrl+S PDF, 1/2/3 the paper, Enter/Esc close.
Return: ↑/↓ a line, + / - its quantity to return, A everything, Enter confirms, Esc cancels."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QRadioButton,
    QTableWidget,
    QTableWidgetItem,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from pos_app.domain.money import format_fen
from pos_app.domain.textparams import Money
from pos_app.printing import sale_receipt
from pos_app.ui.appctx import AppContext
from pos_app.ui.common import CJK_FAMILIES, ErrorLabel, big_button, tr
from pos_app.ui.models import Column, DtoTableModel, fmt_dt, store_timezone
from pos_app.ui.printable import PrintableDialog

LAYOUTS = ("80mm", "58mm", "a4")


class SaleReceiptDialog(PrintableDialog):
    def __init__(self, appctx: AppContext, sale: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent, pdf_name=lambda: f"sale-{sale.receipt_no}.pdf", write_pdf=self._sale_pdf)
        self.setObjectName("sale_receipt")
        self.appctx = appctx
        self.sale = sale
        self.layout_name = "80mm"
        self.setWindowTitle(tr("co.rcpt.title"))
        self.resize(520, 680)
        lay = QVBoxLayout(self)
        prow = QHBoxLayout()
        prow.addWidget(QLabel(tr("co.rcpt.paper")))
        self.layout_group = QButtonGroup(self)
        self.layout_buttons: dict[str, QRadioButton] = {}
        for i, name in enumerate(LAYOUTS):
            b = QRadioButton(tr({"80mm": "co.rcpt.paper_80", "58mm": "co.rcpt.paper_58", "a4": "co.rcpt.paper_a4"}[name])
                             + f" ({i + 1})")
            b.setObjectName(f"paper_{name}")
            b.toggled.connect(lambda on, name=name: self._paper_toggled(on, name))
            self.layout_group.addButton(b, i)
            self.layout_buttons[name] = b
            prow.addWidget(b)
            QShortcut(QKeySequence(str(i + 1)), self, activated=lambda b=b: b.setChecked(True))
        prow.addStretch(1)
        lay.addLayout(prow)
        self.view = QTextBrowser()
        self.view.setObjectName("receipt")
        lay.addWidget(self.view, 1)
        self.add_messages(lay)
        self.add_buttons(lay)
        self.layout_buttons["80mm"].setChecked(True)
        self.set_layout("80mm")
        self.close_btn.setFocus()

    # ------------------------------------------------------------------ content
    def _paper_toggled(self, on: bool, name: str) -> None:
        if on:
            self.set_layout(name)

    def set_layout(self, name: str) -> None:
        self.layout_name = name
        self.html = self.receipt_html()
        self.view.setHtml(self.html)

    def receipt_html(self) -> str:
        width = {"80mm": 80, "58mm": 58}.get(self.layout_name, 110)
        return sale_receipt.sale_receipt_html(self.sale, store=self.appctx.store_name, tz=store_timezone(),
                                              families=CJK_FAMILIES, width_mm=width)

    def page_layout(self) -> Any:
        from PySide6.QtGui import QPageSize  # noqa: PLC0415

        from pos_app.printing import qtprint  # noqa: PLC0415

        if self.layout_name == "a4":
            return qtprint.sheet_page(QPageSize.PageSizeId.A4, 15)
        return qtprint.roll_page(80 if self.layout_name == "80mm" else 58, 240, 3)

    # ------------------------------------------------------------------ PDF
    def _sale_pdf(self, path: str) -> None:
        sale_receipt.sale_receipt_pdf(self.sale, path, store=self.appctx.store_name, layout=self.layout_name,
                                      tz=store_timezone())


class ReturnDialog(QDialog):
    """Return the whole sale or chosen lines. ``returned(sale)`` carries the sale as it is after the return."""

    returned = Signal(object)

    def __init__(self, appctx: AppContext, sale: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sale_return")
        self.appctx = appctx
        self.sale = sale
        self.result: Any = None
        self.busy = False
        self.request_id = appctx.new_request_id()
        self.setWindowTitle(tr("co.ret.title"))
        self.setMinimumWidth(640)
        lay = QVBoxLayout(self)
        head = QLabel(tr("co.ret.head", no=sale.receipt_no, amount=Money(sale.total_fen)))
        head.setObjectName("title")
        head.setWordWrap(True)
        lay.addWidget(head)
        self.lines = [ln for ln in sale.lines if ln.qty - ln.returned_qty > 0]
        self.table = QTableWidget(len(self.lines), 5)
        self.table.setObjectName("return_lines")
        self.table.setHorizontalHeaderLabels([tr("co.col.no"), tr("co.col.name"), tr("co.col.qty"),
                                              tr("co.col.amount"), tr("co.ret.col_back")])
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.back: list[int] = [0] * len(self.lines)
        for r, ln in enumerate(self.lines):
            left = ln.qty - ln.returned_qty
            for c, v in enumerate((str(ln.no), ln.name, f"{left}/{ln.qty}", format_fen(ln.amount_fen), "0")):
                it = QTableWidgetItem(v)
                if c != 1:
                    it.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(r, c, it)
        if self.lines:
            self.table.selectRow(0)
        lay.addWidget(self.table, 1)
        hint = QLabel(tr("co.ret.keys_hint"))
        hint.setObjectName("hint")
        hint.setWordWrap(True)
        lay.addWidget(hint)
        self.status = QLabel("")
        self.status.setObjectName("return_status")
        self.status.setWordWrap(True)
        self.status.setTextFormat(Qt.TextFormat.RichText)
        self.status.hide()
        lay.addWidget(self.status)
        self.error = ErrorLabel()
        lay.addWidget(self.error)
        row = QHBoxLayout()
        self.all_btn = big_button(tr("co.ret.all") + " (A)")
        self.all_btn.clicked.connect(self.select_all)
        self.confirm_btn = big_button(tr("co.ret.confirm"))
        self.confirm_btn.setObjectName("primary")
        self.confirm_btn.setDefault(True)
        self.confirm_btn.clicked.connect(self.confirm)
        self.cancel_btn = big_button(tr("refund.cancel"))
        self.cancel_btn.clicked.connect(self.reject)
        self.close_btn = big_button(tr("refund.close"))
        self.close_btn.clicked.connect(self.accept)
        self.close_btn.hide()
        for b in (self.all_btn, self.confirm_btn, self.cancel_btn, self.close_btn):
            row.addWidget(b)
        lay.addLayout(row)
        QShortcut(QKeySequence("+"), self, activated=lambda: self.step(1))
        QShortcut(QKeySequence("-"), self, activated=lambda: self.step(-1))
        QShortcut(QKeySequence("A"), self, activated=self.select_all)
        self.table.setFocus()

    def current(self) -> int:
        rows = self.table.selectionModel().selectedRows()
        return rows[0].row() if rows else -1

    def set_back(self, r: int, qty: int) -> None:
        ln = self.lines[r]
        self.back[r] = max(0, min(ln.qty - ln.returned_qty, qty))
        item = self.table.item(r, 4)
        if item is not None:
            item.setText(str(self.back[r]))
        self.request_id = self.appctx.new_request_id()

    def step(self, n: int) -> None:
        r = self.current()
        if self.result is None and 0 <= r < len(self.lines):
            self.set_back(r, self.back[r] + n)

    def select_all(self) -> None:
        if self.result is not None:
            return
        for r, ln in enumerate(self.lines):
            self.set_back(r, ln.qty - ln.returned_qty)

    def chosen(self) -> list[tuple[int, int]] | None:
        """(line no, qty) of the chosen lines; None means the whole sale (everything still returnable)."""
        pairs = [(ln.no, q) for ln, q in zip(self.lines, self.back, strict=True) if q]
        whole = all(q == ln.qty - ln.returned_qty for ln, q in zip(self.lines, self.back, strict=True))
        whole = whole and not any(ln.returned_qty for ln in self.sale.lines)
        return None if whole else pairs

    def confirm(self) -> None:
        if self.result is not None:
            self.accept()
            return
        if self.busy:
            return
        if not any(self.back):
            self.error.show_error(tr("co.ret.choose"))
            return
        approver = None
        actor = self.appctx.actor
        if actor.role != "manager":
            reason = tr("co.ret.reason", no=self.sale.receipt_no)
            approver = self.appctx.ask_manager(reason) if self.appctx.ask_manager else None
            if approver is None:
                self.error.show_error(tr("co.ret.needs_manager"))
                return
        from pos_app.services import checkout  # noqa: PLC0415

        ctx, rid, sale_id, lines = self.appctx.ctx, self.request_id, self.sale.sale_id, self.chosen()
        self.busy = True
        self.confirm_btn.setEnabled(False)
        self.error.show_error(None)

        def returned(ret: Any) -> None:  # its changes are announced; then the sale as it is now
            self.appctx.run(lambda: checkout.get_sale(ctx, actor, sale_id), lambda sale: self._done((ret, sale)),
                            self._failed)

        self.appctx.run(lambda: checkout.return_sale(ctx, actor, request_id=rid, sale_id=sale_id, lines=lines,
                                                     approver=approver), returned, self._failed)

    def _failed(self, exc: BaseException) -> None:
        self.busy = False
        self.confirm_btn.setEnabled(True)
        self.error.show_error(exc)

    def _done(self, res: tuple[Any, Any]) -> None:
        ret, sale = res
        self.busy = False
        self.result = ret
        self.sale = sale
        from pos_app.ui.checkout import method_name  # noqa: PLC0415

        parts = [f"<b>{tr('co.ret.done')}</b>"]
        for p in ret.refunds:
            text = tr("co.ret.refund_line", method=method_name(p.method), amount=Money(p.amount_fen))
            if p.method == "balance":
                text += " " + tr("co.ret.refund_split", principal=Money(p.principal_fen), bonus=Money(p.bonus_fen))
            parts.append(text)
        parts.append(tr("co.ret.points_back", points=ret.points_taken_back))
        if ret.points_policy_note:
            parts.append(f"<span style='color:#b3261e'>{ret.points_policy_note}</span>")
        if ret.coupon_reinstated:
            parts.append(tr("co.ret.coupon_back"))
        self.status.setText("<br>".join(parts))
        self.status.show()
        for b in (self.all_btn, self.confirm_btn, self.cancel_btn):
            b.hide()
        self.close_btn.show()
        self.close_btn.setDefault(True)
        self.close_btn.setFocus()
        self.returned.emit(sale)


def payments_text(sale: Any) -> str:
    """The payment split in one cell: 余额 ¥50.00 + 现金 ¥70.00."""
    from pos_app.ui.checkout import method_name  # noqa: PLC0415

    return " + ".join(f"{method_name(p.method)} {format_fen(p.amount_fen)}" for p in sale.payments)


def returned_fen(sale: Any) -> int:
    return sum(rf.amount_fen for r in sale.returns for rf in r.refunds)


class SaleModel(DtoTableModel):
    """A member's purchases (SaleDTO), newest first, with what returns paid back."""

    COLUMNS = (
        Column("co.hist.col.time", lambda r: fmt_dt(r.occurred_at)),
        Column("co.hist.col.receipt_no", lambda r: r.receipt_no),
        Column("co.hist.col.items", lambda r: sum(ln.qty for ln in r.lines), numeric=True),
        Column("co.hist.col.total", lambda r: r.total_fen, money=True),
        Column("co.hist.col.paid", lambda r: r.paid_fen, money=True),
        Column("co.hist.col.payments", payments_text),
        Column("co.hist.col.points", lambda r: r.points_earned, numeric=True),
        Column("co.hist.col.returned", lambda r: returned_fen(r) or "", money=True),
    )
