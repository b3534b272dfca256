"""The main window (issue 9): old screens are cleaned up after a language switch, the low-stock banner
follows stock, staff are told why F3 does nothing and get a read-only F7, screens run in F-key order,
F1 is a table of every shortcut."""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton, QTableWidget

from pos_app.services import gifts, members, wallet
from pos_app.services.changes import Changes
from tests.ui.conftest import idle, login, press


def test_no_deleted_screen_is_called_after_a_language_switch(win: Any, qtbot: Any, capfd: Any, caplog: Any) -> None:
    caplog.set_level(logging.DEBUG)
    login(qtbot, win, "cash1", "1111")
    win.set_language("en")
    qtbot.waitUntil(lambda: idle(win), timeout=10_000)
    for code, pin in (("boss", "9999"), ("shelf1", "2222"), ("cash1", "1111")):
        win.switch_user()
        login(qtbot, win, code, pin)
        qtbot.waitUntil(lambda: idle(win), timeout=10_000)
        win.lock()
        login(qtbot, win, code, pin)
        qtbot.waitUntil(lambda: idle(win), timeout=10_000)
    win.appctx.changed.emit(Changes.of(["wallet"]))
    win.appctx.set_member(None)
    qtbot.waitUntil(lambda: idle(win), timeout=10_000)
    _out, err = capfd.readouterr()
    assert "already deleted" not in err
    assert "already deleted" not in caplog.text
    assert win.tabs.tabText(0) == "Counter  F2"


def test_language_switch_detaches_the_old_screens(win: Any, qtbot: Any) -> None:
    login(qtbot, win, "boss", "9999")
    old_scope = win.scope
    heard: list[str] = []
    old_scope.changed.connect(heard.append)
    win.set_language("en")
    assert win.scope is not old_scope
    win.appctx.changed.emit(Changes.of(["wallet"]))  # the old screens' scope no longer relays
    assert heard == []
    assert all(w.appctx is win.scope for w in win.screens.values())


def _toy(store: Any, qty: int) -> None:
    gifts.add_gift(store.ctx, store.manager, sku="TOY-001", name="宠物玩具", unit_value_fen=39_00, threshold=3)
    gifts.receive(store.ctx, store.staff, sku="TOY-001", qty=qty)


def test_low_stock_banner_follows_a_recharge_and_its_refund(win: Any, qtbot: Any, store: Any) -> None:
    _toy(store, 4)  # 4 on the shelf, threshold 3: fine
    m = members.register_member(store.ctx, store.cashier, phone="13800000001")
    login(qtbot, win, "boss", "9999")
    qtbot.waitUntil(lambda: idle(win), timeout=10_000)
    assert not win.alert.isVisible()
    res = wallet.recharge(store.ctx, store.cashier, member_id=m.member_id, tier_code="advanced")  # owes one toy
    win.appctx.changed.emit(Changes.of(["wallet"]))
    qtbot.waitUntil(lambda: idle(win) and win.alert.isVisible(), timeout=10_000)
    assert "宠物玩具" in win.alert.text()
    wallet.refund(store.ctx, store.manager, recharge_id=res.recharge_id)  # the owed toy is freed
    win.appctx.changed.emit(Changes.of(["wallet"]))
    qtbot.waitUntil(lambda: idle(win) and not win.alert.isVisible(), timeout=10_000)
    assert win.alert.text() == ""


def test_staff_pressing_f3_is_told_why(win: Any, qtbot: Any) -> None:
    login(qtbot, win, "shelf1", "2222")
    assert "recharge" not in win.screens
    before = win.tabs.currentWidget()
    press(qtbot, win, Qt.Key.Key_F3)
    assert win.tabs.currentWidget() is before
    msg = win.notice.text()
    assert win.notice.isVisible()
    assert "充值" in msg and "F3" in msg and "收银员" in msg and "店长" in msg and "店员" in msg


def test_staff_get_a_read_only_stock_view_on_f7(win: Any, qtbot: Any, store: Any) -> None:
    _toy(store, 10)
    login(qtbot, win, "shelf1", "2222")
    press(qtbot, win, Qt.Key.Key_F7)
    stock = win.screens["stock"]
    assert win.tabs.currentWidget() is stock
    assert stock.read_only
    qtbot.waitUntil(lambda: idle(win) and len(stock.model.rows) == 1, timeout=10_000)
    assert stock.model.rows[0].sku == "TOY-001"
    visible = {b.text() for b in stock.findChildren(QPushButton) if b.isVisibleTo(stock)}
    for key in ("入库…", "新增礼品…", "编辑礼品…", "调出…"):
        assert key not in visible
    assert "盘点调整…" in visible  # with a manager's PIN (tests/ui/test_manager_approval.py)
    assert all(stock.tabs.tabText(i) != "盘点" for i in range(stock.tabs.count()))
    assert "只读" in win.tabs.tabText(win.tabs.indexOf(stock))
    assert not win.alert.isVisible()


def test_manager_stock_screen_keeps_its_buttons(win: Any, qtbot: Any) -> None:
    login(qtbot, win, "boss", "9999")
    stock = win.screens["stock"]
    assert not stock.read_only
    assert all(not b.isHidden() for b in stock.manager_buttons) and stock.manager_buttons


def test_tabs_run_in_f_key_order(win: Any, qtbot: Any) -> None:
    login(qtbot, win, "boss", "9999")
    keys = [win.tabs.tabText(i).split()[-1] for i in range(win.tabs.count())]
    nums = [int(k.split("+")[-1][1:]) for k in keys]  # Shift+F12 (products) sorts beside F12
    assert nums == sorted(nums)
    assert keys.index("F7") < keys.index("F8")


def test_f1_is_a_table_of_every_shortcut(win: Any, qtbot: Any) -> None:
    login(qtbot, win, "boss", "9999")
    press(qtbot, win, Qt.Key.Key_F1)
    qtbot.waitUntil(lambda: getattr(win, "_help", None) is not None and win._help.isVisible())
    table = win._help.findChild(QTableWidget)
    assert table is not None and table.columnCount() == 2
    rows = {table.item(r, 0).text(): table.item(r, 1).text() for r in range(table.rowCount())}
    for spec in win.specs:
        assert spec.shortcut in rows
    for keys in ("F1", "Ctrl+N", "Ctrl+L", "Ctrl+U", "Ctrl+R", "Enter", "Esc", "Ctrl+,"):
        assert keys in rows, keys
    assert rows["F7"].startswith("礼品库存")
    win._help.reject()


def test_f1_lists_the_screens_own_shortcuts(win: Any, qtbot: Any) -> None:
    from PySide6.QtGui import QKeySequence, QShortcut

    login(qtbot, win, "boss", "9999")
    history = win.screens["history"]
    sc = QShortcut(QKeySequence("Ctrl+Shift+F11"), history)
    sc.setWhatsThis("积分批次")
    button = QPushButton("发放 (Ctrl+G)", history)
    button.setShortcut(QKeySequence("Ctrl+G"))
    history.help_keys = (("Ctrl+Shift+F12", "help.settings"),)  # declared keys with their message keys
    rows = dict(win.help_rows())
    assert rows["Ctrl+Shift+F11"] == "会员记录: 积分批次"
    assert rows["Ctrl+Shift+F12"] == "会员记录: 设置"
    assert rows["Ctrl+G"] == "会员记录: 发放"


def test_cashier_pressing_f7_is_told_why(win: Any, qtbot: Any) -> None:
    login(qtbot, win, "cash1", "1111")
    assert "stock" not in win.screens
    press(qtbot, win, Qt.Key.Key_F7)
    assert "F7" in win.notice.text() and "店长" in win.notice.text()


def test_closing_the_window_detaches_its_screens(win: Any, qtbot: Any) -> None:
    login(qtbot, win, "cash1", "1111")
    scope = win.scope
    heard: list[str] = []
    scope.changed.connect(heard.append)
    win.close()
    win.appctx.changed.emit(Changes.of(["wallet"]))
    assert heard == [] and win.scope is None
