"""The provably fair lucky wheel (抽奖大转盘): publish (lock the prize table, commit to SHA-256(seed)),
draw (points or a ticket; outcome = HMAC-SHA256(seed, "draw_id:nonce") mapped to the table in force;
every draw logged), close (reveal the seed), verify (recompute every draw from the log). See docs/wheel.md."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pos_app.db import models_points as mp
from pos_app.db import repo
from pos_app.db.uow import UnitOfWork
from pos_app.domain import coupons as codes
from pos_app.domain import wheel as rules
from pos_app.domain.campaign import GrantedItem, points_rules
from pos_app.domain.errors import NotFound, StateError
from pos_app.services import grants
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
from pos_app.services.dto import Result
from pos_app.services.members import load_member
from pos_app.services.usecase import use_case


# ----------------------------------------------------------------------------- results
@dataclass(frozen=True)
class PrizeView:
    code: str
    tier: str
    name: str
    kind: str
    value_fen: int
    points: int
    weight: int
    quantity: int
    left: int
    #: the chance on the next draw, in basis points (rounded), and exactly as a fraction "n/d"
    chance_bp: int
    chance: str


@dataclass(frozen=True)
class WheelView(Result):
    wheel_id: str
    code: str
    campaign_code: str
    name: str
    state: str
    cost_points: int
    commitment: str
    #: the seed, revealed once the wheel is closed ("" before)
    seed: str
    draws: int
    claim_days: int
    claim_note: str
    top_prize_cap_fen: int
    prizes: tuple[PrizeView, ...]


@dataclass(frozen=True)
class DrawResult(Result):
    draw_id: str
    seq: int
    member_id: str
    phone: str
    prize_code: str
    prize_name: str
    tier: str
    kind: str
    value_fen: int
    prize_points: int
    cost_points: int
    ticket_used: bool
    nonce: str
    digest: str
    claim_code: str
    points_balance: int
    created_at: datetime
    wheel_name: str
    claim_days: int
    #: quantities left after the draw, by prize code
    left: dict[str, int]


@dataclass(frozen=True)
class VerifyResult:
    wheel_id: str
    ok: bool
    draws: int
    #: [{"seq", "draw_id", "reason"}]: the draws that do not recompute, and why
    mismatches: tuple[dict[str, Any], ...]


# ----------------------------------------------------------------------------- helpers
def _slots(prizes: list[mp.WheelPrize]) -> tuple[rules.Slot, ...]:
    return tuple(rules.Slot(p.code, p.weight, p.quantity - p.won) for p in prizes)


def _slots_json(slots: tuple[rules.Slot, ...]) -> str:
    return json.dumps([[s.code, s.weight, s.left] for s in slots], ensure_ascii=False)


def _slots_of(text: str) -> tuple[rules.Slot, ...]:
    return tuple(rules.Slot(str(c), int(w), int(n)) for c, w, n in json.loads(text))


def _view(uow: UnitOfWork, w: mp.Wheel) -> WheelView:
    prizes = repo.wheel.prizes(uow.session, w.id)
    odds = rules.probabilities(_slots(prizes))
    return WheelView(
        wheel_id=w.id, code=w.code, campaign_code=w.campaign_code, name=w.name, state=w.state,
        cost_points=w.cost_points, commitment=w.commitment, seed=w.seed_hex if w.state == rules.CLOSED else "",
        draws=w.draws, claim_days=w.claim_days, claim_note=w.claim_note, top_prize_cap_fen=w.top_prize_cap_fen,
        prizes=tuple(
            PrizeView(p.code, p.tier, p.name, p.kind, p.value_fen, p.points, p.weight, p.quantity, p.quantity - p.won,
                      round(odds[p.code] * 10_000), f"{odds[p.code].numerator}/{odds[p.code].denominator}")
            for p in prizes),
    )


def _configured(uow: UnitOfWork, ctx: ServiceContext) -> tuple[str, rules.WheelRules]:
    campaign = current_campaign(uow, ctx)
    cfg = points_rules(campaign).wheel
    if campaign is None or cfg is None:
        raise StateError("wheel.not_configured")
    return campaign.code, cfg


def _current(uow: UnitOfWork, ctx: ServiceContext, *, for_update: bool = False) -> mp.Wheel:
    """The wheel of the campaign running today (published or closed)."""
    campaign = current_campaign(uow, ctx)
    cfg = points_rules(campaign).wheel
    w = None
    if campaign is not None and cfg is not None:
        w = repo.wheel.find(uow.session, campaign.code, cfg.code, for_update=for_update)
    if w is None:
        raise StateError("wheel.not_published")
    return w


def _any_wheel(uow: UnitOfWork, ctx: ServiceContext) -> mp.Wheel:
    try:
        return _current(uow, ctx)
    except StateError:
        w = repo.wheel.latest(uow.session)
        if w is None:
            raise
        return w


# ----------------------------------------------------------------------------- reads
def prizes(ctx: ServiceContext, actor: Actor) -> WheelView:
    """The published wheel as disclosed: prizes, values, quantities left, the chances now, the commitment."""
    require(actor, "member.read")
    with ctx.uow(read_only=True) as uow:
        return _view(uow, _any_wheel(uow, ctx))


def verify(ctx: ServiceContext, actor: Actor, *, seed_hex: str | None = None) -> VerifyResult:
    """Recompute every draw of the wheel from its log with the revealed seed (or ``seed_hex``)."""
    require(actor, "member.read")
    with ctx.uow(read_only=True) as uow:
        w = _any_wheel(uow, ctx)
        if seed_hex is None:
            if w.state != rules.CLOSED:
                raise StateError("wheel.not_closed")
            seed_hex = w.seed_hex
        try:
            seed = bytes.fromhex(seed_hex)
        except ValueError:
            raise StateError("wheel.seed_invalid") from None
        prizes_ = repo.wheel.prizes(uow.session, w.id)
        initial = tuple(rules.Slot(p.code, p.weight, p.initial_quantity) for p in prizes_)
        log = [rules.LoggedDraw(d.seq, d.id, d.nonce, d.digest_hex, d.prize_code, _slots_of(d.table_json),
                                _slots_of(d.left_json)) for d in repo.wheel.draws(uow.session, w.id)]
        bad = rules.verify(seed, w.commitment, initial, log)
        return VerifyResult(w.id, not bad, len(log),
                            tuple({"seq": x.seq, "draw_id": x.draw_id, "reason": x.reason} for x in bad))


# ----------------------------------------------------------------------------- publish / close
@use_case("wheel.publish", permission="wheel.manage", event="wheel.published")
def publish(ctx: ServiceContext, actor: Actor) -> WheelView:
    """Publish the running campaign's wheel: lock its prize table and commit to SHA-256 of a fresh secret
    seed. Publishing again after a change to the campaign's wheel applies it only when it is in the
    members' favour (more quantity); anything else is refused."""
    with ctx.uow() as uow:
        campaign_code, cfg = _configured(uow, ctx)
        rules.check_cap(cfg)
        w = repo.wheel.find(uow.session, campaign_code, cfg.code)
        if w is None:
            seed = ctx.randbits(256).to_bytes(32, "big")
            wid = ctx.new_id()
            commit = rules.commitment(seed)
            repo.wheel.add_wheel(uow.session, dict(
                id=wid, code=cfg.code, campaign_code=campaign_code, name=cfg.name, state=rules.PUBLISHED,
                cost_points=cfg.cost_points, top_prize_cap_fen=cfg.top_prize_cap_fen, claim_days=cfg.claim_days,
                claim_note=cfg.claim_note, commitment=commit, seed_hex=seed.hex(), draws=0,
                published_at=ctx.now(), closed_at=None,
            ), [dict(id=ctx.new_id(), wheel_id=wid, position=i, code=p.code, tier=p.tier, name=p.name, kind=p.kind,
                     ref=p.ref, points=p.points, value_fen=p.value_fen, weight=p.weight, initial_quantity=p.quantity,
                     quantity=p.quantity, won=0) for i, p in enumerate(cfg.prizes)])
            w = repo.wheel.find(uow.session, campaign_code, cfg.code)
            assert w is not None
            added: dict[str, int] = {}
        else:
            if w.state != rules.PUBLISHED:
                raise StateError("wheel.closed")
            rows = repo.wheel.prizes(uow.session, w.id)
            locked = [rules.Prize(p.code, p.tier, p.name, p.kind, p.ref, p.points, p.value_fen, p.weight, p.quantity)
                      for p in rows]
            if cfg.cost_points > w.cost_points:
                raise StateError("wheel.locked")
            added = rules.check_amendment(locked, cfg.prizes)
            if not added and cfg.cost_points == w.cost_points:
                raise StateError("wheel.unchanged")
            for p in rows:
                p.quantity += added.get(p.code, 0)
            w.cost_points = cfg.cost_points
        view = _view(uow, w)
        audit(uow, ctx, actor, "wheel.publish", "wheel", w.id, commitment=w.commitment, added=added)
        emit(uow, ctx, "wheel.published", {
            "wheel_id": w.id, "code": w.code, "campaign_code": w.campaign_code, "commitment": w.commitment,
            "cost_points": w.cost_points, "added": added,
            "prizes": [{"code": p.code, "tier": p.tier, "name": p.name, "kind": p.kind, "value_fen": p.value_fen,
                        "weight": p.weight, "quantity": p.quantity} for p in view.prizes]})
        uow.commit()
        return view


@use_case("wheel.close", permission="wheel.manage", event="wheel.closed")
def close(ctx: ServiceContext, actor: Actor) -> WheelView:
    """Close the wheel: no more draws; the seed is revealed so anyone can recompute every draw."""
    with ctx.uow() as uow:
        w = _current(uow, ctx)
        if w.state == rules.CLOSED:
            raise StateError("wheel.closed")
        w.state = rules.CLOSED
        w.closed_at = ctx.now()
        view = _view(uow, w)
        audit(uow, ctx, actor, "wheel.close", "wheel", w.id, draws=w.draws)
        emit(uow, ctx, "wheel.closed", {"wheel_id": w.id, "seed": w.seed_hex, "commitment": w.commitment,
                                        "draws": w.draws})
        uow.commit()
        return view


# ----------------------------------------------------------------------------- draw
@use_case("wheel.draw", permission="wheel.draw", event="wheel.drawn", idempotent=True)
def draw(
    ctx: ServiceContext, actor: Actor, *, phone: str | None = None, code: str | None = None,
    member_id: str | None = None, use_ticket: bool | None = None, request_id: str | None = None,
) -> DrawResult:
    """One draw for the member: a ticket if they hold one (or ``use_ticket``), else the wheel's points
    cost; the prize is the one the draw's HMAC maps to in the table in force (docs/wheel.md), paid at once
    (points), issued (coupon), reserved or owed (gift) or held against the claim code (virtual)."""
    request_id = check_request_id(request_id, ctx)
    params = {"phone": phone, "code": code, "member_id": member_id, "use_ticket": use_ticket}
    with ctx.uow() as uow:
        s = uow.session
        done = replayed(uow, request_id, "wheel.draw", params)
        if done is not None:
            return _draw_result(uow, done)
        mm = load_member(uow, phone=phone, code=code, member_id=member_id)
        w = _current(uow, ctx, for_update=True)
        if w.state != rules.PUBLISHED:
            raise StateError("wheel.closed")
        rows = repo.wheel.prizes(s, w.id)
        table = _slots(rows)
        if not rules.in_force(table):
            raise StateError("wheel.sold_out")
        today = local_date(ctx, settings(uow))
        draw_id = ctx.new_id()
        ticket = None
        if use_ticket is not False:
            ticket = repo.points.open_ticket(s, mm.id)
            if ticket is None and use_ticket:
                raise StateError("wheel.no_ticket")
        cost = 0
        if ticket is not None:
            ticket.used_draw_id = draw_id
        elif w.cost_points:
            cost = w.cost_points
            pts.take(uow, ctx, mm, cost, kind="spend", ref=draw_id, today=today, reason="wheel")
        nonce = f"{ctx.randbits(64):016x}"
        digest = rules.draw_digest(bytes.fromhex(w.seed_hex), draw_id, nonce)
        won = rules.pick(digest, table)
        left = rules.after(table, won)
        prize = next(p for p in rows if p.code == won)
        prize.won += 1
        if prize.won > prize.quantity:
            raise StateError("wheel.sold_out")  # a last guard: the table in force never offers a gone prize
        w.draws += 1
        claim = codes.new_code(ctx.randbits)
        repo.wheel.add_draw(s, dict(
            id=draw_id, request_id=request_id, wheel_id=w.id, seq=w.draws, member_id=mm.id, cost_points=cost,
            ticket_id=ticket.id if ticket else None, nonce=nonce, digest_hex=digest.hex(), prize_code=won,
            table_json=_slots_json(table), left_json=_slots_json(left), claim_code=claim, staff_id=actor.staff_id,
            created_at=ctx.now()))
        campaign = current_campaign(uow, ctx)
        if prize.kind == rules.PRIZE_POINTS:
            pts.earn(uow, ctx, mm, prize.points, source="wheel", ref=draw_id, expires_on=pts.expiry_for(campaign, today))
        elif prize.kind in (rules.PRIZE_COUPON, rules.PRIZE_GIFT):
            grants.grant_items(uow, ctx, actor, mm, [GrantedItem(prize.kind, prize.ref, prize.name, 1, prize.value_fen,
                                                                 "prize")], today=today, campaign=campaign)
        remember(uow, ctx, request_id, "wheel.draw", draw_id, params)
        audit(uow, ctx, actor, "wheel.draw", "wheel_draw", draw_id, wheel_id=w.id, seq=w.draws, member_id=mm.id,
              prize=won, cost_points=cost, ticket=ticket.id if ticket else None)
        if prize.kind == rules.PRIZE_VIRTUAL:  # after the draw's audit row: theirs must not take its figures
            for handler in ctx.registry.on_prize:  # e.g. a level-upgrade voucher (services/levels.py)
                handler(uow, ctx, actor, mm, prize.ref, draw_id)
        emit(uow, ctx, "wheel.drawn", {
            "draw_id": draw_id, "wheel_id": w.id, "seq": w.draws, "member_id": mm.id, "cost_points": cost,
            "ticket_id": ticket.id if ticket else None, "nonce": nonce, "digest": digest.hex(), "prize_code": won,
            "prize_kind": prize.kind, "value_fen": prize.value_fen, "left": {x.code: x.left for x in left}})
        result = _result(w, prize, mm.id, mm.phone, mm.points_balance, draw_id, w.draws, cost, ticket is not None,
                         nonce, digest.hex(), claim, ctx.now(), left)
        uow.commit()
        return result


def _result(w: mp.Wheel, prize: mp.WheelPrize, member_id: str, phone: str, balance: int, draw_id: str, seq: int,
            cost: int, ticket: bool, nonce: str, digest: str, claim: str, at: datetime,
            left: tuple[rules.Slot, ...]) -> DrawResult:
    return DrawResult(
        draw_id=draw_id, seq=seq, member_id=member_id, phone=phone, prize_code=prize.code, prize_name=prize.name,
        tier=prize.tier, kind=prize.kind, value_fen=prize.value_fen, prize_points=prize.points, cost_points=cost,
        ticket_used=ticket, nonce=nonce, digest=digest, claim_code=codes.group(claim), points_balance=balance,
        created_at=at, wheel_name=w.name, claim_days=w.claim_days, left={x.code: x.left for x in left})


def _draw_result(uow: UnitOfWork, draw_id: str) -> DrawResult:
    d = repo.wheel.get_draw(uow.session, draw_id)
    if d is None:
        raise NotFound("wheel.draw_unknown", draw_id=draw_id)
    w = uow.session.get(mp.Wheel, d.wheel_id)
    assert w is not None
    prize = next(p for p in repo.wheel.prizes(uow.session, w.id) if p.code == d.prize_code)
    mm = load_member(uow, member_id=d.member_id)
    return _result(w, prize, mm.id, mm.phone, mm.points_balance, d.id, d.seq, d.cost_points, d.ticket_id is not None,
                   d.nonce, d.digest_hex, d.claim_code, d.created_at, _slots_of(d.left_json))


def get_draw(ctx: ServiceContext, actor: Actor, draw_id: str) -> DrawResult:
    require(actor, "member.read")
    with ctx.uow(read_only=True) as uow:
        return _draw_result(uow, draw_id)
