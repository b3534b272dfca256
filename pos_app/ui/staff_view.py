"""Staff accounts (F10, managers; a cashier or staff member gets it with a manager's PIN): code, name, role, active, last login, locked until; add, disable /
re-enable, reset PIN, change role and unlock, all by keyboard (the shortcuts are on the buttons). Also the
prompt to change a demo PIN after logging in on a store that is not the demo store."""

from __future__ import annotations

from typing import Any

import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from pos_app.domain import roles
from pos_app.services import staff
from pos_app.ui.appctx import AppContext
from pos_app.ui.common import ErrorLabel, tr
from pos_app.ui.models import Column, DtoTableModel, fmt_dt
from pos_app.ui.screens import ScreenSpec, register_screen

#: (action, shortcut, label key)
ACTIONS = (
    ("add", "Ctrl+N", "sv.add"),
    ("toggle", "Ctrl+D", "sv.toggle"),
    ("reset_pin", "Ctrl+R", "sv.reset_pin"),
    ("role", "Ctrl+E", "sv.role"),
    ("unlock", "Ctrl+K", "sv.unlock"),
)


class StaffModel(DtoTableModel):
    """``staff.StaffRow`` rows."""

    COLUMNS = (
        Column("sv.col.code", lambda r: r.code),
        Column("sv.col.name", lambda r: r.name),
        Column("sv.col.role", lambda r: tr(f"role.{r.role}")),
        Column("sv.col.active", lambda r: tr("sv.yes") if r.active else tr("sv.no")),
        Column("sv.col.last_login", lambda r: fmt_dt(r.last_login_at)),
        Column("sv.col.locked_until", lambda r: fmt_dt(r.locked_until)),
    )


def _pin_edit(name: str) -> QLineEdit:
    e = QLineEdit()
    e.setObjectName(name)
    e.setEchoMode(QLineEdit.EchoMode.Password)
    e.setMaxLength(staff.PIN_MAX_LENGTH)
    return e


class _FormDialog(QDialog):
    """A small form; ``values()`` after it is accepted. Two PIN fields must match before it closes."""

    def __init__(self, title: str, parent: QWidget | None = None, *, info: str = "") -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.lay = QVBoxLayout(self)
        if info:
            label = QLabel(info)
            label.setWordWrap(True)
            self.lay.addWidget(label)
        self.form = QFormLayout()
        self.lay.addLayout(self.form)
        self.error = ErrorLabel()
        self.lay.addWidget(self.error)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self._check)
        self.buttons.rejected.connect(self.reject)
        self.lay.addWidget(self.buttons)
        self.pin: QLineEdit | None = None
        self.pin2: QLineEdit | None = None

    def add_pins(self) -> None:
        self.pin, self.pin2 = _pin_edit("new_pin"), _pin_edit("new_pin2")
        self.form.addRow(tr("sv.new_pin"), self.pin)
        self.form.addRow(tr("sv.new_pin_again"), self.pin2)

    def new_pin(self) -> str:
        return self.pin.text() if self.pin is not None else ""

    def _check(self) -> None:
        if self.pin is not None and self.pin2 is not None and self.pin.text() != self.pin2.text():
            self.error.show_error(tr("sv.pins_differ"))
            self.pin2.clear()
            self.pin2.setFocus()
            return
        self.accept()


class AddStaffDialog(_FormDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(tr("sv.add_title"), parent)
        self.code = QLineEdit()
        self.code.setObjectName("code")
        self.name = QLineEdit()
        self.name.setObjectName("name")
        self.role = QComboBox()
        for r in roles.ROLES:
            self.role.addItem(tr(f"role.{r}"), r)
        self.form.addRow(tr("sv.col.code"), self.code)
        self.form.addRow(tr("sv.col.name"), self.name)
        self.form.addRow(tr("sv.col.role"), self.role)
        self.add_pins()
        self.code.setFocus()


class RoleDialog(_FormDialog):
    def __init__(self, row: Any, parent: QWidget | None = None) -> None:
        super().__init__(tr("sv.role_title", code=row.code), parent)
        self.role = QComboBox()
        for r in roles.ROLES:
            self.role.addItem(tr(f"role.{r}"), r)
        self.role.setCurrentIndex(roles.ROLES.index(row.role) if row.role in roles.ROLES else 0)
        self.form.addRow(tr("sv.col.role"), self.role)


class PinDialog(_FormDialog):
    def __init__(self, title: str, parent: QWidget | None = None, *, info: str = "") -> None:
        super().__init__(title, parent, info=info)
        self.add_pins()
        assert self.pin is not None
        self.pin.setFocus()


class StaffScreen(QWidget):
    """The manager's staff list. Every change runs as one service call on the database worker."""

    def __init__(self, appctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.appctx = appctx
        self.dialog: QDialog | None = None
        lay = QVBoxLayout(self)
        title = QLabel(tr("screen.staff"))
        title.setObjectName("title")
        lay.addWidget(title)
        self.model = StaffModel()
        self.table = QTableView()
        self.table.setObjectName("staff_table")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setStretchLastSection(True)
        lay.addWidget(self.table, 1)
        self.error = ErrorLabel()
        lay.addWidget(self.error)
        self.status = QLabel("")
        self.status.setObjectName("hint")
        lay.addWidget(self.status)
        row = QHBoxLayout()
        self.buttons: dict[str, QPushButton] = {}
        self.shortcuts: list[QShortcut] = []
        for action, keys, label in ACTIONS:
            b = QPushButton(f"{tr(label)} ({keys})")
            b.setObjectName(f"staff_{action}")
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            b.clicked.connect(getattr(self, action))
            row.addWidget(b)
            self.buttons[action] = b
            sc = QShortcut(QKeySequence(keys), self, activated=getattr(self, action))
            sc.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            self.shortcuts.append(sc)
        lay.addLayout(row)

    # ------------------------------------------------------------------ data
    def on_shown(self) -> None:
        self.refresh()

    def refresh(self) -> None:
        if not (self.appctx.has_ctx and self.appctx.has_actor):
            return
        ctx, actor = self.appctx.ctx, self.appctx.actor
        self.appctx.run(lambda: staff.staff_rows(ctx, actor), self._rows, self._failed)

    def _rows(self, rows: list[Any]) -> None:
        current = self.selected()
        self.model.set_rows(rows)
        self.table.resizeColumnsToContents()
        codes = [r.code for r in rows]
        if rows:
            self.table.selectRow(codes.index(current.code) if current is not None and current.code in codes else 0)
        self.table.setFocus()

    def _failed(self, exc: BaseException) -> None:
        self.error.show_error(exc)

    def selected(self) -> Any:
        idx = self.table.currentIndex()
        return self.model.row(idx.row()) if idx.isValid() and idx.row() < self.model.rowCount() else None

    def _do(self, fn: Any, done_key: str, **params: Any) -> None:
        """Run one staff use case, then say what was done and reload the list."""
        self.error.show_error(None)

        def ok(_result: Any) -> None:
            self.status.setText(tr(done_key, **params))
            self.refresh()

        self.appctx.run(fn, ok, self._failed)

    def _open(self, dlg: QDialog, on_accept: Any) -> None:
        self.dialog = dlg
        dlg.accepted.connect(on_accept)
        dlg.open()

    # ------------------------------------------------------------------ actions
    def add(self) -> None:
        dlg = AddStaffDialog(self)
        ctx, actor = self.appctx.ctx, self.appctx.actor

        def go() -> None:
            code, name, role, pin = dlg.code.text().strip(), dlg.name.text().strip(), dlg.role.currentData(), dlg.new_pin()
            self._do(lambda: staff.add_staff(ctx, actor, code=code, role=role, pin=pin, name=name or None),
                     "sv.done_add", code=code)

        self._open(dlg, go)

    def toggle(self) -> None:
        row = self.selected()
        if row is None:
            return
        ctx, actor = self.appctx.ctx, self.appctx.actor
        active = not row.active
        self._do(lambda: staff.set_staff_active(ctx, actor, row.code, active),
                 "sv.done_enable" if active else "sv.done_disable", code=row.code)

    def reset_pin(self) -> None:
        row = self.selected()
        if row is None:
            return
        dlg = PinDialog(tr("sv.reset_title", code=row.code), self)
        ctx, actor = self.appctx.ctx, self.appctx.actor

        def go() -> None:
            pin = dlg.new_pin()
            self._do(lambda: staff.reset_pin(ctx, actor, row.code, pin), "sv.done_reset_pin", code=row.code)

        self._open(dlg, go)

    def role(self) -> None:
        row = self.selected()
        if row is None:
            return
        dlg = RoleDialog(row, self)
        ctx, actor = self.appctx.ctx, self.appctx.actor

        def go() -> None:
            new_role = dlg.role.currentData()
            self._do(lambda: staff.change_role(ctx, actor, row.code, new_role), "sv.done_role", code=row.code,
                     role=new_role)

        self._open(dlg, go)

    def unlock(self) -> None:
        row = self.selected()
        if row is None:
            return
        ctx, actor = self.appctx.ctx, self.appctx.actor
        self._do(lambda: staff.unlock(ctx, actor, row.code), "sv.done_unlock", code=row.code)


# ----------------------------------------------------------------------------- demo PIN prompt


class DemoPinDialog(PinDialog):
    """Asks a new PIN for a demo account still on its published PIN; stays open until it is changed."""

    def __init__(self, appctx: AppContext, actor: Any, parent: QWidget | None = None) -> None:
        super().__init__(tr("sv.demo_title"), parent, info=tr("sv.demo_info", code=actor.code))
        self.setObjectName("demo_pin_dialog")
        self.appctx = appctx
        self.actor = actor
        self.changed = False

    def _check(self) -> None:
        if self.pin is None or self.pin2 is None:
            return
        if self.pin.text() != self.pin2.text():
            self.error.show_error(tr("sv.pins_differ"))
            self.pin2.clear()
            return
        ctx, actor, pin = self.appctx.ctx, self.actor, self.pin.text()
        self.appctx.run(lambda: staff.reset_pin(ctx, actor, actor.code, pin), self._done, self._failed)

    def _done(self, _result: Any) -> None:
        self.changed = True
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self.error.show_error(exc)
        if self.pin is not None and self.pin2 is not None:
            self.pin.clear()
            self.pin2.clear()
            self.pin.setFocus()


def ask_demo_pin_change(appctx: AppContext, actor: Any, parent: QWidget | None = None) -> None:
    """After a login: when ``actor`` still uses a demo PIN on a store that is not the demo store, open
    :class:`DemoPinDialog` (the check runs on the database worker; nothing opens otherwise)."""
    if not appctx.has_ctx or actor is None:
        return
    ctx = appctx.ctx

    def show(needed: bool) -> None:
        if needed:
            dlg = DemoPinDialog(appctx, actor, parent)
            dlg.open()
            _OPEN.append(dlg)
            dlg.finished.connect(lambda _r, d=dlg: _OPEN.remove(d) if d in _OPEN else None)

    appctx.run(lambda: staff.demo_pin_in_use(ctx, actor), show)


#: the demo PIN dialogs on screen (kept alive while open; tests look here)
_OPEN: list[DemoPinDialog] = []


def open_demo_dialogs(parent: QWidget | None = None) -> list[DemoPinDialog]:
    """The demo PIN dialogs open now (over ``parent``'s window when given)."""
    return [d for d in _OPEN if shiboken6.isValid(d) and (parent is None or d.parentWidget() is parent)]


register_screen(ScreenSpec("staff", "screen.staff", "F10", StaffScreen, frozenset({roles.MANAGER}), 90,
                           approval="staff.manage"))
