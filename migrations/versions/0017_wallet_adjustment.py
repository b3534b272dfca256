"""a manager's wallet adjustment: its record (a lot, as a recharge is), what spends take from it, and its ledger row

Revision ID: 0017
Revises: 0016_mall_redemption
Create Date: 2026-12-04 19:00:00

New tables: wallet_adjustment, adjustment_allocation; wallet_entry gets adjustment_id (issue 15). No data moves.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from pos_app.db.base import UTCDateTime

revision = "0017"
down_revision = "0016_mall_redemption"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "wallet_adjustment",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("request_id", sa.String(64), nullable=False, unique=True),
        sa.Column("member_id", sa.String(36), sa.ForeignKey("member.id"), nullable=False),
        sa.Column("principal_delta_fen", sa.Integer(), nullable=False),
        sa.Column("bonus_delta_fen", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(200), nullable=False),
        sa.Column("staff_id", sa.String(36), sa.ForeignKey("staff.id"), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("principal_left_fen", sa.Integer(), nullable=False),
        sa.Column("bonus_left_fen", sa.Integer(), nullable=False),
    )
    op.create_index("ix_wallet_adjustment_member_id", "wallet_adjustment", ["member_id"])
    op.create_table(
        "adjustment_allocation",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("spend_id", sa.String(36), sa.ForeignKey("spend.id"), nullable=False),
        sa.Column("adjustment_id", sa.String(36), sa.ForeignKey("wallet_adjustment.id"), nullable=False),
        sa.Column("principal_fen", sa.Integer(), nullable=False),
        sa.Column("bonus_fen", sa.Integer(), nullable=False),
    )
    op.create_index("ix_adjustment_allocation_spend_id", "adjustment_allocation", ["spend_id"])
    op.create_index("ix_adjustment_allocation_adjustment_id", "adjustment_allocation", ["adjustment_id"])
    if op.get_bind().dialect.name == "sqlite":  # a column with its reference, added in place (no table rebuild)
        op.execute("ALTER TABLE wallet_entry ADD COLUMN adjustment_id VARCHAR(36) REFERENCES wallet_adjustment (id)")
    else:
        op.add_column("wallet_entry", sa.Column("adjustment_id", sa.String(36), nullable=True))
        op.create_foreign_key("fk_wallet_entry_adjustment_id_wallet_adjustment", "wallet_entry", "wallet_adjustment",
                              ["adjustment_id"], ["id"])
    op.create_index("ix_wallet_entry_adjustment_id", "wallet_entry", ["adjustment_id"])


def downgrade() -> None:
    op.drop_index("ix_wallet_entry_adjustment_id", table_name="wallet_entry")
    if op.get_bind().dialect.name == "sqlite":  # a column with a reference: SQLite drops it by rebuilding the table
        with op.batch_alter_table("wallet_entry", recreate="always") as b:
            b.drop_column("adjustment_id")
    else:
        op.drop_constraint("fk_wallet_entry_adjustment_id_wallet_adjustment", "wallet_entry", type_="foreignkey")
        op.drop_column("wallet_entry", "adjustment_id")
    op.drop_index("ix_adjustment_allocation_adjustment_id", table_name="adjustment_allocation")
    op.drop_index("ix_adjustment_allocation_spend_id", table_name="adjustment_allocation")
    op.drop_table("adjustment_allocation")
    op.drop_index("ix_wallet_adjustment_member_id", table_name="wallet_adjustment")
    op.drop_table("wallet_adjustment")
