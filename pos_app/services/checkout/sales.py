"""Ringing up a sale, its returns, and the sales history."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from pos_app.services.checkout.dto import LineInput, PaymentInput, QuoteDTO, ReturnDTO, SaleDTO
from pos_app.services.context import Actor, ServiceContext
from pos_app.services.registry import Feature, Registrar


def quote(
    ctx: ServiceContext, actor: Actor, *, member_id: str | None, lines: Sequence[LineInput],
    coupon_code: str | None, today: date | None = None,
) -> QuoteDTO:
    raise NotImplementedError


def ring_up(
    ctx: ServiceContext, actor: Actor, *, request_id: str | None, member_id: str | None,
    lines: Sequence[LineInput], coupon_code: str | None, payments: Sequence[PaymentInput],
) -> SaleDTO:
    raise NotImplementedError


def return_sale(
    ctx: ServiceContext, actor: Actor, *, request_id: str | None, sale_id: str,
    lines: Sequence[tuple[int, int]] | None = None, approver: Actor | None = None,
) -> ReturnDTO:
    raise NotImplementedError


def get_sale(ctx: ServiceContext, actor: Actor, sale_id: str) -> SaleDTO:
    raise NotImplementedError


def member_sales(ctx: ServiceContext, actor: Actor, member_id: str) -> list[SaleDTO]:
    raise NotImplementedError


def last_purchase(ctx: ServiceContext, actor: Actor, member_id: str) -> SaleDTO | None:
    raise NotImplementedError


def register(reg: Registrar) -> None:
    pass


FEATURE = Feature("checkout", register)
