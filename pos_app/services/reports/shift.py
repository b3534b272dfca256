"""A cashier's shift (交班): opened with the float in the till, closed with the cash the cashier counted.

While a shift is open its figures are what the cashier did since it opened: per payment method, the
count and amount of recharges taken, sales rung up, recharge refunds and sale returns paid back. The cash
expected in the till is the opening float + cash in (recharges, sales) - cash out (refunds, returns);
the cashier enters the counted cash at the close and the difference (counted - expected) is recorded.
A closed shift is never changed: its figures are frozen in the row at the close (a second close, or any
other change, is refused). A cashier's next shift opens with its own float; by default a shift must be
closed before the same cashier opens the next (store setting ``shift_close_required``; when false, the
open shift is closed uncounted by the next open)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from pos_app import messages
from pos_app.db import models_reports as mr
from pos_app.db import repo
from pos_app.db.uow import UnitOfWork
from pos_app.domain.errors import InvalidInput, NotFound, PermissionDenied, StateError
from pos_app.domain.roles import MANAGER
from pos_app.services.common import audit, check_request_id, emit, remember, replayed, require, settings
from pos_app.services.context import Actor, ServiceContext
from pos_app.services.dto import Result
from pos_app.services.reports import period
from pos_app.services.usecase import use_case

OPEN, CLOSED = "open", "closed"
#: the sections of a shift report, in order
RECHARGES, SALES, REFUNDS, RETURNS = "recharges", "sales", "refunds", "returns"
SECTIONS = (RECHARGES, SALES, REFUNDS, RETURNS)
#: money into the till (+) or out of it (-), per section
CASH_SIGN = {RECHARGES: 1, SALES: 1, REFUNDS: -1, RETURNS: -1}
CASH = "cash"
#: the most a float or a count may be (fen): one million yuan
MAX_TILL_FEN = 100_000_000

SECTION_LABELS = {
    RECHARGES: "report.shift.recharges",
    SALES: "report.shift.sales",
    REFUNDS: "report.shift.refunds",
    RETURNS: "report.shift.returns",
}
METHOD_LABELS = {
    "balance": "checkout.method.balance",
    "cash": "checkout.method.cash",
    "wechat": "checkout.method.wechat",
    "alipay": "checkout.method.alipay",
    "card": "checkout.method.card",
    "other": "checkout.method.other",
}


@dataclass(frozen=True)
class MethodRow:
    method: str
    count: int
    amount_fen: int


@dataclass(frozen=True)
class ShiftSection:
    kind: str
    rows: tuple[MethodRow, ...]

    @property
    def count(self) -> int:
        return sum(r.count for r in self.rows)

    @property
    def amount_fen(self) -> int:
        return sum(r.amount_fen for r in self.rows)

    def cash_fen(self) -> int:
        return sum(r.amount_fen for r in self.rows if r.method == CASH)


@dataclass(frozen=True)
class ShiftReport(Result):
    shift_id: str
    staff_id: str
    staff_code: str
    staff_name: str
    state: str
    opened_at: datetime
    closed_at: datetime | None
    float_fen: int
    sections: tuple[ShiftSection, ...]
    cash_in_fen: int
    cash_out_fen: int
    #: opening float + cash in - cash out (at the close for a closed shift, now for an open one)
    expected_fen: int
    counted_fen: int | None
    difference_fen: int | None

    def section(self, kind: str) -> ShiftSection:
        return next(s for s in self.sections if s.kind == kind)


def _check_till(amount_fen: Any, field: str) -> int:
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int) or not 0 <= amount_fen <= MAX_TILL_FEN:
        raise InvalidInput("money.invalid", value=str(amount_fen), field=field)
    return amount_fen


def _close_required(raw: dict[str, Any]) -> bool:
    value = raw.get("shift_close_required", True)
    return value if isinstance(value, bool) else True


def _sections(uow: UnitOfWork, staff_id: str, start: datetime, end: datetime) -> tuple[ShiftSection, ...]:
    s = uow.session
    found = {
        RECHARGES: repo.reports.shift_recharges(s, staff_id, start, end),
        SALES: repo.reports.shift_sales(s, staff_id, start, end),
        REFUNDS: repo.reports.shift_refunds(s, staff_id, start, end),
        RETURNS: repo.reports.shift_returns(s, staff_id, start, end),
    }
    return tuple(ShiftSection(k, tuple(MethodRow(*row) for row in sorted(found[k]))) for k in SECTIONS)


def _cash(sections: tuple[ShiftSection, ...]) -> tuple[int, int]:
    cash_in = sum(sec.cash_fen() for sec in sections if CASH_SIGN[sec.kind] > 0)
    cash_out = sum(sec.cash_fen() for sec in sections if CASH_SIGN[sec.kind] < 0)
    return cash_in, cash_out


def _figures_json(sections: tuple[ShiftSection, ...]) -> str:
    return json.dumps({sec.kind: [[r.method, r.count, r.amount_fen] for r in sec.rows] for sec in sections},
                      sort_keys=True)


def _frozen(text: str) -> tuple[ShiftSection, ...]:
    data = json.loads(text)
    return tuple(ShiftSection(k, tuple(MethodRow(str(m), int(n), int(a)) for m, n, a in data.get(k, [])))
                 for k in SECTIONS)


def _report(uow: UnitOfWork, ctx: ServiceContext, row: mr.Shift) -> ShiftReport:
    names = repo.reports.staff_names(uow.session)
    code, name = names.get(row.staff_id, ("", ""))
    if row.state == CLOSED and row.figures_json is not None:
        sections = _frozen(row.figures_json)
    else:
        sections = _sections(uow, row.staff_id, row.opened_at, row.closed_at or ctx.now())
    cash_in, cash_out = _cash(sections)
    expected = row.float_fen + cash_in - cash_out
    if row.state == CLOSED and row.expected_fen is not None:
        expected = row.expected_fen
    return ShiftReport(
        shift_id=row.id, staff_id=row.staff_id, staff_code=code, staff_name=name, state=row.state,
        opened_at=row.opened_at, closed_at=row.closed_at, float_fen=row.float_fen, sections=sections,
        cash_in_fen=cash_in, cash_out_fen=cash_out, expected_fen=expected, counted_fen=row.counted_fen,
        difference_fen=row.difference_fen,
    )


def _payload(rep: ShiftReport, request_id: str) -> dict[str, Any]:
    return {
        "shift_id": rep.shift_id, "request_id": request_id, "staff_id": rep.staff_id, "staff": rep.staff_code,
        "opened_at": rep.opened_at.isoformat(), "closed_at": rep.closed_at.isoformat() if rep.closed_at else None,
        "float_fen": rep.float_fen, "cash_in_fen": rep.cash_in_fen, "cash_out_fen": rep.cash_out_fen,
        "expected_fen": rep.expected_fen, "counted_fen": rep.counted_fen, "difference_fen": rep.difference_fen,
        "figures": {s.kind: [[r.method, r.count, r.amount_fen] for r in s.rows] for s in rep.sections},
    }


def _close_row(uow: UnitOfWork, ctx: ServiceContext, row: mr.Shift, counted_fen: int | None) -> None:
    now = ctx.now()
    sections = _sections(uow, row.staff_id, row.opened_at, now)
    cash_in, cash_out = _cash(sections)
    row.state = CLOSED
    row.closed_at = now
    row.expected_fen = row.float_fen + cash_in - cash_out
    row.counted_fen = counted_fen
    row.difference_fen = None if counted_fen is None else counted_fen - row.expected_fen
    row.figures_json = _figures_json(sections)


@use_case("shift.open", permission="shift.operate", event="shift.opened", idempotent=True)
def open_shift(ctx: ServiceContext, actor: Actor, *, float_fen: int, request_id: str | None = None) -> ShiftReport:
    """Open the actor's shift with ``float_fen`` in the till. Refused while the actor's last shift is open
    (store setting ``shift_close_required``, default true; when false that shift is closed uncounted)."""
    _check_till(float_fen, "float")
    request_id = check_request_id(request_id, ctx)
    with ctx.uow() as uow:
        s = uow.session
        params = {"staff_id": actor.staff_id, "float_fen": float_fen}
        done = replayed(uow, request_id, "shift.open", params)
        if done:
            first = repo.reports.shift(s, done)
            assert first is not None
            return _report(uow, ctx, first)
        still = repo.reports.latest_shift(s, actor.staff_id, state=OPEN)
        closed_before = None
        if still is not None:
            if _close_required(settings(uow).raw):
                raise StateError("shift.still_open", opened=still.opened_at.astimezone(settings(uow).tz)
                                 .strftime("%Y-%m-%d %H:%M"))
            _close_row(uow, ctx, still, None)
            closed_before = still.id
        shift_id = ctx.new_id()
        repo.reports.add_shift(s, dict(id=shift_id, staff_id=actor.staff_id, state=OPEN, opened_at=ctx.now(),
                                       float_fen=float_fen))
        remember(uow, ctx, request_id, "shift.open", shift_id, params)
        audit(uow, ctx, actor, "shift.open", "shift", shift_id, float_fen=float_fen, closed_before=closed_before)
        row = repo.reports.shift(s, shift_id)
        assert row is not None
        rep = _report(uow, ctx, row)
        emit(uow, ctx, "shift.opened", {**_payload(rep, request_id), "closed_uncounted": closed_before})
        uow.commit()
        return rep


@use_case("shift.close", permission="shift.operate", event="shift.closed", idempotent=True)
def close_shift(ctx: ServiceContext, actor: Actor, *, counted_fen: int, request_id: str | None = None) -> ShiftReport:
    """Close the actor's open shift with the cash counted in the till; records expected and difference.
    Refused when the actor has no open shift (a closed shift is never changed)."""
    _check_till(counted_fen, "counted")
    request_id = check_request_id(request_id, ctx)
    with ctx.uow() as uow:
        s = uow.session
        params = {"staff_id": actor.staff_id, "counted_fen": counted_fen}
        done = replayed(uow, request_id, "shift.close", params)
        if done:
            first = repo.reports.shift(s, done)
            assert first is not None
            return _report(uow, ctx, first)
        row = repo.reports.latest_shift(s, actor.staff_id)
        if row is None or row.state != OPEN:
            raise StateError("shift.none_open" if row is None else "shift.already_closed")
        _close_row(uow, ctx, row, counted_fen)
        remember(uow, ctx, request_id, "shift.close", row.id, params)
        audit(uow, ctx, actor, "shift.close", "shift", row.id, float_fen=row.float_fen, counted_fen=counted_fen,
              expected_fen=row.expected_fen, difference_fen=row.difference_fen)
        rep = _report(uow, ctx, row)
        emit(uow, ctx, "shift.closed", _payload(rep, request_id))
        uow.commit()
        return rep


# ----------------------------------------------------------------------------- reading


def _whose(uow: UnitOfWork, actor: Actor, staff_code: str | None) -> str:
    """The staff id whose shifts are asked for: the actor's own, or (managers) another's by code."""
    if staff_code is None or staff_code.strip() in ("", actor.code):
        return actor.staff_id
    if actor.role != MANAGER:
        raise PermissionDenied("error.permission_denied", action="report.read", role=actor.role)
    found = repo.reports.staff_by_code(uow.session, staff_code.strip())
    if found is None:
        raise NotFound("staff.unknown", code=staff_code.strip())
    return found[0]


def current_shift(ctx: ServiceContext, actor: Actor, *, staff_code: str | None = None) -> ShiftReport | None:
    """The newest shift of the actor (or, for a manager, of ``staff_code``) with its figures so far; None
    when there has been none."""
    require(actor, "shift.operate")
    with ctx.uow(read_only=True) as uow:
        row = repo.reports.latest_shift(uow.session, _whose(uow, actor, staff_code))
        return None if row is None else _report(uow, ctx, row)


def get_shift(ctx: ServiceContext, actor: Actor, shift_id: str) -> ShiftReport:
    """One shift by id (a cashier sees only their own)."""
    require(actor, "shift.operate")
    with ctx.uow(read_only=True) as uow:
        row = repo.reports.shift(uow.session, shift_id)
        if row is None or (row.staff_id != actor.staff_id and actor.role != MANAGER):
            raise NotFound("shift.not_found", shift=shift_id)
        return _report(uow, ctx, row)


def shifts(ctx: ServiceContext, actor: Actor, *, from_day: date, to_day: date,
           staff_code: str | None = None) -> list[ShiftReport]:
    """The shifts opened on the store-local days ``from_day`` .. ``to_day`` (managers: every cashier's,
    or one's by ``staff_code``), oldest first."""
    require(actor, "report.read")
    with ctx.uow(read_only=True) as uow:
        start, end = period(from_day, to_day, settings(uow).tz)
        staff_id = None if staff_code is None else _whose(uow, actor, staff_code)
        return [_report(uow, ctx, row) for row in repo.reports.shifts(uow.session, start, end, staff_id)]


def previous_float(ctx: ServiceContext, actor: Actor) -> int | None:
    """What the actor's last closed shift counted in the till (a suggestion for the next float)."""
    require(actor, "shift.operate")
    with ctx.uow(read_only=True) as uow:
        row = repo.reports.latest_shift(uow.session, actor.staff_id, state=CLOSED)
        return None if row is None else row.counted_fen


# ----------------------------------------------------------------------------- text


def section_label(kind: str) -> str:
    return messages.translate(SECTION_LABELS[kind])


def method_label(method: str) -> str:
    key = METHOD_LABELS.get(method)
    return messages.translate(key) if key else method


def local_text(at: datetime | None, tz: str | ZoneInfo) -> str:
    if at is None:
        return ""
    zone = tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz)
    return at.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def json_dict(rep: ShiftReport) -> dict[str, Any]:
    """The shift as the CLI's --json prints it (money as integer ``*_fen``)."""
    return {
        "shift_id": rep.shift_id, "staff": rep.staff_code, "staff_name": rep.staff_name, "state": rep.state,
        "opened_at": rep.opened_at.isoformat(), "closed_at": rep.closed_at.isoformat() if rep.closed_at else None,
        "float_fen": rep.float_fen, "cash_in_fen": rep.cash_in_fen, "cash_out_fen": rep.cash_out_fen,
        "expected_fen": rep.expected_fen, "counted_fen": rep.counted_fen, "difference_fen": rep.difference_fen,
        **{sec.kind: {"count": sec.count, "amount_fen": sec.amount_fen,
                      "by_method": {r.method: {"count": r.count, "amount_fen": r.amount_fen} for r in sec.rows}}
           for sec in rep.sections},
    }
