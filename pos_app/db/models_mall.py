"""The points mall and premium redemption (issue 13): the items a campaign offers (their stock counts
cached beside the redemptions that move them), imported external redemption codes, every redemption and
request, and the append-only log of each change (who, when, from which state to which)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from pos_app.db.base import Base, UTCDateTime

ID = String(36)


class MallItem(Base):
    """An item of a campaign's mall (``program`` mall) or premium redemption (``program`` premium).
    ``reserved`` and ``given`` are the cached counts of its redemptions in those states (doctor checks
    them); available = quantity - reserved - given."""

    __tablename__ = "mall_item"
    __table_args__ = (UniqueConstraint("campaign_code", "program", "code"),)
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    campaign_code: Mapped[str] = mapped_column(String(64))
    program: Mapped[str] = mapped_column(String(16))  # mall | premium
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))  # gift | coupon | code | goods
    ref: Mapped[str] = mapped_column(String(64), default="")
    points: Mapped[int] = mapped_column(Integer, default=0)
    cash_fen: Mapped[int] = mapped_column(Integer, default=0)
    spend_fen: Mapped[int] = mapped_column(Integer, default=0)
    #: JSON list of the categories a spend threshold counts (empty: all)
    categories_json: Mapped[str] = mapped_column(Text, default="[]")
    value_fen: Mapped[int] = mapped_column(Integer, default=0)
    quantity: Mapped[int] = mapped_column(Integer, default=0)
    reserved: Mapped[int] = mapped_column(Integer, default=0)
    given: Mapped[int] = mapped_column(Integer, default=0)
    threshold: Mapped[int] = mapped_column(Integer, default=0)
    limit_per_member: Mapped[int] = mapped_column(Integer, default=1)
    limit_period: Mapped[str] = mapped_column(String(16), default="campaign")
    starts_on: Mapped[date | None] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class MallCode(Base):
    """An external redemption code (imported list) of a code item; given once (``redemption_id``)."""

    __tablename__ = "mall_code"
    __table_args__ = (UniqueConstraint("item_id", "code"), Index("ix_mall_code_item_free", "item_id", "redemption_id"))
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    item_id: Mapped[str] = mapped_column(ForeignKey("mall_item.id"))
    code: Mapped[str] = mapped_column(String(128))
    redemption_id: Mapped[str | None] = mapped_column(String(36), unique=True)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Redemption(Base):
    """One mall redemption or premium request: what it cost (points held or spent, cash), its 核销 code,
    contact and delivery, and its state."""

    __tablename__ = "redemption"
    __table_args__ = (
        Index("ix_redemption_program_state_created", "program", "state", "created_at"),
        Index("ix_redemption_program_created", "program", "created_at"),
        Index("ix_redemption_member_item", "member_id", "item_id"),
    )
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    request_id: Mapped[str] = mapped_column(String(64), unique=True)
    program: Mapped[str] = mapped_column(String(16))
    item_id: Mapped[str] = mapped_column(ForeignKey("mall_item.id"))
    member_id: Mapped[str] = mapped_column(ForeignKey("member.id"))
    state: Mapped[str] = mapped_column(String(16))
    points: Mapped[int] = mapped_column(Integer, default=0)
    cash_fen: Mapped[int] = mapped_column(Integer, default=0)
    pay_method: Mapped[str | None] = mapped_column(String(16))
    #: the 核销 code (Crockford base32 with its check character), printed on the slip as text and QR
    code: Mapped[str] = mapped_column(String(32), unique=True)
    contact: Mapped[str | None] = mapped_column(String(32))
    ship_to: Mapped[str | None] = mapped_column(String(400))
    carrier: Mapped[str | None] = mapped_column(String(64))
    tracking: Mapped[str | None] = mapped_column(String(64))
    #: the entitlement (gift reserved for pick-up) or coupon id / external code the redemption issued
    entitlement_id: Mapped[str | None] = mapped_column(String(36))
    issued_ref: Mapped[str | None] = mapped_column(String(128))
    reason: Mapped[str | None] = mapped_column(String(200))
    staff_id: Mapped[str] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    fulfilled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RedemptionLog(Base):
    """Append-only: every change of a redemption, with who and when."""

    __tablename__ = "redemption_log"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    redemption_id: Mapped[str] = mapped_column(ForeignKey("redemption.id"), index=True)
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    event: Mapped[str] = mapped_column(String(16))
    #: None: the store's daily job (automatic receipt)
    staff_id: Mapped[str | None] = mapped_column(ForeignKey("staff.id"))
    note: Mapped[str | None] = mapped_column(String(400))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
