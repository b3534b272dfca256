"""The campaign figures' per-day summaries (pos_app/db/models_dash.py): filled at read time from the append-only
tables, never on a use case's write path, and read back by the dashboard and the campaign report.

Each source is an append-only table (recharges, refunds, sales with their payments and lines, returns, points
lots, points ledger rows) read in insertion order: on SQLite a row's ``rowid`` only grows (rows are never
deleted), so ``dash_watermark.upto`` (the highest rowid summarised) says exactly which rows are summarised,
also for a row that arrives late by sync with a past time. The rows after it are grouped in the database by
UTC quarter hour (every time zone in use is offset from UTC by whole quarter hours, so a quarter hour lies in
one store-local day) and their quarter hours are then given their store-local day here. The watermark
keeps the key of its row and the time zone: a table renumbered (a copy made by VACUUM) or another time zone
makes everything summarised again. On a database without a rowid (PostgreSQL, which the tests run) every
summary is rebuilt whole each time it is brought up to date."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, String, case, cast, delete, func, literal, literal_column, select
from sqlalchemy import table as sql_table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from pos_app.db import models as m
from pos_app.db import models_checkout as mk
from pos_app.db import models_dash as md
from pos_app.db.repo.base import run

#: seconds in the time slot rows are grouped by before they are given their day
SLOT_SECONDS = 900
#: the watermark and summary name of the members' first recharges (read from the recharge table)
FIRSTS = "first_recharge"
#: the dash_day source holding the new recharging members per day (from the first recharges)
NEW_MEMBERS = "new_members"
#: members looked up per statement
_IN_CHUNK = 500


@dataclass(frozen=True)
class Source:
    """One summary: the table read in insertion order, the time that gives a row its day, the breakdown key,
    the two summed values, the rows it takes and the text that names a row (its watermark key)."""

    name: str
    model: Any
    at: Any
    key: Any
    a: Any
    b: Any
    ident: Any
    where: Any = None
    #: (model, on clause) of a table joined for the time (a sale's lines and payments take the sale's)
    join: tuple[Any, Any] | None = None

    @property
    def table(self) -> str:
        return str(self.model.__tablename__)


def _pair(x: Any, y: Any) -> Any:
    return x + literal(":") + cast(y, String)


_SALE = (mk.Sale, mk.Sale.id)
SOURCES: tuple[Source, ...] = (
    # this store's own recharges (those pulled from other stores are theirs)
    Source("recharge", m.Recharge, m.Recharge.created_at, func.coalesce(m.Recharge.tier_code, ""),
           m.Recharge.amount_fen, m.Recharge.bonus_fen, m.Recharge.id, m.Recharge.origin_store.is_(None)),
    Source("refund", m.Refund, m.Refund.created_at, literal(""), m.Refund.principal_refund_fen,
           m.Refund.bonus_revoke_fen, m.Refund.id),
    Source("sale", mk.Sale, mk.Sale.created_at,
           case((mk.Sale.member_id.is_not(None), "member"), else_="walk_in"), mk.Sale.total_fen, mk.Sale.paid_fen,
           mk.Sale.id),
    # a payment's part of what was paid: its amount less its stored-value bonus part
    Source("sale_method", mk.SalePayment, mk.Sale.created_at, mk.SalePayment.method,
           mk.SalePayment.amount_fen - mk.SalePayment.bonus_fen, literal(0),
           _pair(mk.SalePayment.sale_id, mk.SalePayment.no), join=(mk.Sale, mk.Sale.id == mk.SalePayment.sale_id)),
    Source("sale_category", mk.SaleLine, mk.Sale.created_at, mk.SaleLine.category, mk.SaleLine.amount_fen,
           literal(0), _pair(mk.SaleLine.sale_id, mk.SaleLine.no), join=(mk.Sale, mk.Sale.id == mk.SaleLine.sale_id)),
    Source("sale_return", mk.SaleReturn, mk.SaleReturn.created_at, literal(""), mk.SaleReturn.amount_fen,
           literal(0), mk.SaleReturn.id),
    Source("points_lot", m.PointsLot, m.PointsLot.earned_at, m.PointsLot.source, m.PointsLot.points, literal(0),
           m.PointsLot.id),
    Source("points_entry", m.PointsEntry, m.PointsEntry.created_at, m.PointsEntry.kind, m.PointsEntry.delta,
           literal(0), m.PointsEntry.id),
)
BY_NAME = {src.name: src for src in SOURCES}


def incremental(s: Session) -> bool:
    """Whether rows can be summarised by insertion order (SQLite's rowid); otherwise rebuilt whole."""
    return s.get_bind().dialect.name == "sqlite"


def _rowid(table: str) -> Any:
    return literal_column(f"{table}.rowid")


def _slot(s: Session, at: Any) -> Any:
    if s.get_bind().dialect.name == "sqlite":
        return cast(func.strftime("%s", at), Integer) // SLOT_SECONDS
    return cast(func.floor(func.extract("epoch", at) / SLOT_SECONDS), Integer)


def slot_day(slot: int, tz: ZoneInfo, memo: dict[int, date]) -> date:
    """The store-local day of a UTC time slot."""
    d = memo.get(slot)
    if d is None:
        d = memo[slot] = datetime.fromtimestamp(slot * SLOT_SECONDS, UTC).astimezone(tz).date()
    return d


# ----------------------------------------------------------------------------- where each summary stands


def watermarks(s: Session) -> dict[str, tuple[int, str | None, str]]:
    """source -> (upto, the key of that row, time zone)."""
    w = md.DashWatermark
    return {str(k): (int(u), x, str(tz)) for k, u, x, tz in run(s, select(w.source, w.upto, w.upto_key, w.tz))}


def newest(s: Session, table: str) -> int:
    """The highest row id of a table (0: empty)."""
    return int(run(s, select(func.coalesce(func.max(_rowid(table)), 0)).select_from(sql_table(table))).scalar()
               or 0)


def key_at(s: Session, src: Source, rowid: int) -> str | None:
    stmt = select(src.ident).select_from(src.model).where(_rowid(src.table) == rowid)
    found = run(s, stmt).scalar()
    return None if found is None else str(found)


def first_key_at(s: Session, rowid: int) -> str | None:
    found = run(s, select(m.Recharge.id).where(_rowid("recharge") == rowid)).scalar()
    return None if found is None else str(found)


def last_at_most(s: Session, table: str, hi: int) -> int:
    """The highest row id of a table not above ``hi`` (0: none)."""
    stmt = (select(func.coalesce(func.max(_rowid(table)), 0)).select_from(sql_table(table))
            .where(_rowid(table) <= hi))
    return int(run(s, stmt).scalar() or 0)


# ----------------------------------------------------------------------------- summarising rows


def _range(s: Session, table: str, lo: int | None, hi: int | None) -> list[Any]:
    if lo is None or hi is None:
        return []
    return [_rowid(table) > lo, _rowid(table) <= hi]


def slot_groups(s: Session, src: Source, lo: int | None, hi: int | None) -> list[tuple[int, str, int, int, int]]:
    """(UTC slot, key, rows, sum a, sum b) of the source's rows after ``lo`` up to ``hi`` (None: all)."""
    slot = _slot(s, src.at).label("slot")
    key = src.key.label("k")
    stmt = select(slot, key, func.count(), func.coalesce(func.sum(src.a), 0), func.coalesce(func.sum(src.b), 0))
    stmt = stmt.select_from(src.model)
    if src.join is not None:
        stmt = stmt.join(*src.join)
    conds = _range(s, src.table, lo, hi) + ([src.where] if src.where is not None else [])
    if conds:
        stmt = stmt.where(*conds)
    return [(int(t), str(k), int(n), int(a), int(b)) for t, k, n, a, b in run(s, stmt.group_by(slot, key))]


def day_groups(s: Session, src: Source, lo: int, hi: int, offset_minutes: int
               ) -> tuple[list[tuple[date, str, int, int, int]], datetime | None, datetime | None]:
    """(local day, key, rows, sum a, sum b) of the source's rows after ``lo`` up to ``hi``, their day cut at a
    fixed UTC offset in the database (SQLite), with the earliest and latest time among them: the caller
    checks that the store's time zone kept that offset over them."""
    day = func.date(src.at, f"{offset_minutes:+d} minutes").label("d")
    key = src.key.label("k")
    stmt = (select(day, key, func.count(), func.coalesce(func.sum(src.a), 0), func.coalesce(func.sum(src.b), 0),
                   func.min(src.at), func.max(src.at)).select_from(src.model))
    if src.join is not None:
        stmt = stmt.join(*src.join)
    conds = _range(s, src.table, lo, hi) + ([src.where] if src.where is not None else [])
    rows = list(run(s, stmt.where(*conds).group_by(day, key)))
    first = min((_utc(r[5]) for r in rows), default=None)
    last = max((_utc(r[6]) for r in rows), default=None)
    return [(date.fromisoformat(str(d)), str(k), int(n), int(a), int(b)) for d, k, n, a, b, _f, _l in rows], first, last


def _utc(v: Any) -> datetime:
    return (v if isinstance(v, datetime) else datetime.fromisoformat(str(v))).replace(tzinfo=UTC)


def recharge_times(s: Session, lo: int | None, hi: int | None) -> list[tuple[str, datetime, bool]]:
    """(member, time, this store's own?) of the recharges after ``lo`` up to ``hi`` (None: all), any store."""
    r = m.Recharge
    stmt = select(r.member_id, r.created_at, r.origin_store.is_(None))
    conds = _range(s, "recharge", lo, hi)
    if conds:
        stmt = stmt.where(*conds)
    return [(str(mid), at, bool(local)) for mid, at, local in run(s, stmt)]


def firsts_of(s: Session, member_ids: Iterable[str]) -> dict[str, tuple[datetime, int]]:
    """member -> (first recharge, this store's recharges at it) as summarised so far."""
    f = md.DashFirstRecharge
    ids = list(member_ids)
    out: dict[str, tuple[datetime, int]] = {}
    for i in range(0, len(ids), _IN_CHUNK):
        stmt = select(f.member_id, f.first_at, f.local_first).where(f.member_id.in_(ids[i:i + _IN_CHUNK]))
        out.update({str(k): (at, int(n)) for k, at, n in run(s, stmt)})
    return out


# ----------------------------------------------------------------------------- writing the summaries


def _insert(s: Session, model: Any) -> Any:
    return (sqlite.insert(model) if s.get_bind().dialect.name == "sqlite" else postgresql.insert(model))


def add_days(s: Session, rows: Sequence[tuple[str, date, str, int, int, int]]) -> None:
    """Add (source, day, key, rows, a, b) to the per-day summaries."""
    if not rows:
        return
    t = md.DashDay
    ins = _insert(s, t)
    stmt = ins.on_conflict_do_update(index_elements=[t.source, t.day, t.key],
                                     set_={"n": t.n + ins.excluded.n, "a": t.a + ins.excluded.a,
                                           "b": t.b + ins.excluded.b})
    s.execute(stmt, [{"source": src, "day": d, "key": k, "n": n, "a": a, "b": b} for src, d, k, n, a, b in rows])


def set_firsts(s: Session, rows: Sequence[tuple[str, datetime, int]]) -> None:
    """Store (member, first recharge, this store's recharges at it)."""
    if not rows:
        return
    f = md.DashFirstRecharge
    ins = _insert(s, f)
    stmt = ins.on_conflict_do_update(index_elements=[f.member_id],
                                     set_={"first_at": ins.excluded.first_at, "local_first": ins.excluded.local_first})
    s.execute(stmt, [{"member_id": k, "first_at": at, "local_first": n} for k, at, n in rows])


def set_watermark(s: Session, source: str, upto: int, upto_key: str | None, tz: str) -> None:
    w = md.DashWatermark
    ins = _insert(s, w)
    s.execute(ins.on_conflict_do_update(index_elements=[w.source],
                                        set_={"upto": ins.excluded.upto, "upto_key": ins.excluded.upto_key,
                                              "tz": ins.excluded.tz}),
              [{"source": source, "upto": upto, "upto_key": upto_key, "tz": tz}])


def clear(s: Session) -> None:
    """Forget every summary (they are summarised again from the start)."""
    for model in (md.DashDay, md.DashFirstRecharge, md.DashWatermark):
        s.execute(delete(model))


# ----------------------------------------------------------------------------- reading the summaries


def days(s: Session, source: str, first: date, last: date) -> list[tuple[date, str, int, int, int]]:
    """(day, key, rows, a, b) of a source's summary for the days ``first`` .. ``last``."""
    t = md.DashDay
    stmt = select(t.day, t.key, t.n, t.a, t.b).where(t.source == source, t.day >= first, t.day <= last)
    return [(d, str(k), int(n), int(a), int(b)) for d, k, n, a, b in run(s, stmt)]


def total_until(s: Session, source: str, last: date) -> int:
    """The sum of ``a`` of a source over every day up to ``last``."""
    t = md.DashDay
    stmt = select(func.coalesce(func.sum(t.a), 0)).where(t.source == source, t.day <= last)
    return int(run(s, stmt).scalar() or 0)


