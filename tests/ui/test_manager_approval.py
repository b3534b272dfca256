"""Every manager-only action a cashier can reach in the GUI asks for a manager's PIN (issue 15): cancelled,
nothing is done and the screen says a manager's approval is needed; approved, the action runs with that
manager's approval and the audit row names the cashier as who did it and the manager as who approved it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog

from pos_app.domain import roles
from pos_app.services import audit, coupons, members, wallet
from pos_app.services.context import Actor
from pos_app.ui.approval import approved_actor
from tests.ui.conftest import idle, login, press, select_member


def _coupon_store(store: Any) -> Any:
    a = members.register_member(store.ctx, store.cashier, phone="13800000001", name="陈一")
    wallet.recharge(store.ctx, store.cashier, member_id=a.member_id, tier_code="basic")
    return a


def _issue(win: Any, qtbot: Any, store: Any) -> Callable[[], str]:
    select_member(qtbot, win, "13800000001")  # PET50 is bound to a member
    press(qtbot, win, Qt.Key.Key_F8)
    screen: Any = win.screens["coupons"]
    qtbot.waitUntil(lambda: idle(win) and screen.template.count() >= 3, timeout=10_000)
    screen.template.setCurrentIndex(screen.template.findData("PET50"))
    screen.reason.setText("补偿")
    qtbot.keyClick(screen, Qt.Key.Key_I, Qt.KeyboardModifier.ControlModifier)
    return lambda: "coupon.issue"


def _void(win: Any, qtbot: Any, store: Any) -> Callable[[], str]:
    press(qtbot, win, Qt.Key.Key_F8)
    screen: Any = win.screens["coupons"]
    qtbot.waitUntil(lambda: idle(win) and len(screen.model.rows) >= 1, timeout=10_000)
    screen.table.selectRow(0)
    screen.reason.setText("作废")
    qtbot.keyClick(screen, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
    return lambda: "coupon.void"


def _template(win: Any, qtbot: Any, store: Any) -> Callable[[], str]:
    press(qtbot, win, Qt.Key.Key_F8)
    screen: Any = win.screens["coupons"]
    qtbot.waitUntil(lambda: idle(win), timeout=10_000)
    dlg = screen.new_template()
    qtbot.waitUntil(dlg.isVisible)
    dlg.code.setText("HAND10")
    dlg.name.setText("手工券")
    dlg.value.setText("10")
    dlg.submit()
    return lambda: "coupon.template_add"


def _settings(win: Any, qtbot: Any, store: Any) -> Callable[[], str]:
    from pos_app.ui.settings_dialog import SettingsDialog

    dlg = SettingsDialog(win)
    qtbot.addWidget(dlg)
    dlg.open()
    qtbot.waitUntil(lambda: dlg.store_values is not None and idle(win), timeout=10_000)
    dlg.store_fields["lockout_minutes"].setText("30")
    dlg.accept()
    return lambda: "settings.update"


ACTIONS = {"coupon issue": _issue, "coupon void": _void, "coupon template": _template, "store settings": _settings}


@pytest.mark.parametrize("approves", [True, False], ids=["approved", "cancelled"])
@pytest.mark.parametrize("action", list(ACTIONS))
def test_a_cashier_gets_a_manager_pin_prompt(win: Any, qtbot: Any, store: Any, action: str, approves: bool) -> None:
    _coupon_store(store)
    login(qtbot, win, "cash1", "1111")
    asked: list[str] = []

    def ask(reason: str) -> Any:
        asked.append(reason)
        return store.manager if approves else None

    win.appctx.ask_manager = ask
    before = len(audit.audit_rows(store.ctx, store.manager))
    name = ACTIONS[action](win, qtbot, store)()
    assert asked and asked[0]
    if approves:
        qtbot.waitUntil(lambda: idle(win), timeout=10_000)
        screen = win.screens.get("coupons")
        assert audit.audit_rows(store.ctx, store.manager, action=name), screen.manage_error.text() if screen else ""
        row = audit.audit_rows(store.ctx, store.manager, action=name)[0]
        assert (row.staff_code, row.approved_by_code) == ("cash1", "boss")
    else:
        qtbot.waitUntil(lambda: idle(win), timeout=10_000)
        assert len(audit.audit_rows(store.ctx, store.manager)) == before
        shown = " ".join(w.text() for w in win.findChildren(type(win.login.info)) if w.isVisible())
        for dlg in win.findChildren(QDialog):
            shown += " ".join(w.text() for w in dlg.findChildren(type(win.login.info)) if w.isVisible())
        assert "店长授权" in shown


def test_whoever_may_act_is_never_asked_and_a_manager_approves_for_them(store: Any) -> None:
    class Ctx:
        actor = store.manager
        ask_manager = None

    assert approved_actor(Ctx, "coupon.void", "x") is store.manager
    Ctx.actor = store.cashier
    Ctx.ask_manager = lambda reason: store.manager  # type: ignore[assignment]
    who = approved_actor(Ctx, "coupon.void", "x")
    assert who is not None and who.role == roles.MANAGER and who.operator == store.cashier
    Ctx.ask_manager = lambda reason: store.staff  # type: ignore[assignment]  # not a manager: no approval
    assert approved_actor(Ctx, "coupon.void", "x") is None
    assert Actor.approving(store.manager, store.manager) is store.manager
    assert coupons  # the module the actions call


@pytest.mark.parametrize("approves", [True, False], ids=["approved", "cancelled"])
def test_staff_adjust_the_stock_on_f7_with_a_manager_s_pin(win: Any, qtbot: Any, store: Any, approves: bool) -> None:
    """Staff (店员) see F7 read-only but keep the adjustment after a count: a manager's PIN approves it."""
    from pos_app.services import gifts

    gifts.add_gift(store.ctx, store.manager, sku="TEST-GIFT", name="测试礼品")
    gifts.receive(store.ctx, store.manager, sku="TEST-GIFT", qty=5)
    login(qtbot, win, "shelf1", "2222")
    asked: list[str] = []
    win.appctx.ask_manager = lambda reason: asked.append(reason) or (store.manager if approves else None)
    press(qtbot, win, Qt.Key.Key_F7)
    screen: Any = win.screens["stock"]
    qtbot.waitUntil(lambda: idle(win) and screen.model.rowCount() == 1, timeout=10_000)
    assert screen.read_only and not screen.adjust_button.isHidden()
    assert all(b.isHidden() for b in screen.manager_buttons if b is not screen.adjust_button)
    screen.adjust("TEST-GIFT", 3, "盘点")
    qtbot.waitUntil(lambda: idle(win), timeout=10_000)
    assert asked == ["调整库存"]
    rows = audit.audit_rows(store.ctx, store.manager, action="gift.adjust")
    if approves:
        assert [(r.staff_code, r.approved_by_code) for r in rows] == [("shelf1", "boss")]
        assert gifts.stock_levels(store.ctx, store.manager)[0].on_hand == 3
    else:
        assert rows == [] and "店长授权" in screen.error.text()
        assert gifts.stock_levels(store.ctx, store.manager)[0].on_hand == 5


@pytest.mark.parametrize("approves", [True, False], ids=["approved", "cancelled"])
def test_a_cashier_adjusts_points_on_f5_with_a_manager_s_pin(win: Any, qtbot: Any, store: Any, approves: bool) -> None:
    from pos_app.services import points

    a = _coupon_store(store)
    start = points.show(store.ctx, store.manager, phone=a.phone).points_balance
    assert start >= 5  # the basic recharge's points
    login(qtbot, win, "cash1", "1111")
    asked: list[str] = []
    win.appctx.ask_manager = lambda reason: asked.append(reason) or (store.manager if approves else None)
    select_member(qtbot, win, "13800000001")
    press(qtbot, win, Qt.Key.Key_F5)
    screen: Any = win.screens["history"]
    qtbot.waitUntil(lambda: idle(win), timeout=10_000)
    screen.tabs.setCurrentIndex(2)
    qtbot.keyClick(screen.points_table, Qt.Key.Key_J, Qt.KeyboardModifier.ControlModifier)
    dlg = screen.points_adjust_dialog
    qtbot.waitUntil(dlg.isVisible)
    dlg.points.setValue(-5)
    dlg.reason.setText("补录")
    dlg.accept()
    qtbot.waitUntil(lambda: idle(win), timeout=10_000)
    assert asked == ["调整积分"]
    rows = audit.audit_rows(store.ctx, store.manager, action="points.adjust")
    if approves:
        assert [(r.staff_code, r.approved_by_code) for r in rows] == [("cash1", "boss")]
        assert "-5" in screen.adjust_result.text()
    else:
        assert rows == [] and "店长授权" in screen.adjust_error.text()
    now = points.show(store.ctx, store.manager, phone=a.phone).points_balance
    assert now == (start - 5 if approves else start)


@pytest.mark.parametrize("approves", [True, False], ids=["approved", "cancelled"])
def test_a_cashier_pressing_f10_gets_a_manager_pin_prompt_for_the_staff_screen(win: Any, qtbot: Any, store: Any,
                                                                              approves: bool) -> None:
    """F10 (staff changes, manager-only): a cashier is asked for a manager's PIN; approved, the staff screen opens
    in a window whose changes run with that approval (audited as the cashier's, approved by the manager) and
    closes when the counter is locked; cancelled, nothing opens and the status bar says why."""
    from pos_app.services import staff

    login(qtbot, win, "cash1", "1111")
    assert "staff" not in win.screens
    asked: list[str] = []
    win.appctx.ask_manager = lambda reason: asked.append(reason) or (store.manager if approves else None)
    press(qtbot, win, Qt.Key.Key_F10)
    assert asked == ["员工"]
    if not approves:
        assert win.approved_dialog is None and "店长授权" in win.notice.text()
        return
    dlg, screen = win.approved_dialog, win.approved_screen
    assert dlg is not None and dlg.isVisible()
    qtbot.waitUntil(lambda: idle(win) and screen.model.rowCount() == 3, timeout=10_000)
    codes = [r.code for r in screen.model.rows]
    screen.table.selectRow(codes.index("shelf1"))
    screen.toggle()  # disable shelf1
    qtbot.waitUntil(lambda: idle(win) and "shelf1" in screen.status.text(), timeout=10_000)
    rows = audit.audit_rows(store.ctx, store.manager, action="staff.disable")
    assert [(r.staff_code, r.approved_by_code) for r in rows] == [("cash1", "boss")]
    assert not next(r for r in staff.staff_rows(store.ctx, store.manager) if r.code == "shelf1").active
    win.lock()  # the approval ends with the cashier's session
    qtbot.waitUntil(lambda: win.approved_dialog is None, timeout=10_000)
