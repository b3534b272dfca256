"""Physical gift stock (issue 5): catalogue, movements, hand-out of owed gifts, stocktake, low stock.

Each public function is one use case = one transaction. Stock changes only through movements
(``stock_movement``, append-only); ``gift_item.on_hand`` is their cached sum, moved in the same
transaction. What members are owed are the foundation's ``entitlement`` rows of kind "gift"
(ref = SKU, state "owed"); handing one out writes a "handout" movement and sets the entitlement to
"handed_out" with ``issued_ref`` = the movement id, together.

Also the handlers it registers (services/registry.py, :data:`FEATURE`): before a recharge (block a tier
whose gift is out of stock when the campaign says so), doctor checks and demo data.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, or_, select

from pos_app import messages
from pos_app.db import models as m
from pos_app.db import models_gifts as g
from pos_app.db.uow import UnitOfWork
from pos_app.domain import gifts as rules
from pos_app.domain.campaign import Campaign, RechargeOutcome
from pos_app.domain.errors import Conflict, InvalidInput, NotFound, StateError
from pos_app.domain.text import MAX_TEXT_LEN, clean_text
from pos_app.services import grants
from pos_app.services.audit import note_move
from pos_app.services.common import (
    StoreSettings,
    audit,
    check_request_id,
    emit,
    local_date,
    remember,
    replayed,
    require,
    settings,
)
from pos_app.services.context import Actor, ServiceContext
from pos_app.services.exports import write_table, yuan
from pos_app.services.registry import Feature, Registrar

GIFT = "gift"
DEFAULT_MOVEMENT_LIMIT = 1000

# ----------------------------------------------------------------------------- DTOs


@dataclass(frozen=True)
class StockLevel:
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
class MovementResult:
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
class HandoutResult:
    request_id: str
    member_id: str
    handed_out: tuple[HandedOut, ...]
    still_owed: tuple[StillOwed, ...]


@dataclass(frozen=True)
class DeclineResult:
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
class StocktakeResult:
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


# ----------------------------------------------------------------------------- internals


def _owed_counts(uow: UnitOfWork, skus: Iterable[str] | None = None) -> dict[str, int]:
    stmt = (
        select(m.Entitlement.ref, func.count())
        .where(m.Entitlement.state == grants.OWED, m.Entitlement.kind == GIFT)
        .group_by(m.Entitlement.ref)
    )
    if skus is not None:
        stmt = stmt.where(m.Entitlement.ref.in_(list(skus)))
    return {ref: int(n) for ref, n in uow.session.execute(stmt).all()}


def _level_from(
    sku: str, name: str, on_hand: int, owed: int, threshold: int, unit: int, active: bool, barcode: str | None
) -> StockLevel:
    return StockLevel(
        sku=sku, name=name, on_hand=on_hand, owed=owed, available=rules.available(on_hand, owed),
        threshold=threshold, unit_value_fen=unit, low=rules.is_low(on_hand, owed, threshold, active),
        active=active, barcode=barcode, value_fen=on_hand * unit,
    )


def _level(uow: UnitOfWork, item: g.GiftItem) -> StockLevel:
    owed = _owed_counts(uow, [item.sku]).get(item.sku, 0)
    return _level_from(item.sku, item.name, item.on_hand, owed, item.threshold, item.unit_value_fen, item.active, item.barcode)


def _item(uow: UnitOfWork, sku: str) -> g.GiftItem:
    s = rules.normalize_sku(sku)
    item = uow.session.scalar(select(g.GiftItem).where(g.GiftItem.sku == s))
    if item is None:
        item = uow.session.scalar(select(g.GiftItem).where(g.GiftItem.barcode == str(sku).strip()))
    if item is None:
        raise NotFound("gift.sku_unknown", sku=s)
    return item


def _post(
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


def _movement_stmt() -> Any:
    """Plain columns, not ORM entities: the history lists thousands of rows."""
    return (
        select(*g.StockMovement.__table__.c, g.GiftItem.name.label("gift_name"), m.Staff.code.label("staff_code"),
               m.Member.phone.label("member_phone"))
        .join(g.GiftItem, g.GiftItem.sku == g.StockMovement.sku)
        .join(m.Staff, m.Staff.id == g.StockMovement.staff_id)
        .outerjoin(m.Member, m.Member.id == g.StockMovement.member_id)
    )


def _movement_dto(r: Any) -> MovementDTO:
    return MovementDTO(
        movement_id=r.id, sku=r.sku, name=r.gift_name, seq=r.seq, kind=r.kind, delta=r.delta,
        on_hand_after=r.on_hand_after, member_id=r.member_id, phone=r.member_phone, entitlement_id=r.entitlement_id,
        reason=r.reason, supplier=r.supplier, reference=r.reference, other_store=r.other_store,
        stocktake_id=r.stocktake_id, staff_code=r.staff_code, created_at=r.created_at,
    )


def _movement(uow: UnitOfWork, movement_id: str) -> MovementDTO:
    return _movement_dto(uow.session.execute(_movement_stmt().where(g.StockMovement.id == movement_id)).one())


def _waiting(uow: UnitOfWork, sku: str) -> tuple[int, int]:
    members, units = uow.session.execute(
        select(func.count(func.distinct(m.Entitlement.member_id)), func.count()).where(
            m.Entitlement.kind == GIFT, m.Entitlement.state == grants.OWED, m.Entitlement.ref == sku
        )
    ).one()
    return int(members), int(units)


def _movement_result(uow: UnitOfWork, movement_id: str) -> MovementResult:
    mv = _movement(uow, movement_id)
    item = _item(uow, mv.sku)
    wm, wg = _waiting(uow, item.sku)
    return MovementResult(movement=mv, level=_level(uow, item), waiting_members=wm, waiting_gifts=wg)


def _event(mv: g.StockMovement, actor: Actor, **extra: Any) -> dict[str, Any]:
    return {
        "movement_id": mv.id, "sku": mv.sku, "seq": mv.seq, "kind": mv.kind, "delta": mv.delta,
        "on_hand_after": mv.on_hand_after, "member_id": mv.member_id, "entitlement_id": mv.entitlement_id,
        "reason": mv.reason, "supplier": mv.supplier, "reference": mv.reference, "other_store": mv.other_store,
        "batch_id": mv.batch_id, "staff": actor.code, **extra,
    }


def _short_text(text: str | None, max_len: int, field: str) -> str | None:
    t = " ".join(str(text or "").split())
    if not t:
        return None
    if len(t) > max_len:
        raise InvalidInput("gift.text_too_long", field=field, max_chars=max_len)
    return clean_text(text, field=field, max_chars=max_len)


# ----------------------------------------------------------------------------- catalogue


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
    require(actor, "gift.manage")
    sku_n = rules.normalize_sku(sku)
    name_n = rules.check_name(name)
    rules.check_unit_value(unit_value_fen)
    rules.check_threshold(threshold)
    code = _short_text(barcode, 64, "barcode")
    request_id = check_request_id(request_id, ctx)
    params: dict[str, Any] = {"sku": sku_n, "name": name_n, "unit": unit_value_fen, "threshold": threshold, "barcode": code, "active": active}
    with ctx.uow() as uow:
        s = uow.session
        done = replayed(uow, request_id, "gift.add", params)
        if done:
            return _level(uow, _item(uow, sku_n))
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
        level = _level(uow, item)
        uow.commit()
        return level


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
    require(actor, "gift.manage")
    changes: dict[str, Any] = {}
    if name is not None:
        changes["name"] = rules.check_name(name)
    if unit_value_fen is not None:
        changes["unit_value_fen"] = rules.check_unit_value(unit_value_fen)
    if threshold is not None:
        changes["threshold"] = rules.check_threshold(threshold)
    if barcode is not None:
        changes["barcode"] = _short_text(barcode, 64, "barcode")
    if active is not None:
        changes["active"] = bool(active)
    if not changes:
        raise InvalidInput("gift.nothing_to_change")
    with ctx.uow() as uow:
        item = _item(uow, sku)
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
        level = _level(uow, item)
        uow.commit()
        return level


# ----------------------------------------------------------------------------- queries


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
        owed = _owed_counts(uow, wanted)
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
        return _level(uow, _item(uow, sku))


def low_stock(ctx: ServiceContext, actor: Actor) -> list[StockLevel]:
    """Active gifts whose available quantity is at or below their threshold (the login alert)."""
    return stock_levels(ctx, actor, low_only=True, include_inactive=False)


def owed_gifts(ctx: ServiceContext, actor: Actor, *, member_id: str | None = None, sku: str | None = None) -> list[OwedGift]:
    """Every gift owed (to one member, or the whole store), oldest first; ``overdue`` past its due date."""
    require(actor, "gift.read")
    with ctx.uow(read_only=True) as uow:
        today = local_date(ctx, settings(uow))
        stmt = (
            select(m.Entitlement, m.Member.phone, m.Member.name, g.GiftItem.on_hand, g.GiftItem.name)
            .join(m.Member, m.Member.id == m.Entitlement.member_id)
            .outerjoin(g.GiftItem, g.GiftItem.sku == m.Entitlement.ref)
            .where(m.Entitlement.kind == GIFT, m.Entitlement.state == grants.OWED)
            .order_by(m.Entitlement.created_at, m.Entitlement.id)
        )
        if member_id:
            stmt = stmt.where(m.Entitlement.member_id == member_id)
        if sku:
            stmt = stmt.where(m.Entitlement.ref == rules.normalize_sku(sku))
        return [
            OwedGift(
                entitlement_id=e.id, member_id=e.member_id, phone=phone, member_name=mname, sku=e.ref,
                name=gname or e.name, source=e.source, due_on=e.due_on, overdue=rules.is_overdue(e.due_on, today),
                on_hand=on_hand or 0, created_at=e.created_at,
            )
            for e, phone, mname, on_hand, gname in uow.session.execute(stmt).all()
        ]


def _day_bounds(st: StoreSettings, since: date | None, until: date | None) -> tuple[datetime | None, datetime | None]:
    lo = datetime.combine(since, time.min, st.tz) if since else None
    hi = datetime.combine(until + timedelta(days=1), time.min, st.tz) if until else None
    return lo, hi


def movements(
    ctx: ServiceContext,
    actor: Actor,
    *,
    sku: str | None = None,
    kind: str | None = None,
    since: date | None = None,
    until: date | None = None,
    staff_code: str | None = None,
    member_id: str | None = None,
    limit: int = DEFAULT_MOVEMENT_LIMIT,
) -> list[MovementDTO]:
    """Movement history, newest first, filtered by SKU, kind, store-local dates (inclusive) and staff."""
    require(actor, "gift.read")
    if kind is not None and kind not in rules.KINDS:
        raise InvalidInput("gift.kind_invalid", kind=kind, allowed=", ".join(rules.KINDS))
    limit = max(1, min(int(limit), 100_000))
    with ctx.uow(read_only=True) as uow:
        st = settings(uow)
        stmt = _movement_stmt()
        if sku:
            stmt = stmt.where(g.StockMovement.sku == rules.normalize_sku(sku))
        if kind:
            stmt = stmt.where(g.StockMovement.kind == kind)
        lo, hi = _day_bounds(st, since, until)
        if lo is not None:
            stmt = stmt.where(g.StockMovement.created_at >= lo)
        if hi is not None:
            stmt = stmt.where(g.StockMovement.created_at < hi)
        if staff_code:
            sid = uow.session.scalar(select(m.Staff.id).where(m.Staff.code == staff_code.strip()))
            if sid is None:
                raise InvalidInput("staff.unknown", code=staff_code)
            stmt = stmt.where(g.StockMovement.staff_id == sid)
        if member_id:
            stmt = stmt.where(g.StockMovement.member_id == member_id)
        if sku:
            stmt = stmt.order_by(g.StockMovement.seq.desc())
        else:
            # created_at alone, so the (kind|staff_id, created_at) and created_at indexes serve ORDER BY ... LIMIT
            stmt = stmt.order_by(g.StockMovement.created_at.desc())
        return [_movement_dto(row) for row in uow.session.execute(stmt.limit(limit)).all()]


def tier_stock(ctx: ServiceContext, actor: Actor) -> list[TierStock]:
    """For the recharge screen's tier buttons: which tiers' gifts are short, and whether that blocks."""
    require(actor, "gift.read")
    from pos_app.services.campaigns import current_campaign  # noqa: PLC0415

    with ctx.uow(read_only=True) as uow:
        c = current_campaign(uow, ctx)
        if c is None:
            return []
        stock = _stock_map(uow, {gg.sku for t in c.tiers for gg in t.gifts})
        return [
            TierStock(t.code, t.block_when_gift_out_of_stock,
                      tuple(rules.tier_short(((gg.sku, gg.qty) for gg in t.gifts), stock)))
            for t in c.tiers
        ]


def _stock_map(uow: UnitOfWork, skus: set[str]) -> dict[str, tuple[int, int]]:
    if not skus:
        return {}
    on_hand = dict(uow.session.execute(select(g.GiftItem.sku, g.GiftItem.on_hand).where(g.GiftItem.sku.in_(skus))).all())
    owed = _owed_counts(uow, skus)
    return {sku: (int(n), owed.get(sku, 0)) for sku, n in on_hand.items()}


# ----------------------------------------------------------------------------- movements


def _simple_movement(
    ctx: ServiceContext,
    actor: Actor,
    use_case: str,
    sku: str,
    kind: str,
    qty: int,
    request_id: str | None,
    **fields: Any,
) -> MovementResult:
    delta = rules.movement_delta(kind, qty)
    request_id = check_request_id(request_id, ctx)
    sku_n = rules.normalize_sku(sku)
    params = {"sku": sku_n, "kind": kind, "delta": delta, **fields}
    with ctx.uow() as uow:
        done = replayed(uow, request_id, use_case, params)
        if done:
            return _movement_result(uow, done)
        item = _item(uow, sku_n)
        mv = _post(uow, ctx, actor, item, kind, delta, request_id, **fields)
        uow.session.flush()
        remember(uow, ctx, request_id, use_case, mv.id, params)
        audit(uow, ctx, actor, use_case, "stock_movement", mv.id, sku=item.sku, kind=kind, delta=delta,
              on_hand_after=mv.on_hand_after, **fields)
        emit(uow, ctx, "gift.movement", _event(mv, actor, request_id=request_id))
        result = _movement_result(uow, mv.id)
        uow.commit()
        return result


def receive(
    ctx: ServiceContext,
    actor: Actor,
    *,
    sku: str,
    qty: int,
    supplier: str | None = None,
    reference: str | None = None,
    request_id: str | None = None,
) -> MovementResult:
    """Stock arrived. The result says how many members are waiting for this SKU."""
    require(actor, "gift.receive")
    return _simple_movement(
        ctx, actor, "gift.receive", sku, rules.RECEIVED, qty, request_id,
        supplier=_short_text(supplier, 100, "supplier"), reference=_short_text(reference, 100, "reference"),
    )


def return_gift(
    ctx: ServiceContext,
    actor: Actor,
    *,
    sku: str,
    qty: int,
    reason: str | None = None,
    member_id: str | None = None,
    request_id: str | None = None,
) -> MovementResult:
    """Items came back to the shelf (a member returned a gift, a display item put back)."""
    require(actor, "gift.receive")
    fields: dict[str, Any] = {"reason": rules.check_reason(reason, required=False)}
    if member_id:
        fields["member_id"] = member_id
    return _simple_movement(ctx, actor, "gift.return", sku, rules.RETURNED, qty, request_id, **fields)


def transfer_out(
    ctx: ServiceContext,
    actor: Actor,
    *,
    sku: str,
    qty: int,
    to_store: str,
    reference: str | None = None,
    request_id: str | None = None,
) -> MovementResult:
    """Send stock to another store (manager); the other store records the transfer in."""
    require(actor, "gift.adjust")
    store = _short_text(to_store, 32, "store")
    if not store:
        raise InvalidInput("gift.store_required")
    return _simple_movement(ctx, actor, "gift.transfer_out", sku, rules.TRANSFER_OUT, qty, request_id,
                            other_store=store, reference=_short_text(reference, 100, "reference"))


def transfer_in(
    ctx: ServiceContext,
    actor: Actor,
    *,
    sku: str,
    qty: int,
    from_store: str,
    reference: str | None = None,
    request_id: str | None = None,
) -> MovementResult:
    """Stock arrived from another store."""
    require(actor, "gift.receive")
    store = _short_text(from_store, 32, "store")
    if not store:
        raise InvalidInput("gift.store_required")
    return _simple_movement(ctx, actor, "gift.transfer_in", sku, rules.TRANSFER_IN, qty, request_id,
                            other_store=store, reference=_short_text(reference, 100, "reference"))


def adjust(
    ctx: ServiceContext,
    actor: Actor,
    *,
    sku: str,
    reason: str,
    counted: int | None = None,
    delta: int | None = None,
    request_id: str | None = None,
) -> MovementResult:
    """Correct the stock of one SKU after a count (``counted``) or by a signed ``delta`` (manager).
    The reason is mandatory. A count equal to the stock is refused (nothing to adjust)."""
    require(actor, "gift.adjust")
    why = rules.check_reason(reason, required=True)
    if (counted is None) == (delta is None):
        raise InvalidInput("gift.adjust_needs_one")
    if counted is not None:
        rules.check_qty(counted, allow_zero=True)
    request_id = check_request_id(request_id, ctx)
    sku_n = rules.normalize_sku(sku)
    params = {"sku": sku_n, "counted": counted, "delta": delta, "reason": why}
    with ctx.uow() as uow:
        done = replayed(uow, request_id, "gift.adjust", params)
        if done:
            return _movement_result(uow, done)
        item = _item(uow, sku_n)
        d = counted - item.on_hand if counted is not None else delta
        assert d is not None
        if d == 0:
            raise StateError("gift.adjust_nothing", sku=item.sku, on_hand=item.on_hand)
        d = rules.movement_delta(rules.ADJUSTED, d)
        before = item.on_hand
        mv = _post(uow, ctx, actor, item, rules.ADJUSTED, d, request_id, reason=why)
        uow.session.flush()
        remember(uow, ctx, request_id, "gift.adjust", mv.id, params)
        audit(uow, ctx, actor, "gift.adjust", "stock_movement", mv.id, sku=item.sku, before=before, delta=d,
              after=mv.on_hand_after, reason=why)
        emit(uow, ctx, "gift.movement", _event(mv, actor, request_id=request_id))
        result = _movement_result(uow, mv.id)
        uow.commit()
        return result


# ----------------------------------------------------------------------------- hand-out


def _member_owed(uow: UnitOfWork, member_id: str, ids: Sequence[str] | None) -> list[m.Entitlement]:
    s = uow.session
    if s.get(m.Member, member_id) is None:
        raise NotFound("member.unknown", query=member_id)
    if ids is None:
        return list(
            s.scalars(
                select(m.Entitlement)
                .where(m.Entitlement.member_id == member_id, m.Entitlement.kind == GIFT,
                       m.Entitlement.state == grants.OWED)
                .order_by(m.Entitlement.created_at, m.Entitlement.id)
            )
        )
    if not ids:
        raise InvalidInput("gift.nothing_selected")
    if len(set(ids)) != len(ids):
        raise InvalidInput("gift.entitlement_repeated", entitlement_id=next(i for i in ids if list(ids).count(i) > 1))
    rows = {e.id: e for e in s.scalars(select(m.Entitlement).where(m.Entitlement.id.in_(list(ids))))}
    out = []
    for eid in ids:
        e = rows.get(eid)
        if e is None or e.member_id != member_id or e.kind != GIFT:
            raise NotFound("gift.entitlement_unknown", entitlement_id=eid)
        if e.state != grants.OWED:
            raise StateError("gift.not_owed", entitlement_id=eid, name=e.name, state=e.state)
        out.append(e)
    return sorted(out, key=lambda e: (e.created_at, e.id))


def _handout_result(uow: UnitOfWork, request_id: str, member_id: str, ids: Sequence[str] | None) -> HandoutResult:
    """The result of a hand-out request (also on a replay: what it handed out, what is owed now)."""
    s = uow.session
    handed = [
        HandedOut(e.id, e.ref, e.name, e.source, mv.id)
        for mv, e in s.execute(
            select(g.StockMovement, m.Entitlement)
            .join(m.Entitlement, m.Entitlement.id == g.StockMovement.entitlement_id)
            .where(g.StockMovement.batch_id == request_id, g.StockMovement.kind == rules.HANDOUT)
            .order_by(g.StockMovement.created_at, g.StockMovement.id)
        ).all()
    ]
    rows = s.scalars(
        select(m.Entitlement)
        .where(m.Entitlement.member_id == member_id, m.Entitlement.kind == GIFT, m.Entitlement.state == grants.OWED)
        .order_by(m.Entitlement.created_at, m.Entitlement.id)
    ).all()
    if ids is not None:
        rows = [e for e in rows if e.id in set(ids)]
    on_hand = dict(s.execute(select(g.GiftItem.sku, g.GiftItem.on_hand).where(
        g.GiftItem.sku.in_({e.ref for e in rows}))).all())
    still = tuple(
        StillOwed(e.id, e.ref, e.name, e.due_on, rules.SHORT_UNKNOWN_SKU if e.ref not in on_hand else rules.SHORT_OUT_OF_STOCK)
        for e in rows
    )
    return HandoutResult(request_id, member_id, tuple(handed), still)


def handout(
    ctx: ServiceContext,
    actor: Actor,
    *,
    member_id: str,
    entitlement_ids: list[str] | None = None,
    request_id: str | None = None,
    qty: int | None = None,
) -> HandoutResult:
    """Hand a member the gifts they are owed (all of them, or the ones chosen) that are on the shelf,
    oldest first; the rest stay owed with the reason. Each gift: a "handout" movement (reason = the
    entitlement's source) and the entitlement "handed_out", in one transaction.

    Refused when nothing at all can be handed out because it is not on the shelf (nothing is written)."""
    require(actor, "gift.handout")
    if qty is not None and (isinstance(qty, bool) or not isinstance(qty, int) or qty < 1):
        raise InvalidInput("gift.handout_qty_invalid", qty=str(qty))  # 0 must not mean "all", -1 "all but one"
    request_id = check_request_id(request_id, ctx)
    ids = list(entitlement_ids) if entitlement_ids is not None else None
    params: dict[str, Any] = {"member_id": member_id, "entitlement_ids": sorted(ids) if ids is not None else None}
    if qty is not None:
        params["qty"] = qty
    with ctx.uow() as uow:
        s = uow.session
        done = replayed(uow, request_id, "gift.handout", params)
        if done:
            return _handout_result(uow, request_id, member_id, ids)
        owed = _member_owed(uow, member_id, ids)
        if qty is not None:
            owed = owed[:qty]  # at most qty, oldest first
        if not owed:
            raise StateError("gift.nothing_owed")
        items = {
            i.sku: i for i in s.scalars(select(g.GiftItem).where(g.GiftItem.sku.in_({e.ref for e in owed})))
        }
        plan = rules.plan_handout([rules.OwedUnit(e.id, e.ref) for e in owed], {k: v.on_hand for k, v in items.items()})
        if not plan.give:
            unit, why = plan.short[0]
            item = items.get(unit.sku)
            raise rules.OutOfStock(
                "gift.unknown_sku_owed" if why == rules.SHORT_UNKNOWN_SKU else "gift.handout_none",
                sku=unit.sku, on_hand=item.on_hand if item else 0, count=len(plan.short),
            )
        by_id = {e.id: e for e in owed}
        now = ctx.now()
        handed = []
        for unit in plan.give:
            e = by_id[unit.entitlement_id]
            mv = _post(uow, ctx, actor, items[unit.sku], rules.HANDOUT, -1, request_id,
                       member_id=member_id, entitlement_id=e.id, reason=e.source)
            e.state = grants.HANDED_OUT
            e.issued_ref = mv.id
            e.updated_at = now
            handed.append(mv)
        s.flush()
        remember(uow, ctx, request_id, "gift.handout", request_id, params)
        audit(uow, ctx, actor, "gift.handout", "member", member_id,
              handed_out=[mv.entitlement_id for mv in handed], skus=[mv.sku for mv in handed],
              still_owed=[u.entitlement_id for u, _ in plan.short])
        emit(uow, ctx, "gift.handed_out", {
            "request_id": request_id, "member_id": member_id, "staff": actor.code,
            "movements": [_event(mv, actor) for mv in handed],
        })
        result = _handout_result(uow, request_id, member_id, ids)
        uow.commit()
        return result


def decline(
    ctx: ServiceContext,
    actor: Actor,
    *,
    member_id: str,
    entitlement_ids: list[str],
    reason: str | None = None,
    request_id: str | None = None,
) -> DeclineResult:
    """The member does not want these gifts: they are recorded as declined (no stock moves)."""
    require(actor, "gift.handout")
    request_id = check_request_id(request_id, ctx)
    why = rules.check_reason(reason, required=False)
    ids = list(entitlement_ids)
    params = {"member_id": member_id, "entitlement_ids": sorted(ids), "reason": why}
    with ctx.uow() as uow:
        done = replayed(uow, request_id, "gift.decline", params)
        if done:
            return DeclineResult(request_id, member_id, tuple(sorted(ids)))
        rows = _member_owed(uow, member_id, ids)
        now = ctx.now()
        for e in rows:
            e.state = grants.DECLINED
            e.updated_at = now
        remember(uow, ctx, request_id, "gift.decline", request_id, params)
        audit(uow, ctx, actor, "gift.decline", "member", member_id, entitlements=sorted(ids),
              skus=[e.ref for e in rows], reason=why)
        emit(uow, ctx, "gift.declined", {"request_id": request_id, "member_id": member_id,
                                         "entitlement_ids": sorted(ids), "reason": why, "staff": actor.code})
        uow.commit()
        return DeclineResult(request_id, member_id, tuple(sorted(ids)))


# ----------------------------------------------------------------------------- stocktake


def stocktake_sheet(ctx: ServiceContext, actor: Actor, *, include_inactive: bool = False) -> list[CountLineDTO]:
    """The count sheet: every SKU with the quantity the system expects, counted left blank."""
    require(actor, "gift.adjust")
    with ctx.uow(read_only=True) as uow:
        stmt = select(g.GiftItem).order_by(g.GiftItem.sku)
        if not include_inactive:
            stmt = stmt.where(g.GiftItem.active.is_(True))
        return [
            CountLineDTO(i.sku, i.name, i.on_hand, None, None, i.unit_value_fen, i.barcode)
            for i in uow.session.scalars(stmt)
        ]


def _count_lines(uow: UnitOfWork, counted: Mapping[str, int]) -> tuple[list[CountLineDTO], dict[str, g.GiftItem]]:
    items = {i.sku: i for i in uow.session.scalars(select(g.GiftItem))}
    normalized: dict[str, int] = {}
    for raw, qty in counted.items():
        sku = rules.normalize_sku(raw)
        if sku not in items:  # a scanned barcode
            by_code = next((i for i in items.values() if i.barcode and i.barcode == str(raw).strip()), None)
            if by_code is not None:
                sku = by_code.sku
        if sku in normalized:
            raise InvalidInput("gift.stocktake_repeated", sku=sku)
        normalized[sku] = qty
    lines = rules.stocktake_lines({k: v.on_hand for k, v in items.items()}, normalized)
    return (
        [CountLineDTO(c.sku, items[c.sku].name, c.expected, c.counted, c.difference, items[c.sku].unit_value_fen,
                      items[c.sku].barcode)
         for c in lines],
        items,
    )


def preview_stocktake(ctx: ServiceContext, actor: Actor, counted: Mapping[str, int]) -> list[CountLineDTO]:
    """The differences a count would post, without writing anything."""
    require(actor, "gift.adjust")
    with ctx.uow(read_only=True) as uow:
        return _count_lines(uow, counted)[0]


def confirm_stocktake(
    ctx: ServiceContext,
    actor: Actor,
    counted: Mapping[str, int],
    *,
    reason: str,
    note: str | None = None,
    request_id: str | None = None,
) -> StocktakeResult:
    """Post one adjustment per SKU whose count differs, all in ONE transaction, with the stocktake
    record and every counted line (so the sheet can be printed/exported later)."""
    require(actor, "gift.adjust")
    why = rules.check_reason(reason, required=True)
    assert why is not None
    request_id = check_request_id(request_id, ctx)
    params = {"counted": {str(k): v for k, v in sorted(counted.items())}, "reason": why}
    with ctx.uow() as uow:
        s = uow.session
        done = replayed(uow, request_id, "gift.stocktake", params)
        if done:
            return _stocktake_result(uow, done)
        lines, items = _count_lines(uow, counted)
        st_row = g.Stocktake(
            id=ctx.new_id(), request_id=request_id, reason=why, lines_count=len(lines),
            adjusted_count=sum(1 for c in lines if c.difference), staff_id=actor.staff_id, created_at=ctx.now(),
            note=_short_text(note, MAX_TEXT_LEN, "note"),
        )
        s.add(st_row)
        s.flush()
        moves = []
        for c in lines:
            mv_id = None
            if c.difference:
                mv = _post(uow, ctx, actor, items[c.sku], rules.ADJUSTED, c.difference, request_id,
                           reason=why, stocktake_id=st_row.id)
                moves.append(mv)
                mv_id = mv.id
            s.add(g.StocktakeLine(stocktake_id=st_row.id, sku=c.sku, expected=c.expected, counted=c.counted or 0,
                                  difference=c.difference or 0, movement_id=mv_id))
        s.flush()
        remember(uow, ctx, request_id, "gift.stocktake", st_row.id, params)
        audit(uow, ctx, actor, "gift.stocktake", "stocktake", st_row.id, reason=why, lines=len(lines),
              adjustments={mv.sku: mv.delta for mv in moves})
        emit(uow, ctx, "gift.stocktake", {
            "stocktake_id": st_row.id, "request_id": request_id, "reason": why, "staff": actor.code,
            "lines": [{"sku": c.sku, "expected": c.expected, "counted": c.counted} for c in lines],
            "movements": [_event(mv, actor) for mv in moves],
        })
        result = _stocktake_result(uow, st_row.id)
        uow.commit()
        return result


def _stocktake_result(uow: UnitOfWork, stocktake_id: str) -> StocktakeResult:
    s = uow.session
    st_row = s.get(g.Stocktake, stocktake_id)
    assert st_row is not None
    lines = tuple(
        CountLineDTO(ln.sku, name, ln.expected, ln.counted, ln.difference, unit)
        for ln, name, unit in s.execute(
            select(g.StocktakeLine, g.GiftItem.name, g.GiftItem.unit_value_fen)
            .join(g.GiftItem, g.GiftItem.sku == g.StocktakeLine.sku)
            .where(g.StocktakeLine.stocktake_id == stocktake_id)
            .order_by(g.StocktakeLine.sku)
        ).all()
    )
    return StocktakeResult(st_row.id, st_row.request_id, st_row.reason, lines, st_row.adjusted_count, st_row.created_at)


# ----------------------------------------------------------------------------- exports


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


def _decode_sheet(raw: bytes, p: Path) -> str:
    """A CSV as Excel writes it: UTF-8 (with or without BOM), or GBK/GB18030 on Chinese Windows."""
    for enc in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    raise InvalidInput("stocktake.file_invalid", path=str(p), detail="not UTF-8 or GB18030 text")


def read_counts(path: str | Path) -> dict[str, int]:
    """Counted quantities from a filled-in stocktake sheet (.csv or .xlsx): the SKU in the first column,
    the count in the column headed "counted" (any language) or else the fourth column."""
    from pos_app.services.exports import export_format  # noqa: PLC0415

    p = Path(path)
    fmt = export_format(p)
    rows: list[list[Any]]
    try:
        if fmt == ".csv":
            import csv  # noqa: PLC0415
            import io  # noqa: PLC0415

            rows = [list(r) for r in csv.reader(io.StringIO(_decode_sheet(p.read_bytes(), p), newline=""))]
        else:
            import zipfile  # noqa: PLC0415

            from openpyxl import load_workbook  # noqa: PLC0415

            try:
                wb = load_workbook(p, read_only=True, data_only=True)
                rows = [list(r) for r in wb.active.iter_rows(values_only=True)]
            except (zipfile.BadZipFile, KeyError, ValueError):  # not a real .xlsx (renamed, damaged)
                raise InvalidInput("stocktake.file_invalid", path=str(p), detail="not an .xlsx workbook") from None
    except FileNotFoundError:
        raise InvalidInput("file.not_found", path=str(p)) from None
    except OSError as exc:
        raise InvalidInput("file.read_failed", path=str(p), detail=exc.strerror or str(exc)) from None
    if not rows:
        raise InvalidInput("gift.stocktake_empty")
    header = [str(c or "").strip().lower() for c in rows[0]]
    names = {messages.translate("gift.col.counted", lang=lang).lower() for lang in messages.LANGS} | {"counted"}
    col = next((i for i, h in enumerate(header) if h in names), 3)
    out: dict[str, int] = {}
    for i, r in enumerate(rows[1:], start=2):
        if not r or r[0] in (None, "") or len(r) <= col or r[col] in (None, ""):
            continue
        raw = r[col]
        try:
            qty = int(str(raw).strip())
        except ValueError:
            raise InvalidInput("gift.count_invalid", row=i, qty=str(raw)) from None
        out[str(r[0]).strip()] = qty
    return out


# ----------------------------------------------------------------------------- handlers (see FEATURE)


def before_recharge(uow: UnitOfWork, ctx: ServiceContext, outcome: RechargeOutcome, campaign: Campaign | None) -> None:
    """A tier with ``block_when_gift_out_of_stock`` is refused when one of its gifts is not available."""
    if campaign is None or outcome.tier_code is None:
        return
    tier = campaign.tier(outcome.tier_code)
    if not tier.block_when_gift_out_of_stock or not tier.gifts:
        return
    stock = _stock_map(uow, {gg.sku for gg in tier.gifts})
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
                   m.Entitlement.state.not_in((grants.HANDED_OUT, grants.KEPT)),
                   m.Entitlement.issued_ref != g.StockMovement.id, m.Entitlement.ref != g.StockMovement.sku,
                   g.StockMovement.delta != -1))
    ).all())
    bad += s.execute(
        select(m.Entitlement.id)
        .outerjoin(g.StockMovement, g.StockMovement.entitlement_id == m.Entitlement.id)
        .where(m.Entitlement.kind == GIFT, m.Entitlement.state == grants.HANDED_OUT)
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


messages.register("zh_CN", {
    "gift.sku_invalid": "礼品编码无效：{sku}（字母、数字、-、_、.，最多 64 位）",
    "gift.sku_unknown": "礼品目录中没有 {sku}",
    "gift.sku_taken": "礼品编码 {sku} 已存在",
    "gift.barcode_taken": "条码 {barcode} 已被其他礼品使用",
    "gift.name_missing": "请输入礼品名称",
    "gift.name_too_long": "礼品名称过长（最多 {max_chars} 个字）",
    "gift.qty_invalid": "数量无效：{qty}（应为 1–100000 的整数）",
    "gift.threshold_invalid": "预警数量无效：{threshold}",
    "gift.unit_value_invalid": "单价无效：{unit_value}",
    "gift.reason_required": "请填写原因",
    "gift.reason_too_long": "原因过长（最多 {max_chars} 个字）",
    "gift.text_too_long": "{field} 过长（最多 {max_chars} 个字）",
    "gift.kind_invalid": "库存变动类型无效：{kind}（可选：{allowed}）",
    "gift.out_of_stock": "{sku} 库存不足：现有 {on_hand} 件，需要 {qty} 件（库存不能为负）",
    "gift.handout_none": "{sku} 现无库存（现有 {on_hand} 件），{count} 件礼品继续待发放",
    "gift.unknown_sku_owed": "礼品 {sku} 不在礼品目录中，无法发放",
    "gift.tier_blocked": "档位「{tier}」的赠品 {sku} 库存不足（需要 {qty} 件，可用 {available} 件），本活动设置为缺货时不可选该档位",
    "gift.nothing_owed": "该会员没有待发放的礼品",
    "gift.nothing_selected": "请选择要处理的礼品",
    "gift.not_owed": "礼品「{name}」不是待发放状态（当前：{state}），每份礼品只能发放一次",
    "gift.entitlement_unknown": "未找到该会员的这份礼品：{entitlement_id}",
    "gift.entitlement_repeated": "同一份礼品重复出现：{entitlement_id}",
    "gift.adjust_needs_one": "请填写盘点数量或调整数量（二选一）",
    "gift.adjust_nothing": "{sku} 的盘点数量与库存相同（{on_hand} 件），无需调整",
    "gift.store_required": "请填写对方门店",
    "gift.nothing_to_change": "没有要修改的内容",
    "gift.stocktake_empty": "没有填写任何盘点数量",
    "gift.stocktake_repeated": "盘点中 {sku} 出现了两次",
    "gift.count_invalid": "第 {row} 行的盘点数量无效：{qty}",
    "gift.col.sku": "礼品编码", "gift.col.name": "名称", "gift.col.on_hand": "库存", "gift.col.owed": "待发放",
    "gift.col.available": "可用", "gift.col.threshold": "预警数量", "gift.col.unit_value": "单价（元）",
    "gift.col.value": "库存金额（元）", "gift.col.low": "低库存", "gift.col.active": "启用", "gift.col.barcode": "条码",
    "gift.col.time": "时间", "gift.col.kind": "类型", "gift.col.delta": "数量变动", "gift.col.on_hand_after": "变动后库存",
    "gift.col.phone": "会员手机", "gift.col.reason": "原因", "gift.col.supplier": "供应商", "gift.col.reference": "单号",
    "gift.col.other_store": "对方门店", "gift.col.staff": "员工", "gift.col.movement_id": "流水号",
    "gift.col.expected": "账面数量", "gift.col.counted": "盘点数量", "gift.col.difference": "差异",
    "gift.col.difference_value": "差异金额（元）", "gift.col.member": "会员", "gift.col.source": "来源",
    "gift.col.due_on": "应发日期", "gift.col.action": "操作",
    "gift.kind.received": "入库", "gift.kind.handout": "发放", "gift.kind.returned": "退回", "gift.kind.adjusted": "盘点调整",
    "gift.kind.transfer_out": "调出", "gift.kind.transfer_in": "调入",
    "gift.source.tier": "充值档位赠品", "gift.source.milestone": "邀请里程碑", "gift.source.referral": "邀请奖励",
    "gift.source.new_member": "新会员礼", "gift.source.prize": "抽奖奖品", "gift.source.redemption": "兑换",
    "gift.source.manual": "手工", "gift.source.rebate": "充值返利",
    "gift.short.out_of_stock": "缺货", "gift.short.unknown_sku": "未入目录",
    "gift.waiting": "{count} 位会员正在等待 {sku}（共 {units} 件）",
})
messages.register("en", {
    "gift.sku_invalid": "Invalid gift SKU: {sku} (letters, digits, -, _ and ., up to 64)",
    "gift.sku_unknown": "No gift {sku} in the catalogue",
    "gift.sku_taken": "Gift SKU {sku} already exists",
    "gift.barcode_taken": "Barcode {barcode} is already used by another gift",
    "gift.name_missing": "Enter the gift's name",
    "gift.name_too_long": "Gift name too long (at most {max_chars} characters)",
    "gift.qty_invalid": "Invalid quantity: {qty} (a whole number from 1 to 100000)",
    "gift.threshold_invalid": "Invalid low-stock threshold: {threshold}",
    "gift.unit_value_invalid": "Invalid unit value: {unit_value}",
    "gift.reason_required": "A reason is required",
    "gift.reason_too_long": "Reason too long (at most {max_chars} characters)",
    "gift.text_too_long": "{field} is too long (at most {max_chars} characters)",
    "gift.kind_invalid": "Invalid movement kind: {kind} (one of: {allowed})",
    "gift.out_of_stock": "Not enough {sku} on hand: {on_hand} on hand, {qty} needed (stock cannot go below zero)",
    "gift.handout_none": "{sku} is out of stock ({on_hand} on hand); {count} gift(s) stay owed",
    "gift.unknown_sku_owed": "Gift {sku} is not in the catalogue and cannot be handed out",
    "gift.tier_blocked": "Tier '{tier}': gift {sku} is short ({qty} needed, {available} available) and this campaign blocks the tier when its gift is out of stock",
    "gift.nothing_owed": "This member is not owed any gift",
    "gift.nothing_selected": "Select the gifts first",
    "gift.not_owed": "Gift '{name}' is not owed (it is {state}); each gift is handed out at most once",
    "gift.entitlement_unknown": "This member is not owed gift {entitlement_id}",
    "gift.entitlement_repeated": "The same gift is listed twice: {entitlement_id}",
    "gift.adjust_needs_one": "Give either the counted quantity or the change, not both",
    "gift.adjust_nothing": "The count of {sku} equals the stock ({on_hand}): nothing to adjust",
    "gift.store_required": "Enter the other store",
    "gift.nothing_to_change": "Nothing to change",
    "gift.stocktake_empty": "No counted quantities were entered",
    "gift.stocktake_repeated": "{sku} appears twice in the count",
    "gift.count_invalid": "Invalid count on row {row}: {qty}",
    "gift.col.sku": "SKU", "gift.col.name": "Name", "gift.col.on_hand": "On hand", "gift.col.owed": "Owed",
    "gift.col.available": "Available", "gift.col.threshold": "Threshold", "gift.col.unit_value": "Unit value (yuan)",
    "gift.col.value": "Stock value (yuan)", "gift.col.low": "Low", "gift.col.active": "Active", "gift.col.barcode": "Barcode",
    "gift.col.time": "Time", "gift.col.kind": "Kind", "gift.col.delta": "Change", "gift.col.on_hand_after": "On hand after",
    "gift.col.phone": "Member phone", "gift.col.reason": "Reason", "gift.col.supplier": "Supplier",
    "gift.col.reference": "Reference", "gift.col.other_store": "Other store", "gift.col.staff": "Staff",
    "gift.col.movement_id": "Movement id", "gift.col.expected": "Expected", "gift.col.counted": "Counted",
    "gift.col.difference": "Difference", "gift.col.difference_value": "Difference value (yuan)",
    "gift.col.member": "Member", "gift.col.source": "Source", "gift.col.due_on": "Due", "gift.col.action": "Action",
    "gift.kind.received": "received", "gift.kind.handout": "handed out", "gift.kind.returned": "returned",
    "gift.kind.adjusted": "adjusted", "gift.kind.transfer_out": "transferred out", "gift.kind.transfer_in": "transferred in",
    "gift.source.tier": "recharge tier", "gift.source.milestone": "referral milestone", "gift.source.referral": "referral",
    "gift.source.new_member": "new-member gift", "gift.source.prize": "prize", "gift.source.redemption": "redemption",
    "gift.source.manual": "manual", "gift.source.rebate": "rebate",
    "gift.short.out_of_stock": "out of stock", "gift.short.unknown_sku": "not in catalogue",
    "gift.waiting": "{count} member(s) are waiting for {sku} ({units} item(s))",
})
