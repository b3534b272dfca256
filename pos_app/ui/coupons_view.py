"""Coupons (F8) and invites (F9).

F8: the selected member's coupons (or every coupon), redeem at payment (typed or scanned code, preview,
pay the rest from the balance), manual issue and void (manager), printing through Qt's print preview or
print dialog, and a PDF export (A4 sheet or 58/80 mm slips). Printing many coupons runs on a print thread
with a QProgressDialog; the database part runs on the DB worker. The window never waits.

F9: the inviter leaderboard, referral rewards pending and issued, "issue due rewards now", and the
selected member's invite card (PNG or PDF).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import QItemSelectionModel, QObject, Qt, QThread, Signal
from PySide6.QtGui import QColor, QKeySequence, QPainter, QPixmap, QShortcut
from PySide6.QtPrintSupport import QPrintDialog, QPrinter, QPrintPreviewDialog
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressDialog,
    QPushButton,
    QSpinBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from pos_app import config, messages
from pos_app.domain import coupons as rules
from pos_app.domain.errors import DomainError, InvalidInput
from pos_app.domain.money import format_fen, parse_percent_bp, parse_yuan
from pos_app.printing import card as card_png
from pos_app.printing import pdf, qtprint
from pos_app.services import coupons, referrals
from pos_app.services.changes import Changes
from pos_app.ui import filedialogs
from pos_app.ui.appctx import AppContext
from pos_app.ui.common import ErrorLabel, big_button
from pos_app.ui.models import Column, DtoTableModel, fmt_date, fmt_dt
from pos_app.ui.screens import ScreenSpec, register_screen


def tr(key: str, **params: Any) -> str:
    return messages.translate(key, params or None)


def _value(c: Any) -> str:
    return pdf.value_text(c)


class CouponModel(DtoTableModel):
    COLUMNS = (
        Column("cv.col.code", lambda r: r.code),
        Column("cv.col.name", lambda r: r.name),
        Column("cv.col.value", _value, numeric=True),
        Column("cv.col.min_spend", lambda r: r.min_spend_fen, money=True),
        Column("cv.col.valid_until", lambda r: fmt_date(r.valid_until)),
        Column("cv.col.state", lambda r: tr(f"coupon.state.{r.state}")),
        Column("cv.col.member", lambda r: r.member_phone or tr("coupon.bearer")),
        Column("cv.col.source", lambda r: tr(f"cv.source.{r.source}")),
    )

    def foreground(self, row: Any, column: int) -> QColor | None:
        if column == 5 and row.state != "issued":
            return QColor("#8a8a8a")
        return None


class LeaderModel(DtoTableModel):
    COLUMNS = (
        Column("cv.col.rank", lambda r: r.rank, numeric=True),
        Column("cv.col.phone", lambda r: referrals.mask_phone(r.phone)),
        Column("cv.col.member_name", lambda r: r.name or ""),
        Column("cv.col.successful", lambda r: r.successful, numeric=True),
        Column("cv.col.invited", lambda r: r.invited, numeric=True),
    )


class RewardModel(DtoTableModel):
    COLUMNS = (
        Column("cv.col.time", lambda r: fmt_dt(r.created_at)),
        Column("cv.col.phone", lambda r: r.phone),
        Column("cv.col.source", lambda r: tr(f"cv.source.{r.source}")),
        Column("cv.col.name", lambda r: r.name),
        Column("cv.col.state", lambda r: tr(f"state.{r.state}")),
        Column("cv.col.due_on", lambda r: fmt_date(r.due_on)),
        Column("cv.col.invitee", lambda r: r.invitee_phone or ""),
        Column("cv.col.code", lambda r: r.coupon_code or ""),
    )

    def foreground(self, row: Any, column: int) -> QColor | None:
        return QColor("#b36b00") if row.state == "owed" else None


class PrintJob(QThread):
    """Runs ``fn(progress, cancelled)`` off the GUI thread; reports progress and the result by signal."""

    progressed = Signal(int, int)
    succeeded = Signal(object)
    failed = Signal(object)

    def __init__(self, fn: Callable[[Callable[[int, int], None], Callable[[], bool]], Any], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.fn = fn
        self._cancel = False

    def cancel(self) -> None:
        self._cancel = True

    def run(self) -> None:
        try:
            result = self.fn(lambda d, t: self.progressed.emit(d, t), lambda: self._cancel)
        except Exception as exc:  # delivered to the GUI thread
            self.failed.emit(exc)
            return
        self.succeeded.emit(result)


# ----------------------------------------------------------------------------- template dialog


class TemplateDialog(QDialog):
    """A manager adds a coupon template by hand (campaign files are the other way in)."""

    def __init__(self, appctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.appctx = appctx
        self.created: Any = None
        self.setWindowTitle(tr("cv.new_template"))
        form = QFormLayout(self)
        self.code = QLineEdit()
        self.name = QLineEdit()
        self.kind = QComboBox()
        for k in rules.KINDS:
            self.kind.addItem(tr(f"coupon.kind.{k}"), k)
        self.value = QLineEdit()
        self.value.setPlaceholderText(tr("pay.amount_hint"))
        self.percent = QLineEdit()
        self.percent.setPlaceholderText("15")
        self.max_discount = QLineEdit()
        self.min_spend = QLineEdit()
        self.valid_days = QSpinBox()
        self.valid_days.setRange(0, rules.MAX_VALID_DAYS)
        self.valid_days.setValue(30)
        self.valid_until = QLineEdit()
        self.valid_until.setPlaceholderText("2027-01-31")
        self.category = QLineEdit()
        self.bearer = QCheckBox(tr("cv.bearer"))
        self.error = ErrorLabel()
        for label, w in (("cv.t.code", self.code), ("cv.t.name", self.name), ("cv.t.kind", self.kind),
                         ("cv.t.value", self.value), ("cv.t.percent", self.percent),
                         ("cv.t.max_discount", self.max_discount), ("cv.t.min_spend", self.min_spend),
                         ("cv.t.valid_days", self.valid_days), ("cv.t.valid_until", self.valid_until),
                         ("cv.t.category", self.category)):
            form.addRow(tr(label), w)
        form.addRow(self.bearer)
        form.addRow(self.error)
        box = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        box.accepted.connect(self.submit)
        box.rejected.connect(self.reject)
        form.addRow(box)

    def template(self) -> rules.Template:
        def yuan(w: QLineEdit) -> int:
            return parse_yuan(w.text(), allow_zero=True) if w.text().strip() else 0

        until = self.valid_until.text().strip()
        try:
            until_d = date.fromisoformat(until) if until else None
        except ValueError:
            raise InvalidInput("campaign.bad_field", field=tr("cv.t.valid_until"), value=until) from None
        return rules.Template(
            code=self.code.text().strip(), name=self.name.text().strip(), kind=self.kind.currentData(),
            value_fen=yuan(self.value),
            percent_bp=parse_percent_bp(self.percent.text()) if self.percent.text().strip() else 0,
            max_discount_fen=yuan(self.max_discount), min_spend_fen=yuan(self.min_spend),
            valid_days=0 if until_d else self.valid_days.value(), valid_until=until_d,
            category=self.category.text().strip(), bearer=self.bearer.isChecked(),
        )

    def submit(self) -> None:
        try:
            t = self.template()
        except DomainError as exc:
            self.error.show_error(exc)
            return
        from pos_app.ui.approval import approved_actor  # noqa: PLC0415

        actor = approved_actor(self.appctx, "coupon.manage", tr("cv.approve_template"))
        if actor is None:
            self.error.show_error(tr("approval.not_given"))
            return
        ctx = self.appctx.ctx
        self.appctx.run(lambda: coupons.add_template(ctx, actor, t), self._done, self.error.show_error)

    def _done(self, dto: Any) -> None:
        self.created = dto
        self.accept()


# ----------------------------------------------------------------------------- F8: coupons


class CouponsScreen(QWidget):
    def __init__(self, appctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.appctx = appctx
        self.member: Any = None
        self.preview: Any = None
        self.last_payment: Any = None
        self.last_issued: list[Any] = []
        self.job: PrintJob | None = None
        self.progress: QProgressDialog | None = None
        self.preview_dialog: QPrintPreviewDialog | None = None
        self.print_dialog_box: QPrintDialog | None = None
        self.last_output: str | None = None
        self.last_progress: tuple[int, int] = (0, 0)
        self.store_name = ""
        #: coupons drawn by print previews so far (the preview paints when it opens)
        self.painted = 0

        root = QVBoxLayout(self)
        top = QHBoxLayout()
        self.title = QLabel(tr("cv.all_coupons"))
        self.title.setObjectName("title")
        self.state_filter = QComboBox()
        for key in ("", "issued", "redeemed", "voided", "expired"):
            self.state_filter.addItem(tr(f"coupon.state.{key}") if key else tr("cv.filter_all"), key or None)
        self.state_filter.currentIndexChanged.connect(self.refresh)
        top.addWidget(self.title, 1)
        top.addWidget(self.state_filter)
        root.addLayout(top)

        self.model = CouponModel()
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.doubleClicked.connect(lambda ix: self.code.setText(self.model.row(ix.row()).code))
        root.addWidget(self.table, 1)

        boxes = QHBoxLayout()
        # --- redeem at payment
        rb = QGroupBox(tr("cv.redeem_box"))
        rf = QFormLayout(rb)
        self.code = QLineEdit()
        self.code.setObjectName("coupon_code")
        self.code.setProperty("scan_local", True)
        self.code.setPlaceholderText(tr("pay.coupon_hint"))
        self.amount = QLineEdit()
        self.amount.setPlaceholderText(tr("pay.amount_hint"))
        self.preview_label = QLabel()
        self.redeem_error = ErrorLabel()
        self.pay_btn = big_button(tr("cv.pay_balance"))
        self.redeem_btn = QPushButton(tr("cv.redeem_other"))
        rf.addRow(tr("pay.coupon"), self.code)
        rf.addRow(tr("pay.amount"), self.amount)
        rf.addRow(self.preview_label)
        rf.addRow(self.redeem_error)
        self.redeem_btn.setToolTip(tr("cv.redeem_other_tip"))
        rf.addRow(self.pay_btn)
        rf.addRow(self.redeem_btn)
        self.code.textChanged.connect(self.update_preview)
        self.amount.textChanged.connect(self.update_preview)
        self.code.returnPressed.connect(self.amount.setFocus)
        self.amount.returnPressed.connect(self.pay)
        self.pay_btn.clicked.connect(self.pay)
        self.redeem_btn.clicked.connect(self.redeem_other)
        boxes.addWidget(rb, 3)

        # --- manager: issue by hand, void
        mb = QGroupBox(tr("cv.manage_box"))
        mf = QFormLayout(mb)
        self.template = QComboBox()
        self.count = QSpinBox()
        self.count.setRange(1, coupons.MAX_BATCH)
        self.reason = QLineEdit()
        self.reason.setPlaceholderText(tr("cv.reason_hint"))
        self.issue_btn = QPushButton(tr("cv.issue"))
        self.void_btn = QPushButton(tr("cv.void_selected"))
        self.template_btn = QPushButton(tr("cv.new_template"))
        self.template_dialog: TemplateDialog | None = None
        self.manage_error = ErrorLabel()
        mf.addRow(tr("cv.template"), self.template)
        mf.addRow(tr("cv.count"), self.count)
        mf.addRow(tr("cv.reason"), self.reason)
        mrow = QHBoxLayout()
        mrow.addWidget(self.issue_btn)
        mrow.addWidget(self.void_btn)
        mf.addRow(mrow)
        mf.addRow(self.template_btn)
        mf.addRow(self.manage_error)
        self.template_btn.clicked.connect(self.new_template)
        self.issue_btn.clicked.connect(self.issue)
        self.void_btn.clicked.connect(self.void_selected)
        boxes.addWidget(mb, 2)

        # --- printing
        pb = QGroupBox(tr("cv.print_box"))
        pv = QVBoxLayout(pb)
        self.layout_choice = QComboBox()
        for key in pdf.LAYOUTS:
            self.layout_choice.addItem(tr(f"cv.layout.{key}"), key)
        self.layout_choice.setCurrentIndex(max(0, self.layout_choice.findData(config.coupon_layout())))
        self.preview_btn = QPushButton(tr("cv.print_preview"))
        self.print_btn = QPushButton(tr("cv.print"))
        self.pdf_btn = QPushButton(tr("cv.save_pdf"))
        self.escpos_btn = QPushButton(tr("cv.escpos"))
        self.escpos_btn.setEnabled(False)
        self.escpos_device: str | None = None
        self.print_info = QLabel()
        for w in (self.layout_choice, self.preview_btn, self.print_btn, self.pdf_btn, self.escpos_btn, self.print_info):
            pv.addWidget(w)
        self.escpos_btn.clicked.connect(lambda: self.print_escpos())
        self.preview_btn.clicked.connect(self.open_preview)
        self.print_btn.clicked.connect(self.print_dialog)
        self.pdf_btn.clicked.connect(self.ask_save_pdf)
        boxes.addWidget(pb, 1)
        root.addLayout(boxes)
        self.keys_hint = QLabel(tr("cv.keys_hint"))
        self.keys_hint.setObjectName("hint")
        self.keys_hint.setWordWrap(True)
        root.addWidget(self.keys_hint)
        self._keyboard()
        self.appctx.actor_changed.connect(lambda _a: self._apply_role())
        self._apply_role()

    #: the keys of this screen, for F1 (keys, message key); active while the screen is shown
    help_keys: tuple[tuple[str, str], ...] = (
        ("↑ / ↓, Space, Shift+↑ / ↓", "cv.help.rows"), ("Ctrl+T", "cv.help.table"), ("Enter", "cv.help.use"),
        ("Ctrl+Shift+C", "cv.help.code"), ("Ctrl+Enter", "cv.help.redeem_other"), ("Ctrl+F", "cv.help.filter"),
        ("Ctrl+M", "cv.help.template"), ("Ctrl+Shift+R", "cv.help.reason"), ("Ctrl+I", "cv.help.issue"), ("Ctrl+D", "cv.help.void"),
        ("Ctrl+Shift+T", "cv.help.new_template"), ("Ctrl+Shift+L", "cv.help.layout"),
        ("Ctrl+Shift+P", "cv.help.preview"), ("Ctrl+P", "cv.help.print"), ("Ctrl+S", "cv.help.pdf"),
        ("Ctrl+Shift+E", "cv.help.escpos"),
    )

    def _keyboard(self) -> None:
        """Everything on F8 by keyboard: window shortcuts of this screen (live only while it is shown)."""
        def focus(w: QWidget) -> Callable[[], None]:
            return lambda: w.setFocus(Qt.FocusReason.ShortcutFocusReason)

        keys: tuple[tuple[str, Callable[[], None]], ...] = (
            ("Ctrl+T", focus(self.table)), ("Ctrl+Shift+C", focus(self.code)), ("Ctrl+F", focus(self.state_filter)),
            ("Ctrl+M", focus(self.template)), ("Ctrl+Shift+R", focus(self.reason)),
            ("Ctrl+Shift+L", focus(self.layout_choice)),
            ("Ctrl+I", lambda: self._press(self.issue_btn)), ("Ctrl+D", lambda: self._press(self.void_btn)),
            ("Ctrl+Shift+T", lambda: self._press(self.template_btn)),
            ("Ctrl+Return", lambda: self._press(self.redeem_btn)), ("Ctrl+Enter", lambda: self._press(self.redeem_btn)),
            ("Ctrl+Shift+P", lambda: self._press(self.preview_btn)), ("Ctrl+P", lambda: self._press(self.print_btn)),
            ("Ctrl+S", lambda: self._press(self.pdf_btn)), ("Ctrl+Shift+E", lambda: self._press(self.escpos_btn)),
        )
        self.shortcuts = [QShortcut(QKeySequence(k), self, activated=fn) for k, fn in keys]
        for k in ("Return", "Enter"):  # Enter on a coupon row: use it at payment
            sc = QShortcut(QKeySequence(k), self.table, activated=self.use_selected)
            sc.setContext(Qt.ShortcutContext.WidgetShortcut)
            self.shortcuts.append(sc)

    def _press(self, button: QPushButton) -> None:
        """A shortcut presses its button; a disabled one says why instead of doing nothing."""
        if button.isEnabled():
            button.click()
        elif button in (self.issue_btn, self.void_btn, self.template_btn):
            self.manage_error.show_error(tr("cv.manager_only"))
        elif button is self.escpos_btn:
            self.print_info.setText(tr("cv.no_escpos"))
        else:
            self.redeem_error.show_error(tr("cv.cashier_only"))

    def use_selected(self) -> None:
        """The current coupon row goes to the code field; the amount is next."""
        ix = self.table.currentIndex()
        rows = self.selected()
        row = rows[0] if rows else (self.model.row(ix.row()) if ix.isValid() else None)
        if row is None:
            return
        self.code.setText(row.code)
        if self.amount.isEnabled():
            self.amount.setFocus(Qt.FocusReason.ShortcutFocusReason)

    # ----------------------------------------------------------------- screen protocol
    def _apply_role(self) -> None:
        role = self.appctx.actor.role if self.appctx.has_actor else ""
        # a manager's work; anyone else is asked for a manager's PIN when they press one (ui/approval.py)
        for w in (self.template, self.count, self.reason, self.issue_btn, self.void_btn, self.template_btn):
            w.setEnabled(bool(role))
        self.manage_error.show_error(tr("cv.needs_manager_pin") if role and role != "manager" else None)
        for w in (self.pay_btn, self.redeem_btn, self.code, self.amount):
            w.setEnabled(role in ("cashier", "manager"))

    def on_shown(self) -> None:
        self.refresh()
        self.load_templates()
        self.table.setFocus(Qt.FocusReason.OtherFocusReason)  # arrows pick coupons at once

    def on_changed(self, changes: Changes) -> None:
        if changes.any("coupons", "wallet", "members", "campaigns"):
            self.refresh()

    def set_member(self, member: Any) -> None:
        self.member = member
        self.title.setText(tr("cv.member_coupons", phone=member.phone) if member else tr("cv.all_coupons"))
        if self.isVisible():
            self.refresh()

    def refresh(self) -> None:
        if not self.appctx.has_actor:
            return
        ctx, actor = self.appctx.ctx, self.appctx.actor
        mid = self.member.member_id if self.member else None
        state = self.state_filter.currentData()
        self.appctx.run(lambda: (coupons.list_coupons(ctx, actor, member_id=mid, state=state), coupons.print_info(ctx)),
                        self._loaded, self.redeem_error.show_error)

    def _loaded(self, res: Any) -> None:
        rows, info = res
        self.store_name = info.store_name
        self.escpos_device = info.escpos_device
        self.escpos_btn.setEnabled(bool(info.escpos_device))
        self.model.set_rows(rows)
        if rows and not self.table.currentIndex().isValid():  # arrows move from the first row (none selected)
            self.table.selectionModel().setCurrentIndex(self.model.index(0, 0),
                                                        QItemSelectionModel.SelectionFlag.NoUpdate)

    def load_templates(self) -> None:
        if not self.appctx.has_actor:
            return
        ctx, actor = self.appctx.ctx, self.appctx.actor
        self.appctx.run(lambda: coupons.list_templates(ctx, actor), self._templates, self.manage_error.show_error)

    def _templates(self, rows: list[Any]) -> None:
        current = self.template.currentData()
        self.template.clear()
        for t in rows:
            self.template.addItem(f"{t.code}  {t.name}", t.code)
        if current:
            i = self.template.findData(current)
            if i >= 0:
                self.template.setCurrentIndex(i)

    def new_template(self) -> TemplateDialog:
        dlg = TemplateDialog(self.appctx, self)
        dlg.accepted.connect(self.load_templates)
        self.template_dialog = dlg
        dlg.open()
        return dlg

    # ----------------------------------------------------------------- redeem
    def _amount(self) -> int | None:
        text = self.amount.text().strip()
        if not text:
            return None
        return parse_yuan(text, allow_zero=True)

    def update_preview(self) -> None:
        self.preview = None
        self.preview_label.clear()
        self.redeem_error.show_error(None)
        code = self.code.text().strip()
        if not code or not self.appctx.has_actor:
            return
        try:
            amount = self._amount()
        except DomainError as exc:
            self.redeem_error.show_error(exc)
            return
        if amount is None:
            return
        ctx, actor = self.appctx.ctx, self.appctx.actor
        mid = self.member.member_id if self.member else ""

        def ok(p: Any) -> None:
            if code == self.code.text().strip():
                self.preview = p
                self.preview_label.setText(tr("cv.preview", name=p.name, discount=format_fen(p.discount_fen),
                                              payable=format_fen(p.payable_fen)))

        def fail(exc: BaseException) -> None:
            if code == self.code.text().strip():
                self.redeem_error.show_error(exc)

        self.appctx.run(lambda: coupons.preview_redemption(ctx, actor, code=code, member_id=mid, amount_fen=amount),
                        ok, fail)

    def pay(self) -> None:
        """Redeem and take the rest from the selected member's balance (one transaction)."""
        if self.member is None:
            self.redeem_error.show_error(tr("cv.need_member"))
            return
        try:
            amount = self._amount()
        except DomainError as exc:
            self.redeem_error.show_error(exc)
            return
        if amount is None:
            self.redeem_error.show_error(tr("cv.need_amount"))
            return
        ctx, actor, code, mid = self.appctx.ctx, self.appctx.actor, self.code.text().strip(), self.member.member_id
        rid = self.appctx.new_request_id()
        self.pay_btn.setEnabled(False)
        self.appctx.run(
            lambda: coupons.pay_with_coupon(ctx, actor, member_id=mid, amount_fen=amount, code=code, request_id=rid),
            self._paid, self._pay_failed,
        )

    def redeem_other(self) -> None:
        try:
            amount = self._amount()
        except DomainError as exc:
            self.redeem_error.show_error(exc)
            return
        if amount is None:
            self.redeem_error.show_error(tr("cv.need_amount"))
            return
        ctx, actor, code = self.appctx.ctx, self.appctx.actor, self.code.text().strip()
        mid = self.member.member_id if self.member else None
        rid = self.appctx.new_request_id()
        self.appctx.run(
            lambda: coupons.redeem_coupon(ctx, actor, code=code, amount_fen=amount, member_id=mid, request_id=rid),
            self._paid, self._pay_failed,
        )

    def _paid(self, res: Any) -> None:
        self.pay_btn.setEnabled(True)
        self.last_payment = res
        self.code.clear()
        self.amount.clear()
        self.preview_label.setText(tr("cv.paid", code=res.coupon_code, discount=format_fen(res.discount_fen),
                                      payable=format_fen(res.payable_fen)))
        self.refresh()

    def _pay_failed(self, exc: BaseException) -> None:
        self.pay_btn.setEnabled(True)
        self.redeem_error.show_error(exc)

    # ----------------------------------------------------------------- manage
    def issue(self) -> None:
        from pos_app.ui.approval import approved_actor  # noqa: PLC0415

        actor = approved_actor(self.appctx, "coupon.issue", tr("cv.approve_issue"))
        if actor is None:
            self.manage_error.show_error(tr("approval.not_given"))
            return
        ctx = self.appctx.ctx
        tcode, count, reason = self.template.currentData(), self.count.value(), self.reason.text()
        mid = self.member.member_id if self.member else None
        rid = self.appctx.new_request_id()
        self.manage_error.show_error(None)
        self.appctx.run(
            lambda: coupons.issue_coupons(ctx, actor, template_code=tcode, member_id=mid, count=count, reason=reason,
                                          request_id=rid),
            self._issued, self.manage_error.show_error,
        )

    def _issued(self, rows: list[Any]) -> None:
        self.last_issued = rows
        self.reason.clear()
        self.manage_error.show_error(None)
        self.print_info.setText(tr("cv.issued", count=len(rows)))
        self.refresh()

    def selected(self) -> list[Any]:
        return [self.model.row(ix.row()) for ix in self.table.selectionModel().selectedRows()]

    def void_selected(self) -> None:
        rows = self.selected()
        if not rows:
            self.manage_error.show_error(tr("cv.select_first"))
            return
        from pos_app.ui.approval import approved_actor  # noqa: PLC0415

        approver = approved_actor(self.appctx, "coupon.void", tr("cv.approve_void"))
        if approver is None:
            self.manage_error.show_error(tr("approval.not_given"))
            return
        ctx, actor, reason = self.appctx.ctx, approver, self.reason.text()
        code = rows[0].code
        rid = self.appctx.new_request_id()
        self.appctx.run(lambda: coupons.void_coupon(ctx, actor, code=code, reason=reason, request_id=rid),
                        lambda _r: (self.reason.clear(), self.refresh()), self.manage_error.show_error)

    # ----------------------------------------------------------------- printing
    def rows_to_print(self) -> list[Any]:
        return self.selected() or self.model.rows

    def open_preview(self) -> QPrintPreviewDialog:
        """A non-modal print preview of the selected (or listed) coupons. The dialog owns its printer (it
        repaints on every zoom, resize or page setup change), and is deleted when closed."""
        rows, store = self.rows_to_print(), self.store_name
        if self.preview_dialog is not None and self.preview_dialog.isVisible():
            self.preview_dialog.close()
        printer = filedialogs.new_printer()
        self._setup_printer(printer)
        dlg = filedialogs.preview_dialog(printer, self)
        dlg.paintRequested.connect(lambda p: self._paint(p, rows, store))
        dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dlg.destroyed.connect(lambda _o=None: self._preview_gone(dlg))
        self.preview_dialog = dlg
        dlg.open()
        return dlg

    def _preview_gone(self, dlg: Any) -> None:
        if self.preview_dialog is dlg:
            self.preview_dialog = None

    def _setup_printer(self, printer: QPrinter) -> None:
        qtprint.set_coupon_page(printer, self.layout_choice.currentData())

    def _per_page(self) -> tuple[int, int]:
        return qtprint.coupons_per_page(self.layout_choice.currentData())

    def _paint(self, printer: QPrinter, rows: Sequence[Any], store: str) -> int:
        cols, per = self._per_page()
        painter = QPainter(printer)
        try:
            n = qtprint.paint_coupons(painter, printer, rows, store, cols=cols, per_page=per)
        finally:
            painter.end()
        self.painted += n
        return n

    def print_dialog(self) -> None:
        printer = filedialogs.new_printer()
        self._setup_printer(printer)
        dlg = filedialogs.print_dialog(printer, self)
        self.print_dialog_box = dlg
        if dlg.exec() == QDialog.DialogCode.Accepted:
            if not printer.isValid():
                self.manage_error.show_error(tr("print.failed"))
                return
            self.print_to(printer)

    def print_to(self, printer: QPrinter, rows: Sequence[Any] | None = None) -> PrintJob:
        """Print on the print thread with a progress dialog; the window keeps working."""
        rows = list(rows if rows is not None else self.rows_to_print())
        store = self.store_name
        cols, per = self._per_page()

        def work(progress: Callable[[int, int], None], cancelled: Callable[[], bool]) -> int:
            painter = QPainter(printer)
            try:
                return qtprint.paint_coupons(painter, printer, rows, store, cols=cols, per_page=per, progress=progress,
                                     cancelled=cancelled)
            finally:
                painter.end()

        job = self._start_job(work, len(rows))
        job.printer = printer  # type: ignore[attr-defined]  # keep it alive while the thread paints
        return job

    def ask_save_pdf(self) -> None:
        path = filedialogs.save_file(self, tr("cv.save_pdf_title"), "coupons.pdf", "PDF (*.pdf)")
        if path:
            self.save_pdf(path)

    def save_pdf(self, path: str, rows: Sequence[Any] | None = None) -> PrintJob | None:
        """The reportlab PDF (A4 sheet or slips) written on the print thread; says where it went, or, for a
        path that cannot be written, why (None: nothing started)."""
        rows = list(rows if rows is not None else self.rows_to_print())
        store, layout = self.store_name, self.layout_choice.currentData()
        self.manage_error.show_error(None)
        try:
            filedialogs.check_output(path)
        except DomainError as exc:
            self.manage_error.show_error(exc)
            return None

        def work(progress: Callable[[int, int], None], cancelled: Callable[[], bool]) -> int:
            return filedialogs.writing(
                path, lambda: pdf.coupons_pdf(rows, store, Path(path), layout=layout, progress=progress))

        self.last_output = path
        return self._start_job(work, len(rows), saved_to=path)

    def print_escpos(self, rows: Sequence[Any] | None = None) -> PrintJob | None:
        """Straight to the receipt printer configured in the store settings (``escpos_device``)."""
        device = self.escpos_device
        if not device:
            return None
        rows = list(rows if rows is not None else self.rows_to_print())
        store = self.store_name
        width = 80 if self.layout_choice.currentData() == "80mm" else 58

        def work(progress: Callable[[int, int], None], cancelled: Callable[[], bool]) -> int:
            from pos_app.printing import escpos  # noqa: PLC0415

            printer = escpos.open_printer(device)
            try:
                for i, c in enumerate(rows):
                    if cancelled():
                        return i
                    escpos.print_coupons(printer, [c], store, width_mm=width)
                    progress(i + 1, len(rows))
            finally:
                printer.close()
            return len(rows)

        return self._start_job(work, len(rows))

    def _start_job(self, work: Any, total: int, *, saved_to: str | None = None) -> PrintJob:
        job = PrintJob(work, self)
        prog = QProgressDialog(tr("cv.printing", count=total), tr("cv.cancel"), 0, max(1, total), self)
        prog.setWindowModality(Qt.WindowModality.WindowModal)
        prog.setMinimumDuration(300)
        prog.setAutoClose(False)
        prog.canceled.connect(job.cancel)
        job.progressed.connect(lambda d, t: self._progressed(prog, d, t))
        job.succeeded.connect(lambda n: self._job_done(prog, total if saved_to else n, saved_to))
        job.failed.connect(lambda exc: self._job_failed(prog, exc))
        self.job, self.progress = job, prog
        job.start()
        return job

    def _progressed(self, prog: QProgressDialog, done: int, total: int) -> None:
        self.last_progress = (done, total)
        prog.setValue(done)

    def _job_done(self, prog: QProgressDialog, n: Any, saved_to: str | None = None) -> None:
        prog.setValue(prog.maximum())
        prog.close()
        self.print_info.setText(tr("cv.saved", count=n, path=saved_to) if saved_to else tr("cv.printed", count=n))

    def _job_failed(self, prog: QProgressDialog, exc: BaseException) -> None:
        prog.close()
        if isinstance(exc, DomainError):
            self.manage_error.show_error(exc)
        elif isinstance(exc, OSError):  # the receipt printer (ESC/POS) or a file: a translated line
            self.manage_error.show_error(tr("cv.print_failed", detail=exc.strerror or str(exc)))
        else:
            self.manage_error.show_error(tr("cv.print_failed", detail=str(exc)))


# ----------------------------------------------------------------------------- F9: invites


class InvitesScreen(QWidget):
    def __init__(self, appctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.appctx = appctx
        self.member: Any = None
        self.last_card: Any = None
        self.last_issue: Any = None
        root = QVBoxLayout(self)
        head = QHBoxLayout()
        head.addWidget(QLabel(tr("cv.leaderboard")), 1)
        self.campaign = QComboBox()
        self.campaign.addItem(tr("cv.current_campaign"), None)
        self.campaign.currentIndexChanged.connect(lambda _i: self.refresh())
        head.addWidget(self.campaign)
        self.issue_due_btn = QPushButton(tr("cv.issue_due"))
        self.issue_due_btn.setObjectName("issue_due")
        self.issue_due_btn.clicked.connect(self.issue_due)
        head.addWidget(self.issue_due_btn)
        root.addLayout(head)
        body = QHBoxLayout()
        self.leader_model = LeaderModel()
        self.leader = QTableView()
        self.leader.setModel(self.leader_model)
        self.leader.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        body.addWidget(self.leader, 2)
        right = QVBoxLayout()
        self.card_title = QLabel(tr("cv.no_member"))
        self.card_image = QLabel()
        self.card_image.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.card_image.setMinimumSize(220, 320)
        self.card_btn = QPushButton(tr("cv.save_card"))
        self.card_btn.clicked.connect(self.ask_save_card)
        right.addWidget(self.card_title)
        right.addWidget(self.card_image, 1)
        right.addWidget(self.card_btn)
        body.addLayout(right, 1)
        root.addLayout(body, 1)
        root.addWidget(QLabel(tr("cv.rewards")))
        self.reward_model = RewardModel()
        self.rewards = QTableView()
        self.rewards.setModel(self.reward_model)
        self.rewards.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        root.addWidget(self.rewards, 1)
        self.info = QLabel()
        self.error = ErrorLabel()
        root.addWidget(self.info)
        root.addWidget(self.error)
        self.shortcuts = [
            QShortcut(QKeySequence(k), self, activated=fn) for k, fn in (
                ("Ctrl+S", self.card_btn.click), ("Ctrl+I", self.issue_due_btn.click),
                ("Ctrl+T", lambda: self.leader.setFocus(Qt.FocusReason.ShortcutFocusReason)),
                ("Ctrl+Shift+R", lambda: self.rewards.setFocus(Qt.FocusReason.ShortcutFocusReason)),
                ("Ctrl+F", lambda: self.campaign.setFocus(Qt.FocusReason.ShortcutFocusReason)),
            )
        ]

    #: the keys of this screen, for F1 (keys, message key)
    help_keys: tuple[tuple[str, str], ...] = (
        ("Ctrl+T", "cv.help.leaderboard"), ("Ctrl+Shift+R", "cv.help.rewards"), ("Ctrl+F", "cv.help.campaign"),
        ("Ctrl+I", "cv.help.issue_due"), ("Ctrl+S", "cv.help.card"),
    )

    def on_shown(self) -> None:
        self.refresh()

    def on_changed(self, changes: Changes) -> None:
        if changes.any("coupons", "wallet", "members", "gifts"):
            self.refresh()

    def set_member(self, member: Any) -> None:
        self.member = member
        if self.isVisible():
            self.refresh()

    def refresh(self) -> None:
        if not self.appctx.has_actor:
            return
        ctx, actor = self.appctx.ctx, self.appctx.actor
        mid = self.member.member_id if self.member else None
        code = self.campaign.currentData()

        def load() -> tuple[Any, Any, Any, Any]:
            from pos_app.services import campaigns  # noqa: PLC0415

            card = referrals.invite_card(ctx, actor, member_id=mid) if mid else None
            return (referrals.leaderboard(ctx, actor, campaign_code=code),
                    referrals.pending_rewards(ctx, actor, member_id=mid), card, campaigns.list_campaigns(ctx, actor))

        self.appctx.run(load, self._loaded, self.error.show_error)

    def _loaded(self, res: Any) -> None:
        board, rewards, info, camps = res
        known = {self.campaign.itemData(i) for i in range(self.campaign.count())}
        self.campaign.blockSignals(True)
        for c in camps:
            if c.code not in known:
                self.campaign.addItem(f"{c.code}  {c.name}", c.code)
        self.campaign.blockSignals(False)
        self.leader_model.set_rows(board)
        self.reward_model.set_rows(rewards)
        self.last_card = info
        self.card_btn.setEnabled(info is not None)
        if info is None:
            self.card_title.setText(tr("cv.no_member"))
            self.card_image.clear()
            return
        self.card_title.setText(tr("cv.card_for", phone=info.phone, code=info.invite_code))
        qimg = qtprint.qimage(card_png.invite_card_image(info).convert("RGBA"))
        self.card_image.setPixmap(QPixmap.fromImage(qimg).scaledToHeight(320, Qt.TransformationMode.SmoothTransformation))

    def issue_due(self) -> None:
        ctx, actor = self.appctx.ctx, self.appctx.actor
        rid = self.appctx.new_request_id()
        self.appctx.run(lambda: referrals.issue_due(ctx, actor, request_id=rid), self._issued, self.error.show_error)

    def _issued(self, res: Any) -> None:
        self.last_issue = res
        self.info.setText(tr("invite.issued_due", count=res.issued))
        self.refresh()

    def ask_save_card(self) -> None:
        if self.last_card is None:
            self.error.show_error(tr("cv.no_member"))
            return
        path = filedialogs.save_file(self, tr("cv.save_card_title"), "invite.png", "PNG (*.png);;PDF (*.pdf)")
        if path:
            self.save_card(path)

    def save_card(self, path: str) -> bool:
        """The invite card as PNG or PDF; a path that cannot be written gets a translated message."""
        info = self.last_card
        if info is None:
            return False
        self.error.show_error(None)
        try:
            filedialogs.check_output(path)
            if path.lower().endswith(".pdf"):
                filedialogs.writing(path, lambda: pdf.invite_card_pdf(info, path))
            else:
                filedialogs.writing(path, lambda: card_png.invite_card_png(info, path))
        except DomainError as exc:
            self.error.show_error(exc)
            return False
        self.info.setText(tr("invite.card_done", out=path, code=info.invite_code))
        return True


register_screen(ScreenSpec("coupons", "screen.coupons", "F8", CouponsScreen, frozenset({"cashier", "staff", "manager"}), 70))
register_screen(ScreenSpec("invites", "screen.invites", "F9", InvitesScreen, frozenset({"cashier", "staff", "manager"}), 75))
