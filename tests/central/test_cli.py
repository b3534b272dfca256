"""`pos-central` end to end: init, stores, pairing codes, devices, campaigns, conflicts, a member's merged view,
bad input (exit 2, one line), and `serve --workers 2` on one database answering a paired device."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from pos_app.central import services
from pos_app.central.cli import main
from pos_app.sync import protocol as p

from .conftest import BACKENDS, Device, free_port, make_db

ROOT = Path(__file__).resolve().parents[2]


def cli(db: Path, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
    """The command in a process of its own (as a user runs it)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    r = subprocess.run([sys.executable, "-m", "pos_app.central", *args, "--db", str(db)], capture_output=True,
                       text=True, env=env, cwd=ROOT, timeout=120)
    if ok:
        assert r.returncode == 0, r.stderr
    return r


def js(db: Path, *args: str) -> Any:
    return json.loads(cli(db, *args, "--json").stdout)


def run_here(capsys: pytest.CaptureFixture[str], db: Path, *args: str) -> tuple[int, str, str]:
    """The command in this process (quicker): exit code, stdout, stderr."""
    try:
        code = main([*args, "--db", str(db)])
    except SystemExit as exc:  # argparse's usage errors
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_head_office_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "central.db"

    def ok(*args: str) -> Any:
        code, out, err = run_here(capsys, db, *args, "--json")
        assert code == 0, err
        return json.loads(out)

    first = ok("init")
    assert first["epoch"] and first["admin_token"]
    assert ok("init")["admin_token"] is None  # shown once
    code, out, _ = run_here(capsys, db, "store", "add", "一号店", "--code", "S1")
    store_id = out.strip()
    assert code == 0 and [s["store_id"] for s in ok("store", "list")] == [store_id]
    pairing = ok("device", "code", "--store", "S1")
    assert pairing["store_id"] == store_id and pairing["expires_at"] and len(pairing["code"]) == 14
    pub = ok("campaign", "publish", str(ROOT / "resources/campaigns/demo.toml"), "--stores", "S1")
    assert pub == {"code": "DEMO-RECHARGE", "name": pub["name"], "version": 1, "stores": ["S1"]}
    assert ok("conflicts") == [] and ok("device", "list") == []
    # bad input: exit 2, one line, nothing written
    bad = tmp_path / "bad.toml"
    bad.write_text('[campaign]\ncode = "X"\nname = "x"\nstarts_on = "2026-02-01"\nends_on = "2026-01-01"\n')
    for args in (("campaign", "publish", str(bad)), ("campaign", "publish", str(tmp_path / "none.toml")),
                 ("store", "add", " "), ("store", "add", "二号店", "--code", "S1"), ("device", "code", "--store", "S9"),
                 ("device", "revoke", "nope"), ("conflict", "resolve", "nope", "--note", "x"),
                 ("member", "show", "--phone", "123"), ("member", "show", "--phone", "13800138000"),
                 ("device", "code", "--store", "S1", "--hours", "-1"), ("store",)):
        code, _, err = run_here(capsys, db, *args)
        assert code == 2, (args, err)
        assert len(err.strip().splitlines()) == 1, (args, err)
    assert ok("campaign", "list")[0]["version"] == 1
    assert len(ok("store", "list")) == 1
    # and as a user runs it: its own process, the store id on stdout
    assert cli(db, "store", "add", "二号店").stdout.strip() in {s["store_id"] for s in ok("store", "list")}


PUSHER = """
import json, sys, time, httpx
from pos_app.sync import protocol as p
url, device, secret, path = sys.argv[1:5]
body = open(path, "rb").read()
h = p.signed_headers(device, secret, "POST", p.PATH_PUSH, body, int(time.time() * 1000))
r = httpx.post(url + p.PATH_PUSH, content=body, headers={**h, "content-type": "application/json"}, timeout=120)
print(json.dumps(r.json()))
"""


@pytest.mark.parametrize("backend", BACKENDS)
def test_serve_with_two_workers(tmp_path: Path, backend: str) -> None:
    """Two server processes on one database; two store processes push the same batch at the same time: every
    event is applied once."""
    central = make_db(backend, tmp_path)
    url_db = central.url
    services.add_store(central, "一号店", "S1")
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "POS_CENTRAL_LOG_LEVEL": "warning"}
    proc = subprocess.Popen([sys.executable, "-m", "pos_app.central", "serve", "--db", url_db, "--port", str(port),
                             "--workers", "2"], env=env, cwd=ROOT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(url + "/openapi.json", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline and proc.poll() is None, "the server did not start"
            time.sleep(0.2)
        code = services.device_code(central, "S1")["code"]
        dev = Device(url, "till-1", "S1")
        assert dev.pair(code).status_code == 200
        mid = services.new_id()
        events = [dev.event("member.registered", {"member_id": mid, "phone": "13800138000", "store_code": "S1"})]
        for i in range(30):
            events.append(dev.event("wallet.recharged", {"member_id": mid, "recharge_id": f"r{i}", "amount_fen": 100,
                                                         "bonus_fen": 10}))
        batch = tmp_path / "batch.json"
        batch.write_text(json.dumps({"events": events}))
        pushers = [subprocess.Popen([sys.executable, "-c", PUSHER, url, dev.device_id, dev.secret, str(batch)],
                                    env=env, cwd=ROOT, stdout=subprocess.PIPE, text=True) for _ in range(2)]
        answers = [json.loads(pr.communicate(timeout=300)[0]) for pr in pushers]
        for i in range(len(events)):
            assert sorted(a["results"][i]["status"] for a in answers) == ["accepted", "exists"]
        assert max(a["acked_seq"] for a in answers) == len(events)
        assert dev.request("GET", p.PATH_PING).json()["acked_seq"] == len(events)
        view = services.member_show(central, "13800138000")["members"][0]
        assert (view["principal_fen"], view["bonus_fen"], len(view["history"])) == (3000, 300, 30)
        js_out = js(Path(url_db.removeprefix("sqlite:///")), "device", "list") if backend == "sqlite" else \
            services.list_devices(central)
        assert [(d["device_id"], d["acked_seq"]) for d in js_out] == [("till-1", len(events))]
        services.revoke_device(central, "till-1")
        assert dev.request("GET", p.PATH_PING).status_code == 403
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
        central.dispose()
