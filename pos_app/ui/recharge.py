"""Recharge (F3): the active campaign's tiers as big buttons (keys 1..9), a custom amount, the payment
method, a live preview of what the member receives, and Enter to confirm. A confirmation carries one
request id, reused if it is sent again, and the button is disabled while it is in flight: a double
Enter never recharges twice."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QFormLayout,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from pos_app.domain.errors import DomainError, InvalidInput
from pos_app.domain.money import parse_yuan
from pos_app.domain.textparams import Money
from pos_app.services.changes import Changes
from pos_app.ui.appctx import AppContext
from pos_app.ui.common import ErrorLabel, clear_layout, money, tr
from pos_app.ui.screens import ScreenSpec, register_screen

PREVIEW_DELAY_MS = 150


def tier_text(index: int, tier: Any) -> str:
    parts = [tr("recharge.tier_pay_bonus", pay=Money(tier.pay_fen), bonus=Money(tier.bonus_fen))]
    extras = []
    for it in tier.items:
        extras.append(f"{it['name']}×{it['quantity']}")
    if tier.member_price_months:
        extras.append(tr("recharge.member_price_months", n=tier.member_price_months))
    text = f"{index}  {tier.name}\n" + parts[0]
    for e in extras[:4]:
        text += "\n· " + e
    if len(extras) > 4:
        text += "\n· …"
    return text


class RechargeScreen(QWidget):
    handles_changes = True

    def __init__(self, appctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        from pos_app.services.common import PAY_METHODS  # noqa: PLC0415

        self.appctx = appctx
        self.campaign: Any = None
        self.tiers: list[Any] = []
        self.tier_buttons: list[QPushButton] = []
        self.stock: dict[str, Any] = {}
        self.selected_tier: str | None = None
        self.preview: Any = None
        self.in_flight = False
        self.request_id = appctx.new_request_id()
        self.last_result: Any = None
        self.receipt: Any = None
        self.confirm_count = 0
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        root = QHBoxLayout(self)
        left = QVBoxLayout()
        self.member_label = QLabel("")
        self.member_label.setObjectName("title")
        left.addWidget(self.member_label)
        self.campaign_label = QLabel("")
        self.campaign_label.setObjectName("hint")
        self.campaign_label.setWordWrap(True)
        left.addWidget(self.campaign_label)
        self.tier_grid = QGridLayout()
        self.tier_group = QButtonGroup(self)
        self.tier_group.setExclusive(True)
        left.addLayout(self.tier_grid)
        form = QFormLayout()
        self.amount = QLineEdit()
        self.amount.setObjectName("amount")
        self.amount.setPlaceholderText(tr("recharge.amount_hint"))
        self.amount_error = ErrorLabel()
        self.pay = QComboBox()
        self.pay.setObjectName("pay_method")
        for p in PAY_METHODS:
            self.pay.addItem(tr(f"pay.{p}"), p)
        form.addRow(tr("recharge.custom_amount"), self.amount)
        form.addRow("", self.amount_error)
        form.addRow(tr("recharge.pay_method"), self.pay)
        left.addLayout(form)
        self.keys = QLabel(tr("recharge.keys_hint"))
        self.keys.setObjectName("hint")
        self.keys.setWordWrap(True)
        left.addWidget(self.keys)
        left.addStretch(1)
        root.addLayout(left, 3)
        right = QVBoxLayout()
        self.preview_frame = QFrame()
        self.preview_frame.setObjectName("preview")
        self.preview_frame.setMinimumWidth(400)
        pl = QVBoxLayout(self.preview_frame)
        ptitle = QLabel(tr("recharge.preview"))
        ptitle.setObjectName("title")
        pl.addWidget(ptitle)
        self.preview_label = QLabel(tr("recharge.preview_empty"))
        self.preview_label.setObjectName("preview_text")
        self.preview_label.setWordWrap(True)
        self.preview_label.setTextFormat(Qt.TextFormat.RichText)
        self.preview_label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        pl.addWidget(self.preview_label, 1)
        self.cap_warning = QLabel("")
        self.cap_warning.setObjectName("warn")
        self.cap_warning.setWordWrap(True)
        self.cap_warning.hide()
        pl.addWidget(self.cap_warning)
        right.addWidget(self.preview_frame, 1)
        self.error = ErrorLabel()
        right.addWidget(self.error)
        self.confirm_btn = QPushButton(tr("recharge.confirm"))
        self.confirm_btn.setObjectName("primary")
        self.confirm_btn.clicked.connect(self.confirm)
        right.addWidget(self.confirm_btn)
        root.addLayout(right, 2)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(PREVIEW_DELAY_MS)
        self.timer.timeout.connect(self.run_preview)
        self.amount.textEdited.connect(self._amount_edited)
        self.amount.returnPressed.connect(self.confirm)
        self.pay.currentIndexChanged.connect(lambda _i: self._selection_changed())
        appctx.changed.connect(self._changed)
        self.set_member(appctx.member)

    # ------------------------------------------------------------------ data
    def on_shown(self) -> None:
        self.load_campaign()
        self.setFocus()

    def set_member(self, member: Any) -> None:
        if member is None:
            self.member_label.setText(tr("ui.select_member_first"))
        else:
            self.member_label.setText(tr("recharge.for_member", phone=member.phone, name=member.name or "", balance=Money(member.balance_fen)))
        self._selection_changed()

    def _changed(self, changes: Changes) -> None:
        if changes.any("campaigns", "stock", "gifts"):
            self.load_campaign()

    def load_campaign(self) -> None:
        if not self.appctx.has_actor:
            return
        from pos_app.services import campaigns  # noqa: PLC0415

        ctx, actor = self.appctx.ctx, self.appctx.actor
        self.appctx.run(lambda: campaigns.get_active_campaign(ctx, actor), self._campaign_loaded, self.error.show_error, key="campaign")

    def _campaign_loaded(self, c: Any) -> None:
        self.campaign = c
        self.tiers = list(c.tiers) if c else []
        if c is None:
            self.campaign_label.setText(tr("recharge.no_campaign"))
        else:
            self.campaign_label.setText(tr("recharge.campaign", name=c.name, ends=c.ends_on.isoformat()))
        self._build_tier_buttons()
        self._load_stock()

    def _build_tier_buttons(self) -> None:
        for b in self.tier_buttons:
            self.tier_group.removeButton(b)
        clear_layout(self.tier_grid)
        self.tier_buttons = []
        for i, t in enumerate(self.tiers[:9]):
            b = QPushButton(tier_text(i + 1, t))
            b.setObjectName("tier")
            b.setCheckable(True)
            b.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
            b.setMinimumHeight(150)
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            b.clicked.connect(lambda _=False, i=i: self.pick_tier(i))
            self.tier_group.addButton(b, i)
            self.tier_grid.addWidget(b, i // 3, i % 3)
            self.tier_buttons.append(b)
            if t.code == self.selected_tier:
                b.setChecked(True)
        if self.selected_tier and self.selected_tier not in {t.code for t in self.tiers}:
            self.selected_tier = None
        self._apply_stock()

    def _load_stock(self) -> None:
        """Gift stock of the tiers' gifts, from the gift module when it is installed."""
        skus = sorted({it["ref"] for t in self.tiers for it in t.items if it.get("kind") == "gift"})
        if not skus or not self.appctx.has_actor:  # the campaign may arrive after a user switch or lock
            return
        try:
            from pos_app.services import gifts  # noqa: PLC0415
        except ImportError:
            return
        fn = getattr(gifts, "stock_levels", None)
        if fn is None:
            return
        ctx, actor = self.appctx.ctx, self.appctx.actor

        def ok(levels: Any) -> None:
            self.stock = {lv.sku: lv for lv in levels}
            self._apply_stock()

        self.appctx.run(lambda: fn(ctx, actor, skus), ok, lambda _e: None, key="tier-stock")

    def tier_stock_note(self, tier: Any) -> str | None:
        short = []
        for it in tier.items:
            if it.get("kind") != "gift":
                continue
            lv = self.stock.get(it["ref"])
            if lv is not None and lv.available < int(it.get("quantity", 1)):
                short.append(it["name"])
        return tr("recharge.gift_short", names="、".join(short)) if short else None

    def _apply_stock(self) -> None:
        for i, b in enumerate(self.tier_buttons):
            t = self.tiers[i]
            note = self.tier_stock_note(t)
            b.setText(tier_text(i + 1, t) + (f"\n⚠ {note}" if note else ""))

    # ------------------------------------------------------------------ selection
    def keyPressEvent(self, ev: QKeyEvent) -> None:  # noqa: N802
        key = ev.key()
        if Qt.Key.Key_1 <= key <= Qt.Key.Key_9 and not ev.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self.pick_tier(key - Qt.Key.Key_1)
            return
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.confirm()
            return
        if key == Qt.Key.Key_Escape:
            self.clear_selection()
            return
        super().keyPressEvent(ev)

    def pick_tier(self, i: int) -> None:
        if not 0 <= i < len(self.tier_buttons):
            return
        self.selected_tier = self.tiers[i].code
        self.tier_buttons[i].setChecked(True)
        self.amount.clear()
        self.amount_error.show_error(None)
        self._selection_changed()
        self.setFocus()

    def _uncheck_tiers(self) -> None:
        self.tier_group.setExclusive(False)
        for b in self.tier_buttons:
            b.setChecked(False)
        self.tier_group.setExclusive(True)

    def _amount_edited(self, _text: str) -> None:
        if self.selected_tier is not None:
            self.selected_tier = None
            self._uncheck_tiers()
        self._selection_changed()

    def clear_selection(self) -> None:
        self.amount.clear()
        self._amount_edited("")
        self.selected_tier = None
        self.setFocus()

    def _selection_changed(self) -> None:
        """A new choice is a new confirmation: a new request id."""
        if not self.in_flight:
            self.request_id = self.appctx.new_request_id()
        self.error.show_error(None)
        self.timer.start()

    def _amount_fen(self) -> int | None:
        """The custom amount in fen, None when a tier is chosen; raises InvalidInput on a bad amount."""
        text = self.amount.text().strip()
        if self.selected_tier is not None and not text:
            return None
        if not text:
            raise InvalidInput("money.missing", field="amount")
        return parse_yuan(text)

    # ------------------------------------------------------------------ preview
    def run_preview(self) -> None:
        member = self.appctx.member
        if not self.appctx.has_actor or (self.selected_tier is None and not self.amount.text().strip()):
            self.preview = None
            self.preview_label.setText(tr("recharge.preview_empty"))
            self.cap_warning.hide()
            self.appctx.worker.cancel("preview")
            return
        try:
            amount = self._amount_fen()
        except DomainError as exc:
            self.amount_error.show_error(exc)
            self.preview = None
            self.preview_label.setText(tr("recharge.preview_empty"))
            self.cap_warning.hide()
            return
        self.amount_error.show_error(None)
        tier = self.selected_tier
        if amount is None:
            t = next(t for t in self.tiers if t.code == tier)
            amount = t.pay_fen
        from pos_app.services import campaigns  # noqa: PLC0415

        ctx, actor = self.appctx.ctx, self.appctx.actor
        mid = member.member_id if member is not None else None
        self.appctx.run(lambda: campaigns.preview_recharge(ctx, actor, amount, tier, mid), self._show_preview,
                        self._preview_failed, key="preview")

    def _preview_failed(self, exc: BaseException) -> None:
        self.preview = None
        self.preview_label.setText(tr("recharge.preview_empty"))
        self.amount_error.show_error(exc)

    def _show_preview(self, p: Any) -> None:
        self.preview = p
        lines = [
            tr("preview.pay", amount=Money(p.amount_fen)),
            tr("preview.tier", name=p.tier_name or tr("preview.no_tier")),
            tr("preview.bonus", amount=Money(p.bonus_fen)),
            tr("preview.points", n=p.points),
        ]
        kinds: dict[str, list[str]] = {}
        for it in p.items:
            label = f"{it['name']} ×{it['quantity']}" + (f"（{money(it['value_fen'])}）" if it.get("value_fen") else "")
            note = ""
            if it["kind"] == "gift":
                lv = self.stock.get(it["ref"])
                if lv is not None and lv.available < int(it["quantity"]):
                    note = " — " + tr("recharge.gift_owed")
            kinds.setdefault(it["kind"], []).append(label + note)
        for kind in ("coupon", "gift", "voucher"):
            if kind in kinds:
                lines.append(tr(f"preview.{kind}s", items="、".join(kinds[kind])))
        if p.member_price_months:
            lines.append(tr("recharge.member_price_months", n=p.member_price_months))
        if p.balance_after_fen is not None:
            lines.append("<b>" + tr("preview.balance_after", amount=Money(p.balance_after_fen)) + "</b>")
        self.preview_label.setText("<br>".join(lines))
        if not p.within_cap:
            self.cap_warning.setText(tr("preview.cap_warning", cap=Money(p.cap_fen), after=Money(p.balance_after_fen or 0)))
            self.cap_warning.show()
        else:
            self.cap_warning.hide()

    # ------------------------------------------------------------------ confirm
    def confirm(self) -> None:
        self.confirm_count += 1
        if self.in_flight:
            return  # a second Enter while the first is on its way: nothing
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
        tier = self.selected_tier if amount is None else None
        from pos_app.services import wallet  # noqa: PLC0415

        ctx, actor, rid, pay = self.appctx.ctx, self.appctx.actor, self.request_id, self.pay.currentData()
        mid = member.member_id
        self.in_flight = True
        self.confirm_btn.setEnabled(False)
        self.error.show_error(None)
        self.appctx.run(
            lambda: wallet.recharge(ctx, actor, amount_fen=amount, member_id=mid, tier_code=tier, pay_method=pay, request_id=rid),
            self._done, self._failed,
        )

    def _done(self, result: Any) -> None:
        self.in_flight = False
        self.confirm_btn.setEnabled(True)
        self.last_result = result
        tier_name = next((t.name for t in self.tiers if t.code == result.tier_code), None)
        self.selected_tier = None
        self._uncheck_tiers()
        self.amount.clear()
        self._selection_changed()
        self.request_id = self.appctx.new_request_id()
        from pos_app.ui.receipt import ReceiptDialog  # noqa: PLC0415

        self.receipt = ReceiptDialog(self.appctx, result, self, tier_name=tier_name)
        self.receipt.open()

    def _failed(self, exc: BaseException) -> None:
        self.in_flight = False
        self.confirm_btn.setEnabled(True)
        if getattr(exc, "key", "").startswith("money."):
            self.amount_error.show_error(exc)
        else:
            self.error.show_error(exc)


register_screen(ScreenSpec("recharge", "screen.recharge", "F3", RechargeScreen, frozenset({"cashier", "manager"}), 20))
