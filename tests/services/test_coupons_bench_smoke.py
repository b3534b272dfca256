"""The coupon benchmark in its quick size: it runs and reports sane figures (no timing asserted)."""

from __future__ import annotations

from tests.bench import bench_coupons


def test_coupon_benchmark_quick_run():
    res = bench_coupons.run(quick=True)
    p = res["pdf"]
    assert p["coupons"] == 200 and p["pages"] == 20 and p["pdf_bytes"] > 10_000
    assert p["coupons_per_second"] > 0 and p["ratio_vs_baseline"] > 0
    lk = res["code_lookup"]
    assert lk["issued_coupons"] == 20_000 and lk["probes"] == 500
    assert 0 < lk["p50_ms"] <= lk["p99_ms"] and lk["baseline_raw_sqlite_pk_p99_ms"] > 0
