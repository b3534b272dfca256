"""Products (商品, Shift+F12; manager; a cashier sees the list read-only): the catalogue the checkout sells from.
Search as you type, add and edit a product (SKU, barcode, name, category, list price, optional member price,
active), import a CSV/XLSX file (columns ``sku, barcode, name, category, price, member_price``): all or
nothing, with the rows refused and why.

Keyboard: Ctrl+F search, ↑/↓ in the list fills the form, Ctrl+N a new product, Ctrl+S saves, Ctrl+I imports."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from pos_app.domain.errors import DomainError, InvalidInput
from pos_app.domain.money import format_fen, parse_yuan
from pos_app.domain.textparams import Count
from pos_app.services.changes import Changes
from pos_app.ui import filedialogs
from pos_app.ui.appctx import AppContext
from pos_app.ui.common import ErrorLabel, tr
from pos_app.ui.models import Column, DtoTableModel
from pos_app.ui.screens import ScreenSpec, register_screen

SEARCH_DELAY_MS = 150
SEARCH_LIMIT = 200


class ProductModel(DtoTableModel):
    """ProductDTO rows."""

    COLUMNS = (
        Column("co.prod.col.sku", lambda r: r.sku),
        Column("co.prod.col.barcode", lambda r: r.barcode),
        Column("co.prod.col.name", lambda r: r.name),
        Column("co.prod.col.category", lambda r: r.category),
        Column("co.prod.col.price", lambda r: r.price_fen, money=True),
        Column("co.prod.col.member_price", lambda r: r.member_price_fen, money=True),
        Column("co.prod.col.active", lambda r: tr("sv.yes") if r.active else tr("sv.no")),
    )


def yuan_text(fen: int | None) -> str:
    """Fen as the form shows it for editing: 12.50 (no currency sign, no grouping)."""
    return "" if fen is None else f"{fen // 100}.{fen % 100:02d}"


class ProductsScreen(QWidget):
    handles_changes = True

    def __init__(self, appctx: AppContext, parent: QWidget | None = None, *, read_only: bool = False) -> None:
        super().__init__(parent)
        self.appctx = appctx
        self.read_only = read_only
        self.editing_sku: str | None = None
        self.last_report: Any = None
        self.last_saved: Any = None
        root = QHBoxLayout(self)
        left = QVBoxLayout()
        self.search = QLineEdit()
        self.search.setObjectName("prod_search")
        self.search.setPlaceholderText(tr("co.prod.search_hint"))
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(SEARCH_DELAY_MS)
        self.timer.timeout.connect(self.reload)
        self.search.textEdited.connect(lambda _t: self.timer.start())
        left.addWidget(self.search)
        self.inactive = QCheckBox(tr("co.prod.show_inactive"))
        self.inactive.setObjectName("prod_inactive")
        self.inactive.toggled.connect(lambda _on: self.reload())
        left.addWidget(self.inactive)
        self.model = ProductModel()
        self.table = QTableView()
        self.table.setObjectName("products")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table.selectionModel().currentRowChanged.connect(lambda cur, _prev: self.edit_row(cur.row()))
        left.addWidget(self.table, 1)
        self.count_label = QLabel("")
        self.count_label.setObjectName("hint")
        left.addWidget(self.count_label)
        root.addLayout(left, 3)
        right = QVBoxLayout()
        self.form_title = QLabel(tr("co.prod.new"))
        self.form_title.setObjectName("title")
        right.addWidget(self.form_title)
        form = QFormLayout()
        self.sku = QLineEdit()
        self.sku.setObjectName("prod_sku")
        self.barcode = QLineEdit()
        self.barcode.setObjectName("prod_barcode")
        self.barcode.setProperty("scan_local", True)
        self.name = QLineEdit()
        self.name.setObjectName("prod_name")
        self.category = QComboBox()
        self.category.setObjectName("prod_category")
        self.category.setEditable(True)
        self.price = QLineEdit()
        self.price.setObjectName("prod_price")
        self.member_price = QLineEdit()
        self.member_price.setObjectName("prod_member_price")
        self.member_price.setPlaceholderText(tr("co.prod.member_price_hint"))
        self.active = QCheckBox(tr("co.prod.active"))
        self.active.setObjectName("prod_active")
        self.active.setChecked(True)
        for label, w in ((tr("co.prod.col.sku"), self.sku), (tr("co.prod.col.barcode"), self.barcode),
                         (tr("co.prod.col.name"), self.name), (tr("co.prod.col.category"), self.category),
                         (tr("co.prod.col.price"), self.price), (tr("co.prod.col.member_price"), self.member_price),
                         ("", self.active)):
            form.addRow(label, w)
            if isinstance(w, QLineEdit):
                w.returnPressed.connect(self.save)
        right.addLayout(form)
        self.error = ErrorLabel()
        right.addWidget(self.error)
        self.result = QLabel("")
        self.result.setObjectName("prod_result")
        self.result.setWordWrap(True)
        right.addWidget(self.result)
        brow = QHBoxLayout()
        self.new_btn = QPushButton(tr("co.prod.new") + " (Ctrl+N)")
        self.new_btn.clicked.connect(self.new_product)
        self.save_btn = QPushButton(tr("co.prod.save") + " (Ctrl+S)")
        self.save_btn.setObjectName("primary")
        self.save_btn.clicked.connect(self.save)
        self.import_btn = QPushButton(tr("co.prod.import") + " (Ctrl+I)")
        self.import_btn.clicked.connect(self.ask_import)
        for b in (self.new_btn, self.save_btn, self.import_btn):
            b.setAutoDefault(False)
            brow.addWidget(b)
        right.addLayout(brow)
        self.refused = QListWidget()
        self.refused.setObjectName("prod_refused")
        self.refused.hide()
        right.addWidget(self.refused, 1)
        right.addStretch(0)
        root.addLayout(right, 2)
        wc = Qt.ShortcutContext.WidgetWithChildrenShortcut
        QShortcut(QKeySequence("Ctrl+F"), self, activated=self.focus_search, context=wc).setWhatsThis(tr("co.prod.help.search"))
        if not read_only:
            for keys, fn in (("Ctrl+N", self.new_product), ("Ctrl+S", self.save), ("Ctrl+I", self.ask_import)):
                QShortcut(QKeySequence(keys), self, activated=fn, context=wc)
        editors: tuple[QWidget, ...] = (self.sku, self.barcode, self.name, self.category, self.price,
                                         self.member_price, self.active, self.new_btn, self.save_btn, self.import_btn)
        for editor in editors:
            editor.setEnabled(not read_only)
        appctx.changed.connect(self._changed)

    # ------------------------------------------------------------------ list
    def on_shown(self) -> None:
        self.reload()
        self.load_categories()
        self.focus_search()

    def focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

    def _changed(self, changes: Changes) -> None:
        if self.isVisible() and changes.any("products", "settings"):
            self.reload()

    def load_categories(self) -> None:
        if not self.appctx.has_actor:
            return
        from pos_app.services import checkout  # noqa: PLC0415

        ctx, actor = self.appctx.ctx, self.appctx.actor

        def show(cats: list[str]) -> None:
            current = self.category.currentText()
            self.category.clear()
            self.category.addItems(list(cats))
            self.category.setCurrentText(current)

        self.appctx.run(lambda: checkout.categories(ctx, actor), show, self.error.show_error, key="prod-categories")

    def reload(self) -> None:
        if not self.appctx.has_actor:
            return
        from pos_app.services import checkout  # noqa: PLC0415

        ctx, actor = self.appctx.ctx, self.appctx.actor
        text, inactive = self.search.text().strip(), self.inactive.isChecked()

        def work() -> list[Any]:
            if text:
                rows = checkout.search_products(ctx, actor, text, limit=SEARCH_LIMIT)
            else:
                rows = checkout.list_products(ctx, actor, include_inactive=inactive)
            return [p for p in rows if inactive or p.active]

        self.appctx.run(work, self._loaded, self.error.show_error, key="prod-list")

    def _loaded(self, rows: list[Any]) -> None:
        keep = self.editing_sku
        self.model.set_rows(rows)
        self.count_label.setText(tr("co.prod.count", n=Count(len(rows))))
        skus = [p.sku for p in rows]
        if keep in skus:
            self.table.selectRow(skus.index(keep))

    # ------------------------------------------------------------------ form
    def edit_row(self, row: int) -> None:
        if not 0 <= row < self.model.rowCount():
            return
        p = self.model.row(row)
        self.editing_sku = p.sku
        self.form_title.setText(tr("co.prod.edit", sku=p.sku))
        self.sku.setText(p.sku)
        self.sku.setReadOnly(True)
        self.barcode.setText(p.barcode)
        self.name.setText(p.name)
        self.category.setCurrentText(p.category)
        self.price.setText(yuan_text(p.price_fen))
        self.member_price.setText(yuan_text(p.member_price_fen))
        self.active.setChecked(p.active)
        self.error.show_error(None)

    def new_product(self) -> None:
        if self.read_only:
            return
        self.editing_sku = None
        self.table.clearSelection()
        self.form_title.setText(tr("co.prod.new"))
        self.sku.setReadOnly(False)
        for w in (self.sku, self.barcode, self.name, self.price, self.member_price):
            w.clear()
        self.active.setChecked(True)
        self.error.show_error(None)
        self.result.setText("")
        self.sku.setFocus()

    def _form(self) -> dict[str, Any]:
        price_text = self.price.text().strip()
        if not price_text:
            raise InvalidInput("money.missing", field="price")
        member_text = self.member_price.text().strip()
        return {
            "barcode": self.barcode.text().strip(),
            "name": self.name.text().strip(),
            "category": self.category.currentText().strip(),
            "price_fen": parse_yuan(price_text),
            "member_price_fen": parse_yuan(member_text) if member_text else None,
            "active": self.active.isChecked(),
        }

    def save(self) -> None:
        if self.read_only:
            return
        try:
            fields = self._form()
        except DomainError as exc:
            self.error.show_error(exc)
            return
        from pos_app.services import checkout  # noqa: PLC0415

        ctx, actor, sku = self.appctx.ctx, self.appctx.actor, self.editing_sku or self.sku.text().strip()
        editing = self.editing_sku is not None
        rid = self.appctx.new_request_id()

        def work() -> Any:
            if editing:
                return checkout.update_product(ctx, actor, sku=sku, **fields)
            return checkout.add_product(ctx, actor, sku=sku, request_id=rid, **fields)

        def ok(p: Any) -> None:
            self.last_saved = p
            self.editing_sku = p.sku
            self.sku.setReadOnly(True)
            self.form_title.setText(tr("co.prod.edit", sku=p.sku))
            self.error.show_error(None)
            self.result.setText(tr("co.prod.saved", name=p.name, price=format_fen(p.price_fen)))
            self.reload()

        self.appctx.run(work, ok, self.error.show_error)

    # ------------------------------------------------------------------ import
    def ask_import(self) -> None:
        if self.read_only:
            return
        path = filedialogs.open_file(self, tr("co.prod.import_title"), "CSV / Excel (*.csv *.xlsx)")
        if path:
            self.import_file(path)

    def import_file(self, path: str) -> None:
        from pos_app.services import checkout  # noqa: PLC0415

        ctx, actor = self.appctx.ctx, self.appctx.actor
        self.error.show_error(None)
        self.result.setText(tr("co.prod.importing"))
        self.appctx.run(lambda: checkout.import_products(ctx, actor, path), self._imported, self._import_failed)

    def _import_failed(self, exc: BaseException) -> None:
        self.result.setText("")
        self.error.show_error(exc)

    def _imported(self, report: Any) -> None:
        self.last_report = report
        self.refused.clear()
        if report.refused:
            self.result.setText(tr("co.prod.import_refused", n=Count(len(report.refused))))
            for row, reason in report.refused:
                self.refused.addItem(tr("co.prod.refused_row", row=row, reason=reason))
            self.refused.show()
        else:
            self.result.setText(tr("co.prod.imported", added=Count(report.added), updated=Count(report.updated)))
            self.refused.hide()
        self.reload()


register_screen(ScreenSpec("products", "screen.products", "Shift+F12", ProductsScreen, frozenset({"manager"}), 90,
                           read_only_roles=frozenset({"cashier"})))
