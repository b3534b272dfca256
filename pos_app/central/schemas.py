"""Pydantic models of the wire shapes (docs/sync-protocol.md), for validation and the OpenAPI document."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from pos_app.sync import protocol as p

Status = Literal["accepted", "exists", "conflict", "rejected"]


class ErrorOut(BaseModel):
    error: str
    message: str | None = None
    server_time: str | None = None


class PairIn(BaseModel):
    code: str = Field(min_length=1, max_length=64)
    device_id: str = Field(min_length=1, max_length=64)
    store_code: str = Field(min_length=1, max_length=32)
    device_name: str | None = Field(default=None, max_length=200)


class PairOut(BaseModel):
    device_id: str
    store_id: str
    store_code: str
    store_name: str
    secret: str
    epoch: str | None
    server_time: str


class PingOut(BaseModel):
    device_id: str
    store_id: str
    store_code: str
    epoch: str | None
    acked_seq: int
    revoked: bool
    protocol: int
    server_time: str


class EventIn(BaseModel):
    """One outbox event. Fields are checked one event at a time, so a malformed event is ``rejected`` alone."""

    model_config = ConfigDict(extra="allow")
    event_id: Any = None
    device_id: Any = None
    seq: Any = None
    type: Any = None
    occurred_at: Any = None
    payload_json: Any = None
    payload_hash: Any = None


class PushIn(BaseModel):
    events: list[EventIn] = Field(max_length=p.PUSH_MAX)


class PushResult(BaseModel):
    event_id: str
    seq: int | None
    status: Status
    reason: str | None


class PushOut(BaseModel):
    results: list[PushResult]
    acked_seq: int
    server_time: str


class ChangeOut(BaseModel):
    change_no: int
    kind: str
    key: str
    store_code: str | None
    data: dict[str, Any]


class PullOut(BaseModel):
    epoch: str
    reset: bool
    changes: list[ChangeOut]
    next_cursor: str
    more: bool
    server_time: str


class NoteOut(BaseModel):
    author: str
    note: str
    at: str | None


class ConflictOut(BaseModel):
    id: str
    kind: str
    member_id: str | None
    coupon_code: str | None
    event_id: str | None
    store_code: str | None
    other_store_code: str | None
    detail: str
    amount_fen: int | None
    created_at: str | None
    resolved: bool
    resolved_at: str | None
    notes: list[NoteOut]


class NoteIn(BaseModel):
    note: str = Field(min_length=1, max_length=2000)


# ----------------------------------------------------------------------------- head office
class StoreIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    code: str | None = Field(default=None, min_length=1, max_length=32)


class StoreOut(BaseModel):
    store_id: str
    code: str | None
    name: str
    created_at: str | None
    devices: int


class DeviceCodeIn(BaseModel):
    store: str = Field(min_length=1, max_length=64)
    hours: float = Field(default=24, gt=0, le=720)


class DeviceCodeOut(BaseModel):
    code: str
    store_id: str
    store_code: str | None
    expires_at: str | None


class DeviceOut(BaseModel):
    device_id: str
    name: str
    store_id: str
    store_code: str | None
    paired_at: str | None
    revoked_at: str | None
    last_seen_at: str | None
    acked_seq: int


class RevokeOut(BaseModel):
    device_id: str
    revoked_at: str | None


class CampaignIn(BaseModel):
    rules: dict[str, Any]
    stores: list[str] | None = None


class CampaignOut(BaseModel):
    code: str
    name: str
    version: int
    stores: list[str]
    published_at: str | None = None


class GiftIn(BaseModel):
    sku: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=200)
    unit_value: str | int = Field(default=0, description="yuan, e.g. \"39\" or \"39.90\"")
    threshold: int = 0
    barcode: str | None = Field(default=None, max_length=64)
    active: bool = True


class GiftsIn(BaseModel):
    gifts: list[GiftIn] = Field(min_length=1, max_length=1000)
    stores: list[str] | None = None


class GiftOut(BaseModel):
    sku: str
    name: str
    unit_value_fen: int
    threshold: int
    barcode: str | None
    active: bool
    version: int
    stores: list[str]
    published_at: str | None


class GiftsPublished(BaseModel):
    gifts: list[dict[str, Any]]
    stores: list[str]


class ResolveIn(BaseModel):
    note: str = Field(min_length=1, max_length=2000)


class MemberView(BaseModel):
    phone: str
    members: list[dict[str, Any]]


# ----------------------------------------------------------------------------- head office's reports
class CampaignFigures(BaseModel):
    """The campaign figures of a day or a period (money in integer fen)."""

    recharges: int
    principal_fen: int = Field(description="recharged principal (what members paid)")
    bonus_fen: int = Field(description="bonus given with the recharges")
    new_recharging_members: int = Field(description="members whose first recharge anywhere this is")
    sales_count: int
    sales_fen: int = Field(description="sales actually paid (实际支付: the total less the stored-value bonus part)")
    sales_total_fen: int = Field(description="sales rung up; by_method_fen and by_category_fen split it")
    by_method_fen: dict[str, int]
    by_category_fen: dict[str, int]
    paid_by_method_fen: dict[str, int] = Field(description="sales_fen by payment method (less the bonus part)")
    returns_count: int
    returns_fen: int
    refunds_count: int = Field(description="recharge refunds")
    refund_principal_fen: int = Field(description="principal paid back by the recharge refunds")
    refund_bonus_fen: int = Field(description="bonus taken back by the recharge refunds")
    coupons_issued: int
    coupons_redeemed: int
    coupons_voided: int
    discount_fen: int = Field(description="discount given by the coupons redeemed")


class CampaignDay(CampaignFigures):
    date: str = Field(description="a store-local day, YYYY-MM-DD")


class ReportStore(BaseModel):
    store_code: str
    name: str
    timezone: str
    timezone_known: bool = Field(description="false: the store's events never told its zone; the tz asked is used")


class CampaignStoreOut(ReportStore):
    days: list[CampaignDay]
    totals: CampaignFigures


class CampaignReportOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    from_: str = Field(alias="from")
    to: str
    store: str | None
    campaign: str | None
    stores: list[CampaignStoreOut]
    days: list[CampaignDay] = Field(description="the stores' rows added up, date by date")
    totals: CampaignFigures


class Balances(BaseModel):
    principal_fen: int
    bonus_fen: int


class MovementOut(BaseModel):
    kind: str = Field(description="recharge, spend, sale_payment, refund, sale_return (or another the ledger holds)")
    count: int
    principal_fen: int
    bonus_fen: int


class OverCapOut(BaseModel):
    member_id: str
    phone: str | None
    name: str | None
    store_code: str
    principal_fen: int
    bonus_fen: int
    balance_fen: int


class LiabilityPart(BaseModel):
    opening: Balances
    movements: list[MovementOut]
    closing: Balances
    balanced: bool = Field(description="opening + movements == closing, principal and bonus apart")
    cap_fen: int | None = Field(description="the named-card cap; null: central does not know it")
    over_cap: list[OverCapOut]
    members_with_balance: int


class LiabilityStoreOut(ReportStore, LiabilityPart):
    pass


class LiabilityReportOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    from_: str = Field(alias="from")
    to: str
    store: str | None
    stores: list[LiabilityStoreOut]
    total: LiabilityPart
