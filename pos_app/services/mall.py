"""The points mall (积分商城): items for points (optionally points + cash) with stock, a per-member limit
and a window; an item is a gift from gift stock (reserved for pick-up), a coupon template (issued at
once) or an external redemption code (an imported list, each code given once). Redeeming takes the
points from the lots closest to expiry (services.points.take) and gives a 核销 code printed on the
redemption slip; scanning it at the counter (``mall pickup CODE``) hands the gift out from gift stock.

What the mall and premium redemption (services/redemption.py) share lives here too: the items each
campaign file defines (written to ``mall_item`` when the campaign is loaded or pulled), their stock
counters, a redemption's state moves with their log rows, and the results both return."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from pos_app.db import models as m
from pos_app.db import models_mall as mm
from pos_app.db import repo
from pos_app.db.uow import UnitOfWork
from pos_app.domain import coupons as codes
from pos_app.domain import entitlements as life
from pos_app.domain import gifts as gift_rules
from pos_app.domain import redemption as rules
from pos_app.domain.calendar import add_working_days
from pos_app.domain.campaign import GRANT_COUPON, GRANT_GIFT, Campaign, GrantedItem, field_date, field_money
from pos_app.domain.errors import InvalidInput, NotFound, StateError
from pos_app.domain.text import clean_text
from pos_app.services import grants
from pos_app.services import points as pts
from pos_app.services.campaigns import current_campaign
from pos_app.services.common import (
    audit,
    check_pay_method,
    check_request_id,
    emit,
    local_date,
    remember,
    replayed,
    require,
    settings,
)
from pos_app.services.context import Actor, ServiceContext
from pos_app.services.dto import Result
from pos_app.services.members import load_member
from pos_app.services.registry import Feature, Registrar
from pos_app.services.usecase import use_case


# ----------------------------------------------------------------------------- results
@dataclass(frozen=True)
class ItemView(Result):
    item_id: str
    program: str
    code: str
    name: str
    kind: str
    ref: str
    points: int
    cash_fen: int
    spend_fen: int
    categories: tuple[str, ...]
    value_fen: int
    quantity: int
    reserved: int
    given: int
    available: int
    threshold: int
    low: bool
    paused: bool
    limit_per_member: int
    limit_period: str
    starts_on: date | None
    ends_on: date | None
    #: for one member (None when no member was asked about)
    eligible: bool | None = None
    points_short: int = 0
    spend_short_fen: int = 0
    spent_fen: int = 0
    taken: int = 0


@dataclass(frozen=True)
class LogLine:
    from_state: str | None
    to_state: str
    event: str
    staff_code: str | None
    note: str | None
    at: datetime


@dataclass(frozen=True)
class RedemptionView(Result):
    redemption_id: str
    program: str
    item_id: str
    item_code: str
    item_name: str
    kind: str
    member_id: str
    phone: str
    member_name: str | None
    state: str
    points: int
    cash_fen: int
    #: the 核销 code in its reading form (XXXX-XXXX-XXXX-XXXX-X)
    code: str
    contact: str | None
    ship_to: str | None
    carrier: str | None
    tracking: str | None
    #: what was issued: the coupon's code, the external redemption code
    issued_code: str | None
    reason: str | None
    created_at: datetime
    reviewed_at: datetime | None
    fulfilled_at: datetime | None
    received_at: datetime | None
    #: a request not reviewed within the campaign's working days
    review_overdue: bool = False
    review_due_on: date | None = None
    #: a fulfilled request is received automatically on this day
    receive_due_on: date | None = None
    points_balance: int | None = None
    allowed: tuple[str, ...] = ()
    log: tuple[LogLine, ...] = ()


# ----------------------------------------------------------------------------- configuration
_RULES: dict[int, tuple[Campaign, rules.ProgramRules]] = {}


def program_rules(campaign: Campaign | None) -> rules.ProgramRules:
    """The campaign's mall and premium tables, parsed once per parsed campaign (campaigns.parse_rules keeps
    one object per stored rules text; the campaign is held here with its rules, so its id is not reused)."""
    if campaign is None:
        return rules.ProgramRules()
    hit = _RULES.get(id(campaign))
    if hit is not None and hit[0] is campaign:
        return hit[1]
    pr = rules.program_rules_from_dict(campaign.extra, field_money, field_date)
    if len(_RULES) > 32:
        _RULES.clear()
    _RULES[id(campaign)] = (campaign, pr)
    return pr


def validate_campaign(data: dict[str, Any]) -> None:
    rules.program_rules_from_dict(data, field_money, field_date)


def _campaign_code(data: dict[str, Any]) -> str:
    head = data.get("campaign", data)
    return str(head.get("code", "")).strip()


def on_campaign_loaded(uow: UnitOfWork, ctx: ServiceContext, actor: Actor, data: dict[str, Any]) -> None:
    """Write (or update) the campaign's mall and premium items. A quantity below what its redemptions
    already hold is refused; an external code item's stock is its imported codes."""
    pr = rules.program_rules_from_dict(data, field_money, field_date)
    ccode = _campaign_code(data)
    now = ctx.now()
    for it in (*pr.mall, *pr.premium):
        row = repo.mall.find_item(uow.session, ccode, it.program, it.code)
        fields = dict(name=it.name, kind=it.kind, ref=it.ref, points=it.points, cash_fen=it.cash_fen,
                      spend_fen=it.spend_fen, categories_json=json.dumps(list(it.categories), ensure_ascii=False),
                      value_fen=it.value_fen, threshold=it.threshold, limit_per_member=it.limit_per_member,
                      limit_period=it.limit_period, starts_on=it.starts_on, ends_on=it.ends_on)
        if row is None:
            repo.mall.add_item(uow.session, dict(id=ctx.new_id(), campaign_code=ccode, program=it.program, code=it.code,
                                                 quantity=it.quantity, reserved=0, given=0, paused=False,
                                                 created_at=now, updated_at=now, **fields))
            continue
        if it.kind != rules.KIND_CODE:
            if it.quantity < row.reserved + row.given:
                raise InvalidInput("redemption.quantity_below_used", item=it.code, quantity=it.quantity,
                                   used=row.reserved + row.given)
            row.quantity = it.quantity
        for k, v in fields.items():
            setattr(row, k, v)
        row.updated_at = now


# ----------------------------------------------------------------------------- shared internals
def running(uow: UnitOfWork, ctx: ServiceContext) -> Campaign:
    campaign = current_campaign(uow, ctx)
    if campaign is None:
        raise StateError("mall.no_campaign")
    return campaign


def item_row(uow: UnitOfWork, campaign: Campaign, program: str, code: str) -> tuple[mm.MallItem, rules.ItemRules]:
    pr = program_rules(campaign)
    it = pr.item(program, code)
    row = repo.mall.find_item(uow.session, campaign.code, program, code) if it is not None else None
    if (it is None or row is None) and program == rules.MALL:
        raise NotFound("mall.item_unknown", item=str(code))
    if it is None or row is None:
        raise NotFound("redemption.item_unknown", item=str(code))
    return row, it


def item_view(row: mm.MallItem, **member: Any) -> ItemView:
    return ItemView(
        item_id=row.id, program=row.program, code=row.code, name=row.name, kind=row.kind, ref=row.ref,
        points=row.points, cash_fen=row.cash_fen, spend_fen=row.spend_fen,
        categories=tuple(json.loads(row.categories_json or "[]")), value_fen=row.value_fen, quantity=row.quantity,
        reserved=row.reserved, given=row.given, available=rules.available(row.quantity, row.reserved, row.given),
        threshold=row.threshold, low=rules.is_low(row.quantity, row.reserved, row.given, row.threshold),
        paused=row.paused, limit_per_member=row.limit_per_member, limit_period=row.limit_period,
        starts_on=row.starts_on, ends_on=row.ends_on, **member)


def utc_of(day: date, uow: UnitOfWork) -> datetime:
    """The UTC instant the store-local ``day`` begins."""
    return datetime.combine(day, time(0), tzinfo=settings(uow).tz)


def taken_in_period(uow: UnitOfWork, ctx: ServiceContext, member_id: str, row: mm.MallItem) -> int:
    since = until = None
    if row.limit_period == rules.PER_MONTH:
        first, nxt = rules.month_bounds(local_date(ctx, settings(uow)))
        since, until = utc_of(first, uow), utc_of(nxt, uow)
    return repo.mall.taken(uow.session, member_id, row.id, rules.COUNTING, since, until)


def move(uow: UnitOfWork, ctx: ServiceContext, actor: Actor | None, red: mm.Redemption, item: mm.MallItem,
         event: str, note: str | None = None) -> str:
    """Move ``red`` by ``event`` (refused when the state machine has no such move), its item's stock
    counters with it, and log the change with who and when."""
    before = red.state
    after = rules.transition(before, event)
    dr, dg = rules.stock_delta(before, after)
    item.reserved += dr
    item.given += dg
    red.state = after
    red.updated_at = ctx.now()
    repo.mall.add_log(uow.session, [dict(id=ctx.new_id(), redemption_id=red.id, from_state=before, to_state=after,
                                         event=event, staff_id=actor.staff_id if actor else None, note=note,
                                         created_at=ctx.now())])
    return after


def release_points(uow: UnitOfWork, ctx: ServiceContext, member: m.Member, red: mm.Redemption, reason: str) -> int:
    """Give the points a request held back to the lots they came from (``release`` entries); a lot that
    has expired since expires them again at the next expiry run."""
    from pos_app.services.audit import note_move  # noqa: PLC0415

    held = [(e.lot_id, -e.delta) for e in repo.points.entries(uow.session, member.id)
            if e.ref == red.id and e.kind == "spend" and e.delta < 0]
    if not held:
        return 0
    now = ctx.now()
    rows = []
    total = 0
    for lot_id, n in held:
        lot = uow.session.get(m.PointsLot, lot_id)
        assert lot is not None
        lot.remaining += n
        total += n
        rows.append(dict(id=ctx.new_id(), member_id=member.id, lot_id=lot_id, kind="release", delta=n, ref=red.id,
                         reason=reason, created_at=now))
    repo.points.add_entries(uow.session, rows)
    note_move(uow, "points", member.id, member.points_balance, member.points_balance + total, phone=member.phone)
    member.points_balance += total
    return total


def view(uow: UnitOfWork, ctx: ServiceContext, red_id: str, *, with_log: bool = False) -> RedemptionView:
    rows = repo.mall.listing(uow.session, program=None, ids=[red_id], limit=1)
    if not rows:
        raise NotFound("redemption.unknown", redemption=red_id)
    campaign = current_campaign(uow, ctx)
    pr = program_rules(campaign)
    today = local_date(ctx, settings(uow))
    member = uow.session.get(m.Member, rows[0].member_id)
    out = row_view(rows[0], pr, today, uow, points_balance=member.points_balance if member else None)
    if with_log:
        from dataclasses import replace  # noqa: PLC0415

        out = replace(out, log=tuple(LogLine(*x) for x in repo.mall.log_of(uow.session, red_id)))
    return out


def fresh_view(red: mm.Redemption, item: mm.MallItem, member: m.Member, campaign: Campaign, today: date,
               uow: UnitOfWork) -> RedemptionView:
    """The view of a redemption a use case just wrote, from the rows in hand (no read back)."""
    from types import SimpleNamespace  # noqa: PLC0415

    r = SimpleNamespace(**repo.base.values_of(red), phone=member.phone, member_name=member.name,
                        item_code=item.code, item_name=item.name, kind=item.kind)
    return row_view(r, program_rules(campaign), today, uow, points_balance=member.points_balance)


def row_view(r: Any, pr: rules.ProgramRules, today: date, uow: UnitOfWork, **extra: Any) -> RedemptionView:
    tz = settings(uow).tz
    review_due = receive_due = None
    if r.state == rules.REQUESTED:
        review_due = add_working_days(r.created_at.astimezone(tz).date(), pr.review_working_days)
    if r.state == rules.FULFILLED and r.fulfilled_at is not None:
        receive_due = add_working_days(r.fulfilled_at.astimezone(tz).date(), pr.receive_working_days)
    issued = r.issued_ref
    if issued and r.kind == rules.KIND_COUPON:
        issued = codes.group(issued)
    return RedemptionView(
        redemption_id=r.id, program=r.program, item_id=r.item_id, item_code=r.item_code, item_name=r.item_name,
        kind=r.kind, member_id=r.member_id, phone=r.phone, member_name=r.member_name, state=r.state, points=r.points,
        cash_fen=r.cash_fen, code=codes.group(r.code), contact=r.contact, ship_to=r.ship_to, carrier=r.carrier,
        tracking=r.tracking, issued_code=issued, reason=r.reason, created_at=r.created_at, reviewed_at=r.reviewed_at,
        fulfilled_at=r.fulfilled_at, received_at=r.received_at,
        review_overdue=review_due is not None and today > review_due, review_due_on=review_due,
        receive_due_on=receive_due, allowed=rules.allowed_events(r.state), **extra)


def find_redemption(uow: UnitOfWork, ref: str, *, program: str | None = None) -> mm.Redemption:
    """A redemption by its id, or by its 核销 code as typed or scanned."""
    text = str(ref or "").strip()
    red = repo.mall.get(uow.session, text) if text else None
    if red is None:
        try:
            red = repo.mall.by_code(uow.session, codes.parse_code(text))
        except InvalidInput:
            raise NotFound("redemption.unknown", redemption=text) from None
    if red is None or (program is not None and red.program != program):
        raise NotFound("redemption.unknown", redemption=text)
    return red


def new_code(uow: UnitOfWork, ctx: ServiceContext) -> str:
    """A fresh 核销 code: 80 random bits and a check character (a repeat is as unlikely as a coupon's, and
    the unique constraint refuses it)."""
    return codes.new_code(ctx.randbits)


def event_payload(red: mm.Redemption, item: mm.MallItem, **extra: Any) -> dict[str, Any]:
    return {"redemption_id": red.id, "program": red.program, "item_id": item.id, "item_code": item.code,
            "member_id": red.member_id, "state": red.state, "points": red.points, "cash_fen": red.cash_fen,
            "reserved": item.reserved, "given": item.given, "quantity": item.quantity, **extra}


# ----------------------------------------------------------------------------- reads
def items(ctx: ServiceContext, actor: Actor, *, program: str = rules.MALL, phone: str | None = None,
          member_id: str | None = None) -> list[ItemView]:
    """The running campaign's items of ``program`` with their stock; with a member, what they may redeem
    and how far they are from each item (points short; for premium items by spend, the spend short)."""
    require(actor, "member.read")
    with ctx.uow(read_only=True) as uow:
        campaign = current_campaign(uow, ctx)
        if campaign is None:
            return []
        pr = program_rules(campaign)
        wanted = {i.code.casefold(): i for i in (pr.mall if program == rules.MALL else pr.premium)}
        rows = [r for r in repo.mall.items(uow.session, campaign.code, program) if r.code.casefold() in wanted]
        if phone is None and member_id is None:
            return [item_view(r) for r in rows]
        member = load_member(uow, phone=phone, member_id=member_id)
        today = local_date(ctx, settings(uow))
        balance = points_balance(uow, member.id, today)
        spent_cache: dict[tuple[str, ...], int] = {}
        out = []
        for r in rows:
            it = wanted[r.code.casefold()]
            spent = 0
            if it.by_spend:
                key = it.categories
                if key not in spent_cache:
                    spent_cache[key] = spent_in_window(uow, member.id, campaign, it, today)
                spent = spent_cache[key]
            el = rules.eligibility(it, balance, spent)
            out.append(item_view(r, eligible=el.eligible, points_short=el.points_short,
                                 spend_short_fen=el.spend_short_fen, spent_fen=spent,
                                 taken=taken_in_period(uow, ctx, member.id, r)))
        return out


def points_balance(uow: UnitOfWork, member_id: str, today: date) -> int:
    from pos_app.domain import points as point_rules  # noqa: PLC0415

    lots = [point_rules.PointsLot(x.id, x.earned_at.date(), x.expires_on, x.remaining)
            for x in repo.points.lots(uow.session, member_id)]
    return point_rules.available_points(lots, today)


def spent_in_window(uow: UnitOfWork, member_id: str, campaign: Campaign, it: rules.ItemRules, today: date) -> int:
    """What the member actually paid (after member prices, discounts and coupons, without the stored-value
    bonus part; returns taken off) in the item's categories within the campaign window (to today)."""
    start = utc_of(it.starts_on or campaign.starts_on, uow)
    from datetime import timedelta  # noqa: PLC0415

    end = utc_of(min(it.ends_on or campaign.ends_on, today) + timedelta(days=1), uow)
    lines = [rules.PaidLine(c, int(a), int(t), int(p), int(ret))
             for c, a, t, p, ret in repo.mall.sale_lines(uow.session, member_id, start, end)]
    return rules.spent_in(lines, it.categories)


def get(ctx: ServiceContext, actor: Actor, ref: str) -> RedemptionView:
    """One redemption by its id or 核销 code, with its change log."""
    require(actor, "member.read")
    with ctx.uow(read_only=True) as uow:
        return view(uow, ctx, find_redemption(uow, ref).id, with_log=True)


def member_redemptions(ctx: ServiceContext, actor: Actor, *, phone: str | None = None, member_id: str | None = None,
                       program: str | None = None) -> list[RedemptionView]:
    require(actor, "member.read")
    with ctx.uow(read_only=True) as uow:
        member = load_member(uow, phone=phone, member_id=member_id)
        pr = program_rules(current_campaign(uow, ctx))
        today = local_date(ctx, settings(uow))
        return [row_view(r, pr, today, uow) for r in repo.mall.listing(uow.session, program=program,
                                                                       member_id=member.id, limit=200)]


# ----------------------------------------------------------------------------- redeem
@use_case("mall.redeem", permission="mall.redeem", event="mall.redeemed", idempotent=True)
def redeem(
    ctx: ServiceContext, actor: Actor, *, item: str, phone: str | None = None, member_id: str | None = None,
    code: str | None = None, pay_method: str | None = None, request_id: str | None = None,
) -> RedemptionView:
    """Redeem a mall item for the member: the points leave the lots closest to expiry; a coupon is issued
    and an external code given at once, a gift is reserved for pick-up (owed from gift stock until the
    slip's code is scanned). The result carries the 核销 code for the slip."""
    request_id = check_request_id(request_id, ctx)
    params = {"item": item, "phone": phone, "member_id": member_id, "code": code, "pay": pay_method}
    with ctx.uow() as uow:
        s = uow.session
        done = replayed(uow, request_id, "mall.redeem", params)
        if done is not None:
            return view(uow, ctx, done)
        member = load_member(uow, phone=phone, member_id=member_id, code=code)
        campaign = running(uow, ctx)
        row, it = item_row(uow, campaign, rules.MALL, item)
        today = local_date(ctx, settings(uow))
        rules.check_window(it, campaign.starts_on, campaign.ends_on, today)
        rules.check_stock(row.name, row.quantity, row.reserved, row.given, row.paused)
        if it.limit_per_member:
            rules.check_limit(it, taken_in_period(uow, ctx, member.id, row))
        pay = None
        if row.cash_fen:
            if not pay_method:
                raise InvalidInput("mall.pay_required", item=row.name, cash=row.cash_fen)
            pay = check_pay_method(pay_method)
        rid = ctx.new_id()
        if row.points:
            pts.take(uow, ctx, member, row.points, kind="spend", ref=rid, today=today, reason="mall")
        state = rules.ISSUED
        entitlement_id = issued = None
        if row.kind == rules.KIND_CODE:
            free = repo.mall.free_code(s, row.id)
            if free is None:
                raise StateError("redemption.out_of_stock", item=row.name)
            free.redemption_id = rid
            issued = free.code
        else:
            kind = GRANT_COUPON if row.kind == rules.KIND_COUPON else GRANT_GIFT
            granted = grants.grant_items(uow, ctx, actor, member, [GrantedItem(kind, row.ref, row.name, 1, row.value_fen,
                                                                              "mall")], today=today, campaign=campaign)
            e = granted[0]
            entitlement_id = e.id
            if row.kind == rules.KIND_COUPON:
                issued = e.issued_ref and grants.coupon_codes(uow, granted).get(e.issued_ref)
                issued = codes.normalize(issued) if issued else e.issued_ref
            else:
                state = rules.RESERVED
        dr, dg = rules.stock_delta(None, state)
        row.reserved += dr
        row.given += dg
        now = ctx.now()
        values = dict(
            id=rid, request_id=request_id, program=rules.MALL, item_id=row.id, member_id=member.id, state=state,
            points=row.points, cash_fen=row.cash_fen, pay_method=pay, code=new_code(uow, ctx), contact=member.phone,
            ship_to=None, carrier=None, tracking=None, entitlement_id=entitlement_id, issued_ref=issued, reason=None,
            staff_id=actor.staff_id, created_at=now, updated_at=now, reviewed_at=None, fulfilled_at=None,
            received_at=None)
        repo.mall.add_redemption(s, values)
        repo.mall.add_log(s, [dict(id=ctx.new_id(), redemption_id=rid, from_state=None, to_state=state, event="redeem",
                                   staff_id=actor.staff_id, note=None, created_at=now)])
        remember(uow, ctx, request_id, "mall.redeem", rid, params)
        audit(uow, ctx, actor, "mall.redeem", "redemption", rid, item=row.code, member_id=member.id,
              points=row.points, cash_fen=row.cash_fen, state=state)
        red = repo.base.copy_of(mm.Redemption, values)
        emit(uow, ctx, "mall.redeemed", event_payload(red, row, entitlement_id=entitlement_id, pay_method=pay))
        result = fresh_view(red, row, member, campaign, today, uow)
        uow.commit()
        return result


@use_case("mall.pickup", permission="gift.handout", event="mall.picked_up", idempotent=True)
def pickup(ctx: ServiceContext, actor: Actor, *, code: str, request_id: str | None = None) -> RedemptionView:
    """The member shows the slip: the reserved gift is handed out from gift stock (a "handout" movement)
    and the redemption is picked up. Refused when the code is not a mall gift waiting for pick-up."""
    from pos_app.services.gifts.common import find_item, movement_event, post_movement  # noqa: PLC0415

    request_id = check_request_id(request_id, ctx)
    params = {"code": str(code).strip()}
    with ctx.uow() as uow:
        s = uow.session
        done = replayed(uow, request_id, "mall.pickup", params)
        if done is not None:
            return view(uow, ctx, done)
        red = find_redemption(uow, code, program=rules.MALL)
        item = repo.mall.get_item(s, red.item_id)
        assert item is not None
        if red.state != rules.RESERVED:
            raise StateError("mall.not_waiting", code=codes.group(red.code), state=red.state)
        e = s.get(m.Entitlement, red.entitlement_id) if red.entitlement_id else None
        movement = None
        moved: list[dict[str, Any]] = []
        if e is not None and life.allowed(e.state, life.HAND_OUT):
            gift = find_item(uow, e.ref)
            mv = post_movement(uow, ctx, actor, gift, gift_rules.HANDOUT, -1, request_id, member_id=red.member_id,
                               entitlement_id=e.id, reason="mall")
            e.state = life.transition(e.state, life.HAND_OUT)
            e.issued_ref = mv.id
            e.updated_at = ctx.now()
            movement = mv.id
            moved.append(movement_event(mv, actor))
        elif e is None or e.state not in (life.HANDED_OUT, life.KEPT):
            raise StateError("mall.not_waiting", code=codes.group(red.code), state=e.state if e else red.state)
        move(uow, ctx, actor, red, item, rules.PICK_UP, note=movement)
        s.flush()
        remember(uow, ctx, request_id, "mall.pickup", red.id, params)
        audit(uow, ctx, actor, "mall.pickup", "redemption", red.id, item=item.code, movement_id=movement)
        # the gift's stock movement, as a hand-out's event carries it (central keeps the stores' gift stock)
        emit(uow, ctx, "mall.picked_up", event_payload(red, item, movement_id=movement, sku=e.ref if e else None,
                                                       movements=moved))
        result = view(uow, ctx, red.id)
        uow.commit()
        return result


@use_case("mall.import_codes", permission="redemption.manage", event="mall.codes_imported")
def import_codes(ctx: ServiceContext, actor: Actor, *, item: str, codes_in: list[str]) -> ItemView:
    """Add external redemption codes (one per entry; blanks skipped, a code already imported refused) to a
    code item of the running campaign's mall; each adds one to its stock."""
    cleaned = [str(c).strip() for c in codes_in if str(c).strip()]
    if not cleaned:
        raise InvalidInput("mall.codes_empty")
    for c in cleaned:
        if len(c) > 128 or any(ch.isspace() for ch in c):
            raise InvalidInput("mall.code_invalid", code=c[:40])
    dup = next((c for c in cleaned if cleaned.count(c) > 1), None)
    if dup is not None:
        raise InvalidInput("mall.code_repeated", code=dup)
    with ctx.uow() as uow:
        campaign = running(uow, ctx)
        row, _it = item_row(uow, campaign, rules.MALL, item)
        if row.kind != rules.KIND_CODE:
            raise StateError("mall.not_code_item", item=row.name)
        known = repo.mall.known_codes(uow.session, row.id, cleaned)
        if known:
            raise InvalidInput("mall.code_repeated", code=sorted(known)[0])
        now = ctx.now()
        repo.mall.add_codes(uow.session, [dict(id=ctx.new_id(), item_id=row.id, code=c, redemption_id=None,
                                               imported_at=now) for c in cleaned])
        row.quantity += len(cleaned)
        row.updated_at = now
        audit(uow, ctx, actor, "mall.import_codes", "mall_item", row.id, item=row.code, count=len(cleaned))
        emit(uow, ctx, "mall.codes_imported", {"item_id": row.id, "item_code": row.code, "count": len(cleaned),
                                              "quantity": row.quantity})
        result = item_view(row)
        uow.commit()
        return result


@use_case("redemption.pause", permission="redemption.manage", event="redemption.item_paused")
def set_paused(ctx: ServiceContext, actor: Actor, *, item: str, paused: bool, program: str = rules.PREMIUM) -> ItemView:
    """Pause an item (no new redemptions or requests; those made go on) or resume it (stock risk)."""
    with ctx.uow() as uow:
        campaign = running(uow, ctx)
        row, _it = item_row(uow, campaign, program, item)
        if row.paused and paused:
            raise StateError("redemption.already_paused", item=row.name)
        if not row.paused and not paused:
            raise StateError("redemption.not_paused", item=row.name)
        row.paused = paused
        row.updated_at = ctx.now()
        audit(uow, ctx, actor, "redemption.pause", "mall_item", row.id, item=row.code, paused=paused)
        emit(uow, ctx, "redemption.item_paused", {"item_id": row.id, "item_code": row.code, "paused": paused})
        result = item_view(row)
        uow.commit()
        return result


def low_stock(ctx: ServiceContext, actor: Actor) -> list[ItemView]:
    """The running campaign's items at or below their low-stock threshold (the managers' alert)."""
    require(actor, "member.read")
    out = [i for p in (rules.MALL, rules.PREMIUM) for i in items(ctx, actor, program=p)]
    return [i for i in out if i.low]


def clean_field(text: str | None, field: str, max_chars: int) -> str | None:
    return clean_text(text, field=field, max_chars=max_chars)


# ----------------------------------------------------------------------------- doctor, demo, the feature
def doctor_checks(uow: UnitOfWork) -> list[Any]:
    from pos_app.services.doctor import Check  # noqa: PLC0415

    counts = repo.mall.state_counts(uow.session)
    code_counts = repo.mall.code_counts(uow.session)
    bad = []
    for it in repo.mall.all_items(uow.session):
        reserved = sum(n for (iid, st), n in counts.items() if iid == it.id and st in rules.RESERVING)
        given = sum(n for (iid, st), n in counts.items() if iid == it.id and st in rules.GIVEN)
        ok = (it.reserved, it.given) == (reserved, given) and rules.available(it.quantity, it.reserved, it.given) >= 0
        if it.kind == rules.KIND_CODE:
            imported, used = code_counts.get(it.id, (0, 0))
            ok = ok and imported == it.quantity and used == it.given
        if not ok:
            bad.append(it.code)
    return [Check("mall_stock_equals_redemptions", not bad, ", ".join(bad[:5]))]


#: the demo mall's external codes (a video site's monthly membership, say)
DEMO_CODES = tuple(f"VIP-DEMO-{i:04d}" for i in range(1, 21))


def load_demo_data(ctx: ServiceContext, actor: Actor) -> None:
    """The demo campaign's external-code item gets its imported list (once the campaign is loaded)."""
    with ctx.uow(read_only=True) as uow:
        campaign = current_campaign(uow, ctx)
        if campaign is None:
            return
        targets = [r.code for r in repo.mall.items(uow.session, campaign.code, rules.MALL)
                   if r.kind == rules.KIND_CODE and r.quantity == 0]
    for code in targets:
        import_codes(ctx, actor, item=code, codes_in=[f"{code}-{c}" for c in DEMO_CODES])


def load_demo_redemptions(ctx: ServiceContext, manager: Actor, cashier: Actor, phones: set[str]) -> None:
    """The demo's members have redeemed: a gift waiting for pick-up and a Moutai request waiting for the
    manager's review (the member's points for it are a demo adjustment, in their history), once."""
    phone = "15000150000"
    with ctx.uow(read_only=True) as uow:
        campaign = current_campaign(uow, ctx)
        if phone not in phones or campaign is None or repo.mall.listing(uow.session, program=None, limit=1):
            return
        pr = program_rules(campaign)
    if pr.item(rules.PREMIUM, "MOUTAI-500") is None or pr.item(rules.MALL, "M-TOY") is None:
        return
    pts.adjust(ctx, manager, phone=phone, points=3500, reason="演示：兑换活动积分", request_id="demo-pts-redeem")
    redeem(ctx, cashier, item="M-TOY", phone=phone, request_id="demo-mall-1")
    from pos_app.services import redemption  # noqa: PLC0415  (it builds on this module)

    redemption.request(ctx, cashier, item="MOUTAI-500", phone=phone, ship_to="上海市徐汇区漕溪北路 88 号",
                       request_id="demo-redeem-1")


def register(reg: Registrar) -> None:
    """The mall and premium redemption: the campaign file's items are checked when it is loaded and
    written with it; the doctor checks each item's stock against its redemptions; the demo imports codes."""
    reg.campaign_validate.append(validate_campaign)
    reg.campaign_loaded.append(on_campaign_loaded)
    reg.doctor_checks.append(doctor_checks)
    reg.demo_data.append(load_demo_data)


FEATURE = Feature("mall", register)
