"""Keyboard-wedge scanner detection: an app-wide event filter.

A scanner "types" its code very fast and ends with Enter. When printable keys arrive with an average
interval under ``max_avg_ms`` over at least ``min_len`` characters and then Enter comes, and the text
looks like a member code or phone number, the burst is taken as a scan: the characters are removed from
the field they landed in, the Enter is swallowed, and ``scanned(text)`` is emitted.

Fields that take scans themselves (an invite code, a coupon code) set the Qt property
``scan_local=True`` and are left alone. A screen that takes other codes (checkout: product barcodes) sets
``scan_codes=True`` and has a ``handle_scan(text)`` method: a burst that is not a member code, in any of its
fields, is removed from that field and handed to it."""

from __future__ import annotations

import re
import time
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QLineEdit, QWidget

from pos_app.domain.errors import InvalidInput
from pos_app.domain.members import MEMBER_CODE_PREFIX, normalize_member_code, normalize_phone


def looks_like_member_scan(text: str) -> bool:
    """A phone number, or a printed member code (with its 'M' prefix)."""
    try:
        normalize_phone(text)
        return True
    except InvalidInput:
        pass
    if not text.upper().startswith(MEMBER_CODE_PREFIX):
        return False
    try:
        normalize_member_code(text)
        return True
    except InvalidInput:
        return False


_TOKEN6 = re.compile(r"(?<![0-9A-Za-z])([0-9A-Za-z]{6})(?![0-9A-Za-z])")


def invite_code_from_scan(text: str) -> str:
    """An invite card's QR holds the code, or the store's URL with the code in it (invite_url_template):
    take the last 6-character token of a URL; anything else is returned as typed."""
    t = (text or "").strip()
    if "/" not in t and "=" not in t:
        return t
    tokens = _TOKEN6.findall(t)
    return tokens[-1] if tokens else t


def scan_handler(w: QWidget | None) -> QWidget | None:
    """The nearest widget (``w`` or an ancestor) that takes scanned codes (``scan_codes`` and ``handle_scan``)."""
    while w is not None:
        if w.property("scan_codes") and callable(getattr(w, "handle_scan", None)):
            return w
        w = w.parentWidget()
    return None


def is_scan_local(w: QWidget | None) -> bool:
    while w is not None:
        if w.property("scan_local"):
            return True
        w = w.parentWidget()
    return False


class ScannerFilter(QObject):
    scanned = Signal(str)

    def __init__(
        self,
        window: QWidget,
        *,
        max_avg_ms: float = 30.0,
        min_len: int = 6,
        max_gap_ms: float = 120.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(window)
        self.window = window
        self.max_avg_ms = max_avg_ms
        self.min_len = min_len
        self.max_gap_ms = max_gap_ms
        self.clock = clock
        self.enabled = True
        self._chars: list[str] = []
        self._times: list[float] = []

    def reset(self) -> None:
        self._chars.clear()
        self._times.clear()

    def is_burst(self, now: float) -> bool:
        n = len(self._chars)
        if n < self.min_len:
            return False
        avg_ms = (self._times[-1] - self._times[0]) * 1000.0 / (n - 1)
        return avg_ms < self.max_avg_ms and (now - self._times[-1]) * 1000.0 < self.max_gap_ms

    def eventFilter(self, obj: QObject, ev: QEvent) -> bool:  # noqa: N802
        if ev.type() != QEvent.Type.KeyPress or not self.enabled:
            return False
        focus = QApplication.focusWidget()
        if obj is not focus or focus is None:
            return False
        if focus.window() is not self.window or is_scan_local(focus):
            self.reset()
            return False
        assert isinstance(ev, QKeyEvent)
        now = self.clock()
        key = ev.key()
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            text = "".join(self._chars)
            burst = self.is_burst(now)
            self.reset()
            if burst and looks_like_member_scan(text):
                if isinstance(focus, QLineEdit) and focus.text().endswith(text):
                    focus.setText(focus.text()[: -len(text)])
                self.scanned.emit(text)
                return True
            target = scan_handler(focus) if burst else None
            if target is not None:
                if isinstance(focus, QLineEdit) and focus.text().endswith(text):
                    focus.setText(focus.text()[: -len(text)])
                target.handle_scan(text)  # type: ignore[attr-defined]  # scan_handler checked it
                return True
            return False
        ch = ev.text()
        if len(ch) == 1 and ch.isprintable() and not (ev.modifiers() & (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier)):
            if self._times and (now - self._times[-1]) * 1000.0 > self.max_gap_ms:
                self.reset()
            self._chars.append(ch)
            self._times.append(now)
        else:
            self.reset()
        return False
