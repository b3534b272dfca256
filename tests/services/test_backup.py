"""Backups through the service: online while recharges and sales run, checked, owner-only, keep-N, and the
settings that steer them. Real SQLite files; the store is held like the counter app holds it."""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from pos_app import config, messages
from pos_app.app import open_store
from pos_app.domain.errors import PermissionDenied
from pos_app.services import backup, members, staff, wallet
from pos_app.services.doctor import run_doctor
from tests.conftest import make_store


@pytest.fixture(autouse=True)
def _backup_env(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setenv("POS_BACKUP_DIR", str(tmp_path / "backups"))
    monkeypatch.setenv("POS_CONFIG", str(tmp_path / "config.toml"))  # never the user's
    for key in ("POS_BACKUP_KEEP", "POS_BACKUP_AT"):
        monkeypatch.delenv(key, raising=False)


def _ids(path: Path, sql: str) -> set[str]:
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return {str(r[0]) for r in conn.execute(sql)}
    finally:
        conn.close()


def test_backup_while_recharges_and_sales_run_restores_to_a_sound_store(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    s = make_store(path)
    s.ctx.db.dispose()
    ctx = open_store(path, owner="app")  # held like the counter app holds it
    ctx.clock, ctx.randbits = s.clock, s.ctx.randbits
    try:
        manager = staff.login(ctx, "boss", "9999")
        cashier = staff.login(ctx, "cash1", "1111")
        members.register_member(ctx, cashier, phone="13800138000")
        committed: list[str] = []
        stop, started = threading.Event(), threading.Event()
        errors: list[BaseException] = []

        def counter() -> None:
            i = 0
            try:
                while not stop.is_set() or len(committed) < 10:
                    wallet.recharge(ctx, cashier, phone="13800138000", amount_fen=100_00, request_id=f"r-{i}")
                    committed.append(f"r-{i}")
                    wallet.spend(ctx, cashier, phone="13800138000", amount_fen=100_00, request_id=f"s-{i}")
                    committed.append(f"s-{i}")
                    i += 1
                    if i == 3:
                        started.set()
            except BaseException as exc:  # noqa: BLE001 - reported by the test below
                errors.append(exc)
                started.set()

        t = threading.Thread(target=counter)
        t.start()
        try:
            started.wait(timeout=120)
            before = list(committed)  # committed before the backup started
            res = backup.backup_now(ctx, manager)
        finally:
            stop.set()
            t.join(timeout=120)
        assert not errors, errors
        after = set(committed)
    finally:
        ctx.db.dispose()

    copy = Path(res.path)
    assert res.integrity == "ok" and copy.is_file()
    # one self-contained file: nothing beside it, no WAL mode in its header
    assert not Path(f"{copy}-wal").exists() and copy.read_bytes()[18:20] == b"\x01\x01"

    restored = tmp_path / "restored" / "store.db"
    out = backup.restore(restored, copy, login=lambda c: staff.login(c, "boss", "9999"))
    assert out.kept_aside is None and Path(out.db) == restored.resolve()
    got = _ids(restored, "SELECT request_id FROM recharge UNION SELECT request_id FROM spend")
    assert set(before) <= got <= after
    rctx = open_store(restored, create=False)
    try:
        rep = run_doctor(rctx)
        assert rep.ok, rep.problems
    finally:
        rctx.db.dispose()


def test_the_folder_keeps_the_last_n_and_files_are_owner_only(store: Any, tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setenv("POS_BACKUP_KEEP", "3")
    folder = tmp_path / "backups"
    folder.mkdir(mode=0o755)
    old_umask = os.umask(0)  # even with a permissive umask
    try:
        results = []
        for _ in range(5):
            results.append(backup.backup_now(store.ctx, store.manager))
            store.clock.advance(minutes=1)
    finally:
        os.umask(old_umask)
    names = sorted(p.name for p in folder.iterdir())
    assert names == sorted(Path(r.path).name for r in results[-3:])
    assert names[0].startswith("T001-20261123-10")  # store code and store-local time (Beijing)
    assert results[-1].pruned == (Path(results[1].path).name,) and results[-1].keep == 3
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    for name in names:
        assert stat.S_IMODE((folder / name).stat().st_mode) == 0o600
    # a backup in the same second gets its own name and is never written over
    a = backup.backup_now(store.ctx, store.manager)
    b = backup.backup_now(store.ctx, store.manager)
    assert a.path != b.path and Path(a.path).exists() and Path(b.path).exists()
    assert not [p for p in folder.iterdir() if p.name.startswith(".")]  # no temp file left


def test_backup_to_a_chosen_file(store: Any, tmp_path: Path) -> None:
    target = tmp_path / "usb" / "copy.db"
    target.parent.mkdir()
    res = backup.backup_now(store.ctx, store.manager, out=target)
    assert res.path == str(target.resolve()) and res.pruned == () and res.keep is None
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert _ids(target, "SELECT code FROM staff") == {"boss", "cash1", "shelf1"}
    with pytest.raises(backup.InvalidInput) as exc:
        backup.backup_now(store.ctx, store.manager, out=target)
    assert exc.value.key == "backup.out_exists"
    with pytest.raises(backup.InvalidInput) as exc:
        backup.backup_now(store.ctx, store.manager, out=tmp_path / "nowhere" / "x.db")
    assert exc.value.key == "backup.out_folder_missing"
    assert not (tmp_path / "backups").exists()


def test_who_may_back_up(store: Any, tmp_path: Path) -> None:
    for actor in (store.cashier, store.staff):
        with pytest.raises(PermissionDenied):
            backup.backup_now(store.ctx, actor)
    # the daily one runs in the name of whoever is logged in, from backup_at on, once that day
    day = "2026-11-23"
    assert backup.daily_backup(store.ctx, store.cashier, day) is None  # 10:00: not yet
    store.clock.advance(hours=11, minutes=31)  # 21:31
    first = backup.daily_backup(store.ctx, store.cashier, day)
    assert first is not None
    store.clock.advance(minutes=20)
    assert backup.daily_backup(store.ctx, store.staff, day) is None  # already taken today
    assert [p.name for p in (tmp_path / "backups").iterdir()] == [Path(first.path).name]


@pytest.mark.parametrize(
    ("env", "value", "key"),
    [
        ("POS_BACKUP_KEEP", "0", "backup_keep"),
        ("POS_BACKUP_KEEP", "many", "backup_keep"),
        ("POS_BACKUP_AT", "25:00", "backup_at"),
        ("POS_BACKUP_AT", "9", "backup_at"),
        ("POS_BACKUP_AT", "21:3", "backup_at"),
    ],
)
def test_an_invalid_setting_is_refused_naming_its_key(store: Any, tmp_path: Path, monkeypatch: Any, env: str,
                                                       value: str, key: str) -> None:
    monkeypatch.setenv(env, value)
    with pytest.raises(config.ConfigInvalid) as exc:
        backup.backup_now(store.ctx, store.manager)
    assert exc.value.params["setting"] == key
    assert key in messages.tr_error(exc.value, "en") and key in messages.tr_error(exc.value, "zh_CN")
    assert not (tmp_path / "backups").exists()


def test_settings_from_the_config_file_and_their_defaults(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.delenv("POS_BACKUP_DIR")
    cfg = config.load_backup()
    assert (cfg.keep, cfg.at, cfg.dir) == (14, (21, 30), config.default_backup_dir())
    (tmp_path / "config.toml").write_text(
        f'backup_dir = "{tmp_path / "b"}"\nbackup_keep = 7\nbackup_at = "06:05"\n', encoding="utf-8")
    cfg = config.load_backup()
    assert (cfg.keep, cfg.at, cfg.dir) == (7, (6, 5), tmp_path / "b")
    monkeypatch.setenv("POS_BACKUP_KEEP", "2")  # the environment overrides the file
    assert config.load_backup().keep == 2
    (tmp_path / "config.toml").write_text("backup_keep = 1.5\n", encoding="utf-8")
    monkeypatch.delenv("POS_BACKUP_KEEP")
    with pytest.raises(config.ConfigInvalid) as exc:
        config.load_backup()
    assert exc.value.params["setting"] == "backup_keep"
    (tmp_path / "afile").write_text("x")
    monkeypatch.setenv("POS_BACKUP_DIR", str(tmp_path / "afile"))
    monkeypatch.setenv("POS_BACKUP_KEEP", "3")
    with pytest.raises(config.ConfigInvalid) as exc:
        config.load_backup()
    assert exc.value.params["setting"] == "backup_dir"


def test_a_copy_that_fails_its_check_leaves_no_backup(store: Any, tmp_path: Path, monkeypatch: Any) -> None:
    good = backup.backup_now(store.ctx, store.manager)
    monkeypatch.setattr(backup, "_integrity", lambda path: ["*** in database main ***", "Page 7: btree error"])
    store.clock.advance(minutes=1)
    with pytest.raises(backup.BackupFailed) as exc:
        backup.backup_now(store.ctx, store.manager)
    assert exc.value.key == "backup.check_failed" and "Page 7" in messages.tr_error(exc.value, "en")
    assert sorted(p.name for p in (tmp_path / "backups").iterdir()) == [Path(good.path).name]


def test_the_temp_file_of_a_crashed_backup_is_cleared(store: Any, tmp_path: Path) -> None:
    folder = tmp_path / "backups"
    folder.mkdir()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                          check=True).stdout.strip()
    stale = folder / f".T001-20261122-213000.db.{dead}.part"
    stale.write_bytes(b"half a backup")
    res = backup.backup_now(store.ctx, store.manager)
    assert sorted(p.name for p in folder.iterdir()) == [Path(res.path).name]
