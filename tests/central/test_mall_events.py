"""Central ingests the mall's and premium redemption's events: a mall coupon is known as issued, the gift a
member picks up with the slip's code leaves central's copy of the store's gift stock, and every event is
accepted (none blocks the queue or raises a conflict)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from pos_app.central import db_repo, services, services_sync
from pos_app.central.db import CentralDatabase


def test_mall_and_redemption_events_at_central(sqlite_db: CentralDatabase, tmp_path: Path) -> None:
    from pos_app.services import gifts, mall, members, points, redemption
    from tests.conftest import make_store

    st = make_store(tmp_path / "till.db")
    gifts.add_gift(st.ctx, st.manager, sku="TOY-001", name="宠物玩具")
    gifts.receive(st.ctx, st.staff, sku="TOY-001", qty=3)
    mem = members.register_member(st.ctx, st.cashier, phone="13800138123")
    points.adjust(st.ctx, st.manager, phone=mem.phone, points=5000, reason="测试")
    toy = mall.redeem(st.ctx, st.cashier, item="M-TOY", phone=mem.phone)
    mall.pickup(st.ctx, st.staff, code=toy.code)
    coupon = mall.redeem(st.ctx, st.cashier, item="M-PET20", phone=mem.phone)
    req = redemption.request(st.ctx, st.cashier, item="MOUTAI-500", phone=mem.phone, ship_to="上海")
    redemption.approve(st.ctx, st.manager, redemption_ids=[req.redemption_id])
    redemption.fulfil(st.ctx, st.staff, redemption_id=req.redemption_id, carrier="SF", tracking="SF1")
    st.ctx.db.dispose()

    store = sqlite3.connect(tmp_path / "till.db")
    device_id, store_code = store.execute("SELECT device_id, store_code FROM store_info").fetchone()
    cst = services.add_store(sqlite_db, "测试门店", store_code)
    dev = services_sync.pair(sqlite_db, services.device_code(sqlite_db, cst["store_id"])["code"], device_id,
                             store_code, "till")
    auth = services_sync.DeviceAuth(device_id, dev["store_id"], store_code)
    events = [{"event_id": r[0], "device_id": r[1], "seq": r[2], "type": r[3], "occurred_at": str(r[4]),
               "payload_json": r[5], "payload_hash": r[6]}
              for r in store.execute("SELECT event_id, device_id, seq, type, occurred_at, payload_json, payload_hash "
                                     "FROM outbox ORDER BY seq")]
    assert {"mall.redeemed", "mall.picked_up", "redemption.requested", "redemption.fulfilled"} <= {e["type"] for e in events}
    assert {r["status"] for r in services_sync.push(sqlite_db, auth, events)["results"]} == {"accepted"}
    assert services.list_conflicts(sqlite_db) == []
    with sqlite_db.read_session() as s:
        stock = {g.sku: g.on_hand for g in db_repo.gift_stock(s, store_code)}
        codes = {c.code: c.state for c in db_repo.coupons_of_members(s, [mem.member_id])}
    assert stock == {"TOY-001": 2}
    assert codes.get(coupon.issued_code.replace("-", "")) == "issued"
