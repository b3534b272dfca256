"""Applying pulled pages on a real store file: what other stores did becomes visible at this counter, each page
with its cursor in one transaction."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from pos_app.db import models as m
from pos_app.db import models_sync as ms
from pos_app.domain import coupons as rules
from pos_app.domain.errors import StateError
from pos_app.services import coupons, doctor, members, sync, wallet
from pos_app.services.campaigns import list_campaigns, read_campaign_file
from tests.conftest import DEMO_CAMPAIGN
from tests.sync.helpers import balances, count, cursor_of, make_store_as, member_change, page, wallet_change

MID = "0193a000-0000-7000-8000-00000000a001"


@pytest.fixture
def b(tmp_path: Path):
    s = make_store_as(tmp_path / "b.db", "B002")
    yield s
    s.ctx.db.dispose()


def test_a_member_registered_elsewhere_is_found_at_the_counter(b) -> None:
    got = sync.apply_page(b.ctx, page([member_change(MID, "13911112222", "A001")]))
    assert got.pulled == 1 and cursor_of(b) == "ep1:1"
    found = members.find_members(b.ctx, b.cashier, "1391111")
    assert [f.member_id for f in found] == [MID]
    assert wallet.load_member  # the counter's look-up by phone finds it too
    assert members.find_members(b.ctx, b.cashier, "13911112222")[0].balance_fen == 0


def test_wallet_entries_made_elsewhere_move_the_balance_and_can_be_spent_here(b) -> None:
    sync.apply_page(b.ctx, page([
        member_change(MID, "13911112222", "A001"),
        wallet_change("A001:e1", MID, "A001", 50_000, 5_000, 50_000, 5_000, recharge_id="r-a-1"),
        wallet_change("A001:e2", MID, "A001", -10_000, -1_000, 40_000, 4_000),
    ]))
    assert balances(b, "13911112222") == (40_000, 4_000)
    spent = wallet.spend(b.ctx, b.cashier, phone="13911112222", amount_fen=22_000, request_id="b-spend-1")
    assert spent.balance_fen == 44_000 - 22_000
    # the same page again (a retried pull) changes nothing
    sync.apply_page(b.ctx, page([
        wallet_change("A001:e1", MID, "A001", 50_000, 5_000, 50_000, 5_000, recharge_id="r-a-1"),
        wallet_change("A001:e2", MID, "A001", -10_000, -1_000, 40_000, 4_000),
    ], start=3))
    assert sum(balances(b, "13911112222")) == 22_000
    report = doctor.run_doctor(b.ctx)
    assert report.ok, report.problems
    with b.ctx.uow(read_only=True) as uow:
        pulled = [(e.origin_principal_after_fen, e.origin_bonus_after_fen) for e in uow.session.scalars(
            select(m.WalletEntry).where(m.WalletEntry.member_id == MID, m.WalletEntry.origin_store == "A001")
            .order_by(m.WalletEntry.seq))]
    assert pulled == [(50_000, 5_000), (40_000, 4_000)]


def test_another_stores_adjustment_raising_one_part_and_lowering_the_other_keeps_lots_equal_to_the_balance(
        b) -> None:
    """A manager's adjustment elsewhere (issue 15) may add principal and take bonus: what it adds is a lot here,
    what it takes comes out of the lots, and this store's own adjustment lot is spent from too."""
    sync.apply_page(b.ctx, page([
        member_change(MID, "13911112222", "A001"),
        wallet_change("A001:e1", MID, "A001", 50_000, 5_000, 50_000, 5_000, recharge_id="r-a-1"),
        wallet_change("A001:e2", MID, "A001", 2_000, -3_000, 52_000, 2_000, kind="adjust"),
    ]))
    assert balances(b, "13911112222") == (52_000, 2_000)
    report = doctor.run_doctor(b.ctx)
    assert report.ok, report.problems
    wallet.adjust(b.ctx, b.manager, phone="13911112222", bonus_fen=1_000, reason="补正")
    sync.apply_page(b.ctx, page([wallet_change("A001:e3", MID, "A001", -52_000, -3_000, 0, 0)], start=3))
    assert balances(b, "13911112222") == (0, 0)
    report = doctor.run_doctor(b.ctx)
    assert report.ok, report.problems


def test_own_changes_are_not_applied_twice(b) -> None:
    sync.apply_page(b.ctx, page([member_change(MID, "13911112222", "A001")]))
    sync.apply_page(b.ctx, page([wallet_change("B002:e1", MID, "B002", 9_000, 0, 9_000, 0)], start=1))
    assert balances(b, "13911112222") == (0, 0)


def _coupon_change(code: str, state: str, *, store: str = "A001") -> dict:
    return {"kind": "coupon_state", "key": code, "store_code": store, "data": {
        "code": code, "state": state, "store_code": store, "issued_store": "A001", "kind": "amount_off",
        "name": "宠物用品券", "value_fen": 2_000, "min_spend_fen": 10_000, "member_id": MID, "bearer": False,
        "valid_from": "2026-11-01", "valid_until": "2027-01-31", "at": "2026-11-22T03:00:00Z"}}


def test_a_coupon_used_elsewhere_cannot_be_redeemed_here(b) -> None:
    code = rules.new_code(__import__("random").Random(7).getrandbits)
    sync.apply_page(b.ctx, page([member_change(MID, "13911112222", "A001"), _coupon_change(code, "issued")]))
    preview = coupons.preview_redemption(b.ctx, b.cashier, code=code, member_id=MID, amount_fen=15_000)
    assert preview.discount_fen == 2_000
    sync.apply_page(b.ctx, page([_coupon_change(code, "redeemed", store="C003")], start=2))
    with pytest.raises(StateError) as err:
        coupons.redeem_coupon(b.ctx, b.cashier, code=code, amount_fen=15_000, member_id=MID)
    assert err.value.key == "coupon.used"
    # a later "issued" never brings a used coupon back
    sync.apply_page(b.ctx, page([_coupon_change(code, "issued")], start=3))
    with pytest.raises(StateError):
        coupons.redeem_coupon(b.ctx, b.cashier, code=code, amount_fen=15_000, member_id=MID)


def test_a_crash_mid_apply_leaves_the_old_cursor_and_nothing_of_the_page(b, monkeypatch) -> None:
    sync.apply_page(b.ctx, page([member_change(MID, "13911112222", "A001")]))
    assert cursor_of(b) == "ep1:1"
    real = sync._Applier.wallet_entry
    calls = {"n": 0}

    def dies_on_the_second(self, key, data, store):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt("power cut")
        return real(self, key, data, store)

    monkeypatch.setattr(sync._Applier, "wallet_entry", dies_on_the_second)
    changes = [wallet_change("A001:e1", MID, "A001", 50_000, 0, 50_000, 0),
               wallet_change("A001:e2", MID, "A001", -1_000, 0, 49_000, 0)]
    with pytest.raises(KeyboardInterrupt):
        sync.apply_page(b.ctx, page(changes, start=1))
    assert cursor_of(b) == "ep1:1"
    assert balances(b, "13911112222") == (0, 0)
    monkeypatch.setattr(sync._Applier, "wallet_entry", real)
    sync.apply_page(b.ctx, page(changes, start=1))  # served again: applied once
    assert cursor_of(b) == "ep1:3" and balances(b, "13911112222") == (49_000, 0)


def test_central_campaigns_arrive_and_a_local_one_stays_local(b) -> None:
    data = read_campaign_file(DEMO_CAMPAIGN)
    data["campaign"]["code"] = "HQ-WINTER"
    data["campaign"]["name"] = "总部冬季活动"
    data["campaign"]["starts_on"] = "2026-12-01"
    data["campaign"]["ends_on"] = "2026-12-31"
    local = read_campaign_file(DEMO_CAMPAIGN)  # same code as the store's own DEMO-RECHARGE
    local["campaign"]["name"] = "central's version"
    sync.apply_page(b.ctx, page([
        {"kind": "campaign", "key": "HQ-WINTER", "store_code": None, "data": {"rules": data, "version": 1}},
        {"kind": "campaign", "key": "DEMO-RECHARGE", "store_code": None, "data": {"rules": local}},
    ]))
    by_code = {c.code: c for c in list_campaigns(b.ctx, b.manager)}
    assert by_code["HQ-WINTER"].name == "总部冬季活动"
    assert by_code["DEMO-RECHARGE"].name != "central's version"


def test_conflicts_concerning_this_store_appear(b) -> None:
    sync.apply_page(b.ctx, page([{"kind": "conflict", "key": "c1", "store_code": "B002", "data": {
        "id": "c1", "kind": "overdraft", "member_id": MID, "store_code": "B002", "amount_fen": 1_000,
        "created_at": "2026-11-22T04:00:00Z"}}]))
    rows = sync.list_conflicts(b.ctx, b.manager)
    assert [(r.id, r.kind, r.amount_fen) for r in rows] == [("c1", "overdraft", 1_000)]
    assert count(b, ms.SyncConflict) == 1
