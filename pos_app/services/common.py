"""Helpers every use case shares: role checks, idempotency, audit rows, outbox events, settings."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from pos_app.db import models as m
from pos_app.db import repo
from pos_app.db.uow import PendingEvent, UnitOfWork
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
    found = repo.requests.find(uow.session, request_id)
    uow.cache["request_id"] = request_id  # the audit row of this transaction records it
    if found is None:
        return None
    done_use_case, done_hash, ref_id = found
    if done_use_case != use_case or done_hash != params_hash(params):
        raise Conflict("request.reused", request_id=request_id)
    return str(ref_id)


def remember(
    uow: UnitOfWork, ctx: ServiceContext, request_id: str, use_case: str, ref_id: str, params: dict[str, Any]
) -> None:
    repo.requests.add(uow.session, dict(
        request_id=request_id, use_case=use_case, ref_id=ref_id, params_hash=params_hash(params), created_at=ctx.now(),
    ))


def audit(
    uow: UnitOfWork,
    ctx: ServiceContext,
    actor: Actor | None,
    action: str,
    entity: str,
    entity_id: str,
    *,
    approved_by: Actor | None = None,
    request_id: str | None = None,
    **details: Any,
) -> None:
    """Append the use case's audit row to the hash chain (see :mod:`pos_app.services.audit`): who
    (``actor``; ``approved_by``: the manager who approved it for them), what, when (UTC), store, device,
    request id (default: the one :func:`replayed` saw in this transaction) and, in ``details["moves"]``,
    the before/after figures of the money, points and stock moved since the transaction's last audit row.

    The previous row is the one with the highest seq, read inside this write transaction (BEGIN
    IMMEDIATE: the store's one writer), so two rows never get the same seq or previous hash."""
    from pos_app.services import audit as chain  # noqa: PLC0415  (it imports this module)

    if actor is not None and actor.operator is not None and approved_by is None:
        actor, approved_by = actor.operator, actor  # a manager approved it for the operator at the counter
    moves = chain.take_moves(uow)
    if moves:
        details["moves"] = moves
    last = uow.cache.get("_audit_last")
    if last is None:
        last = repo.audit.last_link(uow.session) or (0, chain.GENESIS)
    st = settings(uow)
    now = ctx.now()
    staff_id = (actor.staff_id or None) if actor else None
    approver = (approved_by.staff_id or None) if approved_by else None
    values: dict[str, Any] = dict(
        seq=last[0] + 1,
        id=ctx.new_id(),
        at=now,  # hashed as the text SQLite stores (chain.at_text)
        staff_id=staff_id,
        approved_by=approver if approver != staff_id else None,
        action=action,
        entity=entity,
        entity_id=entity_id,
        store_code=st.store_code,
        device_id=st.device_id,
        request_id=request_id if request_id is not None else uow.cache.get("request_id"),
        details_json=json.dumps(details, default=str, ensure_ascii=False, sort_keys=True),
        prev_hash=last[1],
    )
    values["hash"] = chain.row_hash([values[f] for f in chain.FIELDS])
    repo.audit.add(uow.session, values)
    uow.cache["_audit_last"] = (values["seq"], values["hash"])


def emit(uow: UnitOfWork, ctx: ServiceContext, event_type: str, payload: dict[str, Any]) -> None:
    """Name the use case's one outbox event (a second in the same transaction is a loud error). The row
    is written just before the commit, carrying ``payload`` and every fact feature code added with
    :func:`add_facts`, with the next gap-free per-device sequence number."""
    uow.set_event(PendingEvent(event_id=ctx.new_id(), device_id=settings(uow).device_id, type=event_type,
                               occurred_at=ctx.now(), payload=payload))


def add_facts(uow: UnitOfWork, key: str, facts: list[Any]) -> None:
    """Facts feature code produced in this transaction (issued coupons, a qualified referral...), carried
    by the transaction's one event under ``key`` (the use case names the event; facts without one fail
    the commit)."""
    uow.add_facts(key, facts)


def store_info(uow: UnitOfWork) -> m.StoreInfo:
    info: m.StoreInfo | None = uow.cache.get("store_info")
    if info is None:
        info = repo.store.info(uow.session)
        if info is None:
            raise NotFound("store.not_initialised")
        uow.cache["store_info"] = info  # a strong reference keeps it in the session's identity map
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


_SETTINGS_CACHE: dict[tuple[Any, ...], StoreSettings] = {}


def settings(uow: UnitOfWork) -> StoreSettings:
    """The store's settings, read in this transaction (a plain read, cached per distinct row text): the store
    database's, under what this computer sets (``store_settings.local_overrides``: env > config file)."""
    st: StoreSettings | None = uow.cache.get("settings")
    if st is not None:
        return st
    from pos_app.services.store_settings import local_overrides  # noqa: PLC0415  (it imports this module)

    row = repo.store.settings_row(uow.session)
    if row is None:
        raise NotFound("store.not_initialised")
    settings_json, store_code, name, device_id, timezone = row
    local = local_overrides()  # this computer's: the environment, then the config file's [store] table
    key = (settings_json or "{}", store_code, name, device_id, timezone,
           tuple(sorted((k, repr(v)) for k, (v, _src) in local.items())))
    cached = _SETTINGS_CACHE.get(key)
    if cached is not None:
        uow.cache["settings"] = cached
        return cached
    if len(_SETTINGS_CACHE) > 32:
        _SETTINGS_CACHE.clear()
    raw = json.loads(key[0])
    raw.update({k: v for k, (v, _src) in local.items() if k not in ("store_name", "timezone")})
    if "store_name" in local:
        name = str(local["store_name"][0])
    if "timezone" in local:
        timezone = str(local["timezone"][0])
    order = raw.get("spend_order", PROPORTIONAL)
    if order not in SPEND_ORDERS:
        order = PROPORTIONAL
    st = StoreSettings(
        store_code=store_code,
        name=name,
        device_id=device_id,
        timezone=timezone,
        balance_cap_fen=int(raw.get("balance_cap_fen", DEFAULT_BALANCE_CAP_FEN)),
        spend_order=order,
        raw=raw,
    )
    _SETTINGS_CACHE[key] = st
    uow.cache["settings"] = st
    return st


def local_date(ctx: ServiceContext, st: StoreSettings, at: datetime | None = None) -> date:
    return (at or ctx.now()).astimezone(st.tz).date()


def check_pay_method(pay: str) -> str:
    if pay not in PAY_METHODS:
        raise InvalidInput("wallet.pay_method_invalid", pay=pay, allowed=", ".join(PAY_METHODS))
    return pay
