"""`pos-app report liability|shift|sales` in real subprocesses on a real SQLite file: --json carries the
service's figures, --out writes PDF/CSV/XLSX, bad input exits 2 and a cashier asking for a manager's
report exits 3."""

from __future__ import annotations

import json
import sqlite3
from datetime import date, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from tests.cli.test_cli import base_db as base_db  # noqa: F401
from tests.cli.test_cli import db as db  # noqa: F401  (fixtures)
from tests.cli.test_cli import ok, run

pytestmark = pytest.mark.slow

BOSS = {"staff": "boss", "pin": "9999"}
C1 = {"staff": "c1", "pin": "1111"}


def _today() -> str:
    return date.today().isoformat()


def _span() -> tuple[str, str]:
    return (date.today() - timedelta(days=3)).isoformat(), (date.today() + timedelta(days=1)).isoformat()


def test_liability_json_and_files(db: Path, tmp_path: Path) -> None:  # noqa: F811
    ok(run(db, "recharge", "--phone", "13800138000", "--amount", "300", "--pay", "cash", **C1))
    ok(run(db, "spend", "--phone", "13800138000", "--amount", "12.5", **C1))
    a, b = _span()
    out = json.loads(ok(run(db, "report", "liability", "--from", a, "--to", b, json_out=True, **BOSS)).stdout)
    with sqlite3.connect(db) as c:
        p, bo = c.execute("SELECT sum(principal_fen), sum(bonus_fen) FROM member").fetchone()
    assert out["closing"] == {"principal_fen": p, "bonus_fen": bo} and out["balanced"] is True
    assert out["outstanding_principal_fen"] == p
    moves = {m["kind"]: m for m in out["movements"]}
    assert moves["recharge"]["principal_fen"] == 30_000 and moves["spend"]["count"] == 1
    assert moves["spend"]["principal_fen"] + moves["spend"]["bonus_fen"] == -1_250
    for name in ("l.pdf", "l.csv", "l.xlsx"):
        ok(run(db, "--lang", "zh_CN", "report", "liability", "--from", a, "--to", b, "--out", str(tmp_path / name),
               **BOSS))
    assert "预付卡负债报表" in PdfReader(str(tmp_path / "l.pdf")).pages[0].extract_text().replace(" ", "")
    assert "期末余额" in (tmp_path / "l.csv").read_text(encoding="utf-8-sig")
    assert load_workbook(tmp_path / "l.xlsx").active.max_row >= 8
    human = ok(run(db, "report", "liability", "--from", a, "--to", b, **BOSS)).stdout
    assert "Principal owed to members" in human
    p3 = run(db, "report", "liability", "--from", a, "--to", b, **C1)
    assert p3.returncode == 3
    p2 = run(db, "report", "liability", "--from", b, "--to", a, **BOSS)
    assert p2.returncode == 2 and len(p2.stderr.strip().splitlines()) == 1
    assert run(db, "report", "liability", "--from", "2026-13-01", "--to", b, **BOSS).returncode == 2


def test_shift_open_close_and_sales(db: Path, tmp_path: Path) -> None:  # noqa: F811
    opened = json.loads(ok(run(db, "report", "shift", "--open", "--float", "200", json_out=True, **C1)).stdout)
    assert opened["state"] == "open" and opened["float_fen"] == 20_000 and opened["expected_fen"] == 20_000
    again = run(db, "report", "shift", "--open", "--float", "100", **C1)
    assert again.returncode == 2 and "close it first" in again.stderr
    ok(run(db, "recharge", "--phone", "13800138000", "--amount", "300", "--pay", "cash", **C1))
    ok(run(db, "recharge", "--phone", "13800138000", "--amount", "100", "--pay", "wechat", **C1))
    now = json.loads(ok(run(db, "report", "shift", json_out=True, **C1)).stdout)
    assert now["recharges"]["by_method"] == {"cash": {"count": 1, "amount_fen": 30_000},
                                             "wechat": {"count": 1, "amount_fen": 10_000}}
    assert now["expected_fen"] == 50_000
    closed = json.loads(ok(run(db, "--lang", "zh_CN", "report", "shift", "--close", "--counted", "495.5", "--out", str(tmp_path / "s.pdf"),
                               json_out=True, **C1)).stdout)
    assert closed["state"] == "closed" and closed["counted_fen"] == 49_550 and closed["difference_fen"] == -450
    assert "交班报表" in PdfReader(str(tmp_path / "s.pdf")).pages[0].extract_text().replace(" ", "")
    again = run(db, "report", "shift", "--close", "--counted", "1", **C1)
    assert again.returncode == 2
    seen = json.loads(ok(run(db, "report", "shift", "--cashier", "c1", json_out=True, **BOSS)).stdout)
    assert seen["shift_id"] == closed["shift_id"] and seen["difference_fen"] == -450
    assert run(db, "report", "shift", "--cashier", "boss", **C1).returncode == 3
    assert run(db, "report", "shift", "--open", **C1).returncode == 2
    assert run(db, "report", "shift", "--open", "--float", "-5", **C1).returncode == 2
    a, b = _span()
    rows = json.loads(ok(run(db, "report", "sales", "--from", a, "--to", b, json_out=True, **BOSS)).stdout)
    assert [r["date"] for r in rows][0] == a and len(rows) == 5
    assert all(r["sales_fen"] == 0 for r in rows)
    ok(run(db, "report", "sales", "--from", a, "--to", b, "--out", str(tmp_path / "s.xlsx"), **BOSS))
    ws = load_workbook(tmp_path / "s.xlsx").active
    assert ws.max_row == 6 and ws.cell(2, 1).value == a
