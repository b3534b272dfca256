"""`pos-app task list|progress` and `pos-app level show|review`, in-process on a real store file with the
full demo campaign: JSON with ids, states and integer points; a refusal exits 2 with one line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pos_app.cli import main
from pos_app.services import campaigns, checkout, members, wallet
from pos_app.services.checkout import LineInput, PaymentInput
from tests.conftest import make_store
from tests.services.test_levels_tasks import program

PHONE = "13800000001"


@pytest.fixture
def db(tmp_path: Path) -> Path:
    s = make_store(tmp_path / "store.db")
    # the commands run on the machine's clock, the set-up on the test's: a campaign and level window that
    # hold whatever today is (levels over all time, kept)
    data = program()
    data["campaign"]["ends_on"] = "2099-12-31"
    data["member_levels"].update(window_months=0, downgrade="none")
    campaigns.load_campaign(s.ctx, s.manager, data, replace=True)
    mem = members.register_member(s.ctx, s.cashier, phone=PHONE)
    wallet.recharge(s.ctx, s.cashier, phone=PHONE, amount_fen=1000_00)
    for _ in range(3):
        checkout.ring_up(s.ctx, s.cashier, request_id=None, member_id=mem.member_id,
                         lines=[LineInput(category="宠物食品", amount_fen=100_00)], coupon_code=None,
                         payments=[PaymentInput("cash", 100_00)])
    s.ctx.db.dispose()
    return s.path


def _cli(db: Path, capsys: pytest.CaptureFixture[str], *args: str, json_out: bool = True) -> tuple[int, object]:
    rc = main(["--db", str(db), "--staff", "cash1", "--pin", "1111", *(["--json"] if json_out else []), *args])
    out = capsys.readouterr()
    return rc, (json.loads(out.out) if json_out and rc == 0 else out.out + out.err)


def test_task_list_and_progress_as_json(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc, rows = _cli(db, capsys, "task", "list")
    assert rc == 0 and isinstance(rows, list)
    assert [(r["task_id"], r["level"], r["target"], r["unit"], r["points"]) for r in rows] == [
        ("buy3", "basic", 3, "count", 50), ("groom", "intermediate", 1, "count", 30),
        ("spend800", "advanced", 800_00, "fen", 200)]
    assert (rows[0]["started"], rows[0]["completed"]) == (1, 1)
    rc, got = _cli(db, capsys, "task", "progress", "--phone", PHONE)
    assert rc == 0 and isinstance(got, dict)
    by_id = {t["task_id"]: t for t in got["tasks"]}
    assert (by_id["buy3"]["state"], by_id["buy3"]["progress"], by_id["buy3"]["points"]) == ("completed", 3, 50)
    assert by_id["buy3"]["progress_id"] and by_id["groom"]["progress_id"] is None
    assert (by_id["spend800"]["state"], by_id["spend800"]["progress"]) == ("open", 300_00)
    rc, text = _cli(db, capsys, "task", "progress", "--phone", PHONE, json_out=False)
    assert rc == 0 and "初级  活动期间消费 3 次  3/3  已完成  50 积分" in str(text) and "¥300.00/¥800.00" in str(text)


def test_level_show_member_show_and_review(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc, st = _cli(db, capsys, "level", "show", "--phone", PHONE)
    assert rc == 0 and isinstance(st, dict)
    assert (st["level"], st["level_name"], st["points_multiplier"], st["next_name"], st["to_next_fen"]) == (
        "silver", "银卡", "1.2", "金卡", 2000_00)
    assert [(c["to_level"], c["reason"]) for c in st["history"]] == [("silver", "recharge")]
    rc, text = _cli(db, capsys, "member", "show", "--phone", PHONE, json_out=False)
    assert rc == 0 and "等级: 银卡" in str(text)
    rc, dto = _cli(db, capsys, "member", "show", "--phone", PHONE)
    assert rc == 0 and isinstance(dto, dict) and dto["level"] == "silver"
    # the recharge's 100 points, the task's 50, three purchases of 100 yuan at 银卡's x1.2 (pending for 7 days
    # after them, then spendable)
    assert dto["points"] + dto["points_pending"] == 100 + 50 + 3 * 12
    rc, text = _cli(db, capsys, "points", "history", "--phone", PHONE, json_out=False)
    assert rc == 0 and str(text).count("起可用") == 3  # each purchase's lot says when it is spendable
    rc, r = _cli(db, capsys, "level", "review")
    assert rc == 0 and isinstance(r, dict) and (r["reviewed"], r["changed"]) == (0, 0)


def test_an_unknown_member_is_refused_in_one_line(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc, text = _cli(db, capsys, "task", "progress", "--phone", "13900000009", json_out=False)
    assert rc == 2 and len(str(text).strip().splitlines()) == 1


def _member_count(db: Path) -> int:
    import sqlite3  # noqa: PLC0415

    with sqlite3.connect(db) as c:
        return int(c.execute("SELECT COUNT(*) FROM member").fetchone()[0])


def test_member_add_and_edit_take_a_birthday(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc, got = _cli(db, capsys, "member", "add", "--phone", "13900000009", "--birthday", "1990-05-01")
    assert rc == 0 and isinstance(got, dict) and got["birthday"] == "1990-05-01"
    n = _member_count(db)
    for bad in ("1990-02-30", "2999-01-01", "1899-12-31", "tomorrow"):  # not real, future, too old, not a date
        rc, text = _cli(db, capsys, "member", "add", "--phone", "13900000010", "--birthday", bad, json_out=False)
        assert rc == 2 and bad in str(text) and "Traceback" not in str(text)
        assert len(str(text).strip().splitlines()) == 1
        rc, text = _cli(db, capsys, "member", "edit", "--phone", PHONE, "--birthday", bad, json_out=False)
        assert rc == 2 and bad in str(text)
    assert _member_count(db) == n  # nothing written
    rc, got = _cli(db, capsys, "level", "show", "--phone", PHONE)
    assert rc == 0 and isinstance(got, dict) and got["birthday"] is None
    rc, got = _cli(db, capsys, "member", "edit", "--phone", PHONE, "--birthday", "1985/3/15")
    assert rc == 0 and isinstance(got, dict) and got["birthday"] == "1985-03-15"
    rc, text = _cli(db, capsys, "member", "show", "--phone", PHONE, json_out=False)
    assert rc == 0 and "1985-03-15" in str(text)
