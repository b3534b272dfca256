"""The demo campaign file, whole or without its member levels, tasks and pending period (the part between the
markers below). The tests and benchmarks of other areas (checkout, reports, sync, the recharge foundation)
count points, prices and rows as the rules they test make them; the tests of levels and tasks load the whole
file, as `pos-app demo` does."""

from __future__ import annotations

import atexit
import os
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEMO_CAMPAIGN_FULL = ROOT / "resources" / "campaigns" / "demo.toml"
PROGRAM_START = "# --- member levels, tasks and the pending period (issue 13) ---"
PROGRAM_END = "# --- end of member levels, tasks and the pending period ---"


def demo_without_program() -> Path:
    """A copy of the demo campaign file without its member levels, tasks and pending period (in the temp dir,
    one per process)."""
    text = DEMO_CAMPAIGN_FULL.read_text(encoding="utf-8")
    head, found, rest = text.partition(PROGRAM_START)
    _, ended, tail = rest.partition(PROGRAM_END)
    assert found and ended, "the demo campaign's program markers are missing"
    out = Path(tempfile.gettempdir()) / f"pos_app-test-demo-{os.getpid()}.toml"
    out.write_text(head + tail, encoding="utf-8")
    atexit.register(out.unlink, missing_ok=True)
    return out
