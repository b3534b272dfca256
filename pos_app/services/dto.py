"""Frozen DTOs the services return. The UI and CLI only ever see these."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any

from pos_app.services.changes import NO_CHANGES, Changes


@dataclass(frozen=True)
class Result:
    """A use case's result: what it changed rides along (set by services/usecase.py; not compared, not
    part of the JSON the CLI prints)."""

    changes: Changes = field(default=NO_CHANGES, compare=False, repr=False, kw_only=True)


def to_jsonable(obj: Any) -> Any:
    """DTO -> plain JSON-able structure (dates as ISO strings)."""
    if hasattr(obj, "__dataclass_fields__"):
        return {k: to_jsonable(v) for k, v in asdict(obj).items() if k != "changes" or not isinstance(v, dict)}
    if isinstance(obj, dict):
        return {k: to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, datetime | date):
        return obj.isoformat()
    return obj


@dataclass(frozen=True)
class StaffDTO(Result):
    staff_id: str
    code: str
    name: str
    role: str
    active: bool


@dataclass(frozen=True)
class StaffRow:
    """A staff account as the manager's staff list shows it."""

    staff_id: str
    code: str
    name: str
    role: str
    active: bool
    last_login_at: datetime | None
    locked_until: datetime | None
    failed_attempts: int


@dataclass(frozen=True)
class MemberSummary:
    member_id: str
    phone: str
    name: str | None
    member_code: str
    principal_fen: int
    bonus_fen: int
    balance_fen: int
    points: int


@dataclass(frozen=True)
class MemberDTO(Result):
    member_id: str
    member_code: str
    invite_code: str
    phone: str
    name: str | None
    level: str | None
    principal_fen: int
    bonus_fen: int
    balance_fen: int
    points: int
    points_expiring_soon: int
    member_price_until: date | None
    member_price_active: bool
    inviter_id: str | None
    inviter_phone: str | None
    invites_made: int
    owed_gifts: int
    unused_coupons: int
    created_at: datetime
    #: points a purchase earned that are not yet spendable (the campaign's pending period); ``level`` is the
    #: member level's code (its name and perks: services.levels.status)
    points_pending: int = 0
    #: the member's birthday when known (a level's birthday gift)
    birthday: date | None = None


@dataclass(frozen=True)
class GrantedItemDTO:
    entitlement_id: str
    kind: str
    ref: str
    name: str
    value_fen: int
    state: str
    due_on: date | None
    source: str
    issued_ref: str | None = None
    #: the printed code of the coupon/voucher this item issued (XXXX-XXXX-XXXX-XXXX), when issued
    code: str | None = None


@dataclass(frozen=True)
class RechargeResult(Result):
    recharge_id: str
    request_id: str
    member_id: str
    phone: str
    campaign_code: str | None
    tier_code: str | None
    pay_method: str
    principal_fen: int
    bonus_fen: int
    points: int
    principal_balance_fen: int
    bonus_balance_fen: int
    balance_fen: int
    points_balance: int
    state: str
    created_at: datetime
    staff_code: str
    #: every item this recharge granted the member: its tier and rebate items, and the new-member gift
    #: its referral grants (a first recharge of an invitee)
    items: tuple[GrantedItemDTO, ...] = field(default_factory=tuple)
    #: the short receipt number: store code, store-local date, daily sequence (T001-20261202-0007)
    receipt_no: str = ""
    #: rewards the same recharge granted the inviter (referral reward, milestone gift pack): not the member's
    inviter_items: tuple[GrantedItemDTO, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class RechargePreview:
    amount_fen: int
    campaign_code: str | None
    tier_code: str | None
    tier_name: str | None
    bonus_fen: int
    points: int
    member_price_months: int
    items: tuple[dict[str, Any], ...]
    balance_after_fen: int | None
    cap_fen: int
    within_cap: bool


@dataclass(frozen=True)
class SpendResult(Result):
    spend_id: str
    request_id: str
    member_id: str
    phone: str
    amount_fen: int
    principal_fen: int
    bonus_fen: int
    principal_balance_fen: int
    bonus_balance_fen: int
    balance_fen: int
    created_at: datetime
    note: str | None = None


@dataclass(frozen=True)
class RefundResult(Result):
    refund_id: str
    recharge_id: str
    member_id: str
    principal_refund_fen: int
    bonus_revoke_fen: int
    points_revoked: int
    points_kept: int
    principal_balance_fen: int
    bonus_balance_fen: int
    balance_fen: int
    revoked_items: tuple[GrantedItemDTO, ...]
    kept_items: tuple[GrantedItemDTO, ...]
    created_at: datetime
    #: what of the recharge's principal was still in the wallet (it all left it); ``principal_refund_fen``
    #: is what was paid back: this less the deductions, never below zero
    principal_refundable_fen: int = 0
    deductions: tuple[RefundLine, ...] = ()
    deductions_fen: int = 0
    deducted_fen: int = 0
    #: ``original`` (the recharge's payment method) or ``cash``; ``pay_method`` is the method actually used
    method: str = "original"
    pay_method: str = ""
    receipt_no: str = ""
    phone: str = ""
    staff_code: str = ""
    reason: str | None = None


@dataclass(frozen=True)
class RefundLine:
    """One deduction of a refund: a perk the member already used or kept, at its unit value."""

    kind: str  # coupon | voucher | gift
    name: str
    value_fen: int


@dataclass(frozen=True)
class RefundPreview:
    """What a refund of this recharge would do, for the confirmation (nothing is written)."""

    recharge_id: str
    receipt_no: str
    member_id: str
    phone: str
    principal_paid_fen: int
    #: the recharge's principal not yet spent
    principal_refundable_fen: int
    deductions: tuple[RefundLine, ...]
    #: the sum of the deduction lines
    deductions_fen: int
    #: what is paid back: refundable less deductions, never below zero
    net_refund_fen: int
    bonus_revoke_fen: int
    points_revoke: int
    #: the campaign's ``[refund] deduct_used_perks``
    deduct_used_perks: bool
    original_pay_method: str
    created_at: datetime


@dataclass(frozen=True)
class WalletLine:
    entry_id: str
    seq: int
    kind: str
    principal_delta_fen: int
    bonus_delta_fen: int
    principal_after_fen: int
    bonus_after_fen: int
    balance_after_fen: int
    created_at: datetime
    ref_id: str | None
    staff_code: str | None
    #: the recharge's receipt number (recharge and refund lines)
    receipt_no: str = ""
    #: a manager's adjustment: the reason given
    reason: str = ""


@dataclass(frozen=True)
class WalletAdjustResult(Result):
    """A manager's wallet adjustment: what it moved (signed, fen), why, and the balances after it."""

    adjustment_id: str
    request_id: str
    member_id: str
    phone: str
    principal_delta_fen: int
    bonus_delta_fen: int
    reason: str
    principal_balance_fen: int
    bonus_balance_fen: int
    balance_fen: int
    created_at: datetime
    staff_code: str


@dataclass(frozen=True)
class PointsLotDTO:
    lot_id: str
    source: str
    points: int
    remaining: int
    earned_at: datetime
    expires_on: date
    expired: bool


@dataclass(frozen=True)
class TierDTO:
    code: str
    name: str
    pay_fen: int
    bonus_fen: int
    member_price_months: int
    items: tuple[dict[str, Any], ...]


@dataclass(frozen=True)
class CampaignDTO(Result):
    campaign_id: str
    code: str
    name: str
    starts_on: date
    ends_on: date
    source: str
    version: int
    active: bool
    tiers: tuple[TierDTO, ...]
    rebate: dict[str, Any]
    points_expiry_months: int
    gift_due_working_days: int


@dataclass(frozen=True)
class RechargeSummary:
    recharge_id: str
    member_id: str
    phone: str
    tier_code: str | None
    principal_fen: int
    bonus_fen: int
    points: int
    pay_method: str
    state: str
    principal_left_fen: int
    bonus_left_fen: int
    created_at: datetime
    receipt_no: str = ""
