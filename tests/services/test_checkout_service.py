"""Checkout on a real SQLite store with the demo campaign (1 point per full 10 yuan actually paid; PET20:
20 yuan off 100 yuan of 宠物用品; luxury tier: 12 months of member prices): the catalogue, a sale with
a coupon and a balance + cash split, idempotency, refusals, member prices across the end date, returns
and who may make them, points already spent, referral by first purchase."""

from __future__ import annotations

import csv
import json
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest
from openpyxl import Workbook

from pos_app.domain.errors import (
    Conflict,
    InsufficientFunds,
    InvalidInput,
    NotFound,
    PermissionDenied,
    StateError,
)
from pos_app.services import campaigns, checkout, coupons, doctor, members, staff, wallet
from pos_app.services.campaigns import read_campaign_file
from pos_app.services.checkout import LineInput, PaymentInput
from tests.conftest import DEMO_CAMPAIGN

FOOD, TOY, SHAMPOO = "6900000000011", "6900000000028", "6900000000035"


def _q(store, sql, *params):
    with sqlite3.connect(store.path) as c:
        return c.execute(sql, params).fetchall()


def _count(store, table):
    return _q(store, f"SELECT COUNT(*) FROM {table}")[0][0]


def _counts(store):
    return {t: _count(store, t) for t in ("sale", "sale_line", "sale_payment", "sale_return", "spend", "wallet_entry",
                                          "points_lot", "points_entry", "audit_log", "outbox", "request_log")}


def _doctor_ok(store):
    rep = doctor.run_doctor(store.ctx)
    assert [c.name for c in rep.checks if not c.ok] == []


@pytest.fixture
def shop(store):
    m = store.manager
    checkout.add_product(store.ctx, m, sku="FOOD-2KG", barcode=FOOD, name="狗粮 2kg", category="宠物食品",
                         price_fen=128_00, member_price_fen=108_00)
    checkout.add_product(store.ctx, m, sku="TOY-BALL", barcode=TOY, name="玩具球", category="宠物用品", price_fen=60_00)
    checkout.add_product(store.ctx, m, sku="SHAMPOO", barcode=SHAMPOO, name="沐浴露", category="洗护美容",
                         price_fen=58_00, member_price_fen=49_00)
    return store


@pytest.fixture
def rich(shop):
    """A member on the luxury tier: 2,000 + 400 bonus, three PET20 coupons, member prices for 12 months."""
    mem = members.register_member(shop.ctx, shop.cashier, phone="13800138000", name="陈一")
    r = wallet.recharge(shop.ctx, shop.cashier, member_id=mem.member_id, tier_code="luxury", pay_method="wechat")
    codes = [i.code for i in r.items if i.kind == "coupon"]
    return shop, (mem, codes)


# ----------------------------------------------------------------------------- the catalogue


def test_catalogue_add_find_search_edit_and_refusals(shop):
    ctx, m = shop.ctx, shop.manager
    assert checkout.find_product(ctx, shop.cashier, FOOD).sku == "FOOD-2KG"
    assert checkout.find_product(ctx, shop.cashier, "0000") is None
    assert [p.sku for p in checkout.search_products(ctx, shop.cashier, "狗粮")] == ["FOOD-2KG"]
    with pytest.raises(Conflict):
        checkout.add_product(ctx, m, sku="FOOD-2KG", barcode="1", name="x", category="宠物食品", price_fen=1)
    with pytest.raises(Conflict):
        checkout.add_product(ctx, m, sku="NEW", barcode=FOOD, name="x", category="宠物食品", price_fen=1)
    with pytest.raises(InvalidInput) as e:
        checkout.add_product(ctx, m, sku="NEW", barcode="2", name="x", category="玩具", price_fen=1)
    assert e.value.key == "product.category_unknown"
    with pytest.raises(InvalidInput) as e:
        checkout.add_product(ctx, m, sku="NEW", barcode="2", name="x", category="宠物食品", price_fen=10_00,
                             member_price_fen=12_00)
    assert e.value.key == "product.member_price_above"
    with pytest.raises(PermissionDenied):
        checkout.add_product(ctx, shop.cashier, sku="NEW", barcode="2", name="x", category="宠物食品", price_fen=1)
    p = checkout.update_product(ctx, m, sku="TOY-BALL", price_fen=55_00, member_price_fen=50_00)
    assert (p.price_fen, p.member_price_fen) == (55_00, 50_00)
    p = checkout.update_product(ctx, m, sku="TOY-BALL", member_price_fen=None, active=False)
    assert (p.member_price_fen, p.active) == (None, False)
    with pytest.raises(StateError) as e:
        checkout.quote(ctx, shop.cashier, member_id=None, lines=[LineInput(barcode=TOY)], coupon_code=None)
    assert e.value.key == "product.inactive"
    assert checkout.categories(ctx, shop.cashier) == ["宠物食品", "宠物用品", "洗护美容", "寄养", "医疗"]


def test_import_is_all_or_nothing_and_names_every_refused_row(shop, tmp_path):
    bad = tmp_path / "p.csv"
    with bad.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["sku", "barcode", "name", "category", "price", "member_price"])
        w.writerow(["CAT-1", "6911", "猫粮", "宠物食品", "89", "79"])
        w.writerow(["CAT-2", "6912", "猫砂", "不存在", "39", ""])
        w.writerow(["CAT-3", FOOD, "冲突条码", "宠物用品", "10", ""])
        w.writerow(["CAT-4", "6914", "价格", "宠物用品", "abc", ""])
    before = _counts(shop), _count(shop, "product")
    rep = checkout.import_products(shop.ctx, shop.manager, bad)
    assert [row for row, _ in rep.refused] == [3, 4, 5] and (rep.added, rep.updated) == (0, 0)
    assert (_counts(shop), _count(shop, "product")) == before  # nothing half-imported
    wb = Workbook()
    ws = wb.active
    ws.append(["sku", "barcode", "name", "category", "price", "member_price"])
    ws.append(["CAT-1", "6911", "猫粮", "宠物食品", 89, 79.5])
    ws.append(["FOOD-2KG", FOOD, "狗粮 2kg 新包装", "宠物食品", "130", "110"])
    good = tmp_path / "p.xlsx"
    wb.save(good)
    rep = checkout.import_products(shop.ctx, shop.manager, good)
    assert (rep.added, rep.updated, rep.refused) == (1, 1, ())
    assert checkout.get_product(shop.ctx, shop.cashier, "CAT-1").member_price_fen == 79_50
    assert checkout.find_product(shop.ctx, shop.cashier, FOOD).price_fen == 130_00


# ----------------------------------------------------------------------------- a sale


def test_a_sale_with_member_prices_coupon_and_balance_plus_cash_writes_every_part(rich):
    store, (mem, codes) = rich
    ctx = store.ctx
    lines = [LineInput(barcode=FOOD, qty=2), LineInput(barcode=TOY, qty=2), LineInput(category="寄养", amount_fen=80_00)]
    q = checkout.quote(ctx, store.cashier, member_id=mem.member_id, lines=lines, coupon_code=codes[0])
    # member price 108 x 2, toy 60 x 2 with the 20 yuan coupon (宠物用品 only), boarding 80
    assert (q.subtotal_fen, q.saving_fen, q.discount_fen, q.total_fen) == (456_00, 40_00, 20_00, 396_00)
    assert [ln.discount_fen for ln in q.lines] == [0, 20_00, 0] and q.member_prices and q.coupon_refusal is None
    assert q.balance_available_fen == 2400_00
    before = _counts(store)
    sale = checkout.ring_up(ctx, store.cashier, request_id="till-1", member_id=mem.member_id, lines=lines,
                            coupon_code=codes[0],
                            payments=[PaymentInput("balance", 240_00), PaymentInput("cash", 156_00, 200_00)])
    assert (sale.total_fen, sale.change_fen, sale.receipt_no, sale.staff) == (396_00, 44_00, "T001-S20261123-0001", "cash1")
    bal = next(p for p in sale.payments if p.method == "balance")
    assert (bal.principal_fen, bal.bonus_fen) == (200_00, 40_00)  # proportional to 2000 / 400
    assert sale.paid_fen == 396_00 - 40_00  # actually paid: without the bonus part
    assert sale.points_earned == 35  # floor(356 / 10) * 1
    assert (sale.principal_after_fen, sale.bonus_after_fen) == (1800_00, 360_00)
    assert sale.points_balance == 200 + 35 and sale.coupon_code == codes[0]
    after = _counts(store)
    grew = {k: after[k] - before[k] for k in after}
    assert grew == {"sale": 1, "sale_line": 3, "sale_payment": 2, "sale_return": 0, "spend": 1, "wallet_entry": 1,
                    "points_lot": 1, "points_entry": 0, "audit_log": 1, "outbox": 1, "request_log": 1}
    assert _q(store, "SELECT kind, principal_delta_fen, bonus_delta_fen, principal_after_fen, bonus_after_fen "
                     "FROM wallet_entry ORDER BY seq DESC LIMIT 1") == [("spend", -200_00, -40_00, 1800_00, 360_00)]
    assert _q(store, "SELECT source, points FROM points_lot ORDER BY earned_at DESC LIMIT 1") == [("sale", 35)]
    assert coupons.get_coupon(ctx, store.cashier, codes[0]).state == "redeemed"
    (payload,) = _q(store, "SELECT payload_json FROM outbox WHERE type = 'sale.completed'")
    ev = json.loads(payload[0])
    assert ev["sale_id"] == sale.sale_id and len(ev["lines"]) == 3 and ev["points_lot"]["points"] == 35
    assert [c["discount_fen"] for c in ev["coupons_redeemed"]] == [20_00] and ev["spend"]["bonus_fen"] == 40_00
    assert sale.changes.sales and sale.changes.wallet and sale.changes.points and sale.changes.coupons
    # a double press: the same request id gives the first sale and charges nothing
    again = checkout.ring_up(ctx, store.cashier, request_id="till-1", member_id=mem.member_id, lines=lines,
                             coupon_code=codes[0],
                             payments=[PaymentInput("balance", 240_00), PaymentInput("cash", 156_00, 200_00)])
    assert again.sale_id == sale.sale_id and _counts(store) == after
    with pytest.raises(Conflict):
        checkout.ring_up(ctx, store.cashier, request_id="till-1", member_id=mem.member_id, lines=lines[:1],
                         coupon_code=None, payments=[PaymentInput("cash", 216_00)])
    assert checkout.last_purchase(ctx, store.cashier, mem.member_id).sale_id == sale.sale_id
    assert [s.sale_id for s in checkout.member_sales(ctx, store.cashier, mem.member_id)] == [sale.sale_id]
    assert checkout.get_sale(ctx, store.cashier, sale.receipt_no) == sale
    _doctor_ok(store)


def test_refusals_write_nothing(rich):
    store, (mem, codes) = rich
    ctx, c = store.ctx, store.cashier
    food = [LineInput(barcode=FOOD)]
    before = _counts(store)
    cases = [
        (dict(member_id=None, lines=[LineInput(barcode="nope")], payments=[PaymentInput("cash", 1)]), NotFound),
        (dict(member_id=mem.member_id, lines=food, payments=[PaymentInput("cash", 100_00)]), InvalidInput),  # short
        (dict(member_id=None, lines=food, payments=[PaymentInput("balance", 128_00)]), InvalidInput),  # walk-in
        (dict(member_id=mem.member_id, lines=[LineInput(barcode=FOOD, qty=30)],
              payments=[PaymentInput("balance", 3240_00)]), InsufficientFunds),  # more than the balance
        (dict(member_id=mem.member_id, lines=food, coupon_code=codes[0], payments=[PaymentInput("cash", 108_00)]),
         StateError),  # PET20 is for 宠物用品: no line of this sale
        (dict(member_id=mem.member_id, lines=[LineInput(barcode=TOY)], coupon_code=codes[0],
              payments=[PaymentInput("cash", 40_00)]), StateError),  # min spend 100 on 宠物用品
        (dict(member_id=None, lines=[LineInput(barcode=TOY, qty=2)], coupon_code=codes[0],
              payments=[PaymentInput("cash", 100_00)]), StateError),  # another member's coupon
        (dict(member_id=mem.member_id, lines=[LineInput(barcode=TOY, qty=2)], coupon_code=[codes[0], codes[1]],
              payments=[PaymentInput("cash", 80_00)]), StateError),  # one coupon per sale
        (dict(member_id=None, lines=[LineInput(category="玩具", amount_fen=10_00)],
              payments=[PaymentInput("cash", 10_00)]), InvalidInput),
    ]
    for kw, err in cases:
        with pytest.raises(err):
            checkout.ring_up(ctx, c, request_id=None, **{"coupon_code": None, **kw})
    assert _counts(store) == before
    q = checkout.quote(ctx, c, member_id=mem.member_id, lines=[LineInput(barcode=TOY)], coupon_code=codes[0])
    assert q.coupon_code is None and q.discount_fen == 0 and "100" in (q.coupon_refusal or "")


def test_member_price_only_while_eligible_across_the_end_date(rich):
    store, (mem, _codes) = rich
    until = members.get_member(store.ctx, store.cashier, member_id=mem.member_id).member_price_until
    assert until is not None
    line = [LineInput(barcode=FOOD)]
    # 23:30 Beijing on the last day: still the member price; 00:30 the next day: the list price
    store.clock.now = datetime(until.year, until.month, until.day, 15, 30, tzinfo=UTC)
    last = checkout.ring_up(store.ctx, store.cashier, request_id="d1", member_id=mem.member_id, lines=line,
                            coupon_code=None, payments=[PaymentInput("cash", 108_00)])
    assert (last.lines[0].unit_fen, last.saving_fen) == (108_00, 20_00)
    store.clock.now += timedelta(hours=1)
    q = checkout.quote(store.ctx, store.cashier, member_id=mem.member_id, lines=line, coupon_code=None)
    assert (q.member_prices, q.total_fen) == (False, 128_00)
    with pytest.raises(InvalidInput):  # the old price no longer covers it
        checkout.ring_up(store.ctx, store.cashier, request_id="d2", member_id=mem.member_id, lines=line,
                         coupon_code=None, payments=[PaymentInput("cash", 108_00)])
    late = checkout.ring_up(store.ctx, store.cashier, request_id="d3", member_id=mem.member_id, lines=line,
                            coupon_code=None, payments=[PaymentInput("cash", 128_00)])
    assert (late.lines[0].unit_fen, late.saving_fen) == (128_00, 0)


# ----------------------------------------------------------------------------- returns


def _a_sale(store, mem, code, request_id="s-1"):
    lines = [LineInput(barcode=FOOD, qty=2), LineInput(barcode=TOY, qty=2), LineInput(barcode=SHAMPOO)]
    q = checkout.quote(store.ctx, store.cashier, member_id=mem.member_id, lines=lines, coupon_code=code)
    return checkout.ring_up(store.ctx, store.cashier, request_id=request_id, member_id=mem.member_id, lines=lines,
                            coupon_code=code, payments=[PaymentInput("balance", 200_00),
                                                        PaymentInput("wechat", q.total_fen - 200_00)])


def _wallet(store, member_id):
    d = members.get_member(store.ctx, store.cashier, member_id=member_id)
    return d.principal_fen, d.bonus_fen, d.points


def test_who_may_return_manager_or_cashier_with_a_managers_approval(rich):
    store, (mem, codes) = rich
    sale = _a_sale(store, mem, codes[0])
    before = _counts(store)
    with pytest.raises(PermissionDenied):
        checkout.return_sale(store.ctx, store.cashier, request_id=None, sale_id=sale.sale_id)
    with pytest.raises(PermissionDenied):  # a cashier cannot approve
        checkout.return_sale(store.ctx, store.cashier, request_id=None, sale_id=sale.sale_id, approver=store.cashier)
    with pytest.raises(PermissionDenied):  # nor can staff start one
        checkout.return_sale(store.ctx, store.staff, request_id=None, sale_id=sale.sale_id, approver=store.manager)
    assert _counts(store) == before
    boss = staff.login(store.ctx, "boss", "9999")  # the manager's PIN, typed at the counter
    r = checkout.return_sale(store.ctx, store.cashier, request_id="ret-1", sale_id=sale.sale_id, lines=[(3, 1)],
                             approver=boss)
    assert (r.staff, r.approver, r.lines) == ("cash1", "boss", ((3, 1, 49_00),))
    assert _q(store, "SELECT approved_by FROM audit_log WHERE action = 'sale.return'") == [(store.manager.staff_id,)]
    r2 = checkout.return_sale(store.ctx, store.manager, request_id="ret-2", sale_id=sale.sale_id, lines=[(1, 1)])
    assert (r2.staff, r2.approver) == ("boss", None)
    # a repeat of the request returns the first return
    assert checkout.return_sale(store.ctx, store.manager, request_id="ret-2", sale_id=sale.sale_id,
                                lines=[(1, 1)]).return_id == r2.return_id
    with pytest.raises(StateError):
        checkout.return_sale(store.ctx, store.manager, request_id=None, sale_id=sale.sale_id, lines=[(3, 1)])
    _doctor_ok(store)


def test_a_full_return_in_parts_restores_balance_points_and_the_coupon_exactly(rich):
    store, (mem, codes) = rich
    start = _wallet(store, mem.member_id)
    sale = _a_sale(store, mem, codes[0])
    assert _wallet(store, mem.member_id) != start
    m = store.manager
    parts = [checkout.return_sale(store.ctx, m, request_id="p1", sale_id=sale.sale_id, lines=[(1, 1), (2, 1)]),
             checkout.return_sale(store.ctx, m, request_id="p2", sale_id=sale.sale_id, lines=[(3, 1)]),
             checkout.return_sale(store.ctx, m, request_id="p3", sale_id=sale.sale_id)]
    assert _wallet(store, mem.member_id) == start
    assert sum(r.points_taken_back for r in parts) == sale.points_earned
    assert sum(x[2] for r in parts for x in r.lines) == sale.total_fen
    by_method: dict[str, int] = {}
    for r in parts:
        for x in r.refunds:
            by_method[x.method] = by_method.get(x.method, 0) + x.amount_fen
    assert by_method == {p.method: p.amount_fen for p in sale.payments}
    assert [r.coupon_reinstated for r in parts] == [False, False, True]
    assert coupons.get_coupon(store.ctx, store.cashier, codes[0]).state == "issued"
    shown = checkout.get_sale(store.ctx, store.cashier, sale.sale_id)
    assert all(ln.returned_qty == ln.qty for ln in shown.lines) and len(shown.returns) == 3
    assert all(p.refunded_fen == p.amount_fen for p in shown.payments)
    with pytest.raises(StateError):
        checkout.return_sale(store.ctx, m, request_id=None, sale_id=sale.sale_id)
    kinds = _q(store, "SELECT type FROM outbox WHERE type LIKE 'sale.%' ORDER BY seq")
    assert kinds == [("sale.completed",), ("sale.returned",), ("sale.returned",), ("sale.returned",)]
    _doctor_ok(store)


def test_points_already_spent_come_off_the_cash_refund(rich):
    store, (mem, _codes) = rich
    lines = [LineInput(barcode=FOOD, qty=5)]  # 540 member price -> 54 points
    sale = checkout.ring_up(store.ctx, store.cashier, request_id="pp", member_id=mem.member_id, lines=lines,
                            coupon_code=None, payments=[PaymentInput("cash", 540_00)])
    assert sale.points_earned == 54
    # every lot expires a year on: the member has no points left when the sale comes back
    store.clock.now += timedelta(days=400)
    wallet.expire_points(store.ctx, store.manager)
    assert _wallet(store, mem.member_id)[2] == 0
    r = checkout.return_sale(store.ctx, store.manager, request_id="pp-r", sale_id=sale.sale_id)
    # the demo campaign: spent points are deducted at 0.10 yuan a point
    assert [(x.method, x.amount_fen) for x in r.refunds] == [("cash", 540_00 - 5_40)]
    assert r.points_policy_note and "54" in r.points_policy_note
    assert _wallet(store, mem.member_id)[2] == 0
    _doctor_ok(store)


def test_points_policy_negative_lets_the_points_balance_go_below_zero(shop):
    data = read_campaign_file(DEMO_CAMPAIGN)
    data["checkout"]["spent_points"] = "negative"
    campaigns.load_campaign(shop.ctx, shop.manager, data, replace=True)
    mem = members.register_member(shop.ctx, shop.cashier, phone="13700137000")
    sale = checkout.ring_up(shop.ctx, shop.cashier, request_id="n1", member_id=mem.member_id,
                            lines=[LineInput(barcode=FOOD)], coupon_code=None, payments=[PaymentInput("cash", 128_00)])
    shop.clock.now += timedelta(days=400)
    wallet.expire_points(shop.ctx, shop.manager)
    r = checkout.return_sale(shop.ctx, shop.manager, request_id="n1-r", sale_id=sale.sale_id)
    assert [(x.method, x.amount_fen) for x in r.refunds] == [("cash", 128_00)]
    assert _wallet(shop, mem.member_id)[2] == -12 and r.points_taken_back == 12
    _doctor_ok(shop)


# ----------------------------------------------------------------------------- referral by first purchase


def _first_purchase_campaign(store, qualify="first_purchase"):
    data = read_campaign_file(DEMO_CAMPAIGN)
    data["referral"]["qualify"] = qualify
    data["referral"]["first_purchase_min"] = "100"
    campaigns.load_campaign(store.ctx, store.manager, data, replace=True)


def _referral(store, invitee_id):
    return _q(store, "SELECT state, qualifying_sale_id, qualifying_recharge_id FROM referral WHERE invitee_id = ?",
              invitee_id)[0]


def test_first_purchase_of_at_least_the_threshold_qualifies_and_its_return_reverses_it(shop):
    _first_purchase_campaign(shop)
    ctx, c = shop.ctx, shop.cashier
    inviter = members.register_member(ctx, c, phone="13800000001")
    invitee = members.register_member(ctx, c, phone="13800000002", invite_code=inviter.invite_code)
    wallet.recharge(ctx, c, member_id=invitee.member_id, amount_fen=300_00)  # a recharge does not qualify here
    assert _referral(shop, invitee.member_id)[0] == "registered"
    just_under = checkout.ring_up(ctx, c, request_id="u1", member_id=invitee.member_id,
                                  lines=[LineInput(category="洗护美容", amount_fen=99_99)], coupon_code=None,
                                  payments=[PaymentInput("cash", 99_99)])
    assert just_under.paid_fen == 99_99 and _referral(shop, invitee.member_id)[0] == "registered"
    at = checkout.ring_up(ctx, c, request_id="u2", member_id=invitee.member_id,
                          lines=[LineInput(category="洗护美容", amount_fen=100_00)], coupon_code=None,
                          payments=[PaymentInput("wechat", 100_00)])
    assert _referral(shop, invitee.member_id)[:2] == ("qualified", at.sale_id)
    rewards = coupons.list_coupons(ctx, shop.manager, member_id=inviter.member_id)
    assert [x.template_code for x in rewards] == ["PET20"] and rewards[0].state == "issued"
    (payload,) = _q(shop, "SELECT payload_json FROM outbox WHERE type = 'sale.completed' ORDER BY seq DESC LIMIT 1")
    assert json.loads(payload[0])["referral"][0]["sale_id"] == at.sale_id
    # a partial return that leaves 90 yuan actually paid: below the threshold, the reward is reversed
    checkout.return_sale(ctx, shop.manager, request_id="u2-r", sale_id=at.sale_id, lines=[(1, 1)])
    assert _referral(shop, invitee.member_id)[0] == "reversed"
    assert coupons.get_coupon(ctx, shop.manager, rewards[0].code).state == "voided"
    (payload,) = _q(shop, "SELECT payload_json FROM outbox WHERE type = 'sale.returned' ORDER BY seq DESC LIMIT 1")
    assert json.loads(payload[0])["referral_reversed"][0]["sale_id"] == at.sale_id
    _doctor_ok(shop)


def test_first_recharge_stays_the_default_and_either_takes_whichever_comes_first(shop):
    ctx, c = shop.ctx, shop.cashier
    inviter = members.register_member(ctx, c, phone="13800000011")
    a = members.register_member(ctx, c, phone="13800000012", invite_code=inviter.invite_code)
    checkout.ring_up(ctx, c, request_id="e1", member_id=a.member_id, lines=[LineInput(barcode=FOOD, qty=2)],
                     coupon_code=None, payments=[PaymentInput("cash", 256_00)])
    assert _referral(shop, a.member_id)[0] == "registered"  # the demo campaign: first recharge
    r = wallet.recharge(ctx, c, member_id=a.member_id, tier_code="basic")
    assert _referral(shop, a.member_id)[0::2] == ("qualified", r.recharge_id)
    _first_purchase_campaign(shop, "either")
    b = members.register_member(ctx, c, phone="13800000013", invite_code=inviter.invite_code)
    sale = checkout.ring_up(ctx, c, request_id="e2", member_id=b.member_id, lines=[LineInput(barcode=FOOD)],
                            coupon_code=None, payments=[PaymentInput("cash", 128_00)])
    wallet.recharge(ctx, c, member_id=b.member_id, tier_code="basic")
    assert _referral(shop, b.member_id)[:3] == ("qualified", sale.sale_id, None)


def test_a_balance_part_whose_recharge_was_refunded_cannot_go_back_to_the_balance(rich):
    store, (mem, _codes) = rich
    sale = checkout.ring_up(store.ctx, store.cashier, request_id="rf", member_id=mem.member_id,
                            lines=[LineInput(barcode=FOOD)], coupon_code=None, payments=[PaymentInput("balance", 108_00)])
    (rid,) = _q(store, "SELECT recharge_id FROM spend_allocation")[0]
    wallet.refund(store.ctx, store.manager, recharge_id=rid)
    before = _counts(store)
    with pytest.raises(StateError) as e:
        checkout.return_sale(store.ctx, store.manager, request_id=None, sale_id=sale.sale_id)
    assert e.value.key == "return.recharge_refunded" and _counts(store) == before


def test_stacked_coupons_when_the_campaign_allows_it_and_an_expired_coupon_is_not_reinstated(rich):
    store, (mem, codes) = rich
    data = read_campaign_file(DEMO_CAMPAIGN)
    data["checkout"]["stack_coupons"] = True
    campaigns.load_campaign(store.ctx, store.manager, data, replace=True)
    lines = [LineInput(barcode=TOY, qty=4)]  # 240 of 宠物用品: each PET20 needs 100 of it
    sale = checkout.ring_up(store.ctx, store.cashier, request_id="st", member_id=mem.member_id, lines=lines,
                            coupon_code=codes[:2], payments=[PaymentInput("cash", 200_00)])
    assert sale.discount_fen == 40_00
    assert [coupons.get_coupon(store.ctx, store.cashier, c).state for c in codes[:2]] == ["redeemed", "redeemed"]
    store.clock.now += timedelta(days=120)  # PET20 is valid 90 days
    r = checkout.return_sale(store.ctx, store.manager, request_id="st-r", sale_id=sale.sale_id)
    assert not r.coupon_reinstated
    assert [coupons.get_coupon(store.ctx, store.cashier, c).state for c in codes[:2]] == ["redeemed", "redeemed"]
    _doctor_ok(store)
