"""The points mall and premium redemption.

(a) A mall redemption (a gift reserved for pick-up: the points taken from the lots, the entitlement, the
    redemption, its log row, audit and outbox) through the service, against a bare one-row insert + commit
    with sqlite3 on the same pragmas. Goal ratio <= 4.
(b) The manager's review queue over 100,000 requests (20,000 with --quick): a page filtered by state and by
    month through the service, p99 < 100 ms."""

from __future__ import annotations

import random
import sqlite3
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.bench.bench_recharge import _bare
from tests.bench.figures import figure
from tests.bench.stmtcount import counting, per_call

ROOT = Path(__file__).resolve().parents[2]


class _Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(microseconds=50)
        return self.now


def _store(path: Path, quantity: int) -> Any:
    from pos_app.app import open_store
    from pos_app.services import campaigns, staff
    from pos_app.services.campaigns import read_campaign_file

    ctx = open_store(path)
    ctx.clock = _Clock()
    ctx.randbits = random.Random(7).getrandbits
    staff.init_store(ctx, store_name="基准门店", store_code="B001", manager_code="boss", manager_pin="9999")
    boss = staff.login(ctx, "boss", "9999")
    data = read_campaign_file(ROOT / "resources" / "campaigns" / "demo.toml")
    data["campaign"].update(starts_on="2026-11-01", ends_on="2027-01-31")
    for it in data["mall"]["items"]:
        it.update(quantity=quantity, limit=0)
    for it in data["redemption"]["items"]:
        it.update(quantity=quantity, limit=0)
    campaigns.load_campaign(ctx, boss, data)
    return ctx, boss


def _service(tmp: Path, n: int) -> tuple[float, dict[str, Any]]:
    from pos_app.services import mall, members, points

    ctx, boss = _store(tmp / "svc.db", n + 10)
    phones = [f"139{i:08d}" for i in range(50)]
    for p in phones:
        members.register_member(ctx, boss, phone=p)
        points.adjust(ctx, boss, phone=p, points=300 * n, reason="bench")
    mall.redeem(ctx, boss, item="M-TOY", phone=phones[0])  # warm: caches, prepared statements
    with counting(ctx.db.engine) as st:  # the statements one redemption sends (not load-dependent)
        t0 = time.perf_counter()
        for i in range(n):
            mall.redeem(ctx, boss, item="M-TOY", phone=phones[i % 50])
        elapsed = time.perf_counter() - t0
    ctx.db.dispose()
    return elapsed, per_call(st, n)


def _queue(tmp: Path, total: int, runs: int) -> dict[str, Any]:
    from pos_app.services import members, redemption

    ctx, boss = _store(tmp / "queue.db", total + 10)
    mids = [members.register_member(ctx, boss, phone=f"137{i:08d}").member_id for i in range(200)]
    with ctx.uow(read_only=True) as uow:
        item_id = uow.session.execute(__import__("sqlalchemy").text(
            "SELECT id FROM mall_item WHERE code = 'MOUTAI-500'")).scalar()
        staff_id = boss.staff_id
    ctx.db.dispose()
    con = sqlite3.connect(tmp / "queue.db")
    rnd = random.Random(3)
    states = ("requested", "approved", "rejected", "fulfilled", "received", "cancelled")
    start = datetime(2026, 11, 1, tzinfo=UTC)
    rows = []
    for i in range(total):
        at = (start + timedelta(seconds=rnd.randrange(0, 90 * 86400))).strftime("%Y-%m-%d %H:%M:%S.%f")
        rows.append((f"r{i:08d}", f"req{i}", "premium", item_id, mids[i % 200], rnd.choice(states), 3000, 0,
                     f"C{i:015d}", "13700000000", "上海市", staff_id, at, at))
    con.executemany("INSERT INTO redemption (id, request_id, program, item_id, member_id, state, points, cash_fen, "
                    "code, contact, ship_to, staff_id, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
    con.commit()
    con.execute("ANALYZE")
    con.close()
    from pos_app.app import open_store

    ctx = open_store(tmp / "queue.db")
    ctx.clock = _Clock()
    times = []
    found = 0
    for k in range(runs):
        t0 = time.perf_counter()
        got = redemption.queue(ctx, boss, state=states[k % len(states)], month=("2026-11", "2026-12", "2027-01")[k % 3],
                               limit=100)
        times.append(time.perf_counter() - t0)
        found += len(got)
    ctx.db.dispose()
    times.sort()
    p99 = times[max(0, int(len(times) * 0.99) - 1)]
    return {"requests": total, "runs": runs, "page": 100, "rows_returned": found,
            "median_ms": round(1000 * statistics.median(times), 2), "p99_ms": round(1000 * p99, 2),
            "goal_p99_ms": 100, "meets_goal": p99 * 1000 < 100}


def run(quick: bool = False) -> dict[str, Any]:
    n = 100 if quick else 1000
    with tempfile.TemporaryDirectory(prefix="bench_mall_") as tmp:
        bare_s = _bare(Path(tmp) / "bare.db", n)
        svc_s, stmts = _service(Path(tmp), n)
        queue = _queue(Path(tmp), 20_000 if quick else 100_000, 60 if quick else 200)
    ratio = svc_s / bare_s
    return {
        "redeem": {"n": n, "service_ms_per_redemption": round(1000 * svc_s / n, 3),
                   "bare_one_row_ms_per_commit": round(1000 * bare_s / n, 3), "ratio_service_over_one_row_commit":
                   round(ratio, 2), "goal_ratio_max": 4, "meets_goal": ratio <= 4, **stmts},
        "review_queue": queue,
    }


def figures(r: dict[str, Any]) -> list[dict[str, Any]]:
    red, q = r["redeem"], r["review_queue"]
    return [
        figure("mall_redemption", red["service_ms_per_redemption"], unit="ms", baseline=red["bare_one_row_ms_per_commit"],
               baseline_is="bare one-row insert + commit", goal=4, goal_on="ratio", issue=13),
        figure("review_queue_filter_p99", q["p99_ms"], unit="ms", goal=100, op="<", issue=13),
    ]
