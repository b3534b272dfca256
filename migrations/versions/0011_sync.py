"""store side of sync: sync state, rounds, conflicts; origin of pulled rows

Revision ID: 0011_sync
Revises: 0009_coupon_member_state, 0003_gifts
Create Date: 2026-12-02 18:30:00

What central sends goes into the existing tables so the existing queries see it (a member registered elsewhere
is found at the counter, a balance includes entries made elsewhere): ``recharge.origin_store`` and
``wallet_entry.origin_store`` / ``origin_ref`` (unique: a pulled entry is applied once) / the balances-after as
the other store recorded them; ``coupon.pulled_at`` (its state came from central); ``gift_item.source``.
New tables: ``sync_state`` (one row), ``sync_round`` (a short log), ``sync_conflict``. Columns are added with
plain ALTER TABLE (a batch copy would drop tables other tables' foreign keys refer to). Nothing moves.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import pos_app.db.base

revision = "0011_sync"
#: after 0009 (the checkout helper takes 0010; the integrator re-chains), and after the gift tables (gift_item.source)
down_revision = ("0009_coupon_member_state", "0003_gifts")
branch_labels = None
depends_on = None

UTC = pos_app.db.base.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "sync_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("server_url", sa.String(length=300), nullable=True),
        sa.Column("store_id", sa.String(length=64), nullable=True),
        sa.Column("paired_at", UTC(), nullable=True),
        sa.Column("cursor", sa.String(length=120), nullable=True),
        sa.Column("epoch", sa.String(length=64), nullable=True),
        sa.Column("acked_seq", sa.Integer(), server_default="0", nullable=False),
        sa.Column("reached_at", UTC(), nullable=True),
        sa.Column("last_success_at", UTC(), nullable=True),
        sa.Column("last_pull_at", UTC(), nullable=True),
        sa.Column("last_failure_at", UTC(), nullable=True),
        sa.Column("last_failure_reason", sa.String(length=64), nullable=True),
        sa.Column("last_failure_params", sa.Text(), nullable=True),
        sa.Column("clock_skew_ms", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_state")),
    )
    op.create_table(
        "sync_round",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("started_at", UTC(), nullable=False),
        sa.Column("finished_at", UTC(), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("pushed", sa.Integer(), nullable=False),
        sa.Column("pulled", sa.Integer(), nullable=False),
        sa.Column("conflicts", sa.Integer(), nullable=False),
        sa.Column("pending", sa.Integer(), nullable=False),
        sa.Column("error", sa.String(length=64), nullable=True),
        sa.Column("error_params", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_round")),
    )
    op.create_table(
        "sync_conflict",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("member_id", sa.String(length=36), nullable=True),
        sa.Column("coupon_code", sa.String(length=24), nullable=True),
        sa.Column("event_id", sa.String(length=36), nullable=True),
        sa.Column("store_code", sa.String(length=32), nullable=True),
        sa.Column("amount_fen", sa.Integer(), nullable=True),
        sa.Column("detail_json", sa.Text(), nullable=False),
        sa.Column("resolved", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTC(), nullable=True),
        sa.Column("pulled_at", UTC(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_conflict")),
    )
    op.add_column("recharge", sa.Column("origin_store", sa.String(length=32), nullable=True))
    op.add_column("wallet_entry", sa.Column("origin_store", sa.String(length=32), nullable=True))
    op.add_column("wallet_entry", sa.Column("origin_ref", sa.String(length=64), nullable=True))
    op.add_column("wallet_entry", sa.Column("origin_principal_after_fen", sa.Integer(), nullable=True))
    op.add_column("wallet_entry", sa.Column("origin_bonus_after_fen", sa.Integer(), nullable=True))
    op.create_index(op.f("ix_wallet_entry_origin_ref"), "wallet_entry", ["origin_ref"], unique=True)
    op.add_column("coupon", sa.Column("pulled_at", UTC(), nullable=True))
    op.add_column("gift_item", sa.Column("source", sa.String(length=16), server_default="local", nullable=False))


def downgrade() -> None:
    # plain ALTER TABLE ... DROP COLUMN (SQLite 3.35+), as 0004 and 0006 do
    op.drop_column("gift_item", "source")
    op.drop_column("coupon", "pulled_at")
    op.drop_index(op.f("ix_wallet_entry_origin_ref"), table_name="wallet_entry")
    op.drop_column("wallet_entry", "origin_bonus_after_fen")
    op.drop_column("wallet_entry", "origin_principal_after_fen")
    op.drop_column("wallet_entry", "origin_ref")
    op.drop_column("wallet_entry", "origin_store")
    op.drop_column("recharge", "origin_store")
    op.drop_table("sync_conflict")
    op.drop_table("sync_round")
    op.drop_table("sync_state")
