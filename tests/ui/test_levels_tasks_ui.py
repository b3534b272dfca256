"""The member panel (F2) and the points screen (Shift+F5) show the member's level and task progress; a task
completed by a purchase rung up on the checkout screen (F12) shows there at once. Real main window, real
store with the full demo campaign (levels, tasks, a pending period)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt

from pos_app.services import campaigns, checkout, members, wallet
from pos_app.services.checkout import LineInput, PaymentInput
from tests.services.test_levels_tasks import program
from tests.ui.conftest import idle, login, press, select_member
from tests.ui.test_checkout_screen import open_checkout, scan

TOY = "6900000000028"


def _setup(store: Any) -> Any:
    campaigns.load_campaign(store.ctx, store.manager, program(), replace=True)
    checkout.add_product(store.ctx, store.manager, sku="TOY-01", barcode=TOY, name="逗猫棒", category="宠物用品",
                         price_fen=6000)
    mem = members.register_member(store.ctx, store.cashier, phone="13800000001", name="陈一")
    wallet.recharge(store.ctx, store.cashier, member_id=mem.member_id, amount_fen=1000_00)  # 银卡
    for _ in range(2):
        checkout.ring_up(store.ctx, store.cashier, request_id=None, member_id=mem.member_id,
                         lines=[LineInput(category="宠物食品", amount_fen=50_00)], coupon_code=None,
                         payments=[PaymentInput("cash", 50_00)])
    return members.get_member(store.ctx, store.cashier, member_id=mem.member_id)


def test_a_task_completed_by_a_purchase_shows_on_the_member_panel(win: Any, qtbot: Any, store: Any) -> None:
    mem = _setup(store)
    login(qtbot, win, "cash1", "1111")
    select_member(qtbot, win, mem.phone)
    counter: Any = win.screens["counter"]
    qtbot.waitUntil(lambda: idle(win) and "2/3" in counter.program.text(), timeout=10_000)
    assert "【初级】活动期间消费 3 次：2/3 进行中" in counter.program.text()
    assert "会员等级：银卡" in counter.program.text() and counter.panel.values["level"].text() == "银卡"
    assert "待生效" in counter.panel.values["points"].text()  # the purchases' points are pending
    # the third purchase, at the checkout screen
    co = open_checkout(qtbot, win)
    scan(qtbot, co.barcode, TOY)
    qtbot.waitUntil(lambda: idle(win) and co.model.rowCount() == 1, timeout=10_000)
    scan(qtbot, co.barcode, mem.member_code)
    qtbot.waitUntil(lambda: co.member is not None and idle(win), timeout=10_000)
    qtbot.keyClicks(co.payment.fields["cash"], "60")
    co.barcode.setFocus()
    qtbot.keyClick(co.barcode, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: co.sale is not None and idle(win), timeout=10_000)
    press(qtbot, win, Qt.Key.Key_F2)
    qtbot.waitUntil(lambda: idle(win) and "3/3 已完成" in counter.program.text(), timeout=10_000)
    assert "【初级】活动期间消费 3 次：3/3 已完成（奖励 50 积分）" in counter.program.text()
    # the points screen shows the same progress for the selected member
    press(qtbot, win, Qt.Key.Key_F5, Qt.KeyboardModifier.ShiftModifier)
    screen: Any = win.screens["points"]
    qtbot.waitUntil(lambda: idle(win) and "3/3 已完成" in screen.tasks_info.text(), timeout=10_000)
    assert "【中级】体验一次洗护美容：0/1 进行中" in screen.tasks_info.text()
