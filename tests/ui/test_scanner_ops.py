"""The scanner filter's burst rule, a scan at the counter, and the database worker's latest-wins ops."""

from __future__ import annotations

import threading
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit, QVBoxLayout, QWidget

from pos_app.ui.ops import DbWorker
from pos_app.ui.scanner import ScannerFilter, invite_code_from_scan, looks_like_member_scan
from tests.ui.conftest import StepClock, idle, login


def _window(qtbot: Any, clock: StepClock) -> tuple[QWidget, QLineEdit, QLineEdit, ScannerFilter, list[str]]:
    from PySide6.QtWidgets import QApplication

    w = QWidget()
    lay = QVBoxLayout(w)
    field = QLineEdit()
    local = QLineEdit()
    local.setProperty("scan_local", True)
    lay.addWidget(field)
    lay.addWidget(local)
    qtbot.addWidget(w)
    w.show()
    f = ScannerFilter(w, clock=clock)
    got: list[str] = []
    f.scanned.connect(got.append)
    QApplication.instance().installEventFilter(f)
    qtbot.waitExposed(w)
    w.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is w)
    return w, field, local, f, got


def test_fast_burst_is_a_scan_and_slow_typing_is_not(qtbot: Any) -> None:
    from PySide6.QtWidgets import QApplication

    clock = StepClock(0.005)  # 5 ms a key: a scanner
    w, field, local, f, got = _window(qtbot, clock)
    try:
        field.setFocus()
        entered: list[int] = []
        field.returnPressed.connect(lambda: entered.append(1))
        qtbot.keyClicks(field, "13800138000")
        qtbot.keyClick(field, Qt.Key.Key_Return)
        assert got == ["13800138000"]
        assert field.text() == ""
        assert entered == []  # the Enter was the scanner's, not the field's
        clock.step = 0.2  # 200 ms a key: a person
        qtbot.keyClicks(field, "13800138000")
        qtbot.keyClick(field, Qt.Key.Key_Return)
        assert got == ["13800138000"]
        assert field.text() == "13800138000"
        assert entered == [1]
    finally:
        QApplication.instance().removeEventFilter(f)


def test_burst_that_is_not_a_member_code_is_left_alone_and_local_fields_keep_scans(qtbot: Any) -> None:
    from PySide6.QtWidgets import QApplication

    clock = StepClock(0.005)
    w, field, local, f, got = _window(qtbot, clock)
    try:
        field.setFocus()
        qtbot.keyClicks(field, "1000.00")
        qtbot.keyClick(field, Qt.Key.Key_Return)
        assert got == [] and field.text() == "1000.00"
        local.setFocus()
        qtbot.keyClicks(local, "13800138000")
        qtbot.keyClick(local, Qt.Key.Key_Return)
        assert got == [] and local.text() == "13800138000"
        field.clear()
        field.setFocus()
        qtbot.keyClicks(field, "138")  # too short for a scan
        qtbot.keyClick(field, Qt.Key.Key_Return)
        assert got == []
    finally:
        QApplication.instance().removeEventFilter(f)


def test_looks_like_member_scan() -> None:
    assert looks_like_member_scan("13800138000")
    assert looks_like_member_scan("M0123456789")
    assert not looks_like_member_scan("1000.00")
    assert not looks_like_member_scan("hello world")


def test_worker_drops_superseded_ops(qtbot: Any) -> None:
    worker = DbWorker()
    gate = threading.Event()
    ran: list[str] = []
    delivered: list[str] = []
    try:
        worker.run(lambda: gate.wait(5) and "block", delivered.append)  # holds the worker
        for q in ("1", "13", "138"):
            worker.run(lambda q=q: ran.append(q) or q, delivered.append, key="search")
        gate.set()
        qtbot.waitUntil(lambda: worker.pending == 0)
        assert ran == ["138"]  # the two older searches never ran
        assert delivered == ["block", "138"]
    finally:
        worker.stop()


def test_worker_discards_a_result_superseded_while_running(qtbot: Any) -> None:
    worker = DbWorker()
    started, gate = threading.Event(), threading.Event()
    delivered: list[str] = []
    try:
        def slow() -> str:
            started.set()
            gate.wait(5)
            return "old"

        worker.run(slow, delivered.append, key="search")
        assert started.wait(5)
        worker.run(lambda: "new", delivered.append, key="search")
        gate.set()
        qtbot.waitUntil(lambda: worker.pending == 0)
        assert delivered == ["new"]
    finally:
        worker.stop()


def test_worker_delivers_failures_and_records_crashes(qtbot: Any) -> None:
    from pos_app.domain.errors import InvalidInput

    worker = DbWorker()
    errs: list[BaseException] = []
    try:
        def bad() -> None:
            raise InvalidInput("money.zero")

        def crash() -> None:
            raise RuntimeError("boom")

        worker.run(bad, None, errs.append)
        worker.run(crash, None, errs.append)
        qtbot.waitUntil(lambda: worker.pending == 0)
        assert [type(e).__name__ for e in errs] == ["InvalidInput", "RuntimeError"]
        assert len(worker.crashes) == 1
    finally:
        worker.stop()


def test_answer_for_a_closed_widget_is_dropped(qtbot: Any) -> None:
    """A dialog closed (and deleted) before its op came back: the answer is dropped, no crash."""
    import shiboken6
    from PySide6.QtWidgets import QLabel

    worker = DbWorker()
    gate = threading.Event()
    try:
        label = QLabel()
        worker.run(lambda: gate.wait(5) and "late", label.setText, label.setText)
        shiboken6.delete(label)
        gate.set()
        qtbot.waitUntil(lambda: worker.pending == 0)  # would raise "Internal C++ object already deleted"
        assert worker.crashes == []
    finally:
        worker.stop()


def test_invite_code_from_a_scanned_card() -> None:
    assert invite_code_from_scan(" abc123 ") == "abc123"
    assert invite_code_from_scan("https://shop.example.com/invite?code=7TZRTT") == "7TZRTT"
    assert invite_code_from_scan("https://shop.example.com/i/7TZRTT") == "7TZRTT"
    assert invite_code_from_scan("7TZ-RTT") == "7TZ-RTT"  # typed with a dash: the domain normalises it


def test_a_scan_at_the_counter_is_answered_once_and_the_answer_stays(win: Any, qtbot: Any) -> None:
    """A scanned code is resolved at once; no search-as-you-type runs after it and wipes its message."""
    login(qtbot, win, "cash1", "1111")
    counter = win.screens["counter"]
    scans: list[str] = []
    win.scanner.scanned.connect(scans.append)
    counter.search.setFocus()
    qtbot.keyClicks(counter.search, "M0000000000")
    qtbot.keyClick(counter.search, Qt.Key.Key_Return)  # a burst ending in Enter: a scan
    assert scans == ["M0000000000"]
    assert not counter.timer.isActive()  # nothing left to run after the answer
    qtbot.waitUntil(lambda: counter.error.isVisible() and idle(win))
    assert counter.error.text() == "未找到会员：M0000000000"
    assert counter.search.text() == "M0000000000"
