"""central: indexes for head office's reports

Revision ID: c0003_reports
Revises: c0002
Create Date: 2026-12-04

Head office's campaign and liability reports read one store's events of a period, sum its wallet movements
before and within a period, and the members' balances at an instant, from indexes alone.
"""

from alembic import op


revision = 'c0003_reports'
down_revision = 'c0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_events_store_occurred', 'events', ['store_id', 'occurred_at'], unique=False)
    op.create_index('ix_wallet_entries_store_occurred', 'wallet_entries',
                    ['store_code', 'occurred_at', 'principal_delta_fen', 'bonus_delta_fen'], unique=False)
    op.create_index('ix_wallet_entries_member_occurred', 'wallet_entries',
                    ['member_id', 'occurred_at', 'principal_delta_fen', 'bonus_delta_fen'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_wallet_entries_member_occurred', table_name='wallet_entries')
    op.drop_index('ix_wallet_entries_store_occurred', table_name='wallet_entries')
    op.drop_index('ix_events_store_occurred', table_name='events')
