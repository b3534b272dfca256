"""Gift stock use cases on a real SQLite store: every movement kind, every refusal, hand-out of owed
gifts, stocktake, low stock, the recharge hook, doctor, exports read back with csv and openpyxl."""

from __future__ import annotations

import csv
import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select, text

from pos_app.db import models as m
from pos_app.db import models_gifts as g
from pos_app.domain.campaign import GrantedItem
from pos_app.domain.errors import Conflict, InvalidInput, NotFound, PermissionDenied, StateError
from pos_app.domain.gifts import OutOfStock
from pos_app.services import campaigns, gifts, grants, members, wallet
from pos_app.services.campaigns import read_campaign_file
from pos_app.services.doctor import run_doctor
from tests.conftest import DEMO_CAMPAIGN

PHONES = ("13800000001", "13900000002", "15000000003")


def member(store, phone=PHONES[0]):
    return members.register_member(store.ctx, store.cashier, phone=phone)


def owe(store, member_id, sku, n=1, source="milestone"):
    """Owe gifts the way the referral/prize helpers do: grants.grant_items with a source."""
    with store.ctx.uow() as uow:
        mem = uow.session.get(m.Member, member_id)
        rows = grants.grant_items(
            uow, store.ctx, store.manager, mem, [GrantedItem("gift", sku, f"gift {sku}", n, 0, source)],
            today=date(2026, 11, 23), campaign=None, source_override=source,
        )
        ids = [e.id for e in rows]
        uow.commit()
    return ids


def catalogue(store, sku="TOY-001", qty=0, threshold=2, value=39_00, name="宠物玩具"):
    gifts.add_gift(store.ctx, store.manager, sku=sku, name=name, unit_value_fen=value, threshold=threshold)
    if qty:
        gifts.receive(store.ctx, store.staff, sku=sku, qty=qty, supplier="厂家", reference="PO-1")


def entitlement(store, eid):
    with store.ctx.uow(read_only=True) as uow:
        e = uow.session.get(m.Entitlement, eid)
        return e.state, e.issued_ref


def count(store, model, *where):
    with store.ctx.uow(read_only=True) as uow:
        return uow.session.scalar(select(func.count()).select_from(model).where(*where))


def gift_doctor(store):
    rep = run_doctor(store.ctx)
    return {c.name: c.ok for c in rep.checks if c.name.startswith("gift")}


# ----------------------------------------------------------------------------- catalogue


def test_catalogue_add_show_edit(store):
    lv = gifts.add_gift(store.ctx, store.manager, sku="toy-001", name=" 宠物 玩具 ", unit_value_fen=39_00, threshold=3,
                        barcode="6901234567890")
    assert (lv.sku, lv.name, lv.on_hand, lv.owed, lv.available, lv.threshold, lv.low) == ("TOY-001", "宠物 玩具", 0, 0, 0, 3, True)
    assert gifts.get_gift(store.ctx, store.cashier, "6901234567890").sku == "TOY-001"  # by barcode
    lv = gifts.update_gift(store.ctx, store.manager, sku="TOY-001", name="玩具", threshold=0, active=False)
    assert (lv.name, lv.threshold, lv.active, lv.low) == ("玩具", 0, False, False)
    assert count(store, m.AuditLog, m.AuditLog.action.in_(["gift.add", "gift.update"])) == 2


def test_catalogue_refusals(store):
    catalogue(store)
    with pytest.raises(PermissionDenied):
        gifts.add_gift(store.ctx, store.staff, sku="X1", name="x")
    with pytest.raises(PermissionDenied):
        gifts.update_gift(store.ctx, store.cashier, sku="TOY-001", name="x")
    with pytest.raises(Conflict) as e:
        gifts.add_gift(store.ctx, store.manager, sku="toy-001", name="again")
    assert e.value.key == "gift.sku_taken"
    with pytest.raises(InvalidInput):
        gifts.add_gift(store.ctx, store.manager, sku="A B", name="x")
    with pytest.raises(InvalidInput):
        gifts.add_gift(store.ctx, store.manager, sku="A1", name="  ")
    with pytest.raises(InvalidInput):
        gifts.add_gift(store.ctx, store.manager, sku="A1", name="a", unit_value_fen=-1)
    with pytest.raises(InvalidInput):
        gifts.update_gift(store.ctx, store.manager, sku="TOY-001")
    with pytest.raises(NotFound):
        gifts.get_gift(store.ctx, store.manager, "NOPE")
    gifts.add_gift(store.ctx, store.manager, sku="B1", name="b", barcode="123")
    with pytest.raises(Conflict):
        gifts.add_gift(store.ctx, store.manager, sku="B2", name="b", barcode="123")


# ----------------------------------------------------------------------------- movements


def test_receive_says_how_many_members_wait_and_is_idempotent(store):
    catalogue(store)
    a, b = member(store, PHONES[0]), member(store, PHONES[1])
    owe(store, a.member_id, "TOY-001", 2)
    owe(store, b.member_id, "TOY-001", 1, source="prize")
    res = gifts.receive(store.ctx, store.staff, sku="toy-001", qty=5, supplier="萌宠", reference="PO-7", request_id="rcv-1")
    assert (res.waiting_members, res.waiting_gifts) == (2, 3)
    assert (res.movement.kind, res.movement.delta, res.movement.on_hand_after) == ("received", 5, 5)
    assert (res.movement.supplier, res.movement.reference, res.movement.staff_code) == ("萌宠", "PO-7", "shelf1")
    assert (res.level.on_hand, res.level.owed, res.level.available) == (5, 3, 2)
    again = gifts.receive(store.ctx, store.staff, sku="TOY-001", qty=5, supplier="萌宠", reference="PO-7", request_id="rcv-1")
    assert again.movement.movement_id == res.movement.movement_id
    assert gifts.get_gift(store.ctx, store.staff, "TOY-001").on_hand == 5
    with pytest.raises(Conflict):
        gifts.receive(store.ctx, store.staff, sku="TOY-001", qty=6, request_id="rcv-1")
    # audit and outbox event in the same transaction
    assert count(store, m.AuditLog, m.AuditLog.action == "gift.receive") == 1
    with store.ctx.uow(read_only=True) as uow:
        ev = uow.session.scalars(select(m.Outbox.payload_json).where(m.Outbox.type == "gift.movement")).all()
    assert len(ev) == 1 and json.loads(ev[0])["delta"] == 5


def test_receive_refusals(store):
    catalogue(store)
    with pytest.raises(PermissionDenied):
        gifts.receive(store.ctx, store.cashier, sku="TOY-001", qty=1)
    for qty in (0, -3, 1.5, True):
        with pytest.raises(InvalidInput):
            gifts.receive(store.ctx, store.staff, sku="TOY-001", qty=qty)
    with pytest.raises(NotFound):
        gifts.receive(store.ctx, store.staff, sku="NOPE", qty=1)
    assert count(store, g.StockMovement) == 0


def test_return_and_transfers(store):
    catalogue(store, qty=4)
    mem = member(store)
    r = gifts.return_gift(store.ctx, store.staff, sku="TOY-001", qty=1, reason="会员退回", member_id=mem.member_id)
    assert (r.movement.kind, r.movement.delta, r.level.on_hand, r.movement.phone) == ("returned", 1, 5, mem.phone)
    t = gifts.transfer_out(store.ctx, store.manager, sku="TOY-001", qty=3, to_store="S002", reference="TR-1")
    assert (t.movement.kind, t.movement.delta, t.movement.other_store, t.level.on_hand) == ("transfer_out", -3, "S002", 2)
    t = gifts.transfer_in(store.ctx, store.staff, sku="TOY-001", qty=2, from_store="S003")
    assert (t.movement.kind, t.movement.delta, t.movement.other_store, t.level.on_hand) == ("transfer_in", 2, "S003", 4)
    with pytest.raises(PermissionDenied):
        gifts.transfer_out(store.ctx, store.staff, sku="TOY-001", qty=1, to_store="S002")
    with pytest.raises(InvalidInput):
        gifts.transfer_in(store.ctx, store.staff, sku="TOY-001", qty=1, from_store=" ")
    with pytest.raises(OutOfStock) as e:
        gifts.transfer_out(store.ctx, store.manager, sku="TOY-001", qty=5, to_store="S002")
    assert e.value.params == {"sku": "TOY-001", "on_hand": 4, "qty": 5}
    assert gifts.get_gift(store.ctx, store.staff, "TOY-001").on_hand == 4
    assert count(store, g.StockMovement) == 4  # the refused one wrote nothing
    assert all(gift_doctor(store).values())


def test_adjust_by_count_or_delta_with_mandatory_reason(store):
    catalogue(store, qty=10)
    r = gifts.adjust(store.ctx, store.manager, sku="TOY-001", counted=7, reason="盘点少了 3 件")
    assert (r.movement.kind, r.movement.delta, r.movement.reason, r.level.on_hand) == ("adjusted", -3, "盘点少了 3 件", 7)
    r = gifts.adjust(store.ctx, store.manager, sku="TOY-001", delta=2, reason="找到两件")
    assert r.level.on_hand == 9
    with pytest.raises(InvalidInput) as e:
        gifts.adjust(store.ctx, store.manager, sku="TOY-001", counted=1, reason="  ")
    assert e.value.key == "gift.reason_required"
    with pytest.raises(InvalidInput):
        gifts.adjust(store.ctx, store.manager, sku="TOY-001", counted=1, delta=1, reason="x")
    with pytest.raises(InvalidInput):
        gifts.adjust(store.ctx, store.manager, sku="TOY-001", counted=-1, reason="x")
    with pytest.raises(StateError) as e:
        gifts.adjust(store.ctx, store.manager, sku="TOY-001", counted=9, reason="same")
    assert e.value.key == "gift.adjust_nothing"
    with pytest.raises(OutOfStock):
        gifts.adjust(store.ctx, store.manager, sku="TOY-001", delta=-10, reason="broken")
    with pytest.raises(PermissionDenied):
        gifts.adjust(store.ctx, store.staff, sku="TOY-001", counted=1, reason="x")
    assert gifts.get_gift(store.ctx, store.manager, "TOY-001").on_hand == 9


# ----------------------------------------------------------------------------- owed and hand-out


def test_recharge_tier_gift_is_owed_then_handed_out(store):
    catalogue(store, qty=1)
    mem = member(store)
    rc = wallet.recharge(store.ctx, store.cashier, member_id=mem.member_id, tier_code="advanced")
    gift_item = next(i for i in rc.items if i.kind == "gift")
    assert gift_item.state == "owed" and gift_item.due_on == date(2026, 11, 26)  # 3 working days after Monday
    owed = gifts.owed_gifts(store.ctx, store.cashier, member_id=mem.member_id)
    assert [(o.sku, o.source, o.on_hand, o.overdue, o.phone) for o in owed] == [("TOY-001", "tier", 1, False, mem.phone)]
    res = gifts.handout(store.ctx, store.cashier, member_id=mem.member_id, request_id="ho-1")
    assert [h.entitlement_id for h in res.handed_out] == [gift_item.entitlement_id] and res.still_owed == ()
    state, issued = entitlement(store, gift_item.entitlement_id)
    mv = gifts.movements(store.ctx, store.cashier, kind="handout")[0]
    assert (state, issued) == ("handed_out", mv.movement_id)
    assert (mv.delta, mv.reason, mv.member_id, mv.entitlement_id) == (-1, "tier", mem.member_id, gift_item.entitlement_id)
    assert gifts.get_gift(store.ctx, store.cashier, "TOY-001").on_hand == 0
    # a replay returns the first result and hands out nothing more
    again = gifts.handout(store.ctx, store.cashier, member_id=mem.member_id, request_id="ho-1")
    assert again.handed_out == res.handed_out
    assert count(store, g.StockMovement, g.StockMovement.kind == "handout") == 1
    # handed out at most once
    with pytest.raises(StateError) as e:
        gifts.handout(store.ctx, store.cashier, member_id=mem.member_id, entitlement_ids=[gift_item.entitlement_id])
    assert e.value.key == "gift.not_owed"
    with pytest.raises(StateError) as e:
        gifts.handout(store.ctx, store.cashier, member_id=mem.member_id)
    assert e.value.key == "gift.nothing_owed"
    assert all(gift_doctor(store).values())


def test_handout_gives_what_is_on_the_shelf_rest_stays_owed(store):
    catalogue(store, "TOY-001", qty=1)
    catalogue(store, "FOOD-BOX", qty=0)
    mem = member(store)
    ids_toy = owe(store, mem.member_id, "TOY-001", 2, source="milestone")
    ids_food = owe(store, mem.member_id, "FOOD-BOX", 1, source="prize")
    ids_x = owe(store, mem.member_id, "NOT-IN-CAT", 1, source="redemption")
    res = gifts.handout(store.ctx, store.staff, member_id=mem.member_id)
    assert len(res.handed_out) == 1 and res.handed_out[0].entitlement_id in ids_toy
    assert res.handed_out[0].source == "milestone"
    toy_left = next(i for i in ids_toy if i != res.handed_out[0].entitlement_id)
    assert {(o.entitlement_id, o.reason) for o in res.still_owed} == {
        (toy_left, "out_of_stock"), (ids_food[0], "out_of_stock"), (ids_x[0], "unknown_sku")
    }
    assert all(o.due_on is not None for o in res.still_owed)
    mv = gifts.movements(store.ctx, store.staff, kind="handout")
    assert [x.reason for x in mv] == ["milestone"]
    # nothing at all on the shelf: refused with a clear message, nothing written
    before = count(store, g.StockMovement)
    with pytest.raises(OutOfStock) as e:
        gifts.handout(store.ctx, store.staff, member_id=mem.member_id, request_id="ho-none")
    assert e.value.key == "gift.handout_none"
    assert count(store, g.StockMovement) == before
    assert count(store, m.RequestLog, m.RequestLog.request_id == "ho-none") == 0
    # stock arrives: the owed one goes out later
    gifts.receive(store.ctx, store.staff, sku="FOOD-BOX", qty=1)
    res = gifts.handout(store.ctx, store.staff, member_id=mem.member_id, entitlement_ids=ids_food)
    assert [h.sku for h in res.handed_out] == ["FOOD-BOX"] and res.still_owed == ()


def test_handout_refusals(store):
    catalogue(store, qty=5)
    a, b = member(store, PHONES[0]), member(store, PHONES[1])
    ids = owe(store, a.member_id, "TOY-001", 1)
    with pytest.raises(NotFound):  # another member's gift
        gifts.handout(store.ctx, store.staff, member_id=b.member_id, entitlement_ids=ids)
    with pytest.raises(NotFound):
        gifts.handout(store.ctx, store.staff, member_id="nobody", entitlement_ids=ids)
    with pytest.raises(InvalidInput):
        gifts.handout(store.ctx, store.staff, member_id=a.member_id, entitlement_ids=[])
    with pytest.raises(InvalidInput):
        gifts.handout(store.ctx, store.staff, member_id=a.member_id, entitlement_ids=ids + ids)
    with store.ctx.uow() as uow:  # a coupon entitlement is not a gift
        coupon_id = uow.session.scalar(select(m.Entitlement.id).where(m.Entitlement.kind != "gift").limit(1))
    if coupon_id:
        with pytest.raises(NotFound):
            gifts.handout(store.ctx, store.staff, member_id=a.member_id, entitlement_ids=[coupon_id])
    assert count(store, g.StockMovement, g.StockMovement.kind == "handout") == 0


def test_decline_is_recorded(store):
    catalogue(store, qty=5)
    mem = member(store)
    ids = owe(store, mem.member_id, "TOY-001", 2)
    res = gifts.decline(store.ctx, store.staff, member_id=mem.member_id, entitlement_ids=ids[:1], reason="不需要")
    assert res.declined == (ids[0],)
    assert entitlement(store, ids[0])[0] == "declined"
    assert entitlement(store, ids[1])[0] == "owed"
    assert count(store, m.AuditLog, m.AuditLog.action == "gift.decline") == 1
    with pytest.raises(StateError):
        gifts.handout(store.ctx, store.staff, member_id=mem.member_id, entitlement_ids=ids[:1])
    assert gifts.get_gift(store.ctx, store.staff, "TOY-001").owed == 1


def test_owed_list_oldest_first_overdue_highlighted(store):
    catalogue(store)
    a, b = member(store, PHONES[0]), member(store, PHONES[1])
    first = owe(store, b.member_id, "TOY-001", 1)
    store.clock.advance(hours=1)
    second = owe(store, a.member_id, "TOY-001", 1)
    rows = gifts.owed_gifts(store.ctx, store.staff)
    assert [r.entitlement_id for r in rows] == first + second
    assert not any(r.overdue for r in rows)
    store.clock.advance(days=10)  # owe() promised within 3 working days of 2026-11-23
    assert all(r.overdue for r in gifts.owed_gifts(store.ctx, store.staff))
    assert [r.member_id for r in gifts.owed_gifts(store.ctx, store.staff, member_id=a.member_id)] == [a.member_id]


def test_refund_keeps_handed_out_gift_and_revokes_owed(store):
    catalogue(store, qty=1)
    mem = member(store)
    r1 = wallet.recharge(store.ctx, store.cashier, member_id=mem.member_id, tier_code="advanced")
    gifts.handout(store.ctx, store.staff, member_id=mem.member_id)
    r2 = wallet.recharge(store.ctx, store.cashier, member_id=mem.member_id, tier_code="advanced")
    wallet.refund(store.ctx, store.manager, recharge_id=r1.recharge_id)
    wallet.refund(store.ctx, store.manager, recharge_id=r2.recharge_id)
    g1 = next(i for i in r1.items if i.kind == "gift")
    g2 = next(i for i in r2.items if i.kind == "gift")
    assert entitlement(store, g1.entitlement_id)[0] == "kept"
    assert entitlement(store, g2.entitlement_id)[0] == "revoked"
    assert gifts.owed_gifts(store.ctx, store.staff) == []
    assert all(gift_doctor(store).values())


# ----------------------------------------------------------------------------- levels, low stock, history


def test_stock_levels_low_and_tier_skus(store):
    catalogue(store, "TOY-001", qty=5, threshold=3)
    catalogue(store, "FOOD-BOX", qty=10, threshold=2, value=128_00)
    mem = member(store)
    owe(store, mem.member_id, "TOY-001", 2)
    levels = {lv.sku: lv for lv in gifts.stock_levels(store.ctx, store.cashier)}
    assert (levels["TOY-001"].owed, levels["TOY-001"].available, levels["TOY-001"].low) == (2, 3, True)
    assert (levels["FOOD-BOX"].available, levels["FOOD-BOX"].low, levels["FOOD-BOX"].value_fen) == (10, False, 1280_00)
    assert [lv.sku for lv in gifts.low_stock(store.ctx, store.cashier)] == ["TOY-001"]
    asked = gifts.stock_levels(store.ctx, store.cashier, ["food-box", "NEW-1"])
    assert [(lv.sku, lv.known, lv.on_hand) for lv in asked] == [("FOOD-BOX", True, 10), ("NEW-1", False, 0)]
    assert [lv.sku for lv in gifts.stock_levels(store.ctx, store.cashier, query="food")] == ["FOOD-BOX"]
    gifts.update_gift(store.ctx, store.manager, sku="TOY-001", active=False)
    assert gifts.low_stock(store.ctx, store.cashier) == []


def test_movement_history_filters(store):
    catalogue(store, "TOY-001", qty=5)
    catalogue(store, "FOOD-BOX")
    store.clock.advance(days=1)
    gifts.receive(store.ctx, store.manager, sku="FOOD-BOX", qty=2)
    gifts.adjust(store.ctx, store.manager, sku="TOY-001", delta=-1, reason="破损")
    all_rows = gifts.movements(store.ctx, store.manager)
    assert [r.kind for r in all_rows] == ["adjusted", "received", "received"]  # newest first
    assert [r.sku for r in gifts.movements(store.ctx, store.manager, sku="toy-001")] == ["TOY-001", "TOY-001"]
    assert len(gifts.movements(store.ctx, store.manager, kind="received")) == 2
    assert [r.staff_code for r in gifts.movements(store.ctx, store.manager, staff_code="shelf1")] == ["shelf1"]
    day1, day2 = date(2026, 11, 23), date(2026, 11, 24)
    assert len(gifts.movements(store.ctx, store.manager, since=day2)) == 2
    assert len(gifts.movements(store.ctx, store.manager, until=day1)) == 1
    assert len(gifts.movements(store.ctx, store.manager, since=day1, until=day1, kind="adjusted")) == 0
    with pytest.raises(InvalidInput):
        gifts.movements(store.ctx, store.manager, kind="stolen")
    with pytest.raises(InvalidInput):
        gifts.movements(store.ctx, store.manager, staff_code="ghost")


# ----------------------------------------------------------------------------- stocktake


def test_stocktake_preview_then_confirm_in_one_transaction(store):
    catalogue(store, "TOY-001", qty=10)
    catalogue(store, "FOOD-BOX", qty=4)
    catalogue(store, "CHEW-01", qty=7)
    sheet = gifts.stocktake_sheet(store.ctx, store.manager)
    assert [(c.sku, c.expected, c.counted) for c in sheet] == [("CHEW-01", 7, None), ("FOOD-BOX", 4, None), ("TOY-001", 10, None)]
    counts = {"TOY-001": 8, "FOOD-BOX": 4, "CHEW-01": 9}
    preview = gifts.preview_stocktake(store.ctx, store.manager, counts)
    assert [(c.sku, c.difference) for c in preview] == [("CHEW-01", 2), ("FOOD-BOX", 0), ("TOY-001", -2)]
    assert count(store, g.StockMovement, g.StockMovement.kind == "adjusted") == 0  # preview writes nothing
    res = gifts.confirm_stocktake(store.ctx, store.manager, counts, reason="月末盘点", request_id="st-1")
    assert res.adjusted == 2 and len(res.lines) == 3
    assert {lv.sku: lv.on_hand for lv in gifts.stock_levels(store.ctx, store.manager)} == counts
    with store.ctx.uow(read_only=True) as uow:
        mvs = uow.session.execute(
            select(g.StockMovement.sku, g.StockMovement.delta, g.StockMovement.reason, g.StockMovement.batch_id)
            .where(g.StockMovement.stocktake_id == res.stocktake_id)
        ).all()
    assert sorted(tuple(mv[:3]) for mv in mvs) == [("CHEW-01", 2, "月末盘点"), ("TOY-001", -2, "月末盘点")]
    assert {mv[3] for mv in mvs} == {"st-1"}
    again = gifts.confirm_stocktake(store.ctx, store.manager, counts, reason="月末盘点", request_id="st-1")
    assert again.stocktake_id == res.stocktake_id
    assert count(store, g.StockMovement, g.StockMovement.kind == "adjusted") == 2
    assert all(gift_doctor(store).values())


def test_stocktake_refusals_write_nothing(store):
    catalogue(store, "TOY-001", qty=10)
    with pytest.raises(InvalidInput):  # an unknown SKU: the whole count is refused
        gifts.confirm_stocktake(store.ctx, store.manager, {"TOY-001": 3, "NOPE": 1}, reason="x")
    with pytest.raises(InvalidInput):
        gifts.confirm_stocktake(store.ctx, store.manager, {"TOY-001": -1}, reason="x")
    with pytest.raises(InvalidInput):
        gifts.confirm_stocktake(store.ctx, store.manager, {"TOY-001": 3}, reason="")
    with pytest.raises(InvalidInput):
        gifts.confirm_stocktake(store.ctx, store.manager, {}, reason="x")
    with pytest.raises(PermissionDenied):
        gifts.confirm_stocktake(store.ctx, store.staff, {"TOY-001": 3}, reason="x")
    assert gifts.get_gift(store.ctx, store.manager, "TOY-001").on_hand == 10
    assert count(store, g.Stocktake) == 0


# ----------------------------------------------------------------------------- exports


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_exports_read_back(store, tmp_path, suffix):
    catalogue(store, "TOY-001", qty=5, value=39_50)
    catalogue(store, "FOOD-BOX", qty=1, threshold=3, value=128_00, name="宠物食品礼盒")
    gifts.adjust(store.ctx, store.manager, sku="TOY-001", delta=-1, reason="破损")

    def rows_of(path):
        if suffix == ".csv":
            with open(path, encoding="utf-8-sig", newline="") as fh:
                return list(csv.reader(fh))
        wb = load_workbook(path)
        return [list(r) for r in wb.active.iter_rows(values_only=True)]

    p = gifts.export_stock(store.ctx, store.manager, tmp_path / f"stock{suffix}")
    rows = rows_of(p)
    assert rows[0][:3] == ["礼品编码", "名称", "库存"]
    body = {r[0]: r for r in rows[1:]}
    assert body["FOOD-BOX"][1] == "宠物食品礼盒"
    if suffix == ".csv":
        assert body["TOY-001"][2] == "4" and body["TOY-001"][6] == "39.50" and body["TOY-001"][7] == "158.00"
        assert body["FOOD-BOX"][8] == "1"  # low
    else:
        assert body["TOY-001"][2] == 4 and Decimal(str(body["TOY-001"][6])) == Decimal("39.50")
        assert Decimal(str(body["TOY-001"][7])) == Decimal("158.00") and body["FOOD-BOX"][8] == 1
    p = gifts.export_movements(store.ctx, store.manager, tmp_path / f"mv{suffix}", sku="TOY-001")
    rows = rows_of(p)
    assert len(rows) == 3
    assert [r[3] for r in rows[1:]] == ["adjusted", "received"]
    assert [str(r[4]) for r in rows[1:]] == ["-1", "5"]
    sheet = gifts.preview_stocktake(store.ctx, store.manager, {"TOY-001": 2})
    p = gifts.write_stocktake(tmp_path / f"st{suffix}", sheet)
    rows = rows_of(p)
    assert [str(x) for x in rows[1][:5]] == ["TOY-001", "宠物玩具", "4", "2", "-2"]
    # a filled-in sheet reads back as counts
    assert gifts.read_counts(p) == {"TOY-001": 2}


def test_export_refuses_unknown_format(store, tmp_path):
    with pytest.raises(InvalidInput):
        gifts.export_stock(store.ctx, store.manager, tmp_path / "stock.pdf")


# ----------------------------------------------------------------------------- hooks


def _campaign_with_block(store, block: bool):
    data = read_campaign_file(DEMO_CAMPAIGN)
    data["campaign"]["starts_on"] = "2026-11-01"
    data["campaign"]["ends_on"] = "2027-01-31"
    for t in data["tiers"]:
        if t["code"] == "advanced":
            t["block_when_gift_out_of_stock"] = block
    campaigns.load_campaign(store.ctx, store.manager, data)


def test_tier_blocked_when_gift_out_of_stock(store):
    _campaign_with_block(store, True)
    catalogue(store, "TOY-001", qty=0)
    mem = member(store)
    states = {t.tier_code: t for t in gifts.tier_stock(store.ctx, store.cashier)}
    assert states["advanced"].blocked and not states["basic"].short
    with pytest.raises(OutOfStock) as e:
        wallet.recharge(store.ctx, store.cashier, member_id=mem.member_id, tier_code="advanced")
    assert e.value.key == "gift.tier_blocked" and e.value.params["sku"] == "TOY-001"
    assert count(store, m.Recharge) == 0 and count(store, m.WalletEntry) == 0
    gifts.receive(store.ctx, store.staff, sku="TOY-001", qty=1)
    assert not {t.tier_code: t for t in gifts.tier_stock(store.ctx, store.cashier)}["advanced"].blocked
    wallet.recharge(store.ctx, store.cashier, member_id=mem.member_id, tier_code="advanced")
    # the one on the shelf is now owed to this member: the next member is refused again
    other = member(store, PHONES[1])
    with pytest.raises(OutOfStock):
        wallet.recharge(store.ctx, store.cashier, member_id=other.member_id, tier_code="advanced")


def test_tier_not_blocked_by_default_gift_owed(store):
    mem = member(store)
    rc = wallet.recharge(store.ctx, store.cashier, member_id=mem.member_id, tier_code="advanced")
    assert [i.state for i in rc.items if i.kind == "gift"] == ["owed"]
    assert gifts.stock_levels(store.ctx, store.cashier, ["TOY-001"])[0].owed == 1


def test_doctor_catches_a_tampered_cache(store):
    catalogue(store, qty=3)
    assert all(gift_doctor(store).values()) and len(gift_doctor(store)) == 4
    with store.ctx.uow() as uow:
        uow.session.execute(text("UPDATE gift_item SET on_hand = on_hand + 1 WHERE sku = 'TOY-001'"))
        uow.commit()
    assert gift_doctor(store)["gift_on_hand_equals_movements"] is False
    assert gift_doctor(store)["gift_movements_chain"] is False


def test_doctor_catches_a_handout_without_its_entitlement_state(store):
    catalogue(store, qty=3)
    mem = member(store)
    ids = owe(store, mem.member_id, "TOY-001", 1)
    gifts.handout(store.ctx, store.staff, member_id=mem.member_id)
    with store.ctx.uow() as uow:
        uow.session.execute(text("UPDATE entitlement SET state = 'owed' WHERE id = :i"), {"i": ids[0]})
        uow.commit()
    assert gift_doctor(store)["gift_handed_out_once"] is False


def test_demo_catalogue(bare_store):
    from pos_app.services import demo

    s = bare_store
    gifts.load_demo_data(s.ctx, s.manager)
    gifts.load_demo_data(s.ctx, s.manager)  # a second load adds nothing
    levels = {lv.sku: lv for lv in gifts.stock_levels(s.ctx, s.manager)}
    assert {"TOY-001", "FOOD-BOX"} <= set(levels) and len(levels) >= 4
    assert levels["FOOD-BOX"].name == "宠物食品礼盒" and levels["TOY-001"].name == "宠物玩具"
    assert [lv.sku for lv in gifts.low_stock(s.ctx, s.manager)] == ["FOOD-BOX"]
    assert count(s, g.StockMovement) == len(levels)
    assert demo.demo_campaign_file().exists()


def test_migration_matches_models_for_gift_tables(store):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from pos_app.db.all_models import metadata

    mine = {"gift_item", "stock_movement", "stocktake", "stocktake_line"}

    def include(obj, name, type_, reflected, compare_to):
        if type_ == "table":
            return name in mine or name == "entitlement"
        table = getattr(getattr(obj, "table", None), "name", None)
        if table == "entitlement":  # the foundation's table: only our index on it
            return type_ == "index" and name == "ix_entitlement_state_kind_ref"
        return table is None or table in mine

    with store.ctx.db.engine.connect() as conn:
        mc = MigrationContext.configure(conn, opts={"include_object": include, "compare_type": True})
        diff = compare_metadata(mc, metadata)
    assert diff == []


def test_transfer_timestamps_are_store_local_days(store):
    """A movement late in the evening (Beijing) belongs to that store day, not the UTC day."""
    catalogue(store)
    store.clock.now = store.clock.now.replace(hour=15, minute=30)  # 23:30 in Shanghai on 2026-11-23
    gifts.receive(store.ctx, store.staff, sku="TOY-001", qty=1)
    assert len(gifts.movements(store.ctx, store.staff, since=date(2026, 11, 23), until=date(2026, 11, 23))) == 1
    assert gifts.movements(store.ctx, store.staff, since=date(2026, 11, 23) + timedelta(days=1)) == []


def test_count_summary_for_the_dashboard(store):
    catalogue(store, "TOY-001", qty=3, threshold=2, value=39_00)
    catalogue(store, "FOOD-BOX", qty=1, threshold=3, value=128_00)
    mem = member(store)
    owe(store, mem.member_id, "TOY-001", 2)
    gifts.handout(store.ctx, store.staff, member_id=mem.member_id)
    owe(store, mem.member_id, "FOOD-BOX", 2)
    store.clock.advance(days=10)
    s = gifts.count_summary(store.ctx, store.manager)
    assert s == {"handed_out": 2, "owed": 2, "overdue": 2, "on_hand_units": 2, "on_hand_value_fen": 39_00 + 128_00,
                 "low_skus": 2}
