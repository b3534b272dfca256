"""The foundation's benchmarks run (quick sizes) and report what they counted. No timing is asserted here:
speed is judged by `make bench`, not by tests; what is asserted is that the figures are real counts."""

from __future__ import annotations

import json

from tests.bench import bench_member_lookup, bench_read_paths, bench_recharge


def test_recharge_benchmark_counts_the_rows_and_index_entries_of_a_luxury_recharge():
    out = json.loads(json.dumps(bench_recharge.run(quick=True)))
    assert out["n"] == 100 and out["tier"] == "luxury"
    # the demo campaign's luxury tier: 3 coupons, the consultation voucher and the 5% rebate voucher are
    # coupons, issued at once: each coupon row is its entitlement's only row; 2 entitlements (the food
    # gift box, owed; member-price months); one row each elsewhere
    assert out["rows_inserted_by_table"] == {"audit_log": 1, "coupon": 5, "entitlement": 2, "outbox": 1,
                                             "points_lot": 1, "recharge": 1, "request_log": 1, "wallet_entry": 1}
    assert out["rows_updated_by_table"] == {"member": 1}
    assert out["rows_written"] == sum(out["rows_inserted_by_table"].values()) + 1 == 14
    assert out["meets_goal_rows"] is True and out["goal_rows_max"] == 15
    per_table = out["indexes_by_table"]
    assert out["index_entries_written"] == sum(n * per_table[t] for t, n in out["rows_inserted_by_table"].items()) + 1
    assert out["replay_same_rows"] is True  # the bare replay wrote exactly what the service wrote
    assert out["statements_per_recharge"] >= out["tables_written"]
    assert out["meets_goal_a"] == (out["ratio_a_service_over_replay"] <= 1.5)


def test_read_paths_benchmark_finds_every_row_it_looks_up():
    out = json.loads(json.dumps(bench_read_paths.run(quick=True)))
    assert out["rows_found"] == 2 * out["probes"] == 600
    for part in ("member_by_phone", "coupon_by_code"):
        for fig in ("repository", "bare_sqlite"):
            assert out[part][fig]["p50_ms"] <= out[part][fig]["p99_ms"] <= out[part][fig]["max_ms"]


def test_member_lookup_benchmark_reports_percentiles():
    out = json.loads(json.dumps(bench_member_lookup.run(quick=True)))
    assert out["members"] == 20_000
    for part in ("exact_phone_get_member", "prefix_find_members_50", "baseline_bare_sqlite_exact"):
        assert 0 < out[part]["p50_ms"] <= out[part]["p99_ms"]
    assert out["prefix_find_members_50"]["mean_rows"] > 0
