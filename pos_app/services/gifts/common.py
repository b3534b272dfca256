"""What the gift package's modules share: the DTOs its use cases return, the internals every job uses
(post a movement and move the cached on-hand with it, an item's stock level, the outbox payload of a
movement) and the gift messages. Not an API of its own: callers import from ``pos_app.services.gifts``."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select

from pos_app import messages
from pos_app.db import models as m
from pos_app.db import models_gifts as g
from pos_app.db.uow import UnitOfWork
from pos_app.domain import entitlements as life
from pos_app.domain import gifts as rules
from pos_app.domain.errors import InvalidInput, NotFound
from pos_app.domain.text import clean_text
from pos_app.services.audit import note_move
from pos_app.services.context import Actor, ServiceContext

GIFT = "gift"
DEFAULT_MOVEMENT_LIMIT = 1000

# ----------------------------------------------------------------------------- DTOs


@dataclass(frozen=True)
class StockLevel:
    sku: str
    name: str
    on_hand: int
    owed: int
    available: int
    threshold: int
    unit_value_fen: int
    low: bool
    active: bool = True
    barcode: str | None = None
    #: on hand x unit value
    value_fen: int = 0
    #: False for a SKU asked for (e.g. by a tier) that is not in the catalogue
    known: bool = True


@dataclass(frozen=True)
class MovementDTO:
    movement_id: str
    sku: str
    name: str
    seq: int
    kind: str
    delta: int
    on_hand_after: int
    member_id: str | None
    phone: str | None
    entitlement_id: str | None
    reason: str | None
    supplier: str | None
    reference: str | None
    other_store: str | None
    stocktake_id: str | None
    staff_code: str
    created_at: datetime


@dataclass(frozen=True)
class MovementResult:
    movement: MovementDTO
    level: StockLevel
    #: members with an owed gift of this SKU (said when stock is received: "N members are waiting")
    waiting_members: int = 0
    waiting_gifts: int = 0


@dataclass(frozen=True)
class OwedGift:
    entitlement_id: str
    member_id: str
    phone: str
    member_name: str | None
    sku: str
    name: str
    source: str
    due_on: date | None
    overdue: bool
    on_hand: int
    created_at: datetime


@dataclass(frozen=True)
class HandedOut:
    entitlement_id: str
    sku: str
    name: str
    source: str
    movement_id: str


@dataclass(frozen=True)
class StillOwed:
    entitlement_id: str
    sku: str
    name: str
    due_on: date | None
    reason: str  # out_of_stock | unknown_sku


@dataclass(frozen=True)
class HandoutResult:
    request_id: str
    member_id: str
    handed_out: tuple[HandedOut, ...]
    still_owed: tuple[StillOwed, ...]


@dataclass(frozen=True)
class DeclineResult:
    request_id: str
    member_id: str
    declined: tuple[str, ...]


@dataclass(frozen=True)
class CountLineDTO:
    sku: str
    name: str
    expected: int
    counted: int | None
    difference: int | None
    unit_value_fen: int
    barcode: str | None = None

    @property
    def difference_value_fen(self) -> int:
        return (self.difference or 0) * self.unit_value_fen


@dataclass(frozen=True)
class StocktakeResult:
    stocktake_id: str
    request_id: str
    reason: str
    lines: tuple[CountLineDTO, ...]
    adjusted: int
    created_at: datetime


@dataclass(frozen=True)
class TierStock:
    tier_code: str
    blocks_when_short: bool
    #: (sku, qty needed, available)
    short: tuple[tuple[str, int, int], ...]

    @property
    def in_stock(self) -> bool:
        return not self.short

    @property
    def blocked(self) -> bool:
        return self.blocks_when_short and bool(self.short)


# ----------------------------------------------------------------------------- shared internals


def owed_counts(uow: UnitOfWork, skus: Iterable[str] | None = None) -> dict[str, int]:
    stmt = (
        select(m.Entitlement.ref, func.count())
        .where(m.Entitlement.state == life.OWED, m.Entitlement.kind == GIFT)
        .group_by(m.Entitlement.ref)
    )
    if skus is not None:
        stmt = stmt.where(m.Entitlement.ref.in_(list(skus)))
    return {ref: int(n) for ref, n in uow.session.execute(stmt).all()}


def level_from(
    sku: str, name: str, on_hand: int, owed: int, threshold: int, unit: int, active: bool, barcode: str | None
) -> StockLevel:
    return StockLevel(
        sku=sku, name=name, on_hand=on_hand, owed=owed, available=rules.available(on_hand, owed),
        threshold=threshold, unit_value_fen=unit, low=rules.is_low(on_hand, owed, threshold, active),
        active=active, barcode=barcode, value_fen=on_hand * unit,
    )


def stock_level(uow: UnitOfWork, item: g.GiftItem) -> StockLevel:
    owed = owed_counts(uow, [item.sku]).get(item.sku, 0)
    return level_from(item.sku, item.name, item.on_hand, owed, item.threshold, item.unit_value_fen, item.active, item.barcode)


def find_item(uow: UnitOfWork, sku: str) -> g.GiftItem:
    s = rules.normalize_sku(sku)
    item = uow.session.scalar(select(g.GiftItem).where(g.GiftItem.sku == s))
    if item is None:
        item = uow.session.scalar(select(g.GiftItem).where(g.GiftItem.barcode == str(sku).strip()))
    if item is None:
        raise NotFound("gift.sku_unknown", sku=s)
    return item


def post_movement(
    uow: UnitOfWork,
    ctx: ServiceContext,
    actor: Actor,
    item: g.GiftItem,
    kind: str,
    delta: int,
    batch_id: str,
    **fields: Any,
) -> g.StockMovement:
    """Append one movement and move the cached on-hand with it. Refuses to go below zero."""
    before = item.on_hand
    item.on_hand = rules.apply_delta(item.sku, item.on_hand, delta)
    note_move(uow, "stock", item.sku, before, item.on_hand)
    item.movement_seq += 1
    mv = g.StockMovement(
        id=ctx.new_id(), sku=item.sku, seq=item.movement_seq, kind=kind, delta=delta, on_hand_after=item.on_hand,
        batch_id=batch_id, staff_id=actor.staff_id, created_at=ctx.now(), **fields,
    )
    uow.session.add(mv)
    return mv


def movement_stmt() -> Any:
    """Plain columns, not ORM entities: the history lists thousands of rows."""
    return (
        select(*g.StockMovement.__table__.c, g.GiftItem.name.label("gift_name"), m.Staff.code.label("staff_code"),
               m.Member.phone.label("member_phone"))
        .join(g.GiftItem, g.GiftItem.sku == g.StockMovement.sku)
        .join(m.Staff, m.Staff.id == g.StockMovement.staff_id)
        .outerjoin(m.Member, m.Member.id == g.StockMovement.member_id)
    )


def movement_dto(r: Any) -> MovementDTO:
    return MovementDTO(
        movement_id=r.id, sku=r.sku, name=r.gift_name, seq=r.seq, kind=r.kind, delta=r.delta,
        on_hand_after=r.on_hand_after, member_id=r.member_id, phone=r.member_phone, entitlement_id=r.entitlement_id,
        reason=r.reason, supplier=r.supplier, reference=r.reference, other_store=r.other_store,
        stocktake_id=r.stocktake_id, staff_code=r.staff_code, created_at=r.created_at,
    )


def load_movement(uow: UnitOfWork, movement_id: str) -> MovementDTO:
    return movement_dto(uow.session.execute(movement_stmt().where(g.StockMovement.id == movement_id)).one())


def waiting_for(uow: UnitOfWork, sku: str) -> tuple[int, int]:
    members, units = uow.session.execute(
        select(func.count(func.distinct(m.Entitlement.member_id)), func.count()).where(
            m.Entitlement.kind == GIFT, m.Entitlement.state == life.OWED, m.Entitlement.ref == sku
        )
    ).one()
    return int(members), int(units)


def movement_result(uow: UnitOfWork, movement_id: str) -> MovementResult:
    mv = load_movement(uow, movement_id)
    item = find_item(uow, mv.sku)
    wm, wg = waiting_for(uow, item.sku)
    return MovementResult(movement=mv, level=stock_level(uow, item), waiting_members=wm, waiting_gifts=wg)


def movement_event(mv: g.StockMovement, actor: Actor, **extra: Any) -> dict[str, Any]:
    return {
        "movement_id": mv.id, "sku": mv.sku, "seq": mv.seq, "kind": mv.kind, "delta": mv.delta,
        "on_hand_after": mv.on_hand_after, "member_id": mv.member_id, "entitlement_id": mv.entitlement_id,
        "reason": mv.reason, "supplier": mv.supplier, "reference": mv.reference, "other_store": mv.other_store,
        "batch_id": mv.batch_id, "staff": actor.code, **extra,
    }


def short_text(text: str | None, max_len: int, field: str) -> str | None:
    t = " ".join(str(text or "").split())
    if not t:
        return None
    if len(t) > max_len:
        raise InvalidInput("gift.text_too_long", field=field, max_chars=max_len)
    return clean_text(text, field=field, max_chars=max_len)


def stock_map(uow: UnitOfWork, skus: set[str]) -> dict[str, tuple[int, int]]:
    if not skus:
        return {}
    on_hand = dict(uow.session.execute(select(g.GiftItem.sku, g.GiftItem.on_hand).where(g.GiftItem.sku.in_(skus))).all())
    owed = owed_counts(uow, skus)
    return {sku: (int(n), owed.get(sku, 0)) for sku, n in on_hand.items()}


messages.register("zh_CN", {
    "gift.sku_invalid": "礼品编码无效：{sku}（字母、数字、-、_、.，最多 64 位）",
    "gift.sku_unknown": "礼品目录中没有 {sku}",
    "gift.sku_taken": "礼品编码 {sku} 已存在",
    "gift.barcode_taken": "条码 {barcode} 已被其他礼品使用",
    "gift.name_missing": "请输入礼品名称",
    "gift.name_too_long": "礼品名称过长（最多 {max_chars} 个字）",
    "gift.qty_invalid": "数量无效：{qty}（应为 1–100000 的整数）",
    "gift.threshold_invalid": "预警数量无效：{threshold}",
    "gift.unit_value_invalid": "单价无效：{unit_value}",
    "gift.reason_required": "请填写原因",
    "gift.reason_too_long": "原因过长（最多 {max_chars} 个字）",
    "gift.text_too_long": "{field} 过长（最多 {max_chars} 个字）",
    "gift.kind_invalid": "库存变动类型无效：{kind}（可选：{allowed}）",
    "gift.out_of_stock": "{sku} 库存不足：现有 {on_hand} 件，需要 {qty} 件（库存不能为负）",
    "gift.handout_none": "{sku} 现无库存（现有 {on_hand} 件），{count} 件礼品继续待发放",
    "gift.unknown_sku_owed": "礼品 {sku} 不在礼品目录中，无法发放",
    "gift.tier_blocked": "档位「{tier}」的赠品 {sku} 库存不足（需要 {qty} 件，可用 {available} 件），本活动设置为缺货时不可选该档位",
    "gift.nothing_owed": "该会员没有待发放的礼品",
    "gift.nothing_selected": "请选择要处理的礼品",
    "gift.not_owed": "礼品「{name}」不是待发放状态（当前：{state}），每份礼品只能发放一次",
    "gift.entitlement_unknown": "未找到该会员的这份礼品：{entitlement_id}",
    "gift.entitlement_repeated": "同一份礼品重复出现：{entitlement_id}",
    "gift.adjust_needs_one": "请填写盘点数量或调整数量（二选一）",
    "gift.adjust_nothing": "{sku} 的盘点数量与库存相同（{on_hand} 件），无需调整",
    "gift.store_required": "请填写对方门店",
    "gift.nothing_to_change": "没有要修改的内容",
    "gift.stocktake_empty": "没有填写任何盘点数量",
    "gift.stocktake_repeated": "盘点中 {sku} 出现了两次",
    "gift.count_invalid": "第 {row} 行的盘点数量无效：{qty}",
    "gift.col.sku": "礼品编码", "gift.col.name": "名称", "gift.col.on_hand": "库存", "gift.col.owed": "待发放",
    "gift.col.available": "可用", "gift.col.threshold": "预警数量", "gift.col.unit_value": "单价（元）",
    "gift.col.value": "库存金额（元）", "gift.col.low": "低库存", "gift.col.active": "启用", "gift.col.barcode": "条码",
    "gift.col.time": "时间", "gift.col.kind": "类型", "gift.col.delta": "数量变动", "gift.col.on_hand_after": "变动后库存",
    "gift.col.phone": "会员手机", "gift.col.reason": "原因", "gift.col.supplier": "供应商", "gift.col.reference": "单号",
    "gift.col.other_store": "对方门店", "gift.col.staff": "员工", "gift.col.movement_id": "流水号",
    "gift.col.expected": "账面数量", "gift.col.counted": "盘点数量", "gift.col.difference": "差异",
    "gift.col.difference_value": "差异金额（元）", "gift.col.member": "会员", "gift.col.source": "来源",
    "gift.col.due_on": "应发日期", "gift.col.action": "操作",
    "gift.kind.received": "入库", "gift.kind.handout": "发放", "gift.kind.returned": "退回", "gift.kind.adjusted": "盘点调整",
    "gift.kind.transfer_out": "调出", "gift.kind.transfer_in": "调入",
    "gift.source.tier": "充值档位赠品", "gift.source.milestone": "邀请里程碑", "gift.source.referral": "邀请奖励",
    "gift.source.new_member": "新会员礼", "gift.source.prize": "抽奖奖品", "gift.source.redemption": "兑换",
    "gift.source.manual": "手工", "gift.source.rebate": "充值返利",
    "gift.short.out_of_stock": "缺货", "gift.short.unknown_sku": "未入目录",
    "gift.waiting": "{count} 位会员正在等待 {sku}（共 {units} 件）",
})
messages.register("en", {
    "gift.sku_invalid": "Invalid gift SKU: {sku} (letters, digits, -, _ and ., up to 64)",
    "gift.sku_unknown": "No gift {sku} in the catalogue",
    "gift.sku_taken": "Gift SKU {sku} already exists",
    "gift.barcode_taken": "Barcode {barcode} is already used by another gift",
    "gift.name_missing": "Enter the gift's name",
    "gift.name_too_long": "Gift name too long (at most {max_chars} characters)",
    "gift.qty_invalid": "Invalid quantity: {qty} (a whole number from 1 to 100000)",
    "gift.threshold_invalid": "Invalid low-stock threshold: {threshold}",
    "gift.unit_value_invalid": "Invalid unit value: {unit_value}",
    "gift.reason_required": "A reason is required",
    "gift.reason_too_long": "Reason too long (at most {max_chars} characters)",
    "gift.text_too_long": "{field} is too long (at most {max_chars} characters)",
    "gift.kind_invalid": "Invalid movement kind: {kind} (one of: {allowed})",
    "gift.out_of_stock": "Not enough {sku} on hand: {on_hand} on hand, {qty} needed (stock cannot go below zero)",
    "gift.handout_none": "{sku} is out of stock ({on_hand} on hand); {count} gift(s) stay owed",
    "gift.unknown_sku_owed": "Gift {sku} is not in the catalogue and cannot be handed out",
    "gift.tier_blocked": "Tier '{tier}': gift {sku} is short ({qty} needed, {available} available) and this campaign blocks the tier when its gift is out of stock",
    "gift.nothing_owed": "This member is not owed any gift",
    "gift.nothing_selected": "Select the gifts first",
    "gift.not_owed": "Gift '{name}' is not owed (it is {state}); each gift is handed out at most once",
    "gift.entitlement_unknown": "This member is not owed gift {entitlement_id}",
    "gift.entitlement_repeated": "The same gift is listed twice: {entitlement_id}",
    "gift.adjust_needs_one": "Give either the counted quantity or the change, not both",
    "gift.adjust_nothing": "The count of {sku} equals the stock ({on_hand}): nothing to adjust",
    "gift.store_required": "Enter the other store",
    "gift.nothing_to_change": "Nothing to change",
    "gift.stocktake_empty": "No counted quantities were entered",
    "gift.stocktake_repeated": "{sku} appears twice in the count",
    "gift.count_invalid": "Invalid count on row {row}: {qty}",
    "gift.col.sku": "SKU", "gift.col.name": "Name", "gift.col.on_hand": "On hand", "gift.col.owed": "Owed",
    "gift.col.available": "Available", "gift.col.threshold": "Threshold", "gift.col.unit_value": "Unit value (yuan)",
    "gift.col.value": "Stock value (yuan)", "gift.col.low": "Low", "gift.col.active": "Active", "gift.col.barcode": "Barcode",
    "gift.col.time": "Time", "gift.col.kind": "Kind", "gift.col.delta": "Change", "gift.col.on_hand_after": "On hand after",
    "gift.col.phone": "Member phone", "gift.col.reason": "Reason", "gift.col.supplier": "Supplier",
    "gift.col.reference": "Reference", "gift.col.other_store": "Other store", "gift.col.staff": "Staff",
    "gift.col.movement_id": "Movement id", "gift.col.expected": "Expected", "gift.col.counted": "Counted",
    "gift.col.difference": "Difference", "gift.col.difference_value": "Difference value (yuan)",
    "gift.col.member": "Member", "gift.col.source": "Source", "gift.col.due_on": "Due", "gift.col.action": "Action",
    "gift.kind.received": "received", "gift.kind.handout": "handed out", "gift.kind.returned": "returned",
    "gift.kind.adjusted": "adjusted", "gift.kind.transfer_out": "transferred out", "gift.kind.transfer_in": "transferred in",
    "gift.source.tier": "recharge tier", "gift.source.milestone": "referral milestone", "gift.source.referral": "referral",
    "gift.source.new_member": "new-member gift", "gift.source.prize": "prize", "gift.source.redemption": "redemption",
    "gift.source.manual": "manual", "gift.source.rebate": "rebate",
    "gift.short.out_of_stock": "out of stock", "gift.short.unknown_sku": "not in catalogue",
    "gift.waiting": "{count} member(s) are waiting for {sku} ({units} item(s))",
})
