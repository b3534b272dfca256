"""What the checkout services take and return (frozen; the UI, the CLI and printing only see these).

Money is integer fen. ``SaleDTO`` is also what the receipt prints (lines, savings, coupon, payment split,
balance after, points earned and the points balance); ``QuoteDTO`` is what the live checkout screen shows
before the sale is rung up."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pos_app.services.dto import Result


@dataclass(frozen=True)
class LineInput:
    """One line of a basket: a product by ``barcode`` (or ``sku``) and ``qty``, or a free line by
    ``category`` and ``amount_fen`` (a service: grooming, boarding...)."""

    barcode: str | None = None
    sku: str | None = None
    qty: int = 1
    category: str | None = None
    amount_fen: int | None = None


@dataclass(frozen=True)
class PaymentInput:
    """One part of the payment: ``method`` is balance, cash, wechat, alipay, card or other. For cash,
    ``tendered_fen`` is what the member handed over (change = tendered - amount)."""

    method: str
    amount_fen: int
    tendered_fen: int | None = None


@dataclass(frozen=True)
class ProductDTO(Result):
    sku: str
    barcode: str
    name: str
    category: str
    price_fen: int
    member_price_fen: int | None
    active: bool


@dataclass(frozen=True)
class ImportReport(Result):
    """A catalogue import: all or nothing. ``refused`` holds (row number, translated reason) of every row
    that stopped it; when it is not empty nothing was imported."""

    added: int
    updated: int
    refused: tuple[tuple[int, str], ...]


@dataclass(frozen=True)
class SaleLineDTO:
    no: int  # 1-based line number on the receipt (returns name lines by it)
    sku: str | None  # None for a free line
    barcode: str | None
    name: str  # the product's name, or the category of a free line
    category: str
    qty: int
    list_unit_fen: int
    unit_fen: int  # what was charged per unit before the coupon (the member price when it applied)
    saving_fen: int  # member-price saving on the line: (list - unit) * qty
    discount_fen: int  # the coupon's share on this line
    amount_fen: int  # unit * qty - discount
    returned_qty: int = 0


@dataclass(frozen=True)
class QuoteDTO:
    lines: tuple[SaleLineDTO, ...]
    subtotal_fen: int  # list prices * qty
    saving_fen: int  # member prices
    discount_fen: int  # coupon
    total_fen: int  # what the payments must cover
    coupon_code: str | None  # grouped form, when the coupon applies
    coupon_refusal: str | None  # the translated reason the coupon does not apply
    member_prices: bool  # whether the member's member-price eligibility is current today
    points_if_paid_fully_by_cash: int
    balance_available_fen: int | None  # the member's stored balance (None: walk-in)


@dataclass(frozen=True)
class PaymentDTO:
    method: str
    amount_fen: int  # what this method paid toward the total (a refund: what went back)
    principal_fen: int  # balance only: the principal part (else 0)
    bonus_fen: int  # balance only: the bonus part (else 0)
    tendered_fen: int | None  # cash only
    change_fen: int  # cash only (else 0)
    refunded_fen: int = 0  # on a sale: how much of this payment returns have given back so far


@dataclass(frozen=True)
class ReturnDTO(Result):
    return_id: str
    sale_id: str
    occurred_at: datetime
    staff: str  # staff code of who did it
    approver: str | None  # the manager who approved it for a cashier (None: a manager did it)
    lines: tuple[tuple[int, int, int], ...]  # (line_no, qty, amount_fen)
    refunds: tuple[PaymentDTO, ...]  # per method, what went back
    points_taken_back: int
    points_policy_note: str | None  # translated: what the configured policy did when points were spent
    coupon_reinstated: bool


@dataclass(frozen=True)
class SaleDTO(Result):
    sale_id: str
    receipt_no: str
    occurred_at: datetime
    staff: str
    member_id: str | None
    member_name: str | None
    member_phone: str | None
    lines: tuple[SaleLineDTO, ...]
    subtotal_fen: int
    saving_fen: int
    discount_fen: int
    coupon_code: str | None
    total_fen: int
    payments: tuple[PaymentDTO, ...]
    paid_fen: int  # "actually paid" (实际支付): the total less the stored-value bonus part
    change_fen: int
    principal_after_fen: int | None
    bonus_after_fen: int | None
    points_earned: int
    points_balance: int | None
    returns: tuple[ReturnDTO, ...]
    store_name: str
