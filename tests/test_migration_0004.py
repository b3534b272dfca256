"""Migration 0004 on a store that already has recharges and refunds: each recharge gets a short receipt
number (store code, store-local day, the day's order) and each old refund records that nothing was
deducted; it downgrades cleanly too. The models == migrations check is tests/test_migrations.py."""

from __future__ import annotations

import sqlite3

from alembic import command

from pos_app.db import migrate
from pos_app.db.engine import Database
from pos_app.services import members, wallet
from tests.conftest import make_store


def test_0004_numbers_existing_recharges_and_backfills_refunds(tmp_path):
    path = tmp_path / "store.db"
    s = make_store(path)
    m = members.register_member(s.ctx, s.cashier, phone="13800138000")
    r1 = wallet.recharge(s.ctx, s.cashier, member_id=m.member_id, amount_fen=100_00)  # 2026-11-23 10:00 Beijing
    s.clock.advance(hours=14)  # 00:00 on the 24th in Beijing, still the 23rd in UTC
    r2 = wallet.recharge(s.ctx, s.cashier, member_id=m.member_id, amount_fen=200_00)
    r3 = wallet.recharge(s.ctx, s.cashier, member_id=m.member_id, amount_fen=300_00)
    wallet.refund(s.ctx, s.manager, recharge_id=r3.recharge_id)
    s.ctx.db.dispose()

    db = Database(path)
    cfg = migrate.alembic_config(db)
    with db.engine.connect() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0004_receipt_refund@-1")
        conn.commit()
    with sqlite3.connect(path) as c:
        assert "receipt_no" not in {row[1] for row in c.execute("PRAGMA table_info(recharge)")}
        assert "deducted_fen" not in {row[1] for row in c.execute("PRAGMA table_info(refund)")}
    migrate.upgrade(db)
    assert migrate.is_current(db)
    db.dispose()
    with sqlite3.connect(path) as c:
        numbers = dict(c.execute("SELECT id, receipt_no FROM recharge"))
        refund = c.execute("SELECT principal_refund_fen, principal_unspent_fen, deducted_fen, refund_method,"
                           " deductions_json FROM refund").fetchall()
    assert numbers == {r1.recharge_id: "T001-20261123-0001", r2.recharge_id: "T001-20261124-0001",
                       r3.recharge_id: "T001-20261124-0002"}
    assert refund == [(300_00, 300_00, 0, "original", "[]")]
