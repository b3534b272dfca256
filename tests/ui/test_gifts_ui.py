"""Gift hand-out screen (F6) and dialog, driven with pytest-qt over the real main window and store."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt

from pos_app.services import gifts, members, wallet
from pos_app.ui.gifts_view import OVERDUE_BG, GiftHandoutDialog
from tests.services.test_gifts import entitlement, owe
from tests.ui.conftest import idle, login, press


def _setup(store: Any) -> tuple[Any, str]:
    gifts.add_gift(store.ctx, store.manager, sku="TOY-001", name="宠物玩具", unit_value_fen=39_00)
    gifts.add_gift(store.ctx, store.manager, sku="FOOD-BOX", name="宠物食品礼盒", unit_value_fen=128_00)
    gifts.receive(store.ctx, store.manager, sku="TOY-001", qty=1)
    mem = members.register_member(store.ctx, store.cashier, phone="13800000001", name="陈一")
    wallet.recharge(store.ctx, store.cashier, member_id=mem.member_id, tier_code="advanced")  # owes TOY-001
    store.clock.advance(minutes=1)
    food = owe(store, mem.member_id, "FOOD-BOX", 1, source="prize")[0]
    return mem, food


def test_hand_out_owed_gifts_from_the_handout_screen(win: Any, qtbot: Any, store: Any, qtmodeltester: Any) -> None:
    mem, food = _setup(store)
    login(qtbot, win, "shelf1", "2222")
    press(qtbot, win, Qt.Key.Key_F6)
    screen = win.screens["gifts"]
    assert win.tabs.currentWidget() is screen
    qtbot.waitUntil(lambda: idle(win) and len(screen.store_model.rows) == 2, timeout=10_000)
    qtbot.keyClicks(screen.search, "13800000001")
    qtbot.keyClick(screen.search, Qt.Key.Key_Return)
    panel = screen.panel
    qtbot.waitUntil(lambda: idle(win) and len(panel.model.rows) == 2, timeout=10_000)
    qtmodeltester.check(panel.model)
    qtmodeltester.check(screen.store_model)
    assert [r.sku for r in panel.model.rows] == ["TOY-001", "FOOD-BOX"]  # oldest first
    assert "13800000001" in panel.title.text()
    assert panel.row_buttons[0].isEnabled() and not panel.row_buttons[1].isEnabled()  # FOOD-BOX: none on the shelf
    qtbot.mouseClick(panel.all_btn, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: idle(win) and panel.last_result is not None and len(panel.model.rows) == 1, timeout=10_000)
    assert [h.sku for h in panel.last_result.handed_out] == ["TOY-001"]
    assert "已发放 1 件" in panel.result.text() and "1 件继续待发放" in panel.result.text() and "缺货" in panel.result.text()
    assert [r.sku for r in panel.model.rows] == ["FOOD-BOX"]
    assert gifts.get_gift(store.ctx, store.manager, "TOY-001").on_hand == 0
    # stock arrives; the remaining gift goes out with its own row button
    gifts.receive(store.ctx, store.manager, sku="FOOD-BOX", qty=2)
    screen.refresh()
    qtbot.waitUntil(lambda: idle(win) and panel.row_buttons and panel.row_buttons[0].isEnabled(), timeout=10_000)
    qtbot.mouseClick(panel.row_buttons[0], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: idle(win) and not panel.model.rows, timeout=10_000)
    assert entitlement(store, food)[0] == "handed_out"
    assert panel.title.text() == "该会员没有待领礼品"
    qtbot.waitUntil(lambda: idle(win) and screen.store_model.rows == [], timeout=10_000)


def test_store_owed_list_highlights_overdue(win: Any, qtbot: Any, store: Any) -> None:
    gifts.add_gift(store.ctx, store.manager, sku="TOY-001", name="宠物玩具")
    a = members.register_member(store.ctx, store.cashier, phone="13800000001")
    b = members.register_member(store.ctx, store.cashier, phone="13800000002")
    owe(store, a.member_id, "TOY-001")  # promised within 3 working days of 2026-11-23
    store.clock.advance(days=10)
    with store.ctx.uow() as uow:  # a gift owed today, promised later
        from pos_app.db import models as m
        from pos_app.domain.campaign import GrantedItem
        from pos_app.services import grants

        grants.grant_items(uow, store.ctx, store.manager, uow.session.get(m.Member, b.member_id),
                           [GrantedItem("gift", "TOY-001", "玩具", 1, 0, "tier")],
                           today=store.clock.now.date(), campaign=None)
        uow.commit()
    login(qtbot, win, "shelf1", "2222")
    press(qtbot, win, Qt.Key.Key_F6)
    screen = win.screens["gifts"]
    qtbot.waitUntil(lambda: idle(win) and len(screen.store_model.rows) == 2, timeout=10_000)
    model = screen.store_model
    assert [r.phone for r in model.rows] == ["13800000001", "13800000002"]  # oldest first
    assert model.index(0, 0).data(Qt.ItemDataRole.BackgroundRole) == OVERDUE_BG
    assert model.index(1, 0).data(Qt.ItemDataRole.BackgroundRole) is None
    assert "已逾期" in model.index(0, 6).data()
    assert "已逾期 1 件" in screen.store_title.text()
    # double-click a row: that member's gifts open in the panel
    rect = screen.store_table.visualRect(model.index(1, 1))
    qtbot.mouseClick(screen.store_table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(screen.store_table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(lambda: idle(win) and screen.panel.member_id == b.member_id and len(screen.panel.model.rows) == 1,
                    timeout=10_000)


def test_dialog_after_recharge_declines_selected(win: Any, qtbot: Any, store: Any, qtmodeltester: Any) -> None:
    mem, food = _setup(store)
    login(qtbot, win, "cash1", "1111")
    dlg = GiftHandoutDialog(win.appctx, mem.member_id, win)
    qtbot.addWidget(dlg)
    dlg.show()
    panel = dlg.panel
    qtbot.waitUntil(lambda: idle(win) and len(panel.model.rows) == 2, timeout=10_000)
    qtmodeltester.check(panel.model)
    qtbot.mouseClick(panel.decline_btn, Qt.MouseButton.LeftButton)  # nothing selected: says so
    assert panel.error.isVisible() and "请选择" in panel.error.text()
    panel.table.selectRow(1)
    qtbot.mouseClick(panel.decline_btn, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: idle(win) and len(panel.model.rows) == 1, timeout=10_000)
    assert entitlement(store, food)[0] == "declined"
    assert "放弃 1 件" in panel.result.text()
    # the refusal path shows the translated message: nothing on the shelf for the last one
    gifts.adjust(store.ctx, store.manager, sku="TOY-001", counted=0, reason="破损")
    panel.refresh()
    qtbot.waitUntil(lambda: idle(win) and not panel.all_btn.isEnabled(), timeout=10_000)
    panel.hand_out_rows([0])
    qtbot.waitUntil(lambda: idle(win) and panel.error.isVisible(), timeout=10_000)
    assert "现无库存" in panel.error.text()
    qtbot.mouseClick(dlg.close_btn, Qt.MouseButton.LeftButton)
    assert not dlg.isVisible()


def test_staff_receive_stock_from_the_gifts_screen(win: Any, qtbot: Any, store: Any) -> None:
    mem, food = _setup(store)
    login(qtbot, win, "shelf1", "2222")
    press(qtbot, win, Qt.Key.Key_F6)
    screen = win.screens["gifts"]
    assert screen.receive_box.isVisible()
    qtbot.keyClicks(screen.receive_sku, "food-box")
    screen.receive_qty.setValue(3)
    qtbot.mouseClick(screen.receive_btn, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: idle(win) and screen.receive_msg.text() != "", timeout=10_000)
    assert "FOOD-BOX 入库 3 件" in screen.receive_msg.text() and "1 位会员正在等待" in screen.receive_msg.text()
    assert gifts.get_gift(store.ctx, store.manager, "FOOD-BOX").on_hand == 3
    qtbot.keyClicks(screen.receive_sku, "NOPE")
    qtbot.mouseClick(screen.receive_btn, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: idle(win) and screen.find_error.isVisible(), timeout=10_000)
    assert "NOPE" in screen.find_error.text()


def test_cashier_sees_no_receive_box(win: Any, qtbot: Any, store: Any) -> None:
    login(qtbot, win, "cash1", "1111")
    assert not win.screens["gifts"].receive_box.isVisible()
