"""Reliability campaigns (issue 16): crash, disk full and read-only, lock contention, fuzzing.

Every campaign is bounded. The CI size is small; ``POS_RELIABILITY_SCALE=N`` (an integer, default 1)
multiplies the kills, the contention time and the fuzz examples by N (``POS_RELIABILITY_SCALE=10`` is a
long run). Each campaign adds what it did to one set of counters, printed at the end of the pytest
session and, when ``POS_RELIABILITY_SUMMARY=FILE`` is set, written to FILE as JSON. Under pytest-xdist
(``make pytest``) each worker counts its own, adds them into the JSON file, and hands them to the controller,
which prints the sum (the hooks in tests/conftest.py)."""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import pytest


def scale() -> int:
    """How much bigger than the CI size to run (POS_RELIABILITY_SCALE, >= 1)."""
    text = os.environ.get("POS_RELIABILITY_SCALE", "").strip()
    try:
        return max(1, int(text)) if text else 1
    except ValueError:
        raise pytest.UsageError(f"POS_RELIABILITY_SCALE must be a whole number, not {text!r}") from None


def scaled(n: int) -> int:
    return n * scale()


@dataclass
class Counters:
    """What the campaigns did in this session. ``lost`` and ``doubled`` must stay 0: each campaign counts
    what it found before it asserts, so a failing run still reports how much."""

    operations: int = 0
    kills_survived: int = 0
    faults_injected: int = 0
    inputs_tried: int = 0
    rows_checked: int = 0
    #: the crash campaign's last sync round: events found on central exactly once, and central's changes found
    #: in the store exactly once
    synced: int = 0
    lost: int = 0
    doubled: int = 0

    def add(self, **counts: int) -> None:
        for name, n in counts.items():
            setattr(self, name, getattr(self, name) + n)

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


#: one set per pytest process (a pytest-xdist worker has its own; the file adds them up)
COUNTERS = Counters()


@pytest.fixture(scope="session")
def campaign() -> Iterator[Counters]:
    yield COUNTERS


def _touched() -> bool:
    return any(COUNTERS.as_dict().values())


def _write_summary(path: str) -> None:
    """Add this process's counters into the JSON file (under a lock: xdist workers write the same file)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target.with_name(target.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        total = Counters()
        run = os.environ.get("PYTEST_XDIST_TESTRUNUID")  # the same in every worker of one run; None without xdist
        try:
            old = json.loads(target.read_text(encoding="utf-8"))
            if run is not None and old.get("run") == run:
                total.add(**{k: int(v) for k, v in old.items() if k in total.as_dict()})
        except (OSError, ValueError, AttributeError):
            pass
        total.add(**COUNTERS.as_dict())
        tmp = target.with_name(target.name + ".part")
        tmp.write_text(json.dumps({**total.as_dict(), "scale": scale(), "run": run}, indent=2, sort_keys=True) + "\n",
                       encoding="utf-8")
        os.replace(tmp, target)


def pytest_sessionfinish(session: pytest.Session) -> None:
    path = os.environ.get("POS_RELIABILITY_SUMMARY")
    if path and _touched():
        _write_summary(path)
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:  # a pytest-xdist worker: the controller prints the sum (tests/conftest.py)
        workeroutput["reliability"] = COUNTERS.as_dict()


def print_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not _touched():
        return
    terminalreporter.section("reliability campaigns")
    for name, n in COUNTERS.as_dict().items():
        terminalreporter.write_line(f"{name.replace('_', ' '):>16}: {n}")
    terminalreporter.write_line(f"{'scale':>16}: {scale()} (POS_RELIABILITY_SCALE)")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    if not config.pluginmanager.hasplugin("dsession"):  # the xdist controller's is printed by tests/conftest.py
        print_summary(terminalreporter)
