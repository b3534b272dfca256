"""Stock movements (append-only ledger): receive, return, transfer out/in, adjust, and their history."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select

from pos_app.db import models as m
from pos_app.db import models_gifts as g
from pos_app.domain import gifts as rules
from pos_app.domain.errors import InvalidInput, StateError
from pos_app.services.common import (
    StoreSettings,
    audit,
    check_request_id,
    emit,
    remember,
    replayed,
    require,
    settings,
)
from pos_app.services.context import Actor, ServiceContext
from pos_app.services.gifts.common import (
    DEFAULT_MOVEMENT_LIMIT,
    MovementDTO,
    MovementResult,
    find_item,
    movement_dto,
    movement_event,
    movement_result,
    movement_stmt,
    post_movement,
    short_text,
)
from pos_app.services.usecase import use_case


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
        stmt = movement_stmt()
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
        return [movement_dto(row) for row in uow.session.execute(stmt.limit(limit)).all()]


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
            return movement_result(uow, done)
        item = find_item(uow, sku_n)
        mv = post_movement(uow, ctx, actor, item, kind, delta, request_id, **fields)
        uow.session.flush()
        remember(uow, ctx, request_id, use_case, mv.id, params)
        audit(uow, ctx, actor, use_case, "stock_movement", mv.id, sku=item.sku, kind=kind, delta=delta,
              on_hand_after=mv.on_hand_after, **fields)
        emit(uow, ctx, "gift.movement", movement_event(mv, actor, request_id=request_id))
        result = movement_result(uow, mv.id)
        uow.commit()
        return result


@use_case("gift.receive", permission="gift.receive", event="gift.movement", idempotent=True)
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
    return _simple_movement(
        ctx, actor, "gift.receive", sku, rules.RECEIVED, qty, request_id,
        supplier=short_text(supplier, 100, "supplier"), reference=short_text(reference, 100, "reference"),
    )


@use_case("gift.return", permission="gift.receive", event="gift.movement", idempotent=True)
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
    fields: dict[str, Any] = {"reason": rules.check_reason(reason, required=False)}
    if member_id:
        fields["member_id"] = member_id
    return _simple_movement(ctx, actor, "gift.return", sku, rules.RETURNED, qty, request_id, **fields)


@use_case("gift.transfer_out", permission="gift.adjust", event="gift.movement", idempotent=True)
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
    store = short_text(to_store, 32, "store")
    if not store:
        raise InvalidInput("gift.store_required")
    return _simple_movement(ctx, actor, "gift.transfer_out", sku, rules.TRANSFER_OUT, qty, request_id,
                            other_store=store, reference=short_text(reference, 100, "reference"))


@use_case("gift.transfer_in", permission="gift.receive", event="gift.movement", idempotent=True)
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
    store = short_text(from_store, 32, "store")
    if not store:
        raise InvalidInput("gift.store_required")
    return _simple_movement(ctx, actor, "gift.transfer_in", sku, rules.TRANSFER_IN, qty, request_id,
                            other_store=store, reference=short_text(reference, 100, "reference"))


@use_case("gift.adjust", permission="gift.adjust", event="gift.movement", idempotent=True)
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
            return movement_result(uow, done)
        item = find_item(uow, sku_n)
        d = counted - item.on_hand if counted is not None else delta
        assert d is not None
        if d == 0:
            raise StateError("gift.adjust_nothing", sku=item.sku, on_hand=item.on_hand)
        d = rules.movement_delta(rules.ADJUSTED, d)
        before = item.on_hand
        mv = post_movement(uow, ctx, actor, item, rules.ADJUSTED, d, request_id, reason=why)
        uow.session.flush()
        remember(uow, ctx, request_id, "gift.adjust", mv.id, params)
        audit(uow, ctx, actor, "gift.adjust", "stock_movement", mv.id, sku=item.sku, before=before, delta=d,
              after=mv.on_hand_after, reason=why)
        emit(uow, ctx, "gift.movement", movement_event(mv, actor, request_id=request_id))
        result = movement_result(uow, mv.id)
        uow.commit()
        return result
