"""Hostile and unlucky inputs through a real `pos-app` subprocess on a real SQLite file (issue 9, items
11, 12, 16-18): each is refused with exit code 2 (3 for a missing or wrong login), exactly one line on
stderr, no traceback, and nothing written (the table counts are compared before and after)."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

from tests.cli.test_cli import DEMO, ROOT, _env, campaign_file, counts, ok, run

pytestmark = pytest.mark.slow

BOSS = {"staff": "boss", "pin": "9999"}
ADMIN = {"staff": "admin", "pin": "8888"}


def refused(p: subprocess.CompletedProcess[str], rc: int = 2) -> str:
    """Exit ``rc``, one line on stderr, no traceback, nothing on stdout; the line."""
    lines = p.stderr.strip().splitlines()
    assert p.returncode == rc, (p.returncode, p.stdout, p.stderr)
    assert len(lines) == 1 and lines[0].strip(), p.stderr
    assert "Traceback" not in p.stderr and not p.stdout, (p.stdout, p.stderr)
    return lines[0]


def copy_db(src: Path, dst: Path) -> Path:
    with sqlite3.connect(src) as a, sqlite3.connect(dst) as b:
        a.backup(b)
    return dst


@pytest.fixture(scope="module")
def demo_base(tmp_path_factory) -> Path:
    """The demo store (gift catalogue, coupons, members), loaded once by `demo --if-empty`, no login."""
    db = tmp_path_factory.mktemp("hostile") / "demo.db"
    ok(run(db, "demo", "--if-empty"))
    return db


@pytest.fixture
def demo_db(demo_base: Path, tmp_path: Path) -> Path:
    return copy_db(demo_base, tmp_path / "store.db")


@pytest.fixture(scope="module")
def live_base(tmp_path_factory) -> Path:
    """A live store that is not the demo: its own manager, campaign and member."""
    tmp = tmp_path_factory.mktemp("live")
    db = tmp / "live.db"
    ok(run(db, "init", "--manager", "boss", "--pin", "9999"))
    ok(run(db, "staff", "add", "--code", "c01", "--role", "cashier", "--pin", "4321", **BOSS))
    ok(run(db, "campaign", "load", str(campaign_file(tmp)), **BOSS))
    ok(run(db, "member", "add", "--phone", "13800138000", "--name", "陈一", **BOSS))
    return db


@pytest.fixture
def live_db(live_base: Path, tmp_path: Path) -> Path:
    return copy_db(live_base, tmp_path / "store.db")


def campaign_row(db: Path) -> tuple[str, str, int]:
    with sqlite3.connect(db) as c:
        return c.execute("SELECT starts_on, ends_on, version FROM campaign").fetchone()


# ----------------------------------------------------------------------------- item 11 and 12: demo


def test_demo_on_a_live_store_refuses_with_a_reason_and_writes_nothing(live_db: Path) -> None:
    before, camp = counts(live_db), campaign_row(live_db)
    line = refused(run(live_db, "demo"))
    assert "already has data" in line and "--reload" in line  # not "wrong staff code or PIN"
    assert "PIN" not in line.split("(")[0]
    refused(run(live_db, "demo", "--reload"), rc=3)  # never without a login
    refused(run(live_db, "demo", "--reload", staff="c01", pin="4321"), rc=3)  # a cashier may not
    refused(run(live_db, "demo", "--reload", staff="boss", pin="0000"), rc=3)
    before["audit_log"] += 1  # the wrong PIN's audit row (issue 15: each failed login is audited), nothing else
    assert counts(live_db) == before and campaign_row(live_db) == camp
    p = ok(run(live_db, "demo", "--if-empty", json_out=True))  # what `make run` does: nothing, exit 0
    assert json.loads(p.stdout)["loaded"] is False
    assert counts(live_db) == before and campaign_row(live_db) == camp


def test_demo_reload_by_a_manager_acts_as_that_manager_and_spares_real_members(live_db: Path) -> None:
    with sqlite3.connect(live_db) as c:
        bal = c.execute("SELECT principal_fen, bonus_fen FROM member WHERE phone = '13800138000'").fetchone()
        boss_id = c.execute("SELECT id FROM staff WHERE code = 'boss'").fetchone()[0]
        seen = c.execute("SELECT MAX(rowid) FROM audit_log").fetchone()[0]
    ok(run(live_db, "demo", "--reload", **BOSS))
    with sqlite3.connect(live_db) as c:
        assert c.execute("SELECT principal_fen, bonus_fen FROM member WHERE phone = '13800138000'").fetchone() == bal
        actors = {r[0] for r in c.execute("SELECT staff_id FROM audit_log WHERE rowid > ?", (seen,))}
        admin = c.execute("SELECT id FROM staff WHERE code = 'admin'").fetchone()
    assert admin is None  # the store already had a manager: no demo manager is made
    assert actors == {boss_id}, actors  # audited as the manager who asked, never as "admin"
    assert ok(run(live_db, "doctor")).stdout.strip().endswith("All checks passed")


def test_demo_on_an_empty_store_needs_no_login_and_a_second_plain_demo_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "fresh.db"
    ok(run(db, "demo"))  # a new store: nobody exists yet, so no login
    before = counts(db)
    assert "already has data" in refused(run(db, "demo"))
    assert counts(db) == before


# ----------------------------------------------------------------------------- item 16: campaign files


def _file(tmp: Path, name: str, body: str) -> Path:
    p = tmp / name
    p.write_text(body, encoding="utf-8")
    return p


HEAD = '[campaign]\ncode = "{code}"\nstarts_on = "{starts}"\nends_on = "{ends}"\n'


def _head(code: str, starts: date, ends: date) -> str:
    return HEAD.format(code=code, starts=starts, ends=ends)


def test_campaign_files_that_cannot_work_are_refused(demo_db: Path, tmp_path: Path) -> None:
    far = date.today() + timedelta(days=400)
    later = far + timedelta(days=30)
    files = {
        "not in the gift catalogue": _head("X1", far, later) + '[[tiers]]\ncode = "t"\npay = "500"\n'
        '  [[tiers.gifts]]\n  sku = "NO-SUCH-GIFT"\n',
        "referral.new_member_rewards": _head("X1B", far, later) + '[referral]\n  [[referral.new_member_rewards]]\n'
        '  kind = "gift"\n  sku = "NO-SUCH-GIFT"\n',
        "more than 100%": _head("X2", far, later) + '[[tiers]]\ncode = "t"\npay = "500"\nbonus = "10000"\n',
        "differ only in case": _head("X3", far, later) + '[[tiers]]\ncode = "BASIC"\npay = "500"\n'
        '[[tiers]]\ncode = "basic"\npay = "600"\n',
        "overlaps": _head("X4", date.today(), date.today() + timedelta(days=5)) + '[[tiers]]\ncode = "t"\npay = "300"\n',
    }
    before = counts(demo_db)
    for i, (expected, body) in enumerate(files.items()):
        line = refused(run(demo_db, "campaign", "load", str(_file(tmp_path, f"c{i}.toml", body)), **ADMIN))
        assert expected in line, (expected, line)
    assert counts(demo_db) == before


def test_a_larger_bonus_ratio_is_allowed_when_the_file_says_so(demo_db: Path, tmp_path: Path) -> None:
    far = date.today() + timedelta(days=400)
    body = _head("GENEROUS", far, far + timedelta(days=9)).replace(
        "[campaign]\n", '[campaign]\nmax_bonus_percent = "300"\n') + '[[tiers]]\ncode = "t"\npay = "500"\nbonus = "1000"\n'
    ok(run(demo_db, "campaign", "load", str(_file(tmp_path, "g.toml", body)), **ADMIN))


def test_an_overlapping_campaign_needs_replace_and_the_list_says_which_applies(demo_db: Path, tmp_path: Path) -> None:
    body = _head("FLASH", date.today() - timedelta(days=1), date.today() + timedelta(days=5)) + (
        '[[tiers]]\ncode = "flash"\npay = "300"\nbonus = "30"\n')
    f = _file(tmp_path, "flash.toml", body)
    refused(run(demo_db, "campaign", "load", str(f), **ADMIN))
    ok(run(demo_db, "campaign", "load", str(f), "--replace", **ADMIN))
    rows = json.loads(ok(run(demo_db, "campaign", "list", json_out=True, **ADMIN)).stdout)
    assert sorted((r["code"], r["active"]) for r in rows) == [("DEMO-RECHARGE", False), ("FLASH", True)]
    lines = ok(run(demo_db, "campaign", "list", **ADMIN)).stdout.splitlines()
    demo_line = next(x for x in lines if x.startswith("DEMO-RECHARGE"))
    assert "FLASH applies" in demo_line and not demo_line.rstrip().endswith("*")


# ----------------------------------------------------------------------------- item 17: files, bytes, pipes


def _a_coupon(db: Path) -> str:
    return str(json.loads(ok(run(db, "coupon", "list", json_out=True, **ADMIN)).stdout)[0]["code"])


def test_bad_output_paths_are_one_line_and_write_nothing(demo_db: Path, tmp_path: Path) -> None:
    code = _a_coupon(demo_db)
    tmp_path = tmp_path / "out"  # beside the store database, which is not an output
    tmp_path.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me", encoding="utf-8")
    link_pdf, link_png = tmp_path / "link.pdf", tmp_path / "link.png"
    link_pdf.symlink_to(victim)
    link_png.symlink_to(victim)
    (tmp_path / "folder.pdf").mkdir()
    (tmp_path / "folder.png").mkdir()
    cases = [
        ("coupon", "print", code, "--out", str(tmp_path)),
        ("coupon", "print", code, "--out", str(tmp_path / "folder.pdf")),
        ("coupon", "print", code, "--out", str(tmp_path / "missing" / "c.pdf")),
        ("coupon", "print", code, "--out", "/dev/full"),
        ("coupon", "print", code, "--out", str(link_pdf)),
        ("invite", "card", "--phone", "13800138000", "--out", str(tmp_path / "folder.png")),
        ("invite", "card", "--phone", "13800138000", "--out", str(tmp_path / "missing" / "c.png")),
        ("invite", "card", "--phone", "13800138000", "--out", str(link_png)),
        ("gift", "export", "--out", str(tmp_path / "missing" / "s.csv")),
    ]
    if os.geteuid() != 0:  # root writes anywhere
        ro = tmp_path / "ro"
        ro.mkdir(mode=0o555)
        cases.append(("coupon", "print", code, "--out", str(ro / "c.pdf")))
    before = counts(demo_db)
    for args in cases:
        refused(run(demo_db, *args, **ADMIN))
    assert victim.read_text(encoding="utf-8") == "keep me"
    assert not (tmp_path / "missing").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["folder.pdf", "folder.png", "link.pdf", "link.png",
                                                         *(["ro"] if os.geteuid() != 0 else []), "victim.txt"]
    assert counts(demo_db) == before
    ok(run(demo_db, "coupon", "print", code, "--out", str(link_pdf), "--force", **ADMIN))
    assert victim.read_bytes().startswith(b"%PDF") and link_pdf.is_symlink()


@pytest.mark.parametrize(("device", "malformed"), [
    ("foo", True), ("network:", True), ("network:printer:99999", True), ("usb:zz:1", True), ("file:", True),
    ("network:127.0.0.1:1", False), ("file:/nonexistent/dir/lp0", False),
])
def test_bad_escpos_targets_are_one_line(demo_db: Path, tmp_path: Path, device: str, malformed: bool) -> None:
    code = _a_coupon(demo_db)
    out = tmp_path / "c.pdf"
    line = refused(run(demo_db, "coupon", "print", code, "--escpos", device, "--out", str(out), **ADMIN))
    assert "printer" in line and device in line
    if malformed:  # refused before the PDF is written
        assert not out.exists()


def test_a_gbk_stocktake_sheet_is_read_and_a_fake_xlsx_refused(demo_db: Path, tmp_path: Path) -> None:
    text = "SKU,名称,应有,实盘\nTOY-001,宠物玩具,0,7\n"
    for enc, name in (("gbk", "gbk.csv"), ("gb18030", "gb18030.csv"), ("utf-8-sig", "bom.csv"), ("utf-8", "plain.csv")):
        (tmp_path / name).write_bytes(text.encode(enc))
        lines = json.loads(ok(run(demo_db, "gift", "stocktake", "--counts", str(tmp_path / name), json_out=True,
                                  **ADMIN)).stdout)["lines"]
        assert [(c["sku"], c["counted"]) for c in lines if c["sku"] == "TOY-001"] == [("TOY-001", 7)], name
    fake = tmp_path / "counts.xlsx"
    fake.write_text("SKU,counted\nTOY-001,7\n", encoding="utf-8")
    before = counts(demo_db)
    assert "counts.xlsx" in refused(run(demo_db, "gift", "stocktake", "--counts", str(fake), **ADMIN))
    assert counts(demo_db) == before


def test_non_utf8_argument_bytes_are_refused_before_anything_runs(demo_db: Path) -> None:
    before = counts(demo_db)
    gbk = "陈二".encode("gbk")
    base = [sys.executable.encode(), b"-m", b"pos_app", b"--db", str(demo_db).encode(), b"--staff", b"admin",
            b"--pin", b"8888"]
    for args in ([b"member", b"add", b"--phone", b"13711112222", b"--name", gbk],
                 [b"spend", b"--phone", b"13800138000", b"--amount", b"1", b"--note", gbk],
                 [b"coupon", b"issue", b"--template", b"PET20", b"--reason", gbk]):
        p = subprocess.run(base + args, capture_output=True, text=True, env=_env(), timeout=60, cwd=ROOT)
        assert "UTF-8" in refused(p)
    assert counts(demo_db) == before


def test_recharge_on_a_read_only_database_is_one_line(demo_db: Path) -> None:
    before = counts(demo_db)
    if os.geteuid() == 0:  # root ignores file modes: make the file immutable instead
        if shutil.which("chattr") is None or subprocess.run(["chattr", "+i", str(demo_db)]).returncode != 0:
            pytest.skip("running as root on a file system without immutable files")
        undo = ["chattr", "-i", str(demo_db)]
    else:
        demo_db.chmod(0o444)
        undo = ["chmod", "644", str(demo_db)]
    try:
        for args in (("recharge", "--phone", "13800138000", "--amount", "100"),
                     ("spend", "--phone", "13800138000", "--amount", "1")):
            assert "read-only" in refused(run(demo_db, *args, staff="c01", pin="1111"))
    finally:
        subprocess.run(undo, check=True)
    assert counts(demo_db) == before


def test_json_into_a_closed_pipe_exits_quietly(demo_db: Path) -> None:
    cmd = [sys.executable, "-m", "pos_app", "--db", str(demo_db), "--json", "--staff", "admin", "--pin", "8888",
           "member", "find", "1"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_env(), cwd=ROOT)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # the reader is gone before the command writes (like `| head -0`)
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 0 and err == "", err


def test_a_deeply_nested_campaign_file_is_one_line(demo_db: Path, tmp_path: Path) -> None:
    deep = tmp_path / "deep.toml"
    deep.write_text("a = " + "[" * 5000, encoding="utf-8")
    before = counts(demo_db)
    assert "deep" in refused(run(demo_db, "campaign", "load", str(deep), **ADMIN))
    assert counts(demo_db) == before


# ----------------------------------------------------------------------------- item 18


def test_gift_handout_qty_below_one_is_refused(demo_db: Path) -> None:
    owed = json.loads(ok(run(demo_db, "gift", "owed", json_out=True, **ADMIN)).stdout)
    phone = owed[0]["phone"]
    before = counts(demo_db)
    for qty in ("0", "-1"):
        assert "at least 1" in refused(run(demo_db, "gift", "handout", "--phone", phone, "--qty", qty, **ADMIN))
        sku = owed[0]["sku"]
        refused(run(demo_db, "gift", "handout", "--phone", phone, "--sku", sku, "--qty", qty, **ADMIN))
    assert counts(demo_db) == before


def test_member_find_treats_like_wildcards_as_text(demo_db: Path) -> None:
    for q in ("_", "%", "陈_", "\\"):
        assert json.loads(ok(run(demo_db, "member", "find", q, json_out=True, **ADMIN)).stdout) == [], q
    ok(run(demo_db, "member", "add", "--phone", "13711112222", "--name", "A_B 100%", **ADMIN))
    rows = json.loads(ok(run(demo_db, "member", "find", "_B 100%", json_out=True, **ADMIN)).stdout)
    assert [r["phone"] for r in rows] == ["13711112222"]


@pytest.mark.parametrize("bad", ["\x1b[2J", "\x07", "\u202e", "\u200f", "\x7f", "\ufeff"])
def test_control_characters_in_free_text_are_refused(demo_db: Path, bad: str) -> None:
    before = counts(demo_db)
    text = f"a{bad}b"
    for args in (("member", "add", "--phone", "13711112222", "--name", text),
                 ("spend", "--phone", "13800138000", "--amount", "1", "--note", text),
                 ("coupon", "issue", "--template", "PET20", "--reason", text),
                 ("gift", "adjust", "TOY-001", "--delta", "1", "--reason", text),
                 ("staff", "add", "--code", "x9", "--role", "cashier", "--pin", "1234", "--name", text),
                 ("coupon", "template", "add", "--code", "T9", "--name", text, "--kind", "amount_off", "--value", "5",
                  "--valid-days", "30")):
        line = refused(run(demo_db, *args, **ADMIN))
        assert f"U+{ord(bad[0]):04X}" in line and bad not in line, (args, line)
    assert counts(demo_db) == before


def test_one_length_limit_for_notes_and_reasons(demo_db: Path) -> None:
    before = counts(demo_db)
    long = "x" * 10_000
    for args in (("spend", "--phone", "13800138000", "--amount", "1", "--note", long),
                 ("coupon", "issue", "--template", "PET20", "--reason", long),
                 ("coupon", "void", _a_coupon(demo_db), "--reason", long),
                 ("gift", "adjust", "TOY-001", "--delta", "1", "--reason", long)):
        line = refused(run(demo_db, *args, **ADMIN))
        assert "200" in line and "¥" not in line, (args, line)
    assert counts(demo_db) == before
    ok(run(demo_db, "spend", "--phone", "13800138000", "--amount", "1", "--note", "x" * 200, **ADMIN))


def test_staff_codes_are_case_insensitive_and_full_width_pins_can_be_typed_back(demo_db: Path) -> None:
    before = counts(demo_db)
    assert "c01" in refused(run(demo_db, "staff", "add", "--code", "C01", "--role", "cashier", "--pin", "3333", **ADMIN))
    assert counts(demo_db) == before
    ok(run(demo_db, "staff", "add", "--code", "K02", "--role", "cashier", "--pin", "１２３４", **ADMIN))
    rows = json.loads(ok(run(demo_db, "staff", "list", json_out=True, **ADMIN)).stdout)
    assert "k02" in [r["code"] for r in rows]
    ok(run(demo_db, "member", "show", "--phone", "13800138000", staff="K02", pin="1234"))
    ok(run(demo_db, "member", "show", "--phone", "13800138000", staff="k02", pin="１２３４"))


def test_an_existing_case_clash_in_the_data_does_not_crash_login(demo_db: Path) -> None:
    with sqlite3.connect(demo_db) as c:  # made by an older version, before codes were normalised
        c.execute("INSERT INTO staff (id, code, name, role, pin_hash, active, created_at) "
                  "SELECT id || 'x', 'C01', name, role, pin_hash, active, created_at FROM staff WHERE code = 'c01'")
    ok(run(demo_db, "member", "show", "--phone", "13800138000", staff="c01", pin="1111"))
    ok(run(demo_db, "member", "show", "--phone", "13800138000", staff="C01", pin="1111"))
    refused(run(demo_db, "staff", "add", "--code", "c01", "--role", "cashier", "--pin", "3333", **ADMIN))


def test_tier_recharge_after_the_campaign_ended_says_so(tmp_path: Path) -> None:
    db = tmp_path / "ended.db"
    ok(run(db, "init", "--manager", "boss", "--pin", "9999"))
    ended = DEMO.read_text(encoding="utf-8")
    ended = ended.replace('starts_on = "2026-11-01"', f'starts_on = "{date.today() - timedelta(days=60)}"')
    ended = ended.replace('ends_on = "2027-01-31"', f'ends_on = "{date.today() - timedelta(days=3)}"')
    ok(run(db, "campaign", "load", str(_file(tmp_path, "ended.toml", ended)), **BOSS))
    ok(run(db, "member", "add", "--phone", "13800138000", **BOSS))
    before = counts(db)
    line = refused(run(db, "recharge", "--phone", "13800138000", "--tier", "basic", **BOSS))
    assert "ended" in line and "DEMO-RECHARGE" in line and "amount" not in line
    assert counts(db) == before


def test_count_messages_show_counts_not_money(demo_db: Path) -> None:
    line = refused(run(demo_db, "coupon", "issue", "--template", "PET20", "--count", "0", "--reason", "x", **ADMIN))
    assert "1000" in line and "¥" not in line
    line = refused(run(demo_db, "member", "add", "--phone", "13711112222", "--name", "名" * 41, **ADMIN))
    assert "40" in line and "¥" not in line
