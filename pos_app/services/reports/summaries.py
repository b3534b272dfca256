"""The campaign figures' per-day summaries brought up to date (pos_app/db/repo/dash_summary.py): the
dashboard and the campaign report call :func:`bring_up_to_date` before they read, and it summarises only the
rows added since the last time, so a use case never writes a summary row (its write path stays as it is)
and opening the dashboard reads a few hundred summary rows instead of a month of ledger rows.

Each step reads the new rows of the sources (at most :data:`CHUNK` in all) in a read transaction, then
writes what they add in one short write transaction, after checking that the watermarks it started from
have not moved; the first opening of a large store therefore never holds the write lock for long (the
counter keeps working between chunks; the dashboard runs them one operation each). The summaries are derived figures: no audit row, no event, nothing
another store needs."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from pos_app.db import repo
from pos_app.services.common import settings
from pos_app.services.context import ServiceContext
from pos_app.services.usecase import use_case

DS = repo.dash_summary

#: source rows summarised per step (one read, one short write transaction) at most
CHUNK = 50_000


@dataclass
class _Chunk:
    """What one step writes: the summary rows a chunk adds, the first recharges it changes, and where the
    source's watermark moves (``clear``: forget everything first)."""

    source: str = ""
    started_from: tuple[int, str | None, str] | None = None
    upto: int = 0
    upto_key: str | None = None
    days: list[tuple[str, date, str, int, int, int]] = field(default_factory=list)
    firsts: list[tuple[str, datetime, int]] = field(default_factory=list)
    clear: bool = False


def _source_days(s: Session, src: DS.Source, lo: int | None, hi: int | None, tz: ZoneInfo,
                 memo: dict[int, date]) -> list[tuple[str, date, str, int, int, int]]:
    acc: dict[tuple[date, str], list[int]] = {}
    for slot, key, n, a, b in DS.slot_groups(s, src, lo, hi):
        row = acc.setdefault((DS.slot_day(slot, tz, memo), key), [0, 0, 0])
        row[0] += n
        row[1] += a
        row[2] += b
    return [(src.name, d, k, n, a, b) for (d, k), (n, a, b) in acc.items()]


def fixed_offset(tz: ZoneInfo, first: datetime, last: datetime) -> int | None:
    """The time zone's UTC offset in minutes if it is the same all through ``first`` .. ``last`` (checked
    every day, which no real change of offset falls between), else None."""
    offsets = set()
    at = first
    while True:
        off = at.astimezone(tz).utcoffset()
        offsets.add(None if off is None else int(off.total_seconds()) // 60)
        if len(offsets) > 1 or at >= last:
            break
        at = min(last, at + timedelta(days=1))
    only = offsets.pop()
    return only if not offsets else None


def _chunk_days(s: Session, src: DS.Source, lo: int, hi: int, tz: ZoneInfo, now: datetime,
                memo: dict[int, date]) -> list[tuple[str, date, str, int, int, int]]:
    """A chunk's per-day rows: cut at the zone's offset in the database when the zone kept one offset over the
    chunk's times (one row per day and key comes back; a zone that kept one offset over the last year is
    tried so), else by quarter hour."""
    if s.get_bind().dialect.name == "sqlite":
        now_offset = fixed_offset(tz, now - timedelta(days=400), now)
        if now_offset is not None:
            rows, first, last = DS.day_groups(s, src, lo, hi, now_offset)
            if first is None or last is None:
                return []
            if fixed_offset(tz, first, last) == now_offset:
                return [(src.name, d, k, n, a, b) for d, k, n, a, b in rows]
    return _source_days(s, src, lo, hi, tz, memo)


def _first_changes(s: Session, lo: int | None, hi: int | None, tz: ZoneInfo,
                   known: dict[str, tuple[datetime, int]] | None
                   ) -> tuple[list[tuple[str, datetime, int]], list[tuple[str, date, str, int, int, int]]]:
    """The members' first recharges after the recharges after ``lo`` up to ``hi`` (``known``: as summarised
    so far; None: read them), and what that adds to the new recharging members per day. A recharge is a
    first one when no recharge of its member (any store) is earlier; this store's own ones count."""
    new: dict[str, list[Any]] = {}
    for mid, at, local in DS.recharge_times(s, lo, hi):
        cur = new.get(mid)
        if cur is None or at < cur[0]:
            new[mid] = [at, int(local)]
        elif at == cur[0]:
            cur[1] += int(local)
    if known is None:
        known = DS.firsts_of(s, new)
    firsts: list[tuple[str, datetime, int]] = []
    delta: dict[date, int] = {}
    for mid, (at, n) in new.items():
        old = known.get(mid)
        if old is not None and at > old[0]:
            continue
        if old is not None and at == old[0]:
            n += old[1]
        if old is not None:
            d = old[0].astimezone(tz).date()
            delta[d] = delta.get(d, 0) - old[1]
        d = at.astimezone(tz).date()
        delta[d] = delta.get(d, 0) + n
        firsts.append((mid, at, n))
    return firsts, [(DS.NEW_MEMBERS, d, "", n, 0, 0) for d, n in delta.items() if n]


def _plan(s: Session, tz: ZoneInfo, now: datetime) -> list[_Chunk]:
    """The next chunks to summarise, one per source with new rows, at most :data:`CHUNK` rows in all (empty:
    everything is summarised; one chunk with ``clear``: summarise everything again)."""
    name = tz.key
    marks = DS.watermarks(s)
    for source, (upto, key, zone) in marks.items():
        if zone != name:
            return [_Chunk(clear=True)]
        if upto > 0:
            found = DS.first_key_at(s, upto) if source == DS.FIRSTS else DS.key_at(s, DS.BY_NAME[source], upto)
            if found != key:  # renumbered rows (a VACUUMed copy): summarise everything again
                return [_Chunk(clear=True)]
    memo: dict[int, date] = {}
    chunks: list[_Chunk] = []
    budget = CHUNK
    for source, table in [(src.name, src.table) for src in DS.SOURCES] + [(DS.FIRSTS, "recharge")]:
        lo = marks.get(source, (0, None, name))[0]
        top = DS.newest(s, table)
        if top < lo:  # rows gone from the end of an append-only table: summarise everything again
            return [_Chunk(clear=True)]
        if top == lo:
            continue
        hi = DS.last_at_most(s, table, min(top, lo + budget))
        chunk = _Chunk(source, marks.get(source), hi)
        if source == DS.FIRSTS:
            chunk.firsts, chunk.days = _first_changes(s, lo, hi, tz, None)
            chunk.upto_key = DS.first_key_at(s, hi)
        else:
            chunk.days = _chunk_days(s, DS.BY_NAME[source], lo, hi, tz, now, memo)
            chunk.upto_key = DS.key_at(s, DS.BY_NAME[source], hi)
        chunks.append(chunk)
        budget -= hi - lo
        if budget <= 0:
            break
    return chunks


def _rebuild(s: Session, tz: ZoneInfo) -> None:
    """Every summary summarised again from all rows (a database without insertion order: PostgreSQL)."""
    DS.clear(s)
    memo: dict[int, date] = {}
    for src in DS.SOURCES:
        DS.add_days(s, _source_days(s, src, None, None, tz, memo))
    firsts, news = _first_changes(s, None, None, tz, {})
    DS.set_firsts(s, firsts)
    DS.add_days(s, news)


@use_case("report.summarise", permission=None, event=None, audited=False,
          permission_note="derived figures only (the dashboard's per-day summaries), written for whoever reads "
                          "the campaign figures, which checks its own permission")
def step(ctx: ServiceContext) -> bool:
    """One chunk of new rows summarised in one short write transaction; whether there may be more (the
    dashboard runs the steps one by one on the database worker, so the counter's work goes between them)."""
    with ctx.uow(read_only=True) as uow:
        s = uow.session
        tz = settings(uow).tz
        incremental = DS.incremental(s)
        chunks = _plan(s, tz, ctx.now()) if incremental else [_Chunk(clear=True)]
    if not chunks:
        return False
    with ctx.uow() as uow:
        s = uow.session
        if chunks[0].clear:
            if incremental:
                DS.clear(s)
            else:
                _rebuild(s, tz)
            uow.commit()
            return incremental
        marks = DS.watermarks(s)
        if any(marks.get(c.source) != c.started_from for c in chunks):
            return True  # another reader summarised some of it meanwhile: plan again
        for c in chunks:
            DS.add_days(s, c.days)
            DS.set_firsts(s, c.firsts)
            DS.set_watermark(s, c.source, c.upto, c.upto_key, tz.key)
        uow.commit()
    return True


def bring_up_to_date(ctx: ServiceContext) -> int:
    """Summarise every row added since the last time; the number of write transactions it took."""
    steps = 0
    while step(ctx):
        steps += 1
    return steps
