"""The sync state machine (tests/sync/machine.py), the first half of its examples."""

from __future__ import annotations

from pathlib import Path

from tests.sync.machine import EXAMPLES, run_machine, world_in


def test_sync_survives_faults_and_converges(tmp_path: Path) -> None:
    with world_in(tmp_path):
        run_machine(EXAMPLES - EXAMPLES // 2)
