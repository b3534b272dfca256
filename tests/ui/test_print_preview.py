"""The app's print previews do not crash when they repaint (issue 9, item 2: the QPrinter went away with the
function that opened the preview; the preview then painted on a deleted printer and the app died in
libQt6Core). Each preview runs in a child process (tests/ui/print_child.py) that opens it on the real main
window, lets it re-render, zoom, resize and paint, and exits 0: a segfault there is a non-zero return code
here, a failure of this test instead of the end of the test run. ``make pytest`` runs these under Xvfb."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.xvfb
@pytest.mark.parametrize("preview", ["coupons", "stock", "receipt", "sale"])
def test_print_preview_repaints_without_crashing(preview: str, tmp_path: Path) -> None:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    proc = subprocess.run([sys.executable, "-m", "tests.ui.print_child", preview, str(tmp_path)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    crashed = proc.returncode < 0 and signal.Signals(-proc.returncode).name
    assert proc.returncode == 0, (crashed or proc.returncode, proc.stderr[-3000:])
    assert "preview ok" in proc.stdout
