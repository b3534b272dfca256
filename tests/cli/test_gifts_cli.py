"""`pos-app gift ...` run as a real subprocess against a real store file."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from openpyxl import load_workbook

from pos_app.services import members, wallet


def run(store, *args, staff="boss", lang="en", check=True):
    env = dict(os.environ, POS_STAFF=staff, POS_PIN=store.pins[staff], POS_LANG=lang)
    p = subprocess.run(
        [sys.executable, "-m", "pos_app", "--db", str(store.path), *args],
        capture_output=True, text=True, env=env, timeout=120,
    )
    if check:
        assert p.returncode == 0, p.stderr
    return p


def js(store, *args, staff="boss"):
    return json.loads(run(store, "--json", *args, staff=staff).stdout)


def test_catalogue_receive_show_and_waiting_members(store):
    lv = js(store, "gift", "add", "toy-001", "宠物玩具", "--value", "39.50", "--threshold", "3")
    assert (lv["sku"], lv["unit_value_fen"], lv["threshold"]) == ("TOY-001", 39_50, 3)
    m1 = members.register_member(store.ctx, store.cashier, phone="13800000001")
    wallet.recharge(store.ctx, store.cashier, member_id=m1.member_id, tier_code="advanced")
    p = run(store, "gift", "receive", "TOY-001", "5", "--supplier", "萌宠", "--reference", "PO-1", staff="shelf1")
    assert "1 member(s) are waiting for TOY-001" in p.stdout
    show = js(store, "gift", "show", "TOY-001", staff="cash1")
    assert {k: show[k] for k in ("sku", "on_hand", "owed", "available", "threshold")} == {
        "sku": "TOY-001", "on_hand": 5, "owed": 1, "available": 4, "threshold": 3
    }
    rows = js(store, "gift", "list")
    assert [r["sku"] for r in rows] == ["TOY-001"]
    owed = js(store, "gift", "owed", "--phone", "13800000001", staff="shelf1")
    assert [(o["sku"], o["source"], o["due_on"]) for o in owed] == [("TOY-001", "tier", "2026-11-26")]
    res = js(store, "gift", "handout", "--phone", "13800000001", "--sku", "toy-001", staff="shelf1")
    assert [h["sku"] for h in res["handed_out"]] == ["TOY-001"] and res["still_owed"] == []
    assert js(store, "gift", "show", "TOY-001")["on_hand"] == 4
    assert js(store, "gift", "owed") == []


def test_every_movement_kind_and_history_filters(store):
    run(store, "gift", "add", "FOOD-BOX", "礼盒", "--value", "128", "--threshold", "2")
    run(store, "gift", "receive", "FOOD-BOX", "10")
    run(store, "gift", "return", "FOOD-BOX", "1", "--reason", "退回", staff="shelf1")
    run(store, "gift", "transfer-out", "FOOD-BOX", "3", "--to", "S002")
    run(store, "gift", "transfer-in", "FOOD-BOX", "2", "--from", "S003", staff="shelf1")
    adj = js(store, "gift", "adjust", "FOOD-BOX", "--counted", "7", "--reason", "破损")
    assert (adj["movement"]["delta"], adj["level"]["on_hand"]) == (-3, 7)
    mv = js(store, "gift", "movements")
    assert [x["kind"] for x in mv] == ["adjusted", "transfer_in", "transfer_out", "returned", "received"]
    assert [x["delta"] for x in mv] == [-3, 2, -3, 1, 10]
    assert [x["kind"] for x in js(store, "gift", "movements", "--kind", "transfer_out")] == ["transfer_out"]
    assert [x["staff_code"] for x in js(store, "gift", "movements", "--staff-code", "shelf1")] == ["shelf1", "shelf1"]
    # the subprocess runs on the real clock: filter around today's store date
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    day = timedelta(days=1)
    rows = js(store, "gift", "movements", "--sku", "food-box", "--since", str(today - day), "--until", str(today + day))
    assert len(rows) == 5
    assert js(store, "gift", "movements", "--since", str(today + 2 * day)) == []


def test_refusals_exit_non_zero_with_a_message(store):
    run(store, "gift", "add", "TOY-001", "玩具")
    run(store, "gift", "receive", "TOY-001", "2")
    p = run(store, "gift", "transfer-out", "TOY-001", "5", "--to", "S2", check=False)
    assert p.returncode == 2 and "Not enough TOY-001 on hand: 2 on hand, 5 needed" in p.stderr
    p = run(store, "gift", "adjust", "TOY-001", "--delta", "-3", "--reason", "x", check=False)
    assert p.returncode == 2 and "stock cannot go below zero" in p.stderr
    p = run(store, "gift", "adjust", "TOY-001", "--counted", "1", "--reason", " ", check=False)
    assert p.returncode == 2 and "reason is required" in p.stderr
    p = run(store, "gift", "receive", "TOY-001", "0", check=False)
    assert p.returncode == 2 and "Invalid quantity" in p.stderr
    p = run(store, "gift", "receive", "NOPE", "1", check=False)
    assert p.returncode == 2 and "No gift NOPE" in p.stderr
    p = run(store, "gift", "receive", "TOY-001", "1", staff="cash1", check=False)
    assert p.returncode == 3
    p = run(store, "gift", "add", "X1", "x", staff="shelf1", check=False)
    assert p.returncode == 3
    p = run(store, "gift", "handout", "--phone", "13800000009", check=False)
    assert p.returncode == 2 and "No member found" in p.stderr
    members.register_member(store.ctx, store.cashier, phone="13800000002")
    p = run(store, "gift", "handout", "--phone", "13800000002", check=False)
    assert p.returncode == 2 and "not owed any gift" in p.stderr
    p = run(store, "gift", "handout", "--phone", "13800000002", "--sku", "TOY-001", check=False)
    assert p.returncode == 2 and "not owed any TOY-001" in p.stderr
    assert json.loads(run(store, "--json", "gift", "show", "TOY-001").stdout)["on_hand"] == 2
    p = run(store, "--lang", "zh_CN", "gift", "transfer-out", "TOY-001", "5", "--to", "S2", check=False)
    assert "库存不足" in p.stderr


def test_export_csv_and_xlsx_and_stocktake(store, tmp_path):
    run(store, "gift", "add", "TOY-001", "宠物玩具", "--value", "39")
    run(store, "gift", "add", "CHEW-01", "磨牙棒", "--value", "15")
    run(store, "gift", "receive", "TOY-001", "6")
    run(store, "gift", "receive", "CHEW-01", "4")
    out_csv = tmp_path / "stock.csv"
    run(store, "gift", "export", "--out", str(out_csv))
    with out_csv.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0][0] == "SKU" and [r[:3] for r in rows[1:]] == [["CHEW-01", "磨牙棒", "4"], ["TOY-001", "宠物玩具", "6"]]
    out_x = tmp_path / "mv.xlsx"
    run(store, "gift", "export", "--out", str(out_x), "--what", "movements", "--sku", "TOY-001")
    ws = load_workbook(out_x).active
    got = [list(r) for r in ws.iter_rows(values_only=True)]
    assert len(got) == 2 and got[1][1] == "TOY-001" and got[1][4] == 6
    # the blank sheet, filled in by hand, then previewed and confirmed
    sheet = tmp_path / "sheet.csv"
    run(store, "gift", "stocktake", "--out", str(sheet))
    with sheet.open(encoding="utf-8-sig", newline="") as fh:
        lines = list(csv.reader(fh))
    assert [ln[:4] for ln in lines[1:]] == [["CHEW-01", "磨牙棒", "4", ""], ["TOY-001", "宠物玩具", "6", ""]]
    lines[1][3], lines[2][3] = "4", "5"
    with sheet.open("w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh).writerows(lines)
    preview = js(store, "gift", "stocktake", "--counts", str(sheet))
    assert preview["confirmed"] is False and [ln["difference"] for ln in preview["lines"]] == [0, -1]
    assert js(store, "gift", "show", "TOY-001")["on_hand"] == 6
    p = run(store, "gift", "stocktake", "--counts", str(sheet), "--confirm", check=False)
    assert p.returncode == 2 and "reason is required" in p.stderr
    done = js(store, "gift", "stocktake", "--counts", str(sheet), "--confirm", "--reason", "月末盘点",
              "--out", str(tmp_path / "done.xlsx"))
    assert done["adjusted"] == 1
    assert js(store, "gift", "show", "TOY-001")["on_hand"] == 5
    ws = load_workbook(tmp_path / "done.xlsx").active
    assert [r[4] for r in ws.iter_rows(min_row=2, values_only=True)] == [0, -1]
    p = run(store, "gift", "export", "--out", str(tmp_path / "x.pdf"), check=False)
    assert p.returncode == 2
    p = run(store, "doctor")
    assert "[OK] gift_on_hand_equals_movements" in p.stdout


def test_decline_and_low(store):
    run(store, "gift", "add", "TOY-001", "玩具", "--threshold", "5")
    m1 = members.register_member(store.ctx, store.cashier, phone="13800000003")
    wallet.recharge(store.ctx, store.cashier, member_id=m1.member_id, tier_code="advanced")
    assert [r["sku"] for r in js(store, "gift", "low")] == ["TOY-001"]
    res = js(store, "gift", "decline", "--phone", "13800000003", "--reason", "不要了", staff="shelf1")
    assert len(res["declined"]) == 1
    assert js(store, "gift", "owed") == []
    run(store, "gift", "edit", "TOY-001", "--inactive")
    assert js(store, "gift", "low") == []
