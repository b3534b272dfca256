"""Faults a test can only make with real processes: a `pos-app sync` killed with SIGKILL in the middle of a push
and in the middle of applying a pulled page, one batch pushed by two processes at the same instant, and
`pos-central serve` killed in the middle of a batch and started again. Real store
files, the real central server (uvicorn on 127.0.0.1, on SQLite; on PostgreSQL too for the race when
POS_TEST_PG_URL is set), the test's TCP proxy between them.

The kills are triggered by what the proxy sees, never by a sleep: the proxy holds the second push (half of its
bytes reached the server, or the server answered and no byte of the answer reached the client) and says so; the
test kills the client then. Mid-apply, the client runs through a small wrapper that prints a line once the page's
transaction has written part of the page and then waits to be killed (the product's code is untouched: the
wrapper wraps one repository function to announce it). After each kill a normal round converges: no event lost,
none applied twice, every balance equal to central's, and `pos-app doctor` passes on the store file."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from pos_app.central import services as central
from pos_app.db import models as m
from pos_app.db import repo
from pos_app.services import members, sync, wallet
from pos_app.sync import protocol as p
from tests.central.conftest import BACKENDS, Device, Server, free_port, make_db, paired_device
from tests.conftest import Store
from tests.sync.helpers import make_store_as
from tests.sync.proxy import HOLD_REQUEST, HOLD_RESPONSE, Proxy

ROOT = Path(__file__).resolve().parents[2]
PUSH = f"POST {p.PATH_PUSH}"

#: `pos-app` with one repository function wrapped: once the pages applied have written POS_TEST_ANNOUNCE_AFTER
#: wallet entries (the page's transaction still open), it prints ``mid-apply`` and waits
KILLABLE = r"""
import os, sys
from pos_app.cli import main
from pos_app.db import repo

after = int(os.environ.get("POS_TEST_ANNOUNCE_AFTER") or 0)
if after:
    add = repo.sync.add_wallet_entries
    done = [0]

    def announce(session, rows):
        add(session, rows)
        done[0] += len(rows)
        if done[0] >= after:
            print("mid-apply", flush=True)
            sys.stdin.read()

    repo.sync.add_wallet_entries = announce
raise SystemExit(main(sys.argv[1:]))
"""


def env(store: Store, **extra: str) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "POS_LANG": "en", "POS_STAFF": "boss",
            "POS_PIN": store.pins["boss"], **extra}


def start(store: Store, *args: str, path: Path | None = None, **extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", KILLABLE, "--db", str(path or store.path), *args],
                            env=env(store, **extra), cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def finish(proc: subprocess.Popen[str]) -> dict[str, Any]:
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    return json.loads(out)


def kill(proc: subprocess.Popen[str]) -> None:
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL


def doctor_passes(store: Store, path: Path | None = None) -> None:
    got = subprocess.run([sys.executable, "-m", "pos_app", "--db", str(path or store.path), "doctor", "--json"],
                         env=env(store), cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert got.returncode == 0, got.stdout + got.stderr
    assert json.loads(got.stdout)["ok"] is True


#: the stores' batch and page sizes here (store settings): smaller than the defaults, so that a few hundred
#: events make several batches and pages
BATCH = 200
PAGE = 500


def paired_store(hq: Server, proxy: Proxy, tmp_path: Path, code: str) -> Store:
    store = make_store_as(tmp_path / f"{code}.db", code, seed=7)
    with store.ctx.uow() as uow:
        info = uow.session.get(m.StoreInfo, 1)
        assert info is not None
        info.settings_json = json.dumps({**json.loads(info.settings_json or "{}"), "sync_push_batch": BATCH,
                                         "sync_pull_page": PAGE})
        uow.commit()
    st = central.add_store(hq.db, f"store {code}", code)
    sync.pair(store.ctx, store.manager, server_url=proxy.url, code=central.device_code(hq.db, st["store_id"])["code"])
    return store


def outbox_ids(path: Path) -> list[str]:
    from pos_app.app import open_store

    ctx = open_store(path)
    try:
        with ctx.uow(read_only=True) as uow:
            return list(uow.session.scalars(select(m.Outbox.event_id).order_by(m.Outbox.seq)))
    finally:
        ctx.db.dispose()


def acked(store: Store) -> int:
    with store.ctx.uow(read_only=True) as uow:
        state = repo.sync.state(uow.session)
        assert state is not None
        return state.acked_seq


def statuses(proxy: Proxy, since: int = 0) -> list[str]:
    """Central's answer for every pushed event, in order, of the pushes that passed the proxy."""
    return [r["status"] for ex in proxy.exchanges[since:] if ex.request_line.startswith(PUSH) and ex.json()
            for r in ex.json()["results"]]


def same_balances_as_central(hq: Server, store: Store) -> None:
    same_balances_as_central_db(hq.db, store)


def same_balances_as_central_db(db: Any, store: Store) -> None:
    with store.ctx.uow(read_only=True) as uow:
        here = {mem.phone: (mem.principal_fen, mem.bonus_fen) for mem in uow.session.scalars(select(m.Member))}
    for phone, bal in here.items():
        view = central.member_show(db, phone)["members"]
        assert [(v["principal_fen"], v["bonus_fen"]) for v in view] == [bal], phone


def test_a_client_killed_mid_push_loses_nothing_and_doubles_nothing(hq: Server, proxy: Proxy, tmp_path: Path) -> None:
    a = paired_store(hq, proxy, tmp_path, "A001")
    ids = [members.register_member(a.ctx, a.cashier, phone=f"1381234{i:04d}").member_id for i in range(150)]
    for i in range(300):
        wallet.recharge(a.ctx, a.cashier, member_id=ids[i % 150], amount_fen=10_000 + i, pay_method="cash")
    queued = outbox_ids(a.path)
    assert len(queued) > 2 * BATCH
    # 1. killed while its second batch is on the wire: half of it reached central, which stores none of it
    proxy.hold(HOLD_REQUEST, PUSH, nth=2)
    proc = start(a, "sync", "--json")
    assert proxy.holding.wait(60), "the second push never came"
    kill(proc)
    proxy.release()
    assert acked(a) == BATCH and central.totals(hq.db)["events"] == BATCH
    # 2. killed after central stored the next batch, before a byte of the answer came back
    proxy.hold(HOLD_RESPONSE, PUSH, nth=1)
    proc = start(a, "sync", "--json")
    assert proxy.holding.wait(60), "the push was never answered"
    kill(proc)
    proxy.release()
    assert acked(a) == BATCH and central.totals(hq.db)["events"] == 2 * BATCH
    # 3. a normal round: the batch central stored is answered `exists`, the rest `accepted`
    seen = len(proxy.exchanges)
    got = finish(start(a, "sync", "--json"))
    assert got["pending"] == 0 and got["pushed"] == len(queued) - BATCH
    assert statuses(proxy, seen) == ["exists"] * BATCH + ["accepted"] * (len(queued) - 2 * BATCH)
    # nothing lost, nothing twice: central holds exactly the outbox, each movement once
    assert central.totals(hq.db)["events"] == len(queued)
    with hq.db.read_session() as s:
        from pos_app.central.db import Event, WalletEntry

        assert sorted(s.scalars(select(Event.event_id))) == sorted(queued)
        assert s.scalar(select(func.count()).select_from(WalletEntry)) == 300
    same_balances_as_central(hq, a)
    assert sync.status(a.ctx).pending == 0
    doctor_passes(a)


def test_a_client_killed_mid_apply_applies_the_page_once_later(hq: Server, proxy: Proxy, tmp_path: Path) -> None:
    b: Device = paired_device(hq, "B002")  # another store's till, pushing straight to central
    mid = central.new_id()
    events = [b.event("member.registered", {"member_id": mid, "phone": "13900001111", "store_code": "B002",
                                            "member_code": "M9000000001", "invite_code": "INVB01", "name": "远方"})]
    n = PAGE + 300  # two pages of B's member and recharges: the kill comes in the second
    for i in range(n):
        events.append(b.event("wallet.recharged", {"member_id": mid, "recharge_id": central.new_id(),
                                                   "amount_fen": 100 + i % 7, "bonus_fen": i % 3}))
    assert b.push(events).status_code == 200
    c = paired_store(hq, proxy, tmp_path, "C003")
    announced = PAGE + 150
    proc = start(c, "sync", "--json", POS_TEST_ANNOUNCE_AFTER=str(announced))
    assert proc.stdout is not None and proc.stdout.readline().strip() == "mid-apply", proc.stderr
    # the second page's transaction is open: what this process sees is the first page and its cursor
    cursor_then = sync.status(c.ctx).cursor
    with c.ctx.uow(read_only=True) as uow:
        committed = uow.session.scalar(select(func.count()).select_from(m.WalletEntry)) or 0
    assert cursor_then is not None and 0 < committed < announced
    kill(proc)
    # what the killed transaction wrote is gone; the first page and its cursor stay
    assert sync.status(c.ctx).cursor == cursor_then
    with c.ctx.uow(read_only=True) as uow:
        assert uow.session.scalar(select(func.count()).select_from(m.WalletEntry)) == committed
    got = finish(start(c, "sync", "--json"))
    assert got["pending"] == 0 and got["pulled"] >= n - committed  # the second page again
    with c.ctx.uow(read_only=True) as uow:
        refs = list(uow.session.scalars(select(m.WalletEntry.origin_ref)))
    assert len(refs) == n and not [r for r, k in Counter(refs).items() if k > 1]  # each entry once
    same_balances_as_central(hq, c)
    doctor_passes(c)


@pytest.mark.parametrize("backend", BACKENDS)
def test_one_batch_pushed_by_two_processes_at_once_is_applied_once(tmp_path: Path, backend: str) -> None:
    """Two copies of one store file (a till restored from its backup on a second PC while the first still runs:
    the same device, the same outbox) run `pos-app sync` at the same time; the proxy lets each push through only
    when the other's is there too, so central ingests the same events from two requests at once. Each event is
    accepted for one of them and `exists` for the other; central holds each once; both copies end acknowledged."""
    db = make_db(backend, tmp_path)
    hq = Server(db).start()
    px = Proxy("127.0.0.1", hq.port).start()
    try:
        a = paired_store(hq, px, tmp_path, "A001")
        ids = [members.register_member(a.ctx, a.cashier, phone=f"1371234{i:04d}").member_id for i in range(60)]
        for i in range(200):
            wallet.recharge(a.ctx, a.cashier, member_id=ids[i % 60], amount_fen=20_000 + i, pay_method="cash")
        a.ctx.db.dispose()  # checkpointed: the file alone is the store
        twin = tmp_path / "A001-restored.db"
        shutil.copy(a.path, twin)
        queued = outbox_ids(a.path)
        assert outbox_ids(twin) == queued and len(queued) > BATCH
        px.barrier(PUSH, parties=2)
        procs = [start(a, "sync", "--json"), start(a, "sync", "--json", path=twin)]
        outs = [finish(pr) for pr in procs]
        assert px.barrier_timeouts == 0
        assert all(o["pending"] == 0 and o["pushed"] == len(queued) for o in outs)
        per_event: dict[str, list[str]] = {}
        pushes = [ex for ex in px.exchanges if ex.request_line.startswith(PUSH)]
        assert len(pushes) == 2 * -(-len(queued) // BATCH)
        for ex in pushes:
            for r in ex.json()["results"]:
                per_event.setdefault(r["event_id"], []).append(r["status"])
        assert sorted(per_event) == sorted(queued)
        assert {tuple(sorted(v)) for v in per_event.values()} == {("accepted", "exists")}
        assert central.totals(db)["events"] == len(queued)
        from pos_app.app import open_store

        for path in (a.path, twin):
            ctx = open_store(path)
            try:
                st = sync.status(ctx)
                assert st.pending == 0 and st.acked_seq == len(queued)
                copy = Store(ctx=ctx, clock=a.clock, path=path, manager=a.manager, cashier=a.cashier, staff=a.staff,
                             pins=a.pins)
                same_balances_as_central(hq, copy)
            finally:
                ctx.db.dispose()
        with db.read_session() as s:
            from pos_app.central.db import WalletEntry

            assert s.scalar(select(func.count()).select_from(WalletEntry)) == 200
    finally:
        px.stop()
        hq.stop()
        db.dispose()


def test_central_killed_mid_batch_and_restarted_converges(tmp_path: Path) -> None:
    """`pos-central serve` is killed (SIGKILL) while a store pushes its queue in batches (some batches stored, the
    rest not; a batch is one transaction, so the one in flight is stored whole or not at all), then started again
    on the same database and port: the next round finds the stored prefix `exists` and the rest `accepted`."""
    db = make_db("sqlite", tmp_path)
    port = free_port()
    url = f"http://127.0.0.1:{port}"

    def serve() -> subprocess.Popen[bytes]:
        proc = subprocess.Popen([sys.executable, "-m", "pos_app.central", "serve", "--db", db.url, "--port", str(port)],
                                env={**os.environ, "PYTHONPATH": str(ROOT), "POS_CENTRAL_LOG_LEVEL": "warning"},
                                cwd=ROOT, start_new_session=True)
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(url + "/openapi.json", timeout=2).status_code == 200:
                    return proc
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline and proc.poll() is None, "central did not start"
            time.sleep(0.1)

    a = make_store_as(tmp_path / "A001.db", "A001", seed=7)
    st = central.add_store(db, "store A001", "A001")
    proc = serve()
    try:
        sync.pair(a.ctx, a.manager, server_url=url, code=central.device_code(db, st["store_id"])["code"])
        ids = [members.register_member(a.ctx, a.cashier, phone=f"1361234{i:04d}").member_id for i in range(60)]
        for i in range(300):
            wallet.recharge(a.ctx, a.cashier, member_id=ids[i % 60], amount_fen=30_000 + i, pay_method="cash")
        queued = outbox_ids(a.path)
        failed: list[BaseException] = []

        batch = 20

        def push_all() -> None:
            try:
                sync.run_round(a.ctx, push_batch=batch)
            except BaseException as exc:  # noqa: BLE001 - the round is expected to fail; the test checks how
                failed.append(exc)

        pusher = threading.Thread(target=push_all)
        pusher.start()
        deadline = time.monotonic() + 60
        while not 0 < central.totals(db)["events"] < len(queued) // 2:
            assert time.monotonic() < deadline and pusher.is_alive(), "the batch was never half way"
            time.sleep(0.005)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        pusher.join(60)
        with db.read_session() as s:
            from pos_app.central.db import Event

            held = set(s.scalars(select(Event.event_id)))
        was_acked = acked(a)
        assert 0 < len(held) < len(queued) and was_acked <= len(held)
        assert len(held) % batch == 0 and held == set(queued[:len(held)])  # whole batches, in order
        assert [type(e).__name__ for e in failed] == ["Offline"]
        proc = serve()
        got = sync.run_round(a.ctx)
        assert got.pending == 0 and got.pushed == len(queued) - was_acked  # the stored rest answered `exists`
        assert central.totals(db)["events"] == len(queued)
        with db.read_session() as s:
            from pos_app.central.db import Event, WalletEntry

            assert sorted(s.scalars(select(Event.event_id))) == sorted(queued)
            assert s.scalar(select(func.count()).select_from(WalletEntry)) == 300
        same_balances_as_central_db(db, a)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
        a.ctx.db.dispose()
        db.dispose()
