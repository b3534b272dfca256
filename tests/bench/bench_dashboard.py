"""The campaign dashboard over a large store: the time until every figure of a campaign month is there
(``services.reports.campaign.campaign_report``: every section, the month and the previous month of the same
length), against a bare ``SELECT count(*)`` over the wallet ledger on the same file in the same run.

The store is initialised through the services, then bulk-loaded with plain INSERTs (tests/bench/store.py):
members, recharges, wallet ledger rows (the recharges' and spends'), sales with their lines and payments,
points lots and points ledger rows, coupons, referrals, spread over a year that ends today; the campaign
is the last 30 days. Full size: 5,000,000 wallet rows, 2,000,000 sales, 1,000,000 members; ``--quick``
a hundredth. Goal: all figures < 500 ms, timed as the median of three openings with nothing new, and of three
openings each after a day of the year's average activity was added (what the per-day summaries summarise then);
the first opening (which summarises the whole year) is reported beside them. Memory: the process's resident set
once the figures are there (goal < 400 MB)."""

from __future__ import annotations

import os
import random
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from tests.bench.figures import figure

DAY = 86_400
CATEGORIES = ("宠物食品", "宠物用品", "洗护美容", "寄养", "医疗")
METHODS = ("cash", "wechat", "alipay", "card", "balance")
TIERS = ("basic", "advanced", "luxury", None)
SIZES = {False: (1_000_000, 5_000_000, 2_000_000), True: (10_000, 50_000, 20_000)}


def _rss_mb() -> float:
    """The resident set size of this process now, in MB (Linux /proc)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return 0.0
    return round(pages * os.sysconf("SC_PAGE_SIZE") / 2**20, 1)


def _ts(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _mid(i: int) -> str:
    return f"00000000-0000-7000-8000-{i:012d}"


def _load(con: sqlite3.Connection, n_members: int, n_wallet: int, n_sales: int, now: float,
          staff_id: str, rnd: random.Random) -> dict[str, int]:
    """Bulk rows over the year before ``now``."""
    year = 365 * DAY
    n_recharges = n_wallet // 5
    con.execute("BEGIN")

    def when() -> float:
        return now - rnd.random() * year

    con.executemany(
        "INSERT INTO member (id, phone, member_code, invite_code, name, level, inviter_id, store_code, campaign_code,"
        " principal_fen, bonus_fen, points_balance, wallet_seq, member_price_until, created_at)"
        " VALUES (?, ?, ?, ?, NULL, NULL, NULL, 'B001', NULL, 0, 0, 0, 0, NULL, ?)",
        ((_mid(i), f"139{i:08d}", f"M{i:011d}", f"I{i:09d}", _ts(now - year - DAY)) for i in range(n_members)))

    def recharges() -> Iterator[tuple[Any, ...]]:
        for i in range(n_recharges):
            tier = TIERS[i % 4]
            amount = {"basic": 500_00, "advanced": 1000_00, "luxury": 2000_00}.get(tier or "", rnd.randint(1, 300) * 100)
            bonus = {"basic": 50_00, "advanced": 150_00, "luxury": 400_00}.get(tier or "", 0)
            yield (f"r{i}", f"rq{i}", _mid(rnd.randrange(n_members)), tier, amount, bonus, amount // 1000,
                   METHODS[i % 4], staff_id, _ts(when()), amount, bonus)

    con.executemany(
        "INSERT INTO recharge (id, request_id, member_id, campaign_code, tier_code, amount_fen, bonus_fen, points,"
        " pay_method, staff_id, created_at, principal_left_fen, bonus_left_fen, state, items_count)"
        " VALUES (?, ?, ?, 'BENCH', ?, ?, ?, ?, ?, ?, ?, ?, ?, 'active', 0)", recharges())

    def wallet() -> Iterator[tuple[Any, ...]]:
        for i in range(n_wallet):
            recharge = i < n_recharges
            p, b = (rnd.randint(1, 2000) * 100, rnd.randint(0, 200) * 100) if recharge else \
                (-rnd.randint(1, 500) * 100, -rnd.randint(0, 50) * 100)
            yield (f"w{i}", _mid(rnd.randrange(n_members)), i, "recharge" if recharge else "spend", p, b,
                   max(p, 0), max(b, 0), f"r{i}" if recharge else None, staff_id, _ts(when()))

    con.executemany(
        "INSERT INTO wallet_entry (id, member_id, seq, kind, principal_delta_fen, bonus_delta_fen, principal_after_fen,"
        " bonus_after_fen, recharge_id, staff_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", wallet())
    lines: list[tuple[Any, ...]] = []
    pays: list[tuple[Any, ...]] = []
    lots: list[tuple[Any, ...]] = []

    def flush() -> None:
        con.executemany("INSERT INTO sale_line (sale_id, no, sku, barcode, name, category, qty, list_unit_fen, unit_fen,"
                        " discount_fen, amount_fen) VALUES (?, ?, NULL, NULL, '商品', ?, 1, ?, ?, 0, ?)", lines)
        con.executemany("INSERT INTO sale_payment (sale_id, no, method, amount_fen, principal_fen, bonus_fen,"
                        " tendered_fen, change_fen) VALUES (?, 1, ?, ?, ?, ?, NULL, 0)", pays)
        con.executemany("INSERT INTO points_lot (id, member_id, source, points, remaining, earned_at, expires_on)"
                        " VALUES (?, ?, ?, ?, ?, ?, '2027-12-31')", lots)
        lines.clear()
        pays.clear()
        lots.clear()

    def sales() -> Iterator[tuple[Any, ...]]:
        for i in range(n_sales):
            at = _ts(when())
            member = _mid(rnd.randrange(n_members)) if i % 10 < 7 else None
            total = 0
            for no in range(1 + (i % 2)):
                amount = rnd.randint(5, 300) * 100
                total += amount
                lines.append((f"s{i}", no + 1, CATEGORIES[(i + no) % 5], amount, amount, amount))
            method = METHODS[i % 5] if member else METHODS[i % 4]
            bonus = total // 10 if method == "balance" else 0
            pays.append((f"s{i}", method, total, total - bonus if method == "balance" else 0, bonus))
            if member:
                lots.append((f"l{i}", member, "sale", total // 1000, total // 1000, at))
            if len(lines) > 20_000:
                flush()
            yield (f"s{i}", f"B001-S{i:09d}", member, staff_id, at, total, 0, 0, total, total - bonus, total - bonus,
                   total // 1000, 1 + (i % 2))
        flush()

    con.executemany(
        "INSERT INTO sale (id, receipt_no, member_id, staff_id, created_at, subtotal_fen, saving_fen, discount_fen,"
        " total_fen, paid_fen, eligible_fen, change_fen, points, lines_count, state)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, 'complete')", sales())
    n_coupons = n_members // 2
    con.executemany(
        "INSERT INTO coupon (id, code, template_code, kind, name, value_fen, percent_bp, max_discount_fen, min_spend_fen,"
        " category, member_id, bearer, valid_from, valid_until, state, source, store_code, issued_at, redeemed_at,"
        " discount_fen) VALUES (?, ?, 'PET20', 'amount_off', '券', 2000, 0, 0, 10000, '宠物用品', ?, 0, '2026-01-01', ?,"
        " ?, 'tier', 'B001', ?, ?, ?)",
        ((f"c{i}", f"C{i:015d}", _mid(rnd.randrange(n_members)),
          (datetime.fromtimestamp(t, UTC).date() + timedelta(days=90)).isoformat(), st, _ts(t),
          _ts(t + DAY) if st == "redeemed" else None, 2000 if st == "redeemed" else None)
         for i in range(n_coupons) for t in [when()] for st in ["redeemed" if i % 3 == 0 else "issued"]))
    con.executemany(
        "INSERT INTO points_entry (id, member_id, lot_id, kind, delta, ref, created_at) VALUES (?, ?, ?, ?, ?, NULL, ?)",
        ((f"e{i}", _mid(rnd.randrange(n_members)), f"l{i * 10}", "spend" if i % 4 else "expire", -rnd.randint(1, 50),
          _ts(when())) for i in range(n_sales // 10) if (i * 10) % 10 < 7))
    n_ref = n_members // 20
    con.executemany(
        "INSERT INTO referral (id, inviter_id, invitee_id, campaign_code, state, registered_at, qualified_at)"
        " VALUES (?, ?, ?, 'BENCH', ?, ?, ?)",
        ((f"f{i}", _mid(rnd.randrange(n_members)), _mid(i), "qualified" if i % 2 else "registered", _ts(t),
          _ts(t + DAY) if i % 2 else None) for i in range(n_ref) for t in [when()]))
    con.execute("COMMIT")
    con.execute("ANALYZE")
    return {"members": n_members, "recharges": n_recharges, "wallet_rows": n_wallet, "sales": n_sales,
            "coupons": n_coupons, "referrals": n_ref}


def _load_redemptions(path: Path, n_members: int, now: float, staff_id: str, rnd: random.Random) -> int:
    """Points mall redemptions and premium requests over the year before ``now`` for the campaign's items
    (one for every ten members), in every state; the picked-up ones with their change logged."""
    con = sqlite3.connect(path)
    items = con.execute("SELECT id, program, points, cash_fen FROM mall_item WHERE campaign_code = 'BENCH'").fetchall()
    states = {"mall": ("issued", "reserved", "picked_up", "picked_up"),
              "premium": ("requested", "approved", "rejected", "fulfilled", "received", "cancelled")}
    n = n_members // 10
    rows, log = [], []
    for i in range(n):
        item_id, program, pts, cash = items[i % len(items)]
        at = now - rnd.random() * 365 * DAY
        st = states[program][i % len(states[program])]
        done = _ts(at + DAY) if st in ("fulfilled", "received") else None
        carrier = "顺丰" if done and i % 2 else None
        rows.append((f"x{i}", f"xq{i}", program, item_id, _mid(rnd.randrange(n_members)), st, pts, cash, f"X{i:014d}",
                     carrier, staff_id, _ts(at), _ts(at + DAY if st != "requested" else at), done))
        if st == "picked_up":
            log.append((f"xl{i}", f"x{i}", "reserved", st, "pick_up", staff_id, _ts(at + DAY)))
    con.execute("BEGIN")
    con.executemany(
        "INSERT INTO redemption (id, request_id, program, item_id, member_id, state, points, cash_fen, code, carrier,"
        " staff_id, created_at, updated_at, fulfilled_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    con.executemany("INSERT INTO redemption_log (id, redemption_id, from_state, to_state, event, staff_id, created_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?)", log)
    con.execute("COMMIT")
    con.execute("ANALYZE")
    con.close()
    return n


def _add_day(path: Path, n_members: int, n_wallet: int, n_sales: int, now: float, staff_id: str,
             rnd: random.Random, tag: str) -> int:
    """A day of the year's average activity added after the dashboard opened (recharges with their ledger rows,
    sales with their lines, payments and points lots), at times in the last day: what the next opening
    summarises. The rows it added."""
    n_rech, n_sale = n_wallet // 5 // 365, n_sales // 365
    con = sqlite3.connect(path)
    con.execute("BEGIN")

    def at() -> str:
        return _ts(now - rnd.random() * DAY)

    con.executemany(
        "INSERT INTO recharge (id, request_id, member_id, campaign_code, tier_code, amount_fen, bonus_fen, points,"
        " pay_method, staff_id, created_at, principal_left_fen, bonus_left_fen, state, items_count)"
        " VALUES (?, ?, ?, 'BENCH', 'basic', 50000, 5000, 50, 'cash', ?, ?, 50000, 5000, 'active', 0)",
        [(f"r{tag}{i}", f"rq{tag}{i}", _mid(rnd.randrange(n_members)), staff_id, at()) for i in range(n_rech)])
    sales, lines, pays = [], [], []
    for i in range(n_sale):
        member = _mid(rnd.randrange(n_members)) if i % 10 < 7 else None
        amount = rnd.randint(5, 300) * 100
        sales.append((f"s{tag}{i}", f"B001-S{tag}{i:07d}", member, staff_id, at(), amount, amount, amount, amount // 1000))
        lines.append((f"s{tag}{i}", CATEGORIES[i % 5], amount, amount, amount))
        pays.append((f"s{tag}{i}", METHODS[i % 4], amount))
    con.executemany(
        "INSERT INTO sale (id, receipt_no, member_id, staff_id, created_at, subtotal_fen, saving_fen, discount_fen,"
        " total_fen, paid_fen, eligible_fen, change_fen, points, lines_count, state)"
        " VALUES (?, ?, ?, ?, ?, ?, 0, 0, ?, ?, 0, 0, ?, 1, 'complete')",
        [(i, r, mb, st, t, a, a, a, p) for i, r, mb, st, t, a, _a2, _a3, p in sales])
    con.executemany("INSERT INTO sale_line (sale_id, no, sku, barcode, name, category, qty, list_unit_fen, unit_fen,"
                    " discount_fen, amount_fen) VALUES (?, 1, NULL, NULL, '商品', ?, 1, ?, ?, 0, ?)", lines)
    con.executemany("INSERT INTO sale_payment (sale_id, no, method, amount_fen, principal_fen, bonus_fen,"
                    " tendered_fen, change_fen) VALUES (?, 1, ?, ?, 0, 0, NULL, 0)", pays)
    con.execute("COMMIT")
    con.close()
    return n_rech + 3 * n_sale


def _time(fn: Any, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def run(quick: bool = False) -> dict[str, Any]:
    from pos_app.app import open_store
    from pos_app.services import campaigns, staff
    from pos_app.services.campaigns import read_campaign_file
    from pos_app.services.reports import campaign as cr
    from tests.bench.store import new_bench_store
    from tests.conftest import DEMO_CAMPAIGN

    # POS_BENCH_DASHBOARD_SCALE=0.25: a quarter of the full size (the full load takes long on a slow machine)
    scale = 1.0 if quick else float(os.environ.get("POS_BENCH_DASHBOARD_SCALE", "1"))
    n_members, n_wallet, n_sales = (int(n * scale) for n in SIZES[quick])
    rnd = random.Random(14)
    with tempfile.TemporaryDirectory(prefix="bench_dashboard_") as tmp:
        path = Path(tmp) / "store.db"
        con = new_bench_store(path)
        staff_id = con.execute("SELECT id FROM staff WHERE code = 'boss'").fetchone()[0]
        now = time.time()
        t0 = time.perf_counter()
        sizes = _load(con, n_members, n_wallet, n_sales, now, staff_id, rnd)
        load_s = round(time.perf_counter() - t0, 1)
        con.close()
        ctx = open_store(path)
        boss = staff.login(ctx, "boss", "9999")
        data = read_campaign_file(DEMO_CAMPAIGN)
        today = datetime.fromtimestamp(now, ZoneInfo("Asia/Shanghai")).date()  # the bench store's day
        first: date = today - timedelta(days=29)
        data["campaign"].update(code="BENCH", name="基准活动", starts_on=first.isoformat(), ends_on=today.isoformat())
        campaigns.load_campaign(ctx, boss, data)
        sizes["redemptions"] = _load_redemptions(path, n_members, now, staff_id, rnd)
        rss_before = _rss_mb()

        def figures() -> None:
            cr.campaign_report(ctx, boss, campaign_code="BENCH", from_day=first, to_day=today)

        cold = _time(figures, 1)
        warm = _time(figures, 3)
        # a day's activity added between two openings: the next opening summarises only those rows
        added = 0
        after_day = []
        for k in range(3):
            added = _add_day(path, n_members, n_wallet, n_sales, time.time(), staff_id, rnd, f"d{k}-")
            after_day += _time(figures, 1)
        report = cr.campaign_report(ctx, boss, campaign_code="BENCH", from_day=first, to_day=today)
        info, per = cr.resolve(ctx, boss, campaign_code="BENCH", period=cr.CAMPAIGN)
        by_section = {name: round(statistics.median(_time(
            lambda name=name: cr.section(ctx, boss, name, campaign=info, period=per), 2)), 1) for name in cr.SECTIONS}
        rss_after = _rss_mb()
        bare = sqlite3.connect(path)
        baseline = _time(lambda: bare.execute("SELECT count(*) FROM wallet_entry").fetchone(), 3)
        bare.close()
        ctx.db.dispose()
    ms = statistics.median(warm)
    base = statistics.median(baseline)
    return {
        **sizes,
        "scale": scale,
        "load_seconds": load_s,
        "period_days": per.days,
        "recharge_principal_fen": report.section("recharge").figure("recharge.principal").value,
        "all_figures_ms": {"first": round(cold[0], 1), "median": round(ms, 1), "runs": [round(x, 1) for x in warm]},
        "after_a_day_added_ms": {"rows_added_each": added, "median": round(statistics.median(after_day), 1),
                                 "runs": [round(x, 1) for x in after_day]},
        "by_section_ms": by_section,
        "bare_count_wallet_ms": round(base, 1),
        "ratio_over_bare_count": round(ms / base, 2) if base else None,
        "goal_ms_max": 500,
        "meets_goal": ms < 500,
        "rss_mb": {"after_load": rss_before, "figures_shown": rss_after, "goal_max": 400,
                   "meets_goal": rss_after < 400},
    }


def figures(r: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        figure("all_figures_campaign_month", r["all_figures_ms"]["median"], unit="ms",
               baseline=r["bare_count_wallet_ms"] or None, baseline_is="bare count(*) over the wallet ledger",
               goal=500, op="<", issue=14),
        figure("all_figures_after_a_day_added", r["after_a_day_added_ms"]["median"], unit="ms",
               baseline=r["bare_count_wallet_ms"] or None, baseline_is="bare count(*) over the wallet ledger",
               goal=500, op="<", issue=14),
        figure("first_opening_all_figures", r["all_figures_ms"]["first"], unit="ms", issue=14),
        figure("rss_figures_shown", r["rss_mb"]["figures_shown"], unit="MB", goal=400, op="<", issue=14),
    ]


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps(run(quick="--quick" in sys.argv), indent=2, ensure_ascii=False))
