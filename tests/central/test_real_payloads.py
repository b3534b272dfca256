"""Central ingests a real store's outbox (the demo store: members, recharges with their coupons, a spend, gift
stock received and handed out): central's balances equal the store's, every coupon is known as issued, the gift
stock equals the store's on hand; pushing it all again changes nothing."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from pos_app.central import services, services_sync
from pos_app.central.db import CentralDatabase

ROOT = Path(__file__).resolve().parents[2]


def demo_store(tmp: Path) -> Path:
    path = tmp / "store.db"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "XDG_CONFIG_HOME": str(tmp / "cfg"), "XDG_DATA_HOME": str(tmp / "data"),
           "QT_QPA_PLATFORM": "offscreen"}
    subprocess.run([sys.executable, "-c", "from pos_app.cli import main; raise SystemExit(main())", "--db", str(path),
                    "demo"], check=True, capture_output=True, env=env, cwd=ROOT, timeout=300)
    return path


def test_the_demo_stores_outbox(sqlite_db: CentralDatabase, tmp_path: Path) -> None:
    store = sqlite3.connect(demo_store(tmp_path))
    device_id, store_code = store.execute("SELECT device_id, store_code FROM store_info").fetchone()
    events = [{"event_id": r[0], "device_id": r[1], "seq": r[2], "type": r[3], "occurred_at": str(r[4]),
               "payload_json": r[5], "payload_hash": r[6]}
              for r in store.execute("SELECT event_id, device_id, seq, type, occurred_at, payload_json, payload_hash "
                                     "FROM outbox ORDER BY seq")]
    st = services.add_store(sqlite_db, "示范宠物店", store_code)
    pairing = services.device_code(sqlite_db, st["store_id"])["code"]
    dev = services_sync.pair(sqlite_db, pairing, device_id, store_code, "till")
    auth = services_sync.DeviceAuth(device_id, dev["store_id"], store_code)
    answer = services_sync.push(sqlite_db, auth, events)
    assert {r["status"] for r in answer["results"]} == {"accepted"}
    assert answer["acked_seq"] == len(events)
    again = services_sync.push(sqlite_db, auth, events)
    assert {r["status"] for r in again["results"]} == {"exists"}
    assert services.list_conflicts(sqlite_db) == []
    members = store.execute("SELECT id, phone, principal_fen, bonus_fen FROM member").fetchall()
    assert members
    for member_id, phone, principal, bonus in members:
        view = services.member_show(sqlite_db, phone)["members"][0]
        assert (view["member_id"], view["principal_fen"], view["bonus_fen"]) == (member_id, principal, bonus)
        entries = store.execute("SELECT count(*) FROM wallet_entry WHERE member_id = ?", (member_id,)).fetchone()[0]
        assert len(view["history"]) == entries
        for e in view["history"]:  # the store's balances after, carried as it recorded them, agree with central's
            assert (e["principal_after_fen"], e["bonus_after_fen"]) == (e["central_principal_after_fen"],
                                                                       e["central_bonus_after_fen"])
    codes = {r[0] for r in store.execute("SELECT code FROM coupon")}
    from pos_app.central import db_repo

    with sqlite_db.read_session() as s:
        central_codes = {c.code: c.state for c in db_repo.coupons_of_members(s, [m[0] for m in members])}
        stock = {g.sku: g.on_hand for g in db_repo.gift_stock(s, store_code)}
    member_codes = {r[0] for r in store.execute("SELECT code FROM coupon WHERE member_id IS NOT NULL")}
    assert set(central_codes) == member_codes and set(central_codes.values()) == {"issued"}
    assert member_codes <= codes
    on_hand = dict(store.execute("SELECT sku, sum(delta) FROM stock_movement GROUP BY sku").fetchall())
    assert stock == on_hand


def test_a_sale_paid_from_the_balance_and_its_return_move_centrals_balance(sqlite_db: CentralDatabase,
                                                                           tmp_path: Path) -> None:
    """Checkout's events: the balance part of a sale is a spend at central, a return puts it back, a coupon
    used on the sale is redeemed there; central's balance equals the store's after each."""
    from pos_app.services import checkout, members, wallet
    from pos_app.services.checkout import LineInput, PaymentInput
    from tests.conftest import make_store

    st = make_store(tmp_path / "till.db")
    mem = members.register_member(st.ctx, st.cashier, phone="13800138123")
    wallet.recharge(st.ctx, st.cashier, member_id=mem.member_id, tier_code="basic")
    sale = checkout.ring_up(st.ctx, st.cashier, request_id=None, member_id=mem.member_id,
                            lines=[LineInput(category="洗护美容", amount_fen=50_00)], coupon_code=None,
                            payments=[PaymentInput("balance", 50_00)])
    store = sqlite3.connect(tmp_path / "till.db")
    device_id, store_code = store.execute("SELECT device_id, store_code FROM store_info").fetchone()
    cst = services.add_store(sqlite_db, "测试门店", store_code)
    dev = services_sync.pair(sqlite_db, services.device_code(sqlite_db, cst["store_id"])["code"], device_id,
                             store_code, "till")
    auth = services_sync.DeviceAuth(device_id, dev["store_id"], store_code)

    def push_and_compare() -> tuple[int, int]:
        events = [{"event_id": r[0], "device_id": r[1], "seq": r[2], "type": r[3], "occurred_at": str(r[4]),
                   "payload_json": r[5], "payload_hash": r[6]}
                  for r in store.execute("SELECT event_id, device_id, seq, type, occurred_at, payload_json, "
                                         "payload_hash FROM outbox ORDER BY seq")]
        assert {r["status"] for r in services_sync.push(sqlite_db, auth, events)["results"]} <= {"accepted", "exists"}
        here = store.execute("SELECT principal_fen, bonus_fen FROM member WHERE id = ?", (mem.member_id,)).fetchone()
        view = services.member_show(sqlite_db, "13800138123")["members"][0]
        assert (view["principal_fen"], view["bonus_fen"]) == tuple(here)
        return int(here[0]), int(here[1])

    after_sale = push_and_compare()
    assert sum(after_sale) > 0 and services.list_conflicts(sqlite_db) == []
    checkout.return_sale(st.ctx, st.manager, request_id=None, sale_id=sale.sale_id)
    after_return = push_and_compare()
    assert sum(after_return) == sum(after_sale) + 50_00
    assert services.list_conflicts(sqlite_db) == []
    st.ctx.db.dispose()
