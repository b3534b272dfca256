"""one event per use case, fewer rows: a coupon's issue is its row, a points lot is its earning; unused indexes go

Revision ID: 0007_fewer_rows
Revises: 0002_coupons
Create Date: 2026-12-02 06:20:00

- ``coupon_event`` rows of kind ``issue`` are dropped: what they said is on the coupon row (issued_at,
  issued_by, member_id, reason); an issuer the coupon row lacks is copied onto it first.
- ``points_entry`` rows of kind ``earn`` are dropped where they repeat their lot (same member, same
  points): the lot records the earning (points, earned_at, recharge_id). An earn row that does not match
  its lot is kept, so the doctor still shows it.
- Indexes dropped: ``ix_entitlement_state`` (a prefix of ``ix_entitlement_state_kind_ref``) and four
  foreign-key column indexes no query reads by (points_entry.lot_id, referral_reward.member_id,
  spend_allocation.recharge_id, coupon.entitlement_id; those rows are never deleted).
- The outbox is not touched: events already queued (one ``coupon.issued`` per coupon, ...) are pushed
  as they are.
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from alembic import op

revision = '0007_fewer_rows'
down_revision = '0002_coupons'
branch_labels = None
depends_on = None

#: (index, table, columns) dropped by this revision
DROPPED = (
    ("ix_entitlement_state", "entitlement", ["state"]),
    ("ix_points_entry_lot_id", "points_entry", ["lot_id"]),
    ("ix_referral_reward_member_id", "referral_reward", ["member_id"]),
    ("ix_spend_allocation_recharge_id", "spend_allocation", ["recharge_id"]),
    ("ix_coupon_entitlement_id", "coupon", ["entitlement_id"]),
)


def upgrade() -> None:
    op.execute(
        "UPDATE coupon SET issued_by = (SELECT e.staff_id FROM coupon_event e WHERE e.coupon_id = coupon.id"
        " AND e.kind = 'issue' AND e.staff_id IS NOT NULL LIMIT 1)"
        " WHERE issued_by IS NULL AND EXISTS (SELECT 1 FROM coupon_event e WHERE e.coupon_id = coupon.id"
        " AND e.kind = 'issue' AND e.staff_id IS NOT NULL)"
    )
    op.execute("DELETE FROM coupon_event WHERE kind = 'issue'")
    op.execute(
        "DELETE FROM points_entry WHERE kind = 'earn' AND EXISTS (SELECT 1 FROM points_lot l"
        " WHERE l.id = points_entry.lot_id AND l.member_id = points_entry.member_id AND l.points = points_entry.delta)"
    )
    for name, table, _cols in DROPPED:
        op.drop_index(name, table_name=table)


def downgrade() -> None:
    for name, table, cols in DROPPED:
        op.create_index(name, table, cols, unique=False)
    conn = op.get_bind()
    lots = conn.execute(sa.text(
        "SELECT l.id, l.member_id, l.points, l.earned_at, l.recharge_id FROM points_lot l WHERE NOT EXISTS"
        " (SELECT 1 FROM points_entry e WHERE e.lot_id = l.id AND e.kind = 'earn')")).all()
    for lot_id, member_id, points, earned_at, recharge_id in lots:
        conn.execute(sa.text(
            "INSERT INTO points_entry (id, member_id, lot_id, kind, delta, ref, created_at)"
            " VALUES (:id, :m, :l, 'earn', :p, :r, :at)"),
            {"id": str(uuid.uuid4()), "m": member_id, "l": lot_id, "p": points, "r": recharge_id, "at": earned_at})
    coupons = conn.execute(sa.text(
        "SELECT c.id, c.issued_at, c.issued_by, c.member_id, c.reason FROM coupon c WHERE NOT EXISTS"
        " (SELECT 1 FROM coupon_event e WHERE e.coupon_id = c.id AND e.kind = 'issue')")).all()
    for cid, at, by, member_id, reason in coupons:
        conn.execute(sa.text(
            "INSERT INTO coupon_event (id, coupon_id, kind, at, staff_id, member_id, reason)"
            " VALUES (:id, :c, 'issue', :at, :by, :m, :r)"),
            {"id": str(uuid.uuid4()), "c": cid, "at": at, "by": by, "m": member_id, "r": reason})
