"""gift stock: catalogue, movement ledger, stocktakes

Revision ID: 0003_gifts
Revises: 0001_initial
Create Date: 2026-11-24 00:55:00
"""

from alembic import op
import sqlalchemy as sa

import pos_app.db.base


revision = '0003_gifts'
down_revision = '0001_initial'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('gift_item',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('sku', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('unit_value_fen', sa.Integer(), nullable=False),
    sa.Column('threshold', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('barcode', sa.String(length=64), nullable=True),
    sa.Column('on_hand', sa.Integer(), nullable=False),
    sa.Column('movement_seq', sa.Integer(), nullable=False),
    sa.Column('created_at', pos_app.db.base.UTCDateTime(), nullable=False),
    sa.Column('updated_at', pos_app.db.base.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_gift_item')),
    sa.UniqueConstraint('barcode', name=op.f('uq_gift_item_barcode')),
    sa.UniqueConstraint('sku', name=op.f('uq_gift_item_sku'))
    )
    op.create_table('stocktake',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('request_id', sa.String(length=64), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('lines_count', sa.Integer(), nullable=False),
    sa.Column('adjusted_count', sa.Integer(), nullable=False),
    sa.Column('staff_id', sa.String(length=36), nullable=False),
    sa.Column('created_at', pos_app.db.base.UTCDateTime(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_stocktake_staff_id_staff')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stocktake')),
    sa.UniqueConstraint('request_id', name=op.f('uq_stocktake_request_id'))
    )
    op.create_table('stock_movement',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('sku', sa.String(length=64), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('delta', sa.Integer(), nullable=False),
    sa.Column('on_hand_after', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.String(length=36), nullable=True),
    sa.Column('entitlement_id', sa.String(length=36), nullable=True),
    sa.Column('reason', sa.String(length=200), nullable=True),
    sa.Column('supplier', sa.String(length=100), nullable=True),
    sa.Column('reference', sa.String(length=100), nullable=True),
    sa.Column('other_store', sa.String(length=32), nullable=True),
    sa.Column('stocktake_id', sa.String(length=36), nullable=True),
    sa.Column('batch_id', sa.String(length=64), nullable=False),
    sa.Column('staff_id', sa.String(length=36), nullable=False),
    sa.Column('created_at', pos_app.db.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['entitlement_id'], ['entitlement.id'], name=op.f('fk_stock_movement_entitlement_id_entitlement')),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], name=op.f('fk_stock_movement_member_id_member')),
    sa.ForeignKeyConstraint(['sku'], ['gift_item.sku'], name=op.f('fk_stock_movement_sku_gift_item')),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_stock_movement_staff_id_staff')),
    sa.ForeignKeyConstraint(['stocktake_id'], ['stocktake.id'], name=op.f('fk_stock_movement_stocktake_id_stocktake')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stock_movement')),
    sa.UniqueConstraint('entitlement_id', name=op.f('uq_stock_movement_entitlement_id')),
    sa.UniqueConstraint('sku', 'seq', name=op.f('uq_stock_movement_sku_seq'))
    )
    with op.batch_alter_table('stock_movement', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stock_movement_batch_id'), ['batch_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_stock_movement_created_at'), ['created_at'], unique=False)
        batch_op.create_index('ix_stock_movement_kind_created_at', ['kind', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_stock_movement_member_id'), ['member_id'], unique=False)
        batch_op.create_index('ix_stock_movement_staff_created_at', ['staff_id', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_stock_movement_stocktake_id'), ['stocktake_id'], unique=False)

    with op.batch_alter_table('entitlement', schema=None) as batch_op:
        batch_op.create_index('ix_entitlement_state_kind_ref', ['state', 'kind', 'ref'], unique=False)

    op.create_table('stocktake_line',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('stocktake_id', sa.String(length=36), nullable=False),
    sa.Column('sku', sa.String(length=64), nullable=False),
    sa.Column('expected', sa.Integer(), nullable=False),
    sa.Column('counted', sa.Integer(), nullable=False),
    sa.Column('difference', sa.Integer(), nullable=False),
    sa.Column('movement_id', sa.String(length=36), nullable=True),
    sa.ForeignKeyConstraint(['movement_id'], ['stock_movement.id'], name=op.f('fk_stocktake_line_movement_id_stock_movement')),
    sa.ForeignKeyConstraint(['sku'], ['gift_item.sku'], name=op.f('fk_stocktake_line_sku_gift_item')),
    sa.ForeignKeyConstraint(['stocktake_id'], ['stocktake.id'], name=op.f('fk_stocktake_line_stocktake_id_stocktake')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stocktake_line')),
    sa.UniqueConstraint('stocktake_id', 'sku', name=op.f('uq_stocktake_line_stocktake_id_sku'))
    )


def downgrade() -> None:
    op.drop_table('stocktake_line')
    with op.batch_alter_table('stock_movement', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stock_movement_stocktake_id'))
        batch_op.drop_index('ix_stock_movement_staff_created_at')
        batch_op.drop_index(batch_op.f('ix_stock_movement_member_id'))
        batch_op.drop_index('ix_stock_movement_kind_created_at')
        batch_op.drop_index(batch_op.f('ix_stock_movement_created_at'))
        batch_op.drop_index(batch_op.f('ix_stock_movement_batch_id'))

    op.drop_table('stock_movement')
    op.drop_table('stocktake')
    op.drop_table('gift_item')
    with op.batch_alter_table('entitlement', schema=None) as batch_op:
        batch_op.drop_index('ix_entitlement_state_kind_ref')
