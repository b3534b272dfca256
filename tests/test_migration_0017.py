"""Migration 0017 (the wallet adjustment) on a store with wallet rows: it downgrades (the wallet entries kept, the
new tables and column gone) and upgrades again to a store the doctor passes, where adjustments work."""

from __future__ import annotations

import sqlite3

from alembic import command

from pos_app.app import open_store
from pos_app.db import migrate
from pos_app.db.engine import Database
from pos_app.services import doctor, members, staff, wallet
from tests.conftest import make_store


def test_0017_downgrades_and_upgrades_keeping_the_ledger(tmp_path):
    path = tmp_path / "store.db"
    s = make_store(path)
    m = members.register_member(s.ctx, s.cashier, phone="13800138000")
    wallet.recharge(s.ctx, s.cashier, member_id=m.member_id, amount_fen=100_00)
    wallet.spend(s.ctx, s.cashier, member_id=m.member_id, amount_fen=30_00)
    s.ctx.db.dispose()
    with sqlite3.connect(path) as c:
        before = c.execute("SELECT id, principal_after_fen, bonus_after_fen FROM wallet_entry ORDER BY seq").fetchall()

    db = Database(path)
    cfg = migrate.alembic_config(db)
    with db.engine.connect() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0017@-1")
        conn.commit()
    with sqlite3.connect(path) as c:
        assert "adjustment_id" not in {row[1] for row in c.execute("PRAGMA table_info(wallet_entry)")}
        tables = {r[0] for r in c.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert not {"wallet_adjustment", "adjustment_allocation"} & tables
        assert c.execute("SELECT id, principal_after_fen, bonus_after_fen FROM wallet_entry ORDER BY seq").fetchall() \
            == before
    migrate.upgrade(db)
    assert migrate.is_current(db)
    db.dispose()
    ctx = open_store(path)
    try:
        manager = staff.login(ctx, "boss", "9999")
        res = wallet.adjust(ctx, manager, member_id=m.member_id, principal_fen=-10_00, reason="迁移后")
        assert res.balance_fen == 60_00
        report = doctor.run_doctor(ctx)
        assert report.ok, report.problems
    finally:
        ctx.db.dispose()
