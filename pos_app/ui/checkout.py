"""Checkout (收银, F12): scan or type barcodes, free lines by category and amount, the member (scanned member
code or typed phone; walk-ins allowed), a coupon, live totals from the checkout service's ``quote`` (on the
database worker), the payment panel (balance / cash with tendered and change / WeChat / Alipay / card / other,
any split that covers the total), Enter confirms (one request id per confirmation: a double press never
charges twice), then the receipt (print preview / print / PDF), a return, and a new sale.

Keyboard: the barcode field has the focus; a scanner burst (or typed code + Enter) adds the line, the same
barcode again adds one to its quantity; text that is not a barcode searches the catalogue (↓ into the
matches, Enter adds). With the barcode field empty: ↑/↓ choose a line, + / - change its quantity, Delete
removes it, Enter confirms the payment (once). Ctrl+M the member field, Ctrl+W walk-in, Ctrl+K the coupon, Ctrl+F a
free line, Ctrl+1..6 put what is left to pay on balance / cash / WeChat / Alipay / card / other, Esc clears
the basket; after the sale Ctrl+P the receipt, Ctrl+R a return, Ctrl+Shift+N (or the next scan) a new sale."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from pos_app.domain.errors import DomainError, InvalidInput, NotFound
from pos_app.domain.money import format_fen, parse_yuan
from pos_app.domain.textparams import Money
from pos_app.services.changes import Changes
from pos_app.ui.appctx import AppContext
from pos_app.ui.common import ErrorLabel, big_button, tr
from pos_app.ui.models import Column, DtoTableModel
from pos_app.ui.screens import ScreenSpec, register_screen

#: the payment methods, in the panel's order (Ctrl+1..6)
METHODS = ("balance", "cash", "wechat", "alipay", "card", "other")


def method_name(method: str) -> str:
    names = {
        "balance": tr("co.pay.balance"),
        "cash": tr("pay.cash"),
        "wechat": tr("pay.wechat"),
        "alipay": tr("pay.alipay"),
        "card": tr("pay.card"),
        "other": tr("pay.other"),
    }
    return names.get(method, method)


def checkout_service() -> Any:
    from pos_app.services import checkout  # noqa: PLC0415

    return checkout


def looks_like_barcode(text: str) -> bool:
    """Digits (EAN/UPC, a store's own codes) or a code without spaces: looked up as a barcode first."""
    t = text.strip()
    return bool(t) and " " not in t and (t.isdigit() or t.isascii())


class SaleLineModel(DtoTableModel):
    """The basket's lines as the quote priced them (SaleLineDTO)."""

    COLUMNS = (
        Column("co.col.no", lambda r: r.no, numeric=True),
        Column("co.col.name", lambda r: r.name),
        Column("co.col.qty", lambda r: r.qty, numeric=True),
        Column("co.col.list_unit", lambda r: r.list_unit_fen, money=True),
        Column("co.col.unit", lambda r: r.unit_fen, money=True),
        Column("co.col.saving", lambda r: r.saving_fen or "", money=True),
        Column("co.col.discount", lambda r: r.discount_fen or "", money=True),
        Column("co.col.amount", lambda r: r.amount_fen, money=True),
    )


class PaymentPanel(QFrame):
    """The payment split: an amount per method (cash: what the member hands over; the cash part is what is
    left after the other methods, the rest is change). ``changed`` fires on every edit."""

    changed = Signal()
    #: Enter in any field
    submitted = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("payment_panel")
        self.total_fen = 0
        self.balance_fen: int | None = None
        grid = QGridLayout(self)
        grid.setContentsMargins(6, 6, 6, 6)
        self.fields: dict[str, QLineEdit] = {}
        for i, m in enumerate(METHODS):
            label = QLabel(f"{method_name(m) if m != 'cash' else tr('co.pay.cash_tendered')}  Ctrl+{i + 1}")
            f = QLineEdit()
            f.setObjectName(f"pay_{m}")
            f.setPlaceholderText("0.00")
            f.setAlignment(Qt.AlignmentFlag.AlignRight)
            f.textEdited.connect(lambda _t: self.changed.emit())
            f.returnPressed.connect(self.submitted.emit)
            label.setBuddy(f)
            grid.addWidget(label, i, 0)
            grid.addWidget(f, i, 1)
            self.fields[m] = f
        self.balance_hint = QLabel("")
        self.balance_hint.setObjectName("hint")
        grid.addWidget(self.balance_hint, 0, 2)
        self.change_hint = QLabel("")
        self.change_hint.setObjectName("hint")
        grid.addWidget(self.change_hint, 1, 2)
        self.status = QLabel("")
        self.status.setObjectName("pay_status")
        self.status.setWordWrap(True)
        grid.addWidget(self.status, len(METHODS), 0, 1, 3)
        self.error = ErrorLabel()
        grid.addWidget(self.error, len(METHODS) + 1, 0, 1, 3)
        grid.setColumnStretch(1, 1)
        self.set_total(0, None)

    # ------------------------------------------------------------------ state
    def set_total(self, total_fen: int, balance_fen: int | None) -> None:
        self.total_fen = total_fen
        self.balance_fen = balance_fen
        has_balance = balance_fen is not None
        self.fields["balance"].setEnabled(has_balance)
        if not has_balance:
            self.fields["balance"].clear()
        self.balance_hint.setText(tr("co.pay.balance_available", amount=Money(balance_fen)) if balance_fen is not None
                                  else tr("co.pay.no_balance"))
        self.refresh()

    def clear(self) -> None:
        for f in self.fields.values():
            f.clear()
        self.refresh()

    def amounts(self) -> dict[str, int]:
        """The typed amount of every method (fen; empty fields left out). Raises InvalidInput for bad text."""
        out: dict[str, int] = {}
        for m, f in self.fields.items():
            text = f.text().strip()
            if text:
                out[m] = parse_yuan(text)
        return out

    def split(self) -> tuple[dict[str, int], int, int, int]:
        """(amount by method, cash tendered, change, still to pay). The cash part is what the other methods
        leave of the total, at most what was tendered."""
        typed = self.amounts()
        tendered = typed.pop("cash", 0)
        others = sum(typed.values())
        cash = max(0, min(tendered, self.total_fen - others))
        parts = dict(typed)
        if cash:
            parts["cash"] = cash
        change = tendered - cash
        left = self.total_fen - others - cash
        return parts, tendered, change, left

    def payments(self) -> list[Any]:
        """The PaymentInputs for ring_up; raises InvalidInput when they do not cover the total exactly."""
        checkout = checkout_service()
        parts, tendered, _change, left = self.split()
        if left > 0:
            raise InvalidInput("co.pay.short", amount=Money(left))
        if left < 0:
            raise InvalidInput("co.pay.over", amount=Money(-left))
        if self.balance_fen is not None and parts.get("balance", 0) > self.balance_fen:
            raise InvalidInput("co.pay.over_balance", amount=Money(self.balance_fen))
        out = []
        for m in METHODS:
            if parts.get(m):
                out.append(checkout.PaymentInput(method=m, amount_fen=parts[m],
                                                 tendered_fen=tendered if m == "cash" else None))
        return out

    def fill(self, method: str) -> None:
        """Ctrl+1..6: what is left to pay goes on ``method`` (the balance: at most the balance)."""
        f = self.fields[method]
        if not f.isEnabled():
            return
        try:
            f.clear()
            _parts, _t, _c, left = self.split()
        except DomainError as exc:
            self.error.show_error(exc)
            return
        amount = max(0, left)
        if method == "balance" and self.balance_fen is not None:
            amount = min(amount, self.balance_fen)
        f.setText(format_fen(amount).lstrip("¥").replace(",", "") if amount else "")
        f.setFocus()
        f.selectAll()
        self.changed.emit()

    def refresh(self) -> None:
        try:
            _parts, tendered, change, left = self.split()
        except DomainError as exc:
            self.error.show_error(exc)
            self.status.setText("")
            return
        self.error.show_error(None)
        self.change_hint.setText(tr("co.pay.change", amount=Money(change)) if tendered else "")
        if left > 0:
            self.status.setText(tr("co.pay.left", amount=Money(left)))
        elif left < 0:
            self.status.setText(tr("co.pay.over", amount=Money(-left)))
        else:
            self.status.setText(tr("co.pay.covered", amount=Money(self.total_fen)) if self.total_fen else "")


class CheckoutScreen(QWidget):
    handles_changes = True
    help_keys = (
        ("Enter", "co.help.enter"), ("↑ ↓ + - Delete", "co.help.lines"), ("Ctrl+M", "co.help.member"),
        ("Ctrl+W", "co.help.walk_in"), ("Ctrl+K", "co.help.coupon"), ("Ctrl+F", "co.help.free"),
        ("Ctrl+B", "co.help.barcode"), ("Ctrl+1..6", "co.help.fill"), ("Esc", "co.help.clear"),
        ("Ctrl+P", "co.help.receipt"), ("Ctrl+R", "co.help.return"), ("Ctrl+Shift+N", "co.help.new"),
    )

    def __init__(self, appctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.appctx = appctx
        self.setProperty("scan_codes", True)  # the window's scanner hands product bursts to handle_scan
        #: the basket as asked of the service (LineInputs, in line order)
        self.entries: list[Any] = []
        #: the last basket the service priced without refusing it
        self.good_entries: list[Any] = []
        self.quote: Any = None
        self.member: Any = appctx.member
        self.sale: Any = None
        self.in_flight = False
        self.request_id = appctx.new_request_id()
        self.receipt: Any = None
        self.return_dialog: Any = None
        self.matches: list[Any] = []
        self._quote_gen = 0
        root = QHBoxLayout(self)
        # ---------------------------------------------------------------- left: member, barcode, lines
        left = QVBoxLayout()
        self.member_label = QLabel("")
        self.member_label.setObjectName("title")
        self.member_label.setWordWrap(True)
        left.addWidget(self.member_label)
        mrow = QHBoxLayout()
        self.member_input = QLineEdit()
        self.member_input.setObjectName("co_member")
        self.member_input.setPlaceholderText(tr("co.member_hint"))
        self.member_input.returnPressed.connect(self.attach_member)
        mrow.addWidget(self.member_input, 1)
        self.walk_in_btn = QPushButton(tr("co.walk_in") + " (Ctrl+W)")
        self.walk_in_btn.setObjectName("co_walk_in")
        self.walk_in_btn.setAutoDefault(False)
        self.walk_in_btn.clicked.connect(self.walk_in)
        mrow.addWidget(self.walk_in_btn)
        left.addLayout(mrow)
        self.member_error = ErrorLabel()
        left.addWidget(self.member_error)
        brow = QHBoxLayout()
        blabel = QLabel(tr("co.barcode"))
        self.barcode = QLineEdit()
        self.barcode.setObjectName("co_barcode")
        self.barcode.setPlaceholderText(tr("co.barcode_hint"))
        self.barcode.returnPressed.connect(self.barcode_enter)
        self.barcode.installEventFilter(self)
        blabel.setBuddy(self.barcode)
        brow.addWidget(blabel)
        brow.addWidget(self.barcode, 1)
        left.addLayout(brow)
        self.match_list = QListWidget()
        self.match_list.setObjectName("co_matches")
        self.match_list.setMaximumHeight(120)
        self.match_list.itemActivated.connect(self.pick_match)
        self.match_list.hide()
        left.addWidget(self.match_list)
        frow = QHBoxLayout()
        flabel = QLabel(tr("co.free_line"))
        self.category = QComboBox()
        self.category.setObjectName("co_category")
        self.category.setEditable(False)
        self.free_amount = QLineEdit()
        self.free_amount.setObjectName("co_free_amount")
        self.free_amount.setPlaceholderText(tr("co.free_amount_hint"))
        self.free_amount.returnPressed.connect(self.add_free_line)
        flabel.setBuddy(self.category)
        frow.addWidget(flabel)
        frow.addWidget(self.category, 1)
        frow.addWidget(self.free_amount, 1)
        left.addLayout(frow)
        self.line_error = ErrorLabel()
        left.addWidget(self.line_error)
        self.model = SaleLineModel()
        self.table = QTableView()
        self.table.setObjectName("co_lines")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        hh = self.table.horizontalHeader()
        # widths from the headers and a wide amount, never from the cells: a scan never waits on measuring rows
        fm = self.table.fontMetrics()
        money_w = fm.horizontalAdvance("¥88,888.88") + 16
        for c in range(self.model.columnCount()):
            head = fm.horizontalAdvance(str(self.model.headerData(c, Qt.Orientation.Horizontal))) + 20
            hh.setSectionResizeMode(c, QHeaderView.ResizeMode.Fixed)
            hh.resizeSection(c, max(head, money_w if c >= 3 else fm.horizontalAdvance("888") + 16))
        hh.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.installEventFilter(self)
        left.addWidget(self.table, 1)
        crow = QHBoxLayout()
        clabel = QLabel(tr("co.coupon"))
        self.coupon = QLineEdit()
        self.coupon.setObjectName("co_coupon")
        self.coupon.setPlaceholderText(tr("co.coupon_hint"))
        self.coupon.setProperty("scan_local", True)
        self.coupon.returnPressed.connect(self.coupon_enter)
        self.coupon.textEdited.connect(lambda _t: self._edited())
        clabel.setBuddy(self.coupon)
        crow.addWidget(clabel)
        crow.addWidget(self.coupon, 1)
        left.addLayout(crow)
        self.coupon_error = ErrorLabel()
        self.coupon_error.setObjectName("co_coupon_refusal")
        left.addWidget(self.coupon_error)
        hint = QLabel(tr("co.keys_hint"))
        hint.setObjectName("hint")
        hint.setWordWrap(True)
        left.addWidget(hint)
        root.addLayout(left, 3)
        # ---------------------------------------------------------------- right: totals, payment / done
        self.right = QStackedWidget()
        pay_page = QWidget()
        pl = QVBoxLayout(pay_page)
        pl.setContentsMargins(0, 0, 0, 0)
        totals = QFrame()
        totals.setObjectName("preview")
        tl = QGridLayout(totals)
        self.total_values: dict[str, QLabel] = {}
        for r, (k, label) in enumerate((("subtotal", tr("co.subtotal")), ("saving", tr("co.saving")),
                                         ("discount", tr("co.discount")), ("total", tr("co.total")))):
            lab = QLabel(label)
            val = QLabel(format_fen(0))
            val.setObjectName(f"co_{k}")
            val.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            if k == "total":
                lab.setObjectName("big_label")
                val.setStyleSheet("font-size: 22pt; font-weight: bold")
            tl.addWidget(lab, r, 0)
            tl.addWidget(val, r, 1)
            self.total_values[k] = val
        self.price_note = QLabel("")
        self.price_note.setObjectName("hint")
        self.price_note.setWordWrap(True)
        tl.addWidget(self.price_note, 4, 0, 1, 2)
        pl.addWidget(totals)
        self.payment = PaymentPanel()
        self.payment.changed.connect(self._payment_edited)
        self.payment.submitted.connect(self.confirm)
        pl.addWidget(self.payment)
        self.error = ErrorLabel()
        pl.addWidget(self.error)
        self.confirm_btn = big_button(tr("co.confirm"))
        self.confirm_btn.setObjectName("primary")
        self.confirm_btn.clicked.connect(self.confirm)
        pl.addWidget(self.confirm_btn)
        pl.addStretch(1)
        self.right.addWidget(pay_page)
        done_page = QWidget()
        dl = QVBoxLayout(done_page)
        dl.setContentsMargins(0, 0, 0, 0)
        self.done_label = QLabel("")
        self.done_label.setObjectName("co_done")
        self.done_label.setWordWrap(True)
        self.done_label.setTextFormat(Qt.TextFormat.RichText)
        self.done_label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        dl.addWidget(self.done_label, 1)
        self.receipt_btn = big_button(tr("co.receipt") + " (Ctrl+P)")
        self.receipt_btn.clicked.connect(self.open_receipt)
        self.return_btn = big_button(tr("co.return") + " (Ctrl+R)")
        self.return_btn.clicked.connect(self.open_return)
        self.next_hint = QLabel(tr("co.next_hint"))
        self.next_hint.setObjectName("hint")
        self.next_hint.setWordWrap(True)
        dl.addWidget(self.next_hint)
        self.new_btn = big_button(tr("co.new_sale") + " (Ctrl+Shift+N)")
        self.new_btn.setObjectName("primary")
        self.new_btn.clicked.connect(self.new_sale)
        for b in (self.receipt_btn, self.return_btn, self.new_btn):
            dl.addWidget(b)
        self.right.addWidget(done_page)
        root.addWidget(self.right, 2)
        wc = Qt.ShortcutContext.WidgetWithChildrenShortcut
        for keys, fn, what in (
            ("Ctrl+M", self.focus_member, "co.help.member"), ("Ctrl+W", self.walk_in, "co.help.walk_in"),
            ("Ctrl+K", self.focus_coupon, "co.help.coupon"), ("Ctrl+F", self.focus_free, "co.help.free"),
            ("Ctrl+B", self.focus_barcode, "co.help.barcode"), ("Ctrl+P", self.open_receipt, "co.help.receipt"),
            ("Ctrl+R", self.open_return, "co.help.return"), ("Ctrl+Shift+N", self.new_sale, "co.help.new"),
        ):
            sc = QShortcut(QKeySequence(keys), self, activated=fn, context=wc)
            sc.setWhatsThis(tr(what))
        for i, m in enumerate(METHODS):
            sc = QShortcut(QKeySequence(f"Ctrl+{i + 1}"), self, activated=lambda m=m: self.fill_payment(m), context=wc)
            sc.setWhatsThis(tr("co.help.fill_one", method=method_name(m)))
        appctx.changed.connect(self._changed)
        self.set_member(appctx.member)
        self.show_quote(None)

    # ------------------------------------------------------------------ screen hooks
    def on_shown(self) -> None:
        self.load_categories()
        if self.sale is None:
            self.requote()
        self.focus_barcode()

    def _changed(self, changes: Changes) -> None:
        if self.isVisible() and self.sale is None and changes.any("wallet", "coupons", "members", "points"):
            self.requote()

    def load_categories(self) -> None:
        if not self.appctx.has_actor:
            return
        checkout = checkout_service()
        ctx, actor = self.appctx.ctx, self.appctx.actor
        self.appctx.run(lambda: checkout.categories(ctx, actor), self._show_categories, self.line_error.show_error,
                        key="co-categories")

    def _show_categories(self, cats: list[str]) -> None:
        current = self.category.currentText()
        self.category.clear()
        self.category.addItems(list(cats))
        if current in cats:
            self.category.setCurrentText(current)

    # ------------------------------------------------------------------ focus
    def focus_barcode(self) -> None:
        self.barcode.setFocus()
        self.barcode.selectAll()

    def focus_member(self) -> None:
        self.member_input.setFocus()
        self.member_input.selectAll()

    def focus_coupon(self) -> None:
        self.coupon.setFocus()
        self.coupon.selectAll()

    def focus_free(self) -> None:
        self.category.setFocus()

    def fill_payment(self, method: str) -> None:
        if self.sale is None:
            self.payment.fill(method)

    # ------------------------------------------------------------------ member
    def set_member(self, member: Any) -> None:
        """The member selected anywhere (a member code scanned on this screen, the counter): attached."""
        if self.sale is not None:
            return  # the finished sale keeps its member until "new sale"
        before = getattr(self.member, "member_id", None)
        self.member = member
        if member is None:
            self.member_label.setText(tr("co.walk_in_sale"))
        else:
            self.member_label.setText(tr("co.for_member", phone=member.phone, name=member.name or "",
                                         balance=Money(member.balance_fen)))
        if getattr(member, "member_id", None) != before:
            self._edited()
            self.requote()

    def attach_member(self) -> None:
        """Enter in the member field: a phone number or a member code (typed, or scanned into the field)."""
        text = self.member_input.text().strip()
        if not text:
            self.focus_barcode()
            return
        from pos_app.services import members  # noqa: PLC0415

        ctx, actor = self.appctx.ctx, self.appctx.actor
        self.member_error.show_error(None)

        def ok(member: Any) -> None:
            self.member_input.clear()
            self.appctx.set_member(member)
            self.focus_barcode()

        self.appctx.run(lambda: members.resolve_scan(ctx, actor, text), ok, self.member_error.show_error,
                        key="co-member")

    def walk_in(self) -> None:
        if self.sale is not None:
            return
        self.member_input.clear()
        self.member_error.show_error(None)
        self.appctx.set_member(None)
        if self.appctx.member is not None:  # nobody listens (a screen built alone): still a walk-in here
            return
        self.set_member(None)
        self.focus_barcode()

    # ------------------------------------------------------------------ lines
    def eventFilter(self, obj: QObject, ev: QEvent) -> bool:  # noqa: N802
        if ev.type() == QEvent.Type.KeyPress and isinstance(ev, QKeyEvent) and self.sale is None:
            key = ev.key()
            empty = obj is self.table or (obj is self.barcode and not self.barcode.text())
            if obj is self.barcode and key == Qt.Key.Key_Down and self.match_list.isVisible() and self.match_list.count():
                self.match_list.setFocus()
                self.match_list.setCurrentRow(0)
                return True
            if empty and key in (Qt.Key.Key_Up, Qt.Key.Key_Down) and obj is self.barcode:
                self.step_line(-1 if key == Qt.Key.Key_Up else 1)
                return True
            if empty and key == Qt.Key.Key_Plus:
                self.change_qty(1)
                return True
            if empty and key == Qt.Key.Key_Minus:
                self.change_qty(-1)
                return True
            if empty and key in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace) and (obj is self.table or key == Qt.Key.Key_Delete):
                self.delete_line()
                return True
        return super().eventFilter(obj, ev)

    def current_line(self) -> int:
        rows = self.table.selectionModel().selectedRows()
        if rows:
            return rows[0].row()
        return len(self.entries) - 1

    def step_line(self, step: int) -> None:
        n = self.model.rowCount()
        if n:
            self.table.selectRow(max(0, min(n - 1, self.current_line() + step)))

    def handle_scan(self, text: str) -> None:
        """A scanner burst in any field of this screen (not a member code: the counter takes those): the
        product's line, whichever field had the focus."""
        self.lookup(text.strip())
        self.payment.refresh()  # a burst taken out of a payment field

    def barcode_enter(self) -> None:
        text = self.barcode.text().strip()
        if not text:
            self.confirm()
            return
        self.lookup(text)

    def lookup(self, text: str) -> None:
        """A barcode (or a name, a SKU): its product added, or the matches listed, or why not."""
        if not text:
            return
        if self.sale is not None:
            self.new_sale()
        self.line_error.show_error(None)
        checkout = checkout_service()
        if text.isdigit():  # a barcode: straight into the basket, priced in one trip to the worker
            if self.barcode.text().strip() == text:
                self.barcode.clear()
            self.match_list.hide()
            entries = list(self.entries)
            for i, e in enumerate(entries):
                if e.barcode == text and e.category is None:
                    entries[i] = checkout.LineInput(barcode=text, qty=e.qty + 1)
                    self.set_entries(entries, select=i, scanned=text)
                    return
            entries.append(checkout.LineInput(barcode=text, qty=1))
            self.set_entries(entries, select=len(entries) - 1, scanned=text)
            return
        self.search(text)

    def search(self, text: str) -> None:
        """Text that is not a barcode (or a barcode no product has): a SKU, or a name to search."""
        checkout = checkout_service()
        ctx, actor = self.appctx.ctx, self.appctx.actor

        def work() -> tuple[Any, list[Any]]:
            product = checkout.find_product(ctx, actor, text) if looks_like_barcode(text) else None
            if product is not None:
                return product, []
            return None, checkout.search_products(ctx, actor, text, limit=20)

        def found(res: tuple[Any, list[Any]]) -> None:
            product, matches = res
            if product is not None:
                if self.barcode.text().strip() == text:
                    self.barcode.clear()
                self.add_product(product)
                return
            self.show_matches(matches, text)

        self.appctx.run(work, found, self.line_error.show_error, key="co-find")

    def show_matches(self, matches: list[Any], text: str) -> None:
        self.matches = [p for p in matches if p.active]
        self.match_list.clear()
        if not self.matches:
            self.match_list.hide()
            self.line_error.show_error(tr("co.no_product", text=text))
            self.barcode.selectAll()
            return
        if len(self.matches) == 1:
            self.barcode.clear()
            self.match_list.hide()
            self.add_product(self.matches[0])
            return
        for p in self.matches:
            it = QListWidgetItem(f"{p.name}  {p.barcode}  {format_fen(p.price_fen)}")
            it.setData(Qt.ItemDataRole.UserRole, p.sku)
            self.match_list.addItem(it)
        self.match_list.show()

    def pick_match(self, item: QListWidgetItem) -> None:
        sku = item.data(Qt.ItemDataRole.UserRole)
        product = next((p for p in self.matches if p.sku == sku), None)
        self.match_list.hide()
        self.barcode.clear()
        self.focus_barcode()
        if product is not None:
            self.add_product(product)

    def add_product(self, product: Any) -> None:
        """A product scanned or picked: a new line, or one more on its line when it is already there."""
        checkout = checkout_service()
        entries = list(self.entries)
        for i, e in enumerate(entries):
            if e.category is None and (e.sku == product.sku or (e.barcode and e.barcode == product.barcode)):
                entries[i] = checkout.LineInput(barcode=e.barcode, sku=e.sku, qty=e.qty + 1)
                self.set_entries(entries, select=i)
                return
        entries.append(checkout.LineInput(sku=product.sku, qty=1))
        self.set_entries(entries, select=len(entries) - 1)

    def add_free_line(self) -> None:
        """A free line (a service): the chosen category and the typed amount."""
        if self.sale is not None:
            self.new_sale()
        category = self.category.currentText().strip()
        try:
            if not category:
                raise InvalidInput("co.category_missing")
            text = self.free_amount.text().strip()
            if not text:
                raise InvalidInput("money.missing", field="amount")
            amount = parse_yuan(text)
        except DomainError as exc:
            self.line_error.show_error(exc)
            return
        checkout = checkout_service()
        self.line_error.show_error(None)
        self.free_amount.clear()
        entries = [*self.entries, checkout.LineInput(category=category, amount_fen=amount)]
        self.set_entries(entries, select=len(entries) - 1)
        self.focus_barcode()

    def change_qty(self, step: int) -> None:
        i = self.current_line()
        if not 0 <= i < len(self.entries):
            return
        e = self.entries[i]
        if e.category is not None or e.qty + step < 1:
            return
        checkout = checkout_service()
        entries = list(self.entries)
        entries[i] = checkout.LineInput(barcode=e.barcode, sku=e.sku, qty=e.qty + step)
        self.set_entries(entries, select=i)

    def delete_line(self) -> None:
        i = self.current_line()
        if not 0 <= i < len(self.entries):
            return
        entries = self.entries[:i] + self.entries[i + 1:]
        self.set_entries(entries, select=min(i, len(entries) - 1))

    def set_entries(self, entries: list[Any], *, select: int | None = None, scanned: str | None = None) -> None:
        self.entries = entries
        self._select_after = select
        self._edited()
        self.requote(scanned=scanned)

    def clear_basket(self) -> None:
        self.entries = []
        self.good_entries = []
        self.coupon.clear()
        self.coupon_error.show_error(None)
        self.line_error.show_error(None)
        self.payment.clear()
        self.match_list.hide()
        self._edited()
        self.requote()
        self.focus_barcode()

    def keyPressEvent(self, ev: QKeyEvent) -> None:  # noqa: N802
        if ev.key() == Qt.Key.Key_Escape:
            if self.match_list.isVisible():
                self.match_list.hide()
                self.focus_barcode()
            elif self.sale is None:
                self.clear_basket()
            return
        super().keyPressEvent(ev)

    # ------------------------------------------------------------------ quote
    def coupon_enter(self) -> None:
        self.requote()
        self.focus_barcode()

    def requote(self, *, scanned: str | None = None) -> None:
        """Price the basket on the database worker (the newest ask wins). ``scanned``: the barcode just added
        by this change; when no product has it, it is searched for as a SKU or a name instead."""
        if not self.appctx.has_actor or not self.appctx.has_ctx:
            return
        self._quote_gen += 1
        gen = self._quote_gen
        entries = list(self.entries)
        if not entries:
            self.appctx.worker.cancel("co-quote")
            self.good_entries = []
            self.show_quote(None)
            return
        checkout = checkout_service()
        ctx, actor = self.appctx.ctx, self.appctx.actor
        mid = self.member.member_id if self.member is not None else None
        code = self.coupon.text().strip() or None

        def ok(q: Any) -> None:
            if gen != self._quote_gen:
                return
            self.good_entries = entries
            self.line_error.show_error(None)
            self.show_quote(q)

        def fail(exc: BaseException) -> None:
            if gen != self._quote_gen:
                return
            self.entries = list(self.good_entries)  # the line that was refused is not in the basket
            if self.entries:
                self.requote()
            else:
                self.show_quote(None)
            if scanned is not None and isinstance(exc, NotFound):
                self.search(scanned)  # not a barcode after all: a SKU, or digits in a name
            else:
                self.line_error.show_error(exc)

        self.appctx.run(lambda: checkout.quote(ctx, actor, member_id=mid, lines=entries, coupon_code=code),
                        ok, fail, key="co-quote")

    def show_quote(self, q: Any) -> None:
        self.quote = q
        select = getattr(self, "_select_after", None)
        self._select_after = None
        self.model.set_rows(list(q.lines) if q is not None else [])
        if self.model.rowCount():
            self.table.selectRow(select if select is not None and 0 <= select < self.model.rowCount()
                                 else self.model.rowCount() - 1)
        vals = {"subtotal": 0, "saving": 0, "discount": 0, "total": 0}
        if q is not None:
            vals = {"subtotal": q.subtotal_fen, "saving": q.saving_fen, "discount": q.discount_fen, "total": q.total_fen}
        for k, v in vals.items():
            self.total_values[k].setText(("-" if k in ("saving", "discount") and v else "") + format_fen(v))
        notes = []
        if q is not None and q.member_prices:
            notes.append(tr("co.member_prices_on", amount=Money(q.saving_fen)))
        elif self.member is not None:
            notes.append(tr("co.member_prices_off"))
        if q is not None and q.points_if_paid_fully_by_cash and self.member is not None:
            notes.append(tr("co.points_hint", points=q.points_if_paid_fully_by_cash))
        self.price_note.setText("  ".join(notes))
        code = self.coupon.text().strip()
        if q is not None and code and q.coupon_refusal:
            self.coupon_error.show_error(q.coupon_refusal)
        elif q is not None and q.coupon_code:
            self.coupon_error.show_error(None)
            self.coupon.setToolTip(tr("co.coupon_applied", code=q.coupon_code, amount=Money(q.discount_fen)))
        else:
            self.coupon_error.show_error(None)
        balance = q.balance_available_fen if q is not None else (self.member.balance_fen if self.member is not None else None)
        self.payment.set_total(q.total_fen if q is not None else 0, balance)

    # ------------------------------------------------------------------ confirm
    def _edited(self) -> None:
        if not self.in_flight:
            self.request_id = self.appctx.new_request_id()
        self.error.show_error(None)

    def _payment_edited(self) -> None:
        self._edited()
        self.payment.refresh()

    def confirm(self) -> None:
        """Enter: ring up the basket with the payment split (once: a second press while it runs, or a repeat
        with the same request id, charges nothing more)."""
        if self.sale is not None or self.in_flight:
            return  # done: a second Enter (a double press) changes nothing; the next scan starts a new sale
        if not self.entries or self.quote is None or self.entries != self.good_entries:
            self.error.show_error(tr("co.nothing_to_pay") if not self.entries else tr("co.wait_quote"))
            return
        try:
            payments = self.payment.payments()
        except DomainError as exc:
            self.error.show_error(exc)
            return
        checkout = checkout_service()
        ctx, actor, rid = self.appctx.ctx, self.appctx.actor, self.request_id
        mid = self.member.member_id if self.member is not None else None
        lines, code = list(self.entries), self.coupon.text().strip() or None
        self.in_flight = True
        self.confirm_btn.setEnabled(False)
        self.error.show_error(None)
        self.appctx.run(lambda: checkout.ring_up(ctx, actor, request_id=rid, member_id=mid, lines=lines,
                                                 coupon_code=code, payments=payments),
                        self._rung_up, self._failed)

    def _failed(self, exc: BaseException) -> None:
        self.in_flight = False
        self.confirm_btn.setEnabled(True)
        if getattr(exc, "key", "").startswith("coupon."):
            self.coupon_error.show_error(exc)
        else:
            self.error.show_error(exc)

    def _rung_up(self, sale: Any) -> None:
        self.in_flight = False
        self.confirm_btn.setEnabled(True)
        self.sale = sale
        self.show_done(sale)
        self.right.setCurrentIndex(1)
        self.focus_barcode()  # the next customer's first scan starts the new sale

    def show_done(self, sale: Any) -> None:
        parts = [f"<h2>{tr('co.done_title', amount=Money(sale.total_fen))}</h2>"]
        for p in sale.payments:
            parts.append(tr("co.done_pay", method=method_name(p.method), amount=Money(p.amount_fen)))
        if sale.change_fen:
            parts.append(f"<b style='font-size:18pt'>{tr('co.done_change', amount=Money(sale.change_fen))}</b>")
        if sale.member_id:
            if sale.principal_after_fen is not None and sale.bonus_after_fen is not None:
                parts.append(tr("co.done_balance", amount=Money(sale.principal_after_fen + sale.bonus_after_fen)))
            parts.append(tr("co.done_points", points=sale.points_earned, balance=sale.points_balance or 0))
        for r in sale.returns:
            parts.append(tr("co.done_returned", amount=Money(sum(x.amount_fen for x in r.refunds))))
        parts.append(tr("co.done_receipt_no", no=sale.receipt_no))
        self.done_label.setText("<br>".join(parts))

    def new_sale(self) -> None:
        """A clear basket for the next customer (walk-in until a member is attached)."""
        if self.in_flight:
            return
        had_sale = self.sale is not None
        self.sale = None
        self.right.setCurrentIndex(0)
        if had_sale:
            self.appctx.set_member(None)
            if self.appctx.member is None:
                self.set_member(None)
        self.clear_basket()

    # ------------------------------------------------------------------ after the sale
    def open_receipt(self, sale: Any = None) -> Any:
        sale = sale or self.sale
        if sale is None:
            return None
        from pos_app.ui.sale_dialogs import SaleReceiptDialog  # noqa: PLC0415

        dlg = SaleReceiptDialog(self.appctx, sale, self)
        self.receipt = dlg
        dlg.open()
        return dlg

    def open_return(self) -> Any:
        if self.sale is None:
            return None
        from pos_app.ui.sale_dialogs import ReturnDialog  # noqa: PLC0415

        dlg = ReturnDialog(self.appctx, self.sale, self)
        dlg.returned.connect(self._returned)
        self.return_dialog = dlg
        dlg.open()
        return dlg

    def _returned(self, sale: Any) -> None:
        if self.sale is not None and sale.sale_id == self.sale.sale_id:
            self.sale = sale
            self.show_done(sale)


register_screen(ScreenSpec("checkout", "screen.checkout", "F12", CheckoutScreen, frozenset({"cashier", "manager"}), 35))
