"""Campaigns, recharge tiers and rebate rules (DOMAIN.md: Stored value, Campaigns).

Every number is configuration: a campaign is parsed from a plain dict (loaded from TOML or pulled
from the central server) by :func:`campaign_from_dict`, which validates it and converts yuan to fen.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from pos_app.domain.errors import InvalidInput
from pos_app.domain.money import parse_percent_bp, parse_yuan, percent_of
from pos_app.domain.textparams import Money

GRANT_COUPON = "coupon"
GRANT_GIFT = "gift"
GRANT_VOUCHER = "voucher"
GRANT_MEMBER_PRICE = "member_price"


@dataclass(frozen=True)
class CouponGrant:
    template: str  # coupon template code
    count: int = 1
    name: str = ""
    value_fen: int = 0


@dataclass(frozen=True)
class GiftGrant:
    sku: str
    qty: int = 1
    name: str = ""


@dataclass(frozen=True)
class VoucherGrant:
    name: str
    value_fen: int = 0
    count: int = 1
    category: str = ""


@dataclass(frozen=True)
class Tier:
    code: str
    name: str
    pay_fen: int
    bonus_fen: int = 0
    coupons: tuple[CouponGrant, ...] = ()
    gifts: tuple[GiftGrant, ...] = ()
    vouchers: tuple[VoucherGrant, ...] = ()
    member_price_months: int = 0
    #: refuse the tier when one of its gifts is out of stock (otherwise the gift is owed)
    block_when_gift_out_of_stock: bool = False


@dataclass(frozen=True)
class RebateRule:
    """Every full ``points_step_fen`` recharged earns ``points_per_step`` points; a recharge of
    ``voucher_threshold_fen`` or more earns an extra ``voucher_bp`` of the amount as a service voucher."""

    points_step_fen: int = 0
    points_per_step: int = 0
    voucher_threshold_fen: int = 0
    voucher_bp: int = 0
    voucher_name: str = ""
    voucher_category: str = ""


@dataclass(frozen=True)
class CampaignTargets:
    """The ``[targets]`` table of a campaign file: what the campaign aims at, each optional (None: no target).
    The campaign report sets its actual figures against them at the end."""

    #: recharge (principal) growth over the previous period of the same length, in basis points (2000 = 20%)
    recharge_growth_bp: int | None = None
    #: members whose first recharge falls in the campaign
    new_recharging_members: int | None = None
    #: invitees who qualified / invitees registered, in basis points
    invitee_conversion_bp: int | None = None
    #: points spent (mall, wheel, deductions) during the campaign
    points_spent: int | None = None
    #: coupons redeemed during the campaign
    coupon_redemptions: int | None = None
    #: points mall redemptions made during the campaign
    mall_redemptions: int | None = None
    #: premium redemption requests fulfilled during the campaign
    premium_redemptions: int | None = None

    def any(self) -> bool:
        return any(v is not None for v in (self.recharge_growth_bp, self.new_recharging_members,
                                           self.invitee_conversion_bp, self.points_spent, self.coupon_redemptions,
                                           self.mall_redemptions, self.premium_redemptions))


@dataclass(frozen=True)
class Campaign:
    code: str
    name: str
    starts_on: date
    ends_on: date  # inclusive
    tiers: tuple[Tier, ...] = ()
    rebate: RebateRule = field(default_factory=RebateRule)
    points_expiry_months: int = 12
    gift_due_working_days: int = 3
    stores: tuple[str, ...] = ("*",)
    #: ``[refund] deduct_used_perks``: a refund deducts what the member already used or kept (default on)
    refund_deduct_used_perks: bool = True
    #: ``[targets]``: what the campaign aims at (the campaign report shows progress against them)
    targets: CampaignTargets = field(default_factory=CampaignTargets)
    #: the whole parsed dict, for parts other issues read (coupon templates, referral, wheel...)
    extra: Mapping[str, Any] = field(default_factory=dict)

    def is_active_on(self, day: date) -> bool:
        return self.starts_on <= day <= self.ends_on

    def tier(self, code: str) -> Tier:
        """The tier by its code; codes are compared without case (``BASIC`` is ``basic``)."""
        key = str(code or "").strip().casefold()
        for t in self.tiers:
            if t.code.casefold() == key:
                return t
        raise InvalidInput("campaign.tier_unknown", tier=code, campaign=self.code)

    def best_tier_for(self, amount_fen: int) -> Tier | None:
        """The highest tier whose price the amount reaches, or None."""
        reached = [t for t in self.tiers if t.pay_fen <= amount_fen]
        return max(reached, key=lambda t: t.pay_fen) if reached else None


@dataclass(frozen=True)
class GrantedItem:
    kind: str  # coupon / gift / voucher / member_price
    ref: str  # template code, SKU, voucher name, "member_price"
    name: str
    quantity: int
    value_fen: int
    source: str  # "tier" or "rebate"


@dataclass(frozen=True)
class RechargeOutcome:
    amount_fen: int  # principal paid
    tier_code: str | None
    bonus_fen: int
    points: int
    items: tuple[GrantedItem, ...]
    member_price_months: int


def evaluate_recharge(campaign: Campaign | None, amount_fen: int, tier_code: str | None = None) -> RechargeOutcome:
    """What a recharge of ``amount_fen`` earns under ``campaign``.

    With ``tier_code`` the member chose that tier: the amount must reach its price. Without it, a custom
    amount takes the best tier it reaches, or none. Rebate rules then apply to the whole amount.
    """
    if amount_fen <= 0:
        raise InvalidInput("money.zero", value=str(amount_fen), field="amount")
    if campaign is None:
        if tier_code:
            raise InvalidInput("campaign.none_active")
        return RechargeOutcome(amount_fen, None, 0, 0, (), 0)
    if tier_code:
        tier: Tier | None = campaign.tier(tier_code)
        assert tier is not None
        if amount_fen < tier.pay_fen:
            raise InvalidInput("campaign.tier_amount_short", tier=tier.code, pay=Money(tier.pay_fen))
    else:
        tier = campaign.best_tier_for(amount_fen)
    items: list[GrantedItem] = []
    bonus = 0
    months = 0
    if tier is not None:
        bonus = tier.bonus_fen
        months = tier.member_price_months
        for c in tier.coupons:
            items.append(GrantedItem(GRANT_COUPON, c.template, c.name or c.template, c.count, c.value_fen, "tier"))
        for g in tier.gifts:
            items.append(GrantedItem(GRANT_GIFT, g.sku, g.name or g.sku, g.qty, 0, "tier"))
        for v in tier.vouchers:
            items.append(GrantedItem(GRANT_VOUCHER, v.category or v.name, v.name, v.count, v.value_fen, "tier"))
        if months:
            items.append(GrantedItem(GRANT_MEMBER_PRICE, GRANT_MEMBER_PRICE, "member_price", months, 0, "tier"))
    r = campaign.rebate
    points = 0
    if r.points_step_fen > 0 and r.points_per_step > 0:
        points = (amount_fen // r.points_step_fen) * r.points_per_step
    if r.voucher_bp > 0 and r.voucher_threshold_fen > 0 and amount_fen >= r.voucher_threshold_fen:
        value = percent_of(amount_fen, r.voucher_bp)
        if value > 0:
            items.append(
                GrantedItem(GRANT_VOUCHER, r.voucher_category or r.voucher_name, r.voucher_name, 1, value, "rebate")
            )
    return RechargeOutcome(amount_fen, tier.code if tier else None, bonus, points, tuple(items), months)


def active_campaign(campaigns: Sequence[Campaign], now: datetime | date, store_code: str = "*") -> Campaign | None:
    """The campaign running on ``now``'s date in this store; the latest-starting one wins."""
    day = now.date() if isinstance(now, datetime) else now
    running = [
        c for c in campaigns if c.is_active_on(day) and ("*" in c.stores or store_code in c.stores)
    ]
    if not running:
        return None
    return max(running, key=lambda c: (c.starts_on, c.code))


# ---------------------------------------------------------------- parsing

#: a tier's bonus may be at most this share of its price unless the file says otherwise
#: (``[campaign] max_bonus_percent``): a ¥500 tier with a ¥10,000 bonus is a typo, not a promotion
DEFAULT_MAX_BONUS_PERCENT = "100"


def check_bonus_ratio(tier: Tier, max_bonus_bp: int) -> None:
    """Refuse a tier whose bonus is more than ``max_bonus_bp`` (basis points) of its price."""
    if tier.bonus_fen * 10_000 > tier.pay_fen * max_bonus_bp:
        raise InvalidInput(
            "campaign.bonus_too_large", tier=tier.code, value=Money(tier.bonus_fen), pay=Money(tier.pay_fen),
            max_percent=f"{max_bonus_bp / 100:g}",
        )


def gift_skus(campaign: Campaign) -> list[tuple[str, str]]:
    """Every gift SKU the campaign hands out, with where it is named: the tiers' gifts and the referral
    rewards of kind ``gift`` (read from the raw file, which the referral rules own)."""
    out = [(g.sku, f"tiers.{t.code}.gifts") for t in campaign.tiers for g in t.gifts]
    ref = campaign.extra.get("referral")
    if isinstance(ref, Mapping):
        for key, rewards in sorted(ref.items()):
            if isinstance(rewards, list | tuple):
                for r in rewards:
                    if isinstance(r, Mapping) and r.get("kind") == GRANT_GIFT and str(r.get("sku") or "").strip():
                        out.append((str(r["sku"]).strip(), f"referral.{key}"))
    return out


def overlaps(a: Campaign, b: Campaign) -> bool:
    """Two campaigns of different codes that run on a common day in a common store."""
    if a.code == b.code or a.ends_on < b.starts_on or b.ends_on < a.starts_on:
        return False
    return "*" in a.stores or "*" in b.stores or bool(set(a.stores) & set(b.stores))


def field_date(value: Any, field_name: str) -> date:
    """A date field of a campaign file (ISO text or a TOML date); refused with the field's name."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise InvalidInput("campaign.bad_field", field=field_name, value=str(value)) from None


def _int(value: Any, field_name: str, minimum: int = 0, maximum: int = 1_000_000) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
        raise InvalidInput("campaign.bad_field", field=field_name, value=str(value))
    return value


def field_money(value: Any, field_name: str, allow_zero: bool = True) -> int:
    """A money field of a campaign file in yuan ("500", "99.90"), as fen; refused with the field's name."""
    if isinstance(value, float):
        value = f"{value:.2f}"
    try:
        return parse_yuan(value, allow_zero=allow_zero, field=field_name)
    except InvalidInput:
        raise InvalidInput("campaign.bad_field", field=field_name, value=str(value)) from None


def _percent(value: Any, field_name: str) -> int:
    try:
        return parse_percent_bp(value)
    except InvalidInput:
        raise InvalidInput("campaign.bad_field", field=field_name, value=str(value)) from None


def _whole_percent_bp(value: Any, field_name: str) -> int:
    """A whole percentage that may pass 100 ("300" = three times), as basis points."""
    text = str(value).strip()
    if isinstance(value, bool) or not (text.isascii() and text.isdigit()) or int(text) > 10_000:
        raise InvalidInput("campaign.bad_field", field=field_name, value=text)
    return int(text) * 100


def _str(value: Any, field_name: str, required: bool = True) -> str:
    if value is None or str(value).strip() == "":
        if required:
            raise InvalidInput("campaign.missing_field", field=field_name)
        return ""
    return str(value).strip()


def _tables(value: Any, field_name: str) -> list[Mapping[str, Any]]:
    """A TOML array of tables (``[[tiers]]``): a list of mappings, or nothing."""
    if value is None:
        return []
    if not isinstance(value, list | tuple) or not all(isinstance(v, Mapping) for v in value):
        raise InvalidInput("campaign.bad_field", field=field_name, value=str(value)[:60])
    return list(value)


def _table(value: Any, field_name: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InvalidInput("campaign.bad_field", field=field_name, value=str(value)[:60])
    return value


def refund_rules_from_dict(data: Mapping[str, Any]) -> bool:
    """The ``[refund]`` table: ``deduct_used_perks`` (true/false, default true)."""
    r = _table(data.get("refund"), "refund")
    value = r.get("deduct_used_perks", True)
    if not isinstance(value, bool):
        raise InvalidInput("campaign.bad_field", field="refund.deduct_used_perks", value=str(value)[:60])
    return value


#: ``[targets]`` key -> (field of CampaignTargets, kind: percent | count)
TARGET_KEYS = {
    "recharge_growth_percent": ("recharge_growth_bp", "percent"),
    "new_recharging_members": ("new_recharging_members", "count"),
    "invitee_conversion_percent": ("invitee_conversion_bp", "percent"),
    "points_spent": ("points_spent", "count"),
    "coupon_redemptions": ("coupon_redemptions", "count"),
    "mall_redemptions": ("mall_redemptions", "count"),
    "premium_redemptions": ("premium_redemptions", "count"),
}
_PERCENT_TEXT = re.compile(r"^(?P<int>\d{1,5})(?:\.(?P<frac>\d{1,2}))?$")


def _target_percent(value: Any, field_name: str) -> int:
    """A target percentage ("20", "12.5", 20; growth may pass 100), as basis points; at most 10,000%."""
    text = str(value).strip().rstrip("%").strip()
    m = _PERCENT_TEXT.match(text) if not isinstance(value, bool | float) else None
    if m is None or int(m.group("int")) > 10_000:
        raise InvalidInput("campaign.bad_field", field=field_name, value=str(value)[:60])
    return int(m.group("int")) * 100 + int((m.group("frac") or "").ljust(2, "0"))


def targets_from_dict(data: Mapping[str, Any]) -> CampaignTargets:
    """The ``[targets]`` table: every key optional; an unknown key or a bad value is refused by its name."""
    t = _table(data.get("targets"), "targets")
    values: dict[str, int] = {}
    for key, value in t.items():
        known = TARGET_KEYS.get(str(key))
        if known is None:
            raise InvalidInput("campaign.target_unknown", field=f"targets.{key}",
                               allowed=", ".join(TARGET_KEYS))
        name, kind = known
        field_name = f"targets.{key}"
        if kind == "percent":
            values[name] = _target_percent(value, field_name)
            if name == "invitee_conversion_bp" and values[name] > 10_000:
                raise InvalidInput("campaign.bad_field", field=field_name, value=str(value)[:60])
        else:
            values[name] = _int(value, field_name, 0, 100_000_000)
    return CampaignTargets(**values)


def campaign_from_dict(data: Mapping[str, Any]) -> Campaign:
    """Validate and convert a campaign definition. Money values are yuan strings ("500", "99.90")."""
    head = data.get("campaign", data)
    if not isinstance(head, Mapping):
        raise InvalidInput("campaign.missing_field", field="campaign")
    code = _str(head.get("code"), "campaign.code")
    starts = field_date(head.get("starts_on", head.get("starts_at")), "campaign.starts_on")
    ends = field_date(head.get("ends_on", head.get("ends_at")), "campaign.ends_on")
    if ends < starts:
        raise InvalidInput("campaign.window_invalid", starts=str(starts), ends=str(ends))
    max_bonus_bp = _whole_percent_bp(head.get("max_bonus_percent", DEFAULT_MAX_BONUS_PERCENT), "campaign.max_bonus_percent")
    tiers: list[Tier] = []
    seen: dict[str, str] = {}  # casefolded code -> code as written
    for i, t in enumerate(_tables(data.get("tiers"), "tiers")):
        p = f"tiers[{i}]"
        tcode = _str(t.get("code"), f"{p}.code")
        other = seen.get(tcode.casefold())
        if other == tcode:
            raise InvalidInput("campaign.duplicate_tier", tier=tcode)
        if other is not None:
            raise InvalidInput("campaign.tier_case_clash", tier=tcode, other=other)
        seen[tcode.casefold()] = tcode
        coupons = tuple(
            CouponGrant(
                template=_str(c.get("template"), f"{p}.coupons.template"),
                count=_int(c.get("count", 1), f"{p}.coupons.count", 1, 100),
                name=_str(c.get("name"), "name", required=False),
                value_fen=field_money(c.get("value", "0"), f"{p}.coupons.value"),
            )
            for c in _tables(t.get("coupons"), f"{p}.coupons")
        )
        gifts = tuple(
            GiftGrant(
                sku=_str(g.get("sku"), f"{p}.gifts.sku"),
                qty=_int(g.get("qty", 1), f"{p}.gifts.qty", 1, 100),
                name=_str(g.get("name"), "name", required=False),
            )
            for g in _tables(t.get("gifts"), f"{p}.gifts")
        )
        vouchers = tuple(
            VoucherGrant(
                name=_str(v.get("name"), f"{p}.vouchers.name"),
                value_fen=field_money(v.get("value", "0"), f"{p}.vouchers.value"),
                count=_int(v.get("count", 1), f"{p}.vouchers.count", 1, 100),
                category=_str(v.get("category"), "category", required=False),
            )
            for v in _tables(t.get("vouchers"), f"{p}.vouchers")
        )
        tiers.append(
            Tier(
                code=tcode,
                name=_str(t.get("name", tcode), f"{p}.name"),
                pay_fen=field_money(t.get("pay"), f"{p}.pay", allow_zero=False),
                bonus_fen=field_money(t.get("bonus", "0"), f"{p}.bonus"),
                coupons=coupons,
                gifts=gifts,
                vouchers=vouchers,
                member_price_months=_int(t.get("member_price_months", 0), f"{p}.member_price_months", 0, 120),
                block_when_gift_out_of_stock=bool(t.get("block_when_gift_out_of_stock", False)),
            )
        )
    for tier in tiers:
        check_bonus_ratio(tier, max_bonus_bp)
    pays = [t.pay_fen for t in tiers]
    if len(set(pays)) != len(pays):
        raise InvalidInput("campaign.duplicate_tier_price")
    r = _table(data.get("rebate"), "rebate")
    rebate = RebateRule(
        points_step_fen=field_money(r.get("points_every", "0"), "rebate.points_every"),
        points_per_step=_int(r.get("points", 0), "rebate.points"),
        voucher_threshold_fen=field_money(r.get("voucher_threshold", "0"), "rebate.voucher_threshold"),
        voucher_bp=_percent(r.get("voucher_percent", "0"), "rebate.voucher_percent"),
        voucher_name=_str(r.get("voucher_name", ""), "rebate.voucher_name", required=False),
        voucher_category=_str(r.get("voucher_category", ""), "rebate.voucher_category", required=False),
    )
    if rebate.voucher_bp and not rebate.voucher_name:
        raise InvalidInput("campaign.missing_field", field="rebate.voucher_name")
    stores = head.get("stores", ["*"]) or ["*"]
    if isinstance(stores, str):
        stores = [stores]
    if not isinstance(stores, list | tuple) or not all(isinstance(x, str) and x.strip() for x in stores):
        raise InvalidInput("campaign.bad_field", field="campaign.stores", value=str(stores)[:60])
    return Campaign(
        code=code,
        name=_str(head.get("name", code), "campaign.name"),
        starts_on=starts,
        ends_on=ends,
        tiers=tuple(sorted(tiers, key=lambda t: t.pay_fen)),
        rebate=rebate,
        points_expiry_months=_int(head.get("points_expiry_months", 12), "campaign.points_expiry_months", 1, 120),
        gift_due_working_days=_int(head.get("gift_due_working_days", 3), "campaign.gift_due_working_days", 0, 60),
        stores=tuple(str(s) for s in stores),
        refund_deduct_used_perks=refund_rules_from_dict(data),
        targets=targets_from_dict(data),
        extra=dict(data),
    )


# ----------------------------------------------------------------------------- the points platform
@dataclass(frozen=True)
class PointsRules:
    """The ``[points]`` table of a campaign file: check-in (``[points.checkin]`` with
    ``[[points.checkin.streaks]]``) and the lucky wheel (``[points.wheel]``)."""

    checkin: Any = None  # domain.points.CheckinRules | None
    wheel: Any = None  # domain.wheel.WheelRules | None


def points_rules_from_dict(data: Mapping[str, Any]) -> PointsRules:
    from pos_app.domain.points import CheckinRules, StreakBonus  # noqa: PLC0415
    from pos_app.domain.wheel import wheel_from_dict  # noqa: PLC0415

    p = _table(data.get("points"), "points")
    checkin = None
    c = p.get("checkin")
    if c is not None:
        c = _table(c, "points.checkin")
        streaks = []
        seen: set[int] = set()
        for i, s in enumerate(_tables(c.get("streaks"), "points.checkin.streaks")):
            days = _int(s.get("days"), f"points.checkin.streaks[{i}].days", 2, 3660)
            if days in seen:
                raise InvalidInput("campaign.bad_field", field=f"points.checkin.streaks[{i}].days", value=str(days))
            seen.add(days)
            bonus = StreakBonus(days, _int(s.get("points", 0), f"points.checkin.streaks[{i}].points"),
                                _int(s.get("tickets", 0), f"points.checkin.streaks[{i}].tickets", 0, 100))
            if not bonus.points and not bonus.tickets:
                raise InvalidInput("campaign.missing_field", field=f"points.checkin.streaks[{i}].points")
            streaks.append(bonus)
        checkin = CheckinRules(_int(c.get("points", 0), "points.checkin.points", 0, 100_000),
                               tuple(sorted(streaks, key=lambda b: b.days)))
    wheel = None
    if p.get("wheel") is not None:
        wheel = wheel_from_dict(_table(p.get("wheel"), "points.wheel"), field_money)
    return PointsRules(checkin, wheel)


def points_rules(campaign: Campaign | None) -> PointsRules:
    return PointsRules() if campaign is None else points_rules_from_dict(campaign.extra)
