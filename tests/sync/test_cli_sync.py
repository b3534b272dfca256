"""`pos-app pair`, `pos-app sync [--json]` and `pos-app sync status [--json]` as a person types them, against the
real central server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

from pos_app.central import services as central
from pos_app.services import members
from tests.central.conftest import Server


def run(store: Any, *args: str, staff: str | None = "boss") -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, POS_LANG="en")
    if staff:
        env.update(POS_STAFF=staff, POS_PIN=store.pins[staff])
    return subprocess.run([sys.executable, "-m", "pos_app", "--db", str(store.path), *args],
                          capture_output=True, text=True, env=env, timeout=120)


def test_pair_sync_and_status(store: Any, hq: Server) -> None:
    p = run(store, "sync", staff=None)
    assert p.returncode == 2 and "not paired" in p.stderr
    st = central.add_store(hq.db, "store T", "T001")
    p = run(store, "pair", "--server", hq.url, "--code", "WRONG-CODE")
    assert p.returncode == 2 and "pairing code was refused" in p.stderr
    code = central.device_code(hq.db, st["store_id"])["code"]
    p = run(store, "pair", "--server", hq.url, "--code", code, staff="cash1")
    assert p.returncode == 3  # a cashier may not pair the device
    p = run(store, "pair", "--server", hq.url, "--code", code)
    assert p.returncode == 0, p.stderr
    assert "Paired with" in p.stdout
    members.register_member(store.ctx, store.cashier, phone="13812348888")
    p = run(store, "sync", "--json", staff=None)
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert {"pushed", "pulled", "conflicts", "pending", "server_time", "clock_skew_ms"} <= set(out)
    assert out["pending"] == 0 and out["pushed"] >= 2 and out["server_time"].endswith("Z")
    p = run(store, "sync", "status", "--json", staff=None)
    status = json.loads(p.stdout)
    assert status["pending"] == 0 and status["last_success_at"] and status["paired"] and status["online"]
    hq.stop()  # central goes away: the round fails and says why; status tells it
    p = run(store, "sync", staff=None)
    assert p.returncode == 2 and "cannot be reached" in p.stderr
    p = run(store, "sync", "status", staff=None)
    assert "Last failure" in p.stdout and "cannot be reached" in p.stdout
    p = run(store, "sync", "rounds", "--json", staff=None)
    assert [r["ok"] for r in json.loads(p.stdout)] == [False, True]


def test_sync_conflicts_and_a_managers_note(store: Any) -> None:
    """`pos-app sync conflicts` lists what central reported; `pos-app sync note ID --note TEXT` adds the manager's
    note (a cashier is refused, a bad note or an unknown id says why; none of them writes anything)."""
    from pos_app.services import sync
    from tests.sync.helpers import page

    sync.apply_page(store.ctx, page([{"kind": "conflict", "key": "c9", "store_code": "A001", "data": {
        "id": "c9", "kind": "overdraft", "store_code": "A001", "amount_fen": 2_500,
        "created_at": "2026-11-22T04:00:00Z"}}]))
    p = run(store, "sync", "conflicts")
    assert p.returncode == 0 and "c9  overdraft" in p.stdout
    p = run(store, "sync", "note", "c9", "--note", "顾客已补交现金", staff="cash1")
    assert p.returncode == 3 and "Traceback" not in p.stderr
    for bad, words in ((["c9", "--note", " "], "note"), (["nope", "--note", "ok"], "No such conflict")):
        p = run(store, "sync", "note", *bad)
        assert p.returncode == 2 and words in p.stderr and "Traceback" not in p.stderr
    assert sync.list_conflicts(store.ctx, store.manager)[0].detail.get("notes") is None
    p = run(store, "sync", "note", "c9", "--note", "顾客已补交现金", "--json")
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["note"] == "顾客已补交现金"
    notes = sync.list_conflicts(store.ctx, store.manager)[0].detail["notes"]
    assert [(n["note"], n["pending"]) for n in notes] == [("顾客已补交现金", True)]
