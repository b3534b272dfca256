"""The campaign figures (dashboard and campaign report) over a generated month of activity through the real
services: recharges, wallet spends, sales (with coupons), returns, refunds, referrals, manual coupons and
voids, check-ins, wheel draws (gift prizes claimed), gift stock and hand-outs, points mall redemptions and
pick-ups, premium requests approved, rejected, fulfilled (shipped or in store), received, cancelled. Every figure is recomputed here in plain Python over
rows read with plain SQL, and equals the service's; every breakdown adds up to its figure; every figure's
drill-down rows add up to it; the exports (XLSX, CSV, PDF) read back the same figures; bad input is refused."""

from __future__ import annotations

import csv
import random
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from pos_app.domain.errors import DomainError, InvalidInput, PermissionDenied
from pos_app.services import (
    campaigns,
    checkout,
    coupons,
    gifts,
    mall,
    members,
    points,
    redemption,
    wallet,
    wheel,
)
from pos_app.services.campaigns import read_campaign_file
from pos_app.services.checkout import LineInput, PaymentInput
from pos_app.services.reports import campaign as cr
from tests.conftest import DEMO_CAMPAIGN, DEMO_CAMPAIGN_FULL
from tests.services.reports_month import Month, build_month

TZ = ZoneInfo("Asia/Shanghai")
CODE = "DEMO-RECHARGE"


def _more_activity(mo: Month, days: int, seed: int, daily: Callable[[int], None] | None = None) -> None:
    """Referrals, coupon redemptions and voids, check-ins, draws and gift hand-outs over ``days`` more days
    (and ``daily(day)`` at the end of each day)."""
    st, ctx, rnd = mo.store, mo.store.ctx, random.Random(seed)
    gifts.add_gift(ctx, st.manager, sku="TOY-001", name="宠物玩具", unit_value_fen=3900, threshold=3)
    gifts.add_gift(ctx, st.manager, sku="FOOD-BOX", name="宠物食品礼盒", unit_value_fen=19900, threshold=2)
    gifts.receive(ctx, st.manager, sku="TOY-001", qty=4)
    wheel.publish(ctx, st.manager)
    inviters = list(mo.member_ids[:4])
    codes = {mid: members.get_member(ctx, st.manager, member_id=mid).invite_code for mid in inviters}
    n = 0
    for day in range(days):
        st.clock.advance(days=1)
        for _ in range(rnd.randint(4, 8)):
            st.clock.advance(minutes=rnd.randint(1, 30))
            op = rnd.random()
            try:
                if op < 0.2:
                    n += 1
                    inviter = rnd.choice(inviters)
                    new = members.register_member(ctx, st.cashier, phone=f"1375555{n:04d}", invite_code=codes[inviter])
                    mo.member_ids.append(new.member_id)
                    if rnd.random() < 0.6:
                        wallet.recharge(ctx, st.cashier, member_id=new.member_id, tier_code="basic", pay_method="wechat")
                elif op < 0.35:
                    mid = rnd.choice(mo.member_ids)
                    points.checkin(ctx, st.cashier, member_id=mid)
                elif op < 0.5:
                    mid = rnd.choice(mo.member_ids)
                    phone = members.get_member(ctx, st.manager, member_id=mid).phone
                    points.adjust(ctx, st.manager, phone=phone, points=200, reason="活动补分")
                    wheel.draw(ctx, st.cashier, member_id=mid)
                elif op < 0.7:
                    _coupon_sale(mo, rnd)
                elif op < 0.8:
                    code = _unused_coupon(mo)
                    if code:
                        coupons.void_coupon(ctx, st.manager, code=code, reason="重复发放")
                elif op < 0.9:
                    mid = rnd.choice(mo.member_ids)
                    gifts.handout(ctx, st.cashier, member_id=mid)
                else:
                    wallet.recharge(ctx, st.cashier, member_id=rnd.choice(mo.member_ids), tier_code="advanced",
                                    pay_method=rnd.choice(["cash", "card"]))
            except DomainError:
                mo.refused += 1
        if daily is not None:
            daily(day)
        if day == days // 2:
            coupons.issue_coupons(ctx, st.manager, template_code="GROOM85", member_id=mo.member_ids[0], count=3,
                                  reason="测试")
    st.clock.advance(minutes=5)


def _phone(mo: Month, member_id: str) -> str:
    return str(_sql(mo, "SELECT phone FROM member WHERE id = ?", member_id)[0][0])


def _early_redemptions(mo: Month, day: int) -> None:
    """The first fortnight (the report's previous period): a few mall coupons and Moutai requests. On
    the first day the campaign is reloaded with the wheel's gift prize (claimed at the counter) made
    likely enough to be won in a fortnight."""
    st, ctx = mo.store, mo.store.ctx
    if day == 0:
        data = read_campaign_file(DEMO_CAMPAIGN)
        data["campaign"].update(starts_on="2026-11-01", ends_on="2027-01-31")
        data["points"]["wheel"]["prizes"][0]["weight"] = 30
        campaigns.load_campaign(ctx, st.manager, data, replace=True)
    if day >= 4 and day % 3 == 1:
        mid = mo.member_ids[day % len(mo.member_ids)]
        st.clock.advance(minutes=9)
        points.adjust(ctx, st.manager, phone=_phone(mo, mid), points=3300, reason="补分")
        mall.redeem(ctx, st.cashier, item="M-PET20", member_id=mid)
        if day % 2 == 0:
            redemption.request(ctx, st.cashier, item="MOUTAI-500", member_id=mid)


def _redemptions_day(mo: Month, rnd: random.Random, day: int) -> None:
    """A day of the points mall and premium redemption through the real services: members redeem a gift
    (reserved for pick-up), a coupon or an external code (points + cash); gifts are picked up by their
    code; members request a Moutai (shipped or in store); the manager approves or rejects; approved ones
    are fulfilled, some received, one cancelled; some stay waiting for review (overdue by the end)."""
    st, ctx = mo.store, mo.store.ctx
    if day == 0:
        gifts.receive(ctx, st.manager, sku="TOY-001", qty=30)
        gifts.receive(ctx, st.manager, sku="FOOD-BOX", qty=6)
        mall.import_codes(ctx, st.manager, item="M-VIP", codes_in=[f"VIP-T-{i:03d}" for i in range(8)])
    for _ in range(rnd.randint(1, 3)):
        st.clock.advance(minutes=rnd.randint(1, 20))
        mid = rnd.choice(mo.member_ids)
        try:
            points.adjust(ctx, st.manager, phone=_phone(mo, mid), points=400, reason="商城补分")
            item = rnd.choice(["M-TOY", "M-TOY", "M-PET20", "M-VIP"])
            mall.redeem(ctx, st.cashier, item=item, member_id=mid, pay_method="cash" if item == "M-VIP" else None)
        except DomainError:
            mo.refused += 1
    try:  # a draw a day (the wheel's gift prizes are claimed at the counter, see day 10)
        mid = mo.member_ids[(day * 3) % len(mo.member_ids)]
        points.adjust(ctx, st.manager, phone=_phone(mo, mid), points=50, reason="抽奖补分")
        wheel.draw(ctx, st.cashier, member_id=mid)
    except DomainError:
        mo.refused += 1
    waiting = _sql(mo, "SELECT id FROM redemption WHERE state = 'reserved' ORDER BY created_at")
    if waiting and rnd.random() < 0.6:
        st.clock.advance(minutes=3)
        try:
            mall.pickup(ctx, st.cashier, code=waiting[0][0])
        except DomainError:  # the toy ran out on the shelf (other gifts take it too): it stays waiting
            mo.refused += 1
    st.clock.advance(minutes=5)
    if day % 2 == 0:
        mid = mo.member_ids[day // 2 % len(mo.member_ids)]
        try:
            points.adjust(ctx, st.manager, phone=_phone(mo, mid), points=3000, reason="兑换补分")
            redemption.request(ctx, st.cashier, item="MOUTAI-500", member_id=mid,
                               ship_to="上海市徐汇区漕溪北路 88 号" if day % 4 == 2 else None)
        except DomainError:
            mo.refused += 1
    if day in (3, 6, 9):
        # the newest request is reviewed: approved (and fulfilled, shipped or in store), or rejected; the
        # oldest waits (its review overdue by the end)
        st.clock.advance(minutes=7)
        rid, ship = _sql(mo, "SELECT id, ship_to FROM redemption WHERE state = 'requested' "
                             "ORDER BY created_at DESC")[0]
        if day == 6:
            redemption.reject(ctx, st.manager, redemption_id=rid, reason="联系不上会员")
        else:
            redemption.approve(ctx, st.manager, redemption_ids=[rid])
            st.clock.advance(minutes=30)
            redemption.fulfil(ctx, st.staff, redemption_id=rid, carrier="顺丰" if ship else None,
                              tracking="SF100200300" if ship else None)
    if day == 10:
        # a winner claims their gift prize with the slip
        won = _sql(mo, "SELECT member_id, id FROM entitlement WHERE source = 'prize' AND kind = 'gift' "
                       "AND state = 'owed' ORDER BY created_at")
        if won:
            gifts.handout(ctx, st.cashier, member_id=won[0][0], entitlement_ids=[won[0][1]])
    if day == 8:
        rid = _sql(mo, "SELECT id FROM redemption WHERE state = 'fulfilled' ORDER BY created_at")[0][0]
        redemption.receive(ctx, st.cashier, redemption_id=rid)
        rid = _sql(mo, "SELECT id FROM redemption WHERE state = 'requested' ORDER BY created_at DESC")[0][0]
        redemption.approve(ctx, st.manager, redemption_ids=[rid])
        redemption.cancel(ctx, st.cashier, redemption_id=rid, reason="会员不要了")


def _sql(mo: Month, sql: str, *args: Any) -> list[Any]:
    with mo.store.ctx.db.engine.connect() as conn:
        return list(conn.exec_driver_sql(sql, args))


def _unused_coupon(mo: Month) -> str | None:
    rows = _sql(mo, "SELECT code FROM coupon WHERE state = 'issued' ORDER BY issued_at LIMIT 1")
    return rows[0][0] if rows else None


def _coupon_sale(mo: Month, rnd: random.Random) -> None:
    rows = _sql(mo, "SELECT code, member_id FROM coupon WHERE state = 'issued' AND template_code = 'PET20' "
                    "AND member_id IS NOT NULL ORDER BY issued_at")
    if not rows:
        return
    code, mid = rows[rnd.randrange(len(rows))]
    amount = rnd.randint(100, 400) * 100
    checkout.ring_up(mo.store.ctx, mo.store.cashier, request_id=None, member_id=mid,
                     lines=[LineInput(category="宠物用品", amount_fen=amount)], coupon_code=code,
                     payments=[PaymentInput("cash", amount - 2000)])


@pytest.fixture(scope="module")
def month(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Month]:
    mo = build_month(tmp_path_factory.mktemp("campaign") / "store.db", days=14, seed=5, shifts=False,
                     daily=_early_redemptions)
    rnd = random.Random(11)
    _more_activity(mo, 12, seed=9, daily=lambda day: _redemptions_day(mo, rnd, day))
    yield mo
    mo.store.ctx.db.dispose()


def _at(v: Any) -> datetime:
    return (v if isinstance(v, datetime) else datetime.fromisoformat(str(v))).replace(tzinfo=UTC)


def _day(v: Any) -> date:
    return _at(v).astimezone(TZ).date()


def _in(v: Any, per: cr.Period) -> bool:
    return v is not None and per.from_day <= _day(v) <= per.to_day


def _daily(per: cr.Period, pairs: list[tuple[Any, int]]) -> tuple[int, ...]:
    out = [0] * per.days
    for at, v in pairs:
        if _in(at, per):
            out[(_day(at) - per.from_day).days] += v
    return tuple(out)


def _report(mo: Month, **kw: Any) -> cr.CampaignReport:
    return cr.campaign_report(mo.store.ctx, mo.store.manager, **kw)


@pytest.fixture(scope="module")
def report(month: Month) -> cr.CampaignReport:
    # the second half: its previous period (of the same length) holds the first half of the month
    return _report(month, from_day=date(2026, 12, 6), to_day=date(2026, 12, 18))


def test_the_month_did_everything(month: Month, report: cr.CampaignReport) -> None:
    counts = {t: _sql(month, f"SELECT count(*) FROM {t}")[0][0] for t in  # noqa: S608
              ("recharge", "sale", "sale_return", "refund", "referral", "checkin", "wheel_draw", "stock_movement")}
    assert all(n > 0 for n in counts.values()), counts
    assert _sql(month, "SELECT count(*) FROM coupon WHERE state = 'redeemed'")[0][0] > 0
    assert _sql(month, "SELECT count(*) FROM coupon WHERE state = 'voided'")[0][0] > 0
    assert report.previous == cr.Period(date(2026, 11, 23), date(2026, 12, 5))


def test_recharge_figures_equal_their_recomputation(month: Month, report: cr.CampaignReport) -> None:
    rows = _sql(month, "SELECT member_id, created_at, amount_fen, bonus_fen, tier_code FROM recharge "
                       "WHERE origin_store IS NULL")
    sec = report.section("recharge")
    for per, which in ((report.period, "values"), (report.previous, "previous")):
        assert getattr(sec.serie("principal_fen"), which) == _daily(per, [(at, a) for _m, at, a, _b, _t in rows])
        assert getattr(sec.serie("bonus_fen"), which) == _daily(per, [(at, b) for _m, at, _a, b, _t in rows])
        assert getattr(sec.serie("recharges"), which) == _daily(per, [(at, 1) for _m, at, *_ in rows])
        first: dict[str, datetime] = {}
        for mid, at, *_ in rows:
            first[mid] = min(first.get(mid, _at(at)), _at(at))
        assert getattr(sec.serie("new_recharging_members"), which) == _daily(per, [(at, 1) for at in first.values()])
    assert sum(sec.serie("new_recharging_members").values) > 0
    assert sec.figure("recharge.principal").value == sum(sec.serie("principal_fen").values) > 0
    assert sec.figure("recharge.principal").previous == sum(sec.serie("principal_fen").previous or ())
    prev = sec.figure("recharge.principal").previous or 0
    assert sec.figure("recharge.principal").target == prev * 12_000 // 10_000  # demo target: +20%
    mix: Counter[str] = Counter()
    for _m, at, a, _b, tier in rows:
        if _in(at, report.period):
            mix[tier or ""] += a
    tiers = sec.breakdown("tier_mix")
    assert {p.ref: p.value for p in tiers.parts} == dict(mix)
    assert tiers.total == sec.figure("recharge.principal").value
    refunds = _sql(month, "SELECT created_at, principal_refund_fen FROM refund")
    assert sec.figure("recharge.refunded").value == sum(a for at, a in refunds if _in(at, report.period))


def test_sales_figures_equal_their_recomputation(month: Month, report: cr.CampaignReport) -> None:
    per = report.period
    sales = _sql(month, "SELECT id, created_at, total_fen, paid_fen, member_id FROM sale")
    sec = report.section("sales")
    assert sec.serie("sales_fen").values == _daily(per, [(at, p) for _i, at, _t, p, _m in sales])
    assert sec.serie("sales_fen").previous == _daily(report.previous, [(at, p) for _i, at, _t, p, _m in sales])
    assert sec.serie("sales_count").values == _daily(per, [(at, 1) for _i, at, *_ in sales])
    inside = {i for i, at, *_ in sales if _in(at, per)}
    methods: Counter[str] = Counter()
    for sid, method, amount, bonus in _sql(month, "SELECT sale_id, method, amount_fen, bonus_fen FROM sale_payment"):
        if sid in inside:
            methods[method] += amount - bonus
    cats: Counter[str] = Counter()
    for sid, cat, amount in _sql(month, "SELECT sale_id, category, amount_fen FROM sale_line"):
        if sid in inside:
            cats[cat] += amount
    assert {p.ref: p.value for p in sec.breakdown("by_method").parts} == {k: v for k, v in methods.items()}
    assert {p.ref: p.value for p in sec.breakdown("by_category").parts} == dict(cats)
    paid = sec.figure("sales.paid").value
    assert sec.breakdown("by_method").total == paid == sum(sec.serie("sales_fen").values) > 0
    assert sec.breakdown("by_category").total == sec.figure("sales.total").value
    who = {p.ref: p.value for p in sec.breakdown("by_customer").parts}
    assert who["member"] == sum(p for i, at, _t, p, m in sales if i in inside and m)
    assert who["walk_in"] == sum(p for i, at, _t, p, m in sales if i in inside and not m)
    assert who["member"] + who["walk_in"] == paid
    rets = _sql(month, "SELECT created_at, amount_fen FROM sale_return")
    assert sec.figure("sales.returns").value == sum(a for at, a in rets if _in(at, per))


def test_referral_figures_equal_their_recomputation(month: Month, report: cr.CampaignReport) -> None:
    per = report.period
    refs = _sql(month, "SELECT id, inviter_id, state, registered_at, qualified_at FROM referral WHERE campaign_code = ?",
                CODE)
    sec = report.section("referrals")
    assert sec.serie("invitees_registered").values == _daily(per, [(r[3], 1) for r in refs])
    assert sec.serie("invitees_qualified").values == _daily(per, [(r[4], 1) for r in refs if r[2] == "qualified"])
    registered = [r for r in refs if _in(r[3], per)]
    converted = [r for r in registered if r[2] == "qualified"]
    assert sec.figure("referrals.registered").value == len(registered) > 0
    assert sec.figure("referrals.converted").value == len(converted) > 0
    assert sec.figure("referrals.conversion").value == len(converted) * 10_000 // len(registered)
    states = Counter(s for s, at in _sql(month, "SELECT e.state, e.created_at FROM entitlement e JOIN referral_reward rr "
                                              "ON rr.entitlement_id = e.id") if _in(at, per))
    assert sec.figure("referrals.rewards_pending").value == states["owed"]
    assert sec.figure("referrals.rewards_issued").value == states["issued"] + states["handed_out"]
    top = Counter(r[1] for r in refs if r[2] == "qualified" and _in(r[4], per))
    assert {p.ref: p.value for p in sec.breakdown("top_inviters").parts} == dict(top)


def test_coupon_figures_equal_their_recomputation(month: Month, report: cr.CampaignReport) -> None:
    per = report.period
    rows = _sql(month, "SELECT issued_at, state, redeemed_at, discount_fen, voided_at, valid_until FROM coupon")
    sec = report.section("coupons")
    assert sec.serie("coupons_issued").values == _daily(per, [(r[0], 1) for r in rows])
    assert sec.serie("coupons_redeemed").values == _daily(per, [(r[2], 1) for r in rows if r[1] == "redeemed"])
    assert sec.serie("discount_fen").values == _daily(per, [(r[2], r[3]) for r in rows if r[1] == "redeemed"])
    issued = [r for r in rows if _in(r[0], per)]
    used = [r for r in issued if r[1] == "redeemed"]
    assert sec.figure("coupons.redeemed").value == sum(1 for r in rows if r[1] == "redeemed" and _in(r[2], per)) > 0
    assert sec.figure("coupons.redemption_rate").value == len(used) * 10_000 // len(issued)
    assert sec.figure("coupons.voided").value == sum(1 for r in rows if r[1] == "voided" and _in(r[4], per)) > 0
    assert sec.figure("coupons.discount").value == sum(sec.serie("discount_fen").values) > 0
    today = month.store.clock.now.astimezone(TZ).date()
    last = min(per.to_day, today) - timedelta(days=1)
    expired = [r for r in rows if r[1] == "issued" and per.from_day - timedelta(days=1) <= date.fromisoformat(str(r[5]))
               <= last]
    assert sec.figure("coupons.expired").value == len(expired)


def test_points_figures_equal_their_recomputation(month: Month, report: cr.CampaignReport) -> None:
    per = report.period
    lots = _sql(month, "SELECT source, points, earned_at FROM points_lot")
    entries = _sql(month, "SELECT kind, delta, created_at FROM points_entry")
    sec = report.section("points")
    by_source: Counter[str] = Counter()
    for src, pts, at in lots:
        if _in(at, per):
            by_source[src] += pts
    assert {p.ref: p.value for p in sec.breakdown("by_source").parts} == dict(by_source)
    assert sec.breakdown("by_source").total == sec.figure("points.earned").value
    for kind, key in (("spend", "points.spent"), ("expire", "points.expired"), ("revoke", "points.revoked")):
        assert sec.figure(key).value == -sum(d for k, d, at in entries if k == kind and _in(at, per))
    assert sec.figure("points.spent").value > 0
    end = datetime.combine(per.to_day + timedelta(days=1), datetime.min.time(), TZ).astimezone(UTC)
    outstanding = sum(p for _s, p, at in lots if _at(at) < end) + sum(d for _k, d, at in entries if _at(at) < end)
    assert sec.figure("points.outstanding").value == outstanding
    days = Counter(date.fromisoformat(str(d)) for (d,) in _sql(month, "SELECT day FROM checkin"))
    assert sec.serie("checkins").values == tuple(days.get(d, 0) for d in per.dates())
    assert sec.figure("points.checkins").value == sum(sec.serie("checkins").values) > 0


def test_wheel_and_gift_figures_equal_their_recomputation(month: Month, report: cr.CampaignReport) -> None:
    per = report.period
    draws = _sql(month, "SELECT member_id, prize_code, created_at FROM wheel_draw")
    sec = report.section("wheel")
    assert sec.available
    assert sec.serie("draws").values == _daily(per, [(at, 1) for _m, _p, at in draws])
    drew = {m for m, _p, at in draws if _in(at, per)}
    assert sec.figure("wheel.members").value == len(drew) > 0
    active = set(drew)
    active |= {m for m, at in _sql(month, "SELECT member_id, created_at FROM recharge") if _in(at, per)}
    active |= {m for m, at in _sql(month, "SELECT member_id, created_at FROM sale WHERE member_id IS NOT NULL")
               if _in(at, per)}
    active |= {m for m, d in _sql(month, "SELECT member_id, day FROM checkin")
               if per.from_day <= date.fromisoformat(str(d)) <= per.to_day}
    assert sec.figure("wheel.active_members").value == len(active)
    assert sec.figure("wheel.participation").value == len(drew) * 10_000 // len(active)
    won = Counter(p for _m, p, at in draws if _in(at, per))
    assert {p.ref: p.value for p in sec.breakdown("prizes_won").parts if p.value} == dict(won)
    assert sec.breakdown("prizes_won").total == sec.figure("wheel.draws").value
    left = {c: q - w for c, q, w in _sql(month, "SELECT code, quantity, won FROM wheel_prize")}
    assert {p.ref: p.value for p in sec.breakdown("prizes_left").parts} == left
    g = report.section("gifts")
    moves = _sql(month, "SELECT sku, delta, created_at FROM stock_movement WHERE kind = 'handout'")
    assert g.figure("gifts.handed_out").value == -sum(d for _s, d, at in moves if _in(at, per)) > 0
    owed = _sql(month, "SELECT ref, due_on FROM entitlement WHERE kind = 'gift' AND state = 'owed'")
    assert g.figure("gifts.owed").value == len(owed) == g.breakdown("owed").total
    on_hand = _sql(month, "SELECT sum(on_hand) FROM gift_item WHERE active")[0][0]
    assert g.figure("gifts.on_hand").value == on_hand


def _after_working_days(day: date, n: int) -> date:
    while n > 0:
        day += timedelta(days=1)
        n -= day.weekday() < 5
    return day


def test_redemption_figures_equal_their_recomputation(month: Month, report: cr.CampaignReport) -> None:
    per, prev = report.period, report.previous
    rows = _sql(month, "SELECT r.id, r.program, r.item_id, r.state, r.points, r.cash_fen, r.created_at, r.fulfilled_at, "
                       "r.carrier FROM redemption r JOIN mall_item i ON i.id = r.item_id WHERE i.campaign_code = ?", CODE)
    sec = report.section("redemptions")
    assert sec.available
    mall_rows = [r for r in rows if r[1] == "mall"]
    prem = [r for r in rows if r[1] == "premium"]
    for p, which in ((per, "values"), (prev, "previous")):
        assert getattr(sec.serie("mall_redemptions"), which) == _daily(p, [(r[6], 1) for r in mall_rows])
        assert getattr(sec.serie("premium_requests"), which) == _daily(p, [(r[6], 1) for r in prem])
    made = [r for r in mall_rows if _in(r[6], per)]
    before = [r for r in mall_rows if _in(r[6], prev)]
    f = sec.figure
    assert (f("redemptions.mall").value, f("redemptions.mall").previous) == (len(made), len(before))
    assert len(made) > 0 and len(before) > 0
    assert f("redemptions.mall_points").value == sum(r[4] for r in made) > 0
    assert f("redemptions.mall_points").previous == sum(r[4] for r in before) > 0
    assert f("redemptions.mall_cash").value == sum(r[5] for r in made) > 0
    items: dict[str, list[int]] = {}
    for r in made:
        items.setdefault(r[2], [0, 0])
        items[r[2]][0] += r[4]
        items[r[2]][1] += 1
    assert {p.ref: [p.value, p.count] for p in sec.breakdown("mall_by_item").parts} == items
    assert len(items) == 3  # a gift, a coupon, an external code (points + cash)
    states = Counter(r[3] for r in made)
    assert {p.ref: p.value for p in sec.breakdown("mall_by_state").parts} == dict(states)
    assert set(states) == {"issued", "reserved", "picked_up"}
    assert sec.breakdown("mall_by_item").total == f("redemptions.mall_points").value
    assert sec.breakdown("mall_by_state").total == f("redemptions.mall").value
    picked = _sql(month, "SELECT l.created_at FROM redemption_log l JOIN redemption r ON r.id = l.redemption_id "
                         "WHERE l.to_state = 'picked_up'")
    assert f("redemptions.picked_up").value == sum(1 for (at,) in picked if _in(at, per)) > 0
    assert f("redemptions.pickup_waiting").value == sum(1 for r in mall_rows if r[3] == "reserved") > 0
    asked = [r for r in prem if _in(r[6], per)]
    assert f("redemptions.premium_requests").value == len(asked) > 0
    assert f("redemptions.premium_requests").previous == sum(1 for r in prem if _in(r[6], prev)) > 0
    assert {p.ref: p.value for p in sec.breakdown("premium_by_state").parts} == dict(Counter(r[3] for r in asked))
    assert {p.ref: p.value for p in sec.breakdown("premium_by_item").parts} == dict(Counter(r[2] for r in asked))
    assert sec.breakdown("premium_by_state").total == sec.breakdown("premium_by_item").total == len(asked)
    # every state of a request happened, through the real services
    assert {r[3] for r in prem} == {"requested", "rejected", "fulfilled", "received", "cancelled"}
    assert _sql(month, "SELECT count(*) FROM redemption_log WHERE to_state = 'approved'")[0][0] >= 3
    today = month.store.clock.now.astimezone(TZ).date()
    waiting = [r for r in prem if r[3] == "requested"]
    late = [r for r in waiting if today > _after_working_days(_day(r[6]), 2)]  # the demo's review_working_days
    assert f("redemptions.awaiting_review").value == len(waiting) > len(late)
    assert f("redemptions.review_overdue").value == len(late) > 0
    done = [r for r in prem if _in(r[7], per)]
    assert f("redemptions.fulfilled").value == len(done) > 0
    how = {p.ref: p.value for p in sec.breakdown("fulfilment").parts}
    assert how == {"shipped": sum(1 for r in done if r[8]), "in_store": sum(1 for r in done if not r[8])}
    assert how["shipped"] > 0 and how["in_store"] > 0


def test_the_prize_redemption_rate(month: Month, report: cr.CampaignReport) -> None:
    per = report.period
    kinds = {c: k for c, k in _sql(month, "SELECT code, kind FROM wheel_prize")}
    gift_draws = [at for p, at in _sql(month, "SELECT prize_code, created_at FROM wheel_draw")
                  if kinds[p] == "gift" and _in(at, per)]
    won = [st for st, at in _sql(month, "SELECT state, created_at FROM entitlement WHERE source = 'prize' "
                                        "AND kind = 'gift'") if _in(at, per)]
    assert len(won) == len(gift_draws) > 0  # one gift to claim for each gift prize drawn
    claimed = won.count("handed_out")
    sec = report.section("wheel")
    assert sec.figure("wheel.prizes_to_claim").value == len(won)
    assert sec.figure("wheel.prizes_claimed").value == claimed > 0
    assert sec.figure("wheel.claim_rate").value == claimed * 10_000 // len(won) < 10_000


def test_every_drill_down_adds_up_to_its_figure_and_series(month: Month, report: cr.CampaignReport) -> None:
    ctx, boss = month.store.ctx, month.store.manager
    checked = 0
    for sec in report.sections:
        for f in sec.figures:
            if f.drill is None or f.unit == cr.BP:
                continue
            t = cr.drill(ctx, boss, f.drill, campaign=report.campaign, period=report.period)
            got = len(t.rows) if f.unit == cr.COUNT and f.key not in ("gifts.handed_out",) else t.total
            assert got == f.value, (f.key, got, f.value)
            checked += 1
        for b in sec.breakdowns:
            if b.total_of is None:
                continue
            for p in b.parts:
                if p.drill is not None and p.value:
                    t = cr.drill(ctx, boss, p.drill, campaign=report.campaign, period=report.period)
                    want = p.value if sec.figure(b.total_of).unit != cr.COUNT or b.key in ("handed_out",) else p.count
                    assert (t.total if t.value_col is not None else len(t.rows)) == want, (b.key, p.ref)
        for s in sec.series:
            busiest = max(range(len(s.values)), key=lambda i: s.values[i])
            if s.drill is None or not s.values[busiest]:
                continue
            t = cr.drill(ctx, boss, s.drill, campaign=report.campaign, period=report.period,
                         day=report.period.day(busiest))
            got = len(t.rows) if s.unit == cr.COUNT else t.total
            assert got == s.values[busiest], (s.key, busiest)
    assert checked >= 35


def test_daily_rows_and_evaluation(month: Month, report: cr.CampaignReport) -> None:
    rows = report.daily_rows()
    assert [r["date"] for r in rows] == [d.isoformat() for d in report.period.dates()]
    rec = report.section("recharge")
    assert [r["principal_fen"] for r in rows] == list(rec.serie("principal_fen").values)
    assert {"date", "principal_fen", "bonus_fen", "sales_fen", "new_recharging_members"} <= set(rows[0])
    ev = {e.key: e for e in report.evaluation}
    fig = rec.figure("recharge.principal")
    assert ev["recharge_growth"].actual == (fig.value - (fig.previous or 0)) * 10_000 // (fig.previous or 1)
    assert ev["recharge_growth"].target == 2000 and ev["new_recharging_members"].target == 100
    assert ev["new_recharging_members"].actual == rec.figure("recharge.new_members").value
    assert ev["coupon_redemptions"].met is False
    # the month's campaign has no tasks (tests/demo_campaign.py strips them): the section says so, with no number
    tasks = report.section("tasks")
    assert not tasks.available and tasks.note_text == "该活动没有设置积分任务" and not tasks.figures
    red = report.section("redemptions")
    assert red.available and [r["mall_redemptions"] for r in rows] == list(red.serie("mall_redemptions").values)
    assert ev["mall_redemptions"].actual == red.figure("redemptions.mall").value and ev["mall_redemptions"].met is False
    assert (ev["mall_redemptions"].target, ev["premium_redemptions"].target) == (150, 6)  # the demo's targets
    assert red.figure("redemptions.mall").target == 150 and red.figure("redemptions.fulfilled").target == 6
    assert ev["premium_redemptions"].actual == red.figure("redemptions.fulfilled").value
    mall_done = red.figure("redemptions.mall").value
    aimed = replace(report.campaign, targets={**report.campaign.targets, "mall_redemptions": mall_done,
                                              "premium_redemptions": red.figure("redemptions.fulfilled").value + 1})
    ev2 = {e.key: e for e in cr.evaluation(aimed, report.sections)}
    assert ev2["mall_redemptions"].met is True and ev2["premium_redemptions"].met is False
    assert report.campaign.review_working_days == 2  # the demo's [redemption] review_working_days


def test_exports_read_back(month: Month, report: cr.CampaignReport, tmp_path: Path) -> None:
    ctx, boss = month.store.ctx, month.store.manager
    kw: dict[str, Any] = {"from_day": report.period.from_day, "to_day": report.period.to_day}
    cr.export(ctx, boss, tmp_path / "c.xlsx", **kw)
    ws = load_workbook(tmp_path / "c.xlsx").active
    header = [c.value for c in ws[1]]
    assert header[0] == "日期" and "本金" in header and "实际支付" in header
    col = header.index("本金")
    days = [r for r in ws.iter_rows(min_row=2, values_only=True) if r and isinstance(r[0], str) and r[0][:2] == "20"]
    assert [round(float(r[col]) * 100) for r in days] == [d["principal_fen"] for d in report.daily_rows()]
    cr.export(ctx, boss, tmp_path / "c.csv", **kw)
    with (tmp_path / "c.csv").open(encoding="utf-8-sig") as fh:
        table = list(csv.reader(fh))
    assert table[0] == header
    sales_col = header.index("实际支付")
    assert sum(round(float(r[sales_col]) * 100) for r in table[1:1 + report.period.days]) == \
        report.section("sales").figure("sales.paid").value
    assert any(r and r[0] == "新增充值会员" for r in table)  # the evaluation
    red = report.section("redemptions")
    for key in ("redemptions.mall", "redemptions.premium_requests", "redemptions.review_overdue"):
        want = [f"积分商城与兑换 · {red.figure(key).label}", str(red.figure(key).value)]
        assert any(r[:2] == want for r in table), want
    cells = {r[0]: r[1] for r in ws.iter_rows(min_row=2, values_only=True) if r and r[0]}
    assert cells["积分商城与兑换 · 兑换现金部分"] == red.figure("redemptions.mall_cash").value / 100
    assert cells["幸运大转盘 · 奖品领取率"] == f"{report.section('wheel').figure('wheel.claim_rate').value / 100:.2f}%"
    assert any(r and r[0] == "积分商城兑换笔数" for r in table)
    cr.export(ctx, boss, tmp_path / "c.pdf", **kw)
    text = "".join(p.extract_text() for p in PdfReader(str(tmp_path / "c.pdf")).pages).replace(" ", "")
    assert "活动报表" in text and "冬季储值回馈活动" in text and "活动评估" in text
    assert "积分商城与兑换" in text and "兑换申请按状态" in text and "奖品领取率" in text
    from pos_app.domain.money import format_fen
    assert format_fen(report.section("recharge").figure("recharge.principal").value) in text
    with pytest.raises(InvalidInput):
        cr.export(ctx, boss, tmp_path / "c.txt", **kw)


def test_bad_input_and_roles_are_refused(month: Month) -> None:
    ctx, st = month.store.ctx, month.store
    with pytest.raises(InvalidInput) as ei:
        _report(month, from_day=date(2026, 12, 9), to_day=date(2026, 12, 1))
    assert ei.value.key == "report.range_invalid"
    with pytest.raises(InvalidInput) as ei:
        _report(month, campaign_code="NOPE", from_day=date(2026, 12, 1), to_day=date(2026, 12, 2))
    assert ei.value.key == "dashboard.campaign_unknown" and "NOPE" in str(ei.value)
    for who in (st.cashier, st.staff):
        with pytest.raises(PermissionDenied):
            cr.campaign_report(ctx, who)
    info, per = cr.resolve(ctx, st.manager, period=cr.WEEK)
    assert per.to_day == st.clock.now.astimezone(TZ).date() and per.from_day.weekday() == 0
    assert cr.resolve(ctx, st.manager, period=cr.CAMPAIGN)[1].from_day == date(2026, 11, 1)
    with pytest.raises(InvalidInput):
        cr.drill(ctx, st.manager, cr.DrillRef("recharge.all"), campaign=info, period=per, day=per.to_day + timedelta(days=1))
    with pytest.raises(InvalidInput):
        cr.resolve(ctx, st.manager, period="month")
    assert cr.campaign_report(ctx, st.manager, campaign_code="demo-recharge").campaign.code == CODE


# ----------------------------------------------------------------------------- points tasks


def _tasks_day(mo: Month, day: int) -> None:
    """The whole demo campaign (levels and tasks) from the first day's end, with a recharge task and an
    invites task (rewarded with a coupon) beside its purchase, category and spend tasks; members invite
    friends on some days. The month's own purchases and recharges move the tasks."""
    st, ctx = mo.store, mo.store.ctx
    if day == 0:
        data = read_campaign_file(DEMO_CAMPAIGN_FULL)
        data["points"]["tasks"] += [
            {"code": "rech500", "level": "intermediate", "name": "充值满 500 元", "kind": "recharge", "target": "500",
             "points": 80},
            {"code": "invite2", "level": "advanced", "name": "邀请 2 位好友", "kind": "invites", "target": 2,
             "points": 100, "coupon": "PET20"},
        ]
        campaigns.load_campaign(ctx, st.manager, data, replace=True)
    if day % 2 == 1:
        inviter = mo.member_ids[day % 3]
        code = members.get_member(ctx, st.manager, member_id=inviter).invite_code
        st.clock.advance(minutes=7)
        members.register_member(ctx, st.cashier, phone=f"1386666{day:04d}", invite_code=code)


@pytest.fixture(scope="module")
def task_month(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Month]:
    mo = build_month(tmp_path_factory.mktemp("tasks") / "store.db", days=12, seed=3, shifts=False, daily=_tasks_day)
    yield mo
    mo.store.ctx.db.dispose()


def test_task_figures_equal_their_recomputation(task_month: Month) -> None:
    mo = task_month
    rep = _report(mo, from_day=date(2026, 11, 29), to_day=date(2026, 12, 4))
    per, prev = rep.period, rep.previous
    sec = rep.section("tasks")
    assert sec.available and sec.title == "积分任务"
    rows = _sql(mo, "SELECT task_code, progress, target, state, points, coupon_id, completed_at, member_id "
                    "FROM task_progress WHERE campaign_code = ?", CODE)
    started = Counter(r[0] for r in rows if r[1] > 0)
    done = [r for r in rows if r[3] == "completed" and _in(r[6], per)]
    p_done = [r for r in rows if r[3] == "completed" and _in(r[6], prev)]
    assert {r[0] for r in done} >= {"buy3", "rech500", "invite2"}, Counter(r[0] for r in done)  # purchases, recharges, invites
    assert all(r[1] >= r[2] for r in rows if r[3] == "completed")
    f = {x.key: x for x in sec.figures}
    assert f["tasks.started"].value == sum(started.values()) == len({(r[0], r[7]) for r in rows if r[1] > 0})
    assert (f["tasks.completed"].value, f["tasks.completed"].previous) == (len(done), len(p_done))
    assert f["tasks.completion_rate"].value == len(done) * 10_000 // sum(started.values())
    # the points the tasks granted, read from the points ledger (source task), not from the progress rows
    lots = _sql(mo, "SELECT reason, points, earned_at FROM points_lot WHERE source = 'task'")
    assert f["tasks.points"].value == sum(p for _k, p, at in lots if _in(at, per)) > 0
    assert f["tasks.points"].previous == sum(p for _k, p, at in lots if _in(at, prev))
    per_task_pts = Counter()
    for k, p, at in lots:
        if _in(at, per):
            per_task_pts[k] += p
    assert {x.ref: x.value for x in sec.breakdown("task_points").parts if x.value} == dict(per_task_pts)
    # the coupons the tasks granted: the coupon entitlements whose ids the completions hold
    coupon_ids = [r[5] for r in done if r[5]]
    assert f["tasks.coupons"].value == len(coupon_ids) > 0
    assert _sql(mo, f"SELECT count(*) FROM entitlement WHERE id IN ({','.join('?' * len(coupon_ids))})",  # noqa: S608
                *coupon_ids)[0][0] == len(coupon_ids)
    # per task, in level order (初级, 中级, 高级), labelled with the level
    parts = sec.breakdown("task_completed").parts
    assert [x.ref for x in parts] == ["buy3", "groom", "rech500", "spend800", "invite2"]
    assert parts[0].label == "初级 活动期间消费 3 次" and parts[4].label == "高级 邀请 2 位好友"
    assert {x.ref: x.value for x in parts} == {x.ref: sum(1 for r in done if r[0] == x.ref) for x in parts}
    assert {x.ref: x.value for x in sec.breakdown("task_started").parts} == {x.ref: started[x.ref] for x in parts}
    for x in sec.breakdown("task_rate").parts:
        n = sum(1 for r in done if r[0] == x.ref)
        assert x.value == (n * 10_000 // started[x.ref] if started[x.ref] else 0), x.ref
    # totals equal their rows; the daily series
    for b in sec.breakdowns:
        if b.total_of is not None:
            assert b.total == sec.figure(b.total_of).value, b.key
    assert sec.serie("task_completions").values == _daily(per, [(r[6], 1) for r in done])
    assert sec.serie("task_completions").previous == _daily(prev, [(r[6], 1) for r in p_done])
    assert sec.serie("task_points").values == _daily(per, [(at, p) for _k, p, at in lots])
    assert [d["task_completions"] for d in rep.daily_rows()] == list(sec.serie("task_completions").values)


def test_task_drill_downs_equal_their_figures(task_month: Month) -> None:
    mo = task_month
    ctx, boss = mo.store.ctx, mo.store.manager
    rep = _report(mo, from_day=date(2026, 11, 29), to_day=date(2026, 12, 4))
    sec = rep.section("tasks")
    phones = {mid: ph for mid, ph in _sql(mo, "SELECT id, phone FROM member")}

    def drill(what: str, ref: str | None = None, day: date | None = None) -> cr.DrillTable:
        return cr.drill(ctx, boss, cr.DrillRef(what, ref), campaign=rep.campaign, period=rep.period, day=day)

    t = drill("tasks.completed")
    assert len(t.rows) == sec.figure("tasks.completed").value
    assert t.headers[:3] == ("dashboard.col.completed_at", "dashboard.col.phone", "dashboard.col.task")
    want = sorted((phones[mid], code) for code, mid, at in
                  _sql(mo, "SELECT task_code, member_id, completed_at FROM task_progress WHERE state = 'completed'")
                  if _in(at, rep.period))
    labels = {x.label: x.ref for x in sec.breakdown("task_completed").parts}
    assert sorted((row[1], labels[row[2]]) for row in t.rows) == want
    assert all(row[3] >= row[4] for row in t.rows)  # progress reached its target
    assert drill("tasks.points").total == sec.figure("tasks.points").value
    assert len(drill("tasks.coupons").rows) == sec.figure("tasks.coupons").value
    assert len(drill("tasks.started").rows) == sec.figure("tasks.started").value
    for p in sec.breakdown("task_points").parts:
        assert drill("tasks.points", p.ref).total == p.value, p.ref
    for p in sec.breakdown("task_started").parts:
        assert len(drill("tasks.started", p.ref).rows) == p.value, p.ref
    s = sec.serie("task_completions")
    busiest = max(range(len(s.values)), key=lambda i: s.values[i])
    assert len(drill("tasks.completed", day=rep.period.day(busiest)).rows) == s.values[busiest] > 0
    cells = cr.drill_cells(drill("tasks.started"), TZ)
    assert any(c[0] == "" for c in cells) and any(c[0] for c in cells)  # open tasks have no completion time


def test_member_level_figures_equal_their_recomputation(task_month: Month) -> None:
    mo = task_month
    ctx, boss = mo.store.ctx, mo.store.manager
    rep = _report(mo, from_day=date(2026, 11, 29), to_day=date(2026, 12, 4))
    per, prev = rep.period, rep.previous
    sec = rep.section("levels")
    assert sec.available and sec.title == "会员等级"
    order = [lv["code"] for lv in read_campaign_file(DEMO_CAMPAIGN_FULL)["member_levels"]["levels"]]
    assert [c for c, _n in rep.campaign.levels] == order == ["normal", "silver", "gold", "diamond"]
    now = Counter(lv if lv in order else "normal" for (lv,) in _sql(mo, "SELECT level FROM member"))
    assert {p.ref: p.value for p in sec.breakdown("members_by_level").parts} == {c: now[c] for c in order}
    assert sec.figure("levels.members").value == _sql(mo, "SELECT count(*) FROM member")[0][0]
    changes = _sql(mo, "SELECT from_level, to_level, created_at FROM level_change")
    cur = [c for c in changes if _in(c[2], per)]
    assert cur and (sec.figure("levels.changes").value, sec.figure("levels.changes").previous) == (
        len(cur), sum(1 for c in changes if _in(c[2], prev)))

    def rank(code: str | None) -> int:
        return order.index(code) if code in order else 0

    assert sec.figure("levels.upgrades").value == sum(1 for f, t, _at in cur if rank(t) > rank(f)) > 0
    assert {p.ref: p.value for p in sec.breakdown("changes_by_level").parts} == dict(Counter(t for _f, t, _at in cur))
    assert sec.serie("level_changes").values == _daily(per, [(at, 1) for _f, _t, at in cur])
    # the drill-downs equal their figures
    for b in sec.breakdowns:
        assert b.total == sec.figure(b.total_of or "").value, b.key
        for p in b.parts:
            t = cr.drill(ctx, boss, p.drill or cr.DrillRef(""), campaign=rep.campaign, period=per)
            assert len(t.rows) == p.value, (b.key, p.ref)
    t = cr.drill(ctx, boss, cr.DrillRef("levels.changes"), campaign=rep.campaign, period=per)
    assert len(t.rows) == len(cur) and {row[4] for row in t.rows} <= {"充值", "消费", "升级券", "升级券到期", "周期结束重新评定"}
    assert len(cr.drill(ctx, boss, cr.DrillRef("levels.members"), campaign=rep.campaign, period=per).rows) == \
        sec.figure("levels.members").value
