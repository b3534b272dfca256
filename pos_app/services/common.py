"""Helpers every use case shares: role checks, idempotency, audit rows, outbox events, settings."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar, cast
from zoneinfo import ZoneInfo

from sqlalchemy import insert
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import make_transient_to_detached

from pos_app.db import models as m
from pos_app.db import written
from pos_app.db.base import Base
from pos_app.db.rawsql import bind_processor
from pos_app.db.uow import UnitOfWork
from pos_app.domain import roles
from pos_app.domain.errors import Conflict, InvalidInput, NotFound
from pos_app.domain.wallet import DEFAULT_BALANCE_CAP_FEN, PROPORTIONAL, SPEND_ORDERS
from pos_app.services.context import Actor, ServiceContext

B = TypeVar("B", bound=Base)

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


# ---------------------------------------------------------------- lean SQL for the hot path
#
# A recharge is a dozen small statements; through the ORM each costs ~0.1-0.3 ms of Python, which is
# many times the cost of the commit itself. Append-only rows (ledgers, audit, outbox, request log) and
# small reads therefore go straight to the DB-API connection of the unit of work's transaction on
# SQLite (SQLAlchemy's own type processors convert the values, so the stored text is identical), and
# through SQLAlchemy Core on other databases.

#: (sql, (index, bind processor) of the values that need converting, defaults of the columns not given)
_InsertPlan = tuple[str, tuple[tuple[int, Any], ...], tuple[Any, ...]]
_INSERT_PLANS: dict[tuple[str, str, tuple[str, ...]], _InsertPlan] = {}


def _insert_plan(dialect: Any, model: type[Base], keys: tuple[str, ...]) -> _InsertPlan:
    cache_key = (dialect.name, model.__tablename__, keys)
    plan = _INSERT_PLANS.get(cache_key)
    if plan is None:
        table: Any = model.__table__
        cols = [table.c[k] for k in keys]
        # scalar Python-side defaults of the columns not given (what Core would fill in)
        extra = [
            c for c in table.columns
            if c.name not in keys and c.default is not None and getattr(c.default, "is_scalar", False)
        ]
        names = [c.name for c in cols + extra]
        sql = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join('?' for _ in names)})"
        procs = [bind_processor(c.type, dialect) for c in cols + extra]
        convs = tuple((i, proc) for i, proc in enumerate(procs) if proc is not None)
        defaults = tuple(c.default.arg for c in extra)
        plan = (sql, convs, defaults)
        _INSERT_PLANS[cache_key] = plan
    return plan


def _params(plan: _InsertPlan, values: dict[str, Any]) -> list[Any]:
    """The row's values in column order, converted as SQLAlchemy would (only the columns that need it)."""
    vals = [*values.values(), *plan[2]]
    for i, proc in plan[1]:
        vals[i] = proc(vals[i])
    return vals


def _sqlite(uow: UnitOfWork) -> Any:
    """The DB-API connection of the unit of work's transaction on SQLite (None on other databases),
    looked up once per unit of work."""
    raw = uow.cache.get("_dbapi", False)
    if raw is False:
        conn = uow.session.connection()
        raw = conn.connection.driver_connection if conn.dialect.name == "sqlite" else None
        uow.cache["_dbapi"] = raw
    return raw


def insert_row(uow: UnitOfWork, model: type[Base], values: dict[str, Any]) -> None:
    """Insert one append-only row now, in the unit of work's transaction, without the ORM.

    For ledger/log rows nobody edits later in the transaction. Rows it refers to must already be
    flushed (the models have no ORM relationships, so nothing else orders the inserts)."""
    raw = _sqlite(uow)
    if raw is None:
        uow.session.connection().execute(insert(model), values)
        return
    written.note(uow.session.connection().info, model.__tablename__)
    plan = _insert_plan(uow.db.engine.dialect, model, tuple(values))
    raw.execute(plan[0], _params(plan, values))


def insert_rows(uow: UnitOfWork, model: type[Base], rows: list[dict[str, Any]]) -> None:
    """:func:`insert_row` for several rows with the same keys, in one ``executemany``."""
    if not rows:
        return
    raw = _sqlite(uow)
    if raw is None:
        uow.session.connection().execute(insert(model), rows)
        return
    written.note(uow.session.connection().info, model.__tablename__)
    keys = tuple(rows[0])
    plan = _insert_plan(uow.db.engine.dialect, model, keys)
    for r in rows:
        if tuple(r) != keys:
            raise ValueError(f"insert_rows: every row needs the keys {keys} in that order")
    raw.executemany(plan[0], [_params(plan, r) for r in rows])


_FILL: dict[type, tuple[Any, tuple[str, ...], dict[str, Any]]] = {}


def _fill(model: type[Base]) -> tuple[Any, tuple[str, ...], dict[str, Any]]:
    fill = _FILL.get(model)
    if fill is None:
        mapper = sa_inspect(model)
        defaults: dict[str, Any] = {}
        for col in mapper.column_attrs:
            default = col.columns[0].default
            defaults[col.key] = default.arg if default is not None and getattr(default, "is_scalar", False) else None
        fill = (mapper.class_manager, tuple(defaults), defaults)
        _FILL[model] = fill
    return fill


def plain_object(model: type[B], values: dict[str, Any]) -> B:
    """An ORM object holding ``values`` (columns not given: their scalar default, else None), built
    without attribute events and not in any session: a copy for reading (or a new row for
    :func:`persist_objects`)."""
    manager, keys, defaults = _fill(model)
    obj = cast(B, manager.new_instance())
    d = obj.__dict__
    if len(values) != len(keys):
        d.update(defaults)
    d.update(values)
    return obj


def _attach(uow: UnitOfWork, model: type[B], values: dict[str, Any]) -> B:
    """A persistent ORM object for a row just written with ``values`` (its values are its committed
    state, so nothing is flushed for it unless changed later)."""
    obj = plain_object(model, values)
    make_transient_to_detached(obj)
    uow.session.add(obj)
    return obj


def new_object(uow: UnitOfWork, model: type[B], values: dict[str, Any]) -> B:
    """INSERT a new row now (like :func:`insert_row`) and return it as a persistent ORM object, so later
    changes to it are written as UPDATEs. ``values`` must hold its primary key."""
    insert_row(uow, model, values)
    return _attach(uow, model, values)


def new_objects(uow: UnitOfWork, model: type[B], rows: list[dict[str, Any]]) -> list[B]:
    """:func:`new_object` for several rows with the same keys (one ``executemany``)."""
    insert_rows(uow, model, rows)
    return [_attach(uow, model, r) for r in rows]


def persist_objects(uow: UnitOfWork, model: type[B], objs: list[B]) -> None:
    """INSERT new objects of ``model`` (e.g. from :func:`plain_object`, possibly changed since) in one
    ``executemany`` and attach them to the session as persistent."""
    if not objs:
        return
    keys = _fill(model)[1]
    insert_rows(uow, model, [{k: o.__dict__[k] for k in keys} for o in objs])
    for o in objs:
        make_transient_to_detached(o)
        uow.session.add(o)


def insert_object(uow: UnitOfWork, obj: Base) -> None:
    """INSERT a new ORM object now (like :func:`insert_row`) and attach it to the session as persistent,
    so later changes to it are flushed as UPDATEs. Its primary key must be set; unset columns with a
    scalar default get that default."""
    values: dict[str, Any] = {}
    for col in sa_inspect(type(obj)).column_attrs:
        key = col.key
        if key not in obj.__dict__:
            column = col.columns[0]
            default = column.default
            if default is not None and getattr(default, "is_scalar", False):
                setattr(obj, key, default.arg)
            else:
                setattr(obj, key, None)
        values[key] = obj.__dict__[key]
    insert_row(uow, type(obj), values)
    make_transient_to_detached(obj)
    uow.session.add(obj)


_LOAD_PLANS: dict[tuple[str, str], tuple[str, tuple[str, ...], tuple[Any, ...]]] = {}


def load_object(uow: UnitOfWork, model: type[B], where: str, params: tuple[Any, ...]) -> B | None:
    """Load one ORM object with a plain SELECT (``where`` uses ``?`` placeholders) and attach it to the
    session as persistent, as a query would, but without the ORM's per-query overhead. Returns the
    session's own object when it is already loaded."""
    dialect = uow.db.engine.dialect
    key = (dialect.name, model.__tablename__)
    plan = _LOAD_PLANS.get(key)
    if plan is None:
        table: Any = model.__table__
        attrs = [(col.key, col.columns[0]) for col in sa_inspect(model).column_attrs]
        sql = f"SELECT {', '.join(c.name for _, c in attrs)} FROM {table.name}"
        procs = tuple(c.type._cached_result_processor(dialect, None) for _, c in attrs)
        plan = (sql, tuple(k for k, _ in attrs), procs)
        _LOAD_PLANS[key] = plan
    sql, keys, procs = plan
    rows = raw_rows(uow, f"{sql} WHERE {where}", params)
    if not rows:
        return None
    values = {k: (p(v) if p is not None else v) for k, p, v in zip(keys, procs, rows[0], strict=True)}
    mapper = sa_inspect(model)
    ident = mapper.identity_key_from_primary_key(tuple(values[str(c.key)] for c in mapper.primary_key))
    existing = uow.session.identity_map.get(ident)
    if existing is not None:
        return existing  # type: ignore[return-value]
    return _attach(uow, model, values)


def raw_rows(uow: UnitOfWork, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """A small read in the unit of work's transaction. ``?`` placeholders; dates go in as ISO text on
    SQLite (how SQLAlchemy stores them there). Does not autoflush pending ORM changes."""
    raw = _sqlite(uow)
    if raw is not None:
        args = tuple(v.isoformat() if isinstance(v, date) and not isinstance(v, datetime) else v for v in params)
        return list(raw.execute(sql, args).fetchall())
    return [tuple(r) for r in uow.session.connection().exec_driver_sql(sql.replace("?", "%s"), params).fetchall()]


def replayed(uow: UnitOfWork, request_id: str, use_case: str, params: dict[str, Any]) -> str | None:
    """The ref id of the first result when ``request_id`` was already done; Conflict if it was used for
    something else."""
    rows = raw_rows(
        uow, "SELECT use_case, params_hash, ref_id FROM request_log WHERE request_id = ?", (request_id,)
    )
    uow.cache["request_id"] = request_id  # the audit row of this transaction records it
    if not rows:
        return None
    done_use_case, done_hash, ref_id = rows[0]
    if done_use_case != use_case or done_hash != params_hash(params):
        raise Conflict("request.reused", request_id=request_id)
    return str(ref_id)


def remember(
    uow: UnitOfWork, ctx: ServiceContext, request_id: str, use_case: str, ref_id: str, params: dict[str, Any]
) -> None:
    insert_row(
        uow,
        m.RequestLog,
        dict(request_id=request_id, use_case=use_case, ref_id=ref_id, params_hash=params_hash(params), created_at=ctx.now()),
    )


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

    moves = chain.take_moves(uow)
    if moves:
        details["moves"] = moves
    last = uow.cache.get("_audit_last")
    if last is None:
        rows = raw_rows(uow, "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
        last = (int(rows[0][0]), str(rows[0][1])) if rows else (0, chain.GENESIS)
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
    insert_row(uow, m.AuditLog, values)
    uow.cache["_audit_last"] = (values["seq"], values["hash"])


def emit(uow: UnitOfWork, ctx: ServiceContext, event_type: str, payload: dict[str, Any]) -> int:
    """Append an outbox event with the next gap-free per-device sequence number.

    Safe because every write transaction holds SQLite's write lock from its first statement
    (BEGIN IMMEDIATE): no two transactions can read the same max(seq)."""
    return emit_many(uow, ctx, [(event_type, payload)])[0]


def emit_many(uow: UnitOfWork, ctx: ServiceContext, events: list[tuple[str, dict[str, Any]]]) -> list[int]:
    """:func:`emit` for several events in a row (one statement); returns their sequence numbers."""
    st = settings(uow)
    last = uow.cache.get("_outbox_seq")
    if last is None:
        last = int(raw_rows(uow, "SELECT MAX(seq) FROM outbox")[0][0] or 0)
    rows: list[dict[str, Any]] = []
    seqs: list[int] = []
    for event_type, payload in events:
        last += 1
        seqs.append(last)
        body = json.dumps(payload, default=str, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        rows.append(dict(
            seq=last,
            event_id=ctx.new_id(),
            device_id=st.device_id,
            type=event_type,
            occurred_at=ctx.now(),
            payload_json=body,
            payload_hash=hashlib.sha256(body.encode()).hexdigest(),
        ))
    insert_rows(uow, m.Outbox, rows)
    # the transaction holds the write lock and only emit() writes the outbox: the next one follows on
    uow.cache["_outbox_seq"] = last
    return seqs


def store_info(uow: UnitOfWork) -> m.StoreInfo:
    info: m.StoreInfo | None = uow.cache.get("store_info")
    if info is None:
        info = uow.session.get(m.StoreInfo, 1)
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


_SETTINGS_CACHE: dict[tuple[str, str, str, str, str], StoreSettings] = {}


def settings(uow: UnitOfWork) -> StoreSettings:
    """The store's settings, read in this transaction (a plain read, cached per distinct row text)."""
    st: StoreSettings | None = uow.cache.get("settings")
    if st is not None:
        return st
    rows = raw_rows(uow, "SELECT settings_json, store_code, name, device_id, timezone FROM store_info WHERE id = 1")
    if not rows:
        raise NotFound("store.not_initialised")
    settings_json, store_code, name, device_id, timezone = rows[0]
    key = (settings_json or "{}", store_code, name, device_id, timezone)
    cached = _SETTINGS_CACHE.get(key)
    if cached is not None:
        uow.cache["settings"] = cached
        return cached
    if len(_SETTINGS_CACHE) > 32:
        _SETTINGS_CACHE.clear()
    raw = json.loads(key[0])
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
