"""Crash test: a child process runs recharges in a loop on a real SQLite file and is killed with SIGKILL
at random moments. After every kill `doctor` passes and every recharge is wholly present or wholly absent
(its wallet entry, points lot, entitlements, audit row, request-log row and outbox event are all there, or
none of them is). The next child retries from the last recharge it saw confirmed, so a recharge that
committed just before the kill is replayed with the same request id and must not be applied twice.

The kill waits for behaviour, not for time: the child is killed once it has confirmed a random number
(1-3) of recharges, i.e. while it is in the middle of the next ones, plus a random jitter of up to one
recharge's time so the kill lands anywhere in a transaction, not always at its start. Nothing asserted
depends on how fast the machine is."""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pos_app.app import open_store
from pos_app.services import doctor
from tests.conftest import make_store

ROOT = Path(__file__).resolve().parents[2]
KILLS = 22

CHILD = r"""
import sys
from pos_app.app import open_store
from pos_app.services import members, staff, wallet

db, i = sys.argv[1], int(sys.argv[2])
ctx = open_store(db)
cashier = staff.login(ctx, "cash1", "1111")
members.count_members(ctx, cashier)
print("ready", flush=True)
plan = [("basic", None), ("advanced", None), ("luxury", None), (None, 300_00)]  # 4,400 yuan a member
while True:
    n, step = divmod(i, 4)
    phone = f"135{n:08d}"
    if step == 0:
        members.register_member(ctx, cashier, phone=phone, request_id=f"reg-{phone}")
    tier, amount = plan[step]
    wallet.recharge(ctx, cashier, phone=phone, tier_code=tier, amount_fen=amount, pay_method="cash",
                    request_id=f"rc-{i}")
    print(f"done {i}", flush=True)
    i += 1
"""


def _q(path: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(path) as c:
        return c.execute(sql).fetchall()


def _check_whole(path: Path) -> int:
    n_rc = _q(path, "SELECT COUNT(*) FROM recharge")[0][0]
    assert _q(path, "SELECT COUNT(*) FROM wallet_entry WHERE kind = 'recharge'")[0][0] == n_rc
    assert _q(path, "SELECT COUNT(*) FROM request_log WHERE use_case = 'wallet.recharge'")[0][0] == n_rc
    assert _q(path, "SELECT COUNT(*) FROM audit_log WHERE action = 'wallet.recharge'")[0][0] == n_rc
    events = [json.loads(p)["recharge_id"] for (p,) in _q(path, "SELECT payload_json FROM outbox WHERE type = 'wallet.recharged'")]
    assert len(events) == len(set(events)) == n_rc
    # 3 of every 4 recharges are tier recharges with points; all of them earn points (10 per 100 yuan)
    assert _q(path, "SELECT COUNT(*) FROM points_lot WHERE recharge_id IS NOT NULL")[0][0] == n_rc
    # each item is an entitlement row, or a coupon issued at once that is its own row
    assert _q(path, "SELECT COUNT(*) FROM recharge r WHERE items_count != "
                    "(SELECT COUNT(*) FROM entitlement e WHERE e.recharge_id = r.id) + "
                    "(SELECT COUNT(*) FROM coupon c WHERE c.batch_id = r.id AND c.item_json IS NOT NULL)")[0][0] == 0
    # request ids are applied once each: rc-0 .. rc-(n-1), no gaps, no repeats
    ids = sorted(int(r[0][3:]) for r in _q(path, "SELECT request_id FROM recharge"))
    assert ids == list(range(len(ids)))
    return n_rc


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_recharges_survive_sigkill_whole_or_not_at_all(tmp_path):
    path = tmp_path / "store.db"
    s = make_store(path)
    s.ctx.db.dispose()
    rnd = random.Random(2026)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    next_i = 0
    for _ in range(KILLS):
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(path), str(next_i)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT, env=env,
        )
        assert child.stdout is not None
        line = child.stdout.readline()
        assert line.strip() == "ready", (line, child.stderr.read() if child.stderr else "")
        seen = []
        for _ in range(rnd.randint(1, 3)):  # confirmed recharges before the kill
            line = child.stdout.readline()
            assert line.startswith("done "), (line, "" if line else child.stderr.read() if child.stderr else "")
            seen.append(line)
        time.sleep(rnd.uniform(0, 0.03))  # jitter: where in the next recharge the kill lands (not a wait)
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        assert child.returncode == -signal.SIGKILL
        out = "".join(seen) + child.stdout.read()
        err = child.stderr.read() if child.stderr else ""
        assert "Traceback" not in err, err
        done = [int(ln.split()[1]) for ln in out.splitlines() if ln.startswith("done ")]
        assert done == list(range(next_i, next_i + len(done)))  # it went on from where the last one stopped
        next_i = done[-1] + 1
        n = _check_whole(path)
        assert n >= next_i  # every confirmed recharge is there (one more may have committed unconfirmed)
        assert n <= next_i + 1
        ctx = open_store(path)
        rep = doctor.run_doctor(ctx)
        ctx.db.dispose()
        assert rep.ok, rep.problems
    assert next_i >= KILLS  # every child was killed while recharging, after at least one confirmation
