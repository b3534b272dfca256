"""staff PIN lockout: wrong attempts in a row, locked until, last login

Revision ID: 0006_staff_lockout
Revises: 0001_initial
Create Date: 2026-12-02 00:40:00
"""

from alembic import op
import sqlalchemy as sa

import pos_app.db.base


revision = '0006_staff_lockout'
down_revision = '0001_initial'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failed_attempts', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('locked_until', pos_app.db.base.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('last_login_at', pos_app.db.base.UTCDateTime(), nullable=True))


def downgrade() -> None:
    # plain ALTER TABLE ... DROP COLUMN (SQLite 3.35+): a batch copy would drop the staff table, which
    # other tables' foreign keys refer to
    op.drop_column('staff', 'last_login_at')
    op.drop_column('staff', 'locked_until')
    op.drop_column('staff', 'failed_attempts')
