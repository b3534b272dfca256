"""The checkout benchmark runs (quick sizes) and reports real counts; no timing is asserted (`make bench`)."""

from __future__ import annotations

import json

from tests.bench import bench_checkout


def test_checkout_benchmark_counts_the_rows_of_a_twenty_line_sale():
    out = json.loads(json.dumps(bench_checkout.run(quick=True)))
    assert out["n"] == 10 and out["lines_per_sale"] == 20
    assert out["rows_inserted_by_table"] == {
        "audit_log": 1, "coupon_event": 1, "outbox": 1, "points_lot": 1, "request_log": 1, "sale": 1,
        "sale_line": 20, "sale_payment": 2, "spend": 1, "spend_allocation": 1, "wallet_entry": 1,
    }
    assert out["rows_inserted"] == 31
    assert out["meets_goal"] == (out["ratio_service_over_bare"] <= out["goal_ratio_max"] == 6.0)
    assert out["barcode_lookup_ms_p99"] >= out["barcode_lookup_ms_median"] > 0
