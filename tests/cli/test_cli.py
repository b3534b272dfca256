"""`pos-app` through a real subprocess (`python -m pos_app --db FILE ...`), on a real SQLite file:
every use case, --json output, and every kind of bad input (one line on stderr, exit 2, nothing written)
and of refusal by role or PIN (exit 3)."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path

import pytest

# ~50 short-lived processes (each ~0.6 s of CPU to start Python, SQLAlchemy and the feature modules)
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "resources" / "campaigns" / "demo.toml"
TABLES = ("member", "staff", "campaign", "recharge", "spend", "refund", "wallet_entry", "points_lot",
          "entitlement", "audit_log", "outbox", "request_log")


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("POS_")}
    env["POS_LANG"] = "en"
    env["POS_CONFIG"] = "/nonexistent/pos_app.toml"
    return env


def run(db: Path, *args: str, staff: str | None = None, pin: str | None = None, json_out: bool = False,
        exe: list[str] | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    cmd = [*(exe or [sys.executable, "-m", "pos_app"]), "--db", str(db)]
    if json_out:
        cmd.append("--json")
    if staff:
        cmd += ["--staff", staff]
    if pin:
        cmd += ["--pin", pin]
    return subprocess.run([*cmd, *args], capture_output=True, text=True, env=env or _env(), timeout=60, cwd=ROOT)


def ok(p: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert p.returncode == 0, (p.returncode, p.stdout, p.stderr)
    return p


def counts(db: Path) -> dict[str, int]:
    with sqlite3.connect(db) as c:
        return {t: c.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in TABLES}


def campaign_file(tmp: Path) -> Path:
    """The demo campaign, running today (the CLI uses the real clock)."""
    text = DEMO.read_text(encoding="utf-8")
    today = date.today()
    text = text.replace('starts_on = "2026-11-01"', f'starts_on = "{today - timedelta(days=10)}"')
    text = text.replace('ends_on = "2027-01-31"', f'ends_on = "{today + timedelta(days=60)}"')
    path = tmp / "campaign.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def base_db(tmp_path_factory) -> Path:
    """init + a cashier + the campaign + one member, built once through the CLI itself."""
    tmp = tmp_path_factory.mktemp("cli")
    db = tmp / "store.db"
    p = ok(run(db, "init", "--manager", "boss", "--pin", "9999", json_out=True))
    assert json.loads(p.stdout) == {"db": str(db), "created": True}
    ok(run(db, "staff", "add", "--code", "c1", "--role", "cashier", "--pin", "1111", staff="boss", pin="9999"))
    ok(run(db, "campaign", "load", str(campaign_file(tmp)), staff="boss", pin="9999"))
    ok(run(db, "member", "add", "--phone", "13800138000", "--name", "陈一", staff="c1", pin="1111"))
    return db


@pytest.fixture
def db(base_db: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "store.db"
    with sqlite3.connect(base_db) as src, sqlite3.connect(copy) as dst:
        src.backup(dst)
    return copy


def test_demo_loads_once_and_the_demo_store_is_sound(tmp_path):
    db = tmp_path / "demo.db"
    p = ok(run(db, "demo", "--if-empty", json_out=True))
    info = json.loads(p.stdout)
    assert info["loaded"] is True and ["admin", "manager", "8888"] in info["staff"]
    assert json.loads(ok(run(db, "demo", "--if-empty", json_out=True)).stdout)["loaded"] is False
    rows = json.loads(ok(run(db, "member", "find", "1", staff="c01", pin="1111", json_out=True)).stdout)
    assert len(rows) == 6 and any(r["balance_fen"] > 0 for r in rows)
    ok(run(db, "doctor"))


def test_init_again_creates_nothing_and_staff_list(db):
    p = ok(run(db, "init", "--manager", "other", "--manager-pin", "1234", json_out=True))
    assert json.loads(p.stdout)["created"] is False
    rows = json.loads(ok(run(db, "staff", "list", staff="boss", pin="9999", json_out=True)).stdout)
    assert [(r["code"], r["role"]) for r in rows] == [("boss", "manager"), ("c1", "cashier")]


def test_staff_add_by_manager_and_new_account_can_log_in(db):
    p = ok(run(db, "staff", "add", "--code", "s1", "--role", "staff", "--pin", "2222", staff="boss", pin="9999",
               json_out=True))
    assert json.loads(p.stdout)["role"] == "staff"
    p = ok(run(db, "member", "show", "--phone", "13800138000", staff="s1", pin="2222"))
    assert "13800138000" in p.stdout


def test_member_add_show_find_with_invite_code(db):
    a = json.loads(ok(run(db, "member", "show", "--phone", "13800138000", staff="c1", pin="1111", json_out=True)).stdout)
    for key in ("member_id", "member_code", "invite_code", "phone", "principal_fen", "bonus_fen", "balance_fen", "points"):
        assert key in a
    assert (a["phone"], a["balance_fen"], a["points"]) == ("13800138000", 0, 0)
    b = json.loads(ok(run(db, "member", "add", "--phone", "139 0013 9000", "--invite-code", a["invite_code"],
                          staff="c1", pin="1111", json_out=True)).stdout)
    assert b["inviter_id"] == a["member_id"]
    by_code = json.loads(ok(run(db, "member", "show", "--code", b["member_code"], staff="c1", pin="1111",
                                json_out=True)).stdout)
    assert by_code["member_id"] == b["member_id"]
    found = json.loads(ok(run(db, "member", "find", "13", staff="c1", pin="1111", json_out=True)).stdout)
    assert [f["phone"] for f in found] == ["13800138000", "13900139000"]


def test_campaign_list_and_show(db):
    rows = json.loads(ok(run(db, "campaign", "list", staff="c1", pin="1111", json_out=True)).stdout)
    assert [(r["code"], r["active"]) for r in rows] == [("DEMO-RECHARGE", True)]
    c = json.loads(ok(run(db, "campaign", "show", "DEMO-RECHARGE", staff="c1", pin="1111", json_out=True)).stdout)
    assert [(t["code"], t["pay_fen"], t["bonus_fen"]) for t in c["tiers"]] == [
        ("basic", 50000, 5000), ("advanced", 100000, 15000), ("luxury", 200000, 40000),
    ]
    assert "basic" in ok(run(db, "campaign", "show", rows[0]["campaign_id"], staff="c1", pin="1111")).stdout


def test_recharge_spend_refund_json(db):
    r = json.loads(ok(run(db, "recharge", "--phone", "13800138000", "--amount", "1000", "--pay", "wechat",
                          staff="c1", pin="1111", json_out=True)).stdout)
    assert (r["principal_fen"], r["bonus_fen"], r["balance_fen"], r["points"], r["tier_code"]) == (
        100000, 15000, 115000, 100, "advanced")
    assert r["recharge_id"] and r["pay_method"] == "wechat"
    assert sorted(i["kind"] for i in r["items"]) == ["coupon", "coupon", "gift", "voucher"]
    assert all(i["state"] in ("owed", "issued", "handed_out") for i in r["items"])
    s = json.loads(ok(run(db, "spend", "--phone", "13800138000", "--amount", "99.90", staff="c1", pin="1111",
                          json_out=True)).stdout)
    assert (s["amount_fen"], s["principal_fen"] + s["bonus_fen"], s["balance_fen"]) == (9990, 9990, 105010)
    p = run(db, "refund", "--recharge", r["recharge_id"], staff="c1", pin="1111")
    assert p.returncode == 3 and len(p.stderr.strip().splitlines()) == 1
    rf = json.loads(ok(run(db, "refund", "--recharge", r["recharge_id"], staff="boss", pin="9999",
                           json_out=True)).stdout)
    assert rf["principal_refund_fen"] == 100000 - s["principal_fen"]
    assert rf["bonus_revoke_fen"] == 15000 - s["bonus_fen"]
    assert (rf["balance_fen"], rf["points_revoked"]) == (0, 100)
    human = ok(run(db, "statement", "--phone", "13800138000", staff="c1", pin="1111")).stdout
    assert "refund" in human and "spend" in human and "recharge" in human
    assert ok(run(db, "doctor")).stdout.strip().endswith("All checks passed")


def test_tier_recharge_without_amount_and_human_output(db):
    p = ok(run(db, "recharge", "--phone", "13800138000", "--tier", "basic", staff="c1", pin="1111"))
    assert "¥500.00" in p.stdout and "¥50.00" in p.stdout and "recharge_id" in p.stdout


def test_double_submission_with_the_same_request_id_has_one_effect(db):
    args = ("recharge", "--phone", "13800138000", "--amount", "500", "--request-id", "till-1-0001")
    first = json.loads(ok(run(db, *args, staff="c1", pin="1111", json_out=True)).stdout)
    before = counts(db)
    again = json.loads(ok(run(db, *args, staff="c1", pin="1111", json_out=True)).stdout)
    assert again == first
    assert counts(db) == before
    p = run(db, "recharge", "--phone", "13800138000", "--amount", "600", "--request-id", "till-1-0001",
            staff="c1", pin="1111")
    assert p.returncode == 2 and counts(db) == before
    s1 = ok(run(db, "spend", "--phone", "13800138000", "--amount", "10", "--request-id", "sp-9", staff="c1",
                pin="1111", json_out=True)).stdout
    s2 = ok(run(db, "spend", "--phone", "13800138000", "--amount", "10", "--request-id", "sp-9", staff="c1",
                pin="1111", json_out=True)).stdout
    assert s1 == s2 and json.loads(s2)["balance_fen"] == 540_00


BAD = [
    ("recharge", "--phone", "13800138000", "--amount", "-5"),
    ("recharge", "--phone", "13800138000", "--amount", "abc"),
    ("recharge", "--phone", "13800138000", "--amount", "1.234"),
    ("recharge", "--phone", "13800138000", "--amount", "99999999999"),
    ("recharge", "--phone", "13800138000", "--amount", "0"),
    ("recharge", "--phone", "1380013800", "--amount", "100"),
    ("recharge", "--phone", "13900000000", "--amount", "100"),
    ("recharge", "--phone", "13800138000", "--tier", "gold"),
    ("recharge", "--phone", "13800138000", "--amount", "4999"),  # 4999 + 400 bonus passes the 5000 cap
    ("recharge", "--phone", "13800138000", "--amount", "100", "--pay", "bitcoin"),
    ("recharge", "--phone", "13800138000", "--amount", "100", "--request-id", "bad id!"),
    ("recharge", "--amount", "100"),
    ("spend", "--phone", "13800138000", "--amount", "1"),  # balance is 0
    ("member", "add", "--phone", "12345"),
    ("member", "add", "--phone", "13800138000"),  # already a member
    ("member", "add", "--phone", "13700137000", "--invite-code", "ZZZZZZ"),
    ("member", "show", "--phone", "13900000000"),
    ("refund", "--recharge", "no-such-recharge"),
    ("campaign", "load", "/nonexistent/campaign.toml"),
    ("staff", "add", "--code", "x1", "--role", "cashier", "--pin", "12"),
]


def run_many(db: Path, cases: list[tuple[str, ...]], **kw) -> list[subprocess.CompletedProcess[str]]:
    """Independent CLI calls side by side (each is a separate process; they only read this database)."""
    with ThreadPoolExecutor(max_workers=4) as pool:
        return list(pool.map(lambda args: run(db, *args, **kw), cases))


def test_bad_input_exits_2_with_one_line_and_writes_nothing(base_db):
    """Every case against the shared database: nothing may change, whatever the input."""
    before = counts(base_db)
    failures = []
    for args, p in zip(BAD, run_many(base_db, BAD, staff="boss", pin="9999"), strict=True):
        lines = p.stderr.strip().splitlines()
        if p.returncode != 2 or len(lines) != 1 or not lines[0].strip() or "Traceback" in p.stderr or p.stdout:
            failures.append((" ".join(args), p.returncode, p.stdout, p.stderr))
    assert failures == []
    assert counts(base_db) == before


def test_bad_campaign_files_exit_2(base_db, tmp_path):
    before = counts(base_db)
    corrupt = tmp_path / "corrupt.toml"
    corrupt.write_text("[campaign\ncode = = =", encoding="utf-8")
    wrong = tmp_path / "wrong.toml"
    wrong.write_text('[campaign]\ncode = "X"\nstarts_on = "2026-01-01"\nends_on = "2025-01-01"\n', encoding="utf-8")
    binary = tmp_path / "binary.toml"
    binary.write_bytes(b"\x00\xff\xfe\x01")
    for f in (corrupt, wrong, binary):
        p = run(base_db, "campaign", "load", str(f), staff="boss", pin="9999")
        assert p.returncode == 2 and len(p.stderr.strip().splitlines()) == 1, p.stderr
    assert counts(base_db) == before


def test_wrong_pin_and_missing_login_exit_3(base_db):
    before = counts(base_db)
    with ThreadPoolExecutor(max_workers=3) as pool:
        procs = list(pool.map(
            lambda kw: run(base_db, "recharge", "--phone", "13800138000", "--amount", "100", **kw),
            ({"staff": "c1", "pin": "0000"}, {"staff": "nobody", "pin": "1111"}, {}),
        ))
    for p in procs:
        assert p.returncode == 3, p.stderr
        assert len(p.stderr.strip().splitlines()) == 1
    after = counts(base_db)
    # nothing written but the audit rows of the two failed logins (issue 15: each failure is audited)
    assert after.pop("audit_log") == before.pop("audit_log") + 2
    assert after == before


def test_cashier_may_not_refund_or_add_staff_or_load_campaigns_exit_3(base_db):
    before = counts(base_db)
    cases = [("staff", "add", "--code", "x2", "--role", "cashier", "--pin", "1234"), ("staff", "list"),
             ("refund", "--recharge", "whatever"), ("campaign", "load", str(DEMO))]
    for args, p in zip(cases, run_many(base_db, cases, staff="c1", pin="1111"), strict=True):
        assert p.returncode == 3, (args, p.stderr)
        assert "cashier" in p.stderr and len(p.stderr.strip().splitlines()) == 1
    assert counts(base_db) == before


def test_login_from_environment_and_chinese_messages(base_db):
    env = _env() | {"POS_STAFF": "c1", "POS_PIN": "1111", "POS_LANG": "zh_CN"}
    p = run(base_db, "member", "show", "--phone", "13800138000", json_out=True, env=env)
    assert p.returncode == 0 and json.loads(p.stdout)["phone"] == "13800138000"
    p = run(base_db, "recharge", "--phone", "13800138000", "--amount", "-5", env=env)
    assert p.returncode == 2 and "金额不能为负数" in p.stderr


def test_db_from_environment_variable(base_db):
    env = _env() | {"POS_DB": str(base_db)}
    p = subprocess.run([sys.executable, "-m", "pos_app", "--json", "doctor"], capture_output=True, text=True,
                       env=env, timeout=60, cwd=ROOT)
    assert p.returncode == 0 and json.loads(p.stdout)["ok"] is True


def test_console_script_pos_app_works_like_python_m(base_db):
    exe = shutil.which("pos-app", path=str(Path(sys.executable).parent))
    assert exe, "the pos-app console script is installed next to the interpreter"
    a = run(base_db, "member", "show", "--phone", "13800138000", staff="c1", pin="1111", json_out=True)
    b = run(base_db, "member", "show", "--phone", "13800138000", staff="c1", pin="1111", json_out=True, exe=[exe])
    assert a.returncode == b.returncode == 0 and a.stdout == b.stdout


def test_doctor_fails_on_a_tampered_database_and_says_what(db):
    with sqlite3.connect(db) as c:
        c.execute("UPDATE member SET principal_fen = 12345 WHERE phone = '13800138000'")
    p = run(db, "doctor")
    assert p.returncode == 1
    assert "[FAIL] balance_equals_ledger" in p.stdout and "13800138000" in p.stdout
    rep = json.loads(run(db, "--json", "doctor").stdout)
    assert rep["ok"] is False


def test_not_a_database_file_is_one_line_exit_2(tmp_path):
    junk = tmp_path / "junk.db"
    junk.write_text("this is not sqlite" * 100)
    p = run(junk, "doctor")
    assert p.returncode == 2 and len(p.stderr.strip().splitlines()) == 1 and "Traceback" not in p.stderr


def test_uninitialised_database_tells_to_run_init(tmp_path):
    p = run(tmp_path / "new.db", "member", "show", "--phone", "13800138000", staff="a", pin="1234")
    assert p.returncode in (2, 3) and len(p.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--staff", "boss", "--pin", "9999", "staff", "add", "--code", "c2", "--role", "cashier", "--pin", "1234"],
         ["--staff", "boss", "--pin", "9999", "staff", "add", "--code", "c2", "--role", "cashier", "--new-pin", "1234"]),
        (["staff", "add", "--code", "c2", "--role", "cashier", "--pin", "1234", "--staff", "boss", "--pin", "9999"],
         ["staff", "add", "--code", "c2", "--role", "cashier", "--new-pin", "1234", "--staff", "boss", "--pin", "9999"]),
        (["staff", "add", "--code", "c2", "--role", "cashier", "--staff", "boss", "--pin", "9999"],
         ["staff", "add", "--code", "c2", "--role", "cashier", "--staff", "boss", "--pin", "9999"]),
        (["--staff", "staff", "--pin", "1", "member", "add", "--phone", "13800138000"],
         ["--staff", "staff", "--pin", "1", "member", "add", "--phone", "13800138000"]),
    ],
)
def test_staff_add_pin_means_the_new_accounts_pin_and_the_login_pin_stays(argv, expected):
    from pos_app.cli import _fix_staff_pin_clash

    assert _fix_staff_pin_clash(argv) == expected


def test_statement_and_gift_movements_show_store_local_time(db: Path) -> None:
    """Stored in UTC, shown in the store's zone (Asia/Shanghai by default): the human lines carry local time."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    ok(run(db, "recharge", "--phone", "13800138000", "--amount", "300", staff="c1", pin="1111"))
    rows = json.loads(ok(run(db, "statement", "--phone", "13800138000", staff="c1", pin="1111", json_out=True)).stdout)
    utc = datetime.fromisoformat(rows[0]["created_at"])
    shown = ok(run(db, "statement", "--phone", "13800138000", staff="c1", pin="1111")).stdout.splitlines()[0]
    local = utc.astimezone(ZoneInfo("Asia/Shanghai"))
    assert shown.startswith(local.strftime("%Y-%m-%d %H:%M")), (shown, utc)
    assert local.utcoffset() != utc.utcoffset()  # a real conversion, not the UTC text
    ok(run(db, "gift", "add", "TOY-001", "宠物玩具", "--value", "39", staff="boss", pin="9999"))
    ok(run(db, "gift", "receive", "TOY-001", "5", staff="boss", pin="9999"))
    mv = json.loads(ok(run(db, "gift", "movements", staff="boss", pin="9999", json_out=True)).stdout)[0]
    line = ok(run(db, "gift", "movements", staff="boss", pin="9999")).stdout.splitlines()[0]
    assert line.startswith(datetime.fromisoformat(mv["created_at"]).astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M"))
