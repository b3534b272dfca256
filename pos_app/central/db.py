"""The central server's database: its own SQLAlchemy models (its own MetaData, never the store's) and engine.

SQLite (the embedded default) or PostgreSQL. Times are integer milliseconds since the epoch (``*_ms``) so both
behave the same; money is integer fen. On SQLite every write transaction begins ``IMMEDIATE`` (one writer at a
time across processes, no lock upgrade failing half-way); a read-only engine begins deferred (WAL readers never
wait for the writer).
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Engine,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    create_engine,
    event,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: the central server's own Alembic version table (never the store's ``alembic_version``)
VERSION_TABLE = "central_alembic_version"

BUSY_TIMEOUT_MS = 15_000


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


metadata = Base.metadata


class Meta(Base):
    """Key/value rows: ``epoch`` (new on every ``init``), ``admin_token_hash``."""

    __tablename__ = "central_meta"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class Counter(Base):
    """Named counters taken with ``UPDATE ... RETURNING`` inside the writing transaction: the row lock makes
    number order commit order (the change feed's ``change_no``)."""

    __tablename__ = "counters"
    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)


class Store(Base):
    __tablename__ = "stores"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    #: the store's own code (its ``store_code``); set by ``store add --code`` or by the first pairing
    code: Mapped[str | None] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    created_ms: Mapped[int] = mapped_column(BigInteger)


class PairingCode(Base):
    """A one-time pairing code, stored as its SHA-256 only."""

    __tablename__ = "pairing_codes"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    store_id: Mapped[str] = mapped_column(ForeignKey("stores.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_ms: Mapped[int] = mapped_column(BigInteger)
    expires_ms: Mapped[int] = mapped_column(BigInteger)
    used_ms: Mapped[int | None] = mapped_column(BigInteger)
    device_id: Mapped[str | None] = mapped_column(String(64))


class Device(Base):
    """A paired store device. The secret is kept as is: verifying an HMAC needs it (guard the database)."""

    __tablename__ = "devices"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    store_id: Mapped[str] = mapped_column(ForeignKey("stores.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    secret: Mapped[str] = mapped_column(String(64))
    created_ms: Mapped[int] = mapped_column(BigInteger)
    revoked_ms: Mapped[int | None] = mapped_column(BigInteger)
    last_seen_ms: Mapped[int | None] = mapped_column(BigInteger)
    #: every event of this device with seq 1..acked_seq is stored on central
    acked_seq: Mapped[int] = mapped_column(BigInteger, default=0)


class Nonce(Base):
    """Request nonces seen, per device; pruned after twice the allowed clock skew."""

    __tablename__ = "nonces"
    device_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    nonce: Mapped[str] = mapped_column(String(64), primary_key=True)
    seen_ms: Mapped[int] = mapped_column(BigInteger, index=True)


class Event(Base):
    """Every pushed event, once (the unique key is the event id)."""

    __tablename__ = "events"
    event_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    device_id: Mapped[str] = mapped_column(String(64))
    store_id: Mapped[str] = mapped_column(String(36), index=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    type: Mapped[str] = mapped_column(String(64), index=True)
    occurred_at: Mapped[str] = mapped_column(String(40))
    payload_json: Mapped[str] = mapped_column(Text)
    payload_hash: Mapped[str] = mapped_column(String(64))
    received_ms: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (Index("ix_events_device_seq", "device_id", "seq"),
                      #: head office's reports read a store's events of a period (migration c0003)
                      Index("ix_events_store_occurred", "store_id", "occurred_at"))


class Member(Base):
    __tablename__ = "members"
    member_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    phone: Mapped[str | None] = mapped_column(String(20), index=True)
    name: Mapped[str | None] = mapped_column(String(200))
    member_code: Mapped[str | None] = mapped_column(String(40))
    store_code: Mapped[str | None] = mapped_column(String(32))
    data_json: Mapped[str] = mapped_column(Text)
    event_id: Mapped[str] = mapped_column(String(36))
    registered_at: Mapped[str] = mapped_column(String(40))


class Wallet(Base):
    """Central's own running balance per member, from every store's wallet events in ingest order."""

    __tablename__ = "wallets"
    member_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    principal_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    bonus_fen: Mapped[int] = mapped_column(BigInteger, default=0)


class WalletEntry(Base):
    """A wallet movement as a store recorded it (balances after, the store's), with central's balances after."""

    __tablename__ = "wallet_entries"
    entry_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(36), index=True)
    member_id: Mapped[str] = mapped_column(String(36), index=True)
    store_code: Mapped[str | None] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16))  # recharge | spend | refund
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    principal_delta_fen: Mapped[int] = mapped_column(BigInteger)
    bonus_delta_fen: Mapped[int] = mapped_column(BigInteger)
    principal_after_fen: Mapped[int | None] = mapped_column(BigInteger)
    bonus_after_fen: Mapped[int | None] = mapped_column(BigInteger)
    central_principal_after_fen: Mapped[int] = mapped_column(BigInteger)
    central_bonus_after_fen: Mapped[int] = mapped_column(BigInteger)
    occurred_at: Mapped[str] = mapped_column(String(40))
    received_ms: Mapped[int] = mapped_column(BigInteger)

    #: head office's reports sum a store's movements before and within a period, and the members' balances at
    #: an instant, from these indexes alone (migration c0003)
    __table_args__ = (Index("ix_wallet_entries_store_occurred", "store_code", "occurred_at", "principal_delta_fen",
                            "bonus_delta_fen"),
                      Index("ix_wallet_entries_member_occurred", "member_id", "occurred_at", "principal_delta_fen",
                            "bonus_delta_fen"))


class Coupon(Base):
    """A coupon's central state: issued, redeemed or voided, and where."""

    __tablename__ = "coupons"
    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    coupon_id: Mapped[str | None] = mapped_column(String(36))
    member_id: Mapped[str | None] = mapped_column(String(36), index=True)
    issuer_store: Mapped[str | None] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(16))  # issued | redeemed | voided
    state_store: Mapped[str | None] = mapped_column(String(32))
    state_event_id: Mapped[str] = mapped_column(String(36))
    state_at: Mapped[str] = mapped_column(String(40))
    redemptions: Mapped[int] = mapped_column(Integer, default=0)
    data_json: Mapped[str] = mapped_column(Text)


class GiftStock(Base):
    """Gift stock per store: the sum of its movements, and the on-hand figure the store last reported."""

    __tablename__ = "gift_stock"
    store_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    sku: Mapped[str] = mapped_column(String(64), primary_key=True)
    on_hand: Mapped[int] = mapped_column(BigInteger, default=0)
    store_on_hand_after: Mapped[int | None] = mapped_column(BigInteger)
    movements: Mapped[int] = mapped_column(Integer, default=0)


class Campaign(Base):
    """A campaign published by head office; ``stores_json`` is the list of store codes, or null for all."""

    __tablename__ = "campaigns"
    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    rules_json: Mapped[str] = mapped_column(Text)
    stores_json: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)
    published_ms: Mapped[int] = mapped_column(BigInteger)


class GiftCatalogueItem(Base):
    """A gift of head office's catalogue, published to some stores (``stores_json``) or all (null)."""

    __tablename__ = "gift_catalogue"
    sku: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    unit_value_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    threshold: Mapped[int] = mapped_column(Integer, default=0)
    barcode: Mapped[str | None] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    stores_json: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)
    published_ms: Mapped[int] = mapped_column(BigInteger)


class Conflict(Base):
    """A problem found on central; recorded once (``dedupe_key`` is unique), never merged away."""

    __tablename__ = "conflicts"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))  # overdraft | coupon_reused | hash_mismatch
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    store_code: Mapped[str | None] = mapped_column(String(32), index=True)
    other_store_code: Mapped[str | None] = mapped_column(String(32))
    member_id: Mapped[str | None] = mapped_column(String(36))
    coupon_code: Mapped[str | None] = mapped_column(String(32))
    event_id: Mapped[str | None] = mapped_column(String(36))
    detail: Mapped[str] = mapped_column(Text)
    amount_fen: Mapped[int | None] = mapped_column(BigInteger)
    created_ms: Mapped[int] = mapped_column(BigInteger)
    resolved_ms: Mapped[int | None] = mapped_column(BigInteger)
    resolved: Mapped[bool] = mapped_column(Boolean, default=False)


class ConflictNote(Base):
    __tablename__ = "conflict_notes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conflict_id: Mapped[str] = mapped_column(ForeignKey("conflicts.id"), index=True)
    author: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text)
    created_ms: Mapped[int] = mapped_column(BigInteger)


class LevelChange(Base):
    """A member level change a store logged (the fact ``level_changes`` of any of its events, migration c0005);
    a member's current level is the last of them by when it happened."""

    __tablename__ = "level_changes"
    change_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    member_id: Mapped[str] = mapped_column(String(36))
    from_level: Mapped[str | None] = mapped_column(String(32))
    to_level: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(String(16))
    ref: Mapped[str | None] = mapped_column(String(64))
    until: Mapped[str | None] = mapped_column(String(10))
    store_code: Mapped[str | None] = mapped_column(String(32))
    event_id: Mapped[str] = mapped_column(String(36))
    occurred_at: Mapped[str] = mapped_column(String(40))
    received_ms: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (Index("ix_level_changes_member", "member_id", "occurred_at"),)


class TaskProgress(Base):
    """A member's progress on one task as the store that keeps it last reported it (the facts ``task_progress``,
    ``tasks`` and ``tasks_reversed``, migration c0005): one row per store progress row (its id)."""

    __tablename__ = "task_progress"
    progress_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    member_id: Mapped[str] = mapped_column(String(36), index=True)
    campaign_code: Mapped[str | None] = mapped_column(String(64))
    task_code: Mapped[str] = mapped_column(String(32))
    #: None: known only from a completion fact of an event older than the progress facts
    progress: Mapped[int | None] = mapped_column(BigInteger)
    target: Mapped[int | None] = mapped_column(BigInteger)
    state: Mapped[str] = mapped_column(String(16))  # open | completed
    points: Mapped[int] = mapped_column(BigInteger, default=0)  # the reward's points while completed
    completed_at: Mapped[str | None] = mapped_column(String(40))
    completions: Mapped[int] = mapped_column(Integer, default=0)
    reversals: Mapped[int] = mapped_column(Integer, default=0)
    store_code: Mapped[str | None] = mapped_column(String(32))
    event_id: Mapped[str] = mapped_column(String(36))
    updated_at: Mapped[str] = mapped_column(String(40))


class Change(Base):
    """The change feed. ``audience`` null: every store; else one store code (a row per store concerned).
    ``skip_store``: the store that made it and is not served it (its own members and wallet entries)."""

    __tablename__ = "changes"
    change_no: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(32))
    key: Mapped[str] = mapped_column(String(100))
    store_code: Mapped[str | None] = mapped_column(String(32))
    audience: Mapped[str | None] = mapped_column(String(32))
    skip_store: Mapped[str | None] = mapped_column(String(32))
    data_json: Mapped[str] = mapped_column(Text)
    created_ms: Mapped[int] = mapped_column(BigInteger)



# ----------------------------------------------------------------------------- engine
def default_db_path() -> Path:
    from platformdirs import user_data_dir  # noqa: PLC0415

    env = os.environ.get("POS_CENTRAL_DB")
    if env:
        return Path(env).expanduser()
    return Path(user_data_dir("pos_central", appauthor=False)) / "central.db"


def to_url(db: str | Path | None) -> str:
    if db is None or str(db) == "":
        path = default_db_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{path.resolve()}"
    text = str(db)
    if "://" in text:
        return text
    return f"sqlite:///{Path(text).expanduser().resolve()}"


class CentralDatabase:
    """The engines of one central database: ``engine`` for writes, ``read_engine`` for reads."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite:
            self.engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000})
            self.read_engine = create_engine(url, connect_args={"check_same_thread": False,
                                                                "timeout": BUSY_TIMEOUT_MS / 1000})
            _sqlite_pragmas(self.engine, immediate=True)
            _sqlite_pragmas(self.read_engine, immediate=False)
        else:
            self.engine = create_engine(url, pool_pre_ping=True)
            self.read_engine = self.engine

    def session(self) -> Session:
        """A writing session (``with db.session() as s, s.begin(): ...``)."""
        return Session(self.engine, expire_on_commit=False)

    def read_session(self) -> Session:
        return Session(self.read_engine, expire_on_commit=False)

    def dispose(self) -> None:
        self.engine.dispose()
        if self.read_engine is not self.engine:
            self.read_engine.dispose()


def _sqlite_pragmas(engine: Engine, *, immediate: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=FULL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.connection.driver_connection.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")
