"""Head office's report benchmark at a small size: it runs, its reports balance, and it reports sane figures (no
timing asserted)."""

from __future__ import annotations

from tests.bench import bench_central_reports


def test_the_central_report_benchmark_runs_small() -> None:
    res = bench_central_reports.measure(3_000)
    assert res["events"] >= 3_000 and res["wallet_entries"] > 0 and res["stores"] == 3
    assert res["campaign_month_ms"] > 0 and res["liability_month_ms"] > 0
    assert res["campaign_ratio"] is not None and res["campaign_events_per_s"] > 0
