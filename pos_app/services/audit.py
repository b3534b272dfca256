"""The audit trail: its hash chain, the before/after figures of what a use case moved, the chain check
`pos-app doctor` runs, and the manager's read query and export.

Every audit row carries ``seq`` (gap-free, in insertion order), ``prev_hash`` (the previous row's
``hash``; :data:`GENESIS` for the first) and ``hash`` = sha256 over :func:`canonical` of its fields. The
``at`` field is hashed as the text SQLite stores (``YYYY-MM-DD HH:MM:SS.ffffff``, naive UTC), so any byte
changed in any hashed column changes the hash. The chain proves the rows were not changed, removed or
slipped in between; like every hash chain kept in the same file it cannot tell rows appended at the end
with correct hashes, or the newest rows cut off, from real ones (that needs the head hash kept elsewhere).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import or_, select

from pos_app import messages
from pos_app.db import models as m
from pos_app.db import repo
from pos_app.db.uow import UnitOfWork
from pos_app.domain.errors import InvalidInput
from pos_app.services.context import Actor, ServiceContext

GENESIS = "0" * 64

#: the hashed fields, in the order they are serialised (``hash`` itself is not among them)
FIELDS = ("seq", "id", "at", "staff_id", "approved_by", "action", "entity", "entity_id", "store_code",
          "device_id", "request_id", "details_json", "prev_hash")

#: cap of rows the screen/CLI reads at once
MAX_ROWS = 100_000

CHANGED, DELETED, INSERTED = "changed", "deleted", "inserted"


def at_text(value: datetime | str) -> str:
    """``at`` as it is stored on SQLite (naive UTC, microseconds); stored text is taken as it is."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value.isoformat(" ", "microseconds")
    return str(value)


def canonical(values: Sequence[Any]) -> bytes:
    """The bytes hashed for one row: its :data:`FIELDS` values as a compact JSON array."""
    vals = list(values)
    vals[2] = at_text(vals[2])
    return json.dumps(vals, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def row_hash(values: Sequence[Any]) -> str:
    return hashlib.sha256(canonical(values)).hexdigest()


# ----------------------------------------------------------------------------- before/after figures


def note_move(uow: UnitOfWork, what: str, key: str, before: int, after: int, **extra: Any) -> None:
    """Record that ``what`` (wallet | points | stock) of ``key`` (member id / SKU) went from ``before``
    to ``after`` in this transaction; the next audit row of the transaction carries it (the first
    before and the last after of each key)."""
    moves: dict[tuple[str, str], dict[str, Any]] = uow.cache.setdefault("audit_moves", {})
    entry = moves.get((what, key))
    if entry is None:
        moves[(what, key)] = {"what": what, "key": key, "before": before, "after": after, **extra}
    else:
        entry["after"] = after
        for k, v in extra.items():
            if k.endswith("_after"):
                entry[k] = v
            else:
                entry.setdefault(k, v)


def take_moves(uow: UnitOfWork) -> list[dict[str, Any]]:
    """The moves noted since the last audit row of this transaction (and forget them)."""
    moves: dict[tuple[str, str], dict[str, Any]] | None = uow.cache.pop("audit_moves", None)
    return list(moves.values()) if moves else []


# ----------------------------------------------------------------------------- the chain check


@dataclass(frozen=True)
class ChainProblem:
    kind: str  # changed | deleted | inserted
    seq: int | None
    row_id: str | None
    #: for ``deleted``: the first missing seq (``seq``/``row_id`` are the row found after the gap)
    missing_seq: int | None = None

    def message(self, lang: str | None = None) -> str:
        if self.kind == DELETED:
            return messages.translate("audit.chain_deleted", {"missing": self.missing_seq, "seq": self.seq,
                                                              "id": self.row_id}, lang)
        return messages.translate(f"audit.chain_{self.kind}", {"seq": self.seq, "id": self.row_id}, lang)


@dataclass(frozen=True)
class ChainReport:
    rows: int
    problem: ChainProblem | None
    head_hash: str

    @property
    def ok(self) -> bool:
        return self.problem is None


def check_rows(rows: Iterable[Sequence[Any]]) -> ChainReport:
    """Walk rows (the :data:`FIELDS` then ``hash``) in seq order; stop at the first problem."""
    expected_prev = GENESIS
    expected_seq = 1
    n = 0
    for row in rows:
        n += 1
        seq, row_id, prev_hash, stored = row[0], row[1], row[12], row[13]
        if not isinstance(seq, int) or seq < expected_seq - 1:
            return ChainReport(n, ChainProblem(CHANGED, seq if isinstance(seq, int) else None, row_id), expected_prev)
        if seq == expected_seq - 1:  # the same seq twice
            return ChainReport(n, ChainProblem(INSERTED, seq, row_id), expected_prev)
        if seq > expected_seq:
            return ChainReport(n, ChainProblem(DELETED, seq, row_id, expected_seq), expected_prev)
        if prev_hash != expected_prev:
            return ChainReport(n, ChainProblem(INSERTED, seq, row_id), expected_prev)
        if row_hash(row[:13]) != stored:
            return ChainReport(n, ChainProblem(CHANGED, seq, row_id), expected_prev)
        expected_prev = stored
        expected_seq = seq + 1
    return ChainReport(n, None, expected_prev)


def verify_chain(uow: UnitOfWork, batch: int = 10_000) -> ChainReport:
    """The chain check over every audit row, streamed in seq order."""
    return check_rows(repo.audit.chain_rows(uow.session, FIELDS, batch))


# ----------------------------------------------------------------------------- reading (managers)


@dataclass(frozen=True)
class AuditRowDTO:
    seq: int
    id: str
    at: datetime
    staff_code: str | None
    staff_name: str | None
    approved_by_code: str | None
    action: str
    entity: str
    entity_id: str
    store_code: str | None
    device_id: str | None
    request_id: str | None
    details: dict[str, Any]
    details_json: str


def _day_start(d: date, tz: Any) -> datetime:
    return datetime.combine(d, time(0), tzinfo=tz).astimezone(UTC)


def audit_rows(
    ctx: ServiceContext,
    actor: Actor,
    *,
    staff: str | None = None,
    action: str | None = None,
    since: date | None = None,
    until: date | None = None,
    phone: str | None = None,
    limit: int = 1000,
) -> list[AuditRowDTO]:
    """Audit rows, newest first. ``staff``: a staff code (who did it or approved it); ``action``: exact, or
    a prefix ending in ``.`` (``wallet.``); ``since``/``until``: store-local days, both included;
    ``phone``: rows about that member. Managers only."""
    from pos_app.services.common import require, settings  # noqa: PLC0415  (common imports this module)

    require(actor, "report.read")
    if not 1 <= limit <= MAX_ROWS:
        raise InvalidInput("audit.limit_invalid", limit=limit, max=MAX_ROWS)
    if since is not None and until is not None and since > until:
        raise InvalidInput("audit.range_invalid", since=since.isoformat(), until=until.isoformat())
    with ctx.uow(read_only=True) as uow:
        s = uow.session
        tz = settings(uow).tz
        a = m.AuditLog
        staff_by_id = {sid: (code, name) for sid, code, name in s.execute(select(m.Staff.id, m.Staff.code, m.Staff.name))}
        q = select(a)
        if staff:
            ids = [sid for sid, (code, _n) in staff_by_id.items() if code == staff.strip()]
            if not ids:
                return []
            q = q.where(or_(a.staff_id.in_(ids), a.approved_by.in_(ids)))
        if action:
            act = action.strip()
            q = q.where(a.action.startswith(act, autoescape=True) if act.endswith(".") else a.action == act)
        if since is not None:
            q = q.where(a.at >= _day_start(since, tz))
        if until is not None:
            q = q.where(a.at < _day_start(until + timedelta(days=1), tz))
        if phone:
            digits = "".join(ch for ch in phone if ch.isdigit())
            mid = s.scalar(select(m.Member.id).where(m.Member.phone == digits)) if digits else None
            if mid is None:
                return []
            q = q.where(or_(a.entity_id == mid, a.details_json.contains(mid, autoescape=True)))
        q = q.order_by(a.seq.desc()).limit(limit)
        out = []
        for r in s.scalars(q):
            code, name = staff_by_id.get(r.staff_id or "", (None, None))
            approver = staff_by_id.get(r.approved_by or "", (None, None))[0]
            try:
                details = json.loads(r.details_json or "{}")
            except ValueError:
                details = {}
            out.append(AuditRowDTO(
                seq=r.seq, id=r.id, at=r.at, staff_code=code, staff_name=name, approved_by_code=approver,
                action=r.action, entity=r.entity, entity_id=r.entity_id, store_code=r.store_code,
                device_id=r.device_id, request_id=r.request_id,
                details=details if isinstance(details, dict) else {"value": details}, details_json=r.details_json,
            ))
        return out


def moves_text(details: dict[str, Any], lang: str | None = None) -> str:
    """The before -> after figures of a row, one per moved thing ("余额 13800138000: ¥0.00 -> ¥100.00")."""
    from pos_app.domain.money import format_fen  # noqa: PLC0415

    parts = []
    for mv in details.get("moves", []) or []:
        if not isinstance(mv, dict):
            continue
        what, before, after = mv.get("what"), mv.get("before"), mv.get("after")
        if what == "wallet" and isinstance(before, int) and isinstance(after, int):
            before, after = format_fen(before), format_fen(after)
        label = messages.translate(f"audit.move.{what}", None, lang) if what in ("wallet", "points", "stock") else what
        parts.append(f"{label} {mv.get('phone') or mv.get('key')}: {before} -> {after}")
    return "; ".join(parts)


EXPORT_HEADERS = ("audit.col.seq", "audit.col.at", "audit.col.staff", "audit.col.approved_by", "audit.col.action",
                  "audit.col.entity", "audit.col.entity_id", "audit.col.store", "audit.col.device",
                  "audit.col.request", "audit.col.moves", "audit.col.details")


def export_rows(path: str | Path, rows: Sequence[AuditRowDTO], tz: Any = None) -> Path:
    """Write audit rows to ``path`` (.csv or .xlsx); times in ``tz`` (the store's zone), else UTC."""
    from pos_app.services.exports import write_table  # noqa: PLC0415

    zone = tz or UTC
    table = [
        [r.seq, r.at.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S"), r.staff_code, r.approved_by_code, r.action,
         r.entity, r.entity_id, r.store_code, r.device_id, r.request_id, moves_text(r.details), r.details_json]
        for r in rows
    ]
    return write_table(path, [messages.translate(h) for h in EXPORT_HEADERS], table, title="audit")


def export_audit(ctx: ServiceContext, actor: Actor, path: str | Path, **filters: Any) -> Path:
    """:func:`audit_rows` with ``filters`` written to ``path`` (managers only)."""
    from pos_app.services.common import settings  # noqa: PLC0415
    from pos_app.services.exports import export_format  # noqa: PLC0415

    export_format(path)
    filters.setdefault("limit", MAX_ROWS)
    rows = audit_rows(ctx, actor, **filters)
    with ctx.uow(read_only=True) as uow:
        tz = settings(uow).tz
    return export_rows(path, rows, tz)
