"""The campaign figures read from the per-day summaries (pos_app/db/repo/dash_summary.py, filled at read time
past a rowid watermark) equal their direct recomputation in plain Python over rows read with plain SQL: on a
generated store, again after more activity between two openings (only the new rows are summarised), after
a late row with a past time (a backdated sale, a recharge pulled from another store that makes a member's
local first recharge not the first), after returns and refunds, after the time zone changes and after the
rows of a table are renumbered (as a VACUUM may: everything is summarised again)."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pos_app.db import repo
from pos_app.db.repo import dash_summary
from pos_app.domain.periods import local_day
from pos_app.services import checkout, staff, wallet
from pos_app.services.checkout import LineInput, PaymentInput
from pos_app.services.reports import campaign as cr
from pos_app.services.reports import summaries
from tests.services.reports_month import Month, build_month
from tests.test_migrations import pg_schema_url as pg_schema_url  # noqa: F401  (fixture)


def _sql(mo: Month, sql: str, *args: Any) -> list[Any]:
    with mo.store.ctx.db.engine.connect() as conn:
        return list(conn.exec_driver_sql(sql, args))


def _tz(mo: Month) -> ZoneInfo:
    with mo.store.ctx.uow(read_only=True) as uow:
        from pos_app.services.common import settings as store_settings_of

        return store_settings_of(uow).tz


def _at(v: Any) -> datetime:
    return (v if isinstance(v, datetime) else datetime.fromisoformat(str(v))).replace(tzinfo=UTC)


def _daily(per: cr.Period, tz: ZoneInfo, pairs: list[tuple[Any, int]]) -> tuple[int, ...]:
    out = [0] * per.days
    for at, v in pairs:
        d = _at(at).astimezone(tz).date()
        if per.from_day <= d <= per.to_day:
            out[(d - per.from_day).days] += v
    return tuple(out)


def _direct(mo: Month, per: cr.Period) -> dict[str, Any]:
    """The summarised figures of a period recomputed from the rows."""
    tz = _tz(mo)

    def inside(at: Any) -> bool:
        return per.from_day <= _at(at).astimezone(tz).date() <= per.to_day

    rech = _sql(mo, "SELECT member_id, created_at, amount_fen, bonus_fen, tier_code, origin_store FROM recharge")
    local = [r for r in rech if r[5] is None]
    first: dict[str, datetime] = {}
    for mid, at, *_ in rech:  # a member's first recharge in any store
        first[mid] = min(first.get(mid, _at(at)), _at(at))
    firsts = [(at, 1) for mid, at, *_ in local if _at(at) == first[mid]]
    sales = _sql(mo, "SELECT id, created_at, total_fen, paid_fen, member_id FROM sale")
    in_sales = {i for i, at, *_ in sales if inside(at)}
    methods: Counter[str] = Counter()
    for sid, method, amount, bonus in _sql(mo, "SELECT sale_id, method, amount_fen, bonus_fen FROM sale_payment"):
        if sid in in_sales:
            methods[method] += amount - bonus
    cats: Counter[str] = Counter()
    for sid, cat, amount in _sql(mo, "SELECT sale_id, category, amount_fen FROM sale_line"):
        if sid in in_sales:
            cats[cat] += amount
    lots = _sql(mo, "SELECT source, points, earned_at FROM points_lot")
    entries = _sql(mo, "SELECT kind, delta, created_at FROM points_entry")
    end = datetime.combine(per.to_day + timedelta(days=1), datetime.min.time(), tz).astimezone(UTC)
    tiers: Counter[str] = Counter()
    for _m, at, a, _b, t, _o in local:
        if inside(at):
            tiers[t or ""] += a
    return {
        "principal_fen": _daily(per, tz, [(r[1], r[2]) for r in local]),
        "bonus_fen": _daily(per, tz, [(r[1], r[3]) for r in local]),
        "recharges": _daily(per, tz, [(r[1], 1) for r in local]),
        "new_recharging_members": _daily(per, tz, firsts),
        "tier_mix": dict(tiers),
        "refunded": sum(p for at, p in _sql(mo, "SELECT created_at, principal_refund_fen FROM refund") if inside(at)),
        "sales_fen": _daily(per, tz, [(r[1], r[3]) for r in sales]),
        "sales_count": _daily(per, tz, [(r[1], 1) for r in sales]),
        "sales.total": sum(r[2] for r in sales if r[0] in in_sales),
        "by_method": dict(methods),
        "by_category": dict(cats),
        "by_customer": {"member": sum(r[3] for r in sales if r[0] in in_sales and r[4]),
                        "walk_in": sum(r[3] for r in sales if r[0] in in_sales and not r[4])},
        "returns": sum(a for at, a in _sql(mo, "SELECT created_at, amount_fen FROM sale_return") if inside(at)),
        "points_earned": _daily(per, tz, [(at, p) for _s, p, at in lots]),
        "points_spent": _daily(per, tz, [(at, -d) for k, d, at in entries if k == "spend"]),
        "by_source": _by_source(lots, inside),
        "expired": -sum(d for k, d, at in entries if k == "expire" and inside(at)),
        "outstanding": sum(p for _s, p, at in lots if _at(at) < end) + sum(d for _k, d, at in entries if _at(at) < end),
    }


def _by_source(lots: list[Any], inside: Any) -> dict[str, int]:
    out: Counter[str] = Counter()
    for src, pts, at in lots:
        if inside(at):
            out[src] += pts
    return dict(out)


def _shown(mo: Month, per: cr.Period) -> dict[str, Any]:
    """The same figures as the service gives them (from the summaries)."""
    r = cr.campaign_report(mo.store.ctx, mo.store.manager, from_day=per.from_day, to_day=per.to_day)
    rec, sal, pts = r.section("recharge"), r.section("sales"), r.section("points")

    def parts(sec: cr.Section, key: str) -> dict[str, int]:
        return {p.ref: p.value for p in sec.breakdown(key).parts}

    return {
        **{k: rec.serie(k).values for k in ("principal_fen", "bonus_fen", "recharges", "new_recharging_members")},
        "tier_mix": parts(rec, "tier_mix"),
        "refunded": rec.figure("recharge.refunded").value,
        "sales_fen": sal.serie("sales_fen").values,
        "sales_count": sal.serie("sales_count").values,
        "sales.total": sal.figure("sales.total").value,
        "by_method": parts(sal, "by_method"),
        "by_category": parts(sal, "by_category"),
        "by_customer": parts(sal, "by_customer"),
        "returns": sal.figure("sales.returns").value,
        "points_earned": pts.serie("points_earned").values,
        "points_spent": pts.serie("points_spent").values,
        "by_source": parts(pts, "by_source"),
        "expired": pts.figure("points.expired").value,
        "outstanding": pts.figure("points.outstanding").value,
    }


def _check(mo: Month, per: cr.Period) -> None:
    direct, shown = _direct(mo, per), _shown(mo, per)
    assert shown == direct
    prev = per.previous()
    assert _shown(mo, prev) == _direct(mo, prev)


def _marks(mo: Month) -> dict[str, tuple[int, str | None, str]]:
    with mo.store.ctx.uow(read_only=True) as uow:
        return dash_summary.watermarks(uow.session)


def _sale(mo: Month, rnd: random.Random, member_id: str | None) -> str:
    amount = rnd.randint(5, 300) * 100
    sale = checkout.ring_up(mo.store.ctx, mo.store.cashier, request_id=None, member_id=member_id,
                            lines=[LineInput(category=rnd.choice(["医疗", "寄养", "宠物用品"]), amount_fen=amount)],
                            coupon_code=None, payments=[PaymentInput(rnd.choice(["cash", "wechat"]), amount)])
    return sale.sale_id


@pytest.fixture
def month(tmp_path: Path) -> Month:
    mo = build_month(tmp_path / "store.db", days=8, seed=23, shifts=False)
    yield mo
    mo.store.ctx.db.dispose()


def _today(mo: Month) -> date:
    return mo.store.clock.now.astimezone(ZoneInfo("Asia/Shanghai")).date()


def test_summaries_equal_the_rows_across_openings_late_rows_returns_and_refunds(month: Month) -> None:
    mo, st, rnd = month, month.store, random.Random(4)
    per = cr.Period(_today(mo) - timedelta(days=3), _today(mo))
    _check(mo, per)
    first = _marks(mo)
    assert set(first) == {s.name for s in dash_summary.SOURCES} | {dash_summary.FIRSTS}
    assert summaries.bring_up_to_date(st.ctx) == 0  # nothing new: nothing written

    # more activity between two openings: only the rows after the watermarks are summarised
    for _ in range(6):
        st.clock.advance(minutes=13)
        wallet.recharge(st.ctx, st.cashier, member_id=rnd.choice(mo.member_ids), tier_code="basic", pay_method="cash")
        mo.sales.append(_sale(mo, rnd, rnd.choice([None, *mo.member_ids])))
    assert summaries.bring_up_to_date(st.ctx) > 0
    moved = _marks(mo)
    assert moved["recharge"][0] > first["recharge"][0] and moved["sale"][0] > first["sale"][0]
    assert moved["refund"] == first["refund"]
    _check(mo, per)

    # a sale rung up with a clock two days behind: a past time, a new row id
    st.clock.advance(days=-2)
    late_sale = _sale(mo, rnd, mo.member_ids[0])
    st.clock.advance(days=2)
    _check(mo, per)

    # a recharge of another store pulled late, two days before a member's first recharge here: that member's
    # recharge here is no longer a first one
    rows = _sql(mo, "SELECT member_id, min(created_at) FROM recharge WHERE origin_store IS NULL GROUP BY member_id "
                    "ORDER BY 2 DESC")
    mid, at = rows[0]
    before = _shown(mo, per)["new_recharging_members"], _shown(mo, per.previous())["new_recharging_members"]
    with st.ctx.uow() as uow:
        repo.sync.new_recharge(uow.session, dict(
            id=st.ctx.new_id(), request_id="sync:late-1", member_id=mid, campaign_code=None, tier_code=None,
            amount_fen=10_000, bonus_fen=0, points=0, pay_method="other", staff_id=st.manager.staff_id,
            created_at=_at(at) - timedelta(days=2), principal_left_fen=10_000, bonus_left_fen=0, state="active",
            items_count=0, receipt_no=None, origin_store="T002"))
        uow.commit()
    _check(mo, per)
    after = _shown(mo, per)["new_recharging_members"], _shown(mo, per.previous())["new_recharging_members"]
    assert sum(map(sum, after)) == sum(map(sum, before)) - 1

    # a return and a refund after the last opening
    checkout.return_sale(st.ctx, st.manager, request_id=None, sale_id=late_sale)
    rid = _sql(mo, "SELECT id FROM recharge WHERE origin_store IS NULL AND state = 'active' ORDER BY created_at DESC")
    wallet.refund(st.ctx, st.manager, recharge_id=rid[0][0], method="cash")
    _check(mo, per)
    assert _shown(mo, per)["returns"] > 0 and _shown(mo, per)["refunded"] > 0


def test_summaries_are_summarised_again_after_a_time_zone_change_or_renumbered_rows(month: Month) -> None:
    mo, st = month, month.store
    per = cr.Period(_today(mo) - timedelta(days=5), _today(mo))
    _check(mo, per)
    staff.update_settings(st.ctx, st.manager, timezone="Asia/Tokyo")
    _check(mo, per)
    assert {tz for _u, _k, tz in _marks(mo).values()} == {"Asia/Tokyo"}
    # a zone with summer time: its days are cut by quarter hour, not at one offset
    staff.update_settings(st.ctx, st.manager, timezone="Europe/Berlin")
    assert summaries.fixed_offset(ZoneInfo("Europe/Berlin"), st.clock.now - timedelta(days=400), st.clock.now) is None
    assert summaries.fixed_offset(ZoneInfo("Asia/Tokyo"), st.clock.now - timedelta(days=400), st.clock.now) == 540
    _check(mo, per)
    # rows renumbered (as a VACUUM may renumber a table without an INTEGER PRIMARY KEY): the row at a watermark
    # is no longer the row it named, and everything is summarised again
    with st.ctx.db.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
        conn.exec_driver_sql("CREATE TABLE keep_points AS SELECT * FROM points_entry")
        conn.exec_driver_sql("DELETE FROM points_entry")
        # (the oldest row left out: the figures change, so a summary not made again would be caught)
        conn.exec_driver_sql("INSERT INTO points_entry SELECT * FROM keep_points WHERE created_at > "
                             "(SELECT min(created_at) FROM keep_points) ORDER BY created_at DESC")
        conn.exec_driver_sql("DROP TABLE keep_points")
        conn.commit()
    _check(mo, per)


def test_a_store_summarised_in_many_small_steps_gives_the_same_figures(month: Month,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(summaries, "CHUNK", 7)  # a few rows per write transaction, across every source's edges
    rows = sum(_sql(month, f"SELECT count(*) FROM {t}")[0][0] for t in  # noqa: S608
               ("recharge", "sale", "sale_line", "sale_payment", "points_lot", "points_entry"))
    assert summaries.bring_up_to_date(month.store.ctx) >= rows // 7
    _check(month, cr.Period(_today(month) - timedelta(days=3), _today(month)))


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=1_600_000_000, max_value=1_900_000_000),
       st.sampled_from(["Asia/Shanghai", "Asia/Kolkata", "Asia/Kathmandu", "Europe/Berlin", "America/New_York",
                        "Australia/Adelaide", "Pacific/Chatham", "UTC"]))
def test_a_quarter_hour_lies_in_one_local_day(epoch: int, zone: str) -> None:
    tz = ZoneInfo(zone)
    at = datetime.fromtimestamp(epoch, UTC)
    assert dash_summary.slot_day(epoch // dash_summary.SLOT_SECONDS, tz, {}) == local_day(at, tz)


@pytest.mark.pg
def test_on_postgres_the_summaries_are_rebuilt_whole_and_equal_the_rows(pg_schema_url: Any) -> None:  # noqa: F811
    from pos_app import bootstrap
    from pos_app.db import migrate
    from pos_app.db.engine import Database
    from pos_app.services import campaigns, members
    from pos_app.services.campaigns import read_campaign_file
    from tests.conftest import DEMO_CAMPAIGN, FakeClock

    url, _ = pg_schema_url
    db = Database(url)
    migrate.upgrade(db)
    clock = FakeClock()
    ctx = bootstrap.service_context(db, clock=clock)
    staff.init_store(ctx, store_code="PG01", manager_code="boss", manager_pin="9999")
    boss = staff.login(ctx, "boss", "9999")
    data = read_campaign_file(DEMO_CAMPAIGN)
    data["campaign"].update(starts_on="2026-11-01", ends_on="2027-01-31")
    campaigns.load_campaign(ctx, boss, data)
    mids = [members.register_member(ctx, boss, phone=f"1380013800{i}").member_id for i in range(3)]
    day = cr.Period(date(2026, 11, 23), date(2026, 11, 25))

    def figures() -> tuple[Any, ...]:
        r = cr.campaign_report(ctx, boss, from_day=day.from_day, to_day=day.to_day)
        rec, sal = r.section("recharge"), r.section("sales")
        return (rec.serie("principal_fen").values, rec.serie("new_recharging_members").values,
                sal.serie("sales_fen").values, {p.ref: p.value for p in sal.breakdown("by_method").parts})

    wallet.recharge(ctx, boss, member_id=mids[0], tier_code="basic", pay_method="cash")  # 500 + 50 bonus
    assert figures() == ((50_000, 0, 0), (1, 0, 0), (0, 0, 0), {})
    clock.advance(days=1)
    wallet.recharge(ctx, boss, member_id=mids[0], amount_fen=20_000, pay_method="wechat")
    wallet.recharge(ctx, boss, member_id=mids[1], amount_fen=30_000, pay_method="wechat")
    checkout.ring_up(ctx, boss, request_id=None, member_id=mids[2], lines=[LineInput(category="医疗", amount_fen=8_000)],
                     coupon_code=None, payments=[PaymentInput("cash", 8_000)])
    assert figures() == ((50_000, 50_000, 0), (1, 1, 0), (0, 8_000, 0), {"cash": 8_000})
    with ctx.uow(read_only=True) as uow:
        assert dash_summary.watermarks(uow.session) == {}  # no insertion order here: nothing to resume from
    db.dispose()
