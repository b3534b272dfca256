"""`doctor` passes on a good database and names what is wrong on a tampered one."""

from __future__ import annotations

import sqlite3

import pytest

from pos_app.services import doctor, members, wallet


@pytest.fixture
def busy(store):
    a = members.register_member(store.ctx, store.cashier, phone="13800138000")
    b = members.register_member(store.ctx, store.cashier, phone="13900139000", invite_code=a.invite_code)
    r = wallet.recharge(store.ctx, store.cashier, member_id=a.member_id, tier_code="advanced")
    wallet.recharge(store.ctx, store.cashier, member_id=b.member_id, amount_fen=300_00)
    wallet.spend(store.ctx, store.cashier, member_id=a.member_id, amount_fen=99_99)
    wallet.refund(store.ctx, store.manager, recharge_id=r.recharge_id)
    wallet.recharge(store.ctx, store.cashier, member_id=a.member_id, tier_code="basic")
    rep = doctor.run_doctor(store.ctx)
    assert rep.ok, rep.problems
    return store


def _tamper(store, sql):
    with sqlite3.connect(store.path) as c:
        c.execute(sql)
    return doctor.run_doctor(store.ctx)


def _failed(rep):
    return {c.name for c in rep.checks if not c.ok}


def test_good_database_passes_every_check(busy):
    rep = doctor.run_doctor(busy.ctx)
    names = {c.name for c in rep.checks}
    assert {"sqlite_integrity", "migrations_current", "balance_equals_ledger", "no_negative_balance",
            "recharges_complete", "outbox_sequence_gap_free"} <= names
    assert rep.ok and rep.problems == []


def test_cached_balance_changed_behind_the_ledger_is_reported(busy):
    rep = _tamper(busy, "UPDATE member SET principal_fen = principal_fen + 100 WHERE phone = '13800138000'")
    assert not rep.ok
    assert "balance_equals_ledger" in _failed(rep)
    assert any("13800138000" in p for p in rep.problems)


def test_a_negative_balance_is_reported(busy):
    rep = _tamper(busy, "UPDATE member SET bonus_fen = -1 WHERE phone = '13900139000'")
    assert {"no_negative_balance", "balance_equals_ledger"} <= _failed(rep)


def test_a_recharge_missing_its_ledger_row_or_its_items_is_reported(busy):
    with sqlite3.connect(busy.path) as c:
        rid = c.execute("SELECT recharge_id FROM entitlement WHERE recharge_id IS NOT NULL LIMIT 1").fetchone()[0]
        c.execute("PRAGMA foreign_keys=OFF")
    rep = _tamper(busy, f"DELETE FROM audit_log WHERE entity_id = '{rid}'")
    assert "recharges_complete" in _failed(rep)


def test_a_missing_outbox_event_breaks_the_sequence_and_the_recharge(busy):
    rep = _tamper(busy, "DELETE FROM outbox WHERE type = 'wallet.recharged' AND seq = (SELECT MIN(seq) FROM outbox"
                        " WHERE type = 'wallet.recharged')")
    assert {"outbox_sequence_gap_free", "recharges_complete"} <= _failed(rep)


def test_an_edited_ledger_row_breaks_the_chain(busy):
    rep = _tamper(busy, "UPDATE wallet_entry SET principal_after_fen = principal_after_fen + 1 WHERE seq = 1")
    assert "entries_chain" in _failed(rep)


def test_points_balance_out_of_step_is_reported(busy):
    rep = _tamper(busy, "UPDATE member SET points_balance = points_balance + 5 WHERE phone = '13900139000'")
    assert "points_equal_ledger" in _failed(rep)


def test_migrations_behind_is_reported(busy):
    rep = _tamper(busy, "DELETE FROM alembic_version")
    assert "migrations_current" in _failed(rep)
