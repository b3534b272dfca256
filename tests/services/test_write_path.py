"""The one write path (pos_app.db.repo on the ORM and Core) keeps every guarantee a use case needs.

- the stored text of timestamps and dates is what the ORM writes, whichever path wrote the row;
- rows changed later in a transaction (a member's balances) are written once, at commit, with their last
  values; a row gone under its update fails the commit and nothing is written; ORM listeners see it;
- coupon entitlements are written once, already issued, each with its coupon;
- a coupon code that clashes with an issued one is drawn again; a source that can only clash fails the
  whole recharge and writes nothing.
"""

from __future__ import annotations

import json
import random
import sqlite3
from datetime import UTC

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, func, select
from sqlalchemy.orm.exc import StaleDataError

from pos_app.db import models as m
from pos_app.db import models_coupons as mc
from pos_app.db import repo
from pos_app.domain import coupons as rules
from pos_app.domain.errors import Conflict, LimitExceeded
from pos_app.services import campaigns, doctor, grants, members, wallet
from pos_app.services.dto import RechargeResult
from tests.conftest import DEMO_CAMPAIGN

# ----------------------------------------------------------------------------- stored text and updates


def _text(store, sql: str, *args) -> list[tuple]:
    con = sqlite3.connect(store.path)
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


def test_timestamps_and_dates_are_stored_as_the_orm_stores_them(store) -> None:
    """A recharge's rows go in through Core inserts, the member through an ORM flush: the stored text of
    every timestamp is the same naive-UTC microsecond form, every date ISO, and reads back aware and equal."""
    ctx = store.ctx
    mid = members.register_member(ctx, store.cashier, phone="13900000002").member_id  # ORM add + flush
    before = store.clock.now
    r = wallet.recharge(ctx, store.cashier, member_id=mid, tier_code="luxury", request_id="t-1")
    with ctx.uow(read_only=True) as uow:
        row = uow.session.get(m.Recharge, r.recharge_id)
        assert row.created_at == r.created_at and row.created_at.tzinfo is not None
        assert before < row.created_at <= store.clock.now
        member_created = uow.session.get(m.Member, mid).created_at
        lot = uow.session.scalars(select(m.PointsLot).where(m.PointsLot.recharge_id == r.recharge_id)).one()
        lot_id, earned_at, expires_on = lot.id, lot.earned_at, lot.expires_on

    def orm_text(value) -> str:
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")

    assert _text(store, "SELECT created_at FROM recharge WHERE id = ?", r.recharge_id) == [(orm_text(r.created_at),)]
    assert _text(store, "SELECT created_at FROM member WHERE id = ?", mid) == [(orm_text(member_created),)]
    assert _text(store, "SELECT earned_at, expires_on FROM points_lot WHERE id = ?", lot_id) == [
        (orm_text(earned_at), expires_on.isoformat())]
    (until,) = _text(store, "SELECT member_price_until FROM member WHERE id = ?", mid)[0]
    assert until == members.get_member(ctx, store.cashier, member_id=mid).member_price_until.isoformat()
    # every timestamp column of every row the recharge wrote has that one form
    for table, col in (("wallet_entry", "created_at"), ("entitlement", "created_at"), ("coupon", "issued_at"),
                       ("audit_log", "at"), ("outbox", "occurred_at"), ("request_log", "created_at")):
        for (text,) in _text(store, f"SELECT {col} FROM {table}"):
            assert len(text) == 26 and text[10] == " " and text[19] == ".", (table, text)


def _trace(store, sink: list[str]) -> None:
    """Record every SQL statement the store's connections run from now on."""
    from sqlalchemy import event

    def on_connect(dbapi_conn, _rec):
        dbapi_conn.set_trace_callback(sink.append)

    event.listen(store.ctx.db.engine, "connect", on_connect)
    store.ctx.db.engine.dispose()


def test_a_member_changed_several_times_in_a_recharge_is_written_once_with_its_last_values(store) -> None:
    ctx = store.ctx
    mid = members.register_member(ctx, store.cashier, phone="13900000001", name="甲").member_id
    sql: list[str] = []
    _trace(store, sql)
    r = wallet.recharge(ctx, store.cashier, member_id=mid, tier_code="luxury", request_id="once-1")
    updates = [s for s in sql if s.startswith("UPDATE member")]
    assert len(updates) == 1  # balances, wallet seq, points and member-price months together, at commit
    assert sql.index(updates[0]) > max(i for i, s in enumerate(sql) if s.startswith("INSERT"))
    got = members.get_member(ctx, store.cashier, member_id=mid)
    assert (got.principal_fen, got.bonus_fen, got.points) == (r.principal_balance_fen, r.bonus_balance_fen, r.points)
    assert got.member_price_active
    assert doctor.run_doctor(ctx).ok


def test_a_row_gone_under_the_update_is_refused_and_nothing_is_written(store) -> None:
    ctx = store.ctx
    with ctx.uow() as uow:
        uow.session.add(m.KeyValue(key="k", value="1"))
        uow.commit()
    with ctx.uow() as uow:
        kv = uow.session.get(m.KeyValue, "k")
        uow.session.execute(delete(m.KeyValue.__table__).where(m.KeyValue.__table__.c.key == "k"))
        kv.value = "2"
        uow.session.add(m.KeyValue(key="other", value="x"))
        with pytest.raises(StaleDataError):
            uow.commit()
    with ctx.uow(read_only=True) as uow:
        assert uow.session.get(m.KeyValue, "k").value == "1"
        assert uow.session.get(m.KeyValue, "other") is None


def test_pending_inserts_and_updates_are_written_together(store) -> None:
    ctx = store.ctx
    with ctx.uow() as uow:
        uow.session.add(m.KeyValue(key="a", value="1"))
        uow.commit()
    with ctx.uow() as uow:
        uow.session.get(m.KeyValue, "a").value = "2"
        uow.session.add(m.KeyValue(key="b", value="3"))
        uow.commit()
    with ctx.uow(read_only=True) as uow:
        got = {kv.key: kv.value for kv in uow.session.scalars(select(m.KeyValue).where(m.KeyValue.key.in_(["a", "b"])))}
    assert got == {"a": "2", "b": "3"}


# ----------------------------------------------------------------------------- coupons in a recharge


def _coupon_picture(ctx, recharge_id: str) -> tuple[list, list, list]:
    """(entitlements, coupons, the recharge's one event payload) as plain tuples, read in one transaction."""
    with ctx.uow(read_only=True) as uow:
        s = uow.session
        ents = [(e.id, e.kind, e.state, e.issued_ref) for e in grants.recharge_rows(uow, recharge_id)]
        ids = [e[0] for e in ents]
        coupons = [(c.id, grants.unit_id(c), c.member_id, c.state, c.code) for c in
                   s.scalars(select(mc.Coupon).where(mc.Coupon.entitlement_id.in_(ids)
                                                     | (mc.Coupon.batch_id == recharge_id)))]
        events = [json.loads(p) for p in s.scalars(select(m.Outbox.payload_json))]
        return ents, coupons, [e for e in events if e.get("recharge_id") == recharge_id]


def test_luxury_recharge_writes_its_entitlements_once_already_issued(store) -> None:
    ctx = store.ctx
    mid = members.register_member(ctx, store.cashier, phone="13900000003").member_id
    sql: list[str] = []
    _trace(store, sql)
    r = wallet.recharge(ctx, store.cashier, member_id=mid, tier_code="luxury", request_id="lux-1")
    assert not [s for s in sql if s.startswith("UPDATE entitlement")]
    # the coupons and vouchers issued at once are their coupon rows only: one statement for the other rows
    inserts = [s for s in sql if s.startswith("INSERT INTO entitlement")]
    assert len(inserts) == len([i for i in r.items if i.kind not in ("coupon", "voucher")]) == 2
    ents, coupons, events = _coupon_picture(ctx, r.recharge_id)
    couponish = [e for e in ents if e[1] in ("coupon", "voucher")]
    # luxury: 3 x PET20, the consultation voucher, and the 5% rebate voucher (2000 yuan >= 1000)
    assert sorted(e[1] for e in couponish) == ["coupon", "coupon", "coupon", "voucher", "voucher"]
    by_id = {c[0]: c for c in coupons}
    for eid, _kind, state, issued_ref in couponish:
        assert state == "issued"
        cid, c_ent, c_member, c_state, code = by_id[issued_ref]
        assert (c_ent, c_member, c_state) == (eid, mid, "issued")
        assert rules.is_valid_check(code)
        assert [c["code"] for c in events[0]["coupons"]].count(code) == 1  # the recharge's event carries it
    assert {i.entitlement_id: i.state for i in r.items if i.kind in ("coupon", "voucher")} == {
        e[0]: "issued" for e in couponish
    }
    assert len(events) == 1 and len(events[0]["coupons"]) == 5  # one event for the whole recharge
    assert {c["entitlement_id"] for c in events[0]["coupons"]} == {e[0] for e in couponish}
    with ctx.uow(read_only=True) as uow:
        hist = uow.session.scalar(select(func.count()).select_from(mc.CouponEvent))
        outbox = uow.session.scalar(select(func.count()).select_from(m.Outbox).where(m.Outbox.type == "coupon.issued"))
    assert (hist, outbox) == (0, 0)  # the coupon row is its issue; the recharge's event carries it
    report = doctor.run_doctor(ctx)
    assert all(c.ok for c in report.checks), [c for c in report.checks if not c.ok]


def test_a_code_clash_is_drawn_again(store) -> None:
    ctx = store.ctx
    mid = members.register_member(ctx, store.cashier, phone="13900000004").member_id
    first = wallet.recharge(ctx, store.cashier, member_id=mid, tier_code="basic", request_id="clash-1")
    with ctx.uow(read_only=True) as uow:
        taken = uow.session.scalar(select(mc.Coupon.code))
    real = ctx.randbits
    # the 80 bits that make ``taken``: the code's 16 data characters, least significant last
    n = 0
    for ch in taken[:16]:
        n = (n << 5) | rules.CROCKFORD.index(ch)
    assert rules.new_code(lambda _b: n) == taken
    served = []

    def once_taken(bits: int) -> int:
        if bits == 80 and not served:
            served.append(n)
            return n
        return real(bits)

    ctx.randbits = once_taken
    second = wallet.recharge(ctx, store.cashier, member_id=mid, tier_code="basic", request_id="clash-2")
    ctx.randbits = real
    assert served == [n]
    _, coupons, _ = _coupon_picture(ctx, second.recharge_id)
    assert len(coupons) == 1 and coupons[0][4] != taken
    assert first.recharge_id != second.recharge_id


def test_a_source_that_only_clashes_fails_the_whole_recharge(store) -> None:
    ctx = store.ctx
    mid = members.register_member(ctx, store.cashier, phone="13900000005").member_id
    wallet.recharge(ctx, store.cashier, member_id=mid, tier_code="basic", request_id="stuck-1")
    with ctx.uow(read_only=True) as uow:
        taken = uow.session.scalar(select(mc.Coupon.code))
        counts_before = [uow.session.scalar(select(func.count()).select_from(t)) for t in (m.Recharge, m.Entitlement, mc.Coupon, m.Outbox)]
    n = 0
    for ch in taken[:16]:
        n = (n << 5) | rules.CROCKFORD.index(ch)
    real = ctx.randbits
    ctx.randbits = lambda bits: n if bits == 80 else real(bits)
    with pytest.raises(Conflict) as err:
        wallet.recharge(ctx, store.cashier, member_id=mid, tier_code="basic", request_id="stuck-2")
    ctx.randbits = real
    assert err.value.key == "coupon.code_exhausted"
    with ctx.uow(read_only=True) as uow:
        counts_after = [uow.session.scalar(select(func.count()).select_from(t)) for t in (m.Recharge, m.Entitlement, mc.Coupon, m.Outbox)]
        principal = uow.session.get(m.Member, mid).principal_fen
    assert counts_after == counts_before
    assert principal == 500_00


# ----------------------------------------------------------------------------- property


TIERS = ("basic", "advanced", "luxury")


_RUN = iter(range(10**6))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.integers(0, 3), st.sampled_from([0, 1, 2]), st.integers(1, 2)), min_size=1, max_size=8))
def test_any_run_of_recharges_and_replays_keeps_coupons_events_and_ledgers_whole(store, plan) -> None:
    """One store across the examples (each adds new members): whatever ran before, every coupon
    entitlement is issued with exactly one coupon pointing back, every coupon has its event, the outbox
    sequence has no gap, replays change nothing, and doctor passes."""
    ctx = store.ctx
    run = next(_RUN)
    ids = [members.register_member(ctx, store.cashier, phone=f"138{run:05d}{k:03d}").member_id for k in range(3)]
    done: dict[str, RechargeResult] = {}
    for i, (tier, who, times) in enumerate(plan):
        rid = f"p-{run}-{i}"
        for _ in range(times):  # a replay returns the first result and writes nothing
            try:
                got = wallet.recharge(ctx, store.cashier, member_id=ids[who],
                                      tier_code=TIERS[tier] if tier < 3 else None,
                                      amount_fen=None if tier < 3 else 300_00, request_id=rid)
            except LimitExceeded:  # the 5,000-yuan cap: refused, nothing written
                break
            if rid in done:
                assert got.recharge_id == done[rid].recharge_id
                assert got.balance_fen == done[rid].balance_fen
                assert got.items == done[rid].items
            done[rid] = got
    with ctx.uow(read_only=True) as uow:
        ss = uow.session
        held = repo.coupons.items_of_recharges(ss, list(ss.scalars(select(m.Recharge.id))))
        couponish = [(e.id, e.state, e.issued_ref) for e in
                     ss.scalars(select(m.Entitlement).where(m.Entitlement.kind.in_(["coupon", "voucher"])))]
        couponish += [(e.id, e.state, e.issued_ref) for e in (grants.coupon_item(c, st) for c, st in held)]
        coupons = [(c.id, grants.unit_id(c), c.code) for c in ss.scalars(select(mc.Coupon))]
        seqs = list(ss.scalars(select(m.Outbox.seq).order_by(m.Outbox.seq)))
        types = list(ss.scalars(select(m.Outbox.type)))
        payloads = [json.loads(p) for p in ss.scalars(select(m.Outbox.payload_json))]
        ss_recharges = ss.scalar(select(func.count()).select_from(m.Recharge))
        mine = ss.scalar(select(func.count()).select_from(m.Recharge).where(m.Recharge.member_id.in_(ids)))
    assert mine == len(done)
    assert all(state == "issued" for _, state, _ in couponish)
    assert sorted(c[1] for c in coupons) == sorted(e[0] for e in couponish)
    assert {e[2] for e in couponish} == {c[0] for c in coupons}
    assert len({c[2] for c in coupons}) == len(coupons)
    assert seqs == list(range(1, len(seqs) + 1))
    assert "coupon.issued" not in types
    carried = [c["code"] for p in payloads if p.get("coupons") for c in p["coupons"]]
    assert sorted(carried) == sorted(c[2] for c in coupons)  # each coupon in exactly one event
    assert types.count("wallet.recharged") == ss_recharges
    assert all(c.ok for c in doctor.run_doctor(ctx).checks)


def test_rigged_random_source_is_the_stores_own() -> None:
    """The code-clash tests rely on codes being drawn from ctx.randbits with 80 bits at a time."""
    rnd = random.Random(3)
    bits: list[int] = []
    rules.new_code(lambda b: bits.append(b) or rnd.getrandbits(b))
    assert bits == [80]


# ----------------------------------------------------------------------------- referral reads


def test_plain_referral_reads_agree_with_the_orm_queries_along_a_chain(store) -> None:
    """A invites B, C, D (milestone at 2): after each step the plain reads the first recharge uses give
    what the ORM queries give (qualified count, a standing milestone reward), also after a refund."""
    from pos_app.services import referrals

    ctx = store.ctx
    data = campaigns.read_campaign_file(DEMO_CAMPAIGN)
    data["referral"]["milestone_invites"] = 2
    campaigns.load_campaign(ctx, store.manager, data)
    a = members.register_member(ctx, store.cashier, phone="13700000001")
    invitees = [members.register_member(ctx, store.cashier, phone=f"1370000000{k}", invite_code=a.invite_code)
                for k in (2, 3, 4)]
    seen = []

    def compare() -> None:
        with ctx.uow(read_only=True) as uow:
            code = "DEMO-RECHARGE"
            orm_count = referrals._successful(uow, a.member_id, code)
            plain_count = referrals._successful_others(uow, a.member_id, code, "none")
            orm_held = any(referrals._standing(e) for e in referrals._milestone_entitlements(uow, a.member_id, code))
            plain_held = referrals._milestone_held(uow, a.member_id, code)
        assert (plain_count, plain_held) == (orm_count, orm_held)
        seen.append((plain_count, plain_held))

    compare()
    first = [wallet.recharge(ctx, store.cashier, member_id=m_.member_id, tier_code="basic") for m_ in invitees]
    compare()
    wallet.refund(ctx, store.manager, recharge_id=first[0].recharge_id)
    compare()
    wallet.refund(ctx, store.manager, recharge_id=first[1].recharge_id)
    compare()
    assert seen == [(0, False), (3, True), (2, True), (1, False)]


def test_an_update_listener_gets_the_orms_flush(store) -> None:
    from sqlalchemy import event

    ctx = store.ctx
    with ctx.uow() as uow:
        uow.session.add(m.KeyValue(key="l", value="1"))
        uow.commit()
    seen: list[str] = []

    def listener(_mapper, _conn, target) -> None:
        seen.append(target.value)

    event.listen(m.KeyValue, "before_update", listener)
    try:
        with ctx.uow() as uow:
            uow.session.get(m.KeyValue, "l").value = "2"
            uow.commit()
    finally:
        event.remove(m.KeyValue, "before_update", listener)
    assert seen == ["2"]
    with ctx.uow(read_only=True) as uow:
        assert uow.session.get(m.KeyValue, "l").value == "2"


# ----------------------------------------------------------------------------- one event per transaction


def test_two_events_in_one_transaction_are_refused_and_facts_need_an_event(store) -> None:
    from pos_app.db.uow import EventError
    from pos_app.services import common

    ctx = store.ctx
    with ctx.uow() as uow:
        common.emit(uow, ctx, "test.one", {"n": 1})
        with pytest.raises(EventError, match="two events"):
            common.emit(uow, ctx, "test.two", {"n": 2})
    with ctx.uow() as uow:
        common.add_facts(uow, "coupons", [{"code": "X"}])
        with pytest.raises(EventError, match="no event"):
            uow.commit()
    with ctx.uow() as uow:  # facts join the one event, under their key
        common.add_facts(uow, "coupons", [{"code": "X"}])
        common.emit(uow, ctx, "test.one", {"n": 1})
        common.add_facts(uow, "coupons", [{"code": "Y"}])
        uow.commit()
    (row,) = _text(store, "SELECT type, payload_json FROM outbox WHERE type LIKE 'test.%'")
    assert row[0] == "test.one" and json.loads(row[1]) == {"n": 1, "coupons": [{"code": "X"}, {"code": "Y"}]}


def test_the_daily_issue_job_writes_one_event_carrying_every_coupon_it_issued(store) -> None:
    from pos_app.services import referrals

    ctx = store.ctx
    data = campaigns.read_campaign_file(DEMO_CAMPAIGN)
    data["referral"]["reward_delay_working_days"] = 2
    campaigns.load_campaign(ctx, store.manager, data)
    a = members.register_member(ctx, store.cashier, phone="13700000001")
    for k in (2, 3):
        b = members.register_member(ctx, store.cashier, phone=f"1370000000{k}", invite_code=a.invite_code)
        wallet.recharge(ctx, store.cashier, member_id=b.member_id, tier_code="basic")
    before = _text(store, "SELECT COUNT(*) FROM outbox")[0][0]
    store.clock.advance(days=7)
    res = referrals.issue_due(ctx, store.manager)
    assert res.issued >= 2
    rows = _text(store, "SELECT type, payload_json FROM outbox WHERE seq > ?", before)
    assert [t for t, _ in rows] == ["coupon.issued_due"]
    assert sorted(c["code"] for c in json.loads(rows[0][1])["coupons"]) == sorted(res.coupon_codes)
