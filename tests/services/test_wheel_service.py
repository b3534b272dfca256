"""The lucky wheel through the services on a real SQLite store: publish locks and commits, draws are logged
and reproducible from a fixed seed, verify finds a tampered draw, quantities hold with two processes."""

from __future__ import annotations

import json
import multiprocessing
import random

import pytest
from sqlalchemy import func, select, update

from pos_app.db import models_points as mp
from pos_app.domain import wheel as rules
from pos_app.domain.errors import InsufficientFunds, StateError
from pos_app.services import campaigns, members, points, wheel
from pos_app.services.campaigns import read_campaign_file
from tests.conftest import DEMO_CAMPAIGN, make_store

PHONE = "13800000002"


def _campaign(**wheel_changes):
    data = read_campaign_file(DEMO_CAMPAIGN)
    data["campaign"]["starts_on"] = "2026-11-01"
    data["campaign"]["ends_on"] = "2027-01-31"
    for code, qty in wheel_changes.items():
        for p in data["points"]["wheel"]["prizes"]:
            if p["code"] == code:
                p["quantity"] = qty
    return data


def _rich_member(store, phone=PHONE, pts=100_000):
    members.register_member(store.ctx, store.cashier, phone=phone)
    points.adjust(store.ctx, store.manager, phone=phone, points=pts, reason="test")


def test_publish_draw_close_verify(store):
    _rich_member(store)
    v = wheel.publish(store.ctx, store.manager)
    assert v.state == "published" and len(v.commitment) == 64 and v.seed == ""
    assert sum(p.chance_bp for p in v.prizes) == 10_000
    results = [wheel.draw(store.ctx, store.cashier, phone=PHONE) for _ in range(20)]
    assert [r.seq for r in results] == list(range(1, 21))
    assert all(r.cost_points == 50 for r in results)
    with pytest.raises(StateError):
        wheel.verify(store.ctx, store.manager)  # the seed is secret until the close
    closed = wheel.close(store.ctx, store.manager)
    assert rules.commitment(bytes.fromhex(closed.seed)) == v.commitment
    ok = wheel.verify(store.ctx, store.manager)
    assert ok.ok and ok.draws == 20
    with pytest.raises(StateError):
        wheel.draw(store.ctx, store.cashier, phone=PHONE)
    # a draw's prize changed in the log afterwards is found, by its number
    with store.ctx.uow() as uow:
        d = uow.session.scalar(select(mp.WheelDraw).where(mp.WheelDraw.seq == 7))
        other = "first" if d.prize_code != "first" else "thanks"
        uow.session.execute(update(mp.WheelDraw).where(mp.WheelDraw.id == d.id).values(prize_code=other))
        uow.commit()
    bad = wheel.verify(store.ctx, store.manager)
    assert not bad.ok and {x["seq"] for x in bad.mismatches} == {7}


def test_a_fixed_seed_reproduces_the_draws(tmp_path):
    outs = []
    for run in range(2):
        s = make_store(tmp_path / f"r{run}.db", seed=5)
        try:
            _rich_member(s)
            wheel.publish(s.ctx, s.manager)
            outs.append([(r.prize_code, r.nonce, r.digest) for r in
                         (wheel.draw(s.ctx, s.cashier, phone=PHONE) for _ in range(10))])
        finally:
            s.ctx.db.dispose()
    assert outs[0] == outs[1]


def test_points_prize_paid_and_ticket_used_and_cost_refused(store):
    members.register_member(store.ctx, store.cashier, phone=PHONE)
    wheel.publish(store.ctx, store.manager)
    with pytest.raises(InsufficientFunds):
        wheel.draw(store.ctx, store.cashier, phone=PHONE)
    with pytest.raises(StateError):
        wheel.draw(store.ctx, store.cashier, phone=PHONE, use_ticket=True)
    with store.ctx.uow() as uow:
        m_id = uow.session.scalar(select(mp.Checkin.member_id)) or members.get_member(
            store.ctx, store.cashier, phone=PHONE).member_id
        uow.session.add(mp.WheelTicket(id="t1", member_id=m_id, source="checkin", ref=None,
                                       created_at=store.clock(), used_draw_id=None))
        uow.commit()
    r = wheel.draw(store.ctx, store.cashier, phone=PHONE)
    assert r.ticket_used and r.cost_points == 0
    lines = points.history(store.ctx, store.cashier, phone=PHONE)
    if r.kind == "points":
        assert lines[0].source == "wheel" and lines[0].points == r.prize_points


def test_a_published_wheel_takes_only_more_quantity(store):
    wheel.publish(store.ctx, store.manager)
    campaigns.load_campaign(store.ctx, store.manager, _campaign(first=7), replace=True)
    v = wheel.publish(store.ctx, store.manager)
    assert {p.code: p.quantity for p in v.prizes}["first"] == 7
    campaigns.load_campaign(store.ctx, store.manager, _campaign(first=6), replace=True)
    with pytest.raises(StateError) as e:
        wheel.publish(store.ctx, store.manager)
    assert e.value.key == "wheel.locked"


def test_over_the_cap_is_refused_at_load():
    from pos_app.domain.campaign import points_rules_from_dict
    from pos_app.domain.errors import InvalidInput

    data = _campaign()
    data["points"]["wheel"]["prizes"][0]["value"] = "50000.01"
    with pytest.raises(InvalidInput) as e:
        points_rules_from_dict(data)
    assert e.value.key == "wheel.over_cap"
    data["points"]["wheel"]["top_prize_cap"] = "60000"
    assert points_rules_from_dict(data).wheel is not None


def test_a_gone_prize_cannot_be_won_and_chances_update(store):
    campaigns.load_campaign(store.ctx, store.manager, _campaign(thanks=3, third=0, second=0, first=1), replace=True)
    _rich_member(store)
    wheel.publish(store.ctx, store.manager)
    won = [wheel.draw(store.ctx, store.cashier, phone=PHONE).prize_code for _ in range(4)]
    assert sorted(won) == ["first", "thanks", "thanks", "thanks"]
    v = wheel.prizes(store.ctx, store.cashier)
    assert all(p.left == 0 and p.chance_bp == 0 for p in v.prizes)
    with pytest.raises(StateError) as e:
        wheel.draw(store.ctx, store.cashier, phone=PHONE)
    assert e.value.key == "wheel.sold_out"


def _draw_many(path: str, n: int, seed: int, out) -> None:
    from pos_app.app import open_store
    from pos_app.services import staff

    ctx = open_store(path)
    ctx.randbits = random.Random(seed).getrandbits
    actor = staff.login(ctx, "cash1", "1111")
    won = []
    for _ in range(n):
        try:
            won.append(wheel.draw(ctx, actor, phone=PHONE).prize_code)
        except StateError:
            won.append("-")
    ctx.db.dispose()
    out.put(won)


def test_two_processes_never_exceed_a_quantity(tmp_path):
    s = make_store(tmp_path / "two.db")
    try:
        campaigns.load_campaign(s.ctx, s.manager, _campaign(first=2, second=3, third=4, thanks=5), replace=True)
        _rich_member(s)
        wheel.publish(s.ctx, s.manager)
    finally:
        s.ctx.db.dispose()
    mpctx = multiprocessing.get_context("spawn")
    q = mpctx.Queue()
    procs = [mpctx.Process(target=_draw_many, args=(str(s.path), 10, 100 + i, q)) for i in range(2)]
    for p in procs:
        p.start()
    got = [q.get(timeout=300) for _ in procs]
    for p in procs:
        p.join(timeout=300)
        assert p.exitcode == 0
    won = [x for g in got for x in g if x != "-"]
    assert len(won) == 14  # 2 + 3 + 4 + 5: every prize given, none beyond its quantity
    assert {c: won.count(c) for c in set(won)} == {"first": 2, "second": 3, "third": 4, "thanks": 5}
    s2 = make_store(tmp_path / "unused.db")
    s2.ctx.db.dispose()
    from pos_app.app import open_store

    ctx = open_store(s.path)
    try:
        with ctx.uow(read_only=True) as uow:
            assert uow.session.scalar(select(func.count()).select_from(mp.WheelDraw)) == 14
            assert all(p.won <= p.quantity for p in uow.session.scalars(select(mp.WheelPrize)))
            last = uow.session.scalar(select(mp.WheelDraw.left_json).where(mp.WheelDraw.seq == 14))
            assert all(n == 0 for _, _, n in json.loads(last))
    finally:
        ctx.db.dispose()
