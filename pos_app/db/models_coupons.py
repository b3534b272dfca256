"""Coupons, coupon templates, the coupon history and referrals (issue 4).

``coupon_event`` is append-only (redeem / void), like the other ledgers; a coupon's issue is its own row
(issued_at, issued_by, member_id, source, reason)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from pos_app.db.base import Base, UTCDateTime

ID = String(36)


class CouponTemplate(Base):
    __tablename__ = "coupon_template"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    value_fen: Mapped[int] = mapped_column(Integer, default=0)
    percent_bp: Mapped[int] = mapped_column(Integer, default=0)
    max_discount_fen: Mapped[int] = mapped_column(Integer, default=0)
    min_spend_fen: Mapped[int] = mapped_column(Integer, default=0)
    valid_days: Mapped[int] = mapped_column(Integer, default=0)
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)
    category: Mapped[str] = mapped_column(String(64), default="")
    bearer: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    campaign_code: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Coupon(Base):
    """One issued coupon. ``code`` is the normalised code (no dashes) with its check character."""

    __tablename__ = "coupon"
    #: a member's coupons by state (the member view's count of unused coupons, the usable-coupon picker)
    __table_args__ = (Index("ix_coupon_member_state", "member_id", "state"),)
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    code: Mapped[str] = mapped_column(String(24), unique=True)
    template_code: Mapped[str | None] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    value_fen: Mapped[int] = mapped_column(Integer, default=0)
    percent_bp: Mapped[int] = mapped_column(Integer, default=0)
    max_discount_fen: Mapped[int] = mapped_column(Integer, default=0)
    min_spend_fen: Mapped[int] = mapped_column(Integer, default=0)
    category: Mapped[str] = mapped_column(String(64), default="")
    member_id: Mapped[str | None] = mapped_column(ForeignKey("member.id"))
    bearer: Mapped[bool] = mapped_column(Boolean, default=False)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date] = mapped_column(Date)
    #: issued | redeemed | voided  (expired is derived from valid_until)
    state: Mapped[str] = mapped_column(String(16), index=True)
    source: Mapped[str] = mapped_column(String(32))  # tier | rebate | referral | milestone | new_member | manual ...
    #: the entitlement row it was issued for; None for a coupon that is its entitlement's only row
    #: (``item_json`` holds that entitlement's id)
    entitlement_id: Mapped[str | None] = mapped_column(ForeignKey("entitlement.id"))
    store_code: Mapped[str] = mapped_column(String(32))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    issued_by: Mapped[str | None] = mapped_column(ForeignKey("staff.id"))
    reason: Mapped[str | None] = mapped_column(String(200))
    #: coupons issued together by one request (a manager's batch): the request's result
    batch_id: Mapped[str | None] = mapped_column(String(36), index=True)
    #: set when this row is also its entitlement's (a coupon/voucher a recharge issued at once: ``batch_id``
    #: is the recharge): the entitlement's id and what it said that the coupon row does not (kind, ref,
    #: name, value, created_at, due_on), as JSON. Its state is derived (services.grants.coupon_item)
    item_json: Mapped[str | None] = mapped_column(Text)
    redeemed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    redeemed_member_id: Mapped[str | None] = mapped_column(ForeignKey("member.id"))
    bill_fen: Mapped[int | None] = mapped_column(Integer)
    discount_fen: Mapped[int | None] = mapped_column(Integer)
    spend_id: Mapped[str | None] = mapped_column(ForeignKey("spend.id"))
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    void_reason: Mapped[str | None] = mapped_column(String(200))
    #: when this coupon's current state came from central (pulled, migration 0011); None: known only here
    pulled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CouponEvent(Base):
    """Append-only coupon history after the issue (which is the coupon row): redeem, void."""

    __tablename__ = "coupon_event"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    coupon_id: Mapped[str] = mapped_column(ForeignKey("coupon.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    staff_id: Mapped[str | None] = mapped_column(ForeignKey("staff.id"))
    member_id: Mapped[str | None] = mapped_column(ForeignKey("member.id"))
    amount_fen: Mapped[int | None] = mapped_column(Integer)
    discount_fen: Mapped[int | None] = mapped_column(Integer)
    spend_id: Mapped[str | None] = mapped_column(ForeignKey("spend.id"))
    reason: Mapped[str | None] = mapped_column(String(200))


class Referral(Base):
    """One invitation: inviter -> invitee; qualified by the invitee's first recharge."""

    __tablename__ = "referral"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    inviter_id: Mapped[str] = mapped_column(ForeignKey("member.id"), index=True)
    invitee_id: Mapped[str] = mapped_column(ForeignKey("member.id"), unique=True)
    campaign_code: Mapped[str | None] = mapped_column(String(64), index=True)
    state: Mapped[str] = mapped_column(String(16))  # registered | qualified | reversed
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    qualifying_recharge_id: Mapped[str | None] = mapped_column(ForeignKey("recharge.id"), unique=True)
    #: or the first purchase that qualified it (campaign ``[referral] qualify``; migration 0010)
    qualifying_sale_id: Mapped[str | None] = mapped_column(String(36))
    recharge_amount_fen: Mapped[int | None] = mapped_column(Integer)
    qualified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reversed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ReferralReward(Base):
    """Which entitlements a referral justified (so a refund can take them back)."""

    __tablename__ = "referral_reward"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    referral_id: Mapped[str] = mapped_column(ForeignKey("referral.id"), index=True)
    entitlement_id: Mapped[str] = mapped_column(ForeignKey("entitlement.id"), unique=True)
    member_id: Mapped[str] = mapped_column(ForeignKey("member.id"))
    role: Mapped[str] = mapped_column(String(16))  # referral | milestone | new_member
    details_json: Mapped[str] = mapped_column(Text, default="{}")
