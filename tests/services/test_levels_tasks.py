"""Member levels, tasks and the pending period through the services on real SQLite stores, with the full demo
campaign (four levels by recharge over 12 months, three tasks, a 7-day pending period) or a variant of it."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pos_app.domain.errors import DomainError, InsufficientFunds
from pos_app.services import campaigns, checkout, doctor, levels, members, points, tasks, wallet, wheel
from pos_app.services.campaigns import read_campaign_file
from pos_app.services.checkout import LineInput, PaymentInput
from tests.conftest import DEMO_CAMPAIGN_FULL, Store, make_store

PHONE = "13800000001"
FRIEND = "13800000002"
TOY = "6900000000028"


def program(**change: object) -> dict:
    """The full demo campaign, running from 2026-11-01 to 2028-12-31 (level windows end inside it)."""
    data = read_campaign_file(DEMO_CAMPAIGN_FULL)
    data["campaign"]["starts_on"] = "2026-11-01"
    data["campaign"]["ends_on"] = "2028-12-31"
    for key, value in change.items():
        data[key] = value
    return data


@pytest.fixture
def shop(tmp_path) -> Store:
    s = make_store(tmp_path / "store.db")
    campaigns.load_campaign(s.ctx, s.manager, program(), replace=True)
    checkout.add_product(s.ctx, s.manager, sku="TOY-BALL", barcode=TOY, name="玩具球", category="宠物用品",
                         price_fen=60_00, member_price_fen=50_00)
    yield s
    s.ctx.db.dispose()


def _member(store: Store, phone: str = PHONE, invite_code: str | None = None):
    return members.register_member(store.ctx, store.cashier, phone=phone, invite_code=invite_code)


def _sale(store: Store, member_id: str, amount_fen: int = 100_00, category: str = "宠物食品", rid: str | None = None):
    return checkout.ring_up(store.ctx, store.cashier, request_id=rid, member_id=member_id,
                            lines=[LineInput(category=category, amount_fen=amount_fen)], coupon_code=None,
                            payments=[PaymentInput("cash", amount_fen)])


def _q(store: Store, sql: str, *params: object) -> list:
    with sqlite3.connect(store.path) as c:
        return c.execute(sql, params).fetchall()


def _doctor_ok(store: Store) -> None:
    assert [c.name for c in doctor.run_doctor(store.ctx).checks if not c.ok] == []


def _task(r, code: str):
    return next(t for t in r.tasks if t.task_id == code)


# ----------------------------------------------------------------------------- tasks
def test_a_task_completed_by_a_purchase_grants_once_even_on_replay(shop):
    mem = _member(shop)
    _sale(shop, mem.member_id)
    _sale(shop, mem.member_id)
    assert _task(tasks.progress(shop.ctx, shop.cashier, phone=PHONE), "buy3").progress == 2
    third = _sale(shop, mem.member_id, rid="till-3")
    again = _sale(shop, mem.member_id, rid="till-3")  # a retry: the first result, nothing twice
    assert again.sale_id == third.sale_id
    _sale(shop, mem.member_id)  # a fourth purchase: the task stays completed, no second reward
    p = _task(tasks.progress(shop.ctx, shop.cashier, phone=PHONE), "buy3")
    assert (p.progress, p.target, p.state, p.points) == (3, 3, "completed", 50)
    assert _q(shop, "SELECT points, ref FROM points_lot WHERE source = 'task'") == [(50, p.progress_id)]
    assert _q(shop, "SELECT COUNT(*) FROM audit_log WHERE action = 'task.completed'") == [(1,)]
    # the completion is a fact of the third sale's one event
    payload = json.loads(_q(shop, "SELECT payload_json FROM outbox WHERE type = 'sale.completed' "
                                  "AND payload_json LIKE ?", f"%{third.sale_id}%")[0][0])
    assert [(f["task_id"], f["state"]) for f in payload["tasks"]] == [("buy3", "completed")]
    listed = {t.task_id: t for t in tasks.list_tasks(shop.ctx, shop.cashier)}
    assert (listed["buy3"].started, listed["buy3"].completed) == (1, 1) and listed["groom"].started == 0
    _doctor_ok(shop)


def test_category_and_spend_tasks_grant_points_and_a_coupon(shop):
    mem = _member(shop)
    _sale(shop, mem.member_id, 80_00, category="洗护美容")  # the grooming task: points and a GROOM85 coupon
    r = tasks.progress(shop.ctx, shop.cashier, phone=PHONE)
    assert _task(r, "groom").state == "completed"
    assert (_task(r, "spend800").progress, _task(r, "spend800").unit) == (80_00, "fen")
    items = wallet.member_items(shop.ctx, shop.cashier, member_id=mem.member_id)
    assert [(i.kind, i.ref, i.state) for i in items if i.ref == "GROOM85"] == [("coupon", "GROOM85", "issued")]
    _sale(shop, mem.member_id, 720_00)
    assert _task(tasks.progress(shop.ctx, shop.cashier, phone=PHONE), "spend800").state == "completed"
    assert sorted(p for (p,) in _q(shop, "SELECT points FROM points_lot WHERE source = 'task'")) == [30, 200]


def test_invite_and_recharge_tasks_and_nothing_outside_the_window(tmp_path):
    s = make_store(tmp_path / "store.db")
    data = program()
    data["points"]["tasks"] = [
        {"code": "inv2", "level": "basic", "name": "邀请 2 位新会员", "kind": "invites", "target": 2, "points": 40},
        {"code": "inv1buy", "level": "intermediate", "name": "邀请 1 位并首购", "kind": "invites", "target": 1,
         "invite_counts": "first_purchase", "points": 60},
        {"code": "rc500", "level": "advanced", "name": "充值满 500 元", "kind": "recharge", "target": "500",
         "coupon": "PET20"},
    ]
    campaigns.load_campaign(s.ctx, s.manager, data, replace=True)
    host = _member(s)
    _member(s, FRIEND, invite_code=host.invite_code)
    assert _task(tasks.progress(s.ctx, s.cashier, phone=PHONE), "inv2").progress == 1
    friend2 = _member(s, "13800000003", invite_code=host.invite_code)
    r = tasks.progress(s.ctx, s.cashier, phone=PHONE)
    assert _task(r, "inv2").state == "completed" and _task(r, "inv1buy").progress == 0
    _sale(s, friend2.member_id)  # the invitee's first purchase counts for the inviter's task
    _sale(s, friend2.member_id)  # a second one does not
    assert _task(tasks.progress(s.ctx, s.cashier, phone=PHONE), "inv1buy").state == "completed"
    wallet.recharge(s.ctx, s.cashier, phone=PHONE, amount_fen=300_00)
    wallet.recharge(s.ctx, s.cashier, phone=PHONE, amount_fen=200_00)
    r = tasks.progress(s.ctx, s.cashier, phone=PHONE)
    assert (_task(r, "rc500").progress, _task(r, "rc500").state) == (500_00, "completed")
    # after the campaign's window nothing moves (no campaign runs: no tasks)
    s.clock.advance(days=800)
    _sale(s, host.member_id)
    assert tasks.progress(s.ctx, s.cashier, phone=PHONE).tasks == ()
    assert _q(s, "SELECT COUNT(*) FROM task_progress WHERE task_code = 'inv2' AND member_id = ?",
              host.member_id) == [(1,)]
    s.ctx.db.dispose()


def test_a_task_that_fails_to_reward_writes_nothing_of_the_sale(tmp_path):
    """One use case = one transaction: a coupon template that does not exist fails the whole sale."""
    s = make_store(tmp_path / "store.db")
    data = program()
    data["points"]["tasks"] = [{"code": "x", "level": "basic", "name": "x", "kind": "purchases", "target": 1,
                                "coupon": "NO-SUCH-TEMPLATE"}]
    campaigns.load_campaign(s.ctx, s.manager, data, replace=True)
    mem = _member(s)
    with pytest.raises(DomainError):  # the coupon module refuses the unknown template: all rolled back
        _sale(s, mem.member_id)
    assert _q(s, "SELECT COUNT(*) FROM sale") == [(0,)]
    assert _q(s, "SELECT COUNT(*) FROM task_progress") == [(0,)]
    s.ctx.db.dispose()


# ----------------------------------------------------------------------------- the pending period
def test_purchase_points_are_pending_then_spendable_and_a_return_takes_them_back(shop):
    mem = _member(shop)
    sale = _sale(shop, mem.member_id, 600_00)  # 60 points, pending for 7 days
    shown = points.show(shop.ctx, shop.cashier, phone=PHONE)
    assert (shown.points_balance, shown.points_pending) == (0, 60)
    got = members.get_member(shop.ctx, shop.cashier, phone=PHONE)
    assert (got.points, got.points_pending) == (0, 60)
    wheel.publish(shop.ctx, shop.manager)
    with pytest.raises(InsufficientFunds):  # a draw costs 50: pending points are never spent
        wheel.draw(shop.ctx, shop.cashier, phone=PHONE)
    # a return within the pending period takes them back from the pending lot
    ret = checkout.return_sale(shop.ctx, shop.manager, request_id="ret-1", sale_id=sale.sale_id)
    assert ret.points_taken_back == 60
    shown = points.show(shop.ctx, shop.cashier, phone=PHONE)
    assert (shown.points_balance, shown.points_pending) == (0, 0)
    # the returned purchase no longer counts for the tasks not yet complete
    r = tasks.progress(shop.ctx, shop.cashier, phone=PHONE)
    assert (_task(r, "buy3").progress, _task(r, "spend800").progress) == (0, 0)
    # a second purchase: spendable after 7 days, not before
    _sale(shop, mem.member_id, 600_00)
    shop.clock.advance(days=6)
    assert points.show(shop.ctx, shop.cashier, phone=PHONE).points_pending == 60
    shop.clock.advance(days=1)
    shown = points.show(shop.ctx, shop.cashier, phone=PHONE)
    assert (shown.points_balance, shown.points_pending) == (60, 0)
    assert wheel.draw(shop.ctx, shop.cashier, phone=PHONE).cost_points == 50
    _doctor_ok(shop)


def test_expiry_never_touches_pending_points(tmp_path):
    s = make_store(tmp_path / "store.db")
    data = program()
    data["points"]["pending"] = {"days": 60}
    data["campaign"]["points_expiry_months"] = 1  # expiry comes before the pending period ends
    campaigns.load_campaign(s.ctx, s.manager, data, replace=True)
    mem = _member(s)
    _sale(s, mem.member_id, 300_00)
    s.clock.advance(days=40)  # past its expiry date, still pending
    assert wallet.expire_points(s.ctx, s.manager) == 0
    assert points.show(s.ctx, s.cashier, phone=PHONE).points_pending == 30
    s.clock.advance(days=21)  # spendable now, and past expiry: expired
    assert wallet.expire_points(s.ctx, s.manager) == 30
    _doctor_ok(s)
    s.ctx.db.dispose()


# ----------------------------------------------------------------------------- levels
def _status(store: Store, phone: str = PHONE):
    return levels.status(store.ctx, store.cashier, phone=phone)


def test_every_member_starts_at_the_lowest_level_and_a_recharge_lifts_them(shop):
    mem = _member(shop)
    assert mem.level is None and _status(shop).level_name == "普通"
    wallet.recharge(shop.ctx, shop.cashier, phone=PHONE, amount_fen=500_00)
    assert _status(shop).level_name == "普通" and _status(shop).to_next_fen == 500_00
    r = wallet.recharge(shop.ctx, shop.cashier, phone=PHONE, amount_fen=500_00)
    assert r.points == 50  # earned at 普通 (x1): the recharge that lifts the member is counted before
    st = _status(shop)
    assert (st.level, st.level_name, st.points_multiplier, st.next_name) == ("silver", "银卡", "1.2", "金卡")
    assert st.until == date(2027, 11, 23)  # held for the 12-month window (downgrade at its end)
    assert [(c.from_level, c.to_level, c.reason) for c in st.history] == [(None, "silver", "recharge")]
    assert members.get_member(shop.ctx, shop.cashier, phone=PHONE).level == "silver"
    # the perk: points from purchases x1.2 (60 points -> 72)
    assert _sale(shop, mem.member_id, 600_00).points_earned == 72
    # the log is append-only and every change has its audit row
    assert _q(shop, "SELECT COUNT(*) FROM audit_log WHERE action = 'level.changed'") == [(1,)]
    wallet.recharge(shop.ctx, shop.cashier, phone=PHONE, amount_fen=2000_00)
    st = _status(shop)
    assert st.level_name == "金卡" and [c.to_level for c in st.history] == ["gold", "silver"]
    # gold pays member prices at the till (no recharge tier gave member-price months)
    sale = checkout.ring_up(shop.ctx, shop.cashier, request_id=None, member_id=mem.member_id,
                            lines=[LineInput(barcode=TOY)], coupon_code=None, payments=[PaymentInput("cash", 50_00)])
    assert sale.total_fen == 50_00
    _doctor_ok(shop)


def test_levels_by_the_amount_actually_paid_at_the_till(tmp_path):
    s = make_store(tmp_path / "store.db")
    data = program()
    data["member_levels"]["basis"] = "paid"
    campaigns.load_campaign(s.ctx, s.manager, data, replace=True)
    mem = _member(s)
    wallet.recharge(s.ctx, s.cashier, phone=PHONE, amount_fen=2000_00)  # a recharge is not what counts here
    assert _status(s).level == "normal" and _status(s).basis == "paid"
    sale = _sale(s, mem.member_id, 999_00)
    assert _status(s).level == "normal"
    checkout.return_sale(s.ctx, s.manager, request_id=None, sale_id=sale.sale_id, lines=[(1, 1)])
    _sale(s, mem.member_id, 1_00)  # 1 yuan more, but the return gave 999 back: still 1 yuan in the window
    assert _status(s).basis_fen == 1_00 and _status(s).level == "normal"
    _sale(s, mem.member_id, 1000_00)
    st = _status(s)
    assert (st.level, st.history[0].reason) == ("silver", "sale")
    s.ctx.db.dispose()


def test_downgrade_at_the_window_end_with_a_controlled_clock(tmp_path):
    s = make_store(tmp_path / "store.db")
    data = program()
    data["member_levels"]["window_months"] = 1
    campaigns.load_campaign(s.ctx, s.manager, data, replace=True)
    _member(s)
    wallet.recharge(s.ctx, s.cashier, phone=PHONE, amount_fen=1000_00)
    assert _status(s).until == date(2026, 12, 23)
    s.clock.advance(days=29)
    assert levels.review(s.ctx, s.cashier).reviewed == 0  # not due yet
    s.clock.advance(days=1)  # due: the recharge is still in the window (from 2026-11-23): kept, renewed
    r = levels.review(s.ctx, s.cashier)
    assert (r.reviewed, r.changed) == (1, 0) and _status(s).until == date(2027, 1, 23)
    s.clock.advance(days=31)  # the window holds no recharge now: down to 普通, logged
    assert levels.review(s.ctx, s.cashier).changed == 1
    st = _status(s)
    assert (st.level, st.until) == ("normal", None)
    assert [(c.from_level, c.to_level, c.reason) for c in st.history][0] == ("silver", "normal", "window_end")
    s.ctx.db.dispose()


def test_no_downgrade_when_the_campaign_says_none(tmp_path):
    s = make_store(tmp_path / "store.db")
    data = program()
    data["member_levels"].update(window_months=1, downgrade="none")
    campaigns.load_campaign(s.ctx, s.manager, data, replace=True)
    _member(s)
    wallet.recharge(s.ctx, s.cashier, phone=PHONE, amount_fen=1000_00)
    assert _status(s).until is None
    s.clock.advance(days=90)
    assert levels.review(s.ctx, s.cashier).reviewed == 0
    assert _status(s).level == "silver"
    s.ctx.db.dispose()


def test_a_level_upgrade_voucher_from_the_wheel_lifts_one_level_for_its_months(tmp_path):
    s = make_store(tmp_path / "store.db")
    data = program()
    data["points"]["wheel"]["prizes"] = [
        {"code": "up", "tier": "一等奖", "name": "会员升级券", "kind": "virtual", "ref": "level-upgrade",
         "weight": 1, "quantity": 10}]
    campaigns.load_campaign(s.ctx, s.manager, data, replace=True)
    _member(s)
    points.adjust(s.ctx, s.manager, phone=PHONE, points=100, reason="抽奖")
    wheel.publish(s.ctx, s.manager)
    d = wheel.draw(s.ctx, s.cashier, phone=PHONE)
    st = _status(s)
    assert (st.level, st.by_voucher, st.until) == ("silver", True, date(2027, 2, 23))
    assert [(c.from_level, c.to_level, c.reason, c.ref) for c in st.history] == [(None, "silver", "voucher", d.draw_id)]
    s.clock.advance(days=92)  # the voucher's three months are over: back to what the basis reaches
    assert levels.review(s.ctx, s.cashier).changed == 1
    st = _status(s)
    assert (st.level, st.by_voucher, st.until) == ("normal", False, None)
    assert st.history[0].reason == "voucher_end"
    s.ctx.db.dispose()


def test_a_birthday_gift_once_a_year_for_the_levels_that_have_one(shop):
    from pos_app.domain.errors import InvalidInput

    _member(shop)
    _member(shop, FRIEND)
    with pytest.raises(InvalidInput):  # not born yet
        levels.set_birthday(shop.ctx, shop.cashier, phone=PHONE, birthday=date(2027, 1, 1))
    levels.set_birthday(shop.ctx, shop.cashier, phone=PHONE, birthday=date(1990, 11, 25))
    levels.set_birthday(shop.ctx, shop.cashier, phone=FRIEND, birthday=date(1991, 11, 25))  # 普通: no gift
    wallet.recharge(shop.ctx, shop.cashier, phone=PHONE, amount_fen=3000_00)  # 金卡: 100 points on the birthday
    assert _status(shop).birthday == date(1990, 11, 25)
    before = points.show(shop.ctx, shop.cashier, phone=PHONE).points_balance
    assert levels.review(shop.ctx, shop.cashier).birthday_gifts == ()  # not today
    shop.clock.advance(days=2)
    r = levels.review(shop.ctx, shop.cashier)
    assert len(r.birthday_gifts) == 1
    assert points.show(shop.ctx, shop.cashier, phone=PHONE).points_balance == before + 100
    assert levels.review(shop.ctx, shop.cashier).birthday_gifts == ()  # once a year
    assert _q(shop, "SELECT year, level, points FROM birthday_gift") == [(2026, "gold", 100)]
    _doctor_ok(shop)


def test_the_doctor_finds_a_level_or_a_task_reward_changed_behind_the_log(shop):
    mem = _member(shop)
    wallet.recharge(shop.ctx, shop.cashier, phone=PHONE, amount_fen=1000_00)
    for _ in range(3):
        _sale(shop, mem.member_id)
    _doctor_ok(shop)
    with sqlite3.connect(shop.path) as c:
        c.execute("UPDATE member SET level = 'diamond' WHERE phone = ?", (PHONE,))
        c.execute("UPDATE points_lot SET source = 'adjust' WHERE source = 'task'")
    bad = {c.name: c.detail for c in doctor.run_doctor(shop.ctx).checks if not c.ok}
    assert bad["levels_match_their_log"] == PHONE and "completed_tasks_rewarded" in bad


def test_member_show_and_levels_need_no_campaign(bare_store):
    mem = members.register_member(bare_store.ctx, bare_store.cashier, phone=PHONE)
    assert mem.level is None
    st = _status(bare_store)
    assert (st.basis, st.level_name) == (None, None)
    assert tasks.progress(bare_store.ctx, bare_store.cashier, phone=PHONE).tasks == ()
    assert levels.review(bare_store.ctx, bare_store.cashier).reviewed == 0


def test_a_bad_levels_or_tasks_table_is_refused_when_the_campaign_is_loaded(store):
    from pos_app.domain.errors import InvalidInput

    for change in ({"member_levels": {"levels": [{"code": "a", "threshold": "10"}]}},
                   {"member_levels": {"levels": [{"code": "a"}, {"code": "b", "threshold": "0"}]}},
                   {"member_levels": {"downgrade": "sometimes", "levels": [{"code": "a"}]}}):
        with pytest.raises(InvalidInput):
            campaigns.load_campaign(store.ctx, store.manager, program(**change), replace=True)
    data = program()
    data["points"]["tasks"] = [{"code": "t", "kind": "dance", "target": 1, "points": 1}]
    with pytest.raises(InvalidInput):
        campaigns.load_campaign(store.ctx, store.manager, data, replace=True)
    data = program()
    data["points"]["pending"] = {"days": 365}
    with pytest.raises(InvalidInput):
        campaigns.load_campaign(store.ctx, store.manager, data, replace=True)



# ----------------------------------------------------------------------------- invariants on a real store
@settings(max_examples=4, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(ops=st.lists(st.tuples(st.sampled_from(["sale", "return", "day", "draw", "expire", "adjust"]),
                              st.integers(1, 9)), min_size=3, max_size=9))
def test_pending_points_are_never_spent_and_the_balance_is_its_ledger(tmp_path_factory, ops):
    s = make_store(tmp_path_factory.mktemp("inv") / "store.db")
    try:
        data = program()
        data["points"]["wheel"]["cost_points"] = 20
        campaigns.load_campaign(s.ctx, s.manager, data, replace=True)
        wheel.publish(s.ctx, s.manager)
        mem = _member(s)
        sales: list[str] = []
        for op, n in ops:
            try:
                if op == "sale":
                    sales.append(_sale(s, mem.member_id, n * 50_00).sale_id)
                elif op == "return" and sales:
                    checkout.return_sale(s.ctx, s.manager, request_id=None, sale_id=sales.pop(n % len(sales)))
                elif op == "day":
                    s.clock.advance(days=n)
                elif op == "draw":
                    wheel.draw(s.ctx, s.cashier, phone=PHONE, use_ticket=False)
                elif op == "expire":
                    wallet.expire_points(s.ctx, s.manager)
                elif op == "adjust":
                    points.adjust(s.ctx, s.manager, phone=PHONE, points=n * 3, reason="补")
            except InsufficientFunds:
                pass
            shown = points.show(s.ctx, s.cashier, phone=PHONE)
            assert shown.points_balance >= 0 and shown.points_pending >= 0
            # what a spend took came only from lots that were spendable on that (store-local) day
            for available_on, at in _q(s, "SELECT l.available_on, e.created_at FROM points_entry e "
                                          "JOIN points_lot l ON l.id = e.lot_id WHERE e.kind IN ('spend', 'expire') "
                                          "AND l.available_on IS NOT NULL"):
                assert (datetime.fromisoformat(at).replace(tzinfo=UTC) + timedelta(hours=8)).date() >= \
                    date.fromisoformat(available_on)
            held = _q(s, "SELECT points_balance FROM member WHERE id = ?", mem.member_id)[0][0]
            lots = _q(s, "SELECT COALESCE(SUM(points), 0) FROM points_lot WHERE member_id = ?", mem.member_id)[0][0]
            moved = _q(s, "SELECT COALESCE(SUM(delta), 0) FROM points_entry WHERE member_id = ?", mem.member_id)[0][0]
            assert held == lots + moved == shown.points_balance + shown.points_pending
        _doctor_ok(s)
    finally:
        s.ctx.db.dispose()
