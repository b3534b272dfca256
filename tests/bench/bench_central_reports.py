"""Head office's reports on the central server (SQLite): the campaign report and the liability report of a month,
all stores, over a month of synced events (3 stores; recharges, sales paid in part from the balance; full size
100,000 events and as many wallet movements).

Baseline measured in the same run: a bare ``SELECT count(*)`` over the events table. The campaign report reads
and parses every event of the period (its figures are in the payloads), so it grows with the events of the
period (about 15,000-25,000 events a second on a 2-core machine: Python reads the JSON); the liability report is a
few sums over covering indexes (migration c0003). Past that, the plan is a daily summary per store kept at ingest."""

from __future__ import annotations

import json
import random
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select

from pos_app.central import services, services_reports
from pos_app.central.db import Event, Member, Store, WalletEntry
from pos_app.sync import protocol as p
from tests.bench.figures import figure

STORES = ("S001", "S002", "S003")
START = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)


def _wire(at: datetime) -> str:
    return services_reports.wire_time(at)


def build(db: Any, events: int, rnd: random.Random) -> None:
    members = max(10, events // 6)
    with db.session() as s, s.begin():
        for code in STORES:
            s.add(Store(id=code, code=code, name=f"门店{code}", created_ms=0))
        s.flush()
        ev_rows: list[dict[str, Any]] = []
        we_rows: list[dict[str, Any]] = []
        mem_rows: list[dict[str, Any]] = []
        seq = dict.fromkeys(STORES, 0)

        def event(store: str, kind: str, at: datetime, payload: dict[str, Any]) -> str:
            seq[store] += 1
            text = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
            eid = f"{store}-{seq[store]:09d}"
            ev_rows.append({"event_id": eid, "device_id": f"d-{store}", "store_id": store, "seq": seq[store],
                            "type": kind, "occurred_at": _wire(at), "payload_json": text,
                            "payload_hash": p.payload_hash(text), "received_ms": 0})
            return eid

        for store in STORES:
            event(store, "store.initialised", START - timedelta(days=30), {"store_code": store, "timezone":
                                                                           "Asia/Shanghai"})
        balance: dict[str, tuple[str, int, int]] = {}
        for i in range(members):
            store = STORES[i % len(STORES)]
            mid = f"m{i:08d}"
            mem_rows.append({"member_id": mid, "phone": f"138{i:08d}", "name": None, "member_code": None,
                             "store_code": store, "data_json": "{}", "event_id": "x", "registered_at": _wire(START)})
        while len(ev_rows) < events:
            i = rnd.randrange(members)
            mid, store = f"m{i:08d}", STORES[i % len(STORES)]
            at = START + timedelta(seconds=rnd.randrange(31 * 86400))
            if mid not in balance or rnd.random() < 0.3:
                amount, bonus = rnd.choice(((500_00, 50_00), (1000_00, 150_00), (300_00, 0)))
                eid = event(store, "wallet.recharged", at, {"recharge_id": f"r{len(ev_rows)}", "member_id": mid,
                                                            "campaign_code": "WINTER", "amount_fen": amount,
                                                            "bonus_fen": bonus, "pay_method": "cash"})
                we_rows.append({"entry_id": eid, "event_id": eid, "member_id": mid, "store_code": store,
                                "kind": "recharge", "amount_fen": amount, "principal_delta_fen": amount,
                                "bonus_delta_fen": bonus, "central_principal_after_fen": 0,
                                "central_bonus_after_fen": 0, "occurred_at": _wire(at), "received_ms": 0})
                balance[mid] = (store, amount, bonus)
            else:
                paid = rnd.randrange(10_00, 300_00)
                from_balance = min(paid // 2, balance[mid][1])
                payload = {"sale_id": f"s{len(ev_rows)}", "member_id": mid, "campaign_code": "WINTER",
                           "total_fen": paid, "paid_fen": paid,
                           "payments": [{"method": "balance", "amount_fen": from_balance, "bonus_fen": 0},
                                        {"method": "wechat", "amount_fen": paid - from_balance, "bonus_fen": 0}],
                           "lines": [{"category": rnd.choice(("宠物食品", "洗护美容")), "amount_fen": paid}],
                           "coupons_redeemed": []}
                eid = event(store, "sale.completed", at, payload)
                if from_balance:
                    we_rows.append({"entry_id": eid, "event_id": eid, "member_id": mid, "store_code": store,
                                    "kind": "spend", "amount_fen": from_balance, "principal_delta_fen": -from_balance,
                                    "bonus_delta_fen": 0, "central_principal_after_fen": 0,
                                    "central_bonus_after_fen": 0, "occurred_at": _wire(at), "received_ms": 0})
        for rows, model in ((ev_rows, Event), (we_rows, WalletEntry), (mem_rows, Member)):
            for k in range(0, len(rows), 5000):
                s.execute(insert(model), rows[k:k + 5000])


def _timed(fn: Any, repeat: int = 3) -> tuple[float, Any]:
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def run(quick: bool = False) -> dict[str, Any]:
    return measure(12_000 if quick else 100_000)


def measure(events: int) -> dict[str, Any]:
    """The figures over a month of about ``events`` events."""
    with tempfile.TemporaryDirectory() as tmp:
        db = services.open_database(f"sqlite:///{Path(tmp) / 'central.db'}")
        try:
            t0 = time.perf_counter()
            build(db, events, random.Random(7))
            build_s = time.perf_counter() - t0

            def count() -> int:
                with db.read_session() as s:
                    return int(s.execute(select(func.count()).select_from(Event)).scalar_one())

            base_s, n = _timed(count)
            first, last = date(2026, 12, 1), date(2026, 12, 31)
            camp_s, camp = _timed(lambda: services_reports.campaign_report(db, from_day=first, to_day=last), 1)
            liab_s, liab = _timed(lambda: services_reports.liability_report(db, from_day=first, to_day=last))
            assert liab["total"]["balanced"] and camp["totals"]["recharges"] > 0
            with db.read_session() as s:
                wallet_rows = int(s.execute(select(func.count()).select_from(WalletEntry)).scalar_one())
        finally:
            db.dispose()
    return {
        "events": n, "wallet_entries": wallet_rows, "stores": len(STORES), "build_s": round(build_s, 2),
        "baseline_count_events_ms": round(base_s * 1000, 2),
        "campaign_month_ms": round(camp_s * 1000, 1),
        "liability_month_ms": round(liab_s * 1000, 1),
        "campaign_ratio": round(camp_s / base_s, 1) if base_s else None,
        "liability_ratio": round(liab_s / base_s, 1) if base_s else None,
        "campaign_events_per_s": round(n / camp_s) if camp_s else None,
    }


def figures(r: dict[str, Any]) -> list[dict[str, Any]]:
    """Informative (issue 14 sets no goal for head office's figures): each report against a bare count."""
    base = r["baseline_count_events_ms"] or None
    return [
        figure("campaign_month", r["campaign_month_ms"], unit="ms", baseline=base, baseline_is="bare count(*) of the events"),
        figure("liability_month", r["liability_month_ms"], unit="ms", baseline=base,
               baseline_is="bare count(*) of the events"),
    ]
