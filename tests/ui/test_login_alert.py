"""The low-stock alert a manager sees on login: shown with the low gift, absent for staff and when stock is
fine, and a click opens the stock screen."""

from __future__ import annotations

from typing import Any

from pos_app.services import gifts
from pos_app.services.changes import Changes
from tests.ui.conftest import idle, login


def _gift(store: Any, qty: int) -> None:
    gifts.add_gift(store.ctx, store.manager, sku="FOOD-BOX", name="宠物食品礼盒", unit_value_fen=128_00, threshold=3)
    gifts.receive(store.ctx, store.staff, sku="FOOD-BOX", qty=qty)


def test_manager_sees_low_stock_alert_on_login_and_opens_stock(win: Any, qtbot: Any, store: Any) -> None:
    _gift(store, 2)
    login(qtbot, win, "boss", "9999")
    qtbot.waitUntil(lambda: idle(win) and win.alert.isVisible(), timeout=10_000)
    assert "宠物食品礼盒" in win.alert.text() and "2" in win.alert.text()
    win.alert.click()
    assert win.tabs.currentWidget() is win.screens["stock"]
    assert not win.alert.isVisible()  # the stock screen shows its own banner
    win.show_screen("counter")
    assert win.alert.isVisible()
    # stock arrives: the alert goes away
    gifts.receive(store.ctx, store.staff, sku="FOOD-BOX", qty=10)
    win.appctx.changed.emit(Changes.of(["stock"]))
    qtbot.waitUntil(lambda: idle(win) and not win.alert.text(), timeout=10_000)
    assert not win.alert.isVisible()


def test_no_alert_when_stock_is_fine_or_for_staff(win: Any, qtbot: Any, store: Any) -> None:
    _gift(store, 2)
    login(qtbot, win, "shelf1", "2222")
    qtbot.waitUntil(lambda: idle(win), timeout=10_000)
    assert not win.alert.isVisible()
    win.switch_user()
    gifts.receive(store.ctx, store.staff, sku="FOOD-BOX", qty=10)
    login(qtbot, win, "boss", "9999")
    qtbot.waitUntil(lambda: idle(win), timeout=10_000)
    assert not win.alert.isVisible()
