"""GUI fixtures: the real main window over a real store database (tests/conftest.py ``store``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from pos_app import messages
from pos_app.ui.main import MainWindow, create_window


@pytest.fixture(autouse=True)
def _zh_cn(tmp_path_factory: Any, monkeypatch: Any) -> Iterator[None]:
    # the GUI's saved settings go to a temp file, never the user's
    monkeypatch.setenv("POS_GUI_SETTINGS", str(tmp_path_factory.mktemp("gui") / "gui.ini"))
    messages.set_language("zh_CN")
    yield
    messages.set_language("zh_CN")


@pytest.fixture
def win(store: Any, qtbot: Any) -> Iterator[MainWindow]:
    w = create_window(store.ctx)
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


def press(qtbot: Any, w: MainWindow, key: Any) -> None:
    """A key to the main window (F-keys are window shortcuts)."""
    w.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is w, timeout=3000)
    qtbot.keyClick(w, key)


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
