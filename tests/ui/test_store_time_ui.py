"""One clock on the history screen: the store's. The machine runs in UTC, the store in Asia/Shanghai, and a
recharge lands after 16:00 UTC, i.e. on the next day in the store: the date filter's default range, the
filter itself and the refund confirmation all name the store's day."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from PySide6.QtCore import QDate, Qt, QTimer
from PySide6.QtWidgets import QApplication, QLabel

from pos_app.services import members, wallet
from tests.ui.conftest import idle, login, press, select_member


@pytest.fixture
def machine_in_utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def _read_and_dismiss_modal(seen: list[str]) -> None:
    """Record the text of the next modal dialog (whatever its kind) and dismiss it without refunding."""
    def look() -> None:
        dlg = QApplication.activeModalWidget()
        if dlg is None:
            QTimer.singleShot(20, look)
            return
        seen.append(" ".join(lbl.text() for lbl in dlg.findChildren(QLabel)))
        dlg.reject()  # type: ignore[attr-defined]

    QTimer.singleShot(20, look)


@pytest.mark.parametrize(
    ("instant", "store_day"),
    [
        (datetime(2026, 12, 1, 16, 30, tzinfo=UTC), date(2026, 12, 2)),  # 00:30 on 12-02 in the store
        (datetime(2027, 1, 20, 23, 59, tzinfo=UTC), date(2027, 1, 21)),  # 07:59 on 01-21
    ],
    ids=["2026-12-01T16:30Z", "2027-01-20T23:59Z"],
)
def test_history_dates_are_the_stores_across_midnight(
    machine_in_utc: None, win: Any, qtbot: Any, store: Any, instant: datetime, store_day: date
) -> None:
    store.clock.now = instant
    m = members.register_member(store.ctx, store.cashier, phone="13800000001", name="跨夜")
    wallet.recharge(store.ctx, store.cashier, member_id=m.member_id, tier_code="basic")
    login(qtbot, win, "boss", "9999")
    select_member(qtbot, win, "13800000001")
    press(qtbot, win, Qt.Key.Key_F5)
    h = win.screens["history"]
    qtbot.waitUntil(lambda: h.recharge_model.rowCount() == 1 and idle(win), timeout=10_000)
    # the filter's default range ends on the store's today
    assert h.until.date() == QDate(store_day.year, store_day.month, store_day.day)
    assert h.since.date() == h.until.date().addDays(-30)
    # ticking the filter (Ctrl+D) keeps today's rows
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
    assert h.use_dates.isChecked() and h.since.hasFocus()
    qtbot.waitUntil(lambda: idle(win), timeout=10_000)
    assert h.statement_model.rowCount() == 1
    assert h.recharge_model.rowCount() == 1 and h.points_model.rowCount() == 1 and h.coupon_model.rowCount() == 1
    assert h.recharge_model.index(0, 0).data().startswith(store_day.isoformat())
    # only that day: still there; the day before the store's today (the machine's UTC date): gone
    h.since.setDate(h.until.date())
    qtbot.waitUntil(lambda: idle(win), timeout=10_000)
    assert h.statement_model.rowCount() == 1 and h.recharge_model.rowCount() == 1
    h.until.setDate(h.until.date().addDays(-1))
    h.since.setDate(h.until.date())
    qtbot.waitUntil(lambda: idle(win) and h.statement_model.rowCount() == 0, timeout=10_000)
    assert h.recharge_model.rowCount() == 0 and h.coupon_model.rowCount() == 0
    # the refund confirmation names the store's day of the recharge
    qtbot.keyClick(h.since, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)  # filter off again
    qtbot.waitUntil(lambda: idle(win) and h.recharge_model.rowCount() == 1, timeout=10_000)
    h.tabs.setCurrentIndex(1)
    r = h.selected_recharge()
    assert r is not None
    assert store_day.isoformat() in h.refund_prompt(r)
    seen: list[str] = []
    _read_and_dismiss_modal(seen)
    qtbot.keyClick(h.recharge_table, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: bool(seen) and idle(win), timeout=10_000)
    assert store_day.isoformat() in seen[0]  # the refund confirmation (with its breakdown) names the store's day
    assert (store_day - timedelta(days=1)).isoformat() not in seen[0]  # never the machine's UTC day
    assert wallet.recharges(store.ctx, store.manager, member_id=m.member_id)[0].state == "active"  # dismissed
