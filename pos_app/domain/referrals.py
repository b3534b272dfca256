"""Referral rules (邀请 / 裂变, DOMAIN.md: Referrals). Every number comes from the campaign's [referral] table.

When an invitee completes a first recharge:
- the inviter receives ``inviter_rewards``;
- if that recharge is ``extra_threshold_fen`` or more, the inviter also receives ``extra_rewards``;
- when the inviter reaches ``milestone_invites`` successful invites, ``milestone_rewards`` (a gift pack);
- the invitee receives ``new_member_rewards``.
Rewards may be issued later: ``reward_delay_working_days`` (0 = at once).

What qualifies an invitee is ``qualify``: ``first_recharge`` (the default), ``first_purchase`` (the first
purchase of at least ``first_purchase_min`` yuan actually paid: a smaller purchase before it does not use
the chance up) or ``either`` (whichever comes first). The extra reward's threshold is compared with the
qualifying amount (the recharge's principal, or the purchase's actually paid).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pos_app.domain.campaign import GRANT_COUPON, GRANT_GIFT, GRANT_VOUCHER, GrantedItem
from pos_app.domain.errors import InvalidInput
from pos_app.domain.money import parse_yuan

SOURCE_REFERRAL = "referral"
SOURCE_MILESTONE = "milestone"
SOURCE_NEW_MEMBER = "new_member"
SOURCES = (SOURCE_REFERRAL, SOURCE_MILESTONE, SOURCE_NEW_MEMBER)

REGISTERED = "registered"  # invitee registered, no recharge yet
QUALIFIED = "qualified"  # first recharge done: rewards granted
REVERSED = "reversed"  # the qualifying recharge was refunded: rewards taken back (or kept when used)

FIRST_RECHARGE = "first_recharge"
FIRST_PURCHASE = "first_purchase"
EITHER = "either"
QUALIFY = (FIRST_RECHARGE, FIRST_PURCHASE, EITHER)


@dataclass(frozen=True)
class Reward:
    kind: str  # coupon | gift | voucher
    ref: str  # coupon template / gift SKU / voucher category
    name: str
    count: int = 1
    value_fen: int = 0

    def item(self, source: str) -> GrantedItem:
        return GrantedItem(self.kind, self.ref, self.name or self.ref, self.count, self.value_fen, source)


@dataclass(frozen=True)
class ReferralRules:
    inviter_rewards: tuple[Reward, ...] = ()
    extra_threshold_fen: int = 0  # 0: no extra reward
    extra_rewards: tuple[Reward, ...] = ()
    milestone_invites: int = 0  # 0: no milestone
    milestone_rewards: tuple[Reward, ...] = ()
    new_member_rewards: tuple[Reward, ...] = ()
    reward_delay_working_days: int = 0
    #: refuse an inviter who registered under another campaign
    same_campaign_only: bool = False
    #: what qualifies the invitee (QUALIFY)
    qualify: str = FIRST_RECHARGE
    #: first_purchase / either: the least a purchase must have actually paid (fen)
    first_purchase_min_fen: int = 0

    @property
    def by_recharge(self) -> bool:
        return self.qualify in (FIRST_RECHARGE, EITHER)

    @property
    def by_purchase(self) -> bool:
        return self.qualify in (FIRST_PURCHASE, EITHER)

    def purchase_qualifies(self, paid_fen: int) -> bool:
        return self.by_purchase and paid_fen > 0 and paid_fen >= self.first_purchase_min_fen

    def coupon_templates(self) -> set[str]:
        every = self.inviter_rewards + self.extra_rewards + self.milestone_rewards + self.new_member_rewards
        return {r.ref for r in every if r.kind == GRANT_COUPON}


def _rewards(items: Any, field: str) -> tuple[Reward, ...]:
    if items is None:
        return ()
    if not isinstance(items, list):
        raise InvalidInput("campaign.bad_field", field=field, value=str(items))
    out = []
    for i, d in enumerate(items):
        p = f"{field}[{i}]"
        if not isinstance(d, Mapping):
            raise InvalidInput("campaign.bad_field", field=p, value=str(d))
        kind = str(d.get("kind") or GRANT_COUPON)
        if kind not in (GRANT_COUPON, GRANT_GIFT, GRANT_VOUCHER):
            raise InvalidInput("campaign.bad_field", field=f"{p}.kind", value=kind)
        ref = d.get({"coupon": "template", "gift": "sku", "voucher": "category"}[kind]) or d.get("ref")
        if kind == GRANT_VOUCHER:
            ref = ref or d.get("name")
        if not ref or not str(ref).strip():
            raise InvalidInput("campaign.missing_field", field=f"{p}.ref")
        count = d.get("count", d.get("qty", 1))
        if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 100:
            raise InvalidInput("campaign.bad_field", field=f"{p}.count", value=str(count))
        value = d.get("value", "0")
        try:
            value_fen = parse_yuan(f"{value:.2f}" if isinstance(value, float) else value, allow_zero=True, field=p)
        except InvalidInput:
            raise InvalidInput("campaign.bad_field", field=f"{p}.value", value=str(value)) from None
        out.append(Reward(kind, str(ref).strip(), str(d.get("name") or "").strip(), count, value_fen))
    return tuple(out)


def rules_from_dict(data: Mapping[str, Any]) -> ReferralRules | None:
    """The campaign's [referral] table, validated; None when the campaign has none."""
    r = data.get("referral")
    if r is None:
        return None
    if not isinstance(r, Mapping):
        raise InvalidInput("campaign.bad_field", field="referral", value=str(r))

    def intval(name: str, lo: int, hi: int) -> int:
        v = r.get(name, 0) or 0
        if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
            raise InvalidInput("campaign.bad_field", field=f"referral.{name}", value=str(v))
        return v

    threshold = r.get("extra_threshold", "0") or "0"
    try:
        threshold_fen = parse_yuan(
            f"{threshold:.2f}" if isinstance(threshold, float) else threshold, allow_zero=True, field="extra_threshold"
        )
    except InvalidInput:
        raise InvalidInput("campaign.bad_field", field="referral.extra_threshold", value=str(threshold)) from None
    qualify = str(r.get("qualify", FIRST_RECHARGE) or FIRST_RECHARGE)
    if qualify not in QUALIFY:
        raise InvalidInput("campaign.bad_field", field="referral.qualify", value=qualify[:60])
    least = r.get("first_purchase_min", "0") or "0"
    try:
        least_fen = parse_yuan(f"{least:.2f}" if isinstance(least, float) else least, allow_zero=True,
                               field="first_purchase_min")
    except InvalidInput:
        raise InvalidInput("campaign.bad_field", field="referral.first_purchase_min", value=str(least)) from None
    rules = ReferralRules(
        qualify=qualify,
        first_purchase_min_fen=least_fen,
        inviter_rewards=_rewards(r.get("inviter_rewards"), "referral.inviter_rewards"),
        extra_threshold_fen=threshold_fen,
        extra_rewards=_rewards(r.get("extra_rewards"), "referral.extra_rewards"),
        milestone_invites=intval("milestone_invites", 0, 10_000),
        milestone_rewards=_rewards(r.get("milestone_rewards"), "referral.milestone_rewards"),
        new_member_rewards=_rewards(r.get("new_member_rewards"), "referral.new_member_rewards"),
        reward_delay_working_days=intval("reward_delay_working_days", 0, 60),
        same_campaign_only=bool(r.get("same_campaign_only", False)),
    )
    if rules.extra_rewards and not rules.extra_threshold_fen:
        raise InvalidInput("campaign.missing_field", field="referral.extra_threshold")
    if rules.milestone_rewards and not rules.milestone_invites:
        raise InvalidInput("campaign.missing_field", field="referral.milestone_invites")
    return rules


@dataclass(frozen=True)
class FirstRechargeRewards:
    inviter: tuple[GrantedItem, ...]  # referral reward (+ extra)
    milestone: tuple[GrantedItem, ...]  # for the inviter, when the milestone is reached now
    invitee: tuple[GrantedItem, ...]  # new-member gift


def rewards_for_first_recharge(
    rules: ReferralRules, amount_fen: int, successful_after: int, milestone_held: bool
) -> FirstRechargeRewards:
    """What the invitee's first recharge of ``amount_fen`` earns.

    ``successful_after``: the inviter's successful invites counting this one. ``milestone_held``: the
    inviter already holds a (not reversed) milestone reward in this campaign: never twice."""
    inviter = [r.item(SOURCE_REFERRAL) for r in rules.inviter_rewards]
    if rules.extra_threshold_fen and amount_fen >= rules.extra_threshold_fen:
        inviter += [r.item(SOURCE_REFERRAL) for r in rules.extra_rewards]
    milestone: tuple[GrantedItem, ...] = ()
    if rules.milestone_invites and successful_after >= rules.milestone_invites and not milestone_held:
        milestone = tuple(r.item(SOURCE_MILESTONE) for r in rules.milestone_rewards)
    return FirstRechargeRewards(
        tuple(inviter), milestone, tuple(r.item(SOURCE_NEW_MEMBER) for r in rules.new_member_rewards)
    )


def milestone_still_justified(rules: ReferralRules, successful_now: int) -> bool:
    return bool(rules.milestone_invites) and successful_now >= rules.milestone_invites


def check_no_loop(member_id: str, inviter_id: str | None, inviter_of: Callable[[str], str | None]) -> None:
    """Walk the inviter chain up from ``inviter_id``; refuse when it comes back to ``member_id``."""
    seen: set[str] = set()
    current = inviter_id
    while current is not None:
        if current == member_id:
            raise InvalidInput("referral.loop")
        if current in seen:
            raise InvalidInput("referral.loop")
        seen.add(current)
        current = inviter_of(current)


def check_same_campaign(rules: ReferralRules | None, inviter_campaign: str | None, campaign: str | None) -> None:
    if rules is not None and rules.same_campaign_only and inviter_campaign != campaign:
        raise InvalidInput("referral.other_campaign", inviter_campaign=inviter_campaign or "-", campaign=campaign or "-")


@dataclass(frozen=True)
class Ranked:
    member_id: str
    successful: int
    first_at: str  # ISO time of the first success, tie-break: earlier first


def rank(rows: list[Ranked]) -> list[tuple[int, Ranked]]:
    """Competition ranking (1, 2, 2, 4) by successful invites, ties broken for display by time."""
    ordered = sorted(rows, key=lambda r: (-r.successful, r.first_at, r.member_id))
    out: list[tuple[int, Ranked]] = []
    for i, r in enumerate(ordered):
        if i and r.successful == ordered[i - 1].successful:
            out.append((out[-1][0], r))
        else:
            out.append((i + 1, r))
    return out
