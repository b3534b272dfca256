"""Gift stock screen on a big store: 5,000 SKUs with 2,000,000 movements (quick: 500 / 50,000) and
owed gifts, bulk-inserted with raw sqlite3 into the migrated schema.

Measured through the services (what the stock screen calls), p50/p99/max in ms:
- load: ``gifts.stock_levels`` for every SKU (cached on-hand + owed counts; never sums the ledger);
- filter: ``stock_levels(query=...)`` and ``stock_levels(low_only=True)``;
- movement history filters: by SKU, by kind + a month, by staff (``gifts.movements``, 1,000 rows max).
Baselines in the same run: a bare ``SELECT * FROM gift_item`` and a bare SKU-filtered movement SELECT
(sqlite3), plus what loading would cost without the cache (SUM over the whole ledger).
Goal: load and filter < 200 ms."""

from __future__ import annotations

import random
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from pos_app.app import open_store
from pos_app.services import gifts, staff
from tests.bench.figures import figure

CHUNK = 100_000
KIND_WEIGHTS = (("received", 10), ("handout", 70), ("returned", 3), ("adjusted", 7), ("transfer_out", 5),
                ("transfer_in", 5))
START = datetime(2025, 11, 1, tzinfo=UTC)
GOAL_MS = 200


def _ts(dt: datetime) -> str:
    return dt.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")


def _bulk_insert(path: Path, n_sku: int, n_mv: int, n_members: int, n_owed: int, staff_ids: list[str]) -> dict[str, int]:
    rnd = random.Random(7)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")  # loading only
    now = _ts(START)
    kinds = [k for k, w in KIND_WEIGHTS for _ in range(w)]
    conn.execute("BEGIN")
    on_hand = [0] * n_sku
    seq = [0] * n_sku
    per_sku = n_mv // n_sku
    span = 365 * 24 * 3600
    rows: list[tuple[Any, ...]] = []
    mv_id = 0

    def flush() -> None:
        conn.executemany(
            "INSERT INTO stock_movement (id, sku, seq, kind, delta, on_hand_after, member_id, entitlement_id, reason,"
            " supplier, reference, other_store, stocktake_id, batch_id, staff_id, created_at)"
            " VALUES (?,?,?,?,?,?,NULL,NULL,?,?,NULL,?,NULL,?,?,?)",
            rows,
        )
        rows.clear()

    # movements in time order across all SKUs (as a real store writes them)
    total = per_sku * n_sku
    order = [i % n_sku for i in range(total)]
    for k, s in enumerate(order):
        kind = kinds[rnd.randrange(len(kinds))] if seq[s] else "received"
        if kind in ("received", "transfer_in"):
            d = rnd.randint(5, 40)
        elif kind == "returned":
            d = 1
        elif kind == "adjusted":
            d = rnd.choice((-2, -1, 1, 2))
        elif kind == "transfer_out":
            d = -rnd.randint(1, 5)
        else:
            d = -1
        if on_hand[s] + d < 0:
            kind, d = "received", rnd.randint(5, 40)
        on_hand[s] += d
        seq[s] += 1
        mv_id += 1
        at = START + timedelta(seconds=k * span // total)
        rows.append((
            f"00000000-0000-7000-8000-{mv_id:012d}", f"G{s:05d}", seq[s], kind, d, on_hand[s],
            "stocktake" if kind == "adjusted" else None, "supplier" if kind == "received" else None,
            "S002" if kind.startswith("transfer") else None, f"b{mv_id}", staff_ids[mv_id % len(staff_ids)], _ts(at),
        ))
        if len(rows) >= CHUNK:
            flush()
    flush()
    conn.executemany(
        "INSERT INTO gift_item (id, sku, name, unit_value_fen, threshold, active, barcode, on_hand, movement_seq,"
        " created_at, updated_at) VALUES (?,?,?,?,?,1,?,?,?,?,?)",
        [
            (f"00000000-0000-7000-9000-{s:012d}", f"G{s:05d}", f"礼品{s}", 100 * (1 + s % 300), 5 + s % 20,
             f"69{s:011d}", on_hand[s], seq[s], now, now)
            for s in range(n_sku)
        ],
    )
    conn.executemany(
        "INSERT INTO member (id, phone, member_code, invite_code, name, level, inviter_id, store_code, campaign_code,"
        " principal_fen, bonus_fen, points_balance, wallet_seq, member_price_until, created_at)"
        " VALUES (?,?,?,?,NULL,NULL,NULL,'B001',NULL,0,0,0,0,NULL,?)",
        [(f"00000000-0000-7000-a000-{i:012d}", f"138{i:08d}", f"M{i:010d}", f"I{i:05d}", now) for i in range(n_members)],
    )
    conn.executemany(
        "INSERT INTO entitlement (id, member_id, recharge_id, source, kind, ref, name, value_fen, quantity, state,"
        " due_on, issued_ref, created_at, updated_at) VALUES (?,?,NULL,'tier','gift',?,?,0,1,'owed',?,NULL,?,?)",
        [
            (f"00000000-0000-7000-b000-{i:012d}", f"00000000-0000-7000-a000-{i % n_members:012d}",
             f"G{rnd.randrange(n_sku):05d}", "礼品", "2026-11-26", now, now)
            for i in range(n_owed)
        ],
    )
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    conn.close()
    return {"movements": mv_id, "skus": n_sku}


def _percentiles(samples: list[float]) -> dict[str, float]:
    samples = sorted(samples)
    q = statistics.quantiles(samples, n=100, method="inclusive") if len(samples) > 1 else [samples[0]] * 99
    return {"p50_ms": round(q[49] * 1000, 2), "p99_ms": round(q[98] * 1000, 2), "max_ms": round(samples[-1] * 1000, 2)}


def _time(fn: Callable[[], Any], count: int) -> tuple[list[float], Any]:
    out = []
    result = None
    for _ in range(count):
        t0 = time.perf_counter()
        result = fn()
        out.append(time.perf_counter() - t0)
    return out, result


def _goal(samples: list[float], extra: dict[str, Any] | None = None) -> dict[str, Any]:
    p = _percentiles(samples)
    # p99 of a few dozen samples is close to the max: on a shared machine it shows neighbours' load too
    return {**p, **(extra or {}), "goal_ms": GOAL_MS, "meets_goal_p50": p["p50_ms"] < GOAL_MS,
            "meets_goal_p99": p["p99_ms"] < GOAL_MS}


def run(quick: bool = False) -> dict[str, Any]:
    n_sku, n_mv = (500, 50_000) if quick else (5_000, 2_000_000)
    n_members, n_owed = (200, 2_000) if quick else (5_000, 20_000)
    reps = 10 if quick else 40
    with tempfile.TemporaryDirectory(prefix="bench_stock_") as tmp:
        path = Path(tmp) / "store.db"
        ctx = open_store(path)
        staff.init_store(ctx, store_code="B001", manager_code="boss", manager_pin="9999")
        boss = staff.login(ctx, "boss", "9999")
        staff.add_staff(ctx, boss, code="s01", role="staff", pin="2222")
        staff_ids = [boss.staff_id, staff.login(ctx, "s01", "2222").staff_id]
        t0 = time.perf_counter()
        info = _bulk_insert(path, n_sku, n_mv, n_members, n_owed, staff_ids)
        load_s = time.perf_counter() - t0

        gifts.stock_levels(ctx, boss)  # warm the connection pool and statement cache
        load, levels = _time(lambda: gifts.stock_levels(ctx, boss), reps)
        flt, found = _time(lambda: gifts.stock_levels(ctx, boss, query="礼品12"), reps)
        low, lows = _time(lambda: gifts.stock_levels(ctx, boss, low_only=True), reps)
        rnd = random.Random(3)
        skus = [f"G{rnd.randrange(n_sku):05d}" for _ in range(reps)]
        it = iter(skus)
        by_sku, _ = _time(lambda: gifts.movements(ctx, boss, sku=next(it), limit=1000), reps)
        month = (date(2026, 3, 1), date(2026, 3, 31))
        by_kind, kind_rows = _time(
            lambda: gifts.movements(ctx, boss, kind="adjusted", since=month[0], until=month[1], limit=1000), reps
        )
        by_staff, _ = _time(lambda: gifts.movements(ctx, boss, staff_code="s01", limit=1000), reps)

        bare = sqlite3.connect(path)
        base_items, _ = _time(lambda: bare.execute("SELECT * FROM gift_item ORDER BY sku").fetchall(), reps)
        it2 = iter(skus)
        base_mv, _ = _time(
            lambda: bare.execute(
                "SELECT * FROM stock_movement WHERE sku = ? ORDER BY seq DESC LIMIT 1000", (next(it2),)
            ).fetchall(),
            reps,
        )
        t0 = time.perf_counter()
        bare.execute("SELECT sku, SUM(delta) FROM stock_movement GROUP BY sku").fetchall()
        uncached_s = time.perf_counter() - t0
        bare.close()
        with ctx.uow(read_only=True) as uow:
            t0 = time.perf_counter()
            checks = gifts.doctor_checks(uow)
            doctor_s = time.perf_counter() - t0
        ctx.db.dispose()
    med = statistics.median
    return {
        **info,
        "owed_gifts": n_owed,
        "bulk_insert_s": round(load_s, 1),
        "load_stock_levels_all": _goal(load, {"rows": len(levels)}),
        "filter_by_text": _goal(flt, {"rows": len(found)}),
        "filter_low_only": _goal(low, {"rows": len(lows)}),
        "movements_by_sku_1000": _goal(by_sku),
        "movements_by_kind_and_month": _goal(by_kind, {"rows": len(kind_rows)}),
        "movements_by_staff_1000": _goal(by_staff),
        "baseline_bare_select_gift_items": _percentiles(base_items),
        "baseline_bare_movements_by_sku": _percentiles(base_mv),
        "ratio_load_over_bare_select": round(med(load) / med(base_items), 1),
        "ratio_movements_by_sku_over_bare": round(med(by_sku) / med(base_mv), 1),
        "uncached_sum_over_ledger_ms": round(uncached_s * 1000, 1),
        "ratio_uncached_sum_over_cached_load": round(uncached_s / med(load), 1),
        "doctor_gift_checks_s": round(doctor_s, 2),
        # the bench's handout rows carry no entitlement, so gift_handed_out_once flags them by design
        "doctor_gift_checks": {c.name: c.ok for c in checks},
    }


def figures(r: dict[str, Any]) -> list[dict[str, Any]]:
    base = r["baseline_bare_select_gift_items"]["p99_ms"]
    keys = ("load_stock_levels_all", "filter_by_text", "filter_low_only", "movements_by_sku_1000",
            "movements_by_kind_and_month", "movements_by_staff_1000")
    return [figure(f"{k}_p99", r[k]["p99_ms"], unit="ms", baseline=base, baseline_is="bare SELECT of the gift items p99",
                   goal=GOAL_MS, op="<", issue=5) for k in keys]


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps(run(quick="--full" not in sys.argv), indent=2))
