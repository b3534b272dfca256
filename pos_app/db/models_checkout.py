"""Checkout models (issue 12): the product catalogue, sales with their lines and payments, returns with
theirs. Few rows and few indexes: a sale writes one ``sale`` row, one row per line and one per payment
(each a composite primary key, no other index); its balance part is a wallet ``spend`` (the ledger row
with the balances after it), its points a ``points_lot``."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from pos_app.db.base import Base, UTCDateTime

ID = String(36)


class Product(Base):
    """One product of this store's catalogue (gift stock is its own catalogue)."""

    __tablename__ = "product"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    sku: Mapped[str] = mapped_column(String(64), unique=True)
    barcode: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(64))
    price_fen: Mapped[int] = mapped_column(Integer)
    member_price_fen: Mapped[int | None] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Sale(Base):
    """One sale at the counter. Amounts as rung up; returns are their own rows (``sale_return``)."""

    __tablename__ = "sale"
    #: a member's purchases, newest first (history, last purchase, first-purchase referral check)
    __table_args__ = (Index("ix_sale_member_created", "member_id", "created_at"),)
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    receipt_no: Mapped[str] = mapped_column(String(48), unique=True)
    member_id: Mapped[str | None] = mapped_column(ForeignKey("member.id"))
    staff_id: Mapped[str] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    campaign_code: Mapped[str | None] = mapped_column(String(64))
    subtotal_fen: Mapped[int] = mapped_column(Integer)
    saving_fen: Mapped[int] = mapped_column(Integer)
    discount_fen: Mapped[int] = mapped_column(Integer)
    total_fen: Mapped[int] = mapped_column(Integer)
    #: actually paid (实际支付): the total less the stored-value bonus part
    paid_fen: Mapped[int] = mapped_column(Integer)
    #: what earned points (actually paid, less the principal part when the campaign says so)
    eligible_fen: Mapped[int] = mapped_column(Integer)
    change_fen: Mapped[int] = mapped_column(Integer, default=0)
    points: Mapped[int] = mapped_column(Integer, default=0)
    points_lot_id: Mapped[str | None] = mapped_column(ForeignKey("points_lot.id"))
    coupon_id: Mapped[str | None] = mapped_column(ForeignKey("coupon.id"))
    spend_id: Mapped[str | None] = mapped_column(ForeignKey("spend.id"))
    lines_count: Mapped[int] = mapped_column(Integer)
    #: complete | part_returned | returned
    state: Mapped[str] = mapped_column(String(16), default="complete")


class SaleLine(Base):
    __tablename__ = "sale_line"
    sale_id: Mapped[str] = mapped_column(ForeignKey("sale.id"), primary_key=True)
    no: Mapped[int] = mapped_column(Integer, primary_key=True)
    sku: Mapped[str | None] = mapped_column(String(64))
    barcode: Mapped[str | None] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(64))
    qty: Mapped[int] = mapped_column(Integer)
    list_unit_fen: Mapped[int] = mapped_column(Integer)
    unit_fen: Mapped[int] = mapped_column(Integer)
    discount_fen: Mapped[int] = mapped_column(Integer)
    amount_fen: Mapped[int] = mapped_column(Integer)


class SalePayment(Base):
    __tablename__ = "sale_payment"
    sale_id: Mapped[str] = mapped_column(ForeignKey("sale.id"), primary_key=True)
    no: Mapped[int] = mapped_column(Integer, primary_key=True)
    method: Mapped[str] = mapped_column(String(16))
    amount_fen: Mapped[int] = mapped_column(Integer)
    principal_fen: Mapped[int] = mapped_column(Integer, default=0)
    bonus_fen: Mapped[int] = mapped_column(Integer, default=0)
    tendered_fen: Mapped[int | None] = mapped_column(Integer)
    change_fen: Mapped[int] = mapped_column(Integer, default=0)


class SaleReturn(Base):
    """A return of a whole sale or of some of its lines (manager-approved)."""

    __tablename__ = "sale_return"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    sale_id: Mapped[str] = mapped_column(ForeignKey("sale.id"), index=True)
    staff_id: Mapped[str] = mapped_column(ForeignKey("staff.id"))
    approved_by: Mapped[str | None] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: what the returned lines were worth (what went back is that less ``deducted_fen``: see return_payment)
    amount_fen: Mapped[int] = mapped_column(Integer)
    #: the (negative) spend that put the balance part back (None: no balance part)
    spend_id: Mapped[str | None] = mapped_column(ForeignKey("spend.id"))
    points_taken_back: Mapped[int] = mapped_column(Integer, default=0)
    #: points the member had already spent: negative (the balance went below zero) | deduct (their value
    #: came off the cash refund) | None
    points_policy: Mapped[str | None] = mapped_column(String(16))
    points_short: Mapped[int] = mapped_column(Integer, default=0)
    deducted_fen: Mapped[int] = mapped_column(Integer, default=0)
    coupon_reinstated: Mapped[bool] = mapped_column(Boolean, default=False)
    #: whether this return completed the return of the whole sale
    full: Mapped[bool] = mapped_column(Boolean, default=False)


class ReturnLine(Base):
    __tablename__ = "return_line"
    return_id: Mapped[str] = mapped_column(ForeignKey("sale_return.id"), primary_key=True)
    line_no: Mapped[int] = mapped_column(Integer, primary_key=True)
    qty: Mapped[int] = mapped_column(Integer)
    amount_fen: Mapped[int] = mapped_column(Integer)


class ReturnPayment(Base):
    __tablename__ = "return_payment"
    return_id: Mapped[str] = mapped_column(ForeignKey("sale_return.id"), primary_key=True)
    no: Mapped[int] = mapped_column(Integer, primary_key=True)
    method: Mapped[str] = mapped_column(String(16))
    amount_fen: Mapped[int] = mapped_column(Integer)
    principal_fen: Mapped[int] = mapped_column(Integer, default=0)
    bonus_fen: Mapped[int] = mapped_column(Integer, default=0)
