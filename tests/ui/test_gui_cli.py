"""`pos-app gui --smoke` in a subprocess: opens the main window on the database, runs doctor, exits."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any


def run(*args: str, timeout: int = 120) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}  # read now: the test's own settings and config dirs
    return subprocess.run([sys.executable, "-m", "pos_app", *args], capture_output=True, text=True, env=env, timeout=timeout)


def test_smoke_on_a_good_store(store: Any) -> None:
    r = run("--db", str(store.path), "gui", "--smoke")
    assert r.returncode == 0, r.stderr
    assert "smoke ok" in r.stdout and "counter" in r.stdout and "history" in r.stdout


def test_smoke_fails_with_the_reason_on_a_broken_database(tmp_path: Path) -> None:
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"this is not a sqlite database" * 100)
    r = run("--db", str(bad), "gui", "--smoke")
    assert r.returncode != 0
    assert "smoke:" in r.stderr


def test_smoke_fails_when_doctor_finds_a_problem(store: Any) -> None:
    import sqlite3

    from pos_app.services import members

    m = members.register_member(store.ctx, store.cashier, phone="13800000001")
    store.ctx.db.dispose()
    con = sqlite3.connect(store.path)
    con.execute("UPDATE member SET principal_fen = 12345 WHERE id = ?", (m.member_id,))  # cache != ledger
    con.commit()
    con.close()
    r = run("--db", str(store.path), "gui", "--smoke")
    assert r.returncode == 1
    assert "doctor" in r.stderr


def test_smoke_in_english(store: Any) -> None:
    r = run("--db", str(store.path), "--lang", "en", "gui", "--smoke")
    assert r.returncode == 0, r.stderr
