"""`pos-app mall ...` and `pos-app redemption ...` as real subprocesses against a real store file (few
calls: each costs a process start)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from pypdf import PdfReader

from pos_app.services import gifts, members, points


def run(store, *args, staff="boss", lang="en", check=True):
    env = dict(os.environ, POS_STAFF=staff, POS_PIN=store.pins[staff], POS_LANG=lang)
    p = subprocess.run([sys.executable, "-m", "pos_app", "--db", str(store.path), *args],
                       capture_output=True, text=True, env=env, timeout=120)
    if check:
        assert p.returncode == 0, p.stderr
    return p


def js(store, *args, staff="boss"):
    return json.loads(run(store, "--json", *args, staff=staff).stdout)


def test_premium_request_review_and_shipping_from_the_command_line(store):
    members.register_member(store.ctx, store.cashier, phone="13800000001")
    points.adjust(store.ctx, store.manager, phone="13800000001", points=5000, reason="测试")
    r = js(store, "redemption", "request", "MOUTAI-500", "--phone", "13800000001", "--ship-to", "北京市朝阳区",
           "--contact", "13900000009", staff="cash1")
    assert (r["state"], r["points"], r["points_balance"]) == ("requested", 3000, 2000)
    assert isinstance(r["redemption_id"], str) and isinstance(r["item_id"], str)
    refused = run(store, "redemption", "approve", r["redemption_id"], staff="cash1", check=False)
    assert refused.returncode == 3 and refused.stderr.strip()
    bad = run(store, "redemption", "receive", r["redemption_id"], check=False)
    assert bad.returncode == 2 and "cannot receive" in bad.stderr and "Traceback" not in bad.stderr
    out = run(store, "redemption", "approve", r["redemption_id"]).stdout
    assert "approved" in out
    f = js(store, "redemption", "fulfil", r["code"], "--carrier", "SF", "--tracking", "SF123", staff="shelf1")
    assert (f["state"], f["carrier"], f["tracking"]) == ("fulfilled", "SF", "SF123")
    listed = js(store, "redemption", "list", "--state", "fulfilled")
    assert [x["redemption_id"] for x in listed] == [r["redemption_id"]]
    items = js(store, "redemption", "items", "--phone", "13800000001", staff="cash1")
    moutai = next(i for i in items if i["code"] == "MOUTAI-500")
    assert (moutai["given"], moutai["available"], moutai["taken"]) == (1, 5, 1)


def test_mall_redeem_with_slip_and_pickup_by_code(store, tmp_path):
    gifts.add_gift(store.ctx, store.manager, sku="TOY-001", name="宠物玩具")
    gifts.receive(store.ctx, store.staff, sku="TOY-001", qty=3)
    members.register_member(store.ctx, store.cashier, phone="13800000001")
    points.adjust(store.ctx, store.manager, phone="13800000001", points=1000, reason="测试")
    slip = tmp_path / "slip.pdf"
    r = js(store, "mall", "redeem", "M-TOY", "--phone", "13800000001", "--slip", str(slip), staff="cash1")
    assert r["state"] == "reserved" and r["points_balance"] == 700
    text = PdfReader(str(slip)).pages[0].extract_text()
    assert r["code"] in text and "Points redemption" in text and "138****0001" in text
    p = js(store, "mall", "pickup", r["code"], staff="shelf1")
    assert p["state"] == "picked_up"
