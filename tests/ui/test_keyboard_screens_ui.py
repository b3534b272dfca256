"""Keyboard only, no mouse: the history's sub-tabs, date filter and refund row (F5), the gift hand-out (F6)
and the pay screen's picker of the member's own coupons (F4)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from pos_app.services import coupons, gifts, members, wallet
from pos_app.ui.gifts_view import GiftHandoutDialog
from tests.services.test_gifts import entitlement
from tests.ui.conftest import idle, login, press, select_member
from tests.ui.test_gifts_ui import _setup as gifts_setup
from tests.ui.test_pay_history_ui import _answer_manager_dialog

CTRL = Qt.KeyboardModifier.ControlModifier
ALT = Qt.KeyboardModifier.AltModifier


def key(qtbot: Any, k: Any, mods: Any = Qt.KeyboardModifier.NoModifier) -> None:
    """A key to whatever has the focus, as the keyboard would send it."""
    w = QApplication.focusWidget()
    assert w is not None
    qtbot.keyClick(w, k, mods)


def test_history_subtabs_date_filter_and_refund_row_by_keyboard(win: Any, qtbot: Any, store: Any) -> None:
    m = members.register_member(store.ctx, store.cashier, phone="13800000001", name="键盘")
    older = wallet.recharge(store.ctx, store.cashier, member_id=m.member_id, tier_code="basic")
    store.clock.advance(days=1)
    newer = wallet.recharge(store.ctx, store.cashier, member_id=m.member_id, tier_code="basic")
    login(qtbot, win, "cash1", "1111")
    select_member(qtbot, win, "13800000001")
    press(qtbot, win, Qt.Key.Key_F5)
    h = win.screens["history"]
    qtbot.waitUntil(lambda: h.recharge_model.rowCount() == 2 and idle(win), timeout=10_000)
    assert h.tabs.currentIndex() == 0 and h.statement_table.hasFocus()
    # the keys are on screen
    assert "Ctrl+D" in h.use_dates.text() and "Alt+2" in h.tabs.tabText(1) and "Ctrl+R" in h.refund_btn.text()
    # Ctrl+Tab: the recharges, their table takes the focus with the newest row current
    key(qtbot, Qt.Key.Key_Tab, CTRL)
    assert h.tabs.currentIndex() == 1 and h.recharge_table.hasFocus()
    assert h.selected_recharge().recharge_id == newer.recharge_id
    # ↓ selects the older recharge; Ctrl+R refunds that one (a manager's PIN approves)
    key(qtbot, Qt.Key.Key_Down)
    assert h.selected_recharge().recharge_id == older.recharge_id
    reasons: list[str] = []
    ask = win.appctx.ask_manager
    win.appctx.ask_manager = lambda reason: (reasons.append(reason), ask(reason))[1]
    _answer_manager_dialog("boss", "9999")
    key(qtbot, Qt.Key.Key_R, CTRL)
    qtbot.waitUntil(lambda: h.last_refund is not None and idle(win), timeout=10_000)
    states = {r.recharge_id: r.state for r in wallet.recharges(store.ctx, store.manager, member_id=m.member_id)}
    assert states == {older.recharge_id: "refunded", newer.recharge_id: "active"}
    assert len(reasons) == 1 and "2026-11-23" in reasons[0]  # the older one's (store) day
    qtbot.waitUntil(lambda: h.recharge_model.index(1, 7).data() == "已退款", timeout=10_000)
    assert h.selected_recharge().recharge_id == older.recharge_id  # the selection survived the reload
    # Ctrl+Shift+Tab back, wrapping around; Alt+4 straight to 券与礼品
    win.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is win, timeout=3000)
    h.recharge_table.setFocus()
    key(qtbot, Qt.Key.Key_Backtab, CTRL | Qt.KeyboardModifier.ShiftModifier)
    assert h.tabs.currentIndex() == 0 and h.statement_table.hasFocus()
    key(qtbot, Qt.Key.Key_Backtab, CTRL | Qt.KeyboardModifier.ShiftModifier)
    assert h.tabs.currentIndex() == h.tabs.count() - 1 and h.coupon_table.hasFocus()
    key(qtbot, Qt.Key.Key_4, ALT)
    assert h.tabs.currentIndex() == 3 and h.item_table.hasFocus()
    # Ctrl+D: the date filter on, the focus in its first date; again: off, back in the table
    key(qtbot, Qt.Key.Key_D, CTRL)
    assert h.use_dates.isChecked() and h.since.isEnabled() and h.since.hasFocus()
    key(qtbot, Qt.Key.Key_D, CTRL)
    assert not h.use_dates.isChecked() and h.item_table.hasFocus()


def test_gift_handout_by_keyboard(win: Any, qtbot: Any, store: Any) -> None:
    mem, food = gifts_setup(store)  # owes TOY-001 (1 on the shelf) and FOOD-BOX (none)
    login(qtbot, win, "shelf1", "2222")
    press(qtbot, win, Qt.Key.Key_F6)
    screen = win.screens["gifts"]
    panel = screen.panel
    assert screen.search.hasFocus()
    qtbot.keyClicks(screen.search, "13800000001")
    key(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: idle(win) and len(panel.model.rows) == 2 and panel.table.hasFocus(), timeout=10_000)
    assert panel.row_buttons[0].text() == "发放 (Enter)"
    assert "Ctrl+Enter" in panel.all_btn.text() and "Alt+D" in panel.decline_btn.text()
    # Enter hands out the current row (the oldest: the toy)
    key(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: idle(win) and panel.last_result is not None and len(panel.model.rows) == 1, timeout=10_000)
    assert [h.sku for h in panel.last_result.handed_out] == ["TOY-001"]
    assert gifts.get_gift(store.ctx, store.manager, "TOY-001").on_hand == 0
    # the food box is not on the shelf: Enter says so
    panel.table.setFocus()
    key(qtbot, Qt.Key.Key_Return)
    assert panel.error.isVisible() and panel.error.text() == "所选礼品没有库存，暂不能发放"
    # a decline needs a chosen row: Alt+D with none says so; Space chooses, Alt+D records it
    key(qtbot, Qt.Key.Key_D, ALT)
    assert "请选择" in panel.error.text() and entitlement(store, food)[0] == "owed"
    key(qtbot, Qt.Key.Key_Space)
    key(qtbot, Qt.Key.Key_D, ALT)
    qtbot.waitUntil(lambda: idle(win) and not panel.model.rows, timeout=10_000)
    assert entitlement(store, food)[0] == "declined"


def test_store_owed_list_and_hand_out_all_by_keyboard(win: Any, qtbot: Any, store: Any) -> None:
    mem, food = gifts_setup(store)
    gifts.receive(store.ctx, store.manager, sku="FOOD-BOX", qty=1)
    login(qtbot, win, "shelf1", "2222")
    press(qtbot, win, Qt.Key.Key_F6)
    screen = win.screens["gifts"]
    panel = screen.panel
    qtbot.waitUntil(lambda: idle(win) and len(screen.store_model.rows) == 2, timeout=10_000)
    # Alt+L: the store's owed list; Enter picks that row's member, whose list takes the focus
    key(qtbot, Qt.Key.Key_L, ALT)
    assert screen.store_table.hasFocus()
    key(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: idle(win) and len(panel.model.rows) == 2 and panel.table.hasFocus(), timeout=10_000)
    assert win.appctx.member.member_id == mem.member_id
    # Ctrl+Enter: all of them
    key(qtbot, Qt.Key.Key_Return, CTRL)
    qtbot.waitUntil(lambda: idle(win) and not panel.model.rows and panel.last_result is not None, timeout=10_000)
    assert sorted(h.sku for h in panel.last_result.handed_out) == ["FOOD-BOX", "TOY-001"]
    # stock arrived, typed and Enter
    screen.receive_sku.setFocus()
    qtbot.keyClicks(screen.receive_sku, "TOY-001")
    key(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: idle(win) and screen.receive_msg.text() != "", timeout=10_000)
    assert gifts.get_gift(store.ctx, store.manager, "TOY-001").on_hand == 1


def test_gift_dialog_enter_hands_out_esc_closes(win: Any, qtbot: Any, store: Any) -> None:
    mem, _food = gifts_setup(store)
    login(qtbot, win, "cash1", "1111")
    dlg = GiftHandoutDialog(win.appctx, mem.member_id, win)
    qtbot.addWidget(dlg)
    dlg.show()
    dlg.activateWindow()
    panel = dlg.panel
    qtbot.waitUntil(lambda: idle(win) and len(panel.model.rows) == 2 and panel.table.hasFocus(), timeout=10_000)
    key(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: idle(win) and len(panel.model.rows) == 1, timeout=10_000)
    assert dlg.isVisible()  # Enter handed out; it did not close the dialog
    assert [h.sku for h in panel.last_result.handed_out] == ["TOY-001"]
    key(qtbot, Qt.Key.Key_Escape)
    assert not dlg.isVisible()


def test_pay_picks_the_members_own_usable_coupon_by_keyboard(win: Any, qtbot: Any, store: Any) -> None:
    m = members.register_member(store.ctx, store.cashier, phone="13800000001", name="选券")
    wallet.recharge(store.ctx, store.cashier, member_id=m.member_id, tier_code="advanced")
    other = members.register_member(store.ctx, store.cashier, phone="13800000002")
    wallet.recharge(store.ctx, store.cashier, member_id=other.member_id, tier_code="basic")  # not this member's
    mine = {c.code: c for c in coupons.list_coupons(store.ctx, store.manager, member_id=m.member_id)}
    pet20 = sorted(code for code, c in mine.items() if c.min_spend_fen == 100_00)
    assert len(pet20) == 2 and len(mine) == 3
    login(qtbot, win, "cash1", "1111")
    select_member(qtbot, win, "13800000001")
    press(qtbot, win, Qt.Key.Key_F4)
    pay = win.screens["pay"]
    # a bill below the ¥100 minimum spend: only the voucher without one is offered
    qtbot.keyClicks(pay.amount, "80")
    qtbot.waitUntil(lambda: idle(win) and pay.preview is not None, timeout=10_000)
    assert [c.code for c in pay.usable] == [c for c in mine if c not in pet20]
    pay.amount.clear()
    qtbot.keyClicks(pay.amount, "120")
    qtbot.waitUntil(lambda: idle(win) and pay.my_coupons.count() == 3, timeout=10_000)
    assert {c.code for c in pay.usable} == set(mine)
    assert pay.my_coupons.item(0).text().startswith(pay.usable[0].code)
    # Ctrl+K into the list, ↓ to the second, Enter picks it: its code is in the coupon field
    key(qtbot, Qt.Key.Key_K, CTRL)
    assert pay.my_coupons.hasFocus() and pay.my_coupons.currentRow() == 0
    key(qtbot, Qt.Key.Key_Down)
    key(qtbot, Qt.Key.Key_Return)
    picked = pay.usable[1].code
    assert pay.coupon.text() == picked and pay.amount.hasFocus()
    qtbot.waitUntil(lambda: idle(win) and pay.coupon_preview is not None, timeout=10_000)
    assert pay.coupon_preview.code == picked
    # Enter pays through the same path as a typed code
    key(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: idle(win) and pay.last_result is not None, timeout=10_000)
    assert pay.last_result.coupon_code == picked
    assert coupons.get_coupon(store.ctx, store.manager, picked).state == "redeemed"
    qtbot.waitUntil(lambda: idle(win) and pay.my_coupons.count() == 2, timeout=10_000)
    assert picked not in {c.code for c in pay.usable}
    # ↓ from the coupon field also goes into the list
    pay.coupon.setFocus()
    key(qtbot, Qt.Key.Key_Down)
    assert pay.my_coupons.hasFocus()


def test_pay_picker_leaves_out_expired_and_used_coupons(win: Any, qtbot: Any, store: Any) -> None:
    m = members.register_member(store.ctx, store.cashier, phone="13800000001", name="过期")
    wallet.recharge(store.ctx, store.cashier, member_id=m.member_id, tier_code="advanced")
    mine = coupons.list_coupons(store.ctx, store.manager, member_id=m.member_id)
    voucher = next(c for c in mine if c.min_spend_fen == 0)
    store.clock.advance(days=91)  # the ¥20 coupons (90 days) have expired; the voucher (a year) has not
    login(qtbot, win, "cash1", "1111")
    select_member(qtbot, win, "13800000001")
    press(qtbot, win, Qt.Key.Key_F4)
    pay = win.screens["pay"]
    qtbot.keyClicks(pay.amount, "120")
    qtbot.waitUntil(lambda: idle(win) and pay.preview is not None, timeout=10_000)
    assert [c.code for c in pay.usable] == [voucher.code]
    coupons.pay_with_coupon(store.ctx, store.cashier, member_id=m.member_id, amount_fen=60_00, code=voucher.code)
    pay.amount.clear()
    qtbot.keyClicks(pay.amount, "121")
    qtbot.waitUntil(lambda: idle(win) and pay.my_coupons.count() == 0, timeout=10_000)
    assert pay.my_coupons_empty.text() == "该会员没有可用于本次消费的优惠券"
    key(qtbot, Qt.Key.Key_K, CTRL)  # nothing to pick: the focus stays in the amount
    assert pay.amount.hasFocus()
