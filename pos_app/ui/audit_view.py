"""The audit trail (F11, managers): who did what and when, who approved it, and the money, points and
stock each action moved (before -> after); filters by staff, action, store-local dates and member phone;
CSV/XLSX export through the app's safe file chooser. The rows are read by ``services.audit.audit_rows``,
which refuses anyone but a manager."""

from __future__ import annotations

from datetime import date
from typing import Any

from PySide6.QtCore import QDate
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from pos_app.domain.errors import DomainError
from pos_app.services import audit
from pos_app.ui import filedialogs
from pos_app.ui.appctx import AppContext
from pos_app.ui.common import ErrorLabel, tr
from pos_app.ui.models import Column, DtoTableModel, fmt_dt, store_date, store_tz
from pos_app.ui.screens import ScreenSpec, register_screen

#: rows shown at once (the export takes up to services.audit.MAX_ROWS)
SHOWN = 2000

#: the action filter's choices: (message key, value); a value ending in "." is a prefix
ACTIONS = (
    ("audit.all_actions", None), ("audit.act.wallet", "wallet."), ("audit.act.member", "member."),
    ("audit.act.coupon", "coupon."), ("audit.act.gift", "gift."), ("audit.act.referral", "referral."),
    ("audit.act.points", "points."), ("audit.act.staff", "staff."), ("audit.act.settings", "settings."),
    ("audit.act.campaign", "campaign."),
)


class AuditModel(DtoTableModel):
    """Rows of ``services.audit.AuditRowDTO``, newest first."""

    COLUMNS = (
        Column("audit.col.seq", lambda r: r.seq, numeric=True),
        Column("audit.col.at", lambda r: fmt_dt(r.at)),
        Column("audit.col.staff", lambda r: r.staff_code or ""),
        Column("audit.col.approved_by", lambda r: r.approved_by_code or ""),
        Column("audit.col.action", lambda r: r.action),
        Column("audit.col.entity", lambda r: r.entity),
        Column("audit.col.entity_id", lambda r: r.entity_id),
        Column("audit.col.moves", lambda r: audit.moves_text(r.details)),
        Column("audit.col.request", lambda r: r.request_id or ""),
        Column("audit.col.details", lambda r: r.details_json),
    )


class AuditScreen(QWidget):
    """F11 for managers."""

    handles_changes = False

    def __init__(self, appctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.appctx = appctx
        self.last_export: str | None = None
        lay = QVBoxLayout(self)
        row = QHBoxLayout()
        self.staff = QLineEdit()
        self.staff.setObjectName("audit_staff")
        self.staff.setPlaceholderText(tr("audit.staff_hint"))
        self.action = QComboBox()
        self.action.setObjectName("audit_action")
        for key, value in ACTIONS:
            self.action.addItem(tr(key), value)
        self.phone = QLineEdit()
        self.phone.setObjectName("audit_phone")
        self.phone.setPlaceholderText(tr("audit.phone_hint"))
        self.use_dates = QCheckBox(tr("audit.dates"))
        today = store_date(_now())
        self.since = QDateEdit(QDate(today.year, today.month, today.day))
        self.until = QDateEdit(QDate(today.year, today.month, today.day))
        for d in (self.since, self.until):
            d.setCalendarPopup(True)
            d.setDisplayFormat("yyyy-MM-dd")
        self.apply = QPushButton(tr("audit.apply"))
        self.apply.clicked.connect(self.refresh)
        for w in (self.staff, self.action, self.phone, self.use_dates, self.since, QLabel("—"), self.until, self.apply):
            row.addWidget(w)
        for edit in (self.staff, self.phone):
            edit.returnPressed.connect(self.refresh)
        lay.addLayout(row)
        self.error = ErrorLabel()
        lay.addWidget(self.error)
        self.model = AuditModel()
        self.table = QTableView()
        self.table.setObjectName("audit_rows")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setStretchLastSection(True)
        lay.addWidget(self.table, 1)
        bottom = QHBoxLayout()
        self.info = QLabel()
        self.info.setObjectName("result")
        self.export = QPushButton(tr("audit.export"))
        self.export.clicked.connect(self.ask_export)
        bottom.addWidget(self.info, 1)
        bottom.addWidget(self.export)
        lay.addLayout(bottom)
        QShortcut(QKeySequence("Ctrl+Shift+E"), self, activated=self.ask_export)

    # ----------------------------------------------------------------- reading
    def filters(self) -> dict[str, Any]:
        since = until = None
        if self.use_dates.isChecked():
            since = date.fromisoformat(self.since.date().toString("yyyy-MM-dd"))
            until = date.fromisoformat(self.until.date().toString("yyyy-MM-dd"))
        return {"staff": self.staff.text().strip() or None, "action": self.action.currentData(),
                "since": since, "until": until, "phone": self.phone.text().strip() or None}

    def on_shown(self) -> None:
        self.refresh()

    def refresh(self) -> None:
        ctx, actor, f = self.appctx.ctx, self.appctx.actor, self.filters()
        self.error.show_error(None)

        def ok(rows: list[Any]) -> None:
            self.model.set_rows(rows)
            for c in range(len(AuditModel.COLUMNS) - 1):  # the details (last) column takes the rest
                self.table.resizeColumnToContents(c)
            self.info.setText(tr("audit.shown", n=len(rows)))

        self.appctx.run(lambda: audit.audit_rows(ctx, actor, limit=SHOWN, **f), ok, self.error.show_error,
                        key="audit-rows")

    # ----------------------------------------------------------------- export
    def ask_export(self) -> None:
        path = filedialogs.save_file(self, tr("audit.export_title"), "audit.xlsx", "Excel (*.xlsx);;CSV (*.csv)")
        if path:
            self.export_to(path)

    def export_to(self, path: str) -> None:
        """Write the rows the filters select (up to services.audit.MAX_ROWS) to ``path`` (.csv or .xlsx)."""
        ctx, actor, f = self.appctx.ctx, self.appctx.actor, self.filters()
        try:
            filedialogs.check_output(path)
        except DomainError as exc:
            self.error.show_error(exc)
            return

        def ok(p: Any) -> None:
            self.last_export = str(p)
            self.error.show_error(None)
            self.info.setText(tr("audit.exported", path=str(p)))

        self.appctx.run(lambda: filedialogs.writing(path, lambda: audit.export_audit(ctx, actor, path, **f)), ok,
                        self.error.show_error)


def _now() -> Any:
    from datetime import UTC, datetime  # noqa: PLC0415

    return datetime.now(UTC).astimezone(store_tz())


register_screen(ScreenSpec("audit", "screen.audit", "F11", AuditScreen, frozenset({"manager"}), 90))
