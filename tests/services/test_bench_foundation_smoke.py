"""The foundation's benchmarks run (quick sizes) and report JSON-able figures with their baselines.
No timing is asserted here: speed is judged by `make bench`, not by tests."""

from __future__ import annotations

import json

from tests.bench import bench_member_lookup, bench_recharge


def test_recharge_benchmark_reports_rates_and_ratio():
    out = json.loads(json.dumps(bench_recharge.run(quick=True)))
    assert out["n"] == 100 and out["recharge_rows"] == 100
    assert out["baseline_bare_sqlite_per_s"] > 0 and out["service_recharge_per_s"] > 0
    assert out["ratio_service_over_bare"] > 0 and out["foundation_only_ratio"] > 0


def test_member_lookup_benchmark_reports_percentiles():
    out = json.loads(json.dumps(bench_member_lookup.run(quick=True)))
    assert out["members"] == 20_000
    for part in ("exact_phone_get_member", "prefix_find_members_50", "baseline_bare_sqlite_exact"):
        assert 0 < out[part]["p50_ms"] <= out[part]["p99_ms"]
    assert out["prefix_find_members_50"]["mean_rows"] > 0
