"""Stored value: recharge on a campaign tier, spend from the balance, refund a recharge (manager)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import func, or_, select

from pos_app import messages
from pos_app.db import models as m
from pos_app.db import models_coupons as mc
from pos_app.db import models_gifts as mg
from pos_app.db import repo
from pos_app.db.uow import UnitOfWork
from pos_app.domain import entitlements as life
from pos_app.domain import wallet as w
from pos_app.domain.calendar import add_months
from pos_app.domain.campaign import (
    GRANT_COUPON,
    GRANT_GIFT,
    GRANT_VOUCHER,
    Campaign,
    RechargeOutcome,
    evaluate_recharge,
)
from pos_app.domain.coupons import REDEEMED
from pos_app.domain.errors import InvalidInput, NotFound, StateError
from pos_app.domain.money import MAX_AMOUNT_FEN
from pos_app.domain.text import clean_text
from pos_app.domain.textparams import Money
from pos_app.services import grants
from pos_app.services.audit import note_move
from pos_app.services.campaigns import current_campaign, no_campaign_for_tier, parse_rules
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
from pos_app.services.dto import (
    GrantedItemDTO,
    PointsLotDTO,
    RechargeResult,
    RechargeSummary,
    RefundLine,
    RefundPreview,
    RefundResult,
    SpendResult,
    WalletAdjustResult,
    WalletLine,
)
from pos_app.services.members import load_member as load_member
from pos_app.services.usecase import use_case


def _check_amount(amount_fen: int) -> int:
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int):
        raise InvalidInput("money.invalid", value=str(amount_fen), field="amount")
    if amount_fen <= 0:
        raise InvalidInput("money.negative" if amount_fen < 0 else "money.zero", value=str(amount_fen), field="amount")
    if amount_fen > MAX_AMOUNT_FEN:
        raise InvalidInput("money.absurd", value=str(amount_fen), field="amount", max=Money(MAX_AMOUNT_FEN))
    return amount_fen


def append_wallet_entry(
    uow: UnitOfWork,
    ctx: ServiceContext,
    actor: Actor,
    member: m.Member,
    kind: str,
    principal_delta: int,
    bonus_delta: int,
    *,
    recharge_id: str | None = None,
    spend_id: str | None = None,
    refund_id: str | None = None,
    adjustment_id: str | None = None,
) -> None:
    """Append a ledger row and move the cached balance with it, in the same transaction (the member's
    balances after it are the row's). The row is written at once (the recharge/spend/refund row it
    refers to is written before it); the ledger is never edited."""
    if member.principal_fen + principal_delta < 0 or member.bonus_fen + bonus_delta < 0:
        raise StateError("wallet.negative")  # the domain never lets this happen; a last guard
    note_move(uow, "wallet", member.id, member.principal_fen + member.bonus_fen,
              member.principal_fen + member.bonus_fen + principal_delta + bonus_delta, phone=member.phone)
    member.principal_fen += principal_delta
    member.bonus_fen += bonus_delta
    member.wallet_seq += 1
    values = dict(
        id=ctx.new_id(),
        member_id=member.id,
        seq=member.wallet_seq,
        kind=kind,
        principal_delta_fen=principal_delta,
        bonus_delta_fen=bonus_delta,
        principal_after_fen=member.principal_fen,
        bonus_after_fen=member.bonus_fen,
        recharge_id=recharge_id,
        spend_id=spend_id,
        refund_id=refund_id,
        staff_id=actor.staff_id,
        created_at=ctx.now(),
    )
    if adjustment_id is not None:
        values["adjustment_id"] = adjustment_id
    repo.ledger.append_wallet_entry(uow.session, values)


#: a lot a spend takes from: a recharge, or what a manager's adjustment added
WalletLot = m.Recharge | m.WalletAdjustment


def member_lots(uow: UnitOfWork, member_id: str) -> list[WalletLot]:
    """The member's lots with something left, oldest first: the recharges not refunded and the adjustments
    (loaded: a spend moves what is left of each)."""
    recharges: list[WalletLot] = list(uow.session.scalars(
        select(m.Recharge)
        .where(m.Recharge.member_id == member_id, m.Recharge.state == "active")
        .where((m.Recharge.principal_left_fen > 0) | (m.Recharge.bonus_left_fen > 0))
        .order_by(m.Recharge.created_at, m.Recharge.id)
    ).all())
    adjusted = repo.ledger.adjustment_lots(uow.session, member_id)
    if not adjusted:
        return recharges
    return sorted([*recharges, *adjusted], key=lambda r: (r.created_at, r.id))


def take_from_lots(lots: Sequence[WalletLot], split: w.Split) -> list[tuple[WalletLot, int, int]]:
    """Take ``split`` from ``lots`` in their order (domain.wallet.allocate); each lot's left moves with it.
    Returns (lot, principal, bonus) of each lot touched."""
    by_id = {r.id: r for r in lots}
    out: list[tuple[WalletLot, int, int]] = []
    for t in w.allocate([w.Lot(r.id, r.principal_left_fen, r.bonus_left_fen) for r in lots], split):
        lot = by_id[t.lot_id]
        lot.principal_left_fen -= t.principal_fen
        lot.bonus_left_fen -= t.bonus_fen
        out.append((lot, t.principal_fen, t.bonus_fen))
    return out


def add_points_lot(
    uow: UnitOfWork,
    ctx: ServiceContext,
    member: m.Member,
    points: int,
    *,
    source: str,
    expires_on: date,
    recharge_id: str | None = None,
    available_on: date | None = None,
) -> dict[str, Any]:
    """A new points lot, written at once; the member's cached points move with it. The lot is the
    earning's record (what, when, why: ``source``, ``recharge_id``); the points ledger records what leaves
    it (spend, expire, revoke). Returns the lot's values (load it with ``session.get`` to change it)."""
    if points <= 0:
        raise InvalidInput("points.invalid", points=points)
    now = ctx.now()
    lot: dict[str, Any] = dict(
        id=ctx.new_id(),
        member_id=member.id,
        source=source,
        points=points,
        remaining=points,
        earned_at=now,
        expires_on=expires_on,
        recharge_id=recharge_id,
    )
    if available_on is not None:  # a pending purchase's points (the campaign's [points.pending])
        lot["available_on"] = available_on
    repo.ledger.add_points_lot(uow.session, lot)
    note_move(uow, "points", member.id, member.points_balance, member.points_balance + points, phone=member.phone)
    member.points_balance += points
    return lot


def _build_recharge_result(
    uow: UnitOfWork, r: m.Recharge, member: m.Member, staff_code: str, principal_after: int, bonus_after: int,
    items: Sequence[m.Entitlement],
) -> RechargeResult:
    """``items``: every entitlement the recharge's transaction granted; the member's are ``items``, the
    inviter's (a first recharge's referral rewards) ``inviter_items``."""
    ordered = sorted(items, key=lambda e: e.id)
    dtos = grants.item_dtos(uow, ordered)
    return RechargeResult(
        recharge_id=r.id,
        request_id=r.request_id,
        member_id=r.member_id,
        phone=member.phone,
        campaign_code=r.campaign_code,
        tier_code=r.tier_code,
        pay_method=r.pay_method,
        principal_fen=r.amount_fen,
        bonus_fen=r.bonus_fen,
        points=r.points,
        principal_balance_fen=principal_after,
        bonus_balance_fen=bonus_after,
        balance_fen=principal_after + bonus_after,
        points_balance=member.points_balance,
        state=r.state,
        created_at=r.created_at,
        staff_code=staff_code,
        items=tuple(d for e, d in zip(ordered, dtos, strict=True) if e.member_id == member.id),
        receipt_no=r.receipt_no or "",
        inviter_items=tuple(d for e, d in zip(ordered, dtos, strict=True) if e.member_id != member.id),
    )


def _referral_rows(uow: UnitOfWork, r: m.Recharge) -> list[m.Entitlement]:
    """The rewards a first recharge qualified its referral for (the invitee's and the inviter's)."""
    return list(uow.session.scalars(
        select(m.Entitlement)
        .join(mc.ReferralReward, mc.ReferralReward.entitlement_id == m.Entitlement.id)
        .join(mc.Referral, mc.Referral.id == mc.ReferralReward.referral_id)
        .where(mc.Referral.qualifying_recharge_id == r.id)
    ))


def _receipt_prefix(store_code: str, day: date) -> str:
    return f"{store_code}-{day:%Y%m%d}-"


def _next_receipt_no(uow: UnitOfWork, prefix: str) -> str:
    """``T001-20261202-0007``: the store's code, its local date (``prefix``, :func:`_receipt_prefix`) and the
    day's sequence (one writer at a time: the recharge's transaction holds the write lock)."""
    last = repo.ledger.last_receipt_no(uow.session, prefix)
    tail = last.removeprefix(prefix) if last else ""
    used = int(tail) if tail.isdigit() else 0
    return f"{prefix}{used + 1:04d}"


def _recharge_result(uow: UnitOfWork, r: m.Recharge) -> RechargeResult:
    """A stored recharge as a result (replays, look-ups). Amounts and the balances after it are as they
    were; the items' states and ``points_balance`` are as they are now (a coupon may since be used)."""
    s = uow.session
    member = s.get(m.Member, r.member_id)
    staff = s.get(m.Staff, r.staff_id)
    assert member is not None and staff is not None
    entry = s.scalar(
        select(m.WalletEntry).where(m.WalletEntry.recharge_id == r.id, m.WalletEntry.kind == "recharge")
    )
    assert entry is not None
    items = grants.recharge_rows(uow, r.id)
    items += _referral_rows(uow, r)
    return _build_recharge_result(uow, r, member, staff.code, entry.principal_after_fen, entry.bonus_after_fen, items)


@use_case("wallet.recharge", permission="wallet.recharge", event="wallet.recharged", idempotent=True)
def recharge(
    ctx: ServiceContext,
    actor: Actor,
    *,
    amount_fen: int | None = None,
    member_id: str | None = None,
    phone: str | None = None,
    tier_code: str | None = None,
    pay_method: str = "cash",
    request_id: str | None = None,
) -> RechargeResult:
    """One recharge, all or nothing: wallet row, points lot, entitlements, audit, outbox event."""
    check_pay_method(pay_method)
    request_id = check_request_id(request_id, ctx)
    if amount_fen is not None:
        _check_amount(amount_fen)
    with ctx.uow() as uow:
        s = uow.session
        member = load_member(uow, phone=phone, member_id=member_id)
        campaign = current_campaign(uow, ctx)
        if amount_fen is None:
            if tier_code and campaign is None:
                raise no_campaign_for_tier(uow, ctx, tier_code)  # ended / not started, not "enter an amount"
            if not tier_code or campaign is None:
                raise InvalidInput("money.missing", field="amount")
            amount_fen = campaign.tier(tier_code).pay_fen
        params = {"member_id": member.id, "amount_fen": amount_fen, "tier": tier_code, "pay": pay_method}
        done = replayed(uow, request_id, "wallet.recharge", params)
        if done:
            first = s.get(m.Recharge, done)
            assert first is not None
            return _recharge_result(uow, first)
        outcome = evaluate_recharge(campaign, amount_fen, tier_code)
        st = settings(uow)
        today = local_date(ctx, st)
        w.check_recharge(
            w.Balance(member.principal_fen, member.bonus_fen), outcome.amount_fen, outcome.bonus_fen, st.balance_cap_fen,
            _tier_bonuses(campaign),
        )
        _before_recharge(uow, ctx, outcome, campaign)
        # the points as feature code shapes them (a member level's multiplier, a pending period)
        earned = ctx.registry.earning(uow, ctx, member, "recharge", outcome.points, today)
        prefix = _receipt_prefix(st.store_code, today)
        r = repo.ledger.add_recharge(s, dict(  # written now: the rows below refer to it
            id=ctx.new_id(),
            request_id=request_id,
            member_id=member.id,
            campaign_code=campaign.code if campaign else None,
            tier_code=outcome.tier_code,
            amount_fen=outcome.amount_fen,
            bonus_fen=outcome.bonus_fen,
            points=earned.points,
            pay_method=pay_method,
            staff_id=actor.staff_id,
            created_at=ctx.now(),
            principal_left_fen=outcome.amount_fen,
            bonus_left_fen=outcome.bonus_fen,
            state="active",
            items_count=grants.rows_for(outcome.items),
            receipt_no=_next_receipt_no(uow, prefix),
        ), receipt_prefix=prefix)
        append_wallet_entry(uow, ctx, actor, member, "recharge", outcome.amount_fen, outcome.bonus_fen, recharge_id=r.id)
        principal_after, bonus_after = member.principal_fen, member.bonus_fen
        lot = None
        if earned.points > 0:
            expiry = add_months(today, campaign.points_expiry_months if campaign else 12)
            lot = add_points_lot(uow, ctx, member, earned.points, source="recharge", expires_on=expiry,
                                 recharge_id=r.id, available_on=earned.available_on)
        # audited before the hooks: their own audit rows (a referral) must not take this recharge's figures
        audit(
            uow, ctx, actor, "wallet.recharge", "recharge", r.id,
            member_id=member.id, amount_fen=r.amount_fen, bonus_fen=r.bonus_fen, tier=r.tier_code, pay=pay_method,
        )
        with grants.collect(uow) as granted:  # every item this transaction grants, the referral's too
            rows = grants.grant_items(uow, ctx, actor, member, outcome.items, today=today, campaign=campaign,
                                      recharge_id=r.id)
            if r.items_count != len(rows):
                r.items_count = len(rows)
                repo.ledger.set_items_count(s, r.id, len(rows))
            _after_recharge(uow, ctx, actor, member, r)
        remember(uow, ctx, request_id, "wallet.recharge", r.id, params)
        result = _build_recharge_result(
            uow, r, member, actor.code, principal_after, bonus_after, granted
        )
        emit(
            uow, ctx, "wallet.recharged",
            {
                "recharge_id": r.id, "receipt_no": r.receipt_no, "request_id": request_id, "member_id": member.id,
                "phone": member.phone,
                "campaign_code": r.campaign_code, "tier_code": r.tier_code, "amount_fen": r.amount_fen,
                "bonus_fen": r.bonus_fen, "points": r.points, "pay_method": pay_method,
                "principal_after_fen": result.principal_balance_fen, "bonus_after_fen": result.bonus_balance_fen,
                "items": [{"id": e.id, "kind": e.kind, "ref": e.ref, "value_fen": e.value_fen, "state": e.state,
                           "due_on": e.due_on, "source": e.source, "issued_ref": e.issued_ref} for e in rows],
                "points_lot": None if lot is None else {
                    "id": lot["id"], "points": lot["points"], "expires_on": lot["expires_on"], "source": lot["source"]},
                "staff": actor.code,
                # facts added by feature code: "coupons" (each issued coupon, as another store redeems it),
                # "referral" (the invitation this first recharge qualified, with its rewards)
            },
        )
        uow.commit()
        return result


def _tier_bonuses(campaign: Campaign | None) -> tuple[tuple[int, int], ...]:
    return tuple((t.pay_fen, t.bonus_fen) for t in campaign.tiers) if campaign is not None else ()


def _before_recharge(uow: UnitOfWork, ctx: ServiceContext, outcome: RechargeOutcome, campaign: Campaign | None) -> None:
    """Handlers: the gift module refuses a tier whose gift is out of stock when the campaign says so."""
    for check in ctx.registry.before_recharge:
        check(uow, ctx, outcome, campaign)


def _after_recharge(uow: UnitOfWork, ctx: ServiceContext, actor: Actor, member: m.Member, r: m.Recharge) -> None:
    """Handlers: referral rewards when this is the member's first recharge (same transaction)."""
    for handler in ctx.registry.on_recharge:
        handler(uow, ctx, actor, member, r)


def spend_result(uow: UnitOfWork, sp: m.Spend) -> SpendResult:
    s = uow.session
    member = s.get(m.Member, sp.member_id)
    entry = s.scalar(select(m.WalletEntry).where(m.WalletEntry.spend_id == sp.id))
    assert member is not None and entry is not None
    return SpendResult(
        spend_id=sp.id,
        request_id=sp.request_id,
        member_id=sp.member_id,
        phone=member.phone,
        amount_fen=sp.amount_fen,
        principal_fen=sp.principal_fen,
        bonus_fen=sp.bonus_fen,
        principal_balance_fen=entry.principal_after_fen,
        bonus_balance_fen=entry.bonus_after_fen,
        balance_fen=entry.principal_after_fen + entry.bonus_after_fen,
        created_at=sp.created_at,
        note=messages.stored_text(sp.note),  # a stored message reference reads in the reader's language
    )


def spend_in_uow(
    uow: UnitOfWork, ctx: ServiceContext, actor: Actor, member: m.Member, amount_fen: int, request_id: str,
    note: str | None = None,
) -> m.Spend:
    """The spend itself, for use cases that pay from the balance inside their own transaction: the spend,
    its allocations over the member's recharge lots (oldest first) and what those lots have left, written
    at once (Core statements), then its ledger row. Returns a copy of the spend for reading."""
    s = uow.session
    st = settings(uow)
    for check in ctx.registry.before_spend:  # sync: the offline limits
        check(uow, ctx, member, amount_fen)
    split = w.split_spend(w.Balance(member.principal_fen, member.bonus_fen), amount_fen, st.spend_order)
    values = dict(
        id=ctx.new_id(), request_id=request_id, member_id=member.id, amount_fen=amount_fen,
        principal_fen=split.principal_fen, bonus_fen=split.bonus_fen, staff_id=actor.staff_id,
        note=note, created_at=ctx.now(),
    )
    if not repo.ledger.adjustment_lots(s, member.id):  # most members: recharge lots only, read and moved by Core
        lots = {lot_id: (p, b) for lot_id, p, b in repo.ledger.spendable_lots(s, member.id)}
        takes = w.allocate([w.Lot(lot_id, p, b) for lot_id, (p, b) in lots.items()], split)
        sp = repo.ledger.add_spend(
            s, values,
            [dict(spend_id=values["id"], recharge_id=t.lot_id, principal_fen=t.principal_fen, bonus_fen=t.bonus_fen)
             for t in takes],
            [(t.lot_id, lots[t.lot_id][0] - t.principal_fen, lots[t.lot_id][1] - t.bonus_fen) for t in takes],
        )
    else:  # a manager's adjustment added money still there: its lot and the recharges', oldest first
        taken = take_from_lots(member_lots(uow, member.id), split)  # never more than the lots hold: refused first
        sp = m.Spend(**values)
        s.add(sp)
        s.flush()
        from_adjustments = []
        for lot, tp, tb in taken:
            if isinstance(lot, m.WalletAdjustment):
                from_adjustments.append(dict(spend_id=sp.id, adjustment_id=lot.id, principal_fen=tp, bonus_fen=tb))
            else:
                s.add(m.SpendAllocation(spend_id=sp.id, recharge_id=lot.id, principal_fen=tp, bonus_fen=tb))
        repo.ledger.add_adjustment_allocations(s, from_adjustments)
    append_wallet_entry(uow, ctx, actor, member, "spend", -split.principal_fen, -split.bonus_fen, spend_id=sp.id)
    return sp


@use_case("wallet.spend", permission="wallet.spend", event="wallet.spent", idempotent=True)
def spend(
    ctx: ServiceContext,
    actor: Actor,
    *,
    amount_fen: int,
    member_id: str | None = None,
    phone: str | None = None,
    request_id: str | None = None,
    note: str | None = None,
) -> SpendResult:
    """Pay from the stored balance. Never more than the balance."""
    _check_amount(amount_fen)
    note = clean_text(note, field="note")  # free text by the one rule (domain.text)
    request_id = check_request_id(request_id, ctx)
    with ctx.uow() as uow:
        s = uow.session
        member = load_member(uow, phone=phone, member_id=member_id)
        params = {"member_id": member.id, "amount_fen": amount_fen}
        done = replayed(uow, request_id, "wallet.spend", params)
        if done:
            first = s.get(m.Spend, done)
            assert first is not None
            return spend_result(uow, first)
        sp = spend_in_uow(uow, ctx, actor, member, amount_fen, request_id, note)
        remember(uow, ctx, request_id, "wallet.spend", sp.id, params)
        audit(uow, ctx, actor, "wallet.spend", "spend", sp.id, member_id=member.id, amount_fen=amount_fen,
              principal_fen=sp.principal_fen, bonus_fen=sp.bonus_fen)
        s.flush()
        result = spend_result(uow, sp)
        emit(uow, ctx, "wallet.spent", {
            "spend_id": sp.id, "request_id": request_id, "member_id": member.id, "amount_fen": amount_fen,
            "principal_fen": sp.principal_fen, "bonus_fen": sp.bonus_fen,
            "principal_after_fen": result.principal_balance_fen, "bonus_after_fen": result.bonus_balance_fen,
            "staff": actor.code,
        })
        uow.commit()
        return result


def _adjust_result(uow: UnitOfWork, a: m.WalletAdjustment) -> WalletAdjustResult:
    s = uow.session
    entry = s.scalar(select(m.WalletEntry).where(m.WalletEntry.adjustment_id == a.id))
    member = s.get(m.Member, a.member_id)
    staff = s.get(m.Staff, a.staff_id)
    assert entry is not None and member is not None and staff is not None
    return WalletAdjustResult(
        adjustment_id=a.id, request_id=a.request_id, member_id=a.member_id, phone=member.phone,
        principal_delta_fen=a.principal_delta_fen, bonus_delta_fen=a.bonus_delta_fen, reason=a.reason,
        principal_balance_fen=entry.principal_after_fen, bonus_balance_fen=entry.bonus_after_fen,
        balance_fen=entry.principal_after_fen + entry.bonus_after_fen, created_at=a.created_at, staff_code=staff.code,
    )


@use_case("wallet.adjust", permission="wallet.adjust", event="wallet.adjusted", idempotent=True)
def adjust(
    ctx: ServiceContext,
    actor: Actor,
    *,
    reason: str,
    principal_fen: int = 0,
    bonus_fen: int = 0,
    phone: str | None = None,
    member_id: str | None = None,
    request_id: str | None = None,
) -> WalletAdjustResult:
    """A manager corrects a member's stored value: principal and/or bonus (signed fen), up or down, with a
    reason; never a part below zero, never raising the balance above the named-card cap. An append-only ledger
    row of its own kind (``adjust``); what it adds is a lot spends take from, what it takes away comes out of
    the member's lots oldest first. ``actor`` may be a manager approving for the cashier at the counter
    (``Actor.approving``): the audit row names both."""
    w.check_adjustment_amounts(principal_fen, bonus_fen)  # bad input: refused before anything is read
    text = clean_text(reason, field="reason", max_chars=200, required=True)
    assert text is not None
    request_id = check_request_id(request_id, ctx)
    with ctx.uow() as uow:
        s = uow.session
        member = load_member(uow, phone=phone, member_id=member_id)
        params = {"member_id": member.id, "principal_fen": principal_fen, "bonus_fen": bonus_fen, "reason": text}
        done = replayed(uow, request_id, "wallet.adjust", params)
        if done:
            first = repo.ledger.get_adjustment(s, done)
            assert first is not None
            return _adjust_result(uow, first)
        before = w.Balance(member.principal_fen, member.bonus_fen)
        after = w.check_adjustment(before, principal_fen, bonus_fen, settings(uow).balance_cap_fen)
        # what it takes away comes out of the lots it finds (the new adjustment adds only its positive parts)
        lots = member_lots(uow, member.id) if principal_fen < 0 or bonus_fen < 0 else []
        take_from_lots(lots, w.Split(max(0, -principal_fen), max(0, -bonus_fen)))
        adj_id = ctx.new_id()
        now = ctx.now()
        repo.ledger.add_adjustment(s, dict(
            id=adj_id, request_id=request_id, member_id=member.id, principal_delta_fen=principal_fen,
            bonus_delta_fen=bonus_fen, reason=text, staff_id=actor.staff_id, created_at=now,
            principal_left_fen=max(0, principal_fen), bonus_left_fen=max(0, bonus_fen),
        ))
        append_wallet_entry(uow, ctx, actor, member, "adjust", principal_fen, bonus_fen, adjustment_id=adj_id)
        remember(uow, ctx, request_id, "wallet.adjust", adj_id, params)
        audit(uow, ctx, actor, "wallet.adjust", "wallet_adjustment", adj_id, member_id=member.id,
              principal_fen=principal_fen, bonus_fen=bonus_fen, reason=text,
              principal_before_fen=before.principal_fen, bonus_before_fen=before.bonus_fen,
              principal_after_fen=after.principal_fen, bonus_after_fen=after.bonus_fen)
        result = WalletAdjustResult(
            adjustment_id=adj_id, request_id=request_id, member_id=member.id, phone=member.phone,
            principal_delta_fen=principal_fen, bonus_delta_fen=bonus_fen, reason=text,
            principal_balance_fen=member.principal_fen, bonus_balance_fen=member.bonus_fen,
            balance_fen=member.principal_fen + member.bonus_fen, created_at=now, staff_code=actor.code,
        )
        emit(uow, ctx, "wallet.adjusted", {
            "adjustment_id": adj_id, "request_id": request_id, "member_id": member.id, "phone": member.phone,
            "principal_delta_fen": principal_fen, "bonus_delta_fen": bonus_fen, "reason": text,
            "principal_before_fen": before.principal_fen, "bonus_before_fen": before.bonus_fen,
            "principal_after_fen": member.principal_fen, "bonus_after_fen": member.bonus_fen, "staff": actor.code,
        })
        uow.commit()
        return result


def _refund_result(uow: UnitOfWork, rf: m.Refund) -> RefundResult:
    s = uow.session
    entry = s.scalar(select(m.WalletEntry).where(m.WalletEntry.refund_id == rf.id))
    assert entry is not None
    r = s.get(m.Recharge, rf.recharge_id)
    member = s.get(m.Member, rf.member_id)
    staff = s.get(m.Staff, rf.staff_id)
    assert r is not None and member is not None and staff is not None
    items = grants.recharge_rows(uow, rf.recharge_id)
    dtos = grants.item_dtos(uow, items)
    lines = tuple(RefundLine(d["kind"], d["name"], int(d["value_fen"])) for d in json.loads(rf.deductions_json or "[]"))
    return RefundResult(
        refund_id=rf.id,
        recharge_id=rf.recharge_id,
        member_id=rf.member_id,
        principal_refund_fen=rf.principal_refund_fen,
        bonus_revoke_fen=rf.bonus_revoke_fen,
        points_revoked=rf.points_revoked,
        points_kept=rf.points_kept,
        principal_balance_fen=entry.principal_after_fen,
        bonus_balance_fen=entry.bonus_after_fen,
        balance_fen=entry.principal_after_fen + entry.bonus_after_fen,
        revoked_items=tuple(d for d in dtos if d.state in life.TAKEN_BACK),
        kept_items=tuple(d for d in dtos if d.state == grants.KEPT),
        created_at=rf.created_at,
        principal_refundable_fen=rf.principal_unspent_fen,
        deductions=lines,
        deductions_fen=sum(line.value_fen for line in lines),
        deducted_fen=rf.deducted_fen,
        method=rf.refund_method,
        pay_method=rf.pay_method,
        receipt_no=r.receipt_no or "",
        phone=member.phone,
        staff_code=staff.code,
        reason=rf.reason,
    )


def _check_method(method: str | None) -> str:
    method = method or w.REFUND_ORIGINAL
    if method not in w.REFUND_METHODS:
        raise InvalidInput("refund.method_invalid", method=method, allowed=", ".join(w.REFUND_METHODS))
    return method


def _deducts_used_perks(uow: UnitOfWork, r: m.Recharge) -> bool:
    """The setting of the campaign the recharge was made under (``[refund] deduct_used_perks``, default on)."""
    if not r.campaign_code:
        return True
    row = uow.session.scalar(select(m.Campaign).where(m.Campaign.code == r.campaign_code))
    return parse_rules(row.rules_json).refund_deduct_used_perks if row is not None else True


def _used_perks(uow: UnitOfWork, r: m.Recharge) -> list[w.UsedPerk]:
    """What this recharge granted the member that the member already used or kept, at its unit value:
    coupons and vouchers redeemed (their face value; a percent-off coupon: the discount it gave), gifts
    handed out (the catalogue's unit value). The new-member gift of a first recharge counts too."""
    s = uow.session
    rows = grants.recharge_rows(uow, r.id)
    rows += [e for e in _referral_rows(uow, r) if e.member_id == r.member_id]
    rows.sort(key=lambda e: e.id)
    coupon_ids = [e.issued_ref for e in rows if e.kind in (GRANT_COUPON, GRANT_VOUCHER) and e.issued_ref]
    coupons = {c.id: c for c in s.scalars(select(mc.Coupon).where(mc.Coupon.id.in_(coupon_ids)))} if coupon_ids else {}
    skus = [e.ref for e in rows if e.kind == GRANT_GIFT]
    unit: dict[str, int] = {}
    if skus:
        for sku, value in s.execute(select(mg.GiftItem.sku, mg.GiftItem.unit_value_fen).where(mg.GiftItem.sku.in_(skus))):
            unit[sku] = value
    out: list[w.UsedPerk] = []
    for e in rows:
        if e.kind == GRANT_GIFT and e.state == grants.HANDED_OUT:
            out.append(w.UsedPerk(w.PERK_GIFT, e.name, unit.get(e.ref, e.value_fen)))
        elif e.kind in (GRANT_COUPON, GRANT_VOUCHER) and e.state == grants.ISSUED:
            c = coupons.get(e.issued_ref or "")
            if c is not None and c.state == REDEEMED:
                value = e.value_fen or c.value_fen or (c.discount_fen or 0)
                out.append(w.UsedPerk(w.PERK_VOUCHER if e.kind == GRANT_VOUCHER else w.PERK_COUPON, e.name, value))
    return out


def _plan(uow: UnitOfWork, r: m.Recharge) -> tuple[w.RefundPlan, bool]:
    deduct = _deducts_used_perks(uow, r)
    used = _used_perks(uow, r) if deduct else []
    plan = w.plan_refund(w.Lot(r.id, r.principal_left_fen, r.bonus_left_fen), r.amount_fen, r.bonus_fen, used,
                         deduct_used_perks=deduct)
    return plan, deduct


def _load_refundable(uow: UnitOfWork, recharge_id: str) -> m.Recharge:
    r = uow.session.get(m.Recharge, recharge_id)
    if r is None:
        raise NotFound("recharge.unknown", recharge_id=recharge_id)
    return r


def refund_preview(ctx: ServiceContext, actor: Actor, recharge_id: str) -> RefundPreview:
    """What refunding this recharge would pay back, line by line (read-only; for the confirmation)."""
    require(actor, "member.read")
    with ctx.uow(read_only=True) as uow:
        s = uow.session
        r = _load_refundable(uow, recharge_id)
        if r.state == "refunded":
            raise StateError("refund.already", recharge_id=recharge_id)
        member = s.get(m.Member, r.member_id)
        assert member is not None
        plan, deduct = _plan(uow, r)
        points = int(s.scalar(
            select(func.coalesce(func.sum(m.PointsLot.remaining), 0)).where(m.PointsLot.recharge_id == r.id)
        ) or 0)
        return RefundPreview(
            recharge_id=r.id,
            receipt_no=r.receipt_no or "",
            member_id=r.member_id,
            phone=member.phone,
            principal_paid_fen=r.amount_fen,
            principal_refundable_fen=plan.principal_unspent_fen,
            deductions=tuple(RefundLine(p.kind, p.name, p.value_fen) for p in plan.deductions),
            deductions_fen=plan.deductions_fen,
            net_refund_fen=plan.principal_refund_fen,
            bonus_revoke_fen=plan.bonus_revoke_fen,
            points_revoke=points,
            deduct_used_perks=deduct,
            original_pay_method=r.pay_method,
            created_at=r.created_at,
        )


@use_case("wallet.refund", permission="wallet.refund", event="wallet.refunded", idempotent=True)
def refund(
    ctx: ServiceContext,
    actor: Actor,
    *,
    recharge_id: str,
    request_id: str | None = None,
    operator: Actor | None = None,
    reason: str | None = None,
    pay_method: str | None = None,
    method: str | None = None,
) -> RefundResult:
    """Manager only. Returns the principal of this recharge not yet spent, less what the member already used
    or kept of its perks (the campaign's ``[refund] deduct_used_perks``, default on; never below zero);
    takes back its unspent bonus, its unspent points and the coupons/vouchers/gifts not yet used or handed
    out (those are kept). ``method``: ``original`` (default: the recharge's payment method) or ``cash``.
    ``operator``: who is at the counter (default: the one ``actor`` approves for, ``Actor.approving``)."""
    if operator is None and actor.operator is not None:
        operator = actor.operator
    request_id = check_request_id(request_id, ctx)
    method = _check_method(method)
    with ctx.uow() as uow:
        s = uow.session
        r = _load_refundable(uow, recharge_id)
        params: dict[str, str] = {"recharge_id": recharge_id}
        if method != w.REFUND_ORIGINAL:
            params["method"] = method
        done = replayed(uow, request_id, "wallet.refund", params)
        if done:
            first = s.get(m.Refund, done)
            assert first is not None
            return _refund_result(uow, first)
        if r.state == "refunded":
            raise StateError("refund.already", recharge_id=recharge_id)
        member = s.get(m.Member, r.member_id)
        assert member is not None
        plan, _deduct = _plan(uow, r)
        pay = check_pay_method(pay_method or ("cash" if method == w.REFUND_CASH else r.pay_method))
        rf = m.Refund(
            id=ctx.new_id(), request_id=request_id, recharge_id=r.id, member_id=member.id,
            principal_refund_fen=plan.principal_refund_fen, bonus_revoke_fen=plan.bonus_revoke_fen,
            points_revoked=0, points_kept=0, pay_method=pay, staff_id=actor.staff_id,
            operator_id=operator.staff_id if operator else None, reason=(reason or None), created_at=ctx.now(),
            refund_method=method, principal_unspent_fen=plan.principal_unspent_fen, deducted_fen=plan.deducted_fen,
            deductions_json=json.dumps(
                [{"kind": p.kind, "name": p.name, "value_fen": p.value_fen} for p in plan.deductions], ensure_ascii=False
            ),
        )
        s.add(rf)
        s.flush()
        # its items as they stand before the refund (a coupon that is its own item derives its state from
        # the recharge's: loaded now, it is still "issued", and the coupon module decides below)
        rows = grants.recharge_rows(uow, r.id)
        r.principal_left_fen = 0
        r.bonus_left_fen = 0
        r.state = "refunded"
        # the whole unspent principal leaves the wallet; the deducted part is what the store keeps
        append_wallet_entry(uow, ctx, actor, member, "refund", -plan.principal_unspent_fen, -plan.bonus_revoke_fen,
                            refund_id=rf.id)
        # points: take back what is left of this recharge's lot; what was spent or expired is kept
        for lot in s.scalars(select(m.PointsLot).where(m.PointsLot.recharge_id == r.id)):
            if lot.remaining > 0:
                s.add(m.PointsEntry(id=ctx.new_id(), member_id=member.id, lot_id=lot.id, kind="revoke",
                                    delta=-lot.remaining, ref=rf.id, created_at=ctx.now()))
                note_move(uow, "points", member.id, member.points_balance, member.points_balance - lot.remaining,
                          phone=member.phone)
                member.points_balance -= lot.remaining
                rf.points_revoked += lot.remaining
            rf.points_kept += lot.points - lot.remaining
            lot.remaining = 0
        grants.take_back_items(uow, ctx, actor, rows)
        grants.recompute_member_price(
            member,
            list(s.scalars(select(m.Entitlement).where(m.Entitlement.member_id == member.id, m.Entitlement.kind == "member_price"))),
            settings(uow).tz,
        )
        # audited before the hooks (a referral reversed writes its own row); the operator at the counter
        # did it, the manager approved it (the same person when a manager is logged in)
        audit(uow, ctx, operator or actor, "wallet.refund", "refund", rf.id, approved_by=actor, recharge_id=r.id,
              operator=operator.code if operator else None,
              principal_refund_fen=rf.principal_refund_fen, bonus_revoke_fen=rf.bonus_revoke_fen, reason=reason,
              method=method, pay=pay, principal_unspent_fen=rf.principal_unspent_fen, deducted_fen=rf.deducted_fen)
        _after_refund(uow, ctx, actor, member, r)
        remember(uow, ctx, request_id, "wallet.refund", rf.id, params)
        s.flush()
        result = _refund_result(uow, rf)
        emit(uow, ctx, "wallet.refunded", {
            "refund_id": rf.id, "request_id": request_id, "recharge_id": r.id, "member_id": member.id,
            "principal_refund_fen": rf.principal_refund_fen, "bonus_revoke_fen": rf.bonus_revoke_fen,
            "principal_unspent_fen": rf.principal_unspent_fen, "deducted_fen": rf.deducted_fen,
            "deductions": json.loads(rf.deductions_json), "method": method, "pay_method": pay,
            "points_revoked": rf.points_revoked, "principal_after_fen": result.principal_balance_fen,
            "bonus_after_fen": result.bonus_balance_fen, "staff": actor.code,
            "revoked": [i.entitlement_id for i in result.revoked_items], "kept": [i.entitlement_id for i in result.kept_items],
        })
        uow.commit()
        return result


def _after_refund(uow: UnitOfWork, ctx: ServiceContext, actor: Actor, member: m.Member, r: m.Recharge) -> None:
    for handler in ctx.registry.on_refund:
        handler(uow, ctx, actor, member, r)


# ----------------------------------------------------------------------------- queries


def statement(
    ctx: ServiceContext,
    actor: Actor,
    *,
    member_id: str,
    since: date | None = None,
    until: date | None = None,
    limit: int = 1000,
) -> list[WalletLine]:
    """The member's wallet statement, newest first, each line with the balances after it."""
    require(actor, "member.read")
    with ctx.uow(read_only=True) as uow:
        st = settings(uow)
        stmt = select(m.WalletEntry, m.Staff.code).join(m.Staff, m.Staff.id == m.WalletEntry.staff_id).where(
            m.WalletEntry.member_id == member_id
        )
        if since:
            stmt = stmt.where(m.WalletEntry.created_at >= datetime.combine(since, time.min, st.tz))
        if until:
            stmt = stmt.where(m.WalletEntry.created_at < datetime.combine(until, time.max, st.tz))
        stmt = stmt.order_by(m.WalletEntry.seq.desc()).limit(limit)
        found = list(uow.session.execute(stmt))
        numbers = _receipt_numbers(uow, [e.recharge_id for e, _ in found if e.recharge_id],
                                   [e.refund_id for e, _ in found if e.refund_id])
        reasons = {a.id: a.reason for a in repo.ledger.adjustments_by_id(
            uow.session, [e.adjustment_id for e, _ in found if e.adjustment_id]).values()}
        out = []
        for e, code in found:
            out.append(
                WalletLine(
                    entry_id=e.id, seq=e.seq, kind=e.kind,
                    principal_delta_fen=e.principal_delta_fen, bonus_delta_fen=e.bonus_delta_fen,
                    principal_after_fen=e.principal_after_fen, bonus_after_fen=e.bonus_after_fen,
                    balance_after_fen=e.principal_after_fen + e.bonus_after_fen, created_at=e.created_at,
                    ref_id=e.recharge_id or e.spend_id or e.refund_id or e.adjustment_id, staff_code=code,
                    receipt_no=numbers.get(e.recharge_id or e.refund_id or "", ""),
                    reason=reasons.get(e.adjustment_id or "", ""),
                )
            )
        return out


def _receipt_numbers(uow: UnitOfWork, recharge_ids: list[str], refund_ids: list[str]) -> dict[str, str]:
    """Receipt numbers by recharge id and by refund id (a refund line shows its recharge's number)."""
    out: dict[str, str] = {}
    if recharge_ids:
        for rid, no in uow.session.execute(select(m.Recharge.id, m.Recharge.receipt_no).where(m.Recharge.id.in_(recharge_ids))):
            out[rid] = no or ""
    if refund_ids:
        for fid, no in uow.session.execute(
            select(m.Refund.id, m.Recharge.receipt_no).join(m.Recharge, m.Recharge.id == m.Refund.recharge_id)
            .where(m.Refund.id.in_(refund_ids))
        ):
            out[fid] = no or ""
    return out


def points_lots(ctx: ServiceContext, actor: Actor, *, member_id: str) -> list[PointsLotDTO]:
    require(actor, "member.read")
    with ctx.uow(read_only=True) as uow:
        today = local_date(ctx, settings(uow))
        rows = uow.session.scalars(
            select(m.PointsLot).where(m.PointsLot.member_id == member_id).order_by(m.PointsLot.earned_at.desc())
        )
        return [
            PointsLotDTO(r.id, r.source, r.points, r.remaining, r.earned_at, r.expires_on, r.expires_on <= today)
            for r in rows
        ]


def member_items(ctx: ServiceContext, actor: Actor, *, member_id: str) -> list[GrantedItemDTO]:
    require(actor, "member.read")
    with ctx.uow(read_only=True) as uow:
        rows = grants.member_rows(uow, member_id)
        return list(grants.item_dtos(uow, rows))  # each coupon/voucher with its printed code


def recharges(
    ctx: ServiceContext, actor: Actor, *, member_id: str | None = None, limit: int = 200
) -> list[RechargeSummary]:
    require(actor, "member.read")
    with ctx.uow(read_only=True) as uow:
        stmt = select(m.Recharge, m.Member.phone).join(m.Member, m.Member.id == m.Recharge.member_id)
        if member_id:
            stmt = stmt.where(m.Recharge.member_id == member_id)
        stmt = stmt.order_by(m.Recharge.created_at.desc()).limit(limit)
        return [
            RechargeSummary(
                r.id, r.member_id, phone, r.tier_code, r.amount_fen, r.bonus_fen, r.points, r.pay_method,
                r.state, r.principal_left_fen, r.bonus_left_fen, r.created_at, r.receipt_no or "",
            )
            for r, phone in uow.session.execute(stmt)
        ]


def get_recharge(ctx: ServiceContext, actor: Actor, recharge_id: str) -> RechargeResult:
    require(actor, "member.read")
    with ctx.uow(read_only=True) as uow:
        r = uow.session.get(m.Recharge, recharge_id)
        if r is None:
            raise NotFound("recharge.unknown", recharge_id=recharge_id)
        return _recharge_result(uow, r)


@use_case("points.expire", permission="points.expire", event="points.expired")
def expire_points(ctx: ServiceContext, actor: Actor) -> int:
    """Apply points expiry (run daily and at start-up). Returns the points expired."""
    with ctx.uow() as uow:
        s = uow.session
        today = local_date(ctx, settings(uow))
        total = 0
        for lot in s.scalars(select(m.PointsLot).where(
                m.PointsLot.remaining > 0, m.PointsLot.expires_on <= today,
                # a pending lot is never expired (nor spent): it becomes spendable first
                or_(m.PointsLot.available_on.is_(None), m.PointsLot.available_on <= today))):
            member = s.get(m.Member, lot.member_id)
            assert member is not None
            s.add(m.PointsEntry(id=ctx.new_id(), member_id=lot.member_id, lot_id=lot.id, kind="expire",
                                delta=-lot.remaining, ref=None, created_at=ctx.now()))
            note_move(uow, "points", member.id, member.points_balance, member.points_balance - lot.remaining,
                          phone=member.phone)
            member.points_balance -= lot.remaining
            total += lot.remaining
            lot.remaining = 0
        if total:
            audit(uow, ctx, actor, "points.expire", "points", today.isoformat(), points=total)
            emit(uow, ctx, "points.expired", {"date": today.isoformat(), "points": total})
        uow.commit()
        return total
