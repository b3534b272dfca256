"""Migration 0008 on a store with the shape the code before it wrote (one entitlement row per coupon a
recharge issued at once): those rows are folded into their coupon rows and deleted when nothing is lost
(issued, revoked by a refund, kept by a refund), the rest keep their rows (referral rewards, a state the
coupon does not tell); what every reader shows is the same before and after; queued outbox events stay
byte for byte; the doctor is happy; it downgrades back to that shape."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import replace

from alembic import command

from pos_app.app import open_store
from pos_app.db import migrate
from pos_app.db.engine import Database
from pos_app.services import coupons, doctor, members, wallet
from tests.conftest import make_store

_ENT = "SELECT id, member_id, recharge_id, source, kind, ref, name, value_fen, quantity, state, due_on, issued_ref," \
       " created_at FROM entitlement ORDER BY id"


def _downgrade(path, target: str) -> Database:
    db = Database(path)
    cfg = migrate.alembic_config(db)
    with db.engine.connect() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, target)
        conn.commit()
    return db


def _seen(ctx, s, member_ids, recharge_ids):
    """What the readers show: recharge results, the refund's replayed result, refund previews, member
    items and coupons."""
    return {
        "recharges": [wallet.get_recharge(ctx, s.cashier, rid) for rid in recharge_ids],
        "refund": wallet.refund(ctx, s.manager, recharge_id=recharge_ids[1], request_id="f2"),
        "previews": [wallet.refund_preview(ctx, s.cashier, rid) for rid in recharge_ids[::2]],
        "items": [wallet.member_items(ctx, s.cashier, member_id=mid) for mid in member_ids],
        "coupons": [coupons.list_coupons(ctx, s.cashier, member_id=mid) for mid in member_ids],
    }


def _kept(seen, eid):
    """``seen`` with entitlement ``eid`` shown as kept."""
    def fix(items):
        return type(items)(replace(i, state="kept") if i.entitlement_id == eid else i for i in items)
    return {**seen, "recharges": [replace(r, items=fix(r.items)) for r in seen["recharges"]],
            "items": [fix(x) for x in seen["items"]]}


def test_0008_folds_issued_coupon_entitlements_into_their_coupons_without_loss(tmp_path):
    path = tmp_path / "store.db"
    s = make_store(path)
    ctx = s.ctx
    inviter = members.register_member(ctx, s.cashier, phone="13800138000")
    code = members.get_member(ctx, s.cashier, member_id=inviter.member_id).invite_code
    a = members.register_member(ctx, s.cashier, phone="13800138001", invite_code=code)
    b = members.register_member(ctx, s.cashier, phone="13800138002")
    r1 = wallet.recharge(ctx, s.cashier, member_id=a.member_id, tier_code="luxury", request_id="r1")
    r2 = wallet.recharge(ctx, s.cashier, member_id=b.member_id, tier_code="luxury", request_id="r2")
    used = next(i for i in r2.items if i.kind == "coupon")
    coupons.redeem_coupon(ctx, s.cashier, code=used.code, amount_fen=300_00, member_id=b.member_id)
    wallet.refund(ctx, s.manager, recharge_id=r2.recharge_id, request_id="f2")  # one kept, the rest revoked
    r3 = wallet.recharge(ctx, s.cashier, member_id=b.member_id, tier_code="luxury", request_id="r3")
    mids = [inviter.member_id, a.member_id, b.member_id]
    rids = [r1.recharge_id, r2.recharge_id, r3.recharge_id]
    before = _seen(ctx, s, mids, rids)
    ctx.db.dispose()

    # the old shape: one entitlement row per coupon, with its state
    db = _downgrade(path, "0007_fewer_rows")
    db.dispose()
    with sqlite3.connect(path) as c:
        held = c.execute("SELECT COUNT(*) FROM entitlement e JOIN coupon c ON c.entitlement_id = e.id"
                         " AND c.id = e.issued_ref WHERE e.recharge_id IS NOT NULL").fetchone()[0]
        assert held == 15  # 5 per luxury recharge
        assert c.execute("SELECT state, COUNT(*) FROM entitlement WHERE recharge_id = ? AND kind IN"
                         " ('coupon', 'voucher') GROUP BY state ORDER BY state", (r2.recharge_id,)).fetchall() == [
            ("kept", 1), ("revoked", 4)]
        assert c.execute("SELECT COUNT(*) FROM coupon WHERE batch_id IS NOT NULL").fetchone()[0] == 0
        assert "item_json" not in {r[1] for r in c.execute("PRAGMA table_info(coupon)")}
        referral_rows = c.execute("SELECT COUNT(*) FROM referral_reward").fetchone()[0]
        assert referral_rows > 0
        # a state the coupon and its recharge do not tell (kept, nothing refunded): that row must stay
        odd = c.execute("SELECT id FROM entitlement WHERE recharge_id = ? AND kind = 'voucher' ORDER BY id LIMIT 1",
                        (r3.recharge_id,)).fetchone()[0]
        c.execute("UPDATE entitlement SET state = 'kept' WHERE id = ?", (odd,))
        seq = c.execute("SELECT MAX(seq) FROM outbox").fetchone()[0]
        device = c.execute("SELECT device_id FROM store_info").fetchone()[0]
        body = json.dumps({"recharge_id": r1.recharge_id, "items": [{"id": "old", "state": "issued"}]})
        c.execute("INSERT INTO outbox (seq, event_id, device_id, type, occurred_at, payload_json, payload_hash)"
                  " VALUES (?, 'old-event', ?, 'wallet.recharged', '2026-11-23 02:00:00.000000', ?, 'h')",
                  (seq + 1, device, body))
        c.commit()
        ents_before = c.execute(_ENT).fetchall()
        outbox_before = c.execute("SELECT * FROM outbox ORDER BY seq").fetchall()
        n_coupons = c.execute("SELECT COUNT(*) FROM coupon").fetchone()[0]

    migrate.upgrade(db)
    assert migrate.is_current(db)
    db.dispose()
    with sqlite3.connect(path) as c:
        left = c.execute(_ENT).fetchall()
        # the 15 folded but the odd one; the odd one and the referral rewards keep their rows
        assert len(left) == len(ents_before) - 14
        assert odd in {r[0] for r in left}
        assert c.execute("SELECT COUNT(*) FROM referral_reward r JOIN entitlement e ON e.id = r.entitlement_id"
                         ).fetchone()[0] == referral_rows
        assert c.execute("SELECT COUNT(*) FROM coupon WHERE item_json IS NOT NULL").fetchone()[0] == 14
        assert c.execute("SELECT COUNT(*) FROM coupon WHERE item_json IS NOT NULL AND (batch_id IS NULL OR"
                         " entitlement_id IS NOT NULL)").fetchone()[0] == 0
        assert c.execute("SELECT COUNT(*) FROM coupon").fetchone()[0] == n_coupons
        assert c.execute("SELECT * FROM outbox ORDER BY seq").fetchall() == outbox_before
    ctx = open_store(path)
    try:
        report = doctor.run_doctor(ctx)
        assert report.ok, report.problems
        assert _seen(ctx, s, mids, rids) == _kept(before, odd)
        # a refund after the migration takes back the folded coupons as before
        got = wallet.refund(ctx, s.manager, recharge_id=r1.recharge_id, request_id="f1")
        assert sorted(i.entitlement_id for i in got.revoked_items if i.kind in ("coupon", "voucher")) == sorted(
            i.entitlement_id for i in r1.items if i.kind in ("coupon", "voucher"))
        assert doctor.run_doctor(ctx).ok
    finally:
        ctx.db.dispose()

    # and back: the folded coupons get their entitlement rows again, with their states
    db = _downgrade(path, "0007_fewer_rows")
    db.dispose()
    with sqlite3.connect(path) as c:
        assert c.execute("SELECT COUNT(*) FROM entitlement e JOIN coupon c ON c.entitlement_id = e.id"
                         " WHERE e.recharge_id IS NOT NULL").fetchone()[0] == 15
        assert "item_json" not in {r[1] for r in c.execute("PRAGMA table_info(coupon)")}
        now = {r[0]: r for r in c.execute(_ENT)}
        assert set(now) == {r[0] for r in ents_before}
        for row in ents_before:
            if row[2] is None:  # referral rewards (never folded): r1's refund reversed its referral
                continue
            if row[2] != r1.recharge_id:  # r1 was refunded after the migration
                assert now[row[0]] == row
            elif row[4] in ("coupon", "voucher"):
                assert now[row[0]][9] == "revoked"
