"""PySide6 6.12 drops a reference to True on every Signal.emit; pos_app.ui pins True/False so a long
session never aborts. Run in a subprocess: without the fix the interpreter dies."""

from __future__ import annotations

import os
import subprocess
import sys

SCRIPT = """
import sys
n = sys.getrefcount(True) + 1000  # more emits than True has references without the fix
import pos_app.ui  # the fix
from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QApplication
app = QApplication([])
class B(QObject):
    s = Signal(object)
b = B()
b.s.connect(lambda x: None)
for _ in range(n):
    b.s.emit("x")
print("alive")
"""


def test_many_signal_emits_do_not_kill_the_process() -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    r = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "alive" in r.stdout
