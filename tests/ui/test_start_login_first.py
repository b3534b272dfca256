"""Start-up: the login window shows with PySide6 and the message catalogue alone; the database layer and the
store core are imported on the database worker while the user types. A login asked for by Enter before the
store is open waits for it (nothing typed is lost, the window answers meanwhile) and runs when it is ready."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from pos_app.services.counter import store_brief
from pos_app.ui.appctx import AppContext
from pos_app.ui.main import MainWindow, attach_store, show_start_failure
from pos_app.ui.ops import DbWorker

#: the real start (``pos-app --db DB gui``, through the CLI) in a child process, watched from its first
#: event-loop turn: what was imported before the window showed, then Enter pressed at once
START_SCRIPT = """
import json, sys, threading
from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

app = QApplication(sys.argv[:1])
seen = {}

def first_turn():
    from pos_app.ui.main import MainWindow
    wins = [w for w in app.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()]
    seen["shown"] = len(wins)
    seen["loaded"] = sorted(m for m in sys.modules if m.split(".")[0] in ("sqlalchemy", "alembic", "argon2")
                            or m.startswith(("pos_app.db", "pos_app.services.", "pos_app.app", "pos_app.bootstrap",
                                             "pos_app.cli."))
                            and m not in ("pos_app.cli.base", "pos_app.cli.gui"))
    w = wins[0]
    seen["open_at_show"] = w.appctx.has_ctx
    seen["button_at_show"] = w.login.ok.isEnabled()
    QTest.keyClicks(w.login.code, "cash1")
    QTest.keyClick(w.login.code, Qt.Key.Key_Return)
    QTest.keyClicks(w.login.pin, "1111")
    QTest.keyClick(w.login.pin, Qt.Key.Key_Return)
    seen["waiting"] = w.login.waiting
    seen["info"] = w.login.info.text()
    seen["typed"] = [w.login.code.text(), w.login.pin.text()]

    def logged_in():
        if w.stack.currentIndex() == 1:
            seen["who"] = w.whoami.text()
            seen["core_on"] = sorted({t for t in imported_by if t != "MainThread"})
            w.close()
            app.quit()
        else:
            QTimer.singleShot(20, logged_in)

    logged_in()

imported_by = set()

def audit(event, args):
    if event == "import" and args[0] == "sqlalchemy":
        imported_by.add(threading.current_thread().name)

sys.addaudithook(audit)
QTimer.singleShot(0, first_turn)
from pos_app.cli import main
rc = main(["--db", sys.argv[1], "--lang", "zh_CN", "gui"])
print(json.dumps({"rc": rc, "sqlalchemy_on_gui_thread": "MainThread" in imported_by, **seen}, ensure_ascii=False))
"""


def test_the_login_window_shows_before_the_core_loads_and_an_early_enter_logs_in(store: Any, tmp_path: Any) -> None:
    store.ctx.db.dispose()  # the app owns the store while it is open
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "POS_GUI_SETTINGS": str(tmp_path / "gui.ini")}
    r = subprocess.run([sys.executable, "-c", START_SCRIPT, str(store.path)], capture_output=True, text=True,
                       env=env, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    seen = json.loads(r.stdout.strip().splitlines()[-1])
    assert seen["rc"] == 0 and seen["shown"] == 1
    # the window came first: no database layer, no service, no other command's module yet
    assert seen["loaded"] == [] and seen["open_at_show"] is False and seen["button_at_show"] is False
    # Enter before the store was open: the login waits, with what was typed kept and the page saying so
    assert seen["waiting"] is True and seen["typed"] == ["cash1", "1111"]
    assert seen["info"] == "正在打开数据库…打开后立即为您登录。"
    # ...and runs when the store is open, without a second Enter; SQLAlchemy was loaded off the GUI thread
    assert "收银一" in seen.get("who", "")
    assert seen["sqlalchemy_on_gui_thread"] is False


def _unopened_window(qtbot: Any) -> tuple[MainWindow, AppContext]:
    appctx = AppContext(None, DbWorker())
    win = MainWindow(appctx)
    qtbot.addWidget(win)
    win.show()
    win.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is win, timeout=10_000)
    return win, appctx


def test_enter_before_the_store_is_open_logs_in_once_it_is(store: Any, qtbot: Any) -> None:
    win, appctx = _unopened_window(qtbot)
    try:
        assert not win.login.ok.isEnabled() and win.login.info.text() == "正在打开数据库…"
        qtbot.keyClicks(win.login.code, "cash1")
        qtbot.keyClick(win.login.code, Qt.Key.Key_Return)  # to the PIN, as always
        assert win.login.pin.hasFocus()
        qtbot.keyClicks(win.login.pin, "111")
        qtbot.keyClick(win.login.pin, Qt.Key.Key_Return)
        assert win.login.waiting and win.stack.currentIndex() == 0
        assert win.login.info.text() == "正在打开数据库…打开后立即为您登录。"
        qtbot.keyClick(win.login.pin, Qt.Key.Key_Backspace)  # the fields still take keys: the PIN is corrected
        qtbot.keyClicks(win.login.pin, "1")
        assert win.login.pin.text() == "111" and win.login.pin.hasFocus()
        attach_store(appctx, store.ctx, store_brief(store.ctx))  # the worker has opened the store
        qtbot.waitUntil(lambda: not win.login.busy, timeout=10_000)
        assert win.stack.currentIndex() == 0 and not win.login.waiting  # the PIN was wrong: said, not retried
        assert win.login.error.text() and win.login.pin.text() == ""
        qtbot.keyClicks(win.login.pin, "1111")
        qtbot.keyClick(win.login.pin, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: win.stack.currentIndex() == 1, timeout=10_000)
        assert "收银一" in win.whoami.text()
    finally:
        win._set_scanner(False)
        qtbot.waitUntil(lambda: appctx.worker.pending == 0, timeout=10_000)
        appctx.worker.stop()


def test_enter_with_the_right_pin_before_the_store_is_open_needs_no_second_enter(store: Any, qtbot: Any) -> None:
    win, appctx = _unopened_window(qtbot)
    try:
        qtbot.keyClicks(win.login.code, "cash1")
        qtbot.keyClick(win.login.code, Qt.Key.Key_Return)
        qtbot.keyClicks(win.login.pin, "1111")
        qtbot.keyClick(win.login.pin, Qt.Key.Key_Return)
        assert win.login.waiting
        attach_store(appctx, store.ctx, store_brief(store.ctx))
        qtbot.waitUntil(lambda: win.stack.currentIndex() == 1, timeout=10_000)
        assert "收银一" in win.whoami.text() and not win.login.waiting
    finally:
        win._set_scanner(False)
        qtbot.waitUntil(lambda: appctx.worker.pending == 0, timeout=10_000)
        appctx.worker.stop()


def test_a_store_that_cannot_open_drops_the_waiting_login_and_says_why(qtbot: Any) -> None:
    win, appctx = _unopened_window(qtbot)
    try:
        qtbot.keyClicks(win.login.code, "cash1")
        qtbot.keyClick(win.login.code, Qt.Key.Key_Return)
        qtbot.keyClicks(win.login.pin, "1111")
        qtbot.keyClick(win.login.pin, Qt.Key.Key_Return)
        assert win.login.waiting
        show_start_failure(win, OSError(13, "Permission denied"))
        assert not win.login.waiting and not win.login.ok.isEnabled()
        assert win.login.info.text().startswith("无法打开数据库：")
        qtbot.keyClick(win.login.pin, Qt.Key.Key_Return)  # pressed again: still nothing to log in to, said so
        assert not win.login.waiting and win.login.info.text().startswith("无法打开数据库：")
    finally:
        appctx.worker.stop()
