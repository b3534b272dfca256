"""A manager's wallet adjustment reaches central (issue 15): a real store file recharges, adjusts a member's
principal down and bonus up, then spends; its outbox is pushed to central (an SQLite file, and PostgreSQL when
POS_TEST_PG_URL is set). Central derives a wallet entry of kind ``adjust`` from ``wallet.adjusted``, its balance
equals the store's after each push, its liability report counts the adjustment as its own movement (opening +
movements == closing) and agrees with the store's own report; pushing it all again changes nothing."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path
from typing import Any

from pos_app.central import services, services_reports, services_sync
from pos_app.central.db import CentralDatabase
from pos_app.services import members, wallet
from pos_app.services.reports import liability
from tests.conftest import make_store

PHONE = "13800138124"


def _events(store: sqlite3.Connection) -> list[dict[str, Any]]:
    return [{"event_id": r[0], "device_id": r[1], "seq": r[2], "type": r[3], "occurred_at": str(r[4]),
             "payload_json": r[5], "payload_hash": r[6]}
            for r in store.execute("SELECT event_id, device_id, seq, type, occurred_at, payload_json, payload_hash "
                                   "FROM outbox ORDER BY seq")]


def test_an_adjustment_moves_centrals_balance_and_its_liability(central_db: CentralDatabase, tmp_path: Path) -> None:
    st = make_store(tmp_path / "till.db")
    mem = members.register_member(st.ctx, st.cashier, phone=PHONE)
    wallet.recharge(st.ctx, st.cashier, member_id=mem.member_id, tier_code="basic")  # ¥500 + ¥50
    store = sqlite3.connect(tmp_path / "till.db")
    device_id, store_code = store.execute("SELECT device_id, store_code FROM store_info").fetchone()
    cst = services.add_store(central_db, "测试门店", store_code)
    dev = services_sync.pair(central_db, services.device_code(central_db, cst["store_id"])["code"], device_id,
                             store_code, "till")
    auth = services_sync.DeviceAuth(device_id, dev["store_id"], store_code)

    def push_and_compare() -> tuple[int, int]:
        answer = services_sync.push(central_db, auth, _events(store))
        assert {r["status"] for r in answer["results"]} <= {"accepted", "exists"}
        here = store.execute("SELECT principal_fen, bonus_fen FROM member WHERE id = ?", (mem.member_id,)).fetchone()
        view = services.member_show(central_db, PHONE)["members"][0]
        assert (view["principal_fen"], view["bonus_fen"]) == tuple(here)
        return int(here[0]), int(here[1])

    assert push_and_compare() == (500_00, 50_00)
    adj = wallet.adjust(st.ctx, st.manager, member_id=mem.member_id, principal_fen=-30_00, bonus_fen=12_00,
                        reason="补正")
    assert push_and_compare() == (470_00, 62_00)
    view = services.member_show(central_db, PHONE)["members"][0]
    entry = next(e for e in view["history"] if e["kind"] == "adjust")
    assert (entry["entry_id"], entry["principal_delta_fen"], entry["bonus_delta_fen"]) == (adj.adjustment_id, -30_00, 12_00)
    assert (entry["principal_after_fen"], entry["bonus_after_fen"]) == (470_00, 62_00)
    wallet.spend(st.ctx, st.cashier, member_id=mem.member_id, amount_fen=100_00)
    after = push_and_compare()
    assert services.list_conflicts(central_db) == []
    n = len(services.member_show(central_db, PHONE)["members"][0]["history"])
    again = services_sync.push(central_db, auth, _events(store))
    assert {r["status"] for r in again["results"]} == {"exists"}
    assert len(services.member_show(central_db, PHONE)["members"][0]["history"]) == n

    day = st.ctx.now().date()
    r = services_reports.liability_report(central_db, from_day=date(day.year, day.month, 1), to_day=day)
    part = r["stores"][0]
    moves = {x["kind"]: x for x in part["movements"]}
    assert (moves["adjust"]["count"], moves["adjust"]["principal_fen"], moves["adjust"]["bonus_fen"]) == (1, -30_00, 12_00)
    assert part["balanced"] and r["total"]["balanced"]
    assert (part["closing"]["principal_fen"], part["closing"]["bonus_fen"]) == after
    own = liability.liability(st.ctx, st.manager, from_day=date(day.year, day.month, 1), to_day=day)
    own_moves = {x.kind: (x.count, x.principal_fen, x.bonus_fen) for x in own.movements}
    assert own_moves["adjust"] == (1, -30_00, 12_00) and own.balanced
    assert (own.closing_principal_fen, own.closing_bonus_fen) == after
    assert liability.kind_label("adjust") != "adjust"  # labelled in the report, not shown as a bare kind
    st.ctx.db.dispose()
    store.close()
