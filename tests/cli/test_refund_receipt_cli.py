"""Issue 9 through a real `pos-app` subprocess on a real SQLite file: `recharge --json` gives the short
receipt number, each item a human name beside its kind and each coupon its code; `refund --method
cash|original --slip PATH` records the method, prints the breakdown and saves the slip."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import pytest
from pypdf import PdfReader

from tests.cli.test_cli import base_db as base_db  # noqa: F401
from tests.cli.test_cli import counts, ok, run
from tests.cli.test_cli import db as db  # noqa: F401  (fixtures)

pytestmark = pytest.mark.slow


def _recharge(db: Path, tier: str) -> dict:
    p = ok(run(db, "recharge", "--phone", "13800138000", "--tier", tier, "--pay", "wechat", staff="c1", pin="1111",
               json_out=True))
    return json.loads(p.stdout)


def test_recharge_json_has_the_receipt_number_item_names_and_coupon_codes(db):  # noqa: F811
    r = _recharge(db, "luxury")
    assert re.fullmatch(r"[A-Za-z0-9]+-\d{8}-0001", r["receipt_no"]), r["receipt_no"]
    with sqlite3.connect(db) as c:
        assert c.execute("SELECT receipt_no FROM recharge WHERE id = ?", (r["recharge_id"],)).fetchone()[0] == r["receipt_no"]
    kinds = {i["kind"] for i in r["items"]}
    assert {"coupon", "gift", "voucher", "member_price"} <= kinds
    for i in r["items"]:
        assert i["name"] and i["name"] != i["kind"] and i["name"] != "member_price"
        if i["kind"] in ("coupon", "voucher") and i["state"] == "issued":
            assert re.fullmatch(r"[0-9A-Z]{4}(-[0-9A-Z]{1,4})+", i["code"]), i
    assert _recharge(db, "basic")["receipt_no"].endswith("-0002")
    human = ok(run(db, "recharge", "--phone", "13800138000", "--amount", "100", staff="c1", pin="1111")).stdout
    assert "-0003" in human


def test_refund_cash_with_slip_and_breakdown(db, tmp_path):  # noqa: F811
    r = _recharge(db, "advanced")
    slip = tmp_path / "refund.pdf"
    p = ok(run(db, "refund", "--recharge", r["recharge_id"], "--method", "cash", "--slip", str(slip), staff="boss",
               pin="9999", json_out=True))
    rf = json.loads(p.stdout)
    assert (rf["method"], rf["pay_method"], rf["principal_refundable_fen"], rf["principal_refund_fen"]) == (
        "cash", "cash", 100000, 100000)
    assert rf["deductions"] == [] and rf["deductions_fen"] == 0 and rf["receipt_no"] == r["receipt_no"]
    with sqlite3.connect(db) as c:
        assert c.execute("SELECT refund_method, pay_method FROM refund").fetchall() == [("cash", "cash")]
    reader = PdfReader(slip)
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    assert "Stored-value refund" in text and r["receipt_no"] in text and "in cash" in text


def test_refund_default_method_is_the_original_and_human_output_shows_it(db):  # noqa: F811
    r = _recharge(db, "basic")
    out = ok(run(db, "refund", "--recharge", r["recharge_id"], staff="boss", pin="9999")).stdout
    assert "Unspent principal ¥500.00" in out and "original method (wechat)" in out


@pytest.mark.parametrize("bad", [("--method", "bitcoin"), ("--slip", "/nonexistent-dir/x.pdf"), ("--slip", "/tmp")])
def test_refund_bad_method_or_slip_path_is_one_line_exit_2_and_nothing_written(db, bad):  # noqa: F811
    r = _recharge(db, "basic")
    before = counts(db)
    p = run(db, "refund", "--recharge", r["recharge_id"], *bad, staff="boss", pin="9999")
    assert p.returncode == 2, (p.stdout, p.stderr)
    assert len(p.stderr.strip().splitlines()) == 1 and "Traceback" not in p.stderr
    assert counts(db) == before
