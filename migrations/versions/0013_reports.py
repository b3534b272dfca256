"""reports: a cashier's shift (交班)

Revision ID: 0013
Revises: 0010_checkout
Create Date: 2026-12-02 18:50:00

One new table, no data moves. A shift is found by its id or by its cashier's newest (one index on
staff_id, opened_at). Written on the branch that holds checkout's 0010; the integrator re-chains it after
the migrations merged before it.
"""

import sqlalchemy as sa
from alembic import op

import pos_app.db.base

revision = "0013"
down_revision = "0010_checkout"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "shift",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("staff_id", sa.String(length=36), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("opened_at", pos_app.db.base.UTCDateTime(), nullable=False),
        sa.Column("float_fen", sa.Integer(), nullable=False),
        sa.Column("closed_at", pos_app.db.base.UTCDateTime(), nullable=True),
        sa.Column("counted_fen", sa.Integer(), nullable=True),
        sa.Column("expected_fen", sa.Integer(), nullable=True),
        sa.Column("difference_fen", sa.Integer(), nullable=True),
        sa.Column("figures_json", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"], name=op.f("fk_shift_staff_id_staff")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shift")),
    )
    op.create_index("ix_shift_staff_opened", "shift", ["staff_id", "opened_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_shift_staff_opened", table_name="shift")
    op.drop_table("shift")
