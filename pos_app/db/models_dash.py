"""The campaign figures' per-day summaries (issue 14; migration 0019_dash_summary): what the dashboard and the
campaign report add up, summarised from the append-only tables at read time, never on a use case's write path.

- ``dash_day``: one row per (source, store-local day, key) with a count and two sums; the sources are the
  recharges (by tier), refunds, sales (member or walk-in), sale payments (by method), sale lines (by
  category), returns, points lots (by source), points ledger rows (by kind) and the new recharging members.
- ``dash_first_recharge``: each member's first recharge (any store) and how many of this store's recharges
  are at that instant: what "new recharging members" counts, kept exact when a recharge of another store
  arrives late by sync with an earlier time.
- ``dash_watermark``: per source, the highest row id (SQLite's rowid: insertion order, the tables being
  append-only) already summarised, the key of that row (a table whose rows were renumbered, e.g. a restored
  copy, is noticed and everything is summarised again) and the time zone the days were cut in.

See pos_app/db/repo/dash_summary.py."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from pos_app.db.base import Base, UTCDateTime


class DashDay(Base):
    __tablename__ = "dash_day"
    source: Mapped[str] = mapped_column(String(32), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    #: the breakdown key within the source (a tier code, a method, a category...; "" for none)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    n: Mapped[int] = mapped_column(Integer)
    a: Mapped[int] = mapped_column(Integer)
    b: Mapped[int] = mapped_column(Integer)


class DashFirstRecharge(Base):
    __tablename__ = "dash_first_recharge"
    member_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    #: the member's earliest recharge, in any store
    first_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: this store's own recharges of the member at exactly ``first_at`` (each counts as a first recharge)
    local_first: Mapped[int] = mapped_column(Integer)


class DashWatermark(Base):
    __tablename__ = "dash_watermark"
    source: Mapped[str] = mapped_column(String(32), primary_key=True)
    #: the highest row id summarised
    upto: Mapped[int] = mapped_column(Integer)
    #: the key of the row at ``upto`` (None: nothing summarised yet)
    upto_key: Mapped[str | None] = mapped_column(String(80))
    #: the store's time zone the days were cut in
    tz: Mapped[str] = mapped_column(String(64))
