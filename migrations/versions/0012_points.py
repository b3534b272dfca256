"""the points platform: adjustments, check-ins, wheel tickets, the lucky wheel and its draw log

Revision ID: 0012
Revises: 0009_coupon_member_state
Create Date: 2026-12-02 19:00:00

Points lots gain ``ref`` (the check-in / draw / adjustment that earned them) and ``reason``; points
entries gain ``reason``. New tables: points_adjustment, checkin, wheel_ticket, wheel, wheel_prize,
wheel_draw (issue 13). No data moves. (The integrator re-chains this after 0010/0011.)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from pos_app.db.base import UTCDateTime

revision = "0012"
down_revision = "0009_coupon_member_state"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("points_lot") as b:
        b.add_column(sa.Column("ref", sa.String(64), nullable=True))
        b.add_column(sa.Column("reason", sa.String(200), nullable=True))
    with op.batch_alter_table("points_entry") as b:
        b.add_column(sa.Column("reason", sa.String(200), nullable=True))
    op.create_table(
        "points_adjustment",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("request_id", sa.String(64), nullable=False, unique=True),
        sa.Column("member_id", sa.String(36), sa.ForeignKey("member.id"), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(200), nullable=False),
        sa.Column("staff_id", sa.String(36), sa.ForeignKey("staff.id"), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_points_adjustment_member_id", "points_adjustment", ["member_id"])
    op.create_table(
        "checkin",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("request_id", sa.String(64), nullable=False, unique=True),
        sa.Column("member_id", sa.String(36), sa.ForeignKey("member.id"), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("streak", sa.Integer(), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("bonus_points", sa.Integer(), nullable=False),
        sa.Column("tickets", sa.Integer(), nullable=False),
        sa.Column("campaign_code", sa.String(64), nullable=True),
        sa.Column("staff_id", sa.String(36), sa.ForeignKey("staff.id"), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("member_id", "day"),
    )
    op.create_table(
        "wheel_ticket",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("member_id", sa.String(36), sa.ForeignKey("member.id"), nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("ref", sa.String(64), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("used_draw_id", sa.String(36), nullable=True, unique=True),
    )
    op.create_index("ix_wheel_ticket_member_id", "wheel_ticket", ["member_id"])
    op.create_table(
        "wheel",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("campaign_code", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("cost_points", sa.Integer(), nullable=False),
        sa.Column("top_prize_cap_fen", sa.Integer(), nullable=False),
        sa.Column("claim_days", sa.Integer(), nullable=False),
        sa.Column("claim_note", sa.String(400), nullable=False),
        sa.Column("commitment", sa.String(64), nullable=False),
        sa.Column("seed_hex", sa.String(128), nullable=False),
        sa.Column("draws", sa.Integer(), nullable=False),
        sa.Column("published_at", UTCDateTime(), nullable=False),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.UniqueConstraint("campaign_code", "code"),
    )
    op.create_table(
        "wheel_prize",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("wheel_id", sa.String(36), sa.ForeignKey("wheel.id"), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("tier", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("ref", sa.String(64), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("value_fen", sa.Integer(), nullable=False),
        sa.Column("weight", sa.Integer(), nullable=False),
        sa.Column("initial_quantity", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("won", sa.Integer(), nullable=False),
        sa.UniqueConstraint("wheel_id", "code"),
        sa.UniqueConstraint("wheel_id", "position"),
    )
    op.create_table(
        "wheel_draw",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("request_id", sa.String(64), nullable=False, unique=True),
        sa.Column("wheel_id", sa.String(36), sa.ForeignKey("wheel.id"), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.String(36), sa.ForeignKey("member.id"), nullable=False),
        sa.Column("cost_points", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.String(36), nullable=True),
        sa.Column("nonce", sa.String(64), nullable=False),
        sa.Column("digest_hex", sa.String(64), nullable=False),
        sa.Column("prize_code", sa.String(64), nullable=False),
        sa.Column("table_json", sa.Text(), nullable=False),
        sa.Column("left_json", sa.Text(), nullable=False),
        sa.Column("claim_code", sa.String(32), nullable=False, unique=True),
        sa.Column("staff_id", sa.String(36), sa.ForeignKey("staff.id"), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("wheel_id", "seq"),
    )
    op.create_index("ix_wheel_draw_member_id", "wheel_draw", ["member_id"])


def downgrade() -> None:
    op.drop_index("ix_wheel_draw_member_id", table_name="wheel_draw")
    op.drop_table("wheel_draw")
    op.drop_table("wheel_prize")
    op.drop_table("wheel")
    op.drop_index("ix_wheel_ticket_member_id", table_name="wheel_ticket")
    op.drop_table("wheel_ticket")
    op.drop_table("checkin")
    op.drop_index("ix_points_adjustment_member_id", table_name="points_adjustment")
    op.drop_table("points_adjustment")
    # Plain columns: dropped in place (SQLite >= 3.35 has DROP COLUMN). A batch copy would drop and re-create
    # points_lot, which points_entry references: refused while foreign keys are enforced.
    with op.batch_alter_table("points_entry", recreate="never") as b:
        b.drop_column("reason")
    with op.batch_alter_table("points_lot", recreate="never") as b:
        b.drop_column("ref")
        b.drop_column("reason")
