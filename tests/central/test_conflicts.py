"""Business conflicts found on central: two stores offline spend the same balance and redeem the same coupon.
Every event is accepted (the facts happened), exactly the expected conflicts are recorded once each, and both
stores are shown the same list."""

from __future__ import annotations

from typing import Any

import pytest

from pos_app.central import services
from pos_app.sync import protocol as p

from .conftest import Device, Server
from .test_http import member_event

CODE = "XH0DHKGGCM0AS07TS"


def coupon(store: str, member_id: str) -> dict[str, Any]:
    return {"id": services.new_id(), "code": CODE, "kind": "amount_off", "name": "20 元券", "value_fen": 2000,
            "percent_bp": 0, "max_discount_fen": 0, "min_spend_fen": 10000, "category": "宠物用品",
            "member_id": member_id, "bearer": False, "valid_from": "2026-12-03", "valid_until": "2027-03-02",
            "store_code": store, "template": "PET20", "source": "tier", "entitlement_id": None, "batch_id": None,
            "reason": None}


def spend(dev: Device, member_id: str, principal: int, bonus: int, p_after: int, b_after: int) -> dict[str, Any]:
    return dev.event("wallet.spent", {"member_id": member_id, "spend_id": services.new_id(),
                                      "amount_fen": principal + bonus, "principal_fen": principal, "bonus_fen": bonus,
                                      "principal_after_fen": p_after, "bonus_after_fen": b_after, "staff": "c01"})


def redeem(dev: Device, member_id: str) -> dict[str, Any]:
    return dev.event("coupon.redeemed", {"coupon_id": "x", "code": CODE, "member_id": member_id, "amount_fen": 15000,
                                         "discount_fen": 2000, "staff": "c01", "spend": None})


@pytest.mark.parametrize("b_first", [False, True])
def test_two_stores_offline_spend_and_redeem_the_same(server: Server, new_device: Any, b_first: bool) -> None:
    a: Device = new_device("SA")
    b: Device = new_device("SB")
    mid = services.new_id()
    setup = [member_event(a, member_id=mid),
             a.event("wallet.recharged", {"member_id": mid, "recharge_id": services.new_id(), "amount_fen": 10000,
                                          "bonus_fen": 1000, "principal_after_fen": 10000, "bonus_after_fen": 1000,
                                          "coupons": [coupon("SA", mid)]})]
    assert [r["status"] for r in a.push(setup).json()["results"]] == ["accepted", "accepted"]
    # B learns the member, the balance and the coupon, then both go offline and both spend 8000 + redeem it
    kinds = {c["kind"] for c in b.pull().json()["changes"]}
    assert kinds == {p.CHANGE_MEMBER, p.CHANGE_WALLET, p.CHANGE_COUPON}
    a_off = [spend(a, mid, 8000, 800, 2000, 200), redeem(a, mid)]
    b_off = [spend(b, mid, 8000, 800, 2000, 200), redeem(b, mid)]
    order = [(b, b_off), (a, a_off)] if b_first else [(a, a_off), (b, b_off)]
    for _ in range(2):  # reconnect, then retry everything: nothing is recorded twice
        for dev, batch in order:
            res = dev.push(batch).json()["results"]
            assert {r["status"] for r in res} <= {"accepted", "exists"}
    second = order[1][0].store_code
    first = order[0][0].store_code
    conflicts = services.list_conflicts(server.db)
    assert sorted(c["kind"] for c in conflicts) == ["coupon_reused", "overdraft"]
    over = next(c for c in conflicts if c["kind"] == "overdraft")
    assert over["store_code"] == second and over["member_id"] == mid and over["amount_fen"] == 6000 + 600
    reused = next(c for c in conflicts if c["kind"] == "coupon_reused")
    assert reused["store_code"] == second and reused["other_store_code"] == first and reused["coupon_code"] == CODE
    # nothing merged away: both spends are in the history, central's balance is overdrawn by the second
    view = services.member_show(server.db, "13800138000")["members"][0]
    assert [e["kind"] for e in view["history"]] == ["recharge", "spend", "spend"]
    assert (view["principal_fen"], view["bonus_fen"]) == (-6000, -600)
    assert view["coupons"][0]["state"] == "redeemed" and view["coupons"][0]["state_store"] == first
    # both stores are shown the same coupon conflict; the overdraft concerns the second store
    seen_a = {c["id"] for c in a.request("GET", p.PATH_CONFLICTS).json()}
    seen_b = {c["id"] for c in b.request("GET", p.PATH_CONFLICTS).json()}
    assert reused["id"] in seen_a and reused["id"] in seen_b
    assert over["id"] in (seen_a if second == "SA" else seen_b)
    pulled = [c for c in a.pull().json()["changes"] if c["kind"] == p.CHANGE_CONFLICT]
    assert reused["id"] in {c["key"] for c in pulled}
    # a store's manager notes it; head office resolves it; the stores pull the new state
    r = a.request("POST", f"{p.PATH_CONFLICTS}/{reused['id']}/note", {"note": "顾客已确认"})
    assert r.status_code == 200 and r.json()["notes"][0]["author"] == "SA"
    done = services.note_conflict(server.db, reused["id"], "refunded the second discount", author="head office",
                                  resolve=True)
    assert done["resolved"] and len(done["notes"]) == 2
    latest = [c for c in b.pull().json()["changes"] if c["key"] == reused["id"]][-1]
    assert latest["data"]["resolved"] is True
    # a store cannot note another store's conflict
    if over["store_code"] == "SB":
        assert a.request("POST", f"{p.PATH_CONFLICTS}/{over['id']}/note", {"note": "x"}).status_code == 404
    # a note pushed as an event (a store's manager noted it, maybe offline): added when the conflict concerns the
    # device's store; on another store's conflict it is not applied (the fact is kept, head office is told)
    own, other = (a, b) if over["store_code"] == "SA" else (b, a)
    for dev, text in ((own, "已补交现金"), (other, "not ours")):
        res = dev.push([dev.event("sync.conflict_noted", {"conflict_id": over["id"], "note": text,
                                                           "staff_code": "boss"})]).json()["results"]
        assert res[0]["status"] == "accepted"
    after = next(c for c in services.list_conflicts(server.db) if c["id"] == over["id"])
    assert [(n["author"], n["note"]) for n in after["notes"]] == [(f"{own.store_code}/boss", "已补交现金")]
    assert any(c["kind"] == "unapplied" and c["store_code"] == other.store_code
               for c in services.list_conflicts(server.db))
