"""The campaign figures (issue 14: "what managers watch"), one service for the dashboard (Shift+F3) and the
campaign report (``pos-app report campaign``): for a campaign and a period of store-local days (today, this
week, campaign to date, or custom), beside the previous period of the same length and the campaign's
``[targets]``:

- recharge: principal and bonus per day, new recharging members per day (a member's first recharge ever),
  the tier mix, refunds;
- sales: actually paid (实际支付) per day, by payment method (each method's amount less its stored-value
  bonus part, so the methods add up to what was paid), rung up by category, members against walk-ins;
- referrals (the campaign's own): invitees registered, qualified, the conversion rate (of the invitees
  registered in the period, those whose referral qualified), rewards pending / issued, top inviters;
- coupons: issued, redeemed (and not reinstated since), expired unused, voided, the redemption rate (of
  the coupons issued in the period, those redeemed), the discount given;
- points: earned by source, spent, expired, taken back, outstanding at the end; check-ins per day;
- wheel (the campaign's published wheel): draws, participation (members who drew / members active in the
  period: a recharge, a purchase, a check-in or a draw), prizes won and left;
  the prize redemption rate (of the gift prizes won in the period, which the member claims at the counter
  with the draw's claim code, those handed out; coupons and points prizes are paid at once);
- gifts: handed out in the period, owed now (and overdue), on hand, low stock;
- redemptions (the campaign's points mall and premium redemption): mall redemptions made in the period,
  their points and cash part, by item and by state now, gifts picked up, pick-ups waiting; premium
  requests made in the period by state now and by item, waiting for review (and overdue: not reviewed
  within the campaign's working days), fulfilled (shipped or in store);
- tasks (the campaign's points tasks, by level): members who started each (progress above zero now),
  completions in the period, the completion rate (completions in the period / members who started),
  the points and coupons the completions granted, completions per day;
- levels (the campaign's member levels): members per level now, level changes in the period (and of
  them upgrades), by new level and per day.

Recharge, sales, coupons, points and gifts are the store's (this store's own rows; the campaign decides
the default period), so the previous period compares like with like; referrals, the wheel, the
redemptions and the tasks are the campaign's. A campaign without a published wheel or without tasks:
that section says so (``available = False``) and carries no number.

The recharge, sales and points figures are read from per-day summaries of the append-only tables
(``pos_app.db.repo.dash_summary``), brought up to date first with only the rows added since the last time
(:mod:`pos_app.services.reports.summaries`); the other sections read their rows (states that change) through
``pos_app.db.repo.campaign_report``. Charted series carry a per-day target line where the campaign sets a
target (:func:`daily_targets`). Every figure is a sum over rows; a total is
the sum of its rows (the breakdowns add up to their figure), and :func:`drill` gives back the rows behind
any figure or any day of a series. Managers (``report.read``); nothing is written but the derived summaries."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from pos_app import messages
from pos_app.db import repo
from pos_app.db.uow import UnitOfWork
from pos_app.domain import gifts as gift_rules
from pos_app.domain.calendar import add_working_days
from pos_app.domain.campaign import Campaign
from pos_app.domain.errors import InvalidInput
from pos_app.domain.money import BP_PER_UNIT, format_fen
from pos_app.domain.redemption import MALL_STATES, PREMIUM_STATES
from pos_app.services.common import local_date, require, settings
from pos_app.services.context import Actor, ServiceContext
from pos_app.services.reports import MAX_DAYS, day_start, summaries

DB = repo.campaign_report
SUM = repo.dash_summary
#: the sections read from the per-day summaries (brought up to date before they are read)
SUMMARISED = frozenset({"recharge", "sales", "points"})

#: the period choices of the dashboard
TODAY, WEEK, CAMPAIGN, CUSTOM = "today", "week", "campaign", "custom"
PERIODS = (TODAY, WEEK, CAMPAIGN, CUSTOM)

#: the sections, in the order the dashboard shows them and the report prints them
SECTIONS = ("recharge", "sales", "referrals", "coupons", "points", "wheel", "gifts", "tasks", "redemptions",
            "levels")

#: units a figure is in
FEN, COUNT, POINTS, BP = "fen", "count", "points", "bp"


# ----------------------------------------------------------------------------- periods


@dataclass(frozen=True)
class Period:
    """Store-local days ``from_day`` .. ``to_day``, both included."""

    from_day: date
    to_day: date

    @property
    def days(self) -> int:
        return (self.to_day - self.from_day).days + 1

    def previous(self) -> Period:
        """The period of the same length just before this one."""
        return Period(self.from_day - timedelta(days=self.days), self.from_day - timedelta(days=1))

    def day(self, i: int) -> date:
        return self.from_day + timedelta(days=i)

    def dates(self) -> list[date]:
        return [self.day(i) for i in range(self.days)]


def check_period(from_day: date, to_day: date) -> Period:
    if to_day < from_day:
        raise InvalidInput("report.range_invalid", start=from_day.isoformat(), end=to_day.isoformat())
    if (to_day - from_day).days >= MAX_DAYS:
        raise InvalidInput("report.range_too_long", days=MAX_DAYS)
    return Period(from_day, to_day)


def choose_period(kind: str, campaign: CampaignInfo, today: date, from_day: date | None = None,
                  to_day: date | None = None) -> Period:
    """The period of a dashboard choice: today; this week (Monday to today); the campaign to date (its first
    day to today, or to its last day once it ended; the whole window before it starts); or custom."""
    if kind == TODAY:
        return Period(today, today)
    if kind == WEEK:
        return Period(today - timedelta(days=today.weekday()), today)
    if kind == CAMPAIGN:
        if today < campaign.starts_on:
            return Period(campaign.starts_on, campaign.ends_on)
        return Period(campaign.starts_on, min(today, campaign.ends_on))
    if kind == CUSTOM:
        if from_day is None or to_day is None:
            raise InvalidInput("dashboard.period_needs_days")
        return check_period(from_day, to_day)
    raise InvalidInput("dashboard.period_unknown", period=kind, allowed=", ".join(PERIODS))


# ----------------------------------------------------------------------------- what a section holds


@dataclass(frozen=True)
class CampaignInfo:
    code: str
    name: str
    starts_on: date
    ends_on: date
    #: target field -> value (CampaignTargets' fields that are set)
    targets: dict[str, int] = field(default_factory=dict)
    #: tier code -> its name (the tier mix's labels)
    tier_names: dict[str, str] = field(default_factory=dict)
    #: a premium request not reviewed within this many working days is overdue (the campaign's ``[redemption]``)
    review_working_days: int = 2
    #: the campaign's points tasks (code, level, name), in level order (初级, 中级, 高级)
    tasks: tuple[tuple[str, str, str], ...] = ()
    #: the campaign's member levels (code, name), lowest first (empty: the campaign runs no levels)
    levels: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class DrillRef:
    """Which rows are behind a figure (see :func:`drill`): ``what`` names the query, ``ref`` its filter."""

    what: str
    ref: str | None = None


@dataclass(frozen=True)
class Figure:
    key: str
    value: int
    unit: str
    previous: int | None = None
    target: int | None = None
    drill: DrillRef | None = None

    @property
    def label(self) -> str:
        return messages.translate(f"dashboard.fig.{self.key}")

    @property
    def reached_bp(self) -> int | None:
        """The actual figure against its target, in basis points (None: no target)."""
        return None if self.target is None else _rate(self.value, self.target)


@dataclass(frozen=True)
class Series:
    """One value per day of the period (``values``) and of the previous period (``previous``); its key is
    also the field of the report's daily rows."""

    key: str
    unit: str
    values: tuple[int, ...]
    previous: tuple[int, ...] | None = None
    drill: DrillRef | None = None
    #: the daily target of each day of the period (None: the campaign sets no target for it), see
    #: :func:`daily_targets`
    target: tuple[int, ...] | None = None

    @property
    def label(self) -> str:
        return messages.translate(f"dashboard.series.{self.key}")


@dataclass(frozen=True)
class Part:
    """One row of a breakdown: its ref (a tier code, a method, a category...), its label, value and count."""

    ref: str
    label: str
    value: int
    count: int
    drill: DrillRef | None = None


@dataclass(frozen=True)
class Breakdown:
    key: str
    unit: str
    parts: tuple[Part, ...]
    #: the figure its parts add up to (None: a list, not a split of one figure)
    total_of: str | None = None

    @property
    def label(self) -> str:
        return messages.translate(f"dashboard.part.{self.key}")

    @property
    def total(self) -> int:
        return sum(p.value for p in self.parts)


@dataclass(frozen=True)
class Section:
    name: str
    period: Period
    previous: Period
    available: bool = True
    #: why not (a message id) when not available
    note: str | None = None
    figures: tuple[Figure, ...] = ()
    series: tuple[Series, ...] = ()
    breakdowns: tuple[Breakdown, ...] = ()

    @property
    def title(self) -> str:
        return messages.translate(f"dashboard.section.{self.name}")

    @property
    def note_text(self) -> str:
        """Why the section has no figures (translated), or ""."""
        if self.available:
            return ""
        if self.note == "dashboard.wheel_none":
            return messages.translate("dashboard.wheel_none")
        if self.note in ("dashboard.tasks_none", "dashboard.levels_none"):
            return messages.translate(self.note)
        return messages.translate("dashboard.not_available")

    def figure(self, key: str) -> Figure:
        return next(f for f in self.figures if f.key == key)

    def serie(self, key: str) -> Series:
        return next(s for s in self.series if s.key == key)

    def breakdown(self, key: str) -> Breakdown:
        return next(b for b in self.breakdowns if b.key == key)


# ----------------------------------------------------------------------------- the campaign


def campaign_info(c: Campaign) -> CampaignInfo:
    t = c.targets
    targets = {k: v for k, v in (("recharge_growth_bp", t.recharge_growth_bp),
                                 ("new_recharging_members", t.new_recharging_members),
                                 ("invitee_conversion_bp", t.invitee_conversion_bp),
                                 ("points_spent", t.points_spent), ("coupon_redemptions", t.coupon_redemptions),
                                 ("mall_redemptions", t.mall_redemptions),
                                 ("premium_redemptions", t.premium_redemptions))
               if v is not None}
    from pos_app.domain.tasks import by_level  # noqa: PLC0415
    from pos_app.services.levels import campaign_levels  # noqa: PLC0415
    from pos_app.services.mall import program_rules  # noqa: PLC0415  (the mall builds on the campaigns)
    from pos_app.services.tasks import campaign_tasks  # noqa: PLC0415  (the tasks build on the campaigns)

    tasks = tuple((t.code, t.level, t.name) for t in by_level(campaign_tasks(c)))
    lr = campaign_levels(c)
    levels = tuple((lv.code, lv.name) for lv in lr.levels) if lr is not None else ()
    return CampaignInfo(c.code, c.name, c.starts_on, c.ends_on, targets, {x.code: x.name for x in c.tiers},
                        program_rules(c).review_working_days, tasks, levels)


def _campaign(uow: UnitOfWork, ctx: ServiceContext, code: str | None) -> CampaignInfo:
    from pos_app.services.campaigns import all_campaigns, current_campaign  # noqa: PLC0415

    if code is None:
        running = current_campaign(uow, ctx)
        if running is not None:
            return campaign_info(running)
        known = all_campaigns(uow)
        if not known:
            raise InvalidInput("dashboard.no_campaign")
        return campaign_info(max((c for _row, c in known), key=lambda c: (c.starts_on, c.code)))
    want = code.strip().casefold()
    for _row, c in all_campaigns(uow):
        if c.code.casefold() == want:
            return campaign_info(c)
    raise InvalidInput("dashboard.campaign_unknown", campaign=code)


def campaigns(ctx: ServiceContext, actor: Actor) -> list[CampaignInfo]:
    """The campaigns a manager may choose from, newest first (the running one is the default)."""
    require(actor, "report.read")
    from pos_app.services.campaigns import all_campaigns  # noqa: PLC0415

    with ctx.uow(read_only=True) as uow:
        return sorted((campaign_info(c) for _row, c in all_campaigns(uow)), key=lambda c: (c.starts_on, c.code),
                      reverse=True)


def resolve(ctx: ServiceContext, actor: Actor, *, campaign_code: str | None = None, period: str = CAMPAIGN,
            from_day: date | None = None, to_day: date | None = None) -> tuple[CampaignInfo, Period]:
    """The campaign (default: the running one, else the newest) and the period a choice stands for."""
    require(actor, "report.read")
    with ctx.uow(read_only=True) as uow:
        info = _campaign(uow, ctx, campaign_code)
        today = local_date(ctx, settings(uow))
    return info, choose_period(period, info, today, from_day, to_day)


# ----------------------------------------------------------------------------- computing


class _Reader:
    """The reads of one section: the session, the store's time zone and today, the period's day bounds."""

    def __init__(self, uow: UnitOfWork, ctx: ServiceContext, info: CampaignInfo, per: Period) -> None:
        self.s: Session = uow.session
        st = settings(uow)
        self.tz = st.tz
        self.today = local_date(ctx, st)
        self.info = info
        self.per = per
        self.prev = per.previous()

    def bounds(self, per: Period) -> list[datetime]:
        return [day_start(per.day(i), self.tz) for i in range(per.days + 1)]

    def summary(self, source: str, per: Period) -> list[tuple[int, str, int, int, int]]:
        """(day index, key, rows, a, b) of a per-day summary (pos_app/db/models_dash.py) over a period."""
        return [((d - per.from_day).days, k, n, a, b) for d, k, n, a, b in SUM.days(self.s, source, per.from_day,
                                                                                       per.to_day)]

    def by_key(self, source: str, per: Period) -> dict[str, tuple[int, int, int]]:
        """key -> (rows, a, b) of a per-day summary over a period."""
        out: dict[str, tuple[int, int, int]] = {}
        for _i, k, n, a, b in self.summary(source, per):
            c = out.get(k, (0, 0, 0))
            out[k] = (c[0] + n, c[1] + a, c[2] + b)
        return out

    def totals(self, source: str, per: Period) -> tuple[int, int, int]:
        """(rows, a, b) of a per-day summary over a period."""
        rows = self.summary(source, per)
        return sum(g[2] for g in rows), sum(g[3] for g in rows), sum(g[4] for g in rows)

    @staticmethod
    def daily(rows: Sequence[tuple[Any, ...]], n: int, col: int) -> tuple[int, ...]:
        out = [0] * n
        for row in rows:
            out[int(row[0])] += int(row[col])
        return tuple(out)


def _rate(part: int, whole: int) -> int:
    """part / whole in basis points, rounded down (0 when there is no whole)."""
    return part * BP_PER_UNIT // whole if whole > 0 else 0


def spread(total: int, days: int) -> tuple[int, ...]:
    """A target over ``days`` days as one target per day: equal parts, the remainder one each to the first
    days, so the days add up to the target exactly (to the fen)."""
    if days <= 0:
        return ()
    base, extra = divmod(total, days)
    return tuple(base + (1 if i < extra else 0) for i in range(days))


def daily_targets(info: CampaignInfo, per: Period, key: str, period_target: int | None = None) -> tuple[int, ...] | None:
    """The per-day target line of a series: a target of the period itself (``period_target``, the recharge
    growth target over the previous period) spread over the period's days; a campaign target (``[targets]``
    ``key``: new recharging members, points spent, coupon and mall redemptions, all counted over the campaign)
    spread over the campaign's days, each day of the period taking its day's part (0 outside the campaign).
    None: no target."""
    if period_target is not None:
        return spread(period_target, per.days)
    total = info.targets.get(key)
    if total is None:
        return None
    window = spread(total, (info.ends_on - info.starts_on).days + 1)
    return tuple(window[(d - info.starts_on).days] if info.starts_on <= d <= info.ends_on else 0
                 for d in per.dates())


def _recharge(r: _Reader) -> Section:
    groups, pgroups = r.summary("recharge", r.per), r.summary("recharge", r.prev)
    n, pn = r.per.days, r.prev.days
    principal, p_principal = r.daily(groups, n, 3), r.daily(pgroups, pn, 3)
    bonus, p_bonus = r.daily(groups, n, 4), r.daily(pgroups, pn, 4)
    count, p_count = r.daily(groups, n, 2), r.daily(pgroups, pn, 2)
    members = r.daily(r.summary(SUM.NEW_MEMBERS, r.per), n, 2)
    p_members = r.daily(r.summary(SUM.NEW_MEMBERS, r.prev), pn, 2)
    growth = r.info.targets.get("recharge_growth_bp")
    # no target without a previous period to grow from
    target = None if growth is None or not sum(p_principal) else sum(p_principal) * (BP_PER_UNIT + growth) // BP_PER_UNIT
    refunds = r.totals("refund", r.per)
    tiers = []
    names = r.info.tier_names
    mix: dict[str | None, list[int]] = {}
    for _d, key, cnt, p, _b in groups:
        row = mix.setdefault(key or None, [0, 0])
        row[0] += cnt
        row[1] += p
    for tier, (cnt, p) in sorted(mix.items(), key=lambda t: (t[0] is None, t[0] or "")):
        label = names.get(tier or "", tier or "") if tier else messages.translate("dashboard.tier.custom")
        tiers.append(Part(tier or "", label, p, cnt, DrillRef("recharge.tier", tier or "")))
    return Section(
        "recharge", r.per, r.prev,
        figures=(
            Figure("recharge.principal", sum(principal), FEN, sum(p_principal), target, DrillRef("recharge.all")),
            Figure("recharge.bonus", sum(bonus), FEN, sum(p_bonus), None, DrillRef("recharge.bonus")),
            Figure("recharge.count", sum(count), COUNT, sum(p_count), None, DrillRef("recharge.all")),
            Figure("recharge.new_members", sum(members), COUNT, sum(p_members),
                   r.info.targets.get("new_recharging_members"), DrillRef("recharge.first")),
            Figure("recharge.refunded", refunds[1], FEN, None, None, DrillRef("recharge.refunds")),
        ),
        series=(
            Series("principal_fen", FEN, principal, p_principal, DrillRef("recharge.all"),
                   None if target is None else daily_targets(r.info, r.per, "", target)),
            Series("bonus_fen", FEN, bonus, p_bonus, DrillRef("recharge.bonus")),
            Series("recharges", COUNT, count, p_count, DrillRef("recharge.all")),
            Series("new_recharging_members", COUNT, members, p_members, DrillRef("recharge.first"),
                   daily_targets(r.info, r.per, "new_recharging_members")),
        ),
        breakdowns=(Breakdown("tier_mix", FEN, tuple(tiers), "recharge.principal"),),
    )


def _method_label(method: str) -> str:
    from pos_app.services.reports.shift import method_label  # noqa: PLC0415

    return method_label(method)


def _sales(r: _Reader) -> Section:
    days, pdays = r.summary("sale", r.per), r.summary("sale", r.prev)
    n, pn = r.per.days, r.prev.days
    paid, p_paid = r.daily(days, n, 4), r.daily(pdays, pn, 4)
    count, p_count = r.daily(days, n, 2), r.daily(pdays, pn, 2)
    total = r.daily(days, n, 3)
    methods = tuple(Part(k, _method_label(k), a, c, DrillRef("sales.method", k))
                    for k, (c, a, _b) in sorted(r.by_key("sale_method", r.per).items()))
    cats = tuple(Part(k, k, a, c, DrillRef("sales.category", k))
                 for k, (c, a, _b) in sorted(r.by_key("sale_category", r.per).items()))
    cust = {k: (c, paid_) for k, (c, _t, paid_) in r.by_key("sale", r.per).items()}
    who = tuple(Part(ref, messages.translate(f"dashboard.customer.{ref}"), cust.get(ref, (0, 0))[1],
                     cust.get(ref, (0, 0))[0], DrillRef("sales.customer", ref)) for ref in ("member", "walk_in"))
    ret = r.totals("sale_return", r.per)
    return Section(
        "sales", r.per, r.prev,
        figures=(
            Figure("sales.paid", sum(paid), FEN, sum(p_paid), None, DrillRef("sales.all")),
            Figure("sales.count", sum(count), COUNT, sum(p_count), None, DrillRef("sales.all")),
            Figure("sales.total", sum(total), FEN, None, None, DrillRef("sales.total")),
            Figure("sales.returns", ret[1], FEN, None, None, DrillRef("sales.returns")),
        ),
        series=(
            Series("sales_fen", FEN, paid, p_paid, DrillRef("sales.all")),
            Series("sales_count", COUNT, count, p_count, DrillRef("sales.all")),
        ),
        breakdowns=(Breakdown("by_method", FEN, methods, "sales.paid"),
                    Breakdown("by_category", FEN, cats, "sales.total"),
                    Breakdown("by_customer", FEN, who, "sales.paid")),
    )


#: a referral reward's state -> the group the dashboard counts it in
REWARD_GROUPS = {"owed": "pending", "issued": "issued", "handed_out": "issued"}


def _referrals(r: _Reader) -> Section:
    code = r.info.code
    cur, prev = r.bounds(r.per), r.bounds(r.prev)
    n, pn = r.per.days, r.prev.days
    reg, preg = DB.referral_days(r.s, code, cur), DB.referral_days(r.s, code, prev)
    registered, p_registered = r.daily(reg, n, 1), r.daily(preg, pn, 1)
    converted, p_converted = sum(r.daily(reg, n, 2)), sum(r.daily(preg, pn, 2))
    qual, pqual = DB.qualified_days(r.s, code, cur), DB.qualified_days(r.s, code, prev)
    qualified, p_qualified = r.daily(qual, n, 1), r.daily(pqual, pn, 1)
    rewards: dict[str, int] = {"pending": 0, "issued": 0, "other": 0}
    for state, cnt in DB.referral_rewards(r.s, code, cur):
        rewards[REWARD_GROUPS.get(state, "other")] += cnt
    top = tuple(Part(mid, f"{_mask(phone)} {name or ''}".strip(), cnt, cnt, DrillRef("referrals.inviter", mid))
                for mid, phone, name, cnt in DB.top_inviters(r.s, code, cur))
    reward_parts = tuple(Part(k, messages.translate(f"dashboard.reward.{k}"), v, v, DrillRef("referrals.rewards", k))
                         for k, v in rewards.items())
    return Section(
        "referrals", r.per, r.prev,
        figures=(
            Figure("referrals.registered", sum(registered), COUNT, sum(p_registered), None,
                   DrillRef("referrals.registered")),
            Figure("referrals.converted", converted, COUNT, p_converted, None, DrillRef("referrals.converted")),
            Figure("referrals.conversion", _rate(converted, sum(registered)), BP,
                   _rate(p_converted, sum(p_registered)), r.info.targets.get("invitee_conversion_bp"),
                   DrillRef("referrals.registered")),
            Figure("referrals.qualified", sum(qualified), COUNT, sum(p_qualified), None,
                   DrillRef("referrals.qualified")),
            Figure("referrals.rewards_pending", rewards["pending"], COUNT, None, None,
                   DrillRef("referrals.rewards", "pending")),
            Figure("referrals.rewards_issued", rewards["issued"], COUNT, None, None,
                   DrillRef("referrals.rewards", "issued")),
        ),
        series=(
            Series("invitees_registered", COUNT, registered, p_registered, DrillRef("referrals.registered")),
            Series("invitees_qualified", COUNT, qualified, p_qualified, DrillRef("referrals.qualified")),
        ),
        breakdowns=(Breakdown("rewards", COUNT, reward_parts, None), Breakdown("top_inviters", COUNT, top, None)),
    )


def _mask(phone: str) -> str:
    return phone[:3] + "****" + phone[-4:] if len(phone) == 11 else phone


def _expiry_days(r: _Reader, per: Period) -> tuple[date, date] | None:
    """The last valid days of the coupons that expired in ``per`` (expired the day after; none yet today)."""
    last = min(per.to_day, r.today) - timedelta(days=1)
    first = per.from_day - timedelta(days=1)
    return None if last < first else (first, last)


def _coupons(r: _Reader) -> Section:
    cur, prev = r.bounds(r.per), r.bounds(r.prev)
    n, pn = r.per.days, r.prev.days
    iss, piss = DB.coupons_issued_days(r.s, cur), DB.coupons_issued_days(r.s, prev)
    red, pred = DB.coupons_redeemed_days(r.s, cur), DB.coupons_redeemed_days(r.s, prev)
    issued, p_issued = r.daily(iss, n, 1), r.daily(piss, pn, 1)
    used_of_issued, p_used_of_issued = sum(r.daily(iss, n, 2)), sum(r.daily(piss, pn, 2))
    redeemed, p_redeemed = r.daily(red, n, 1), r.daily(pred, pn, 1)
    discount, p_discount = r.daily(red, n, 2), r.daily(pred, pn, 2)
    exp, pexp = _expiry_days(r, r.per), _expiry_days(r, r.prev)
    expired = DB.coupons_expired(r.s, *exp) if exp else 0
    p_expired = DB.coupons_expired(r.s, *pexp) if pexp else 0
    return Section(
        "coupons", r.per, r.prev,
        figures=(
            Figure("coupons.issued", sum(issued), COUNT, sum(p_issued), None, DrillRef("coupons.issued")),
            Figure("coupons.redeemed", sum(redeemed), COUNT, sum(p_redeemed),
                   r.info.targets.get("coupon_redemptions"), DrillRef("coupons.redeemed")),
            Figure("coupons.expired", expired, COUNT, p_expired, None, DrillRef("coupons.expired")),
            Figure("coupons.voided", DB.coupons_voided(r.s, cur), COUNT, DB.coupons_voided(r.s, prev), None,
                   DrillRef("coupons.voided")),
            Figure("coupons.redemption_rate", _rate(used_of_issued, sum(issued)), BP,
                   _rate(p_used_of_issued, sum(p_issued)), None, DrillRef("coupons.issued_redeemed")),
            Figure("coupons.discount", sum(discount), FEN, sum(p_discount), None, DrillRef("coupons.discount")),
        ),
        series=(
            Series("coupons_issued", COUNT, issued, p_issued, DrillRef("coupons.issued")),
            Series("coupons_redeemed", COUNT, redeemed, p_redeemed, DrillRef("coupons.redeemed"),
                   daily_targets(r.info, r.per, "coupon_redemptions")),
            Series("discount_fen", FEN, discount, p_discount, DrillRef("coupons.discount")),
        ),
    )


def _source_label(source: str) -> str:
    key = f"points.source.{source}"
    return messages.translate(key) if messages.has_message(key, messages.language()) else source


def _points(r: _Reader) -> Section:
    n, pn = r.per.days, r.prev.days
    lots, plots = r.summary("points_lot", r.per), r.summary("points_lot", r.prev)
    moves, pmoves = r.summary("points_entry", r.per), r.summary("points_entry", r.prev)
    earned_rows = sorted((k, c, p) for k, (c, p, _b) in r.by_key("points_lot", r.per).items())
    p_earned = sum(g[3] for g in plots)
    moved = {k: (c, -p) for k, (c, p, _b) in r.by_key("points_entry", r.per).items()}
    p_moved = {k: -p for k, (_c, p, _b) in r.by_key("points_entry", r.prev).items()}
    earned_day, p_earned_day = r.daily(lots, n, 3), r.daily(plots, pn, 3)
    spent_day = tuple(-v for v in r.daily([g for g in moves if g[1] == "spend"], n, 3))
    p_spent_day = tuple(-v for v in r.daily([g for g in pmoves if g[1] == "spend"], pn, 3))
    chk = {d: (c, p) for d, c, p in DB.checkin_days(r.s, r.per.from_day, r.per.to_day)}
    pchk = {d: (c, p) for d, c, p in DB.checkin_days(r.s, r.prev.from_day, r.prev.to_day)}
    checkins = tuple(chk.get(d, (0, 0))[0] for d in r.per.dates())
    p_checkins = tuple(pchk.get(d, (0, 0))[0] for d in r.prev.dates())
    # every lot earned and every ledger row (what left the lots) up to the period's last day
    outstanding = SUM.total_until(r.s, "points_lot", r.per.to_day) + SUM.total_until(r.s, "points_entry", r.per.to_day)
    sources = tuple(Part(k, _source_label(k), p, c, DrillRef("points.source", k)) for k, c, p in earned_rows)
    return Section(
        "points", r.per, r.prev,
        figures=(
            Figure("points.earned", sum(p for _k, _c, p in earned_rows), POINTS, p_earned, None, None),
            Figure("points.spent", moved.get("spend", (0, 0))[1], POINTS, p_moved.get("spend", 0),
                   r.info.targets.get("points_spent"), DrillRef("points.kind", "spend")),
            Figure("points.expired", moved.get("expire", (0, 0))[1], POINTS, p_moved.get("expire", 0), None,
                   DrillRef("points.kind", "expire")),
            Figure("points.revoked", moved.get("revoke", (0, 0))[1], POINTS, p_moved.get("revoke", 0), None,
                   DrillRef("points.kind", "revoke")),
            Figure("points.outstanding", outstanding, POINTS, None, None, None),
            Figure("points.checkins", sum(checkins), COUNT, sum(p_checkins), None, DrillRef("points.checkins")),
        ),
        series=(
            Series("points_earned", POINTS, earned_day, p_earned_day, None),
            Series("points_spent", POINTS, spent_day, p_spent_day, DrillRef("points.kind", "spend"),
                   daily_targets(r.info, r.per, "points_spent")),
            Series("checkins", COUNT, checkins, p_checkins, DrillRef("points.checkins")),
        ),
        breakdowns=(Breakdown("by_source", POINTS, sources, "points.earned"),),
    )


#: the state of a gift prize that was claimed (handed out against the draw's claim code)
CLAIMED = "handed_out"


def _wheel(r: _Reader) -> Section:
    w = DB.wheel_of(r.s, r.info.code)
    if w is None:
        return Section("wheel", r.per, r.prev, available=False, note="dashboard.wheel_none")
    wid = w[0]
    cur, prev = r.bounds(r.per), r.bounds(r.prev)
    n, pn = r.per.days, r.prev.days
    dd, pdd = DB.draw_days(r.s, wid, cur), DB.draw_days(r.s, wid, prev)
    draws, p_draws = r.daily(dd, n, 1), r.daily(pdd, pn, 1)
    drew = DB.drawing_members(r.s, wid, cur)
    p_drew = DB.drawing_members(r.s, wid, prev)
    active = DB.active_members(r.s, cur, r.per.from_day, r.per.to_day)
    p_active = DB.active_members(r.s, prev, r.prev.from_day, r.prev.to_day)
    won = dict(DB.prizes_won(r.s, wid, cur))
    table = DB.prize_table(r.s, wid)
    won_parts = tuple(Part(code, f"{tier} {name}", won.get(code, 0), won.get(code, 0), DrillRef("wheel.prize", code))
                      for code, tier, name, _q, _w in table)
    left_parts = tuple(Part(code, f"{tier} {name}", q - total_won, q, None) for code, tier, name, q, total_won in table)
    # the prize redemption rate: of the gift prizes won in the period (claimed at the counter with the draw's
    # claim code; coupons and points are paid at once), those handed out
    claims, p_claims = dict(DB.prize_claims(r.s, wid, cur)), dict(DB.prize_claims(r.s, wid, prev))
    to_claim, p_to_claim = sum(claims.values()), sum(p_claims.values())
    claimed, p_claimed = claims.get(CLAIMED, 0), p_claims.get(CLAIMED, 0)
    return Section(
        "wheel", r.per, r.prev,
        figures=(
            Figure("wheel.draws", sum(draws), COUNT, sum(p_draws), None, DrillRef("wheel.draws")),
            Figure("wheel.members", drew, COUNT, p_drew, None, DrillRef("wheel.members")),
            Figure("wheel.active_members", active, COUNT, p_active, None, None),
            Figure("wheel.participation", _rate(drew, active), BP, _rate(p_drew, p_active), None, None),
            Figure("wheel.points_cost", sum(r.daily(dd, n, 2)), POINTS, sum(r.daily(pdd, pn, 2)), None,
                   DrillRef("wheel.cost")),
            Figure("wheel.prizes_to_claim", to_claim, COUNT, p_to_claim, None, DrillRef("wheel.to_claim")),
            Figure("wheel.prizes_claimed", claimed, COUNT, p_claimed, None, DrillRef("wheel.claimed")),
            Figure("wheel.claim_rate", _rate(claimed, to_claim), BP, _rate(p_claimed, p_to_claim), None,
                   DrillRef("wheel.to_claim")),
        ),
        series=(Series("draws", COUNT, draws, p_draws, DrillRef("wheel.draws")),),
        breakdowns=(Breakdown("prizes_won", COUNT, won_parts, "wheel.draws"),
                    Breakdown("prizes_left", COUNT, left_parts, None)),
    )


def _gifts(r: _Reader) -> Section:
    cur = r.bounds(r.per)
    hand = {k: (c, q) for k, c, q in DB.handouts(r.s, cur)}
    owed = {k: (c, o) for k, c, o in DB.gifts_owed(r.s, r.today)}
    items = DB.gift_items(r.s)
    names = {k: nm for k, nm, _o, _t, _a in items}
    skus = sorted(set(hand) | set(owed))
    handed = tuple(Part(k, names.get(k, k), hand[k][1], hand[k][0], DrillRef("gifts.handout", k))
                   for k in skus if k in hand)
    owed_parts = tuple(Part(k, names.get(k, k), owed[k][0], owed[k][0], DrillRef("gifts.owed", k))
                       for k in skus if k in owed)
    on_hand = tuple(Part(k, nm, o, o, None) for k, nm, o, _t, a in items if a)
    low = tuple(Part(k, nm, o, owed.get(k, (0, 0))[0], DrillRef("gifts.owed", k)) for k, nm, o, t, a in items
                if gift_rules.is_low(o, owed.get(k, (0, 0))[0], t, a))
    return Section(
        "gifts", r.per, r.prev,
        figures=(
            Figure("gifts.handed_out", sum(q for _c, q in hand.values()), COUNT, None, None, DrillRef("gifts.handout")),
            Figure("gifts.owed", sum(c for c, _o in owed.values()), COUNT, None, None, DrillRef("gifts.owed")),
            Figure("gifts.overdue", sum(o for _c, o in owed.values()), COUNT, None, None, DrillRef("gifts.overdue")),
            Figure("gifts.on_hand", sum(p.value for p in on_hand), COUNT, None, None, None),
            Figure("gifts.low_stock", len(low), COUNT, None, None, None),
        ),
        breakdowns=(Breakdown("handed_out", COUNT, handed, "gifts.handed_out"),
                    Breakdown("owed", COUNT, owed_parts, "gifts.owed"),
                    Breakdown("on_hand", COUNT, on_hand, "gifts.on_hand"),
                    Breakdown("low_stock", COUNT, low, None)),
    )


def _state_label(state: str) -> str:
    return messages.translate(f"redemption.state.{state}")


def review_overdue(created: Sequence[datetime], tz: Any, working_days: int, today: date) -> list[datetime]:
    """Of requests waiting for review made at ``created``, those whose review is overdue today (not
    reviewed within the campaign's working days, as the review queue flags them)."""
    return [at for at in created if today > add_working_days(at.astimezone(tz).date(), working_days)]


def _redemptions(r: _Reader) -> Section:
    """The campaign's points mall (redemptions made in the period: count, points, cash part, by item and
    by state now; gifts picked up, pick-ups waiting) and premium redemption (requests made in the period
    by state now and by item; waiting for review and overdue; fulfilled, shipped or in store)."""
    code = r.info.code
    cur, prev = r.bounds(r.per), r.bounds(r.prev)
    n, pn = r.per.days, r.prev.days
    names = {i: nm for i, _p, _c, nm in DB.campaign_items(r.s, code)}
    mall, p_mall = DB.redemption_groups(r.s, code, "mall", cur), DB.redemption_groups(r.s, code, "mall", prev)
    prem, p_prem = DB.redemption_groups(r.s, code, "premium", cur), DB.redemption_groups(r.s, code, "premium", prev)
    mall_day, p_mall_day = r.daily([(g[0], g[3]) for g in mall], n, 1), r.daily([(g[0], g[3]) for g in p_mall], pn, 1)
    prem_day, p_prem_day = r.daily([(g[0], g[3]) for g in prem], n, 1), r.daily([(g[0], g[3]) for g in p_prem], pn, 1)

    def split(groups: list[tuple[int, str, str, int, int, int]], by_state: bool) -> dict[str, list[int]]:
        """key (item id, or state now) -> [redemptions, points, cash]"""
        out: dict[str, list[int]] = {}
        for g in groups:
            row = out.setdefault(g[2] if by_state else g[1], [0, 0, 0])
            row[0] += g[3]
            row[1] += g[4]
            row[2] += g[5]
        return out

    mall_items, mall_states = split(mall, False), split(mall, True)
    prem_items, prem_states = split(prem, False), split(prem, True)
    waiting = DB.created_in_state(r.s, code, "mall", "reserved")
    to_review = DB.created_in_state(r.s, code, "premium", "requested")
    overdue = review_overdue(to_review, r.tz, r.info.review_working_days, r.today)
    ful, p_ful = dict(DB.fulfilled(r.s, code, cur)), dict(DB.fulfilled(r.s, code, prev))
    by_item = tuple(Part(i, names.get(i, i), v[1], v[0], DrillRef("redemptions.mall_points", i))
                    for i, v in sorted(mall_items.items(), key=lambda t: names.get(t[0], t[0])))
    by_state = tuple(Part(st, _state_label(st), mall_states[st][0], mall_states[st][0],
                          DrillRef("redemptions.mall_state", st)) for st in MALL_STATES if st in mall_states)
    p_by_state = tuple(Part(st, _state_label(st), prem_states[st][0], prem_states[st][0],
                            DrillRef("redemptions.premium_state", st)) for st in PREMIUM_STATES if st in prem_states)
    p_by_item = tuple(Part(i, names.get(i, i), v[0], v[0], DrillRef("redemptions.premium_item", i))
                      for i, v in sorted(prem_items.items(), key=lambda t: names.get(t[0], t[0])))
    how = tuple(Part(k, messages.translate(f"dashboard.fulfilment.{k}"), ful.get(flag, 0), ful.get(flag, 0),
                     DrillRef("redemptions.fulfilled", k)) for k, flag in (("shipped", True), ("in_store", False)))
    t = r.info.targets
    return Section(
        "redemptions", r.per, r.prev,
        figures=(
            Figure("redemptions.mall", sum(mall_day), COUNT, sum(p_mall_day), t.get("mall_redemptions"),
                   DrillRef("redemptions.mall")),
            Figure("redemptions.mall_points", sum(g[4] for g in mall), POINTS, sum(g[4] for g in p_mall), None,
                   DrillRef("redemptions.mall_points")),
            Figure("redemptions.mall_cash", sum(g[5] for g in mall), FEN, sum(g[5] for g in p_mall), None,
                   DrillRef("redemptions.mall_cash")),
            Figure("redemptions.picked_up", DB.picked_up(r.s, code, cur), COUNT, DB.picked_up(r.s, code, prev), None,
                   DrillRef("redemptions.picked_up")),
            Figure("redemptions.pickup_waiting", len(waiting), COUNT, None, None, DrillRef("redemptions.waiting")),
            Figure("redemptions.premium_requests", sum(prem_day), COUNT, sum(p_prem_day), None,
                   DrillRef("redemptions.premium")),
            Figure("redemptions.awaiting_review", len(to_review), COUNT, None, None,
                   DrillRef("redemptions.awaiting_review")),
            Figure("redemptions.review_overdue", len(overdue), COUNT, None, None, DrillRef("redemptions.overdue")),
            Figure("redemptions.fulfilled", sum(ful.values()), COUNT, sum(p_ful.values()),
                   t.get("premium_redemptions"), DrillRef("redemptions.fulfilled")),
        ),
        series=(
            Series("mall_redemptions", COUNT, mall_day, p_mall_day, DrillRef("redemptions.mall"),
                   daily_targets(r.info, r.per, "mall_redemptions")),
            Series("premium_requests", COUNT, prem_day, p_prem_day, DrillRef("redemptions.premium")),
        ),
        breakdowns=(Breakdown("mall_by_item", POINTS, by_item, "redemptions.mall_points"),
                    Breakdown("mall_by_state", COUNT, by_state, "redemptions.mall"),
                    Breakdown("premium_by_state", COUNT, p_by_state, "redemptions.premium_requests"),
                    Breakdown("premium_by_item", COUNT, p_by_item, "redemptions.premium_requests"),
                    Breakdown("fulfilment", COUNT, how, "redemptions.fulfilled")),
    )


def _task_label(level: str, name: str) -> str:
    return f"{messages.translate(f'task.level.{level}')} {name}"


def _tasks(r: _Reader) -> Section:
    """The campaign's points tasks: members with progress on a task now (who started it), members who
    completed it in the period, the completion rate (completed in the period / members who started it),
    the points and coupons the completions granted; per task, and completions per day."""
    code = r.info.code
    cur, prev = r.bounds(r.per), r.bounds(r.prev)
    n, pn = r.per.days, r.prev.days
    started = dict(DB.task_started(r.s, code))
    done, p_done = DB.task_completions(r.s, code, cur), DB.task_completions(r.s, code, prev)
    per_task: dict[str, list[int]] = {}
    for g in done:
        row = per_task.setdefault(g[1], [0, 0, 0])
        row[0] += g[2]
        row[1] += g[3]
        row[2] += g[4]
    day, p_day = r.daily([(g[0], g[2]) for g in done], n, 1), r.daily([(g[0], g[2]) for g in p_done], pn, 1)
    pts_day = r.daily([(g[0], g[3]) for g in done], n, 1)
    p_pts_day = r.daily([(g[0], g[3]) for g in p_done], pn, 1)
    labels = {c: _task_label(lv, nm) for c, lv, nm in r.info.tasks}
    known = [c for c, _lv, _nm in r.info.tasks]
    codes = known + sorted((set(started) | set(per_task)) - set(known))  # a task since dropped from the file
    if not codes and not p_done:
        return Section("tasks", r.per, r.prev, available=False, note="dashboard.tasks_none")
    n_started, n_done = sum(started.values()), sum(day)
    p_n_done = sum(p_day)

    def part(c: str, value: int, count: int, what: str) -> Part:
        return Part(c, labels.get(c, c), value, count, DrillRef(what, c))

    started_parts = tuple(part(c, started.get(c, 0), started.get(c, 0), "tasks.started") for c in codes)
    done_parts = tuple(part(c, per_task.get(c, [0])[0], per_task.get(c, [0])[0], "tasks.completed") for c in codes)
    rate_parts = tuple(part(c, _rate(per_task.get(c, [0])[0], started.get(c, 0)), started.get(c, 0),
                            "tasks.completed") for c in codes)
    point_parts = tuple(part(c, per_task.get(c, [0, 0])[1], per_task.get(c, [0])[0], "tasks.points")
                        for c in codes)
    return Section(
        "tasks", r.per, r.prev,
        figures=(
            Figure("tasks.started", n_started, COUNT, None, None, DrillRef("tasks.started")),
            Figure("tasks.completed", n_done, COUNT, p_n_done, None, DrillRef("tasks.completed")),
            Figure("tasks.completion_rate", _rate(n_done, n_started), BP, None, None, DrillRef("tasks.completed")),
            Figure("tasks.points", sum(pts_day), POINTS, sum(p_pts_day), None, DrillRef("tasks.points")),
            Figure("tasks.coupons", sum(g[4] for g in done), COUNT, sum(g[4] for g in p_done), None,
                   DrillRef("tasks.coupons")),
        ),
        series=(Series("task_completions", COUNT, day, p_day, DrillRef("tasks.completed")),
                Series("task_points", POINTS, pts_day, p_pts_day, DrillRef("tasks.points"))),
        breakdowns=(Breakdown("task_started", COUNT, started_parts, "tasks.started"),
                    Breakdown("task_completed", COUNT, done_parts, "tasks.completed"),
                    Breakdown("task_rate", BP, rate_parts, None),
                    Breakdown("task_points", POINTS, point_parts, "tasks.points")),
    )


def _level_of(info: CampaignInfo, code: str | None) -> str:
    """The campaign level a member's level code stands for (an unknown or missing code: the lowest, as the
    level rules take it)."""
    known = [c for c, _n in info.levels]
    return code if code in known else known[0]


def _levels(r: _Reader) -> Section:
    """The members per member level now (a member never moved is at the lowest), the level changes in the
    period (and of them upgrades), per new level and per day."""
    info = r.info
    if not info.levels:
        return Section("levels", r.per, r.prev, available=False, note="dashboard.levels_none")
    cur, prev = r.bounds(r.per), r.bounds(r.prev)
    rank = {c: i for i, (c, _n) in enumerate(info.levels)}
    names = dict(info.levels)
    now: dict[str, int] = {}
    for k, n in DB.members_by_level(r.s):
        lv = _level_of(info, k)
        now[lv] = now.get(lv, 0) + n
    ch, p_ch = DB.level_change_groups(r.s, cur), DB.level_change_groups(r.s, prev)

    def up(groups: list[tuple[int, str | None, str, int]]) -> int:
        return sum(g[3] for g in groups if rank.get(g[2], 0) > rank.get(_level_of(info, g[1]), 0))

    changes, p_changes = r.daily([(g[0], g[3]) for g in ch], r.per.days, 1), r.daily([(g[0], g[3]) for g in p_ch],
                                                                                      r.prev.days, 1)
    to: dict[str, int] = {}
    for g in ch:
        to[g[2]] = to.get(g[2], 0) + g[3]
    order = [c for c, _n in info.levels] + sorted(set(to) - set(rank))
    member_parts = tuple(Part(c, names[c], now.get(c, 0), now.get(c, 0), DrillRef("levels.members", c))
                         for c, _n in info.levels)
    to_parts = tuple(Part(c, names.get(c, c), to[c], to[c], DrillRef("levels.changes", c)) for c in order if c in to)
    return Section(
        "levels", r.per, r.prev,
        figures=(
            Figure("levels.members", sum(now.values()), COUNT, None, None, DrillRef("levels.members")),
            Figure("levels.changes", sum(changes), COUNT, sum(p_changes), None, DrillRef("levels.changes")),
            Figure("levels.upgrades", up(ch), COUNT, up(p_ch), None, None),
        ),
        series=(Series("level_changes", COUNT, changes, p_changes, DrillRef("levels.changes")),),
        breakdowns=(Breakdown("members_by_level", COUNT, member_parts, "levels.members"),
                    Breakdown("changes_by_level", COUNT, to_parts, "levels.changes")),
    )


_BUILDERS: dict[str, Callable[[_Reader], Section]] = {
    "recharge": _recharge, "sales": _sales, "referrals": _referrals, "coupons": _coupons, "points": _points,
    "wheel": _wheel, "gifts": _gifts, "tasks": _tasks, "redemptions": _redemptions,
    "levels": _levels,
}


def section(ctx: ServiceContext, actor: Actor, name: str, *, campaign: CampaignInfo, period: Period) -> Section:
    """One section's figures (its own read transaction: the dashboard asks for them one by one, so they
    arrive as they are ready)."""
    require(actor, "report.read")
    build = _BUILDERS.get(name)
    if build is None:
        raise InvalidInput("dashboard.section_unknown", section=name)
    check_period(period.from_day, period.to_day)
    if name in SUMMARISED:
        summaries.bring_up_to_date(ctx)
    with ctx.uow(read_only=True) as uow:
        return build(_Reader(uow, ctx, campaign, period))


# ----------------------------------------------------------------------------- the report


@dataclass(frozen=True)
class Evaluation:
    """A target against the actual figure (``target`` None: the campaign set none)."""

    key: str
    unit: str
    target: int | None
    actual: int | None

    @property
    def met(self) -> bool | None:
        if self.target is None or self.actual is None:
            return None
        return self.actual >= self.target

    @property
    def label(self) -> str:
        return messages.translate(f"dashboard.eval.{self.key}")


@dataclass(frozen=True)
class CampaignReport:
    campaign: CampaignInfo
    period: Period
    previous: Period
    sections: tuple[Section, ...]
    evaluation: tuple[Evaluation, ...]

    def section(self, name: str) -> Section:
        return next(s for s in self.sections if s.name == name)

    def daily_rows(self) -> list[dict[str, Any]]:
        return daily_rows(self.period, self.sections)


def daily_rows(per: Period, sections: Sequence[Section]) -> list[dict[str, Any]]:
    """One row per day: ``date`` and every series of the sections (``principal_fen``, ``bonus_fen``,
    ``sales_fen``, ``new_recharging_members``...)."""
    rows: list[dict[str, Any]] = [{"date": d.isoformat()} for d in per.dates()]
    for sec in sections:
        for s in sec.series:
            for i, v in enumerate(s.values):
                rows[i][s.key] = v
    return rows


def evaluation(info: CampaignInfo, sections: Sequence[Section]) -> tuple[Evaluation, ...]:
    """Targets against actual: recharge growth over the previous period, new recharging members, invitee
    conversion, points consumption, coupon redemptions, mall redemptions and premium requests fulfilled."""
    by = {s.name: s for s in sections}
    t = info.targets
    rec = by["recharge"].figure("recharge.principal")
    growth = None if not rec.previous else (rec.value - rec.previous) * BP_PER_UNIT // rec.previous
    return (
        Evaluation("recharge_growth", BP, t.get("recharge_growth_bp"), growth),
        Evaluation("new_recharging_members", COUNT, t.get("new_recharging_members"),
                   by["recharge"].figure("recharge.new_members").value),
        Evaluation("invitee_conversion", BP, t.get("invitee_conversion_bp"),
                   by["referrals"].figure("referrals.conversion").value),
        Evaluation("points_spent", POINTS, t.get("points_spent"), by["points"].figure("points.spent").value),
        Evaluation("coupon_redemptions", COUNT, t.get("coupon_redemptions"),
                   by["coupons"].figure("coupons.redeemed").value),
        Evaluation("mall_redemptions", COUNT, t.get("mall_redemptions"),
                   by["redemptions"].figure("redemptions.mall").value),
        Evaluation("premium_redemptions", COUNT, t.get("premium_redemptions"),
                   by["redemptions"].figure("redemptions.fulfilled").value),
    )


def campaign_report(ctx: ServiceContext, actor: Actor, *, campaign_code: str | None = None,
                    from_day: date | None = None, to_day: date | None = None,
                    period: str | None = None) -> CampaignReport:
    """Every section for the campaign and period (``from_day``/``to_day``, or a ``period`` choice; default:
    the campaign to date) with the evaluation against its targets."""
    if period is None:
        period = CUSTOM if from_day is not None or to_day is not None else CAMPAIGN
    info, per = resolve(ctx, actor, campaign_code=campaign_code, period=period, from_day=from_day, to_day=to_day)
    summaries.bring_up_to_date(ctx)
    with ctx.uow(read_only=True) as uow:
        sections = tuple(_BUILDERS[name](_Reader(uow, ctx, info, per)) for name in SECTIONS)
    return CampaignReport(info, per, per.previous(), sections, evaluation(info, sections))


# ----------------------------------------------------------------------------- drill-down


@dataclass(frozen=True)
class DrillTable:
    """The rows behind a figure: ``headers`` (message ids), the column kinds (time, text, fen, count, date),
    the rows, and the column that adds up to the figure (None: the figure counts the rows)."""

    headers: tuple[str, ...]
    kinds: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    value_col: int | None

    @property
    def total(self) -> int:
        if self.value_col is None:
            return len(self.rows)
        return sum(int(r[self.value_col] or 0) for r in self.rows)


_RECHARGE_COLS = (("dashboard.col.time", "time"), ("dashboard.col.receipt", "text"), ("dashboard.col.phone", "text"),
                  ("dashboard.col.tier", "text"), ("dashboard.col.method", "text"),
                  ("dashboard.col.principal", "fen"), ("dashboard.col.bonus", "fen"))
_SALE_COLS = (("dashboard.col.time", "time"), ("dashboard.col.receipt", "text"), ("dashboard.col.phone", "text"),
              ("dashboard.col.total", "fen"), ("dashboard.col.paid", "fen"), ("dashboard.col.amount", "fen"))
_REFERRAL_COLS = (("dashboard.col.time", "time"), ("dashboard.col.inviter", "text"), ("dashboard.col.invitee", "text"),
                  ("dashboard.col.state", "text"), ("dashboard.col.qualified_at", "time"))
_COUPON_COLS = (("dashboard.col.code", "text"), ("dashboard.col.name", "text"), ("dashboard.col.phone", "text"),
                ("dashboard.col.time", "time"), ("dashboard.col.state", "text"), ("dashboard.col.valid_until", "date"),
                ("dashboard.col.redeemed_at", "time"), ("dashboard.col.discount", "fen"))
_POINT_COLS = (("dashboard.col.time", "time"), ("dashboard.col.phone", "text"), ("dashboard.col.kind", "text"),
               ("dashboard.col.points", "count"))


def _table(cols: Sequence[tuple[str, str]], rows: Sequence[tuple[Any, ...]], value_col: int | None) -> DrillTable:
    return DrillTable(tuple(c for c, _k in cols), tuple(k for _c, k in cols), tuple(rows), value_col)


def drill(ctx: ServiceContext, actor: Actor, ref: DrillRef, *, campaign: CampaignInfo, period: Period,
          day: date | None = None) -> DrillTable:
    """The rows behind a figure (``ref``) for the period, or for one ``day`` of it (a bar of a chart)."""
    require(actor, "report.read")
    per = check_period(period.from_day, period.to_day)
    if day is not None:
        if not per.from_day <= day <= per.to_day:
            raise InvalidInput("dashboard.day_outside", day=day.isoformat())
        per = Period(day, day)
    with ctx.uow(read_only=True) as uow:
        r = _Reader(uow, ctx, campaign, per)
        b = r.bounds(per)
        s, what, x = r.s, ref.what, ref.ref
        if what in ("recharge.all", "recharge.bonus", "recharge.first", "recharge.tier"):
            rows = DB.recharge_rows(s, b, first_only=what == "recharge.first",
                                    tier=x or None, any_tier=what != "recharge.tier")
            col = {"recharge.all": 5, "recharge.bonus": 6}.get(what)
            return _table(_RECHARGE_COLS, rows, 5 if what == "recharge.tier" else col)
        if what == "recharge.refunds":
            return _table((("dashboard.col.time", "time"), ("dashboard.col.phone", "text"),
                           ("dashboard.col.method", "text"), ("dashboard.col.principal", "fen"),
                           ("dashboard.col.bonus", "fen")), DB.refund_rows(s, b), 3)
        if what in ("sales.all", "sales.total", "sales.method", "sales.category", "sales.customer"):
            rows = DB.sale_rows(s, b, method=x if what == "sales.method" else None,
                                category=x if what == "sales.category" else None,
                                member=(x == "member") if what == "sales.customer" else None)
            return _table(_SALE_COLS, rows, 3 if what == "sales.total" else 5)
        if what == "sales.returns":
            return _table((("dashboard.col.time", "time"), ("dashboard.col.receipt", "text"),
                           ("dashboard.col.amount", "fen")), DB.return_rows(s, b), 2)
        code = campaign.code
        if what in ("referrals.registered", "referrals.converted", "referrals.qualified", "referrals.inviter"):
            rows = DB.referral_rows(s, code, b, qualified=what in ("referrals.qualified", "referrals.inviter"),
                                    inviter_id=x if what == "referrals.inviter" else None)
            if what == "referrals.converted":
                rows = [row for row in rows if row[3] == "qualified"]
            return _table(_REFERRAL_COLS, rows, None)
        if what == "referrals.rewards":
            states = [k for k, v in REWARD_GROUPS.items() if v == x] if x in ("pending", "issued") else \
                ["revoked", "declined", "kept", "cancelled"]
            return _table((("dashboard.col.time", "time"), ("dashboard.col.phone", "text"),
                           ("dashboard.col.kind", "text"), ("dashboard.col.name", "text"),
                           ("dashboard.col.state", "text"), ("dashboard.col.due_on", "date")),
                          DB.reward_rows(s, code, b, states), None)
        if what.startswith("coupons."):
            kind = what.split(".", 1)[1]
            if kind == "expired":
                exp = _expiry_days(r, per)
                rows = DB.coupon_rows(s, what="expired", last_days=exp) if exp else []
                return _table(_COUPON_COLS, rows, None)
            rows = DB.coupon_rows(s, bounds=b, what="redeemed" if kind == "discount" else kind)
            return _table(_COUPON_COLS, rows, 7 if kind == "discount" else None)
        if what == "points.source":
            return _table(_POINT_COLS, DB.points_rows(s, b, source=x), 3)
        if what == "points.kind":
            rows = [(at, ph, k, -p) for at, ph, k, p in DB.points_rows(s, b, kind=x)]
            return _table(_POINT_COLS, rows, 3)
        if what == "points.checkins":
            return _table((("dashboard.col.time", "time"), ("dashboard.col.phone", "text"),
                           ("dashboard.col.day", "date"), ("dashboard.col.streak", "count"),
                           ("dashboard.col.points", "count")), DB.checkin_rows(s, per.from_day, per.to_day), None)
        if what == "wheel.members":
            w = DB.wheel_of(s, code)
            return _table((("dashboard.col.phone", "text"), ("dashboard.col.draws", "count"),
                           ("dashboard.col.time", "time")), DB.drawing_member_rows(s, w[0], b) if w else [], None)
        if what in ("wheel.draws", "wheel.prize", "wheel.cost"):
            w = DB.wheel_of(s, code)
            rows = DB.draw_rows(s, w[0], b, prize=x if what == "wheel.prize" else None) if w else []
            return _table((("dashboard.col.time", "time"), ("dashboard.col.phone", "text"),
                           ("dashboard.col.prize", "text"), ("dashboard.col.points", "count"),
                           ("dashboard.col.claim_code", "text")), rows, 3 if what == "wheel.cost" else None)
        if what in ("wheel.to_claim", "wheel.claimed"):
            w = DB.wheel_of(s, code)
            rows = DB.prize_claim_rows(s, w[0], b, claimed=what == "wheel.claimed") if w else []
            return _table((("dashboard.col.time", "time"), ("dashboard.col.phone", "text"),
                           ("dashboard.col.sku", "text"), ("dashboard.col.prize", "text"),
                           ("dashboard.col.state", "text")), rows, None)
        if what.startswith("redemptions."):
            return _redemption_drill(r, what[len("redemptions."):], x, b)
        if what in ("levels.members", "levels.changes"):
            return _level_drill(r, what, x, b)
        if what in ("tasks.started", "tasks.completed", "tasks.points", "tasks.coupons"):
            labels = {c: _task_label(lv, nm) for c, lv, nm in campaign.tasks}
            rows = DB.task_rows(s, code, None if what == "tasks.started" else b, task=x,
                                coupon=what == "tasks.coupons")
            return _table(_TASK_COLS, [(at, ph, labels.get(t, t), *rest) for at, ph, t, *rest in rows],
                          5 if what == "tasks.points" else None)
        if what == "gifts.handout":
            return _table((("dashboard.col.time", "time"), ("dashboard.col.sku", "text"),
                           ("dashboard.col.phone", "text"), ("dashboard.col.reason", "text"),
                           ("dashboard.col.qty", "count")), DB.handout_rows(s, b, x), 4)
        if what in ("gifts.owed", "gifts.overdue"):
            return _table((("dashboard.col.time", "time"), ("dashboard.col.phone", "text"),
                           ("dashboard.col.sku", "text"), ("dashboard.col.name", "text"),
                           ("dashboard.col.kind", "text"), ("dashboard.col.due_on", "date")),
                          DB.owed_rows(s, r.today, overdue=what == "gifts.overdue", sku=x), None)
    raise InvalidInput("dashboard.drill_unknown", what=what)


def _level_drill(r: _Reader, what: str, x: str | None, b: list[datetime]) -> DrillTable:
    """The members at a level now, or the level changes in the period (to a level)."""
    info = r.info
    names = dict(info.levels)
    if not names:
        return _table((), [], None)
    if what == "levels.members":
        wanted: list[str | None] = [x] if x is not None else [c for c, _n in info.levels]
        if x is None or x == info.levels[0][0]:  # the lowest also holds members never moved, or of a dropped level
            wanted += [None, *sorted({k for k, _n in DB.members_by_level(r.s) if k is not None and k not in names})]
        members = [(at, ph, names[_level_of(info, lv)], until)
                   for at, ph, lv, until in DB.level_member_rows(r.s, wanted)]
        return _table((("dashboard.col.time", "time"), ("dashboard.col.phone", "text"),
                       ("dashboard.col.level", "text"), ("dashboard.col.level_until", "date")), members, None)
    rows = [(at, ph, names.get(_level_of(info, f), f or ""), names.get(t, t),
             messages.translate(f"level.reason.{why}")) for at, ph, f, t, why in DB.level_change_rows(r.s, b, x)]
    return _table((("dashboard.col.time", "time"), ("dashboard.col.phone", "text"), ("dashboard.col.from_level", "text"),
                   ("dashboard.col.level", "text"), ("dashboard.col.reason", "text")), rows, None)


_TASK_COLS = (("dashboard.col.completed_at", "time"), ("dashboard.col.phone", "text"), ("dashboard.col.task", "text"),
              ("dashboard.col.progress", "count"), ("dashboard.col.target", "count"), ("dashboard.col.points", "count"),
              ("dashboard.col.coupons", "count"))


_REDEMPTION_COLS = (("dashboard.col.time", "time"), ("dashboard.col.redeem_code", "text"), ("dashboard.col.phone", "text"),
                    ("dashboard.col.item", "text"), ("dashboard.col.state", "text"), ("dashboard.col.points", "count"),
                    ("dashboard.col.cash", "fen"))


def _redemption_drill(r: _Reader, kind: str, x: str | None, b: list[datetime]) -> DrillTable:
    """The redemptions behind a figure of the redemptions section (``kind``: its drill name)."""
    s, code = r.s, r.info.code
    rows: list[tuple[Any, ...]]
    col: int | None = None
    if kind in ("mall", "mall_points", "mall_cash", "mall_state"):
        rows = DB.redemption_rows(s, code, "mall", b, item_id=x if kind == "mall_points" else None,
                                  state=x if kind == "mall_state" else None)
        col = {"mall_points": 5, "mall_cash": 6}.get(kind)
    elif kind == "picked_up":
        rows = DB.redemption_rows(s, code, "mall", b, picked_up=True)
    elif kind == "waiting":
        rows = DB.redemption_rows(s, code, "mall", None, state="reserved")
    elif kind in ("premium", "premium_state", "premium_item"):
        rows = DB.redemption_rows(s, code, "premium", b, state=x if kind == "premium_state" else None,
                                  item_id=x if kind == "premium_item" else None)
    elif kind in ("awaiting_review", "overdue"):
        rows = DB.redemption_rows(s, code, "premium", None, state="requested")
        if kind == "overdue":
            late = set(review_overdue([row[0] for row in rows], r.tz, r.info.review_working_days, r.today))
            rows = [row for row in rows if row[0] in late]
    elif kind == "fulfilled":
        if x is None:
            rows = DB.redemption_rows(s, code, "premium", b, shipped=True) + \
                DB.redemption_rows(s, code, "premium", b, shipped=False)
            rows.sort(key=lambda row: row[0])
        else:
            rows = DB.redemption_rows(s, code, "premium", b, shipped=x == "shipped")
    else:
        raise InvalidInput("dashboard.drill_unknown", what=f"redemptions.{kind}")
    shown = [(*row[:4], _state_label(row[4]), *row[5:]) for row in rows]  # the state as the review queue names it
    return _table(_REDEMPTION_COLS, shown, col)


def drill_cells(t: DrillTable, tz: Any) -> list[list[str]]:
    """The drill rows as text (times in the store's zone, money as ¥)."""
    from pos_app.services.reports.shift import local_text  # noqa: PLC0415

    out = []
    for row in t.rows:
        cells = []
        for v, kind in zip(row, t.kinds, strict=True):
            if v is None:
                cells.append("")
            elif kind == "time":
                cells.append(local_text(v, tz))
            elif kind == "fen":
                cells.append(format_fen(int(v)))
            elif kind == "date":
                cells.append(v.isoformat() if isinstance(v, date) else str(v))
            else:
                cells.append(str(v))
        out.append(cells)
    return out


# ----------------------------------------------------------------------------- text, JSON, files


def value_text(value: int | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == FEN:
        return format_fen(value)
    if unit == BP:
        return f"{value / 100:.2f}%"
    return f"{value:,}"


def target_text(f: Figure) -> str:
    """A figure's target against its actual value (""; no target): the target and how much of it is reached."""
    if f.target is None:
        return ""
    return messages.translate("dashboard.target_progress", {"value": value_text(f.target, f.unit),
                                                            "reached": value_text(f.reached_bp, BP)})


def json_dict(r: CampaignReport) -> dict[str, Any]:
    """The report as ``--json`` prints it: the campaign, the periods, the daily rows, every section's figures
    and breakdowns (money as integer ``*_fen``, rates in basis points) and the evaluation."""
    def fig(f: Figure) -> dict[str, Any]:
        return {"key": f.key, "unit": f.unit, "value": f.value, "previous": f.previous, "target": f.target}

    return {
        "campaign": {"code": r.campaign.code, "name": r.campaign.name, "starts_on": r.campaign.starts_on.isoformat(),
                     "ends_on": r.campaign.ends_on.isoformat(), "targets": dict(r.campaign.targets)},
        "from": r.period.from_day.isoformat(), "to": r.period.to_day.isoformat(),
        "previous": {"from": r.previous.from_day.isoformat(), "to": r.previous.to_day.isoformat()},
        "days": r.daily_rows(),
        "sections": {s.name: {
            "available": s.available, "note": s.note,
            "figures": {f.key: fig(f) for f in s.figures},
            "previous_days": {x.key: list(x.previous or ()) for x in s.series},
            "target_days": {x.key: list(x.target) for x in s.series if x.target is not None},
            "breakdowns": {b.key: [{"ref": p.ref, "label": p.label, "value": p.value, "count": p.count}
                                   for p in b.parts] for b in s.breakdowns},
        } for s in r.sections},
        "evaluation": [{"key": e.key, "unit": e.unit, "target": e.target, "actual": e.actual, "met": e.met}
                       for e in r.evaluation],
    }


def evaluation_lines(r: CampaignReport) -> list[tuple[str, str, str, str]]:
    """(label, target, actual, met) of the evaluation, as text."""
    _t = messages.translate
    out = []
    for e in r.evaluation:
        met = "" if e.met is None else _t("dashboard.eval.met") if e.met else _t("dashboard.eval.missed")
        out.append((e.label, value_text(e.target, e.unit), value_text(e.actual, e.unit), met))
    return out


def daily_headers(r: CampaignReport) -> list[tuple[str, str]]:
    """(series key, unit) of the daily rows' columns after the date."""
    return [(s.key, s.unit) for sec in r.sections for s in sec.series]


def export(ctx: ServiceContext, actor: Actor, path: str | Path, *, campaign_code: str | None = None,
           from_day: date, to_day: date) -> Path:
    """The report written to ``path``: .csv or .xlsx (the daily rows, then the figures with the previous
    period and target, then the evaluation), or .pdf (A4)."""
    from pos_app.services.exports import Cell, export_format, write_table, yuan  # noqa: PLC0415

    suffix = Path(path).suffix.lower()
    if suffix != ".pdf":
        export_format(path)
    r = campaign_report(ctx, actor, campaign_code=campaign_code, from_day=from_day, to_day=to_day)
    if suffix == ".pdf":
        from pos_app.printing.reports_pdf import campaign_pdf  # noqa: PLC0415

        with ctx.uow(read_only=True) as uow:
            store = settings(uow).name
        campaign_pdf(r, store, path)
        return Path(path)
    _t = messages.translate
    cols = daily_headers(r)

    def cell(v: int | None, unit: str) -> Cell:
        if v is None:
            return None
        return yuan(v) if unit == FEN else (f"{v / 100:.2f}%" if unit == BP else v)

    headers = [_t("report.col.date"), *[_t(f"dashboard.series.{k}") for k, _u in cols]]
    rows: list[list[Cell]] = [[d["date"], *[cell(d[k], u) for k, u in cols]] for d in r.daily_rows()]
    rows.append([])
    rows.append([_t("dashboard.col.figure"), _t("dashboard.col.value"), _t("dashboard.col.previous"),
                 _t("dashboard.col.target")])
    for sec in r.sections:
        if not sec.available:
            rows.append([sec.title, sec.note_text])
            continue
        for f in sec.figures:
            rows.append([f"{sec.title} · {f.label}", cell(f.value, f.unit), cell(f.previous, f.unit),
                         cell(f.target, f.unit)])
    rows.append([])
    rows.append([_t("dashboard.col.evaluation"), _t("dashboard.col.target"), _t("dashboard.col.actual"),
                 _t("dashboard.col.met")])
    rows += [list(line) for line in evaluation_lines(r)]
    return write_table(path, headers, rows, title="campaign")
