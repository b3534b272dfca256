"""Member look-up on a big store: exact phone (``members.get_member``) and phone-prefix search
(``members.find_members``, first 50), p50/p99 in ms.

1,000,000 members (quick: 20,000) are bulk-inserted with a raw executemany into the migrated schema.
The baseline is the same exact-phone SELECT through bare sqlite3 on the same file, in the same run.
Goals: exact p99 < 2 ms, prefix p99 < 20 ms."""

from __future__ import annotations

import random
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pos_app.app import open_store
from pos_app.services import members, staff
from tests.bench.figures import figure

CHUNK = 50_000


def _phone(i: int) -> str:
    # spread over the 13x-19x ranges like real numbers; unique for i < 10**9
    return f"1{3 + i % 7}{(i * 7919) % 10**9:09d}"


def _bulk_insert(path: Path, n: int) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")  # loading only; the service opens it with its own PRAGMAs
    created = datetime(2026, 1, 1, tzinfo=UTC).replace(tzinfo=None).isoformat(sep=" ")
    conn.execute("BEGIN")
    for start in range(0, n, CHUNK):
        rows = [
            (
                f"00000000-0000-7000-8000-{i:012d}", _phone(i), f"M{i:010d}", f"I{i:07d}", f"会员{i}", None, None,
                "B001", None, (i % 50) * 100, (i % 7) * 10, i % 300, 0, None, created,
            )
            for i in range(start, min(n, start + CHUNK))
        ]
        conn.executemany(
            "INSERT INTO member (id, phone, member_code, invite_code, name, level, inviter_id, store_code,"
            " campaign_code, principal_fen, bonus_fen, points_balance, wallet_seq, member_price_until, created_at)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            rows,
        )
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    conn.close()


def _percentiles(samples: list[float]) -> dict[str, float]:
    samples = sorted(samples)
    q = statistics.quantiles(samples, n=100, method="inclusive")
    return {"p50_ms": round(q[49] * 1000, 3), "p99_ms": round(q[98] * 1000, 3), "max_ms": round(samples[-1] * 1000, 3)}


def _time(fn: Callable[[], Any], count: int) -> list[float]:
    out = []
    for _ in range(count):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def run(quick: bool = False) -> dict[str, Any]:
    n = 20_000 if quick else 1_000_000
    n_exact, n_prefix = (300, 100) if quick else (2000, 500)
    rnd = random.Random(42)
    with tempfile.TemporaryDirectory(prefix="bench_lookup_") as tmp:
        path = Path(tmp) / "store.db"
        ctx = open_store(path)
        staff.init_store(ctx, store_code="B001", manager_code="boss", manager_pin="9999")
        boss = staff.login(ctx, "boss", "9999")
        t0 = time.perf_counter()
        _bulk_insert(path, n)
        load_s = time.perf_counter() - t0

        phones = [_phone(rnd.randrange(n)) for _ in range(n_exact)]
        it = iter(phones)
        exact = _time(lambda: members.get_member(ctx, boss, phone=next(it)), n_exact)
        prefixes = [_phone(rnd.randrange(n))[: rnd.choice((3, 4, 5, 7))] for _ in range(n_prefix)]
        itp = iter(prefixes)
        found: list[int] = []
        prefix = _time(lambda: found.append(len(members.find_members(ctx, boss, next(itp), limit=50))), n_prefix)

        bare = sqlite3.connect(path)
        it2 = iter(phones)
        baseline = _time(
            lambda: bare.execute("SELECT * FROM member WHERE phone = ?", (next(it2),)).fetchone(), n_exact
        )
        bare.close()
        ctx.db.dispose()
    ex, pr = _percentiles(exact), _percentiles(prefix)
    return {
        "members": n,
        "bulk_insert_s": round(load_s, 2),
        "exact_phone_get_member": {**ex, "queries": n_exact, "goal_p99_ms": 2, "meets_goal": ex["p99_ms"] < 2},
        "prefix_find_members_50": {
            **pr, "queries": n_prefix, "mean_rows": round(sum(found) / len(found), 1),
            "goal_p99_ms": 20, "meets_goal": pr["p99_ms"] < 20,
        },
        "baseline_bare_sqlite_exact": _percentiles(baseline),
        "ratio_exact_p50_over_bare": round(statistics.median(exact) / statistics.median(baseline), 1),
    }


def figures(r: dict[str, Any]) -> list[dict[str, Any]]:
    base = r["baseline_bare_sqlite_exact"]["p99_ms"]
    return [
        figure("exact_phone_p99", r["exact_phone_get_member"]["p99_ms"], unit="ms", baseline=base,
               baseline_is="bare sqlite3 SELECT by phone p99", goal=2, op="<", issue=10),
        figure("prefix_50_p99", r["prefix_find_members_50"]["p99_ms"], unit="ms", baseline=base,
               baseline_is="bare sqlite3 SELECT by phone p99", goal=20, op="<", issue=2),
    ]


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps(run(quick="--full" not in sys.argv), indent=2))
