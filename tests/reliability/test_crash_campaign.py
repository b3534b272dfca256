"""Crash campaign: a child process (the store's command) runs the mixed counter operations of
:mod:`tests.reliability.crash_child` (register, recharge, check-in, sale, coupon, gift hand-out, wheel draw,
premium redemption request, return, refund, and a sync round with the real central server: push in batches,
then pull and apply the change feed page by page) on one real store file, and is killed with SIGKILL at random
points (seeded) at least 100 times. The central server (uvicorn on 127.0.0.1, in this process, on SQLite) keeps
running; another store (B002) pushes a member and a recharge to it before each child starts, so every round
has pages to apply.

After every kill: ``doctor`` passes; every operation the child logged as committed is in the store exactly once
(its request record, its audit row, its outbox event); nothing the child did not see is there except the one
operation it was in the middle of; a refusal wrote nothing; the outbox is gap-free with unique event ids and
holds one event per committed operation; central holds only this store's real events, each once with its
hash, and every event the store recorded as acknowledged; the store holds the other store's members and
wallet entries of central's feed up to its cursor, each exactly once, and none beyond it (a page is applied
with its cursor or not at all). At the end a last round runs to completion: central then holds every outbox
event exactly once and the store every change of the feed. The next child goes on from the first operation
nobody saw committed, replaying it with the same request id (which must not apply it twice).

The kill waits for behaviour, not time: once the child logged a random number (1-3) of operations, plus a
random jitter of up to one operation's time so the kill lands anywhere in a transaction or a request."""

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
from sqlalchemy import select

from pos_app.app import open_store
from pos_app.central import db as cdb
from pos_app.central import services as central
from pos_app.services import campaigns, demo, doctor, gifts, staff, sync
from pos_app.services.context import ServiceContext
from pos_app.services.demo import demo_campaign_file
from pos_app.services.usecase import USE_CASES
from pos_app.sync import protocol as p
from tests.central.conftest import Device, Server, make_db, paired_device
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


#: the other store whose members and wallet entries the store pulls
OTHER_STORE = "B002"


@pytest.fixture
def hq(tmp_path: Path) -> Iterator[Server]:
    db = make_db("sqlite", tmp_path)
    srv = Server(db).start()
    yield srv
    srv.stop()
    db.dispose()


@pytest.fixture
def demo_store(tmp_path: Path, hq: Server, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, ServiceContext]]:
    """The demo store (its campaign running today, the wheel published) with gifts enough on the shelf and a
    premium item every member with a recharge can ask for, paired with central and synced once."""
    monkeypatch.setenv("POS_SYNC_CREDENTIALS", str(tmp_path / "credentials"))
    path = tmp_path / "store.db"
    ctx = open_store(path)
    demo.load_demo(ctx)
    boss = staff.login(ctx, "admin", "8888")
    for sku, *_ in gifts.DEMO_GIFTS:
        gifts.receive(ctx, boss, sku=sku, qty=10_000, request_id=f"stock-{sku}")
    data = campaigns.read_campaign_file(demo_campaign_file())
    running = campaigns.get_active_campaign(ctx, boss)
    assert running is not None
    data["campaign"]["starts_on"], data["campaign"]["ends_on"] = running.starts_on.isoformat(), running.ends_on.isoformat()
    (item,) = [it for it in data["redemption"]["items"] if it["code"] == crash_child.PREMIUM_ITEM]
    item.update(points=100, quantity=100_000)
    campaigns.load_campaign(ctx, boss, data, replace=True)
    st = central.add_store(hq.db, "demo", demo.DEMO_STORE_CODE)
    sync.pair(ctx, boss, server_url=hq.url, code=central.device_code(hq.db, st["store_id"])["code"])
    sync.run_round(ctx)
    yield path, ctx
    ctx.db.dispose()


class OtherStore:
    """Store B002 on central: before each child starts it registers a member and recharges them, so the
    store's next rounds have pages of the feed to apply."""

    def __init__(self, hq: Server) -> None:
        self.dev: Device = paired_device(hq, OTHER_STORE)
        self.n = 0

    def work(self) -> None:
        n, self.n = self.n, self.n + 1
        mid = central.new_id()
        r = self.dev.push([
            self.dev.event("member.registered", {"member_id": mid, "phone": f"199{n:08d}", "name": f"远方{n}",
                                                 "member_code": f"M9{n:09d}", "invite_code": f"IV{n:06d}",
                                                 "inviter_id": None, "store_code": OTHER_STORE}),
            self.dev.event("wallet.recharged", {"member_id": mid, "recharge_id": central.new_id(), "amount_fen": 100_00,
                                                "bonus_fen": 0, "principal_after_fen": 100_00, "bonus_after_fen": 0,
                                                "coupons": []})])
        assert r.status_code == 200 and {x["status"] for x in r.json()["results"]} == {p.ACCEPTED}, r.text


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


def check_after_kill(path: Path, log: SideLog, baseline: Counter[str], counters: Counters, hq: Server) -> int:
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

    counters.add(rows_checked=len(rows) + len(audited) + n)
    counters.add(rows_checked=check_central(path, hq, counters))
    return next_i


def _outbox(path: Path) -> dict[str, tuple[int, str]]:
    return {e: (seq, h) for e, seq, h in _q(path, "SELECT event_id, seq, payload_hash FROM outbox")}


def _device(path: Path) -> str:
    return str(_q(path, "SELECT device_id FROM store_info")[0][0])


def check_central(path: Path, hq: Server, counters: Counters, *, finished: bool = False) -> int:
    """Central holds this store's real events only, each once with its hash, and all the store recorded as
    acknowledged; the store holds the other store's members and wallet entries of the feed up to its cursor,
    each once, and none beyond it. ``finished``: after a round that ran to its end, all of both."""
    outbox = _outbox(path)
    acked, cursor = _q(path, "SELECT acked_seq, cursor FROM sync_state")[0]
    with hq.db.read_session() as s:
        got = s.execute(select(cdb.Event.event_id, cdb.Event.payload_hash)
                        .where(cdb.Event.device_id == _device(path))).all()
        at = p.Cursor.parse(cursor)
        feed = s.execute(select(cdb.Change.kind, cdb.Change.key, cdb.Change.change_no)
                         .where(cdb.Change.store_code == OTHER_STORE)).all()
    held = Counter(e for e, _ in got)
    assert all(outbox.get(e, (0, ""))[1] == h for e, h in got), "central holds an event the store did not make"
    wanted = {e for e, (seq, _) in outbox.items() if finished or seq <= acked}
    missing = wanted - held.keys()
    upto = at.change_no if at is not None else 0
    assert not finished or upto >= max((no for *_, no in feed), default=0)
    members = Counter(str(r[0]) for r in _q(path, f"SELECT id FROM member WHERE store_code = '{OTHER_STORE}'"))
    entries = Counter(str(r[0]) for r in _q(path, "SELECT origin_ref FROM wallet_entry WHERE origin_store = "
                                                  f"'{OTHER_STORE}'"))
    served = {(k, key) for k, key, no in feed if no <= upto}
    want_members = {key for k, key in served if k == p.CHANGE_MEMBER}
    want_entries = {key for k, key in served if k == p.CHANGE_WALLET}
    doubled = sum(n - 1 for n in (members + entries).values())
    lost = len(want_members - members.keys()) + len(want_entries - entries.keys())
    extra = len(members.keys() - want_members) + len(entries.keys() - want_entries)
    counters.add(doubled=doubled + sum(n - 1 for n in held.values()), lost=lost + len(missing))
    assert set(held.values()) <= {1}, "an event twice on central"
    assert not missing, f"acknowledged but not on central: {len(missing)}"
    assert (doubled, lost, extra) == (0, 0, 0), (doubled, lost, extra, upto)
    return len(got) + sum(members.values()) + sum(entries.values())


def test_sigkill_during_mixed_operations_loses_and_doubles_nothing(
    forkserver: multiprocessing.context.ForkServerContext, demo_store: tuple[Path, ServiceContext], tmp_path: Path,
    campaign: Counters, hq: Server,
) -> None:
    path, ctx = demo_store
    log = SideLog(tmp_path / "committed.log")
    baseline = _event_counts(path)
    other = OtherStore(hq)
    rnd = random.Random(16)
    next_i = 0
    for _ in range(KILLS):
        other.work()
        child = forkserver.Process(target=crash_child.run, args=(str(path), str(log.f.name), next_i, "admin", "8888",
                                                                 str(tmp_path / "credentials")))
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
        next_i = check_after_kill(path, log, baseline, campaign, hq)
        rep = doctor.run_doctor(ctx)
        assert rep.ok, rep.problems
        campaign.add(kills_survived=1)
    ok_kinds = Counter(k for what, _, k in log.entries() if what == "ok")
    campaign.add(operations=sum(ok_kinds.values()))
    # the plan went round several members: every kind of operation committed, most of them many times
    assert set(ok_kinds) == set(crash_child.STEPS), ok_kinds
    # the store restarted once more and synced to the end: central holds every event once, the store every change
    sync.run_round(ctx)
    checked = check_central(path, hq, campaign, finished=True)
    campaign.add(rows_checked=checked, synced=checked)
    assert sqlite3.connect(path).execute("PRAGMA integrity_check").fetchone() == ("ok",)
