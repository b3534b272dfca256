"""Sync in the counter app, against the real central server: rounds on their own thread, the status bar's
text, the sync screen, back-off after a failure."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from pos_app.central import services as central
from pos_app.services import members, sync
from pos_app.ui.sync_view import SyncScheduler, backoff_ms
from tests.central.conftest import Server, make_db
from tests.sync.proxy import DROP_REQUEST, PASS, Proxy
from tests.ui.conftest import login, press


@pytest.fixture
def hq(tmp_path: Path) -> Iterator[Server]:
    db = make_db("sqlite", tmp_path)
    srv = Server(db).start()
    yield srv
    srv.stop()
    db.dispose()


def test_back_off_doubles_with_jitter_and_never_passes_the_interval() -> None:
    rng = random.Random(1)
    waits = [backoff_ms(n, 300_000, rng) for n in range(1, 8)]
    assert all(1_000 <= w <= 450_000 for w in waits)
    assert backoff_ms(0, 300_000, rng) == 300_000
    plain = [min(300_000, 30_000 * 2 ** (n - 1)) for n in range(1, 8)]
    assert all(0.5 * p <= w <= 1.5 * p for w, p in zip(waits, plain, strict=True))


def test_the_scheduler_syncs_on_its_thread_and_the_status_bar_says_so(win: Any, qtbot: Any, store: Any,
                                                                       hq: Server) -> None:
    proxy = Proxy("127.0.0.1", hq.port).start()
    try:
        st = central.add_store(hq.db, "store T", "T001")
        code = central.device_code(hq.db, st["store_id"])["code"]
        sync.pair(store.ctx, store.manager, server_url=proxy.url, code=code)
        members.register_member(store.ctx, store.cashier, phone="13812349999")
        sched = SyncScheduler(win.appctx, minutes=5, rng=random.Random(2))
        win.appctx.sync_scheduler = sched
        assert sched.sync_now()
        assert not sched.sync_now()  # one round at a time
        qtbot.waitUntil(lambda: sched.rounds == 1, timeout=30_000)
        assert sched.last_error is None and sched.last_result.pending == 0
        assert "在线" in win.sync_label.text() and "待上传 0" in win.sync_label.text()
        assert 4 * 60_000 < sched.timer.remainingTime() <= 5 * 60_000 + 5_000  # the next round in N minutes (coarse timer)
        proxy.set(DROP_REQUEST)
        members.register_member(store.ctx, store.cashier, phone="13812349998")
        sched.sync_now()
        qtbot.waitUntil(lambda: sched.rounds == 2, timeout=30_000)
        assert sched.failures == 1 and sched.timer.remainingTime() <= 45_000  # backed off, sooner than N minutes
        assert "待上传 1" in win.sync_label.text() and "无法连接总部服务器" in win.sync_label.text()
        proxy.set(PASS)
        login(qtbot, win, "boss", "9999")
        press(qtbot, win, Qt.Key.Key_F9, Qt.KeyboardModifier.ShiftModifier)
        screen = win.screens["sync"]
        qtbot.waitUntil(lambda: screen.table.rowCount() == 2, timeout=10_000)
        screen.now_btn.click()
        qtbot.waitUntil(lambda: sched.rounds == 3 and screen.table.rowCount() == 3, timeout=30_000)
        assert sched.failures == 0 and "待上传 0" in win.sync_label.text()
    finally:
        proxy.stop()


def _conflicts(store: Any) -> None:
    from tests.sync.helpers import page

    sync.apply_page(store.ctx, page([
        {"kind": "conflict", "key": key, "store_code": "A001", "data": {
            "id": key, "kind": kind, "store_code": "A001", "amount_fen": amount, "created_at": at, "notes": notes}}
        for key, kind, amount, at, notes in (
            ("c1", "overdraft", 66_00, "2026-11-22T04:00:00Z", [{"author": "head office", "note": "请核对"}]),
            ("c2", "coupon_reused", None, "2026-11-23T04:00:00Z", []),
        )]))


def test_a_manager_sees_the_conflicts_and_adds_a_note_by_keyboard(win: Any, qtbot: Any, store: Any) -> None:
    from tests.ui.conftest import idle

    _conflicts(store)
    login(qtbot, win, "boss", "9999")
    press(qtbot, win, Qt.Key.Key_F9, Qt.KeyboardModifier.ShiftModifier)
    screen = win.screens["sync"]
    qtbot.waitUntil(lambda: screen.conflict_table.rowCount() == 2 and idle(win), timeout=10_000)
    cells = [[screen.conflict_table.item(r, c).text() for c in range(7)] for r in range(2)]
    assert cells[0][1] == "券在多店重复使用" and cells[0][5] == "未解决"  # newest first
    assert cells[1][1] == "余额透支" and cells[1][4] == "¥66.00" and "head office: 请核对" in cells[1][6]
    assert screen.conflict_table.isVisible() and not screen.conflicts_hint.isVisible()
    screen.conflict_table.selectRow(1)
    # an empty note is refused under the field, and nothing is written
    screen.note.setFocus()
    qtbot.keyClick(screen.note, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: idle(win) and screen.note_error.isVisible(), timeout=10_000)
    assert "备注" in screen.note_error.text()
    assert sync.list_conflicts(store.ctx, store.manager)[0].detail["notes"] == [{"author": "head office",
                                                                                  "note": "请核对"}]
    screen.note.insert("已电话联系顾客")  # typed through an input method (QTest types ASCII only)
    qtbot.keyClick(screen.note, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: idle(win) and not screen.note.text() and "已电话联系顾客" in
                    screen.conflict_table.item(1, 6).text(), timeout=10_000)
    assert "待上传" in screen.conflict_table.item(1, 6).text() and not screen.note_error.isVisible()
    notes = next(c for c in sync.list_conflicts(store.ctx, store.manager) if c.id == "c1").detail["notes"]
    assert [n["note"] for n in notes] == ["请核对", "已电话联系顾客"]


def test_a_cashier_is_told_conflicts_are_the_managers(win: Any, qtbot: Any, store: Any) -> None:
    _conflicts(store)
    login(qtbot, win, "cash1", "1111")
    press(qtbot, win, Qt.Key.Key_F9, Qt.KeyboardModifier.ShiftModifier)
    screen = win.screens["sync"]
    qtbot.waitUntil(lambda: "总部" in screen.state.text() or screen.state.text() != "", timeout=10_000)
    assert screen.conflicts_hint.isVisible() and "店长" in screen.conflicts_hint.text()
    assert not screen.conflict_table.isVisible() and not screen.note.isVisible()
    assert screen.conflict_table.rowCount() == 0  # never read for a cashier
