"""What a store connection knows between transactions (pos_app.db.memo) is only served while it holds.

A second recharge reads none of the facts the first one learnt (settings, the running campaign, coupon
templates, the audit head, the outbox's last seq, the day's last receipt number); anything another
connection commits, anything written on the same connection outside a unit of work, a use case of this
process that writes those tables, and a rolled-back transaction all make the next use case read again, and
the audit chain, the outbox sequence and the receipt numbers stay exactly what a fresh read gives."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event

from pos_app.domain import coupons as rules
from pos_app.domain.errors import Conflict, LimitExceeded
from pos_app.services import audit, campaigns, doctor, members, staff, wallet
from tests.conftest import DEMO_CAMPAIGN

FACT_READS = ("FROM store_info", "FROM campaign", "FROM coupon_template", "FROM audit_log", "max(outbox.seq)",
              "max(recharge.receipt_no)")


@contextmanager
def statements(store) -> Iterator[list[str]]:
    seen: list[str] = []

    def on_before(_conn: Any, _cursor: Any, statement: str, *_a: Any) -> None:
        seen.append(statement)

    event.listen(store.ctx.db.engine, "before_cursor_execute", on_before)
    try:
        yield seen
    finally:
        event.remove(store.ctx.db.engine, "before_cursor_execute", on_before)


def fact_reads(seen: list[str]) -> list[str]:
    return [s for s in seen if s.startswith("SELECT") and any(f in s for f in FACT_READS)]


def _members(store, n: int) -> list[str]:
    return [members.register_member(store.ctx, store.cashier, phone=f"1390000{i:04d}").member_id for i in range(n)]


def _recharge(store, mid: str, rid: str, tier: str = "luxury") -> wallet.RechargeResult:
    return wallet.recharge(store.ctx, store.cashier, member_id=mid, tier_code=tier, pay_method="wechat", request_id=rid)


def _check_all(store, *, doctor_too: bool = True) -> None:
    con = sqlite3.connect(store.path)
    try:
        seqs = [r[0] for r in con.execute("SELECT seq FROM outbox ORDER BY seq")]
        receipts = sorted(r[0] for r in con.execute("SELECT receipt_no FROM recharge"))
    finally:
        con.close()
    assert seqs == list(range(1, len(seqs) + 1))  # gap-free, none twice
    assert len(set(receipts)) == len(receipts)
    if doctor_too:
        rep = doctor.run_doctor(store.ctx)
        assert rep.ok, [c for c in rep.checks if not c.ok]
    with store.ctx.uow(read_only=True) as uow:
        assert audit.verify_chain(uow).ok


def test_a_second_recharge_reads_none_of_the_facts_the_first_one_learnt(store) -> None:
    a, b = _members(store, 2)
    first = _recharge(store, a, "m-1")
    with statements(store) as seen:
        second = _recharge(store, b, "m-2")
    assert fact_reads(seen) == []
    assert second.receipt_no.endswith("-0002") and first.receipt_no.endswith("-0001")
    _check_all(store)


def test_another_connections_commit_makes_the_next_use_case_read_again(store) -> None:
    a, b = _members(store, 2)
    _recharge(store, a, "o-1")
    # another process's writes: a receipt number, an outbox event, an audit row (hash-chained), new settings
    con = sqlite3.connect(store.path, isolation_level=None)
    try:
        con.execute("BEGIN IMMEDIATE")
        rc = con.execute("SELECT * FROM recharge").fetchone()
        cols = [d[0] for d in con.execute("SELECT * FROM recharge").description]
        row = dict(zip(cols, rc, strict=True))
        row.update(id="00000000-0000-7000-8000-000000000001", request_id="elsewhere",
                   receipt_no=row["receipt_no"][:-4] + "0041")
        con.execute(f"INSERT INTO recharge ({', '.join(row)}) VALUES ({', '.join('?' for _ in row)})", list(row.values()))
        seq, = con.execute("SELECT max(seq) FROM outbox").fetchone()
        ev = con.execute("SELECT device_id, type, occurred_at, payload_json, payload_hash FROM outbox WHERE seq = ?",
                         (seq,)).fetchone()
        con.execute("INSERT INTO outbox (seq, event_id, device_id, type, occurred_at, payload_json, payload_hash)"
                    " VALUES (?, 'elsewhere-event', ?, ?, ?, ?, ?)", (seq + 1, *ev))
        settings = json.loads(con.execute("SELECT settings_json FROM store_info").fetchone()[0] or "{}")
        settings["balance_cap_fen"] = 100_000  # 1,000 yuan: a luxury recharge no longer fits
        con.execute("UPDATE store_info SET settings_json = ?", (json.dumps(settings),))
        con.execute("COMMIT")
    finally:
        con.close()
    with pytest.raises(LimitExceeded):
        _recharge(store, b, "o-2")  # the new cap is seen
    with statements(store) as seen:
        r = _recharge(store, b, "o-3", tier="basic")
    assert r.receipt_no.endswith("-0042")  # after the other process's receipt
    reads = fact_reads(seen)
    # the refused recharge read the settings and the campaign again (and wrote nothing: they still hold);
    # the facts it did not reach are read now
    assert not [s for s in reads if "FROM store_info" in s or "FROM campaign" in s]
    assert [s for s in reads if "max(recharge.receipt_no)" in s] and [s for s in reads if "max(outbox.seq)" in s]
    _check_all(store, doctor_too=False)  # the other process's recharge is only a receipt number


def test_a_write_on_the_same_connection_outside_a_unit_of_work_is_seen(store) -> None:
    a, b = _members(store, 2)
    _recharge(store, a, "s-1")
    with store.ctx.db.engine.connect() as conn:  # the pool's one connection: the one that knows the facts
        raw = conn.connection.driver_connection
        raw.execute("BEGIN IMMEDIATE")
        settings = json.loads(raw.execute("SELECT settings_json FROM store_info").fetchone()[0] or "{}")
        settings["balance_cap_fen"] = 100_000
        raw.execute("UPDATE store_info SET settings_json = ?", (json.dumps(settings),))
        raw.execute("COMMIT")
    with pytest.raises(LimitExceeded):
        _recharge(store, b, "s-2")
    _check_all(store)


def test_use_cases_that_write_the_facts_tables_are_seen_by_the_next_one(store) -> None:
    a, b, c = _members(store, 3)
    first = _recharge(store, a, "u-1")
    assert first.campaign_code == "DEMO-RECHARGE"
    # a settings change through its use case, then a campaign reloaded with another tier bonus
    staff.update_settings(store.ctx, store.manager, balance_cap_fen=100_000)
    with pytest.raises(LimitExceeded):
        _recharge(store, b, "u-2")
    staff.update_settings(store.ctx, store.manager, balance_cap_fen=500_000)
    data = campaigns.read_campaign_file(DEMO_CAMPAIGN)
    data["campaign"]["starts_on"] = "2026-11-01"
    data["campaign"]["ends_on"] = "2027-01-31"
    tier = next(t for t in data["tiers"] if t["code"] == "luxury")
    tier["bonus"] = "399"
    campaigns.load_campaign(store.ctx, store.manager, data, replace=True)
    r = _recharge(store, c, "u-3")
    assert r.bonus_fen == 399_00 != first.bonus_fen
    _check_all(store)


def test_a_rolled_back_use_case_leaves_no_fact_behind(store) -> None:
    """A recharge that fails after it wrote its recharge, ledger and audit rows (every coupon code drawn
    clashes): the next one reads again and continues the chain, the outbox and the receipts as stored."""
    a, b = _members(store, 2)
    first = _recharge(store, a, "r-1")
    taken = first.items[0].code.replace("-", "")
    n = 0
    for ch in taken[:16]:
        n = (n << 5) | rules.CROCKFORD.index(ch)
    real = store.ctx.randbits
    store.ctx.randbits = lambda bits: n if bits == 80 else real(bits)
    with pytest.raises(Conflict):
        _recharge(store, b, "r-2")
    store.ctx.randbits = real
    r = _recharge(store, b, "r-3")
    assert r.receipt_no.endswith("-0002")
    _check_all(store)


def _sale(store, mid: str, rid: str, balance_fen: int = 10_00) -> Any:
    from pos_app.services import checkout  # noqa: PLC0415
    from pos_app.services.checkout import LineInput, PaymentInput  # noqa: PLC0415

    lines = [LineInput(barcode="6900000000017", qty=2), LineInput(category="洗护美容", amount_fen=30_00)]
    total = checkout.quote(store.ctx, store.cashier, member_id=mid, lines=lines, coupon_code=None).total_fen
    return checkout.ring_up(store.ctx, store.cashier, request_id=rid, member_id=mid, lines=lines, coupon_code=None,
                            payments=[PaymentInput("balance", balance_fen), PaymentInput("cash", total - balance_fen)])


def _shop(store) -> list[str]:
    from pos_app.services import checkout  # noqa: PLC0415

    checkout.add_product(store.ctx, store.manager, sku="FOOD", barcode="6900000000017", name="狗粮", category="宠物食品",
                         price_fen=20_00)
    mids = _members(store, 2)
    for i, mid in enumerate(mids):
        _recharge(store, mid, f"shop-{i}", tier="basic")
    return mids


def test_a_second_sale_reads_neither_the_receipt_counter_nor_the_sync_link(store) -> None:
    a, b = _shop(store)
    first = _sale(store, a, "sale-1")
    with statements(store) as seen:
        second = _sale(store, b, "sale-2")
    assert not [s for s in seen if "max(sale.receipt_no)" in s or "FROM sync_state" in s]
    assert first.receipt_no.endswith("-0001") and second.receipt_no.endswith("-0002")


def test_another_connections_sale_and_pairing_are_seen_by_the_next_sale(store) -> None:
    """The day's last receipt number and the sync link (the offline limits' source) are read again after
    another connection committed: the next receipt follows the other one's, and a store now paired but not
    in touch with central for long refuses a balance part over the offline cap."""
    a, b = _shop(store)
    first = _sale(store, a, "x-1")
    con = sqlite3.connect(store.path, isolation_level=None)
    try:
        con.execute("BEGIN IMMEDIATE")
        cur = con.execute("SELECT * FROM sale")
        cols = [d[0] for d in cur.description]
        row = dict(zip(cols, cur.fetchone(), strict=True))
        row.update(id="00000000-0000-7000-8000-000000000002", receipt_no=first.receipt_no[:-4] + "0017")
        con.execute(f"INSERT INTO sale ({', '.join(row)}) VALUES ({', '.join('?' for _ in row)})", list(row.values()))
        con.execute("INSERT INTO sync_state (id, server_url, acked_seq, reached_at) VALUES (1, 'http://127.0.0.1:9', 0,"
                    " '2026-01-01 00:00:00.000000')")
        settings = json.loads(con.execute("SELECT settings_json FROM store_info").fetchone()[0] or "{}")
        settings["offline_spend_cap_fen"] = 5_00
        con.execute("UPDATE store_info SET settings_json = ?", (json.dumps(settings),))
        con.execute("COMMIT")
    finally:
        con.close()
    with pytest.raises(LimitExceeded) as err:
        _sale(store, b, "x-2")  # 10 yuan from the balance: over the offline cap of 5
    assert err.value.key == "sync.offline_tx_cap"
    r = _sale(store, b, "x-3", balance_fen=5_00)
    assert r.receipt_no.endswith("-0018")  # after the other connection's receipt
