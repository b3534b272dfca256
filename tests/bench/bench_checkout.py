"""A 20-line sale with a coupon and a balance + WeChat split through ``checkout.ring_up``, against a bare
one-row insert + commit measured in the same run on a real SQLite file with the same PRAGMAs (WAL,
synchronous=FULL, foreign_keys=ON, ``BEGIN IMMEDIATE``). Goal: ratio <= 6. Also the rows one such sale
writes (counted for real: rows per table before/after one sale) and the barcode look-up the scanner uses
(``find_product``) on the catalogue.

Each sale: 19 product lines (scanned barcodes, member prices for a luxury-tier member) and one free
grooming line, the GROOM85 bearer coupon (15% off 洗护美容, at most 50 yuan) issued by hand, 30 yuan from
the balance and the rest by WeChat."""

from __future__ import annotations

import random
import sqlite3
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pos_app.app import open_store
from pos_app.services import campaigns, checkout, coupons, members, staff, wallet
from pos_app.services.campaigns import read_campaign_file
from pos_app.services.checkout import LineInput, PaymentInput
from tests.bench.bench_recharge import _bare
from tests.bench.figures import figure
from tests.demo_campaign import demo_without_program

ROOT = Path(__file__).resolve().parents[2]
GOAL_RATIO = 6.0


class _Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(microseconds=50)
        return self.now


def _tables(path: Path) -> dict[str, int]:
    with sqlite3.connect(path) as c:
        names = [r[0] for r in c.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
        return {t: c.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in names}


def run(quick: bool = False) -> dict[str, Any]:
    n = 10 if quick else 100
    products = 200 if quick else 5_000
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "store.db"
        ctx = open_store(path)
        ctx.clock = _Clock()
        ctx.randbits = random.Random(7).getrandbits
        staff.init_store(ctx, store_name="bench", store_code="B001", manager_code="boss", manager_pin="9999")
        boss = staff.login(ctx, "boss", "9999")
        data = read_campaign_file(demo_without_program())  # without member levels and tasks (tests/demo_campaign.py)
        campaigns.load_campaign(ctx, boss, data)
        cats = ("宠物食品", "宠物用品", "医疗")
        for i in range(products):
            checkout.add_product(ctx, boss, sku=f"P{i:06d}", barcode=f"69{i:011d}", name=f"商品{i}", category=cats[i % 3],
                                 price_fen=5_00 + i % 50, member_price_fen=4_50 + i % 50)
        mids = []
        for k in range(n // 20 + 1):  # each member: a luxury recharge (2,400 yuan), enough for 20 sales' balance parts
            mem = members.register_member(ctx, boss, phone=f"1390000{k:04d}")
            wallet.recharge(ctx, boss, member_id=mem.member_id, tier_code="luxury")
            mids.append(mem.member_id)
        codes = [c.code for c in coupons.issue_coupons(ctx, boss, template_code="GROOM85", count=n, reason="bench")]
        lines = [LineInput(barcode=f"69{(j * 37) % products:011d}") for j in range(19)]
        lines.append(LineInput(category="洗护美容", amount_fen=200_00))
        total = checkout.quote(ctx, boss, member_id=mids[0], lines=lines, coupon_code=codes[0]).total_fen
        pays = [PaymentInput("balance", 30_00), PaymentInput("wechat", total - 30_00)]
        before = _tables(path)
        checkout.ring_up(ctx, boss, request_id="bench-0", member_id=mids[0], lines=lines, coupon_code=codes[0],
                         payments=pays)
        after = _tables(path)
        inserted = {t: after[t] - before[t] for t in after if after[t] != before[t]}
        t0 = time.perf_counter()
        for i in range(1, n):
            checkout.ring_up(ctx, boss, request_id=f"bench-{i}", member_id=mids[i // 20], lines=lines,
                             coupon_code=codes[i], payments=pays)
        service_s = (time.perf_counter() - t0) / max(1, n - 1)
        look = []
        for j in range(200 if quick else 2_000):
            code = f"69{(j * 7919) % products:011d}"
            s0 = time.perf_counter()
            assert checkout.find_product(ctx, boss, code) is not None
            look.append(time.perf_counter() - s0)
        ctx.db.dispose()
        bare_s = _bare(Path(tmp) / "bare.db", n) / n
    ratio = service_s / bare_s if bare_s > 0 else float("inf")
    look.sort()
    return {
        "n": n,
        "lines_per_sale": len(lines),
        "catalogue_products": products,
        "rows_inserted_by_table": dict(sorted(inserted.items())),
        "rows_inserted": sum(inserted.values()),
        "service_ms_per_sale": round(service_s * 1000, 3),
        "bare_ms_per_commit": round(bare_s * 1000, 3),
        "ratio_service_over_bare": round(ratio, 2),
        "goal_ratio_max": GOAL_RATIO,
        "meets_goal": ratio <= GOAL_RATIO,
        "barcode_lookup_ms_median": round(statistics.median(look) * 1000, 3),
        "barcode_lookup_ms_p99": round(look[int(len(look) * 0.99) - 1] * 1000, 3),
    }


def figures(r: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        figure("sale_20_lines", r["service_ms_per_sale"], unit="ms", baseline=r["bare_ms_per_commit"],
               baseline_is="bare one-row insert + commit", goal=GOAL_RATIO, goal_on="ratio", issue=12),
        figure("rows_per_sale", r["rows_inserted"], unit="rows"),
        figure("barcode_lookup_p99", r["barcode_lookup_ms_p99"], unit="ms"),
    ]
