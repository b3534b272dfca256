"""What the gift package's modules share: the DTOs its use cases return, the internals every job uses
(post a movement and move the cached on-hand with it, an item's stock level, the outbox payload of a
movement). Not an API of its own: callers import from ``pos_app.services.gifts``."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select

from pos_app.db import models as m
from pos_app.db import models_gifts as g
from pos_app.db.uow import UnitOfWork
from pos_app.domain import entitlements as life
from pos_app.domain import gifts as rules
from pos_app.domain.errors import InvalidInput, NotFound
from pos_app.domain.text import clean_text
from pos_app.domain.textparams import Term
from pos_app.services.audit import note_move
from pos_app.services.context import Actor, ServiceContext
from pos_app.services.dto import Result

GIFT = "gift"
DEFAULT_MOVEMENT_LIMIT = 1000

# ----------------------------------------------------------------------------- DTOs


@dataclass(frozen=True)
class StockLevel(Result):
    sku: str
    name: str
    on_hand: int
    owed: int
    available: int
    threshold: int
    unit_value_fen: int
    low: bool
    active: bool = True
    barcode: str | None = None
    #: on hand x unit value
    value_fen: int = 0
    #: False for a SKU asked for (e.g. by a tier) that is not in the catalogue
    known: bool = True


@dataclass(frozen=True)
class MovementDTO:
    movement_id: str
    sku: str
    name: str
    seq: int
    kind: str
    delta: int
    on_hand_after: int
    member_id: str | None
    phone: str | None
    entitlement_id: str | None
    reason: str | None
    supplier: str | None
    reference: str | None
    other_store: str | None
    stocktake_id: str | None
    staff_code: str
    created_at: datetime


@dataclass(frozen=True)
class MovementResult(Result):
    movement: MovementDTO
    level: StockLevel
    #: members with an owed gift of this SKU (said when stock is received: "N members are waiting")
    waiting_members: int = 0
    waiting_gifts: int = 0


@dataclass(frozen=True)
class OwedGift:
    entitlement_id: str
    member_id: str
    phone: str
    member_name: str | None
    sku: str
    name: str
    source: str
    due_on: date | None
    overdue: bool
    on_hand: int
    created_at: datetime


@dataclass(frozen=True)
class HandedOut:
    entitlement_id: str
    sku: str
    name: str
    source: str
    movement_id: str


@dataclass(frozen=True)
class StillOwed:
    entitlement_id: str
    sku: str
    name: str
    due_on: date | None
    reason: str  # out_of_stock | unknown_sku


@dataclass(frozen=True)
class HandoutResult(Result):
    request_id: str
    member_id: str
    handed_out: tuple[HandedOut, ...]
    still_owed: tuple[StillOwed, ...]


@dataclass(frozen=True)
class DeclineResult(Result):
    request_id: str
    member_id: str
    declined: tuple[str, ...]


@dataclass(frozen=True)
class CountLineDTO:
    sku: str
    name: str
    expected: int
    counted: int | None
    difference: int | None
    unit_value_fen: int
    barcode: str | None = None

    @property
    def difference_value_fen(self) -> int:
        return (self.difference or 0) * self.unit_value_fen


@dataclass(frozen=True)
class StocktakeResult(Result):
    stocktake_id: str
    request_id: str
    reason: str
    lines: tuple[CountLineDTO, ...]
    adjusted: int
    created_at: datetime


@dataclass(frozen=True)
class TierStock:
    tier_code: str
    blocks_when_short: bool
    #: (sku, qty needed, available)
    short: tuple[tuple[str, int, int], ...]

    @property
    def in_stock(self) -> bool:
        return not self.short

    @property
    def blocked(self) -> bool:
        return self.blocks_when_short and bool(self.short)


# ----------------------------------------------------------------------------- shared internals


def owed_counts(uow: UnitOfWork, skus: Iterable[str] | None = None) -> dict[str, int]:
    stmt = (
        select(m.Entitlement.ref, func.count())
        .where(m.Entitlement.state == life.OWED, m.Entitlement.kind == GIFT)
        .group_by(m.Entitlement.ref)
    )
    if skus is not None:
        stmt = stmt.where(m.Entitlement.ref.in_(list(skus)))
    return {ref: int(n) for ref, n in uow.session.execute(stmt).all()}


def level_from(
    sku: str, name: str, on_hand: int, owed: int, threshold: int, unit: int, active: bool, barcode: str | None
) -> StockLevel:
    return StockLevel(
        sku=sku, name=name, on_hand=on_hand, owed=owed, available=rules.available(on_hand, owed),
        threshold=threshold, unit_value_fen=unit, low=rules.is_low(on_hand, owed, threshold, active),
        active=active, barcode=barcode, value_fen=on_hand * unit,
    )


def stock_level(uow: UnitOfWork, item: g.GiftItem) -> StockLevel:
    owed = owed_counts(uow, [item.sku]).get(item.sku, 0)
    return level_from(item.sku, item.name, item.on_hand, owed, item.threshold, item.unit_value_fen, item.active, item.barcode)


def find_item(uow: UnitOfWork, sku: str) -> g.GiftItem:
    s = rules.normalize_sku(sku)
    item = uow.session.scalar(select(g.GiftItem).where(g.GiftItem.sku == s))
    if item is None:
        item = uow.session.scalar(select(g.GiftItem).where(g.GiftItem.barcode == str(sku).strip()))
    if item is None:
        raise NotFound("gift.sku_unknown", sku=s)
    return item


def post_movement(
    uow: UnitOfWork,
    ctx: ServiceContext,
    actor: Actor,
    item: g.GiftItem,
    kind: str,
    delta: int,
    batch_id: str,
    **fields: Any,
) -> g.StockMovement:
    """Append one movement and move the cached on-hand with it. Refuses to go below zero."""
    before = item.on_hand
    item.on_hand = rules.apply_delta(item.sku, item.on_hand, delta)
    note_move(uow, "stock", item.sku, before, item.on_hand)
    item.movement_seq += 1
    mv = g.StockMovement(
        id=ctx.new_id(), sku=item.sku, seq=item.movement_seq, kind=kind, delta=delta, on_hand_after=item.on_hand,
        batch_id=batch_id, staff_id=actor.staff_id, created_at=ctx.now(), **fields,
    )
    uow.session.add(mv)
    return mv


def movement_stmt() -> Any:
    """Plain columns, not ORM entities: the history lists thousands of rows."""
    return (
        select(*g.StockMovement.__table__.c, g.GiftItem.name.label("gift_name"), m.Staff.code.label("staff_code"),
               m.Member.phone.label("member_phone"))
        .join(g.GiftItem, g.GiftItem.sku == g.StockMovement.sku)
        .join(m.Staff, m.Staff.id == g.StockMovement.staff_id)
        .outerjoin(m.Member, m.Member.id == g.StockMovement.member_id)
    )


def movement_dto(r: Any) -> MovementDTO:
    return MovementDTO(
        movement_id=r.id, sku=r.sku, name=r.gift_name, seq=r.seq, kind=r.kind, delta=r.delta,
        on_hand_after=r.on_hand_after, member_id=r.member_id, phone=r.member_phone, entitlement_id=r.entitlement_id,
        reason=r.reason, supplier=r.supplier, reference=r.reference, other_store=r.other_store,
        stocktake_id=r.stocktake_id, staff_code=r.staff_code, created_at=r.created_at,
    )


def load_movement(uow: UnitOfWork, movement_id: str) -> MovementDTO:
    return movement_dto(uow.session.execute(movement_stmt().where(g.StockMovement.id == movement_id)).one())


def waiting_for(uow: UnitOfWork, sku: str) -> tuple[int, int]:
    members, units = uow.session.execute(
        select(func.count(func.distinct(m.Entitlement.member_id)), func.count()).where(
            m.Entitlement.kind == GIFT, m.Entitlement.state == life.OWED, m.Entitlement.ref == sku
        )
    ).one()
    return int(members), int(units)


def movement_result(uow: UnitOfWork, movement_id: str) -> MovementResult:
    mv = load_movement(uow, movement_id)
    item = find_item(uow, mv.sku)
    wm, wg = waiting_for(uow, item.sku)
    return MovementResult(movement=mv, level=stock_level(uow, item), waiting_members=wm, waiting_gifts=wg)


def movement_event(mv: g.StockMovement, actor: Actor, **extra: Any) -> dict[str, Any]:
    return {
        "movement_id": mv.id, "sku": mv.sku, "seq": mv.seq, "kind": mv.kind, "delta": mv.delta,
        "on_hand_after": mv.on_hand_after, "member_id": mv.member_id, "entitlement_id": mv.entitlement_id,
        "reason": mv.reason, "supplier": mv.supplier, "reference": mv.reference, "other_store": mv.other_store,
        "batch_id": mv.batch_id, "staff": actor.code, **extra,
    }


def short_text(text: str | None, max_len: int, field: str) -> str | None:
    t = " ".join(str(text or "").split())
    if not t:
        return None
    if len(t) > max_len:
        raise InvalidInput("gift.text_too_long", field=Term(f"term.field.{field}", field), max_chars=max_len)
    return clean_text(text, field=field, max_chars=max_len)


def stock_map(uow: UnitOfWork, skus: set[str]) -> dict[str, tuple[int, int]]:
    if not skus:
        return {}
    on_hand = dict(uow.session.execute(select(g.GiftItem.sku, g.GiftItem.on_hand).where(g.GiftItem.sku.in_(skus))).all())
    owed = owed_counts(uow, skus)
    return {sku: (int(n), owed.get(sku, 0)) for sku, n in on_hand.items()}

