"""The register dialog grows when an error appears (its buttons and the whole message stay visible) and
drops the error once the field is corrected (issue 9, item 10)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt

from pos_app import messages
from tests.ui.conftest import idle, login


def _inside(dlg: Any, w: Any) -> bool:
    top_left = w.mapTo(dlg, w.rect().topLeft())
    bottom_right = w.mapTo(dlg, w.rect().bottomRight())
    return dlg.rect().contains(top_left) and dlg.rect().contains(bottom_right)


def _whole(label: Any) -> bool:
    return label.height() >= label.heightForWidth(label.width())


def test_error_grows_the_dialog_and_goes_when_the_phone_is_corrected(win: Any, qtbot: Any) -> None:
    login(qtbot, win, "cash1", "1111")
    messages.set_language("en")  # the longer messages: they wrap over three lines
    dlg = win.screens["counter"].open_register("")
    qtbot.waitUntil(dlg.isVisible)
    before = dlg.height()
    dlg.phone.setFocus()
    qtbot.keyClicks(dlg.phone, "12345678901234567890")
    qtbot.keyClick(dlg.phone, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dlg.phone_error.isVisible() and idle(win), timeout=10_000)
    assert dlg.phone_error.text().startswith("Not a valid mobile number")
    qtbot.waitUntil(lambda: _inside(dlg, dlg.ok) and _whole(dlg.phone_error))
    assert dlg.height() > before
    assert dlg.ok.height() >= 56 and _inside(dlg, dlg.phone_error)
    qtbot.keyClick(dlg.phone, Qt.Key.Key_Backspace)  # the cashier corrects the phone: the error goes
    assert not dlg.phone_error.isVisible()
    assert dlg.phone_error.text() == ""
    qtbot.waitUntil(lambda: _inside(dlg, dlg.ok))
    dlg.reject()


def test_invite_error_goes_when_the_code_is_edited(win: Any, qtbot: Any) -> None:
    login(qtbot, win, "cash1", "1111")
    dlg = win.screens["counter"].open_register("13712345678")
    dlg.invite.setText("ZZZZZZ")
    dlg.submit()
    qtbot.waitUntil(lambda: dlg.invite_error.isVisible() and idle(win), timeout=10_000)
    qtbot.keyClick(dlg.invite, Qt.Key.Key_Backspace)
    assert not dlg.invite_error.isVisible()
    dlg.reject()
