"""a member's coupons by (member_id, state)

Revision ID: 0009_coupon_member_state
Revises: 0008_coupon_item
Create Date: 2026-12-02 07:30:00

The member view counts a member's unused coupons (``member_id = ? AND state = 'issued'``). With one index
on ``member_id`` and another on ``state``, SQLite picked the state index and walked every issued coupon of
the store (166 ms per look-up with a million coupons). One index on (member_id, state) answers it from the
index; the ``member_id`` index becomes its prefix and is dropped. No data moves.
"""

from __future__ import annotations

from alembic import op

revision = "0009_coupon_member_state"
down_revision = "0008_coupon_item"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_coupon_member_state", "coupon", ["member_id", "state"], unique=False)
    op.drop_index("ix_coupon_member_id", table_name="coupon")


def downgrade() -> None:
    op.create_index("ix_coupon_member_id", "coupon", ["member_id"], unique=False)
    op.drop_index("ix_coupon_member_state", table_name="coupon")
