"""Store database models (foundation). Ledgers (wallet_entry, points_entry, audit_log, outbox) are
append-only: rows are never updated or deleted; mistakes are fixed with reversing entries."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from pos_app.db.base import Base, UTCDateTime

ID = String(36)


class StoreInfo(Base):
    """The single row describing this store and this device."""

    __tablename__ = "store_info"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    store_code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(100))
    device_id: Mapped[str] = mapped_column(ID)
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    settings_json: Mapped[str] = mapped_column(Text, default="{}")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class KeyValue(Base):
    """Small persistent state (sync cursors, demo flag)."""

    __tablename__ = "kv"
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class Staff(Base):
    __tablename__ = "staff"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(60))
    role: Mapped[str] = mapped_column(String(16))
    pin_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: wrong PINs in a row since the last good login or unlock (migration 0006)
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: no login (any path) until then, UTC; None = not locked
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Member(Base):
    __tablename__ = "member"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    phone: Mapped[str] = mapped_column(String(11), unique=True)
    member_code: Mapped[str] = mapped_column(String(16), unique=True)
    invite_code: Mapped[str] = mapped_column(String(12), unique=True)
    name: Mapped[str | None] = mapped_column(String(60))
    level: Mapped[str | None] = mapped_column(String(32))
    inviter_id: Mapped[str | None] = mapped_column(ForeignKey("member.id"), index=True)
    store_code: Mapped[str] = mapped_column(String(32))
    campaign_code: Mapped[str | None] = mapped_column(String(64))
    #: cached balances; always equal to the sum of the ledger (checked by doctor)
    principal_fen: Mapped[int] = mapped_column(Integer, default=0)
    bonus_fen: Mapped[int] = mapped_column(Integer, default=0)
    points_balance: Mapped[int] = mapped_column(Integer, default=0)
    wallet_seq: Mapped[int] = mapped_column(Integer, default=0)
    member_price_until: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: the member level's next look (migration 0015): a voucher's lift ends, a window's level is re-evaluated
    level_until: Mapped[date | None] = mapped_column(Date, nullable=True)
    #: the member's birthday when they gave it (migration 0015): a level's birthday gift
    birthday: Mapped[date | None] = mapped_column(Date, nullable=True)


class Campaign(Base):
    __tablename__ = "campaign"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    rules_json: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(16), default="local")  # local | central
    version: Mapped[int] = mapped_column(Integer, default=1)
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Recharge(Base):
    """One recharge; also the lot that tracks what is left of its principal and bonus."""

    __tablename__ = "recharge"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    request_id: Mapped[str] = mapped_column(String(64), unique=True)
    member_id: Mapped[str] = mapped_column(ForeignKey("member.id"), index=True)
    campaign_code: Mapped[str | None] = mapped_column(String(64))
    tier_code: Mapped[str | None] = mapped_column(String(64))
    amount_fen: Mapped[int] = mapped_column(Integer)
    bonus_fen: Mapped[int] = mapped_column(Integer)
    points: Mapped[int] = mapped_column(Integer)
    pay_method: Mapped[str] = mapped_column(String(16))
    staff_id: Mapped[str] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    #: what of this recharge is still in the wallet (moved by spends, zeroed by the refund)
    principal_left_fen: Mapped[int] = mapped_column(Integer)
    bonus_left_fen: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16), default="active")  # active | refunded
    #: number of entitlement rows the recharge wrote (doctor checks all its parts exist)
    items_count: Mapped[int] = mapped_column(Integer, default=0)
    #: the short receipt number: store code, store-local date, daily sequence (T001-20261202-0007)
    receipt_no: Mapped[str | None] = mapped_column(String(48), unique=True, index=True)
    #: None: made in this store. Otherwise the store that made it (a copy pulled from central, migration 0011): the
    #: lot a spend here takes that member's money from; it has no audit row or request record here
    origin_store: Mapped[str | None] = mapped_column(String(32))


class Spend(Base):
    __tablename__ = "spend"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    request_id: Mapped[str] = mapped_column(String(64), unique=True)
    member_id: Mapped[str] = mapped_column(ForeignKey("member.id"), index=True)
    amount_fen: Mapped[int] = mapped_column(Integer)
    principal_fen: Mapped[int] = mapped_column(Integer)
    bonus_fen: Mapped[int] = mapped_column(Integer)
    staff_id: Mapped[str] = mapped_column(ForeignKey("staff.id"))
    note: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class SpendAllocation(Base):
    """Which recharge lots a spend took its principal and bonus from."""

    __tablename__ = "spend_allocation"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    spend_id: Mapped[str] = mapped_column(ForeignKey("spend.id"), index=True)
    recharge_id: Mapped[str] = mapped_column(ForeignKey("recharge.id"))
    principal_fen: Mapped[int] = mapped_column(Integer)
    bonus_fen: Mapped[int] = mapped_column(Integer)


class Refund(Base):
    __tablename__ = "refund"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    request_id: Mapped[str] = mapped_column(String(64), unique=True)
    recharge_id: Mapped[str] = mapped_column(ForeignKey("recharge.id"), unique=True)
    member_id: Mapped[str] = mapped_column(ForeignKey("member.id"), index=True)
    principal_refund_fen: Mapped[int] = mapped_column(Integer)
    bonus_revoke_fen: Mapped[int] = mapped_column(Integer)
    points_revoked: Mapped[int] = mapped_column(Integer)
    points_kept: Mapped[int] = mapped_column(Integer)
    pay_method: Mapped[str] = mapped_column(String(16))
    staff_id: Mapped[str] = mapped_column(ForeignKey("staff.id"))
    operator_id: Mapped[str | None] = mapped_column(ForeignKey("staff.id"))
    reason: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: how the principal is paid back: original (the recharge's method, in ``pay_method``) | cash
    refund_method: Mapped[str] = mapped_column(String(16), default="original", server_default="original")
    #: the recharge's principal still in the wallet (all of it leaves the wallet); ``principal_refund_fen``
    #: is that less ``deducted_fen``, the value of the perks the member used or kept
    principal_unspent_fen: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    deducted_fen: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: the deduction lines: [{"kind", "name", "value_fen"}]
    deductions_json: Mapped[str] = mapped_column(Text, default="[]", server_default="[]")


class WalletEntry(Base):
    """Append-only wallet ledger. Each row records the balances after it."""

    __tablename__ = "wallet_entry"
    __table_args__ = (UniqueConstraint("member_id", "seq"),)
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    member_id: Mapped[str] = mapped_column(ForeignKey("member.id"))
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))  # recharge | spend | refund | sale_return | adjust
    principal_delta_fen: Mapped[int] = mapped_column(Integer)
    bonus_delta_fen: Mapped[int] = mapped_column(Integer)
    principal_after_fen: Mapped[int] = mapped_column(Integer)
    bonus_after_fen: Mapped[int] = mapped_column(Integer)
    recharge_id: Mapped[str | None] = mapped_column(ForeignKey("recharge.id"), index=True)
    spend_id: Mapped[str | None] = mapped_column(ForeignKey("spend.id"), index=True)
    refund_id: Mapped[str | None] = mapped_column(ForeignKey("refund.id"), index=True)
    staff_id: Mapped[str] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: None: made in this store. Otherwise the store that made it (pulled from central, migration 0011), the
    #: change's key (each is applied once) and the balances after it as that store recorded them
    origin_store: Mapped[str | None] = mapped_column(String(32))
    origin_ref: Mapped[str | None] = mapped_column(String(64), unique=True, index=True)
    origin_principal_after_fen: Mapped[int | None] = mapped_column(Integer)
    origin_bonus_after_fen: Mapped[int | None] = mapped_column(Integer)
    #: a manager's wallet adjustment (kind ``adjust``, migration 0017)
    adjustment_id: Mapped[str | None] = mapped_column(ForeignKey("wallet_adjustment.id"), index=True, nullable=True)


class WalletAdjustment(Base):
    """A manager's correction of a member's stored value (migration 0017): principal and/or bonus, up or down,
    with a reason. Its ledger row is the wallet entry of kind ``adjust``. What it added is a lot, as a
    recharge is: spends take from it (:class:`AdjustmentAllocation`) and ``*_left_fen`` is what is still in
    the wallet; what it took away came out of the member's lots, oldest first."""

    __tablename__ = "wallet_adjustment"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    request_id: Mapped[str] = mapped_column(String(64), unique=True)
    member_id: Mapped[str] = mapped_column(ForeignKey("member.id"), index=True)
    principal_delta_fen: Mapped[int] = mapped_column(Integer)
    bonus_delta_fen: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(200))
    staff_id: Mapped[str] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: of what it added (its positive parts), what is still in the wallet
    principal_left_fen: Mapped[int] = mapped_column(Integer)
    bonus_left_fen: Mapped[int] = mapped_column(Integer)


class AdjustmentAllocation(Base):
    """What a spend took from (or a sale return gave back to: negative) an adjustment's lot (migration 0017);
    a recharge's lot is :class:`SpendAllocation`."""

    __tablename__ = "adjustment_allocation"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    spend_id: Mapped[str] = mapped_column(ForeignKey("spend.id"), index=True)
    adjustment_id: Mapped[str] = mapped_column(ForeignKey("wallet_adjustment.id"), index=True)
    principal_fen: Mapped[int] = mapped_column(Integer)
    bonus_fen: Mapped[int] = mapped_column(Integer)


class PointsLot(Base):
    __tablename__ = "points_lot"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    member_id: Mapped[str] = mapped_column(ForeignKey("member.id"), index=True)
    source: Mapped[str] = mapped_column(String(32))  # recharge | spend | checkin | task | invite | adjust
    points: Mapped[int] = mapped_column(Integer)
    remaining: Mapped[int] = mapped_column(Integer)
    earned_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_on: Mapped[date] = mapped_column(Date)
    recharge_id: Mapped[str | None] = mapped_column(ForeignKey("recharge.id"), index=True)
    #: what earned it besides a recharge (migration 0012): the check-in, the draw, the adjustment id
    ref: Mapped[str | None] = mapped_column(String(64))
    #: a manager's adjustment: the reason given
    reason: Mapped[str | None] = mapped_column(String(200))
    #: a purchase's points under a pending period (migration 0015): spendable from this date (None: at once)
    available_on: Mapped[date | None] = mapped_column(Date, nullable=True)


class PointsEntry(Base):
    """Append-only points ledger of what leaves a lot (the lot records what was earned)."""

    __tablename__ = "points_entry"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    member_id: Mapped[str] = mapped_column(ForeignKey("member.id"), index=True)
    lot_id: Mapped[str] = mapped_column(ForeignKey("points_lot.id"))
    #: spend | expire | revoke (what leaves a lot; the lot itself records the earning). Rows of kind
    #: "earn" were written before migration 0007 and only where they do not match their lot.
    kind: Mapped[str] = mapped_column(String(16))
    delta: Mapped[int] = mapped_column(Integer)
    ref: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: why it left (migration 0012): a manager's adjustment reason, "wheel" for a draw's cost
    reason: Mapped[str | None] = mapped_column(String(200))


class Entitlement(Base):
    """Something a member is owed: a coupon, a physical gift, a service voucher, member-price months.
    One row per unit, so each can be issued/handed out exactly once."""

    __tablename__ = "entitlement"
    __table_args__ = (Index("ix_entitlement_member_state", "member_id", "state"),)
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    member_id: Mapped[str] = mapped_column(ForeignKey("member.id"))
    recharge_id: Mapped[str | None] = mapped_column(ForeignKey("recharge.id"), index=True)
    source: Mapped[str] = mapped_column(String(32))  # tier | rebate | referral | milestone | prize | redemption | manual
    kind: Mapped[str] = mapped_column(String(16))  # coupon | gift | voucher | member_price
    ref: Mapped[str] = mapped_column(String(64))  # coupon template / SKU / voucher category
    name: Mapped[str] = mapped_column(String(200))
    value_fen: Mapped[int] = mapped_column(Integer, default=0)
    quantity: Mapped[int] = mapped_column(Integer, default=1)
    #: owed -> issued (coupon/voucher made) | handed_out (gift) | declined ; refund: revoked | kept
    state: Mapped[str] = mapped_column(String(16))  # indexed by ix_entitlement_state_kind_ref (models_gifts)
    due_on: Mapped[date | None] = mapped_column(Date)
    issued_ref: Mapped[str | None] = mapped_column(String(64))  # coupon id / stock movement id
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AuditLog(Base):
    """Append-only and tamper-evident: rows form a hash chain in ``seq`` order (gap-free, taken inside the
    writing transaction). ``hash`` is sha256 over the row's canonical fields and ``prev_hash`` (the previous
    row's ``hash``; 64 zeros for the first): see :mod:`pos_app.services.audit`; ``pos-app doctor`` checks it."""

    __tablename__ = "audit_log"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    staff_id: Mapped[str | None] = mapped_column(ForeignKey("staff.id"))
    action: Mapped[str] = mapped_column(String(64))
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str] = mapped_column(String(64), index=True)
    details_json: Mapped[str] = mapped_column(Text, default="{}")
    seq: Mapped[int] = mapped_column(Integer, unique=True, index=True)
    #: the manager who approved this action for the staff member who did it (None: nobody else)
    approved_by: Mapped[str | None] = mapped_column(ID)
    store_code: Mapped[str | None] = mapped_column(String(32))
    device_id: Mapped[str | None] = mapped_column(ID)
    request_id: Mapped[str | None] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class Outbox(Base):
    """Events for the central server, in a gap-free per-device sequence (DESIGN.md: Sync)."""

    __tablename__ = "outbox"
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    event_id: Mapped[str] = mapped_column(ID, unique=True)
    device_id: Mapped[str] = mapped_column(ID)
    type: Mapped[str] = mapped_column(String(64))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    payload_json: Mapped[str] = mapped_column(Text)
    payload_hash: Mapped[str] = mapped_column(String(64))


class RequestLog(Base):
    """Idempotency: a request id is done once; a repeat returns the first result."""

    __tablename__ = "request_log"
    request_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    use_case: Mapped[str] = mapped_column(String(64))
    ref_id: Mapped[str] = mapped_column(String(64))
    params_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
