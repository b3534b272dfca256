"""The campaign figures (dashboard and campaign report) over a generated month of activity through the real
services: recharges, wallet spends, sales (with coupons), returns, refunds, referrals, manual coupons and
voids, check-ins, wheel draws, gift stock and hand-outs. Every figure is recomputed here in plain Python over
rows read with plain SQL, and equals the service's; every breakdown adds up to its figure; every figure's
drill-down rows add up to it; the exports (XLSX, CSV, PDF) read back the same figures; bad input is refused."""

from __future__ import annotations

import csv
import random
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from pos_app.domain.errors import DomainError, InvalidInput, PermissionDenied
from pos_app.services import checkout, coupons, gifts, members, points, wallet, wheel
from pos_app.services.checkout import LineInput, PaymentInput
from pos_app.services.reports import campaign as cr
from tests.services.reports_month import Month, build_month

TZ = ZoneInfo("Asia/Shanghai")
CODE = "DEMO-RECHARGE"


def _more_activity(mo: Month, days: int, seed: int) -> None:
    """Referrals, coupon redemptions and voids, check-ins, draws and gift hand-outs over ``days`` more days."""
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
        if day == days // 2:
            coupons.issue_coupons(ctx, st.manager, template_code="GROOM85", member_id=mo.member_ids[0], count=3,
                                  reason="测试")
    st.clock.advance(minutes=5)


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
    mo = build_month(tmp_path_factory.mktemp("campaign") / "store.db", days=14, seed=5, shifts=False)
    _more_activity(mo, 12, seed=9)
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
    assert checked >= 25


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
    assert not report.section("tasks").available and report.section("tasks").note_text == "暂无数据：本店尚未开通此功能"
    assert not report.section("redemptions").available and not report.section("redemptions").figures


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
    cr.export(ctx, boss, tmp_path / "c.pdf", **kw)
    text = "".join(p.extract_text() for p in PdfReader(str(tmp_path / "c.pdf")).pages).replace(" ", "")
    assert "活动报表" in text and "冬季储值回馈活动" in text and "活动评估" in text
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
