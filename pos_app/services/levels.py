"""Member levels (会员等级) and how points are earned (the registry's ``shape_earning``).

- A member's level is re-evaluated in the transaction of each qualifying recharge (basis ``recharge``) or
  sale (basis ``paid``) and moves up to what the basis over the rolling window reaches (domain/levels.py);
  a level-upgrade voucher won on the wheel (a virtual prize, ``ref = "level-upgrade"``) lifts it one level
  for the campaign's ``voucher_months``; the daily job (:func:`review`) ends a voucher's lift and, under
  ``downgrade = "window_end"``, re-evaluates a level whose window ended. Every change is one row of the
  append-only ``level_change`` log with its reason, and an audit row.
- Perks: the level's points multiplier on points earned by recharges and purchases, member prices at
  the till (the registry's ``member_prices``).
- The pending period (``[points.pending] days``): a purchase's points lot becomes spendable that many days
  after the purchase; a return can take it back before, spending and expiry cannot touch it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from pos_app.db import models as m
from pos_app.db import models_checkout as mk
from pos_app.db import repo
from pos_app.db.uow import UnitOfWork
from pos_app.domain import levels as rules
from pos_app.domain.campaign import GRANT_COUPON, Campaign, GrantedItem, field_money
from pos_app.domain.points import PendingRules, pending_rules_from_dict
from pos_app.services import grants
from pos_app.services import points as pts
from pos_app.services.campaigns import current_campaign
from pos_app.services.common import add_facts, audit, emit, local_date, require, settings
from pos_app.services.context import Actor, ServiceContext
from pos_app.services.doctor import Check
from pos_app.services.dto import Result
from pos_app.services.members import load_member
from pos_app.services.registry import Earning, Feature, Registrar
from pos_app.services.usecase import use_case

_PARSED: dict[int, tuple[Campaign, rules.LevelRules | None, PendingRules]] = {}


def _parsed(campaign: Campaign) -> tuple[rules.LevelRules | None, PendingRules]:
    hit = _PARSED.get(id(campaign))
    if hit is not None and hit[0] is campaign:
        return hit[1], hit[2]
    found = (rules.level_rules_from_dict(campaign.extra, field_money), pending_rules_from_dict(campaign.extra))
    if len(_PARSED) > 32:
        _PARSED.clear()
    _PARSED[id(campaign)] = (campaign, *found)
    return found


def running(uow: UnitOfWork, ctx: ServiceContext) -> Campaign | None:
    """The campaign running today, read once per transaction (the handlers of one sale all ask for it)."""
    if "levels.campaign" not in uow.cache:
        uow.cache["levels.campaign"] = current_campaign(uow, ctx)
    found: Campaign | None = uow.cache["levels.campaign"]
    return found


def campaign_levels(campaign: Campaign | None) -> rules.LevelRules | None:
    return None if campaign is None else _parsed(campaign)[0]


def campaign_pending(campaign: Campaign | None) -> PendingRules:
    return PendingRules() if campaign is None else _parsed(campaign)[1]


# ----------------------------------------------------------------------------- results
@dataclass(frozen=True)
class LevelChangeDTO:
    change_id: str
    at: datetime
    from_level: str | None
    to_level: str
    reason: str
    ref: str | None
    until: date | None


@dataclass(frozen=True)
class LevelStatus:
    member_id: str
    phone: str
    level: str | None  # the code (None: no levels configured)
    level_name: str | None
    until: date | None  # when it is looked at again (a voucher's lift ends, a window's level is re-evaluated)
    by_voucher: bool
    basis: str | None  # recharge | paid
    basis_fen: int  # the basis over the window, today
    next_level: str | None
    next_name: str | None
    to_next_fen: int  # what is missing to reach the next level (0 at the top)
    points_multiplier: str  # "1.5"
    member_prices: bool
    history: tuple[LevelChangeDTO, ...]
    birthday: date | None = None


@dataclass(frozen=True)
class ReviewResult(Result):
    reviewed: int
    changed: int
    today: date
    #: birthday gifts given today (member ids)
    birthday_gifts: tuple[str, ...] = ()


@dataclass(frozen=True)
class BirthdayResult(Result):
    member_id: str
    phone: str
    birthday: date


# ----------------------------------------------------------------------------- helpers
def _since(ctx: ServiceContext, uow: UnitOfWork, lr: rules.LevelRules, today: date) -> datetime | None:
    start = lr.window_start(today)
    if start is None:
        return None
    return datetime.combine(start, time(0), tzinfo=settings(uow).tz)


def basis_fen(uow: UnitOfWork, ctx: ServiceContext, lr: rules.LevelRules, member: m.Member, today: date) -> int:
    since = _since(ctx, uow, lr, today)
    if lr.basis == rules.BASIS_PAID:
        return repo.levels.paid_since(uow.session, member.id, since)
    return repo.levels.recharged_since(uow.session, member.id, since)


def held(uow: UnitOfWork, member: m.Member) -> rules.Held:
    """The member's level now, with whether a voucher lifted it (the log's last row says so)."""
    last = repo.levels.last_change(uow.session, member.id) if member.level_until is not None else None
    voucher = last is not None and last.reason == rules.BY_VOUCHER and last.until == member.level_until
    return rules.Held(member.level, member.level_until, voucher, last.floor_level if voucher and last else None)


def _apply(uow: UnitOfWork, ctx: ServiceContext, actor: Actor | None, member: m.Member, d: rules.Decision,
           ref: str | None, campaign: Campaign | None) -> bool:
    """Write a decision: the member's level and date; a logged change gets its log row, audit row and fact."""
    before = member.level
    member.level, member.level_until = d.code, d.until
    if not d.log:
        return False
    cid = ctx.new_id()
    repo.levels.add_change(uow.session, dict(
        id=cid, member_id=member.id, from_level=before, to_level=d.code, reason=d.reason, ref=ref, until=d.until,
        floor_level=d.floor, campaign_code=campaign.code if campaign else None, created_at=ctx.now()))
    audit(uow, ctx, actor, "level.changed", "member", member.id, from_level=before, to_level=d.code, reason=d.reason,
          ref=ref, until=d.until.isoformat() if d.until else None)
    add_facts(uow, "level_changes", [{"change_id": cid, "member_id": member.id, "from_level": before,
                                      "to_level": d.code, "reason": d.reason, "ref": ref,
                                      "until": d.until.isoformat() if d.until else None}])
    return True


def _on_event(uow: UnitOfWork, ctx: ServiceContext, actor: Actor, member: m.Member, basis: str, reason: str,
              ref: str) -> None:
    campaign = running(uow, ctx)
    lr = campaign_levels(campaign)
    if lr is None or lr.basis != basis:
        return
    today = local_date(ctx, settings(uow))
    d = rules.on_event(lr, held(uow, member), basis_fen(uow, ctx, lr, member, today), today, reason)
    if d is not None:
        _apply(uow, ctx, actor, member, d, ref, campaign)


# ----------------------------------------------------------------------------- handlers
def on_recharge(uow: UnitOfWork, ctx: ServiceContext, actor: Actor, member: m.Member, recharge: m.Recharge) -> None:
    _on_event(uow, ctx, actor, member, rules.BASIS_RECHARGE, rules.BY_RECHARGE, recharge.id)


def on_sale(uow: UnitOfWork, ctx: ServiceContext, actor: Actor, member: m.Member, sale: mk.Sale) -> None:
    _on_event(uow, ctx, actor, member, rules.BASIS_PAID, rules.BY_SALE, sale.id)


def on_prize(uow: UnitOfWork, ctx: ServiceContext, actor: Actor, member: m.Member, prize_ref: str,
             draw_id: str) -> None:
    """A level-upgrade voucher won on the wheel: one level up for the campaign's ``voucher_months``."""
    if prize_ref != rules.VOUCHER_PRIZE_REF:
        return
    campaign = running(uow, ctx)
    lr = campaign_levels(campaign)
    if lr is None:
        return
    today = local_date(ctx, settings(uow))
    _apply(uow, ctx, actor, member, rules.voucher(lr, held(uow, member), today), draw_id, campaign)


def shape_earning(uow: UnitOfWork, ctx: ServiceContext, member: m.Member, source: str, earning: Earning,
                  today: date) -> Earning:
    """The member level's points multiplier, and the campaign's pending period for a purchase's points."""
    campaign = running(uow, ctx)
    if campaign is None or earning.points <= 0:
        return earning
    points = rules.points_with(campaign_levels(campaign), member.level, earning.points)
    return Earning(points, campaign_pending(campaign).available_on(source, today) or earning.available_on)


def member_prices(uow: UnitOfWork, ctx: ServiceContext, member: m.Member, today: date) -> bool:
    lr = campaign_levels(running(uow, ctx))
    return lr is not None and lr.level(member.level).member_prices


# ----------------------------------------------------------------------------- the daily job
@use_case("level.review", permission="level.review", event="level.reviewed")
def review(ctx: ServiceContext, actor: Actor) -> ReviewResult:
    """The daily job: every member whose level is due today is looked at again (a voucher's lift ends; a
    level held for a window is re-evaluated on the window, ``downgrade = "window_end"``)."""
    with ctx.uow() as uow:
        today = local_date(ctx, settings(uow))
        campaign = running(uow, ctx)
        lr = campaign_levels(campaign)
        due = repo.levels.due_members(uow.session, today) if lr is not None else []
        changed = 0
        gifts: list[str] = []
        if lr is not None:
            for member in due:
                d = rules.lapse(lr, held(uow, member), basis_fen(uow, ctx, lr, member, today), today)
                if d is not None and _apply(uow, ctx, actor, member, d, None, campaign):
                    changed += 1
            assert campaign is not None
            gifts = _birthday_gifts(uow, ctx, actor, lr, campaign, today)
        if due or gifts:
            audit(uow, ctx, actor, "level.review", "level", today.isoformat(), reviewed=len(due), changed=changed,
                  birthday_gifts=gifts)
            emit(uow, ctx, "level.reviewed", {"date": today.isoformat(), "reviewed": len(due), "changed": changed,
                                              "birthday_gifts": gifts})
        result = ReviewResult(len(due), changed, today, tuple(gifts))
        uow.commit()
        return result


def _birthday_gifts(uow: UnitOfWork, ctx: ServiceContext, actor: Actor, lr: rules.LevelRules, campaign: Campaign,
                    today: date) -> list[str]:
    """Today's birthdays: each member whose level has a birthday gift gets it, once a year."""
    s = uow.session
    found = repo.levels.birthday_members(s, today.month, today.day, today.year)
    if (today.month, today.day) == (2, 28):
        found += repo.levels.birthday_members(s, 2, 29, today.year)
    out = []
    for member in found:
        lv = lr.level(member.level)
        if member.birthday is None or not rules.is_birthday(member.birthday, today) or not lv.birthday_gift:
            continue
        gid = ctx.new_id()
        coupon = None
        if lv.birthday_points:
            pts.earn(uow, ctx, member, lv.birthday_points, source="birthday", ref=gid, reason=lv.code,
                     expires_on=pts.expiry_for(campaign, today))
        if lv.birthday_coupon:
            rows = grants.grant_items(uow, ctx, actor, member, [GrantedItem(GRANT_COUPON, lv.birthday_coupon,
                                                                            lv.name, 1, 0, "birthday")],
                                      today=today, campaign=campaign)
            coupon = rows[0].id if rows else None
        repo.levels.add_birthday_gift(s, dict(id=gid, member_id=member.id, year=today.year, level=lv.code,
                                              points=lv.birthday_points, coupon_id=coupon, created_at=ctx.now()))
        out.append(member.id)
    return out


@use_case("member.set_birthday", permission="member.register", event="member.birthday_set")
def set_birthday(ctx: ServiceContext, actor: Actor, *, phone: str | None = None, member_id: str | None = None,
                 birthday: date) -> BirthdayResult:
    """The member's birthday (for a level's birthday gift): a past date, not before 1900."""
    with ctx.uow() as uow:
        mm = load_member(uow, phone=phone, member_id=member_id)
        day = rules.check_birthday(birthday, local_date(ctx, settings(uow)))
        before = mm.birthday
        mm.birthday = day
        audit(uow, ctx, actor, "member.set_birthday", "member", mm.id, before=before.isoformat() if before else None,
              birthday=day.isoformat())
        emit(uow, ctx, "member.birthday_set", {"member_id": mm.id, "birthday": day.isoformat()})
        result = BirthdayResult(mm.id, mm.phone, day)
        uow.commit()
        return result


# ----------------------------------------------------------------------------- reads
def _multiplier_text(bp: int) -> str:
    whole, frac = divmod(bp, rules.ONE_BP)
    return f"{whole}.{frac:04d}".rstrip("0").rstrip(".") if frac else str(whole)


def status(ctx: ServiceContext, actor: Actor, *, phone: str | None = None, member_id: str | None = None,
           code: str | None = None) -> LevelStatus:
    """The member's level, what it is reached by and how far the next one is, its perks and its log."""
    require(actor, "member.read")
    with ctx.uow(read_only=True) as uow:
        mm = load_member(uow, phone=phone, member_id=member_id, code=code)
        today = local_date(ctx, settings(uow))
        lr = campaign_levels(current_campaign(uow, ctx))
        log = tuple(LevelChangeDTO(c.id, c.created_at, c.from_level, c.to_level, c.reason, c.ref, c.until)
                    for c in repo.levels.changes(uow.session, mm.id))
        if lr is None:
            return LevelStatus(mm.id, mm.phone, mm.level, mm.level, mm.level_until, False, None, 0, None, None, 0, "1",
                               False, log, mm.birthday)
        h = held(uow, mm)
        lv = lr.level(mm.level)
        i = lr.index(mm.level)
        amount = basis_fen(uow, ctx, lr, mm, today)
        nxt = lr.levels[i + 1] if i + 1 < len(lr.levels) else None
        return LevelStatus(
            mm.id, mm.phone, lv.code, lv.name, mm.level_until, h.by_voucher, lr.basis, amount,
            nxt.code if nxt else None, nxt.name if nxt else None,
            max(0, nxt.threshold_fen - amount) if nxt else 0, _multiplier_text(lv.points_bp), lv.member_prices, log,
            mm.birthday)


def level_names(ctx: ServiceContext, actor: Actor) -> dict[str, str]:
    """code -> name of the running campaign's levels (empty without levels)."""
    require(actor, "member.read")
    with ctx.uow(read_only=True) as uow:
        lr = campaign_levels(current_campaign(uow, ctx))
        return {lv.code: lv.name for lv in lr.levels} if lr is not None else {}


# ----------------------------------------------------------------------------- the feature
def doctor_checks(uow: UnitOfWork) -> list[Check]:
    """Each member's level is where their level log left it; each completed task's points were granted."""
    phones = repo.levels.levels_not_logged(uow.session)
    rows = repo.levels.tasks_not_rewarded(uow.session)
    return [Check("levels_match_their_log", not phones, ", ".join(phones[:5])),
            Check("completed_tasks_rewarded", not rows, ", ".join(rows[:5]))]


def validate_campaign(data: dict[str, Any]) -> None:
    rules.level_rules_from_dict(data, field_money)
    pending_rules_from_dict(data)


def register(reg: Registrar) -> None:
    """Member levels and the pending period: checked when a campaign is loaded; re-evaluated on recharges
    and sales; the voucher prize; the multiplier and pending period on earnings; member prices."""
    reg.campaign_validate.append(validate_campaign)
    reg.on_recharge.append(on_recharge)
    reg.on_sale.append(on_sale)
    reg.on_prize.append(on_prize)
    reg.shape_earning.append(shape_earning)
    reg.member_prices.append(member_prices)
    reg.doctor_checks.append(doctor_checks)


FEATURE = Feature("levels", register)
