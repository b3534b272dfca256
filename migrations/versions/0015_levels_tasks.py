"""member levels, tasks and the pending period of purchase points

Revision ID: 0015_levels_tasks
Revises: 0012
Create Date: 2026-12-04 02:00:00

Members also gain ``birthday`` (a level's birthday gift; new table birthday_gift: once a member and year).
Points lots gain ``available_on`` (a purchase's points under the campaign's pending period are spendable
from that date; NULL: at once, as every existing lot). Members gain ``level_until`` (when a level lifted by
a voucher, or held for a window, is looked at again). New tables: task_progress (each member's progress on
each task of a campaign) and level_change (the append-only log of level changes). No data moves.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from pos_app.db.base import UTCDateTime

revision = "0015_levels_tasks"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("points_lot", recreate="never") as b:
        b.add_column(sa.Column("available_on", sa.Date(), nullable=True))
    with op.batch_alter_table("member", recreate="never") as b:
        b.add_column(sa.Column("level_until", sa.Date(), nullable=True))
        b.add_column(sa.Column("birthday", sa.Date(), nullable=True))
    op.create_table(
        "task_progress",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("campaign_code", sa.String(64), nullable=False),
        sa.Column("task_code", sa.String(32), nullable=False),
        sa.Column("member_id", sa.String(36), nullable=False),
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.Column("target", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("last_ref", sa.String(64), nullable=True),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("coupon_id", sa.String(36), nullable=True),
        sa.Column("completed_at", UTCDateTime(), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"], name=op.f("fk_task_progress_member_id_member")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_progress")),
        sa.UniqueConstraint("campaign_code", "task_code", "member_id",
                            name=op.f("uq_task_progress_campaign_code_task_code_member_id")),
    )
    op.create_index("ix_task_progress_member", "task_progress", ["member_id"])
    op.create_table(
        "level_change",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("member_id", sa.String(36), nullable=False),
        sa.Column("from_level", sa.String(32), nullable=True),
        sa.Column("to_level", sa.String(32), nullable=False),
        sa.Column("reason", sa.String(16), nullable=False),
        sa.Column("ref", sa.String(64), nullable=True),
        sa.Column("until", sa.Date(), nullable=True),
        sa.Column("floor_level", sa.String(32), nullable=True),
        sa.Column("campaign_code", sa.String(64), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"], name=op.f("fk_level_change_member_id_member")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_level_change")),
    )
    op.create_index("ix_level_change_member", "level_change", ["member_id", "created_at"])
    op.create_table(
        "birthday_gift",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("member_id", sa.String(36), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(32), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("coupon_id", sa.String(36), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"], name=op.f("fk_birthday_gift_member_id_member")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_birthday_gift")),
        sa.UniqueConstraint("member_id", "year", name=op.f("uq_birthday_gift_member_id_year")),
    )


def downgrade() -> None:
    op.drop_table("birthday_gift")
    op.drop_index("ix_level_change_member", table_name="level_change")
    op.drop_table("level_change")
    op.drop_index("ix_task_progress_member", table_name="task_progress")
    op.drop_table("task_progress")
    # plain columns, dropped in place (a batch copy of a referenced table fails under foreign keys)
    with op.batch_alter_table("member", recreate="never") as b:
        b.drop_column("birthday")
        b.drop_column("level_until")
    with op.batch_alter_table("points_lot", recreate="never") as b:
        b.drop_column("available_on")
