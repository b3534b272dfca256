"""`pos-central member show` merges a member's level (and its change log) and task progress and completions
from the events a real store pushed (issue 13; derived on ingest: docs/sync-protocol.md, Levels and tasks).
SQLite, and PostgreSQL when POS_TEST_PG_URL is set."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from pos_app.central import cli as central_cli
from pos_app.central import services, services_sync
from pos_app.central.db import CentralDatabase

PHONE = "13800000001"


def _store_events(path: Path, after_seq: int = 0) -> tuple[str, str, list[dict[str, Any]]]:
    with sqlite3.connect(path) as c:
        device_id, store_code = c.execute("SELECT device_id, store_code FROM store_info").fetchone()
        rows = c.execute("SELECT event_id, device_id, seq, type, occurred_at, payload_json, payload_hash FROM outbox "
                         "WHERE seq > ? ORDER BY seq", (after_seq,)).fetchall()
    return device_id, store_code, [{"event_id": r[0], "device_id": r[1], "seq": r[2], "type": r[3],
                                    "occurred_at": str(r[4]), "payload_json": r[5], "payload_hash": r[6]} for r in rows]


def test_member_show_has_the_level_and_task_progress_from_the_store_events(central_db: CentralDatabase,
                                                                            tmp_path: Path, capsys: Any) -> None:
    from pos_app.services import campaigns, checkout, members, wallet
    from pos_app.services.checkout import LineInput, PaymentInput
    from tests.conftest import make_store
    from tests.services.test_levels_tasks import program

    st = make_store(tmp_path / "till.db")
    request_cleanup = st.ctx.db.dispose
    campaigns.load_campaign(st.ctx, st.manager, program(), replace=True)
    mem = members.register_member(st.ctx, st.cashier, phone=PHONE)
    wallet.recharge(st.ctx, st.cashier, member_id=mem.member_id, amount_fen=1000_00)  # 普通 -> 银卡
    sales = [checkout.ring_up(st.ctx, st.cashier, request_id=None, member_id=mem.member_id,
                              lines=[LineInput(category="宠物食品", amount_fen=100_00)], coupon_code=None,
                              payments=[PaymentInput("cash", 100_00)]).sale_id for _ in range(3)]
    device_id, store_code, events = _store_events(st.path)
    cst = services.add_store(central_db, "测试门店", store_code)
    dev = services_sync.pair(central_db, services.device_code(central_db, cst["store_id"])["code"], device_id,
                             store_code, "till")
    auth = services_sync.DeviceAuth(device_id, dev["store_id"], store_code)
    assert {r["status"] for r in services_sync.push(central_db, auth, events)["results"]} == {"accepted"}
    view = services.member_show(central_db, PHONE)["members"][0]
    assert view["level"] is not None and view["level"]["level"] == "silver" and view["level"]["store_code"] == store_code
    assert [(c["to_level"], c["reason"], c["store_code"]) for c in view["level_changes"]][-1] == (
        "silver", "recharge", store_code)
    tasks = {t["task_id"]: t for t in view["tasks"]}
    assert (tasks["buy3"]["progress"], tasks["buy3"]["target"], tasks["buy3"]["state"], tasks["buy3"]["points"]) == (
        3, 3, "completed", 50)
    assert (tasks["spend800"]["progress"], tasks["spend800"]["state"]) == (300_00, "open")
    assert "groom" not in tasks  # never moved: no row
    # the same events pushed again: nothing counted twice
    assert {r["status"] for r in services_sync.push(central_db, auth, events)["results"]} == {"exists"}
    assert services.member_show(central_db, PHONE)["members"][0]["tasks"] == view["tasks"]

    # a return takes the completion back at the store; central follows
    checkout.return_sale(st.ctx, st.manager, request_id=None, sale_id=sales[2])
    request_cleanup()
    _, _, more = _store_events(st.path, after_seq=max(e["seq"] for e in events))
    assert {r["status"] for r in services_sync.push(central_db, auth, more)["results"]} == {"accepted"}
    view = services.member_show(central_db, PHONE)["members"][0]
    tasks = {t["task_id"]: t for t in view["tasks"]}
    assert (tasks["buy3"]["progress"], tasks["buy3"]["state"], tasks["buy3"]["points"]) == (2, "open", 0)
    assert (tasks["buy3"]["completions"], tasks["buy3"]["reversals"]) == (1, 1)
    assert tasks["spend800"]["progress"] == 200_00
    # the CLI shows the same (text and --json)
    url = str(central_db.engine.url.render_as_string(hide_password=False))
    assert central_cli.main(["member", "show", "--db", url, "--phone", PHONE]) == 0
    text = capsys.readouterr().out
    assert "level silver since" in text and "task " in text and "/buy3  2/3  open" in text
    assert central_cli.main(["member", "show", "--db", url, "--json", "--phone", PHONE]) == 0
    got = json.loads(capsys.readouterr().out)
    assert got["members"][0]["level"]["level"] == "silver"
