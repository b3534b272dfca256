"""Shared fixtures: a real SQLite store database in a temp dir, staff of each role, the demo campaign,
a controllable clock and a seeded random source.

Every test starts from the same state whatever ran before it and whatever the user's machine holds: the
message language is the default, the user's settings, config file and default database path point into
the test's own temp dir, and hypothesis runs a fixed profile (see ``HYPOTHESIS_PROFILE`` below)."""

from __future__ import annotations

import os
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import settings

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# Hypothesis: a run gives the same answer every time and a failure replays. "ci" (the default) draws
# the same examples on every run (derandomized, so no example database is needed) and has no deadline:
# the 200 ms default fails at random on a loaded machine, and speed is judged by `make bench`, not by
# tests. HYPOTHESIS_PROFILE=dev explores new random examples (each run different, failures kept in
# .hypothesis/); print_blob prints the reproduce blob of a failure in both.
settings.register_profile("ci", derandomize=True, database=None, deadline=None, print_blob=True)
settings.register_profile("dev", deadline=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

from pos_app import messages  # noqa: E402
from pos_app.app import open_store  # noqa: E402
from pos_app.services import campaigns, staff  # noqa: E402
from pos_app.services.campaigns import read_campaign_file  # noqa: E402
from pos_app.services.context import Actor, ServiceContext  # noqa: E402
from tests.demo_campaign import DEMO_CAMPAIGN_FULL, demo_without_program  # noqa: E402, F401

ROOT = Path(__file__).resolve().parents[1]
#: the demo campaign as `pos-app demo` loads it (DEMO_CAMPAIGN_FULL: member levels, tasks and a pending period
#: included) and without them (DEMO_CAMPAIGN, for the tests of other areas): tests/demo_campaign.py
DEMO_CAMPAIGN = demo_without_program()


#: the user's own settings, read from the environment by the app and the CLI: never seen by a test
USER_ENV = ("POS_LANG", "POS_DB", "POS_STAFF", "POS_PIN", "POS_CENTRAL_URL", "POS_SYNC_MINUTES", "POS_PRINTER")


@pytest.fixture(autouse=True)
def _isolated(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No test shares state with another or with the user through the language, settings or files."""
    home = tmp_path_factory.mktemp("home")
    for name in USER_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("POS_CONFIG", str(home / "config.toml"))  # not there: the embedded defaults
    monkeypatch.setenv("POS_GUI_SETTINGS", str(home / "gui.ini"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))  # the default config and QSettings dirs
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))  # the default database path
    messages.set_language(messages.DEFAULT_LANG)
    yield
    messages.set_language(messages.DEFAULT_LANG)


class FakeClock:
    """A clock tests move by hand. Starts on a Monday, 10:00 Beijing time."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 11, 23, 2, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(microseconds=1)  # strictly increasing, like a real clock
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += timedelta(**kw)


@dataclass
class Store:
    ctx: ServiceContext
    clock: FakeClock
    path: Path
    manager: Actor
    cashier: Actor
    staff: Actor
    #: staff codes and PINs, for CLI and GUI tests
    pins: dict[str, str]


def make_store(path: Path, *, with_campaign: bool = True, seed: int = 1) -> Store:
    clock = FakeClock()
    ctx = open_store(path)
    ctx.clock = clock
    ctx.randbits = random.Random(seed).getrandbits
    staff.init_store(ctx, store_name="测试门店", store_code="T001", manager_code="boss", manager_pin="9999")
    manager = staff.login(ctx, "boss", "9999")
    staff.add_staff(ctx, manager, code="cash1", role="cashier", pin="1111", name="收银一")
    staff.add_staff(ctx, manager, code="shelf1", role="staff", pin="2222", name="店员一")
    if with_campaign:
        data = read_campaign_file(DEMO_CAMPAIGN)
        data["campaign"]["starts_on"] = "2026-11-01"
        data["campaign"]["ends_on"] = "2027-01-31"
        campaigns.load_campaign(ctx, manager, data)
    return Store(
        ctx=ctx,
        clock=clock,
        path=path,
        manager=manager,
        cashier=staff.login(ctx, "cash1", "1111"),
        staff=staff.login(ctx, "shelf1", "2222"),
        pins={"boss": "9999", "cash1": "1111", "shelf1": "2222"},
    )


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = make_store(tmp_path / "store.db")
    yield s
    s.ctx.db.dispose()


@pytest.fixture
def bare_store(tmp_path: Path) -> Iterator[Store]:
    """A store with staff but no campaign."""
    s = make_store(tmp_path / "store.db", with_campaign=False)
    yield s
    s.ctx.db.dispose()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get("POS_TEST_PG_URL"):
        return
    skip = pytest.mark.skip(reason="POS_TEST_PG_URL not set")
    for item in items:
        if "pg" in item.keywords:
            item.add_marker(skip)


# pytest-xdist: the reliability campaigns (tests/reliability) run in the workers; the controller adds up their
# counters and prints the summary block (without xdist, tests/reliability/conftest.py prints it itself)
@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: object, error: object) -> None:
    from tests.reliability.conftest import COUNTERS  # noqa: PLC0415

    COUNTERS.add(**getattr(node, "workeroutput", {}).get("reliability", {}))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    if config.pluginmanager.hasplugin("dsession"):  # the xdist controller
        from tests.reliability.conftest import print_summary  # noqa: PLC0415

        print_summary(terminalreporter)
