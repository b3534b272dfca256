"""Mall and redemption screen (Shift+F6) driven with pytest-qt over the real main window: a mall redemption
and its pick-up by scanning the slip's code, and a premium request approved from the manager's queue and
handed over in store by scanning its code."""

from __future__ import annotations

from typing import Any

from openpyxl import load_workbook
from PySide6.QtCore import Qt

from pos_app.services import gifts, mall, members, points
from tests.ui.conftest import idle, login, press


def _member(store: Any, pts: int = 5000) -> Any:
    mem = members.register_member(store.ctx, store.cashier, phone="13800000001", name="陈一")
    points.adjust(store.ctx, store.manager, phone=mem.phone, points=pts, reason="test")
    return mem


def _open(qtbot: Any, win: Any, phone: str) -> Any:
    press(qtbot, win, Qt.Key.Key_F6, Qt.KeyboardModifier.ShiftModifier)
    screen: Any = win.screens["mall"]
    assert win.tabs.currentWidget() is screen
    screen.phone.setText(phone)
    qtbot.keyClick(screen.phone, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: idle(win) and any(v.eligible is not None for v in screen.items), timeout=10_000)
    return screen


def test_a_mall_redemption_and_its_pick_up_by_scan(win: Any, qtbot: Any, store: Any, tmp_path: Any) -> None:
    gifts.add_gift(store.ctx, store.manager, sku="TOY-001", name="宠物玩具")
    gifts.receive(store.ctx, store.staff, sku="TOY-001", qty=3)
    mem = _member(store)
    login(qtbot, win, "cash1", "1111")
    screen = _open(qtbot, win, mem.phone)
    assert not screen.review.isVisible()  # the review queue is the manager's
    screen.select_item("M-TOY")
    qtbot.mouseClick(screen.redeem_btn, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: idle(win) and screen.last is not None, timeout=10_000)
    r = screen.last
    assert r.state == "reserved" and r.code in screen.result.text()
    slip = screen.save_slip(tmp_path / "slip.pdf")
    assert slip.stat().st_size > 0
    win.on_scan(r.code.replace("-", ""))  # what the scanner emits for the slip's QR
    qtbot.waitUntil(lambda: idle(win) and "宠物玩具" in screen.result.text() and not screen.scan.text(),
                    timeout=10_000)
    assert mall.get(store.ctx, store.cashier, r.code).state == "picked_up"
    assert gifts.get_gift(store.ctx, store.manager, "TOY-001").on_hand == 2
    win.on_scan(r.code)  # a second scan: refused with a message, nothing handed out
    qtbot.waitUntil(lambda: idle(win) and screen.error.isVisible(), timeout=10_000)
    assert gifts.get_gift(store.ctx, store.manager, "TOY-001").on_hand == 2


def test_a_premium_request_approved_and_fulfilled(win: Any, qtbot: Any, store: Any, tmp_path: Any) -> None:
    mem = _member(store)
    login(qtbot, win, "boss", "9999")
    screen = _open(qtbot, win, mem.phone)
    assert screen.review.isVisible()
    screen.select_item("MOUTAI-500")
    screen.ship_to.setText("北京市朝阳区建国路 1 号")
    qtbot.mouseClick(screen.request_btn, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: idle(win) and screen.last is not None, timeout=10_000)
    r = screen.last
    assert r.state == "requested"
    qtbot.waitUntil(lambda: idle(win) and [x.redemption_id for x in screen.queue_rows] == [r.redemption_id],
                    timeout=10_000)
    screen.queue.selectRow(0)
    qtbot.mouseClick(screen.approve_btn, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: idle(win) and screen.queue_rows == [], timeout=10_000)  # gone from "requested"
    assert mall.get(store.ctx, store.manager, r.redemption_id).state == "approved"
    screen.state.setCurrentIndex(screen.state.findData("approved"))
    qtbot.waitUntil(lambda: idle(win) and len(screen.queue_rows) == 1, timeout=10_000)
    screen.export(tmp_path / "ship.xlsx")
    qtbot.waitUntil(lambda: idle(win) and screen.exported is not None, timeout=10_000)
    rows = list(load_workbook(screen.exported).active.iter_rows(values_only=True))
    assert rows[1][5] == "北京市朝阳区建国路 1 号"
    win.on_scan(r.code)  # handed over in store against the request's code
    qtbot.waitUntil(lambda: idle(win) and "飞天茅台" in screen.result.text() and not screen.scan.text(),
                    timeout=10_000)
    assert mall.get(store.ctx, store.manager, r.redemption_id).state == "fulfilled"
