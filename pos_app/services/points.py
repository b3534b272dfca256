"""The points platform (积分平台): lots earned from several sources, spending closest-to-expiry first,
a manager's adjustments with a reason, the daily check-in (签到) with streaks, and the member's points
history (every change with its source and reason).

Expiry is ``wallet.expire_points`` (``points expire``), run at start and daily by the counter app's jobs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from pos_app.db import models as m
from pos_app.db import repo
from pos_app.db.uow import UnitOfWork
from pos_app.domain import points as rules
from pos_app.domain.calendar import add_months
from pos_app.domain.campaign import Campaign, points_rules
from pos_app.domain.errors import StateError
from pos_app.services.audit import note_move
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
from pos_app.services.registry import Feature, Registrar
from pos_app.services.usecase import use_case


# ----------------------------------------------------------------------------- results
@dataclass(frozen=True)
class PointsSummary(Result):
    member_id: str
    phone: str
    points_balance: int
    expiring_30_days: int
    tickets: int
    last_checkin: date | None
    streak: int
    #: purchase points not yet spendable (the campaign's ``[points.pending]``)
    points_pending: int = 0


@dataclass(frozen=True)
class PointsLine:
    at: datetime
    kind: str  # earn | spend | expire | revoke | adjust
    points: int  # + earned, - left
    source: str  # recharge | checkin | wheel | adjust | ...
    ref: str | None  # the recharge, check-in, draw or adjustment id
    reason: str | None
    expires_on: date | None
    #: a pending lot: the day its points become spendable
    available_on: date | None = None


@dataclass(frozen=True)
class AdjustResult(Result):
    adjustment_id: str
    member_id: str
    phone: str
    points: int
    reason: str
    points_balance: int


@dataclass(frozen=True)
class CheckinResult(Result):
    checkin_id: str
    member_id: str
    phone: str
    day: date
    streak: int
    points: int
    bonus_points: int
    tickets: int
    points_balance: int


# ----------------------------------------------------------------------------- shared by the wheel
def expiry_for(campaign: Campaign | None, today: date) -> date:
    return add_months(today, campaign.points_expiry_months if campaign else 12)


def earn(
    uow: UnitOfWork, ctx: ServiceContext, member: m.Member, points: int, *, source: str, ref: str | None,
    expires_on: date, reason: str | None = None,
) -> dict[str, Any]:
    """A new lot (the earning's record: its source, ref and reason); the cached balance moves with it."""
    if points <= 0:
        raise StateError("points.invalid", points=points)
    lot: dict[str, Any] = dict(
        id=ctx.new_id(), member_id=member.id, source=source, points=points, remaining=points,
        earned_at=ctx.now(), expires_on=expires_on, recharge_id=None, ref=ref, reason=reason,
    )
    repo.points.add_lot(uow.session, lot)
    note_move(uow, "points", member.id, member.points_balance, member.points_balance + points, phone=member.phone)
    member.points_balance += points
    return lot


def take(
    uow: UnitOfWork, ctx: ServiceContext, member: m.Member, points: int, *, kind: str, ref: str | None,
    today: date, reason: str | None = None,
) -> list[rules.PointsTake]:
    """Take ``points`` from the member's usable lots, closest to expiry first (domain.points.spend_points);
    one ledger row per lot touched."""
    lots = repo.points.usable_lots(uow.session, member.id, today)
    takes = rules.spend_points(
        [rules.PointsLot(x.id, x.earned_at.date(), x.expires_on, x.remaining) for x in lots], points, today)
    by_id = {x.id: x for x in lots}
    now = ctx.now()
    rows = []
    for t in takes:
        by_id[t.lot_id].remaining -= t.points
        rows.append(dict(id=ctx.new_id(), member_id=member.id, lot_id=t.lot_id, kind=kind, delta=-t.points,
                         ref=ref, reason=reason, created_at=now))
    repo.points.add_entries(uow.session, rows)
    note_move(uow, "points", member.id, member.points_balance, member.points_balance - points, phone=member.phone)
    member.points_balance -= points
    return list(takes)


# ----------------------------------------------------------------------------- reads
def show(ctx: ServiceContext, actor: Actor, *, phone: str | None = None, member_id: str | None = None,
         code: str | None = None) -> PointsSummary:
    require(actor, "member.read")
    with ctx.uow(read_only=True) as uow:
        mm = load_member(uow, phone=phone, member_id=member_id, code=code)
        today = local_date(ctx, settings(uow))
        lots = [rules.PointsLot(x.id, x.earned_at.date(), x.expires_on, x.remaining, x.available_on)
                for x in repo.points.lots(uow.session, mm.id)]
        last = repo.points.last_checkin(uow.session, mm.id)
        return PointsSummary(
            member_id=mm.id, phone=mm.phone, points_balance=rules.available_points(lots, today),
            expiring_30_days=rules.expiring_soon(lots, today, 30), tickets=repo.points.open_tickets(uow.session, mm.id),
            last_checkin=last[0] if last else None,
            streak=last[1] if last and (today - last[0]).days <= 1 else 0,
            points_pending=rules.pending_points(lots, today),
        )


def history(ctx: ServiceContext, actor: Actor, *, phone: str | None = None, member_id: str | None = None) -> list[PointsLine]:
    """Every change of the member's points, newest first: each earning (its lot) and what left a lot."""
    require(actor, "member.read")
    with ctx.uow(read_only=True) as uow:
        mm = load_member(uow, phone=phone, member_id=member_id)
        lots = repo.points.lots(uow.session, mm.id)
        source_of = {x.id: x.source for x in lots}
        out: list[PointsLine] = [
            PointsLine(x.earned_at, "earn" if x.source != "adjust" else "adjust", x.points, x.source,
                       x.ref or x.recharge_id, x.reason, x.expires_on, x.available_on)
            for x in lots
        ]
        for e in repo.points.entries(uow.session, mm.id):
            if e.kind == "earn":
                continue  # written before migration 0007; the lot records the earning
            source = "adjust" if e.kind == "adjust" else ("wheel" if e.reason == "wheel" else source_of.get(e.lot_id, ""))
            out.append(PointsLine(e.created_at, e.kind, e.delta, source, e.ref, e.reason, None))
        out.sort(key=lambda line: line.at, reverse=True)
        return out


# ----------------------------------------------------------------------------- adjustments
@use_case("points.adjust", permission="points.adjust", event="points.adjusted", idempotent=True)
def adjust(
    ctx: ServiceContext, actor: Actor, *, phone: str, points: int, reason: str, request_id: str | None = None,
) -> AdjustResult:
    """A manager adds (a new lot, source ``adjust``) or takes away (from the lots closest to expiry)
    points, with a reason; both show in the member's history."""
    points, reason = rules.check_adjustment(points, reason)
    request_id = check_request_id(request_id, ctx)
    params = {"phone": phone, "points": points, "reason": reason}
    with ctx.uow() as uow:
        s = uow.session
        done = replayed(uow, request_id, "points.adjust", params)
        if done is not None:
            return _adjust_result(uow, done)
        mm = load_member(uow, phone=phone)
        today = local_date(ctx, settings(uow))
        adj_id = ctx.new_id()
        repo.points.add_adjustment(s, dict(id=adj_id, request_id=request_id, member_id=mm.id, points=points,
                                           reason=reason, staff_id=actor.staff_id, created_at=ctx.now()))
        if points > 0:
            earn(uow, ctx, mm, points, source="adjust", ref=adj_id, reason=reason,
                 expires_on=expiry_for(current_campaign(uow, ctx), today))
        else:
            take(uow, ctx, mm, -points, kind="adjust", ref=adj_id, today=today, reason=reason)
        remember(uow, ctx, request_id, "points.adjust", adj_id, params)
        audit(uow, ctx, actor, "points.adjust", "member", mm.id, points=points, reason=reason, adjustment_id=adj_id)
        emit(uow, ctx, "points.adjusted", {"adjustment_id": adj_id, "member_id": mm.id, "points": points,
                                          "reason": reason, "points_balance": mm.points_balance})
        result = AdjustResult(adj_id, mm.id, mm.phone, points, reason, mm.points_balance)
        uow.commit()
        return result


def _adjust_result(uow: UnitOfWork, adj_id: str) -> AdjustResult:
    from pos_app.db import models_points as mp  # noqa: PLC0415

    a = uow.session.get(mp.PointsAdjustment, adj_id)
    assert a is not None
    mm = load_member(uow, member_id=a.member_id)
    return AdjustResult(a.id, mm.id, mm.phone, a.points, a.reason, mm.points_balance)


# ----------------------------------------------------------------------------- check-in
@use_case("points.checkin", permission="points.checkin", event="points.checked_in", idempotent=True)
def checkin(
    ctx: ServiceContext, actor: Actor, *, phone: str | None = None, code: str | None = None,
    member_id: str | None = None, request_id: str | None = None,
) -> CheckinResult:
    """The member's check-in for the store-local day: the day's points, a streak bonus at each configured
    streak length, free wheel draws (tickets) where configured. A second one the same day is refused."""
    request_id = check_request_id(request_id, ctx)
    params = {"phone": phone, "code": code, "member_id": member_id}
    with ctx.uow() as uow:
        s = uow.session
        done = replayed(uow, request_id, "points.checkin", params)
        if done is not None:
            return _checkin_result(uow, done)
        mm = load_member(uow, phone=phone, code=code, member_id=member_id)
        campaign = current_campaign(uow, ctx)
        cfg = points_rules(campaign).checkin
        if cfg is None:
            raise StateError("checkin.not_configured")
        today = local_date(ctx, settings(uow))
        last = repo.points.last_checkin(s, mm.id)
        outcome = rules.checkin(cfg, last[0] if last else None, last[1] if last else 0, today)
        cid = ctx.new_id()
        repo.points.add_checkin(s, dict(
            id=cid, request_id=request_id, member_id=mm.id, day=today, streak=outcome.streak, points=outcome.points,
            bonus_points=outcome.bonus_points, tickets=outcome.tickets,
            campaign_code=campaign.code if campaign else None, staff_id=actor.staff_id, created_at=ctx.now()))
        expires = expiry_for(campaign, today)
        if outcome.points:
            earn(uow, ctx, mm, outcome.points, source="checkin", ref=cid, expires_on=expires)
        if outcome.bonus_points:
            earn(uow, ctx, mm, outcome.bonus_points, source="checkin", ref=cid, expires_on=expires,
                 reason=f"streak:{outcome.streak}")
        repo.points.add_tickets(s, [dict(id=ctx.new_id(), member_id=mm.id, source="checkin", ref=cid,
                                         created_at=ctx.now(), used_draw_id=None) for _ in range(outcome.tickets)])
        remember(uow, ctx, request_id, "points.checkin", cid, params)
        audit(uow, ctx, actor, "points.checkin", "member", mm.id, day=today.isoformat(), streak=outcome.streak,
              points=outcome.total_points, tickets=outcome.tickets)
        emit(uow, ctx, "points.checked_in", {
            "checkin_id": cid, "member_id": mm.id, "day": today.isoformat(), "streak": outcome.streak,
            "points": outcome.points, "bonus_points": outcome.bonus_points, "tickets": outcome.tickets,
            "points_balance": mm.points_balance})
        result = CheckinResult(cid, mm.id, mm.phone, today, outcome.streak, outcome.points, outcome.bonus_points,
                               outcome.tickets, mm.points_balance)
        uow.commit()
        return result


def _checkin_result(uow: UnitOfWork, cid: str) -> CheckinResult:
    c = repo.points.get_checkin(uow.session, cid)
    assert c is not None
    mm = load_member(uow, member_id=c.member_id)
    return CheckinResult(c.id, mm.id, mm.phone, c.day, c.streak, c.points, c.bonus_points, c.tickets,
                         mm.points_balance)


# ----------------------------------------------------------------------------- the feature
def validate_campaign(data: dict[str, Any]) -> None:
    from pos_app.domain.campaign import points_rules_from_dict  # noqa: PLC0415

    points_rules_from_dict(data)


def load_demo_data(ctx: ServiceContext, actor: Actor) -> None:
    """The demo store's points campaign runs with its wheel published (once the campaign is loaded)."""
    from pos_app.services import wheel  # noqa: PLC0415  (it builds on this module)

    with ctx.uow(read_only=True) as uow:
        campaign = current_campaign(uow, ctx)
        cfg = points_rules(campaign).wheel
        if campaign is None or cfg is None or repo.wheel.find(uow.session, campaign.code, cfg.code) is not None:
            return
    wheel.publish(ctx, actor)


def register(reg: Registrar) -> None:
    """The points platform (check-in and the lucky wheel): its campaign table is checked when a campaign
    is loaded (a wheel over the top-prize cap is refused), and the demo publishes its wheel."""
    reg.campaign_validate.append(validate_campaign)
    reg.demo_data.append(load_demo_data)


FEATURE = Feature("points", register)
