"""Gift hand-out (F6): find the member, see every gift they are owed, hand out one or all, record a
decline; below, every gift owed in the store, oldest first, overdue ones highlighted.

``GiftHandoutDialog(appctx, member_id)`` is the same panel in a dialog: the recharge receipt opens it
for "gifts to hand over now".

Keyboard: Enter finds the member and puts the focus on their owed gifts (↑/↓ select, Enter hands out the
selected row, Ctrl+Enter all, Alt+D records a decline); ↓ from the search goes to the list; Alt+L to the
store's owed list (Enter picks that member); Enter in the SKU field records stock that arrived."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import (
    QEvent,
    QItemSelectionModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from pos_app import messages
from pos_app.domain.gifts import MAX_QTY
from pos_app.domain.roles import PERMISSIONS
from pos_app.services import gifts, members
from pos_app.services.changes import Changes
from pos_app.ui.appctx import AppContext
from pos_app.ui.common import ErrorLabel, big_button, tr
from pos_app.ui.models import Column, DtoTableModel, fmt_date, fmt_dt
from pos_app.ui.screens import ScreenSpec, register_screen

_Index = QModelIndex | QPersistentModelIndex

OVERDUE_BG = QColor("#fde7e9")
OVERDUE_FG = QColor("#b3261e")


class OwedGiftModel(DtoTableModel):
    """Owed gifts (``gifts.OwedGift``); overdue rows get a red background (BackgroundRole)."""

    COLUMNS = (
        Column("gift.col.time", lambda r: fmt_dt(r.created_at)),
        Column("gift.col.phone", lambda r: r.phone),
        Column("gift.col.member", lambda r: r.member_name or ""),
        Column("gift.col.name", lambda r: r.name),
        Column("gift.col.sku", lambda r: r.sku),
        Column("gift.col.source", lambda r: tr(f"gift.source.{r.source}")),
        Column("gift.col.due_on", lambda r: fmt_date(r.due_on) + (f"  {tr('gift.overdue')}" if r.overdue else "")),
        Column("gift.col.on_hand", lambda r: r.on_hand, numeric=True),
    )

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.BackgroundRole and index.isValid() and index.row() < len(self._rows):
            return OVERDUE_BG if self._rows[index.row()].overdue else None
        return super().data(index, role)

    def foreground(self, row: Any, column: int) -> QColor | None:
        if row.overdue:
            return OVERDUE_FG
        if column == 7 and row.on_hand <= 0:
            return QColor("#8a6d00")
        return None


class MemberOwedModel(OwedGiftModel):
    """One member's owed gifts, with a last column holding the row's "hand out" button."""

    COLUMNS = (
        Column("gift.col.name", lambda r: r.name),
        Column("gift.col.sku", lambda r: r.sku),
        Column("gift.col.source", lambda r: tr(f"gift.source.{r.source}")),
        Column("gift.col.due_on", lambda r: fmt_date(r.due_on) + (f"  {tr('gift.overdue')}" if r.overdue else "")),
        Column("gift.col.on_hand", lambda r: r.on_hand, numeric=True),
        Column("gift.col.action", lambda r: ""),
    )

    def foreground(self, row: Any, column: int) -> QColor | None:
        if row.overdue:
            return OVERDUE_FG
        if column == 4 and row.on_hand <= 0:
            return QColor("#8a6d00")
        return None


class EnterTable(QTableView):
    """A row table where Enter (or keypad Enter) acts on the selected row(s) instead of passing on to the
    dialog's default button."""

    enter_pressed = Signal()

    def keyPressEvent(self, ev: QKeyEvent) -> None:  # noqa: N802
        mods = ev.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        if ev.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and mods == Qt.KeyboardModifier.NoModifier:
            ev.accept()
            self.enter_pressed.emit()
            return
        super().keyPressEvent(ev)

    def focus_rows(self) -> None:
        """Take the focus with a current row, so ↑/↓ and Enter work at once."""
        self.setFocus()
        self.ensure_current()

    def ensure_current(self) -> None:
        """Row 0 current when no row is: Enter acts on it. Current, not selected: what acts on a selection
        (a decline) still needs the cashier to choose."""
        model = self.model()
        if model is not None and model.rowCount() and not self.currentIndex().isValid():
            self.selectionModel().setCurrentIndex(model.index(0, 0), QItemSelectionModel.SelectionFlag.NoUpdate)


class GiftHandoutPanel(QWidget):
    """A member's owed gifts with "hand out" per row, "hand out all" and "declined"."""

    #: the owed list was (re)loaded
    loaded = Signal()

    def __init__(self, appctx: AppContext, member_id: str | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.appctx = appctx
        self.member_id = member_id
        self.busy = False
        self.last_result: Any = None
        lay = QVBoxLayout(self)
        self.title = QLabel()
        self.title.setObjectName("title")
        lay.addWidget(self.title)
        self.model = MemberOwedModel()
        self.table = EnterTable()
        self.table.setObjectName("member_owed")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.doubleClicked.connect(lambda ix: self.hand_out_rows([ix.row()]))
        self.table.enter_pressed.connect(self.hand_out_selected)
        lay.addWidget(self.table, 1)
        self.result = QLabel()
        self.result.setObjectName("result")
        self.result.setWordWrap(True)
        lay.addWidget(self.result)
        self.error = ErrorLabel()
        lay.addWidget(self.error)
        row = QHBoxLayout()
        self.all_btn = big_button(tr("gifts.hand_out_all"))
        self.all_btn.setObjectName("primary")
        self.all_btn.clicked.connect(self.hand_out_all)
        self.decline_btn = big_button(tr("gifts.decline"))
        self.decline_btn.clicked.connect(self.decline_selected)
        row.addWidget(self.all_btn)
        row.addWidget(self.decline_btn)
        lay.addLayout(row)
        wc = Qt.ShortcutContext.WidgetWithChildrenShortcut
        for keys in ("Ctrl+Return", "Ctrl+Enter"):
            QShortcut(QKeySequence(keys), self, activated=self.hand_out_all, context=wc)
        QShortcut(QKeySequence("Alt+D"), self, activated=self.decline_selected, context=wc)
        self.row_buttons: list[QPushButton] = []
        self._update_buttons()

    # ----------------------------------------------------------------- loading
    def set_member_id(self, member_id: str | None) -> None:
        if member_id != self.member_id:  # the same member refreshed (e.g. after a hand-out): keep the message
            self.result.clear()
            self.error.show_error(None)
        self.member_id = member_id
        self.refresh()

    def refresh(self) -> None:
        if not self.member_id or not self.appctx.has_actor:
            self.model.set_rows([])
            self._after_load()
            return
        ctx, actor, mid = self.appctx.ctx, self.appctx.actor, self.member_id
        self.appctx.run(lambda: gifts.owed_gifts(ctx, actor, member_id=mid), self._loaded, self._failed,
                        key=f"owed-{id(self)}")

    def _loaded(self, rows: list[Any]) -> None:
        if rows and rows[0].member_id != self.member_id:
            return
        self.model.set_rows(rows)
        self._after_load()
        self.loaded.emit()

    def _after_load(self) -> None:
        rows = self.model.rows
        if self.member_id and rows:
            self.title.setText(tr("gifts.owed_title", phone=rows[0].phone, n=len(rows)))
        elif self.member_id:
            self.title.setText(tr("gifts.none_owed"))
        else:
            self.title.setText(tr("gifts.pick_member"))
        self.row_buttons = []
        col = len(self.model.COLUMNS) - 1
        self.table.ensure_current()  # Enter hands out the current row
        for i, r in enumerate(rows):
            b = QPushButton(tr("gifts.hand_out"))
            b.setObjectName(f"handout_{i}")
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the keyboard acts on the row: Enter
            b.setEnabled(r.on_hand > 0 and not self.busy)
            b.clicked.connect(lambda _c=False, i=i: self.hand_out_rows([i]))
            self.table.setIndexWidget(self.model.index(i, col), b)
            self.row_buttons.append(b)
        if self.row_buttons:  # the whole label, "发放 (Enter)", fits its column
            self.table.setColumnWidth(col, max(b.sizeHint().width() for b in self.row_buttons) + 8)
        self._update_buttons()

    def _update_buttons(self) -> None:
        rows = self.model.rows
        self.all_btn.setEnabled(bool(rows) and not self.busy and any(r.on_hand > 0 for r in rows))
        self.decline_btn.setEnabled(bool(rows) and not self.busy)
        for b, r in zip(self.row_buttons, rows, strict=False):
            b.setEnabled(r.on_hand > 0 and not self.busy)

    # ----------------------------------------------------------------- actions
    def selected_rows(self) -> list[int]:
        return sorted({ix.row() for ix in self.table.selectionModel().selectedRows()})

    def hand_out_all(self) -> None:
        self._handout(None)

    def hand_out_selected(self) -> None:
        """Enter: hand out the selected row(s) (the current row when none is selected)."""
        rows = self.selected_rows()
        if not rows and self.table.currentIndex().isValid():
            rows = [self.table.currentIndex().row()]
        if not rows:
            self.error.show_error(messages.translate("gift.nothing_selected"))
            return
        r = [i for i in rows if 0 <= i < len(self.model.rows) and self.model.row(i).on_hand > 0]
        if not r:  # nothing of it on the shelf: say so rather than silently do nothing
            self.error.show_error(tr("gifts.none_on_hand"))
            return
        self.hand_out_rows(r)

    def hand_out_rows(self, rows: list[int]) -> None:
        ids = [self.model.row(i).entitlement_id for i in rows if 0 <= i < len(self.model.rows)]
        if ids:
            self._handout(ids)

    def _handout(self, ids: list[str] | None) -> None:
        if self.busy or not self.member_id:
            return
        ctx, actor, mid = self.appctx.ctx, self.appctx.actor, self.member_id
        rid = self.appctx.new_request_id()
        self._start()
        self.appctx.run(
            lambda: gifts.handout(ctx, actor, member_id=mid, entitlement_ids=ids, request_id=rid),
            self._handed, self._action_failed,
        )

    def decline_selected(self) -> None:
        rows = self.selected_rows()
        if not rows:
            self.error.show_error(messages.translate("gift.nothing_selected"))
            return
        if self.busy or not self.member_id:
            return
        ids = [self.model.row(i).entitlement_id for i in rows]
        ctx, actor, mid = self.appctx.ctx, self.appctx.actor, self.member_id
        rid = self.appctx.new_request_id()
        self._start()
        self.appctx.run(
            lambda: gifts.decline(ctx, actor, member_id=mid, entitlement_ids=ids, request_id=rid),
            self._declined, self._action_failed,
        )

    def _start(self) -> None:
        self.busy = True
        self.error.show_error(None)
        self._update_buttons()

    def _done(self) -> None:
        self.busy = False
        self.refresh()

    def _handed(self, res: Any) -> None:
        self.last_result = res
        text = tr("gifts.handed_n", n=len(res.handed_out), names="、".join(h.name for h in res.handed_out))
        if res.still_owed:
            text += "\n" + tr("gifts.still_owed_n", n=len(res.still_owed),
                              names="、".join(f"{o.name}（{tr('gift.short.' + o.reason)}）" for o in res.still_owed))
        self.result.setText(text)
        self._done()

    def _declined(self, res: Any) -> None:
        self.last_result = res
        self.result.setText(tr("gifts.declined_n", n=len(res.declined)))
        self._done()

    def _action_failed(self, exc: BaseException) -> None:
        self.error.show_error(exc)
        self._done()

    def _failed(self, exc: BaseException) -> None:
        self.error.show_error(exc)


class GiftHandoutDialog(QDialog):
    """The member's owed gifts in a dialog (opened by the counter after a recharge)."""

    def __init__(self, appctx: AppContext, member_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr("gifts.dialog_title"))
        self.resize(760, 420)
        lay = QVBoxLayout(self)
        self.panel = GiftHandoutPanel(appctx, member_id, self)
        lay.addWidget(self.panel)
        self.close_btn = big_button(tr("gifts.close"))
        self.close_btn.setAutoDefault(False)  # Enter hands out the selected gift; Esc closes
        self.close_btn.clicked.connect(self.accept)
        lay.addWidget(self.close_btn)
        self.panel.refresh()
        self.panel.table.setFocus()


class GiftsScreen(QWidget):
    """F6: hand out gifts to the member found by phone/member code; the store's owed list below."""

    def __init__(self, appctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.appctx = appctx
        lay = QVBoxLayout(self)
        row = QHBoxLayout()
        self.search = QLineEdit()
        self.search.setObjectName("gift_member_search")
        self.search.setProperty("scan_local", True)  # a member scan lands here, not at the counter
        self.search.setPlaceholderText(tr("gifts.search_hint"))
        self.search.returnPressed.connect(self.find_member)
        self.search.installEventFilter(self)
        row.addWidget(self.search, 1)
        self.member_label = QLabel()
        row.addWidget(self.member_label, 1)
        lay.addLayout(row)
        self.find_error = ErrorLabel()
        lay.addWidget(self.find_error)
        self.panel = GiftHandoutPanel(appctx, None, self)
        self.panel.loaded.connect(self._owed_loaded)
        lay.addWidget(self.panel, 3)
        # staff record stock that arrived (gift.receive); the owed list says who is waiting
        self.receive_box = QWidget()
        rrow = QHBoxLayout(self.receive_box)
        rrow.setContentsMargins(0, 0, 0, 0)
        self.receive_sku = QLineEdit()
        self.receive_sku.setObjectName("receive_sku")
        self.receive_sku.setProperty("scan_local", True)
        self.receive_sku.setPlaceholderText(tr("gifts.receive_sku"))
        self.receive_qty = QSpinBox()
        self.receive_qty.setRange(1, MAX_QTY)
        self.receive_btn = QPushButton(tr("gifts.receive"))
        self.receive_btn.clicked.connect(self.receive)
        self.receive_sku.returnPressed.connect(self.receive)
        self.receive_msg = QLabel()
        for x in (QLabel(tr("gifts.receive_title")), self.receive_sku, self.receive_qty, self.receive_btn):
            rrow.addWidget(x)
        rrow.addWidget(self.receive_msg, 1)
        self.receive_box.setVisible(appctx.has_actor and appctx.actor.role in PERMISSIONS["gift.receive"])
        lay.addWidget(self.receive_box)
        self.store_title = QLabel()
        self.store_title.setObjectName("title")
        lay.addWidget(self.store_title)
        self.store_model = OwedGiftModel()
        self.store_table = EnterTable()
        self.store_table.setObjectName("store_owed")
        self.store_table.setModel(self.store_model)
        self.store_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.store_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.store_table.doubleClicked.connect(self.pick_from_store_list)
        self.store_table.enter_pressed.connect(self._pick_current_from_store_list)
        self.store_table.horizontalHeader().setStretchLastSection(True)
        lay.addWidget(self.store_table, 2)
        keys = QLabel(tr("gifts.keys_hint"))
        keys.setObjectName("hint")
        keys.setWordWrap(True)
        lay.addWidget(keys)
        QShortcut(QKeySequence("Alt+L"), self, activated=self.store_table.focus_rows,
                  context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.member: Any = None
        #: set when a member is found by the search: their owed list takes the focus once it is loaded
        self._focus_owed = False

    def eventFilter(self, obj: QObject, ev: QEvent) -> bool:  # noqa: N802
        # ↓ in the search goes to the member's owed gifts (or the store's list when there are none)
        if obj is self.search and ev.type() == QEvent.Type.KeyPress and isinstance(ev, QKeyEvent) \
                and ev.key() == Qt.Key.Key_Down:
            (self.panel.table if self.panel.model.rowCount() else self.store_table).focus_rows()
            return True
        return super().eventFilter(obj, ev)

    # the main window's hooks
    def on_shown(self) -> None:
        self.refresh()
        self.search.setFocus()

    def on_changed(self, changes: Changes) -> None:
        if changes.any("gifts", "stock", "wallet", "members"):
            self.refresh()

    def set_member(self, member: Any) -> None:
        self.member = member
        self.member_label.setText(f"{member.phone}  {member.name or ''}" if member is not None else "")
        self.panel.set_member_id(member.member_id if member is not None else None)

    def refresh(self) -> None:
        if not self.appctx.has_actor:
            return
        self.panel.refresh()
        ctx, actor = self.appctx.ctx, self.appctx.actor
        self.appctx.run(lambda: gifts.owed_gifts(ctx, actor), self._store_loaded, self.find_error.show_error,
                        key="store-owed")

    def _store_loaded(self, rows: list[Any]) -> None:
        self.store_model.set_rows(rows)
        self.store_table.resizeColumnsToContents()
        late = sum(1 for r in rows if r.overdue)
        self.store_title.setText(tr("gifts.store_owed", n=len(rows), late=late))

    def receive(self) -> None:
        sku, qty = self.receive_sku.text().strip(), self.receive_qty.value()
        if not sku:
            return
        ctx, actor, rid = self.appctx.ctx, self.appctx.actor, self.appctx.new_request_id()

        def ok(res: Any) -> None:
            text = tr("gifts.received", sku=res.level.sku, qty=res.movement.delta, on_hand=res.level.on_hand)
            if res.waiting_members:
                text += "  " + messages.translate(
                    "gift.waiting", {"count": res.waiting_members, "sku": res.level.sku, "units": res.waiting_gifts})
            self.receive_msg.setText(text)
            self.receive_sku.clear()
            self.receive_qty.setValue(1)

        def fail(exc: BaseException) -> None:
            self.receive_msg.setText("")
            self.find_error.show_error(exc)

        self.find_error.show_error(None)
        self.appctx.run(lambda: gifts.receive(ctx, actor, sku=sku, qty=qty, request_id=rid), ok, fail)

    def find_member(self) -> None:
        text = self.search.text().strip()
        if not text:
            return
        ctx, actor = self.appctx.ctx, self.appctx.actor
        self.find_error.show_error(None)
        self.appctx.run(lambda: members.resolve_scan(ctx, actor, text), self._found, self.find_error.show_error,
                        key="gift-find")

    def _found(self, member: Any) -> None:
        self.search.clear()
        self.appctx.set_member(member)  # the main window passes it on to every screen (and to us)
        if self.member is None or self.member.member_id != member.member_id:
            self.set_member(member)
        self._focus_owed = True
        self.panel.refresh()

    def _owed_loaded(self) -> None:
        if self._focus_owed and self.panel.model.rowCount():
            self._focus_owed = False
            self.panel.table.focus_rows()

    def _pick_current_from_store_list(self) -> None:
        ix = self.store_table.currentIndex()
        if ix.isValid():
            self.pick_from_store_list(ix)

    def pick_from_store_list(self, index: QModelIndex) -> None:
        r = self.store_model.row(index.row())
        ctx, actor = self.appctx.ctx, self.appctx.actor
        self.appctx.run(lambda: members.get_member(ctx, actor, member_id=r.member_id), self._found,
                        self.find_error.show_error)


register_screen(ScreenSpec("gifts", "screen.gifts", "F6", GiftsScreen, frozenset({"cashier", "staff", "manager"}), 60))
