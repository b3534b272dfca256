"""The stock benchmark in its quick size: it runs, its bulk-loaded ledger is sound, its queries return rows."""

from __future__ import annotations

from tests.bench import bench_stock


def test_stock_benchmark_quick_run():
    res = bench_stock.run(quick=True)
    assert res["skus"] == 500 and res["movements"] == 50_000
    assert res["load_stock_levels_all"]["rows"] == 500
    assert res["filter_by_text"]["rows"] == 11  # 礼品12, 礼品120..129
    assert res["movements_by_kind_and_month"]["rows"] > 0
    checks = res["doctor_gift_checks"]
    assert checks["gift_on_hand_equals_movements"] and checks["gift_stock_not_negative"] and checks["gift_movements_chain"]
    assert res["ratio_load_over_bare_select"] > 0
