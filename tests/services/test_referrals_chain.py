"""Referral rewards on a real store: the chain scenario, delays and the daily job, refusals, leaderboard."""

from __future__ import annotations

import copy

import pytest

from pos_app.domain.errors import InvalidInput
from pos_app.services import campaigns, coupons, members, referrals, wallet
from pos_app.services.doctor import run_doctor
from tests.conftest import DEMO_CAMPAIGN


def _load(store, **referral):
    data = campaigns.read_campaign_file(DEMO_CAMPAIGN)
    data["campaign"]["starts_on"] = "2026-11-01"
    data["campaign"]["ends_on"] = "2027-01-31"
    data["referral"] = {**copy.deepcopy(data["referral"]), **referral}
    campaigns.load_campaign(store.ctx, store.manager, data)


def _reg(store, phone, inviter=None):
    code = members.get_member(store.ctx, store.cashier, member_id=inviter.member_id).invite_code if inviter else None
    return members.register_member(store.ctx, store.cashier, phone=phone, invite_code=code)


def _rewards(store, member):
    return sorted(
        (r.source, r.kind, r.name, r.state)
        for r in referrals.pending_rewards(store.ctx, store.manager, member_id=member.member_id)
    )


def _ref_coupons(store, member):
    return [c for c in coupons.list_coupons(store.ctx, store.manager, member_id=member.member_id)
            if c.source in ("referral", "milestone", "new_member")]


def test_chain_scenario_exact_rewards_nothing_twice_and_refund(store):
    _load(store, milestone_invites=2)
    a = _reg(store, "13800000001")
    b = _reg(store, "13800000002", a)
    c = _reg(store, "13800000003", a)

    wallet.recharge(store.ctx, store.cashier, member_id=b.member_id, tier_code="basic")  # 500 < threshold 1000
    assert _rewards(store, a) == [("referral", "coupon", "宠物用品 20 元券", "issued")]
    assert _rewards(store, b) == [("new_member", "gift", "新会员礼：宠物玩具", "owed")]

    rc_c = wallet.recharge(store.ctx, store.cashier, member_id=c.member_id, tier_code="advanced")  # 1000: extra
    assert _rewards(store, a) == sorted([
        ("referral", "coupon", "宠物用品 20 元券", "issued"),
        ("referral", "coupon", "宠物用品 20 元券", "issued"),
        ("referral", "coupon", "宠物用品 50 元券", "issued"),
        ("milestone", "gift", "邀请达人礼包（宠物食品礼盒）", "owed"),
    ])
    assert _rewards(store, c) == [("new_member", "gift", "新会员礼：宠物玩具", "owed")]
    assert len(_ref_coupons(store, a)) == 3
    # nothing twice: more recharges by the invitees earn the inviter nothing more
    wallet.recharge(store.ctx, store.cashier, member_id=b.member_id, amount_fen=2000_00)
    wallet.recharge(store.ctx, store.cashier, member_id=c.member_id, tier_code="basic")
    assert len(_rewards(store, a)) == 4 and len(_rewards(store, b)) == 1 and len(_rewards(store, c)) == 1
    board = referrals.leaderboard(store.ctx, store.cashier)
    assert [(r.rank, r.phone, r.successful, r.invited) for r in board] == [(1, "13800000001", 2, 2)]

    # A uses the 50-yuan coupon C's recharge earned; then C's first recharge is refunded
    pet50 = [x for x in _ref_coupons(store, a) if x.template_code == "PET50"][0]
    member_a = members.get_member(store.ctx, store.cashier, member_id=a.member_id)
    wallet.recharge(store.ctx, store.cashier, member_id=a.member_id, tier_code="basic")
    coupons.pay_with_coupon(store.ctx, store.cashier, member_id=member_a.member_id, amount_fen=300_00, code=pet50.code)
    wallet.refund(store.ctx, store.manager, recharge_id=rc_c.recharge_id)

    after = referrals.pending_rewards(store.ctx, store.manager, member_id=a.member_id)
    states = sorted((r.source, r.name, r.state) for r in after)
    assert states == sorted([
        ("referral", "宠物用品 20 元券", "issued"),  # B's reward stands
        ("referral", "宠物用品 20 元券", "revoked"),  # C's, unused: taken back
        ("referral", "宠物用品 50 元券", "kept"),  # C's extra, already used: kept
        ("milestone", "邀请达人礼包（宠物食品礼盒）", "revoked"),  # A is below 2 successful invites again
    ])
    assert _rewards(store, c) == [("new_member", "gift", "新会员礼：宠物玩具", "revoked")]
    assert _rewards(store, b) == [("new_member", "gift", "新会员礼：宠物玩具", "owed")]
    revoked_coupon = [r.coupon_code for r in after if r.state == "revoked" and r.coupon_code][0]
    assert coupons.get_coupon(store.ctx, store.manager, revoked_coupon).state == "voided"
    assert referrals.leaderboard(store.ctx, store.cashier)[0].successful == 1
    assert run_doctor(store.ctx).ok, run_doctor(store.ctx).problems

    # a new successful invite brings A back to the milestone: the gift pack again (the old one was taken back)
    d = _reg(store, "13800000004", a)
    wallet.recharge(store.ctx, store.cashier, member_id=d.member_id, tier_code="basic")
    ms = [r for r in referrals.pending_rewards(store.ctx, store.manager, member_id=a.member_id) if r.source == "milestone"]
    assert sorted(r.state for r in ms) == ["owed", "revoked"]


def test_milestone_only_once_while_it_stands(store):
    _load(store, milestone_invites=2)
    a = _reg(store, "13800000001")
    for i in range(2, 6):
        m = _reg(store, f"1380000000{i}", a)
        wallet.recharge(store.ctx, store.cashier, member_id=m.member_id, tier_code="basic")
    ms = [r for r in referrals.pending_rewards(store.ctx, store.manager, member_id=a.member_id) if r.source == "milestone"]
    assert len(ms) == 1


def test_delayed_rewards_pending_then_issued_by_the_daily_job(store):
    _load(store, reward_delay_working_days=2)
    a = _reg(store, "13800000001")
    b = _reg(store, "13800000002", a)
    wallet.recharge(store.ctx, store.cashier, member_id=b.member_id, tier_code="basic")  # Monday 2026-11-23
    owed = referrals.pending_rewards(store.ctx, store.manager, member_id=a.member_id, only_owed=True)
    assert [(r.kind, str(r.due_on)) for r in owed] == [("coupon", "2026-11-25")]
    assert _ref_coupons(store, a) == []
    assert referrals.issue_due(store.ctx, store.cashier).issued == 0
    store.clock.advance(days=2)
    res = referrals.issue_due(store.ctx, store.staff, request_id="job-1")
    assert res.issued == 1
    again = referrals.issue_due(store.ctx, store.staff, request_id="job-1")
    assert again.issued == 1 and again.coupon_codes == res.coupon_codes
    assert referrals.issue_due(store.ctx, store.staff).issued == 0
    assert [c.state for c in _ref_coupons(store, a)] == ["issued"]
    assert run_doctor(store.ctx).ok


def test_issue_now_on_demand(store):
    _load(store, reward_delay_working_days=5)
    a = _reg(store, "13800000001")
    b = _reg(store, "13800000002", a)
    wallet.recharge(store.ctx, store.cashier, member_id=b.member_id, tier_code="basic")
    assert referrals.issue_due(store.ctx, store.manager, include_not_due=True).issued == 1


def test_refund_of_a_pending_reward_revokes_it(store):
    _load(store, reward_delay_working_days=3)
    a = _reg(store, "13800000001")
    b = _reg(store, "13800000002", a)
    rc = wallet.recharge(store.ctx, store.cashier, member_id=b.member_id, tier_code="basic")
    wallet.refund(store.ctx, store.manager, recharge_id=rc.recharge_id)
    assert [r.state for r in referrals.pending_rewards(store.ctx, store.manager, member_id=a.member_id)] == ["revoked"]
    store.clock.advance(days=7)
    assert referrals.issue_due(store.ctx, store.manager).issued == 0


def test_inviter_from_another_campaign_refused_when_the_campaign_says_so(store):
    a = _reg(store, "13800000001")  # registered under DEMO-RECHARGE
    data = campaigns.read_campaign_file(DEMO_CAMPAIGN)
    data["campaign"].update(code="SPRING", starts_on="2026-11-20", ends_on="2027-03-31")
    data["referral"]["same_campaign_only"] = True
    campaigns.load_campaign(store.ctx, store.manager, data, replace=True)  # overlaps DEMO-RECHARGE on purpose
    with pytest.raises(InvalidInput) as exc:
        _reg(store, "13800000002", a)
    assert exc.value.key == "referral.other_campaign"
    assert members.find_members(store.ctx, store.cashier, "13800000002") == []  # nothing written
    x = _reg(store, "13800000003")  # a SPRING member may invite
    _reg(store, "13800000004", x)


def test_self_invite_and_existing_member_refused(store):
    a = _reg(store, "13800000001")
    b = _reg(store, "13800000002")
    from pos_app.domain.errors import Conflict

    with pytest.raises(InvalidInput) as own:
        _reg(store, "13800000001", a)
    assert own.value.key == "member.self_invite"
    with pytest.raises(Conflict) as existing:
        _reg(store, "13800000002", a)
    assert existing.value.key == "member.phone_taken"
    assert members.get_member(store.ctx, store.cashier, phone=b.phone).inviter_id is None
    with pytest.raises(InvalidInput):
        members.register_member(store.ctx, store.cashier, phone="13800000009", invite_code="ZZZZZZ")


def test_leaderboard_ranks_and_invite_card(store):
    a = _reg(store, "13800000001")
    x = _reg(store, "13800000002")
    for i, inviter in ((3, a), (4, a), (5, x), (6, x), (7, a)):
        m = _reg(store, f"1380000000{i}", inviter)
        if i != 7:
            wallet.recharge(store.ctx, store.cashier, member_id=m.member_id, amount_fen=100_00)
    board = referrals.leaderboard(store.ctx, store.cashier)
    assert [(r.rank, r.phone, r.successful, r.invited) for r in board] == [
        (1, "13800000001", 2, 3), (1, "13800000002", 2, 2)]
    card = referrals.invite_card(store.ctx, store.cashier, phone="13800000001")
    assert card.qr_text == card.invite_code and card.phone_masked == "138****0001" and card.store_name == "测试门店"
