"""The main window fits the common counter screens (1366x768, 1024x768) and never resizes itself, also
when a long low-stock banner appears (issue 9, item 8). Runs the probe in a real X server (Xvfb)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from pos_app.ui.main import MIN_SIZE

ROOT = Path(__file__).resolve().parents[2]


def _inside(outer: list[int], inner: list[int]) -> bool:
    ox, oy, ow, oh = outer
    x, y, w, h = inner
    return x >= ox and y >= oy and x + w <= ox + ow and y + h <= oy + oh


def test_minimum_size_works_at_1024x768() -> None:
    assert MIN_SIZE.width() <= 1024 and MIN_SIZE.height() <= 700


@pytest.mark.skipif(shutil.which("xvfb-run") is None, reason="needs Xvfb")
@pytest.mark.parametrize("screen", ["1366x768", "1024x768"])
def test_window_fits_the_screen_and_keeps_its_size(screen: str, tmp_path: Path) -> None:
    env = dict(os.environ, QT_QPA_PLATFORM="xcb", PYTHONPATH=str(ROOT), POS_GUI_SETTINGS=str(tmp_path / "gui.ini"))
    r = subprocess.run(
        ["xvfb-run", "-a", "-s", f"-screen 0 {screen}x24", sys.executable, "-m", "tests.ui.window_fit_probe"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=240, check=False,
    )
    assert r.returncode == 0, r.stderr[-3000:]
    out: dict[str, Any] = json.loads(r.stdout.strip().splitlines()[-1])
    w, h = (int(v) for v in screen.split("x"))
    assert out["screen"][2:] == [w, h]
    assert _inside(out["screen"], out["shown"]), out
    assert out["min"][0] <= 1024 and out["min"][1] <= 700
    assert out["logged_in"] == out["shown"]
    assert "宠物毛巾" in out["alert_text"]
    assert out["banner"] == out["shown"], "the banner resized the window"
    assert out["after_screens"] == out["shown"], "a screen resized the window"
    assert _inside(out["shown"], out["status_bar"]) and out["status_visible"], out
    assert out["table_hscroll"] == 0 and out["table_fits"] and out["phone_whole"], out
