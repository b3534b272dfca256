"""A member's sale with the points program (member levels re-evaluated, task progress, a level's multiplier
and the pending period, all in the sale's transaction) against the same sale on the same campaign without
the program, measured in the same run. Goal: the program adds at most half (ratio <= 1.5)."""

from __future__ import annotations

import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pos_app.app import open_store
from pos_app.services import campaigns, checkout, members, staff, wallet
from pos_app.services.campaigns import read_campaign_file
from pos_app.services.checkout import LineInput, PaymentInput
from tests.bench.figures import figure
from tests.demo_campaign import DEMO_CAMPAIGN_FULL, demo_without_program

GOAL_RATIO = 1.5


class _Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(microseconds=50)
        return self.now


def _per_sale(path: Path, campaign: Path, n: int) -> list[float]:
    ctx = open_store(path)
    ctx.clock = _Clock()
    ctx.randbits = random.Random(7).getrandbits
    staff.init_store(ctx, store_name="bench", store_code="B001", manager_code="boss", manager_pin="9999")
    boss = staff.login(ctx, "boss", "9999")
    data = read_campaign_file(campaign)
    data["campaign"]["starts_on"], data["campaign"]["ends_on"] = "2026-11-01", "2027-01-31"
    campaigns.load_campaign(ctx, boss, data)
    mem = members.register_member(ctx, boss, phone="13900000001")
    wallet.recharge(ctx, boss, member_id=mem.member_id, amount_fen=1000_00)  # 银卡 with the program
    lines = [LineInput(category="宠物食品", amount_fen=120_00), LineInput(category="洗护美容", amount_fen=80_00)]
    out = []
    for i in range(n):
        t0 = time.perf_counter()
        checkout.ring_up(ctx, boss, request_id=f"b-{i}", member_id=mem.member_id, lines=lines, coupon_code=None,
                         payments=[PaymentInput("cash", 200_00)])
        out.append(time.perf_counter() - t0)
    ctx.db.dispose()
    return out


def run(quick: bool = False) -> dict[str, Any]:
    n = 10 if quick else 200
    with tempfile.TemporaryDirectory() as tmp:
        base = _per_sale(Path(tmp) / "base.db", demo_without_program(), n)
        prog = _per_sale(Path(tmp) / "program.db", DEMO_CAMPAIGN_FULL, n)
    b, p = statistics.median(base), statistics.median(prog)
    ratio = p / b if b > 0 else float("inf")
    return {
        "n": n,
        "sale_ms_median_without_program": round(b * 1000, 3),
        "sale_ms_median_with_program": round(p * 1000, 3),
        "ratio_program_over_base": round(ratio, 2),
        "goal_ratio_max": GOAL_RATIO,
        "meets_goal": ratio <= GOAL_RATIO,
    }


def figures(r: dict[str, Any]) -> list[dict[str, Any]]:
    return [figure("sale_with_levels_and_tasks", r["sale_ms_median_with_program"], unit="ms",
                   baseline=r["sale_ms_median_without_program"], baseline_is="the same sale without the points program",
                   goal=GOAL_RATIO, goal_on="ratio", issue=13)]
