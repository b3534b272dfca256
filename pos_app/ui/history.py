"""Member history (F5): wallet statement (balances after each line), recharges (with refund, manager
approval), points lots, coupons/gifts/vouchers; filter by date."""

from __future__ import annotations

from datetime import date
from typing import Any

from PySide6.QtCore import QDate
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

from pos_app.ui.appctx import AppContext
from pos_app.ui.common import ErrorLabel, tr
from pos_app.ui.models import (
    CouponModel,
    DtoTableModel,
    ItemModel,
    PointsLotModel,
    RechargeModel,
    StatementModel,
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
        today = QDate.currentDate()
        self.since = QDateEdit(today.addDays(-30))
        self.since.setObjectName("since")
        self.until = QDateEdit(today)
        self.until.setObjectName("until")
        for d in (self.since, self.until):
            d.setCalendarPopup(True)
            d.setDisplayFormat("yyyy-MM-dd")
            d.setEnabled(False)
            d.dateChanged.connect(lambda _d: self.reload())
        self.use_dates.toggled.connect(self._toggle_dates)
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
        self.tabs.addTab(self.statement_table, tr("history.statement"))
        rc = QWidget()
        rl = QVBoxLayout(rc)
        rl.setContentsMargins(0, 0, 0, 0)
        rl.addWidget(self.recharge_table, 1)
        rb = QHBoxLayout()
        self.refund_btn = QPushButton(tr("history.refund"))
        self.refund_btn.setObjectName("refund")
        self.refund_btn.clicked.connect(self.refund_selected)
        QShortcut(QKeySequence("Ctrl+R"), self, activated=self.refund_selected)
        rb.addWidget(self.refund_btn)
        self.refund_result = QLabel("")
        self.refund_result.setObjectName("refund_result")
        self.refund_result.setWordWrap(True)
        rb.addWidget(self.refund_result, 1)
        rl.addLayout(rb)
        self.tabs.addTab(rc, tr("history.recharges"))
        self.tabs.addTab(self.points_table, tr("history.points"))
        self.tabs.addTab(self.item_table, tr("history.items"))
        self.tabs.addTab(self.coupon_table, tr("history.coupons"))
        root.addWidget(self.tabs, 1)
        appctx.changed.connect(self._changed)
        self.set_member(appctx.member)

    def _toggle_dates(self, on: bool) -> None:
        self.since.setEnabled(on)
        self.until.setEnabled(on)
        self.reload()

    def on_shown(self) -> None:
        self.reload()
        self.tabs.currentWidget().setFocus()

    def set_member(self, member: Any) -> None:
        if member is None:
            self.member_label.setText(tr("ui.select_member_first"))
            for mdl in (self.statement_model, self.recharge_model, self.points_model, self.item_model, self.coupon_model):
                mdl.set_rows([])
        else:
            self.member_label.setText(tr("history.for_member", phone=member.phone, name=member.name or "", balance=member.balance_fen))
            self.reload()

    def _changed(self, area: str) -> None:
        if area in ("wallet", "coupons", "gifts") and self.isVisible():
            self.reload()

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
            day = d.date() if hasattr(d, "date") else d
            return (since is None or day >= since) and (until is None or day <= until)

        def work() -> tuple[list[Any], ...]:
            st = wallet.statement(ctx, actor, member_id=mid, since=since, until=until)
            rc = [r for r in wallet.recharges(ctx, actor, member_id=mid) if in_range(r.created_at)]
            lots = [lot for lot in wallet.points_lots(ctx, actor, member_id=mid) if in_range(lot.earned_at)]
            items = wallet.member_items(ctx, actor, member_id=mid)
            cps: list[Any] = []
            try:
                from pos_app.services import coupons  # noqa: PLC0415
            except ImportError:
                coupons = None  # type: ignore[assignment]
            if coupons is not None and hasattr(coupons, "list_coupons"):
                cps = [c for c in coupons.list_coupons(ctx, actor, member_id=mid) if in_range(c.issued_at)]
            return st, rc, lots, items, cps

        self.appctx.run(work, self._loaded, self.error.show_error, key="history")

    def _loaded(self, res: tuple[list[Any], ...]) -> None:
        st, rc, lots, items, cps = res
        self.error.show_error(None)
        self.statement_model.set_rows(st)
        self.recharge_model.set_rows(rc)
        self.points_model.set_rows(lots)
        self.item_model.set_rows(items)
        self.coupon_model.set_rows(cps)
        for table, model in ((self.statement_table, self.statement_model), (self.recharge_table, self.recharge_model)):
            if model.rowCount():
                table.selectRow(0)  # a current row, so arrow keys and Ctrl+R work at once

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
        """What the manager's PIN dialog says about recharge ``r``."""
        return tr("history.refund_reason", amount=r.principal_left_fen, time=r.created_at.strftime("%Y-%m-%d"))

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
            self._refunded, self._refund_failed, changes="wallet",
        )

    def _refunded(self, res: Any) -> None:
        self.refund_in_flight = False
        self.refund_btn.setEnabled(True)
        self.last_refund = res
        self.refund_result.setText(tr("history.refunded", amount=res.principal_refund_fen, value=res.bonus_revoke_fen,
                                      points=res.points_revoked, balance=res.balance_fen))
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
