"""Property, at the service level: whatever the stores do and however their pushes are batched, interleaved
and repeated, central's totals equal the sum of what the stores pushed; every event is stored once; every
device's ack reaches its last seq; overdrafts are recorded exactly where central's running balance went below
zero, once each."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pos_app.central import services, services_sync
from pos_app.central.db import CentralDatabase
from pos_app.sync import protocol as p

STORES = 3
MEMBERS = 3

op = st.tuples(st.integers(0, STORES - 1), st.integers(0, MEMBERS - 1),
               st.sampled_from(["recharge", "spend", "refund"]), st.integers(0, 50_000), st.integers(0, 5_000))


def make_event(device: str, seq: int, type_: str, payload: dict[str, Any]) -> dict[str, Any]:
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return {"event_id": services.new_id(), "device_id": device, "seq": seq, "type": type_,
            "occurred_at": "2026-12-02T10:00:00.000Z", "payload_json": text, "payload_hash": p.payload_hash(text)}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(ops=st.lists(op, max_size=30), pushes=st.lists(st.tuples(st.integers(0, STORES - 1), st.integers(1, 6),
                                                                 st.booleans()), max_size=40))
def test_central_totals_equal_what_the_stores_pushed(central_db: CentralDatabase, ops: list[Any],
                                                    pushes: list[Any]) -> None:
    db = central_db
    tag = services.new_id()[-8:]
    auths = []
    for i in range(STORES):
        code = f"S{i}{tag}"
        st_ = services.add_store(db, code, code)
        pairing = services.device_code(db, st_["store_id"])["code"]
        dev = services_sync.pair(db, pairing, f"d{i}-{tag}", code, None)
        auths.append(services_sync.DeviceAuth(dev["device_id"], dev["store_id"], code))
    members = [services.new_id() for _ in range(MEMBERS)]
    queues: list[list[dict[str, Any]]] = [[] for _ in range(STORES)]
    for m, mid in enumerate(members):
        queues[0].append(make_event(auths[0].device_id, len(queues[0]) + 1, "member.registered",
                                    {"member_id": mid, "phone": f"1390000{m:04d}", "store_code": auths[0].store_code}))
    deltas: dict[str, tuple[int, int]] = {}  # event id -> (principal, bonus) moved
    member_of: dict[str, str] = {}
    pushed_sum = {mid: [0, 0] for mid in members}
    for store, m, kind, principal, bonus in ops:
        q, dev, mid = queues[store], auths[store].device_id, members[m]
        if kind == "recharge":
            ev = make_event(dev, len(q) + 1, "wallet.recharged", {"member_id": mid, "recharge_id": services.new_id(),
                                                                 "amount_fen": principal, "bonus_fen": bonus})
            d = (principal, bonus)
        elif kind == "spend":
            ev = make_event(dev, len(q) + 1, "wallet.spent", {"member_id": mid, "spend_id": services.new_id(),
                                                             "amount_fen": principal + bonus, "principal_fen": principal,
                                                             "bonus_fen": bonus})
            d = (-principal, -bonus)
        else:
            ev = make_event(dev, len(q) + 1, "wallet.refunded", {"member_id": mid, "refund_id": services.new_id(),
                                                                "principal_refund_fen": principal,
                                                                "principal_unspent_fen": principal,
                                                                "bonus_revoke_fen": bonus})
            d = (-principal, -bonus)
        q.append(ev)
        deltas[ev["event_id"]] = d
        member_of[ev["event_id"]] = mid
        pushed_sum[mid][0] += d[0]
        pushed_sum[mid][1] += d[1]

    sent = [0] * STORES
    accepted_order: list[str] = []

    def push(store: int, batch: list[dict[str, Any]]) -> None:
        answer = services_sync.push(db, auths[store], batch)
        for ev, res in zip(batch, answer["results"], strict=True):
            assert res["status"] in ("accepted", "exists"), res
            if res["status"] == "accepted":
                accepted_order.append(ev["event_id"])

    for store, size, repeat in pushes:
        q = queues[store]
        batch = q[sent[store]:sent[store] + size]
        if repeat and sent[store]:
            batch = q[max(0, sent[store] - size):sent[store]] + batch  # a retried batch overlapping the last
        if batch:
            push(store, batch)
            sent[store] = max(sent[store], q.index(batch[-1]) + 1)
    for store in range(STORES):  # then every queue drains
        if sent[store] < len(queues[store]):
            push(store, queues[store][sent[store]:])

    all_events = [ev for q in queues for ev in q]
    assert sorted(accepted_order) == sorted(ev["event_id"] for ev in all_events)  # each stored exactly once
    for store in range(STORES):
        assert services_sync.ping(db, auths[store])["acked_seq"] == len(queues[store])
    # central's balances == the sum of what the stores pushed, member by member
    for m, mid in enumerate(members):
        view = services.member_show(db, f"1390000{m:04d}")
        mine = next(x for x in view["members"] if x["member_id"] == mid)
        assert [mine["principal_fen"], mine["bonus_fen"]] == pushed_sum[mid]
        assert len(mine["history"]) == sum(1 for e in member_of.values() if e == mid)
    # overdrafts: exactly where the running balance, in ingest order, went below zero
    balance = {mid: [0, 0] for mid in members}
    expected = set()
    for eid in accepted_order:
        if eid not in deltas:
            continue
        b = balance[member_of[eid]]
        b[0] += deltas[eid][0]
        b[1] += deltas[eid][1]
        if not _is_recharge(all_events, eid) and (b[0] < 0 or b[1] < 0):
            expected.add(eid)
    mine_ids = set(deltas)
    found = [c["event_id"] for c in services.list_conflicts(db) if c["kind"] == "overdraft" and c["event_id"] in mine_ids]
    assert sorted(found) == sorted(expected)


def _is_recharge(events: list[dict[str, Any]], event_id: str) -> bool:
    return next(ev["type"] for ev in events if ev["event_id"] == event_id) == "wallet.recharged"
