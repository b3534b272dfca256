"""The demo store's catalogue (about 20 products across the categories, some with member prices) and a
few days of sales, so the checkout screen and the history are not empty on first run."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta

from pos_app.domain.errors import DomainError
from pos_app.services.checkout.dto import LineInput, PaymentInput
from pos_app.services.checkout.products import add_product, find_product
from pos_app.services.checkout.sales import quote, ring_up
from pos_app.services.context import Actor, ServiceContext

#: sku, name, category, list price (fen), member price (fen) or None
DEMO_PRODUCTS: tuple[tuple[str, str, str, int, int | None], ...] = (
    ("DF-2KG", "成犬粮 鸡肉味 2kg", "宠物食品", 128_00, 108_00),
    ("DF-10KG", "成犬粮 牛肉味 10kg", "宠物食品", 459_00, 399_00),
    ("CF-1500", "全价猫粮 1.5kg", "宠物食品", 89_00, 79_00),
    ("CAN-85", "猫罐头 85g", "宠物食品", 9_90, None),
    ("TREAT-JERKY", "鸡肉干零食 100g", "宠物食品", 25_00, 22_00),
    ("LITTER-6L", "豆腐猫砂 6L", "宠物用品", 39_00, 35_00),
    ("BOWL-SS", "不锈钢宠物碗", "宠物用品", 29_00, None),
    ("LEASH-M", "牵引绳 中号", "宠物用品", 49_00, 42_00),
    ("BED-S", "宠物窝 小号", "宠物用品", 159_00, 139_00),
    ("TOY-BALL", "耐咬玩具球", "宠物用品", 19_90, None),
    ("SHAMPOO", "宠物沐浴露 500ml", "洗护美容", 58_00, 49_00),
    ("GROOM-BATH-S", "小型犬洗澡", "洗护美容", 60_00, 50_00),
    ("GROOM-FULL-M", "中型犬美容造型", "洗护美容", 180_00, 150_00),
    ("NAIL-TRIM", "修剪指甲", "洗护美容", 20_00, None),
    ("BOARD-DAY-S", "小型犬寄养（每天）", "寄养", 80_00, 68_00),
    ("BOARD-DAY-CAT", "猫咪寄养（每天）", "寄养", 60_00, 50_00),
    ("VET-CHECK", "基础体检", "医疗", 150_00, 128_00),
    ("VACCINE-4", "犬四联疫苗", "医疗", 120_00, None),
    ("DEWORM-IN", "体内驱虫", "医疗", 45_00, 40_00),
    ("DEWORM-OUT", "体外驱虫滴剂", "医疗", 88_00, 78_00),
)


def ean13(body12: str) -> str:
    """A 12-digit body with its EAN-13 check digit."""
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body12))
    return body12 + str((10 - total % 10) % 10)


def demo_barcode(i: int) -> str:
    return ean13(f"69012345{i:04d}")


def load_demo_products(ctx: ServiceContext, actor: Actor) -> None:
    """The registry's ``demo_data`` handler: the catalogue (each product once, by request id)."""
    for i, (sku, name, cat, price, member) in enumerate(DEMO_PRODUCTS, start=1):
        code = demo_barcode(i)
        if find_product(ctx, actor, code) is not None:
            continue
        add_product(ctx, actor, sku=sku, barcode=code, name=name, category=cat, price_fen=price,
                    member_price_fen=member, request_id=f"demo-product-{sku}")


#: days ago, member phone (None: walk-in), lines (product index or (category, fen)), payments
DEMO_SALES: tuple[tuple[int, str | None, tuple[tuple[int, int] | tuple[str, int], ...], tuple[str, ...]], ...] = (
    (3, None, ((4, 2), (10, 1)), ("cash",)),
    (3, "15000150000", ((1, 1), (6, 1)), ("wechat",)),
    (2, "13800138000", ((12, 1), ("洗护美容", 30_00)), ("alipay",)),
    (2, None, ((17, 1),), ("card",)),
    (1, "13900139000", ((3, 2), (5, 1)), ("wechat",)),
    (1, "18600186000", ((15, 2),), ("cash",)),
    (0, "15000150000", ((11, 1), (19, 1)), ("balance",)),
    (0, "13800138000", ((2, 1),), ("balance", "cash")),
)


def _earlier(clock: Callable[[], datetime], days: int) -> Callable[[], datetime]:
    """``clock`` moved back by ``days`` (and two hours a day, so the sales fall at different hours)."""

    def now() -> datetime:
        return clock() - timedelta(days=days, hours=2 * days)

    return now


def load_demo_sales(ctx: ServiceContext, actor: Actor, member_ids: dict[str, str]) -> int:
    """A few days of sales of the demo members (``member_ids`` by phone) and walk-ins. A sale of an
    earlier day is rung up on that day's clock and paid from outside the wallet; today's may use the
    balance. Each once (by request id); one that cannot be made (a member not there) is skipped."""
    made = 0
    for n, (days_ago, phone, picks, methods) in enumerate(DEMO_SALES, start=1):
        if phone is not None and phone not in member_ids:
            continue
        day_ctx = replace(ctx, clock=_earlier(ctx.clock, days_ago))
        lines = [LineInput(category=str(p[0]), amount_fen=int(p[1])) if isinstance(p[0], str)
                 else LineInput(barcode=demo_barcode(int(p[0])), qty=int(p[1])) for p in picks]
        member_id = member_ids.get(phone) if phone else None
        try:
            q = quote(day_ctx, actor, member_id=member_id, lines=lines, coupon_code=None)
            if len(methods) == 2:
                first = q.total_fen // 2
                pays = [PaymentInput(methods[0], first), PaymentInput(methods[1], q.total_fen - first)]
            else:
                pays = [PaymentInput(methods[0], q.total_fen)]
            ring_up(day_ctx, actor, request_id=f"demo-sale-{n}", member_id=member_id, lines=lines, coupon_code=None,
                    payments=pays)
            made += 1
        except DomainError:
            continue  # e.g. a balance that a reload of the demo already spent
    return made
