"""the points mall and premium redemption: items, external codes, redemptions and their change log

Revision ID: 0016_mall_redemption
Revises: 0012
Create Date: 2026-12-04 02:00:00

New tables: mall_item, mall_code, redemption, redemption_log (issue 13). No data moves.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from pos_app.db.base import UTCDateTime

revision = "0016_mall_redemption"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mall_item",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("campaign_code", sa.String(64), nullable=False),
        sa.Column("program", sa.String(16), nullable=False),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("ref", sa.String(64), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("cash_fen", sa.Integer(), nullable=False),
        sa.Column("spend_fen", sa.Integer(), nullable=False),
        sa.Column("categories_json", sa.Text(), nullable=False),
        sa.Column("value_fen", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("reserved", sa.Integer(), nullable=False),
        sa.Column("given", sa.Integer(), nullable=False),
        sa.Column("threshold", sa.Integer(), nullable=False),
        sa.Column("limit_per_member", sa.Integer(), nullable=False),
        sa.Column("limit_period", sa.String(16), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=True),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("campaign_code", "program", "code"),
    )
    op.create_table(
        "mall_code",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("item_id", sa.String(36), sa.ForeignKey("mall_item.id"), nullable=False),
        sa.Column("code", sa.String(128), nullable=False),
        sa.Column("redemption_id", sa.String(36), nullable=True, unique=True),
        sa.Column("imported_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("item_id", "code"),
    )
    op.create_index("ix_mall_code_item_free", "mall_code", ["item_id", "redemption_id"])
    op.create_table(
        "redemption",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("request_id", sa.String(64), nullable=False, unique=True),
        sa.Column("program", sa.String(16), nullable=False),
        sa.Column("item_id", sa.String(36), sa.ForeignKey("mall_item.id"), nullable=False),
        sa.Column("member_id", sa.String(36), sa.ForeignKey("member.id"), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("cash_fen", sa.Integer(), nullable=False),
        sa.Column("pay_method", sa.String(16), nullable=True),
        sa.Column("code", sa.String(32), nullable=False, unique=True),
        sa.Column("contact", sa.String(32), nullable=True),
        sa.Column("ship_to", sa.String(400), nullable=True),
        sa.Column("carrier", sa.String(64), nullable=True),
        sa.Column("tracking", sa.String(64), nullable=True),
        sa.Column("entitlement_id", sa.String(36), nullable=True),
        sa.Column("issued_ref", sa.String(128), nullable=True),
        sa.Column("reason", sa.String(200), nullable=True),
        sa.Column("staff_id", sa.String(36), sa.ForeignKey("staff.id"), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("reviewed_at", UTCDateTime(), nullable=True),
        sa.Column("fulfilled_at", UTCDateTime(), nullable=True),
        sa.Column("received_at", UTCDateTime(), nullable=True),
    )
    op.create_index("ix_redemption_program_state_created", "redemption", ["program", "state", "created_at"])
    op.create_index("ix_redemption_program_created", "redemption", ["program", "created_at"])
    op.create_index("ix_redemption_member_item", "redemption", ["member_id", "item_id"])
    op.create_table(
        "redemption_log",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("redemption_id", sa.String(36), sa.ForeignKey("redemption.id"), nullable=False),
        sa.Column("from_state", sa.String(16), nullable=True),
        sa.Column("to_state", sa.String(16), nullable=False),
        sa.Column("event", sa.String(16), nullable=False),
        sa.Column("staff_id", sa.String(36), sa.ForeignKey("staff.id"), nullable=True),
        sa.Column("note", sa.String(400), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_redemption_log_redemption_id", "redemption_log", ["redemption_id"])


def downgrade() -> None:
    op.drop_index("ix_redemption_log_redemption_id", table_name="redemption_log")
    op.drop_table("redemption_log")
    op.drop_index("ix_redemption_member_item", table_name="redemption")
    op.drop_index("ix_redemption_program_created", table_name="redemption")
    op.drop_index("ix_redemption_program_state_created", table_name="redemption")
    op.drop_table("redemption")
    op.drop_index("ix_mall_code_item_free", table_name="mall_code")
    op.drop_table("mall_code")
    op.drop_table("mall_item")
