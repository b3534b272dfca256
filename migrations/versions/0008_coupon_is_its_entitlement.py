"""a coupon a recharge issues at once is its entitlement's only row

Revision ID: 0008_coupon_item
Revises: 0007_fewer_rows
Create Date: 2026-12-02 06:50:00

- ``coupon.item_json`` (new, nullable): set on a coupon/voucher a recharge issued at once. It holds the
  entitlement's id and what the entitlement said that the coupon row does not (kind, ref, name, value,
  created_at, due_on); ``batch_id`` is the recharge. The entitlement's state is derived from the recharge
  and the coupon (issued; after a refund revoked if the coupon is void, kept otherwise).
- Existing entitlements are folded into their coupon rows (and deleted) when that loses nothing: a
  coupon/voucher entitlement of a recharge, issued (or revoked/kept by a refund), quantity 1, whose coupon
  points back at it, for the same member and source, with no batch of its own, no referral reward and no
  stock movement pointing at it, and whose stored state is the one that would be derived. Any other one
  keeps its row (owed coupons, referral rewards, anything unusual), so nothing is guessed.
- ``updated_at`` of a folded entitlement is not kept: it becomes the coupon's void time (or its creation).
- The outbox is not touched: queued events keep their payloads byte for byte.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = '0008_coupon_item'
down_revision = '0007_fewer_rows'
branch_labels = None
depends_on = None

_E = sa.table(
    "entitlement", sa.column("id", sa.String), sa.column("member_id", sa.String), sa.column("recharge_id", sa.String),
    sa.column("source", sa.String), sa.column("kind", sa.String), sa.column("ref", sa.String),
    sa.column("name", sa.String), sa.column("value_fen", sa.Integer), sa.column("quantity", sa.Integer),
    sa.column("state", sa.String), sa.column("due_on", sa.Date), sa.column("issued_ref", sa.String),
    sa.column("created_at", sa.DateTime), sa.column("updated_at", sa.DateTime),
)
_C = sa.table(
    "coupon", sa.column("id", sa.String), sa.column("member_id", sa.String), sa.column("source", sa.String),
    sa.column("state", sa.String), sa.column("entitlement_id", sa.String), sa.column("batch_id", sa.String),
    sa.column("item_json", sa.Text), sa.column("voided_at", sa.DateTime),
)
_R = sa.table("recharge", sa.column("id", sa.String), sa.column("state", sa.String))
_RR = sa.table("referral_reward", sa.column("entitlement_id", sa.String))
_SM = sa.table("stock_movement", sa.column("entitlement_id", sa.String))


def _derived(recharge_state: str, coupon_state: str) -> str:
    """As pos_app.domain.entitlements.held_by_coupon_state (copied: this revision never changes)."""
    if recharge_state != "refunded":
        return "issued"
    return "revoked" if coupon_state == "voided" else "kept"


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def _naive(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC).replace(tzinfo=None)


def upgrade() -> None:
    with op.batch_alter_table('coupon', schema=None) as batch_op:
        batch_op.add_column(sa.Column('item_json', sa.Text(), nullable=True))
    conn = op.get_bind()
    blocked: Any = sa.select(_RR.c.entitlement_id)
    if sa.inspect(conn).has_table("stock_movement"):  # the gifts branch may come later
        blocked = sa.union(blocked, sa.select(_SM.c.entitlement_id).where(_SM.c.entitlement_id.is_not(None)))
    rows = conn.execute(
        sa.select(_E, _C.c.state.label("c_state"), _R.c.state.label("r_state"))
        .join(_C, sa.and_(_C.c.id == _E.c.issued_ref, _C.c.entitlement_id == _E.c.id))
        .join(_R, _R.c.id == _E.c.recharge_id)
        .where(_E.c.kind.in_(("coupon", "voucher")), _E.c.quantity == 1, _C.c.member_id == _E.c.member_id,
               _C.c.source == _E.c.source, _C.c.batch_id.is_(None), _C.c.item_json.is_(None),
               _E.c.id.not_in(blocked))
    ).mappings().all()
    for e in rows:
        if e["state"] != _derived(e["r_state"], e["c_state"]):
            continue  # a state the coupon and the recharge do not tell: the row stays
        held: dict[str, Any] = {
            "id": e["id"], "kind": e["kind"], "ref": e["ref"], "name": e["name"], "value_fen": e["value_fen"],
            "created_at": _aware(e["created_at"]).isoformat(),
            "due_on": e["due_on"].isoformat() if e["due_on"] else None,
        }
        conn.execute(sa.update(_C).where(_C.c.id == e["issued_ref"]).values(
            entitlement_id=None, batch_id=e["recharge_id"],
            item_json=json.dumps(held, ensure_ascii=False, sort_keys=True)))
        conn.execute(sa.delete(_E).where(_E.c.id == e["id"]))


def downgrade() -> None:
    conn = op.get_bind()
    held = conn.execute(
        sa.select(_C.c.id, _C.c.member_id, _C.c.source, _C.c.state, _C.c.batch_id, _C.c.item_json, _C.c.voided_at,
                  _R.c.state.label("r_state"))
        .join(_R, _R.c.id == _C.c.batch_id).where(_C.c.item_json.is_not(None))
    ).mappings().all()
    for c in held:
        d = json.loads(c["item_json"])
        created = _naive(d["created_at"])
        conn.execute(sa.insert(_E).values(
            id=d["id"], member_id=c["member_id"], recharge_id=c["batch_id"], source=c["source"], kind=d["kind"],
            ref=d["ref"], name=d["name"], value_fen=d["value_fen"], quantity=1,
            state=_derived(c["r_state"], c["state"]),
            due_on=date.fromisoformat(d["due_on"]) if d.get("due_on") else None, issued_ref=c["id"],
            created_at=created, updated_at=c["voided_at"] or created,
        ))
        conn.execute(sa.update(_C).where(_C.c.id == c["id"]).values(entitlement_id=d["id"], batch_id=None))
    if conn.dialect.name == "sqlite":  # SQLite >= 3.35 drops a column in place (no table rebuild)
        op.execute("ALTER TABLE coupon DROP COLUMN item_json")
    else:
        op.drop_column('coupon', 'item_json')
