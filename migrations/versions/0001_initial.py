"""initial store schema

Revision ID: 0001_initial
Revises: 
Create Date: 2026-11-22 06:44:04.830985
"""

from alembic import op
import sqlalchemy as sa

import pos_app.db.base


revision = '0001_initial'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    
    op.create_table('campaign',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('rules_json', sa.Text(), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('loaded_at', pos_app.db.base.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaign')),
    sa.UniqueConstraint('code', name=op.f('uq_campaign_code'))
    )
    op.create_table('kv',
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_kv'))
    )
    op.create_table('member',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('phone', sa.String(length=11), nullable=False),
    sa.Column('member_code', sa.String(length=16), nullable=False),
    sa.Column('invite_code', sa.String(length=12), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=True),
    sa.Column('level', sa.String(length=32), nullable=True),
    sa.Column('inviter_id', sa.String(length=36), nullable=True),
    sa.Column('store_code', sa.String(length=32), nullable=False),
    sa.Column('campaign_code', sa.String(length=64), nullable=True),
    sa.Column('principal_fen', sa.Integer(), nullable=False),
    sa.Column('bonus_fen', sa.Integer(), nullable=False),
    sa.Column('points_balance', sa.Integer(), nullable=False),
    sa.Column('wallet_seq', sa.Integer(), nullable=False),
    sa.Column('member_price_until', sa.Date(), nullable=True),
    sa.Column('created_at', pos_app.db.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['inviter_id'], ['member.id'], name=op.f('fk_member_inviter_id_member')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_member')),
    sa.UniqueConstraint('invite_code', name=op.f('uq_member_invite_code')),
    sa.UniqueConstraint('member_code', name=op.f('uq_member_member_code')),
    sa.UniqueConstraint('phone', name=op.f('uq_member_phone'))
    )
    with op.batch_alter_table('member', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_member_inviter_id'), ['inviter_id'], unique=False)

    op.create_table('outbox',
    sa.Column('seq', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('event_id', sa.String(length=36), nullable=False),
    sa.Column('device_id', sa.String(length=36), nullable=False),
    sa.Column('type', sa.String(length=64), nullable=False),
    sa.Column('occurred_at', pos_app.db.base.UTCDateTime(), nullable=False),
    sa.Column('payload_json', sa.Text(), nullable=False),
    sa.Column('payload_hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_outbox')),
    sa.UniqueConstraint('event_id', name=op.f('uq_outbox_event_id'))
    )
    op.create_table('request_log',
    sa.Column('request_id', sa.String(length=64), nullable=False),
    sa.Column('use_case', sa.String(length=64), nullable=False),
    sa.Column('ref_id', sa.String(length=64), nullable=False),
    sa.Column('params_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', pos_app.db.base.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('request_id', name=op.f('pk_request_log'))
    )
    op.create_table('staff',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('pin_hash', sa.String(length=200), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', pos_app.db.base.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff')),
    sa.UniqueConstraint('code', name=op.f('uq_staff_code'))
    )
    op.create_table('store_info',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('store_code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('device_id', sa.String(length=36), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('settings_json', sa.Text(), nullable=False),
    sa.Column('created_at', pos_app.db.base.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_store_info'))
    )
    op.create_table('audit_log',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('at', pos_app.db.base.UTCDateTime(), nullable=False),
    sa.Column('staff_id', sa.String(length=36), nullable=True),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('entity', sa.String(length=32), nullable=False),
    sa.Column('entity_id', sa.String(length=64), nullable=False),
    sa.Column('details_json', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_audit_log_staff_id_staff')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_log_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_log_entity_id'), ['entity_id'], unique=False)

    op.create_table('recharge',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('request_id', sa.String(length=64), nullable=False),
    sa.Column('member_id', sa.String(length=36), nullable=False),
    sa.Column('campaign_code', sa.String(length=64), nullable=True),
    sa.Column('tier_code', sa.String(length=64), nullable=True),
    sa.Column('amount_fen', sa.Integer(), nullable=False),
    sa.Column('bonus_fen', sa.Integer(), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('pay_method', sa.String(length=16), nullable=False),
    sa.Column('staff_id', sa.String(length=36), nullable=False),
    sa.Column('created_at', pos_app.db.base.UTCDateTime(), nullable=False),
    sa.Column('principal_left_fen', sa.Integer(), nullable=False),
    sa.Column('bonus_left_fen', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('items_count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], name=op.f('fk_recharge_member_id_member')),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_recharge_staff_id_staff')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recharge')),
    sa.UniqueConstraint('request_id', name=op.f('uq_recharge_request_id'))
    )
    with op.batch_alter_table('recharge', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recharge_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_recharge_member_id'), ['member_id'], unique=False)

    op.create_table('spend',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('request_id', sa.String(length=64), nullable=False),
    sa.Column('member_id', sa.String(length=36), nullable=False),
    sa.Column('amount_fen', sa.Integer(), nullable=False),
    sa.Column('principal_fen', sa.Integer(), nullable=False),
    sa.Column('bonus_fen', sa.Integer(), nullable=False),
    sa.Column('staff_id', sa.String(length=36), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=True),
    sa.Column('created_at', pos_app.db.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], name=op.f('fk_spend_member_id_member')),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_spend_staff_id_staff')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_spend')),
    sa.UniqueConstraint('request_id', name=op.f('uq_spend_request_id'))
    )
    with op.batch_alter_table('spend', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_spend_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_spend_member_id'), ['member_id'], unique=False)

    op.create_table('entitlement',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('member_id', sa.String(length=36), nullable=False),
    sa.Column('recharge_id', sa.String(length=36), nullable=True),
    sa.Column('source', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('ref', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('value_fen', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('issued_ref', sa.String(length=64), nullable=True),
    sa.Column('created_at', pos_app.db.base.UTCDateTime(), nullable=False),
    sa.Column('updated_at', pos_app.db.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], name=op.f('fk_entitlement_member_id_member')),
    sa.ForeignKeyConstraint(['recharge_id'], ['recharge.id'], name=op.f('fk_entitlement_recharge_id_recharge')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_entitlement'))
    )
    with op.batch_alter_table('entitlement', schema=None) as batch_op:
        batch_op.create_index('ix_entitlement_member_state', ['member_id', 'state'], unique=False)
        batch_op.create_index(batch_op.f('ix_entitlement_recharge_id'), ['recharge_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_entitlement_state'), ['state'], unique=False)

    op.create_table('points_lot',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('member_id', sa.String(length=36), nullable=False),
    sa.Column('source', sa.String(length=32), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('remaining', sa.Integer(), nullable=False),
    sa.Column('earned_at', pos_app.db.base.UTCDateTime(), nullable=False),
    sa.Column('expires_on', sa.Date(), nullable=False),
    sa.Column('recharge_id', sa.String(length=36), nullable=True),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], name=op.f('fk_points_lot_member_id_member')),
    sa.ForeignKeyConstraint(['recharge_id'], ['recharge.id'], name=op.f('fk_points_lot_recharge_id_recharge')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_points_lot'))
    )
    with op.batch_alter_table('points_lot', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_points_lot_member_id'), ['member_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_points_lot_recharge_id'), ['recharge_id'], unique=False)

    op.create_table('refund',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('request_id', sa.String(length=64), nullable=False),
    sa.Column('recharge_id', sa.String(length=36), nullable=False),
    sa.Column('member_id', sa.String(length=36), nullable=False),
    sa.Column('principal_refund_fen', sa.Integer(), nullable=False),
    sa.Column('bonus_revoke_fen', sa.Integer(), nullable=False),
    sa.Column('points_revoked', sa.Integer(), nullable=False),
    sa.Column('points_kept', sa.Integer(), nullable=False),
    sa.Column('pay_method', sa.String(length=16), nullable=False),
    sa.Column('staff_id', sa.String(length=36), nullable=False),
    sa.Column('operator_id', sa.String(length=36), nullable=True),
    sa.Column('reason', sa.String(length=200), nullable=True),
    sa.Column('created_at', pos_app.db.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], name=op.f('fk_refund_member_id_member')),
    sa.ForeignKeyConstraint(['operator_id'], ['staff.id'], name=op.f('fk_refund_operator_id_staff')),
    sa.ForeignKeyConstraint(['recharge_id'], ['recharge.id'], name=op.f('fk_refund_recharge_id_recharge')),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_refund_staff_id_staff')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_refund')),
    sa.UniqueConstraint('recharge_id', name=op.f('uq_refund_recharge_id')),
    sa.UniqueConstraint('request_id', name=op.f('uq_refund_request_id'))
    )
    with op.batch_alter_table('refund', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_refund_member_id'), ['member_id'], unique=False)

    op.create_table('spend_allocation',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('spend_id', sa.String(length=36), nullable=False),
    sa.Column('recharge_id', sa.String(length=36), nullable=False),
    sa.Column('principal_fen', sa.Integer(), nullable=False),
    sa.Column('bonus_fen', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['recharge_id'], ['recharge.id'], name=op.f('fk_spend_allocation_recharge_id_recharge')),
    sa.ForeignKeyConstraint(['spend_id'], ['spend.id'], name=op.f('fk_spend_allocation_spend_id_spend')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_spend_allocation'))
    )
    with op.batch_alter_table('spend_allocation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_spend_allocation_recharge_id'), ['recharge_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_spend_allocation_spend_id'), ['spend_id'], unique=False)

    op.create_table('points_entry',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('member_id', sa.String(length=36), nullable=False),
    sa.Column('lot_id', sa.String(length=36), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('delta', sa.Integer(), nullable=False),
    sa.Column('ref', sa.String(length=64), nullable=True),
    sa.Column('created_at', pos_app.db.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['lot_id'], ['points_lot.id'], name=op.f('fk_points_entry_lot_id_points_lot')),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], name=op.f('fk_points_entry_member_id_member')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_points_entry'))
    )
    with op.batch_alter_table('points_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_points_entry_lot_id'), ['lot_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_points_entry_member_id'), ['member_id'], unique=False)

    op.create_table('wallet_entry',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('member_id', sa.String(length=36), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('principal_delta_fen', sa.Integer(), nullable=False),
    sa.Column('bonus_delta_fen', sa.Integer(), nullable=False),
    sa.Column('principal_after_fen', sa.Integer(), nullable=False),
    sa.Column('bonus_after_fen', sa.Integer(), nullable=False),
    sa.Column('recharge_id', sa.String(length=36), nullable=True),
    sa.Column('spend_id', sa.String(length=36), nullable=True),
    sa.Column('refund_id', sa.String(length=36), nullable=True),
    sa.Column('staff_id', sa.String(length=36), nullable=False),
    sa.Column('created_at', pos_app.db.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], name=op.f('fk_wallet_entry_member_id_member')),
    sa.ForeignKeyConstraint(['recharge_id'], ['recharge.id'], name=op.f('fk_wallet_entry_recharge_id_recharge')),
    sa.ForeignKeyConstraint(['refund_id'], ['refund.id'], name=op.f('fk_wallet_entry_refund_id_refund')),
    sa.ForeignKeyConstraint(['spend_id'], ['spend.id'], name=op.f('fk_wallet_entry_spend_id_spend')),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_wallet_entry_staff_id_staff')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wallet_entry')),
    sa.UniqueConstraint('member_id', 'seq', name=op.f('uq_wallet_entry_member_id_seq'))
    )
    with op.batch_alter_table('wallet_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_wallet_entry_recharge_id'), ['recharge_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_wallet_entry_refund_id'), ['refund_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_wallet_entry_spend_id'), ['spend_id'], unique=False)

    


def downgrade() -> None:
    
    with op.batch_alter_table('wallet_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_wallet_entry_spend_id'))
        batch_op.drop_index(batch_op.f('ix_wallet_entry_refund_id'))
        batch_op.drop_index(batch_op.f('ix_wallet_entry_recharge_id'))

    op.drop_table('wallet_entry')
    with op.batch_alter_table('points_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_points_entry_member_id'))
        batch_op.drop_index(batch_op.f('ix_points_entry_lot_id'))

    op.drop_table('points_entry')
    with op.batch_alter_table('spend_allocation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_spend_allocation_spend_id'))
        batch_op.drop_index(batch_op.f('ix_spend_allocation_recharge_id'))

    op.drop_table('spend_allocation')
    with op.batch_alter_table('refund', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_refund_member_id'))

    op.drop_table('refund')
    with op.batch_alter_table('points_lot', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_points_lot_recharge_id'))
        batch_op.drop_index(batch_op.f('ix_points_lot_member_id'))

    op.drop_table('points_lot')
    with op.batch_alter_table('entitlement', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_entitlement_state'))
        batch_op.drop_index(batch_op.f('ix_entitlement_recharge_id'))
        batch_op.drop_index('ix_entitlement_member_state')

    op.drop_table('entitlement')
    with op.batch_alter_table('spend', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_spend_member_id'))
        batch_op.drop_index(batch_op.f('ix_spend_created_at'))

    op.drop_table('spend')
    with op.batch_alter_table('recharge', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recharge_member_id'))
        batch_op.drop_index(batch_op.f('ix_recharge_created_at'))

    op.drop_table('recharge')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_log_entity_id'))
        batch_op.drop_index(batch_op.f('ix_audit_log_at'))

    op.drop_table('audit_log')
    op.drop_table('store_info')
    op.drop_table('staff')
    op.drop_table('request_log')
    op.drop_table('outbox')
    with op.batch_alter_table('member', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_member_inviter_id'))

    op.drop_table('member')
    op.drop_table('kv')
    op.drop_table('campaign')
    
