"""The store's daily jobs, run inside the counter app while it is open.

While the app holds the store no ``pos-app`` command may open it (docs/store-file-safety.md), so the jobs
a store would otherwise put in cron run here: referral rewards whose day has come (``invite issue-due``)
and points expiry. Each runs once per store-local day, when somebody is logged in (the job is done in their
name and audited as such), on the database worker like every other operation; a failure is logged and
retried at the next tick. The services are idempotent (the rewards job takes one request id per day; expiry
only touches lots that still hold points), so a restart the same day does nothing twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import QObject, QTimer

from pos_app.ui.appctx import AppContext

log = logging.getLogger(__name__)

#: how often the scheduler looks whether a job's day has come (ms)
TICK_MS = 10 * 60 * 1000


def _issue_due(ctx: Any, actor: Any, day: str) -> Any:
    from pos_app.services import referrals  # noqa: PLC0415

    return referrals.issue_due(ctx, actor, request_id=f"daily-issue-due-{day}")


def _expire_points(ctx: Any, actor: Any, day: str) -> Any:
    from pos_app.services import wallet  # noqa: PLC0415

    return wallet.expire_points(ctx, actor)


#: name -> job(ctx, actor, store-local ISO date)
JOBS: dict[str, Callable[[Any, Any, str], Any]] = {
    "referral.issue_due": _issue_due,
    "points.expire": _expire_points,
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
        day = self.today()
        ctx, actor = self.appctx.ctx, self.appctx.actor
        for name, job in JOBS.items():
            if self.done.get(name) == day or name in self.running:
                continue
            self.running.add(name)
            self.appctx.worker.run(
                lambda job=job: job(ctx, actor, day),
                lambda _res, name=name: self._ok(name, day),
                lambda exc, name=name: self._failed(name, exc),
            )

    def _ok(self, name: str, day: str) -> None:
        self.running.discard(name)
        self.errors.pop(name, None)
        self.done[name] = day
        self.appctx.changed.emit("coupons" if name == "referral.issue_due" else "members")

    def _failed(self, name: str, exc: BaseException) -> None:
        self.running.discard(name)
        self.errors[name] = repr(exc)
        log.warning("daily job %s failed: %r", name, exc)
