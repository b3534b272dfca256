"""Member history (F5): wallet statement (balances after each line; Ctrl+Shift+A a manager's adjustment), recharges (with refund, manager
approval), points lots, coupons/gifts/vouchers, purchases and their returns (reprint the receipt, return
lines); filter by date.

Every day here is the store's (its time zone), never the machine's. Keyboard: Ctrl+Tab / Ctrl+Shift+Tab
(or Alt+1..5) between the sub-tabs, each tab's table takes the focus (↑/↓ select a row), Ctrl+D the date
filter, Ctrl+R refunds the selected recharge; on the purchases tab Ctrl+P reprints the selected sale's receipt
and Ctrl+Shift+R opens its return."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from PySide6.QtCore import QDate, Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDateEdit,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from pos_app.domain.textparams import Money
from pos_app.services.changes import Changes
from pos_app.ui.appctx import AppContext
from pos_app.ui.common import ErrorLabel, tr
from pos_app.ui.models import (
    CouponModel,
    DtoTableModel,
    ItemModel,
    PointsLotModel,
    RechargeModel,
    StatementModel,
    store_date,
    store_tz,
)
from pos_app.ui.screens import ScreenSpec, register_screen


def make_table(model: DtoTableModel, name: str) -> QTableView:
    t = QTableView()
    t.setObjectName(name)
    t.setModel(model)
    t.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    t.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    t.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    t.verticalHeader().hide()
    t.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    t.horizontalHeader().setStretchLastSection(True)
    return t


def qdate_to_date(d: QDate) -> date:
    return date(d.year(), d.month(), d.day())


def date_to_qdate(d: date) -> QDate:
    return QDate(d.year, d.month, d.day)


#: the date filter's default: the last 30 days up to the store's today
DEFAULT_FILTER_DAYS = 30
#: the sub-tabs, in order (Alt+1..5)
TAB_KEYS = ("history.statement", "history.recharges", "history.points", "history.items", "co.hist.sales",
            "history.coupons")


class HistoryScreen(QWidget):
    handles_changes = True

    def __init__(self, appctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.appctx = appctx
        self.refund_in_flight = False
        self.last_refund: Any = None
        self.refund_dialog: Any = None
        root = QVBoxLayout(self)
        self.member_label = QLabel("")
        self.member_label.setObjectName("title")
        root.addWidget(self.member_label)
        bar = QHBoxLayout()
        self.use_dates = QCheckBox(tr("history.filter_dates"))
        self.use_dates.setObjectName("use_dates")
        self.since = QDateEdit()
        self.since.setObjectName("since")
        self.until = QDateEdit()
        self.until.setObjectName("until")
        for d in (self.since, self.until):
            d.setCalendarPopup(True)  # by mouse; the keyboard types digits or ↑/↓ in each part
            d.setDisplayFormat("yyyy-MM-dd")
            d.setEnabled(False)
        self.reset_dates()
        for d in (self.since, self.until):
            d.dateChanged.connect(lambda _d: self.reload())
        self.use_dates.toggled.connect(self._toggle_dates)
        QShortcut(QKeySequence("Ctrl+D"), self, activated=self.toggle_date_filter,
                  context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
        bar.addWidget(self.use_dates)
        bar.addWidget(QLabel(tr("history.from")))
        bar.addWidget(self.since)
        bar.addWidget(QLabel(tr("history.to")))
        bar.addWidget(self.until)
        bar.addStretch(1)
        root.addLayout(bar)
        self.error = ErrorLabel()
        root.addWidget(self.error)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("history_tabs")
        self.statement_model = StatementModel()
        self.recharge_model = RechargeModel()
        self.points_model = PointsLotModel()
        self.item_model = ItemModel()
        self.coupon_model = CouponModel()
        self.statement_table = make_table(self.statement_model, "statement")
        self.recharge_table = make_table(self.recharge_model, "recharges")
        self.points_table = make_table(self.points_model, "points_lots")
        self.item_table = make_table(self.item_model, "items")
        self.coupon_table = make_table(self.coupon_model, "coupons")
        stc = QWidget()
        stl = QVBoxLayout(stc)
        stl.setContentsMargins(0, 0, 0, 0)
        stl.addWidget(self.statement_table, 1)
        stb = QHBoxLayout()
        self.wallet_adjust_btn = QPushButton(tr("wallet_adjust.button") + " (Ctrl+Shift+A)")
        self.wallet_adjust_btn.setObjectName("wallet_adjust")
        self.wallet_adjust_btn.clicked.connect(self.ask_wallet_adjust)
        stb.addWidget(self.wallet_adjust_btn)
        self.wallet_adjust_result = QLabel("")
        self.wallet_adjust_result.setObjectName("wallet_adjust_result")
        self.wallet_adjust_result.setWordWrap(True)
        stb.addWidget(self.wallet_adjust_result, 1)
        self.wallet_adjust_error = ErrorLabel()
        stb.addWidget(self.wallet_adjust_error, 1)
        stl.addLayout(stb)
        QShortcut(QKeySequence("Ctrl+Shift+A"), stc, activated=self.ask_wallet_adjust,
                  context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.wallet_adjust_dialog: Any = None
        self.tabs.addTab(stc, self._tab_title(0))
        rc = QWidget()
        rl = QVBoxLayout(rc)
        rl.setContentsMargins(0, 0, 0, 0)
        rl.addWidget(self.recharge_table, 1)
        rb = QHBoxLayout()
        self.refund_btn = QPushButton(tr("history.refund"))
        self.refund_btn.setObjectName("refund")
        self.refund_btn.clicked.connect(self.refund_selected)
        QShortcut(QKeySequence("Ctrl+R"), self, activated=self.refund_selected,
                  context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
        rb.addWidget(self.refund_btn)
        self.refund_result = QLabel("")
        self.refund_result.setObjectName("refund_result")
        self.refund_result.setWordWrap(True)
        rb.addWidget(self.refund_result, 1)
        rl.addLayout(rb)
        self.tabs.addTab(rc, self._tab_title(1))
        pc = QWidget()
        pl = QVBoxLayout(pc)
        pl.setContentsMargins(0, 0, 0, 0)
        pl.addWidget(self.points_table, 1)
        pb = QHBoxLayout()
        self.adjust_btn = QPushButton(tr("points_adjust.button") + " (Ctrl+J)")
        self.adjust_btn.setObjectName("points_adjust")
        self.adjust_btn.clicked.connect(self.ask_points_adjust)
        pb.addWidget(self.adjust_btn)
        self.adjust_result = QLabel("")
        self.adjust_result.setObjectName("points_adjust_result")
        pb.addWidget(self.adjust_result, 1)
        self.adjust_error = ErrorLabel()
        pb.addWidget(self.adjust_error, 1)
        pl.addLayout(pb)
        QShortcut(QKeySequence("Ctrl+J"), pc, activated=self.ask_points_adjust,
                  context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.tabs.addTab(pc, self._tab_title(2))
        self.tabs.addTab(self.item_table, self._tab_title(3))
        from pos_app.ui.sale_dialogs import SaleModel  # noqa: PLC0415

        self.sale_model = SaleModel()
        self.sale_table = make_table(self.sale_model, "sales")
        self.sale_receipt: Any = None
        self.sale_return: Any = None
        sc = QWidget()
        sl = QVBoxLayout(sc)
        sl.setContentsMargins(0, 0, 0, 0)
        sl.addWidget(self.sale_table, 1)
        sb = QHBoxLayout()
        self.sale_receipt_btn = QPushButton(tr("co.hist.receipt") + " (Ctrl+P)")
        self.sale_receipt_btn.setObjectName("sale_receipt_btn")
        self.sale_receipt_btn.clicked.connect(self.reprint_selected_sale)
        self.sale_return_btn = QPushButton(tr("co.hist.return") + " (Ctrl+Shift+R)")
        self.sale_return_btn.setObjectName("sale_return_btn")
        self.sale_return_btn.clicked.connect(self.return_selected_sale)
        sb.addWidget(self.sale_receipt_btn)
        sb.addWidget(self.sale_return_btn)
        sb.addStretch(1)
        sl.addLayout(sb)
        QShortcut(QKeySequence("Ctrl+P"), sc, activated=self.reprint_selected_sale,
                  context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
        QShortcut(QKeySequence("Ctrl+Shift+R"), sc, activated=self.return_selected_sale,
                  context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.tabs.addTab(sc, self._tab_title(4))
        self.tabs.addTab(self.coupon_table, self._tab_title(5))
        #: the table each sub-tab shows (the one that takes the focus)
        self.tab_tables = (self.statement_table, self.recharge_table, self.points_table, self.item_table, self.sale_table,
                           self.coupon_table)
        self.tabs.currentChanged.connect(lambda _i: self.focus_current_table())
        wc = Qt.ShortcutContext.WidgetWithChildrenShortcut
        QShortcut(QKeySequence("Ctrl+Tab"), self, activated=lambda: self.step_tab(1), context=wc)
        QShortcut(QKeySequence("Ctrl+Shift+Tab"), self, activated=lambda: self.step_tab(-1), context=wc)
        QShortcut(QKeySequence("Ctrl+Backtab"), self, activated=lambda: self.step_tab(-1), context=wc)
        for i in range(len(TAB_KEYS)):
            QShortcut(QKeySequence(f"Alt+{i + 1}"), self, activated=lambda i=i: self.tabs.setCurrentIndex(i), context=wc)
        root.addWidget(self.tabs, 1)
        keys = QLabel(tr("history.keys_hint"))
        keys.setObjectName("hint")
        keys.setWordWrap(True)
        root.addWidget(keys)
        appctx.changed.connect(self._changed)
        self.set_member(appctx.member)

    # ------------------------------------------------------------------ keyboard
    @staticmethod
    def _tab_title(i: int) -> str:
        return f"{tr(TAB_KEYS[i])}  Alt+{i + 1}".replace("&", "&&")  # "Coupons & gifts": an ampersand, not a mnemonic

    def step_tab(self, step: int) -> None:
        """Ctrl+Tab / Ctrl+Shift+Tab: the next / previous sub-tab, wrapping around."""
        n = self.tabs.count()
        if n:
            self.tabs.setCurrentIndex((self.tabs.currentIndex() + step) % n)

    def focus_current_table(self) -> None:
        """The shown sub-tab's table takes the focus, with a current row, so ↑/↓ work at once."""
        i = self.tabs.currentIndex()
        if not 0 <= i < len(self.tab_tables):
            return
        t = self.tab_tables[i]
        t.setFocus()
        model = t.model()
        if model.rowCount() and not t.selectionModel().selectedRows():
            t.selectRow(0)

    def toggle_date_filter(self) -> None:
        """Ctrl+D: the date filter on (focus in the first date; ↑/↓ change the day) or off."""
        on = not self.use_dates.isChecked()
        self.use_dates.setChecked(on)
        if on:
            self.since.setFocus()
        else:
            self.focus_current_table()

    # ------------------------------------------------------------------ dates
    def store_today(self) -> date:
        """Today in the store's time zone, by the service clock (the machine's zone plays no part)."""
        now = self.appctx.ctx.now() if self.appctx.has_ctx else datetime.now(UTC)
        return now.astimezone(store_tz()).date()

    def reset_dates(self) -> None:
        """The filter's default range: the last 30 days up to the store's today."""
        today = self.store_today()
        for d, day in ((self.since, today - timedelta(days=DEFAULT_FILTER_DAYS)), (self.until, today)):
            d.blockSignals(True)
            d.setDate(date_to_qdate(day))
            d.blockSignals(False)

    def _toggle_dates(self, on: bool) -> None:
        self.since.setEnabled(on)
        self.until.setEnabled(on)
        self.reload()

    def on_shown(self) -> None:
        if not self.use_dates.isChecked():
            self.reset_dates()  # the app may have been open since yesterday
        self.reload()
        self.focus_current_table()

    def set_member(self, member: Any) -> None:
        if member is None:
            self.member_label.setText(tr("ui.select_member_first"))
            for mdl in (self.statement_model, self.recharge_model, self.points_model, self.item_model, self.coupon_model,
                        self.sale_model):
                mdl.set_rows([])
        else:
            self.member_label.setText(tr("history.for_member", phone=member.phone, name=member.name or "", balance=Money(member.balance_fen)))
            self.reload()

    def _changed(self, changes: Changes) -> None:
        if changes.any("wallet", "coupons", "gifts", "sales", "points") and self.isVisible():
            self.reload()

    def ask_wallet_adjust(self) -> None:
        """Ctrl+Shift+A: correct the member's principal and/or bonus, with a reason (a manager, or a manager's PIN)."""
        from pos_app.ui.wallet_adjust import WalletAdjustDialog  # noqa: PLC0415

        member = self.appctx.member
        if member is None:
            self.wallet_adjust_error.show_error(tr("ui.select_member_first"))
            return
        dlg = WalletAdjustDialog(member.phone, member.principal_fen, member.bonus_fen, self)
        self.wallet_adjust_dialog = dlg
        dlg.accepted.connect(lambda: self.wallet_adjust(member.phone, *dlg.amounts, dlg.reason.text()))
        dlg.open()

    def wallet_adjust(self, phone: str, principal_fen: int, bonus_fen: int, reason: str) -> None:
        from pos_app.ui.wallet_adjust import adjust_wallet  # noqa: PLC0415

        def done(res: Any) -> None:
            self.wallet_adjust_result.setText(tr("wallet_adjust.done", principal=Money(res.principal_delta_fen),
                                                 bonus=Money(res.bonus_delta_fen), balance=Money(res.balance_fen)))

        self.wallet_adjust_result.clear()
        self.wallet_adjust_error.show_error(None)
        adjust_wallet(self.appctx, phone, principal_fen, bonus_fen, reason, done, self.wallet_adjust_error.show_error)

    def ask_points_adjust(self) -> None:
        """Ctrl+J: add or take away the member's points, with a reason (a manager, or a manager's PIN)."""
        from pos_app.ui.points_adjust import PointsAdjustDialog  # noqa: PLC0415

        member = self.appctx.member
        if member is None:
            self.adjust_error.show_error(tr("ui.select_member_first"))
            return
        dlg = PointsAdjustDialog(member.phone, self)
        self.points_adjust_dialog = dlg
        dlg.accepted.connect(lambda: self.points_adjust(member.phone, dlg.points.value(), dlg.reason.text()))
        dlg.open()

    def points_adjust(self, phone: str, points: int, reason: str) -> None:
        from pos_app.ui.points_adjust import adjust_points  # noqa: PLC0415

        def done(res: Any) -> None:
            self.adjust_result.setText(tr("points_adjust.done", points=res.points, balance=res.points_balance))

        self.adjust_result.clear()
        self.adjust_error.show_error(None)
        adjust_points(self.appctx, phone, points, reason, done, self.adjust_error.show_error)

    def reload(self) -> None:
        member = self.appctx.member
        if member is None or not self.appctx.has_actor:
            return
        from pos_app.services import wallet  # noqa: PLC0415

        ctx, actor, mid = self.appctx.ctx, self.appctx.actor, member.member_id
        since = until = None
        if self.use_dates.isChecked():
            since, until = qdate_to_date(self.since.date()), qdate_to_date(self.until.date())

        def in_range(d: Any) -> bool:
            day = store_date(d)  # the store's day of a UTC time, like the statement's filter
            return (since is None or day >= since) and (until is None or day <= until)

        def work() -> tuple[list[Any], ...]:
            st = wallet.statement(ctx, actor, member_id=mid, since=since, until=until)
            rc = [r for r in wallet.recharges(ctx, actor, member_id=mid) if in_range(r.created_at)]
            from pos_app.services import campaigns  # noqa: PLC0415

            tiers = campaigns.recharge_tier_names(ctx, actor, member_id=mid)
            lots = [lot for lot in wallet.points_lots(ctx, actor, member_id=mid) if in_range(lot.earned_at)]
            items = wallet.member_items(ctx, actor, member_id=mid)
            all_cps: list[Any] = []
            try:
                from pos_app.services import coupons  # noqa: PLC0415
            except ImportError:
                coupons = None  # type: ignore[assignment]
            if coupons is not None and hasattr(coupons, "list_coupons"):
                all_cps = coupons.list_coupons(ctx, actor, member_id=mid)
            cps = [c for c in all_cps if in_range(c.issued_at)]
            return st, rc, lots, items, cps, tiers, all_cps

        self.appctx.run(work, self._loaded, self.error.show_error, key="history")
        self.load_sales(mid, in_range)

    # ------------------------------------------------------------------ purchases
    def load_sales(self, mid: str, in_range: Any) -> None:
        """The member's purchases (checkout), with their returns, in the date filter's range."""
        from pos_app.services import checkout  # noqa: PLC0415

        ctx, actor = self.appctx.ctx, self.appctx.actor

        def work() -> list[Any]:
            return [s for s in checkout.member_sales(ctx, actor, mid) if in_range(s.occurred_at)]

        def show(rows: list[Any]) -> None:
            kept = self.selected_sale()
            self.sale_model.set_rows(rows)
            ids = [s.sale_id for s in rows]
            if kept is not None and kept.sale_id in ids:
                self.sale_table.selectRow(ids.index(kept.sale_id))
            elif rows:
                self.sale_table.selectRow(0)

        self.appctx.run(work, show, self.error.show_error, key="history-sales")

    def selected_sale(self) -> Any:
        idx = self.sale_table.selectionModel().selectedRows()
        return self.sale_model.row(idx[0].row()) if idx else None

    def reprint_selected_sale(self) -> Any:
        """Ctrl+P on the purchases: the sale's receipt again (preview / print / PDF)."""
        sale = self.selected_sale()
        if sale is None:
            self.error.show_error(tr("co.hist.select_sale"))
            return None
        from pos_app.ui.sale_dialogs import SaleReceiptDialog  # noqa: PLC0415

        dlg = SaleReceiptDialog(self.appctx, sale, self)
        self.sale_receipt = dlg
        dlg.open()
        return dlg

    def return_selected_sale(self) -> Any:
        """Ctrl+Shift+R on the purchases: return the whole sale or chosen lines (a cashier needs a manager)."""
        sale = self.selected_sale()
        if sale is None:
            self.error.show_error(tr("co.hist.select_sale"))
            return None
        if all(ln.returned_qty >= ln.qty for ln in sale.lines):
            self.error.show_error(tr("co.hist.all_returned"))
            return None
        from pos_app.ui.sale_dialogs import ReturnDialog  # noqa: PLC0415

        dlg = ReturnDialog(self.appctx, sale, self)
        self.sale_return = dlg
        dlg.open()
        return dlg

    def _loaded(self, res: tuple[Any, ...]) -> None:
        st, rc, lots, items, cps, tiers, all_cps = res
        self.error.show_error(None)
        kept = self.selected_recharge()
        self.statement_model.set_rows(st)
        self.recharge_model.set_rows(rc, tier_names=tiers)
        self.points_model.set_rows(lots)
        self.item_model.set_rows(items, coupons=all_cps)
        self.coupon_model.set_rows(cps)
        for table in self.tab_tables:
            if table.model().rowCount():
                table.selectRow(0)  # a current row, so arrow keys and Ctrl+R work at once
        if kept is not None:  # the recharge the cashier had selected stays selected after a reload
            ids = [r.recharge_id for r in self.recharge_model.rows]
            if kept.recharge_id in ids:
                self.recharge_table.selectRow(ids.index(kept.recharge_id))

    # ------------------------------------------------------------------ refund
    def selected_recharge(self) -> Any:
        idx = self.recharge_table.selectionModel().selectedRows()
        if not idx:
            return None
        return self.recharge_model.row(idx[0].row())

    def refund_selected(self) -> None:
        if self.refund_in_flight:
            return
        r = self.selected_recharge()
        if r is None:
            self.error.show_error(tr("history.select_recharge"))
            return
        if r.state != "active":
            self.error.show_error(tr("refund.already"))
            return
        self.confirm_refund(r)

    # -- the refund confirmation: everything it shows and asks is here (one place to extend)
    @staticmethod
    def refund_prompt(r: Any) -> str:
        """What the confirmation says about recharge ``r``; its day is the store's (as in the table)."""
        return tr("history.refund_reason", amount=Money(r.principal_left_fen), time=store_date(r.created_at).isoformat())

    def confirm_refund(self, r: Any) -> None:
        """Ask for the refund of ``r``: its breakdown (refund_preview, read on the worker: the unspent
        principal, each perk used or kept, the net refund) and the method (original or cash) in a
        RefundConfirmDialog; on Enter a manager confirms, anyone else needs a manager's PIN; then
        :meth:`do_refund`. The dialog stays open to report the result and offer the slip (print / PDF)."""
        from pos_app.services import wallet  # noqa: PLC0415
        from pos_app.ui.refund_dialog import RefundConfirmDialog  # noqa: PLC0415

        ctx, actor = self.appctx.ctx, self.appctx.actor
        reason = self.refund_prompt(r)

        def show(preview: Any) -> None:
            self.refund_in_flight = False
            self.error.show_error(None)

            def approved(method: str) -> None:
                if actor.role == "manager":
                    manager = actor
                else:
                    manager = self.appctx.ask_manager(reason) if self.appctx.ask_manager else None
                if manager is None:
                    dlg.show_failed(None)
                    return
                self.do_refund(r.recharge_id, manager, method)

            dlg = RefundConfirmDialog(self.appctx, preview, approved, self)
            self.refund_dialog = dlg
            dlg.open()

        def failed(exc: BaseException) -> None:
            self.refund_in_flight = False
            self.error.show_error(exc)

        self.refund_in_flight = True
        self.appctx.run(lambda: wallet.refund_preview(ctx, actor, r.recharge_id), show, failed, key="refund_preview")

    def do_refund(self, recharge_id: str, manager: Any, method: str = "original") -> None:
        from pos_app.services import wallet  # noqa: PLC0415

        ctx, operator, rid = self.appctx.ctx, self.appctx.actor, self.appctx.new_request_id()
        self.refund_in_flight = True
        self.refund_btn.setEnabled(False)
        self.appctx.run(
            lambda: wallet.refund(ctx, manager, recharge_id=recharge_id, request_id=rid, operator=operator, method=method),
            self._refunded, self._refund_failed,
        )

    def _refunded(self, res: Any) -> None:
        self.refund_in_flight = False
        self.refund_btn.setEnabled(True)
        self.last_refund = res
        self.refund_result.setText(tr("history.refunded", amount=Money(res.principal_refund_fen), value=Money(res.bonus_revoke_fen),
                                      points=res.points_revoked, balance=Money(res.balance_fen)))
        if self.refund_dialog is not None:
            self.refund_dialog.show_done(res)
        self.reload()

    def _refund_failed(self, exc: BaseException) -> None:
        self.refund_in_flight = False
        self.refund_btn.setEnabled(True)
        self.error.show_error(exc)
        if self.refund_dialog is not None and self.refund_dialog.isVisible():
            self.refund_dialog.show_failed(exc)


register_screen(ScreenSpec("history", "screen.history", "F5", HistoryScreen, frozenset({"cashier", "staff", "manager"}), 40))
