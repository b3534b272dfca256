"""A member's birthday (a member level's birthday gift) is entered at the counter: in the register dialog,
and afterwards from the member panel's "Birthday…" button; a date that is not real, in the future or before
1900 is refused in the dialog with a translated message and nothing is written (issue 13)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from PySide6.QtCore import Qt

from pos_app import messages
from pos_app.domain.errors import NotFound
from pos_app.services import levels, members
from tests.ui.conftest import idle, login, select_member


def _no_member(store: Any, phone: str) -> bool:
    try:
        members.get_member(store.ctx, store.cashier, phone=phone)
    except NotFound:
        return True
    return False


def test_register_with_a_birthday_refuses_bad_dates_then_records_it(win: Any, qtbot: Any, store: Any) -> None:
    login(qtbot, win, "cash1", "1111")
    dlg = win.screens["counter"].open_register("13712340001")
    qtbot.waitUntil(dlg.isVisible)
    dlg.birthday.setFocus()
    qtbot.keyClicks(dlg.birthday, "1990-02-30")  # not a real date: refused before the service is asked
    qtbot.keyClick(dlg.birthday, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dlg.birthday_error.isVisible() and idle(win), timeout=10_000)
    assert dlg.birthday_error.text() == messages.translate("member.birthday_invalid", {"value": "1990-02-30"})
    assert "1900" in dlg.birthday_error.text() and dlg.pages.currentIndex() == 0
    qtbot.keyClick(dlg.birthday, Qt.Key.Key_Backspace)  # editing the field takes the error away
    assert not dlg.birthday_error.isVisible()
    for bad in ("2999-01-01", "1899-12-31"):  # a real date out of range: the service refuses it
        dlg.birthday.setText(bad)
        dlg.submit()
        qtbot.waitUntil(lambda: dlg.birthday_error.isVisible() and idle(win), timeout=10_000)
        assert bad in dlg.birthday_error.text() and dlg.ok.isEnabled()
        assert _no_member(store, "13712340001")  # nothing written
    dlg.birthday.setText("1990/5/1")
    dlg.submit()
    qtbot.waitUntil(lambda: dlg.pages.currentIndex() == 1 and idle(win), timeout=10_000)
    mem = members.get_member(store.ctx, store.cashier, phone="13712340001")
    assert mem.birthday == date(1990, 5, 1)
    assert levels.status(store.ctx, store.cashier, phone="13712340001").birthday == date(1990, 5, 1)
    dlg.accept()
    counter: Any = win.screens["counter"]
    qtbot.waitUntil(lambda: counter.panel.values["birthday"].text() == "1990-05-01", timeout=10_000)


@pytest.mark.parametrize("typed", ["19850315", "１９８５－０３－１５"])
def test_birthday_entered_later_from_the_member_panel(win: Any, qtbot: Any, store: Any, typed: str) -> None:
    mem = members.register_member(store.ctx, store.cashier, phone="13712340002", name="王二")
    login(qtbot, win, "cash1", "1111")
    select_member(qtbot, win, mem.phone)
    counter: Any = win.screens["counter"]
    qtbot.waitUntil(lambda: idle(win) and counter.panel.values["birthday"].text() == messages.translate(
        "panel.birthday_unknown"), timeout=10_000)
    dlg = counter.open_birthday()
    qtbot.waitUntil(dlg.isVisible)
    assert dlg.day.text() == ""
    qtbot.keyClicks(dlg.day, "2999-01-01")
    qtbot.keyClick(dlg.day, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dlg.error.isVisible() and idle(win), timeout=10_000)
    assert "2999-01-01" in dlg.error.text() and dlg.isVisible()
    assert members.get_member(store.ctx, store.cashier, member_id=mem.member_id).birthday is None
    dlg.day.setText(typed)  # (a scanner or an input method gives it whole)
    qtbot.keyClick(dlg.day, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not dlg.isVisible() and idle(win), timeout=10_000)
    assert members.get_member(store.ctx, store.cashier, member_id=mem.member_id).birthday == date(1985, 3, 15)
    qtbot.waitUntil(lambda: counter.panel.values["birthday"].text() == "1985-03-15", timeout=10_000)
    again = counter.open_birthday()  # the dialog opens on the birthday recorded, to correct it
    qtbot.waitUntil(again.isVisible)
    assert again.day.text() == "1985-03-15"
    again.reject()
