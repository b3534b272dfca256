"""Login: staff code + PIN with an on-screen keypad. Used as the main window's lock page and, in a
dialog, to ask a manager's approval (a manager's code and PIN) for manager-only actions."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from pos_app.ui.appctx import AppContext
from pos_app.ui.common import ErrorLabel, error_text, tr


class KeypadField(QLineEdit):
    """A line edit the on-screen keypad types into once it had the focus (its own focus-in, not an event filter
    that would see every event of the field)."""

    focused = Signal(object)

    def focusInEvent(self, ev: Any) -> None:  # noqa: N802
        super().focusInEvent(ev)
        self.focused.emit(self)


class LoginPanel(QFrame):
    """Emits ``logged_in(actor)`` after a successful staff.login (run on the database worker)."""

    logged_in = Signal(object)

    def __init__(self, appctx: AppContext, *, required_role: str | None = None, title: str | None = None,
                 button_text: str | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.appctx = appctx
        self.required_role = required_role
        self.busy = False
        #: Enter pressed before the store was open: the login runs as soon as it is (``set_enabled(True)``)
        self.waiting = False
        #: the store did not open (or is not set up): Enter asks for no login, the page keeps saying why
        self.unavailable = False
        self.base_info = ""
        self.setObjectName("card")
        self.setMaximumWidth(460)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(24, 20, 24, 20)
        self.title = QLabel(title or tr("ui.login_title"))
        self.title.setObjectName("title")
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        lay.addWidget(self.title)
        self.info = QLabel("")
        self.info.setObjectName("hint")
        self.info.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.info.setWordWrap(True)
        lay.addWidget(self.info)
        form = QFormLayout()
        self.code = KeypadField()
        self.code.setObjectName("staff_code")
        self.code.setPlaceholderText(tr("ui.staff_code_hint"))
        self.pin = KeypadField()
        self.pin.setObjectName("pin")
        self.pin.setEchoMode(QLineEdit.EchoMode.Password)
        self.pin.setMaxLength(8)
        self.pin.setPlaceholderText(tr("ui.pin_hint"))
        form.addRow(tr("ui.staff_code"), self.code)
        form.addRow(tr("ui.pin"), self.pin)
        lay.addLayout(form)
        self.error = ErrorLabel()
        lay.addWidget(self.error)
        pad = QGridLayout()
        self._target: QLineEdit = self.pin
        keys = ["7", "8", "9", "4", "5", "6", "1", "2", "3", "⌫", "0", "C"]
        for i, k in enumerate(keys):
            b = QPushButton(k)
            b.setObjectName("key")
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            b.clicked.connect(lambda _=False, k=k: self._key(k))
            pad.addWidget(b, i // 3, i % 3)
        lay.addLayout(pad)
        row = QHBoxLayout()
        self.ok = QPushButton(button_text or tr("ui.login_button"))
        self.ok.setObjectName("primary")
        self.ok.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.ok.clicked.connect(self.submit)
        row.addWidget(self.ok)
        lay.addLayout(row)
        self.code.returnPressed.connect(self._code_enter)
        self.pin.returnPressed.connect(self.submit)
        self.code.focused.connect(self._focused)
        self.pin.focused.connect(self._focused)
        self.setTabOrder(self.code, self.pin)

    def _focused(self, field: QLineEdit) -> None:
        self._target = field

    def _key(self, k: str) -> None:
        t = self._target
        if k == "⌫":
            t.backspace()
        elif k == "C":
            t.clear()
        else:
            t.insert(k)
        t.setFocus()

    def _code_enter(self) -> None:
        if self.pin.text():
            self.submit()
        else:
            self.pin.setFocus()

    def reset(self, *, keep_code: bool = False) -> None:
        if not keep_code:
            self.code.clear()
        self.pin.clear()
        self.error.show_error(None)
        self.busy = False
        self.waiting = False
        self.set_enabled(self.appctx.has_ctx)
        (self.pin if keep_code and self.code.text() else self.code).setFocus()

    def set_enabled(self, on: bool) -> None:
        """The store is open (``on``) or not yet: the button works from then on, and a login asked for by
        Enter while the store was opening runs now."""
        self.ok.setEnabled(on and not self.busy)
        if on:
            self.unavailable = False
            self.info.setText(self.base_info)
            if self.waiting:
                self.waiting = False
                self.submit()
        else:
            self.info.setText(tr("ui.login_waits") if self.waiting else tr("ui.opening_db"))

    def cancel_waiting(self) -> None:
        """A login asked for while the store was opening is dropped (the store turned out empty: the first-run
        wizard asks for its manager first)."""
        self.waiting = False

    def set_unavailable(self, text: str) -> None:
        """The store cannot be logged into (it did not open, or is not set up): ``text`` says why, a login
        asked for meanwhile is dropped, and Enter asks for none."""
        self.waiting = False
        self.unavailable = True
        self.info.setText(text)

    def submit(self) -> None:
        if self.busy:
            return
        code, pin = self.code.text().strip(), self.pin.text()
        if not code:
            self.error.show_error(tr("auth.required"))
            self.code.setFocus()
            return
        if not self.appctx.has_ctx:  # still opening: the login waits for the store, the fields stay as typed
            if self.unavailable:
                return
            self.waiting = True
            self.error.show_error(None)
            self.info.setText(tr("ui.login_waits"))
            return
        from pos_app.services import staff  # noqa: PLC0415

        ctx = self.appctx.ctx
        self.busy = True
        self.ok.setEnabled(False)
        self.appctx.run(lambda: staff.login(ctx, code, pin), self._ok, self._fail)

    def _ok(self, actor: Any) -> None:
        self.busy = False
        self.ok.setEnabled(True)
        if self.required_role and actor.role != self.required_role:
            self.error.show_error(tr("ui.need_manager"))
            self.pin.clear()
            self.pin.setFocus()
            return
        self.pin.clear()
        self.error.show_error(None)
        self.logged_in.emit(actor)

    def _fail(self, exc: BaseException) -> None:
        self.busy = False
        self.ok.setEnabled(True)
        self.error.show_error(error_text(exc))
        self.pin.clear()
        self.pin.setFocus()


class ManagerDialog(QDialog):
    """Asks a manager's code and PIN; ``actor`` is the manager after acceptance."""

    def __init__(self, appctx: AppContext, reason: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.actor: Any = None
        self.setWindowTitle(tr("ui.manager_approval"))
        lay = QVBoxLayout(self)
        self.panel = LoginPanel(appctx, required_role="manager", title=tr("ui.manager_approval"),
                                button_text=tr("ui.authorise_button"))
        self.panel.base_info = reason
        self.panel.set_enabled(appctx.has_ctx)
        self.panel.logged_in.connect(self._done)
        lay.addWidget(self.panel)
        cancel = QPushButton(tr("ui.cancel_esc"))
        cancel.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        cancel.clicked.connect(self.reject)
        lay.addWidget(cancel)
        self.panel.code.setFocus()

    def _done(self, actor: Any) -> None:
        self.actor = actor
        self.accept()


def ask_manager(appctx: AppContext, reason: str, parent: QWidget | None = None) -> Any:
    """The manager Actor after they typed their code and PIN, or None when cancelled."""
    dlg = ManagerDialog(appctx, reason, parent)
    return dlg.actor if dlg.exec() == QDialog.DialogCode.Accepted else None
