"""The store endpoints over real HTTP: pairing once, every kind of refused request, push idempotency, pull."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import pytest

from pos_app.central import services
from pos_app.central.services_common import CentralError
from pos_app.sync import protocol as p

from .conftest import Device, Server


def member_event(dev: Device, phone: str = "13800138000", member_id: str | None = None) -> dict[str, Any]:
    mid = member_id or services.new_id()
    return dev.event("member.registered", {"member_id": mid, "phone": phone, "name": "陈一", "member_code": "M1",
                                           "invite_code": "X", "inviter_id": None, "store_code": dev.store_code})


def test_pairing_code_works_once(server: Server) -> None:
    st = services.add_store(server.db, "一号店", "S1")
    code = services.device_code(server.db, st["store_id"])["code"]
    a = Device(server.url, "dev-a", "S1")
    r = a.pair(code)
    assert r.status_code == 200
    body = r.json()
    assert body["store_id"] == st["store_id"] and len(body["secret"]) == 64 and body["epoch"]
    b = Device(server.url, "dev-b", "S1")
    again = b.pair(code)
    assert again.status_code == 403 and again.json()["error"] == "pairing_code"
    assert b.pair("NOPE-NOPE-NOPE").status_code == 403
    expired = services.device_code(server.db, st["store_id"], hours=0.0000001)["code"]
    time.sleep(0.01)
    assert b.pair(expired).json()["error"] == "pairing_code"
    assert a.request("GET", p.PATH_PING).json()["store_code"] == "S1"
    assert [d["device_id"] for d in services.list_devices(server.db)] == ["dev-a"]


def test_refused_requests(server: Server, new_device: Any) -> None:
    dev: Device = new_device("S1")
    assert dev.request("GET", p.PATH_PING).status_code == 200
    r = dev.request("GET", p.PATH_PING, sign=False)
    assert r.status_code == 401 and r.json()["error"] == "unsigned" and "server_time" in r.json()
    assert "X-POS-Server-Time" in r.headers

    bad = Device(server.url, dev.device_id, "S1", secret="00" * 32)
    assert bad.request("GET", p.PATH_PING).json()["error"] == "bad_signature"

    stranger = Device(server.url, "nobody", "S1", secret="00" * 32)
    assert stranger.request("GET", p.PATH_PING).json()["error"] == "unknown_device"

    stale = Device(server.url, dev.device_id, "S1", secret=dev.secret, clock_offset_ms=-6 * 60 * 1000)
    r = stale.request("GET", p.PATH_PING)
    assert r.status_code == 401 and r.json()["error"] == "clock_skew" and r.json()["server_time"]

    # a replay: the very same headers twice
    raw = b""
    headers = p.signed_headers(dev.device_id, dev.secret, "GET", p.PATH_PING, raw, int(time.time() * 1000))
    first = dev.request("GET", p.PATH_PING, headers=headers, sign=False)
    second = dev.request("GET", p.PATH_PING, headers=headers, sign=False)
    assert first.status_code == 200
    assert second.status_code == 401 and second.json()["error"] == "replayed"

    # a signature over another path or body does not carry over
    h = p.signed_headers(dev.device_id, dev.secret, "GET", p.PATH_CONFLICTS, raw, int(time.time() * 1000))
    assert dev.request("GET", p.PATH_PING, headers=h, sign=False).json()["error"] == "bad_signature"
    ev = member_event(dev)
    body = json.dumps({"events": [ev]}).encode()
    h = p.signed_headers(dev.device_id, dev.secret, "POST", p.PATH_PUSH, b'{"events": []}', int(time.time() * 1000))
    import httpx

    r = httpx.post(server.url + p.PATH_PUSH, content=body, headers={**h, "content-type": "application/json"})
    assert r.json()["error"] == "bad_signature"

    # another store's device's events are refused, one by one
    other = new_device("S2")
    foreign = member_event(other)
    r = dev.push([foreign])
    assert r.status_code == 200 and r.json()["results"][0]["status"] == "rejected"
    assert r.json()["results"][0]["reason"] == "other_device"
    assert services.totals(server.db)["events"] == 0

    # revoked: 403, and the device stays out
    services.revoke_device(server.db, dev.device_id)
    r = dev.request("GET", p.PATH_PING)
    assert r.status_code == 403 and r.json()["error"] == "revoked"
    assert dev.push([ev]).status_code == 403
    code = services.device_code(server.db, "S1")["code"]
    assert dev.pair(code).status_code == 403


def test_push_is_idempotent_and_acks_in_order(server: Server, new_device: Any) -> None:
    dev: Device = new_device("S1")
    evs = [member_event(dev, f"1380013800{i}") for i in range(5)]
    r = dev.push(evs[:3])
    assert [x["status"] for x in r.json()["results"]] == ["accepted"] * 3
    assert r.json()["acked_seq"] == 3
    r = dev.push(evs)
    assert [x["status"] for x in r.json()["results"]] == ["exists"] * 3 + ["accepted"] * 2
    assert r.json()["acked_seq"] == 5
    # a gap holds the ack back until it is filled
    later = [member_event(dev, "13900000001"), member_event(dev, "13900000002")]
    assert dev.push([later[1]]).json()["acked_seq"] == 5
    assert dev.push([later[0]]).json()["acked_seq"] == 7
    # the same id with another payload: conflict, recorded once, the stored one kept
    changed = dict(evs[0])
    changed["payload_json"] = evs[0]["payload_json"].replace("陈一", "陈二")
    changed["payload_hash"] = p.payload_hash(changed["payload_json"])
    for _ in range(2):
        res = dev.push([changed]).json()["results"][0]
        assert res["status"] == "conflict" and res["reason"] == "hash_mismatch"
    kinds = [c["kind"] for c in services.list_conflicts(server.db)]
    assert kinds == ["hash_mismatch"]
    # a hash that is not the payload's: rejected
    broken = dict(member_event(dev, "13900000003"))
    broken["payload_hash"] = "0" * 64
    assert dev.push([broken]).json()["results"][0] == {"event_id": broken["event_id"], "seq": broken["seq"],
                                                         "status": "rejected", "reason": "bad_hash"}
    assert services.totals(server.db)["events"] == 7


def test_same_batch_pushed_concurrently_is_applied_once(server: Server, new_device: Any) -> None:
    dev: Device = new_device("S1")
    mid = services.new_id()
    evs = [member_event(dev, member_id=mid)]
    for i in range(20):
        evs.append(dev.event("wallet.recharged", {"member_id": mid, "recharge_id": services.new_id(), "amount_fen": 1000,
                                                  "bonus_fen": 100, "principal_after_fen": 1000 * (i + 1),
                                                  "bonus_after_fen": 100 * (i + 1), "coupons": []}))
    answers: list[Any] = []

    def go() -> None:
        answers.append(dev.push(evs).json())

    threads = [threading.Thread(target=go) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(answers) == 4
    for i in range(len(evs)):
        statuses = sorted(a["results"][i]["status"] for a in answers)
        assert statuses.count("accepted") == 1 and statuses.count("exists") == 3
    view = services.member_show(server.db, "13800138000")["members"][0]
    assert view["principal_fen"] == 20 * 1000 and view["bonus_fen"] == 20 * 100
    assert len(view["history"]) == 20
    assert max(a["acked_seq"] for a in answers) == len(evs)


def test_pull_pages_filters_and_resets(server: Server, new_device: Any) -> None:
    a: Device = new_device("S1")
    b: Device = new_device("S2")
    mid = services.new_id()
    a.push([member_event(a, member_id=mid),
            a.event("wallet.recharged", {"member_id": mid, "recharge_id": "r1", "amount_fen": 50000, "bonus_fen": 5000,
                                         "principal_after_fen": 50000, "bonus_after_fen": 5000, "coupons": []})])
    services.publish_campaign(server.db, services.read_campaign_file("resources/campaigns/demo.toml"), ["S2"])
    # A is not served its own member and wallet entry, nor B's campaign
    own = a.pull().json()
    assert own["changes"] == [] and own["reset"] is True
    # B pages through: member, wallet entry, campaign
    seen: list[Any] = []
    cursor = None
    while True:
        page = b.pull(cursor, limit=1).json()
        seen += page["changes"]
        cursor = page["next_cursor"]
        if not page["more"]:
            break
    assert [c["kind"] for c in seen] == [p.CHANGE_MEMBER, p.CHANGE_WALLET, p.CHANGE_CAMPAIGN]
    assert seen[1]["data"]["principal_after_fen"] == 50000 and seen[1]["store_code"] == "S1"
    assert seen[2]["data"]["rules"]["campaign"]["code"] == "DEMO-RECHARGE"
    nos = [c["change_no"] for c in seen]
    assert nos == sorted(nos)
    again = b.pull(cursor).json()
    assert again["changes"] == [] and again["reset"] is False and again["next_cursor"] == cursor
    # a re-initialised server: a new epoch, and the old cursor serves everything again
    services.init(server.db)
    fresh = b.pull(cursor).json()
    assert fresh["reset"] is True and len(fresh["changes"]) == 3
    assert fresh["next_cursor"].split(":")[0] != cursor.split(":")[0]
    # a cursor past the end (a server restored from an older backup) also resets
    epoch = fresh["epoch"]
    assert b.pull(f"{epoch}:999999").json()["reset"] is True


def test_gift_catalogue_published_to_some_stores(server: Server, new_device: Any, tmp_path: Any) -> None:
    a: Device = new_device("S1")
    b: Device = new_device("S2")
    f = tmp_path / "gifts.toml"
    f.write_text('[[gifts]]\nsku = "toy-001"\nname = "宠物玩具"\nunit_value = "39"\nthreshold = 5\n', encoding="utf-8")
    out = services.publish_gifts(server.db, services.read_gift_file(f), ["S2"])
    assert out["gifts"][0]["sku"] == "TOY-001" and out["gifts"][0]["unit_value_fen"] == 3900
    assert a.pull().json()["changes"] == []
    got = b.pull().json()["changes"]
    assert [(c["kind"], c["key"], c["data"]["threshold"]) for c in got] == [(p.CHANGE_GIFT, "TOY-001", 5)]
    for bad in ({"sku": "", "name": "x"}, {"sku": "A", "name": ""}, {"sku": "A", "name": "x", "unit_value": "-1"},
                {"sku": "A", "name": "x", "threshold": -1}):
        with pytest.raises(CentralError):
            services.publish_gifts(server.db, [bad])
    assert services.list_gifts(server.db)[0]["version"] == 1


def test_a_batch_is_one_transaction_and_its_answers_stay_exact(server: Server, new_device: Any) -> None:
    """A pushed batch is written with a fixed number of statements whatever its size (one transaction, rows
    written together); a repeat inside the batch answers as a repeat across batches does; a batch with an event
    whose effects cannot be derived falls back to event by event and still stores and applies every event."""
    from sqlalchemy import event

    dev: Device = new_device("S1")
    statements: list[str] = []

    def count(_conn: Any, _cur: Any, stmt: str, *_args: Any) -> None:
        statements.append(stmt)

    def recharges(mid: str, n: int) -> list[dict[str, Any]]:
        return [dev.event("wallet.recharged", {"member_id": mid, "recharge_id": services.new_id(), "amount_fen": 1000,
                                               "bonus_fen": 0, "coupons": []}) for _ in range(n)]

    used = []
    for n in (100, 300):
        mid = services.new_id()
        batch = [member_event(dev, f"1381111{n:04d}", member_id=mid), *recharges(mid, n)]
        statements.clear()
        event.listen(server.db.engine, "before_cursor_execute", count)
        try:
            assert {x["status"] for x in dev.push(batch).json()["results"]} == {"accepted"}
        finally:
            event.remove(server.db.engine, "before_cursor_execute", count)
        used.append(len(statements))
    assert used[0] == used[1], used  # not one statement more for 200 more events
    # repeats inside one batch
    mid = services.new_id()
    first = member_event(dev, "13822220000", member_id=mid)
    changed = dict(first, payload_json=first["payload_json"].replace("陈一", "陈二"))
    changed["payload_hash"] = p.payload_hash(changed["payload_json"])
    res = dev.push([first, dict(first), changed]).json()["results"]
    assert [(r["status"], r["reason"]) for r in res] == [("accepted", None), ("exists", None),
                                                         ("conflict", "hash_mismatch")]
    # an event whose effects cannot be derived (a note on no conflict) in the middle of a batch
    mid = services.new_id()
    mixed = [member_event(dev, "13833330000", member_id=mid), *recharges(mid, 2),
             dev.event("sync.conflict_noted", {"conflict_id": "no-such", "note": "x", "staff_code": "boss"}),
             *recharges(mid, 2)]
    res = dev.push(mixed).json()["results"]
    assert [r["status"] for r in res] == ["accepted"] * 6
    assert services.member_show(server.db, "13833330000")["members"][0]["principal_fen"] == 4000
    assert [c["kind"] for c in services.list_conflicts(server.db) if c["event_id"] == mixed[3]["event_id"]] == [
        "unapplied"]
    assert [r["status"] for r in dev.push(mixed).json()["results"]] == ["exists"] * 6
