"""Settings by keyboard only: Ctrl+, opens it, Alt+L / Alt+M reach the fields, Enter saves, Esc cancels;
the buttons and labels show those keys (issue 9, item 9)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication

from pos_app import messages
from pos_app.ui.main import saved_lock_minutes
from pos_app.ui.settings_dialog import SettingsDialog
from tests.ui.conftest import login


def _when_open(fn: Any) -> None:
    def poll() -> None:
        dlg = QApplication.activeModalWidget()
        if isinstance(dlg, SettingsDialog) and QApplication.activeWindow() is dlg:
            fn(dlg)
        else:
            QTimer.singleShot(20, poll)

    QTimer.singleShot(20, poll)


def test_ctrl_comma_opens_settings_and_enter_saves(win: Any, qtbot: Any) -> None:
    login(qtbot, win, "cash1", "1111")
    seen: dict[str, Any] = {}

    def drive(dlg: SettingsDialog) -> None:
        seen["ok"] = dlg.ok_button.text()
        seen["cancel"] = dlg.cancel_button.text()
        seen["labels"] = (dlg.lang_label.text(), dlg.lock_label.text())
        seen["lang_focus"] = dlg.lang.hasFocus()
        qtbot.keyClick(dlg, Qt.Key.Key_M, Qt.KeyboardModifier.AltModifier)
        seen["lock_focus"] = dlg.lock_minutes.hasFocus()
        dlg.lock_minutes.selectAll()
        qtbot.keyClicks(dlg.lock_minutes, "7")
        qtbot.keyClick(dlg.lock_minutes, Qt.Key.Key_Return)

    _when_open(drive)
    win.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is win, timeout=3000)
    qtbot.keyClick(win, Qt.Key.Key_Comma, Qt.KeyboardModifier.ControlModifier)
    assert seen["ok"] == "确定 (Enter)" and seen["cancel"] == "取消 (Esc)"
    assert seen["labels"] == ("界面语言(&L)", "无操作自动锁屏(&M)")
    assert seen["lang_focus"] and seen["lock_focus"]
    assert saved_lock_minutes() == 7 and win.idle_lock_seconds == 420
    assert "Ctrl+," in win.settings_btn.text()


def test_alt_l_then_arrow_changes_language_and_esc_cancels(win: Any, qtbot: Any) -> None:
    login(qtbot, win, "cash1", "1111")

    def drive(dlg: SettingsDialog) -> None:
        qtbot.keyClick(dlg, Qt.Key.Key_L, Qt.KeyboardModifier.AltModifier)
        qtbot.keyClick(dlg.lang, Qt.Key.Key_Down)
        qtbot.keyClick(dlg.lang, Qt.Key.Key_Escape)

    _when_open(drive)
    win.open_settings()
    assert messages.language() == "zh_CN"  # cancelled: nothing changed

    def choose(dlg: SettingsDialog) -> None:
        qtbot.keyClick(dlg, Qt.Key.Key_L, Qt.KeyboardModifier.AltModifier)
        qtbot.keyClick(dlg.lang, Qt.Key.Key_Down)
        qtbot.keyClick(dlg.lang, Qt.Key.Key_Return)

    _when_open(choose)
    win.open_settings()
    assert messages.language() == "en"
    assert win.tabs.tabText(0) == "Counter  F2"
