"""The daily jobs run inside the app (no command may open the store while it is open): once per store day,
when somebody is logged in, on the database worker."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from pos_app.db import models as m
from pos_app.services import members, wallet
from pos_app.ui.appctx import AppContext
from pos_app.ui.jobs import DailyJobs
from pos_app.ui.ops import DbWorker


def _issue_due_runs(store: Any) -> int:
    with store.ctx.uow(read_only=True) as uow:
        return int(uow.session.scalar(
            select(func.count()).select_from(m.AuditLog).where(m.AuditLog.entity == "issue_due")) or 0)


def test_jobs_run_once_a_store_day_while_someone_is_logged_in(store: Any, qtbot: Any) -> None:
    mem = members.register_member(store.ctx, store.manager, phone="13800138000")
    wallet.recharge(store.ctx, store.cashier, phone="13800138000", tier_code="basic")
    assert members.get_member(store.ctx, store.manager, member_id=mem.member_id).points > 0

    worker = DbWorker()
    appctx = AppContext(store.ctx, worker)
    jobs = DailyJobs(appctx, tz="Asia/Shanghai", clock=store.clock)
    try:
        jobs.start()
        assert worker.pending == 0  # nobody logged in: nothing runs
        store.clock.advance(days=400)  # past the points' 12 months
        appctx.set_actor(store.cashier)  # login ticks
        qtbot.waitUntil(lambda: len(jobs.done) == 2 and worker.pending == 0, timeout=10_000)
        assert not jobs.errors
        assert members.get_member(store.ctx, store.manager, member_id=mem.member_id).points == 0  # expired
        assert _issue_due_runs(store) == 1

        jobs.tick()  # same day: nothing again
        qtbot.waitUntil(lambda: worker.pending == 0, timeout=10_000)
        assert _issue_due_runs(store) == 1

        store.clock.advance(days=1)
        jobs.tick()
        qtbot.waitUntil(lambda: worker.pending == 0 and set(jobs.done.values()) == {jobs.today()}, timeout=10_000)
        assert _issue_due_runs(store) == 2
    finally:
        worker.stop()
