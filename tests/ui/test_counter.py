"""Counter: search while typing, scanner bursts, unknown phone -> registration with an invite code."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt

from pos_app.services import members
from pos_app.services.changes import Changes
from tests.ui.conftest import idle, login, press, select_member


def _member(store: Any, phone: str, name: str | None = None, invite: str | None = None) -> Any:
    return members.register_member(store.ctx, store.cashier, phone=phone, name=name, invite_code=invite)


def test_search_while_typing_shows_matches(win: Any, qtbot: Any, store: Any, qtmodeltester: Any) -> None:
    for p in ("13800000001", "13800000002", "13900000003"):
        _member(store, p, "张三")
    login(qtbot, win, "cash1", "1111")
    counter = win.screens["counter"]
    counter.search.setFocus()
    qtbot.keyClicks(counter.search, "1380")
    qtbot.waitUntil(lambda: counter.last_query == "1380" and idle(win))
    assert [r.phone for r in counter.model.rows] == ["13800000001", "13800000002"]
    assert counter.model.index(0, 3).data() == "¥0.00"
    qtmodeltester.check(counter.model)
    qtbot.keyClick(counter.search, Qt.Key.Key_Backspace)
    qtbot.keyClicks(counter.search, "")
    qtbot.waitUntil(lambda: counter.last_query == "138" and idle(win))
    assert len(counter.model.rows) == 2
    counter.search.setText("139")
    qtbot.waitUntil(lambda: counter.last_query == "139" and idle(win))
    assert [r.phone for r in counter.model.rows] == ["13900000003"]


def test_select_with_arrow_and_enter_fills_the_member_panel(win: Any, qtbot: Any, store: Any) -> None:
    inviter = _member(store, "13800000001", "老会员")
    _member(store, "13800000002", "新会员", invite=inviter.invite_code)
    login(qtbot, win, "cash1", "1111")
    counter = win.screens["counter"]
    counter.search.setText("13800000002")
    qtbot.waitUntil(lambda: counter.last_query == "13800000002" and idle(win))
    qtbot.keyClick(counter.search, Qt.Key.Key_Down)
    assert counter.table.hasFocus()
    qtbot.keyClick(counter.table, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: win.appctx.member is not None and idle(win))
    v = counter.panel.values
    assert v["phone"].text() == "13800000002"
    assert v["invited_by"].text() == "13800000001"
    assert v["balance"].text() == "¥0.00"
    assert "新会员" in counter.panel.header.text()


def test_scanner_burst_in_any_field_selects_the_member(win: Any, qtbot: Any, store: Any) -> None:
    m = _member(store, "13800000009", "扫码")
    login(qtbot, win, "cash1", "1111")
    press(qtbot, win, Qt.Key.Key_F4)  # the pay screen's amount field has the focus
    pay = win.screens["pay"]
    assert win.tabs.currentWidget() is pay
    pay.amount.setFocus()
    qtbot.keyClicks(pay.amount, m.member_code)  # a burst: much faster than 30 ms a key
    qtbot.keyClick(pay.amount, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: win.appctx.member is not None and idle(win))
    assert win.appctx.member.member_id == m.member_id
    assert pay.amount.text() == ""  # the scanned characters were taken out of the field
    assert "13800000009" in pay.member_label.text()


def test_scan_of_an_unknown_member_code_shows_the_message(win: Any, qtbot: Any, store: Any) -> None:
    login(qtbot, win, "cash1", "1111")
    counter = win.screens["counter"]
    counter.search.setFocus()
    qtbot.keyClicks(counter.search, "M0000000000")
    qtbot.keyClick(counter.search, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: counter.error.isVisible() and idle(win))
    assert counter.error.text() == "未找到会员：M0000000000"
    assert win.appctx.member is None


def test_unknown_phone_enter_opens_registration_with_invite_code(win: Any, qtbot: Any, store: Any) -> None:
    inviter = _member(store, "13800000001", "邀请人")
    before = members.count_members(store.ctx, store.manager)
    login(qtbot, win, "cash1", "1111")
    counter = win.screens["counter"]
    counter.search.setText("13712345678")
    qtbot.waitUntil(lambda: counter.last_query == "13712345678" and idle(win))
    assert "13712345678" in counter.hint.text() and "注册" in counter.hint.text()
    qtbot.keyClick(counter.search, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: getattr(counter, "_register_dialog", None) is not None and counter._register_dialog.isVisible())
    dlg = counter._register_dialog
    assert dlg.phone.text() == "13712345678"
    assert dlg.name.hasFocus()
    dlg.name.insert("小王")
    dlg.invite.setFocus()
    qtbot.keyClicks(dlg.invite, inviter.invite_code.lower())
    qtbot.keyClick(dlg.invite, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dlg.member is not None and idle(win))
    assert dlg.pages.currentIndex() == 1
    new = members.get_member(store.ctx, store.cashier, phone="13712345678")
    assert dlg.invite_code.text() == new.invite_code
    assert "邀请人：13800000001" in dlg.done_title.text()
    assert new.inviter_id == inviter.member_id and new.name == "小王"
    assert members.count_members(store.ctx, store.manager) == before + 1
    qtbot.keyClick(dlg.close_btn, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: win.appctx.member is not None and win.appctx.member.phone == "13712345678" and idle(win))


def test_registration_with_unknown_invite_code_changes_nothing(win: Any, qtbot: Any, store: Any) -> None:
    login(qtbot, win, "cash1", "1111")
    counter = win.screens["counter"]
    dlg = counter.open_register("13712345678")
    dlg.invite.setText("ZZZZZZ")
    dlg.submit()
    qtbot.waitUntil(lambda: dlg.invite_error.isVisible() and idle(win))
    assert dlg.invite_error.text() == "邀请码不存在：ZZZZZZ"
    assert members.count_members(store.ctx, store.manager) == 0
    dlg.invite.setText("")
    dlg.phone.setText("12345")
    dlg.submit()
    qtbot.waitUntil(lambda: dlg.phone_error.isVisible() and idle(win))
    assert dlg.phone_error.text().startswith("手机号格式不正确")
    assert members.count_members(store.ctx, store.manager) == 0
    dlg.reject()


def test_register_shortcut_from_the_counter(win: Any, qtbot: Any) -> None:
    login(qtbot, win, "cash1", "1111")
    counter = win.screens["counter"]
    counter.search.setFocus()
    qtbot.keyClick(counter.search, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: getattr(counter, "_register_dialog", None) is not None)
    counter._register_dialog.reject()


def test_member_panel_refreshes_after_a_change(win: Any, qtbot: Any, store: Any) -> None:
    from pos_app.services import wallet

    _member(store, "13800000001", "甲")
    login(qtbot, win, "cash1", "1111")
    m = select_member(qtbot, win, "13800000001")
    wallet.recharge(store.ctx, store.cashier, member_id=m.member_id, tier_code="basic")
    win.appctx.changed.emit(Changes.of(["wallet"]))
    qtbot.waitUntil(lambda: win.appctx.member.balance_fen == 550_00 and idle(win))
    assert win.screens["counter"].panel.values["balance"].text() == "¥550.00"
    assert win.screens["counter"].panel.values["points"].text() == "50"


def test_register_with_a_scanned_invite_url(win: Any, qtbot: Any, store: Any) -> None:
    inviter = _member(store, "13800000001", "邀请人")
    login(qtbot, win, "cash1", "1111")
    dlg = win.screens["counter"].open_register("13712345678")
    dlg.invite.setFocus()
    qtbot.keyClicks(dlg.invite, f"https://shop.example.com/invite?code={inviter.invite_code}")
    qtbot.keyClick(dlg.invite, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dlg.member is not None and idle(win))
    assert members.get_member(store.ctx, store.cashier, phone="13712345678").inviter_id == inviter.member_id
    dlg.accept()
