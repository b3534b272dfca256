"""`pos-app product ...`, `pos-app sale ...`, `sale show`, `sale return`, `sales` as real subprocesses on the
demo store (20 products, demo members, the demo campaign: 1 point per full 10 yuan actually paid)."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FOOD = "6901234500011"  # DF-2KG, 128 (member price 108)
SHAMPOO = "6901234500110"  # SHAMPOO, 58 (49)
COUNTED = ("sale", "sale_line", "sale_payment", "sale_return", "spend", "wallet_entry", "points_lot", "product",
           "audit_log", "outbox", "request_log")


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli") / "store.db"
    r = _run(path, "demo")
    assert r.returncode == 0, r.stderr
    return path


def _run(db: Path, *args: str, staff: str = "admin", pin: str = "8888", lang: str = "en") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "POS_DB": str(db), "POS_STAFF": staff, "POS_PIN": pin, "POS_LANG": lang,
           "QT_QPA_PLATFORM": "offscreen"}
    env.pop("POS_APPROVER_PIN", None)
    return subprocess.run([sys.executable, "-m", "pos_app", *args], capture_output=True, text=True, env=env,
                          cwd=ROOT, timeout=120)


def _json(db: Path, *args: str, **kw) -> dict:
    r = _run(db, "--json", *args, **kw)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def _counts(db: Path) -> dict[str, int]:
    with sqlite3.connect(db) as c:
        return {t: c.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in COUNTED}


def test_the_demo_catalogue_and_product_commands(db, tmp_path):
    rows = _json(db, "product", "list")
    assert len(rows) == 20 and {r["category"] for r in rows} == {"宠物食品", "宠物用品", "洗护美容", "寄养", "医疗"}
    assert sum(r["member_price_fen"] is not None for r in rows) >= 10
    assert _json(db, "product", "show", FOOD, staff="c01", pin="1111")["sku"] == "DF-2KG"
    p = _json(db, "product", "add", "--sku", "CLI-1", "--barcode", "6999000000011", "--name", "测试商品",
              "--category", "宠物用品", "--price", "12.50", "--member-price", "10")
    assert (p["price_fen"], p["member_price_fen"]) == (12_50, 10_00)
    before = _counts(db)
    r = _run(db, "product", "add", "--sku", "CLI-2", "--barcode", "6999000000028", "--name", "x", "--category", "宠物用品",
             "--price", "12.50", staff="c01", pin="1111")
    assert r.returncode == 3
    r = _run(db, "product", "add", "--sku", "CLI-2", "--barcode", "6999000000028", "--name", "x", "--category", "家电",
             "--price", "1")
    assert r.returncode == 2 and "Unknown category" in r.stderr
    bad = tmp_path / "bad.csv"
    bad.write_text("sku,barcode,name,category,price,member_price\nN-1,6999000000035,好的,宠物食品,10,\n"
                   "N-2,6999000000042,坏的,宠物食品,-3,\n", encoding="utf-8")
    r = _run(db, "product", "import", str(bad))
    assert r.returncode == 2 and "Row 3" in r.stderr
    assert _counts(db) == before  # nothing half-imported
    good = tmp_path / "good.csv"
    good.write_text("sku,barcode,name,category,price,member_price\nN-1,6999000000035,好的,宠物食品,10,9\n", encoding="utf-8")
    assert _json(db, "product", "import", str(good))["added"] == 1


def test_sale_with_a_split_then_show_repeat_return_and_history(db):
    sale = _json(db, "sale", "--phone", "15000150000", "--line", f"{FOOD}x2", "--line", "洗护美容:80",
                 "--pay", "balance:100", "--pay", "cash:100:150", "--pay", "wechat", "--request-id", "cli-sale-1",
                 staff="c01", pin="1111")
    # 15000150000 is on the luxury tier: member prices (108 x 2) + a free grooming line of 80
    assert sale["total_fen"] == 296_00 and sale["discount_fen"] == 0
    assert set(sale["payments"]) == {"balance", "cash", "wechat"}
    assert (sale["payments"]["cash"]["tendered_fen"], sale["change_fen"]) == (150_00, 50_00)
    assert sale["payments"]["wechat"]["amount_fen"] == 96_00
    bal = sale["payments"]["balance"]
    # ...and, having recharged 2,000 yuan, is 银卡 in the demo's member levels: points x1.2
    assert sale["paid_fen"] == 296_00 - bal["bonus_fen"] and sale["points"] == sale["paid_fen"] // 10_00 * 12 // 10
    before = _counts(db)
    again = _json(db, "sale", "--phone", "15000150000", "--line", f"{FOOD}x2", "--line", "洗护美容:80",
                  "--pay", "balance:100", "--pay", "cash:100:150", "--pay", "wechat", "--request-id", "cli-sale-1",
                  staff="c01", pin="1111")
    assert again["sale_id"] == sale["sale_id"] and _counts(db) == before  # charged once
    shown = _json(db, "sale", "show", sale["sale_id"], staff="c01", pin="1111")
    assert shown["receipt_no"] == sale["receipt_no"] and len(shown["lines"]) == 2
    human = _run(db, "sale", "show", sale["receipt_no"], lang="zh_CN")
    assert human.returncode == 0 and "储值余额" in human.stdout and "找零" in human.stdout
    # a cashier alone may not return; with a manager's code and PIN it goes through
    r = _run(db, "sale", "return", sale["sale_id"], "--line", "1x1", staff="c01", pin="1111")
    assert r.returncode == 3 and _counts(db) == before
    r = _run(db, "sale", "return", sale["sale_id"], "--line", "1x1", "--approver", "admin", "--approver-pin", "0000",
             staff="c01", pin="1111")
    after = _counts(db)  # the wrong PIN is audited (its own row), nothing else is written
    assert r.returncode == 3 and {**after, "audit_log": 0} == {**before, "audit_log": 0}
    assert after["audit_log"] == before["audit_log"] + 1
    before = after
    ret = _json(db, "sale", "return", sale["sale_id"], "--line", "1x1", "--approver", "admin", "--approver-pin", "8888",
                staff="c01", pin="1111")
    assert (ret["approver"], ret["lines"]) == ("admin", [[1, 1, 108_00]])
    assert sum(x["amount_fen"] for x in ret["refunds"]) == 108_00
    rest = _json(db, "sale", "return", sale["sale_id"])
    assert sum(x["amount_fen"] for x in rest["refunds"]) == 296_00 - 108_00
    history = _json(db, "sales", "--phone", "15000150000", staff="c01", pin="1111")
    assert history[0]["sale_id"] == sale["sale_id"] and len(history[0]["returns"]) == 2
    assert _run(db, "doctor").returncode == 0


def test_walk_in_cash_with_the_rest_and_a_coupon_refusal(db):
    sale = _json(db, "sale", "--walk-in", "--line", SHAMPOO, "--pay", "cash::100", staff="c01", pin="1111")
    assert (sale["total_fen"], sale["change_fen"], sale["points"], sale["member_id"]) == (58_00, 42_00, 0, None)


@pytest.mark.parametrize("args", [
    ("--walk-in", "--line", "0000000000000", "--pay", "cash:10"),  # unknown barcode
    ("--walk-in", "--line", "玩具:10", "--pay", "cash:10"),  # unknown category
    ("--walk-in", "--line", f"{FOOD}x0", "--pay", "cash:0"),  # quantity 0
    ("--walk-in", "--line", FOOD, "--pay", "cash:100"),  # does not cover the total
    ("--walk-in", "--line", FOOD, "--pay", "cash:128:100"),  # tendered less than the cash part
    ("--walk-in", "--line", FOOD, "--pay", "bitcoin:128"),  # no such method
    ("--walk-in", "--line", FOOD, "--pay", "balance:128"),  # a walk-in has no balance
    ("--walk-in", "--line", FOOD, "--pay", "cash:abc"),  # not money
    ("--walk-in", "--line", FOOD, "--pay", "cash", "--pay", "wechat"),  # two payments without an amount
    ("--walk-in", "--line", FOOD, "--coupon", "XXXX-XXXX", "--pay", "cash:128"),  # a mistyped coupon code
    ("--phone", "13800138000", "--walk-in", "--line", FOOD, "--pay", "cash:128"),  # both
    ("--line", FOOD, "--pay", "cash:128"),  # neither
    ("--phone", "13800138000", "--line", f"{FOOD}x40", "--pay", "balance"),  # more than the balance
    ("--walk-in", "--pay", "cash:128"),  # no lines
])
def test_bad_input_exits_2_and_writes_nothing(db, args):
    before = _counts(db)
    r = _run(db, "sale", *args, staff="c01", pin="1111")
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert r.stderr.strip() and "Traceback" not in r.stderr
    assert _counts(db) == before


def test_a_staff_member_may_not_ring_up(db):
    before = _counts(db)
    r = _run(db, "sale", "--walk-in", "--line", FOOD, "--pay", "cash:128", staff="s01", pin="2222")
    assert r.returncode == 3 and _counts(db) == before
