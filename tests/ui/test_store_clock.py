"""One clock, the store's: the status bar shows store time even when the machine runs in UTC (issue 9,
item 7)."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import pytest

from pos_app.services.counter import store_brief


@pytest.fixture
def machine_in_utc(monkeypatch: Any) -> Any:
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_status_clock_shows_store_time_across_midnight(machine_in_utc: Any, win: Any, store: Any) -> None:
    assert store_brief(store.ctx).timezone == "Asia/Shanghai"
    store.clock.now = datetime(2026, 12, 1, 16, 30, tzinfo=UTC)  # 00:30 on 12-02 in Shanghai
    win._tick()
    assert win.clock_label.text() == "2026-12-02 00:30:00"
    assert win.appctx.store_today().isoformat() == "2026-12-02"
    store.clock.now = datetime(2026, 12, 1, 15, 59, 59, tzinfo=UTC)
    win._tick()
    assert win.clock_label.text() == "2026-12-01 23:59:59"


def test_screens_see_the_store_date_through_their_scope(machine_in_utc: Any, win: Any, store: Any, qtbot: Any) -> None:
    from tests.ui.conftest import login

    store.clock.now = datetime(2026, 12, 1, 16, 30, tzinfo=UTC)
    login(qtbot, win, "cash1", "1111")
    assert win.screens["counter"].appctx.store_today().isoformat() == "2026-12-02"
