"""dashboard summaries: the campaign figures' per-day summary tables and their watermarks

Revision ID: 0019_dash_summary
Revises: 0016_mall_redemption
Create Date: 2026-12-04 19:00:00

New tables dash_day, dash_first_recharge, dash_watermark (pos_app/db/models_dash.py), empty: the dashboard
fills them from the append-only tables the first time it opens, and then only with the rows added since.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from pos_app.db.base import UTCDateTime

revision = "0019_dash_summary"
down_revision = "0016_mall_redemption"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dash_day",
        sa.Column("source", sa.String(32), primary_key=True),
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("a", sa.Integer(), nullable=False),
        sa.Column("b", sa.Integer(), nullable=False),
    )
    op.create_table(
        "dash_first_recharge",
        sa.Column("member_id", sa.String(36), primary_key=True),
        sa.Column("first_at", UTCDateTime(), nullable=False),
        sa.Column("local_first", sa.Integer(), nullable=False),
    )
    op.create_table(
        "dash_watermark",
        sa.Column("source", sa.String(32), primary_key=True),
        sa.Column("upto", sa.Integer(), nullable=False),
        sa.Column("upto_key", sa.String(80), nullable=True),
        sa.Column("tz", sa.String(64), nullable=False),
    )


def downgrade() -> None:
    for table in ("dash_watermark", "dash_first_recharge", "dash_day"):
        op.drop_table(table)
