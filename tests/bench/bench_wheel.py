"""A lucky-wheel draw (issue 13): the cost taken from the member's points lots, the HMAC outcome, the draw's
log row, the prize paid (points), issued (coupon), reserved (gift) or held (virtual), the request record,
audit and outbox, through the service, against a bare one-row insert + commit with sqlite3 on the same
pragmas, measured in the same run. Goal ratio <= 4. Also the SQL statements one draw sends (a SQLAlchemy
listener attached here only), which do not depend on the machine's load."""

from __future__ import annotations

import random
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.bench.bench_mall import ROOT, _Clock
from tests.bench.bench_recharge import _bare
from tests.bench.figures import figure
from tests.bench.stmtcount import counting, per_call

GOAL_RATIO = 4


def _store(path: Path, n: int) -> Any:
    from pos_app.app import open_store
    from pos_app.services import campaigns, gifts, staff, wheel
    from pos_app.services.campaigns import read_campaign_file

    ctx = open_store(path)
    ctx.clock = _Clock()
    ctx.randbits = random.Random(7).getrandbits
    staff.init_store(ctx, store_name="基准门店", store_code="B001", manager_code="boss", manager_pin="9999")
    boss = staff.login(ctx, "boss", "9999")
    data = read_campaign_file(ROOT / "resources" / "campaigns" / "demo.toml")
    data["campaign"].update(starts_on="2026-11-01", ends_on="2027-01-31")
    for p in data["points"]["wheel"]["prizes"]:  # every tier lasts the run (what the weights say is drawn)
        p["quantity"] = max(int(p["quantity"]), 2 * n + 10)
    campaigns.load_campaign(ctx, boss, data)
    gifts.add_gift(ctx, boss, sku="FOOD-BOX", name="宠物食品礼盒")
    gifts.receive(ctx, boss, sku="FOOD-BOX", qty=2 * n + 10)
    wheel.publish(ctx, boss)
    return ctx, boss


def _service(tmp: Path, n: int) -> tuple[float, dict[str, Any], dict[str, int]]:
    from pos_app.services import members, points, wheel

    ctx, boss = _store(tmp / "svc.db", n)
    phones = [f"139{i:08d}" for i in range(50)]
    for p in phones:
        members.register_member(ctx, boss, phone=p)
        points.adjust(ctx, boss, phone=p, points=60 * n, reason="bench")
    wheel.draw(ctx, boss, phone=phones[0], use_ticket=False)  # warm: caches, prepared statements
    prizes: dict[str, int] = {}
    with counting(ctx.db.engine) as st:
        t0 = time.perf_counter()
        for i in range(n):
            r = wheel.draw(ctx, boss, phone=phones[i % 50], use_ticket=False)
            prizes[r.prize_code] = prizes.get(r.prize_code, 0) + 1
        elapsed = time.perf_counter() - t0
    ctx.db.dispose()
    return elapsed, per_call(st, n), prizes


def run(quick: bool = False) -> dict[str, Any]:
    n = 100 if quick else 1000
    with tempfile.TemporaryDirectory(prefix="bench_wheel_") as tmp:
        bare_s = _bare(Path(tmp) / "bare.db", n)
        svc_s, stmts, prizes = _service(Path(tmp), n)
    ratio = svc_s / bare_s
    return {"n": n, "service_ms_per_draw": round(1000 * svc_s / n, 3),
            "bare_one_row_ms_per_commit": round(1000 * bare_s / n, 3),
            "ratio_service_over_one_row_commit": round(ratio, 2), "goal_ratio_max": GOAL_RATIO,
            "meets_goal": ratio <= GOAL_RATIO, "prizes_drawn": dict(sorted(prizes.items())), **stmts}


def figures(r: dict[str, Any]) -> list[dict[str, Any]]:
    return [figure("wheel_draw", r["service_ms_per_draw"], unit="ms", baseline=r["bare_one_row_ms_per_commit"],
                   baseline_is="bare one-row insert + commit", goal=GOAL_RATIO, goal_on="ratio", issue=13)]
