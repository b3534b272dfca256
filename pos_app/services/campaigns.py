"""Campaigns: load from a TOML file (or from the central server), list, show, find the active one."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

from sqlalchemy import select

from pos_app.db import models as m
from pos_app.db import repo
from pos_app.db.uow import UnitOfWork
from pos_app.domain.campaign import (
    Campaign,
    active_campaign,
    campaign_from_dict,
    evaluate_recharge,
    gift_skus,
    overlaps,
)
from pos_app.domain.errors import InvalidInput, NotFound
from pos_app.services.common import audit, emit, local_date, require, settings
from pos_app.services.context import Actor, ServiceContext
from pos_app.services.dto import CampaignDTO, RechargePreview, TierDTO
from pos_app.services.usecase import use_case


def read_campaign_file(path: str | Path) -> dict[str, Any]:
    p = Path(path)
    try:
        with p.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise InvalidInput("file.not_found", path=str(p)) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InvalidInput("campaign.file_invalid", path=str(p), detail=str(exc)) from None
    except RecursionError:  # thousands of nested arrays or tables: no campaign looks like that
        raise InvalidInput("file.too_deep", path=str(p)) from None
    except IsADirectoryError:
        raise InvalidInput("file.read_failed", path=str(p), detail="is a directory") from None
    except OSError as exc:
        raise InvalidInput("file.read_failed", path=str(p), detail=exc.strerror or str(exc)) from None


_PARSED: dict[str, Campaign] = {}
_PARSED_MAX = 64


def parse_rules(rules_json: str) -> Campaign:
    """The domain campaign for a stored rules JSON. Parsed once per process: the text is the cache key,
    so a reloaded or synced campaign (new text) is parsed again and nothing stale is ever served."""
    c = _PARSED.get(rules_json)
    if c is None:
        c = campaign_from_dict(json.loads(rules_json))
        if len(_PARSED) >= _PARSED_MAX:
            _PARSED.clear()
        _PARSED[rules_json] = c
    return c


def _to_domain(row: m.Campaign) -> Campaign:
    return parse_rules(row.rules_json)


def _items(tier: Any) -> tuple[dict[str, Any], ...]:
    out: list[dict[str, Any]] = []
    for c in tier.coupons:
        out.append({"kind": "coupon", "ref": c.template, "name": c.name or c.template, "quantity": c.count, "value_fen": c.value_fen})
    for g in tier.gifts:
        out.append({"kind": "gift", "ref": g.sku, "name": g.name or g.sku, "quantity": g.qty, "value_fen": 0})
    for v in tier.vouchers:
        out.append({"kind": "voucher", "ref": v.category or v.name, "name": v.name, "quantity": v.count, "value_fen": v.value_fen})
    return tuple(out)


def _dto(row: m.Campaign, c: Campaign, active: bool) -> CampaignDTO:
    r = c.rebate
    return CampaignDTO(
        campaign_id=row.id,
        code=c.code,
        name=c.name,
        starts_on=c.starts_on,
        ends_on=c.ends_on,
        source=row.source,
        version=row.version,
        active=active,
        tiers=tuple(
            TierDTO(t.code, t.name, t.pay_fen, t.bonus_fen, t.member_price_months, _items(t)) for t in c.tiers
        ),
        rebate={
            "points_every_fen": r.points_step_fen,
            "points": r.points_per_step,
            "voucher_threshold_fen": r.voucher_threshold_fen,
            "voucher_bp": r.voucher_bp,
            "voucher_name": r.voucher_name,
        },
        points_expiry_months=c.points_expiry_months,
        gift_due_working_days=c.gift_due_working_days,
    )


def all_campaigns(uow: UnitOfWork) -> list[tuple[m.Campaign, Campaign]]:
    return [(row, _to_domain(row)) for row in uow.session.scalars(select(m.Campaign).order_by(m.Campaign.starts_on))]


def current_campaign(uow: UnitOfWork, ctx: ServiceContext) -> Campaign | None:
    """The campaign running today in this store (only the rows whose window contains today are read)."""
    st = settings(uow)
    today = local_date(ctx, st)
    rows = repo.campaigns.running_rules(uow.session, today)
    return active_campaign([parse_rules(text) for text in rows], today, st.store_code)


@use_case("campaign.load", permission="campaign.manage", event="campaign.loaded")
def load_campaign(
    ctx: ServiceContext, actor: Actor, data: dict[str, Any], *, source: str = "local", replace: bool = False
) -> CampaignDTO:
    """Create or replace (by code) a campaign. Validated fully before anything is written.

    A campaign loaded here (``source="local"``) must name only gifts the store's catalogue holds (when the
    store keeps one), and may not overlap another campaign in time and stores unless ``replace``: while
    two overlap, only the one that starts last applies (:func:`active_campaign`), and ``campaign list``
    says so. Campaigns from the central server are central's decision and are not refused here."""
    c = campaign_from_dict(data)
    _validate_extensions(ctx, data)
    rules_json = json.dumps(data, default=str, ensure_ascii=False, sort_keys=True)
    with ctx.uow() as uow:
        s = uow.session
        row = s.scalar(select(m.Campaign).where(m.Campaign.code == c.code))
        if row is None:
            row = m.Campaign(id=ctx.new_id(), code=c.code, version=1, source=source, loaded_at=ctx.now())
            s.add(row)
        elif row.rules_json == rules_json:
            current = current_campaign(uow, ctx)
            return _dto(row, c, current is not None and current.code == c.code)
        else:
            row.version += 1
        row.name = c.name
        row.starts_on = c.starts_on
        row.ends_on = c.ends_on
        row.rules_json = rules_json
        row.source = source
        row.loaded_at = ctx.now()
        s.flush()
        _after_load(uow, ctx, actor, data)
        if source == "local":  # after the feature modules' own checks: what the file says comes first
            _check_gifts_known(uow, c)
            if not replace:
                _check_no_overlap(uow, c)
        audit(uow, ctx, actor, "campaign.load", "campaign", row.id, code=c.code, version=row.version)
        if source == "local":
            emit(uow, ctx, "campaign.loaded", {"campaign_id": row.id, "code": c.code, "version": row.version, "rules": data})
        current = current_campaign(uow, ctx)
        dto = _dto(row, c, current is not None and current.code == c.code)
        uow.commit()
        return dto


def _check_gifts_known(uow: UnitOfWork, c: Campaign) -> None:
    """Every gift SKU the campaign hands out is in the catalogue (else every hand-out of it fails).
    A store that keeps no gift catalogue at all (no gift module, or not one gift added) is not checked."""
    try:
        from pos_app.db import models_gifts as g  # noqa: PLC0415
    except ModuleNotFoundError:  # pragma: no cover - the gift module is optional
        return
    named = gift_skus(c)
    if not named or uow.session.scalar(select(g.GiftItem.id).limit(1)) is None:
        return
    known = set(uow.session.scalars(select(g.GiftItem.sku).where(g.GiftItem.sku.in_({sku for sku, _ in named}))))
    for sku, where in named:
        if sku not in known:
            raise InvalidInput("campaign.unknown_gift", sku=sku, where=where)


def _check_no_overlap(uow: UnitOfWork, c: Campaign) -> None:
    for _row, other in all_campaigns(uow):
        if overlaps(c, other):
            raise InvalidInput(
                "campaign.overlaps", campaign=c.code, starts=str(c.starts_on), ends=str(c.ends_on),
                other=other.code, other_starts=str(other.starts_on), other_ends=str(other.ends_on),
            )


def no_campaign_for_tier(uow: UnitOfWork, ctx: ServiceContext, tier_code: str) -> InvalidInput:
    """Why a tier cannot be chosen when no campaign runs today: the campaign holding that tier has ended
    (the latest one) or has not started (the next one), or there is none at all."""
    today = local_date(ctx, settings(uow))
    ended: Campaign | None = None
    upcoming: Campaign | None = None
    for _row, c in all_campaigns(uow):
        if not any(t.code.casefold() == str(tier_code).strip().casefold() for t in c.tiers):
            continue
        if c.ends_on < today and (ended is None or c.ends_on > ended.ends_on):
            ended = c
        elif c.starts_on > today and (upcoming is None or c.starts_on < upcoming.starts_on):
            upcoming = c
    if ended is not None:
        return InvalidInput("campaign.ended", campaign=ended.code, ends=str(ended.ends_on))
    if upcoming is not None:
        return InvalidInput("campaign.not_started", campaign=upcoming.code, starts=str(upcoming.starts_on))
    return InvalidInput("campaign.none_active")


def _validate_extensions(ctx: ServiceContext, data: dict[str, Any]) -> None:
    """Parts of a campaign file that other modules own (coupon templates, referral rules...)."""
    for validate in ctx.registry.campaign_validate:
        validate(data)


def _after_load(uow: UnitOfWork, ctx: ServiceContext, actor: Actor, data: dict[str, Any]) -> None:
    for loaded in ctx.registry.campaign_loaded:
        loaded(uow, ctx, actor, data)


def load_campaign_file(ctx: ServiceContext, actor: Actor, path: str | Path, *, replace: bool = False) -> CampaignDTO:
    return load_campaign(ctx, actor, read_campaign_file(path), replace=replace)


def list_campaigns(ctx: ServiceContext, actor: Actor) -> list[CampaignDTO]:
    """Every campaign; ``active`` is true only for the one that applies in this store today (when two
    overlap, the one that starts last)."""
    require(actor, "campaign.read")
    with ctx.uow(read_only=True) as uow:
        current = current_campaign(uow, ctx)
        applies = current.code if current else None
        return [_dto(row, c, c.code == applies) for row, c in all_campaigns(uow)]



def get_campaign(ctx: ServiceContext, actor: Actor, ref: str) -> CampaignDTO:
    require(actor, "campaign.read")
    with ctx.uow(read_only=True) as uow:
        row = uow.session.scalar(select(m.Campaign).where((m.Campaign.id == ref) | (m.Campaign.code == ref)))
        if row is None:
            raise NotFound("campaign.unknown", campaign=ref)
        c = _to_domain(row)
        current = current_campaign(uow, ctx)
        return _dto(row, c, current is not None and current.code == c.code)


def get_active_campaign(ctx: ServiceContext, actor: Actor) -> CampaignDTO | None:
    require(actor, "campaign.read")
    with ctx.uow(read_only=True) as uow:
        c = current_campaign(uow, ctx)
        if c is None:
            return None
        row = uow.session.scalar(select(m.Campaign).where(m.Campaign.code == c.code))
        assert row is not None
        return _dto(row, c, True)


def preview_recharge(
    ctx: ServiceContext, actor: Actor, amount_fen: int, tier_code: str | None = None, member_id: str | None = None
) -> RechargePreview:
    """What a recharge would give, before the cashier confirms. Writes nothing."""
    require(actor, "wallet.recharge")
    with ctx.uow(read_only=True) as uow:
        c = current_campaign(uow, ctx)
        outcome = evaluate_recharge(c, amount_fen, tier_code)
        st = settings(uow)
        after = None
        if member_id:
            mm = uow.session.get(m.Member, member_id)
            if mm is None:
                raise NotFound("member.unknown", query=member_id)
            after = mm.principal_fen + mm.bonus_fen + outcome.amount_fen + outcome.bonus_fen
        tier = c.tier(outcome.tier_code) if (c and outcome.tier_code) else None
        return RechargePreview(
            amount_fen=amount_fen,
            campaign_code=c.code if c else None,
            tier_code=outcome.tier_code,
            tier_name=tier.name if tier else None,
            bonus_fen=outcome.bonus_fen,
            points=outcome.points,
            member_price_months=outcome.member_price_months,
            items=tuple(
                {"kind": i.kind, "ref": i.ref, "name": i.name, "quantity": i.quantity, "value_fen": i.value_fen, "source": i.source}
                for i in outcome.items
            ),
            balance_after_fen=after,
            cap_fen=st.balance_cap_fen,
            within_cap=after is None or st.balance_cap_fen <= 0 or after <= st.balance_cap_fen,
        )


def recharge_tier_names(ctx: ServiceContext, actor: Actor, *, member_id: str) -> dict[str, str]:
    """For the member's recharges on a tier: recharge id -> the tier's name in the recharge's campaign (a
    tier or campaign no longer known keeps no entry: the screen shows the code)."""
    require(actor, "member.read")
    with ctx.uow(read_only=True) as uow:
        rows = uow.session.execute(
            select(m.Recharge.id, m.Recharge.campaign_code, m.Recharge.tier_code).where(
                m.Recharge.member_id == member_id, m.Recharge.tier_code.is_not(None)
            )
        ).all()
        codes = {c for _rid, c, _t in rows if c}
        names: dict[tuple[str, str], str] = {}
        if codes:
            for row in uow.session.scalars(select(m.Campaign).where(m.Campaign.code.in_(codes))):
                for t in _to_domain(row).tiers:
                    names[(row.code, t.code)] = t.name
        return {rid: names[(c, t)] for rid, c, t in rows if c and t and (c, t) in names}
