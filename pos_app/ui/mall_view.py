"""Mall and redemption screen (Shift+F6): the points mall (积分商城) and premium redemption (兑换活动).

- A member (typed phone + Enter, or the member selected at the counter): every item of the running
  campaign with its stock and what the member is eligible for, and how far from each (points short, spend
  short); redeem a mall item (Ctrl+R), request a premium item (Ctrl+Q) with contact and delivery address.
  The redemption slip (PDF with the 核销 code and its QR) is saved with Ctrl+P.
- A 核销 code scanned anywhere on this screen (or typed in the scan field): a mall gift waiting for pick-up
  is handed out; an approved premium request is handed over in store.
- The manager's review queue: filters (state, month), bulk approve (Ctrl+Enter), reject with a reason,
  ship with carrier and tracking, confirm receipt, and the shipping list export (XLSX)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from pos_app.domain import coupons as codes
from pos_app.domain import redemption as rules
from pos_app.domain.errors import InvalidInput
from pos_app.domain.textparams import Count
from pos_app.services.changes import Changes
from pos_app.ui import filedialogs
from pos_app.ui.appctx import AppContext
from pos_app.ui.common import ErrorLabel, money, tr
from pos_app.ui.screens import ScreenSpec, register_screen

PAY_METHODS = ("cash", "wechat", "alipay", "card", "other")


def price_text(v: Any) -> str:
    parts = [tr("mall.price_points", points=Count(v.points))] if v.points else []
    if v.cash_fen:
        parts.append(money(v.cash_fen))
    if v.spend_fen:
        parts.append(tr("redemption.price_spend", amount=money(v.spend_fen),
                        categories="、".join(v.categories) or tr("redemption.all_categories")))
    return " + ".join(parts)


def standing_text(v: Any) -> str:
    if v.paused:
        return tr("redemption.flag.paused")
    if v.available <= 0:
        return tr("redemption.flag.sold_out")
    if v.eligible is None:
        return tr("redemption.flag.low") if v.low else ""
    if v.eligible:
        return tr("redemption.eligible")
    if v.spend_short_fen:
        return tr("redemption.short_spend", amount=money(v.spend_short_fen))
    return tr("redemption.short_points", points=Count(v.points_short))


def _table(cols: list[str], name: str) -> QTableWidget:
    t = QTableWidget(0, len(cols))
    t.setObjectName(name)
    t.setHorizontalHeaderLabels(cols)
    t.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    t.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    t.verticalHeader().hide()
    t.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
    t.setMinimumHeight(90)  # the two tables share what the window has (1024x768 fits)
    return t


class MallScreen(QWidget):
    handles_changes = True

    def __init__(self, appctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.appctx = appctx
        self.items: list[Any] = []
        self.queue_rows: list[Any] = []
        self.last: Any = None
        self.exported: Path | None = None
        root = QVBoxLayout(self)

        # ------------------------------------------------------------ member, items, redeem / request
        box = QGroupBox(tr("mall.ui.items_title"))
        lay = QVBoxLayout(box)
        row = QHBoxLayout()
        self.phone = QLineEdit()
        self.phone.setObjectName("mall_phone")
        self.phone.setPlaceholderText(tr("mall.ui.phone_hint"))
        self.phone.returnPressed.connect(self.refresh)
        row.addWidget(self.phone, 1)
        self.scan = QLineEdit()
        self.scan.setObjectName("mall_scan")
        self.scan.setPlaceholderText(tr("mall.ui.scan_hint"))
        self.scan.returnPressed.connect(lambda: self.take_scan(self.scan.text()))
        row.addWidget(self.scan, 1)
        lay.addLayout(row)
        self.info = QLabel("")
        self.info.setObjectName("mall_info")
        self.info.setWordWrap(True)
        lay.addWidget(self.info)
        self.table = _table([tr("mall.ui.col_program"), tr("mall.ui.col_item"), tr("mall.ui.col_price"),
                             tr("mall.ui.col_stock"), tr("mall.ui.col_standing")], "mall_items")
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        lay.addWidget(self.table, 1)
        act = QHBoxLayout()
        self.pay = QComboBox()
        self.pay.setObjectName("mall_pay")
        for p in PAY_METHODS:
            self.pay.addItem(tr(f"pay.{p}"), p)
        act.addWidget(self.pay)
        self.redeem_btn = QPushButton(tr("mall.ui.redeem") + " (Ctrl+R)")
        self.redeem_btn.setObjectName("mall_redeem")
        self.redeem_btn.clicked.connect(self.redeem)
        act.addWidget(self.redeem_btn)
        self.contact = QLineEdit()
        self.contact.setObjectName("mall_contact")
        self.contact.setPlaceholderText(tr("mall.ui.contact_hint"))
        act.addWidget(self.contact)
        self.ship_to = QLineEdit()
        self.ship_to.setObjectName("mall_ship_to")
        self.ship_to.setPlaceholderText(tr("mall.ui.ship_to_hint"))
        act.addWidget(self.ship_to, 2)
        self.request_btn = QPushButton(tr("mall.ui.request") + " (Ctrl+Q)")
        self.request_btn.setObjectName("mall_request")
        self.request_btn.clicked.connect(self.request)
        act.addWidget(self.request_btn)
        self.slip_btn = QPushButton(tr("mall.ui.slip") + " (Ctrl+P)")
        self.slip_btn.setObjectName("mall_slip")
        self.slip_btn.setEnabled(False)
        self.slip_btn.clicked.connect(self.ask_slip)
        act.addWidget(self.slip_btn)
        lay.addLayout(act)
        self.result = QLabel("")
        self.result.setObjectName("mall_result")
        self.result.setWordWrap(True)
        self.result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        lay.addWidget(self.result)
        self.error = ErrorLabel()
        lay.addWidget(self.error)
        root.addWidget(box, 1)

        # ------------------------------------------------------------ the manager's review queue
        self.review = QGroupBox(tr("mall.ui.queue_title"))
        ql = QVBoxLayout(self.review)
        frow = QHBoxLayout()
        self.state = QComboBox()
        self.state.setObjectName("queue_state")
        self.state.addItem(tr("mall.ui.all_states"), None)
        for s in rules.PREMIUM_STATES:
            self.state.addItem(tr(f"redemption.state.{s}"), s)
        self.state.setCurrentIndex(1)  # requested: what waits for the manager
        self.state.currentIndexChanged.connect(lambda _i: self.refresh_queue())
        frow.addWidget(self.state)
        self.month = QLineEdit()
        self.month.setObjectName("queue_month")
        self.month.setPlaceholderText("YYYY-MM")
        self.month.returnPressed.connect(self.refresh_queue)
        frow.addWidget(self.month)
        self.export_btn = QPushButton(tr("mall.ui.export"))
        self.export_btn.setObjectName("queue_export")
        self.export_btn.clicked.connect(self.ask_export)
        frow.addWidget(self.export_btn)
        frow.addStretch(1)
        ql.addLayout(frow)
        self.queue = _table([tr("redemption.col.code"), tr("redemption.col.phone"), tr("redemption.col.item"),
                             tr("redemption.col.state"), tr("redemption.col.requested_at"),
                             tr("redemption.col.ship_to"), tr("mall.ui.col_flag")], "queue_table")
        self.queue.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        ql.addWidget(self.queue, 1)
        brow = QHBoxLayout()
        self.approve_btn = QPushButton(tr("mall.ui.approve") + " (Ctrl+Enter)")
        self.approve_btn.setObjectName("queue_approve")
        self.approve_btn.clicked.connect(self.approve)
        brow.addWidget(self.approve_btn)
        self.reason = QLineEdit()
        self.reason.setObjectName("queue_reason")
        self.reason.setPlaceholderText(tr("mall.ui.reason_hint"))
        brow.addWidget(self.reason, 1)
        self.reject_btn = QPushButton(tr("mall.ui.reject"))
        self.reject_btn.setObjectName("queue_reject")
        self.reject_btn.clicked.connect(self.reject)
        brow.addWidget(self.reject_btn)
        self.carrier = QLineEdit()
        self.carrier.setObjectName("queue_carrier")
        self.carrier.setPlaceholderText(tr("redemption.col.carrier"))
        brow.addWidget(self.carrier)
        self.tracking = QLineEdit()
        self.tracking.setObjectName("queue_tracking")
        self.tracking.setPlaceholderText(tr("redemption.col.tracking"))
        brow.addWidget(self.tracking)
        self.ship_btn = QPushButton(tr("mall.ui.ship"))
        self.ship_btn.setObjectName("queue_ship")
        self.ship_btn.clicked.connect(self.ship)
        brow.addWidget(self.ship_btn)
        self.receive_btn = QPushButton(tr("mall.ui.receive"))
        self.receive_btn.setObjectName("queue_receive")
        self.receive_btn.clicked.connect(self.receive)
        brow.addWidget(self.receive_btn)
        ql.addLayout(brow)
        self.queue_error = ErrorLabel()
        ql.addWidget(self.queue_error)
        root.addWidget(self.review, 1)

        QShortcut(QKeySequence("Ctrl+R"), self, activated=self.redeem).setWhatsThis(tr("mall.ui.redeem"))
        QShortcut(QKeySequence("Ctrl+Q"), self, activated=self.request).setWhatsThis(tr("mall.ui.request"))
        QShortcut(QKeySequence("Ctrl+P"), self, activated=self.ask_slip).setWhatsThis(tr("mall.ui.slip"))
        QShortcut(QKeySequence("Ctrl+Return"), self, activated=self.approve).setWhatsThis(tr("mall.ui.approve"))
        appctx.changed.connect(self._changed)

    # --------------------------------------------------------------- the screen
    def _is_manager(self) -> bool:
        return self.appctx.has_actor and self.appctx.actor.role == "manager"

    def on_shown(self) -> None:
        self.review.setVisible(self._is_manager())
        self.refresh()
        self.refresh_queue()
        self.phone.setFocus()

    def set_member(self, member: Any) -> None:
        if member is not None:
            self.phone.setText(member.phone)

    def _changed(self, changes: Changes) -> None:
        if changes.any("redemptions", "points", "sales") and self.isVisible():
            self.refresh()
            self.refresh_queue()

    def refresh(self) -> None:
        if not (self.appctx.has_ctx and self.appctx.has_actor):
            return
        from pos_app.services import mall  # noqa: PLC0415

        ctx, actor = self.appctx.ctx, self.appctx.actor
        phone = self.phone.text().strip() or None

        def load() -> list[Any]:
            return [*mall.items(ctx, actor, program=rules.MALL, phone=phone),
                    *mall.items(ctx, actor, program=rules.PREMIUM, phone=phone)]

        self.appctx.run(load, self._show_items, self._items_failed, key="mall-items")

    def _items_failed(self, exc: BaseException) -> None:
        self.items = []
        self.table.setRowCount(0)
        self.error.show_error(exc)

    def _show_items(self, rows: list[Any]) -> None:
        from pos_app.services.redemption import next_item  # noqa: PLC0415

        self.error.show_error(None)
        self.items = rows
        self.table.setRowCount(len(rows))
        for i, v in enumerate(rows):
            program = tr("mall.ui.program_mall") if v.program == rules.MALL else tr("mall.ui.program_premium")
            stock = tr("redemption.stock_line", available=Count(v.available), quantity=Count(v.quantity),
                       reserved=Count(v.reserved))
            for j, text in enumerate((program, v.name, price_text(v), stock, standing_text(v))):
                self.table.setItem(i, j, QTableWidgetItem(text))
        if rows and self.table.currentRow() < 0:
            self.table.selectRow(0)
        nxt = next_item([v for v in rows if v.program == rules.PREMIUM])
        low = [v.name for v in rows if v.low and not v.paused]
        text = tr("redemption.next", item=nxt.name) if nxt is not None else ""
        if low and self._is_manager():
            text += ("\n" if text else "") + tr("mall.ui.low_alert", items="、".join(low))
        self.info.setText(text)

    def selected_item(self) -> Any:
        i = self.table.currentRow()
        return self.items[i] if 0 <= i < len(self.items) else None

    def select_item(self, code: str) -> None:
        for i, v in enumerate(self.items):
            if v.code == code:
                self.table.selectRow(i)
                return

    # --------------------------------------------------------------- redeem, request, slip
    def redeem(self) -> None:
        item, phone = self.selected_item(), self.phone.text().strip()
        if item is None or item.program != rules.MALL:
            self.error.show_error(tr("mall.ui.pick_mall_item"))
            return
        if not phone:
            self.error.show_error(tr("points.select_member"))
            return
        from pos_app.services import mall  # noqa: PLC0415

        ctx, actor, rid = self.appctx.ctx, self.appctx.actor, self.appctx.new_request_id()
        pay = self.pay.currentData() if item.cash_fen else None
        self.error.show_error(None)
        self.appctx.run(lambda: mall.redeem(ctx, actor, item=item.code, phone=phone, pay_method=pay, request_id=rid),
                        self._done, self.error.show_error, key="mall-redeem")

    def request(self) -> None:
        item, phone = self.selected_item(), self.phone.text().strip()
        if item is None or item.program != rules.PREMIUM:
            self.error.show_error(tr("mall.ui.pick_premium_item"))
            return
        if not phone:
            self.error.show_error(tr("points.select_member"))
            return
        from pos_app.services import redemption  # noqa: PLC0415

        ctx, actor, rid = self.appctx.ctx, self.appctx.actor, self.appctx.new_request_id()
        contact, ship_to = self.contact.text().strip() or None, self.ship_to.text().strip() or None
        self.error.show_error(None)
        self.appctx.run(lambda: redemption.request(ctx, actor, item=item.code, phone=phone, contact=contact,
                                                   ship_to=ship_to, request_id=rid),
                        self._done, self.error.show_error, key="mall-request")

    def _done(self, r: Any) -> None:
        self.last = r
        self.slip_btn.setEnabled(True)
        self.contact.clear()
        self.ship_to.clear()
        text = tr("mall.ui.done", item=r.item_name, state=tr(f"redemption.state.{r.state}"), code=r.code)
        if r.issued_code:
            text += "\n" + r.issued_code
        if r.points_balance is not None:
            text += "\n" + tr("mall.ui.balance", points=Count(r.points_balance))
        self.result.setText(text)

    def save_slip(self, path: str | Path) -> Path:
        """The last redemption's slip as a PDF at ``path`` (raises DomainError when it cannot be written)."""
        from pos_app.printing.redemption_slip import write_redemption_slip  # noqa: PLC0415

        if self.last is None:
            raise RuntimeError("no redemption yet")
        r = self.last
        filedialogs.check_output(str(path))
        return filedialogs.writing(str(path), lambda: write_redemption_slip(r, path))

    def ask_slip(self) -> None:
        if self.last is not None:
            filedialogs.save_as(self, tr("mall.ui.slip"), f"redemption-{self.last.code}.pdf", "PDF (*.pdf)", self.save_slip, self.error)

    # --------------------------------------------------------------- scan: pick-up / hand-over in store
    def take_scan(self, text: str) -> None:
        """A 核销 code scanned (or typed + Enter): hand the gift out, or hand over an approved request."""
        text = text.strip()
        if not text:
            return
        self.scan.setText(text)
        try:
            code = codes.parse_code(text)
        except InvalidInput as exc:
            self.error.show_error(exc)
            return
        from pos_app.services import mall, redemption  # noqa: PLC0415

        ctx, actor, rid = self.appctx.ctx, self.appctx.actor, self.appctx.new_request_id()

        def act() -> Any:
            found = mall.get(ctx, actor, code)
            if found.program == rules.MALL:
                return mall.pickup(ctx, actor, code=code, request_id=rid)
            return redemption.fulfil(ctx, actor, redemption_id=code)

        self.error.show_error(None)
        self.appctx.run(act, self._scanned, self._scan_failed, key="mall-scan")

    def _scanned(self, r: Any) -> None:
        self.scan.clear()
        self.result.setText(tr("mall.ui.handed_over", item=r.item_name, phone=r.phone,
                               state=tr(f"redemption.state.{r.state}")))

    def _scan_failed(self, exc: BaseException) -> None:
        self.scan.selectAll()
        self.error.show_error(exc)

    # --------------------------------------------------------------- the review queue
    def refresh_queue(self) -> None:
        if not (self.appctx.has_ctx and self.appctx.has_actor and self._is_manager()):
            return
        from pos_app.services import redemption  # noqa: PLC0415

        ctx, actor = self.appctx.ctx, self.appctx.actor
        state, month = self.state.currentData(), self.month.text().strip() or None
        self.appctx.run(lambda: redemption.queue(ctx, actor, state=state, month=month, limit=500),
                        self._show_queue, self.queue_error.show_error, key="mall-queue")

    def _show_queue(self, rows: list[Any]) -> None:
        self.queue_error.show_error(None)
        self.queue_rows = rows
        self.queue.setRowCount(len(rows))
        tz = self.appctx.store_tz
        for i, r in enumerate(rows):
            at = r.created_at.astimezone(tz)
            flag = tr("redemption.flag.review_overdue") if r.review_overdue else ""
            if r.carrier:
                flag = f"{r.carrier} {r.tracking}"
            for j, text in enumerate((r.code, r.phone, r.item_name, tr(f"redemption.state.{r.state}"),
                                      at.strftime("%Y-%m-%d %H:%M"), r.ship_to or "", flag)):
                self.queue.setItem(i, j, QTableWidgetItem(text))

    def selected_requests(self) -> list[Any]:
        rows = sorted({ix.row() for ix in self.queue.selectionModel().selectedRows()})
        return [self.queue_rows[i] for i in rows if i < len(self.queue_rows)]

    def _queue_op(self, fn: Any, key: str) -> None:
        picked = self.selected_requests()
        if not picked:
            self.queue_error.show_error(tr("redemption.nothing_selected"))
            return
        self.queue_error.show_error(None)
        self.appctx.run(lambda: fn(picked), lambda _r: self.refresh_queue(), self.queue_error.show_error, key=key)

    def approve(self) -> None:
        from pos_app.services import redemption  # noqa: PLC0415

        ctx, actor = self.appctx.ctx, self.appctx.actor
        self._queue_op(lambda rows: redemption.approve(ctx, actor, redemption_ids=[r.redemption_id for r in rows]),
                       "queue-approve")

    def reject(self) -> None:
        from pos_app.services import redemption  # noqa: PLC0415

        ctx, actor, reason = self.appctx.ctx, self.appctx.actor, self.reason.text()
        picked = self.selected_requests()
        if len(picked) > 1:
            self.queue_error.show_error(tr("mall.ui.one_at_a_time"))
            return
        self._queue_op(lambda rows: redemption.reject(ctx, actor, redemption_id=rows[0].redemption_id, reason=reason),
                       "queue-reject")

    def ship(self) -> None:
        from pos_app.services import redemption  # noqa: PLC0415

        ctx, actor = self.appctx.ctx, self.appctx.actor
        carrier, tracking = self.carrier.text().strip(), self.tracking.text().strip()
        if not carrier or not tracking:
            self.queue_error.show_error(tr("redemption.carrier_and_tracking"))
            return
        if len(self.selected_requests()) > 1:
            self.queue_error.show_error(tr("mall.ui.one_at_a_time"))
            return
        self._queue_op(lambda rows: redemption.fulfil(ctx, actor, redemption_id=rows[0].redemption_id, carrier=carrier,
                                                      tracking=tracking), "queue-ship")

    def receive(self) -> None:
        from pos_app.services import redemption  # noqa: PLC0415

        ctx, actor = self.appctx.ctx, self.appctx.actor
        if len(self.selected_requests()) > 1:
            self.queue_error.show_error(tr("mall.ui.one_at_a_time"))
            return
        self._queue_op(lambda rows: redemption.receive(ctx, actor, redemption_id=rows[0].redemption_id),
                       "queue-receive")

    def export(self, path: str | Path) -> None:
        """Write the shipping list of the queue's state (approved when all) and month at ``path`` (.xlsx or
        .csv), on the database worker; ``exported`` holds the path once written."""
        from pos_app.services import redemption  # noqa: PLC0415

        state = self.state.currentData() or rules.APPROVED
        month = self.month.text().strip() or None
        ctx, actor = self.appctx.ctx, self.appctx.actor
        self.exported = None

        def write() -> Path:
            filedialogs.check_output(str(path))
            return filedialogs.writing(str(path), lambda: redemption.export_shipping(ctx, actor, path, state=state,
                                                                                     month=month))

        def done(p: Path) -> None:
            self.exported = p
            self.queue_error.show_error(None)

        self.appctx.run(write, done, self.queue_error.show_error, key="queue-export")

    def ask_export(self) -> None:
        path = filedialogs.save_file(self, tr("mall.ui.export"), "shipping.xlsx", "Excel (*.xlsx);;CSV (*.csv)")
        if path:
            self.export(path)


register_screen(ScreenSpec("mall", "screen.mall", "Shift+F6", MallScreen, frozenset({"cashier", "staff", "manager"}),
                           96))
