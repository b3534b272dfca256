"""The wallet adjustment on F5's statement tab (issue 15): Ctrl+Shift+A opens the dialog for the selected member;
a cashier is asked for a manager's PIN for this one adjustment, which then runs off the GUI thread, shows in the
statement with its reason, and is audited as the cashier's, approved by the manager; typed amounts that are not
money stay in the dialog with the reason why."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt

from pos_app.services import audit, members, wallet
from tests.ui.conftest import idle, login, press, select_member

PHONE = "13800000001"


def _open(win: Any, qtbot: Any, store: Any, who: tuple[str, str]) -> tuple[Any, Any]:
    a = members.register_member(store.ctx, store.cashier, phone=PHONE, name="陈一")
    wallet.recharge(store.ctx, store.cashier, member_id=a.member_id, tier_code="basic")
    login(qtbot, win, *who)
    select_member(qtbot, win, PHONE)
    press(qtbot, win, Qt.Key.Key_F5)
    screen: Any = win.screens["history"]
    qtbot.waitUntil(lambda: idle(win) and screen.statement_model.rowCount() == 1, timeout=10_000)
    screen.tabs.setCurrentIndex(0)
    qtbot.keyClick(screen.statement_table, Qt.Key.Key_A,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    dlg = screen.wallet_adjust_dialog
    assert dlg is not None
    qtbot.waitUntil(dlg.isVisible)
    return screen, dlg


@pytest.mark.parametrize("approves", [True, False], ids=["approved", "cancelled"])
def test_a_cashier_adjusts_the_wallet_on_f5_with_a_manager_s_pin(win: Any, qtbot: Any, store: Any,
                                                                 approves: bool) -> None:
    asked: list[str] = []
    win.appctx.ask_manager = lambda reason: asked.append(reason) or (store.manager if approves else None)
    screen, dlg = _open(win, qtbot, store, ("cash1", "1111"))
    assert "¥500.00" in dlg.findChild(type(screen.member_label), "adjust_wallet_now").text()
    dlg.principal.setText("-20")
    dlg.bonus.setText("+5.5")
    dlg.reason.setText("补录")
    dlg.accept()
    qtbot.waitUntil(lambda: idle(win), timeout=10_000)
    assert asked == ["调整储值"]
    rows = audit.audit_rows(store.ctx, store.manager, action="wallet.adjust")
    balance = members.get_member(store.ctx, store.manager, phone=PHONE)
    if approves:
        assert [(r.staff_code, r.approved_by_code) for r in rows] == [("cash1", "boss")]
        assert (balance.principal_fen, balance.bonus_fen) == (480_00, 55_50)
        assert "¥535.50" in screen.wallet_adjust_result.text()
        qtbot.waitUntil(lambda: screen.statement_model.rowCount() == 2, timeout=10_000)
        top = screen.statement_model.rows[0]
        assert (top.kind, top.reason) == ("adjust", "补录")
    else:
        assert rows == [] and "店长授权" in screen.wallet_adjust_error.text()
        assert (balance.principal_fen, balance.bonus_fen) == (500_00, 50_00)


def test_amounts_that_are_not_money_stay_in_the_dialog(win: Any, qtbot: Any, store: Any) -> None:
    screen, dlg = _open(win, qtbot, store, ("boss", "9999"))
    dlg.principal.setText("12.345")
    dlg.reason.setText("r")
    dlg.accept()
    assert dlg.isVisible() and dlg.error.isVisible() and "12.345" in dlg.error.text()
    assert audit.audit_rows(store.ctx, store.manager, action="wallet.adjust") == []
    dlg.principal.setText("-600")  # money, but more than the principal: the service refuses it, nothing written
    dlg.accept()
    qtbot.waitUntil(lambda: idle(win) and screen.wallet_adjust_error.isVisible(), timeout=10_000)
    assert "低于零" in screen.wallet_adjust_error.text()
    assert audit.audit_rows(store.ctx, store.manager, action="wallet.adjust") == []
