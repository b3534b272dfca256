"""Crash campaign: a child process runs the mixed counter operations of :mod:`tests.reliability.crash_child`
(register, recharge, check-in, sale, coupon, gift hand-out, wheel draw, return, refund, a pulled sync page,
the push acknowledgement) on one real store file, and is killed with SIGKILL at random points (seeded) at
least 100 times. After every kill: ``doctor`` passes; every operation the child logged as committed is in the
store exactly once (its request record, its audit row, its outbox event); nothing the child did not see is
there except the one operation it was in the middle of; a refusal wrote nothing; the outbox is gap-free with
unique event ids and holds one event per committed operation; a pulled page is applied with its cursor or not
at all. The next child goes on from the first operation nobody saw committed, replaying it with the same
request id (which must not apply it twice).

The kill waits for behaviour, not time: once the child logged a random number (1-3) of operations, plus a
random jitter of up to one operation's time so the kill lands anywhere in a transaction. The central server
is not run here (tests/sync covers the wire): the pulled pages are the ones central serves, applied through
``sync.apply_page``, and the push is recorded through ``sync.record_push``."""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import sqlite3
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from pos_app.app import open_store
from pos_app.services import demo, doctor, gifts, staff
from pos_app.services.context import ServiceContext
from pos_app.services.usecase import USE_CASES
from tests.reliability import crash_child
from tests.reliability.conftest import Counters, scaled
from tests.services.test_crash import _q

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")]

KILLS = scaled(100)
#: a child that logs nothing for this long is stuck (a bound, never reached when all is well)
STUCK_S = 60.0


@pytest.fixture(scope="module")
def forkserver() -> multiprocessing.context.ForkServerContext:
    mp = multiprocessing.get_context("forkserver")
    mp.set_forkserver_preload(["tests.reliability.crash_child"])
    return mp


@pytest.fixture
def demo_store(tmp_path: Path) -> Iterator[tuple[Path, ServiceContext]]:
    """The demo store (its campaign running today, the wheel published) with gifts enough on the shelf."""
    path = tmp_path / "store.db"
    ctx = open_store(path)
    demo.load_demo(ctx)
    boss = staff.login(ctx, "admin", "8888")
    for sku, *_ in gifts.DEMO_GIFTS:
        gifts.receive(ctx, boss, sku=sku, qty=10_000, request_id=f"stock-{sku}")
    yield path, ctx
    ctx.db.dispose()


class SideLog:
    """The child's log of what it saw committed, read as it grows."""

    def __init__(self, path: Path) -> None:
        path.touch()
        self.f = path.open(encoding="utf-8")
        self.lines: list[str] = []
        self._part = ""

    def poll(self) -> int:
        self._part += self.f.read()
        *done, self._part = self._part.split("\n")
        self.lines += done
        return len(self.lines)

    def entries(self) -> list[tuple[str, int, str]]:
        crashed = [ln for ln in self.lines if ln.startswith("crash")]
        assert not crashed, crashed
        return [(w[0], int(w[1]), w[2]) for w in (ln.split() for ln in self.lines)]


def _event_counts(path: Path) -> Counter[str]:
    return Counter(dict(_q(path, "SELECT type, COUNT(*) FROM outbox GROUP BY type")))


def check_after_kill(path: Path, log: SideLog, baseline: Counter[str], counters: Counters) -> int:
    """Everything the module docstring promises after a kill; the next operation to run."""
    entries = log.entries()
    seen = Counter(i for _, i, _ in entries)
    counters.add(doubled=sum(n - 1 for n in seen.values()))
    assert set(seen.values()) <= {1}, "an operation was logged twice"
    next_i = max(seen, default=-1) + 1
    assert sorted(seen) == list(range(next_i)), "the log goes on from where the last child stopped"
    ok = {i: kind for what, i, kind in entries if what == "ok"}
    refused = {i for what, i, _ in entries if what == "no"}

    rows = {int(r[3:]): uc for r, uc in _q(path, "SELECT request_id, use_case FROM request_log "
                                                 "WHERE request_id LIKE 'cr-%'")}
    expected = {i: crash_child.USE_CASE[k] for i, k in ok.items() if k in crash_child.USE_CASE}
    lost = [i for i, uc in expected.items() if rows.get(i) != uc]
    counters.add(lost=len(lost))
    assert not lost, f"committed and logged but not in the store: {lost}"
    assert not refused & rows.keys(), "a refused operation wrote its request record"
    assert rows.keys() - expected.keys() <= {next_i}, "only the operation in flight may be there unlogged"

    # the use case's own audit row, once; rows of its effects in the same transaction (a level change, a task
    # completed: each logged with its reason) carry the same request id and are not doubles
    audited = {int(r[3:]): n for r, n in _q(path, "SELECT request_id, COUNT(*) FROM audit_log WHERE request_id "
                                                  "LIKE 'cr-%' AND action = (SELECT use_case FROM request_log "
                                                  "WHERE request_log.request_id = audit_log.request_id) "
                                                  "GROUP BY request_id")}
    counters.add(doubled=sum(n - 1 for n in audited.values()))
    assert audited.keys() == rows.keys() and set(audited.values()) <= {1}

    n, distinct, lo, hi = _q(path, "SELECT COUNT(*), COUNT(DISTINCT event_id), MIN(seq), MAX(seq) FROM outbox")[0]
    assert n == distinct and lo == 1 and hi == n, ("outbox", n, distinct, lo, hi)
    events = _event_counts(path) - baseline
    wanted = Counter(str(USE_CASES[uc].event) for uc in rows.values())
    counters.add(doubled=sum((events - wanted).values()), lost=sum((wanted - events).values()))
    assert events == wanted, (events, wanted)

    # a pulled page: its member, its wallet entry and its cursor, all or none
    cursor = next(iter(_q(path, "SELECT cursor FROM sync_state")), (None,))[0]
    foreign = _q(path, "SELECT COUNT(*) FROM member WHERE phone LIKE '199%'")[0][0]
    entries_in = _q(path, "SELECT COUNT(*) FROM wallet_entry WHERE origin_ref LIKE 'fw-%'")[0][0]
    applied = sum(1 for k in ok.values() if k == "pull_apply")
    assert foreign - applied in (0, 1) and entries_in == foreign
    assert cursor == (f"ep1:{2 * foreign}" if foreign else None), (cursor, foreign)
    counters.add(rows_checked=len(rows) + len(audited) + n + foreign)
    return next_i


def test_sigkill_during_mixed_operations_loses_and_doubles_nothing(
    forkserver: multiprocessing.context.ForkServerContext, demo_store: tuple[Path, ServiceContext], tmp_path: Path,
    campaign: Counters,
) -> None:
    path, ctx = demo_store
    log = SideLog(tmp_path / "committed.log")
    baseline = _event_counts(path)
    rnd = random.Random(16)
    next_i = 0
    for _ in range(KILLS):
        child = forkserver.Process(target=crash_child.run, args=(str(path), str(log.f.name), next_i, "admin", "8888"))
        child.start()
        target = log.poll() + rnd.randint(1, 3)
        end = time.monotonic() + STUCK_S
        while log.poll() < target and child.is_alive() and time.monotonic() < end:
            time.sleep(0.001)  # polling the child's log, not waiting for time
        time.sleep(rnd.uniform(0, 0.03))  # jitter: where in the next operation the kill lands
        assert child.pid is not None
        os.kill(child.pid, signal.SIGKILL)
        child.join(timeout=30)
        assert child.exitcode == -signal.SIGKILL, (child.exitcode, log.lines[-3:])
        log.poll()
        next_i = check_after_kill(path, log, baseline, campaign)
        rep = doctor.run_doctor(ctx)
        assert rep.ok, rep.problems
        campaign.add(kills_survived=1)
    ok_kinds = Counter(k for what, _, k in log.entries() if what == "ok")
    campaign.add(operations=sum(ok_kinds.values()))
    # the plan went round several members: every kind of operation committed, most of them many times
    assert set(ok_kinds) == set(crash_child.STEPS), ok_kinds
    assert sqlite3.connect(path).execute("PRAGMA integrity_check").fetchone() == ("ok",)
