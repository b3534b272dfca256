"""One cashier's journey through the real main window, by keyboard, checked against the database:
login, search, register with an invite code, recharge on a tier, receipt, pay from balance, refund
with a manager's PIN."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt

from pos_app.services import members, wallet
from tests.ui.conftest import idle, login, press
from tests.ui.test_pay_history_ui import _answer_manager_dialog


def test_a_cashiers_journey(win: Any, qtbot: Any, store: Any) -> None:
    inviter = members.register_member(store.ctx, store.manager, phone="13800000001", name="老客户")
    login(qtbot, win, "cash1", "1111")
    counter = win.screens["counter"]
    # search while typing: the inviter shows up
    counter.search.setFocus()
    qtbot.keyClicks(counter.search, "1380000")
    qtbot.waitUntil(lambda: counter.last_query == "1380000" and idle(win))
    assert [r.phone for r in counter.model.rows] == ["13800000001"]
    # a new customer: unknown phone, Enter opens the registration pre-filled
    counter.search.clear()
    counter.search.setText("13912345678")
    qtbot.waitUntil(lambda: counter.last_query == "13912345678" and idle(win))
    qtbot.keyClick(counter.search, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: getattr(counter, "_register_dialog", None) is not None and counter._register_dialog.isVisible())
    dlg = counter._register_dialog
    qtbot.keyClick(dlg.name, Qt.Key.Key_Tab)
    assert dlg.invite.hasFocus()
    qtbot.keyClicks(dlg.invite, inviter.invite_code)
    qtbot.keyClick(dlg.invite, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dlg.member is not None and idle(win))
    qtbot.keyClick(dlg.close_btn, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: win.appctx.member is not None and win.appctx.member.phone == "13912345678" and idle(win))
    new = win.appctx.member
    assert new.inviter_id == inviter.member_id
    # recharge: F3, key 1 (basic tier), preview, Enter, receipt, Enter
    press(qtbot, win, Qt.Key.Key_F3)
    rc = win.screens["recharge"]
    qtbot.waitUntil(lambda: len(rc.tier_buttons) == 3 and idle(win))
    qtbot.keyClick(rc, Qt.Key.Key_1)
    qtbot.waitUntil(lambda: rc.preview is not None and idle(win))
    assert rc.preview.balance_after_fen == 550_00
    qtbot.keyClick(rc, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: rc.receipt is not None and rc.receipt.isVisible() and idle(win))
    qtbot.keyClick(rc.receipt, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not rc.receipt.isVisible() and win.appctx.member.balance_fen == 550_00 and idle(win))
    # pay 88 from the balance: F4, amount, Enter
    press(qtbot, win, Qt.Key.Key_F4)
    pay = win.screens["pay"]
    qtbot.keyClicks(pay.amount, "88")
    qtbot.keyClick(pay.amount, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: pay.last_result is not None and idle(win))
    assert members.get_member(store.ctx, store.manager, member_id=new.member_id).balance_fen == 550_00 - 88_00
    # refund the recharge: F5, recharges, Ctrl+R, the manager's code and PIN
    press(qtbot, win, Qt.Key.Key_F5)
    h = win.screens["history"]
    qtbot.waitUntil(lambda: h.recharge_model.rowCount() == 1 and idle(win))
    assert h.statement_model.rowCount() == 2
    h.tabs.setCurrentIndex(1)
    h.recharge_table.setFocus()
    _answer_manager_dialog("boss", "9999")
    qtbot.keyClick(h.recharge_table, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: h.last_refund is not None and idle(win))
    r = wallet.recharges(store.ctx, store.manager, member_id=new.member_id)[0]
    assert r.state == "refunded"
    after = members.get_member(store.ctx, store.manager, member_id=new.member_id)
    assert after.balance_fen == 0  # what was left of the principal went back, the bonus left was taken back
    kinds = [line.kind for line in wallet.statement(store.ctx, store.manager, member_id=new.member_id)]
    assert kinds == ["refund", "spend", "recharge"]
