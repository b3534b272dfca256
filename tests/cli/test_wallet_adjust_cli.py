"""`pos-app wallet adjust` (issue 15) as a real process on a real store file: a manager's correction with
--json, a repeat with the same --request-id done once, a cashier refused (exit 3) unless a manager approves
(--approver), and bad input (exit 2, one line, nothing written)."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from pos_app.services import members, wallet
from tests.cli.test_cli import ok, run
from tests.conftest import make_store

pytestmark = pytest.mark.slow
PHONE = "13800138000"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("adjcli") / "template.db"
    s = make_store(path)
    mem = members.register_member(s.ctx, s.cashier, phone=PHONE)
    wallet.recharge(s.ctx, s.cashier, member_id=mem.member_id, tier_code="basic")  # ¥500 + ¥50
    s.ctx.db.dispose()
    return path


@pytest.fixture
def db(template: Path, tmp_path: Path) -> Path:
    target = tmp_path / "store.db"
    shutil.copy(template, target)
    return target


def _rows(db: Path) -> tuple[int, int, int, int]:
    with sqlite3.connect(db) as c:
        return tuple(c.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]  # type: ignore[return-value]
                     for t in ("wallet_entry", "wallet_adjustment", "audit_log", "outbox"))


def test_a_manager_adjusts_with_json_and_a_repeat_is_done_once(db: Path) -> None:
    before = _rows(db)
    args = ("wallet", "adjust", "--phone", PHONE, "--principal", "-20", "--bonus", "+5.50", "--reason", "补录",
            "--request-id", "cli-adj-1")
    out = json.loads(ok(run(db, *args, staff="boss", pin="9999", json_out=True)).stdout)
    assert (out["principal_delta_fen"], out["bonus_delta_fen"]) == (-20_00, 5_50)
    assert (out["principal_balance_fen"], out["bonus_balance_fen"], out["balance_fen"]) == (480_00, 55_50, 535_50)
    assert [a - b for a, b in zip(_rows(db), before, strict=True)] == [1, 1, 1, 1]
    again = json.loads(ok(run(db, *args, staff="boss", pin="9999", json_out=True)).stdout)
    assert again["adjustment_id"] == out["adjustment_id"]
    assert [a - b for a, b in zip(_rows(db), before, strict=True)] == [1, 1, 1, 1]
    text = ok(run(db, "statement", "--phone", PHONE, staff="boss", pin="9999")).stdout
    assert text.splitlines()[0].split()[2] == "adjust"
    human = ok(run(db, "wallet", "adjust", "--phone", PHONE, "--bonus", "1", "--reason", "r", staff="boss",
                   pin="9999")).stdout
    assert "adjusted" in human and "¥536.50" in human


def test_a_cashier_is_refused_exit_3_unless_a_manager_approves(db: Path) -> None:
    before = _rows(db)
    args = ("wallet", "adjust", "--phone", PHONE, "--bonus", "+1", "--reason", "r")
    p = run(db, *args, staff="cash1", pin="1111")
    assert p.returncode == 3 and p.stderr.strip() and "Traceback" not in p.stderr
    assert _rows(db) == before
    p = run(db, *args, "--approver", "shelf1", "--approver-pin", "2222", staff="cash1", pin="1111")
    assert p.returncode == 3 and _rows(db) == before
    ok(run(db, *args, "--approver", "boss", "--approver-pin", "9999", staff="cash1", pin="1111"))
    assert _rows(db)[1] == before[1] + 1


@pytest.mark.parametrize(("extra", "says"), [
    (["--principal", "-500.01", "--reason", "r"], "below zero"),
    (["--bonus", "abc", "--reason", "r"], "Not a valid amount"),
    (["--principal", "1.234", "--reason", "r"], "Not a valid amount"),
    (["--reason", "r"], "Enter an amount"),
    (["--principal", "+0", "--bonus", "-0", "--reason", "r"], "Enter an amount"),
    (["--bonus", "1", "--reason", "  "], "reason"),
    (["--bonus", "1"], "--reason"),
])
def test_bad_input_exits_2_with_one_line_and_writes_nothing(db: Path, extra: list[str], says: str) -> None:
    before = _rows(db)
    p = run(db, "wallet", "adjust", "--phone", PHONE, *extra, staff="boss", pin="9999")
    assert p.returncode == 2, (p.stdout, p.stderr)
    assert says.lower() in p.stderr.lower() and len(p.stderr.strip().splitlines()) == 1, p.stderr
    assert _rows(db) == before
