"""Turn what a recharge earns into entitlements (one row per unit) in the recharge's transaction.

Other modules extend this: the coupon module issues coupons for coupon entitlements, the gift module
decides whether a gift can be handed out now or stays owed. They plug in through the registry's
``prepare_granted``/``on_granted`` handlers (services/registry.py) so the recharge stays one transaction."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime, tzinfo
from typing import Any

from sqlalchemy import select

from pos_app import messages
from pos_app.db import models as m
from pos_app.db import models_coupons as mc
from pos_app.db import repo
from pos_app.db.uow import UnitOfWork
from pos_app.domain import entitlements as life
from pos_app.domain.calendar import add_months, add_working_days
from pos_app.domain.campaign import (
    GRANT_COUPON,
    GRANT_GIFT,
    GRANT_MEMBER_PRICE,
    GRANT_VOUCHER,
    Campaign,
    GrantedItem,
)
from pos_app.domain.coupons import VOIDED as COUPON_VOIDED
from pos_app.domain.coupons import group as group_code
from pos_app.domain.entitlements import CANCELLED as CANCELLED  # the states, written once in the domain
from pos_app.domain.entitlements import DECLINED as DECLINED
from pos_app.domain.entitlements import HANDED_OUT as HANDED_OUT
from pos_app.domain.entitlements import ISSUED as ISSUED
from pos_app.domain.entitlements import KEPT as KEPT
from pos_app.domain.entitlements import OWED as OWED
from pos_app.domain.entitlements import REVOKED as REVOKED
from pos_app.domain.entitlements import held_by_coupon_state
from pos_app.services.context import Actor, ServiceContext
from pos_app.services.dto import GrantedItemDTO


def item_name(e: m.Entitlement) -> str:
    """A human name: a member-price grant is stored under its key (``member_price``), so it is named here."""
    if e.kind == GRANT_MEMBER_PRICE and e.name in ("", GRANT_MEMBER_PRICE):
        return messages.translate("item.member_price_name", {"months": e.quantity})
    return e.name


def entitlement_dto(e: m.Entitlement, code: str | None = None) -> GrantedItemDTO:
    return GrantedItemDTO(
        entitlement_id=e.id,
        kind=e.kind,
        ref=e.ref,
        name=item_name(e),
        value_fen=e.value_fen,
        state=e.state,
        due_on=e.due_on,
        source=e.source,
        issued_ref=e.issued_ref,
        code=code,
    )


_CODES_KEY = "issued_coupon_codes"


def note_codes(uow: UnitOfWork, codes: dict[str, str]) -> None:
    """The coupon module tells which coupons (id -> normalised code) this transaction issued, so the
    use case's result is built from the rows in hand, without reading them back."""
    uow.cache.setdefault(_CODES_KEY, {}).update(codes)


def coupon_codes(uow: UnitOfWork, rows: Sequence[m.Entitlement]) -> dict[str, str]:
    """The printed codes (XXXX-XXXX-...) of the coupons these entitlements issued, by coupon id."""
    ids = [e.issued_ref for e in rows if e.kind in (GRANT_COUPON, GRANT_VOUCHER) and e.issued_ref]
    if not ids:
        return {}
    known: dict[str, str] = uow.cache.get(_CODES_KEY, {})
    found = {cid: known[cid] for cid in ids if cid in known}
    found.update(repo.coupons.codes_by_id(uow.session, [cid for cid in ids if cid not in found]))
    return {cid: group_code(code) for cid, code in found.items()}


def item_dtos(uow: UnitOfWork, rows: Sequence[m.Entitlement]) -> tuple[GrantedItemDTO, ...]:
    """DTOs for these entitlements, each coupon/voucher with its code."""
    codes = coupon_codes(uow, rows)
    return tuple(entitlement_dto(e, codes.get(e.issued_ref or "")) for e in rows)


# ----------------------------------------------------------------------------- coupons issued at once


def held_by_coupon(e: m.Entitlement) -> bool:
    """A coupon/voucher a recharge issued at once: its coupon row is its only row (``coupon.item_json``,
    ``batch_id`` = the recharge). Owed coupons (due later) and referral rewards (``referral_reward`` points
    at their entitlement row) keep their entitlement row."""
    return (e.recharge_id is not None and e.kind in (GRANT_COUPON, GRANT_VOUCHER) and e.state == ISSUED
            and e.issued_ref is not None)


def item_json(e: m.Entitlement) -> str:
    """What the entitlement says that its coupon row does not (stored on the coupon as ``item_json``)."""
    return json.dumps({"id": e.id, "kind": e.kind, "ref": e.ref, "name": e.name, "value_fen": e.value_fen,
                       "created_at": e.created_at.isoformat(),
                       "due_on": e.due_on.isoformat() if e.due_on else None}, ensure_ascii=False, sort_keys=True)


def unit_id(c: mc.Coupon | Mapping[str, Any]) -> str | None:
    """The entitlement a coupon was issued for: its row's id, or the one the coupon row holds."""
    get = c.get if isinstance(c, Mapping) else lambda k: getattr(c, k)
    held = get("item_json")
    return str(json.loads(held)["id"]) if held else get("entitlement_id")


def coupon_item(c: mc.Coupon, recharge_state: str) -> m.Entitlement:
    """The entitlement a coupon row holds, as a transient (never written) row for the code that reads
    entitlements: its state derived from its recharge and its coupon (domain.entitlements)."""
    d = json.loads(c.item_json or "{}")
    created = datetime.fromisoformat(d["created_at"])
    return m.Entitlement(
        id=d["id"], member_id=c.member_id, recharge_id=c.batch_id, source=c.source, kind=d["kind"],
        ref=d["ref"], name=d["name"], value_fen=d["value_fen"], quantity=1,
        state=held_by_coupon_state(recharge_refunded=recharge_state == "refunded",
                                   coupon_voided=c.state == COUPON_VOIDED),
        due_on=date.fromisoformat(d["due_on"]) if d.get("due_on") else None, issued_ref=c.id,
        created_at=created, updated_at=c.voided_at or created,
    )


def recharge_rows(uow: UnitOfWork, recharge_id: str) -> list[m.Entitlement]:
    """Every entitlement of a recharge: its rows, and the coupons that are their own row (by id)."""
    s = uow.session
    rows = list(s.scalars(select(m.Entitlement).where(m.Entitlement.recharge_id == recharge_id)))
    rows += [coupon_item(c, st) for c, st in repo.coupons.items_of_recharges(s, [recharge_id])]
    rows.sort(key=lambda e: e.id)
    return rows


def member_rows(uow: UnitOfWork, member_id: str) -> list[m.Entitlement]:
    """Every entitlement of a member, newest first (the 券与礼品 list)."""
    s = uow.session
    rows = list(s.scalars(select(m.Entitlement).where(m.Entitlement.member_id == member_id)))
    rows += [coupon_item(c, st) for c, st in repo.coupons.items_of_member(s, member_id)]
    rows.sort(key=lambda e: e.id)  # one recharge's items (same created_at) in the order they were made
    rows.sort(key=lambda e: e.created_at, reverse=True)
    return rows


_COLLECT_KEY = "granted_rows"


@contextmanager
def collect(uow: UnitOfWork) -> Iterator[list[m.Entitlement]]:
    """Every entitlement :func:`grant_items` writes inside this block (in this transaction), whoever it is
    for and whichever module asked for it (tier items, the referral rewards of a first recharge...)."""
    found: list[m.Entitlement] = []
    stack: list[list[m.Entitlement]] = uow.cache.setdefault(_COLLECT_KEY, [])
    stack.append(found)
    try:
        yield found
    finally:
        stack.remove(found)


def rows_for(items: tuple[GrantedItem, ...] | list[GrantedItem]) -> int:
    """How many entitlement rows :func:`grant_items` writes for these items."""
    return sum(1 if i.kind == GRANT_MEMBER_PRICE else i.quantity for i in items)


def grant_items(
    uow: UnitOfWork,
    ctx: ServiceContext,
    actor: Actor,
    member: m.Member,
    items: tuple[GrantedItem, ...] | list[GrantedItem],
    *,
    today: date,
    campaign: Campaign | None,
    recharge_id: str | None = None,
    source_override: str | None = None,
    due_on: date | None = None,
) -> list[m.Entitlement]:
    """Write one entitlement row per unit. Member-price months apply at once; the rest are owed until
    the coupon/gift modules issue or hand them out (their handlers run right after). With ``due_on``
    after ``today`` (referral rewards "within N working days") the owed rows are due that day: coupons
    are issued then by the daily job, not now."""
    later = due_on if due_on is not None and due_on > today else None
    values: list[dict[str, Any]] = []
    due_days = campaign.gift_due_working_days if campaign else 3
    now = ctx.now()
    gift_due: date | None = None
    for item in items:
        if item.kind == GRANT_MEMBER_PRICE:
            start = member.member_price_until if member.member_price_until and member.member_price_until >= today else today
            member.member_price_until = add_months(start, item.quantity)
            values.append(dict(
                id=ctx.new_id(), member_id=member.id, recharge_id=recharge_id,
                source=source_override or item.source, kind=item.kind, ref=item.ref, name=item.name,
                value_fen=0, quantity=item.quantity, state=ISSUED, due_on=None,
                issued_ref=member.member_price_until.isoformat(), created_at=now, updated_at=now,
            ))
            continue
        item_due = later
        if item.kind == GRANT_GIFT and later is None:
            if gift_due is None:
                gift_due = add_working_days(today, due_days)
            item_due = gift_due
        for _ in range(item.quantity):
            values.append(dict(
                id=ctx.new_id(), member_id=member.id, recharge_id=recharge_id,
                source=source_override or item.source, kind=item.kind, ref=item.ref, name=item.name,
                value_fen=item.value_fen, quantity=1, state=OWED, due_on=item_due,
                issued_ref=None, created_at=now, updated_at=now,
            ))
    rows = [m.Entitlement(**v) for v in values]  # transient: written below, as the handlers leave them
    for prepare in ctx.registry.prepare_granted:  # e.g. the coupon module marks the coupons it will issue
        prepare(uow, ctx, actor, member, rows, today)
    # written now, in one statement, with what the handlers decided (a later use case loads a row to change
    # it); a coupon issued at once is written as its coupon row only (see held_by_coupon)
    repo.ledger.add_entitlements(uow.session, [e for e in rows if not held_by_coupon(e)])
    for granted in ctx.registry.on_granted:
        granted(uow, ctx, actor, member, rows, today)
    for found in uow.cache.get(_COLLECT_KEY, ()):
        found.extend(rows)
    return rows


def recompute_member_price(member: m.Member, grants: list[m.Entitlement], tz: tzinfo = UTC) -> None:
    """After a refund: rebuild member-price validity from the grants still standing (each counted from
    the store-local day it was granted, as :func:`grant_items` did)."""
    until: date | None = None
    for e in sorted(grants, key=lambda g: g.created_at):
        if e.kind != GRANT_MEMBER_PRICE or e.state != ISSUED:
            continue
        start_day = e.created_at.astimezone(tz).date()
        start = until if until and until >= start_day else start_day
        until = add_months(start, e.quantity)
    member.member_price_until = until




def take_back_items(uow: UnitOfWork, ctx: ServiceContext, actor: Actor, rows: Sequence[m.Entitlement]) -> None:
    """Items granted by something undone (a refunded recharge, a task a return took back): owed items are
    revoked; issued coupons/vouchers: the coupon module voids the unused ones (revoked) and keeps the used
    ones; a gift handed out is recorded as kept."""
    take_back = ctx.registry.refund_entitlement
    now = ctx.now()
    for e in rows:
        if e.state == life.ISSUED and e.kind == "member_price":
            event: str | None = life.REVOKE
        elif e.state == life.ISSUED and e.kind in take_back:
            event = take_back[e.kind](uow, ctx, actor, e)
        else:
            event = life.take_back(e.state)
        if event is not None:
            e.state = life.transition(e.state, event)
        e.updated_at = now
