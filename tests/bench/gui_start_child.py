"""Child process of ``bench_gui_start``: the counter app's real start (``pos-app --db DB gui``, through the
CLI), watched from outside. It prints ``POS_LOGIN_SHOWN`` once the event loop runs with the app's main
window (login page) on screen, then quits the app; the app itself knows nothing of this.

    python -m tests.bench.gui_start_child DB
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from tests.bench.bench_gui_start import MARKER


def main(db: str) -> int:
    app = QApplication(sys.argv[:1])  # the app reuses the running QApplication

    def watch() -> None:
        from pos_app.ui.main import MainWindow  # noqa: PLC0415  (loaded by the app by now)

        if any(isinstance(w, MainWindow) and w.isVisible() for w in app.topLevelWidgets()):
            print(MARKER, flush=True)
            app.quit()
        else:
            QTimer.singleShot(0, watch)

    QTimer.singleShot(0, watch)  # first runs when the app's event loop starts
    from pos_app.cli import main as pos_app_main  # noqa: PLC0415

    return pos_app_main(["--db", db, "gui"])


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1]))
