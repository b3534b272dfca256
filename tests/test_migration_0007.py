"""Migration 0007 on a store with the shape the code before it wrote (one "issue" history row per coupon,
one "earn" points row per lot, the five indexes, one outbox event per coupon): the facts stay (on the
coupon rows and the lots), queued outbox events stay byte for byte, the indexes go, the doctor is happy;
it downgrades back to that shape too."""

from __future__ import annotations

import json
import sqlite3

from alembic import command

from pos_app.app import open_store
from pos_app.db import migrate
from pos_app.db.engine import Database
from pos_app.services import coupons, doctor, members, wallet
from tests.conftest import make_store

DROPPED = {"ix_entitlement_state", "ix_points_entry_lot_id", "ix_referral_reward_member_id",
           "ix_spend_allocation_recharge_id", "ix_coupon_entitlement_id"}


def _indexes(c: sqlite3.Connection) -> set[str]:
    return {r[0] for r in c.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}


def test_0007_keeps_every_fact_and_every_queued_event(tmp_path):
    path = tmp_path / "store.db"
    s = make_store(path)
    a = members.register_member(s.ctx, s.cashier, phone="13800138000")
    r1 = wallet.recharge(s.ctx, s.cashier, member_id=a.member_id, tier_code="luxury")
    wallet.spend(s.ctx, s.cashier, member_id=a.member_id, amount_fen=100_00)
    hand = coupons.issue_coupons(s.ctx, s.manager, template_code="PET20", member_id=a.member_id, count=2,
                                 reason="投诉补偿")
    history_before = {c.code: coupons.coupon_history(s.ctx, s.manager, c.code) for c in hand}
    s.ctx.db.dispose()

    db = Database(path)
    cfg = migrate.alembic_config(db)
    with db.engine.connect() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0002_coupons")  # the revision before 0007 (0008 goes first)
        conn.commit()
    # the old shape: history and earn rows, the indexes, and events queued by the old code
    with sqlite3.connect(path) as c:
        n_coupons = c.execute("SELECT COUNT(*) FROM coupon").fetchone()[0]
        assert c.execute("SELECT COUNT(*) FROM coupon_event WHERE kind = 'issue'").fetchone()[0] == n_coupons == 7
        assert c.execute("SELECT COUNT(*) FROM points_entry WHERE kind = 'earn'").fetchone()[0] == 1
        assert _indexes(c) >= DROPPED
        seq = c.execute("SELECT MAX(seq) FROM outbox").fetchone()[0]
        device = c.execute("SELECT device_id FROM store_info").fetchone()[0]
        code = c.execute("SELECT code FROM coupon LIMIT 1").fetchone()[0]
        body = json.dumps({"coupons": [{"code": code}], "entitlement_id": None})
        c.execute("INSERT INTO outbox (seq, event_id, device_id, type, occurred_at, payload_json, payload_hash)"
                  " VALUES (?, 'old-event', ?, 'coupon.issued', '2026-11-23 02:00:00.000000', ?, 'h')",
                  (seq + 1, device, body))
        # an earn row that does not repeat its lot is kept (the doctor shows it)
        lot, member = c.execute("SELECT id, member_id FROM points_lot").fetchone()
        c.execute("INSERT INTO points_entry (id, member_id, lot_id, kind, delta, ref, created_at)"
                  " VALUES ('odd-earn', ?, ?, 'earn', 7, NULL, '2026-11-23 02:00:00.000000')", (member, lot))
        outbox_before = c.execute("SELECT * FROM outbox ORDER BY seq").fetchall()
        issuers_before = dict(c.execute("SELECT id, issued_by FROM coupon"))
    migrate.upgrade(db)
    assert migrate.is_current(db)
    db.dispose()
    with sqlite3.connect(path) as c:
        assert c.execute("SELECT COUNT(*) FROM coupon_event WHERE kind = 'issue'").fetchone()[0] == 0
        assert c.execute("SELECT COUNT(*) FROM coupon").fetchone()[0] == n_coupons
        assert dict(c.execute("SELECT id, issued_by FROM coupon")) == issuers_before
        assert c.execute("SELECT id FROM points_entry WHERE kind = 'earn'").fetchall() == [("odd-earn",)]
        assert not DROPPED & _indexes(c)
        assert c.execute("SELECT * FROM outbox ORDER BY seq").fetchall() == outbox_before
        c.execute("DELETE FROM points_entry WHERE id = 'odd-earn'")
    ctx = open_store(path)
    try:
        assert doctor.run_doctor(ctx).ok, doctor.run_doctor(ctx).problems
        for c in hand:  # the history view still shows the issue (from the coupon row), as before
            assert coupons.coupon_history(ctx, s.manager, c.code) == history_before[c.code]
        assert wallet.get_recharge(ctx, s.cashier, r1.recharge_id).items == r1.items
    finally:
        ctx.db.dispose()
