"""The first-run wizard: the app started on an empty store database (no store set up yet) asks for the store's
name, code and time zone, the first manager's code, name and PIN (twice), whether the store runs standalone or
pairs with a central server (its address and a one-time pairing code from head office), and whether to load the
demo data; then it sets the store up with the services the CLI uses (``staff.init_store``, ``demo.load_demo``,
``sync.pair``) on the database worker, and the login window follows. A pairing that fails (central not reached,
a used code) leaves the store set up, standalone, and the login window says why (pair later: ``pos-app pair``). ``make run`` loads the demo store first, so it never shows.

Keyboard: every field has an underlined letter (Alt+letter), Tab goes on, Enter sets the store up, Esc closes
the app's question without setting anything up (the app stays at its login window and says why)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QWidget,
)

from pos_app.domain.errors import DomainError, InvalidInput
from pos_app.ui.common import ErrorLabel, tr

STORE_CODE_RE = re.compile(r"^[A-Za-z0-9_\-]{1,16}$")


@dataclass(frozen=True)
class SetUp:
    """What the wizard did: the store's brief for the login window, and why pairing failed (None: paired, or
    standalone)."""

    brief: Any
    pair_error: DomainError | None = None


def set_up_store(ctx: Any, *, store_name: str, store_code: str, timezone: str, manager_code: str,
                 manager_name: str, pin: str, pin_again: str, demo: bool, central_url: str = "",
                 pair_code: str = "") -> SetUp:
    """The wizard's work (on the database worker): checks, the store and its first manager, the demo data if
    asked, the pairing with central when an address is given."""
    from pos_app.services import demo as demo_service  # noqa: PLC0415
    from pos_app.services import staff  # noqa: PLC0415
    from pos_app.services.counter import store_brief  # noqa: PLC0415

    if pin != pin_again:
        raise InvalidInput("first_run.pins_differ")
    staff.init_store(ctx, store_name=store_name, store_code=store_code, timezone=timezone,
                     manager_code=manager_code, manager_pin=pin, manager_name=manager_name or manager_code)
    manager = staff.login(ctx, manager_code, pin) if demo or central_url else None
    if demo:
        demo_service.load_demo(ctx, manager)
    pair_error: DomainError | None = None
    if central_url:
        from pos_app.services import sync  # noqa: PLC0415

        try:
            sync.pair(ctx, manager, server_url=central_url, code=pair_code)
        except DomainError as exc:  # the store stays set up and standalone; the login window says why
            pair_error = exc
    return SetUp(store_brief(ctx), pair_error)


class FirstRunDialog(QDialog):
    def __init__(self, appctx: Any, ctx: Any, done: Callable[[Any], None], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.appctx, self.ctx, self.done_cb = appctx, ctx, done
        self.setWindowTitle(tr("first_run.title"))
        form = QFormLayout(self)
        intro = QLabel(tr("first_run.intro"))
        intro.setWordWrap(True)
        form.addRow(intro)
        self.fields: dict[str, QLineEdit] = {}

        def field(name: str, label_key: str, text: str = "", *, secret: bool = False) -> QLineEdit:
            edit = QLineEdit(text)
            edit.setObjectName(name)
            if secret:
                edit.setEchoMode(QLineEdit.EchoMode.Password)
            label = QLabel(tr(label_key))
            label.setBuddy(edit)
            form.addRow(label, edit)
            self.fields[name] = edit
            return edit

        from pos_app.services import store_settings  # noqa: PLC0415

        start_error: DomainError | None = None
        try:  # this computer's [store] store_name / store_code / timezone (or POS_STORE_*) fill the form
            new = store_settings.new_store_defaults()
        except DomainError as exc:
            start_error = exc
            new = {"store_name": "", "store_code": store_settings.DEFAULT_STORE_CODE,
                   "timezone": store_settings.DEFAULT_TIMEZONE}
        field("store_name", "first_run.store_name",
              new["store_name"] if new["store_name"] != store_settings.DEFAULT_STORE_NAME else "")
        field("store_code", "first_run.store_code", new["store_code"])
        field("timezone", "first_run.timezone", new["timezone"])
        field("manager_code", "first_run.manager_code")
        field("manager_name", "first_run.manager_name")
        field("pin", "first_run.pin", secret=True)
        field("pin_again", "first_run.pin_again", secret=True)
        field("central_url", "first_run.central_url").setPlaceholderText(tr("first_run.central_url_hint"))
        field("pair_code", "first_run.pair_code")
        self.demo = QCheckBox(tr("first_run.demo"))
        self.demo.setObjectName("demo")
        form.addRow(self.demo)
        self.error = ErrorLabel()
        form.addRow(self.error)
        self.error.show_error(start_error)
        box = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = box.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText(tr("first_run.ok"))
        self.ok_button.setDefault(True)
        box.button(QDialogButtonBox.StandardButton.Cancel).setText(tr("ui.cancel_esc"))
        box.accepted.connect(self.accept)
        box.rejected.connect(self.reject)
        form.addRow(box)
        self.busy = False
        self.pair_error: DomainError | None = None
        self.fields["store_name"].setFocus()

    def values(self) -> dict[str, Any]:
        v: dict[str, Any] = {k: e.text().strip() for k, e in self.fields.items()}
        v["pin"], v["pin_again"] = self.fields["pin"].text(), self.fields["pin_again"].text()
        v["demo"] = self.demo.isChecked()
        return v

    def check(self, v: dict[str, Any]) -> None:
        """What can be refused before the database is touched, each with its field's message."""
        from pos_app.services.store_settings import check_store_setting  # noqa: PLC0415

        check_store_setting("store_name", v["store_name"])
        if not STORE_CODE_RE.match(v["store_code"]):
            raise InvalidInput("first_run.store_code_invalid", code=v["store_code"])
        check_store_setting("timezone", v["timezone"])
        if not v["manager_code"]:
            raise InvalidInput("first_run.manager_code_missing")
        if v["pin"] != v["pin_again"]:
            raise InvalidInput("first_run.pins_differ")
        if v["central_url"]:
            if not v["central_url"].startswith(("http://", "https://")):
                raise InvalidInput("sync.server_url_invalid", url=v["central_url"])
            if not v["pair_code"]:
                raise InvalidInput("sync.code_missing")
        elif v["pair_code"]:
            raise InvalidInput("first_run.central_url_missing")

    def accept(self) -> None:
        if self.busy:
            return
        v = self.values()
        try:
            self.check(v)
        except DomainError as exc:
            self.error.show_error(exc)
            return
        self.error.show_error(None)
        self.busy = True
        self.ok_button.setEnabled(False)
        ctx = self.ctx
        self.appctx.worker.run(lambda: set_up_store(ctx, **v), self._done, self._failed)

    def _done(self, res: SetUp) -> None:
        self.busy = False
        self.pair_error = res.pair_error
        login = getattr(self.parentWidget(), "login", None)
        if res.pair_error is not None and login is not None:  # shown on the login page once the store opens
            from pos_app.ui.common import error_text  # noqa: PLC0415

            login.base_info = tr("first_run.pair_failed", detail=error_text(res.pair_error))
        super().accept()
        self.done_cb(res.brief)

    def _failed(self, exc: BaseException) -> None:
        self.busy = False
        self.ok_button.setEnabled(True)
        self.error.show_error(exc)


def ask_first_run(win: Any, appctx: Any, ctx: Any, opened: Callable[[Any], None]) -> FirstRunDialog:
    """Show the wizard over the login window for the empty store ``ctx``; ``opened(brief)`` when it is set up.
    Closed without setting up: the login window says the store is not set up yet."""
    dlg = FirstRunDialog(appctx, ctx, opened, win)
    win.first_run = dlg
    win.login.cancel_waiting()  # a login typed before the store opened has no store account to log into yet

    def closed(result: int) -> None:
        if result != QDialog.DialogCode.Accepted:
            win.login.set_unavailable(tr("first_run.not_done"))

    dlg.finished.connect(closed)
    dlg.open()
    return dlg
