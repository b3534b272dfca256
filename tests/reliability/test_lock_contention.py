"""Lock contention: on one store file, for a bounded time (10 s in CI, 10 s x POS_RELIABILITY_SCALE), at once:
the GUI's database worker (``ui.ops.DbWorker``, its one thread running recharges and spends through the
services), a sync-like writer thread (pulled pages applied with their cursor, the push acknowledgement), and
two ``pos-app`` processes running recharge and spend commands back to back (``pos_app.cli.main`` in a loop,
one Python start each). No "database is locked" reaches anybody: every command exits 0 or says, in one line,
that the store is busy (the product's own message after its busy timeout); every write that succeeded is in
the store exactly once and none that failed is (rows counted against the successes); doctor passes.

The counter app itself holds its store exclusively (commands refuse to run beside it: docs/store-file-safety.md),
so here the worker and the sync thread share the store the way commands do (``owner="command"``)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from pos_app.app import open_store
from pos_app.db.engine import StoreWriteBusy
from pos_app.domain.errors import DomainError
from pos_app.services import demo, doctor, members, staff, sync, wallet
from tests.reliability.conftest import Counters, scale
from tests.reliability.crash_child import foreign_id
from tests.services.test_crash import _q
from tests.services.test_store_file_safety import ROOT, _env
from tests.sync.helpers import member_change, page

SECONDS = 10.0 * scale()
PHONES = {"gui": "13500000001", "cliA": "13500000002", "cliB": "13500000003"}
BUSY = "The store is busy"

#: one `pos-app` process: recharge and spend commands back to back until the time is up, one JSON line each
CLI_LOOP = textwrap.dedent(
    """
    import contextlib, io, json, sys, time
    from pos_app.cli import main

    db, tag, phone, seconds = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
    end, i = time.monotonic() + seconds, 0
    while time.monotonic() < end:
        what = ("recharge", "--amount", "2") if i % 2 == 0 else ("spend", "--amount", "1")
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            rc = main(["--db", db, "--staff", "c01", "--pin", "1111", "--lang", "en", what[0], "--phone", phone,
                       *what[1:], "--request-id", f"{tag}-{i}"])
        print(json.dumps({"rid": f"{tag}-{i}", "kind": what[0], "rc": rc, "err": err.getvalue()}), flush=True)
        i += 1
    """
)


@pytest.fixture
def store_db(tmp_path: Path) -> Path:
    db = tmp_path / "store.db"
    ctx = open_store(db)
    demo.load_demo(ctx)
    cashier = staff.login(ctx, "c01", "1111")
    for who, phone in PHONES.items():
        members.register_member(ctx, cashier, phone=phone, name=who)
        wallet.recharge(ctx, cashier, phone=phone, amount_fen=1_000_00, pay_method="cash")
    ctx.db.dispose()
    return db


def _sync_writer(ctx: Any, stop: threading.Event, done: list[str], failed: list[BaseException]) -> None:
    n = 0
    while not stop.is_set():
        changes = [member_change(foreign_id(10_000 + n), f"198{n:08d}", "B002", code=f"M8{n:09d}",
                                 invite=f"IW{n:06d}")]
        try:
            sync.apply_page(ctx, page(changes, start=n))
            done.append(f"page-{n}")
            n += 1
            queued = sync.pending_events(ctx)
            sync.record_push(ctx, acked_seq=queued[len(queued) // 2] if queued else 0, skew_ms=0)
        except BaseException as exc:  # noqa: BLE001 - checked by the test: only a busy store may refuse
            failed.append(exc)


def test_the_worker_a_sync_thread_and_two_commands_write_at_once(store_db: Path, qtbot: Any,
                                                                 campaign: Counters) -> None:
    from pos_app.ui.ops import DbWorker

    procs = {tag: subprocess.Popen([sys.executable, "-c", CLI_LOOP, str(store_db), tag, PHONES[tag], str(SECONDS)],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT, env=_env())
             for tag in ("cliA", "cliB")}
    ctx = open_store(store_db, owner="command")
    cashier = staff.login(ctx, "c01", "1111")
    worker = DbWorker()
    gui_ok: list[str] = []
    gui_failed: list[BaseException] = []
    stop = threading.Event()
    sync_ok: list[str] = []
    sync_failed: list[BaseException] = []
    syncer = threading.Thread(target=_sync_writer, args=(ctx, stop, sync_ok, sync_failed), daemon=True)
    syncer.start()
    try:
        end, i = time.monotonic() + SECONDS, 0
        while time.monotonic() < end:
            rid = f"gui-{i}"
            if i % 2 == 0:
                def op(rid: str = rid) -> Any:
                    return wallet.recharge(ctx, cashier, phone=PHONES["gui"], amount_fen=2_00, request_id=rid)
            else:
                def op(rid: str = rid) -> Any:
                    return wallet.spend(ctx, cashier, phone=PHONES["gui"], amount_fen=1_00, request_id=rid)
            worker.run(op, lambda _r, rid=rid: gui_ok.append(rid), gui_failed.append)
            qtbot.waitUntil(lambda: worker.pending == 0, timeout=60_000)  # the GUI waits for its answer
            i += 1
    finally:
        stop.set()
        syncer.join(timeout=60)
        worker.stop()
    outcomes: list[dict[str, Any]] = []
    for tag, p in procs.items():
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0 and "Traceback" not in err, (tag, err)
        outcomes += [json.loads(line) for line in out.splitlines()]
    ctx.db.dispose()

    # nobody saw "database is locked": a refusal is the product's busy message, one line, exit 2
    refused = [o for o in outcomes if o["rc"] != 0]
    for o in refused:
        assert o["rc"] == 2 and o["err"].startswith(BUSY) and o["err"].count("\n") == 1, o
    assert not [o for o in outcomes if "locked" in o["err"]]
    assert not worker.crashes
    assert all(isinstance(e, StoreWriteBusy) for e in gui_failed + sync_failed), gui_failed + sync_failed
    assert all(isinstance(e, DomainError) for e in gui_failed)

    # every success is there once, no failure is: rows against successes
    cli_ok = {o["rid"] for o in outcomes if o["rc"] == 0}
    rows = [r for (r,) in _q(store_db, "SELECT request_id FROM request_log WHERE use_case IN "
                                       "('wallet.recharge', 'wallet.spend')") if r.split("-")[0] in PHONES]
    stored = set(rows)
    foreign = _q(store_db, "SELECT COUNT(*) FROM member WHERE phone LIKE '198%'")[0][0]
    wanted = cli_ok | set(gui_ok)
    lost, doubled = len(wanted - stored), len(stored - wanted) + (foreign - len(sync_ok))
    campaign.add(operations=len(wanted) + len(sync_ok), faults_injected=len(refused) + len(gui_failed + sync_failed),
                 rows_checked=len(stored) + foreign, lost=lost, doubled=doubled)
    assert stored == wanted and foreign == len(sync_ok)
    # all four wrote, and the commands did most of what they tried (the busy timeout is 5 s)
    assert gui_ok and sync_ok and len(cli_ok) > len(refused), (len(gui_ok), len(sync_ok), len(cli_ok), len(refused))
    with_ctx = open_store(store_db)
    try:
        rep = doctor.run_doctor(with_ctx)
    finally:
        with_ctx.db.dispose()
    assert rep.ok, rep.problems
