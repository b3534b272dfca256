"""Child process of ``bench_memory``: the counter app's real start (``pos-app --db DB gui``, through the CLI),
then a cashier's login and a phone-prefix search on the counter screen, as a person would do it; once the
results are shown it prints ``POS_PEAK_RSS_KB <VmHWM>`` (the process's peak resident set, /proc/self/status)
and quits. With ``--baseline``: a bare QApplication with an empty window shown, measured the same way.

    python -m tests.bench.memory_child DB PREFIX
    python -m tests.bench.memory_child --baseline
"""

from __future__ import annotations

import sys
import time
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMainWindow

MARKER = "POS_PEAK_RSS_KB"


def peak_rss_kb() -> int:
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise RuntimeError("no VmHWM in /proc/self/status")


def baseline() -> int:
    app = QApplication(sys.argv[:1])
    w = QMainWindow()
    w.show()
    end = time.perf_counter() + 0.5
    while time.perf_counter() < end:
        app.processEvents()
        time.sleep(0.005)
    print(MARKER, peak_rss_kb(), flush=True)
    return 0


def main(db: str, prefix: str) -> int:
    app = QApplication(sys.argv[:1])  # the app reuses the running QApplication
    state: dict[str, Any] = {"step": "window", "t0": time.perf_counter()}

    def watch() -> None:
        from pos_app.ui.main import MainWindow  # noqa: PLC0415  (loaded by the app by now)

        if time.perf_counter() - state["t0"] > 300:
            print("POS_MEMORY_TIMEOUT", state["step"], flush=True)
            app.quit()
            return
        win = next((w for w in app.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()), None)
        if state["step"] == "window" and win is not None and win.appctx.has_ctx:
            from pos_app.services import staff  # noqa: PLC0415

            win.on_login(staff.login(win.appctx.ctx, "c01", "1111"))
            state.update(step="search", win=win)
        elif state["step"] == "search":
            counter = state["win"].screens.get("counter")
            if counter is not None:
                counter.search.setFocus()
                counter.search.setText(prefix)
                state.update(step="results", counter=counter)
        elif state["step"] == "results":
            counter = state["counter"]
            if counter.last_query == prefix and state["win"].appctx.worker.pending == 0 and counter.model.rowCount():
                state.update(step="shown", until=time.perf_counter() + 0.5, rows=counter.model.rowCount())
        elif state["step"] == "shown" and time.perf_counter() > state["until"]:
            print(MARKER, peak_rss_kb(), state["rows"], flush=True)
            app.quit()
            return
        QTimer.singleShot(5, watch)

    QTimer.singleShot(0, watch)  # first runs when the app's event loop starts
    from pos_app.cli import main as pos_app_main  # noqa: PLC0415

    return pos_app_main(["--db", db, "gui"])


if __name__ == "__main__":
    if sys.argv[1:] == ["--baseline"]:
        raise SystemExit(baseline())
    raise SystemExit(main(sys.argv[1], sys.argv[2]))
