"""Staff and security in the GUI: the login window and the manager-PIN prompt lock after wrong PINs (with a
controlled clock), the staff screen (F10, managers) by keyboard, and the demo-PIN prompt."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from pos_app.domain.errors import AuthenticationFailed
from pos_app.services import staff
from pos_app.ui import staff_view
from pos_app.ui.login import ManagerDialog
from tests.ui.conftest import idle, login, press


def _type_login(qtbot: Any, w: Any, code: str, pin: str) -> None:
    w.login.code.setFocus()
    w.login.code.clear()
    qtbot.keyClicks(w.login.code, code)
    qtbot.keyClick(w.login.code, Qt.Key.Key_Return)
    qtbot.keyClicks(w.login.pin, pin)
    qtbot.keyClick(w.login.pin, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not w.login.busy and idle(w), timeout=10_000)


def test_gui_login_locks_after_five_wrong_pins_and_opens_after_fifteen_minutes(win: Any, qtbot: Any, store: Any) -> None:
    for _ in range(4):
        _type_login(qtbot, win, "cash1", "0000")
        assert win.login.error.text() == "工号或密码错误"
    _type_login(qtbot, win, "cash1", "0000")
    assert "已锁定" in win.login.error.text() and "2026-11-23 10:16" in win.login.error.text()
    _type_login(qtbot, win, "cash1", "1111")  # the right PIN: still refused
    assert "已锁定" in win.login.error.text()
    assert win.stack.currentIndex() == 0 and not win.appctx.has_actor
    store.clock.advance(minutes=16)
    login(qtbot, win, "cash1", "1111")
    assert win.appctx.actor.code == "cash1"


def test_unknown_code_in_the_login_window_gets_the_same_message(win: Any, qtbot: Any) -> None:
    _type_login(qtbot, win, "nobody", "1111")
    unknown = win.login.error.text()
    _type_login(qtbot, win, "cash1", "0000")
    assert unknown == win.login.error.text() == "工号或密码错误"


def test_manager_pin_prompt_is_locked_too_and_does_not_bypass_a_lock(win: Any, qtbot: Any, store: Any) -> None:
    dlg = ManagerDialog(win.appctx, "退款")
    qtbot.addWidget(dlg)
    dlg.show()
    for _ in range(5):
        dlg.panel.code.setText("boss")
        dlg.panel.pin.setText("0000")
        dlg.panel.submit()
        qtbot.waitUntil(lambda: not dlg.panel.busy and idle(win), timeout=10_000)
    assert "已锁定" in dlg.panel.error.text()
    dlg.panel.pin.setText("9999")
    dlg.panel.submit()
    qtbot.waitUntil(lambda: not dlg.panel.busy and idle(win), timeout=10_000)
    assert dlg.actor is None and "已锁定" in dlg.panel.error.text()
    # locked through the prompt: the login window and the CLI's path (the service) refuse it too
    _type_login(qtbot, win, "boss", "9999")
    assert "已锁定" in win.login.error.text() and not win.appctx.has_actor
    with pytest.raises(AuthenticationFailed, match="auth.locked"):
        staff.login(store.ctx, "boss", "9999")


def _staff_screen(qtbot: Any, win: Any) -> Any:
    login(qtbot, win, "boss", "9999")
    press(qtbot, win, Qt.Key.Key_F10)
    screen = win.screens["staff"]
    qtbot.waitUntil(lambda: win.tabs.currentWidget() is screen and screen.model.rowCount() == 3 and idle(win),
                    timeout=10_000)
    return screen


def _select(screen: Any, code: str) -> None:
    codes = [r.code for r in screen.model.rows]
    screen.table.selectRow(codes.index(code))


def _row(screen: Any, code: str) -> Any:
    return next(r for r in screen.model.rows if r.code == code)


def _key(qtbot: Any, screen: Any, key: Any) -> None:
    """Ctrl+key on the table (the window active again after a dialog closed)."""
    win = screen.window()
    win.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is win, timeout=3000)
    screen.table.setFocus()
    qtbot.keyClick(screen.table, key, Qt.KeyboardModifier.ControlModifier)


def test_staff_screen_is_for_managers_only(win: Any, qtbot: Any) -> None:
    login(qtbot, win, "cash1", "1111")
    assert "staff" not in win.screens
    win.switch_user()
    screen = _staff_screen(qtbot, win)
    headers = [screen.model.headerData(i, Qt.Orientation.Horizontal) for i in range(screen.model.columnCount())]
    assert headers == ["工号", "姓名", "角色", "在职", "上次登录", "锁定至"]
    assert all("(Ctrl+" in b.text() for b in screen.buttons.values())
    assert _row(screen, "boss").last_login_at is not None


def test_staff_screen_unlock_disable_enable_role_reset_and_add_by_keyboard(win: Any, qtbot: Any, store: Any) -> None:
    for _ in range(5):
        with pytest.raises(AuthenticationFailed):
            staff.login(store.ctx, "cash1", "0000")
    screen = _staff_screen(qtbot, win)
    col_locked = 5
    cash_row = [r.code for r in screen.model.rows].index("cash1")
    assert screen.model.index(cash_row, col_locked).data() == "2026-11-23 10:16"
    _select(screen, "cash1")
    _key(qtbot, screen, Qt.Key.Key_K)  # unlock
    qtbot.waitUntil(lambda: _row(screen, "cash1").locked_until is None and idle(win), timeout=10_000)
    assert staff.login(store.ctx, "cash1", "1111").code == "cash1"

    _select(screen, "shelf1")
    _key(qtbot, screen, Qt.Key.Key_D)  # disable
    qtbot.waitUntil(lambda: not _row(screen, "shelf1").active and idle(win), timeout=10_000)
    _select(screen, "shelf1")
    _key(qtbot, screen, Qt.Key.Key_D)  # enable again
    qtbot.waitUntil(lambda: _row(screen, "shelf1").active and idle(win), timeout=10_000)

    _select(screen, "shelf1")
    _key(qtbot, screen, Qt.Key.Key_E)  # change role
    dlg = screen.dialog
    assert isinstance(dlg, staff_view.RoleDialog)
    dlg.role.setCurrentIndex(dlg.role.findData("cashier"))
    dlg.buttons.accepted.emit()
    qtbot.waitUntil(lambda: _row(screen, "shelf1").role == "cashier" and idle(win), timeout=10_000)

    _select(screen, "shelf1")
    _key(qtbot, screen, Qt.Key.Key_R)  # reset PIN
    dlg = screen.dialog
    assert isinstance(dlg, staff_view.PinDialog)
    qtbot.keyClicks(dlg.pin, "5678")
    qtbot.keyClicks(dlg.pin2, "5679")
    dlg.buttons.accepted.emit()
    assert dlg.error.text() == "两次输入的密码不一致" and dlg.isVisible()
    qtbot.keyClicks(dlg.pin2, "5678")
    dlg.buttons.accepted.emit()
    qtbot.waitUntil(lambda: "shelf1" in screen.status.text() and idle(win), timeout=10_000)
    assert staff.login(store.ctx, "shelf1", "5678").code == "shelf1"

    _key(qtbot, screen, Qt.Key.Key_N)  # add
    dlg = screen.dialog
    assert isinstance(dlg, staff_view.AddStaffDialog)
    qtbot.keyClicks(dlg.code, "c7")
    dlg.name.setText("收银七")  # CJK text comes from the input method, not key events
    dlg.role.setCurrentIndex(dlg.role.findData("cashier"))
    qtbot.keyClicks(dlg.pin, "7777")
    qtbot.keyClicks(dlg.pin2, "7777")
    dlg.buttons.accepted.emit()
    qtbot.waitUntil(lambda: screen.model.rowCount() == 4 and idle(win), timeout=10_000)
    assert (_row(screen, "c7").name, _row(screen, "c7").role) == ("收银七", "cashier")


def test_staff_screen_refuses_to_demote_the_last_manager(win: Any, qtbot: Any) -> None:
    screen = _staff_screen(qtbot, win)
    _select(screen, "boss")
    _key(qtbot, screen, Qt.Key.Key_E)
    dlg = screen.dialog
    dlg.role.setCurrentIndex(dlg.role.findData("staff"))
    dlg.buttons.accepted.emit()
    qtbot.waitUntil(lambda: screen.error.isVisible() and idle(win), timeout=10_000)
    assert "最后一位在职店长" in screen.error.text()
    assert _row(screen, "boss").role == "manager"


def test_demo_pin_on_a_real_store_is_changed_after_login(win: Any, qtbot: Any, store: Any) -> None:
    staff.add_staff(store.ctx, store.manager, code="admin", role="manager", pin="8888", name="王店长")
    login(qtbot, win, "boss", "9999")
    qtbot.waitUntil(lambda: idle(win))
    assert staff_view.open_demo_dialogs(win) == []  # not a demo account: nothing asked
    win.switch_user()
    login(qtbot, win, "admin", "8888")
    qtbot.waitUntil(lambda: len(staff_view.open_demo_dialogs(win)) == 1 and idle(win), timeout=10_000)
    dlg = staff_view.open_demo_dialogs(win)[0]
    assert "admin" in dlg.findChild(type(win.login.title)).text() or dlg.windowTitle() == "请更改示范密码"
    qtbot.keyClicks(dlg.pin, "8888")  # the demo PIN again: refused
    qtbot.keyClicks(dlg.pin2, "8888")
    dlg.buttons.accepted.emit()
    qtbot.waitUntil(lambda: dlg.error.isVisible() and idle(win), timeout=10_000)
    assert "示范密码" in dlg.error.text() and not dlg.changed
    qtbot.keyClicks(dlg.pin, "135790")
    qtbot.keyClicks(dlg.pin2, "135790")
    dlg.buttons.accepted.emit()
    qtbot.waitUntil(lambda: dlg.changed and idle(win), timeout=10_000)
    assert staff_view.open_demo_dialogs(win) == []
    assert staff.login(store.ctx, "admin", "135790").code == "admin"
