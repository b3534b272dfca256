"""Issue 9: a refund deducts the perks the member already used or kept (item 5); the recharge result lists
every item its transaction granted, the referral's new-member gift too (item 4); short receipt numbers and
item names/codes (item 11). Real SQLite store with the demo campaign (advanced: 1000 -> +150, two PET20
coupons, the TOY-001 gift; 5% grooming voucher from 1000 yuan)."""

from __future__ import annotations

import json
import re
import sqlite3

import pytest

from pos_app.domain.errors import InvalidInput, StateError
from pos_app.services import campaigns, coupons, doctor, gifts, members, wallet
from pos_app.services.campaigns import read_campaign_file
from tests.conftest import DEMO_CAMPAIGN


def _q(store, sql, *params):
    with sqlite3.connect(store.path) as c:
        return c.execute(sql, params).fetchall()


@pytest.fixture
def member(store):
    return members.register_member(store.ctx, store.cashier, phone="13800138000", name="陈一")


@pytest.fixture
def toys(store):
    gifts.add_gift(store.ctx, store.manager, sku="TOY-001", name="宠物玩具", unit_value_fen=39_00, threshold=0)
    gifts.receive(store.ctx, store.staff, sku="TOY-001", qty=5, supplier="厂家", reference="PO-1")
    # the demo campaign's other gift: a campaign may only name gifts the catalogue has
    gifts.add_gift(store.ctx, store.manager, sku="FOOD-BOX", name="食品礼盒", unit_value_fen=88_00, threshold=0)


def _use_voucher_and_keep_toy(store, member, r):
    voucher = next(i for i in r.items if i.kind == "voucher")
    assert voucher.value_fen == 50_00 and voucher.code  # the recharge result gives the code, not only the id
    coupons.redeem_coupon(store.ctx, store.cashier, code=voucher.code, amount_fen=200_00, member_id=member.member_id)
    toy = next(i for i in r.items if i.kind == "gift")
    gifts.handout(store.ctx, store.staff, member_id=member.member_id, entitlement_ids=[toy.entitlement_id])
    return voucher, toy


def test_refund_deducts_the_voucher_used_and_the_toy_kept_from_the_principal(store, member, toys):
    r = wallet.recharge(store.ctx, store.cashier, member_id=member.member_id, tier_code="advanced", pay_method="wechat")
    wallet.spend(store.ctx, store.cashier, member_id=member.member_id, amount_fen=60_00)
    _use_voucher_and_keep_toy(store, member, r)
    left = _q(store, "SELECT principal_left_fen, bonus_left_fen FROM recharge WHERE id = ?", r.recharge_id)[0]

    pv = wallet.refund_preview(store.ctx, store.manager, r.recharge_id)
    assert pv.principal_refundable_fen == left[0]
    assert sorted((d.kind, d.value_fen) for d in pv.deductions) == [("gift", 39_00), ("voucher", 50_00)]
    assert pv.deductions_fen == 89_00 == sum(d.value_fen for d in pv.deductions)
    assert pv.net_refund_fen == left[0] - 89_00
    assert (pv.bonus_revoke_fen, pv.deduct_used_perks, pv.original_pay_method) == (left[1], True, "wechat")
    assert _q(store, "SELECT COUNT(*) FROM refund") == [(0,)]  # the preview writes nothing

    rf = wallet.refund(store.ctx, store.manager, recharge_id=r.recharge_id, method="cash", request_id="rf-1")
    assert rf.principal_refund_fen == pv.net_refund_fen  # paid back, and it is not the full unspent principal
    assert (rf.principal_refundable_fen, rf.deducted_fen, rf.deductions_fen) == (left[0], 89_00, 89_00)
    assert [(d.kind, d.name, d.value_fen) for d in rf.deductions] == [(d.kind, d.name, d.value_fen) for d in pv.deductions]
    assert (rf.method, rf.pay_method, rf.balance_fen) == ("cash", "cash", 0)
    # the whole unspent principal leaves the wallet; the store keeps the deducted part
    assert _q(store, "SELECT principal_delta_fen, bonus_delta_fen FROM wallet_entry WHERE refund_id = ?", rf.refund_id) == [
        (-left[0], -left[1])]
    row = _q(store, "SELECT refund_method, pay_method, principal_unspent_fen, deducted_fen, deductions_json FROM refund")[0]
    assert row[:4] == ("cash", "cash", left[0], 89_00)
    assert sorted(d["value_fen"] for d in json.loads(row[4])) == [39_00, 50_00]
    event = json.loads(_q(store, "SELECT payload_json FROM outbox WHERE type = 'wallet.refunded'")[0][0])
    assert (event["method"], event["deducted_fen"], event["principal_refund_fen"]) == ("cash", 89_00, pv.net_refund_fen)
    # a replay returns the first result, breakdown included
    assert wallet.refund(store.ctx, store.manager, recharge_id=r.recharge_id, method="cash", request_id="rf-1") == rf
    with pytest.raises(StateError):
        wallet.refund_preview(store.ctx, store.manager, r.recharge_id)
    assert doctor.run_doctor(store.ctx).ok


def test_refund_defaults_to_the_original_method(store, member):
    r = wallet.recharge(store.ctx, store.cashier, member_id=member.member_id, tier_code="basic", pay_method="alipay")
    rf = wallet.refund(store.ctx, store.manager, recharge_id=r.recharge_id)
    assert (rf.method, rf.pay_method, rf.principal_refund_fen, rf.deductions) == ("original", "alipay", 500_00, ())


def test_deductions_never_take_the_refund_below_zero(store, member, toys):
    r = wallet.recharge(store.ctx, store.cashier, member_id=member.member_id, tier_code="advanced")
    wallet.spend(store.ctx, store.cashier, member_id=member.member_id, amount_fen=1100_00)  # 50 of balance left
    _use_voucher_and_keep_toy(store, member, r)
    pv = wallet.refund_preview(store.ctx, store.manager, r.recharge_id)
    assert 0 < pv.principal_refundable_fen < pv.deductions_fen
    assert pv.net_refund_fen == 0
    rf = wallet.refund(store.ctx, store.manager, recharge_id=r.recharge_id)
    assert (rf.principal_refund_fen, rf.deducted_fen) == (0, pv.principal_refundable_fen)
    assert rf.balance_fen == 0 and doctor.run_doctor(store.ctx).ok


def test_campaign_setting_off_refunds_the_unspent_principal_in_full(store, member, toys):
    data = read_campaign_file(DEMO_CAMPAIGN)
    data["campaign"]["starts_on"], data["campaign"]["ends_on"] = "2026-11-01", "2027-01-31"
    data["refund"] = {"deduct_used_perks": False}
    campaigns.load_campaign(store.ctx, store.manager, data)
    r = wallet.recharge(store.ctx, store.cashier, member_id=member.member_id, tier_code="advanced")
    _use_voucher_and_keep_toy(store, member, r)
    pv = wallet.refund_preview(store.ctx, store.manager, r.recharge_id)
    assert (pv.deduct_used_perks, pv.deductions, pv.net_refund_fen) == (False, (), 1000_00)
    assert wallet.refund(store.ctx, store.manager, recharge_id=r.recharge_id).principal_refund_fen == 1000_00


def test_campaign_refund_setting_must_be_a_boolean(store):
    data = read_campaign_file(DEMO_CAMPAIGN)
    data["refund"] = {"deduct_used_perks": "yes"}
    with pytest.raises(InvalidInput) as exc:
        campaigns.load_campaign(store.ctx, store.manager, data)
    assert exc.value.params["field"] == "refund.deduct_used_perks"


def test_an_unknown_refund_method_is_refused_and_writes_nothing(store, member):
    r = wallet.recharge(store.ctx, store.cashier, member_id=member.member_id, tier_code="basic")
    with pytest.raises(InvalidInput) as exc:
        wallet.refund(store.ctx, store.manager, recharge_id=r.recharge_id, method="bitcoin")
    assert exc.value.key == "refund.method_invalid"
    assert _q(store, "SELECT COUNT(*) FROM refund") == [(0,)]


def test_first_recharge_of_an_invitee_lists_the_new_member_gift_with_the_tier_gift(store):
    """Item 4: the result (and so the receipt's hand-over list) has every gift the transaction granted."""
    inviter = members.register_member(store.ctx, store.cashier, phone="13900139000", name="林二")
    invitee = members.register_member(store.ctx, store.cashier, phone="13700137000", invite_code=inviter.invite_code)
    r = wallet.recharge(store.ctx, store.cashier, member_id=invitee.member_id, tier_code="advanced")
    gifts_now = sorted(i.name for i in r.items if i.kind == "gift" and i.state == "owed")
    assert gifts_now == sorted(["宠物玩具（价值 39 元）", "新会员礼：宠物玩具"])
    owed = sorted(g.name for g in gifts.owed_gifts(store.ctx, store.staff, member_id=invitee.member_id))
    assert len(owed) == len(gifts_now) == 2
    # the inviter's reward is reported apart, never in the member's hand-over list
    assert r.inviter_items and all(i.kind == "coupon" for i in r.inviter_items)
    assert {i.entitlement_id for i in r.items}.isdisjoint({i.entitlement_id for i in r.inviter_items})
    # a look-up of the same recharge says the same
    again = wallet.get_recharge(store.ctx, store.cashier, r.recharge_id)
    assert sorted(i.entitlement_id for i in again.items) == sorted(i.entitlement_id for i in r.items)


def test_receipt_numbers_are_short_per_store_day_and_stored(store, member):
    r1 = wallet.recharge(store.ctx, store.cashier, member_id=member.member_id, amount_fen=100_00)
    r2 = wallet.recharge(store.ctx, store.cashier, member_id=member.member_id, amount_fen=100_00)
    # clock: 2026-11-23 10:00 Beijing
    assert (r1.receipt_no, r2.receipt_no) == ("T001-20261123-0001", "T001-20261123-0002")
    store.clock.advance(hours=14)  # 00:00 the next day in Beijing, still the 23rd in UTC
    r3 = wallet.recharge(store.ctx, store.cashier, member_id=member.member_id, amount_fen=100_00)
    assert r3.receipt_no == "T001-20261124-0001"
    assert _q(store, "SELECT receipt_no FROM recharge WHERE id = ?", r3.recharge_id) == [("T001-20261124-0001",)]
    assert wallet.get_recharge(store.ctx, store.cashier, r1.recharge_id).receipt_no == r1.receipt_no
    lines = wallet.statement(store.ctx, store.cashier, member_id=member.member_id)
    assert {ln.receipt_no for ln in lines} == {r1.receipt_no, r2.receipt_no, r3.receipt_no}
    assert {s.receipt_no for s in wallet.recharges(store.ctx, store.cashier, member_id=member.member_id)} == {
        r1.receipt_no, r2.receipt_no, r3.receipt_no}


def test_items_have_human_names_and_coupons_their_codes(store, member):
    r = wallet.recharge(store.ctx, store.cashier, member_id=member.member_id, tier_code="luxury")
    mp = next(i for i in r.items if i.kind == "member_price")
    assert mp.name != "member_price" and "12" in mp.name
    for i in r.items:
        if i.kind in ("coupon", "voucher") and i.state == "issued":
            assert i.code and re.fullmatch(r"[0-9A-Z]{4}(-[0-9A-Z]{4})+-?[0-9A-Z]*", i.code), i.code


def test_member_items_carry_the_coupon_codes(store, member):
    r = wallet.recharge(store.ctx, store.cashier, member_id=member.member_id, tier_code="basic")
    items = wallet.member_items(store.ctx, store.cashier, member_id=member.member_id)
    coupon = next(i for i in items if i.kind == "coupon")
    assert coupon.code == next(i.code for i in r.items if i.kind == "coupon") and coupon.code
