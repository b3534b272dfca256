"""Member levels and tasks (issue 13): each member's progress on each task of a campaign, and the
append-only log of level changes with their reasons. The member's level itself is ``member.level`` (its
code) and ``member.level_until``."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from pos_app.db.base import Base, UTCDateTime

ID = String(36)


class TaskProgress(Base):
    """A member's progress on one task of a campaign; ``completed`` with the reward's reference. Progress is
    not capped at the target (purchases after completion still count, so a return of an earlier one does
    not take away a completion the rest still earn); a return that takes it below the target reopens it
    and takes the reward back (services/tasks.py)."""

    __tablename__ = "task_progress"
    __table_args__ = (UniqueConstraint("campaign_code", "task_code", "member_id"),
                      Index("ix_task_progress_member", "member_id"))
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    campaign_code: Mapped[str] = mapped_column(String(64))
    task_code: Mapped[str] = mapped_column(String(32))
    member_id: Mapped[str] = mapped_column(ForeignKey("member.id"))
    progress: Mapped[int] = mapped_column(Integer)
    target: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16))  # open | completed
    #: the event that moved it last / completed it (a sale, a recharge, a member)
    last_ref: Mapped[str | None] = mapped_column(String(64))
    points: Mapped[int] = mapped_column(Integer, default=0)  # the points granted at completion
    coupon_id: Mapped[str | None] = mapped_column(String(36))  # the coupon entitlement granted
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class TaskStep(Base):
    """What one purchase did to one task progress row (append-only, migration 0018): ``delta`` added when it
    was rung up (``ref`` = the sale), taken back by a return (negative, ``ref`` = the return). A row's
    progress from purchases is the sum of its steps, so a return takes back exactly what its purchase
    added and progress never counts a returned purchase."""

    __tablename__ = "task_step"
    __table_args__ = (Index("ix_task_step_sale", "sale_id"),)
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    progress_id: Mapped[str] = mapped_column(ForeignKey("task_progress.id"))
    sale_id: Mapped[str] = mapped_column(ID)
    ref: Mapped[str] = mapped_column(ID)
    delta: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class BirthdayGift(Base):
    """A member level's birthday gift, given once a member and year (what it gave)."""

    __tablename__ = "birthday_gift"
    __table_args__ = (UniqueConstraint("member_id", "year"),)
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    member_id: Mapped[str] = mapped_column(ForeignKey("member.id"))
    year: Mapped[int] = mapped_column(Integer)
    level: Mapped[str] = mapped_column(String(32))
    points: Mapped[int] = mapped_column(Integer, default=0)
    coupon_id: Mapped[str | None] = mapped_column(String(36))  # the coupon entitlement granted
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class LevelChange(Base):
    """One change of a member's level, append-only: from, to, why (recharge | sale | voucher | voucher_end
    | window_end), what caused it, and until when the new level holds before it is looked at again."""

    __tablename__ = "level_change"
    __table_args__ = (Index("ix_level_change_member", "member_id", "created_at"),)
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    member_id: Mapped[str] = mapped_column(ForeignKey("member.id"))
    from_level: Mapped[str | None] = mapped_column(String(32))
    to_level: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(String(16))
    ref: Mapped[str | None] = mapped_column(String(64))
    until: Mapped[date | None] = mapped_column(Date, nullable=True)
    #: a voucher's lift: the level the member had before it
    floor_level: Mapped[str | None] = mapped_column(String(32))
    campaign_code: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
