"""The gift catalogue and what is on the shelf: add/edit a gift, stock levels, low stock, the
recharge screen's tier stock."""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select

from pos_app.db import models_gifts as g
from pos_app.domain import gifts as rules
from pos_app.domain.errors import Conflict, InvalidInput
from pos_app.services.common import audit, check_request_id, emit, remember, replayed, require
from pos_app.services.context import Actor, ServiceContext
from pos_app.services.gifts.common import (
    StockLevel,
    TierStock,
    find_item,
    owed_counts,
    short_text,
    stock_level,
    stock_map,
)
from pos_app.services.usecase import use_case


@use_case("gift.add", permission="gift.manage", event="gift.catalogue", idempotent=True)
def add_gift(
    ctx: ServiceContext,
    actor: Actor,
    *,
    sku: str,
    name: str,
    unit_value_fen: int = 0,
    threshold: int = 0,
    barcode: str | None = None,
    active: bool = True,
    request_id: str | None = None,
) -> StockLevel:
    """Add a gift to the catalogue (manager). Its stock starts at zero: receive it with :func:`receive`."""
    sku_n = rules.normalize_sku(sku)
    name_n = rules.check_name(name)
    rules.check_unit_value(unit_value_fen)
    rules.check_threshold(threshold)
    code = short_text(barcode, 64, "barcode")
    request_id = check_request_id(request_id, ctx)
    params: dict[str, Any] = {"sku": sku_n, "name": name_n, "unit": unit_value_fen, "threshold": threshold, "barcode": code, "active": active}
    with ctx.uow() as uow:
        s = uow.session
        done = replayed(uow, request_id, "gift.add", params)
        if done:
            return stock_level(uow, find_item(uow, sku_n))
        if s.scalar(select(g.GiftItem.id).where(g.GiftItem.sku == sku_n)) is not None:
            raise Conflict("gift.sku_taken", sku=sku_n)
        if code and s.scalar(select(g.GiftItem.id).where(g.GiftItem.barcode == code)) is not None:
            raise Conflict("gift.barcode_taken", barcode=code)
        now = ctx.now()
        item = g.GiftItem(
            id=ctx.new_id(), sku=sku_n, name=name_n, unit_value_fen=unit_value_fen, threshold=threshold,
            active=active, barcode=code, on_hand=0, movement_seq=0, created_at=now, updated_at=now,
        )
        s.add(item)
        s.flush()
        remember(uow, ctx, request_id, "gift.add", item.id, params)
        audit(uow, ctx, actor, "gift.add", "gift_item", item.id, **params)
        emit(uow, ctx, "gift.catalogue", {"action": "add", "gift_id": item.id, **params, "staff": actor.code})
        level = stock_level(uow, item)
        uow.commit()
        return level


@use_case("gift.update", permission="gift.manage", event="gift.catalogue")
def update_gift(
    ctx: ServiceContext,
    actor: Actor,
    *,
    sku: str,
    name: str | None = None,
    unit_value_fen: int | None = None,
    threshold: int | None = None,
    barcode: str | None = None,
    active: bool | None = None,
) -> StockLevel:
    """Edit a catalogue entry (manager). Stock is never edited here: only movements change it.
    ``barcode=""`` removes the barcode."""
    changes: dict[str, Any] = {}
    if name is not None:
        changes["name"] = rules.check_name(name)
    if unit_value_fen is not None:
        changes["unit_value_fen"] = rules.check_unit_value(unit_value_fen)
    if threshold is not None:
        changes["threshold"] = rules.check_threshold(threshold)
    if barcode is not None:
        changes["barcode"] = short_text(barcode, 64, "barcode")
    if active is not None:
        changes["active"] = bool(active)
    if not changes:
        raise InvalidInput("gift.nothing_to_change")
    with ctx.uow() as uow:
        item = find_item(uow, sku)
        code = changes.get("barcode")
        if code and uow.session.scalar(
            select(g.GiftItem.id).where(g.GiftItem.barcode == code, g.GiftItem.id != item.id)
        ) is not None:
            raise Conflict("gift.barcode_taken", barcode=code)
        before = {k: getattr(item, k) for k in changes}
        for k, v in changes.items():
            setattr(item, k, v)
        item.updated_at = ctx.now()
        audit(uow, ctx, actor, "gift.update", "gift_item", item.id, sku=item.sku, before=before, after=changes)
        emit(uow, ctx, "gift.catalogue", {"action": "update", "gift_id": item.id, "sku": item.sku, **changes,
                                          "staff": actor.code})
        uow.session.flush()
        level = stock_level(uow, item)
        uow.commit()
        return level


def stock_levels(
    ctx: ServiceContext,
    actor: Actor,
    skus: list[str] | None = None,
    *,
    query: str | None = None,
    low_only: bool = False,
    include_inactive: bool = True,
) -> list[StockLevel]:
    """On hand, owed, available, threshold and value per SKU, sorted by SKU. Reads the cached on-hand
    (no sum over the movement ledger). With ``skus``, exactly those (unknown ones with ``known=False``,
    so a tier button can show "not in stock"); ``query`` filters on SKU, name or barcode."""
    require(actor, "gift.read")
    wanted = [rules.normalize_sku(s) for s in skus] if skus is not None else None
    with ctx.uow(read_only=True) as uow:
        stmt = select(
            g.GiftItem.sku, g.GiftItem.name, g.GiftItem.on_hand, g.GiftItem.threshold, g.GiftItem.unit_value_fen,
            g.GiftItem.active, g.GiftItem.barcode,
        ).order_by(g.GiftItem.sku)
        if wanted is not None:
            stmt = stmt.where(g.GiftItem.sku.in_(wanted))
        q = (query or "").strip()
        if q:
            like = f"%{q}%"
            stmt = stmt.where(or_(g.GiftItem.sku.ilike(like), g.GiftItem.name.like(like), g.GiftItem.barcode == q))
        if not include_inactive:
            stmt = stmt.where(g.GiftItem.active.is_(True))
        rows = uow.session.execute(stmt).all()
        owed = owed_counts(uow, wanted)
        out: list[StockLevel] = []
        for sku, name, on_hand, thr, unit, act, code in rows:  # 5,000 SKUs: kept lean (see bench_stock)
            n = owed.get(sku, 0)
            low = rules.is_low(on_hand, n, thr, bool(act))
            if low_only and not low:
                continue
            out.append(StockLevel(sku, name, on_hand, n, rules.available(on_hand, n), thr, unit, low, bool(act), code,
                                  on_hand * unit))
        if wanted is not None:
            found = {lv.sku for lv in out}
            for sku in wanted:
                if sku not in found:
                    found.add(sku)
                    n = owed.get(sku, 0)
                    out.append(StockLevel(sku, sku, 0, n, -n, 0, 0, True, False, None, 0, known=False))
            order = {s: i for i, s in enumerate(wanted)}
            out.sort(key=lambda lv: order[lv.sku])
        if low_only:
            out = [lv for lv in out if lv.low]
        return out


def get_gift(ctx: ServiceContext, actor: Actor, sku: str) -> StockLevel:
    require(actor, "gift.read")
    with ctx.uow(read_only=True) as uow:
        return stock_level(uow, find_item(uow, sku))


def low_stock(ctx: ServiceContext, actor: Actor) -> list[StockLevel]:
    """Active gifts whose available quantity is at or below their threshold (the login alert)."""
    return stock_levels(ctx, actor, low_only=True, include_inactive=False)


def tier_stock(ctx: ServiceContext, actor: Actor) -> list[TierStock]:
    """For the recharge screen's tier buttons: which tiers' gifts are short, and whether that blocks."""
    require(actor, "gift.read")
    from pos_app.services.campaigns import current_campaign  # noqa: PLC0415

    with ctx.uow(read_only=True) as uow:
        c = current_campaign(uow, ctx)
        if c is None:
            return []
        stock = stock_map(uow, {gg.sku for t in c.tiers for gg in t.gifts})
        return [
            TierStock(t.code, t.block_when_gift_out_of_stock,
                      tuple(rules.tier_short(((gg.sku, gg.qty) for gg in t.gifts), stock)))
            for t in c.tiers
        ]
