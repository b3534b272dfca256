"""Points platform models (issue 13): manual adjustments, check-ins, wheel tickets and the lucky wheel.

The points themselves stay in ``points_lot`` (what was earned) and ``points_entry`` (what left a lot);
these tables record why. ``wheel_draw`` is the wheel's append-only, auditable log (docs/wheel.md)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from pos_app.db.base import Base, UTCDateTime

ID = String(36)


class PointsAdjustment(Base):
    """A manager's manual adjustment (+ a lot, - taken from lots), with its reason."""

    __tablename__ = "points_adjustment"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    request_id: Mapped[str] = mapped_column(String(64), unique=True)
    member_id: Mapped[str] = mapped_column(ForeignKey("member.id"), index=True)
    points: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(200))
    staff_id: Mapped[str] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Checkin(Base):
    """One check-in (签到) on a store-local day; a member checks in at most once a day."""

    __tablename__ = "checkin"
    __table_args__ = (UniqueConstraint("member_id", "day"),)
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    request_id: Mapped[str] = mapped_column(String(64), unique=True)
    member_id: Mapped[str] = mapped_column(ForeignKey("member.id"))
    day: Mapped[date] = mapped_column(Date)
    streak: Mapped[int] = mapped_column(Integer)
    points: Mapped[int] = mapped_column(Integer)
    bonus_points: Mapped[int] = mapped_column(Integer)
    tickets: Mapped[int] = mapped_column(Integer)
    campaign_code: Mapped[str | None] = mapped_column(String(64))
    staff_id: Mapped[str] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class WheelTicket(Base):
    """A free wheel draw a member holds (e.g. from a check-in streak); used by one draw."""

    __tablename__ = "wheel_ticket"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    member_id: Mapped[str] = mapped_column(ForeignKey("member.id"), index=True)
    source: Mapped[str] = mapped_column(String(32))  # checkin
    ref: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_draw_id: Mapped[str | None] = mapped_column(String(36), unique=True)


class Wheel(Base):
    """A published wheel: locked prize table, the commitment SHA-256(seed), the seed (shown at close)."""

    __tablename__ = "wheel"
    __table_args__ = (UniqueConstraint("campaign_code", "code"),)
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    code: Mapped[str] = mapped_column(String(64))
    campaign_code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(16))  # published | closed
    cost_points: Mapped[int] = mapped_column(Integer)
    top_prize_cap_fen: Mapped[int] = mapped_column(Integer)
    claim_days: Mapped[int] = mapped_column(Integer)
    claim_note: Mapped[str] = mapped_column(String(400), default="")
    commitment: Mapped[str] = mapped_column(String(64))
    #: the secret seed (hex); never shown before ``state == closed``
    seed_hex: Mapped[str] = mapped_column(String(128))
    draws: Mapped[int] = mapped_column(Integer, default=0)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class WheelPrize(Base):
    __tablename__ = "wheel_prize"
    __table_args__ = (UniqueConstraint("wheel_id", "code"), UniqueConstraint("wheel_id", "position"))
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    wheel_id: Mapped[str] = mapped_column(ForeignKey("wheel.id"))
    position: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(64))
    tier: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    ref: Mapped[str] = mapped_column(String(64), default="")
    points: Mapped[int] = mapped_column(Integer, default=0)
    value_fen: Mapped[int] = mapped_column(Integer, default=0)
    weight: Mapped[int] = mapped_column(Integer)
    #: the quantity published first; ``quantity`` grows with amendments (never shrinks)
    initial_quantity: Mapped[int] = mapped_column(Integer)
    quantity: Mapped[int] = mapped_column(Integer)
    won: Mapped[int] = mapped_column(Integer, default=0)


class WheelDraw(Base):
    """One draw, append-only: who, what it cost, the nonce, the HMAC digest, the prize, the table in force
    and the quantities left after it."""

    __tablename__ = "wheel_draw"
    __table_args__ = (UniqueConstraint("wheel_id", "seq"),)
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    request_id: Mapped[str] = mapped_column(String(64), unique=True)
    wheel_id: Mapped[str] = mapped_column(ForeignKey("wheel.id"))
    seq: Mapped[int] = mapped_column(Integer)
    member_id: Mapped[str] = mapped_column(ForeignKey("member.id"), index=True)
    cost_points: Mapped[int] = mapped_column(Integer)
    ticket_id: Mapped[str | None] = mapped_column(String(36))
    nonce: Mapped[str] = mapped_column(String(64))
    digest_hex: Mapped[str] = mapped_column(String(64))
    prize_code: Mapped[str] = mapped_column(String(64))
    table_json: Mapped[str] = mapped_column(Text)
    left_json: Mapped[str] = mapped_column(Text)
    claim_code: Mapped[str] = mapped_column(String(32), unique=True)
    staff_id: Mapped[str] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
