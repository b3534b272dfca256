"""Sync in the counter app: a scheduler that runs one sync round at a time on its own thread (never the GUI
thread, never the database worker: a round holds the database only for its short transactions), every N minutes
(``sync_minutes``, default 5), on "Sync now", and soon after a transaction when online; after a failure it backs
off exponentially with jitter. The status bar says online/offline, events waiting, the age of the oldest one,
and the last success or error; the sync screen (F12) lists the recent rounds with their errors."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from pos_app.ui.appctx import AppContext
from pos_app.ui.common import error_text, tr
from pos_app.ui.screens import ScreenSpec, register_screen

#: a round soon after a transaction (coalesced: several transactions, one round)
SOON_MS = 10_000
#: the first retry after a failure; doubled each time, never beyond the normal interval
BACKOFF_BASE_MS = 30_000


def backoff_ms(failures: int, interval_ms: int, rng: random.Random, base_ms: int = BACKOFF_BASE_MS) -> int:
    """The wait before the next attempt after ``failures`` failures in a row: exponential, capped at the
    interval, with jitter (x0.5 to x1.5) so that stores that lost the server together do not return together."""
    if failures <= 0:
        return interval_ms
    plain = min(interval_ms, base_ms * 2 ** min(failures - 1, 20))
    return max(1_000, int(plain * (0.5 + rng.random())))


def age_text(seconds: int | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 3600:
        return tr("sync.age_minutes", minutes=seconds // 60)
    return tr("sync.age_hours", hours=seconds // 3600, minutes=seconds // 60 % 60)


def status_text(st: Any) -> str:
    """The status bar's sync text from a services.sync.SyncStatus."""
    if not st.paired:
        return tr("status.no_central")
    state = tr("sync.status_online") if st.online else tr("sync.status_offline")
    text = tr("sync.bar", state=state, pending=st.pending, age=age_text(st.oldest_pending_age_s))
    if st.last_failure and (st.last_success_at is None or (st.last_failure_at and st.last_failure_at > st.last_success_at)):
        text += " · " + st.last_failure
    return text


class SyncScheduler(QObject):
    #: (RoundResult | None, error | None, SyncStatus | None), emitted from the round's thread, received on the GUI's
    finished = Signal(object, object, object)
    #: a round started (the sync screen greys its button)
    started = Signal()

    def __init__(self, appctx: AppContext, *, minutes: int = 5, rng: random.Random | None = None,
                 run_round: Callable[[Any], Any] | None = None) -> None:
        super().__init__()
        self.appctx = appctx
        self.interval_ms = max(1, minutes) * 60_000
        self.rng = rng or random.Random()
        self.failures = 0
        self.running = False
        self.last_result: Any = None
        self.last_error: BaseException | None = None
        self.last_status: Any = None
        self.rounds = 0
        self._run_round = run_round
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self.sync_now)
        self.finished.connect(self._done)
        appctx.changed.connect(self._changed)

    def start(self) -> None:
        self.refresh_status()
        self.timer.start(SOON_MS)

    def stop(self) -> None:
        self.timer.stop()

    def sync_now(self) -> bool:
        """Start a round now unless one is running (one at a time). Returns whether one was started."""
        if self.running or not self.appctx.has_ctx:
            return False
        self.running = True
        self.timer.stop()
        self.started.emit()
        ctx = self.appctx.ctx
        threading.Thread(target=self._round, args=(ctx,), name="pos-sync", daemon=True).start()
        return True

    def refresh_status(self) -> None:
        if not self.appctx.has_ctx:
            return
        from pos_app.services import sync  # noqa: PLC0415

        ctx = self.appctx.ctx

        def read() -> None:
            try:
                st = sync.status(ctx)
            except Exception:  # noqa: BLE001 - the status bar keeps its text
                return
            self.finished.emit(None, None, st)

        threading.Thread(target=read, name="pos-sync-status", daemon=True).start()

    # ------------------------------------------------------------------ the round's thread
    def _round(self, ctx: Any) -> None:
        from pos_app.services import sync  # noqa: PLC0415

        result: Any = None
        error: BaseException | None = None
        try:
            result = (self._run_round or sync.run_round)(ctx)
        except Exception as exc:  # noqa: BLE001 - shown, logged in the round log, retried with back-off
            error = exc
        status: Any = None
        try:
            status = sync.status(ctx)
        except Exception:  # noqa: BLE001
            status = None
        self.finished.emit(result if error is None else _Failed(error), error, status)

    # ------------------------------------------------------------------ back on the GUI thread
    def _done(self, result: Any, error: BaseException | None, status: Any) -> None:
        if status is not None:
            self.last_status = status
            self.appctx.sync_status.emit(status_text(status))
        if result is None and error is None:
            return  # a status read only
        self.running = False
        self.rounds += 1
        from pos_app.sync.errors import NotPaired  # noqa: PLC0415

        if error is None:
            self.failures = 0
            self.last_result, self.last_error = result, None
            self.timer.start(self.interval_ms)
        elif isinstance(error, NotPaired):
            self.last_error = error
            self.timer.start(self.interval_ms)
        else:
            self.failures += 1
            self.last_error = error
            self.timer.start(backoff_ms(self.failures, self.interval_ms, self.rng))

    def _changed(self, changes: Any) -> None:
        """Soon after a transaction that queued an event, when the last round succeeded (online)."""
        if not getattr(changes, "sync", False) or self.running or self.failures:
            return
        if self.last_status is None or not self.last_status.paired:
            return
        if not self.timer.isActive() or self.timer.remainingTime() > SOON_MS:
            self.timer.start(SOON_MS)


class _Failed:
    """A round that failed (the error rides beside it)."""

    def __init__(self, error: BaseException) -> None:
        self.error = error


# ----------------------------------------------------------------------------- the sync screen (F12)
class SyncScreen(QWidget):
    def __init__(self, appctx: AppContext, read_only: bool = False) -> None:
        super().__init__()
        self.appctx = appctx
        lay = QVBoxLayout(self)
        top = QHBoxLayout()
        self.state = QLabel("")
        self.state.setObjectName("sync_state")
        self.state.setWordWrap(True)
        top.addWidget(self.state, 1)
        self.now_btn = QPushButton(tr("sync.now") + " (Ctrl+Shift+S)")
        self.now_btn.setObjectName("sync_now")
        self.now_btn.setShortcut("Ctrl+Shift+S")
        self.now_btn.clicked.connect(self.sync_now)
        top.addWidget(self.now_btn)
        lay.addLayout(top)
        self.table = QTableWidget(0, 6)
        self.table.setObjectName("sync_rounds")
        self.table.setHorizontalHeaderLabels([tr("sync.col_at"), tr("sync.col_ok"), tr("sync.col_pushed"),
                                              tr("sync.col_pulled"), tr("sync.col_pending"), tr("sync.col_error")])
        self.table.horizontalHeader().setStretchLastSection(True)
        lay.addWidget(self.table, 1)
        self.scheduler: SyncScheduler | None = getattr(appctx, "sync_scheduler", None)
        if self.scheduler is not None:
            self.scheduler.finished.connect(lambda *_: self.on_shown())

    def sync_now(self) -> None:
        if self.scheduler is not None:
            self.scheduler.sync_now()

    def on_shown(self) -> None:
        if not self.appctx.has_ctx:
            return
        from pos_app.services import sync  # noqa: PLC0415

        ctx = self.appctx.ctx
        self.appctx.worker.run(lambda: (sync.status(ctx), sync.recent_rounds(ctx, 50)), self._show,
                               lambda exc: self.state.setText(error_text(exc)))

    def _show(self, got: tuple[Any, list[Any]]) -> None:
        st, rounds = got
        lines = [status_text(st)]
        if st.server_url:
            lines.append(tr("sync.status_server", server=st.server_url))
        self.state.setText("\n".join(lines))
        self.table.setRowCount(len(rounds))
        tz = self.appctx.store_tz
        for i, r in enumerate(rounds):
            cells = [r.started_at.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S"), "✓" if r.ok else "✗",
                     str(r.pushed), str(r.pulled), str(r.pending), r.error or ""]
            for j, text in enumerate(cells):
                self.table.setItem(i, j, QTableWidgetItem(text))


register_screen(ScreenSpec("sync", "screen.sync", "Shift+F9", SyncScreen, frozenset({"cashier", "staff", "manager"}), 95))
