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
