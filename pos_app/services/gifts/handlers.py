"""What the gift module registers in the registry (services/registry.py): the recharge refused when a
tier's gift is out of stock, the doctor's stock checks, the demo catalogue."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, or_, select

from pos_app.db import models as m
from pos_app.db import models_gifts as g
from pos_app.db.uow import UnitOfWork
from pos_app.domain import entitlements as life
from pos_app.domain import gifts as rules
from pos_app.domain.campaign import Campaign, RechargeOutcome
from pos_app.services.context import Actor, ServiceContext
from pos_app.services.gifts.catalogue import add_gift, stock_levels
from pos_app.services.gifts.common import GIFT, stock_map
from pos_app.services.gifts.stock_movements import receive
from pos_app.services.registry import Feature, Registrar


def before_recharge(uow: UnitOfWork, ctx: ServiceContext, outcome: RechargeOutcome, campaign: Campaign | None) -> None:
    """A tier with ``block_when_gift_out_of_stock`` is refused when one of its gifts is not available."""
    if campaign is None or outcome.tier_code is None:
        return
    tier = campaign.tier(outcome.tier_code)
    if not tier.block_when_gift_out_of_stock or not tier.gifts:
        return
    stock = stock_map(uow, {gg.sku for gg in tier.gifts})
    short = rules.tier_short(((gg.sku, gg.qty) for gg in tier.gifts), stock)
    if short:
        sku, qty, avail = short[0]
        raise rules.OutOfStock("gift.tier_blocked", tier=tier.name, sku=sku, qty=qty, available=max(avail, 0))


def doctor_checks(uow: UnitOfWork) -> list[Any]:
    from pos_app.services.doctor import Check  # noqa: PLC0415

    s = uow.session
    checks = []

    def first(rows: Sequence[Any]) -> str:
        return ", ".join(str(r) for r in rows[:5]) + (f" (+{len(rows) - 5} more)" if len(rows) > 5 else "")

    sums = (
        select(g.StockMovement.sku, func.sum(g.StockMovement.delta).label("total"), func.count().label("n"))
        .group_by(g.StockMovement.sku)
        .subquery()
    )
    bad = s.execute(
        select(g.GiftItem.sku, g.GiftItem.on_hand, func.coalesce(sums.c.total, 0))
        .outerjoin(sums, sums.c.sku == g.GiftItem.sku)
        .where(or_(g.GiftItem.on_hand != func.coalesce(sums.c.total, 0),
                   g.GiftItem.movement_seq != func.coalesce(sums.c.n, 0)))
    ).all()
    checks.append(Check("gift_on_hand_equals_movements", not bad, first([tuple(r) for r in bad])))
    neg = list(s.scalars(select(g.GiftItem.sku).where(g.GiftItem.on_hand < 0)))
    neg += list(s.scalars(select(g.StockMovement.id).where(g.StockMovement.on_hand_after < 0)))
    checks.append(Check("gift_stock_not_negative", not neg, first(neg)))
    prev = g.StockMovement.__table__.alias("prev")
    cur = g.StockMovement.__table__
    bad = list(s.execute(
        select(cur.c.id)
        .select_from(cur.outerjoin(prev, (prev.c.sku == cur.c.sku) & (prev.c.seq == cur.c.seq - 1)))
        .where(cur.c.on_hand_after != func.coalesce(prev.c.on_hand_after, 0) + cur.c.delta)
    ).all())
    bad += s.execute(
        select(g.GiftItem.sku)
        .join(g.StockMovement, (g.StockMovement.sku == g.GiftItem.sku) & (g.StockMovement.seq == g.GiftItem.movement_seq))
        .where(g.StockMovement.on_hand_after != g.GiftItem.on_hand)
    ).all()
    checks.append(Check("gift_movements_chain", not bad, first([r[0] for r in bad])))
    bad = list(s.execute(
        select(g.StockMovement.id)
        .outerjoin(m.Entitlement, m.Entitlement.id == g.StockMovement.entitlement_id)
        .where(g.StockMovement.kind == rules.HANDOUT)
        .where(or_(m.Entitlement.id.is_(None), m.Entitlement.kind != GIFT,
                   m.Entitlement.state.not_in((life.HANDED_OUT, life.KEPT)),
                   m.Entitlement.issued_ref != g.StockMovement.id, m.Entitlement.ref != g.StockMovement.sku,
                   g.StockMovement.delta != -1))
    ).all())
    bad += s.execute(
        select(m.Entitlement.id)
        .outerjoin(g.StockMovement, g.StockMovement.entitlement_id == m.Entitlement.id)
        .where(m.Entitlement.kind == GIFT, m.Entitlement.state == life.HANDED_OUT)
        .group_by(m.Entitlement.id)
        .having(func.count(g.StockMovement.id) != 1)
    ).all()
    checks.append(Check("gift_handed_out_once", not bad, first([r[0] for r in bad])))
    return checks


DEMO_GIFTS = (
    # sku, name, unit value fen, threshold, initial stock, supplier
    ("TOY-001", "宠物玩具", 39_00, 5, 20, "萌宠玩具厂"),
    ("FOOD-BOX", "宠物食品礼盒", 128_00, 3, 2, "优选宠粮"),
    ("CHEW-01", "洁齿磨牙棒", 15_00, 10, 60, "优选宠粮"),
    ("BOWL-01", "不锈钢宠物碗", 25_00, 5, 18, "萌宠用品"),
    ("LEASH-01", "牵引绳", 45_00, 4, 9, "萌宠用品"),
)


def load_demo_data(ctx: ServiceContext, actor: Actor) -> None:
    """The demo gift catalogue (the demo campaign's TOY-001 and FOOD-BOX plus a few more) with its first
    delivery; FOOD-BOX arrives below its threshold so the low-stock alert shows."""
    existing = {lv.sku for lv in stock_levels(ctx, actor)}
    for sku, name, unit, thr, qty, supplier in DEMO_GIFTS:
        if sku in existing:
            continue
        add_gift(ctx, actor, sku=sku, name=name, unit_value_fen=unit, threshold=thr, request_id=f"demo-gift-{sku}")
        receive(ctx, actor, sku=sku, qty=qty, supplier=supplier, reference="DEMO-PO-001",
                request_id=f"demo-gift-recv-{sku}")


def register(reg: Registrar) -> None:
    reg.before_recharge.append(before_recharge)
    reg.doctor_checks.append(doctor_checks)
    reg.demo_data.append(load_demo_data)


FEATURE = Feature("gifts", register)
