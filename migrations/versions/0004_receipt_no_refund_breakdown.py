"""short receipt numbers on recharges; the refund's method and its deductions for perks used

Revision ID: 0004_receipt_refund
Revises: 0001_initial
Create Date: 2026-12-01 23:50:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0004_receipt_refund'
down_revision = '0001_initial'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('recharge', schema=None) as batch_op:
        batch_op.add_column(sa.Column('receipt_no', sa.String(length=48), nullable=True))
        batch_op.create_index(batch_op.f('ix_recharge_receipt_no'), ['receipt_no'], unique=True)
    with op.batch_alter_table('refund', schema=None) as batch_op:
        batch_op.add_column(sa.Column('refund_method', sa.String(length=16), server_default='original', nullable=False))
        batch_op.add_column(sa.Column('principal_unspent_fen', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('deducted_fen', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('deductions_json', sa.Text(), server_default='[]', nullable=False))
    # refunds written before: nothing was deducted, so what was unspent is what was paid back
    op.execute("UPDATE refund SET principal_unspent_fen = principal_refund_fen")
    _number_existing_recharges()


def _number_existing_recharges() -> None:
    """Give the recharges written before a receipt number, in the order they were made (store-local day)."""
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    conn = op.get_bind()
    info = conn.execute(sa.text("SELECT store_code, timezone FROM store_info WHERE id = 1")).first()
    if info is None:
        return
    store_code, tz_name = info
    try:
        tz = ZoneInfo(tz_name or "Asia/Shanghai")
    except Exception:  # an unknown zone name: number by the UTC day
        tz = ZoneInfo("UTC")
    seq: dict[str, int] = {}
    rows = conn.execute(sa.text("SELECT id, created_at FROM recharge WHERE receipt_no IS NULL ORDER BY created_at, id")).all()
    for rid, created in rows:
        at = created if isinstance(created, datetime) else datetime.fromisoformat(str(created))
        day = at.replace(tzinfo=UTC).astimezone(tz).strftime("%Y%m%d") if at.tzinfo is None else at.astimezone(tz).strftime("%Y%m%d")
        seq[day] = seq.get(day, 0) + 1
        conn.execute(sa.text("UPDATE recharge SET receipt_no = :no WHERE id = :id"),
                     {"no": f"{store_code}-{day}-{seq[day]:04d}", "id": rid})


def downgrade() -> None:
    # plain ALTER TABLE ... DROP COLUMN (SQLite 3.35+): a batch copy of these tables would drop them, which
    # the ledger's foreign keys (wallet_entry -> refund, recharge) refuse
    op.drop_column('refund', 'deductions_json')
    op.drop_column('refund', 'deducted_fen')
    op.drop_column('refund', 'principal_unspent_fen')
    op.drop_column('refund', 'refund_method')
    op.drop_index(op.f('ix_recharge_receipt_no'), table_name='recharge')
    op.drop_column('recharge', 'receipt_no')
