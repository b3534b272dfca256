"""Gift stock (F7, managers): stock levels with low-stock rows highlighted and a banner, receive /
adjust / catalogue edits, movement history with filters, CSV/XLSX export, and the stocktake."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QDate, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from pos_app import messages
from pos_app.domain.errors import DomainError
from pos_app.domain.gifts import KINDS, MAX_QTY
from pos_app.domain.money import fen_to_yuan_str, format_fen, parse_yuan
from pos_app.printing import stock_sheet
from pos_app.services import gifts
from pos_app.services.changes import Changes
from pos_app.ui import filedialogs
from pos_app.ui.appctx import AppContext
from pos_app.ui.common import ErrorLabel, tr
from pos_app.ui.models import Column, DtoTableModel, fmt_dt
from pos_app.ui.screens import ScreenSpec, register_screen

_Index = QModelIndex | QPersistentModelIndex

LOW_BG = QColor("#fff1d6")
LOW_FG = QColor("#b3261e")
DIFF_BG = QColor("#e8f0fe")


def low_stock_message(levels: Sequence[Any]) -> str:
    """The alert text for low-stock gifts ("" when none): the banner here, and the login alert."""
    if not levels:
        return ""
    names = "、".join(f"{lv.name}（{tr('gift.col.available')} {lv.available}）" for lv in levels[:6])
    more = "…" if len(levels) > 6 else ""
    return tr("stock.low_banner", n=len(levels), names=names + more)


class StockModel(DtoTableModel):
    """Stock levels (``gifts.StockLevel``); low rows: amber background, red available figure."""

    COLUMNS = (
        Column("gift.col.sku", lambda r: r.sku),
        Column("gift.col.name", lambda r: r.name),
        Column("gift.col.on_hand", lambda r: r.on_hand, numeric=True),
        Column("gift.col.owed", lambda r: r.owed, numeric=True),
        Column("gift.col.available", lambda r: r.available, numeric=True),
        Column("gift.col.threshold", lambda r: r.threshold, numeric=True),
        Column("stock.col.unit_value", lambda r: r.unit_value_fen, money=True),
        Column("stock.col.value", lambda r: r.value_fen, money=True),
        Column("gift.col.active", lambda r: tr("stock.yes") if r.active else tr("stock.no")),
    )

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.BackgroundRole and index.isValid() and index.row() < len(self._rows):
            return LOW_BG if self._rows[index.row()].low else None
        if role == Qt.ItemDataRole.ToolTipRole and index.isValid() and index.row() < len(self._rows):
            return tr("stock.low_tip") if self._rows[index.row()].low else None
        return super().data(index, role)

    def foreground(self, row: Any, column: int) -> QColor | None:
        if row.low and column in (2, 4):
            return LOW_FG
        if not row.active:
            return QColor("#888888")
        return None


class MovementModel(DtoTableModel):
    COLUMNS = (
        Column("gift.col.time", lambda r: fmt_dt(r.created_at)),
        Column("gift.col.sku", lambda r: r.sku),
        Column("gift.col.name", lambda r: r.name),
        Column("gift.col.kind", lambda r: tr(f"gift.kind.{r.kind}")),
        Column("gift.col.delta", lambda r: f"{r.delta:+d}", numeric=True),
        Column("gift.col.on_hand_after", lambda r: r.on_hand_after, numeric=True),
        Column("gift.col.phone", lambda r: r.phone or ""),
        Column("gift.col.reason", lambda r: r.reason or ""),
        Column("gift.col.supplier", lambda r: " ".join(x for x in (r.supplier, r.reference) if x)),
        Column("gift.col.other_store", lambda r: r.other_store or ""),
        Column("gift.col.staff", lambda r: r.staff_code),
    )

    def foreground(self, row: Any, column: int) -> QColor | None:
        if column == 4:
            return QColor("#b3261e") if row.delta < 0 else QColor("#137333")
        return None


class StocktakeModel(QAbstractTableModel):
    """The count sheet: the counted column is editable; the difference follows; rows that differ are
    highlighted. ``counts()`` gives what was entered."""

    HEADERS = stock_sheet.HEADERS
    COUNTED = 3

    def __init__(self) -> None:
        super().__init__()
        self._lines: list[Any] = []
        self._counted: list[int | None] = []

    def set_lines(self, lines: Sequence[Any]) -> None:
        self.beginResetModel()
        self._lines = list(lines)
        self._counted = [getattr(c, "counted", None) for c in lines]
        self.endResetModel()

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self._lines)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.HEADERS)

    def difference(self, row: int) -> int | None:
        counted = self._counted[row]
        return None if counted is None else counted - self._lines[row].expected

    def counts(self) -> dict[str, int]:
        return {c.sku: n for c, n in zip(self._lines, self._counted, strict=True) if n is not None}

    def scan(self, code: str) -> str | None:
        """One item scanned (its barcode or SKU): its counted quantity goes up by one. Returns the SKU."""
        text = code.strip()
        for i, c in enumerate(self._lines):
            if text and (c.sku == text.upper() or getattr(c, "barcode", None) == text):
                self.setData(self.index(i, self.COUNTED), (self._counted[i] or 0) + 1, Qt.ItemDataRole.EditRole)
                return str(c.sku)
        return None

    def set_count(self, sku: str, qty: int | None) -> bool:
        for i, c in enumerate(self._lines):
            if c.sku == sku:
                return self.setData(self.index(i, self.COUNTED), qty, Qt.ItemDataRole.EditRole)
        return False

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._lines):
            return None
        c, col, row = self._lines[index.row()], index.column(), index.row()
        diff = self.difference(row)
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            if col == 0:
                return c.sku
            if col == 1:
                return c.name
            if col == 2:
                return c.expected if role == Qt.ItemDataRole.EditRole else str(c.expected)
            if col == 3:
                n = self._counted[row]
                if role == Qt.ItemDataRole.EditRole:
                    return n if n is not None else 0
                return "" if n is None else str(n)
            if col == 4:
                return "" if diff is None else f"{diff:+d}"
            if col == 5:
                return "" if diff is None else format_fen(diff * c.unit_value_fen)
            return None
        if role == Qt.ItemDataRole.BackgroundRole:
            return DIFF_BG if diff else None
        if role == Qt.ItemDataRole.ForegroundRole and col in (4, 5) and diff:
            return QColor("#b3261e") if diff < 0 else QColor("#137333")
        if role == Qt.ItemDataRole.TextAlignmentRole and col >= 2:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        f = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if index.column() == self.COUNTED:
            f |= Qt.ItemFlag.ItemIsEditable
        return f

    def setData(self, index: _Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:  # noqa: N802
        if not index.isValid() or index.column() != self.COUNTED or role != Qt.ItemDataRole.EditRole:
            return False
        if value is None or (isinstance(value, str) and not value.strip()):
            qty: int | None = None
        else:
            try:
                qty = int(str(value).strip())
            except ValueError:
                return False
            if qty < 0 or qty > MAX_QTY:
                return False
        self._counted[index.row()] = qty
        self.dataChanged.emit(index, self.index(index.row(), len(self.HEADERS) - 1))
        return True

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: N802
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal and 0 <= section < len(self.HEADERS):
            return tr(self.HEADERS[section])
        return None


def save_sheet_pdf(html: str, path: str) -> None:
    """The count sheet as an A4 PDF (Qt's PDF writer, CJK through the system fonts); a path that cannot be
    written raises a translated DomainError."""
    from PySide6.QtGui import QPageSize  # noqa: PLC0415

    from pos_app.printing import qtprint  # noqa: PLC0415

    filedialogs.check_output(path)
    qtprint.html_pdf(html, path, qtprint.sheet_page(QPageSize.PageSizeId.A4, 12))
    filedialogs.check_written(path)


def _table(model: Any, name: str) -> QTableView:
    t = QTableView()
    t.setObjectName(name)
    t.setModel(model)
    t.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    t.horizontalHeader().setStretchLastSection(True)
    return t


class GiftFormDialog(QDialog):
    """Add or edit a catalogue entry (the SKU cannot change once created)."""

    def __init__(self, level: Any | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr("stock.edit_gift") if level else tr("stock.add_gift"))
        form = QFormLayout(self)
        self.sku = QLineEdit(level.sku if level else "")
        self.sku.setReadOnly(level is not None)
        self.name = QLineEdit(level.name if level else "")
        self.value = QLineEdit(fen_to_yuan_str(level.unit_value_fen) if level else "0")
        self.threshold = QSpinBox()
        self.threshold.setRange(0, MAX_QTY)
        self.threshold.setValue(level.threshold if level else 0)
        self.barcode = QLineEdit((level.barcode or "") if level else "")
        self.active = QCheckBox(tr("gift.col.active"))
        self.active.setChecked(level.active if level else True)
        for key, w in (("gift.col.sku", self.sku), ("gift.col.name", self.name), ("stock.col.unit_value", self.value),
                       ("gift.col.threshold", self.threshold), ("gift.col.barcode", self.barcode)):
            form.addRow(tr(key), w)
        form.addRow(self.active)
        self.error = ErrorLabel()
        form.addRow(self.error)
        box = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        box.accepted.connect(self._check)
        box.rejected.connect(self.reject)
        form.addRow(box)
        self.values: dict[str, Any] = {}

    def _check(self) -> None:
        from pos_app.domain.errors import DomainError  # noqa: PLC0415

        try:
            fen = parse_yuan(self.value.text() or "0", allow_zero=True, field="value")
        except DomainError as exc:
            self.error.show_error(exc)
            return
        self.values = {
            "sku": self.sku.text(), "name": self.name.text(), "unit_value_fen": fen,
            "threshold": self.threshold.value(), "barcode": self.barcode.text(), "active": self.active.isChecked(),
        }
        self.accept()


class MovementDialog(QDialog):
    """Receive stock, return items to the shelf, transfer out/in, or adjust after a count (reason required)."""

    def __init__(self, kind: str, skus: Sequence[str], sku: str | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.kind = kind
        self.setWindowTitle(tr(f"stock.{kind}"))
        form = QFormLayout(self)
        self.sku = QComboBox()
        self.sku.addItems(list(skus))
        if sku:
            self.sku.setCurrentText(sku)
        self.qty = QSpinBox()
        self.qty.setRange(0 if kind == "adjust" else 1, MAX_QTY)
        self.text1 = QLineEdit()
        self.text2 = QLineEdit()
        form.addRow(tr("gift.col.sku"), self.sku)
        form.addRow(tr("gift.col.counted") if kind == "adjust" else tr("stock.qty"), self.qty)
        if kind in ("adjust", "return"):
            form.addRow(tr("gift.col.reason"), self.text1)
        elif kind in ("transfer_out", "transfer_in"):
            form.addRow(tr("gift.col.other_store"), self.text1)
            form.addRow(tr("gift.col.reference"), self.text2)
        else:
            form.addRow(tr("gift.col.supplier"), self.text1)
            form.addRow(tr("gift.col.reference"), self.text2)
        box = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        box.accepted.connect(self.accept)
        box.rejected.connect(self.reject)
        form.addRow(box)


class StockScreen(QWidget):
    """F7 for managers."""

    handles_changes = False

    def __init__(self, appctx: AppContext, parent: QWidget | None = None, *, read_only: bool = False) -> None:
        super().__init__(parent)
        self.appctx = appctx
        #: staff: levels and movements only, no manager buttons, no stocktake (the main window passes it)
        self.read_only = read_only
        self.manager_buttons: list[QPushButton] = []
        self.busy = False
        self.last_message = ""
        self.last_export: str | None = None
        self.preview_dialog: Any = None  # the count sheet's QPrintPreviewDialog (it keeps its printer)
        #: times the count-sheet preview painted (it paints when it opens and on every change)
        self.preview_paints = 0
        self._sheet_doc: Any = None
        lay = QVBoxLayout(self)
        self.banner = QLabel()
        self.banner.setObjectName("low_banner")
        self.banner.setWordWrap(True)
        self.banner.setStyleSheet("background: #fff1d6; color: #7a4b00; padding: 6px; font-weight: bold")
        self.banner.hide()
        lay.addWidget(self.banner)
        self.message = QLabel()
        self.message.setObjectName("result")
        self.message.setWordWrap(True)
        lay.addWidget(self.message)
        self.error = ErrorLabel()
        lay.addWidget(self.error)
        self.tabs = QTabWidget()
        lay.addWidget(self.tabs, 1)
        self._build_levels()
        self._build_movements()
        self._build_stocktake()
        export = getattr(self, "levels_export", None)
        self.manager_buttons = [b for b in self.tabs.widget(0).findChildren(QPushButton)
                                if b is not export and not b.text().startswith(tr("stock.export"))]
        if read_only:
            for b in self.manager_buttons:
                if b is not self.adjust_button:  # staff count the shelf: a manager approves the adjustment
                    b.hide()
            self.tabs.removeTab(2)  # the stocktake

    # ----------------------------------------------------------------- building
    def _build_levels(self) -> None:
        w = QWidget()
        lay = QVBoxLayout(w)
        row = QHBoxLayout()
        self.filter = QLineEdit()
        self.filter.setPlaceholderText(tr("stock.filter_hint"))
        self.filter.textChanged.connect(lambda _t: self.refresh_levels())
        self.low_only = QCheckBox(tr("stock.low_only"))
        self.low_only.toggled.connect(lambda _b: self.refresh_levels())
        row.addWidget(self.filter, 1)
        row.addWidget(self.low_only)
        lay.addLayout(row)
        self.model = StockModel()
        self.table = _table(self.model, "stock_levels")
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.doubleClicked.connect(lambda ix: None if self.read_only else self.ask_edit(ix.row()))
        lay.addWidget(self.table, 1)
        row = QHBoxLayout()
        row2 = QHBoxLayout()
        for key, fn in (("stock.receive", self.ask_receive), ("stock.adjust", self.ask_adjust),
                        ("stock.return", lambda: self.ask_movement("return")),
                        ("stock.transfer_out", lambda: self.ask_movement("transfer_out")),
                        ("stock.transfer_in", lambda: self.ask_movement("transfer_in")),
                        ("stock.add_gift", self.ask_add), ("stock.edit_gift", lambda: self.ask_edit(None)),
                        ("stock.export_levels", lambda: self.ask_export("stock"))):
            b = QPushButton(tr(key))
            b.clicked.connect(fn)
            (row2 if key in ("stock.add_gift", "stock.edit_gift", "stock.export_levels") else row).addWidget(b)
            if key == "stock.export_levels":
                self.levels_export = b
            if key == "stock.adjust":
                self.adjust_button = b
        row2.addStretch(1)
        lay.addLayout(row)
        lay.addLayout(row2)
        self.tabs.addTab(w, tr("stock.tab_levels"))

    def _build_movements(self) -> None:
        w = QWidget()
        lay = QVBoxLayout(w)
        row = QHBoxLayout()
        self.mv_sku = QLineEdit()
        self.mv_sku.setPlaceholderText(tr("gift.col.sku"))
        self.mv_kind = QComboBox()
        self.mv_kind.addItem(tr("stock.all_kinds"), None)
        for k in KINDS:
            self.mv_kind.addItem(tr(f"gift.kind.{k}"), k)
        self.mv_use_dates = QCheckBox(tr("stock.dates"))
        self.mv_since = QDateEdit()
        self.mv_until = QDateEdit()
        for d in (self.mv_since, self.mv_until):
            d.setCalendarPopup(True)
            d.setDisplayFormat("yyyy-MM-dd")
            d.setDate(QDate.currentDate())
        self.mv_staff = QLineEdit()
        self.mv_staff.setPlaceholderText(tr("gift.col.staff"))
        apply = QPushButton(tr("stock.apply"))
        apply.clicked.connect(self.refresh_movements)
        export = QPushButton(tr("stock.export_movements"))
        export.clicked.connect(lambda: self.ask_export("movements"))
        self.mv_export = export
        for x in (self.mv_sku, self.mv_kind, self.mv_use_dates, self.mv_since, self.mv_until, self.mv_staff, apply):
            row.addWidget(x)
        lay.addLayout(row)
        self.mv_model = MovementModel()
        self.mv_table = _table(self.mv_model, "movements")
        self.mv_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        lay.addWidget(self.mv_table, 1)
        bottom = QHBoxLayout()
        bottom.addStretch(1)
        bottom.addWidget(export)
        lay.addLayout(bottom)
        self.tabs.addTab(w, tr("stock.tab_movements"))

    def _build_stocktake(self) -> None:
        w = QWidget()
        lay = QVBoxLayout(w)
        row = QHBoxLayout()
        load = QPushButton(tr("stock.st_load"))
        load.clicked.connect(self.load_sheet)
        self.st_load = load
        self.st_reason = QLineEdit()
        self.st_reason.setPlaceholderText(tr("stock.st_reason"))
        self.st_confirm = QPushButton(tr("stock.st_confirm"))
        self.st_confirm.setObjectName("primary")
        self.st_confirm.clicked.connect(self.confirm_stocktake)
        export = QPushButton(tr("stock.st_export"))
        export.clicked.connect(lambda: self.ask_export("stocktake"))
        self.st_export = export
        self.st_print = QPushButton(tr("stock.st_print"))
        self.st_print.clicked.connect(self.print_sheet)
        self.st_pdf = QPushButton(tr("stock.st_pdf"))
        self.st_pdf.clicked.connect(self.ask_sheet_pdf)
        self.st_scan = QLineEdit()
        self.st_scan.setObjectName("stocktake_scan")
        self.st_scan.setProperty("scan_local", True)
        self.st_scan.setPlaceholderText(tr("stock.st_scan"))
        self.st_scan.returnPressed.connect(self.scan_item)
        for x in (load, self.st_scan, self.st_reason, self.st_confirm):
            row.addWidget(x)
        lay.addLayout(row)
        row2 = QHBoxLayout()
        for x in (export, self.st_print, self.st_pdf):
            row2.addWidget(x)
        row2.addStretch(1)
        lay.addLayout(row2)
        self.st_model = StocktakeModel()
        self.st_model.dataChanged.connect(lambda *_a: self._st_summary())
        self.st_table = _table(self.st_model, "stocktake")
        self.st_table.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked | QAbstractItemView.EditTrigger.AnyKeyPressed
            | QAbstractItemView.EditTrigger.EditKeyPressed
        )
        lay.addWidget(self.st_table, 1)
        self.st_info = QLabel()
        lay.addWidget(self.st_info)
        self.tabs.addTab(w, tr("stock.tab_stocktake"))
        # keyboard: the print/export buttons of the tab shown (shortcuts of hidden tabs do not fire)
        self.shortcuts = []
        for parent, keys in (
            (w, (("Ctrl+O", self.load_sheet), ("Ctrl+Shift+P", self.print_sheet), ("Ctrl+S", self.ask_sheet_pdf),
                 ("Ctrl+Shift+E", lambda: self.ask_export("stocktake")))),
            (self.levels_export.parentWidget(), (("Ctrl+Shift+E", lambda: self.ask_export("stock")),)),
            (self.mv_export.parentWidget(), (("Ctrl+Shift+E", lambda: self.ask_export("movements")),)),
        ):
            for k, fn in keys:
                self.shortcuts.append(QShortcut(QKeySequence(k), parent, activated=fn))

    #: the keys of this screen, for F1 (keys, message key)
    help_keys: tuple[tuple[str, str], ...] = (
        ("Ctrl+Shift+E", "stock.help.export"), ("Ctrl+O", "stock.help.st_load"), ("Ctrl+Shift+P", "stock.help.st_print"),
        ("Ctrl+S", "stock.help.st_pdf"),
    )

    # ----------------------------------------------------------------- main window hooks
    def on_shown(self) -> None:
        self.refresh()

    def on_changed(self, changes: Changes) -> None:
        if changes.any("gifts", "stock", "wallet"):
            self.refresh()

    def refresh(self) -> None:
        if not self.appctx.has_actor:
            return
        self.refresh_levels()
        self.refresh_low()
        self.refresh_movements()

    # ----------------------------------------------------------------- queries
    def _call(self, fn: Any, ok: Any, *, key: str | None = None) -> None:
        self.appctx.run(fn, ok, self._failed, key=key)

    def _failed(self, exc: BaseException) -> None:
        self.busy = False
        self.error.show_error(exc)

    def refresh_levels(self) -> None:
        ctx, actor = self.appctx.ctx, self.appctx.actor
        q, low = self.filter.text(), self.low_only.isChecked()
        self._call(lambda: gifts.stock_levels(ctx, actor, query=q, low_only=low), self.model.set_rows, key="stock-levels")

    def refresh_low(self) -> None:
        ctx, actor = self.appctx.ctx, self.appctx.actor
        self._call(lambda: gifts.low_stock(ctx, actor), self._show_banner, key="stock-low")

    def _show_banner(self, levels: list[Any]) -> None:
        text = low_stock_message(levels)
        self.banner.setText(text)
        self.banner.setVisible(bool(text))

    def movement_filters(self) -> dict[str, Any]:
        since = until = None
        if self.mv_use_dates.isChecked():
            since = date.fromisoformat(self.mv_since.date().toString("yyyy-MM-dd"))
            until = date.fromisoformat(self.mv_until.date().toString("yyyy-MM-dd"))
        return {
            "sku": self.mv_sku.text().strip() or None, "kind": self.mv_kind.currentData(), "since": since,
            "until": until, "staff_code": self.mv_staff.text().strip() or None,
        }

    def refresh_movements(self) -> None:
        ctx, actor = self.appctx.ctx, self.appctx.actor
        f = self.movement_filters()
        self.error.show_error(None)
        self._call(lambda: gifts.movements(ctx, actor, limit=2000, **f), self.mv_model.set_rows, key="stock-movements")

    # ----------------------------------------------------------------- actions
    def _acted(self, text: str) -> Any:
        def ok(_res: Any) -> None:
            self.busy = False
            self.last_message = text
            self.message.setText(self.last_message)
            self.error.show_error(None)
            self.refresh()

        return ok

    def receive(self, sku: str, qty: int, supplier: str | None = None, reference: str | None = None) -> None:
        ctx, actor, rid = self.appctx.ctx, self.appctx.actor, self.appctx.new_request_id()

        def ok(res: Any) -> None:
            text = tr("stock.received", sku=res.level.sku, qty=res.movement.delta, on_hand=res.level.on_hand)
            if res.waiting_members:
                text += "  " + messages.translate(
                    "gift.waiting", {"count": res.waiting_members, "sku": res.level.sku, "units": res.waiting_gifts})
            self._acted(text)(res)

        self.busy = True
        self._call(lambda: gifts.receive(ctx, actor, sku=sku, qty=qty, supplier=supplier, reference=reference,
                                         request_id=rid), ok)

    def adjust(self, sku: str, counted: int, reason: str) -> None:
        """A manager adjusts; anyone else is asked for a manager's PIN for this one adjustment (ui/approval.py)."""
        from pos_app.ui.approval import approved_actor  # noqa: PLC0415

        actor = approved_actor(self.appctx, "gift.adjust", tr("stock.approve_adjust"))
        if actor is None:
            self.error.show_error(tr("approval.not_given"))
            return
        ctx, rid = self.appctx.ctx, self.appctx.new_request_id()
        self.busy = True
        self._call(
            lambda: gifts.adjust(ctx, actor, sku=sku, counted=counted, reason=reason, request_id=rid),
            lambda res: self._acted(tr("stock.adjusted", sku=res.level.sku, delta=f"{res.movement.delta:+d}",
                                       on_hand=res.level.on_hand))(res),
        )

    def move(self, kind: str, sku: str, qty: int, text: str | None = None, reference: str | None = None) -> None:
        """return (text = reason), transfer_out / transfer_in (text = the other store)."""
        ctx, actor, rid = self.appctx.ctx, self.appctx.actor, self.appctx.new_request_id()

        def fn() -> Any:
            if kind == "return":
                return gifts.return_gift(ctx, actor, sku=sku, qty=qty, reason=text, request_id=rid)
            if kind == "transfer_out":
                return gifts.transfer_out(ctx, actor, sku=sku, qty=qty, to_store=text or "", reference=reference,
                                          request_id=rid)
            return gifts.transfer_in(ctx, actor, sku=sku, qty=qty, from_store=text or "", reference=reference,
                                     request_id=rid)

        self.busy = True
        self._call(fn, lambda res: self._acted(tr("stock.moved", sku=res.level.sku, kind=tr(f"gift.kind.{res.movement.kind}"),
                                                  delta=f"{res.movement.delta:+d}", on_hand=res.level.on_hand))(res))

    def ask_movement(self, kind: str) -> None:
        lv = self._selected_level(None)
        dlg = MovementDialog(kind, self._skus(), lv.sku if lv else None, self)
        if dlg.exec() == QDialog.DialogCode.Accepted:
            self.move(kind, dlg.sku.currentText(), dlg.qty.value(), dlg.text1.text() or None, dlg.text2.text() or None)

    def save_gift(self, values: dict[str, Any], *, new: bool) -> None:
        ctx, actor = self.appctx.ctx, self.appctx.actor
        self.busy = True
        if new:
            v = dict(values)
            v["barcode"] = v.get("barcode") or None

            def fn() -> Any:
                return gifts.add_gift(ctx, actor, **v)
        else:
            v = dict(values)

            def fn() -> Any:
                return gifts.update_gift(ctx, actor, **v)

        self._call(fn, lambda lv: self._acted(tr("stock.saved", sku=lv.sku))(lv))

    def _skus(self) -> list[str]:
        return [r.sku for r in self.model.rows]

    def _selected_level(self, row: int | None) -> Any:
        if row is None:
            rows = self.table.selectionModel().selectedRows()
            row = rows[0].row() if rows else None
        return self.model.row(row) if row is not None and 0 <= row < len(self.model.rows) else None

    def ask_receive(self) -> None:
        lv = self._selected_level(None)
        dlg = MovementDialog("receive", self._skus(), lv.sku if lv else None, self)
        if dlg.exec() == QDialog.DialogCode.Accepted:
            self.receive(dlg.sku.currentText(), dlg.qty.value(), dlg.text1.text() or None, dlg.text2.text() or None)

    def ask_adjust(self) -> None:
        lv = self._selected_level(None)
        dlg = MovementDialog("adjust", self._skus(), lv.sku if lv else None, self)
        if lv:
            dlg.qty.setValue(lv.on_hand)
        if dlg.exec() == QDialog.DialogCode.Accepted:
            self.adjust(dlg.sku.currentText(), dlg.qty.value(), dlg.text1.text())

    def ask_add(self) -> None:
        dlg = GiftFormDialog(None, self)
        if dlg.exec() == QDialog.DialogCode.Accepted:
            self.save_gift(dlg.values, new=True)

    def ask_edit(self, row: int | None) -> None:
        lv = self._selected_level(row)
        if lv is None:
            return
        dlg = GiftFormDialog(lv, self)
        if dlg.exec() == QDialog.DialogCode.Accepted:
            self.save_gift(dlg.values, new=False)

    # ----------------------------------------------------------------- stocktake
    def load_sheet(self) -> None:
        ctx, actor = self.appctx.ctx, self.appctx.actor
        self._call(lambda: gifts.stocktake_sheet(ctx, actor), self._sheet_loaded, key="stock-sheet")

    def _sheet_loaded(self, lines: list[Any]) -> None:
        self.st_model.set_lines(lines)
        self._st_summary()

    def _st_summary(self) -> None:
        n = len(self.st_model.counts())
        diff = sum(1 for i in range(self.st_model.rowCount()) if self.st_model.difference(i))
        self.st_info.setText(tr("stock.st_info", counted=n, total=self.st_model.rowCount(), diff=diff))

    def scan_item(self) -> None:
        code = self.st_scan.text()
        self.st_scan.clear()
        sku = self.st_model.scan(code)
        if sku is None:
            self.error.show_error(messages.translate("gift.sku_unknown", {"sku": code.strip()}))
        else:
            self.error.show_error(None)
            self._st_summary()

    def confirm_stocktake(self) -> None:
        counts = self.st_model.counts()
        reason = self.st_reason.text()
        if not counts:
            self.error.show_error(messages.translate("gift.stocktake_empty"))
            return
        ctx, actor, rid = self.appctx.ctx, self.appctx.actor, self.appctx.new_request_id()
        self.busy = True

        def ok(res: Any) -> None:
            self.st_model.set_lines(list(res.lines))
            self._st_summary()
            self._acted(tr("stock.st_done", n=res.adjusted))(res)

        self._call(lambda: gifts.confirm_stocktake(ctx, actor, counts, reason=reason, request_id=rid), ok)

    # ----------------------------------------------------------------- exports
    def export_to(self, what: str, path: str) -> None:
        """Write ``what`` (stock | movements | stocktake) to ``path`` (.csv or .xlsx) on the worker."""
        ctx, actor = self.appctx.ctx, self.appctx.actor
        if what == "stock":
            q, low = self.filter.text(), self.low_only.isChecked()

            def fn() -> Any:
                return gifts.export_stock(ctx, actor, path, query=q, low_only=low)
        elif what == "movements":
            f = self.movement_filters()

            def fn() -> Any:
                return gifts.export_movements(ctx, actor, path, limit=100_000, **f)
        else:
            lines = self._sheet_lines()

            def fn() -> Any:
                return gifts.write_stocktake(path, lines)

        def ok(p: Any) -> None:
            self.last_export = str(p)
            self.error.show_error(None)
            self.message.setText(tr("stock.exported", path=str(p)))

        try:
            filedialogs.check_output(path)
        except DomainError as exc:
            self.error.show_error(exc)
            return
        write = fn
        self._call(lambda: filedialogs.writing(path, write), ok)

    def _sheet_lines(self) -> list[Any]:
        out = []
        for i in range(self.st_model.rowCount()):
            c = self.st_model._lines[i]
            counted = self.st_model._counted[i]
            out.append(gifts.CountLineDTO(c.sku, c.name, c.expected, counted,
                                          None if counted is None else counted - c.expected, c.unit_value_fen,
                                          getattr(c, "barcode", None)))
        return out

    def sheet_html(self) -> str:
        """The count sheet as printed (printing.stock_sheet), stamped with the store's clock."""
        staff_name = self.appctx.actor.name if self.appctx.has_actor else ""
        return stock_sheet.stocktake_html(self._sheet_lines(), self.appctx.store_name, staff_name,
                                          self.appctx.store_now(), tz=str(self.appctx.store_tz.key))

    def save_sheet_pdf(self, path: str) -> bool:
        """The count sheet as PDF at ``path``: says where it went, or why it could not be written."""
        try:
            save_sheet_pdf(self.sheet_html(), path)
        except DomainError as exc:
            self.error.show_error(exc)
            return False
        self.error.show_error(None)
        self.last_export = path
        self.message.setText(tr("stock.exported", path=path))
        return True

    def ask_sheet_pdf(self) -> None:
        path = filedialogs.save_file(self, tr("stock.st_pdf_title"), "stocktake.pdf", "PDF (*.pdf)")
        if path:
            self.save_sheet_pdf(path)

    def _paint_sheet(self, printer: Any) -> None:
        if self._sheet_doc is not None:
            self._sheet_doc.print_(printer)
            self.preview_paints += 1

    def print_sheet(self) -> Any:
        """Print preview of the count sheet (its print button prints). Non-modal; the dialog owns its printer
        (it repaints on every zoom, resize or page setup change)."""
        from PySide6.QtGui import QTextDocument  # noqa: PLC0415

        if self.preview_dialog is not None:
            self.preview_dialog.close()
        doc = QTextDocument()
        doc.setHtml(self.sheet_html())
        self._sheet_doc = doc
        preview = filedialogs.preview_dialog(filedialogs.new_printer(), self)
        preview.paintRequested.connect(self._paint_sheet)
        self.preview_dialog = preview
        preview.open()
        return preview

    def ask_export(self, what: str) -> None:
        path = filedialogs.save_file(self, tr("stock.export_title"), f"{what}.xlsx", "Excel (*.xlsx);;CSV (*.csv)")
        if path:
            self.export_to(what, path)


register_screen(ScreenSpec("stock", "screen.stock", "F7", StockScreen, frozenset({"manager"}), 70,
                           read_only_roles=frozenset({"staff"})))
