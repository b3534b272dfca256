"""The desktop app's entry: QApplication, the main window with its login/lock page, the screens
registered in ``pos_app.ui.screens`` as F-key tabs, and the status bar.

Start-up is lazy: the window with the login page is shown first; the store database (SQLAlchemy,
migrations) is opened on the database worker right after, and the login button is enabled when it is
ready."""

from __future__ import annotations

import gc
import os
import sys
import time
from typing import Any

from PySide6.QtCore import QDateTime, QEvent, QObject, QSettings, Qt, QTimer
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QPushButton,
    QSpinBox,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from pos_app import messages
from pos_app.ui.appctx import AppContext
from pos_app.ui.common import apply_style, error_text, tr
from pos_app.ui.login import LoginPanel, ask_manager
from pos_app.ui.ops import DbWorker
from pos_app.ui.scanner import ScannerFilter

ORG, APP = "pos_app", "pos_app"
LANG_NAMES = {"zh_CN": "简体中文", "en": "English"}


def gui_settings() -> QSettings:
    """The GUI's own settings (language). ``POS_GUI_SETTINGS`` names an ini file instead (tests)."""
    path = os.environ.get("POS_GUI_SETTINGS")
    return QSettings(path, QSettings.Format.IniFormat) if path else QSettings(ORG, APP)


def saved_language() -> str | None:
    v = gui_settings().value("lang")
    return str(v) if v in messages.LANGS else None


def save_language(lang: str) -> None:
    s = gui_settings()
    s.setValue("lang", lang)
    s.sync()


def saved_lock_minutes() -> int:
    """Lock the counter after this many idle minutes (0: never). Default 10."""
    try:
        return max(0, int(gui_settings().value("lock_minutes", 10)))
    except (TypeError, ValueError):
        return 10


def save_lock_minutes(minutes: int) -> None:
    s = gui_settings()
    s.setValue("lock_minutes", int(minutes))
    s.sync()


class ActivityFilter(QObject):
    """Remembers when the last key or click happened (for the idle lock)."""

    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        self.last = time.monotonic()

    def eventFilter(self, obj: QObject, ev: QEvent) -> bool:  # noqa: N802
        if ev.type() in (QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress):
            self.last = time.monotonic()
        return False


def choose_language(lang: str | None) -> str:
    """--lang (or POS_LANG) first, then the choice saved in the settings dialog, then the config file."""
    from pos_app import config  # noqa: PLC0415

    chosen = lang or os.environ.get("POS_LANG") or saved_language() or config.load().lang
    return chosen if chosen in messages.LANGS else messages.DEFAULT_LANG


class SettingsDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(tr("settings.title"))
        form = QFormLayout(self)
        self.lang = QComboBox()
        self.lang.setObjectName("lang")
        for code in messages.LANGS:
            self.lang.addItem(LANG_NAMES.get(code, code), code)
        self.lang.setCurrentIndex(list(messages.LANGS).index(messages.language()))
        form.addRow(tr("settings.language"), self.lang)
        self.lock_minutes = QSpinBox()
        self.lock_minutes.setObjectName("lock_minutes")
        self.lock_minutes.setRange(0, 240)
        self.lock_minutes.setSuffix(tr("settings.minutes_suffix"))
        self.lock_minutes.setSpecialValueText(tr("settings.never"))
        self.lock_minutes.setValue(saved_lock_minutes())
        form.addRow(tr("settings.lock_minutes"), self.lock_minutes)
        box = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        box.accepted.connect(self.accept)
        box.rejected.connect(self.reject)
        form.addRow(box)


class MainWindow(QMainWindow):
    def __init__(self, appctx: AppContext) -> None:
        super().__init__()
        self.appctx = appctx
        self.screens: dict[str, QWidget] = {}
        self.specs: list[Any] = []
        self.shortcuts: list[QShortcut] = []
        self.locked_by: Any = None
        self.scanner = ScannerFilter(self)
        self.scanner.scanned.connect(self.on_scan)
        self.scanner_installed = False
        appctx.ask_manager = lambda reason: ask_manager(appctx, reason, self)
        appctx.member_changed.connect(self._member_changed)
        appctx.changed.connect(self._data_changed)
        appctx.ready.connect(self._db_ready)
        appctx.sync_status.connect(self.set_sync_status)
        self._sync_override: str | None = None
        self.clock = QTimer(self)
        self.clock.timeout.connect(self._tick)
        self.clock.start(1000)
        #: idle lock: seconds without a key or click before the counter locks itself (0: never)
        self.idle_lock_seconds = saved_lock_minutes() * 60.0
        self.activity = ActivityFilter(self)
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self.activity)
        self.resize(1200, 760)
        self.build_ui()

    # ------------------------------------------------------------------ building
    def build_ui(self) -> None:
        self.setWindowTitle(tr("ui.title"))
        self.stack = QStackedWidget()
        self.setCentralWidget(self.stack)
        # page 0: login / lock
        lp = QWidget()
        ll = QVBoxLayout(lp)
        ll.addStretch(1)
        row = QHBoxLayout()
        row.addStretch(1)
        self.login = LoginPanel(self.appctx)
        self.login.logged_in.connect(self.on_login)
        row.addWidget(self.login)
        row.addStretch(1)
        ll.addLayout(row)
        ll.addStretch(2)
        self.stack.addWidget(lp)
        # page 1: work
        wp = QWidget()
        wl = QVBoxLayout(wp)
        top = QHBoxLayout()
        self.whoami = QLabel("")
        self.whoami.setObjectName("whoami")
        top.addWidget(self.whoami)
        top.addStretch(1)
        self.help_btn = QPushButton(tr("help.button"))
        self.help_btn.clicked.connect(self.show_help)
        self.settings_btn = QPushButton(tr("ui.settings"))
        self.settings_btn.clicked.connect(self.open_settings)
        self.switch_btn = QPushButton(tr("ui.switch_user"))
        self.switch_btn.clicked.connect(self.switch_user)
        self.lock_btn = QPushButton(tr("ui.lock"))
        self.lock_btn.clicked.connect(self.lock)
        for b in (self.help_btn, self.settings_btn, self.switch_btn, self.lock_btn):
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            top.addWidget(b)
        wl.addLayout(top)
        #: alert shown at login (low gift stock for managers); clicking it opens the stock screen
        self.alert = QPushButton("")
        self.alert.setObjectName("login_alert")
        self.alert.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.alert.clicked.connect(self._open_alert)
        self.alert.hide()
        wl.addWidget(self.alert)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("screens")
        self.tabs.currentChanged.connect(self._tab_changed)
        wl.addWidget(self.tabs, 1)
        self.stack.addWidget(wp)
        # status bar
        sb = self.statusBar()
        for w in list(sb.findChildren(QLabel)):
            sb.removeWidget(w)
            w.deleteLater()
        self.store_label = QLabel(self.appctx.store_name or tr("ui.opening_db"))
        self.store_label.setObjectName("store_name")
        self.staff_label = QLabel("")
        self.staff_label.setObjectName("staff_name")
        self.sync_label = QLabel(self._sync_override or self._sync_text())
        self.sync_label.setObjectName("sync_status")
        self.clock_label = QLabel("")
        self.clock_label.setObjectName("clock")
        sb.addWidget(self.store_label)
        sb.addWidget(self.staff_label)
        sb.addPermanentWidget(self.sync_label)
        sb.addPermanentWidget(self.clock_label)
        self._tick()
        for sc in (("Ctrl+L", self.lock), ("Ctrl+U", self.switch_user), ("F1", self.show_help)):
            QShortcut(QKeySequence(sc[0]), wp, activated=sc[1])
        self.login.set_enabled(self.appctx.has_ctx)
        if self.appctx.has_actor:
            self._enter_work(self.appctx.actor, rebuild=True)
        else:
            self.show_login()

    def _sync_text(self) -> str:
        return tr("status.no_central") if not self.appctx.central_url else tr("status.central", url=self.appctx.central_url)

    def set_sync_status(self, text: str) -> None:
        """For the sync module: what the status bar says about synchronisation."""
        self._sync_override = text
        self.sync_label.setText(text)

    def _tick(self) -> None:
        self.clock_label.setText(QDateTime.currentDateTime().toString("yyyy-MM-dd HH:mm:ss"))
        self.check_idle()

    def check_idle(self) -> None:
        """Lock when nobody touched the keyboard or mouse for ``idle_lock_seconds`` (not mid-dialog)."""
        if (
            self.idle_lock_seconds > 0
            and self.appctx.has_actor
            and self.stack.currentIndex() == 1
            and QApplication.activeModalWidget() is None
            and time.monotonic() - self.activity.last >= self.idle_lock_seconds
        ):
            self.lock()

    def _db_ready(self) -> None:
        self.login.set_enabled(True)
        self.store_label.setText(self.appctx.store_name)
        if self.stack.currentIndex() == 0:
            self.login.code.setFocus()

    def build_screens(self) -> None:
        from pos_app.ui.screens import screens  # noqa: PLC0415

        for sc in self.shortcuts:
            sc.setEnabled(False)
            sc.deleteLater()
        self.shortcuts = []
        self.tabs.blockSignals(True)
        while self.tabs.count():
            w = self.tabs.widget(0)
            self.tabs.removeTab(0)
            w.deleteLater()
        self.screens = {}
        role = self.appctx.actor.role
        self.specs = [s for s in screens() if role in s.roles]
        for spec in self.specs:
            w = spec.factory(self.appctx)
            self.screens[spec.key] = w
            i = self.tabs.addTab(w, f"{tr(spec.title_key)}  {spec.shortcut}")
            sc = QShortcut(QKeySequence(spec.shortcut), self, activated=lambda i=i: self.show_screen_index(i))
            sc.setContext(Qt.ShortcutContext.WindowShortcut)
            self.shortcuts.append(sc)
            if self.appctx.member is not None and hasattr(w, "set_member"):
                w.set_member(self.appctx.member)
        self.tabs.blockSignals(False)
        self.built_for = self.appctx.actor.staff_id

    def show_screen(self, key: str) -> QWidget:
        w = self.screens[key]
        self.tabs.setCurrentWidget(w)
        return w

    def show_screen_index(self, i: int) -> None:
        if self.stack.currentIndex() == 1:
            self.tabs.setCurrentIndex(i)

    def _tab_changed(self, _i: int) -> None:
        self._place_alert()
        w = self.tabs.currentWidget()
        if w is not None and hasattr(w, "on_shown"):
            w.on_shown()

    # ------------------------------------------------------------------ login, lock, switch
    def show_login(self, *, locked: bool = False) -> None:
        self.stack.setCurrentIndex(0)
        self._set_scanner(False)
        if locked and self.locked_by is not None:
            self.login.title.setText(tr("ui.locked_title", name=self.locked_by.name))
            self.login.code.setText(self.locked_by.code)
            self.login.reset(keep_code=True)
        else:
            self.login.title.setText(tr("ui.login_title"))
            self.login.reset()
        self.staff_label.setText(tr("status.nobody"))

    def on_login(self, actor: Any) -> None:
        same = self.locked_by is not None and self.locked_by.staff_id == actor.staff_id
        self.locked_by = None
        self._enter_work(actor, rebuild=not same or not self.screens)
        from pos_app.ui.staff_view import ask_demo_pin_change  # noqa: PLC0415

        ask_demo_pin_change(self.appctx, actor, self)  # a demo PIN on a real store: asks for a new one

    def _enter_work(self, actor: Any, *, rebuild: bool) -> None:
        self.appctx.set_actor(actor)
        if rebuild:
            self.appctx.set_member(None)
            self.build_screens()
        self.whoami.setText(tr("ui.whoami", name=actor.name, code=actor.code, role=tr(f"role.{actor.role}")))
        self.staff_label.setText(tr("status.staff", name=actor.name, role=tr(f"role.{actor.role}")))
        self.stack.setCurrentIndex(1)
        self._set_scanner(True)
        if rebuild and self.tabs.count():
            self.tabs.setCurrentIndex(0)
        self._tab_changed(self.tabs.currentIndex())
        self.check_alerts()

    def check_alerts(self) -> None:
        """The login alert: gifts at or below their low-stock threshold, for those who manage stock."""
        self.alert.setText("")
        self.alert.hide()
        if not self.appctx.has_actor or "stock" not in self.screens:
            return
        from pos_app.services import gifts  # noqa: PLC0415

        ctx, actor = self.appctx.ctx, self.appctx.actor
        self.appctx.run(lambda: gifts.low_stock(ctx, actor), self._show_alert, lambda _exc: None, key="login-alert")

    def _show_alert(self, levels: Any) -> None:
        from pos_app.ui.stock_view import low_stock_message  # noqa: PLC0415

        text = low_stock_message(levels)
        self.alert.setText(text + ("  " + tr("alert.open_stock") if text else ""))
        self._place_alert()

    def _place_alert(self) -> None:
        """Shown on every screen but the stock screen, which has the same banner of its own."""
        on_stock = self.screens.get("stock") is not None and self.tabs.currentWidget() is self.screens.get("stock")
        self.alert.setVisible(bool(self.alert.text()) and self.stack.currentIndex() == 1 and not on_stock)

    def _open_alert(self) -> None:
        if "stock" in self.screens:
            self.show_screen("stock")

    def lock(self) -> None:
        """Lock without closing: the same staff member (or another, which switches user) logs in again."""
        if not self.appctx.has_actor:
            return
        self.locked_by = self.appctx.actor
        self.appctx.set_actor(None)
        self.show_login(locked=True)

    def switch_user(self) -> None:
        self.locked_by = None
        self.appctx.set_actor(None)
        self.appctx.set_member(None)
        self.show_login()

    # ------------------------------------------------------------------ scanner, members, changes
    def _set_scanner(self, on: bool) -> None:
        app = QApplication.instance()
        if app is None:
            return
        if on and not self.scanner_installed:
            app.installEventFilter(self.scanner)
            self.scanner_installed = True
        elif not on and self.scanner_installed:
            app.removeEventFilter(self.scanner)
            self.scanner_installed = False

    def on_scan(self, text: str) -> None:
        if not self.appctx.has_actor or "counter" not in self.screens:
            return
        counter: Any = self.screens["counter"]
        counter.search.setText(text)
        counter.resolve(text)

    def _member_changed(self, member: Any) -> None:
        for w in self.screens.values():
            if hasattr(w, "set_member"):
                w.set_member(member)

    def _data_changed(self, area: str) -> None:
        if area in ("stock", "gifts") and self.alert.text():
            self.check_alerts()
        w: Any = self.tabs.currentWidget() if self.stack.currentIndex() == 1 else None
        if w is None or getattr(w, "handles_changes", False):
            return
        if hasattr(w, "on_changed"):
            w.on_changed(area)
        elif hasattr(w, "on_shown"):
            w.on_shown()

    def help_text(self) -> str:
        lines = [f"{spec.shortcut}\t{tr(spec.title_key)}" for spec in self.specs]
        lines += ["Ctrl+N\t" + tr("help.register"), "Ctrl+L\t" + tr("help.lock"), "Ctrl+U\t" + tr("help.switch"),
                  "Ctrl+R\t" + tr("help.refund"), "Ctrl+P / Ctrl+S\t" + tr("help.print"),
                  "Enter\t" + tr("help.enter"), "Esc\t" + tr("help.esc"), tr("help.scan")]
        return "\n".join(lines)

    def show_help(self) -> None:
        from PySide6.QtWidgets import QMessageBox  # noqa: PLC0415

        box = QMessageBox(QMessageBox.Icon.Information, tr("help.title"), self.help_text(), parent=self)
        self._help = box
        box.open()

    # ------------------------------------------------------------------ settings
    def open_settings(self) -> None:
        dlg = SettingsDialog(self)
        if dlg.exec() == QDialog.DialogCode.Accepted:
            save_lock_minutes(dlg.lock_minutes.value())
            self.idle_lock_seconds = dlg.lock_minutes.value() * 60.0
            if dlg.lang.currentData() != messages.language():
                self.set_language(dlg.lang.currentData())

    def set_language(self, lang: str) -> None:
        messages.set_language(lang)
        save_language(lang)
        current = self.tabs.currentIndex()
        self.build_ui()
        if self.tabs.count() and current >= 0:
            self.tabs.setCurrentIndex(current)

    def closeEvent(self, ev: Any) -> None:  # noqa: N802
        self._set_scanner(False)
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self.activity)
        super().closeEvent(ev)


def _open_store(db: str, owner: str | None = "app") -> tuple[Any, Any]:
    """The app owns the store while it is open (docs/store-file-safety.md): no command can open it meanwhile."""
    from pos_app.app import open_store  # noqa: PLC0415
    from pos_app.services.counter import store_brief  # noqa: PLC0415

    ctx = open_store(db, owner=owner)
    try:
        return ctx, store_brief(ctx)
    except BaseException:
        ctx.db.dispose()
        raise


def attach_store(appctx: AppContext, ctx: Any, brief: Any) -> None:
    from pos_app.ui.models import set_timezone  # noqa: PLC0415

    appctx.store_name = brief.name
    set_timezone(brief.timezone)
    appctx.set_ctx(ctx)


def create_window(ctx: Any, *, central_url: str | None = None) -> MainWindow:
    """A main window over an already open store (tests, screenshots, benchmarks): login page shown."""
    from pos_app.services.counter import store_brief  # noqa: PLC0415

    app = QApplication.instance()
    if app is not None:
        apply_style(app)  # type: ignore[arg-type]
    worker = DbWorker()
    appctx = AppContext(None, worker)
    appctx.central_url = central_url
    win = MainWindow(appctx)
    attach_store(appctx, ctx, store_brief(ctx))
    return win


def _wait_idle(app: Any, worker: DbWorker, seconds: float = 30.0) -> bool:
    import time  # noqa: PLC0415

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        app.processEvents()
        if worker.pending == 0:
            app.processEvents()
            if worker.pending == 0:
                return True
        time.sleep(0.005)
    return False


def smoke_check(app: Any, win: MainWindow, appctx: AppContext, db: str) -> int:
    """Open the store, check it with doctor, log in as a (virtual) manager, show every screen."""
    errors: list[str] = []
    old_hook = sys.excepthook

    def hook(tp: Any, val: Any, tb: Any) -> None:  # exceptions raised in Qt slots
        import traceback  # noqa: PLC0415

        errors.append("".join(traceback.format_exception(tp, val, tb)))

    sys.excepthook = hook
    try:
        return _smoke_steps(app, win, appctx, db, errors)
    finally:
        sys.excepthook = old_hook


def _smoke_steps(app: Any, win: MainWindow, appctx: AppContext, db: str, errors: list[str]) -> int:
    from pos_app.services.context import Actor  # noqa: PLC0415
    from pos_app.services.doctor import run_doctor  # noqa: PLC0415

    try:
        ctx, brief = _open_store(db)
    except Exception as exc:  # the reason goes to stderr
        print(f"smoke: cannot open the store database: {error_text(exc)}", file=sys.stderr)
        return 2
    attach_store(appctx, ctx, brief)
    rep = run_doctor(ctx)
    if not rep.ok:
        print("smoke: doctor: " + "; ".join(rep.problems), file=sys.stderr)
        return 1
    win._enter_work(Actor("", "smoke", "smoke", "manager"), rebuild=True)
    for i in range(win.tabs.count()):
        win.tabs.setCurrentIndex(i)
        if not _wait_idle(app, appctx.worker):
            print("smoke: the database worker did not finish", file=sys.stderr)
            return 1
    if errors:
        print("smoke: " + errors[0], file=sys.stderr)
        return 1
    if appctx.worker.crashes:
        print("smoke: " + "; ".join(repr(e) for e in appctx.worker.crashes), file=sys.stderr)
        return 1
    print(f"smoke ok: {len(win.screens)} screens ({', '.join(win.screens)}), doctor ok")
    return 0


def run_gui(db: str, *, lang: str | None = None, smoke: bool = False) -> int:
    from pos_app import config  # noqa: PLC0415

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setOrganizationName(ORG)
    app.setApplicationName(APP)
    messages.set_language(choose_language(lang))
    apply_style(app)  # type: ignore[arg-type]
    worker = DbWorker()
    appctx = AppContext(None, worker)
    appctx.central_url = config.load().central_url
    win = MainWindow(appctx)
    win.show()
    win.raise_()
    win.activateWindow()  # F-key shortcuts work at once, also on a kiosk screen without a window manager
    try:
        if smoke:
            return smoke_check(app, win, appctx, db)
        if os.environ.get("POS_GUI_BENCH"):
            app.processEvents()
            print("POS_LOGIN_SHOWN", flush=True)
            return 0

        jobs: list[Any] = []

        def opened(res: tuple[Any, Any]) -> None:
            from pos_app.ui.jobs import DailyJobs  # noqa: PLC0415

            attach_store(appctx, *res)
            daily = DailyJobs(appctx, tz=res[1].timezone)  # the jobs a store would put in cron run here
            daily.start()
            jobs.append(daily)
            # The app's long-lived heap (Qt wrappers, SQLAlchemy mappers, caches) is built now: move it out of
            # the cyclic collector's way so full collections do not stall the counter (measured in
            # tests/bench/bench_coupons.py: code validation p99 0.6 ms frozen against 2.3 ms not).
            gc.freeze()

        def failed(exc: BaseException) -> None:
            win.login.info.setText(tr("ui.db_failed", detail=error_text(exc)))

        QTimer.singleShot(0, lambda: worker.run(lambda: _open_store(db), opened, failed))
        return int(app.exec())
    finally:
        win._set_scanner(False)
        worker.stop()
        if appctx.has_ctx:
            appctx.ctx.db.dispose()  # every connection closed, then the store's lock released
