"""Cold start of the counter app to its login window shown, against a bare QApplication + empty
QMainWindow shown, measured in the same run (subprocesses, QT_QPA_PLATFORM=offscreen).

The app is started by ``gui_start_child`` (the same ``pos-app --db DB gui`` a user runs, watched from
outside), which prints ``POS_LOGIN_SHOWN`` once the app's window is on screen and its event loop runs;
the baseline prints the same marker after showing an empty QMainWindow. Goal: ratio <= 2.5."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.bench.figures import figure

MARKER = "POS_LOGIN_SHOWN"
BASELINE = (
    "from PySide6.QtWidgets import QApplication, QMainWindow\n"
    "app = QApplication([])\nw = QMainWindow()\nw.show()\napp.processEvents()\n"
    f"print({MARKER!r}, flush=True)\n"
)


def _time_to_marker(cmd: list[str], env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    assert p.stdout is not None
    for line in p.stdout:
        if MARKER in line:
            dt = time.perf_counter() - t0
            break
    else:
        p.wait()
        raise RuntimeError(f"no {MARKER} from {cmd}")
    p.wait(timeout=60)
    return dt


def run(quick: bool = False) -> dict[str, object]:
    reps = 3 if quick else 9
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "store.db")
        app_cmd = [sys.executable, "-m", "tests.bench.gui_start_child", db]
        base_cmd = [sys.executable, "-c", BASELINE]
        _time_to_marker(base_cmd, env)  # warm the OS file cache for both
        _time_to_marker(app_cmd, env)
        app_t, base_t = [], []
        for _ in range(reps):  # interleaved, so drift hits both alike
            base_t.append(_time_to_marker(base_cmd, env))
            app_t.append(_time_to_marker(app_cmd, env))
    app_ms = statistics.median(app_t) * 1000
    base_ms = statistics.median(base_t) * 1000
    return {
        "repetitions": reps,
        "app_login_shown_ms": round(app_ms, 1),
        "baseline_empty_window_ms": round(base_ms, 1),
        "ratio": round(app_ms / base_ms, 2),
        "goal_ratio": 2.5,
        "ok": app_ms / base_ms <= 2.5,
    }


def figures(r: dict[str, Any]) -> list[dict[str, Any]]:
    return [figure("login_window_shown", r["app_login_shown_ms"], unit="ms", baseline=r["baseline_empty_window_ms"],
                   baseline_is="bare QApplication + empty window", goal=2.5, goal_on="ratio", issue=10)]


if __name__ == "__main__":
    import json

    print(json.dumps(run(quick="--quick" in sys.argv), indent=2))
