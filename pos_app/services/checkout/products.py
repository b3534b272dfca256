"""The product catalogue: look-up by barcode, search, add/edit (manager), import from CSV/XLSX."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pos_app.services.checkout.dto import ImportReport, ProductDTO
from pos_app.services.context import Actor, ServiceContext

#: ``update_product(member_price_fen=UNCHANGED)`` leaves the member price as it is (None removes it)
UNCHANGED: Any = object()


def categories(ctx: ServiceContext, actor: Actor) -> list[str]:
    raise NotImplementedError


def find_product(ctx: ServiceContext, actor: Actor, barcode: str) -> ProductDTO | None:
    raise NotImplementedError


def get_product(ctx: ServiceContext, actor: Actor, sku: str) -> ProductDTO:
    raise NotImplementedError


def search_products(ctx: ServiceContext, actor: Actor, text: str, limit: int = 20) -> list[ProductDTO]:
    raise NotImplementedError


def list_products(ctx: ServiceContext, actor: Actor, *, include_inactive: bool = False) -> list[ProductDTO]:
    raise NotImplementedError


def add_product(
    ctx: ServiceContext, actor: Actor, *, sku: str, barcode: str, name: str, category: str, price_fen: int,
    member_price_fen: int | None = None, active: bool = True, request_id: str | None = None,
) -> ProductDTO:
    raise NotImplementedError


def update_product(
    ctx: ServiceContext, actor: Actor, *, sku: str, barcode: str | None = None, name: str | None = None,
    category: str | None = None, price_fen: int | None = None, member_price_fen: Any = UNCHANGED,
    active: bool | None = None,
) -> ProductDTO:
    raise NotImplementedError


def import_products(ctx: ServiceContext, actor: Actor, path: str | Path) -> ImportReport:
    raise NotImplementedError
