"""The daily jobs run inside the app (no command may open the store while it is open): once per store day,
when somebody is logged in, on the database worker."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QPushButton
from sqlalchemy import func, select

from pos_app.db import models as m
from pos_app.services import members, wallet
from pos_app.ui.appctx import AppContext
from pos_app.ui.jobs import DailyJobs
from pos_app.ui.ops import DbWorker


# every test here: backups into a temp folder, never the user's
def _backups(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


@pytest.fixture(autouse=True)
def backup_dir(tmp_path: Path, monkeypatch: Any) -> Path:
    monkeypatch.setenv("POS_BACKUP_DIR", str(tmp_path / "backups"))
    monkeypatch.setenv("POS_CONFIG", str(tmp_path / "config.toml"))
    monkeypatch.setenv("POS_BACKUP_AT", "21:30")
    monkeypatch.delenv("POS_BACKUP_KEEP", raising=False)
    return tmp_path / "backups"


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
        qtbot.waitUntil(lambda: len(jobs.done) == 4 and worker.pending == 0, timeout=10_000)
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


def test_the_backup_runs_once_a_store_day_from_backup_at_on(store: Any, qtbot: Any, backup_dir: Path) -> None:
    worker = DbWorker()
    appctx = AppContext(store.ctx, worker)
    jobs = DailyJobs(appctx, tz="Asia/Shanghai", clock=store.clock)
    again = DailyJobs(appctx, tz="Asia/Shanghai", clock=store.clock)  # the app started again the same day
    try:
        jobs.start()
        appctx.set_actor(store.cashier)  # 10:00 in the store: the other jobs run, the backup waits
        qtbot.waitUntil(lambda: len(jobs.done) == 4 and worker.pending == 0, timeout=10_000)
        assert "backup.daily" not in jobs.done and _backups(backup_dir) == []

        store.clock.advance(hours=11, minutes=29)  # 21:29
        jobs.tick()
        qtbot.waitUntil(lambda: worker.pending == 0, timeout=10_000)
        assert _backups(backup_dir) == []

        store.clock.advance(minutes=2)  # 21:31
        jobs.tick()
        qtbot.waitUntil(lambda: jobs.done.get("backup.daily") == jobs.today() and worker.pending == 0, timeout=10_000)
        assert not jobs.errors
        first = _backups(backup_dir)
        assert len(first) == 1 and first[0].startswith("T001-20261123-213")
        jobs.tick()
        again.tick()  # a restart the same evening takes no second backup
        qtbot.waitUntil(lambda: again.done.get("backup.daily") == jobs.today() and worker.pending == 0,
                        timeout=10_000)
        assert _backups(backup_dir) == first

        store.clock.advance(hours=12, minutes=30)  # next day, 10:01
        jobs.tick()
        qtbot.waitUntil(lambda: worker.pending == 0, timeout=10_000)
        assert _backups(backup_dir) == first
        store.clock.advance(hours=11, minutes=44)  # 21:45
        jobs.tick()
        qtbot.waitUntil(lambda: jobs.done.get("backup.daily") == jobs.today() and worker.pending == 0, timeout=10_000)
        assert len(_backups(backup_dir)) == 2
    finally:
        worker.stop()


def test_an_invalid_backup_time_is_reported_and_the_other_jobs_run(store: Any, qtbot: Any, backup_dir: Path,
                                                                   monkeypatch: Any) -> None:
    monkeypatch.setenv("POS_BACKUP_AT", "9.30")
    worker = DbWorker()
    appctx = AppContext(store.ctx, worker)
    jobs = DailyJobs(appctx, tz="Asia/Shanghai", clock=store.clock)
    try:
        appctx.set_actor(store.cashier)
        qtbot.waitUntil(lambda: len(jobs.done) == 4 and worker.pending == 0, timeout=10_000)
        assert "backup_at" in jobs.errors["backup.daily"] and _backups(backup_dir) == []
    finally:
        worker.stop()


def test_back_up_now_in_the_settings_dialog(store: Any, qtbot: Any, backup_dir: Path) -> None:
    from pos_app.ui.main import create_window
    from pos_app.ui.settings_dialog import SettingsDialog

    win = create_window(store.ctx)
    qtbot.addWidget(win)
    asked: list[str] = []
    try:
        win.appctx.set_actor(store.cashier)
        win.appctx.ask_manager = lambda reason: asked.append(reason) or store.manager  # the manager types a PIN
        dlg = SettingsDialog(win)
        qtbot.addWidget(dlg)
        btn = dlg.findChild(QPushButton, "backup_now")
        info = dlg.findChild(QLabel, "backup_info")
        assert btn is not None and info is not None and btn.isEnabled()
        qtbot.mouseClick(btn, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: "已备份" in info.text() and btn.isEnabled(), timeout=10_000)
        assert asked == ["立即备份"]
        assert len(_backups(backup_dir)) == 1 and _backups(backup_dir)[0] in info.text()

        win.appctx.ask_manager = lambda reason: None  # nobody approved: nothing happens
        qtbot.mouseClick(btn, Qt.MouseButton.LeftButton)
        assert len(_backups(backup_dir)) == 1
    finally:
        qtbot.waitUntil(lambda: win.appctx.worker.pending == 0, timeout=10_000)
        win.appctx.worker.stop()
