"""Login, lock, switch user, manager approval, status bar, language."""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication

from pos_app import messages
from pos_app.ui.login import ManagerDialog
from tests.ui.conftest import idle, login


def test_login_by_keyboard_shows_who_is_logged_in(win: Any, qtbot: Any) -> None:
    assert win.stack.currentIndex() == 0
    assert win.store_label.text() == "测试门店"
    assert win.sync_label.text() == "未配置中心服务器"
    login(qtbot, win, "cash1", "1111")
    assert "收银一" in win.whoami.text() and "收银员" in win.whoami.text()
    assert "收银一" in win.staff_label.text()
    tabs = [win.tabs.tabText(i) for i in range(win.tabs.count())]
    assert tabs[:4] == ["收银台  F2", "充值  F3", "余额支付  F4", "会员记录  F5"]
    assert win.clock_label.text().startswith("20")


def test_wrong_pin_shows_translated_message_and_stays_locked(win: Any, qtbot: Any) -> None:
    qtbot.keyClicks(win.login.code, "cash1")
    qtbot.keyClick(win.login.code, Qt.Key.Key_Return)
    qtbot.keyClicks(win.login.pin, "0000")
    qtbot.keyClick(win.login.pin, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: win.login.error.isVisible() and idle(win))
    assert win.login.error.text() == "工号或密码错误"
    assert win.stack.currentIndex() == 0
    assert not win.appctx.has_actor
    assert win.login.pin.text() == ""


def test_keypad_types_the_pin(win: Any, qtbot: Any) -> None:
    win.login.code.setText("cash1")
    win.login.pin.setFocus()
    for k in "1111":
        win.login._key(k)
    assert win.login.pin.text() == "1111"
    win.login._key("⌫")
    assert win.login.pin.text() == "111"
    win.login._key("1")
    qtbot.mouseClick(win.login.ok, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: win.stack.currentIndex() == 1)


def test_lock_and_unlock_keeps_the_screens(win: Any, qtbot: Any) -> None:
    login(qtbot, win, "cash1", "1111")
    counter = win.screens["counter"]
    counter.search.setText("138")
    qtbot.keyClick(win, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert win.stack.currentIndex() == 0
    assert not win.appctx.has_actor
    assert win.login.code.text() == "cash1"
    assert "收银一" in win.login.title.text()
    qtbot.keyClicks(win.login.pin, "1111")
    qtbot.keyClick(win.login.pin, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: win.stack.currentIndex() == 1)
    assert win.screens["counter"] is counter
    assert counter.search.text() == "138"


def test_switch_user_rebuilds_for_the_new_role(win: Any, qtbot: Any) -> None:
    login(qtbot, win, "shelf1", "2222")
    assert "recharge" not in win.screens and "pay" not in win.screens  # staff may not take money
    win.switch_user()
    assert win.stack.currentIndex() == 0
    login(qtbot, win, "boss", "9999")
    assert "recharge" in win.screens and "店长" in win.whoami.text()


def test_manager_dialog_refuses_a_cashier_and_accepts_a_manager(win: Any, qtbot: Any) -> None:
    dlg = ManagerDialog(win.appctx, "退款")
    qtbot.addWidget(dlg)
    dlg.show()
    assert dlg.panel.ok.text() == "授权 (Enter)"  # it authorises, it does not log in (issue 9, item 11)
    assert win.login.ok.text() == "登录 (Enter)"
    dlg.panel.code.setText("cash1")
    dlg.panel.pin.setText("1111")
    dlg.panel.submit()
    qtbot.waitUntil(lambda: dlg.panel.error.isVisible())
    assert dlg.panel.error.text() == "需要店长账号"
    assert dlg.actor is None
    dlg.panel.code.setText("boss")
    dlg.panel.pin.setText("9999")
    dlg.panel.submit()
    qtbot.waitUntil(lambda: dlg.actor is not None)
    assert dlg.actor.role == "manager"


def test_ask_manager_cancel_returns_none(win: Any, qtbot: Any) -> None:
    login(qtbot, win, "cash1", "1111")

    def cancel() -> None:
        w = QApplication.activeModalWidget()
        assert isinstance(w, ManagerDialog)
        w.reject()

    QTimer.singleShot(50, cancel)
    assert win.appctx.ask_manager("x") is None


def test_language_switch_to_english(win: Any, qtbot: Any, monkeypatch: Any) -> None:
    saved: list[str] = []
    monkeypatch.setattr("pos_app.ui.main.save_language", saved.append)
    login(qtbot, win, "cash1", "1111")
    win.set_language("en")
    assert saved == ["en"]
    assert messages.language() == "en"
    assert win.tabs.tabText(0) == "Counter  F2"
    assert win.sync_label.text() == "No central server"
    assert "Cashier" in win.whoami.text()
    assert win.stack.currentIndex() == 1


def test_sync_module_can_set_the_status_label(win: Any, qtbot: Any) -> None:
    win.appctx.sync_status.emit("已同步 10:00")
    assert win.sync_label.text() == "已同步 10:00"
    login(qtbot, win, "cash1", "1111")
    win.set_language("zh_CN")  # rebuilding the window keeps it
    assert win.sync_label.text() == "已同步 10:00"


def test_f1_lists_the_shortcuts(win: Any, qtbot: Any) -> None:
    login(qtbot, win, "cash1", "1111")
    text = win.help_text()
    for line in ("F2\t收银台", "F3\t充值", "F4\t余额支付", "F5\t会员记录", "Ctrl+L\t锁屏"):
        assert line in text
    win.show_help()
    assert win._help.isVisible()
    win._help.reject()


def test_saved_language_is_used_unless_given(tmp_path: Any, monkeypatch: Any) -> None:
    from pos_app.ui import main

    monkeypatch.setenv("POS_GUI_SETTINGS", str(tmp_path / "gui.ini"))
    monkeypatch.delenv("POS_LANG", raising=False)
    monkeypatch.setenv("POS_CONFIG", str(tmp_path / "none.toml"))
    assert main.choose_language(None) == "zh_CN"
    main.save_language("en")
    assert main.saved_language() == "en"
    assert "lang=en" in (tmp_path / "gui.ini").read_text()
    assert main.choose_language(None) == "en"
    assert main.choose_language("zh_CN") == "zh_CN"
    monkeypatch.setenv("POS_LANG", "zh_CN")
    assert main.choose_language(None) == "zh_CN"


RUN_GUI_SCRIPT = """
import json, sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from pos_app.ui import main
from pos_app.ui.main import MainWindow

app = QApplication([])
seen = {}

def poll():
    wins = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()]
    if wins and wins[-1].login.ok.isEnabled():
        w = wins[-1]
        seen["store"] = w.store_label.text()
        seen["info"] = w.login.info.text()
        w.login.code.setText("cash1")
        w.login.pin.setText("1111")
        w.login.submit()

        def logged_in():
            if w.stack.currentIndex() == 1:
                seen["who"] = w.whoami.text()
                w.close()
                app.quit()
            else:
                QTimer.singleShot(20, logged_in)

        QTimer.singleShot(20, logged_in)
    else:
        QTimer.singleShot(20, poll)

QTimer.singleShot(0, poll)
rc = main.run_gui(sys.argv[1], lang="zh_CN")
print(json.dumps({"rc": rc, **seen}, ensure_ascii=False))
"""


def test_run_gui_opens_the_store_on_the_worker_then_enables_login(store: Any, tmp_path: Any) -> None:
    """The real start-up path (in a child process): window first, database opened on the worker,
    login enabled when it is ready."""
    import json
    import os
    import subprocess
    import sys

    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "POS_GUI_SETTINGS": str(tmp_path / "gui.ini")}
    r = subprocess.run([sys.executable, "-c", RUN_GUI_SCRIPT, str(store.path)], capture_output=True, text=True,
                       env=env, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    seen = json.loads(r.stdout.strip().splitlines()[-1])
    assert seen["rc"] == 0
    assert seen.get("store") == "测试门店"
    assert seen.get("info") == ""
    assert "收银一" in seen.get("who", "")


def test_idle_counter_locks_itself(win: Any, qtbot: Any) -> None:
    login(qtbot, win, "cash1", "1111")
    assert win.idle_lock_seconds == 600  # default: 10 minutes
    win.activity.last = time.monotonic() - 3600  # nobody touched it for an hour...
    qtbot.keyClick(win.screens["counter"].search, Qt.Key.Key_1)  # ...until now: activity keeps it open
    win.check_idle()
    assert win.stack.currentIndex() == 1
    win.activity.last -= 601  # then ten minutes without a key or a click
    qtbot.waitUntil(lambda: win.stack.currentIndex() == 0, timeout=10_000)  # the 1 s clock tick locks it
    assert not win.appctx.has_actor and win.login.code.text() == "cash1"


def test_settings_dialog_saves_lock_minutes(win: Any, qtbot: Any) -> None:
    from pos_app.ui.main import saved_lock_minutes
    from pos_app.ui.settings_dialog import SettingsDialog

    login(qtbot, win, "cash1", "1111")

    def answer() -> None:
        dlg = QApplication.activeModalWidget()
        if not isinstance(dlg, SettingsDialog):
            QTimer.singleShot(20, answer)
            return
        dlg.lock_minutes.setValue(3)
        dlg.accept()

    QTimer.singleShot(20, answer)
    win.open_settings()
    assert saved_lock_minutes() == 3 and win.idle_lock_seconds == 180
    assert messages.language() == "zh_CN"


def test_manager_dialog_button_says_authorise_in_english(win: Any, qtbot: Any) -> None:
    messages.set_language("en")
    dlg = ManagerDialog(win.appctx, "refund")
    qtbot.addWidget(dlg)
    assert dlg.panel.ok.text() == "Authorise (Enter)"
