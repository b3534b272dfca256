"""The store file has one owner at a time, and a process never writes into a WAL that is gone.

Real processes on a real SQLite file. The scenario is the one a cashier hit: with the app open, something
in the app's process opens and closes ``store.db`` (a file dialog guessing the file's type), which drops all
of that process's POSIX locks on it; then a ``pos-app`` command runs on the same store. Before the fix the
command checkpointed and deleted the WAL on its last close, and every later recharge of the app went into a
deleted file and was lost when the window closed.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.conftest import make_store

ROOT = Path(__file__).resolve().parents[2]

#: a stand-in for the counter app: owns the store like the GUI does, recharges on command, and on
#: "poke" opens and closes the database file the way a file dialog sniffing its type does
APP = textwrap.dedent(
    """
    import os, sys, json
    from datetime import UTC, datetime
    from pos_app.app import open_store
    from pos_app.domain.errors import DomainError
    from pos_app.services import staff, wallet
    from pos_app import messages

    db, owner, dialog = sys.argv[1], sys.argv[2], sys.argv[3] == "dialog"
    ctx = open_store(db, owner=None if owner == "none" else owner)
    actor = staff.login(ctx, "boss", "9999")
    if dialog:
        from PySide6.QtWidgets import QApplication, QFileDialog
        from PySide6.QtCore import QDir
        app = QApplication([])
    print("ready", flush=True)
    for line in sys.stdin:
        cmd = line.split()
        if not cmd:
            continue
        if cmd[0] == "recharge":
            try:
                r = wallet.recharge(ctx, actor, phone="13800138000", amount_fen=int(cmd[1]), request_id=cmd[2])
                print("ok", r.recharge_id, flush=True)
            except DomainError as exc:
                print("refused", exc.key, messages.tr_error(exc, "en"), flush=True)
        elif cmd[0] == "poke":
            if dialog:
                # a real Qt file dialog listing the store's folder (the plain Qt one, no protections)
                dlg = QFileDialog(None, "save", os.path.dirname(db))
                dlg.setOption(QFileDialog.Option.DontUseNativeDialog)
                from PySide6.QtWidgets import QFileSystemModel
                model = dlg.findChild(QFileSystemModel)
                loaded = []
                model.directoryLoaded.connect(loaded.append)
                dlg.show()
                import time
                end = time.monotonic() + 30  # a bound, not a wait: the loop ends when the folder is listed
                while not (loaded and model.rowCount(model.index(os.path.dirname(db))) > 0) and time.monotonic() < end:
                    app.processEvents()
                assert loaded, "the dialog listed the folder"
                for _ in range(50):  # let the icon/type gatherer visit every file it listed
                    app.processEvents()
                dlg.close()
            fd = os.open(db, os.O_RDONLY)   # what the dialog does to guess the file type
            os.read(fd, 100)
            os.close(fd)                    # ... and this drops every POSIX lock this process had on it
            print("poked", flush=True)
        elif cmd[0] == "quit":
            break
    ctx.db.dispose()
    print("bye", flush=True)
    """
)


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env["QT_QPA_PLATFORM"] = "offscreen"
    env["POS_LANG"] = "en"
    env.pop("POS_DB", None)
    return env


class AppProcess:
    def __init__(self, db: Path, owner: str = "app", dialog: bool = False) -> None:
        self.p = subprocess.Popen(
            [sys.executable, "-c", APP, str(db), owner, "dialog" if dialog else "plain"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env(), cwd=ROOT,
        )
        assert self.read() == "ready", self.p.stderr.read() if self.p.stderr else ""

    def read(self) -> str:
        assert self.p.stdout is not None
        return self.p.stdout.readline().strip()

    def say(self, line: str) -> str:
        assert self.p.stdin is not None
        self.p.stdin.write(line + "\n")
        self.p.stdin.flush()
        return self.read()

    def close(self) -> None:
        assert self.say("quit") == "bye"
        self.p.wait(timeout=30)
        assert self.p.returncode == 0


def cli(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pos_app", "--db", str(db), "--staff", "boss", "--pin", "9999", *args],
        capture_output=True, text=True, env=_env(), cwd=ROOT, timeout=120,
    )


@pytest.fixture
def store_file(tmp_path: Path) -> Path:
    s = make_store(tmp_path / "store.db")
    from pos_app.services import members

    members.register_member(s.ctx, s.manager, phone="13800138000", name="王一")
    s.ctx.db.dispose()
    return s.path


def _recharge_total(db: Path) -> tuple[int, int]:
    """Count and sum of recharges as a fresh process sees them (read with plain sqlite3)."""
    con = sqlite3.connect(db)
    try:
        n, total = con.execute("SELECT count(*), coalesce(sum(amount_fen), 0) FROM recharge").fetchone()
    finally:
        con.close()
    return int(n), int(total)


@pytest.mark.parametrize(("dialog", "ending"), [(False, "close"), (True, "close"), (False, "power-cut")],
                         ids=["open-close", "qt-file-dialog", "open-close-then-killed"])
def test_app_open_then_dialog_then_commands_then_recharge_nothing_lost(
    store_file: Path, dialog: bool, ending: str
) -> None:
    app = AppProcess(store_file, "app", dialog=dialog)
    try:
        assert app.say("recharge 10000 r-1").startswith("ok")
        assert app.say("poke") == "poked"
        # a command, read and write, finds the app holding the store: one line, exit 2, nothing touched
        for args in (("doctor",), ("member", "show", "--phone", "13800138000"),
                     ("recharge", "--phone", "13800138000", "--amount", "50"), ("invite", "issue-due")):
            r = cli(store_file, *args)
            assert r.returncode == 2, (args, r.stdout, r.stderr)
            assert "The counter app has this store open" in r.stderr
            assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr
        assert app.say("recharge 20000 r-2").startswith("ok")
        assert app.say("recharge 30000 r-3").startswith("ok")
        # the app's WAL is still the one on disk (before the fix it was "store.db-wal (deleted)")
        fds = [os.readlink(f"/proc/{app.p.pid}/fd/{fd}") for fd in os.listdir(f"/proc/{app.p.pid}/fd")]
        wal = [f for f in fds if "store.db-wal" in f]
        assert wal and not any("(deleted)" in f for f in wal), fds
        if ending == "power-cut":  # the window dies without closing anything: the WAL on disk has it all
            app.p.kill()
            app.p.wait(timeout=30)
    finally:
        if app.p.poll() is None:
            app.close()
    assert _recharge_total(store_file) == (3, 60000)  # every other process sees every recharge
    r = cli(store_file, "--json", "doctor")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["ok"] is True


def test_commands_share_the_store_and_the_app_waits_for_them(store_file: Path) -> None:
    from pos_app.app import open_store
    from pos_app.db.storelock import StoreBusy

    ctx = open_store(store_file, owner="command")  # a command is running
    try:
        assert cli(store_file, "doctor").returncode == 0  # commands run side by side
        with pytest.raises(StoreBusy) as err:
            open_store(store_file, owner="app", wait_s=0.2)  # the app does not open beside a command
        assert err.value.key == "store.busy_command"
    finally:
        ctx.db.dispose()
    ctx = open_store(store_file, owner="app", wait_s=0.2)  # once the command is done, it does
    ctx.db.dispose()


def test_second_app_is_refused(store_file: Path) -> None:
    from pos_app.app import open_store
    from pos_app.db.storelock import StoreBusy

    app = AppProcess(store_file, "app")
    try:
        with pytest.raises(StoreBusy) as err:
            open_store(store_file, owner="app", wait_s=0.2)
        assert err.value.key == "store.busy_app" and err.value.params["pid"] == app.p.pid
    finally:
        app.close()


def test_lost_wal_refuses_the_write_and_recovers_without_loss(store_file: Path) -> None:
    """Defence in depth: a program that ignores our lock (sqlite3 itself) opens the store after the app lost its
    POSIX locks; as the last connection it checkpoints and deletes the WAL. The app's next write is refused
    instead of going into the deleted file; the one after works; nothing committed is lost."""
    app = AppProcess(store_file, "none")  # no owner lock: only the WAL guard stands between us and the loss
    try:
        assert app.say("recharge 10000 r-1").startswith("ok")
        assert app.say("poke") == "poked"
        con = sqlite3.connect(store_file)  # another program: reads and closes (checkpoint + delete the WAL)
        assert con.execute("SELECT count(*) FROM recharge").fetchone()[0] == 1
        con.close()
        assert not Path(str(store_file) + "-wal").exists(), "the other program deleted the WAL"
        answer = app.say("recharge 20000 r-2")
        assert answer.startswith("refused store.file_changed"), answer
        assert "nothing was written" in answer
        assert app.say("recharge 20000 r-2").startswith("ok")  # the store was opened afresh
        assert _recharge_total(store_file) == (2, 30000)
    finally:
        app.close()
    assert _recharge_total(store_file) == (2, 30000)


def test_missing_store_is_not_created(tmp_path: Path) -> None:
    missing = tmp_path / "nope" / "store.db"
    for args in (("doctor",), ("member", "find", "138")):
        r = cli(missing, *args)
        assert r.returncode == 2 and "There is no store database here" in r.stderr, r.stderr
    assert not missing.parent.exists()  # no folder, no file
    r = subprocess.run([sys.executable, "-m", "pos_app", "--db", "", "doctor"], capture_output=True, text=True,
                       env=_env(), cwd=ROOT)
    assert r.returncode == 2 and "Not a valid store database path" in r.stderr


def test_store_from_a_newer_version_is_left_alone(store_file: Path) -> None:
    con = sqlite3.connect(store_file)
    con.execute("DELETE FROM alembic_version")
    con.execute("INSERT INTO alembic_version VALUES ('9999_future')")
    con.commit()
    con.close()
    before = store_file.read_bytes()
    r = cli(store_file, "doctor")
    assert r.returncode == 2, r.stderr
    assert "newer pos_app" in r.stderr and "9999_future" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert store_file.read_bytes() == before


def test_reads_do_not_wait_for_a_writer_and_a_stuck_write_says_so(store_file: Path) -> None:
    """Another process holds the write lock: reads go through at once (WAL), a write gives up after the
    configured busy timeout with one line and exit 2."""
    con = sqlite3.connect(store_file, isolation_level=None)
    con.execute("BEGIN IMMEDIATE")
    try:
        env = _env() | {"POS_BUSY_TIMEOUT_S": "0.5"}
        base = [sys.executable, "-m", "pos_app", "--db", str(store_file), "--staff", "boss", "--pin", "9999"]
        r = subprocess.run([*base, "member", "show", "--phone", "13800138000"], capture_output=True, text=True,
                           env=env, cwd=ROOT, timeout=60)
        assert r.returncode == 0, r.stderr
        r = subprocess.run([*base, "recharge", "--phone", "13800138000", "--amount", "50"], capture_output=True,
                           text=True, env=env, cwd=ROOT, timeout=60)
        assert r.returncode == 2, (r.stdout, r.stderr)
        assert "The store is busy" in r.stderr and "Traceback" not in r.stderr
    finally:
        con.execute("ROLLBACK")
        con.close()
    assert _recharge_total(store_file) == (0, 0)
