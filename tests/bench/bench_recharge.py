"""Recharges through ``wallet.recharge`` against a bare sqlite3 insert+commit of one row.

Both run on a real SQLite file with the same PRAGMAs (WAL, synchronous=FULL, foreign_keys=ON) and
``BEGIN IMMEDIATE`` per transaction, in the same run, so the ratio is what the service layer costs
on this machine. Goal: service / bare <= 5."""

from __future__ import annotations

import random
import sqlite3
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pos_app import bootstrap
from pos_app.app import open_store
from pos_app.db.uow import UnitOfWork
from pos_app.domain.campaign import GRANT_COUPON, GRANT_VOUCHER
from pos_app.services import campaigns, members, staff, wallet
from pos_app.services.campaigns import read_campaign_file
from pos_app.services.registry import Feature, Registrar

ROOT = Path(__file__).resolve().parents[2]
TIERS = ("basic", "advanced", "luxury")


class _Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(microseconds=50)
        return self.now


def _bare(path: Path, n: int) -> float:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA busy_timeout=30000")
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, member TEXT NOT NULL, amount_fen INTEGER NOT NULL, at TEXT)")
    t0 = time.perf_counter()
    for i in range(n):
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO t (member, amount_fen, at) VALUES (?, ?, ?)", (f"m{i % 50}", 50_000, str(i)))
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - t0
    conn.close()
    return elapsed


def _service(path: Path, n: int, features: tuple[Feature, ...] | None = None) -> tuple[float, dict[str, Any]]:
    ctx = open_store(path, features=features)
    ctx.clock = _Clock()
    ctx.randbits = random.Random(7).getrandbits
    staff.init_store(ctx, store_code="B001", manager_code="boss", manager_pin="9999")
    boss = staff.login(ctx, "boss", "9999")
    staff.add_staff(ctx, boss, code="c1", role="cashier", pin="1111")
    data = read_campaign_file(ROOT / "resources" / "campaigns" / "demo.toml")
    campaigns.load_campaign(ctx, boss, data)
    cashier = staff.login(ctx, "c1", "1111")  # logged in once, outside the loop (argon2 is slow on purpose)
    # enough members that no one passes the 5,000-yuan cap: at most 2 luxury-sized recharges each
    n_members = max(10, n // 2 + 1)
    ids = [
        members.register_member(ctx, cashier, phone=f"139{i:08d}", request_id=f"reg-{i}").member_id
        for i in range(n_members)
    ]
    commit_s = [0.0]
    orig_commit = UnitOfWork.commit

    def timed_commit(self: UnitOfWork) -> None:
        t = time.perf_counter()
        orig_commit(self)
        commit_s[0] += time.perf_counter() - t

    UnitOfWork.commit = timed_commit  # type: ignore[method-assign]
    t0 = time.perf_counter()
    try:
        for i in range(n):
            wallet.recharge(
                ctx, cashier, member_id=ids[i // 2], tier_code=TIERS[i % 3] if i % 4 else None,
                amount_fen=None if i % 4 else 300_00, pay_method="wechat", request_id=f"bench-{i}",
            )
        elapsed = time.perf_counter() - t0
    finally:
        UnitOfWork.commit = orig_commit  # type: ignore[method-assign]
    with ctx.uow(read_only=True) as uow:
        from sqlalchemy import func, select

        from pos_app.db import models as m

        rows = uow.session.scalar(select(func.count()).select_from(m.Recharge)) or 0
        ents = uow.session.scalar(select(func.count()).select_from(m.Entitlement)) or 0
    ctx.db.dispose()
    return elapsed, {
        "recharge_rows": rows,
        "entitlement_rows": ents,
        # flush of the last ORM changes + COMMIT (WAL write and fsync of every page the recharge touched)
        "service_commit_ms_per_recharge": round(1000 * commit_s[0] / n, 3),
    }


def _foundation_only(path: Path, n: int) -> float:
    """The same loop without the feature modules (coupon issue, gift stock, referrals): only the handlers
    the registry requires, doing nothing. What the foundation's recharge itself costs."""

    def register(reg: Registrar) -> None:
        for kind in (GRANT_COUPON, GRANT_VOUCHER):
            reg.refund_entitlement(kind, lambda uow, ctx, actor, e: "kept")
        reg.count_unused_coupons(lambda uow, member_id, today: 0)

    return _service(path, n, (Feature("foundation_only", register),))[0]


def run(quick: bool = False) -> dict[str, Any]:
    n = 100 if quick else 2000
    with tempfile.TemporaryDirectory(prefix="bench_recharge_") as tmp:
        bare_s = _bare(Path(tmp) / "bare.db", n)
        svc_s, counts = _service(Path(tmp) / "store.db", n)
        core_s = _foundation_only(Path(tmp) / "core.db", n)
    bare_rate = n / bare_s
    svc_rate = n / svc_s
    core_rate = n / core_s
    return {
        "n": n,
        "baseline_bare_sqlite_per_s": round(bare_rate, 1),
        "service_recharge_per_s": round(svc_rate, 1),
        "ratio_service_over_bare": round(bare_rate / svc_rate, 2),
        "goal_ratio_max": 5,
        "meets_goal": bare_rate / svc_rate <= 5,
        "service_ms_per_recharge": round(1000 * svc_s / n, 3),
        "bare_ms_per_commit": round(1000 * bare_s / n, 3),
        "feature_hooks": list(bootstrap.registry().features),
        "foundation_only_per_s": round(core_rate, 1),
        "foundation_only_ratio": round(bare_rate / core_rate, 2),
        "foundation_only_ms_per_recharge": round(1000 * core_s / n, 3),
        **counts,
    }


if __name__ == "__main__":
    import json

    print(json.dumps(run(quick=True), indent=2))
