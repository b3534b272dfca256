"""Checkout (收银): the product catalogue, ringing up a sale (member prices, a coupon, any split of
balance / cash / WeChat / Alipay / card / other), its points lot and referral effect, returns.

The API the checkout screen and the receipt use (stable; a change is noted here):

- DTOs (``pos_app.services.checkout.dto``): ``LineInput``, ``PaymentInput``, ``ProductDTO``,
  ``ImportReport``, ``QuoteDTO``, ``SaleLineDTO``, ``PaymentDTO``, ``SaleDTO``, ``ReturnDTO``.
- ``find_product(ctx, actor, barcode) -> ProductDTO | None``, ``search_products(ctx, actor, text, limit=20)``,
  ``list_products(ctx, actor, *, include_inactive=False)``, ``get_product(ctx, actor, sku)``,
  ``categories(ctx, actor) -> list[str]``,
  ``add_product(ctx, actor, *, sku, barcode, name, category, price_fen, member_price_fen=None, active=True,
  request_id=None)``, ``update_product(ctx, actor, *, sku, barcode=None, name=None, category=None,
  price_fen=None, member_price_fen=UNCHANGED, active=None)``,
  ``import_products(ctx, actor, path) -> ImportReport``.
- ``quote(ctx, actor, *, member_id, lines, coupon_code, today=None) -> QuoteDTO`` (read only),
  ``ring_up(ctx, actor, *, request_id, member_id, lines, coupon_code, payments) -> SaleDTO``,
  ``return_sale(ctx, actor, *, request_id, sale_id, lines=None, approver=None) -> ReturnDTO``,
  ``get_sale(ctx, actor, sale_id) -> SaleDTO``, ``member_sales(ctx, actor, member_id) -> list[SaleDTO]``,
  ``last_purchase(ctx, actor, member_id) -> SaleDTO | None``.

Additions since the first commit (nothing removed or renamed): ``coupon_code`` of ``quote``/``ring_up`` also
takes a sequence of codes (stacking, when the campaign's ``[checkout] stack_coupons`` allows it);
``get_sale`` also takes a receipt number; ``return_sale`` raises ``PermissionDenied("return.approval_needed")``
for a cashier without ``approver``.
"""

from pos_app.services.checkout.dto import (
    ImportReport,
    LineInput,
    PaymentDTO,
    PaymentInput,
    ProductDTO,
    QuoteDTO,
    ReturnDTO,
    SaleDTO,
    SaleLineDTO,
)
from pos_app.services.checkout.products import (
    UNCHANGED,
    add_product,
    categories,
    find_product,
    get_product,
    import_products,
    list_products,
    search_products,
    update_product,
)
from pos_app.services.checkout.sales import (
    FEATURE,
    get_sale,
    last_purchase,
    member_sales,
    quote,
    return_sale,
    ring_up,
)

__all__ = [
    "FEATURE",
    "UNCHANGED",
    "ImportReport",
    "LineInput",
    "PaymentDTO",
    "PaymentInput",
    "ProductDTO",
    "QuoteDTO",
    "ReturnDTO",
    "SaleDTO",
    "SaleLineDTO",
    "add_product",
    "categories",
    "find_product",
    "get_product",
    "get_sale",
    "import_products",
    "last_purchase",
    "list_products",
    "member_sales",
    "quote",
    "return_sale",
    "ring_up",
    "search_products",
    "update_product",
]
