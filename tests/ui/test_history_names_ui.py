"""History (F5) shows names, not codes: the tier's name from the campaign, and in 券与礼品 the coupon's
printed code and the coupon module's state names (the same words as the 优惠券 tab)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt

from pos_app import messages
from pos_app.services import coupons, members, wallet
from tests.ui.conftest import idle, login, press, select_member


def test_tier_names_and_coupon_codes_and_states(win: Any, qtbot: Any, store: Any) -> None:
    m = members.register_member(store.ctx, store.cashier, phone="13800000001", name="名称")
    r = wallet.recharge(store.ctx, store.cashier, member_id=m.member_id, tier_code="advanced")
    wallet.recharge(store.ctx, store.cashier, member_id=m.member_id, amount_fen=300_00)  # a custom amount
    mine = coupons.list_coupons(store.ctx, store.manager, member_id=m.member_id)
    voucher = next(c for c in mine if c.kind != "amount_off")
    coupons.pay_with_coupon(store.ctx, store.cashier, member_id=m.member_id, amount_fen=80_00, code=voucher.code)
    login(qtbot, win, "cash1", "1111")
    select_member(qtbot, win, "13800000001")
    press(qtbot, win, Qt.Key.Key_F5)
    h = win.screens["history"]
    qtbot.waitUntil(lambda: h.recharge_model.rowCount() == 2 and h.item_model.rowCount() > 0 and idle(win),
                    timeout=10_000)
    tiers = {h.recharge_model.row(i).recharge_id: h.recharge_model.index(i, 1).data() for i in range(2)}
    assert tiers[r.recharge_id] == "进阶档"  # the campaign's name, not "advanced"
    assert sorted(tiers.values()) == sorted(["进阶档", "自定义金额"])
    im, cm = h.item_model, h.coupon_model
    shown = [[im.index(i, c).data() for c in range(im.columnCount())] for i in range(im.rowCount())]
    coupon_tab = {cm.index(i, 0).data(): cm.index(i, 4).data() for i in range(cm.rowCount())}
    assert set(coupon_tab) == {c.code for c in mine}
    # every coupon and voucher row carries its printed code, and the state the coupon tab gives it
    rows = {row[5]: row for row in shown if row[0] in ("优惠券", "服务券")}
    assert set(rows) == set(coupon_tab)
    for code, row in rows.items():
        assert row[3] == coupon_tab[code]
    assert rows[voucher.code][3] == messages.translate("coupon.state.redeemed") == "已使用"
    assert {rows[c.code][3] for c in mine if c.code != voucher.code} == {"可用"}
    # no internal id anywhere (coupon ids, entitlement ids, stock movement ids)
    ids = {c.coupon_id for c in mine} | {h.item_model.row(i).item.entitlement_id for i in range(im.rowCount())}
    assert not ids & {cell for row in shown for cell in row}
    gift = next(row for row in shown if row[0] == "礼品")
    assert gift[3] == "待发放" and gift[5] == ""


def test_the_ampersand_in_coupons_and_gifts_is_shown_not_a_mnemonic(qtbot: Any) -> None:
    from pos_app.ui.history import HistoryScreen

    messages.set_language("en")
    try:
        assert messages.translate("history.items") == "Coupons & gifts"
        assert HistoryScreen._tab_title(3) == "Coupons && gifts  Alt+4"  # "&&" draws one "&"
    finally:
        messages.set_language("zh_CN")
