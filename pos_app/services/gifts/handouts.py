"""What members are owed and handing it out: owed gifts, hand out (a "handout" movement and the
entitlement handed out, together), decline."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select

from pos_app.db import models as m
from pos_app.db import models_gifts as g
from pos_app.db.uow import UnitOfWork
from pos_app.domain import entitlements as life
from pos_app.domain import gifts as rules
from pos_app.domain.errors import InvalidInput, NotFound, StateError
from pos_app.services.common import (
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
from pos_app.services.gifts.common import (
    GIFT,
    DeclineResult,
    HandedOut,
    HandoutResult,
    OwedGift,
    StillOwed,
    movement_event,
    post_movement,
)
from pos_app.services.usecase import use_case


def owed_gifts(ctx: ServiceContext, actor: Actor, *, member_id: str | None = None, sku: str | None = None) -> list[OwedGift]:
    """Every gift owed (to one member, or the whole store), oldest first; ``overdue`` past its due date."""
    require(actor, "gift.read")
    with ctx.uow(read_only=True) as uow:
        today = local_date(ctx, settings(uow))
        stmt = (
            select(m.Entitlement, m.Member.phone, m.Member.name, g.GiftItem.on_hand, g.GiftItem.name)
            .join(m.Member, m.Member.id == m.Entitlement.member_id)
            .outerjoin(g.GiftItem, g.GiftItem.sku == m.Entitlement.ref)
            .where(m.Entitlement.kind == GIFT, m.Entitlement.state == life.OWED)
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


def _member_owed(uow: UnitOfWork, member_id: str, ids: Sequence[str] | None, event: str) -> list[m.Entitlement]:
    """The member's owed gifts (all, or the ones chosen: each must allow ``event``), oldest first."""
    s = uow.session
    if s.get(m.Member, member_id) is None:
        raise NotFound("member.unknown", query=member_id)
    if ids is None:
        return list(
            s.scalars(
                select(m.Entitlement)
                .where(m.Entitlement.member_id == member_id, m.Entitlement.kind == GIFT,
                       m.Entitlement.state == life.OWED)
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
        if not life.allowed(e.state, event):
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
        .where(m.Entitlement.member_id == member_id, m.Entitlement.kind == GIFT, m.Entitlement.state == life.OWED)
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


@use_case("gift.handout", permission="gift.handout", event="gift.handed_out", idempotent=True)
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
        owed = _member_owed(uow, member_id, ids, life.HAND_OUT)
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
            mv = post_movement(uow, ctx, actor, items[unit.sku], rules.HANDOUT, -1, request_id,
                       member_id=member_id, entitlement_id=e.id, reason=e.source)
            e.state = life.transition(e.state, life.HAND_OUT)
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
            "movements": [movement_event(mv, actor) for mv in handed],
        })
        result = _handout_result(uow, request_id, member_id, ids)
        uow.commit()
        return result


@use_case("gift.decline", permission="gift.handout", event="gift.declined", idempotent=True)
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
    request_id = check_request_id(request_id, ctx)
    why = rules.check_reason(reason, required=False)
    ids = list(entitlement_ids)
    params = {"member_id": member_id, "entitlement_ids": sorted(ids), "reason": why}
    with ctx.uow() as uow:
        done = replayed(uow, request_id, "gift.decline", params)
        if done:
            return DeclineResult(request_id, member_id, tuple(sorted(ids)))
        rows = _member_owed(uow, member_id, ids, life.DECLINE)
        now = ctx.now()
        for e in rows:
            e.state = life.transition(e.state, life.DECLINE)
            e.updated_at = now
        remember(uow, ctx, request_id, "gift.decline", request_id, params)
        audit(uow, ctx, actor, "gift.decline", "member", member_id, entitlements=sorted(ids),
              skus=[e.ref for e in rows], reason=why)
        emit(uow, ctx, "gift.declined", {"request_id": request_id, "member_id": member_id,
                                         "entitlement_ids": sorted(ids), "reason": why, "staff": actor.code})
        uow.commit()
        return DeclineResult(request_id, member_id, tuple(sorted(ids)))
