"""Coupon use cases on a real SQLite store: issue by tier, by hand; redeem at payment; void; refund."""

from __future__ import annotations

import sqlite3
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pos_app.domain import coupons as rules
from pos_app.domain.errors import Conflict, DomainError, InvalidInput, NotFound, PermissionDenied, StateError
from pos_app.services import coupons, members, wallet
from pos_app.services.doctor import run_doctor
from tests.conftest import make_store


def _member(store, phone="13800000001", tier="basic"):
    m = members.register_member(store.ctx, store.cashier, phone=phone)
    rc = wallet.recharge(store.ctx, store.cashier, member_id=m.member_id, tier_code=tier) if tier else None
    return m, rc


def _bearer_template(store, code="B10", **kw):
    t = rules.Template(code=code, name="十元券", kind=kw.pop("kind", rules.AMOUNT_OFF), value_fen=kw.pop("value_fen", 1000),
                       valid_days=kw.pop("valid_days", 30), bearer=True, **kw)
    return coupons.add_template(store.ctx, store.manager, t)


def test_tier_recharge_issues_real_coupons(store):
    m, rc = _member(store, tier="advanced")
    coupon_items = [i for i in rc.items if i.kind == "coupon"]
    assert len(coupon_items) == 2 and all(i.state == "issued" and i.issued_ref for i in coupon_items)
    voucher = [i for i in rc.items if i.kind == "voucher"]
    assert voucher and voucher[0].state == "issued"
    mine = coupons.list_coupons(store.ctx, store.cashier, member_id=m.member_id)
    assert sorted(c.coupon_id for c in mine) == sorted(i.issued_ref for i in coupon_items + voucher)
    pet = [c for c in mine if c.template_code == "PET20"]
    assert pet[0].value_fen == 2000 and pet[0].min_spend_fen == 10000 and pet[0].state == "issued"
    assert pet[0].valid_until == date(2027, 2, 20)  # 90 days counting 2026-11-23
    svc = [c for c in mine if c.kind == rules.SERVICE_VOUCHER][0]
    assert svc.value_fen == 5000  # 5% of 1000 yuan
    assert members.get_member(store.ctx, store.cashier, member_id=m.member_id).unused_coupons == 3
    assert run_doctor(store.ctx).ok


def test_every_refusal_at_preview_has_its_own_message(store):
    a, _ = _member(store)
    b, _ = _member(store, phone="13800000002")
    code = coupons.list_coupons(store.ctx, store.cashier, member_id=a.member_id)[0].code
    ok = coupons.preview_redemption(store.ctx, store.cashier, code=code.lower().replace("-", ""),
                                    member_id=a.member_id, amount_fen=150_00)
    assert (ok.discount_fen, ok.payable_fen, ok.kind, ok.code) == (2000, 13000, "amount_off", code)

    def key(**kw):
        with pytest.raises(DomainError) as exc:
            coupons.preview_redemption(store.ctx, store.cashier, **{"code": code, "member_id": a.member_id,
                                                                     "amount_fen": 150_00, **kw})
        return exc.value.key

    typo = code[:-1] + ("A" if code[-1] != "A" else "B")
    assert key(code=typo) == "coupon.code_check"
    assert key(code=rules.group(rules.new_code(lambda _b: 42))) == "coupon.unknown"
    assert key(member_id=b.member_id) == "coupon.other_member"
    assert key(amount_fen=99_99) == "coupon.min_spend"
    coupons.redeem_coupon(store.ctx, store.cashier, code=code, amount_fen=100_00, member_id=a.member_id)
    assert key() == "coupon.used"
    other = coupons.issue_coupons(store.ctx, store.manager, template_code="PET20", member_id=a.member_id,
                                  reason="补发")[0].code
    coupons.void_coupon(store.ctx, store.manager, code=other, reason="误发")
    assert key(code=other) == "coupon.voided"
    late = coupons.issue_coupons(store.ctx, store.manager, template_code="PET20", member_id=a.member_id,
                                 reason="test")[0].code
    store.clock.advance(days=91)
    assert key(code=late) == "coupon.expired"
    assert coupons.get_coupon(store.ctx, store.cashier, late).state == "expired"


def test_not_yet_valid_and_each_message_is_translated(store):
    a, _ = _member(store, tier=None)
    t = rules.Template(code="XMAS", name="圣诞券", kind=rules.AMOUNT_OFF, value_fen=1000,
                       valid_from=date(2026, 12, 20), valid_until=date(2026, 12, 31))
    coupons.add_template(store.ctx, store.manager, t)
    code = coupons.issue_coupons(store.ctx, store.manager, template_code="XMAS", member_id=a.member_id, reason="x")[0].code
    with pytest.raises(StateError) as exc:
        coupons.preview_redemption(store.ctx, store.cashier, code=code, member_id=a.member_id, amount_fen=100)
    assert exc.value.key == "coupon.not_yet_valid"
    from pos_app import messages

    for k in ("coupon.code_check", "coupon.unknown", "coupon.other_member", "coupon.used", "coupon.voided",
              "coupon.expired", "coupon.not_yet_valid", "coupon.min_spend"):
        zh, en = messages.translate(k, lang="zh_CN"), messages.translate(k, lang="en")
        assert zh != k and en != k and zh != en


def test_pay_with_coupon_one_transaction_and_idempotent(store):
    a, _ = _member(store)  # balance 550
    code = coupons.list_coupons(store.ctx, store.cashier, member_id=a.member_id)[0].code
    pay = coupons.pay_with_coupon(store.ctx, store.cashier, member_id=a.member_id, amount_fen=128_00, code=code,
                                  request_id="pay-1")
    assert (pay.discount_fen, pay.payable_fen) == (20_00, 108_00)
    assert pay.spend is not None and pay.spend.amount_fen == 108_00 and pay.spend.balance_fen == 442_00
    again = coupons.pay_with_coupon(store.ctx, store.cashier, member_id=a.member_id, amount_fen=128_00, code=code,
                                    request_id="pay-1")
    assert again == pay
    assert members.get_member(store.ctx, store.cashier, member_id=a.member_id).balance_fen == 442_00
    with pytest.raises(Conflict):
        coupons.pay_with_coupon(store.ctx, store.cashier, member_id=a.member_id, amount_fen=200_00, code=code,
                                request_id="pay-1")
    hist = coupons.coupon_history(store.ctx, store.manager, code)
    assert [e.kind for e in hist] == ["issue", "redeem"] and hist[1].discount_fen == 20_00
    assert run_doctor(store.ctx).ok


def test_pay_fails_whole_when_balance_short(store):
    a, _ = _member(store)
    code = coupons.list_coupons(store.ctx, store.cashier, member_id=a.member_id)[0].code
    with pytest.raises(DomainError) as exc:
        coupons.pay_with_coupon(store.ctx, store.cashier, member_id=a.member_id, amount_fen=1000_00, code=code)
    assert exc.value.key == "wallet.insufficient"
    assert coupons.get_coupon(store.ctx, store.cashier, code).state == "issued"  # nothing half-written


def test_free_service_voucher_needs_no_payment(store):
    a, _ = _member(store, tier="luxury")
    free = [c for c in coupons.list_coupons(store.ctx, store.cashier, member_id=a.member_id)
            if c.kind == rules.SERVICE_VOUCHER and c.value_fen == 0][0]
    res = coupons.pay_with_coupon(store.ctx, store.cashier, member_id=a.member_id, amount_fen=0, code=free.code)
    assert res.spend is None and res.discount_fen == 0 and res.payable_fen == 0
    assert coupons.get_coupon(store.ctx, store.cashier, free.code).state == "redeemed"


def test_manual_issue_needs_manager_and_reason_and_is_idempotent(store):
    a, _ = _member(store, tier=None)
    with pytest.raises(PermissionDenied):
        coupons.issue_coupons(store.ctx, store.cashier, template_code="PET20", member_id=a.member_id, reason="x")
    with pytest.raises(InvalidInput):
        coupons.issue_coupons(store.ctx, store.manager, template_code="PET20", member_id=a.member_id, reason=" ")
    with pytest.raises(InvalidInput) as exc:
        coupons.issue_coupons(store.ctx, store.manager, template_code="PET20", reason="bearer?")
    assert exc.value.key == "coupon.member_required"
    with pytest.raises(NotFound):
        coupons.issue_coupons(store.ctx, store.manager, template_code="NOPE", member_id=a.member_id, reason="x")
    first = coupons.issue_coupons(store.ctx, store.manager, template_code="PET20", member_id=a.member_id, count=3,
                                  reason="投诉补偿", request_id="iss-1")
    again = coupons.issue_coupons(store.ctx, store.manager, template_code="PET20", member_id=a.member_id, count=3,
                                  reason="投诉补偿", request_id="iss-1")
    assert [c.code for c in first] == [c.code for c in again] and len({c.code for c in first}) == 3
    assert all(c.source == "manual" and c.reason == "投诉补偿" for c in first)


def test_void_rules(store):
    _bearer_template(store)
    code = coupons.issue_coupons(store.ctx, store.manager, template_code="B10", reason="派发")[0].code
    with pytest.raises(PermissionDenied):
        coupons.void_coupon(store.ctx, store.cashier, code=code, reason="x")
    with pytest.raises(InvalidInput):
        coupons.void_coupon(store.ctx, store.manager, code=code, reason="")
    v = coupons.void_coupon(store.ctx, store.manager, code=code, reason="印错")
    assert v.state == "voided" and v.void_reason == "印错"
    with pytest.raises(StateError):
        coupons.void_coupon(store.ctx, store.manager, code=code, reason="again")
    # a bearer coupon redeems for anyone, once
    code2 = coupons.issue_coupons(store.ctx, store.manager, template_code="B10", reason="派发")[0].code
    res = coupons.redeem_coupon(store.ctx, store.cashier, code=code2, amount_fen=5_00)
    assert (res.discount_fen, res.payable_fen) == (5_00, 0)
    with pytest.raises(StateError):
        coupons.void_coupon(store.ctx, store.manager, code=code2, reason="late")


def test_refund_voids_unused_coupons_keeps_used(store):
    a, rc = _member(store, tier="advanced")
    mine = [c for c in coupons.list_coupons(store.ctx, store.cashier, member_id=a.member_id) if c.template_code == "PET20"]
    coupons.pay_with_coupon(store.ctx, store.cashier, member_id=a.member_id, amount_fen=100_00, code=mine[0].code)
    res = wallet.refund(store.ctx, store.manager, recharge_id=rc.recharge_id)
    kept = {i.issued_ref for i in res.kept_items}
    revoked = {i.issued_ref for i in res.revoked_items if i.kind in ("coupon", "voucher")}
    assert mine[0].coupon_id in kept and mine[1].coupon_id in revoked
    assert coupons.get_coupon(store.ctx, store.cashier, mine[1].code).state == "voided"
    assert coupons.get_coupon(store.ctx, store.cashier, mine[0].code).state == "redeemed"
    assert run_doctor(store.ctx).ok


def test_campaign_with_unknown_template_is_refused(store):
    from pos_app.services import campaigns
    from tests.conftest import DEMO_CAMPAIGN

    data = campaigns.read_campaign_file(DEMO_CAMPAIGN)
    data["campaign"]["code"] = "OTHER"
    data["tiers"][0]["coupons"][0]["template"] = "MISSING"
    data["coupon_templates"] = [t for t in data["coupon_templates"] if t["code"] != "MISSING"]
    with pytest.raises(InvalidInput) as exc:
        campaigns.load_campaign(store.ctx, store.manager, data)
    assert exc.value.key == "coupon.template_unknown"
    data["coupon_templates"].append({"code": "PET20", "name": "dup", "kind": "amount_off", "value": "1", "valid_days": 1})
    with pytest.raises(InvalidInput):
        campaigns.load_campaign(store.ctx, store.manager, data)


def test_stats(store):
    a, _ = _member(store, tier="advanced")
    s = coupons.coupon_stats(store.ctx, store.manager)
    assert s["issued"] == 3 and s["open"] == 3 and s["redeemed"] == 0


@pytest.fixture(scope="module")
def prop_store(tmp_path_factory):
    s = make_store(tmp_path_factory.mktemp("prop") / "store.db")
    yield s
    s.ctx.db.dispose()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(bill=st.integers(0, 600_00), kind=st.sampled_from(["B10", "P15"]))
def test_money_adds_up_for_any_bill(prop_store, bill, kind):
    """discount + paid from balance == bill; the balance moves by exactly what was paid."""
    store = prop_store
    with store.ctx.uow(read_only=True) as uow:
        from pos_app.db import models_coupons as mc

        have = {r.code for r in uow.session.query(mc.CouponTemplate)}
    if "B10" not in have:
        _bearer_template(store)
        _bearer_template(store, code="P15", kind=rules.PERCENT_OFF, value_fen=0, percent_bp=1500, max_discount_fen=30_00)
    m = members.find_members(store.ctx, store.cashier, "13811112222")
    if not m:
        members.register_member(store.ctx, store.cashier, phone="13811112222")
        wallet.recharge(store.ctx, store.cashier, phone="13811112222", amount_fen=4000_00)
    member = members.get_member(store.ctx, store.cashier, phone="13811112222")
    if member.balance_fen < bill:
        return
    code = coupons.issue_coupons(store.ctx, store.manager, template_code=kind, reason="prop")[0].code
    res = coupons.pay_with_coupon(store.ctx, store.cashier, member_id=member.member_id, amount_fen=bill, code=code)
    paid = res.spend.amount_fen if res.spend else 0
    assert res.discount_fen + paid == bill and 0 <= res.discount_fen <= bill
    after = members.get_member(store.ctx, store.cashier, member_id=member.member_id).balance_fen
    assert member.balance_fen - after == paid
    expected = min(1000, bill) if kind == "B10" else min(bill * 1500 // 10_000, 30_00)
    assert res.discount_fen == expected


def test_codes_stored_are_valid_and_unique(store):
    _member(store, tier="luxury")
    con = sqlite3.connect(store.path)
    codes = [r[0] for r in con.execute("SELECT code FROM coupon")]
    con.close()
    assert codes and len(set(codes)) == len(codes) and all(rules.is_valid_check(c) for c in codes)


def _outbox(store, kind):
    import json

    con = sqlite3.connect(store.path)
    rows = [json.loads(p) for (p,) in con.execute("SELECT payload_json FROM outbox WHERE type = ? ORDER BY seq", (kind,))]
    con.close()
    return rows


def test_outbox_events_carry_the_coupons_for_the_central_server(store):
    """One event per use case: the recharge's event carries the coupons it issued, the refund's the
    coupons it voided (no event of their own)."""
    a, rc = _member(store, tier="advanced")
    mine = coupons.list_coupons(store.ctx, store.cashier, member_id=a.member_id)
    assert _outbox(store, "coupon.issued") == []
    (recharged,) = [e for e in _outbox(store, "wallet.recharged") if e["recharge_id"] == rc.recharge_id]
    issued = [c["code"] for c in recharged["coupons"]]
    assert sorted(issued) == sorted(c.raw_code for c in mine)
    ev = recharged["coupons"][0]
    assert {"code", "kind", "value_fen", "min_spend_fen", "valid_until", "member_id", "store_code"} <= ev.keys()
    wallet.refund(store.ctx, store.manager, recharge_id=rc.recharge_id)
    assert _outbox(store, "coupon.voided") == []
    (refunded,) = _outbox(store, "wallet.refunded")
    assert sorted(e["code"] for e in refunded["coupons_voided"]) == sorted(c.raw_code for c in mine)
    assert all(e["reason"] == "refund" for e in refunded["coupons_voided"])


def test_other_stores_coupon_refused_when_configured(store):
    import json

    from pos_app.db import models as mdb
    from pos_app.db import models_coupons as mc

    a, _ = _member(store)
    c = coupons.list_coupons(store.ctx, store.cashier, member_id=a.member_id)[0]
    with store.ctx.uow() as uow:
        uow.session.get(mc.Coupon, c.coupon_id).store_code = "OTHER"  # as if pulled from the central server
        uow.commit()
    ok = coupons.preview_redemption(store.ctx, store.cashier, code=c.code, member_id=a.member_id, amount_fen=100_00)
    assert ok.discount_fen == 20_00  # default: accepted with the status the last sync brought
    with store.ctx.uow() as uow:
        uow.session.get(mdb.StoreInfo, 1).settings_json = json.dumps({"foreign_coupons": "refuse"})
        uow.commit()
    for call in (coupons.preview_redemption, coupons.pay_with_coupon):
        with pytest.raises(StateError) as exc:
            call(store.ctx, store.cashier, code=c.code, member_id=a.member_id, amount_fen=100_00)
        assert exc.value.key == "coupon.foreign_store"


def test_a_million_guessed_codes_none_accepted_by_the_store(store):
    """1,000,000 random well-formed codes (right length, alphabet and check character) against the codes
    this store issued: none matches; a sample also goes through the real lookup and is refused as unknown."""
    import random

    coupons.add_template(store.ctx, store.manager, rules.Template("G1", "券", rules.AMOUNT_OFF, value_fen=100,
                                                                  valid_days=30, bearer=True))
    coupons.issue_coupons(store.ctx, store.manager, template_code="G1", count=300, reason="bench")
    issued = {c.raw_code for c in coupons.list_coupons(store.ctx, store.manager, limit=10_000)}
    assert len(issued) == 300
    guess = random.Random(4242).getrandbits
    hits = 0
    sample = []
    for i in range(1_000_000):
        code = rules.new_code(guess)
        if code in issued:
            hits += 1
        if i % 1000 == 0:
            sample.append(code)
    assert hits == 0
    for code in sample:
        assert rules.is_valid_check(code)
        with pytest.raises(NotFound) as exc:
            coupons.get_coupon(store.ctx, store.cashier, rules.group(code).lower())
        assert exc.value.key == "coupon.unknown"
