"""Disk full and read-only: the store on a size-limited file system (a tmpfs mount when the test may mount,
else SQLite's own page limit, ``PRAGMA max_page_count``, set on every connection through SQLAlchemy's public
``connect`` event), and a read-only file and folder. Every refusal is one translated line with exit code 2
(no traceback), reads keep working, nothing already committed is lost, a refused write leaves nothing behind
(doctor passes), and writes go on once there is room (or the file is writable) again."""

from __future__ import annotations

import contextlib
import gc
import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event

from pos_app import messages
from pos_app.app import open_store
from pos_app.db.engine import StoreDiskFull
from pos_app.services import demo, staff, wallet
from tests.cli.test_cli import counts
from tests.cli.test_cli_hostile import copy_db
from tests.reliability.conftest import Counters
from tests.reliability.test_fuzz_cli import run_cli

PHONE = "13800138000"
WRITES = (("recharge", f"--phone={PHONE}", "--amount=100"), ("spend", f"--phone={PHONE}", "--amount=1"),
          ("member", "add", "--phone=13711112222"))
FULL = {"en": "The disk is full", "zh_CN": "磁盘已满"}


def _demo_into(db: Path) -> Path:
    ctx = open_store(db)
    demo.load_demo(ctx)
    ctx.db.dispose()
    return db


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], campaign: Counters) -> Any:
    def call(db: Path, lang: str, *args: str) -> subprocess.CompletedProcess[str]:
        return run_cli(db, capsys, campaign, lang, *args)
    return call


def check_refused_writes(cli: Any, db: Path, campaign: Counters, needle: dict[str, str]) -> None:
    """Each write is one line (in both languages) with ``needle``, exit 2; a read works; nothing changed."""
    before = counts(db)
    for lang in ("zh_CN", "en"):
        for args in WRITES:
            p = cli(db, lang, *args)
            assert p.returncode == 2 and needle[lang] in p.stderr, (args, p.stderr)
            campaign.add(faults_injected=1)
        assert cli(db, lang, "member", "show", f"--phone={PHONE}").returncode == 0  # reads keep working
    after = counts(db)
    campaign.add(rows_checked=sum(after.values()))
    assert after == before


def check_goes_on(cli: Any, db: Path, before: dict[str, int], campaign: Counters) -> None:
    assert cli(db, "en", *WRITES[0]).returncode == 0
    after = counts(db)
    lost = sum(max(0, before[t] - after[t]) for t in before)
    campaign.add(lost=lost, rows_checked=sum(after.values()))
    assert lost == 0 and after["recharge"] == before["recharge"] + 1
    p = cli(db, "en", "doctor")
    assert p.returncode == 0 and "All checks passed" in p.stdout


# ----------------------------------------------------------------------------- disk full


@pytest.fixture
def tmpfs(tmp_path: Path) -> Iterator[Path]:
    """A 4 MB tmpfs (root only, where mounting is allowed); skipped cleanly otherwise."""
    mnt = tmp_path / "small-disk"
    mnt.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs root")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m,mode=0700", "tmpfs", str(mnt)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield mnt
    finally:
        gc.collect()  # a refused write's traceback (a reference cycle) may still hold a connection's file
        subprocess.run(["umount", str(mnt)], check=True)  # fails when a connection was left open on it  # fails when a connection was left open on it


def _fill(folder: Path) -> Path:
    """Fill the file system until it says ENOSPC; the filler file."""
    filler = folder / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        while True:
            os.write(fd, b"\0" * 4096)
    except OSError:
        pass
    finally:
        os.close(fd)
    return filler


def test_a_full_disk_refuses_writes_in_one_line_keeps_reads_and_goes_on(tmpfs: Path, cli: Any, campaign: Counters,
                                                                       tmp_path: Path, qtbot: Any) -> None:
    db = copy_db(_demo_into(tmp_path / "src.db"), tmpfs / "store.db")
    # the counter keeps the store open (so SQLite's WAL index is there) while the disk fills up
    holder = open_store(db)
    try:
        cashier = staff.login(holder, "c01", "1111")
        wallet.recharge(holder, cashier, phone=PHONE, amount_fen=100_00, request_id="before-full")
        before = counts(db)
        filler = _fill(tmpfs)
        check_refused_writes(cli, db, campaign, FULL)
        # the same through the app's database worker: a refusal its screen shows in one line, not a crash
        from pos_app.ui.ops import DbWorker

        worker, failed = DbWorker(), []
        worker.run(lambda: wallet.recharge(holder, cashier, phone=PHONE, amount_fen=100_00, request_id="while-full"),
                   None, failed.append)
        qtbot.waitUntil(lambda: worker.pending == 0, timeout=30_000)
        worker.stop()
        assert not worker.crashes and len(failed) == 1 and isinstance(failed[0], StoreDiskFull), failed
        assert FULL["zh_CN"] in messages.tr_error(failed[0], "zh_CN") and counts(db) == before
        # room comes back 4 KB at a time: every write until one fits is refused whole, then it is whole
        size, tries = filler.stat().st_size, 0
        while True:
            size = max(0, size - 4096)
            os.truncate(filler, size)
            tries += 1
            try:
                wallet.recharge(holder, cashier, phone=PHONE, amount_fen=100_00, request_id=f"squeeze-{tries}")
                break
            except StoreDiskFull:
                campaign.add(faults_injected=1)
                assert counts(db) == before and tries < 1024
        assert counts(db)["recharge"] == before["recharge"] + 1
        filler.unlink()
        check_goes_on(cli, db, counts(db), campaign)
    finally:
        holder.db.dispose()


@contextlib.contextmanager
def page_limit() -> Iterator[None]:
    """Every new SQLite connection may not grow its database (SQLite answers SQLITE_FULL, as a full disk)."""

    def limit(dbapi_conn: Any, _record: Any) -> None:
        (pages,) = dbapi_conn.execute("PRAGMA page_count").fetchone()
        dbapi_conn.execute(f"PRAGMA max_page_count = {pages}")

    event.listen(Engine, "connect", limit)
    try:
        yield
    finally:
        event.remove(Engine, "connect", limit)


def test_no_room_in_the_database_file_refuses_writes_in_one_line_and_goes_on(tmp_path: Path, cli: Any,
                                                                             campaign: Counters) -> None:
    db = tmp_path / "store.db"
    _demo_into(db)
    before = counts(db)
    with page_limit():
        # fill the pages that are still free, then every write needs a page it may not have
        for i in range(200):
            p = cli(db, "en", "recharge", f"--phone={PHONE}", "--amount=1", f"--request-id=fill-{i}")
            if p.returncode == 2:
                assert FULL["en"] in p.stderr
                break
        else:
            pytest.fail("the page limit never refused a write")
        filled = counts(db)
        assert filled["recharge"] == before["recharge"] + i
        check_refused_writes(cli, db, campaign, FULL)
    check_goes_on(cli, db, filled, campaign)


# ----------------------------------------------------------------------------- read-only


@contextlib.contextmanager
def read_only(path: Path) -> Iterator[None]:
    """``path`` (a file or a folder) may not be written: chattr +i as root (root ignores modes), else chmod."""
    gc.collect()  # a sqlite3 connection is closed by the collector (a cycle): none may keep its -wal/-shm here
    if os.geteuid() == 0:
        if shutil.which("chattr") is None or subprocess.run(["chattr", "+i", str(path)],
                                                            capture_output=True).returncode != 0:
            pytest.skip("running as root on a file system without immutable files")
        undo = ["chattr", "-i", str(path)]
    else:
        mode = path.stat().st_mode & 0o777
        path.chmod(0o555 if path.is_dir() else 0o444)
        undo = ["chmod", oct(mode)[2:], str(path)]
    try:
        yield
    finally:
        subprocess.run(undo, check=True)


READ_ONLY = {"en": "read-only", "zh_CN": "只读"}
FOLDER = {"en": "its folder cannot be written", "zh_CN": "文件夹不可写"}


def test_a_read_only_file_refuses_writes_keeps_reads_and_goes_on(tmp_path: Path, cli: Any, campaign: Counters) -> None:
    db = tmp_path / "store.db"
    _demo_into(db)
    before = counts(db)
    with read_only(db):
        check_refused_writes(cli, db, campaign, READ_ONLY)
    check_goes_on(cli, db, before, campaign)


def test_a_read_only_folder_is_one_line_and_the_store_goes_on(tmp_path: Path, cli: Any, campaign: Counters) -> None:
    folder = tmp_path / f"store-{uuid.uuid4().hex[:6]}"
    folder.mkdir()
    db = folder / "store.db"
    _demo_into(db)
    before = counts(db)
    for with_lock_file in (False, True):  # a folder never used by a command, and one that was
        if with_lock_file:
            assert cli(db, "en", "member", "show", f"--phone={PHONE}").returncode == 0
        gc.collect()
        assert {p.name for p in folder.iterdir()} == {"store.db", *(["store.db.lock"] if with_lock_file else [])}
        with read_only(folder):
            for lang in ("zh_CN", "en"):  # SQLite cannot make its WAL index beside the file: it says so
                for args in (WRITES[0], ("member", "show", f"--phone={PHONE}")):
                    p = cli(db, lang, *args)
                    assert p.returncode == 2 and FOLDER[lang] in p.stderr, p.stderr
                    campaign.add(faults_injected=1)
        assert counts(db) == before
    check_goes_on(cli, db, before, campaign)
