"""Gift stock models (issue 5): the catalogue, the append-only movement ledger, stocktakes.

``gift_item.on_hand`` is a cache of the sum of its movements, moved in the same transaction as each
movement row (which records the stock after it); ``pos-app doctor`` proves they agree."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from pos_app.db.base import Base, UTCDateTime
from pos_app.db.models import Entitlement

ID = String(36)


class GiftItem(Base):
    """One gift in this store's catalogue."""

    __tablename__ = "gift_item"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    sku: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    unit_value_fen: Mapped[int] = mapped_column(Integer, default=0)
    threshold: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    barcode: Mapped[str | None] = mapped_column(String(64), unique=True)
    #: cached: the sum of this SKU's movements (checked by doctor)
    on_hand: Mapped[int] = mapped_column(Integer, default=0)
    #: number of movements so far; each movement takes the next seq
    movement_seq: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: local (the store's own entry) | central (the catalogue entry published by head office, migration 0011)
    source: Mapped[str] = mapped_column(String(16), default="local", server_default="local")


class StockMovement(Base):
    """Append-only stock ledger. Never updated or deleted; a mistake is fixed by another movement."""

    __tablename__ = "stock_movement"
    __table_args__ = (
        UniqueConstraint("sku", "seq"),
        Index("ix_stock_movement_kind_created_at", "kind", "created_at"),
        Index("ix_stock_movement_staff_created_at", "staff_id", "created_at"),
    )
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    sku: Mapped[str] = mapped_column(ForeignKey("gift_item.sku"))
    seq: Mapped[int] = mapped_column(Integer)
    #: received | handout | returned | adjusted | transfer_out | transfer_in
    kind: Mapped[str] = mapped_column(String(16))
    delta: Mapped[int] = mapped_column(Integer)
    on_hand_after: Mapped[int] = mapped_column(Integer)
    #: handout: the member and the entitlement handed out (each entitlement at most once)
    member_id: Mapped[str | None] = mapped_column(ForeignKey("member.id"), index=True)
    entitlement_id: Mapped[str | None] = mapped_column(ForeignKey("entitlement.id"), unique=True)
    #: handout: the entitlement's source (tier, milestone, prize...); adjusted/returned: why
    reason: Mapped[str | None] = mapped_column(String(200))
    supplier: Mapped[str | None] = mapped_column(String(100))
    reference: Mapped[str | None] = mapped_column(String(100))
    #: transfers: the other store
    other_store: Mapped[str | None] = mapped_column(String(32))
    stocktake_id: Mapped[str | None] = mapped_column(ForeignKey("stocktake.id"), index=True)
    #: the use case (request) that wrote it: one hand-out may write several movements
    batch_id: Mapped[str] = mapped_column(String(64), index=True)
    staff_id: Mapped[str] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class Stocktake(Base):
    __tablename__ = "stocktake"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    request_id: Mapped[str] = mapped_column(String(64), unique=True)
    reason: Mapped[str] = mapped_column(String(200))
    lines_count: Mapped[int] = mapped_column(Integer)
    adjusted_count: Mapped[int] = mapped_column(Integer)
    staff_id: Mapped[str] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    note: Mapped[str | None] = mapped_column(Text)


class StocktakeLine(Base):
    __tablename__ = "stocktake_line"
    __table_args__ = (UniqueConstraint("stocktake_id", "sku"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    stocktake_id: Mapped[str] = mapped_column(ForeignKey("stocktake.id"))
    sku: Mapped[str] = mapped_column(ForeignKey("gift_item.sku"))
    expected: Mapped[int] = mapped_column(Integer)
    counted: Mapped[int] = mapped_column(Integer)
    difference: Mapped[int] = mapped_column(Integer)
    movement_id: Mapped[str | None] = mapped_column(ForeignKey("stock_movement.id"))


#: owed gifts per SKU (stock screen, tier buttons) read from this index alone, never the entitlement rows
Index("ix_entitlement_state_kind_ref", Entitlement.state, Entitlement.kind, Entitlement.ref)
