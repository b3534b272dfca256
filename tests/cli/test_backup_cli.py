"""`pos-app backup` and `pos-app restore` as real subprocesses on real store files."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from pos_app.app import open_store
from pos_app.db.storelock import StoreLock
from pos_app.services import backup, members, staff, wallet


def run(store: Any, *args: str, staff: str = "boss", check: bool = True) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, POS_STAFF=staff, POS_PIN=store.pins[staff], POS_LANG="en")
    p = subprocess.run([sys.executable, "-m", "pos_app", "--db", str(store.path), *args],
                       capture_output=True, text=True, env=env, timeout=120)
    if check:
        assert p.returncode == 0, p.stderr
    return p


@pytest.fixture(autouse=True)
def _backup_env(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setenv("POS_BACKUP_DIR", str(tmp_path / "backups"))
    monkeypatch.setenv("POS_CONFIG", str(tmp_path / "config.toml"))
    for key in ("POS_BACKUP_KEEP", "POS_BACKUP_AT", "POS_STAFF", "POS_PIN"):
        monkeypatch.delenv(key, raising=False)


def _rows(path: Path, sql: str) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return [tuple(r) for r in conn.execute(sql)]
    finally:
        conn.close()


def _beside(path: Path) -> list[str]:
    return sorted(p.name for p in path.parent.iterdir() if p.is_file() and p.name != path.name + ".lock")


def test_backup_then_restore_brings_the_store_back_and_keeps_the_old_one_aside(store: Any, tmp_path: Path) -> None:
    res = json.loads(run(store, "--json", "backup").stdout)
    copy = Path(res["path"])
    assert copy.parent == tmp_path / "backups" and copy.name.startswith("T001-") and res["integrity"] == "ok"
    assert stat.S_IMODE(copy.stat().st_mode) == 0o600 and stat.S_IMODE(copy.parent.stat().st_mode) == 0o700
    run(store, "member", "add", "--phone", "13900000009")  # after the backup
    store.ctx.db.dispose()

    p = run(store, "--json", "restore", str(copy))
    out = json.loads(p.stdout)
    aside = Path(out["kept_aside"])
    assert aside.name.startswith("store.db.before-restore-") and out["restored_by"] == "boss"
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    # no WAL or shm of the old store pairs with the restored file
    assert not Path(f"{store.path}-wal").exists() and not Path(f"{store.path}-shm").exists()
    assert _rows(aside, "SELECT phone FROM member") == [("13900000009",)]
    assert _rows(store.path, "SELECT phone FROM member") == []
    # the restore is audited in the restored store, with who did it and from which file
    assert _rows(store.path, "SELECT a.action, s.code, a.entity_id FROM audit_log a JOIN staff s ON s.id = a.staff_id"
                             " WHERE a.action = 'backup.restore'") == [("backup.restore", "boss", copy.name)]
    assert "All checks passed" in run(store, "doctor").stdout
    p = run(store, "member", "show", "--phone", "13900000009", check=False)
    assert p.returncode == 2


def _damaged(good: Path, folder: Path) -> dict[str, tuple[Path, str]]:
    folder.mkdir()
    tmp_path = folder
    data = good.read_bytes()
    truncated = tmp_path / "truncated.db"
    truncated.write_bytes(data[: len(data) // 2])
    text = tmp_path / "notes.db"
    text.write_text("not a database\n", encoding="utf-8")
    empty = tmp_path / "empty.db"
    empty.write_bytes(b"")
    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    newer = tmp_path / "newer.db"
    shutil.copyfile(good, newer)
    conn = sqlite3.connect(newer)
    conn.execute("UPDATE alembic_version SET version_num = '0099_from_the_future' WHERE version_num = (SELECT min(version_num) FROM alembic_version)")
    conn.commit()
    conn.close()
    broken = tmp_path / "broken.db"
    page = int.from_bytes(data[16:18], "big")
    broken.write_bytes(data[:page] + b"\xff" * (page * 4) + data[page * 5:])  # btree pages overwritten
    return {
        "truncated": (truncated, "The backup file is incomplete"),
        "text": (text, "Not a SQLite database file"),
        "empty": (empty, "Not a SQLite database file"),
        "other": (other, "Not a backup of a pos_app store database"),
        "newer": (newer, "written by a newer pos_app (database version 0099_from_the_future"),
        "broken": (broken, "The backup file is damaged"),
    }


def test_a_bad_backup_is_refused_with_one_line_and_the_store_is_untouched(store: Any, tmp_path: Path) -> None:
    good = Path(json.loads(run(store, "--json", "backup").stdout)["path"])
    members.register_member(store.ctx, store.cashier, phone="13800000001")
    store.ctx.db.dispose()
    before, listing = store.path.read_bytes(), _beside(store.path)
    for name, (bad, says) in _damaged(good, tmp_path / "bad").items():
        p = run(store, "restore", str(bad), check=False)
        assert p.returncode == 2, (name, p.stderr)
        assert says in p.stderr and "the store was not touched" in p.stderr, (name, p.stderr)
        assert len(p.stderr.strip().splitlines()) == 1 and "Traceback" not in p.stderr, (name, p.stderr)
        assert store.path.read_bytes() == before, name
        assert _beside(store.path) == listing, name  # nothing kept aside, no temp file left
    assert "All checks passed" in run(store, "doctor").stdout
    assert _rows(store.path, "SELECT phone FROM member") == [("13800000001",)]


def test_restore_is_refused_while_the_app_has_the_store_and_for_a_cashier(store: Any) -> None:
    good = Path(json.loads(run(store, "--json", "backup").stdout)["path"])
    store.ctx.db.dispose()
    lock = StoreLock(store.path, "app").acquire()  # the counter app holds the store
    try:
        p = run(store, "restore", str(good), check=False)
        assert p.returncode == 2 and "The counter app has this store open" in p.stderr
        assert len(p.stderr.strip().splitlines()) == 1
    finally:
        lock.release()
    p = run(store, "restore", str(good), staff="cash1", check=False)
    assert p.returncode == 3
    p = run(store, "backup", staff="cash1", check=False)
    assert p.returncode == 3
    # nothing was restored: no restore in the audit trail, nothing kept aside (the cashier's login itself may note
    # its time on the staff row, so the file's bytes are not compared)
    assert _rows(store.path, "SELECT COUNT(*) FROM audit_log WHERE action = 'backup.restore'") == [(0,)]
    assert not [n for n in _beside(store.path) if "before-restore" in n]


def test_a_backup_taken_in_the_app_while_recharges_run_restores_with_every_earlier_recharge(
        store: Any, tmp_path: Path) -> None:
    store.ctx.db.dispose()
    ctx = open_store(store.path, owner="app")  # the app-like owner of the store
    ctx.clock = store.clock
    done: list[str] = []
    stop, started = threading.Event(), threading.Event()
    errors: list[BaseException] = []
    try:
        manager, cashier = staff.login(ctx, "boss", "9999"), staff.login(ctx, "cash1", "1111")
        members.register_member(ctx, cashier, phone="13800138000")

        def counter() -> None:
            try:
                i = 0
                while not stop.is_set():
                    wallet.recharge(ctx, cashier, phone="13800138000", amount_fen=50_00, request_id=f"r-{i}")
                    wallet.spend(ctx, cashier, phone="13800138000", amount_fen=50_00, request_id=f"s-{i}")
                    done.append(f"r-{i}")
                    i += 1
                    if i == 3:
                        started.set()
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
                started.set()

        t = threading.Thread(target=counter)
        t.start()
        try:
            started.wait(timeout=120)
            before = list(done)
            res = backup.backup_now(ctx, manager)
            # a command is refused while the app holds the store
            p = run(store, "backup", check=False)
            assert p.returncode == 2 and "The counter app has this store open" in p.stderr
        finally:
            stop.set()
            t.join(timeout=120)
        assert not errors, errors
    finally:
        ctx.db.dispose()

    out = json.loads(run(store, "--json", "restore", res.path).stdout)
    assert Path(out["kept_aside"]).exists()
    assert "All checks passed" in run(store, "doctor").stdout
    got = {r[0] for r in _rows(store.path, "SELECT request_id FROM recharge")}
    assert set(before) <= got <= set(done)


def test_restore_onto_a_store_that_cannot_be_read_uses_the_backups_manager(store: Any, tmp_path: Path) -> None:
    good = Path(json.loads(run(store, "--json", "backup").stdout)["path"])
    store.ctx.db.dispose()
    store.path.write_bytes(b"garbage" * 1000)  # the store is damaged: what restore is for
    out = json.loads(run(store, "--json", "restore", str(good)).stdout)
    assert Path(out["kept_aside"]).read_bytes() == b"garbage" * 1000
    assert "All checks passed" in run(store, "doctor").stdout


def test_restore_over_a_store_left_with_its_wal_keeps_every_commit_aside(store: Any, tmp_path: Path) -> None:
    good = Path(json.loads(run(store, "--json", "backup").stdout)["path"])
    store.ctx.db.dispose()
    # a process that died with the store open: its last commit is only in the WAL, a shm beside it
    child = (
        "import os, sys\n"
        "from pos_app.app import open_store\n"
        "from pos_app.services import members, staff\n"
        "ctx = open_store(sys.argv[1], create=False)\n"
        "members.register_member(ctx, staff.login(ctx, 'cash1', '1111'), phone='13700000007')\n"
        "os._exit(0)\n"
    )
    subprocess.run([sys.executable, "-c", child, str(store.path)], check=True, timeout=120)
    assert Path(f"{store.path}-wal").stat().st_size > 0 and Path(f"{store.path}-shm").exists()

    out = json.loads(run(store, "--json", "restore", str(good)).stdout)
    aside = Path(out["kept_aside"])
    assert not Path(f"{store.path}-wal").exists() and not Path(f"{store.path}-shm").exists()
    assert ("13700000007",) in _rows(aside, "SELECT phone FROM member")  # the WAL's commit is in the old file
    assert _rows(store.path, "SELECT phone FROM member") == []
    assert "All checks passed" in run(store, "doctor").stdout


def test_a_copy_taken_with_its_wal_is_restored_with_the_wal_s_commits(store: Any, tmp_path: Path) -> None:
    members.register_member(store.ctx, store.cashier, phone="13600000006")  # in the WAL: the store is open
    src = tmp_path / "copy" / "store.db"
    src.parent.mkdir()
    shutil.copyfile(store.path, src)
    shutil.copyfile(f"{store.path}-wal", f"{src}-wal")
    store.ctx.db.dispose()
    run(store, "restore", str(src))
    assert _rows(store.path, "SELECT phone FROM member") == [("13600000006",)]


def test_backup_to_a_file_and_an_invalid_setting_named(store: Any, tmp_path: Path, monkeypatch: Any) -> None:
    target = tmp_path / "elsewhere.db"
    out = json.loads(run(store, "--json", "backup", "--out", str(target)).stdout)
    assert out["path"] == str(target.resolve()) and stat.S_IMODE(target.stat().st_mode) == 0o600
    p = run(store, "backup", "--out", str(target), check=False)  # never written over
    assert p.returncode == 2 and "already exists" in p.stderr
    monkeypatch.setenv("POS_BACKUP_KEEP", "-1")
    p = run(store, "backup", check=False)
    assert p.returncode == 2 and "backup_keep" in p.stderr and len(p.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "backups").exists()
