"""GUI fixtures: the real main window over a real store database (tests/conftest.py ``store``).

Waits are on conditions (``qtbot.waitUntil``), never on time. The scanner's burst rule reads a clock:
the window's scanner runs on a ``StepClock`` of 5 ms a key (``qtbot.keyClicks`` types a burst, as on an idle
machine), so whether typed keys are a scan never depends on how loaded the machine is.
(The language and the GUI's saved settings are reset for every test in tests/conftest.py.)"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from pos_app.ui.main import MainWindow, create_window


class StepClock:
    """A clock for the scanner filter that moves ``step`` seconds each time it is read (once a key)."""

    def __init__(self, step: float) -> None:
        self.t = 0.0
        self.step = step

    def __call__(self) -> float:
        self.t += self.step
        return self.t


@pytest.fixture(autouse=True)
def _no_window_outlives_its_test() -> Iterator[None]:
    """Tests share no state through windows either: a dialog a test left open (a modal one would hold off the
    next test's idle lock and take its keys) is closed and deleted when the test ends."""
    yield
    app = QApplication.instance()
    if app is None:
        return
    for w in QApplication.topLevelWidgets():
        if w.isVisible():
            w.close()
        w.deleteLater()
    QApplication.sendPostedEvents(None, 0)  # the DeferredDelete events: gone before the next test starts


@pytest.fixture
def win(store: Any, qtbot: Any) -> Iterator[MainWindow]:
    w = create_window(store.ctx)
    w.scanner.clock = StepClock(0.005)  # keys typed by a test are a burst, however slowly they arrive
    qtbot.addWidget(w)
    w.resize(1200, 760)
    w.show()
    qtbot.waitUntil(lambda: w.login.ok.isEnabled())
    yield w
    w._set_scanner(False)
    qtbot.waitUntil(lambda: w.appctx.worker.pending == 0, timeout=10_000)
    w.appctx.worker.stop()


def idle(w: MainWindow) -> bool:
    return w.appctx.worker.pending == 0


def login(qtbot: Any, w: MainWindow, code: str, pin: str) -> None:
    """By keyboard: code, Enter, PIN, Enter."""
    w.login.code.setFocus()
    w.login.code.clear()
    qtbot.keyClicks(w.login.code, code)
    qtbot.keyClick(w.login.code, Qt.Key.Key_Return)
    qtbot.keyClicks(w.login.pin, pin)
    qtbot.keyClick(w.login.pin, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: w.stack.currentIndex() == 1 and idle(w), timeout=10_000)


def press(qtbot: Any, w: MainWindow, key: Any, modifier: Any = Qt.KeyboardModifier.NoModifier) -> None:
    """A key to the main window (F-keys are window shortcuts)."""
    w.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is w, timeout=10_000)
    qtbot.keyClick(w, key, modifier)


def select_member(qtbot: Any, w: MainWindow, phone: str) -> Any:
    """Type the phone into the counter search, wait for the row, Enter selects it."""
    press(qtbot, w, Qt.Key.Key_F2)
    counter: Any = w.screens["counter"]
    counter.search.clear()
    counter.search.setFocus()
    w.screens["counter"].search.setText(phone)
    qtbot.waitUntil(lambda: counter.last_query == phone and idle(w), timeout=10_000)
    qtbot.keyClick(counter.search, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: w.appctx.member is not None and w.appctx.member.phone == phone and idle(w), timeout=10_000)
    return w.appctx.member
