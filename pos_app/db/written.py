"""Which tables a transaction wrote, seen on the connection (every INSERT, UPDATE and DELETE the ORM's
flush or a Core statement runs goes through ``Connection.execute``), and which area of the store each
table belongs to. The unit of work turns them into the use case's ``Changes``."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Delete, Engine, Insert, TableClause, Update, event

#: every table of the store, with the area (what a screen shows) a write to it changes
TABLE_AREAS: dict[str, str] = {
    "member": "members",
    "referral": "members",
    "referral_reward": "members",
    "wallet_entry": "wallet",
    "recharge": "wallet",
    "spend": "wallet",
    "spend_allocation": "wallet",
    "refund": "wallet",
    "wallet_adjustment": "wallet",
    "adjustment_allocation": "wallet",
    "points_lot": "points",
    "points_entry": "points",
    "points_adjustment": "points",
    "checkin": "points",
    "wheel_ticket": "points",
    "wheel": "points",
    "wheel_prize": "points",
    "wheel_draw": "points",
    "task_progress": "points",
    "task_step": "points",
    "level_change": "members",
    "birthday_gift": "points",
    "coupon": "coupons",
    "coupon_event": "coupons",
    "coupon_template": "coupons",
    "entitlement": "gifts",
    "gift_item": "stock",
    "stock_movement": "stock",
    "stocktake": "stock",
    "stocktake_line": "stock",
    "campaign": "campaigns",
    "staff": "staff",
    "store_info": "settings",
    "kv": "settings",
    "outbox": "sync",
    "sync_state": "sync",
    "sync_round": "sync",
    "sync_conflict": "sync",
    "audit_log": "audit",
    "request_log": "requests",
    "product": "products",
    "sale": "sales",
    "sale_line": "sales",
    "sale_payment": "sales",
    "sale_return": "sales",
    "return_line": "sales",
    "return_payment": "sales",
    "shift": "shifts",
    "mall_item": "redemptions",
    "mall_code": "redemptions",
    "redemption": "redemptions",
    "redemption_log": "redemptions",
    "dash_day": "summaries",
    "dash_first_recharge": "summaries",
    "dash_watermark": "summaries",
}

#: on a connection's ``info``: {table: statements that wrote it} in the current transaction
KEY = "pos_written_tables"


def track(engine: Engine) -> None:
    """Count, on each connection's ``info``, the statements that wrote each table since :func:`take`."""

    @event.listens_for(engine, "before_execute")
    def _seen(conn: Any, clause: Any, _multiparams: Any, _params: Any, _options: Any) -> None:
        if isinstance(clause, (Insert, Update, Delete)) and isinstance(clause.table, TableClause):
            counts = conn.info.get(KEY)
            if counts is None:
                counts = conn.info[KEY] = {}
            name = clause.table.name
            counts[name] = counts.get(name, 0) + 1

    @event.listens_for(engine, "begin")
    def _fresh(conn: Any) -> None:
        conn.info.pop(KEY, None)  # a rolled-back transaction's writes are not this one's


def counts(conn_info: dict[Any, Any]) -> dict[str, int]:
    """The statements that wrote each table since the last :func:`take` (a copy)."""
    return dict(conn_info.get(KEY) or {})


def take(conn_info: dict[Any, Any]) -> frozenset[str]:
    """The tables written since the last call (and forget them)."""
    found = conn_info.pop(KEY, None)
    return frozenset(found) if found else frozenset()


def areas(tables: frozenset[str]) -> frozenset[str]:
    return frozenset(TABLE_AREAS[t] for t in tables if t in TABLE_AREAS)


def note(conn_info: dict[Any, Any], table_name: str, statements: int = 1) -> None:
    """Count a write to ``table_name`` that :func:`track` cannot see (a statement compiled once and run as the
    driver's SQL: the bulk repository's INSERT), so the transaction's Changes and the memo know of it."""
    counts = conn_info.get(KEY)
    if counts is None:
        counts = conn_info[KEY] = {}
    counts[table_name] = counts.get(table_name, 0) + statements
