"""Helpers every use case shares: role checks, idempotency, audit rows, outbox events, settings."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from pos_app.db import models as m
from pos_app.db.uow import UnitOfWork
from pos_app.domain import roles
from pos_app.domain.errors import Conflict, InvalidInput, NotFound
from pos_app.domain.wallet import DEFAULT_BALANCE_CAP_FEN, PROPORTIONAL, SPEND_ORDERS
from pos_app.services.context import Actor, ServiceContext

_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9_.:\-]{1,64}$")

PAY_METHODS = ("cash", "wechat", "alipay", "card", "other")


def require(actor: Actor, action: str) -> None:
    roles.check(actor.role, action)


def check_request_id(request_id: str | None, ctx: ServiceContext) -> str:
    if request_id is None or request_id == "":
        return ctx.new_id()
    if not _REQUEST_ID_RE.match(request_id):
        raise InvalidInput("request.id_invalid", request_id=request_id)
    return request_id


def params_hash(params: dict[str, Any]) -> str:
    blob = json.dumps(params, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(blob.encode()).hexdigest()


def replayed(uow: UnitOfWork, request_id: str, use_case: str, params: dict[str, Any]) -> str | None:
    """The ref id of the first result when ``request_id`` was already done; Conflict if it was used for
    something else."""
    row = uow.session.get(m.RequestLog, request_id)
    if row is None:
        return None
    if row.use_case != use_case or row.params_hash != params_hash(params):
        raise Conflict("request.reused", request_id=request_id)
    return row.ref_id


def remember(
    uow: UnitOfWork, ctx: ServiceContext, request_id: str, use_case: str, ref_id: str, params: dict[str, Any]
) -> None:
    uow.session.add(
        m.RequestLog(
            request_id=request_id,
            use_case=use_case,
            ref_id=ref_id,
            params_hash=params_hash(params),
            created_at=ctx.now(),
        )
    )


def audit(
    uow: UnitOfWork,
    ctx: ServiceContext,
    actor: Actor | None,
    action: str,
    entity: str,
    entity_id: str,
    **details: Any,
) -> None:
    uow.session.add(
        m.AuditLog(
            id=ctx.new_id(),
            at=ctx.now(),
            staff_id=actor.staff_id if actor else None,
            action=action,
            entity=entity,
            entity_id=entity_id,
            details_json=json.dumps(details, default=str, ensure_ascii=False, sort_keys=True),
        )
    )


def emit(uow: UnitOfWork, ctx: ServiceContext, event_type: str, payload: dict[str, Any]) -> int:
    """Append an outbox event with the next gap-free per-device sequence number.

    Safe because every write transaction holds SQLite's write lock from its first statement
    (BEGIN IMMEDIATE): no two transactions can read the same max(seq)."""
    info = store_info(uow)
    last = uow.session.scalar(select(func.max(m.Outbox.seq))) or 0
    body = json.dumps(payload, default=str, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    uow.session.add(
        m.Outbox(
            seq=last + 1,
            event_id=ctx.new_id(),
            device_id=info.device_id,
            type=event_type,
            occurred_at=ctx.now(),
            payload_json=body,
            payload_hash=hashlib.sha256(body.encode()).hexdigest(),
        )
    )
    return last + 1


def store_info(uow: UnitOfWork) -> m.StoreInfo:
    info = uow.session.get(m.StoreInfo, 1)
    if info is None:
        raise NotFound("store.not_initialised")
    return info


@dataclass(frozen=True)
class StoreSettings:
    store_code: str
    name: str
    device_id: str
    timezone: str
    balance_cap_fen: int
    spend_order: str
    raw: dict[str, Any]

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def settings(uow: UnitOfWork) -> StoreSettings:
    info = store_info(uow)
    raw = json.loads(info.settings_json or "{}")
    order = raw.get("spend_order", PROPORTIONAL)
    if order not in SPEND_ORDERS:
        order = PROPORTIONAL
    return StoreSettings(
        store_code=info.store_code,
        name=info.name,
        device_id=info.device_id,
        timezone=info.timezone,
        balance_cap_fen=int(raw.get("balance_cap_fen", DEFAULT_BALANCE_CAP_FEN)),
        spend_order=order,
        raw=raw,
    )


def local_date(ctx: ServiceContext, st: StoreSettings, at: datetime | None = None) -> date:
    return (at or ctx.now()).astimezone(st.tz).date()


def check_pay_method(pay: str) -> str:
    if pay not in PAY_METHODS:
        raise InvalidInput("wallet.pay_method_invalid", pay=pay, allowed=", ".join(PAY_METHODS))
    return pay
