"""The store's daily jobs, run inside the counter app while it is open.

While the app holds the store no ``pos-app`` command may open it (docs/store-file-safety.md), so the jobs
a store would otherwise put in cron run here: referral rewards whose day has come (``invite issue-due``)
points expiry and the daily backup. Each runs once per store-local day (a job in ``NOT_BEFORE`` not before
its local time of day: the backup from ``backup_at`` on), when somebody is logged in (the job is done in their
name and audited as such), on the database worker like every other operation; a failure is logged and
retried at the next tick. The services are idempotent (the rewards job takes one request id per day; expiry
only touches lots that still hold points), so a restart the same day does nothing twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from datetime import time as dtime
from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

from pos_app.ui.appctx import AppContext
from pos_app.ui.common import error_text, tr

log = logging.getLogger(__name__)

#: how often the scheduler looks whether a job's day has come (ms)
TICK_MS = 10 * 60 * 1000


def _issue_due(ctx: Any, actor: Any, day: str) -> Any:
    from pos_app.services import referrals  # noqa: PLC0415

    return referrals.issue_due(ctx, actor, request_id=f"daily-issue-due-{day}")


def _expire_points(ctx: Any, actor: Any, day: str) -> Any:
    from pos_app.services import wallet  # noqa: PLC0415

    return wallet.expire_points(ctx, actor)


def _auto_receive(ctx: Any, actor: Any, day: str) -> Any:
    from pos_app.services import redemption  # noqa: PLC0415

    return redemption.auto_receive(ctx, actor)


def _level_review(ctx: Any, actor: Any, day: str) -> Any:
    from pos_app.services import levels  # noqa: PLC0415

    return levels.review(ctx, actor)


def _backup(ctx: Any, actor: Any, day: str) -> Any:
    from pos_app.services import backup  # noqa: PLC0415

    return backup.daily_backup(ctx, actor, day)


def _backup_at() -> dtime:
    from pos_app import config  # noqa: PLC0415

    hour, minute = config.load_backup().at  # read each time: a changed setting applies at the next tick
    return dtime(hour, minute)


#: name -> job(ctx, actor, store-local ISO date)
JOBS: dict[str, Callable[[Any, Any, str], Any]] = {
    "referral.issue_due": _issue_due,
    "points.expire": _expire_points,
    "redemption.auto_receive": _auto_receive,
    "level.review": _level_review,
    "backup.daily": _backup,
}

#: name -> the store-local time of day before which the job does not run
NOT_BEFORE: dict[str, Callable[[], dtime]] = {
    "backup.daily": _backup_at,
}


class DailyJobs(QObject):
    def __init__(self, appctx: AppContext, *, tz: str = "Asia/Shanghai",
                 clock: Callable[[], datetime] | None = None) -> None:
        super().__init__()
        self.appctx = appctx
        self.tz = ZoneInfo(tz)
        self.clock = clock or (lambda: datetime.now(UTC))
        #: job name -> the store-local day it last ran successfully
        self.done: dict[str, str] = {}
        self.running: set[str] = set()
        self.errors: dict[str, str] = {}
        self.timer = QTimer(self)
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self.tick)
        appctx.actor_changed.connect(lambda actor: self.tick() if actor is not None else None)

    def start(self) -> None:
        self.timer.start()
        self.tick()

    def today(self) -> str:
        return self.clock().astimezone(self.tz).date().isoformat()

    def tick(self) -> None:
        if not (self.appctx.has_ctx and self.appctx.has_actor):
            return
        local = self.clock().astimezone(self.tz)
        day = local.date().isoformat()
        ctx, actor = self.appctx.ctx, self.appctx.actor
        for name, job in JOBS.items():
            if self.done.get(name) == day or name in self.running:
                continue
            not_before = NOT_BEFORE.get(name)
            if not_before is not None:
                try:
                    if local.time() < not_before():
                        continue
                except Exception as exc:  # noqa: BLE001 - e.g. an invalid setting: logged, tried again next tick
                    self._failed(name, exc)
                    continue
            self.running.add(name)
            self.appctx.worker.run(
                lambda job=job: job(ctx, actor, day),
                lambda res, name=name: self._ok(name, day, res),
                lambda exc, name=name: self._failed(name, exc),
            )

    def _ok(self, name: str, day: str, result: Any) -> None:
        self.running.discard(name)
        self.errors.pop(name, None)
        self.done[name] = day
        changes = getattr(result, "changes", None)  # what the job's use case says it changed
        if changes:
            self.appctx.changed.emit(changes)

    def _failed(self, name: str, exc: BaseException) -> None:
        self.running.discard(name)
        self.errors[name] = repr(exc)
        log.warning("daily job %s failed: %r", name, exc)


# ------------------------------------------------------------------------------------ back up now
def backup_row(appctx: AppContext | None, parent: QWidget | None = None) -> tuple[str, QWidget]:
    """The settings dialog's "Back up now" row: its label, and the button with the result beside it. A
    manager backs up at once; anyone else is asked for a manager's PIN. The backup runs on the database
    worker."""
    row = QWidget(parent)
    lay = QHBoxLayout(row)
    lay.setContentsMargins(0, 0, 0, 0)
    btn = QPushButton(tr("backup.now_button"), row)  # Alt+B, like the dialog's other mnemonics
    btn.setObjectName("backup_now")
    info = QLabel("", row)
    info.setObjectName("backup_info")
    info.setWordWrap(True)
    lay.addWidget(btn)
    lay.addWidget(info, 1)
    btn.setEnabled(appctx is not None and appctx.has_ctx and appctx.has_actor)

    def done(res: Any) -> None:
        btn.setEnabled(True)
        text = tr("backup.done", path=res.path, size_bytes=res.size_bytes)
        if res.pruned:
            text += "\n" + tr("backup.done_pruned", count=len(res.pruned), keep=res.keep)
        info.setText(text)

    def failed(exc: BaseException) -> None:
        btn.setEnabled(True)
        info.setText(error_text(exc))

    def clicked() -> None:
        if appctx is None:
            return
        from pos_app.domain import roles  # noqa: PLC0415

        who = appctx.actor
        if who.role not in roles.PERMISSIONS["backup.create"]:
            who = appctx.ask_manager(tr("backup.now")) if appctx.ask_manager else None
            if who is None:
                return
        ctx = appctx.ctx
        btn.setEnabled(False)
        info.setText(tr("backup.running"))

        def work() -> Any:
            from pos_app.services import backup  # noqa: PLC0415

            return backup.backup_now(ctx, who)

        # the dialog may be closed before the answer: a deleted label is left alone
        appctx.run(work, lambda res: done(res) if _valid(info) else None,
                   lambda exc: failed(exc) if _valid(info) else None)

    btn.clicked.connect(clicked)
    return tr("backup.title"), row


def _valid(widget: QWidget) -> bool:
    import shiboken6  # noqa: PLC0415

    return bool(shiboken6.isValid(widget))
