"""The counter app with the coupon and gift modules: pay with a coupon, tier buttons showing gift stock,
the receipt's gifts to hand over opening the gift hand-out dialog."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt

from pos_app.services import coupons, gifts, members, wallet
from tests.ui.conftest import idle, login, press, select_member


def test_pay_with_a_coupon_redeems_it_and_takes_the_rest(win: Any, qtbot: Any, store: Any) -> None:
    m = members.register_member(store.ctx, store.cashier, phone="13800000001")
    wallet.recharge(store.ctx, store.cashier, member_id=m.member_id, tier_code="basic")  # + a 20-yuan coupon
    issued = coupons.list_coupons(store.ctx, store.manager, member_id=m.member_id, state="issued")
    assert len(issued) == 1
    code = issued[0].code
    login(qtbot, win, "cash1", "1111")
    select_member(qtbot, win, "13800000001")
    press(qtbot, win, Qt.Key.Key_F4)
    pay = win.screens["pay"]
    qtbot.keyClicks(pay.amount, "150")
    pay.coupon.setFocus()
    qtbot.keyClicks(pay.coupon, code)
    qtbot.keyClick(pay.coupon, Qt.Key.Key_Return)  # first Enter (as from a scanner): preview
    qtbot.waitUntil(lambda: pay.coupon_preview is not None and pay.preview is not None and idle(win))
    assert pay.coupon_preview.discount_fen == 20_00 and pay.preview.amount_fen == 130_00
    assert "券后应付：¥130.00" in pay.preview_label.text()
    assert pay.last_result is None
    qtbot.keyClick(pay.coupon, Qt.Key.Key_Return)  # second Enter: pay
    qtbot.waitUntil(lambda: pay.last_result is not None and idle(win))
    assert members.get_member(store.ctx, store.manager, member_id=m.member_id).balance_fen == 550_00 - 130_00
    assert coupons.list_coupons(store.ctx, store.manager, member_id=m.member_id, state="issued") == []
    assert "已使用优惠券" in pay.result_label.text()


def test_a_used_coupon_is_refused_next_to_the_coupon_field(win: Any, qtbot: Any, store: Any) -> None:
    m = members.register_member(store.ctx, store.cashier, phone="13800000001")
    wallet.recharge(store.ctx, store.cashier, member_id=m.member_id, tier_code="basic")
    code = coupons.list_coupons(store.ctx, store.manager, member_id=m.member_id, state="issued")[0].code
    coupons.pay_with_coupon(store.ctx, store.cashier, member_id=m.member_id, amount_fen=100_00, code=code)
    balance = members.get_member(store.ctx, store.manager, member_id=m.member_id).balance_fen
    login(qtbot, win, "cash1", "1111")
    select_member(qtbot, win, "13800000001")
    press(qtbot, win, Qt.Key.Key_F4)
    pay = win.screens["pay"]
    qtbot.keyClicks(pay.amount, "150")
    pay.coupon.setText(code)
    pay.confirm()
    qtbot.waitUntil(lambda: pay.coupon_error.text() != "" and idle(win))
    assert pay.last_result is None
    assert members.get_member(store.ctx, store.manager, member_id=m.member_id).balance_fen == balance


def test_tier_buttons_show_gift_stock_and_receipt_opens_handout(win: Any, qtbot: Any, store: Any) -> None:
    gifts.add_gift(store.ctx, store.manager, sku="TOY-001", name="宠物玩具", unit_value_fen=39_00)
    gifts.add_gift(store.ctx, store.manager, sku="FOOD-BOX", name="宠物食品礼盒", unit_value_fen=99_00)
    gifts.receive(store.ctx, store.manager, sku="FOOD-BOX", qty=5)
    members.register_member(store.ctx, store.cashier, phone="13800000001")
    login(qtbot, win, "cash1", "1111")
    select_member(qtbot, win, "13800000001")
    press(qtbot, win, Qt.Key.Key_F3)
    rc = win.screens["recharge"]
    qtbot.waitUntil(lambda: len(rc.tier_buttons) == 3 and bool(rc.stock) and idle(win))
    assert "礼品缺货，将欠发" in rc.tier_buttons[1].text()  # TOY-001: none on the shelf
    assert "缺货" not in rc.tier_buttons[2].text()  # FOOD-BOX: 5 on hand
    qtbot.keyClick(rc, Qt.Key.Key_2)
    qtbot.waitUntil(lambda: rc.preview is not None and idle(win))
    assert "缺货，将欠发" in rc.preview_label.text()
    qtbot.keyClick(rc, Qt.Key.Key_3)
    qtbot.waitUntil(lambda: rc.preview is not None and rc.preview.tier_code == "luxury" and idle(win))
    qtbot.keyClick(rc, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: rc.receipt is not None and idle(win))
    receipt = rc.receipt
    assert [g.ref for g in receipt.gifts] == ["FOOD-BOX"]
    assert receipt.handout_btn.isVisible()
    qtbot.mouseClick(receipt.handout_btn, Qt.MouseButton.LeftButton)
    from pos_app.ui.gifts_view import GiftHandoutDialog

    qtbot.waitUntil(lambda: isinstance(getattr(receipt, "_handout", None), GiftHandoutDialog) and receipt._handout.isVisible())
    receipt._handout.reject()
    qtbot.waitUntil(lambda: idle(win))
