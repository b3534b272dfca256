"""An idle sync round (issue 11): a paired store with nothing to push and nothing to pull runs ``sync.run_round``
as the app's scheduler does (a new client, one signed pull, the page's empty local transaction, the round's log
line) against a real ``pos-central serve`` process: p50/p99 over 1,000 rounds (quick: 100). Baseline in the same
run: one signed ``GET /v1/ping`` with a new client (the TCP connection and the server's signature check, nothing
of the store). Central on PostgreSQL when ``POS_BENCH_PG_URL`` / ``POS_TEST_PG_URL`` is set, else SQLite.
Goal: p99 < 50 ms."""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.bench import sync_common as sc
from tests.bench.figures import figure

GOAL_P99_MS = 50.0


def run(quick: bool = False) -> dict[str, Any]:
    from pos_app.central import services as central
    from pos_app.services import sync
    from pos_app.services.common import settings
    from pos_app.sync import credentials
    from pos_app.sync.client import CentralClient

    rounds = sc.scale(1_000, 100, quick)
    saved = os.environ.get("POS_SYNC_CREDENTIALS")
    with tempfile.TemporaryDirectory(prefix="bench_sync_idle_") as tmp_:
        tmp = Path(tmp_)
        os.environ["POS_SYNC_CREDENTIALS"] = str(tmp / "credentials")
        try:
            db_url, backend = sc.central_url(tmp)
            db = central.open_database(db_url)
            central.init(db)
            db.dispose()
            with sc.central_server(db_url) as url:
                ctx = sc.new_store(tmp / "A001.db", "A001")
                sc.pair(ctx, db_url, url, "A001")
                sync.run_round(ctx)  # its set-up events go; from now on every round is idle
                for _ in range(5):
                    sync.run_round(ctx)  # warm
                took: list[float] = []
                for _ in range(rounds):
                    t0 = time.perf_counter()
                    got = sync.run_round(ctx)
                    took.append(time.perf_counter() - t0)
                    assert got.pushed == 0 and got.pulled == 0 and got.pending == 0, got
                with ctx.uow(read_only=True) as uow:
                    cred = credentials.load(settings(uow).device_id)
                assert cred is not None
                pings: list[float] = []
                for _ in range(rounds):
                    t0 = time.perf_counter()
                    with CentralClient(cred.server_url, device_id=cred.device_id, secret=cred.secret) as c:
                        c.ping()
                    pings.append(time.perf_counter() - t0)
                ctx.db.dispose()
        finally:
            if saved is None:
                os.environ.pop("POS_SYNC_CREDENTIALS", None)
            else:
                os.environ["POS_SYNC_CREDENTIALS"] = saved
    idle = sc.summary_ms(took)
    base = sc.summary_ms(pings)
    return {
        "backend": backend,
        "idle_round": idle,
        "baseline_signed_ping": base,
        "ratio_p50": round(idle["p50_ms"] / base["p50_ms"], 1) if base["p50_ms"] else None,
        "goal_p99_ms": GOAL_P99_MS,
        "goal_met": idle["p99_ms"] < GOAL_P99_MS,
        "machine": sc.machine(),
    }


def figures(r: dict[str, Any]) -> list[dict[str, Any]]:
    return [figure("idle_round_p99", r["idle_round"]["p99_ms"], unit="ms",
                   baseline=r["baseline_signed_ping"]["p99_ms"] or None, baseline_is="a signed ping's p99",
                   goal=GOAL_P99_MS, op="<", issue=11)]
