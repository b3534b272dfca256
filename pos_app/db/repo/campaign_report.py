"""The campaign figures' read queries (dashboard and campaign report, issue 14): the only place that knows
their SQL. Daily figures are grouped by store-local day inside the database: ``bounds`` are the UTC
instants the days start (and the last one ends), and :func:`day_index` numbers a row's day from them, so a
month of a large store is summed where it lies and only one row per day comes back. Each figure has a
``*_rows`` twin that returns the rows behind it (the dashboard's drill-down), and the tests check that the
rows add up to the figure.

Only this store's own facts count: recharges and wallet rows pulled from other stores (``origin_store``)
are left out."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Integer, and_, case, cast, exists, func, literal, or_, select, union
from sqlalchemy.orm import Session, aliased

from pos_app.db import models as m
from pos_app.db import models_checkout as mk
from pos_app.db import models_coupons as mc
from pos_app.db import models_gifts as mg
from pos_app.db import models_levels as ml
from pos_app.db import models_mall as mm
from pos_app.db import models_points as mp
from pos_app.db.repo.base import run

#: rows a drill-down returns at most (the screen's table; the figure itself is always whole)
DRILL_LIMIT = 2000


def _sum0(col: Any) -> Any:
    return func.coalesce(func.sum(col), 0)


def day_index(s: Session, col: Any, bounds: Sequence[datetime]) -> Any:
    """The store-local day number (0 .. len(bounds) - 2) of a timestamp column already inside
    ``[bounds[0], bounds[-1])``, evaluated in the database: on SQLite, when every day of the period is 24
    hours long (no change of UTC offset inside it), whole days since the first bound, in integer seconds;
    otherwise one comparison per day boundary."""
    if len(bounds) <= 2:
        return literal(0)
    even = all(b - a == timedelta(days=1) for a, b in zip(bounds, bounds[1:], strict=False))
    if even and s.get_bind().dialect.name == "sqlite":
        first = int(bounds[0].timestamp())
        return (cast(func.strftime("%s", col), Integer) - first) // 86_400
    return case(*[(col < b, i) for i, b in enumerate(bounds[1:-1])], else_=len(bounds) - 2)


def _in(col: Any, bounds: Sequence[datetime]) -> Any:
    return and_(col >= bounds[0], col < bounds[-1])


def _local_recharge() -> Any:
    return m.Recharge.origin_store.is_(None)


# ----------------------------------------------------------------------------- recharge


def _first_recharge() -> Any:
    """A recharge that is its member's first (no earlier recharge of the same member, any store)."""
    r, earlier = m.Recharge, aliased(m.Recharge, name="earlier")
    return ~exists().where(earlier.member_id == r.member_id, earlier.created_at < r.created_at)


def recharge_rows(s: Session, bounds: Sequence[datetime], *, first_only: bool = False,
                  tier: str | None = None, any_tier: bool = True) -> list[tuple[Any, ...]]:
    """(time, receipt no, phone, tier, pay method, principal, bonus) of the recharges behind a figure."""
    r = m.Recharge
    stmt = (select(r.created_at, r.receipt_no, m.Member.phone, r.tier_code, r.pay_method, r.amount_fen, r.bonus_fen)
            .join(m.Member, m.Member.id == r.member_id).where(_in(r.created_at, bounds), _local_recharge()))
    if first_only:
        stmt = stmt.where(_first_recharge())
    if not any_tier:
        stmt = stmt.where(r.tier_code.is_(None) if tier is None else r.tier_code == tier)
    return [tuple(row) for row in run(s, stmt.order_by(r.created_at).limit(DRILL_LIMIT))]


def refund_rows(s: Session, bounds: Sequence[datetime]) -> list[tuple[Any, ...]]:
    f = m.Refund
    stmt = (select(f.created_at, m.Member.phone, f.refund_method, f.principal_refund_fen, f.bonus_revoke_fen)
            .join(m.Member, m.Member.id == f.member_id).where(_in(f.created_at, bounds)).order_by(f.created_at))
    return [tuple(row) for row in run(s, stmt.limit(DRILL_LIMIT))]


# ----------------------------------------------------------------------------- sales


def sale_rows(s: Session, bounds: Sequence[datetime], *, member: bool | None = None,
              method: str | None = None, category: str | None = None) -> list[tuple[Any, ...]]:
    """(time, receipt no, phone or None, total, actually paid, the part of the figure) of the sales behind a
    figure: the part is what the figure adds up (paid; with ``method`` that method's paid part; with
    ``category`` that category's line amounts)."""
    x = mk.Sale
    if method is not None:
        p = mk.SalePayment
        part: Any = _sum0(p.amount_fen - p.bonus_fen)
        stmt = (select(x.created_at, x.receipt_no, m.Member.phone, x.total_fen, x.paid_fen, part)
                .join(p, p.sale_id == x.id).where(p.method == method))
    elif category is not None:
        ln = mk.SaleLine
        stmt = (select(x.created_at, x.receipt_no, m.Member.phone, x.total_fen, x.paid_fen, _sum0(ln.amount_fen))
                .join(ln, ln.sale_id == x.id).where(ln.category == category))
    else:
        stmt = select(x.created_at, x.receipt_no, m.Member.phone, x.total_fen, x.paid_fen, x.paid_fen)
    stmt = stmt.outerjoin(m.Member, m.Member.id == x.member_id).where(_in(x.created_at, bounds))
    if member is not None:
        stmt = stmt.where(x.member_id.is_not(None) if member else x.member_id.is_(None))
    if method is not None or category is not None:
        stmt = stmt.group_by(x.id, x.created_at, x.receipt_no, m.Member.phone, x.total_fen, x.paid_fen)
    return [tuple(row) for row in run(s, stmt.order_by(x.created_at).limit(DRILL_LIMIT))]


def return_rows(s: Session, bounds: Sequence[datetime]) -> list[tuple[Any, ...]]:
    r, x = mk.SaleReturn, mk.Sale
    stmt = (select(r.created_at, x.receipt_no, r.amount_fen).join(x, x.id == r.sale_id)
            .where(_in(r.created_at, bounds)).order_by(r.created_at))
    return [tuple(row) for row in run(s, stmt.limit(DRILL_LIMIT))]


# ----------------------------------------------------------------------------- referrals


def referral_days(s: Session, campaign: str, bounds: Sequence[datetime]) -> list[tuple[int, int, int]]:
    """(day, invitees registered that day, of them qualified now) of the campaign's referrals."""
    f = mc.Referral
    d = day_index(s, f.registered_at, bounds).label("d")
    stmt = (select(d, func.count(), _sum0(case((f.state == "qualified", 1), else_=0)))
            .where(f.campaign_code == campaign, _in(f.registered_at, bounds)).group_by(d))
    return [(int(i), int(n), int(q)) for i, n, q in run(s, stmt)]


def qualified_days(s: Session, campaign: str, bounds: Sequence[datetime]) -> list[tuple[int, int]]:
    """(day, referrals that qualified that day and still stand)."""
    f = mc.Referral
    d = day_index(s, f.qualified_at, bounds).label("d")
    stmt = (select(d, func.count()).where(f.campaign_code == campaign, f.state == "qualified",
                                          _in(f.qualified_at, bounds)).group_by(d))
    return [(int(i), int(n)) for i, n in run(s, stmt)]


def referral_rewards(s: Session, campaign: str, bounds: Sequence[datetime]) -> list[tuple[str, int]]:
    """(entitlement state, rewards) of the campaign's referral rewards granted in the period."""
    e, rr, f = m.Entitlement, mc.ReferralReward, mc.Referral
    stmt = (select(e.state, func.count()).join(rr, rr.entitlement_id == e.id).join(f, f.id == rr.referral_id)
            .where(f.campaign_code == campaign, _in(e.created_at, bounds)).group_by(e.state))
    return [(str(k), int(n)) for k, n in run(s, stmt)]


def top_inviters(s: Session, campaign: str, bounds: Sequence[datetime], limit: int = 10) -> list[tuple[str, str, str | None, int]]:
    """(member id, phone, name, invitees qualified in the period) of the campaign's best inviters."""
    f = mc.Referral
    n = func.count().label("n")
    stmt = (select(m.Member.id, m.Member.phone, m.Member.name, n).select_from(f)
            .join(m.Member, m.Member.id == f.inviter_id)
            .where(f.campaign_code == campaign, f.state == "qualified", _in(f.qualified_at, bounds))
            .group_by(m.Member.id, m.Member.phone, m.Member.name).order_by(n.desc(), m.Member.phone).limit(limit))
    return [(str(i), str(p), nm, int(c)) for i, p, nm, c in run(s, stmt)]


def referral_rows(s: Session, campaign: str, bounds: Sequence[datetime], *, qualified: bool = False,
                  inviter_id: str | None = None) -> list[tuple[Any, ...]]:
    """(registered at, inviter phone, invitee phone, state, qualified at) of the referrals behind a figure:
    registered in the period, or with ``qualified`` those that qualified in it and still stand."""
    f = mc.Referral
    inviter, invitee = aliased(m.Member, name="inviter"), aliased(m.Member, name="invitee")
    stmt = (select(f.registered_at, inviter.phone, invitee.phone, f.state, f.qualified_at)
            .join(inviter, inviter.id == f.inviter_id).join(invitee, invitee.id == f.invitee_id)
            .where(f.campaign_code == campaign))
    if qualified:
        stmt = stmt.where(f.state == "qualified", _in(f.qualified_at, bounds))
    else:
        stmt = stmt.where(_in(f.registered_at, bounds))
    if inviter_id is not None:
        stmt = stmt.where(f.inviter_id == inviter_id)
    return [tuple(row) for row in run(s, stmt.order_by(f.registered_at).limit(DRILL_LIMIT))]


def reward_rows(s: Session, campaign: str, bounds: Sequence[datetime], states: Sequence[str]) -> list[tuple[Any, ...]]:
    e, rr, f = m.Entitlement, mc.ReferralReward, mc.Referral
    stmt = (select(e.created_at, m.Member.phone, rr.role, e.name, e.state, e.due_on)
            .join(rr, rr.entitlement_id == e.id).join(f, f.id == rr.referral_id)
            .join(m.Member, m.Member.id == e.member_id)
            .where(f.campaign_code == campaign, _in(e.created_at, bounds), e.state.in_(list(states)))
            .order_by(e.created_at))
    return [tuple(row) for row in run(s, stmt.limit(DRILL_LIMIT))]


# ----------------------------------------------------------------------------- coupons


def coupons_issued_days(s: Session, bounds: Sequence[datetime]) -> list[tuple[int, int, int]]:
    """(day, coupons issued that day, of them redeemed now)."""
    c = mc.Coupon
    d = day_index(s, c.issued_at, bounds).label("d")
    stmt = (select(d, func.count(), _sum0(case((c.state == "redeemed", 1), else_=0)))
            .where(_in(c.issued_at, bounds)).group_by(d))
    return [(int(i), int(n), int(r)) for i, n, r in run(s, stmt)]


def coupons_redeemed_days(s: Session, bounds: Sequence[datetime]) -> list[tuple[int, int, int]]:
    """(day, coupons redeemed that day (and not reinstated since), discount they gave)."""
    c = mc.Coupon
    d = day_index(s, c.redeemed_at, bounds).label("d")
    stmt = (select(d, func.count(), _sum0(c.discount_fen))
            .where(c.state == "redeemed", _in(c.redeemed_at, bounds)).group_by(d))
    return [(int(i), int(n), int(x)) for i, n, x in run(s, stmt)]


def coupons_voided(s: Session, bounds: Sequence[datetime]) -> int:
    c = mc.Coupon
    return int(run(s, select(func.count()).where(c.state == "voided", _in(c.voided_at, bounds))).scalar() or 0)


def coupons_expired(s: Session, first_last_day: date, last_last_day: date) -> int:
    """Unused coupons whose last valid day is in ``first_last_day .. last_last_day``."""
    c = mc.Coupon
    return int(run(s, select(func.count()).where(c.state == "issued", c.valid_until >= first_last_day,
                                                c.valid_until <= last_last_day)).scalar() or 0)


def coupon_rows(s: Session, *, bounds: Sequence[datetime] | None = None, what: str,
                last_days: tuple[date, date] | None = None) -> list[tuple[Any, ...]]:
    """(code, name, phone, issued at, state, valid until, redeemed at, discount) of the coupons behind a figure:
    ``what`` = issued | issued_redeemed | redeemed | voided | expired."""
    c = mc.Coupon
    stmt = (select(c.code, c.name, m.Member.phone, c.issued_at, c.state, c.valid_until, c.redeemed_at, c.discount_fen)
            .outerjoin(m.Member, m.Member.id == c.member_id))
    if what in ("issued", "issued_redeemed"):
        assert bounds is not None
        stmt = stmt.where(_in(c.issued_at, bounds))
        if what == "issued_redeemed":
            stmt = stmt.where(c.state == "redeemed")
    elif what == "redeemed":
        assert bounds is not None
        stmt = stmt.where(c.state == "redeemed", _in(c.redeemed_at, bounds))
    elif what == "voided":
        assert bounds is not None
        stmt = stmt.where(c.state == "voided", _in(c.voided_at, bounds))
    else:
        assert last_days is not None
        stmt = stmt.where(c.state == "issued", c.valid_until >= last_days[0], c.valid_until <= last_days[1])
    return [tuple(row) for row in run(s, stmt.order_by(c.issued_at, c.code).limit(DRILL_LIMIT))]


# ----------------------------------------------------------------------------- points


def points_rows(s: Session, bounds: Sequence[datetime], *, source: str | None = None,
                kind: str | None = None) -> list[tuple[Any, ...]]:
    """(time, phone, source or kind, points) of the lots (``source``) or ledger rows (``kind``) behind a figure."""
    if source is not None:
        lot = m.PointsLot
        stmt: Any = (select(lot.earned_at, m.Member.phone, lot.source, lot.points)
                     .join(m.Member, m.Member.id == lot.member_id)
                     .where(lot.source == source, _in(lot.earned_at, bounds)).order_by(lot.earned_at))
    else:
        e = m.PointsEntry
        stmt = (select(e.created_at, m.Member.phone, e.kind, e.delta).join(m.Member, m.Member.id == e.member_id)
                .where(e.kind == kind, _in(e.created_at, bounds)).order_by(e.created_at))
    return [tuple(row) for row in run(s, stmt.limit(DRILL_LIMIT))]


def checkin_days(s: Session, first: date, last: date) -> list[tuple[date, int, int]]:
    """(store-local day, check-ins, points they earned with their streak bonus)."""
    c = mp.Checkin
    stmt = (select(c.day, func.count(), _sum0(c.points + c.bonus_points)).where(c.day >= first, c.day <= last)
            .group_by(c.day))
    return [(d, int(n), int(p)) for d, n, p in run(s, stmt)]


def checkin_rows(s: Session, first: date, last: date) -> list[tuple[Any, ...]]:
    c = mp.Checkin
    stmt = (select(c.created_at, m.Member.phone, c.day, c.streak, c.points + c.bonus_points)
            .join(m.Member, m.Member.id == c.member_id).where(c.day >= first, c.day <= last).order_by(c.created_at))
    return [tuple(row) for row in run(s, stmt.limit(DRILL_LIMIT))]


# ----------------------------------------------------------------------------- wheel


def wheel_of(s: Session, campaign: str) -> tuple[str, str, str] | None:
    """(wheel id, code, name) of the campaign's newest published wheel."""
    w = mp.Wheel
    row = run(s, select(w.id, w.code, w.name).where(w.campaign_code == campaign)
              .order_by(w.published_at.desc()).limit(1)).first()
    return None if row is None else (str(row[0]), str(row[1]), str(row[2]))


def draw_days(s: Session, wheel_id: str, bounds: Sequence[datetime]) -> list[tuple[int, int, int]]:
    """(day, draws, points they cost)."""
    dr = mp.WheelDraw
    d = day_index(s, dr.created_at, bounds).label("d")
    stmt = (select(d, func.count(), _sum0(dr.cost_points)).where(dr.wheel_id == wheel_id, _in(dr.created_at, bounds))
            .group_by(d))
    return [(int(i), int(n), int(p)) for i, n, p in run(s, stmt)]


def drawing_members(s: Session, wheel_id: str, bounds: Sequence[datetime]) -> int:
    dr = mp.WheelDraw
    return int(run(s, select(func.count(func.distinct(dr.member_id)))
                   .where(dr.wheel_id == wheel_id, _in(dr.created_at, bounds))).scalar() or 0)


def active_members(s: Session, bounds: Sequence[datetime], first: date, last: date) -> int:
    """Members who did anything in the period: a recharge, a purchase, a check-in or a draw."""
    r, x, c, dr = m.Recharge, mk.Sale, mp.Checkin, mp.WheelDraw
    q = union(
        select(r.member_id).where(_in(r.created_at, bounds), _local_recharge()),
        select(x.member_id).where(_in(x.created_at, bounds), x.member_id.is_not(None)),
        select(c.member_id).where(c.day >= first, c.day <= last),
        select(dr.member_id).where(_in(dr.created_at, bounds)),
    ).subquery()
    return int(run(s, select(func.count()).select_from(q)).scalar() or 0)


def prizes_won(s: Session, wheel_id: str, bounds: Sequence[datetime]) -> list[tuple[str, int]]:
    """(prize code, draws that won it in the period)."""
    dr = mp.WheelDraw
    stmt = (select(dr.prize_code, func.count()).where(dr.wheel_id == wheel_id, _in(dr.created_at, bounds))
            .group_by(dr.prize_code))
    return [(str(k), int(n)) for k, n in run(s, stmt)]


def prize_table(s: Session, wheel_id: str) -> list[tuple[str, str, str, int, int]]:
    """(code, tier, name, quantity, won so far) of the wheel's prizes, in wheel order."""
    p = mp.WheelPrize
    stmt = select(p.code, p.tier, p.name, p.quantity, p.won).where(p.wheel_id == wheel_id).order_by(p.position)
    return [(str(c), str(t), str(n), int(q), int(w)) for c, t, n, q, w in run(s, stmt)]


def draw_rows(s: Session, wheel_id: str, bounds: Sequence[datetime], prize: str | None = None) -> list[tuple[Any, ...]]:
    dr = mp.WheelDraw
    stmt = (select(dr.created_at, m.Member.phone, dr.prize_code, dr.cost_points, dr.claim_code)
            .join(m.Member, m.Member.id == dr.member_id).where(dr.wheel_id == wheel_id, _in(dr.created_at, bounds)))
    if prize is not None:
        stmt = stmt.where(dr.prize_code == prize)
    return [tuple(row) for row in run(s, stmt.order_by(dr.created_at).limit(DRILL_LIMIT))]


# ----------------------------------------------------------------------------- gifts


def handouts(s: Session, bounds: Sequence[datetime]) -> list[tuple[str, int, int]]:
    """(sku, hand-outs, units handed out) in the period."""
    mv = mg.StockMovement
    stmt = (select(mv.sku, func.count(), _sum0(-mv.delta)).where(mv.kind == "handout", _in(mv.created_at, bounds))
            .group_by(mv.sku))
    return [(str(k), int(n), int(q)) for k, n, q in run(s, stmt)]


def gifts_owed(s: Session, today: date) -> list[tuple[str, int, int]]:
    """(sku, gifts owed now, of them overdue: due before ``today``)."""
    e = m.Entitlement
    overdue = _sum0(case((and_(e.due_on.is_not(None), e.due_on < today), 1), else_=0))
    stmt = (select(e.ref, func.count(), overdue).where(e.state == "owed", e.kind == "gift").group_by(e.ref))
    return [(str(k), int(n), int(o)) for k, n, o in run(s, stmt)]


def gift_items(s: Session) -> list[tuple[str, str, int, int, bool]]:
    """(sku, name, on hand, low-stock threshold, active) of the gift catalogue."""
    g = mg.GiftItem
    stmt = select(g.sku, g.name, g.on_hand, g.threshold, g.active).order_by(g.sku)
    return [(str(k), str(n), int(o), int(t), bool(a)) for k, n, o, t, a in run(s, stmt)]


def handout_rows(s: Session, bounds: Sequence[datetime], sku: str | None = None) -> list[tuple[Any, ...]]:
    mv = mg.StockMovement
    stmt = (select(mv.created_at, mv.sku, m.Member.phone, mv.reason, -mv.delta).outerjoin(m.Member, m.Member.id == mv.member_id)
            .where(mv.kind == "handout", _in(mv.created_at, bounds)))
    if sku is not None:
        stmt = stmt.where(mv.sku == sku)
    return [tuple(row) for row in run(s, stmt.order_by(mv.created_at).limit(DRILL_LIMIT))]


def owed_rows(s: Session, today: date, *, overdue: bool = False, sku: str | None = None) -> list[tuple[Any, ...]]:
    e = m.Entitlement
    stmt = (select(e.created_at, m.Member.phone, e.ref, e.name, e.source, e.due_on)
            .join(m.Member, m.Member.id == e.member_id).where(e.state == "owed", e.kind == "gift"))
    if overdue:
        stmt = stmt.where(e.due_on.is_not(None), e.due_on < today)
    if sku is not None:
        stmt = stmt.where(e.ref == sku)
    return [tuple(row) for row in run(s, stmt.order_by(e.due_on, e.created_at).limit(DRILL_LIMIT))]


def drawing_member_rows(s: Session, wheel_id: str, bounds: Sequence[datetime]) -> list[tuple[Any, ...]]:
    """(phone, draws, first draw) of each member who drew in the period."""
    dr = mp.WheelDraw
    stmt = (select(m.Member.phone, func.count(), func.min(dr.created_at)).select_from(dr)
            .join(m.Member, m.Member.id == dr.member_id).where(dr.wheel_id == wheel_id, _in(dr.created_at, bounds))
            .group_by(m.Member.phone).order_by(m.Member.phone))
    return [(p, int(n), first) for p, n, first in run(s, stmt.limit(DRILL_LIMIT))]


# ----------------------------------------------------------------------------- wheel prizes to claim


def _prize_gift(wheel_id: str) -> Any:
    """An entitlement that is a gift prize of the wheel: a gift granted as a prize to a member right after
    their draw of a gift prize with that SKU (the draw's claim code is what the member shows to claim it)."""
    e, dr, p = m.Entitlement, mp.WheelDraw, mp.WheelPrize
    drawn = (select(dr.id).join(p, and_(p.wheel_id == dr.wheel_id, p.code == dr.prize_code))
             .where(dr.wheel_id == wheel_id, dr.member_id == e.member_id, p.kind == "gift", p.ref == e.ref,
                    dr.created_at <= e.created_at))
    return and_(e.source == "prize", e.kind == "gift", exists(drawn))


def prize_claims(s: Session, wheel_id: str, bounds: Sequence[datetime]) -> list[tuple[str, int]]:
    """(entitlement state, gift prizes) of the wheel's gift prizes won in the period (handed_out: claimed)."""
    e = m.Entitlement
    stmt = select(e.state, func.count()).where(_prize_gift(wheel_id), _in(e.created_at, bounds)).group_by(e.state)
    return [(str(k), int(n)) for k, n in run(s, stmt)]


def prize_claim_rows(s: Session, wheel_id: str, bounds: Sequence[datetime], *, claimed: bool = False) -> list[tuple[Any, ...]]:
    """(won at, phone, sku, prize, state) of the wheel's gift prizes won in the period (or of them claimed)."""
    e = m.Entitlement
    stmt = (select(e.created_at, m.Member.phone, e.ref, e.name, e.state).join(m.Member, m.Member.id == e.member_id)
            .where(_prize_gift(wheel_id), _in(e.created_at, bounds)))
    if claimed:
        stmt = stmt.where(e.state == "handed_out")
    return [tuple(row) for row in run(s, stmt.order_by(e.created_at).limit(DRILL_LIMIT))]


# ----------------------------------------------------------------------------- mall and premium redemption


def _campaign_item(campaign: str, program: str) -> Any:
    return and_(mm.MallItem.campaign_code == campaign, mm.Redemption.program == program)


def campaign_items(s: Session, campaign: str) -> list[tuple[str, str, str, str]]:
    """(item id, program, code, name) of the campaign's mall and premium items."""
    it = mm.MallItem
    stmt = select(it.id, it.program, it.code, it.name).where(it.campaign_code == campaign).order_by(it.program, it.code)
    return [(str(i), str(p), str(c), str(n)) for i, p, c, n in run(s, stmt)]


def redemption_groups(s: Session, campaign: str, program: str,
                      bounds: Sequence[datetime]) -> list[tuple[int, str, str, int, int, int]]:
    """(day, item id, state now, redemptions, points, cash part) of the campaign's mall redemptions or
    premium requests (``program``) made in the period."""
    r = mm.Redemption
    d = day_index(s, r.created_at, bounds).label("d")
    stmt = (select(d, r.item_id, r.state, func.count(), _sum0(r.points), _sum0(r.cash_fen))
            .join(mm.MallItem, mm.MallItem.id == r.item_id)
            .where(_campaign_item(campaign, program), _in(r.created_at, bounds)).group_by(d, r.item_id, r.state))
    return [(int(i), str(k), str(st), int(n), int(p), int(c)) for i, k, st, n, p, c in run(s, stmt)]


def _picked_up_in(bounds: Sequence[datetime]) -> Any:
    """A mall gift picked up in the period: picked up is the last state, so its last change is the pick-up
    (read through the program/state index, not the whole change log)."""
    r = mm.Redemption
    return and_(r.state == "picked_up", r.created_at < bounds[-1], _in(r.updated_at, bounds))


def _fulfilled_in(bounds: Sequence[datetime]) -> Any:
    """A premium request fulfilled in the period (now fulfilled or received; made before it ended), read
    through the program/state index."""
    r = mm.Redemption
    return and_(r.state.in_(("fulfilled", "received")), r.created_at < bounds[-1], _in(r.fulfilled_at, bounds))


def picked_up(s: Session, campaign: str, bounds: Sequence[datetime]) -> int:
    """The campaign's mall gifts picked up in the period."""
    r = mm.Redemption
    stmt = (select(func.count()).select_from(r).join(mm.MallItem, mm.MallItem.id == r.item_id)
            .where(_campaign_item(campaign, "mall"), _picked_up_in(bounds)))
    return int(run(s, stmt).scalar() or 0)


def fulfilled(s: Session, campaign: str, bounds: Sequence[datetime]) -> list[tuple[bool, int]]:
    """(shipped?, requests) of the campaign's premium requests fulfilled in the period: shipped with a
    carrier and tracking number, or handed over in store."""
    r = mm.Redemption
    shipped = r.carrier.is_not(None).label("shipped")
    stmt = (select(shipped, func.count()).join(mm.MallItem, mm.MallItem.id == r.item_id)
            .where(_campaign_item(campaign, "premium"), _fulfilled_in(bounds)).group_by(shipped))
    return [(bool(k), int(n)) for k, n in run(s, stmt)]


def created_in_state(s: Session, campaign: str, program: str, state: str) -> list[datetime]:
    """When each of the campaign's redemptions now in ``state`` was made (a pick-up waiting, a request
    waiting for review)."""
    r = mm.Redemption
    stmt = (select(r.created_at).join(mm.MallItem, mm.MallItem.id == r.item_id)
            .where(_campaign_item(campaign, program), r.state == state).order_by(r.created_at))
    return list(run(s, stmt).scalars())


def redemption_rows(s: Session, campaign: str, program: str, bounds: Sequence[datetime] | None, *,
                    state: str | None = None, item_id: str | None = None, picked_up: bool = False,
                    shipped: bool | None = None) -> list[tuple[Any, ...]]:
    """(made at, 核销 code, phone, item, state now, points, cash part) of the redemptions behind a figure:
    made in the period (``bounds``; None: any time), or with ``picked_up`` picked up in it, or with
    ``shipped`` fulfilled in it (shipped or in store); narrowed to a state now and an item."""
    r, it = mm.Redemption, mm.MallItem
    stmt = (select(r.created_at, r.code, m.Member.phone, it.name, r.state, r.points, r.cash_fen)
            .join(it, it.id == r.item_id).join(m.Member, m.Member.id == r.member_id)
            .where(_campaign_item(campaign, program)))
    if bounds is not None:
        if picked_up:
            stmt = stmt.where(_picked_up_in(bounds))
        elif shipped is not None:
            stmt = stmt.where(_fulfilled_in(bounds),
                              r.carrier.is_not(None) if shipped else r.carrier.is_(None))
        else:
            stmt = stmt.where(_in(r.created_at, bounds))
    if state is not None:
        stmt = stmt.where(r.state == state)
    if item_id is not None:
        stmt = stmt.where(r.item_id == item_id)
    return [tuple(row) for row in run(s, stmt.order_by(r.created_at, r.id).limit(DRILL_LIMIT))]


# ----------------------------------------------------------------------------- points tasks


def task_started(s: Session, campaign: str) -> list[tuple[str, int]]:
    """(task code, members with progress on it now) of the campaign's tasks."""
    t = ml.TaskProgress
    stmt = (select(t.task_code, func.count()).where(t.campaign_code == campaign, t.progress > 0)
            .group_by(t.task_code))
    return [(str(k), int(n)) for k, n in run(s, stmt)]


def task_completions(s: Session, campaign: str, bounds: Sequence[datetime]) -> list[tuple[int, str, int, int, int]]:
    """(day, task code, members who completed it, points granted, coupons granted) of the campaign's
    tasks completed in the period."""
    t = ml.TaskProgress
    d = day_index(s, t.completed_at, bounds).label("d")
    stmt = (select(d, t.task_code, func.count(), _sum0(t.points),
                   func.sum(case((t.coupon_id.is_not(None), 1), else_=0)))
            .where(t.campaign_code == campaign, t.state == "completed", _in(t.completed_at, bounds))
            .group_by(d, t.task_code))
    return [(int(i), str(k), int(n), int(p), int(c or 0)) for i, k, n, p, c in run(s, stmt)]


def task_rows(s: Session, campaign: str, bounds: Sequence[datetime] | None, *, task: str | None = None,
              coupon: bool = False) -> list[tuple[Any, ...]]:
    """(completed at, phone, task code, progress, target, points, coupon?) of the campaign's task progress
    behind a figure: completed in the period (``bounds``; None: every member with progress now), of one
    task, or only those that granted a coupon."""
    t = ml.TaskProgress
    has_coupon = case((t.coupon_id.is_not(None), 1), else_=0)
    stmt = (select(t.completed_at, m.Member.phone, t.task_code, t.progress, t.target, t.points, has_coupon)
            .join(m.Member, m.Member.id == t.member_id).where(t.campaign_code == campaign))
    if bounds is None:
        stmt = stmt.where(t.progress > 0)
    else:
        stmt = stmt.where(t.state == "completed", _in(t.completed_at, bounds))
    if task is not None:
        stmt = stmt.where(t.task_code == task)
    if coupon:
        stmt = stmt.where(t.coupon_id.is_not(None))
    return [tuple(row) for row in run(s, stmt.order_by(t.completed_at, m.Member.phone, t.task_code)
                                      .limit(DRILL_LIMIT))]


# ----------------------------------------------------------------------------- member levels


def members_by_level(s: Session) -> list[tuple[str | None, int]]:
    """(level code now (None: never set), members) of the members this store knows."""
    mb = m.Member
    return [(None if k is None else str(k), int(n)) for k, n in run(s, select(mb.level, func.count()).group_by(mb.level))]


def level_change_groups(s: Session, bounds: Sequence[datetime]) -> list[tuple[int, str | None, str, int]]:
    """(day, from level, to level, changes) of the members' level changes in the period."""
    c = ml.LevelChange
    d = day_index(s, c.created_at, bounds).label("d")
    stmt = (select(d, c.from_level, c.to_level, func.count()).where(_in(c.created_at, bounds))
            .group_by(d, c.from_level, c.to_level))
    return [(int(i), None if f is None else str(f), str(t), int(n)) for i, f, t, n in run(s, stmt)]


def level_member_rows(s: Session, levels: Sequence[str | None]) -> list[tuple[Any, ...]]:
    """(joined at, phone, level code, level until) of the members now at one of ``levels`` (None: never set)."""
    mb = m.Member
    codes = [x for x in levels if x is not None]
    cond: Any = mb.level.in_(codes) if codes else literal(False)
    if None in levels:
        cond = or_(cond, mb.level.is_(None))
    stmt = select(mb.created_at, mb.phone, mb.level, mb.level_until).where(cond)
    return [tuple(row) for row in run(s, stmt.order_by(mb.created_at, mb.phone).limit(DRILL_LIMIT))]


def level_change_rows(s: Session, bounds: Sequence[datetime], to_level: str | None = None) -> list[tuple[Any, ...]]:
    """(changed at, phone, from level, to level, reason) of the level changes in the period (to one level)."""
    c = ml.LevelChange
    stmt = (select(c.created_at, m.Member.phone, c.from_level, c.to_level, c.reason)
            .join(m.Member, m.Member.id == c.member_id).where(_in(c.created_at, bounds)))
    if to_level is not None:
        stmt = stmt.where(c.to_level == to_level)
    return [tuple(row) for row in run(s, stmt.order_by(c.created_at, c.id).limit(DRILL_LIMIT))]
