"""One use case = one transaction: SQLite writes begin IMMEDIATE, and a failure anywhere inside a use case
(after ledger rows were already written) leaves nothing behind."""

from __future__ import annotations

import sqlite3

import pytest

from pos_app.services import doctor, members, wallet

TABLES = ("member", "recharge", "spend", "refund", "wallet_entry", "points_lot", "points_entry", "entitlement",
          "audit_log", "outbox", "request_log")


def _counts(path):
    with sqlite3.connect(path) as c:
        return {t: c.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in TABLES}


def test_a_write_unit_of_work_holds_the_write_lock_from_its_first_statement(store):
    with store.ctx.uow() as uow:
        uow.session.connection()  # first statement: BEGIN IMMEDIATE
        other = sqlite3.connect(store.path, timeout=0)
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
        other.execute("SELECT COUNT(*) FROM member").fetchone()  # readers are never blocked (WAL)
        other.close()
    other = sqlite3.connect(store.path, timeout=0)
    other.execute("BEGIN IMMEDIATE")  # free again once the unit of work ended
    other.rollback()
    other.close()


def test_a_read_only_unit_of_work_does_not_block_the_writer(store):
    with store.ctx.uow(read_only=True) as uow:
        uow.session.connection()
        other = sqlite3.connect(store.path, timeout=0)
        other.execute("BEGIN IMMEDIATE")
        other.rollback()
        other.close()
        with pytest.raises(RuntimeError):
            uow.commit()


@pytest.mark.parametrize("where", ["_after_recharge", "emit"])
def test_a_recharge_that_fails_late_writes_nothing(store, monkeypatch, where):
    m = members.register_member(store.ctx, store.cashier, phone="13800138000")
    before = _counts(store.path)

    def boom(*a, **k):
        raise RuntimeError("power cut")

    monkeypatch.setattr(wallet, where, boom)
    with pytest.raises(RuntimeError):
        wallet.recharge(store.ctx, store.cashier, member_id=m.member_id, tier_code="luxury")
    assert _counts(store.path) == before
    monkeypatch.undo()
    r = wallet.recharge(store.ctx, store.cashier, member_id=m.member_id, tier_code="luxury")
    assert r.balance_fen == 2400_00
    assert doctor.run_doctor(store.ctx).ok


def test_a_spend_and_a_refund_that_fail_late_write_nothing(store, monkeypatch):
    m = members.register_member(store.ctx, store.cashier, phone="13800138000")
    r = wallet.recharge(store.ctx, store.cashier, member_id=m.member_id, tier_code="basic")
    before = _counts(store.path)

    def boom(*a, **k):
        raise RuntimeError("disk full")

    monkeypatch.setattr(wallet, "emit", boom)
    with pytest.raises(RuntimeError):
        wallet.spend(store.ctx, store.cashier, member_id=m.member_id, amount_fen=10_00)
    with pytest.raises(RuntimeError):
        wallet.refund(store.ctx, store.manager, recharge_id=r.recharge_id)
    assert _counts(store.path) == before
    assert members.get_member(store.ctx, store.cashier, member_id=m.member_id).balance_fen == 550_00
    assert doctor.run_doctor(store.ctx).ok
