"""tamper-evident audit trail: seq, approving manager, store, device, request id, hash chain

Revision ID: 0005_audit_chain
Revises: 0001_initial
Create Date: 2026-12-02 00:40:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0005_audit_chain'
down_revision = '0001_initial'
branch_labels = None
depends_on = None

GENESIS = "0" * 64
#: the hashed fields in order (pos_app.services.audit.FIELDS at the time of this revision)
FIELDS = ("seq", "id", "at", "staff_id", "approved_by", "action", "entity", "entity_id", "store_code",
          "device_id", "request_id", "details_json", "prev_hash")


def _hash(values: list) -> str:
    """sha256 over the compact JSON array of the fields (kept here so this revision never changes)."""
    import hashlib
    import json
    from datetime import UTC, datetime

    vals = list(values)
    at = vals[2]
    if isinstance(at, datetime):
        if at.tzinfo is not None:
            at = at.astimezone(UTC).replace(tzinfo=None)
        at = at.isoformat(" ", "microseconds")
    vals[2] = str(at)
    blob = json.dumps(vals, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return hashlib.sha256(blob).hexdigest()


def upgrade() -> None:
    op.add_column('audit_log', sa.Column('seq', sa.Integer(), nullable=True))
    op.add_column('audit_log', sa.Column('approved_by', sa.String(length=36), nullable=True))
    op.add_column('audit_log', sa.Column('store_code', sa.String(length=32), nullable=True))
    op.add_column('audit_log', sa.Column('device_id', sa.String(length=36), nullable=True))
    op.add_column('audit_log', sa.Column('request_id', sa.String(length=64), nullable=True))
    op.add_column('audit_log', sa.Column('prev_hash', sa.String(length=64), nullable=True))
    op.add_column('audit_log', sa.Column('hash', sa.String(length=64), nullable=True))
    _chain_existing_rows()
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.alter_column('seq', existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column('prev_hash', existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column('hash', existing_type=sa.String(length=64), nullable=False)
        batch_op.create_index(batch_op.f('ix_audit_log_seq'), ['seq'], unique=True)


def _chain_existing_rows() -> None:
    """Number the rows written before in (at, id) order, record this store and device on them (they were
    written here), and chain their hashes."""
    conn = op.get_bind()
    info = conn.execute(sa.text("SELECT store_code, device_id FROM store_info WHERE id = 1")).first()
    store_code, device_id = (info[0], info[1]) if info is not None else (None, None)
    rows = conn.execute(sa.text(
        "SELECT id, at, staff_id, action, entity, entity_id, details_json FROM audit_log ORDER BY at, id"
    )).all()
    prev = GENESIS
    for seq, (rid, at, staff_id, action, entity, entity_id, details) in enumerate(rows, start=1):
        values = [seq, rid, at, staff_id, None, action, entity, entity_id, store_code, device_id, None, details, prev]
        h = _hash(values)
        conn.execute(
            sa.text("UPDATE audit_log SET seq = :seq, store_code = :store, device_id = :device, prev_hash = :prev,"
                    " hash = :hash WHERE id = :id"),
            {"seq": seq, "store": store_code, "device": device_id, "prev": prev, "hash": h, "id": rid},
        )
        prev = h


def downgrade() -> None:
    # plain DROP COLUMN (SQLite 3.35+), as 0004 does
    op.drop_index(op.f('ix_audit_log_seq'), table_name='audit_log')
    for col in ('hash', 'prev_hash', 'request_id', 'device_id', 'store_code', 'approved_by', 'seq'):
        op.drop_column('audit_log', col)
