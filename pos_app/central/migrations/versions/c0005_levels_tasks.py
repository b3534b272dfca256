"""central: members' level changes and task progress, derived from the store events' facts

Revision ID: c0005_levels_tasks
Revises: c0003_reports
Create Date: 2026-12-04

`pos-central member show` shows a member's level (and its change log) and task progress across stores; both
are derived when an event is ingested (docs/sync-protocol.md: Levels and tasks). Events stored before this
revision are not re-read: a member's level and tasks appear from the next event that carries them.
"""

import sqlalchemy as sa
from alembic import op


revision = 'c0005_levels_tasks'
down_revision = 'c0003_reports'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'level_changes',
        sa.Column('change_id', sa.String(36), nullable=False),
        sa.Column('member_id', sa.String(36), nullable=False),
        sa.Column('from_level', sa.String(32), nullable=True),
        sa.Column('to_level', sa.String(32), nullable=False),
        sa.Column('reason', sa.String(16), nullable=False),
        sa.Column('ref', sa.String(64), nullable=True),
        sa.Column('until', sa.String(10), nullable=True),
        sa.Column('store_code', sa.String(32), nullable=True),
        sa.Column('event_id', sa.String(36), nullable=False),
        sa.Column('occurred_at', sa.String(40), nullable=False),
        sa.Column('received_ms', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('change_id', name=op.f('pk_level_changes')),
    )
    op.create_index('ix_level_changes_member', 'level_changes', ['member_id', 'occurred_at'], unique=False)
    op.create_table(
        'task_progress',
        sa.Column('progress_id', sa.String(36), nullable=False),
        sa.Column('member_id', sa.String(36), nullable=False),
        sa.Column('campaign_code', sa.String(64), nullable=True),
        sa.Column('task_code', sa.String(32), nullable=False),
        sa.Column('progress', sa.BigInteger(), nullable=True),
        sa.Column('target', sa.BigInteger(), nullable=True),
        sa.Column('state', sa.String(16), nullable=False),
        sa.Column('points', sa.BigInteger(), nullable=False),
        sa.Column('completed_at', sa.String(40), nullable=True),
        sa.Column('completions', sa.Integer(), nullable=False),
        sa.Column('reversals', sa.Integer(), nullable=False),
        sa.Column('store_code', sa.String(32), nullable=True),
        sa.Column('event_id', sa.String(36), nullable=False),
        sa.Column('updated_at', sa.String(40), nullable=False),
        sa.PrimaryKeyConstraint('progress_id', name=op.f('pk_task_progress')),
    )
    op.create_index(op.f('ix_task_progress_member_id'), 'task_progress', ['member_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_task_progress_member_id'), table_name='task_progress')
    op.drop_table('task_progress')
    op.drop_index('ix_level_changes_member', table_name='level_changes')
    op.drop_table('level_changes')
