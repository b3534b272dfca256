"""dashboard: indexes for the campaign figures by time

Revision ID: 0014_dashboard
Revises: 0013
Create Date: 2026-12-04 02:00:00

No table, no data: the covering indexes the dashboard and the campaign report read a period through (sales by time,
points lots and ledger rows by time with what they sum, coupons by issue, redemption and expiry day).
See pos_app/db/models_reports.py.
"""

from alembic import op

revision = "0014_dashboard"
down_revision = "0013"
branch_labels = None
depends_on = None

INDEXES = (
    ("ix_sale_created_cover", "sale", ["created_at", "member_id", "total_fen", "paid_fen", "id"]),
    ("ix_points_lot_earned", "points_lot", ["earned_at", "source", "points"]),
    ("ix_points_entry_created", "points_entry", ["created_at", "kind", "delta"]),
    ("ix_coupon_issued_at", "coupon", ["issued_at"]),
    ("ix_coupon_redeemed_at", "coupon", ["redeemed_at"]),
    ("ix_coupon_valid_until", "coupon", ["valid_until"]),
)


def upgrade() -> None:
    for name, table, cols in INDEXES:
        op.create_index(name, table, cols, unique=False)


def downgrade() -> None:
    for name, table, _cols in reversed(INDEXES):
        op.drop_index(name, table_name=table)
