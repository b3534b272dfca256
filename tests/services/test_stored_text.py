"""No translated text in the database: what a use case writes for people to read is a message id with its
parameters, shown in the reader's language; what a person typed is kept as typed."""

from __future__ import annotations

import sqlite3

from pos_app import messages
from pos_app.domain.textparams import parse_message_ref
from pos_app.services import coupons, members, wallet


def test_a_coupon_payments_note_saved_in_chinese_reads_in_english(store):
    m = members.register_member(store.ctx, store.cashier, phone="13800000001")
    wallet.recharge(store.ctx, store.cashier, member_id=m.member_id, tier_code="basic")
    code = coupons.list_coupons(store.ctx, store.cashier, member_id=m.member_id)[0].code
    assert messages.language() == "zh_CN"
    pay = coupons.pay_with_coupon(store.ctx, store.cashier, member_id=m.member_id, amount_fen=128_00, code=code,
                                  request_id="pay-note-1")
    assert pay.spend is not None and pay.spend.note == f"优惠券 {pay.coupon_code}"

    with sqlite3.connect(str(store.path)) as db:
        (stored,) = db.execute("SELECT note FROM spend WHERE id = ?", (pay.spend.spend_id,)).fetchone()
    assert "优惠券" not in stored and "Coupon" not in stored
    assert parse_message_ref(stored) == ("coupon.pay_note", {"code": pay.coupon_code})

    messages.set_language("en")
    again = coupons.pay_with_coupon(store.ctx, store.cashier, member_id=m.member_id, amount_fen=128_00, code=code,
                                    request_id="pay-note-1")  # the replay reads the stored row back
    assert again.spend is not None and again.spend.note == f"Coupon {pay.coupon_code}"


def test_a_typed_note_is_kept_as_typed_in_every_language(store):
    m = members.register_member(store.ctx, store.cashier, phone="13800000002")
    wallet.recharge(store.ctx, store.cashier, member_id=m.member_id, tier_code="basic")
    first = wallet.spend(store.ctx, store.cashier, phone="13800000002", amount_fen=10_00, request_id="sp-1", note="狗粮")
    messages.set_language("en")
    again = wallet.spend(store.ctx, store.cashier, phone="13800000002", amount_fen=10_00, request_id="sp-1", note="狗粮")
    assert first.note == again.note == "狗粮"
