"""Premium redemption (兑换活动, e.g. a bottle of Moutai): items by points tier or by spending at least X
yuan actually paid (after discounts and coupons, in named categories) within the campaign window.

A request records the member's contact and, for shipping, a delivery address; it checks eligibility
and stock, reserves one unit and holds the points. A manager approves it or rejects it with a reason
(rejection gives the unit and the points back); it is fulfilled in store against its code, or shipped
with carrier and tracking number; then received (confirmed, or automatically after the campaign's
working days, default 7). Cancel before fulfilment gives everything back. Every change is logged with who
and when (``redemption_log``); a request not reviewed within the campaign's working days is flagged.
The shared parts (items, stock counters, the state moves) are in services/mall.py."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

from pos_app import messages
from pos_app.db import models as m
from pos_app.db import models_mall as mm
from pos_app.db import repo
from pos_app.db.uow import UnitOfWork
from pos_app.domain import redemption as rules
from pos_app.domain.calendar import add_working_days
from pos_app.domain.errors import InvalidInput, StateError
from pos_app.domain.members import normalize_phone
from pos_app.domain.textparams import Money
from pos_app.services import mall
from pos_app.services import points as pts
from pos_app.services.campaigns import current_campaign
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
from pos_app.services.exports import write_table
from pos_app.services.mall import ItemView, RedemptionView
from pos_app.services.members import load_member
from pos_app.services.usecase import ChangedList, use_case

PREMIUM = rules.PREMIUM


def items(ctx: ServiceContext, actor: Actor, *, phone: str | None = None, member_id: str | None = None) -> list[ItemView]:
    """The premium items with their stock; with a member, what they are eligible for and how far from each."""
    return mall.items(ctx, actor, program=PREMIUM, phone=phone, member_id=member_id)


def next_item(views: Sequence[ItemView]) -> ItemView | None:
    """The item the member is closest to among those not yet eligible: the smallest share of its price still
    missing (points short / points, spend short / spend; an item by both counts the larger)."""
    from fractions import Fraction  # noqa: PLC0415

    def missing(v: ItemView) -> tuple[Fraction, int, str]:
        parts = [Fraction(0)]
        if v.points:
            parts.append(Fraction(v.points_short, v.points))
        if v.spend_fen:
            parts.append(Fraction(v.spend_short_fen, v.spend_fen))
        return max(parts), v.points, v.code

    waiting = [v for v in views if v.eligible is False and not v.paused and v.available > 0]
    return min(waiting, key=missing, default=None)


# ----------------------------------------------------------------------------- request
@use_case("redemption.request", permission="redemption.request", event="redemption.requested", idempotent=True)
def request(
    ctx: ServiceContext, actor: Actor, *, item: str, phone: str | None = None, member_id: str | None = None,
    contact: str | None = None, ship_to: str | None = None, request_id: str | None = None,
) -> RedemptionView:
    """A member's request for a premium item: eligibility (points, or spend in the window), the item's
    state and stock and the member's limit are checked; one unit is reserved and the points are held."""
    request_id = check_request_id(request_id, ctx)
    contact_phone = normalize_phone(contact) if contact else None
    address = mall.clean_field(ship_to, "ship_to", 400)
    params = {"item": item, "phone": phone, "member_id": member_id, "contact": contact_phone, "ship_to": address}
    with ctx.uow() as uow:
        s = uow.session
        done = replayed(uow, request_id, "redemption.request", params)
        if done is not None:
            return mall.view(uow, ctx, done)
        member = load_member(uow, phone=phone, member_id=member_id)
        campaign = mall.running(uow, ctx)
        row, it = mall.item_row(uow, campaign, PREMIUM, item)
        today = local_date(ctx, settings(uow))
        rules.check_window(it, campaign.starts_on, campaign.ends_on, today)
        rules.check_stock(row.name, row.quantity, row.reserved, row.given, row.paused)
        rules.check_limit(it, mall.taken_in_period(uow, ctx, member.id, row))
        spent = mall.spent_in_window(uow, member.id, campaign, it, today) if it.by_spend else 0
        el = rules.eligibility(it, mall.points_balance(uow, member.id, today), spent)
        if el.spend_short_fen:
            raise StateError("redemption.spend_short", item=row.name, need=Money(row.spend_fen), spent=Money(spent),
                             short=Money(el.spend_short_fen))
        if el.points_short:
            raise StateError("redemption.points_short", item=row.name, need=row.points, short=el.points_short)
        rid = ctx.new_id()
        if row.points:
            pts.take(uow, ctx, member, row.points, kind="spend", ref=rid, today=today, reason="redemption")
        row.reserved += 1
        now = ctx.now()
        values = dict(
            id=rid, request_id=request_id, program=PREMIUM, item_id=row.id, member_id=member.id,
            state=rules.REQUESTED, points=row.points, cash_fen=0, pay_method=None, code=mall.new_code(uow, ctx),
            contact=contact_phone or member.phone, ship_to=address, carrier=None, tracking=None, entitlement_id=None,
            issued_ref=None, reason=None, staff_id=actor.staff_id, created_at=now, updated_at=now, reviewed_at=None,
            fulfilled_at=None, received_at=None)
        repo.mall.add_redemption(s, values)
        repo.mall.add_log(s, [dict(id=ctx.new_id(), redemption_id=rid, from_state=None, to_state=rules.REQUESTED,
                                   event="request", staff_id=actor.staff_id, note=None, created_at=now)])
        remember(uow, ctx, request_id, "redemption.request", rid, params)
        audit(uow, ctx, actor, "redemption.request", "redemption", rid, item=row.code, member_id=member.id,
              points=row.points, spent_fen=spent, ship=address is not None)
        red = repo.base.copy_of(mm.Redemption, values)
        emit(uow, ctx, "redemption.requested", mall.event_payload(red, row, contact=red.contact, ship_to=address))
        result = mall.fresh_view(red, row, member, campaign, today, uow)
        uow.commit()
        return result


# ----------------------------------------------------------------------------- review
def _act(uow: UnitOfWork, ctx: ServiceContext, actor: Actor | None, ref: str, event: str, note: str | None = None,
         ) -> tuple[m.Member, Any, Any]:
    red = mall.find_redemption(uow, ref, program=PREMIUM)
    item = repo.mall.get_item(uow.session, red.item_id)
    member = uow.session.get(m.Member, red.member_id)
    assert item is not None and member is not None
    mall.move(uow, ctx, actor, red, item, event, note)
    return member, red, item


@use_case("redemption.approve", permission="redemption.review", event="redemption.approved")
def approve(ctx: ServiceContext, actor: Actor, *, redemption_ids: Sequence[str]) -> list[RedemptionView]:
    """Approve one request or many (bulk approve from the review queue): all, or none when one cannot be."""
    ids = [str(i).strip() for i in redemption_ids if str(i).strip()]
    if not ids:
        raise InvalidInput("redemption.nothing_selected")
    with ctx.uow() as uow:
        done = []
        for ref in ids:
            _member, red, item = _act(uow, ctx, actor, ref, rules.APPROVE)
            red.reviewed_at = ctx.now()
            done.append((red, item))
        if len({r.id for r, _ in done}) != len(done):
            raise InvalidInput("redemption.repeated")
        uow.session.flush()
        audit(uow, ctx, actor, "redemption.approve", "redemption", done[0][0].id, redemptions=[r.id for r, _ in done])
        emit(uow, ctx, "redemption.approved", {"redemptions": [mall.event_payload(r, i) for r, i in done]})
        result = [mall.view(uow, ctx, r.id) for r, _ in done]
        uow.commit()
        return ChangedList(result)


@use_case("redemption.reject", permission="redemption.review", event="redemption.rejected")
def reject(ctx: ServiceContext, actor: Actor, *, redemption_id: str, reason: str) -> RedemptionView:
    """Reject a request with a reason: its unit goes back to stock and its points back to the member."""
    why = mall.clean_field(reason, "reason", 200)
    if not why:
        raise InvalidInput("redemption.reason_required")
    with ctx.uow() as uow:
        member, red, item = _act(uow, ctx, actor, redemption_id, rules.REJECT, why)
        red.reason = why
        red.reviewed_at = ctx.now()
        back = mall.release_points(uow, ctx, member, red, "redemption.rejected")
        uow.session.flush()
        audit(uow, ctx, actor, "redemption.reject", "redemption", red.id, reason=why, points_released=back)
        emit(uow, ctx, "redemption.rejected", mall.event_payload(red, item, reason=why, points_released=back))
        result = mall.view(uow, ctx, red.id)
        uow.commit()
        return result


@use_case("redemption.cancel", permission="redemption.request", event="redemption.cancelled")
def cancel(ctx: ServiceContext, actor: Actor, *, redemption_id: str, reason: str | None = None) -> RedemptionView:
    """Cancel a request before it is fulfilled: its unit and points go back."""
    why = mall.clean_field(reason, "reason", 200)
    with ctx.uow() as uow:
        member, red, item = _act(uow, ctx, actor, redemption_id, rules.CANCEL, why)
        red.reason = why
        back = mall.release_points(uow, ctx, member, red, "redemption.cancelled")
        uow.session.flush()
        audit(uow, ctx, actor, "redemption.cancel", "redemption", red.id, reason=why, points_released=back)
        emit(uow, ctx, "redemption.cancelled", mall.event_payload(red, item, reason=why, points_released=back))
        result = mall.view(uow, ctx, red.id)
        uow.commit()
        return result


@use_case("redemption.fulfil", permission="redemption.fulfil", event="redemption.fulfilled")
def fulfil(ctx: ServiceContext, actor: Actor, *, redemption_id: str, carrier: str | None = None,
           tracking: str | None = None) -> RedemptionView:
    """Fulfil an approved request: handed over in store (``redemption_id`` may be the code scanned from
    the member's slip), or shipped with carrier and tracking number (both, or neither)."""
    c = mall.clean_field(carrier, "carrier", 64)
    t = mall.clean_field(tracking, "tracking", 64)
    if bool(c) != bool(t):
        raise InvalidInput("redemption.carrier_and_tracking")
    with ctx.uow() as uow:
        _member, red, item = _act(uow, ctx, actor, redemption_id, rules.FULFIL, "ship" if c else "store")
        red.carrier, red.tracking = c, t
        red.fulfilled_at = ctx.now()
        uow.session.flush()
        audit(uow, ctx, actor, "redemption.fulfil", "redemption", red.id, carrier=c, tracking=t)
        emit(uow, ctx, "redemption.fulfilled", mall.event_payload(red, item, carrier=c, tracking=t))
        result = mall.view(uow, ctx, red.id)
        uow.commit()
        return result


@use_case("redemption.receive", permission="redemption.fulfil", event="redemption.received")
def receive(ctx: ServiceContext, actor: Actor, *, redemption_id: str) -> RedemptionView:
    """The member confirms they received a fulfilled request."""
    with ctx.uow() as uow:
        _member, red, item = _act(uow, ctx, actor, redemption_id, rules.RECEIVE, "confirmed")
        red.received_at = ctx.now()
        uow.session.flush()
        audit(uow, ctx, actor, "redemption.receive", "redemption", red.id)
        emit(uow, ctx, "redemption.received", mall.event_payload(red, item, automatic=False))
        result = mall.view(uow, ctx, red.id)
        uow.commit()
        return result


@use_case("redemption.auto_receive", permission="redemption.auto", event="redemption.auto_received")
def auto_receive(ctx: ServiceContext, actor: Actor) -> int:
    """The daily job: fulfilled requests whose receipt was not confirmed within the campaign's working days
    (default 7) are received automatically (logged as the store's, not a person's). Returns how many."""
    with ctx.uow() as uow:
        pr = mall.program_rules(current_campaign(uow, ctx))
        st = settings(uow)
        today = local_date(ctx, st)
        due = [r for r in repo.mall.in_state(uow.session, PREMIUM, rules.FULFILLED)
               if r.fulfilled_at is not None
               and add_working_days(r.fulfilled_at.astimezone(st.tz).date(), pr.receive_working_days) <= today]
        if not due:
            return 0
        payloads = []
        for red in due:
            item = repo.mall.get_item(uow.session, red.item_id)
            assert item is not None
            mall.move(uow, ctx, None, red, item, rules.RECEIVE, "automatic")
            red.received_at = ctx.now()
            payloads.append(mall.event_payload(red, item, automatic=True))
        uow.session.flush()
        audit(uow, ctx, actor, "redemption.auto_receive", "redemption", due[0].id, redemptions=[r.id for r in due],
              working_days=pr.receive_working_days)
        emit(uow, ctx, "redemption.auto_received", {"redemptions": payloads})
        uow.commit()
        return len(due)


# ----------------------------------------------------------------------------- the review queue
def month_range(uow: UnitOfWork, month: str | None) -> tuple[datetime | None, datetime | None]:
    """``YYYY-MM`` as the UTC instants its first store-local day and the next month's begin."""
    if not month:
        return None, None
    try:
        first = date.fromisoformat(f"{month.strip()}-01")
    except ValueError:
        raise InvalidInput("redemption.month_invalid", month=month) from None
    _, nxt = rules.month_bounds(first)
    return mall.utc_of(first, uow), mall.utc_of(nxt, uow)


def queue(ctx: ServiceContext, actor: Actor, *, state: str | None = None, month: str | None = None,
          program: str = PREMIUM, limit: int = 500, offset: int = 0) -> list[RedemptionView]:
    """Requests newest first, filtered by state and by the store-local month they were made in (the
    manager's review queue; ``redemption list``)."""
    require(actor, "member.read")
    if state is not None and state not in rules.STATES:
        raise InvalidInput("redemption.state_invalid", state=state, allowed=", ".join(rules.STATES))
    with ctx.uow(read_only=True) as uow:
        start, end = month_range(uow, month)
        pr = mall.program_rules(current_campaign(uow, ctx))
        today = local_date(ctx, settings(uow))
        rows = repo.mall.listing(uow.session, program=program, states=[state] if state else None, start=start,
                                 end=end, limit=limit, offset=offset)
        return [mall.row_view(r, pr, today, uow) for r in rows]


def export_shipping(ctx: ServiceContext, actor: Actor, path: str | Path, *, state: str = rules.APPROVED,
                    month: str | None = None) -> Path:
    """The shipping list (XLSX or CSV by the file's suffix): the requests in ``state`` (default approved,
    to be shipped) with contact, delivery address, carrier and tracking."""
    require(actor, "redemption.review")
    rows = queue(ctx, actor, state=state, month=month, limit=100_000)
    _t = messages.translate
    headers = [_t(f"redemption.col.{c}") for c in ("code", "item", "phone", "name", "contact", "ship_to", "state",
                                                  "requested_at", "carrier", "tracking")]
    tz = ctx_tz(ctx)
    table: list[list[Any]] = [
        [r.code, r.item_name, r.phone, r.member_name or "", r.contact or "", r.ship_to or "",
         _t(f"redemption.state.{r.state}"), r.created_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"), r.carrier or "",
         r.tracking or ""] for r in rows if r.ship_to]
    return write_table(path, headers, table, title=_t("redemption.shipping_title"))


def ctx_tz(ctx: ServiceContext) -> Any:
    with ctx.uow(read_only=True) as uow:
        return settings(uow).tz
