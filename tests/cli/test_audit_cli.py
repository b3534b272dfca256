"""`pos-app doctor` in a real subprocess on a real SQLite file checks the audit chain: one row changed,
deleted or slipped in directly with sqlite3 makes it exit 1 and name that row (seq and id) and what
happened to it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from pos_app.services.audit import FIELDS, row_hash
from tests.cli.test_cli import base_db as base_db  # noqa: F401
from tests.cli.test_cli import db as db  # noqa: F401  (fixtures)
from tests.cli.test_cli import ok, run

pytestmark = pytest.mark.slow

COLS = ", ".join(FIELDS) + ", hash"


@pytest.fixture
def busy(db: Path) -> Path:  # noqa: F811
    ok(run(db, "recharge", "--phone", "13800138000", "--amount", "300", staff="c1", pin="1111"))
    ok(run(db, "spend", "--phone", "13800138000", "--amount", "12.5", staff="c1", pin="1111"))
    p = ok(run(db, "doctor"))
    assert "[OK] audit_chain" in p.stdout
    with sqlite3.connect(db) as c:
        assert c.execute("SELECT COUNT(*) FROM audit_log").fetchone()[0] >= 5
    return db


def _row(db: Path, seq: int) -> tuple:
    with sqlite3.connect(db) as c:
        return c.execute(f"SELECT {COLS} FROM audit_log WHERE seq = ?", (seq,)).fetchone()


def _fails_naming(db: Path, *words: str) -> str:
    p = run(db, "doctor")
    assert p.returncode == 1, (p.stdout, p.stderr)
    line = next(ln for ln in p.stdout.splitlines() if ln.startswith("[FAIL] audit_chain"))
    for w in words:
        assert w in line, (w, line)
    assert "Traceback" not in p.stderr
    return line


def test_doctor_names_a_changed_row(busy):
    victim = _row(busy, 3)
    with sqlite3.connect(busy) as c:
        c.execute("UPDATE audit_log SET details_json = details_json || ' ' WHERE seq = 3")
    _fails_naming(busy, "seq 3", victim[1], "changed")


def test_doctor_names_a_deleted_row(busy):
    after = _row(busy, 4)
    with sqlite3.connect(busy) as c:
        c.execute("DELETE FROM audit_log WHERE seq = 3")
    _fails_naming(busy, "seq 3 was deleted", "seq 4", after[1])


def test_doctor_names_an_inserted_row(busy):
    with sqlite3.connect(busy) as c:
        last = c.execute("SELECT MAX(seq) FROM audit_log").fetchone()[0]
    first = _row(busy, 1)
    values = [last + 1, "forged-row-0001", first[2], first[3], None, "wallet.refund", "refund", "x", first[8],
              first[9], None, "{}", first[13]]  # a self-consistent hash, chained to the wrong row
    with sqlite3.connect(busy) as c:
        c.execute(f"INSERT INTO audit_log ({COLS}) VALUES ({', '.join('?' * 14)})", [*values, row_hash(values)])
    _fails_naming(busy, f"seq {last + 1}", "forged-row-0001", "inserted")


def test_audit_list_and_export_for_a_manager_refused_for_a_cashier(busy, tmp_path):
    import csv  # noqa: PLC0415
    import json  # noqa: PLC0415

    p = run(busy, "audit", "list", staff="c1", pin="1111")
    assert p.returncode == 3 and "Traceback" not in p.stderr, (p.stdout, p.stderr)
    rows = json.loads(ok(run(busy, "audit", "list", "--action", "wallet.", staff="boss", pin="9999",
                             json_out=True)).stdout)
    assert sorted(r["action"] for r in rows) == ["wallet.recharge", "wallet.spend"]
    human = ok(run(busy, "audit", "list", "--phone", "13800138000", staff="boss", pin="9999")).stdout
    assert "wallet.spend" in human and "member.register" in human and "balance 13800138000:" in human
    out = tmp_path / "audit.csv"
    ok(run(busy, "audit", "export", "--out", str(out), "--staff-code", "c1", staff="boss", pin="9999"))
    with out.open(encoding="utf-8-sig", newline="") as fh:
        table = list(csv.reader(fh))
    assert table[0][0] == "Seq" and {r[2] for r in table[1:]} == {"c1"}
    p = run(busy, "audit", "list", "--since", "yesterday", staff="boss", pin="9999")
    assert p.returncode == 2 and "Invalid date" in p.stderr
    p = run(busy, "audit", "list", "--limit", "0", staff="boss", pin="9999")
    assert p.returncode == 2 and "Traceback" not in p.stderr
