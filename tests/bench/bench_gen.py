"""`pos-app gen` speed: rows written per second when generating a busy store (services/generate.py through
its bulk repository: members, referrals, recharges, coupons, entitlements, sales, stock, audit, outbox...),
3,000 members over 30 days for the quick run, 100,000 members over 30 days in full. The baseline is bare
sqlite3 ``executemany`` of the same number of rows into one table (a primary key, no other index), in the
same run. The generated store is checked with the doctor. Goal (issue 16): >= 50,000 rows/s."""

from __future__ import annotations

import sqlite3
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

from tests.bench.figures import figure

GOAL = 50_000


def _bare(path: Path, n: int) -> float:
    """Rows/s of bare sqlite3 executemany of ``n`` rows (built beforehand) into one table, committed."""
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("CREATE TABLE t (id TEXT PRIMARY KEY, member_id TEXT, seq INTEGER, kind TEXT, a INTEGER, b INTEGER,"
                " created_at TEXT)")
    rows = [(f"00000000-0000-7000-8000-{i:012d}", f"m{i % 1000}", i, "spend", i, -i, "2026-12-01 10:00:00.000000")
            for i in range(n)]
    t0 = time.perf_counter()
    con.executemany("INSERT INTO t VALUES (?,?,?,?,?,?,?)", rows)
    con.commit()
    dt = time.perf_counter() - t0
    con.close()
    return n / dt


def run(quick: bool = False) -> dict[str, Any]:
    from pos_app.app import open_store
    from pos_app.services import generate
    from pos_app.services.doctor import run_doctor

    members, days = (3_000, 30) if quick else (100_000, 30)
    with tempfile.TemporaryDirectory(prefix="bench_gen_") as tmp:
        ctx = open_store(Path(tmp) / "busy.db", owner="command")
        r = generate.generate(ctx, members=members, days=days, seed=16, today=date(2026, 12, 1))
        t0 = time.perf_counter()
        rep = run_doctor(ctx)
        doctor_s = time.perf_counter() - t0
        ctx.db.dispose()
        bare = _bare(Path(tmp) / "bare.db", r.rows_inserted)
    return {
        "members": r.members,
        "days": r.days,
        "tables": r.tables,
        "rows_inserted": r.rows_inserted,
        "rows_updated": r.rows_updated,
        "seconds": r.seconds,
        "rows_per_s": round(r.rows_per_s),
        "cpu_seconds": r.cpu_seconds,
        "rows_per_cpu_s": round(r.rows_per_cpu_s),
        "baseline_bare_executemany_rows_per_s": round(bare),
        "doctor_ok": rep.ok,
        "doctor_problems": rep.problems,
        "doctor_s": round(doctor_s, 1),
        "goal_rows_per_s": GOAL,
        "ok": r.rows_per_s >= GOAL,
    }


def figures(r: dict[str, Any]) -> list[dict[str, Any]]:
    return [figure("rows_per_s", r["rows_per_s"], unit="rows/s", baseline=r["baseline_bare_executemany_rows_per_s"],
                   baseline_is="bare sqlite3 executemany into one table", goal=GOAL, op=">=", issue=16),
            # the same rows over this process's CPU time: what the code does when the machine is shared
            figure("rows_per_cpu_s", r["rows_per_cpu_s"], unit="rows/s")]


if __name__ == "__main__":
    import json

    print(json.dumps(run(quick="--quick" in sys.argv), indent=2))
