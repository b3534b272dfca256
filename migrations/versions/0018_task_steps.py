"""task steps: what each purchase added to a member's task progress, so a return takes back exactly that

Revision ID: 0018_task_steps
Revises: 0015_levels_tasks, 0016_mall_redemption
Create Date: 2026-12-04 19:00:00

New table: task_step (issue 13). A purchase rung up before this revision has no step: its return leaves
task progress as it is (as before). No data moves.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from pos_app.db.base import UTCDateTime

revision = "0018_task_steps"
down_revision = ("0015_levels_tasks", "0016_mall_redemption")
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "task_step",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("progress_id", sa.String(36), nullable=False),
        sa.Column("sale_id", sa.String(36), nullable=False),
        sa.Column("ref", sa.String(36), nullable=False),
        sa.Column("delta", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["progress_id"], ["task_progress.id"], name=op.f("fk_task_step_progress_id_task_progress")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_step")),
    )
    op.create_index("ix_task_step_sale", "task_step", ["sale_id"])


def downgrade() -> None:
    op.drop_index("ix_task_step_sale", table_name="task_step")
    op.drop_table("task_step")
