"""The gift stock use cases on PostgreSQL (a fresh schema per test): movements, hand-out, stocktake,
the blocked tier, doctor."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pos_app import bootstrap
from pos_app.db import migrate
from pos_app.db.engine import Database
from pos_app.domain.gifts import OutOfStock
from pos_app.services import campaigns, doctor, gifts, members, staff, wallet
from pos_app.services.campaigns import read_campaign_file
from tests.conftest import DEMO_CAMPAIGN
from tests.test_migrations import pg_schema_url  # noqa: F401  (fixture)


@pytest.mark.pg
def test_gift_stock_on_postgres(pg_schema_url):  # noqa: F811
    url, _ = pg_schema_url
    db = Database(url)
    migrate.upgrade(db)
    ctx = bootstrap.service_context(db, clock=lambda: datetime(2026, 11, 23, 2, 0, tzinfo=UTC))
    staff.init_store(ctx, store_code="PG01", manager_code="boss", manager_pin="9999")
    boss = staff.login(ctx, "boss", "9999")
    data = read_campaign_file(DEMO_CAMPAIGN)
    data["campaign"].update(starts_on="2026-11-01", ends_on="2027-01-31")
    for t in data["tiers"]:
        if t["code"] == "luxury":
            t["block_when_gift_out_of_stock"] = True
    campaigns.load_campaign(ctx, boss, data)
    gifts.add_gift(ctx, boss, sku="TOY-001", name="宠物玩具", unit_value_fen=39_00, threshold=2)
    gifts.add_gift(ctx, boss, sku="FOOD-BOX", name="宠物食品礼盒", unit_value_fen=128_00, threshold=1)
    a = members.register_member(ctx, boss, phone="13800138000")
    wallet.recharge(ctx, boss, member_id=a.member_id, tier_code="advanced")
    with pytest.raises(OutOfStock):
        wallet.recharge(ctx, boss, member_id=a.member_id, tier_code="luxury")
    res = gifts.receive(ctx, boss, sku="TOY-001", qty=3, supplier="厂家", request_id="pg-rcv")
    assert (res.waiting_members, res.level.available) == (1, 2)
    assert gifts.receive(ctx, boss, sku="TOY-001", qty=3, supplier="厂家", request_id="pg-rcv") == res
    ho = gifts.handout(ctx, boss, member_id=a.member_id)
    assert [h.sku for h in ho.handed_out] == ["TOY-001"]
    with pytest.raises(OutOfStock):
        gifts.transfer_out(ctx, boss, sku="TOY-001", qty=3, to_store="S2")
    st = gifts.confirm_stocktake(ctx, boss, {"TOY-001": 1, "FOOD-BOX": 4}, reason="盘点")
    assert st.adjusted == 2
    assert {lv.sku: lv.on_hand for lv in gifts.stock_levels(ctx, boss)} == {"FOOD-BOX": 4, "TOY-001": 1}
    assert [lv.sku for lv in gifts.low_stock(ctx, boss)] == ["TOY-001"]
    assert [m.kind for m in gifts.movements(ctx, boss, sku="TOY-001")] == ["adjusted", "handout", "received"]
    assert len(gifts.stock_levels(ctx, boss, query="礼盒")) == 1
    rep = doctor.run_doctor(ctx)
    assert rep.ok, rep.problems
    db.dispose()
