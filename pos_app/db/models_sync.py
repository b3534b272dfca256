"""Store side of sync (issue 11): the sync state, a short log of rounds, and the conflicts central reports for
this store.

What pulled changes bring into the store goes into the existing tables, so the existing queries see it: a
member registered elsewhere is a ``member`` row (its ``store_code`` says where), a wallet entry made elsewhere is
a ``wallet_entry`` row with ``origin_store`` set (and the balances-after its store recorded), a recharge made
elsewhere is a ``recharge`` row with ``origin_store`` (the lot a spend here takes from), a central campaign is a
``campaign`` row with ``source='central'``, a coupon of another store is a ``coupon`` row whose ``pulled_at``
says when its current state came from central. The outbox is never deleted: ``sync_state.acked_seq`` marks how
far central has it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from pos_app.db.base import Base, UTCDateTime

ID = String(36)


class SyncState(Base):
    """The one row (id 1) of this device's sync: where it is paired, how far push and pull got, how the last
    round went, and the clock skew measured from central's answers."""

    __tablename__ = "sync_state"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    server_url: Mapped[str | None] = mapped_column(String(300))
    store_id: Mapped[str | None] = mapped_column(String(64))
    paired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: the change feed's cursor (``EPOCH:N``, protocol.Cursor) and the epoch it belongs to
    cursor: Mapped[str | None] = mapped_column(String(120))
    epoch: Mapped[str | None] = mapped_column(String(64))
    #: every outbox event up to this seq is stored on central (never deleted here)
    acked_seq: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: the last time central answered at all (the offline limits count from here)
    reached_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_pull_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_failure_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: a message id (sync.offline, sync.revoked, sync.clock_far_off...) and its parameters as JSON
    last_failure_reason: Mapped[str | None] = mapped_column(String(64))
    last_failure_params: Mapped[str | None] = mapped_column(Text)
    #: server time - store time, milliseconds, from the last answer
    clock_skew_ms: Mapped[int | None] = mapped_column(Integer)


class SyncRound(Base):
    """A short log of sync rounds (the newest few hundred are kept)."""

    __tablename__ = "sync_round"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ok: Mapped[bool] = mapped_column(Boolean)
    pushed: Mapped[int] = mapped_column(Integer, default=0)
    pulled: Mapped[int] = mapped_column(Integer, default=0)
    conflicts: Mapped[int] = mapped_column(Integer, default=0)
    pending: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(String(64))
    error_params: Mapped[str | None] = mapped_column(Text)


class SyncConflict(Base):
    """A conflict central recorded that concerns this store (pulled; central is the one that resolves it)."""

    __tablename__ = "sync_conflict"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    member_id: Mapped[str | None] = mapped_column(ID)
    coupon_code: Mapped[str | None] = mapped_column(String(24))
    event_id: Mapped[str | None] = mapped_column(ID)
    store_code: Mapped[str | None] = mapped_column(String(32))
    amount_fen: Mapped[int | None] = mapped_column(Integer)
    detail_json: Mapped[str] = mapped_column(Text, default="{}")
    resolved: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    pulled_at: Mapped[datetime] = mapped_column(UTCDateTime)
