"""What the sync benchmarks share: central's database (PostgreSQL when ``POS_BENCH_PG_URL`` or ``POS_TEST_PG_URL``
names a server, in a database of its own, ``central_bench``, emptied first; an SQLite file otherwise; the JSON
says which), a real ``pos-central serve`` process on 127.0.0.1, a store initialised through the services and
paired with a one-time code, and an outbox bulk-loaded with events shaped like the ones the services write
(a registration, recharges with and without tier coupons, spends), so that central derives the same effects.

Sizes: each benchmark has its full size (the issue's) and ``--quick``; ``POS_BENCH_SYNC_SCALE`` (a float, e.g.
0.2) scales the full sizes for a run in between."""

from __future__ import annotations

import json
import os
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[2]
PG_BENCH_DB = "central_bench"


def scale(full: int, quick: int, is_quick: bool) -> int:
    if is_quick:
        return quick
    factor = float(os.environ.get("POS_BENCH_SYNC_SCALE") or 1)
    return max(quick, int(full * factor))


def pg_base() -> str | None:
    return os.environ.get("POS_BENCH_PG_URL") or os.environ.get("POS_TEST_PG_URL") or None


def central_url(tmp: Path, name: str = "central") -> tuple[str, str]:
    """(SQLAlchemy URL, "postgresql" | "sqlite") of an empty central database."""
    base = pg_base()
    if base is None:
        return f"sqlite:///{tmp / (name + '.db')}", "sqlite"
    url = make_url(base)
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": PG_BENCH_DB}).first() is None:
            conn.execute(text(f'CREATE DATABASE "{PG_BENCH_DB}"'))
    admin.dispose()
    bench = url.set(database=PG_BENCH_DB)
    engine = create_engine(bench, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return bench.render_as_string(hide_password=False), "postgresql"


def libpq_url(sqlalchemy_url: str) -> str:
    """The same PostgreSQL database as a plain libpq URL (for bare psycopg)."""
    return make_url(sqlalchemy_url).set(drivername="postgresql").render_as_string(hide_password=False)


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def central_server(db_url: str, workers: int = 1) -> Iterator[str]:
    """``pos-central serve`` in its own process(es); yields its base URL."""
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "POS_CENTRAL_LOG_LEVEL": "warning"}
    proc = subprocess.Popen([sys.executable, "-m", "pos_app.central", "serve", "--db", db_url, "--port", str(port),
                             "--workers", str(workers)], env=env, cwd=ROOT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(url + "/openapi.json", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError("the central server did not start")
            time.sleep(0.2)
        yield url
    finally:
        import signal

        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=60)


def new_store(path: Path, code: str) -> Any:
    """A store initialised through the services (manager ``boss``/9999); its ServiceContext."""
    from pos_app.app import open_store
    from pos_app.services import staff

    ctx = open_store(path)
    staff.init_store(ctx, store_name=f"基准门店{code}", store_code=code, manager_code="boss", manager_pin="9999")
    return ctx


def pair(ctx: Any, db_url: str, server_url: str, code: str) -> None:
    from pos_app.central import services as central
    from pos_app.services import staff, sync

    db = central.open_database(db_url, migrate=False)
    try:
        st = central.add_store(db, f"store {code}", code)
        pairing = central.device_code(db, st["store_id"])["code"]
    finally:
        db.dispose()
    sync.pair(ctx, staff.login(ctx, "boss", "9999"), server_url=server_url, code=pairing)


def _ms(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def queue_events(path: Path, n: int, *, store_code: str, seed_phone: int = 0) -> dict[str, int]:
    """Append ``n`` events to the store's outbox with bare sqlite3: per member, one registration, six recharges
    (one a tier recharge with a coupon) and three spends, each payload shaped as the services write it."""
    from pos_app.domain.ids import uuid7
    from pos_app.sync import protocol as p

    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA synchronous=OFF")  # loading only
    device_id, = conn.execute("SELECT device_id FROM store_info").fetchone()
    last, = conn.execute("SELECT COALESCE(MAX(seq), 0) FROM outbox").fetchone()
    at = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
    rows: list[tuple[Any, ...]] = []
    counts = {"member.registered": 0, "wallet.recharged": 0, "wallet.spent": 0}
    member: dict[str, Any] = {}
    i = 0

    def new_id() -> str:
        return str(uuid7(at))

    while i < n:
        k = i % 10
        if k == 0:
            m_no = seed_phone + i // 10
            member = {"id": new_id(), "phone": f"13{m_no:09d}", "p": 0, "b": 0}
            payload: dict[str, Any] = {
                "invite_code": f"I{m_no:07d}", "inviter_id": None, "member_code": f"M{m_no:010d}",
                "member_id": member["id"], "name": None, "phone": member["phone"], "request_id": new_id(),
                "store_code": store_code}
            kind = "member.registered"
        elif k <= 6:
            tier = k == 1
            amount, bonus = (50_000, 5_000) if tier else (10_000 + 100 * k, 0)
            member["p"] += amount
            member["b"] += bonus
            rid = new_id()
            coupons = [{"batch_id": rid, "bearer": False, "category": "宠物用品", "code": f"C{i:016d}",
                        "entitlement_id": new_id(), "id": new_id(), "kind": "amount_off", "max_discount_fen": 0,
                        "member_id": member["id"], "min_spend_fen": 10_000, "name": "宠物用品 20 元券", "percent_bp": 0,
                        "reason": None, "source": "tier", "store_code": store_code, "template": "PET20",
                        "valid_from": "2026-11-23", "valid_until": "2027-02-20", "value_fen": 2000}] if tier else []
            payload = {"amount_fen": amount, "bonus_after_fen": member["b"], "bonus_fen": bonus,
                       "campaign_code": "DEMO-RECHARGE", "coupons": coupons, "items": [], "member_id": member["id"],
                       "pay_method": "cash", "phone": member["phone"], "points": amount // 1000,
                       "principal_after_fen": member["p"], "receipt_no": f"{store_code}-20261123-{i:06d}",
                       "recharge_id": rid, "request_id": new_id(), "staff": "boss",
                       "tier_code": "basic" if tier else None}
            kind = "wallet.recharged"
        else:
            take_p, take_b = 900, 100
            member["p"] -= take_p
            member["b"] -= take_b
            payload = {"amount_fen": take_p + take_b, "bonus_after_fen": member["b"], "bonus_fen": take_b,
                       "member_id": member["id"], "principal_after_fen": member["p"], "principal_fen": take_p,
                       "request_id": new_id(), "spend_id": new_id(), "staff": "boss"}
            kind = "wallet.spent"
        text_ = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        at += timedelta(milliseconds=50)
        rows.append((last + i + 1, new_id(), device_id, kind, at.replace(tzinfo=None).isoformat(sep=" "), text_,
                     p.payload_hash(text_)))
        counts[kind] += 1
        i += 1
    conn.execute("BEGIN")
    conn.executemany("INSERT INTO outbox (seq, event_id, device_id, type, occurred_at, payload_json, payload_hash)"
                     " VALUES (?,?,?,?,?,?,?)", rows)
    conn.execute("COMMIT")
    conn.close()
    return counts


def pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def summary_ms(seconds: list[float]) -> dict[str, float]:
    ms = [s * 1000 for s in seconds]
    return {"n": len(ms), "p50_ms": round(statistics.median(ms), 2) if ms else 0.0, "p99_ms": round(pct(ms, 0.99), 2),
            "max_ms": round(max(ms), 2) if ms else 0.0}


def machine() -> dict[str, Any]:
    return {"cpus": os.cpu_count(), "load_avg_1m": round(os.getloadavg()[0], 2)}
