"""The member view counts unused coupons on the store's clock, never the machine's calendar."""

from __future__ import annotations

from typing import Any

from pos_app.services import members, wallet


def test_unused_coupons_follow_the_services_clock(store: Any) -> None:
    mem = members.register_member(store.ctx, store.manager, phone="13800138000")
    wallet.recharge(store.ctx, store.cashier, phone="13800138000", tier_code="basic")
    now = members.get_member(store.ctx, store.manager, member_id=mem.member_id)
    assert now.unused_coupons >= 1
    store.clock.advance(days=3650)  # ten years on: every coupon of the recharge has expired
    later = members.get_member(store.ctx, store.manager, member_id=mem.member_id)
    assert later.unused_coupons == 0
