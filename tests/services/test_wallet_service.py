"""Recharge, spend and refund on a real SQLite store with the demo campaign (basic 500 -> +50, advanced
1000 -> +150, luxury 2000 -> +400; 10 points per full 100 yuan, points expire after 12 months; 5% voucher
from 1000 yuan)."""

from __future__ import annotations

import json
import sqlite3
from datetime import date

import pytest

from pos_app.domain.errors import (
    Conflict,
    InsufficientFunds,
    InvalidInput,
    LimitExceeded,
    NotFound,
    PermissionDenied,
    StateError,
)
from pos_app.services import doctor, members, staff, wallet


def _q(store, sql, *params):
    with sqlite3.connect(store.path) as c:
        return c.execute(sql, params).fetchall()


def _counts(store):
    tables = ("recharge", "spend", "refund", "wallet_entry", "points_lot", "points_entry", "entitlement",
              "audit_log", "outbox", "request_log")
    return {t: _q(store, f"SELECT COUNT(*) FROM {t}")[0][0] for t in tables}


@pytest.fixture
def member(store):
    return members.register_member(store.ctx, store.cashier, phone="13800138000", name="陈一")


def test_recharge_500_on_basic_tier_writes_every_part(store, member):
    before = _counts(store)
    r = wallet.recharge(store.ctx, store.cashier, member_id=member.member_id, tier_code="basic", pay_method="wechat")
    assert (r.tier_code, r.principal_fen, r.bonus_fen, r.balance_fen, r.points) == ("basic", 500_00, 50_00, 550_00, 50)
    assert (r.principal_balance_fen, r.bonus_balance_fen, r.pay_method, r.staff_code) == (500_00, 50_00, "wechat", "cash1")
    after = _counts(store)
    assert after["recharge"] == before["recharge"] + 1
    assert after["points_lot"] == before["points_lot"] + 1
    assert after["request_log"] == before["request_log"] + 1
    # the wallet row records the balances after it
    assert _q(store, "SELECT kind, principal_delta_fen, bonus_delta_fen, principal_after_fen, bonus_after_fen, seq"
                     " FROM wallet_entry WHERE recharge_id = ?", r.recharge_id) == [("recharge", 500_00, 50_00, 500_00, 50_00, 1)]
    # points lot expires 12 months after the store-local day of the recharge (clock: 2026-11-23 10:00 Beijing)
    assert _q(store, "SELECT points, remaining, expires_on FROM points_lot WHERE recharge_id = ?", r.recharge_id) == [
        (50, 50, "2027-11-23"),
    ]
    # one entitlement: the PET20 coupon
    assert [(i.kind, i.ref, i.value_fen) for i in r.items] == [("coupon", "PET20", 20_00)]
    # issued at once: its coupon row is its only row (the entitlement's facts on it, tied to the recharge)
    assert _q(store, "SELECT COUNT(*) FROM entitlement WHERE recharge_id = ?", r.recharge_id) == [(0,)]
    assert _q(store, "SELECT id, template_code FROM coupon WHERE batch_id = ? AND item_json IS NOT NULL",
              r.recharge_id) == [(r.items[0].issued_ref, "PET20")]
    audit = _q(store, "SELECT action, staff_id, details_json FROM audit_log WHERE entity_id = ?", r.recharge_id)
    assert audit[0][:2] == ("wallet.recharge", store.cashier.staff_id)
    assert json.loads(audit[0][2])["amount_fen"] == 500_00
    events = _q(store, "SELECT type, payload_json FROM outbox WHERE type = 'wallet.recharged'")
    assert len(events) == 1 and json.loads(events[0][1])["recharge_id"] == r.recharge_id
    m = members.get_member(store.ctx, store.cashier, member_id=member.member_id)
    assert (m.principal_fen, m.bonus_fen, m.balance_fen, m.points) == (500_00, 50_00, 550_00, 50)
    assert doctor.run_doctor(store.ctx).ok


def test_custom_amount_750_takes_the_basic_tier(store, member):
    r = wallet.recharge(store.ctx, store.cashier, member_id=member.member_id, amount_fen=750_00)
    assert (r.tier_code, r.bonus_fen, r.points, r.balance_fen) == ("basic", 50_00, 70, 800_00)


def test_custom_amount_300_reaches_no_tier(store, member):
    r = wallet.recharge(store.ctx, store.cashier, phone="13800138000", amount_fen=300_00)
    assert (r.tier_code, r.bonus_fen, r.points, r.items) == (None, 0, 30, ())


def test_luxury_recharge_grants_every_kind_of_item_with_gift_due_in_3_working_days(store, member):
    r = wallet.recharge(store.ctx, store.cashier, member_id=member.member_id, tier_code="luxury")
    kinds = sorted(i.kind for i in r.items)
    assert kinds == ["coupon"] * 3 + ["gift", "member_price"] + ["voucher"] * 2
    gift = [i for i in r.items if i.kind == "gift"][0]
    assert gift.ref == "FOOD-BOX"
    if gift.state == "owed":  # not on the shelf: owed within 3 working days (Mon 23 Nov -> Thu 26 Nov)
        assert gift.due_on == date(2026, 11, 26)
    m = members.get_member(store.ctx, store.cashier, member_id=member.member_id)
    assert m.member_price_until == date(2027, 11, 23) and m.member_price_active


def test_tier_recharge_without_amount_uses_the_tier_price(store, member):
    r = wallet.recharge(store.ctx, store.cashier, member_id=member.member_id, tier_code="advanced")
    assert (r.principal_fen, r.bonus_fen, r.points) == (1000_00, 150_00, 100)


def test_cap_5000_refuses_a_recharge_and_writes_nothing(store, member):
    wallet.recharge(store.ctx, store.cashier, member_id=member.member_id, tier_code="luxury")  # 2400 on the card
    before = _counts(store)
    with pytest.raises(LimitExceeded) as exc:
        wallet.recharge(store.ctx, store.cashier, member_id=member.member_id, amount_fen=2500_00)  # +2500+400
    # the hint is the largest amount that passes, bonus included: 2200 + its 400 bonus = 2600 of room
    assert exc.value.params["room"] == 2200_00
    assert _counts(store) == before
    ok = wallet.recharge(store.ctx, store.cashier, member_id=member.member_id, amount_fen=2000_00, tier_code="basic")
    assert ok.balance_fen == 4450_00


def test_cap_hint_names_an_amount_that_passes_bonus_included(store, member):
    """Issue 9 item 6: with a 1,100.10 balance, 5,000.01 was refused with "at most 3,899.90", and 3,899.90
    was then refused too (its 400 bonus passes the cap). The hint is now 3,499.90, which passes."""
    wallet.recharge(store.ctx, store.cashier, member_id=member.member_id, amount_fen=1000_10, tier_code="advanced")
    wallet.spend(store.ctx, store.cashier, member_id=member.member_id, amount_fen=50_00)  # 1150.10 -> 1100.10
    assert members.get_member(store.ctx, store.cashier, member_id=member.member_id).balance_fen == 1100_10
    with pytest.raises(LimitExceeded) as exc:
        wallet.recharge(store.ctx, store.cashier, member_id=member.member_id, amount_fen=5000_01)
    hint = exc.value.params["room"]
    assert hint == 3499_90
    with pytest.raises(LimitExceeded):
        wallet.recharge(store.ctx, store.cashier, member_id=member.member_id, amount_fen=hint + 1)
    ok = wallet.recharge(store.ctx, store.cashier, member_id=member.member_id, amount_fen=hint)
    assert ok.balance_fen == 5000_00


def test_recharge_refusals_bad_amount_unknown_member_unknown_tier_bad_pay(store, member):
    before = _counts(store)
    for kwargs, err in [
        ({"amount_fen": 0}, InvalidInput),
        ({"amount_fen": -100}, InvalidInput),
        ({"amount_fen": 10**12}, InvalidInput),
        ({"tier_code": "gold"}, InvalidInput),
        ({"amount_fen": 400_00, "tier_code": "basic"}, InvalidInput),
        ({"amount_fen": 100_00, "pay_method": "bitcoin"}, InvalidInput),
        ({}, InvalidInput),
    ]:
        with pytest.raises(err):
            wallet.recharge(store.ctx, store.cashier, member_id=member.member_id, **kwargs)
    with pytest.raises(NotFound):
        wallet.recharge(store.ctx, store.cashier, phone="13900139000", amount_fen=100_00)
    assert _counts(store) == before


def test_outbox_sequence_is_gap_free_across_use_cases_and_failures(store, member):
    wallet.recharge(store.ctx, store.cashier, member_id=member.member_id, tier_code="basic")
    with pytest.raises(InsufficientFunds):
        wallet.spend(store.ctx, store.cashier, member_id=member.member_id, amount_fen=10_000_00)
    wallet.spend(store.ctx, store.cashier, member_id=member.member_id, amount_fen=10_00)
    members.register_member(store.ctx, store.cashier, phone="13900139000")
    seqs = [s for (s,) in _q(store, "SELECT seq FROM outbox ORDER BY seq")]
    assert seqs == list(range(1, len(seqs) + 1))
    device = _q(store, "SELECT device_id FROM store_info")[0][0]
    assert {d for (d,) in _q(store, "SELECT device_id FROM outbox")} == {device}
    ids = [e for (e,) in _q(store, "SELECT event_id FROM outbox ORDER BY seq")]
    assert len(set(ids)) == len(ids)


def test_spend_100_of_550_takes_90_91_principal_and_9_09_bonus(store, member):
    wallet.recharge(store.ctx, store.cashier, member_id=member.member_id, tier_code="basic")
    s = wallet.spend(store.ctx, store.cashier, phone="13800138000", amount_fen=100_00, note="狗粮")
    assert (s.principal_fen, s.bonus_fen, s.balance_fen) == (90_91, 9_09, 450_00)
    assert (s.principal_balance_fen, s.bonus_balance_fen) == (409_09, 40_91)
    assert _q(store, "SELECT principal_after_fen, bonus_after_fen, seq FROM wallet_entry WHERE spend_id = ?",
              s.spend_id) == [(409_09, 40_91, 2)]
    lines = wallet.statement(store.ctx, store.cashier, member_id=member.member_id)
    assert [(ln.kind, ln.balance_after_fen) for ln in lines] == [("spend", 450_00), ("recharge", 550_00)]
    assert doctor.run_doctor(store.ctx).ok


def test_spend_more_than_the_balance_is_refused_and_writes_nothing(store, member):
    wallet.recharge(store.ctx, store.cashier, member_id=member.member_id, amount_fen=100_00)
    before = _counts(store)
    with pytest.raises(InsufficientFunds):
        wallet.spend(store.ctx, store.cashier, member_id=member.member_id, amount_fen=100_01)
    assert _counts(store) == before
    s = wallet.spend(store.ctx, store.cashier, member_id=member.member_id, amount_fen=100_00)
    assert s.balance_fen == 0


def test_spend_takes_from_the_oldest_recharge_first(store, member):
    r1 = wallet.recharge(store.ctx, store.cashier, member_id=member.member_id, amount_fen=100_00)
    r2 = wallet.recharge(store.ctx, store.cashier, member_id=member.member_id, amount_fen=100_00)
    wallet.spend(store.ctx, store.cashier, member_id=member.member_id, amount_fen=150_00)
    left = dict(_q(store, "SELECT id, principal_left_fen FROM recharge"))
    assert left == {r1.recharge_id: 0, r2.recharge_id: 50_00}


def test_refund_after_spending_returns_unspent_principal_and_takes_back_bonus_points_and_items(store, member):
    r = wallet.recharge(store.ctx, store.cashier, member_id=member.member_id, tier_code="advanced")  # 1000+150, 100 pts
    wallet.spend(store.ctx, store.cashier, member_id=member.member_id, amount_fen=115_00)  # 100 + 15
    with pytest.raises(PermissionDenied):
        wallet.refund(store.ctx, store.cashier, recharge_id=r.recharge_id)
    rf = wallet.refund(store.ctx, store.manager, recharge_id=r.recharge_id, reason="搬家")
    assert (rf.principal_refund_fen, rf.bonus_revoke_fen) == (900_00, 135_00)
    assert (rf.points_revoked, rf.points_kept) == (100, 0)
    assert (rf.balance_fen, rf.principal_balance_fen, rf.bonus_balance_fen) == (0, 0, 0)
    # every item the recharge granted is taken back (revoked) or recorded as kept; none stays owed/issued
    states = {i.entitlement_id: i.state for i in rf.revoked_items + rf.kept_items}
    assert len(states) == len(r.items)
    assert set(states.values()) <= {"revoked", "cancelled", "kept"}
    owed_before = [i.entitlement_id for i in r.items if i.state == "owed"]
    assert all(states[i] in ("revoked", "cancelled") for i in owed_before)
    assert _q(store, "SELECT state FROM recharge WHERE id = ?", r.recharge_id) == [("refunded",)]
    m = members.get_member(store.ctx, store.cashier, member_id=member.member_id)
    assert (m.balance_fen, m.points) == (0, 0)
    assert _q(store, "SELECT kind, principal_delta_fen, bonus_delta_fen FROM wallet_entry WHERE refund_id = ?",
              rf.refund_id) == [("refund", -900_00, -135_00)]
    assert _q(store, "SELECT kind, delta FROM points_entry WHERE kind = 'revoke'") == [("revoke", -100)]
    with pytest.raises(StateError):
        wallet.refund(store.ctx, store.manager, recharge_id=r.recharge_id)
    assert doctor.run_doctor(store.ctx).ok


def test_refund_of_one_of_two_recharges_leaves_the_other_whole(store, member):
    r1 = wallet.recharge(store.ctx, store.cashier, member_id=member.member_id, tier_code="basic")
    wallet.recharge(store.ctx, store.cashier, member_id=member.member_id, amount_fen=300_00)
    rf = wallet.refund(store.ctx, store.manager, recharge_id=r1.recharge_id)
    assert (rf.principal_refund_fen, rf.bonus_revoke_fen, rf.balance_fen) == (500_00, 50_00, 300_00)
    assert members.get_member(store.ctx, store.cashier, member_id=member.member_id).points == 30


def test_refund_of_unknown_recharge_is_not_found(store):
    with pytest.raises(NotFound):
        wallet.refund(store.ctx, store.manager, recharge_id="nope")


def test_refund_keeps_points_already_spent(store, member):
    r = wallet.recharge(store.ctx, store.cashier, member_id=member.member_id, tier_code="basic")
    with store.ctx.uow() as uow:
        from pos_app.db import models as m

        lot = uow.session.query(m.PointsLot).one()
        mm = uow.session.get(m.Member, member.member_id)
        lot.remaining -= 20
        mm.points_balance -= 20
        uow.session.add(m.PointsEntry(id="spend-pts", member_id=mm.id, lot_id=lot.id, kind="spend", delta=-20,
                                      ref=None, created_at=store.clock()))
        uow.commit()
    rf = wallet.refund(store.ctx, store.manager, recharge_id=r.recharge_id)
    assert (rf.points_revoked, rf.points_kept) == (30, 20)
    assert doctor.run_doctor(store.ctx).ok


def test_recharge_is_idempotent_same_id_same_result_one_effect(store, member):
    kw = dict(member_id=member.member_id, tier_code="basic", request_id="rc-1")
    first = wallet.recharge(store.ctx, store.cashier, **kw)
    before = _counts(store)
    again = wallet.recharge(store.ctx, store.cashier, **kw)
    assert again == first
    assert _counts(store) == before
    with pytest.raises(Conflict):
        wallet.recharge(store.ctx, store.cashier, member_id=member.member_id, tier_code="advanced", request_id="rc-1")
    with pytest.raises(Conflict):
        wallet.spend(store.ctx, store.cashier, member_id=member.member_id, amount_fen=1_00, request_id="rc-1")
    assert _counts(store) == before


def test_spend_is_idempotent(store, member):
    wallet.recharge(store.ctx, store.cashier, member_id=member.member_id, tier_code="basic")
    first = wallet.spend(store.ctx, store.cashier, member_id=member.member_id, amount_fen=10_00, request_id="sp-1")
    before = _counts(store)
    assert wallet.spend(store.ctx, store.cashier, member_id=member.member_id, amount_fen=10_00, request_id="sp-1") == first
    assert _counts(store) == before
    with pytest.raises(Conflict):
        wallet.spend(store.ctx, store.cashier, member_id=member.member_id, amount_fen=11_00, request_id="sp-1")


def test_refund_is_idempotent(store, member):
    r = wallet.recharge(store.ctx, store.cashier, member_id=member.member_id, tier_code="basic")
    first = wallet.refund(store.ctx, store.manager, recharge_id=r.recharge_id, request_id="rf-1")
    before = _counts(store)
    assert wallet.refund(store.ctx, store.manager, recharge_id=r.recharge_id, request_id="rf-1") == first
    assert _counts(store) == before
    r2 = wallet.recharge(store.ctx, store.cashier, member_id=member.member_id, amount_fen=100_00)
    with pytest.raises(Conflict):
        wallet.refund(store.ctx, store.manager, recharge_id=r2.recharge_id, request_id="rf-1")


def test_roles_cashier_cannot_refund_or_add_staff_staff_cannot_recharge(store, member):
    r = wallet.recharge(store.ctx, store.cashier, member_id=member.member_id, tier_code="basic")
    before = _counts(store)
    with pytest.raises(PermissionDenied):
        wallet.refund(store.ctx, store.cashier, recharge_id=r.recharge_id)
    with pytest.raises(PermissionDenied):
        staff.add_staff(store.ctx, store.cashier, code="x1", role="manager", pin="1234")
    with pytest.raises(PermissionDenied):
        wallet.recharge(store.ctx, store.staff, member_id=member.member_id, amount_fen=100_00)
    with pytest.raises(PermissionDenied):
        wallet.spend(store.ctx, store.staff, member_id=member.member_id, amount_fen=1_00)
    assert _counts(store) == before


def test_points_expire_after_12_months_with_a_ledger_row(store, member):
    wallet.recharge(store.ctx, store.cashier, member_id=member.member_id, tier_code="basic")
    assert wallet.expire_points(store.ctx, store.manager) == 0
    store.clock.advance(days=366)
    assert members.get_member(store.ctx, store.cashier, member_id=member.member_id).points == 0
    assert wallet.expire_points(store.ctx, store.manager) == 50
    assert _q(store, "SELECT kind, delta FROM points_entry WHERE kind = 'expire'") == [("expire", -50)]
    assert wallet.expire_points(store.ctx, store.manager) == 0
    assert doctor.run_doctor(store.ctx).ok


def test_spend_order_setting_principal_first(store, member):
    staff.update_settings(store.ctx, store.manager, spend_order="principal_first")
    wallet.recharge(store.ctx, store.cashier, member_id=member.member_id, tier_code="basic")
    s = wallet.spend(store.ctx, store.cashier, member_id=member.member_id, amount_fen=100_00)
    assert (s.principal_fen, s.bonus_fen) == (100_00, 0)


def test_balance_cap_is_configuration(store, member):
    staff.update_settings(store.ctx, store.manager, balance_cap_fen=1000_00)
    with pytest.raises(LimitExceeded):
        wallet.recharge(store.ctx, store.cashier, member_id=member.member_id, tier_code="advanced")  # 1150 > 1000
    assert wallet.recharge(store.ctx, store.cashier, member_id=member.member_id, amount_fen=900_00).balance_fen == 950_00


def test_queries_recharges_items_points_lots(store, member):
    r = wallet.recharge(store.ctx, store.cashier, member_id=member.member_id, tier_code="basic")
    assert [x.recharge_id for x in wallet.recharges(store.ctx, store.cashier, member_id=member.member_id)] == [r.recharge_id]
    assert wallet.get_recharge(store.ctx, store.cashier, r.recharge_id).recharge_id == r.recharge_id
    assert len(wallet.member_items(store.ctx, store.cashier, member_id=member.member_id)) == 1
    lots = wallet.points_lots(store.ctx, store.cashier, member_id=member.member_id)
    assert [(lot.points, lot.expires_on, lot.expired) for lot in lots] == [(50, date(2027, 11, 23), False)]


def test_refund_of_a_luxury_recharge_takes_back_its_member_price_months_counted_in_store_time(store, member):
    r1 = wallet.recharge(store.ctx, store.cashier, member_id=member.member_id, tier_code="luxury")
    store.clock.advance(hours=16)  # 18:00 UTC = 02:00 next day in Beijing
    wallet.recharge(store.ctx, store.cashier, member_id=member.member_id, tier_code="luxury")
    m = members.get_member(store.ctx, store.cashier, member_id=member.member_id)
    assert m.member_price_until == date(2028, 11, 23)  # 12 + 12 months from 23 Nov 2026
    wallet.refund(store.ctx, store.manager, recharge_id=r1.recharge_id)
    m = members.get_member(store.ctx, store.cashier, member_id=member.member_id)
    assert m.member_price_until == date(2027, 11, 24)  # the second grant alone, from its local day
