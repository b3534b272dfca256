"""A failed or new search never leaves an old member behind a money action (issue 9, item 3)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt

from pos_app.services import members
from tests.ui.conftest import idle, login, press, select_member


def _lin_er(store: Any) -> Any:
    return members.register_member(store.ctx, store.cashier, phone="13900139000", name="林二")


def test_a_search_that_finds_nobody_clears_the_member(win: Any, qtbot: Any, store: Any) -> None:
    _lin_er(store)
    login(qtbot, win, "cash1", "1111")
    select_member(qtbot, win, "13900139000")
    counter = win.screens["counter"]
    assert "林二" in counter.panel.header.text()
    counter.search.setFocus()
    counter.search.selectAll()
    qtbot.keyClicks(counter.search, "12345")
    qtbot.keyClick(counter.search, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: counter.error.isVisible() and idle(win), timeout=10_000)
    assert counter.error.text().startswith("未找到会员")
    assert win.appctx.member is None
    assert counter.panel.header.text() == "未选择会员"
    assert counter.panel.values["phone"].text() == ""
    # every money action now acts on nobody and says so
    press(qtbot, win, Qt.Key.Key_F3)
    recharge = win.screens["recharge"]
    assert win.tabs.currentWidget() is recharge
    assert "林二" not in recharge.member_label.text()
    assert recharge.member_label.text() == "请先在收银台选择会员 (F2)"
    recharge.confirm()
    assert recharge.error.text() == "请先在收银台选择会员 (F2)"
    pay = win.screens["pay"]
    assert pay.member_label.text() == "请先在收银台选择会员 (F2)"
    pay.confirm()
    assert pay.error.text() == "请先在收银台选择会员 (F2)"
    assert "13900139000" not in win.screens["history"].member_label.text()
    assert getattr(win.screens["gifts"], "member", None) is None


def test_typing_a_new_search_deselects_at_once(win: Any, qtbot: Any, store: Any) -> None:
    _lin_er(store)
    login(qtbot, win, "cash1", "1111")
    select_member(qtbot, win, "13900139000")
    counter = win.screens["counter"]
    counter.search.setFocus()
    counter.search.selectAll()
    qtbot.keyClicks(counter.search, "138")  # not resolved yet: nobody is selected while it runs
    assert win.appctx.member is None
    assert win.screens["recharge"].member_label.text() == "请先在收银台选择会员 (F2)"
    qtbot.waitUntil(lambda: counter.last_query == "138" and idle(win), timeout=10_000)
    assert win.appctx.member is None


def test_a_stale_lookup_does_not_select_after_the_text_changed(win: Any, qtbot: Any, store: Any) -> None:
    _lin_er(store)
    login(qtbot, win, "cash1", "1111")
    counter = win.screens["counter"]
    counter.search.setText("13900139000")
    counter.resolve("13900139000")
    counter.search.setText("12345")  # before the answer comes back (it is delivered on this thread)
    qtbot.waitUntil(lambda: idle(win), timeout=10_000)
    assert win.appctx.member is None


def test_reselecting_after_a_failed_search_works(win: Any, qtbot: Any, store: Any) -> None:
    _lin_er(store)
    login(qtbot, win, "cash1", "1111")
    select_member(qtbot, win, "13900139000")
    counter = win.screens["counter"]
    counter.search.setText("12345")
    qtbot.keyClick(counter.search, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: counter.error.isVisible() and idle(win), timeout=10_000)
    m = select_member(qtbot, win, "13900139000")
    assert m.name == "林二" and "林二" in counter.panel.header.text()
    assert not counter.error.isVisible()
