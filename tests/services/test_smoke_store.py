from pos_app.services import members, wallet


def test_fixture_store_recharges_on_demo_tier(store):
    m = members.register_member(store.ctx, store.cashier, phone="13800000001")
    r = wallet.recharge(store.ctx, store.cashier, member_id=m.member_id, tier_code="basic")
    assert (r.principal_fen, r.bonus_fen, r.balance_fen, r.points) == (500_00, 50_00, 550_00, 50)
