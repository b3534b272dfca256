"""Many stores syncing at once (issue 11): 200 simulated stores (quick: 20) sync in a closed loop for 60 s
(quick: 5 s) against one ``pos-central serve`` process, then against two (``--workers 2``) on a fresh database
of the same kind. A simulated store is a paired device speaking the real protocol (signed requests, one
keep-alive connection each, all in one asyncio client process): a round pushes its next outbox event (first its
member's registration, then a recharge of that member), then pulls the change feed after its cursor, page by
page, until nothing more; the feed is the real one, so each store also receives every other store's members
and wallet entries. Reported per server count: rounds/s, round latency p50/p99, events stored, changes
served; then the scale-out ratio (rounds/s with two processes over one). The client's own CPU time is reported
too: on a machine with few cores the client, the servers and PostgreSQL share them, and the ratio says as
much about that as about the server. Goal (PostgreSQL): scale-out ratio >= 1.7."""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from tests.bench import sync_common as sc
from tests.bench.figures import figure

GOAL_SCALE_OUT = 1.7


class _Store:
    def __init__(self, n: int, device_id: str, secret: str) -> None:
        self.n = n
        self.device_id = device_id
        self.secret = secret
        self.member_id = ""
        self.seq = 0
        self.cursor: str | None = None
        self.changes = 0

    def next_event(self) -> dict[str, Any]:
        from pos_app.central.services_common import new_id
        from pos_app.sync import protocol as p

        self.seq += 1
        if self.seq == 1:
            self.member_id = new_id()
            payload: dict[str, Any] = {"member_id": self.member_id, "phone": f"139{self.n:08d}",
                                       "member_code": f"M{self.n:010d}", "invite_code": f"I{self.n:07d}",
                                       "store_code": f"L{self.n:04d}"}
            kind = "member.registered"
        else:
            payload = {"member_id": self.member_id, "recharge_id": new_id(), "amount_fen": 10_000, "bonus_fen": 500,
                       "principal_after_fen": 10_000 * (self.seq - 1), "bonus_after_fen": 500 * (self.seq - 1),
                       "coupons": []}
            kind = "wallet.recharged"
        text_ = json.dumps(payload, sort_keys=True, separators=(",", ":"))
        return {"event_id": new_id(), "device_id": self.device_id, "seq": self.seq, "type": kind,
                "occurred_at": "2026-12-02T10:00:00.000Z", "payload_json": text_, "payload_hash": p.payload_hash(text_)}

    async def call(self, client: httpx.AsyncClient, method: str, path: str, body: Any = None) -> Any:
        from pos_app.sync import protocol as p

        raw = b"" if body is None else json.dumps(body, separators=(",", ":")).encode()
        headers = p.signed_headers(self.device_id, self.secret, method, path, raw, int(time.time() * 1000))
        if body is not None:
            headers["content-type"] = "application/json"
        r = await client.request(method, path, content=raw or None, headers=headers)
        r.raise_for_status()
        return r.json()

    async def round(self, client: httpx.AsyncClient) -> None:
        from pos_app.sync import protocol as p

        got = await self.call(client, "POST", p.PATH_PUSH, {"events": [self.next_event()]})
        assert got["acked_seq"] == self.seq, got
        while True:
            q = "?limit=500" + (f"&cursor={self.cursor}" if self.cursor else "")
            page = await self.call(client, "GET", p.PATH_PULL + q)
            self.cursor = page["next_cursor"]
            self.changes += len(page["changes"])
            if not page["more"]:
                break


async def _load(url: str, stores: list[_Store], seconds: float) -> dict[str, Any]:
    latencies: list[float] = []
    errors = 0
    kinds: dict[str, int] = {}
    stop = time.monotonic() + seconds

    async def loop(st: _Store) -> None:
        nonlocal errors
        async with httpx.AsyncClient(base_url=url, timeout=120) as client:
            while time.monotonic() < stop:
                t0 = time.perf_counter()
                try:
                    await st.round(client)
                except (httpx.HTTPError, AssertionError) as exc:
                    errors += 1
                    kind = type(exc).__name__
                    if isinstance(exc, httpx.HTTPStatusError):
                        kind += f" {exc.response.status_code}"
                    kinds[kind] = kinds.get(kind, 0) + 1
                    continue
                latencies.append(time.perf_counter() - t0)

    cpu0 = time.process_time()
    t0 = time.perf_counter()
    await asyncio.gather(*(loop(st) for st in stores))
    wall = time.perf_counter() - t0
    return {"latencies": latencies, "errors": errors, "error_kinds": kinds, "wall_s": wall,
            "client_cpu_s": time.process_time() - cpu0}


def _one(tmp: Path, n_stores: int, seconds: float, workers: int) -> dict[str, Any]:
    from pos_app.central import services as central

    db_url, backend = sc.central_url(tmp, f"central_w{workers}")
    db = central.open_database(db_url)
    central.init(db)
    codes = []
    for i in range(n_stores):
        st = central.add_store(db, f"store {i}", f"L{i:04d}")
        codes.append(central.device_code(db, st["store_id"])["code"])
    with sc.central_server(db_url, workers=workers) as url:
        stores = []
        for i, code in enumerate(codes):
            r = httpx.post(url + "/v1/pair", json={"code": code, "device_id": f"load-{i:04d}", "store_code": f"L{i:04d}",
                                                    "device_name": "sim"}, timeout=60)
            r.raise_for_status()
            stores.append(_Store(i, f"load-{i:04d}", r.json()["secret"]))
        got = asyncio.run(_load(url, stores, seconds))
    events = central.totals(db)["events"]
    db.dispose()
    lat = got["latencies"]
    rounds = len(lat)
    return {
        "backend": backend, "workers": workers, "stores": n_stores, "seconds": round(got["wall_s"], 1),
        "rounds": rounds, "rounds_per_s": round(rounds / got["wall_s"], 1), "errors": got["errors"],
        "error_kinds": got["error_kinds"],
        "p50_ms": round(statistics.median(lat) * 1000, 1) if lat else None,
        "p99_ms": round(sc.pct(lat, 0.99) * 1000, 1) if lat else None,
        "events_stored": events, "changes_served": sum(s.changes for s in stores),
        "client_cpu_share": round(got["client_cpu_s"] / got["wall_s"], 2),
    }


def run(quick: bool = False) -> dict[str, Any]:
    n_stores = sc.scale(200, 20, quick)
    seconds = 5.0 if quick else float(os.environ.get("POS_BENCH_SYNC_SECONDS") or 60)
    with tempfile.TemporaryDirectory(prefix="bench_sync_stores_") as tmp_:
        tmp = Path(tmp_)
        one = _one(tmp, n_stores, seconds, 1)
        load_after_one = sc.machine()
        two = _one(tmp, n_stores, seconds, 2)
    ratio = two["rounds_per_s"] / one["rounds_per_s"] if one["rounds_per_s"] else 0.0
    return {
        "backend": one["backend"],
        "one_process": one,
        "two_processes": two,
        "scale_out_ratio": round(ratio, 2),
        "goal_scale_out": GOAL_SCALE_OUT,
        "goal_met": ratio >= GOAL_SCALE_OUT,
        "machine": {"after_one": load_after_one, "after_two": sc.machine()},
    }


def figures(r: dict[str, Any]) -> list[dict[str, Any]]:
    one, two = r["one_process"], r["two_processes"]
    return [figure("rounds_per_s_two_processes", two["rounds_per_s"], unit="/s", baseline=one["rounds_per_s"] or None,
                   baseline_is="the same stores against one server process", goal=GOAL_SCALE_OUT, op=">=",
                   goal_on="ratio", issue=11)]
