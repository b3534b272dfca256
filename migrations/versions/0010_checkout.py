"""checkout: products, sales with their lines and payments, returns with theirs; a referral's
qualifying sale

Revision ID: 0010_checkout
Revises: 0009_coupon_member_state
Create Date: 2026-12-02 18:22:03

New tables only (and one nullable column on ``referral``): no data moves. Lines and payments are keyed
by (sale, number) and carry no other index; a sale is found by id, by receipt number, or by member (one
index on member_id, created_at).
"""

from alembic import op
import sqlalchemy as sa

import pos_app.db.base


revision = '0010_checkout'
down_revision = '0009_coupon_member_state'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('product',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('sku', sa.String(length=64), nullable=False),
    sa.Column('barcode', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('category', sa.String(length=64), nullable=False),
    sa.Column('price_fen', sa.Integer(), nullable=False),
    sa.Column('member_price_fen', sa.Integer(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', pos_app.db.base.UTCDateTime(), nullable=False),
    sa.Column('updated_at', pos_app.db.base.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_product')),
    sa.UniqueConstraint('barcode', name=op.f('uq_product_barcode')),
    sa.UniqueConstraint('sku', name=op.f('uq_product_sku'))
    )
    op.create_table('sale',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('receipt_no', sa.String(length=48), nullable=False),
    sa.Column('member_id', sa.String(length=36), nullable=True),
    sa.Column('staff_id', sa.String(length=36), nullable=False),
    sa.Column('created_at', pos_app.db.base.UTCDateTime(), nullable=False),
    sa.Column('campaign_code', sa.String(length=64), nullable=True),
    sa.Column('subtotal_fen', sa.Integer(), nullable=False),
    sa.Column('saving_fen', sa.Integer(), nullable=False),
    sa.Column('discount_fen', sa.Integer(), nullable=False),
    sa.Column('total_fen', sa.Integer(), nullable=False),
    sa.Column('paid_fen', sa.Integer(), nullable=False),
    sa.Column('eligible_fen', sa.Integer(), nullable=False),
    sa.Column('change_fen', sa.Integer(), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('points_lot_id', sa.String(length=36), nullable=True),
    sa.Column('coupon_id', sa.String(length=36), nullable=True),
    sa.Column('spend_id', sa.String(length=36), nullable=True),
    sa.Column('lines_count', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.ForeignKeyConstraint(['coupon_id'], ['coupon.id'], name=op.f('fk_sale_coupon_id_coupon')),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], name=op.f('fk_sale_member_id_member')),
    sa.ForeignKeyConstraint(['points_lot_id'], ['points_lot.id'], name=op.f('fk_sale_points_lot_id_points_lot')),
    sa.ForeignKeyConstraint(['spend_id'], ['spend.id'], name=op.f('fk_sale_spend_id_spend')),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_sale_staff_id_staff')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sale')),
    sa.UniqueConstraint('receipt_no', name=op.f('uq_sale_receipt_no'))
    )
    with op.batch_alter_table('sale', schema=None) as batch_op:
        batch_op.create_index('ix_sale_member_created', ['member_id', 'created_at'], unique=False)

    op.create_table('sale_line',
    sa.Column('sale_id', sa.String(length=36), nullable=False),
    sa.Column('no', sa.Integer(), nullable=False),
    sa.Column('sku', sa.String(length=64), nullable=True),
    sa.Column('barcode', sa.String(length=64), nullable=True),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('category', sa.String(length=64), nullable=False),
    sa.Column('qty', sa.Integer(), nullable=False),
    sa.Column('list_unit_fen', sa.Integer(), nullable=False),
    sa.Column('unit_fen', sa.Integer(), nullable=False),
    sa.Column('discount_fen', sa.Integer(), nullable=False),
    sa.Column('amount_fen', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['sale_id'], ['sale.id'], name=op.f('fk_sale_line_sale_id_sale')),
    sa.PrimaryKeyConstraint('sale_id', 'no', name=op.f('pk_sale_line'))
    )
    op.create_table('sale_payment',
    sa.Column('sale_id', sa.String(length=36), nullable=False),
    sa.Column('no', sa.Integer(), nullable=False),
    sa.Column('method', sa.String(length=16), nullable=False),
    sa.Column('amount_fen', sa.Integer(), nullable=False),
    sa.Column('principal_fen', sa.Integer(), nullable=False),
    sa.Column('bonus_fen', sa.Integer(), nullable=False),
    sa.Column('tendered_fen', sa.Integer(), nullable=True),
    sa.Column('change_fen', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['sale_id'], ['sale.id'], name=op.f('fk_sale_payment_sale_id_sale')),
    sa.PrimaryKeyConstraint('sale_id', 'no', name=op.f('pk_sale_payment'))
    )
    op.create_table('sale_return',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('sale_id', sa.String(length=36), nullable=False),
    sa.Column('staff_id', sa.String(length=36), nullable=False),
    sa.Column('approved_by', sa.String(length=36), nullable=True),
    sa.Column('created_at', pos_app.db.base.UTCDateTime(), nullable=False),
    sa.Column('amount_fen', sa.Integer(), nullable=False),
    sa.Column('spend_id', sa.String(length=36), nullable=True),
    sa.Column('points_taken_back', sa.Integer(), nullable=False),
    sa.Column('points_policy', sa.String(length=16), nullable=True),
    sa.Column('points_short', sa.Integer(), nullable=False),
    sa.Column('deducted_fen', sa.Integer(), nullable=False),
    sa.Column('coupon_reinstated', sa.Boolean(), nullable=False),
    sa.Column('full', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['approved_by'], ['staff.id'], name=op.f('fk_sale_return_approved_by_staff')),
    sa.ForeignKeyConstraint(['sale_id'], ['sale.id'], name=op.f('fk_sale_return_sale_id_sale')),
    sa.ForeignKeyConstraint(['spend_id'], ['spend.id'], name=op.f('fk_sale_return_spend_id_spend')),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_sale_return_staff_id_staff')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sale_return'))
    )
    with op.batch_alter_table('sale_return', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sale_return_sale_id'), ['sale_id'], unique=False)

    op.create_table('return_line',
    sa.Column('return_id', sa.String(length=36), nullable=False),
    sa.Column('line_no', sa.Integer(), nullable=False),
    sa.Column('qty', sa.Integer(), nullable=False),
    sa.Column('amount_fen', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['return_id'], ['sale_return.id'], name=op.f('fk_return_line_return_id_sale_return')),
    sa.PrimaryKeyConstraint('return_id', 'line_no', name=op.f('pk_return_line'))
    )
    op.create_table('return_payment',
    sa.Column('return_id', sa.String(length=36), nullable=False),
    sa.Column('no', sa.Integer(), nullable=False),
    sa.Column('method', sa.String(length=16), nullable=False),
    sa.Column('amount_fen', sa.Integer(), nullable=False),
    sa.Column('principal_fen', sa.Integer(), nullable=False),
    sa.Column('bonus_fen', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['return_id'], ['sale_return.id'], name=op.f('fk_return_payment_return_id_sale_return')),
    sa.PrimaryKeyConstraint('return_id', 'no', name=op.f('pk_return_payment'))
    )
    with op.batch_alter_table('referral', schema=None) as batch_op:
        batch_op.add_column(sa.Column('qualifying_sale_id', sa.String(length=36), nullable=True))



def downgrade() -> None:
    # a plain column, dropped in place: a batch copy would drop and re-create referral, which is referenced
    with op.batch_alter_table('referral', schema=None, recreate='never') as batch_op:
        batch_op.drop_column('qualifying_sale_id')

    op.drop_table('return_payment')
    op.drop_table('return_line')
    with op.batch_alter_table('sale_return', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sale_return_sale_id'))

    op.drop_table('sale_return')
    op.drop_table('sale_payment')
    op.drop_table('sale_line')
    with op.batch_alter_table('sale', schema=None) as batch_op:
        batch_op.drop_index('ix_sale_member_created')

    op.drop_table('sale')
    op.drop_table('product')
