"""Staff commands and the PIN lockout through real `pos-app` subprocesses on a real SQLite file: wrong PINs
lock the account (exit 3, the locked message), the lock holds on every path, a manager unlocks, and every
manager-only command is refused for a cashier (exit 3, nothing written) and done for a manager."""

from __future__ import annotations

import shutil
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from pos_app.domain import roles
from pos_app.domain.errors import AuthenticationFailed
from pos_app.services import coupons, gifts, members, staff, wallet
from tests.cli.test_cli import TABLES, campaign_file, counts, ok, run
from tests.conftest import make_store

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """A store with boss (manager), cash1 (cashier), shelf1 (staff), the demo campaign, a recharge, a
    member's coupon and a gift: built once, copied for each test."""
    path = tmp_path_factory.mktemp("staffcli") / "template.db"
    s = make_store(path)
    mem = members.register_member(s.ctx, s.cashier, phone="13800138000")
    rc = wallet.recharge(s.ctx, s.cashier, member_id=mem.member_id, tier_code="basic")
    coupon = coupons.issue_coupons(s.ctx, s.manager, template_code="PET20", member_id=mem.member_id, count=1,
                                   reason="test")[0]
    for sku, name in (("TEST-GIFT", "测试礼品"), ("TOY-001", "玩具"), ("FOOD-BOX", "食品礼盒")):
        gifts.add_gift(s.ctx, s.manager, sku=sku, name=name)
    staff.add_staff(s.ctx, s.manager, code="tgt1", role="staff", pin="3333")
    s.ctx.db.dispose()
    return path, {"recharge": rc.recharge_id, "coupon": coupon.code}


@pytest.fixture
def db(template_db, tmp_path: Path) -> Path:
    target = tmp_path / "store.db"
    shutil.copy(template_db[0], target)
    return target


def _locked_until(db: Path, code: str) -> str | None:
    with sqlite3.connect(db) as c:
        row = c.execute("SELECT locked_until FROM staff WHERE code = ?", (code,)).fetchone()
    return row[0] if row else None


def test_five_wrong_pins_lock_the_cli_login_until_unlocked_or_expired(db):
    for i in range(5):
        p = run(db, "member", "find", "138", staff="cash1", pin="0000")
        assert p.returncode == 3, p.stderr
        if i < 4:
            assert p.stderr.strip() == "Wrong staff code or PIN"
    assert "locked until" in p.stderr
    p = run(db, "member", "find", "138", staff="cash1", pin="1111")  # the right PIN, refused while locked
    assert p.returncode == 3 and "locked until" in p.stderr, p.stderr
    assert _locked_until(db, "cash1") is not None
    # the same lock holds on the path the login window and the manager-PIN prompt use
    from pos_app.app import open_store

    ctx = open_store(db, create=False, owner="command")
    try:
        with pytest.raises(AuthenticationFailed, match="auth.locked"):
            staff.login(ctx, "cash1", "1111")
    finally:
        ctx.db.dispose()
    listed = ok(run(db, "staff", "list", staff="boss", pin="9999")).stdout
    cash_line = next(line for line in listed.splitlines() if line.startswith("cash1"))
    assert "locked until" in cash_line
    assert "last login" in cash_line
    ok(run(db, "staff", "unlock", "cash1", staff="boss", pin="9999"))
    ok(run(db, "member", "find", "138", staff="cash1", pin="1111"))
    # locked again, then the 15 minutes pass: the lock's end is moved into the past (the CLI runs on the
    # real clock; the service test moves a controlled clock)
    for _ in range(5):
        run(db, "member", "find", "138", staff="cash1", pin="0000")
    assert run(db, "member", "find", "138", staff="cash1", pin="1111").returncode == 3
    past = (datetime.now(UTC) - timedelta(seconds=1)).replace(tzinfo=None).isoformat(sep=" ")
    with sqlite3.connect(db) as c:
        c.execute("UPDATE staff SET locked_until = ? WHERE code = 'cash1'", (past,))
    ok(run(db, "member", "find", "138", staff="cash1", pin="1111"))
    with sqlite3.connect(db) as c:
        actions = [r[0] for r in c.execute("SELECT action FROM audit_log WHERE action LIKE 'staff.%' ORDER BY at")]
    assert actions.count("staff.login_failed") == 10
    assert actions.count("staff.locked") == 2
    assert actions.count("staff.unlock") == 1


def test_unknown_code_gets_the_wrong_code_or_pin_message(db):
    unknown = run(db, "member", "find", "138", staff="nobody", pin="1111")
    wrong = run(db, "member", "find", "138", staff="cash1", pin="0000")
    assert unknown.returncode == wrong.returncode == 3
    assert unknown.stderr == wrong.stderr == "Wrong staff code or PIN\n"


def test_staff_commands_for_a_manager(db):
    ok(run(db, "staff", "disable", "tgt1", staff="boss", pin="9999"))
    assert run(db, "member", "find", "138", staff="tgt1", pin="3333").returncode == 3
    ok(run(db, "staff", "enable", "tgt1", staff="boss", pin="9999"))
    ok(run(db, "staff", "reset-pin", "tgt1", "--new-pin", "4444", staff="boss", pin="9999"))
    ok(run(db, "staff", "role", "tgt1", "cashier", staff="boss", pin="9999"))
    ok(run(db, "member", "find", "138", staff="tgt1", pin="4444"))
    listed = ok(run(db, "staff", "list", staff="boss", pin="9999")).stdout
    assert next(line for line in listed.splitlines() if line.startswith("tgt1")).split()[1] == "cashier"
    p = run(db, "staff", "role", "boss", "cashier", staff="boss", pin="9999")  # the last manager
    assert p.returncode == 2 and "last active manager" in p.stderr, p.stderr


#: every manager-only permission of roles.PERMISSIONS -> a command that needs it ({recharge}, {coupon} filled in)
MANAGER_ONLY = sorted(a for a, allowed in roles.PERMISSIONS.items() if allowed == frozenset({roles.MANAGER}))
COMMANDS: dict[str, list[list[str]]] = {
    "wallet.refund": [["refund", "--recharge", "{recharge}"]],
    "wallet.adjust": [["wallet", "adjust", "--phone", "13800138000", "--bonus", "+1", "--reason", "test"]],
    "campaign.manage": [["campaign", "load", "{campaign}", "--replace"]],
    "staff.manage": [["staff", "add", "--code", "new1", "--role", "cashier", "--new-pin", "1234"],
                     ["staff", "disable", "tgt1"], ["staff", "enable", "tgt1"],
                     ["staff", "reset-pin", "tgt1", "--new-pin", "7777"], ["staff", "role", "tgt1", "cashier"],
                     ["staff", "unlock", "tgt1"], ["staff", "list"]],
    "report.read": [["audit", "list"], ["report", "campaign"]],
    "backup.create": [["backup"]],
    "coupon.issue": [["coupon", "issue", "--template", "PET20", "--phone", "13800138000", "--reason", "test"]],
    "coupon.void": [["coupon", "void", "{coupon}", "--reason", "test"]],
    "coupon.manage": [["coupon", "template", "add", "--code", "T10", "--name", "十元券", "--kind", "amount_off",
                       "--value", "10", "--valid-days", "30"]],
    "gift.adjust": [["gift", "adjust", "TEST-GIFT", "--counted", "1", "--reason", "count"]],
    "gift.manage": [["gift", "add", "NEW-GIFT", "新礼品"]],
    "system.admin": [["demo", "--reload"]],
    "product.manage": [["product", "add", "--sku", "CLI-NEW", "--barcode", "6999123400001", "--name", "新品",
                        "--category", "宠物用品", "--price", "10"]],
    # a cashier's return without a manager's approval exits 3 and writes nothing: tests/cli/test_sales_cli.py
    "sale.return": [],
    "points.adjust": [["points", "adjust", "--phone", "13800138000", "--points", "10", "--reason", "test"]],
    "wheel.manage": [["wheel", "publish"]],
    "sync.conflicts": [["sync", "conflicts"]],
    # pairing needs a central server: a cashier's `pair` exits 3 in tests/sync/test_cli_sync.py
    "sync.pair": [],
    # the review (approve/reject) of a request is the manager's too: tests/services/test_staff_security.py
    "redemption.review": [["redemption", "export", "--out", "{campaign}.shipping.xlsx"]],
    "redemption.manage": [["mall", "pause", "M-TOY"]],
}
CASES = [(perm, cmd) for perm in MANAGER_ONLY for cmd in COMMANDS.get(perm, [])]


def test_every_manager_only_permission_is_listed():
    assert sorted(COMMANDS) == MANAGER_ONLY


@pytest.mark.parametrize(("perm", "cmd"), CASES, ids=[f"{p}:{' '.join(c[:2])}" for p, c in CASES])
def test_manager_only_command_refused_for_a_cashier_exit_3_and_done_for_a_manager(db, template_db, tmp_path,
                                                                                  perm, cmd):
    fill = {**template_db[1], "campaign": str(campaign_file(tmp_path))}
    args = [a.format(**fill) for a in cmd]
    before = counts(db)
    for code, pin in (("cash1", "1111"), ("shelf1", "2222")):
        p = run(db, *args, staff=code, pin=pin)
        assert p.returncode == 3, (p.stdout, p.stderr)
        assert p.stderr.strip() and "Traceback" not in p.stderr
        assert counts(db) == before
    ok(run(db, *args, staff="boss", pin="9999"))
    assert set(TABLES) == set(counts(db))


def _on_a_terminal(db: Path, *args: str, typed: str) -> tuple[int, str]:
    """Run `pos-app` with a pseudo-terminal as its controlling terminal; answer the first prompt with
    ``typed``. Returns (exit code, everything the terminal showed)."""
    import os
    import pty
    import select
    import sys

    from tests.cli.test_cli import ROOT, _env

    pid, fd = pty.fork()
    if pid == 0:  # pragma: no cover - the child
        os.chdir(ROOT)
        os.execve(sys.executable, [sys.executable, "-m", "pos_app", "--db", str(db), *args], _env())
    shown = b""
    answered = False
    while True:
        ready, _, _ = select.select([fd], [], [], 60)
        if not ready:  # a guard against a hang, not a timing assertion
            os.kill(pid, 9)
            break
        try:
            chunk = os.read(fd, 1024)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        shown += chunk
        if not answered and b"PIN for" in shown:
            os.write(fd, typed.encode() + b"\n")
            answered = True
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), shown.decode(errors="replace")


def test_pin_is_asked_without_echo_when_a_terminal_is_attached(db):
    code, shown = _on_a_terminal(db, "--staff", "cash1", "member", "find", "138", typed="1111")
    assert code == 0, shown
    assert "PIN for cash1:" in shown and "13800138000" in shown
    assert "1111" not in shown  # not echoed
    code, shown = _on_a_terminal(db, "--staff", "cash1", "member", "find", "138", typed="0000")
    assert code == 3 and "Wrong staff code or PIN" in shown


def test_without_a_terminal_a_missing_pin_is_refused_not_asked(db):
    p = run(db, "member", "find", "138", staff="cash1")
    assert p.returncode == 3 and "PIN for" not in p.stdout + p.stderr


APPROVABLE = [(perm, cmd) for perm, cmd in CASES if cmd[:2] not in (["demo", "--reload"],)]


@pytest.mark.parametrize(("perm", "cmd"), APPROVABLE, ids=[f"{p}:{' '.join(c[:2])}" for p, c in APPROVABLE])
def test_manager_only_command_done_for_a_cashier_with_approver(db, template_db, tmp_path, capsys, perm, cmd):
    """`--approver CODE --approver-pin PIN` (or POS_APPROVER / POS_APPROVER_PIN; asked without echo on a
    terminal): a manager approves this one command for the cashier logged in, whose audit rows name the
    cashier as who did it and the manager as who approved it. Another cashier as approver is refused (exit
    3, nothing written). In process (`pos_app.cli.main`, the console script's code) to keep the table fast."""
    from pos_app.cli import main

    fill = {**template_db[1], "campaign": str(campaign_file(tmp_path))}
    args = [a.format(**fill) for a in cmd]
    login = ["--lang", "en", "--db", str(db), "--staff", "cash1", "--pin", "1111"]
    before = counts(db)
    assert main([*login, "--approver", "tgt1", "--approver-pin", "3333", *args]) == 3  # staff, not a manager
    err = capsys.readouterr().err
    assert err.strip() and "Traceback" not in err and counts(db) == before
    with sqlite3.connect(db) as c:
        seq = c.execute("SELECT max(seq) FROM audit_log").fetchone()[0]
    assert main([*login, "--approver", "boss", "--approver-pin", "9999", *args]) == 0, capsys.readouterr().err
    with sqlite3.connect(db) as c:
        rows = c.execute("SELECT s.code, a.code FROM audit_log l LEFT JOIN staff s ON s.id = l.staff_id "
                         "LEFT JOIN staff a ON a.id = l.approved_by WHERE l.seq > ? ORDER BY l.seq", (seq,)).fetchall()
    assert all(r == ("cash1", "boss") for r in rows), rows


def test_a_cashier_s_sale_return_with_approver_from_the_environment(db, capsys, monkeypatch):
    """The return the sales test runs with --approver, here with POS_APPROVER / POS_APPROVER_PIN: the return
    is the cashier's, approved by the manager."""
    from pos_app.cli import main
    from pos_app.services import checkout

    s = make_store_ctx(db)
    try:
        sale = checkout.ring_up(s[0], s[1], request_id=None, member_id=None,
                                lines=[checkout.LineInput(category="洗护美容", amount_fen=50_00)], coupon_code=None,
                                payments=[checkout.PaymentInput("cash", 50_00)]).sale_id
    finally:
        s[0].db.dispose()
    login = ["--lang", "en", "--db", str(db), "--staff", "cash1", "--pin", "1111"]
    assert main([*login, "sale", "return", sale]) == 3
    assert "manager" in capsys.readouterr().err
    monkeypatch.setenv("POS_APPROVER", "boss")
    monkeypatch.setenv("POS_APPROVER_PIN", "9999")
    assert main([*login, "--json", "sale", "return", sale]) == 0
    assert '"approver": "boss"' in capsys.readouterr().out
    with sqlite3.connect(db) as c:
        who = c.execute("SELECT s.code, a.code FROM sale_return r JOIN staff s ON s.id = r.staff_id "
                        "JOIN staff a ON a.id = r.approved_by").fetchall()
    assert who == [("cash1", "boss")]


def make_store_ctx(db: Path) -> tuple[object, object]:
    from pos_app.app import open_store

    ctx = open_store(db, create=False)
    return ctx, staff.login(ctx, "cash1", "1111")


def test_the_approver_s_pin_is_asked_without_echo_on_a_terminal(db):
    code, shown = _on_a_terminal(db, "--staff", "cash1", "--pin", "1111", "--approver", "boss", "audit", "list",
                                 typed="9999")
    assert code == 0, shown
    assert "PIN for boss:" in shown and "9999" not in shown and "staff.add" in shown
