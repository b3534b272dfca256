"""Referrals (邀请 / 裂变): the invitation link, rewards on the invitee's first recharge, their reversal on
refund, rewards owed "within N working days" and the daily job that issues them, the leaderboard, the
invite card data.

Handlers it registers (:data:`FEATURE`): campaign validate, member registered, on recharge, on refund,
on sale and on sale returned (a first purchase qualifies when the campaign says so), doctor checks.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from pos_app.db import models as m
from pos_app.db import models_checkout as mk
from pos_app.db import models_coupons as mc
from pos_app.db import repo
from pos_app.db.uow import UnitOfWork
from pos_app.domain import entitlements as life
from pos_app.domain import referrals as rules
from pos_app.domain.calendar import add_working_days
from pos_app.domain.campaign import GRANT_COUPON, GRANT_VOUCHER, Campaign
from pos_app.domain.coupons import group as group_code
from pos_app.domain.errors import InvalidInput
from pos_app.services import coupons, grants
from pos_app.services.campaigns import current_campaign
from pos_app.services.common import (
    add_facts,
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
from pos_app.services.doctor import Check
from pos_app.services.dto import Result
from pos_app.services.members import load_member
from pos_app.services.registry import Feature, Registrar
from pos_app.services.usecase import use_case

# ----------------------------------------------------------------------------- DTOs


@dataclass(frozen=True)
class LeaderRow:
    rank: int
    member_id: str
    phone: str
    name: str | None
    successful: int
    invited: int


@dataclass(frozen=True)
class RewardDTO:
    entitlement_id: str
    member_id: str
    phone: str
    source: str  # referral | milestone | new_member
    kind: str
    name: str
    value_fen: int
    state: str  # owed | issued | handed_out | revoked | kept
    due_on: date | None
    coupon_code: str | None
    invitee_phone: str | None
    created_at: datetime


@dataclass(frozen=True)
class InviteCard:
    store_name: str
    member_id: str
    phone: str
    phone_masked: str
    name: str | None
    invite_code: str
    qr_text: str


@dataclass(frozen=True)
class IssueDueResult(Result):
    issued: int
    coupon_codes: tuple[str, ...]
    today: date


# ----------------------------------------------------------------------------- helpers


def campaign_rules(campaign: Campaign | None) -> rules.ReferralRules | None:
    return rules.rules_from_dict(campaign.extra) if campaign is not None else None


def _referral_for(uow: UnitOfWork, ctx: ServiceContext, member: m.Member, campaign: Campaign | None) -> mc.Referral | None:
    if member.inviter_id is None:
        return None
    s = uow.session
    # a plain read (no autoflush of the recharge's pending changes): this runs on every recharge of an
    # invited member, and after the first one it finds the referral qualified and stops
    ref = repo.referrals.by_invitee(s, member.id)
    if ref is None:  # e.g. a member who came from another store through sync
        ref = mc.Referral(
            id=ctx.new_id(), inviter_id=member.inviter_id, invitee_id=member.id,
            campaign_code=member.campaign_code or (campaign.code if campaign else None),
            state=rules.REGISTERED, registered_at=member.created_at,
        )
        s.add(ref)
        s.flush()
    return ref


def _successful(uow: UnitOfWork, inviter_id: str, campaign_code: str | None) -> int:
    return int(uow.session.scalar(
        select(func.count()).select_from(mc.Referral).where(
            mc.Referral.inviter_id == inviter_id, mc.Referral.state == rules.QUALIFIED,
            mc.Referral.campaign_code == campaign_code if campaign_code else mc.Referral.campaign_code.is_(None),
        )
    ) or 0)


def _successful_others(uow: UnitOfWork, inviter_id: str, campaign_code: str | None, except_id: str) -> int:
    """Qualified invitations of this inviter in this campaign, other than ``except_id`` (a plain read)."""
    return repo.referrals.qualified_count(uow.session, inviter_id, campaign_code, except_id)


def _milestone_held(uow: UnitOfWork, inviter_id: str, campaign_code: str | None) -> bool:
    """Whether the inviter holds a standing milestone reward in this campaign (a plain read)."""
    states = repo.referrals.reward_states(uow.session, inviter_id, campaign_code, rules.SOURCE_MILESTONE)
    return any(state not in life.TAKEN_BACK for state in states)


def _milestone_entitlements(uow: UnitOfWork, inviter_id: str, campaign_code: str | None) -> list[m.Entitlement]:
    stmt = (
        select(m.Entitlement)
        .join(mc.ReferralReward, mc.ReferralReward.entitlement_id == m.Entitlement.id)
        .join(mc.Referral, mc.Referral.id == mc.ReferralReward.referral_id)
        .where(mc.Referral.inviter_id == inviter_id, mc.ReferralReward.role == rules.SOURCE_MILESTONE)
    )
    stmt = stmt.where(mc.Referral.campaign_code == campaign_code) if campaign_code else stmt.where(
        mc.Referral.campaign_code.is_(None))
    return list(uow.session.scalars(stmt))


def _standing(e: m.Entitlement) -> bool:
    return e.state not in life.TAKEN_BACK


def _take_back(uow: UnitOfWork, ctx: ServiceContext, actor: Actor, e: m.Entitlement) -> None:
    """Same rules as a recharge refund: owed -> revoked, unused coupon -> voided (revoked), used or handed
    out -> kept."""
    if e.state == life.ISSUED and e.kind in (GRANT_COUPON, GRANT_VOUCHER):
        event: str | None = coupons.take_back(uow, ctx, actor, e, "referral_refund")
    else:
        event = life.take_back(e.state)
    if event is None:
        return
    e.state = life.transition(e.state, event)
    e.updated_at = ctx.now()


# ----------------------------------------------------------------------------- handlers (see FEATURE)


def validate_campaign(data: dict[str, Any]) -> None:
    rules.rules_from_dict(data)


def on_member_registered(
    uow: UnitOfWork, ctx: ServiceContext, actor: Actor, member: m.Member, inviter: m.Member | None
) -> None:
    if inviter is None:
        return
    s = uow.session
    campaign = current_campaign(uow, ctx)
    rules.check_same_campaign(campaign_rules(campaign), inviter.campaign_code, campaign.code if campaign else None)
    rules.check_no_loop(member.id, inviter.id, lambda mid: s.scalar(select(m.Member.inviter_id).where(m.Member.id == mid)))
    s.add(mc.Referral(
        id=ctx.new_id(), inviter_id=inviter.id, invitee_id=member.id,
        campaign_code=campaign.code if campaign else None, state=rules.REGISTERED, registered_at=ctx.now(),
    ))
    s.flush()


def on_recharge(uow: UnitOfWork, ctx: ServiceContext, actor: Actor, member: m.Member, recharge: m.Recharge) -> None:
    """The invitee's FIRST recharge qualifies the invitation and grants the rewards, in this transaction
    (unless the campaign's ``[referral] qualify`` is ``first_purchase``)."""
    if member.inviter_id is None:
        return
    campaign = current_campaign(uow, ctx)
    rr = campaign_rules(campaign)
    if rr is not None and not rr.by_recharge:
        return
    ref = _referral_for(uow, ctx, member, campaign)
    if ref is None or ref.state != rules.REGISTERED:
        return  # nothing twice: qualified (or reversed) once
    if repo.referrals.has_other_recharge(uow.session, member.id, recharge.id):
        return  # not the first recharge
    ref.qualifying_recharge_id = recharge.id
    ref.recharge_amount_fen = recharge.amount_fen
    _qualify(uow, ctx, actor, member, ref, campaign, rr, recharge.amount_fen, {"recharge_id": recharge.id})


def on_sale(uow: UnitOfWork, ctx: ServiceContext, actor: Actor, member: m.Member, sale: mk.Sale) -> None:
    """Campaign ``[referral] qualify = "first_purchase"`` (or ``either``): the invitee's first purchase of at
    least ``first_purchase_min`` actually paid qualifies the invitation, in the sale's transaction."""
    if member.inviter_id is None:
        return
    campaign = current_campaign(uow, ctx)
    rr = campaign_rules(campaign)
    if rr is None or not rr.purchase_qualifies(sale.paid_fen):
        return
    ref = _referral_for(uow, ctx, member, campaign)
    if ref is None or ref.state != rules.REGISTERED:
        return
    ref.qualifying_sale_id = sale.id
    ref.recharge_amount_fen = sale.paid_fen
    _qualify(uow, ctx, actor, member, ref, campaign, rr, sale.paid_fen, {"sale_id": sale.id})


def _qualify(
    uow: UnitOfWork, ctx: ServiceContext, actor: Actor, member: m.Member, ref: mc.Referral, campaign: Campaign | None,
    rr: rules.ReferralRules | None, amount_fen: int, why: dict[str, Any],
) -> None:
    """The invitation qualifies now (by ``why``: the recharge or the sale): grant the rewards, audit it,
    and add the fact to the use case's one event."""
    ref.state = rules.QUALIFIED
    ref.qualified_at = ctx.now()
    if campaign is not None:
        ref.campaign_code = campaign.code
    # the referral's new state is written at commit; the reads below are plain reads of the rows as they
    # stand (they do not flush it), so they add this referral themselves
    granted: list[tuple[str, m.Entitlement]] = []
    if rr is not None:
        inviter = load_member(uow, member_id=ref.inviter_id)
        today = local_date(ctx, settings(uow))
        held = _milestone_held(uow, inviter.id, ref.campaign_code)
        successful = _successful_others(uow, inviter.id, ref.campaign_code, ref.id) + 1  # + this one
        got = rules.rewards_for_first_recharge(rr, amount_fen, successful, held)
        due = add_working_days(today, rr.reward_delay_working_days) if rr.reward_delay_working_days else None
        for who, items, source in (
            (inviter, got.inviter, rules.SOURCE_REFERRAL),
            (inviter, got.milestone, rules.SOURCE_MILESTONE),
            (member, got.invitee, rules.SOURCE_NEW_MEMBER),
        ):
            if items:
                rows = grants.grant_items(uow, ctx, actor, who, items, today=today, campaign=campaign,
                                          source_override=source, due_on=due)
                granted += [(source, e) for e in rows]
        details = json.dumps(why)
        repo.referrals.add_rewards(uow.session, [
            dict(referral_id=ref.id, entitlement_id=e.id, member_id=e.member_id, role=source, details_json=details)
            for source, e in granted
        ])
    audit(uow, ctx, actor, "referral.qualified", "referral", ref.id, inviter_id=ref.inviter_id, invitee_id=member.id,
          rewards=[e.id for _, e in granted], **why)
    # a fact of the use case's one event (wallet.recharged, sale.completed), not an event of its own
    add_facts(uow, "referral", [{
        "referral_id": ref.id, "inviter_id": ref.inviter_id, "invitee_id": member.id, **why,
        "campaign_code": ref.campaign_code, "amount_fen": amount_fen,
        "rewards": [{"id": e.id, "member_id": e.member_id, "source": src, "kind": e.kind, "ref": e.ref,
                     "state": e.state, "due_on": e.due_on} for src, e in granted],
    }])


def on_refund(uow: UnitOfWork, ctx: ServiceContext, actor: Actor, member: m.Member, recharge: m.Recharge) -> None:
    """A refunded first recharge takes back the rewards it justified (unused -> revoked, used -> kept), and
    the inviter's milestone gift pack when the inviter falls below the milestone."""
    ref = uow.session.scalar(select(mc.Referral).where(mc.Referral.qualifying_recharge_id == recharge.id))
    if ref is None or ref.state != rules.QUALIFIED:
        return
    _reverse(uow, ctx, actor, ref, {"recharge_id": recharge.id})


def on_sale_returned(uow: UnitOfWork, ctx: ServiceContext, actor: Actor, member: m.Member, sale: mk.Sale) -> None:
    """A returned qualifying purchase reverses the invitation as a refunded recharge does: when all of it
    is returned, or what is left of it no longer reaches the campaign's ``first_purchase_min``."""
    s = uow.session
    ref = s.scalar(select(mc.Referral).where(mc.Referral.qualifying_sale_id == sale.id))
    if ref is None or ref.state != rules.QUALIFIED:
        return
    left = sale.paid_fen - repo.sales.returned_paid(s, sale.id)
    campaign = s.scalar(select(m.Campaign).where(m.Campaign.code == ref.campaign_code)) if ref.campaign_code else None
    rr = rules.rules_from_dict(json.loads(campaign.rules_json)) if campaign is not None else None
    if left > 0 and (rr is None or left >= rr.first_purchase_min_fen):
        return
    _reverse(uow, ctx, actor, ref, {"sale_id": sale.id})


def _reverse(uow: UnitOfWork, ctx: ServiceContext, actor: Actor, ref: mc.Referral, why: dict[str, Any]) -> None:
    s = uow.session
    ref.state = rules.REVERSED
    ref.reversed_at = ctx.now()
    s.flush()
    touched: list[m.Entitlement] = []
    rows = s.scalars(
        select(m.Entitlement).join(mc.ReferralReward, mc.ReferralReward.entitlement_id == m.Entitlement.id)
        .where(mc.ReferralReward.referral_id == ref.id, mc.ReferralReward.role != rules.SOURCE_MILESTONE)
    ).all()
    for e in rows:
        _take_back(uow, ctx, actor, e)
        touched.append(e)
    campaign = s.scalar(select(m.Campaign).where(m.Campaign.code == ref.campaign_code)) if ref.campaign_code else None
    rr = rules.rules_from_dict(json.loads(campaign.rules_json)) if campaign is not None else None
    if rr is None or not rules.milestone_still_justified(rr, _successful(uow, ref.inviter_id, ref.campaign_code)):
        for e in _milestone_entitlements(uow, ref.inviter_id, ref.campaign_code):
            if e.state in (grants.OWED, grants.ISSUED, grants.HANDED_OUT):
                _take_back(uow, ctx, actor, e)
                touched.append(e)
    audit(uow, ctx, actor, "referral.reversed", "referral", ref.id, items={e.id: e.state for e in touched}, **why)
    # a fact of the use case's one event (wallet.refunded, sale.returned)
    add_facts(uow, "referral_reversed", [{
        "referral_id": ref.id, "inviter_id": ref.inviter_id, "invitee_id": ref.invitee_id, **why,
        "items": [{"id": e.id, "state": e.state} for e in touched],
    }])


def doctor_checks(uow: UnitOfWork) -> list[Check]:
    s = uow.session
    out: list[Check] = []
    bad = s.execute(
        select(mc.Referral.id).outerjoin(m.Member, m.Member.id == mc.Referral.invitee_id)
        .where((m.Member.inviter_id.is_(None)) | (m.Member.inviter_id != mc.Referral.inviter_id))
    ).scalars().all()
    out.append(Check("referral_links_match_members", not bad, ", ".join(bad[:5])))
    bad = list(s.execute(
        select(mc.Referral.id).where(
            mc.Referral.state.in_((rules.QUALIFIED, rules.REVERSED)), mc.Referral.qualifying_recharge_id.is_(None),
            mc.Referral.qualifying_sale_id.is_(None))
    ).scalars().all())
    bad += s.execute(
        select(mc.Referral.id).join(m.Recharge, m.Recharge.id == mc.Referral.qualifying_recharge_id)
        .where(mc.Referral.state == rules.QUALIFIED, m.Recharge.state == "refunded")
    ).scalars().all()
    out.append(Check("referral_rewards_justified", not bad, ", ".join(bad[:5])))
    bad = s.execute(
        select(m.Entitlement.id).join(mc.ReferralReward, mc.ReferralReward.entitlement_id == m.Entitlement.id)
        .join(mc.Referral, mc.Referral.id == mc.ReferralReward.referral_id)
        .where(mc.Referral.state == rules.REVERSED, mc.ReferralReward.role != rules.SOURCE_MILESTONE,
               m.Entitlement.state.in_((grants.OWED, grants.ISSUED)))
    ).scalars().all()
    out.append(Check("reversed_referrals_taken_back", not bad, ", ".join(bad[:5])))
    return out


def register(reg: Registrar) -> None:
    reg.campaign_validate.append(validate_campaign)
    reg.member_registered.append(on_member_registered)
    reg.on_recharge.append(on_recharge)
    reg.on_refund.append(on_refund)
    reg.on_sale.append(on_sale)
    reg.on_sale_returned.append(on_sale_returned)
    reg.doctor_checks.append(doctor_checks)


FEATURE = Feature("referrals", register)


# ----------------------------------------------------------------------------- use cases


@use_case("referral.issue_due", permission="referral.issue_due", event="coupon.issued_due", idempotent=True)
def issue_due(
    ctx: ServiceContext, actor: Actor, *, include_not_due: bool = False, request_id: str | None = None
) -> IssueDueResult:
    """The daily job (and "issue now" on demand): issue the owed coupons/vouchers whose day has come."""
    request_id = check_request_id(request_id, ctx)
    with ctx.uow() as uow:
        s = uow.session
        today = local_date(ctx, settings(uow))
        params = {"today": today.isoformat(), "all": include_not_due}
        done = replayed(uow, request_id, "referral.issue_due", params)
        if done:
            info = json.loads(s.scalar(select(m.AuditLog.details_json).where(
                m.AuditLog.entity == "issue_due", m.AuditLog.entity_id == done)) or "{}")
            return IssueDueResult(int(info.get("issued", 0)), tuple(info.get("codes", [])), today)
        stmt = select(m.Entitlement).where(
            m.Entitlement.state == grants.OWED, m.Entitlement.kind.in_((GRANT_COUPON, GRANT_VOUCHER)))
        if not include_not_due:
            stmt = stmt.where((m.Entitlement.due_on.is_(None)) | (m.Entitlement.due_on <= today))
        codes = []
        for e in s.scalars(stmt.order_by(m.Entitlement.created_at, m.Entitlement.id)).all():
            c = coupons.issue_entitlement(uow, ctx, actor, e, today)
            codes.append(c.code)
        run_id = ctx.new_id()
        remember(uow, ctx, request_id, "referral.issue_due", run_id, params)
        audit(uow, ctx, actor, "referral.issue_due", "issue_due", run_id, issued=len(codes), codes=codes)
        # one event per run, an empty run too: what was audited is also what central is told
        emit(uow, ctx, "coupon.issued_due", {"run_id": run_id, "date": today.isoformat(), "codes": codes})
        uow.commit()
        return IssueDueResult(len(codes), tuple(codes), today)


def pending_rewards(
    ctx: ServiceContext, actor: Actor, *, member_id: str | None = None, only_owed: bool = False, limit: int = 500
) -> list[RewardDTO]:
    """Referral, milestone and new-member rewards: what is pending (with its due date) and what was issued."""
    require(actor, "member.read")
    with ctx.uow(read_only=True) as uow:
        s = uow.session
        invitee = aliased(m.Member, name="invitee")
        stmt = (
            select(m.Entitlement, m.Member.phone, invitee.phone, mc.Coupon.code)
            .join(m.Member, m.Member.id == m.Entitlement.member_id)
            .outerjoin(mc.ReferralReward, mc.ReferralReward.entitlement_id == m.Entitlement.id)
            .outerjoin(mc.Referral, mc.Referral.id == mc.ReferralReward.referral_id)
            .outerjoin(invitee, invitee.id == mc.Referral.invitee_id)
            .outerjoin(mc.Coupon, mc.Coupon.id == m.Entitlement.issued_ref)
            .where(m.Entitlement.source.in_(rules.SOURCES))
        )
        if member_id:
            stmt = stmt.where(m.Entitlement.member_id == member_id)
        if only_owed:
            stmt = stmt.where(m.Entitlement.state == grants.OWED)
        stmt = stmt.order_by(m.Entitlement.created_at.desc(), m.Entitlement.id).limit(limit)
        return [
            RewardDTO(e.id, e.member_id, phone, e.source, e.kind, e.name, e.value_fen, e.state, e.due_on,
                      group_code(code) if code else None, inv_phone, e.created_at)
            for e, phone, inv_phone, code in s.execute(stmt)
        ]


def leaderboard(
    ctx: ServiceContext, actor: Actor, *, campaign_code: str | None = None, limit: int = 20
) -> list[LeaderRow]:
    """Inviters of a campaign (default: the running one) ranked by successful invites."""
    require(actor, "campaign.read")
    with ctx.uow(read_only=True) as uow:
        s = uow.session
        if campaign_code is None:
            c = current_campaign(uow, ctx)
            campaign_code = c.code if c else None
        where = [mc.Referral.campaign_code == campaign_code] if campaign_code else []
        invited = dict(s.execute(
            select(mc.Referral.inviter_id, func.count()).where(*where).group_by(mc.Referral.inviter_id)).all())
        rows = s.execute(
            select(mc.Referral.inviter_id, func.count(), func.min(mc.Referral.qualified_at))
            .where(mc.Referral.state == rules.QUALIFIED, *where).group_by(mc.Referral.inviter_id)
        ).all()
        ranked = rules.rank([rules.Ranked(mid, int(n), first.isoformat() if first else "") for mid, n, first in rows])
        out = []
        for place, r in ranked[: max(1, limit)]:
            mm = s.get(m.Member, r.member_id)
            assert mm is not None
            out.append(LeaderRow(place, mm.id, mm.phone, mm.name, r.successful, int(invited.get(mm.id, 0))))
        return out


def mask_phone(phone: str) -> str:
    return phone[:3] + "****" + phone[-4:] if len(phone) == 11 else phone


def invite_card(ctx: ServiceContext, actor: Actor, *, phone: str | None = None, member_id: str | None = None) -> InviteCard:
    """What the invite card shows; the QR holds the invite code, or the store's URL template filled with it."""
    require(actor, "member.read")
    from pos_app.services.members import load_member  # noqa: PLC0415

    with ctx.uow(read_only=True) as uow:
        mm = load_member(uow, phone=phone, member_id=member_id)
        st = settings(uow)
        template = str(st.raw.get("invite_url_template") or "")
        if template and "{code}" not in template:
            raise InvalidInput("referral.url_template_invalid", template=template)
        qr = template.replace("{code}", mm.invite_code) if template else mm.invite_code
        return InviteCard(st.name, mm.id, mm.phone, mask_phone(mm.phone), mm.name, mm.invite_code, qr)
