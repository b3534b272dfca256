"""Peak memory of the counter app on a big store: ``pos-app --db DB gui`` in a child process (offscreen), a
cashier logged in and a phone-prefix search shown on the counter screen, with 1,000,000 members (quick:
20,000; bulk-inserted as ``bench_gui_search.build_db`` does). The figure is the child's peak RSS (VmHWM in
/proc/self/status, read in the child); the baseline is a bare QApplication with an empty window, measured the
same way in the same run. Goal (issue 16): < 400 MB."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.bench.figures import figure
from tests.bench.memory_child import MARKER


def _child(args: list[str]) -> list[int]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    p = subprocess.run([sys.executable, "-m", "tests.bench.memory_child", *args], capture_output=True, text=True,
                       env=env, timeout=600)
    for line in p.stdout.splitlines():
        if line.startswith(MARKER):
            return [int(x) for x in line.split()[1:]]
    raise RuntimeError(f"no {MARKER} from the child (exit {p.returncode}): {p.stdout[-500:]} {p.stderr[-1500:]}")


def run(quick: bool = False) -> dict[str, Any]:
    from tests.bench.bench_gui_search import build_db

    n = 20_000 if quick else 1_000_000
    with tempfile.TemporaryDirectory(prefix="bench_memory_") as tmp:
        db = Path(tmp) / "big.db"
        t0 = time.perf_counter()
        ctx = build_db(db, n)
        ctx.db.dispose()
        build_s = time.perf_counter() - t0
        prefix = f"13{(n // 2):09d}"[:8]
        base_kb = _child(["--baseline"])[0]
        app_kb, rows = _child([str(db), prefix])
    return {
        "members": n,
        "db_build_s": round(build_s, 1),
        "prefix": prefix,
        "rows_shown": rows,
        "app_peak_rss_mb": round(app_kb / 1024, 1),
        "baseline_empty_window_peak_rss_mb": round(base_kb / 1024, 1),
        "goal_mb": 400,
        "ok": app_kb / 1024 < 400,
    }


def figures(r: dict[str, Any]) -> list[dict[str, Any]]:
    return [figure("counter_search_peak_rss", r["app_peak_rss_mb"], unit="MB",
                   baseline=r["baseline_empty_window_peak_rss_mb"], baseline_is="bare QApplication + empty window",
                   goal=400, op="<", issue=16)]


if __name__ == "__main__":
    import json

    print(json.dumps(run(quick="--quick" in sys.argv), indent=2))
