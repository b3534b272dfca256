"""The audit trail: every use case writes a row (who, approver, what, when, store, device, request id,
before/after figures) into a hash chain that `doctor` verifies, naming the first row changed, deleted or
inserted; migration 0005 chains the rows a store already has; only managers read the rows."""

from __future__ import annotations

import json
import sqlite3
from datetime import date

import pytest
from alembic import command
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from pos_app.db import migrate
from pos_app.db.engine import Database
from pos_app.domain.errors import InvalidInput, PermissionDenied
from pos_app.services import audit, doctor, gifts, members, wallet
from pos_app.services.audit import FIELDS, GENESIS, check_rows, row_hash

COLS = ", ".join(FIELDS) + ", hash"


def _rows(path) -> list[tuple]:
    with sqlite3.connect(path) as c:
        return c.execute(f"SELECT {COLS} FROM audit_log ORDER BY seq").fetchall()


def _chain(store) -> audit.ChainReport:
    with store.ctx.uow(read_only=True) as uow:
        return audit.verify_chain(uow)


def _audit_check(store) -> doctor.Check:
    rep = doctor.run_doctor(store.ctx)
    return next(c for c in rep.checks if c.name == "audit_chain")


@pytest.fixture
def busy(store):
    """A run of use cases: register (with an invite), recharges, a spend, a refund a manager approves for
    the cashier, a gift received and adjusted."""
    a = members.register_member(store.ctx, store.cashier, phone="13800138000")
    b = members.register_member(store.ctx, store.cashier, phone="13900139000", invite_code=a.invite_code)
    r = wallet.recharge(store.ctx, store.cashier, member_id=a.member_id, tier_code="advanced", request_id="rq-1")
    wallet.recharge(store.ctx, store.cashier, member_id=b.member_id, amount_fen=300_00)
    wallet.spend(store.ctx, store.cashier, member_id=a.member_id, amount_fen=99_99, request_id="rq-spend")
    wallet.refund(store.ctx, store.manager, recharge_id=r.recharge_id, operator=store.cashier, request_id="rq-ref")
    gifts.add_gift(store.ctx, store.manager, sku="MUG", name="马克杯", unit_value_fen=20_00)
    gifts.receive(store.ctx, store.staff, sku="MUG", qty=5, request_id="rq-recv")
    gifts.adjust(store.ctx, store.manager, sku="MUG", counted=3, reason="破损")
    return store


def test_the_chain_over_a_run_of_use_cases_verifies(busy):
    rows = _rows(busy.path)
    assert [r[0] for r in rows] == list(range(1, len(rows) + 1))  # gap-free seq
    assert rows[0][12] == GENESIS
    for prev, row in zip(rows, rows[1:], strict=False):
        assert row[12] == prev[13]
    for row in rows:
        assert row_hash(row[:13]) == row[13]
    report = _chain(busy)
    assert report.ok and report.rows == len(rows)
    check = _audit_check(busy)
    assert check.ok, check.detail
    assert doctor.run_doctor(busy.ctx).ok


def test_every_row_says_who_what_when_where_and_the_request(busy):
    with sqlite3.connect(busy.path) as c:
        store_code, device_id = c.execute("SELECT store_code, device_id FROM store_info").fetchone()
        rows = c.execute("SELECT action, staff_id, approved_by, store_code, device_id, request_id, at, details_json"
                         " FROM audit_log ORDER BY seq").fetchall()
    actions = [r[0] for r in rows]
    assert actions[:2] == ["store.init", "staff.add"]
    for action in ("member.register", "wallet.recharge", "wallet.spend", "wallet.refund", "gift.add", "gift.receive",
                   "gift.adjust", "referral.qualified"):
        assert action in actions
    assert all(r[3] == store_code and r[4] == device_id for r in rows)
    by_request = {r[5]: r for r in rows if r[5]}
    assert by_request["rq-1"][0] == "wallet.recharge" and by_request["rq-1"][1] == busy.cashier.staff_id
    assert by_request["rq-spend"][0] == "wallet.spend"
    # the refund: done by the cashier at the counter, approved by the manager
    refund = by_request["rq-ref"]
    assert refund[0] == "wallet.refund"
    assert (refund[1], refund[2]) == (busy.cashier.staff_id, busy.manager.staff_id)
    # a manager acting alone has no approver
    assert all(r[2] is None for r in rows if r[0] != "wallet.refund")
    assert rows[0][6].startswith("2026-11-23 02:00:")  # UTC as stored


def _moves(path, request_id):
    with sqlite3.connect(path) as c:
        details = c.execute("SELECT details_json FROM audit_log WHERE request_id = ?", (request_id,)).fetchone()[0]
    return {(mv["what"], mv["key"]): (mv["before"], mv["after"]) for mv in json.loads(details).get("moves", [])}


def test_money_points_and_stock_moves_carry_before_and_after(busy):
    with sqlite3.connect(busy.path) as c:
        a_id = c.execute("SELECT id FROM member WHERE phone = '13800138000'").fetchone()[0]
        recharge = c.execute("SELECT amount_fen + bonus_fen, points FROM recharge WHERE request_id = 'rq-1'").fetchone()
    moves = _moves(busy.path, "rq-1")
    assert moves[("wallet", a_id)] == (0, recharge[0])
    assert moves[("points", a_id)] == (0, recharge[1])
    spend = _moves(busy.path, "rq-spend")
    assert spend[("wallet", a_id)] == (recharge[0], recharge[0] - 99_99)
    refund = _moves(busy.path, "rq-ref")
    before, after = refund[("wallet", a_id)]
    assert before == recharge[0] - 99_99 and after < before
    assert ("points", a_id) in refund
    assert _moves(busy.path, "rq-recv")[("stock", "MUG")] == (0, 5)
    with sqlite3.connect(busy.path) as c:
        adj = json.loads(c.execute("SELECT details_json FROM audit_log WHERE action = 'gift.adjust'").fetchone()[0])
    assert [(mv["what"], mv["key"], mv["before"], mv["after"]) for mv in adj["moves"]] == [("stock", "MUG", 5, 3)]
    # the referral's own row does not take the recharge's figures
    with sqlite3.connect(busy.path) as c:
        ref = json.loads(c.execute("SELECT details_json FROM audit_log WHERE action = 'referral.qualified'")
                         .fetchone()[0])
    assert ("wallet", a_id) not in {(mv["what"], mv["key"]) for mv in ref.get("moves", [])}


def _en(problem) -> str:
    return problem.message("en")


def _seq_id(path, seq):
    with sqlite3.connect(path) as c:
        return c.execute("SELECT id FROM audit_log WHERE seq = ?", (seq,)).fetchone()[0]


def test_a_changed_row_is_named_as_changed(busy):
    victim = _seq_id(busy.path, 5)
    with sqlite3.connect(busy.path) as c:
        c.execute("UPDATE audit_log SET details_json = replace(details_json, '1', '2') WHERE seq = 5")
    report = _chain(busy)
    assert report.problem == audit.ChainProblem("changed", 5, victim)
    check = _audit_check(busy)
    assert not check.ok and check.detail == report.problem.message() and victim in check.detail
    assert "seq 5" in _en(report.problem) and "changed" in _en(report.problem)
    assert not doctor.run_doctor(busy.ctx).ok


def test_a_deleted_row_is_named_as_deleted(busy):
    after = _seq_id(busy.path, 8)
    with sqlite3.connect(busy.path) as c:
        c.execute("DELETE FROM audit_log WHERE seq = 7")
    report = _chain(busy)
    assert report.problem == audit.ChainProblem("deleted", 8, after, missing_seq=7)
    check = _audit_check(busy)
    assert not check.ok and check.detail == report.problem.message()
    assert "seq 7 was deleted" in _en(report.problem) and after in _en(report.problem)


def _forge(path, seq, prev_hash):
    """A row with a self-consistent hash (the forger knows the scheme) that chains to ``prev_hash``."""
    values = [seq, "forged-row", "2026-11-23 03:00:00.000000", None, None, "wallet.spend", "spend", "x", "T001",
              "dev", None, "{}", prev_hash]
    with sqlite3.connect(path) as c:
        c.execute(f"INSERT INTO audit_log ({COLS}) VALUES ({', '.join('?' * 14)})", [*values, row_hash(values)])


def test_an_inserted_row_is_named_as_inserted(busy):
    rows = _rows(busy.path)
    n = len(rows)
    _forge(busy.path, n + 1, rows[3][13])  # chains to row 4, not to the last row
    report = _chain(busy)
    assert report.problem == audit.ChainProblem("inserted", n + 1, "forged-row")
    check = _audit_check(busy)
    assert not check.ok and check.detail == report.problem.message() and "forged-row" in check.detail
    assert f"seq {n + 1}" in _en(report.problem) and "inserted" in _en(report.problem)


def test_a_row_slipped_in_with_a_duplicate_seq_is_named_as_inserted(busy):
    rows = _rows(busy.path)
    with sqlite3.connect(busy.path) as c:
        c.execute("DROP INDEX ix_audit_log_seq")  # a forger would have to
    _forge(busy.path, 3, rows[1][13])  # a second seq 3, chained to row 2 ("forged-row" sorts after uuids)
    report = _chain(busy)
    assert report.problem is not None and report.problem.kind == "inserted" and report.problem.seq == 3


def test_the_chain_continues_across_transactions_and_a_failed_use_case_leaves_no_row(busy):
    before = _rows(busy.path)
    with pytest.raises(InvalidInput):
        wallet.spend(busy.ctx, busy.cashier, phone="13800138000", amount_fen=-5)
    assert _rows(busy.path) == before
    wallet.spend(busy.ctx, busy.cashier, phone="13900139000", amount_fen=1_00)
    after = _rows(busy.path)
    assert len(after) == len(before) + 1 and after[-1][12] == before[-1][13]
    assert _chain(busy).ok


def test_the_migration_builds_a_valid_chain_over_existing_rows(busy):
    n = len(_rows(busy.path))
    busy.ctx.db.dispose()
    db = Database(busy.path)
    cfg = migrate.alembic_config(db)
    with db.engine.connect() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0005_audit_chain@-1")
        conn.commit()
    with sqlite3.connect(busy.path) as c:
        assert "hash" not in {row[1] for row in c.execute("PRAGMA table_info(audit_log)")}
        order = [r[0] for r in c.execute("SELECT id FROM audit_log ORDER BY at, id")]
    migrate.upgrade(db)
    assert migrate.is_current(db)
    db.dispose()
    rows = _rows(busy.path)
    assert len(rows) == n and [r[1] for r in rows] == order
    assert check_rows(rows).ok
    with sqlite3.connect(busy.path) as c:
        assert c.execute("SELECT COUNT(*) FROM audit_log WHERE store_code = 'T001'").fetchone()[0] == n
    assert _chain(busy).ok and doctor.run_doctor(busy.ctx).ok
    # and new rows chain on after the migrated ones
    wallet.spend(busy.ctx, busy.cashier, phone="13900139000", amount_fen=1_00)
    assert _chain(busy).ok and _chain(busy).rows == n + 1


def test_managers_read_the_rows_with_filters_and_a_cashier_cannot(busy):
    with pytest.raises(PermissionDenied):
        audit.audit_rows(busy.ctx, busy.cashier)
    with pytest.raises(PermissionDenied):
        audit.audit_rows(busy.ctx, busy.staff)
    every = audit.audit_rows(busy.ctx, busy.manager)
    assert [r.seq for r in every] == sorted((r.seq for r in every), reverse=True)
    mine = audit.audit_rows(busy.ctx, busy.manager, staff="cash1")
    assert mine and all("cash1" in (r.staff_code, r.approved_by_code) for r in mine)
    assert {r.action for r in audit.audit_rows(busy.ctx, busy.manager, action="wallet.")} == {
        "wallet.recharge", "wallet.spend", "wallet.refund"}
    assert [r.action for r in audit.audit_rows(busy.ctx, busy.manager, action="wallet.spend")] == ["wallet.spend"]
    member_rows = audit.audit_rows(busy.ctx, busy.manager, phone="13900139000")
    assert {"member.register", "wallet.recharge"} <= {r.action for r in member_rows}
    assert "wallet.spend" not in {r.action for r in member_rows}
    # store days: the fixture's clock is 2026-11-23 in Beijing
    assert len(audit.audit_rows(busy.ctx, busy.manager, since=date(2026, 11, 23), until=date(2026, 11, 23))) == len(every)
    assert audit.audit_rows(busy.ctx, busy.manager, since=date(2026, 11, 24)) == []
    assert audit.audit_rows(busy.ctx, busy.manager, phone="13700000000") == []
    with pytest.raises(InvalidInput):
        audit.audit_rows(busy.ctx, busy.manager, since=date(2026, 11, 24), until=date(2026, 11, 23))


# ----------------------------------------------------------------------------- property

OPS = st.sampled_from(["register", "recharge", "spend", "refund", "receive", "adjust", "expire"])


def _single_byte_change(value, byte_pos: int, new_byte: int):
    if value is None:
        return chr(new_byte % 95 + 32)
    if isinstance(value, int):
        return value ^ (1 << (byte_pos % 16))
    raw = bytearray(str(value).encode("utf-8"))
    if not raw:
        return chr(new_byte % 95 + 32)
    i = byte_pos % len(raw)
    assume(raw[i] != new_byte)
    raw[i] = new_byte
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        assume(False)
        raise


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(ops=st.lists(OPS, min_size=1, max_size=6), row=st.integers(0, 10_000), field=st.integers(0, 13),
       byte_pos=st.integers(0, 10_000), new_byte=st.integers(0, 255))
def test_any_sequence_of_use_cases_verifies_and_any_single_byte_change_is_detected(
    store, ops, row, field, byte_pos, new_byte
):
    s = store
    phones = [f"1380000{n:04d}" for n in range(1, 60)]
    with sqlite3.connect(s.path) as c:
        known = [r[0] for r in c.execute("SELECT phone FROM member")]
        recharges = [r[0] for r in c.execute("SELECT id FROM recharge WHERE state = 'active'")]
        has_gift = c.execute("SELECT COUNT(*) FROM gift_item").fetchone()[0] > 0
    if not has_gift:
        gifts.add_gift(s.ctx, s.manager, sku="CUP", name="杯子", unit_value_fen=10_00)
    for op in ops:
        if op == "register" or not known:
            phone = next(p for p in phones if p not in known)
            members.register_member(s.ctx, s.cashier, phone=phone)
            known.append(phone)
        elif op == "recharge":
            r = wallet.recharge(s.ctx, s.cashier, phone=known[-1], amount_fen=100_00)
            recharges.append(r.recharge_id)
        elif op == "spend":
            try:
                wallet.spend(s.ctx, s.cashier, phone=known[0], amount_fen=1_00)
            except Exception:  # noqa: BLE001  (no balance yet: refused, nothing written)
                pass
        elif op == "refund" and recharges:
            wallet.refund(s.ctx, s.manager, recharge_id=recharges.pop(), operator=s.cashier)
        elif op == "receive":
            gifts.receive(s.ctx, s.staff, sku="CUP", qty=2)
        elif op == "adjust":
            try:
                gifts.adjust(s.ctx, s.manager, sku="CUP", delta=1, reason="盘点")
            except Exception:  # noqa: BLE001
                pass
        elif op == "expire":
            wallet.expire_points(s.ctx, s.manager)
    rows = _rows(s.path)
    assert check_rows(rows).ok
    with s.ctx.uow(read_only=True) as uow:
        assert audit.verify_chain(uow).ok
    i = row % len(rows)
    changed = list(rows[i])
    changed[field] = _single_byte_change(changed[field], byte_pos, new_byte)
    assume(changed[field] != rows[i][field])
    tampered = [*rows[:i], tuple(changed), *rows[i + 1:]]
    if field == 0:
        tampered.sort(key=lambda r: (r[0], r[1]))
    report = check_rows(tampered)
    assert not report.ok
    # the same change made in the file itself, then undone
    col = (*FIELDS, "hash")[field]
    with sqlite3.connect(s.path) as c:
        rowid = c.execute("SELECT rowid FROM audit_log WHERE id = ?", (rows[i][1],)).fetchone()[0]
        try:
            c.execute(f"UPDATE audit_log SET {col} = ? WHERE rowid = ?", (changed[field], rowid))
        except sqlite3.IntegrityError:  # a seq another row has, or NULL in a NOT NULL column
            return
    try:
        with s.ctx.uow(read_only=True) as uow:
            assert not audit.verify_chain(uow).ok
    finally:
        with sqlite3.connect(s.path) as c:
            c.execute(f"UPDATE audit_log SET {col} = ? WHERE rowid = ?", (rows[i][field], rowid))
    with s.ctx.uow(read_only=True) as uow:
        assert audit.verify_chain(uow).ok
