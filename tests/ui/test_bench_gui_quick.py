"""The GUI benchmarks run at quick sizes and report JSON-able figures (no timing is asserted)."""

from __future__ import annotations

import json
from typing import Any


def test_bench_gui_start_quick() -> None:
    from tests.bench import bench_gui_start

    r = bench_gui_start.run(quick=True)  # raises when the app's child never shows its window
    json.dumps(r)
    assert r["repetitions"] == 3
    assert r["ok"] == (r["ratio"] <= r["goal_ratio"])  # type: ignore[operator]
    assert abs(r["ratio"] - r["app_login_shown_ms"] / r["baseline_empty_window_ms"]) < 0.02  # type: ignore[operator]


def test_bench_gui_search_quick(qapp: Any) -> None:
    from tests.bench import bench_gui_search

    r = bench_gui_search.run(quick=True)
    json.dumps(r)
    assert r["members"] == 20_000
    assert r["rows_shown"] == 50  # the prefix matches more than a page
    assert r["searches_run"] >= 2  # typed key by key, several searches ran
    assert r["gui_max_block_ms"] > 0 and r["baseline_idle_max_gap_ms"] > 0  # type: ignore[operator]
