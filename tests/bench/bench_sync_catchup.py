"""Catch-up and pull-apply (issue 11, "Benchmark additions"), against a real ``pos-central serve`` process.

Catch-up: one store with N = 100,000 queued events (quick: 5,000; shaped as the services write them: per member a
registration, six recharges, one of them a tier recharge with a coupon, and three spends) runs ``sync.run_round``
as the app does (batches of ``sync.PUSH_BATCH``, signed HTTP): events/s of the push phase. Baseline in the same
run: the same event rows (read back from central) written with bare psycopg ``COPY`` and with ``executemany``
into a table made ``LIKE events INCLUDING ALL`` in the same PostgreSQL database (SQLite: bare sqlite3
``executemany`` in one transaction into a table with the same columns and indexes). Central is PostgreSQL when
``POS_BENCH_PG_URL`` / ``POS_TEST_PG_URL`` is set, else SQLite (``backend`` says which).
Goals: >= 10,000 events/s and catch-up / bare COPY <= 4.

Pull-apply: a second store, paired afterwards, pulls the change feed those events made (members, wallet entries
and coupon states of the first store) and applies it page by page (``sync.PULL_PAGE`` per page, each page in
one local transaction with its cursor): changes/s of the whole round, and of the apply alone (the round less
the time spent waiting on HTTP pulls). Goal: >= 5,000 changes/s."""

from __future__ import annotations

import os
import sqlite3
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.bench import sync_common as sc
from tests.bench.figures import figure

GOAL_EVENTS_PER_S = 10_000
GOAL_RATIO = 4.0
GOAL_APPLY_PER_S = 5_000
COLS = ("event_id", "device_id", "store_id", "seq", "type", "occurred_at", "payload_json", "payload_hash",
        "received_ms")


def _timed_factory(times: dict[str, float]) -> Any:
    from pos_app.sync.client import CentralClient

    class Timed(CentralClient):
        def push(self, events: list[dict[str, Any]]) -> dict[str, Any]:
            t0 = time.perf_counter()
            try:
                return super().push(events)
            finally:
                times["push_s"] += time.perf_counter() - t0

        def pull(self, cursor: str | None, limit: int) -> dict[str, Any]:
            t0 = time.perf_counter()
            try:
                return super().pull(cursor, limit)
            finally:
                times["pull_s"] += time.perf_counter() - t0

    return lambda cred: Timed(cred.server_url, device_id=cred.device_id, secret=cred.secret, timeout_s=120)


def _rows(db_url: str, device_id: str) -> list[tuple[Any, ...]]:
    from sqlalchemy import create_engine, text

    engine = create_engine(db_url)
    with engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(text(f"SELECT {', '.join(COLS)} FROM events WHERE device_id = :d "
                                                    "ORDER BY seq"), {"d": device_id})]
    engine.dispose()
    return rows


def _bare_pg(db_url: str, rows: list[tuple[Any, ...]]) -> dict[str, float]:
    import psycopg

    out: dict[str, float] = {}
    with psycopg.connect(sc.libpq_url(db_url)) as conn:
        for name in ("bench_copy", "bench_many"):
            conn.execute(f"DROP TABLE IF EXISTS {name}")
            conn.execute(f"CREATE TABLE {name} (LIKE events INCLUDING ALL)")
        conn.commit()
        t0 = time.perf_counter()
        with conn.cursor() as cur, cur.copy(f"COPY bench_copy ({', '.join(COLS)}) FROM STDIN") as copy:
            for r in rows:
                copy.write_row(r)
        conn.commit()
        out["copy_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        with conn.cursor() as cur:
            cur.executemany(f"INSERT INTO bench_many ({', '.join(COLS)}) VALUES ({', '.join(['%s'] * len(COLS))})",
                            rows)
        conn.commit()
        out["executemany_s"] = time.perf_counter() - t0
        for name in ("bench_copy", "bench_many"):
            conn.execute(f"DROP TABLE {name}")
        conn.commit()
    return out


def _bare_sqlite(db_url: str, rows: list[tuple[Any, ...]]) -> dict[str, float]:
    conn = sqlite3.connect(db_url.removeprefix("sqlite:///"), isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("DROP TABLE IF EXISTS bench_many")
    conn.execute("CREATE TABLE bench_many (event_id VARCHAR(36) PRIMARY KEY, device_id VARCHAR(64), store_id "
                 "VARCHAR(36), seq BIGINT, type VARCHAR(64), occurred_at VARCHAR(40), payload_json TEXT, payload_hash "
                 "VARCHAR(64), received_ms BIGINT)")
    for ix, cols in (("ix_bm_store", "store_id"), ("ix_bm_type", "type"), ("ix_bm_device_seq", "device_id, seq")):
        conn.execute(f"CREATE INDEX {ix} ON bench_many ({cols})")
    t0 = time.perf_counter()
    conn.execute("BEGIN IMMEDIATE")
    conn.executemany(f"INSERT INTO bench_many ({', '.join(COLS)}) VALUES ({', '.join(['?'] * len(COLS))})", rows)
    conn.execute("COMMIT")
    took = time.perf_counter() - t0
    conn.execute("DROP TABLE bench_many")
    conn.close()
    return {"executemany_s": took}


def run(quick: bool = False) -> dict[str, Any]:
    from pos_app.central import services as central
    from pos_app.services import sync
    from pos_app.services.common import settings

    n = sc.scale(100_000, 5_000, quick)
    saved = os.environ.get("POS_SYNC_CREDENTIALS")
    with tempfile.TemporaryDirectory(prefix="bench_sync_catchup_") as tmp_:
        tmp = Path(tmp_)
        os.environ["POS_SYNC_CREDENTIALS"] = str(tmp / "credentials")
        try:
            db_url, backend = sc.central_url(tmp)
            db = central.open_database(db_url)
            central.init(db)
            db.dispose()
            with sc.central_server(db_url) as url:
                a = sc.new_store(tmp / "A001.db", "A001")
                sc.pair(a, db_url, url, "A001")
                sync.run_round(a)  # its own set-up events: what is timed is the queue below
                kinds = sc.queue_events(tmp / "A001.db", n, store_code="A001")
                times = {"push_s": 0.0, "pull_s": 0.0}
                t0 = time.perf_counter()
                got = sync.run_round(a, client_factory=_timed_factory(times))
                round_s = time.perf_counter() - t0
                assert got.pending == 0 and got.pushed == n, got
                with a.uow(read_only=True) as uow:
                    device_id = settings(uow).device_id
                a.db.dispose()

                b = sc.new_store(tmp / "B002.db", "B002")
                sc.pair(b, db_url, url, "B002")
                b_times = {"push_s": 0.0, "pull_s": 0.0}
                t0 = time.perf_counter()
                pulled = sync.run_round(b, client_factory=_timed_factory(b_times))
                pull_round_s = time.perf_counter() - t0
                b.db.dispose()
            rows = _rows(db_url, device_id)
            assert len(rows) >= n
            rows = rows[-n:]
            bare = _bare_pg(db_url, rows) if backend == "postgresql" else _bare_sqlite(db_url, rows)
        finally:
            if saved is None:
                os.environ.pop("POS_SYNC_CREDENTIALS", None)
            else:
                os.environ["POS_SYNC_CREDENTIALS"] = saved
    per_s = n / times["push_s"]
    base_s = bare.get("copy_s", bare["executemany_s"])
    apply_s = pull_round_s - b_times["pull_s"] - b_times["push_s"]
    apply_per_s = pulled.pulled / apply_s if apply_s > 0 else 0.0
    return {
        "backend": backend,
        "events": n,
        "event_kinds": kinds,
        "push_batch": sync.PUSH_BATCH,
        "catch_up": {
            "push_s": round(times["push_s"], 2), "round_s": round(round_s, 2),
            "events_per_s": round(per_s), "goal_events_per_s": GOAL_EVENTS_PER_S,
            "goal_met": per_s >= GOAL_EVENTS_PER_S,
        },
        "baseline": {k: round(v, 3) for k, v in bare.items()} | {
            "rows_per_s": round(n / base_s), "what": "bare psycopg COPY / executemany of the same event rows into a "
                                                    "table LIKE events INCLUDING ALL" if backend == "postgresql"
            else "bare sqlite3 executemany of the same event rows, one transaction, same columns and indexes"},
        "ratio_vs_bare": round(times["push_s"] / base_s, 1),
        "ratio_vs_executemany": round(times["push_s"] / bare["executemany_s"], 1),
        "goal_ratio": GOAL_RATIO,
        "ratio_goal_met": times["push_s"] / base_s <= GOAL_RATIO,
        "pull_apply": {
            "changes": pulled.pulled, "pull_page": sync.PULL_PAGE, "round_s": round(pull_round_s, 2),
            "http_pull_s": round(b_times["pull_s"], 2), "apply_s": round(apply_s, 2),
            "changes_per_s_round": round(pulled.pulled / pull_round_s),
            "changes_per_s_apply": round(apply_per_s),
            "goal_changes_per_s": GOAL_APPLY_PER_S,
            "goal_met": pulled.pulled / pull_round_s >= GOAL_APPLY_PER_S,
        },
        "machine": sc.machine(),
    }


def figures(r: dict[str, Any]) -> list[dict[str, Any]]:
    cu, pa, base = r["catch_up"], r["pull_apply"], r["baseline"]
    return [
        figure("catch_up_events_per_s", cu["events_per_s"], unit="/s", goal=GOAL_EVENTS_PER_S, op=">=", issue=11),
        figure("catch_up_push", cu["push_s"], unit="s", baseline=base.get("copy_s", base["executemany_s"]) or None,
               baseline_is=f"bare {'COPY' if 'copy_s' in base else 'executemany'} of the same rows ({r['backend']})",
               goal=GOAL_RATIO, goal_on="ratio", issue=11),
        figure("pull_apply_changes_per_s", pa["changes_per_s_round"], unit="/s", goal=GOAL_APPLY_PER_S, op=">=", issue=11),
    ]
