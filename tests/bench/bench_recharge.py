"""Luxury-tier recharges through ``wallet.recharge``: rows and index entries one of them writes, and two
ratios measured in the same run, on real SQLite files with the same PRAGMAs (WAL, synchronous=FULL,
foreign_keys=ON) and ``BEGIN IMMEDIATE`` per transaction:

(a) service / replay: every statement (and its parameters) the service executed for each recharge is
    captured with a ``before_cursor_execute`` listener and replayed with bare ``sqlite3`` on a copy of the
    store taken just before the loop: the same rows, reads included, without the Python above SQLite.
    Goal <= 1.5.
(b) service / bare one-row insert + commit. Goal <= 4.

Rows written are counted for real (rows per table before/after one recharge, plus the rows its UPDATEs
matched); index entries = each inserted row x (1 + the indexes of its table, the primary key's and the
unique constraints' included), plus each updated row x (1 + the indexes holding a column it changed)."""

from __future__ import annotations

import random
import re
import shutil
import sqlite3
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event

from pos_app.app import open_store
from pos_app.services import campaigns, members, staff, wallet
from pos_app.services.campaigns import read_campaign_file
from tests.bench.figures import figure
from tests.demo_campaign import demo_without_program

ROOT = Path(__file__).resolve().parents[2]
PRAGMAS = ("PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL", "PRAGMA foreign_keys=ON", "PRAGMA busy_timeout=30000")


class _Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(microseconds=50)
        return self.now


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    for p in PRAGMAS:
        conn.execute(p)
    return conn


def _bare(path: Path, n: int) -> float:
    conn = _connect(path)
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, member TEXT NOT NULL, amount_fen INTEGER NOT NULL, at TEXT)")
    t0 = time.perf_counter()
    for i in range(n):
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO t (member, amount_fen, at) VALUES (?, ?, ?)", (f"m{i % 50}", 50_000, str(i)))
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - t0
    conn.close()
    return elapsed


def _replay(path: Path, transactions: list[list[tuple[str, Any, bool]]]) -> tuple[float, float]:
    """The captured transactions, statement by statement, with bare sqlite3 on a copy of the store:
    (seconds in all, seconds of them in COMMIT: the WAL write and its fsync)."""
    conn = _connect(path)
    in_commit = 0.0
    t0 = time.perf_counter()
    for stmts in transactions:
        conn.execute("BEGIN IMMEDIATE")
        for sql, params, many in stmts:
            if many:
                conn.executemany(sql, params)
            else:
                conn.execute(sql, params).fetchall()
        c0 = time.perf_counter()
        conn.execute("COMMIT")
        in_commit += time.perf_counter() - c0
    elapsed = time.perf_counter() - t0
    conn.close()
    return elapsed, in_commit


def _index_columns(conn: sqlite3.Connection) -> dict[str, list[set[str]]]:
    """Per table: the column sets of its indexes (PRAGMA index_list: explicit, unique and PK autoindexes)."""
    out: dict[str, list[set[str]]] = {}
    for (table,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"):
        out[table] = [
            {r[2] for r in conn.execute(f"PRAGMA index_info('{idx[1]}')")}
            for idx in conn.execute(f"PRAGMA index_list('{table}')")
        ]
    return out


def _counts(conn: sqlite3.Connection, tables: list[str]) -> dict[str, int]:
    return {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in tables}


_UPDATE = re.compile(r"^UPDATE (\w+) SET (.+?) WHERE", re.S)


def _writes(path: Path, before: dict[str, int], updates: list[tuple[str, int]]) -> dict[str, Any]:
    """Rows and index entries one recharge wrote: rows per table after - before, and the UPDATEs."""
    conn = sqlite3.connect(path)
    indexes = _index_columns(conn)
    after = _counts(conn, list(before))
    conn.close()
    inserted = {t: after[t] - before[t] for t in before if after[t] != before[t]}
    updated: dict[str, int] = {}
    entries = sum(n * (1 + len(indexes[t])) for t, n in inserted.items())
    for sql, rowcount in updates:
        m = _UPDATE.match(sql)
        assert m is not None, sql
        table = m.group(1)
        cols = {part.split("=")[0].strip() for part in m.group(2).split(",")}
        updated[table] = updated.get(table, 0) + rowcount
        entries += rowcount * (1 + sum(1 for ix in indexes[table] if ix & cols))
    return {
        "rows_written": sum(inserted.values()) + sum(updated.values()),
        "rows_inserted_by_table": dict(sorted(inserted.items())),
        "rows_updated_by_table": dict(sorted(updated.items())),
        "tables_written": len(set(inserted) | set(updated)),
        "index_entries_written": entries,
        "indexes_by_table": {t: 1 + len(indexes[t]) for t in sorted(set(inserted) | set(updated))},
    }


def _service(tmp: Path, n: int) -> dict[str, Any]:
    path = tmp / "store.db"
    ctx = open_store(path)
    ctx.clock = _Clock()
    ctx.randbits = random.Random(7).getrandbits
    staff.init_store(ctx, store_code="B001", manager_code="boss", manager_pin="9999")
    boss = staff.login(ctx, "boss", "9999")
    staff.add_staff(ctx, boss, code="c1", role="cashier", pin="1111")
    # the foundation's recharge: the demo campaign without its member levels and tasks (tests/demo_campaign.py)
    campaigns.load_campaign(ctx, boss, read_campaign_file(demo_without_program()))
    cashier = staff.login(ctx, "c1", "1111")  # logged in once, outside the loop (argon2 is slow on purpose)
    # a luxury recharge is 2,000 + 400 yuan: two per member stay under the 5,000-yuan cap
    ids = [members.register_member(ctx, cashier, phone=f"139{i:08d}", request_id=f"reg-{i}").member_id
           for i in range(n // 2 + 2)]
    # one luxury recharge on its own, its writes counted
    conn = sqlite3.connect(path)
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
    before = _counts(conn, tables)
    conn.close()
    updates: list[tuple[str, int]] = []

    def on_after(_conn: Any, cursor: Any, statement: str, _params: Any, _ctx: Any, _many: bool) -> None:
        if statement.startswith("UPDATE"):
            updates.append((statement, cursor.rowcount))

    event.listen(ctx.db.engine, "after_cursor_execute", on_after)
    wallet.recharge(ctx, cashier, member_id=ids[-1], tier_code="luxury", pay_method="wechat", request_id="count-1")
    event.remove(ctx.db.engine, "after_cursor_execute", on_after)
    writes = _writes(path, before, updates)
    # the store as it is before the loop, for the replay
    ctx.db.engine.dispose()
    with sqlite3.connect(path) as c:
        c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    shutil.copyfile(path, tmp / "replay.db")
    transactions: list[list[tuple[str, Any, bool]]] = []

    def on_before(_conn: Any, _cursor: Any, statement: str, params: Any, _ctx: Any, many: bool) -> None:
        transactions[-1].append((statement, params, many))

    event.listen(ctx.db.engine, "before_cursor_execute", on_before)
    t0 = time.perf_counter()
    for i in range(n):
        transactions.append([])
        wallet.recharge(ctx, cashier, member_id=ids[i // 2], tier_code="luxury", pay_method="wechat",
                        request_id=f"bench-{i}")
    elapsed = time.perf_counter() - t0
    event.remove(ctx.db.engine, "before_cursor_execute", on_before)
    ctx.db.dispose()
    replay_s, replay_commit_s = _replay(tmp / "replay.db", transactions)
    with sqlite3.connect(path) as a, sqlite3.connect(tmp / "replay.db") as b:
        same = _counts(a, tables) == _counts(b, tables)
    return {
        "service_s": elapsed,
        "replay_s": replay_s,
        "replay_commit_s": replay_commit_s,
        "replay_same_rows": same,
        "statements_per_recharge": round(sum(len(t) for t in transactions) / n, 1),
        **writes,
    }


def run(quick: bool = False) -> dict[str, Any]:
    n = 100 if quick else 2000
    with tempfile.TemporaryDirectory(prefix="bench_recharge_") as tmp:
        bare_s = _bare(Path(tmp) / "bare.db", n)
        svc = _service(Path(tmp), n)
    ratio_a = svc["service_s"] / svc["replay_s"]
    ratio_b = svc["service_s"] / bare_s
    return {
        "n": n,
        "tier": "luxury",
        "service_ms_per_recharge": round(1000 * svc["service_s"] / n, 3),
        "replay_bare_sqlite_ms_per_recharge": round(1000 * svc["replay_s"] / n, 3),
        # of which COMMIT (WAL write + fsync of every page the rows touched): what no code above SQLite changes
        "replay_commit_ms_per_recharge": round(1000 * svc["replay_commit_s"] / n, 3),
        "bare_one_row_ms_per_commit": round(1000 * bare_s / n, 3),
        "ratio_a_service_over_replay": round(ratio_a, 2),
        "goal_ratio_a_max": 1.5,
        "meets_goal_a": ratio_a <= 1.5,
        "ratio_b_service_over_one_row_commit": round(ratio_b, 2),
        "goal_ratio_b_max": 4,
        "meets_goal_b": ratio_b <= 4,
        "goal_rows_max": 15,
        "meets_goal_rows": svc["rows_written"] <= 15,
        **{k: v for k, v in svc.items() if k not in ("service_s", "replay_s", "replay_commit_s")},
    }


def figures(r: dict[str, Any]) -> list[dict[str, Any]]:
    svc = r["service_ms_per_recharge"]
    return [
        figure("luxury_recharge_vs_replay", svc, unit="ms", baseline=r["replay_bare_sqlite_ms_per_recharge"],
               baseline_is="the same rows replayed with bare sqlite3", goal=1.5, goal_on="ratio", issue=10),
        figure("luxury_recharge_vs_one_row", svc, unit="ms", baseline=r["bare_one_row_ms_per_commit"],
               baseline_is="bare one-row insert + commit", goal=4, goal_on="ratio", issue=10),
        figure("rows_per_luxury_recharge", r["rows_written"], unit="rows", goal=15, issue=10),
    ]


if __name__ == "__main__":
    import json

    print(json.dumps(run(quick=True), indent=2))
