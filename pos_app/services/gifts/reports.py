"""Exports (stock, movements, stocktake sheets as .csv/.xlsx) and the dashboard figures."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from pos_app import messages
from pos_app.db import models_gifts as g
from pos_app.domain import gifts as rules
from pos_app.services.common import require, settings
from pos_app.services.context import Actor, ServiceContext
from pos_app.services.exports import write_table, yuan
from pos_app.services.gifts.catalogue import low_stock, stock_levels
from pos_app.services.gifts.common import CountLineDTO, MovementDTO, StockLevel
from pos_app.services.gifts.handouts import owed_gifts
from pos_app.services.gifts.stock_movements import movements


def _h(key: str) -> str:
    return messages.translate(f"gift.col.{key}")


def write_stock(path: str | Path, rows: Sequence[StockLevel]) -> Path:
    headers = [_h(k) for k in ("sku", "name", "on_hand", "owed", "available", "threshold", "unit_value", "value", "low",
                               "active", "barcode")]
    return write_table(path, headers, [
        [r.sku, r.name, r.on_hand, r.owed, r.available, r.threshold, yuan(r.unit_value_fen), yuan(r.value_fen),
         1 if r.low else 0, 1 if r.active else 0, r.barcode or ""]
        for r in rows
    ], title="stock")


def write_movements(path: str | Path, rows: Sequence[MovementDTO], tz: Any = None) -> Path:
    headers = [_h(k) for k in ("time", "sku", "name", "kind", "delta", "on_hand_after", "phone", "reason", "supplier",
                               "reference", "other_store", "staff", "movement_id")]
    return write_table(path, headers, [
        [(r.created_at.astimezone(tz) if tz else r.created_at).strftime("%Y-%m-%d %H:%M:%S"), r.sku, r.name, r.kind,
         r.delta, r.on_hand_after, r.phone or "", r.reason or "", r.supplier or "", r.reference or "",
         r.other_store or "", r.staff_code, r.movement_id]
        for r in rows
    ], title="movements")


def write_stocktake(path: str | Path, lines: Sequence[CountLineDTO]) -> Path:
    """The stocktake sheet: blank counted column before the count, the differences after it."""
    headers = [_h(k) for k in ("sku", "name", "expected", "counted", "difference", "unit_value", "difference_value")]
    return write_table(path, headers, [
        [c.sku, c.name, c.expected, c.counted if c.counted is not None else "",
         c.difference if c.difference is not None else "", yuan(c.unit_value_fen),
         yuan(c.difference_value_fen) if c.difference is not None else ""]
        for c in lines
    ], title="stocktake")


def export_stock(ctx: ServiceContext, actor: Actor, path: str | Path, **filters: Any) -> Path:
    return write_stock(path, stock_levels(ctx, actor, **filters))


def export_movements(ctx: ServiceContext, actor: Actor, path: str | Path, **filters: Any) -> Path:
    rows = movements(ctx, actor, **filters)
    with ctx.uow(read_only=True) as uow:
        tz = settings(uow).tz
    return write_movements(path, rows, tz)


def count_summary(ctx: ServiceContext, actor: Actor) -> dict[str, int]:
    """Figures for the manager's dashboard: gifts handed out, owed, on hand (units and value), low SKUs."""
    require(actor, "gift.read")
    with ctx.uow(read_only=True) as uow:
        s = uow.session
        handed = s.scalar(select(func.count()).select_from(g.StockMovement).where(g.StockMovement.kind == rules.HANDOUT))
        units, value = s.execute(
            select(func.coalesce(func.sum(g.GiftItem.on_hand), 0),
                   func.coalesce(func.sum(g.GiftItem.on_hand * g.GiftItem.unit_value_fen), 0))
        ).one()
    owed = owed_gifts(ctx, actor)
    return {
        "handed_out": int(handed or 0), "owed": len(owed), "overdue": sum(1 for o in owed if o.overdue),
        "on_hand_units": int(units), "on_hand_value_fen": int(value), "low_skus": len(low_stock(ctx, actor)),
    }
