"""Reports (F12): the cashier's shift (交班: open with a float, close with the cash counted, showing the
cash expected and the difference as it is typed, saved as a PDF on an 80 mm roll or A4) for cashiers and
managers; for managers also the prepaid liability and the daily sales for a period, with PDF/CSV/XLSX
export. Every figure comes from services.reports on the database worker; nothing is computed here but
the live difference of the count being typed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from PySide6.QtCore import QDate
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from pos_app.domain import roles
from pos_app.domain.errors import DomainError
from pos_app.domain.money import format_fen, parse_yuan
from pos_app.domain.textparams import Money
from pos_app.services.reports import liability, sales, shift
from pos_app.ui import filedialogs
from pos_app.ui.appctx import AppContext
from pos_app.ui.common import CJK_FAMILIES, ErrorLabel, tr
from pos_app.ui.models import Column, DtoTableModel
from pos_app.ui.screens import ScreenSpec, register_screen


class ShiftModel(DtoTableModel):
    """Rows (section, MethodRow) of a ShiftReport."""

    COLUMNS = (
        Column("report.col.item", lambda r: shift.section_label(r[0])),
        Column("report.col.method", lambda r: shift.method_label(r[1].method)),
        Column("report.col.count", lambda r: r[1].count, numeric=True),
        Column("report.col.amount", lambda r: r[1].amount_fen, money=True),
    )


class LiabilityModel(DtoTableModel):
    """The liability report's lines (label, count, principal, bonus, points)."""

    COLUMNS = (
        Column("report.col.item", lambda r: r[0]),
        Column("report.col.count", lambda r: r[1], numeric=True),
        Column("report.col.principal", lambda r: r[2], money=True),
        Column("report.col.bonus", lambda r: r[3], money=True),
        Column("report.col.total", lambda r: None if r[2] is None or r[3] is None else r[2] + r[3], money=True),
        Column("report.col.points", lambda r: r[4], numeric=True),
    )


class SalesModel(DtoTableModel):
    """Daily sales rows (services.reports.sales.SalesDay)."""

    COLUMNS = (
        Column("report.col.date", lambda d: d.day.isoformat()),
        Column("report.col.sales_count", lambda d: d.sales_count, numeric=True),
        Column("report.col.sales", lambda d: d.sales_fen, money=True),
        Column("report.col.paid", lambda d: d.paid_fen, money=True),
        Column("report.col.methods", lambda d: ", ".join(f"{shift.method_label(k)} {format_fen(v)}"
                                                        for k, v in sorted(d.by_method_fen.items()))),
        Column("report.col.returns", lambda d: d.returns_fen, money=True),
        Column("report.col.net", lambda d: d.net_fen, money=True),
    )


def _table(model: DtoTableModel, name: str) -> QTableView:
    t = QTableView()
    t.setObjectName(name)
    t.setModel(model)
    t.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    t.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    t.horizontalHeader().setStretchLastSection(True)
    return t


def _qdate(d: date) -> QDate:
    return QDate(d.year, d.month, d.day)


def _day(edit: QDateEdit) -> date:
    return date.fromisoformat(edit.date().toString("yyyy-MM-dd"))


class ShiftTab(QWidget):
    """The logged-in staff member's shift."""

    def __init__(self, appctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.appctx = appctx
        self.current: shift.ShiftReport | None = None
        self.last_pdf: str | None = None
        lay = QVBoxLayout(self)
        self.status = QLabel()
        self.status.setObjectName("shift_status")
        lay.addWidget(self.status)
        row = QHBoxLayout()
        self.float_edit = QLineEdit()
        self.float_edit.setObjectName("shift_float")
        self.float_edit.setPlaceholderText(tr("report.ui.float_hint"))
        self.open_btn = QPushButton(tr("report.ui.open"))
        self.open_btn.clicked.connect(self.open_shift)
        self.float_edit.returnPressed.connect(self.open_shift)
        self.counted_edit = QLineEdit()
        self.counted_edit.setObjectName("shift_counted")
        self.counted_edit.setPlaceholderText(tr("report.ui.counted_hint"))
        self.counted_edit.textChanged.connect(self.show_difference)
        self.counted_edit.returnPressed.connect(self.close_shift)
        self.close_btn = QPushButton(tr("report.ui.close"))
        self.close_btn.clicked.connect(self.close_shift)
        for w in (QLabel(tr("report.shift.float")), self.float_edit, self.open_btn,
                  QLabel(tr("report.shift.counted")), self.counted_edit, self.close_btn):
            row.addWidget(w)
        lay.addLayout(row)
        self.till = QLabel()
        self.till.setObjectName("shift_till")
        lay.addWidget(self.till)
        self.difference = QLabel()
        self.difference.setObjectName("shift_difference")
        lay.addWidget(self.difference)
        self.error = ErrorLabel()
        lay.addWidget(self.error)
        self.model = ShiftModel()
        lay.addWidget(_table(self.model, "shift_rows"), 1)
        bottom = QHBoxLayout()
        self.layout_box = QComboBox()
        self.layout_box.addItem(tr("report.ui.layout_80mm"), "80mm")
        self.layout_box.addItem(tr("report.ui.layout_a4"), "a4")
        self.print_btn = QPushButton(tr("report.ui.save_pdf"))
        self.print_btn.clicked.connect(self.ask_pdf)
        self.paper_btn = QPushButton(tr("report.ui.print"))
        self.paper_btn.clicked.connect(self.print_paper)
        self.print_dialog: Any = None  # the last QPrintDialog
        bottom.addStretch(1)
        bottom.addWidget(self.layout_box)
        bottom.addWidget(self.paper_btn)
        bottom.addWidget(self.print_btn)
        lay.addLayout(bottom)

    def refresh(self) -> None:
        ctx, actor = self.appctx.ctx, self.appctx.actor

        def ok(res: tuple[shift.ShiftReport | None, int | None]) -> None:
            self.show_shift(res[0])
            if (res[0] is None or res[0].state == shift.CLOSED) and res[1] is not None and not self.float_edit.text():
                self.float_edit.setText(format_fen(res[1], symbol="").replace(",", ""))

        self.appctx.run(lambda: (shift.current_shift(ctx, actor), shift.previous_float(ctx, actor)), ok,
                        self.error.show_error, key="shift-current")

    def show_shift(self, rep: shift.ShiftReport | None) -> None:
        self.current = rep
        is_open = rep is not None and rep.state == shift.OPEN
        self.open_btn.setEnabled(not is_open)
        self.float_edit.setEnabled(not is_open)
        self.close_btn.setEnabled(is_open)
        self.counted_edit.setEnabled(is_open)
        self.print_btn.setEnabled(rep is not None)
        self.paper_btn.setEnabled(rep is not None)
        if rep is None:
            self.status.setText(tr("report.shift.never"))
            self.till.clear()
            self.model.set_rows([])
        else:
            self.status.setText(tr("report.shift.head", staff=rep.staff_code, opened=shift.local_text(
                rep.opened_at, self.appctx.store_tz), state=tr("report.shift.state_open") if is_open
                else tr("report.shift.state_closed")))
            self.till.setText(tr("report.shift.till", float=Money(rep.float_fen), cash_in=Money(rep.cash_in_fen),
                                 cash_out=Money(rep.cash_out_fen), expected=Money(rep.expected_fen)))
            self.model.set_rows([(s.kind, r) for s in rep.sections for r in s.rows])
        self.show_difference()

    def show_difference(self) -> None:
        rep = self.current
        if rep is not None and rep.state == shift.CLOSED and rep.counted_fen is not None and rep.difference_fen is not None:
            self.difference.setText(tr("report.shift.counted_line", counted=Money(rep.counted_fen),
                                       difference=Money(rep.difference_fen)))
            return
        text = self.counted_edit.text().strip()
        if rep is None or rep.state != shift.OPEN or not text:
            self.difference.clear()
            return
        try:
            counted = parse_yuan(text, allow_zero=True, field="counted")
        except DomainError as exc:
            self.difference.setText(str(exc))
            return
        self.difference.setText(tr("report.shift.counted_line", counted=Money(counted),
                                   difference=Money(counted - rep.expected_fen)))

    def _amount(self, edit: QLineEdit, field: str) -> int | None:
        try:
            return parse_yuan(edit.text().strip(), allow_zero=True, field=field)
        except DomainError as exc:
            self.error.show_error(exc)
            return None

    def open_shift(self) -> None:
        amount = self._amount(self.float_edit, "float")
        if amount is None:
            return
        ctx, actor, rid = self.appctx.ctx, self.appctx.actor, self.appctx.ctx.new_id()
        self.error.show_error(None)
        self.appctx.run(lambda: shift.open_shift(ctx, actor, float_fen=amount, request_id=rid), self._done,
                        self.error.show_error)

    def close_shift(self) -> None:
        amount = self._amount(self.counted_edit, "counted")
        if amount is None:
            return
        ctx, actor, rid = self.appctx.ctx, self.appctx.actor, self.appctx.ctx.new_id()
        self.error.show_error(None)
        self.appctx.run(lambda: shift.close_shift(ctx, actor, counted_fen=amount, request_id=rid), self._done,
                        self.error.show_error)

    def _done(self, rep: shift.ShiftReport) -> None:
        self.counted_edit.clear()
        self.float_edit.clear()
        self.show_shift(rep)

    def slip_html(self) -> str:
        """The shift report as HTML for Qt's printer: the same lines as the PDF."""
        if self.current is None:
            return ""
        from pos_app.printing import qtprint  # noqa: PLC0415
        from pos_app.printing.reports_pdf import shift_blocks  # noqa: PLC0415

        blocks = shift_blocks(self.current, self.appctx.store_name, tz=str(self.appctx.store_tz))
        return qtprint.blocks_html(blocks, families=CJK_FAMILIES)

    def print_paper(self) -> None:
        """The system print dialog, then the report on an 80 mm roll or an A4 page (the layout chosen)."""
        if self.current is None:
            return
        from PySide6.QtGui import QPageSize, QTextDocument  # noqa: PLC0415
        from PySide6.QtPrintSupport import QPrintDialog, QPrinter  # noqa: PLC0415
        from PySide6.QtWidgets import QDialog  # noqa: PLC0415

        from pos_app.printing import qtprint  # noqa: PLC0415

        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        a4 = self.layout_box.currentData() == "a4"
        printer.setPageLayout(qtprint.sheet_page(QPageSize.PageSizeId.A4, 15) if a4 else qtprint.roll_page(80, 200, 3))
        dlg = QPrintDialog(printer, self)
        self.print_dialog = dlg
        if dlg.exec() == QDialog.DialogCode.Accepted:
            doc = QTextDocument()
            doc.setHtml(self.slip_html())
            doc.print_(printer)

    def ask_pdf(self) -> None:
        path = filedialogs.save_file(self, tr("report.ui.save_pdf"), "shift.pdf", "PDF (*.pdf)")
        if path:
            self.save_pdf(path)

    def save_pdf(self, path: str) -> None:
        rep, layout = self.current, str(self.layout_box.currentData())
        if rep is None:
            return
        try:
            filedialogs.check_output(path)
        except DomainError as exc:
            self.error.show_error(exc)
            return
        from pos_app.printing.reports_pdf import shift_pdf  # noqa: PLC0415

        store, tz = self.appctx.store_name, str(self.appctx.store_tz)

        def ok(_res: Any) -> None:
            self.last_pdf = path

        self.appctx.run(lambda: filedialogs.writing(path, lambda: shift_pdf(rep, store, path, tz=tz, layout=layout)),
                        ok, self.error.show_error)


class PeriodTab(QWidget):
    """A period (from, to), a Show button, a summary, a table and an export button."""

    FILTERS = "Excel (*.xlsx);;CSV (*.csv)"
    DEFAULT_NAME = "report.xlsx"

    def __init__(self, appctx: AppContext, model: DtoTableModel, name: str,
                 write: Callable[[str, date, date], Any], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.appctx = appctx
        self.write = write
        self.last_export: str | None = None
        lay = QVBoxLayout(self)
        row = QHBoxLayout()
        today = appctx.store_today()
        self.start = QDateEdit(_qdate(today.replace(day=1)))
        self.end = QDateEdit(_qdate(today))
        for d in (self.start, self.end):
            d.setCalendarPopup(True)
            d.setDisplayFormat("yyyy-MM-dd")
        self.show_btn = QPushButton(tr("report.ui.show"))
        self.show_btn.clicked.connect(self.refresh)
        self.export_btn = QPushButton(tr("report.ui.export"))
        self.export_btn.clicked.connect(self.ask_export)
        for w in (self.start, QLabel("—"), self.end, self.show_btn):
            row.addWidget(w)
        row.addStretch(1)
        row.addWidget(self.export_btn)
        lay.addLayout(row)
        self.summary = QLabel()
        self.summary.setObjectName(f"{name}_summary")
        self.summary.setWordWrap(True)
        lay.addWidget(self.summary)
        self.error = ErrorLabel()
        lay.addWidget(self.error)
        self.model = model
        self.table = _table(model, f"{name}_rows")
        lay.addWidget(self.table, 1)

    def set_period(self, start: date, end: date) -> None:
        self.start.setDate(_qdate(start))
        self.end.setDate(_qdate(end))

    def period(self) -> tuple[date, date]:
        return _day(self.start), _day(self.end)

    def ask_export(self) -> None:
        path = filedialogs.save_file(self, tr("report.ui.export"), self.DEFAULT_NAME, self.FILTERS)
        if path:
            self.export_to(path)

    def export_to(self, path: str) -> None:
        start, end = self.period()
        try:
            filedialogs.check_output(path)
        except DomainError as exc:
            self.error.show_error(exc)
            return

        def ok(p: Any) -> None:
            self.last_export = str(p)
            self.error.show_error(None)

        self.appctx.run(lambda: filedialogs.writing(path, lambda: self.write(path, start, end)), ok,
                        self.error.show_error)


class LiabilityTab(PeriodTab):
    FILTERS = "PDF (*.pdf);;Excel (*.xlsx);;CSV (*.csv)"
    DEFAULT_NAME = "liability.pdf"

    def __init__(self, appctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(appctx, LiabilityModel(), "liability", self.write_file, parent)
        self.report: liability.LiabilityReport | None = None

    def refresh(self) -> None:
        ctx, actor, (start, end) = self.appctx.ctx, self.appctx.actor, self.period()
        self.error.show_error(None)

        def ok(r: liability.LiabilityReport) -> None:
            self.report = r
            self.model.set_rows(liability.lines(r))
            over = "; ".join(f"{o.phone} {format_fen(o.balance_fen)}" for o in r.over_cap)
            self.summary.setText("\n".join(liability.summary_lines(r)) + (f"\n{over}" if over else ""))
            self.table.resizeColumnToContents(0)

        self.appctx.run(lambda: liability.liability(ctx, actor, from_day=start, to_day=end), ok,
                        self.error.show_error, key="report-liability")

    def write_file(self, path: str, start: date, end: date) -> Any:
        return liability.export(self.appctx.ctx, self.appctx.actor, path, from_day=start, to_day=end)


class SalesTab(PeriodTab):
    DEFAULT_NAME = "sales.xlsx"

    def __init__(self, appctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(appctx, SalesModel(), "sales", self.write_file, parent)

    def refresh(self) -> None:
        ctx, actor, (start, end) = self.appctx.ctx, self.appctx.actor, self.period()
        self.error.show_error(None)

        def ok(rows: list[sales.SalesDay]) -> None:
            self.model.set_rows(rows)
            self.summary.setText(tr("report.ui.sales_total", sales=Money(sum(d.sales_fen for d in rows)),
                                    paid=Money(sum(d.paid_fen for d in rows)),
                                    returns=Money(sum(d.returns_fen for d in rows))))

        self.appctx.run(lambda: sales.daily_sales(ctx, actor, from_day=start, to_day=end), ok,
                        self.error.show_error, key="report-sales")

    def write_file(self, path: str, start: date, end: date) -> Any:
        return sales.export(self.appctx.ctx, self.appctx.actor, path, from_day=start, to_day=end)


class ReportsScreen(QWidget):
    """F12: the shift for cashiers and managers; the liability and daily sales for managers."""

    handles_changes = False

    def __init__(self, appctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.appctx = appctx
        lay = QVBoxLayout(self)
        self.tabs = QTabWidget()
        self.shift = ShiftTab(appctx)
        self.tabs.addTab(self.shift, tr("report.shift.title"))
        self.liability: LiabilityTab | None = None
        self.sales: SalesTab | None = None
        if appctx.actor.role == roles.MANAGER:
            self.liability = LiabilityTab(appctx)
            self.sales = SalesTab(appctx)
            self.tabs.addTab(self.liability, tr("report.liability.title"))
            self.tabs.addTab(self.sales, tr("report.ui.sales_title"))
        self.tabs.currentChanged.connect(lambda _i: self.on_shown())
        lay.addWidget(self.tabs)

    def on_shown(self) -> None:
        w = self.tabs.currentWidget()
        if isinstance(w, ShiftTab | LiabilityTab | SalesTab):
            w.refresh()


register_screen(ScreenSpec("reports", "screen.reports", "Shift+F11", ReportsScreen,
                           frozenset({roles.CASHIER, roles.MANAGER}), 95))
