"""Pay from balance (F4): amount, optional coupon (typed, scanned, or picked from the member's own usable
coupons: Ctrl+K or ↓ from the coupon field, ↑/↓, Enter), the principal/bonus split and the balance after;
more than the balance is refused with the message next to the amount."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from pos_app.domain.errors import DomainError, InvalidInput
from pos_app.domain.money import format_fen, parse_yuan
from pos_app.domain.textparams import Money
from pos_app.ui.appctx import AppContext
from pos_app.ui.common import ErrorLabel, tr
from pos_app.ui.screens import ScreenSpec, register_screen

PREVIEW_DELAY_MS = 150


def coupons_service() -> Any:
    """The coupon module's services when installed (pay_with_coupon, preview_redemption)."""
    try:
        from pos_app.services import coupons  # noqa: PLC0415
    except ImportError:
        return None
    if not hasattr(coupons, "pay_with_coupon") or not hasattr(coupons, "preview_redemption"):
        return None
    return coupons


def coupon_choice_text(c: Any) -> str:
    """One line of the coupon picker: code (grouped, as printed), name, value, minimum spend, last day."""
    if c.kind == "percent_off" and c.percent_bp:
        value = tr("pay.coupon_percent", percent=f"{c.percent_bp / 100:g}")
    else:
        value = tr("pay.coupon_value", value=format_fen(c.value_fen))
    text = f"{c.code}  {c.name}  {value}"
    if c.min_spend_fen:
        text += "  " + tr("pay.coupon_min", min=format_fen(c.min_spend_fen))
    return text + "  " + tr("pay.coupon_until", date=c.valid_until.isoformat())


class PayScreen(QWidget):
    handles_changes = True

    def __init__(self, appctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.appctx = appctx
        self.in_flight = False
        self.request_id = appctx.new_request_id()
        self.preview: Any = None
        self.coupon_preview: Any = None
        self.last_result: Any = None
        self._member_id: str | None = "-"
        root = QHBoxLayout(self)
        left = QVBoxLayout()
        self.member_label = QLabel("")
        self.member_label.setObjectName("title")
        self.member_label.setWordWrap(True)
        left.addWidget(self.member_label)
        form = QFormLayout()
        self.amount = QLineEdit()
        self.amount.setObjectName("pay_amount")
        self.amount.setPlaceholderText(tr("pay.amount_hint"))
        self.amount_error = ErrorLabel()
        self.amount_error.setObjectName("error")
        self.coupon = QLineEdit()
        self.coupon.setObjectName("coupon_code")
        self.coupon.setPlaceholderText(tr("pay.coupon_hint"))
        self.coupon.setProperty("scan_local", True)
        self.coupon_error = ErrorLabel()
        #: the member's own coupons usable on this bill (pick: Ctrl+K or ↓, then ↑/↓ and Enter)
        self.my_coupons = QListWidget()
        self.my_coupons.setObjectName("my_coupons")
        self.my_coupons.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.my_coupons.setMaximumHeight(130)
        self.my_coupons.setWordWrap(True)  # a long line wraps rather than scrolling sideways
        self.my_coupons.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.my_coupons.itemActivated.connect(self.pick_coupon_item)
        self.my_coupons_label = QLabel(tr("pay.my_coupons"))
        self.my_coupons_label.setBuddy(self.my_coupons)
        self.my_coupons_empty = QLabel("")
        self.my_coupons_empty.setObjectName("hint")
        self.usable: list[Any] = []
        self.note = QLineEdit()
        self.note.setObjectName("pay_note")
        self.note.setPlaceholderText(tr("pay.note_hint"))
        form.addRow(tr("pay.amount"), self.amount)
        form.addRow("", self.amount_error)
        form.addRow(tr("pay.coupon"), self.coupon)
        form.addRow("", self.coupon_error)
        form.addRow(self.my_coupons_label, self.my_coupons)
        form.addRow("", self.my_coupons_empty)
        form.addRow(tr("pay.note"), self.note)
        left.addLayout(form)
        hint = QLabel(tr("pay.keys_hint"))
        hint.setObjectName("hint")
        hint.setWordWrap(True)
        left.addWidget(hint)
        left.addStretch(1)
        root.addLayout(left, 3)
        right = QVBoxLayout()
        frame = QFrame()
        frame.setObjectName("preview")
        fl = QVBoxLayout(frame)
        t = QLabel(tr("pay.preview"))
        t.setObjectName("title")
        fl.addWidget(t)
        self.preview_label = QLabel(tr("pay.preview_empty"))
        self.preview_label.setObjectName("pay_preview")
        self.preview_label.setTextFormat(Qt.TextFormat.RichText)
        self.preview_label.setWordWrap(True)
        self.preview_label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        fl.addWidget(self.preview_label, 1)
        right.addWidget(frame, 1)
        self.error = ErrorLabel()
        right.addWidget(self.error)
        self.result_label = QLabel("")
        self.result_label.setObjectName("pay_result")
        self.result_label.setWordWrap(True)
        right.addWidget(self.result_label)
        self.confirm_btn = QPushButton(tr("pay.confirm"))
        self.confirm_btn.setObjectName("primary")
        self.confirm_btn.clicked.connect(self.confirm)
        right.addWidget(self.confirm_btn)
        root.addLayout(right, 2)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(PREVIEW_DELAY_MS)
        self.timer.timeout.connect(self.run_preview)
        for w in (self.amount, self.coupon):
            w.textEdited.connect(lambda _t: self._edited())
        self.amount.returnPressed.connect(self.confirm)
        self.coupon.returnPressed.connect(self._coupon_enter)
        self.note.returnPressed.connect(self.confirm)
        self.coupon.installEventFilter(self)
        QShortcut(QKeySequence("Ctrl+K"), self, activated=self.focus_coupon_picker,
                  context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.set_member(appctx.member)

    def on_shown(self) -> None:
        self.timer.start()  # the member's coupons may have changed elsewhere
        self.amount.setFocus()
        self.amount.selectAll()

    def set_member(self, member: Any) -> None:
        if member is None:
            self.member_label.setText(tr("ui.select_member_first"))
        else:
            self.member_label.setText(tr("pay.for_member", phone=member.phone, name=member.name or "", balance=Money(member.balance_fen),
                                         principal=Money(member.principal_fen), bonus=Money(member.bonus_fen)))
        mid = member.member_id if member is not None else None
        if mid != self._member_id:
            self._member_id = mid
            self._edited()

    def eventFilter(self, obj: QObject, ev: QEvent) -> bool:  # noqa: N802
        # ↓ in the coupon field goes down into the member's coupons
        if obj is self.coupon and ev.type() == QEvent.Type.KeyPress and isinstance(ev, QKeyEvent) \
                and ev.key() == Qt.Key.Key_Down and self.my_coupons.count():
            self.focus_coupon_picker()
            return True
        return super().eventFilter(obj, ev)

    # ------------------------------------------------------------------ the member's coupons
    def load_coupons(self, amount_fen: int | None) -> None:
        """The member's coupons usable now on a bill of ``amount_fen`` (any amount when None)."""
        member = self.appctx.member
        coupons = coupons_service()
        if member is None or not self.appctx.has_actor or coupons is None or not hasattr(coupons, "usable_coupons"):
            self.appctx.worker.cancel("pay-coupons")
            self._show_coupons([])
            return
        ctx, actor, mid = self.appctx.ctx, self.appctx.actor, member.member_id
        self.appctx.run(lambda: coupons.usable_coupons(ctx, actor, member_id=mid, amount_fen=amount_fen),
                        self._show_coupons, lambda _e: self._show_coupons([]), key="pay-coupons")

    def _show_coupons(self, rows: list[Any]) -> None:
        self.usable = list(rows)
        picked = self.coupon.text().strip().upper()
        self.my_coupons.clear()
        for c in rows:
            it = QListWidgetItem(coupon_choice_text(c))
            it.setData(Qt.ItemDataRole.UserRole, c.code)
            self.my_coupons.addItem(it)
            if picked and picked in (c.code, c.raw_code):
                self.my_coupons.setCurrentItem(it)
        member = self.appctx.member
        self.my_coupons_empty.setText(tr("pay.my_coupons_none") if member is not None and not rows else "")
        self.my_coupons_empty.setVisible(bool(self.my_coupons_empty.text()))

    def focus_coupon_picker(self) -> None:
        """Ctrl+K: into the member's coupons (the first one current)."""
        if not self.my_coupons.count():
            return
        self.my_coupons.setFocus()
        if self.my_coupons.currentRow() < 0:
            self.my_coupons.setCurrentRow(0)

    def pick_coupon_item(self, item: QListWidgetItem) -> None:
        """Enter on a coupon: its code goes into the coupon field (the typed code's path from there on),
        the preview shows what it takes off, and the focus returns to the amount (Enter pays)."""
        code = item.data(Qt.ItemDataRole.UserRole)
        if not code:
            return
        self.coupon.setText(str(code))
        self._edited()
        self.timer.stop()
        self.run_preview()
        self.amount.setFocus()

    def keyPressEvent(self, ev: QKeyEvent) -> None:  # noqa: N802
        if ev.key() == Qt.Key.Key_Escape:
            self.clear()
            return
        super().keyPressEvent(ev)

    def clear(self) -> None:
        self.amount.clear()
        self.coupon.clear()
        self.note.clear()
        self._edited()
        self.amount.setFocus()

    def _coupon_enter(self) -> None:
        # a scanned coupon ends with Enter: preview it, confirm only on the next Enter
        if self.coupon_preview is not None and self.coupon_preview.code and self.coupon.text().strip():
            self.confirm()
        else:
            self.timer.stop()
            self.run_preview()

    def _edited(self) -> None:
        if not self.in_flight:
            self.request_id = self.appctx.new_request_id()
        self.error.show_error(None)
        self.result_label.setText("")
        self.timer.start()

    def _amount_fen(self) -> int:
        text = self.amount.text().strip()
        if not text:
            raise InvalidInput("money.missing", field="amount")
        return parse_yuan(text)

    # ------------------------------------------------------------------ preview
    def run_preview(self) -> None:
        member = self.appctx.member
        self.preview = None
        self.coupon_preview = None
        if member is None or not self.amount.text().strip() or not self.appctx.has_actor:
            self.amount_error.show_error(None)
            self.coupon_error.show_error(None)
            self.preview_label.setText(tr("pay.preview_empty"))
            self.appctx.worker.cancel("pay-preview")
            self.load_coupons(None)
            return
        try:
            amount = self._amount_fen()
        except DomainError as exc:
            self.amount_error.show_error(exc)
            self.preview_label.setText(tr("pay.preview_empty"))
            self.load_coupons(None)
            return
        self.load_coupons(amount)
        self.amount_error.show_error(None)
        self.coupon_error.show_error(None)
        code = self.coupon.text().strip()
        ctx, actor, mid = self.appctx.ctx, self.appctx.actor, member.member_id
        coupons = coupons_service() if code else None
        if code and coupons is None:
            self.coupon_error.show_error(tr("pay.no_coupon_module"))
            return

        def work() -> tuple[Any, Any, BaseException | None]:
            from pos_app.services.counter import preview_spend  # noqa: PLC0415

            cp = None
            cerr: BaseException | None = None
            payable = amount
            if coupons is not None:
                try:
                    cp = coupons.preview_redemption(ctx, actor, code=code, member_id=mid, amount_fen=amount)
                    payable = cp.payable_fen
                except DomainError as exc:
                    cerr = exc
            sp = preview_spend(ctx, actor, member_id=mid, amount_fen=payable) if payable > 0 else None
            return cp, sp, cerr

        self.appctx.run(work, self._show_preview, self._preview_failed, key="pay-preview")

    def _preview_failed(self, exc: BaseException) -> None:
        self.preview_label.setText(tr("pay.preview_empty"))
        self.amount_error.show_error(exc)

    def _show_preview(self, res: tuple[Any, Any, BaseException | None]) -> None:
        cp, sp, cerr = res
        self.coupon_preview = cp
        self.preview = sp
        lines = []
        if cerr is not None:
            self.coupon_error.show_error(cerr)
        if cp is not None:
            lines.append(tr("pay.coupon_line", name=cp.name, amount=Money(cp.discount_fen)))
            lines.append(tr("pay.payable", amount=Money(cp.payable_fen)))
        if sp is not None:
            lines += [
                tr("pay.from_balance", amount=Money(sp.amount_fen)),
                tr("pay.split", principal=Money(sp.principal_fen), bonus=Money(sp.bonus_fen)),
                "<b>" + tr("pay.balance_after", amount=Money(sp.balance_after_fen)) + "</b>",
                tr("pay.split_after", principal=Money(sp.principal_after_fen), bonus=Money(sp.bonus_after_fen)),
            ]
        self.preview_label.setText("<br>".join(lines) if lines else tr("pay.preview_empty"))

    # ------------------------------------------------------------------ confirm
    def confirm(self) -> None:
        if self.in_flight:
            return
        member = self.appctx.member
        if member is None:
            self.error.show_error(tr("ui.select_member_first"))
            return
        try:
            amount = self._amount_fen()
        except DomainError as exc:
            self.amount_error.show_error(exc)
            self.amount.setFocus()
            return
        code = self.coupon.text().strip()
        coupons = coupons_service() if code else None
        if code and coupons is None:
            self.coupon_error.show_error(tr("pay.no_coupon_module"))
            return
        from pos_app.services import wallet  # noqa: PLC0415

        ctx, actor, rid, mid = self.appctx.ctx, self.appctx.actor, self.request_id, member.member_id
        note = self.note.text().strip() or None
        if coupons is not None:
            def fn() -> Any:
                return coupons.pay_with_coupon(ctx, actor, member_id=mid, amount_fen=amount, code=code, request_id=rid)
        else:
            def fn() -> Any:
                return wallet.spend(ctx, actor, amount_fen=amount, member_id=mid, request_id=rid, note=note)
        self.in_flight = True
        self.confirm_btn.setEnabled(False)
        self.appctx.run(fn, self._done, self._failed)

    def _done(self, result: Any) -> None:
        self.in_flight = False
        self.confirm_btn.setEnabled(True)
        self.last_result = result
        spend = getattr(result, "spend", result)
        parts = []
        if hasattr(result, "coupon_code"):
            parts.append(tr("pay.coupon_used", code=result.coupon_code, amount=Money(result.discount_fen)))
        if spend is not None:
            parts.append(tr("pay.done", amount=Money(spend.amount_fen), principal=Money(spend.principal_fen), bonus=Money(spend.bonus_fen),
                            balance=Money(spend.balance_fen)))
        self.amount.clear()
        self.coupon.clear()
        self.note.clear()
        self.request_id = self.appctx.new_request_id()
        self.preview_label.setText(tr("pay.preview_empty"))
        self.result_label.setText("\n".join(parts))
        self.load_coupons(None)  # a coupon just used leaves the list
        self.amount.setFocus()

    def _failed(self, exc: BaseException) -> None:
        self.in_flight = False
        self.confirm_btn.setEnabled(True)
        key = getattr(exc, "key", "")
        if key.startswith("coupon."):
            self.coupon_error.show_error(exc)
        elif key.startswith("money.") or key == "wallet.insufficient":
            self.amount_error.show_error(exc)
            self.amount.setFocus()
        else:
            self.error.show_error(exc)


register_screen(ScreenSpec("pay", "screen.pay", "F4", PayScreen, frozenset({"cashier", "manager"}), 30))
