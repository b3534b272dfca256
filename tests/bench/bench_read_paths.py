"""Read paths through the repositories (pos_app.db.repo), each against a bare ``sqlite3`` indexed SELECT
of the same row on the same file, in the same run: an exact member look-up by phone
(``repo.members.view_row``) and a coupon look-up by code (``repo.coupons.view_by_code``, with its owner's
phone), each in its own read-only unit of work as the read use cases run them (Core on the unit of work's
one connection: no session, no ORM object). The use cases around them (``members.get_member``, which also
builds the member view, and ``coupons.get_coupon``) are reported beside, and so are the loads of the same
rows as ORM objects (``repo.members.get``, ``repo.coupons.by_code``: what a writing use case changes).
Goal: repository / bare <= 10."""

from __future__ import annotations

import random
import sqlite3
import statistics
import tempfile
from pathlib import Path
from typing import Any

from pos_app.app import open_store
from pos_app.db import repo
from pos_app.domain import coupons as rules
from pos_app.services import coupons, members, staff
from tests.bench.bench_member_lookup import _bulk_insert, _percentiles, _phone, _time
from tests.bench.figures import figure


def _bulk_coupons(path: Path, n: int, rnd: random.Random, n_members: int) -> list[str]:
    """``n`` issued coupons: four in five owned by a random member, the rest bearer coupons (as a store's
    mix: the planner's statistics then see member_id as the selective column it is)."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA synchronous=OFF")  # loading only
    codes = [rules.new_code(rnd.getrandbits) for _ in range(n)]
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO coupon (id, code, template_code, kind, name, value_fen, percent_bp, max_discount_fen,"
        " min_spend_fen, category, member_id, bearer, valid_from, valid_until, state, source, entitlement_id,"
        " store_code, issued_at, issued_by, reason, batch_id) VALUES (?, ?, 'B', 'amount_off', '券', 1000, 0, 0,"
        " 0, '', ?, ?, '2026-01-01', '2027-12-31', 'issued', 'manual', NULL, 'B001',"
        " '2026-01-01 00:00:00.000000', NULL, 'bench', NULL)",
        [(f"00000000-0000-7000-9000-{i:012d}", c, owner, owner is None)
         for i, c in enumerate(codes)
         for owner in [f"00000000-0000-7000-8000-{rnd.randrange(n_members):012d}" if i % 5 else None]],
    )
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    conn.close()
    return codes


def _ratio(a: list[float], b: list[float]) -> float:
    return round(statistics.median(a) / statistics.median(b), 1)


def run(quick: bool = False) -> dict[str, Any]:
    n_members, n_coupons, probes = (20_000, 20_000, 300) if quick else (1_000_000, 1_000_000, 2000)
    rnd = random.Random(5)
    with tempfile.TemporaryDirectory(prefix="bench_reads_") as tmp:
        path = Path(tmp) / "store.db"
        ctx = open_store(path)
        staff.init_store(ctx, store_code="B001", manager_code="boss", manager_pin="9999")
        boss = staff.login(ctx, "boss", "9999")
        _bulk_insert(path, n_members)
        codes = _bulk_coupons(path, n_coupons, rnd, n_members)
        phones = [_phone(rnd.randrange(n_members)) for _ in range(probes)]
        wanted = [codes[rnd.randrange(n_coupons)] for _ in range(probes)]
        found: list[bool] = []
        loaded: list[bool] = []  # the same rows as ORM objects

        def by_phone(p: str) -> None:
            with ctx.uow(read_only=True) as uow:
                found.append(repo.members.view_row(uow.connection, phone=p) is not None)

        def by_code(c: str) -> None:
            with ctx.uow(read_only=True) as uow:
                found.append(repo.coupons.view_by_code(uow.connection, c) is not None)

        def orm_phone(p: str) -> None:
            with ctx.uow(read_only=True) as uow:
                loaded.append(repo.members.get(uow.session, phone=p) is not None)

        def orm_code(c: str) -> None:
            with ctx.uow(read_only=True) as uow:
                loaded.append(repo.coupons.by_code(uow.session, c) is not None)

        it = iter(phones)
        repo_phone = _time(lambda: by_phone(next(it)), probes)
        it = iter(wanted)
        repo_code = _time(lambda: by_code(next(it)), probes)
        it = iter(phones)
        orm_phone_t = _time(lambda: orm_phone(next(it)), probes)
        it = iter(wanted)
        orm_code_t = _time(lambda: orm_code(next(it)), probes)
        it = iter(phones)
        svc_phone = _time(lambda: members.get_member(ctx, boss, phone=next(it)), probes)
        it = iter(wanted)
        svc_code = _time(lambda: coupons.get_coupon(ctx, boss, next(it)), probes)
        bare = sqlite3.connect(path)
        it = iter(phones)
        bare_phone = _time(lambda: bare.execute("SELECT * FROM member WHERE phone = ?", (next(it),)).fetchone(), probes)
        it = iter(wanted)
        bare_code = _time(lambda: bare.execute("SELECT * FROM coupon WHERE code = ?", (next(it),)).fetchone(), probes)
        bare.close()
        ctx.db.dispose()
    r_phone, r_code = _ratio(repo_phone, bare_phone), _ratio(repo_code, bare_code)
    return {
        "members": n_members,
        "coupons": n_coupons,
        "probes": probes,
        "rows_found": sum(found),
        "orm_rows_loaded": sum(loaded),
        "member_by_phone": {
            "repository": _percentiles(repo_phone), "bare_sqlite": _percentiles(bare_phone),
            "use_case_get_member": _percentiles(svc_phone), "orm_object_load": _percentiles(orm_phone_t),
            "ratio_repository_over_bare_p50": r_phone, "goal_ratio_max": 10, "meets_goal": r_phone <= 10,
        },
        "coupon_by_code": {
            "repository": _percentiles(repo_code), "bare_sqlite": _percentiles(bare_code),
            "use_case_get_coupon": _percentiles(svc_code), "orm_object_load": _percentiles(orm_code_t),
            "ratio_repository_over_bare_p50": r_code, "goal_ratio_max": 10, "meets_goal": r_code <= 10,
        },
    }


def figures(r: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for key, name in (("member_by_phone", "member_by_phone_p50"), ("coupon_by_code", "coupon_by_code_p50")):
        part = r[key]
        out.append(figure(name, part["repository"]["p50_ms"], unit="ms", baseline=part["bare_sqlite"]["p50_ms"],
                          baseline_is="bare sqlite3 SELECT p50", goal=part["goal_ratio_max"], goal_on="ratio",
                          issue=10))
    return out


if __name__ == "__main__":
    import json

    print(json.dumps(run(quick=True), indent=2))
