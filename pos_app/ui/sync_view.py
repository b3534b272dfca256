"""Sync in the counter app: a scheduler that runs one sync round at a time on its own thread (never the GUI
thread, never the database worker: a round holds the database only for its short transactions), every N minutes
(``sync_minutes``, default 5), on "Sync now", and soon after a transaction when online; after a failure it backs
off exponentially with jitter. The status bar says online/offline, events waiting, the age of the oldest one,
and the last success or error; the sync screen (Shift+F9) lists the recent rounds with their errors and, for a
manager, this store's conflicts as central reported them, each with its notes; the manager adds a note there
(it goes to central with the next round, and shows as waiting until central's copy comes back with it).

Keyboard on the sync screen: Ctrl+Shift+S syncs now; ↑/↓ choose a conflict, Ctrl+Enter in the note field adds
the note."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from pos_app.domain.money import format_fen
from pos_app.ui.appctx import AppContext
from pos_app.ui.common import ErrorLabel, error_text, tr
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


#: the conflict kinds central records, by their message ids (another kind shows as central named it)
KIND_KEYS = {"overdraft": "sync.kind_overdraft", "coupon_reused": "sync.kind_coupon_reused",
             "hash_mismatch": "sync.kind_hash_mismatch", "unapplied": "sync.kind_unapplied"}


def conflict_cells(c: Any, tz: Any) -> list[str]:
    """One conflict's cells on the sync screen: when, what, which store, whom or which coupon, how much, its
    state, and its notes (a note not yet at central is marked as waiting)."""
    notes = [n for n in (c.detail.get("notes") or []) if isinstance(n, dict)]
    shown = "; ".join(f"{n.get('author') or '-'}: {n.get('note') or ''}"
                      + (f" ({tr('sync.note_pending')})" if n.get("pending") else "") for n in notes)
    return [
        c.created_at.astimezone(tz).strftime("%Y-%m-%d %H:%M") if c.created_at else "-",
        tr(KIND_KEYS[c.kind]) if c.kind in KIND_KEYS else c.kind,
        c.store_code or "-",
        c.coupon_code or c.detail.get("phone") or (c.member_id or "-")[:8],
        format_fen(c.amount_fen) if c.amount_fen else "",
        tr("sync.conflict_resolved") if c.resolved else tr("sync.conflict_open"),
        shown,
    ]


def status_text(st: Any) -> str:
    """The status bar's sync text from a services.sync.SyncStatus."""
    if not st.paired:
        return tr("status.no_central")
    state = tr("sync.status_online") if st.online else tr("sync.status_offline")
    text = tr("sync.bar", state=state, pending=st.pending, age=age_text(st.oldest_pending_age_s))
    if st.oldest_pending_late:
        text += " · " + tr("sync.pending_late", minutes=st.late_after_minutes)
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
        # ---- conflicts (manager): what central reported for this store, with the notes on each
        self.manager = appctx.has_actor and appctx.actor.role == "manager"
        self.conflicts: list[Any] = []
        self.note_request_id = appctx.new_request_id()
        self.noting = False
        title = QLabel(tr("sync.conflicts_title"))
        title.setObjectName("title")
        lay.addWidget(title)
        self.conflicts_hint = QLabel(tr("sync.conflicts_manager_only"))
        self.conflicts_hint.setObjectName("hint")
        self.conflicts_hint.setWordWrap(True)
        lay.addWidget(self.conflicts_hint)
        self.conflict_table = QTableWidget(0, 7)
        self.conflict_table.setObjectName("sync_conflicts")
        self.conflict_table.setHorizontalHeaderLabels([
            tr("sync.col_when"), tr("sync.col_kind"), tr("sync.col_store"), tr("sync.col_who"), tr("sync.col_amount"),
            tr("sync.col_state"), tr("sync.col_notes")])
        self.conflict_table.horizontalHeader().setStretchLastSection(True)
        self.conflict_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.conflict_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.conflict_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        lay.addWidget(self.conflict_table, 1)
        row = QHBoxLayout()
        self.note = QLineEdit()
        self.note.setObjectName("conflict_note")
        self.note.setPlaceholderText(tr("sync.note_placeholder"))
        self.note.setMaxLength(500)
        row.addWidget(self.note, 1)
        self.note_btn = QPushButton(tr("sync.add_note") + " (Ctrl+Enter)")
        self.note_btn.setObjectName("add_note")
        self.note_btn.clicked.connect(self.add_note)
        row.addWidget(self.note_btn)
        lay.addLayout(row)
        for keys in ("Ctrl+Return", "Ctrl+Enter"):
            QShortcut(QKeySequence(keys), self.note, activated=self.add_note,
                      context=Qt.ShortcutContext.WidgetShortcut)
        self.note_error = ErrorLabel()
        lay.addWidget(self.note_error)
        self.conflicts_hint.setVisible(not self.manager)
        for w in (self.conflict_table, self.note, self.note_btn):
            w.setVisible(self.manager)
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
        actor = self.appctx.actor if self.manager else None

        def read() -> tuple[Any, list[Any], list[Any] | None]:
            conflicts = sync.list_conflicts(ctx, actor) if actor is not None else None
            return sync.status(ctx), sync.recent_rounds(ctx, 50), conflicts

        self.appctx.worker.run(read, self._show, lambda exc: self.state.setText(error_text(exc)))

    def _show(self, got: tuple[Any, list[Any], list[Any] | None]) -> None:
        st, rounds, conflicts = got
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
        if conflicts is not None:
            self.show_conflicts(conflicts)

    def show_conflicts(self, conflicts: list[Any]) -> None:
        """Newest first; the selection stays on the same conflict."""
        chosen = self.selected_conflict()
        self.conflicts = sorted(conflicts, key=lambda c: (c.resolved, -(c.created_at.timestamp() if c.created_at else 0)))
        tz = self.appctx.store_tz
        self.conflict_table.setRowCount(len(self.conflicts))
        for i, c in enumerate(self.conflicts):
            for j, text in enumerate(conflict_cells(c, tz)):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                self.conflict_table.setItem(i, j, item)
        self.conflict_table.resizeColumnsToContents()
        self.conflicts_hint.setVisible(not self.conflicts)
        if not self.conflicts:
            self.conflicts_hint.setText(tr("sync.no_conflicts"))
        ids = [c.id for c in self.conflicts]
        self.conflict_table.selectRow(ids.index(chosen.id) if chosen is not None and chosen.id in ids else 0)

    def selected_conflict(self) -> Any:
        rows = self.conflict_table.selectionModel().selectedRows() if self.conflict_table.selectionModel() else []
        if not rows or rows[0].row() >= len(self.conflicts):
            return None
        return self.conflicts[rows[0].row()]

    def add_note(self) -> None:
        """The note on the chosen conflict, as this manager (the service checks the role)."""
        if self.noting or not self.manager:
            return
        c = self.selected_conflict()
        if c is None:
            self.note_error.show_error(tr("sync.choose_conflict"))
            return
        from pos_app.services import sync  # noqa: PLC0415

        ctx, actor, text, rid = self.appctx.ctx, self.appctx.actor, self.note.text(), self.note_request_id
        self.noting = True
        self.note_btn.setEnabled(False)
        self.appctx.run(lambda: sync.note_conflict(ctx, actor, conflict_id=c.id, note=text, request_id=rid),
                        self._noted, self._note_failed)

    def _noted(self, _res: Any) -> None:
        self.noting = False
        self.note_btn.setEnabled(True)
        self.note.clear()
        self.note_error.show_error(None)
        self.note_request_id = self.appctx.new_request_id()
        self.on_shown()

    def _note_failed(self, exc: BaseException) -> None:
        self.noting = False
        self.note_btn.setEnabled(True)
        self.note_error.show_error(exc)


register_screen(ScreenSpec("sync", "screen.sync", "Shift+F9", SyncScreen, frozenset({"cashier", "staff", "manager"}), 95))
