"""Premium redemption and the points mall through the services on a real SQLite store: requests
reviewed, fulfilled and received (also automatically after N working days with a controlled clock),
rejection and cancel giving stock and points back, spend eligibility without discounts, coupons or the
stored-value bonus part, per-member limits, stock risk, and mall redemptions picked up by their code."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from sqlalchemy import func, select

from pos_app import messages
from pos_app.db import models_gifts as g
from pos_app.db import models_mall as mm
from pos_app.domain import redemption as rules
from pos_app.domain.errors import DomainError, InvalidInput, NotFound, PermissionDenied, StateError
from pos_app.services import (
    campaigns,
    checkout,
    coupons,
    doctor,
    gifts,
    mall,
    members,
    points,
    redemption,
    wallet,
)
from pos_app.services.campaigns import read_campaign_file
from tests.conftest import DEMO_CAMPAIGN, make_store

PHONE = "13800000001"


def _member(store, phone=PHONE, pts=5000):
    mem = members.register_member(store.ctx, store.cashier, phone=phone)
    if pts:
        points.adjust(store.ctx, store.manager, phone=phone, points=pts, reason="测试")
    return mem


def _reload(store, edit):
    data = read_campaign_file(DEMO_CAMPAIGN)
    data["campaign"].update(starts_on="2026-11-01", ends_on="2027-01-31")
    edit(data)
    campaigns.load_campaign(store.ctx, store.manager, data, replace=True)


def _item(store, code, program=rules.PREMIUM):
    return next(i for i in mall.items(store.ctx, store.manager, program=program) if i.code == code)


def _doctor_ok(store):
    report = doctor.run_doctor(store.ctx)
    assert report.ok, report.problems if hasattr(report, "problems") else report
    return True


def _balance(store, phone=PHONE):
    return points.show(store.ctx, store.cashier, phone=phone).points_balance


def test_a_request_is_approved_shipped_and_received_with_every_change_logged(store):
    _member(store)
    r = redemption.request(store.ctx, store.cashier, item="MOUTAI-500", phone=PHONE, ship_to="北京市朝阳区建国路 1 号",
                           contact="13900000009")
    assert (r.state, r.points, r.contact, r.points_balance) == ("requested", 3000, "13900000009", 2000)
    assert r.changes.redemptions and r.changes.points
    assert _item(store, "MOUTAI-500").reserved == 1
    [a] = redemption.approve(store.ctx, store.manager, redemption_ids=[r.redemption_id])
    assert a.state == "approved"
    f = redemption.fulfil(store.ctx, store.staff, redemption_id=r.redemption_id, carrier="顺丰", tracking="SF1234567")
    assert (f.state, f.carrier, f.tracking) == ("fulfilled", "顺丰", "SF1234567")
    done = redemption.receive(store.ctx, store.cashier, redemption_id=r.code)
    assert done.state == "received" and done.received_at is not None
    item = _item(store, "MOUTAI-500")
    assert (item.reserved, item.given, item.available) == (0, 1, 5)
    shown = mall.get(store.ctx, store.cashier, r.code)
    assert [(x.from_state, x.to_state, x.staff_code) for x in shown.log] == [
        (None, "requested", "cash1"), ("requested", "approved", "boss"), ("approved", "fulfilled", "shelf1"),
        ("fulfilled", "received", "cash1")]
    assert _balance(store) == 2000
    assert _doctor_ok(store)


def test_in_store_fulfilment_by_scanning_the_requests_code(store):
    _member(store)
    r = redemption.request(store.ctx, store.cashier, item="MOUTAI-500", phone=PHONE)
    redemption.approve(store.ctx, store.manager, redemption_ids=[r.redemption_id])
    scanned = r.code.replace("-", "").lower()  # as a scanner or a hurried hand types it
    f = redemption.fulfil(store.ctx, store.cashier, redemption_id=scanned)
    assert f.state == "fulfilled" and f.carrier is None
    with pytest.raises(InvalidInput) as e:
        redemption.fulfil(store.ctx, store.cashier, redemption_id=r.redemption_id, carrier="顺丰")
    assert e.value.key == "redemption.carrier_and_tracking"


def test_rejection_needs_a_reason_and_gives_stock_and_points_back(store):
    _member(store)
    r = redemption.request(store.ctx, store.cashier, item="MOUTAI-500", phone=PHONE)
    with pytest.raises(InvalidInput):
        redemption.reject(store.ctx, store.manager, redemption_id=r.redemption_id, reason="  ")
    with pytest.raises(PermissionDenied):
        redemption.reject(store.ctx, store.cashier, redemption_id=r.redemption_id, reason="x")
    out = redemption.reject(store.ctx, store.manager, redemption_id=r.redemption_id, reason="联系不上会员")
    assert (out.state, out.reason) == ("rejected", "联系不上会员")
    assert _balance(store) == 5000
    assert _item(store, "MOUTAI-500").available == 6
    history = points.history(store.ctx, store.cashier, phone=PHONE)
    assert [x.kind for x in history[:2]] == ["release", "spend"]
    from datetime import date

    from pos_app.services.reports import liability

    rep = liability.liability(store.ctx, store.manager, from_day=date(2026, 11, 1), to_day=date(2026, 11, 30))
    moves = {mv.kind: mv for mv in rep.points_movements}
    assert moves["release"].points == 3000 and moves["spend"].points == -3000
    assert rep.points_opening + sum(mv.points for mv in rep.points_movements) == rep.points_closing == 5000
    assert _doctor_ok(store)


def test_cancel_before_fulfilment_releases_everything_and_not_after(store):
    _member(store)
    a = redemption.request(store.ctx, store.cashier, item="MOUTAI-500", phone=PHONE)
    redemption.approve(store.ctx, store.manager, redemption_ids=[a.redemption_id])
    c = redemption.cancel(store.ctx, store.cashier, redemption_id=a.redemption_id, reason="会员改主意")
    assert c.state == "cancelled" and _balance(store) == 5000 and _item(store, "MOUTAI-500").available == 6
    b = redemption.request(store.ctx, store.cashier, item="MOUTAI-500", phone=PHONE)  # the limit counts live ones
    redemption.approve(store.ctx, store.manager, redemption_ids=[b.redemption_id])
    redemption.fulfil(store.ctx, store.cashier, redemption_id=b.redemption_id)
    with pytest.raises(StateError) as e:
        redemption.cancel(store.ctx, store.cashier, redemption_id=b.redemption_id)
    assert e.value.key == "redemption.transition_refused"
    assert "已交付" in messages.tr_error(e.value)


@pytest.mark.parametrize(("path", "event"), [
    ((), "fulfil"), ((), "receive"), (("approve",), "approve"), (("approve",), "reject"),
    (("reject",), "approve"), (("reject",), "cancel"), (("cancel",), "approve"),
    (("approve", "fulfil"), "reject"), (("approve", "fulfil", "receive"), "receive"),
])
def test_moves_the_state_machine_does_not_hold_are_refused_and_write_nothing(store, path, event):
    _member(store)
    r = redemption.request(store.ctx, store.cashier, item="MOUTAI-500", phone=PHONE)
    rid = r.redemption_id
    calls = {
        "approve": lambda: redemption.approve(store.ctx, store.manager, redemption_ids=[rid]),
        "reject": lambda: redemption.reject(store.ctx, store.manager, redemption_id=rid, reason="不符合"),
        "cancel": lambda: redemption.cancel(store.ctx, store.manager, redemption_id=rid),
        "fulfil": lambda: redemption.fulfil(store.ctx, store.manager, redemption_id=rid),
        "receive": lambda: redemption.receive(store.ctx, store.manager, redemption_id=rid),
    }
    for step in path:
        calls[step]()
    before = mall.get(store.ctx, store.manager, rid)
    with pytest.raises(StateError) as e:
        calls[event]()
    assert e.value.key == "redemption.transition_refused"
    after = mall.get(store.ctx, store.manager, rid)
    assert (after.state, len(after.log)) == (before.state, len(before.log))


def test_auto_receive_after_the_working_days_with_a_controlled_clock(store):
    """Fulfilled on Monday 23 Nov; 7 working days later is Wednesday 2 Dec."""
    _member(store)
    r = redemption.request(store.ctx, store.cashier, item="MOUTAI-500", phone=PHONE)
    redemption.approve(store.ctx, store.manager, redemption_ids=[r.redemption_id])
    f = redemption.fulfil(store.ctx, store.cashier, redemption_id=r.redemption_id, carrier="EMS", tracking="E1")
    assert str(f.receive_due_on) == "2026-12-02"
    store.clock.advance(days=8)  # Tuesday 1 Dec
    assert redemption.auto_receive(store.ctx, store.cashier) == 0
    assert mall.get(store.ctx, store.cashier, r.redemption_id).state == "fulfilled"
    store.clock.advance(days=1)  # Wednesday 2 Dec
    assert redemption.auto_receive(store.ctx, store.cashier) == 1
    got = mall.get(store.ctx, store.cashier, r.redemption_id)
    assert got.state == "received" and got.log[-1].staff_code is None and got.log[-1].note == "automatic"
    assert redemption.auto_receive(store.ctx, store.cashier) == 0


def test_a_review_not_done_within_the_working_days_is_flagged(store):
    _member(store)
    r = redemption.request(store.ctx, store.cashier, item="MOUTAI-500", phone=PHONE)
    assert not r.review_overdue and str(r.review_due_on) == "2026-11-25"
    store.clock.advance(days=2)
    assert not redemption.queue(store.ctx, store.manager, state="requested")[0].review_overdue
    store.clock.advance(days=1)
    assert redemption.queue(store.ctx, store.manager, state="requested")[0].review_overdue


def test_spend_eligibility_counts_only_what_was_actually_paid_in_the_named_categories(store):
    _reload(store, lambda d: d["redemption"]["items"][1].update(spend="200"))
    mem = _member(store, pts=0)
    mid = mem.member_id
    coupon = coupons.issue_coupons(store.ctx, store.manager, template_code="PET20", member_id=mid, count=1,
                                   reason="test")[0].code
    # 150 of pet supplies with the 20 coupon: 130 actually paid
    checkout.ring_up(store.ctx, store.cashier, request_id=None, member_id=mid,
                     lines=[checkout.LineInput(category="宠物用品", amount_fen=150_00)], coupon_code=coupon,
                     payments=[checkout.PaymentInput("cash", 130_00)])
    # grooming is not a named category
    checkout.ring_up(store.ctx, store.cashier, request_id=None, member_id=mid,
                     lines=[checkout.LineInput(category="洗护美容", amount_fen=300_00)], coupon_code=None,
                     payments=[checkout.PaymentInput("cash", 300_00)])
    [item] = [i for i in redemption.items(store.ctx, store.cashier, phone=PHONE) if i.code == "MOUTAI-SPEND"]
    assert (item.eligible, item.spent_fen, item.spend_short_fen) == (False, 130_00, 70_00)
    with pytest.raises(StateError) as e:
        redemption.request(store.ctx, store.cashier, item="MOUTAI-SPEND", phone=PHONE)
    assert e.value.key == "redemption.spend_short"
    # 80 of food from the balance (principal 500 + bonus 50): the bonus part does not count
    wallet.recharge(store.ctx, store.cashier, member_id=mid, tier_code="basic")
    sale = checkout.ring_up(store.ctx, store.cashier, request_id=None, member_id=mid,
                            lines=[checkout.LineInput(category="宠物食品", amount_fen=80_00)], coupon_code=None,
                            payments=[checkout.PaymentInput("balance", 80_00)])
    assert sale.paid_fen < 80_00
    [item] = [i for i in redemption.items(store.ctx, store.cashier, phone=PHONE) if i.code == "MOUTAI-SPEND"]
    assert item.spent_fen == 130_00 + sale.paid_fen
    assert item.eligible == (130_00 + sale.paid_fen >= 200_00)
    ok = redemption.request(store.ctx, store.cashier, item="MOUTAI-SPEND", phone=PHONE)
    assert ok.state == "requested" and ok.points == 0


def test_per_member_limit_stock_risk_pause_and_clear_refusals(store):
    _reload(store, lambda d: d["redemption"]["items"][0].update(quantity=2, threshold=1))
    _member(store, PHONE, 9000)
    _member(store, "13800000002", 9000)
    _member(store, "13800000003", 9000)
    redemption.request(store.ctx, store.cashier, item="MOUTAI-500", phone=PHONE)
    with pytest.raises(StateError) as e:
        redemption.request(store.ctx, store.cashier, item="MOUTAI-500", phone=PHONE)
    assert e.value.key == "mall.limit_campaign"
    assert _item(store, "MOUTAI-500").low  # 1 left, threshold 1
    low = {i.code for i in mall.low_stock(store.ctx, store.manager)}
    assert "MOUTAI-500" in low and "MOUTAI-SPEND" not in low and "M-PET20" not in low
    redemption.request(store.ctx, store.cashier, item="MOUTAI-500", phone="13800000002")
    with pytest.raises(StateError) as e:
        redemption.request(store.ctx, store.cashier, item="MOUTAI-500", phone="13800000003")
    assert e.value.key == "redemption.out_of_stock"
    assert "飞天茅台" in messages.tr_error(e.value)
    assert _balance(store, "13800000003") == 9000  # nothing taken
    mall.set_paused(store.ctx, store.manager, item="MOUTAI-SPEND", paused=True)
    with pytest.raises(StateError) as e:
        redemption.request(store.ctx, store.cashier, item="MOUTAI-SPEND", phone="13800000003")
    assert e.value.key == "redemption.item_paused"
    with pytest.raises(PermissionDenied):
        mall.set_paused(store.ctx, store.cashier, item="MOUTAI-SPEND", paused=False)
    with pytest.raises(InvalidInput) as e:  # the file cannot take back units already held
        _reload(store, lambda d: d["redemption"]["items"][0].update(quantity=1))
    assert e.value.key == "redemption.quantity_below_used"
    with pytest.raises(NotFound):
        redemption.request(store.ctx, store.cashier, item="NOPE", phone=PHONE)


def test_points_short_is_refused_with_how_far(store):
    _member(store, pts=2500)
    with pytest.raises(StateError) as e:
        redemption.request(store.ctx, store.cashier, item="MOUTAI-500", phone=PHONE)
    assert e.value.key == "redemption.points_short" and e.value.params["short"] == 500
    views = redemption.items(store.ctx, store.cashier, phone=PHONE)
    assert redemption.next_item(views).code == "MOUTAI-500"  # 500 of 3000 points short; all of the spend
    assert {v.code: v.points_short for v in views}["MOUTAI-500"] == 500


def test_review_queue_filters_bulk_approve_and_shipping_export(store, tmp_path):
    _reload(store, lambda d: d["redemption"]["items"][0].update(quantity=10))
    ids = []
    for i in range(3):
        _member(store, f"1380000001{i}", 4000)
        ids.append(redemption.request(store.ctx, store.cashier, item="MOUTAI-500", phone=f"1380000001{i}",
                                      ship_to=f"上海市 {i} 号").redemption_id)
    store.clock.advance(days=10)  # into December
    _member(store, "13800000020", 4000)
    redemption.request(store.ctx, store.cashier, item="MOUTAI-500", phone="13800000020")
    assert len(redemption.queue(store.ctx, store.manager, state="requested")) == 4
    assert len(redemption.queue(store.ctx, store.manager, month="2026-11")) == 3
    assert len(redemption.queue(store.ctx, store.manager, month="2026-12", state="requested")) == 1
    with pytest.raises(InvalidInput):
        redemption.queue(store.ctx, store.manager, state="lost")
    with pytest.raises(InvalidInput):
        redemption.queue(store.ctx, store.manager, month="11/2026")
    with pytest.raises(StateError):  # all or none: one is already approved
        redemption.approve(store.ctx, store.manager, redemption_ids=[ids[0]])
        redemption.approve(store.ctx, store.manager, redemption_ids=ids)
    assert len(redemption.queue(store.ctx, store.manager, state="approved")) == 1
    done = redemption.approve(store.ctx, store.manager, redemption_ids=ids[1:])
    assert [d.state for d in done] == ["approved", "approved"] and done.changes.redemptions
    out = redemption.export_shipping(store.ctx, store.manager, tmp_path / "ship.xlsx")
    ws = load_workbook(out).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][0] == "核销码" and len(rows) == 4
    assert {r[5] for r in rows[1:]} == {"上海市 0 号", "上海市 1 号", "上海市 2 号"}
    with pytest.raises(PermissionDenied):
        redemption.export_shipping(store.ctx, store.cashier, tmp_path / "no.xlsx")


# ----------------------------------------------------------------------------- the mall
def _gift_stock(store, qty=5):
    gifts.add_gift(store.ctx, store.manager, sku="TOY-001", name="宠物玩具", unit_value_fen=39_00)
    gifts.receive(store.ctx, store.staff, sku="TOY-001", qty=qty)


def test_mall_gift_reserved_then_picked_up_by_its_code_from_gift_stock(store):
    _gift_stock(store)
    _member(store)
    r = mall.redeem(store.ctx, store.cashier, item="M-TOY", phone=PHONE)
    assert (r.state, r.points_balance) == ("reserved", 4700)
    assert [o.sku for o in gifts.owed_gifts(store.ctx, store.staff)] == ["TOY-001"]  # held back from the shelf
    p = mall.pickup(store.ctx, store.staff, code=r.code.lower())
    assert p.state == "picked_up" and p.changes.stock
    with store.ctx.uow(read_only=True) as uow:
        assert uow.session.scalar(select(g.GiftItem.on_hand).where(g.GiftItem.sku == "TOY-001")) == 4
    assert gifts.owed_gifts(store.ctx, store.staff) == []
    with pytest.raises(StateError) as e:
        mall.pickup(store.ctx, store.staff, code=r.code)
    assert e.value.key == "mall.not_waiting"
    with pytest.raises(NotFound):
        mall.pickup(store.ctx, store.staff, code="not-a-code")
    assert _doctor_ok(store)


def test_mall_coupon_is_issued_at_once_and_monthly_limit(store):
    _gift_stock(store)
    _member(store)
    c = mall.redeem(store.ctx, store.cashier, item="M-PET20", phone=PHONE)
    assert c.state == "issued" and c.issued_code
    assert coupons.get_coupon(store.ctx, store.cashier, c.issued_code).state == "issued"
    mall.redeem(store.ctx, store.cashier, item="M-TOY", phone=PHONE)
    mall.redeem(store.ctx, store.cashier, item="M-TOY", phone=PHONE)
    with pytest.raises(StateError) as e:
        mall.redeem(store.ctx, store.cashier, item="M-TOY", phone=PHONE)
    assert e.value.key == "mall.limit_month"
    store.clock.advance(days=10)  # December: a new month
    assert mall.redeem(store.ctx, store.cashier, item="M-TOY", phone=PHONE).state == "reserved"


def test_mall_external_codes_each_given_once_with_points_and_cash(store):
    _member(store, pts=1000)
    _member(store, "13800000002", 1000)
    with pytest.raises(StateError):
        mall.redeem(store.ctx, store.cashier, item="M-VIP", phone=PHONE, pay_method="cash")  # no codes yet
    v = mall.import_codes(store.ctx, store.manager, item="M-VIP", codes_in=["AAA-1", "", "BBB-2"])
    assert v.quantity == 2
    with pytest.raises(InvalidInput):
        mall.import_codes(store.ctx, store.manager, item="M-VIP", codes_in=["AAA-1"])
    with pytest.raises(InvalidInput) as e:
        mall.redeem(store.ctx, store.cashier, item="M-VIP", phone=PHONE)
    assert e.value.key == "mall.pay_required"
    a = mall.redeem(store.ctx, store.cashier, item="M-VIP", phone=PHONE, pay_method="wechat")
    b = mall.redeem(store.ctx, store.cashier, item="M-VIP", phone="13800000002", pay_method="cash")
    assert {a.issued_code, b.issued_code} == {"AAA-1", "BBB-2"} and a.cash_fen == 5_00
    assert _item(store, "M-VIP", rules.MALL).available == 0
    with pytest.raises(StateError) as e:
        mall.redeem(store.ctx, store.cashier, item="M-VIP", phone="13800000002", pay_method="cash")
    assert e.value.key == "redemption.out_of_stock"
    assert _doctor_ok(store)


def test_mall_redeem_is_idempotent_by_request_id(store):
    _member(store)
    a = mall.redeem(store.ctx, store.cashier, item="M-PET20", phone=PHONE, request_id="till-1")
    b = mall.redeem(store.ctx, store.cashier, item="M-PET20", phone=PHONE, request_id="till-1")
    assert a.redemption_id == b.redemption_id and _balance(store) == 5000 - 150


# ----------------------------------------------------------------------------- the stock invariant
OPS = ("request", "approve", "reject", "cancel", "fulfil", "receive", "redeem_gift", "redeem_coupon", "pickup")


@settings(max_examples=5, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(OPS), st.integers(0, 3)), min_size=1, max_size=12))
def test_reserved_plus_handed_out_plus_available_equals_the_total(tmp_path_factory, ops):
    store = make_store(tmp_path_factory.mktemp("inv") / "store.db")
    try:
        _reload(store, lambda d: d["redemption"]["items"][0].update(quantity=3, limit=2))
        _gift_stock(store, qty=2)
        phones = [f"1380000010{i}" for i in range(4)]
        for p in phones:
            _member(store, p, 20000)
        made: list[str] = []
        for op, i in ops:
            phone = phones[i]
            ref = made[i % len(made)] if made else ""
            try:
                if op == "request":
                    made.append(redemption.request(store.ctx, store.cashier, item="MOUTAI-500", phone=phone).redemption_id)
                elif op == "redeem_gift":
                    made.append(mall.redeem(store.ctx, store.cashier, item="M-TOY", phone=phone).redemption_id)
                elif op == "redeem_coupon":
                    made.append(mall.redeem(store.ctx, store.cashier, item="M-PET20", phone=phone).redemption_id)
                elif op == "pickup" and ref:
                    mall.pickup(store.ctx, store.staff, code=mall.get(store.ctx, store.staff, ref).code)
                elif op == "approve" and ref:
                    redemption.approve(store.ctx, store.manager, redemption_ids=[ref])
                elif op == "reject" and ref:
                    redemption.reject(store.ctx, store.manager, redemption_id=ref, reason="r")
                elif op == "cancel" and ref:
                    redemption.cancel(store.ctx, store.manager, redemption_id=ref)
                elif op == "fulfil" and ref:
                    redemption.fulfil(store.ctx, store.staff, redemption_id=ref)
                elif op == "receive" and ref:
                    redemption.receive(store.ctx, store.staff, redemption_id=ref)
            except DomainError:
                pass
            with store.ctx.uow(read_only=True) as uow:
                for it in uow.session.scalars(select(mm.MallItem)):
                    rows = dict(uow.session.execute(
                        select(mm.Redemption.state, func.count()).where(mm.Redemption.item_id == it.id)
                        .group_by(mm.Redemption.state)).all())
                    reserved = sum(n for s, n in rows.items() if s in rules.RESERVING)
                    handed = sum(n for s, n in rows.items() if s in rules.GIVEN)
                    assert (it.reserved, it.given) == (reserved, handed)
                    assert reserved + handed + rules.available(it.quantity, it.reserved, it.given) == it.quantity
                    assert rules.available(it.quantity, it.reserved, it.given) >= 0
        assert _doctor_ok(store)
    finally:
        store.ctx.db.dispose()
