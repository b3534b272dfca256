"""Head office's reports (issue 14): the campaign figures and the prepaid liability across all stores and per
store, computed only from the events central has recorded (and what it derived from them at ingest: the
wallet movements with the store that made them, the members with the store that registered them).

Periods are store-local days, both included. A store's time zone is the one its own events told central
(``store.initialised``, then ``settings.updated``); for a store whose events never said, the ``tz`` given
(default Asia/Shanghai). Each store's days are its own local days; the rows across stores add up, date by date,
each store's rows of that date.

- Campaign (:func:`campaign_report`): per day, the recharges (count, principal paid, bonus given), the new
  recharging members (members whose first recharge anywhere is that day, counted at the store that took it),
  the sales (count, 实际支付 ``sales_fen``: what was paid less the stored-value bonus part, and split by payment
  method; ``sales_total_fen`` rung up, split by payment method and by category as the store's daily sales are), the
  sale returns, the
  recharge refunds (principal paid back, bonus taken back), and the coupons issued, redeemed (with their
  discount) and voided. ``campaign``: only the recharges and sales made under that campaign code, the coupons
  they issued and redeemed, and the refunds and returns of those recharges and sales.
- Liability (:func:`liability_report`): per store, the stored value it took on: the opening balance (every
  wallet movement made at the store before the period), the movements of the period by kind (recharges,
  wallet spends, sale balance payments, recharge refunds, returns back to the balance, managers' adjustments) and
  the closing balance,
  principal and bonus apart, so opening + movements == closing to the fen; the total is their sum. Members
  registered at the store whose balance (from every store's movements) at the end of the period is above the
  store's named-card cap are listed, when central knows the cap (its events said how the store is set up).
  Points are not here: central does not keep the points ledger.

Results are plain JSON-ready dicts (money in integer fen), as the other head-office services return."""

from __future__ import annotations

import json
from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.orm import Session

from pos_app.central import db_repo as repo
from pos_app.central.db import CentralDatabase, Store
from pos_app.central.services_common import CentralError
from pos_app.domain.errors import DomainError
from pos_app.domain.periods import day_start, days, period
from pos_app.domain.wallet import DEFAULT_BALANCE_CAP_FEN

#: the zone of a store whose events never told central its own
DEFAULT_TZ = "Asia/Shanghai"
#: the wallet movement kinds always shown, in this order (as the store's liability report shows them)
WALLET_KINDS = ("recharge", "spend", repo.SALE_PAYMENT, "refund", repo.SALE_RETURN)
#: the dates a report may ask for (a zone's offset never takes them out of what a datetime holds)
FIRST_DAY, LAST_DAY = date(1971, 1, 1), date(9998, 12, 31)


# ----------------------------------------------------------------------------- input
def parse_day(value: Any, name: str) -> date:
    text = str(value or "").strip()
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise CentralError(400, "bad_input", f"{name} {text!r} is not a date (YYYY-MM-DD)") from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise CentralError(400, "bad_input", f"{name} {text} is outside {FIRST_DAY} .. {LAST_DAY}")
    return day


def parse_tz(value: Any) -> ZoneInfo:
    text = str(value or "").strip() or DEFAULT_TZ
    try:
        return ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise CentralError(400, "bad_input", f"unknown time zone {text!r} (e.g. Asia/Shanghai)") from None


def _window(from_day: date, to_day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    from pos_app import messages  # noqa: PLC0415

    try:
        return period(from_day, to_day, tz)
    except DomainError as err:
        raise CentralError(400, "bad_input", messages.tr_error(err, "en")) from None


def wire_time(at: datetime) -> str:
    """An instant as the protocol writes ``occurred_at`` (UTC, milliseconds): such texts sort as time does."""
    u = at.astimezone(UTC)
    return u.strftime("%Y-%m-%dT%H:%M:%S.") + f"{u.microsecond // 1000:03d}Z"


# ----------------------------------------------------------------------------- stores in scope
@dataclass(frozen=True)
class Scope:
    """One store of a report: its zone (and whether its events told central), its cap, its UTC window."""

    store_id: str
    code: str
    name: str
    tz: ZoneInfo
    tz_known: bool
    cap_fen: int | None
    start: str
    end: str


def _store_setup(s: Session, store_id: str) -> tuple[str | None, int | None]:
    """(time zone, named-card cap) as the store's own events last said; None for what they never said."""
    tz: str | None = None
    cap: int | None = None
    for kind, _at, payload_json in repo.store_events_of_types(s, store_id, ("store.initialised", "settings.updated")):
        try:
            payload = json.loads(payload_json)
        except ValueError:
            continue
        if not isinstance(payload, dict):
            continue
        if kind == "store.initialised":
            tz = payload.get("timezone") if isinstance(payload.get("timezone"), str) else tz
            cap = DEFAULT_BALANCE_CAP_FEN if cap is None else cap
            continue
        changes = payload.get("changes")
        if not isinstance(changes, dict):
            continue
        if isinstance(changes.get("timezone"), str):
            tz = changes["timezone"]
        if "balance_cap_fen" in changes:
            value = changes["balance_cap_fen"]
            cap = value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 \
                else DEFAULT_BALANCE_CAP_FEN
    return tz, cap


def _scopes(db: CentralDatabase, s: Session, from_day: date, to_day: date, store_ref: str | None,
            default_tz: ZoneInfo, only: Sequence[str] | None = None) -> list[Scope]:
    if store_ref is not None:
        from pos_app.central.services import find_store  # noqa: PLC0415

        stores: list[Store] = [find_store(db, store_ref)]
    else:
        stores = [st for st in repo.list_stores(s) if st.code and (only is None or st.code in only)]
    out = []
    for st in stores:
        tz_name, cap = _store_setup(s, st.id)
        tz = default_tz
        if tz_name is not None:
            try:
                tz = ZoneInfo(tz_name)
            except (ZoneInfoNotFoundError, ValueError, OSError):
                tz_name = None
        start, end = _window(from_day, to_day, tz)
        out.append(Scope(st.id, st.code or st.id, st.name, tz, tz_name is not None, cap, wire_time(start),
                         wire_time(end)))
    return out


def _scope_dict(sc: Scope) -> dict[str, Any]:
    return {"store_code": sc.code, "name": sc.name, "timezone": sc.tz.key, "timezone_known": sc.tz_known}


# ----------------------------------------------------------------------------- campaign figures
@dataclass
class Figures:
    """The campaign figures of one day (or of a period: the sum of its days)."""

    recharges: int = 0
    principal_fen: int = 0
    bonus_fen: int = 0
    new_recharging_members: int = 0
    sales_count: int = 0
    sales_fen: int = 0
    sales_total_fen: int = 0
    by_method_fen: dict[str, int] = field(default_factory=dict)
    by_category_fen: dict[str, int] = field(default_factory=dict)
    #: what was actually paid, by payment method (each payment less its stored-value bonus part): adds up to
    #: ``sales_fen``
    paid_by_method_fen: dict[str, int] = field(default_factory=dict)
    returns_count: int = 0
    returns_fen: int = 0
    refunds_count: int = 0
    refund_principal_fen: int = 0
    refund_bonus_fen: int = 0
    coupons_issued: int = 0
    coupons_redeemed: int = 0
    coupons_voided: int = 0
    discount_fen: int = 0

    def add(self, other: Figures) -> None:
        for f in fields(self):
            mine, theirs = getattr(self, f.name), getattr(other, f.name)
            if isinstance(mine, dict):
                for k, v in theirs.items():
                    mine[k] = mine.get(k, 0) + v
            else:
                setattr(self, f.name, mine + theirs)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            out[f.name] = dict(sorted(value.items())) if isinstance(value, dict) else value
        return out


#: the figures of a day, in the order the exports show them (``by_*`` maps are spread into columns)
FIGURES = tuple(f.name for f in fields(Figures))


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _list(value: Any) -> list[dict[str, Any]]:
    return [x for x in value if isinstance(x, dict)] if isinstance(value, list) else []


def _one_of(value: Any, ids: set[str]) -> bool:
    return isinstance(value, str) and value in ids


def _bump(by: dict[str, int], key: Any, amount: int) -> None:
    name = str(key) if key not in (None, "") else "?"
    by[name] = by.get(name, 0) + amount


@dataclass
class _Event:
    event_id: str
    type: str
    day: date
    payload: dict[str, Any]


#: the event types whose payload the campaign figures read; another event's payload only for its coupons
FIGURE_TYPES = frozenset({"wallet.recharged", "sale.completed", "sale.returned", "wallet.refunded", "coupon.redeemed",
                          "coupon.voided"})


def _events(s: Session, sc: Scope, day_list: Sequence[date]) -> list[_Event]:
    """The store's events of the period with the local day each falls on: the day whose start (as the protocol's
    UTC text, compared as the SQL window compares) is the last one not after the event's time."""
    starts = [wire_time(day_start(d, sc.tz)) for d in day_list]
    out = []
    for event_id, kind, at_text, payload_json in repo.store_events(s, sc.store_id, sc.start, sc.end):
        if kind not in FIGURE_TYPES and '"coupons' not in payload_json:
            continue  # nothing of the figures in it: not parsed
        try:
            payload = json.loads(payload_json)
        except ValueError:
            continue
        i = bisect_right(starts, at_text) - 1
        if i < 0 or not isinstance(payload, dict):
            continue
        out.append(_Event(event_id, kind, day_list[i], payload))
    return out


def _campaign_ids(s: Session, sc: Scope, campaign: str, since: str | None) -> tuple[set[str], set[str]]:
    """The ids of the store's recharges and sales made under ``campaign`` (from ``since``, else ever) before the
    period's end: the refunds and returns of the period that belong to the campaign are theirs."""
    recharges: set[str] = set()
    sales: set[str] = set()
    for kind, at, payload_json in repo.store_events_of_types(s, sc.store_id, ("wallet.recharged", "sale.completed"),
                                                             sc.end):
        if since is not None and at < since:
            continue
        try:
            payload = json.loads(payload_json)
        except ValueError:
            continue
        if not isinstance(payload, dict) or payload.get("campaign_code") != campaign:
            continue
        if kind == "wallet.recharged" and isinstance(payload.get("recharge_id"), str):
            recharges.add(payload["recharge_id"])
        elif kind == "sale.completed" and isinstance(payload.get("sale_id"), str):
            sales.add(payload["sale_id"])
    return recharges, sales


def _first_recharges(s: Session, evs: Sequence[_Event], end: str) -> dict[str, str]:
    """member id -> the event id of the member's first recharge anywhere (for the members recharging here)."""
    members = [str(e.payload.get("member_id")) for e in evs if e.type == "wallet.recharged"
               and isinstance(e.payload.get("member_id"), str)]
    first: dict[str, tuple[str, str]] = {}
    for member_id, at, event_id in repo.recharge_times(s, members, end):
        known = first.get(member_id)
        if known is None or (at, event_id) < known:
            first[member_id] = (at, event_id)
    return {m: e for m, (_at, e) in first.items()}


def _store_figures(s: Session, sc: Scope, day_list: Sequence[date], campaign: str | None,
                   campaign_since: str | None) -> dict[date, Figures]:
    rows = {d: Figures() for d in day_list}
    evs = _events(s, sc, day_list)
    first = _first_recharges(s, evs, sc.end)
    ids = _campaign_ids(s, sc, campaign, campaign_since) if campaign is not None else None
    for e in evs:
        row = rows.get(e.day)
        if row is None:
            continue
        p = e.payload
        if e.type == "wallet.recharged":
            if campaign is not None and p.get("campaign_code") != campaign:
                continue
            row.recharges += 1
            row.principal_fen += _int(p.get("amount_fen"))
            row.bonus_fen += _int(p.get("bonus_fen"))
            if first.get(str(p.get("member_id"))) == e.event_id:
                row.new_recharging_members += 1
        elif e.type == "sale.completed":
            if campaign is not None and p.get("campaign_code") != campaign:
                continue
            row.sales_count += 1
            row.sales_fen += _int(p.get("paid_fen"))
            row.sales_total_fen += _int(p.get("total_fen"))
            for pay in _list(p.get("payments")):
                _bump(row.by_method_fen, pay.get("method"), _int(pay.get("amount_fen")))
                _bump(row.paid_by_method_fen, pay.get("method"), _int(pay.get("amount_fen")) - _int(pay.get("bonus_fen")))
            for line in _list(p.get("lines")):
                _bump(row.by_category_fen, line.get("category"), _int(line.get("amount_fen")))
            used = _list(p.get("coupons_redeemed"))
            row.coupons_redeemed += len(used)
            row.discount_fen += sum(_int(u.get("discount_fen")) for u in used)
        elif e.type == "sale.returned":
            if ids is not None and not _one_of(p.get("sale_id"), ids[1]):
                continue
            row.returns_count += 1
            row.returns_fen += _int(p.get("amount_fen"))
        elif e.type == "wallet.refunded":
            if ids is not None and not _one_of(p.get("recharge_id"), ids[0]):
                continue
            row.refunds_count += 1
            row.refund_principal_fen += _int(p.get("principal_refund_fen"))
            row.refund_bonus_fen += _int(p.get("bonus_revoke_fen"))
        elif campaign is not None:
            continue  # a coupon redeemed or voided on its own, a hand issue...: no campaign of its own
        elif e.type == "coupon.redeemed":
            row.coupons_redeemed += 1
            row.discount_fen += _int(p.get("discount_fen"))
        elif e.type == "coupon.voided":
            row.coupons_voided += 1
        row.coupons_issued += len(_list(p.get("coupons")))
        row.coupons_voided += len(_list(p.get("coupons_voided")))
    return rows


def _day_rows(rows: Mapping[date, Figures]) -> list[dict[str, Any]]:
    return [{"date": d.isoformat(), **f.as_dict()} for d, f in sorted(rows.items())]


def _total(rows: Iterable[Figures]) -> Figures:
    out = Figures()
    for r in rows:
        out.add(r)
    return out


def _campaign_window(db: CentralDatabase, s: Session, code: str) -> tuple[date | None, date | None, list[str] | None]:
    """(starts on, ends on, store codes or None for all) of a campaign head office published; Nones when
    central does not know it (a store's own campaign: its events still carry its code)."""
    row = repo.get_campaign(s, code)
    if row is None:
        return None, None, None
    try:
        rules = json.loads(row.rules_json)
    except ValueError:
        rules = {}
    head = rules.get("campaign") if isinstance(rules, dict) else None
    head = head if isinstance(head, dict) else {}

    def day(value: Any) -> date | None:
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            return None

    stores = json.loads(row.stores_json) if row.stores_json else None
    return day(head.get("starts_on")), day(head.get("ends_on")), stores if isinstance(stores, list) else None


def _check_campaign(value: Any) -> str | None:
    if value is None or value == "":
        return None
    text = str(value).strip()
    if not text or len(text) > 64:
        raise CentralError(400, "bad_input", "campaign: a campaign code of 1 to 64 characters")
    return text


def campaign_report(db: CentralDatabase, *, from_day: Any = None, to_day: Any = None, store: str | None = None,
                    campaign: str | None = None, tz: Any = None) -> dict[str, Any]:
    """The campaign figures as daily rows, per store and across the stores (see the module's text).
    ``from_day``/``to_day`` (dates or ``YYYY-MM-DD``) may be left out when ``campaign`` is one head office
    published: its window is taken."""
    code = _check_campaign(campaign)
    default_tz = parse_tz(tz)
    with db.read_session() as s:
        starts, ends, only = _campaign_window(db, s, code) if code else (None, None, None)
        if from_day in (None, "") and starts is None:
            raise CentralError(400, "bad_input", "from is required (YYYY-MM-DD) unless the campaign is one head "
                                                 "office published")
        if to_day in (None, "") and ends is None:
            raise CentralError(400, "bad_input", "to is required (YYYY-MM-DD) unless the campaign is one head "
                                                 "office published")
        first = starts if from_day in (None, "") else parse_day(from_day, "from")
        last = ends if to_day in (None, "") else parse_day(to_day, "to")
        assert first is not None and last is not None
        _window(first, last, default_tz)  # a bad period is refused even when no store is in scope
        scopes = _scopes(db, s, first, last, store, default_tz, only)
        day_list = days(first, last)
        per_store = []
        across: dict[date, Figures] = {d: Figures() for d in day_list}
        for sc in scopes:
            since = wire_time(day_start(starts, sc.tz)) if code is not None and starts is not None else None
            rows = _store_figures(s, sc, day_list, code, since)
            for d, f in rows.items():
                across[d].add(f)
            per_store.append({**_scope_dict(sc), "days": _day_rows(rows), "totals": _total(rows.values()).as_dict()})
    return {"from": first.isoformat(), "to": last.isoformat(), "store": scopes[0].code if store else None,
            "campaign": code, "stores": per_store, "days": _day_rows(across),
            "totals": _total(across.values()).as_dict()}


# ----------------------------------------------------------------------------- prepaid liability
def _movements(found: Mapping[str, tuple[int, int, int]]) -> list[dict[str, Any]]:
    kinds = list(WALLET_KINDS) + sorted(k for k in found if k not in WALLET_KINDS)
    return [{"kind": k, "count": found.get(k, (0, 0, 0))[0], "principal_fen": found.get(k, (0, 0, 0))[1],
             "bonus_fen": found.get(k, (0, 0, 0))[2]} for k in kinds]


def _balanced(opening: Mapping[str, int], moves: Sequence[Mapping[str, Any]], closing: Mapping[str, int]) -> bool:
    return all(opening[f] + sum(int(m[f]) for m in moves) == closing[f] for f in ("principal_fen", "bonus_fen"))


@dataclass
class _Holders:
    """Members' balances at one instant (every store's movements before it), by the store that registered them:
    how many hold a balance, and who is above a threshold."""

    counts: dict[str, int]
    above: list[tuple[str, str | None, str | None, str | None, int, int]]


def _holders(s: Session, scopes: Sequence[Scope]) -> dict[str, _Holders]:
    """end -> the members' balances then (one pass over the movements per distinct end of the stores' periods)."""
    out: dict[str, _Holders] = {}
    for end in sorted({sc.end for sc in scopes}):
        caps = [sc.cap_fen for sc in scopes if sc.end == end and sc.cap_fen]
        above = repo.members_above(s, end, min(caps)) if caps else []
        out[end] = _Holders(repo.members_holding(s, end), above)
    return out


def _store_liability(s: Session, sc: Scope, holders: _Holders) -> dict[str, Any]:
    op_p, op_b = repo.wallet_sums_before(s, sc.code, sc.start)
    cl_p, cl_b = repo.wallet_sums_before(s, sc.code, sc.end)
    found = {k: (n, p, b) for k, n, p, b in repo.wallet_movements_between(s, sc.code, sc.start, sc.end)}
    moves = _movements(found)
    opening = {"principal_fen": op_p, "bonus_fen": op_b}
    closing = {"principal_fen": cl_p, "bonus_fen": cl_b}
    over = []
    if sc.cap_fen:
        over = [{"member_id": i, "phone": ph, "name": nm, "store_code": sc.code, "principal_fen": p, "bonus_fen": b,
                 "balance_fen": p + b} for i, ph, nm, home, p, b in holders.above
                if home == sc.code and p + b > sc.cap_fen]
    return {**_scope_dict(sc), "opening": opening, "movements": moves, "closing": closing,
            "balanced": _balanced(opening, moves, closing), "cap_fen": sc.cap_fen, "over_cap": over,
            "members_with_balance": holders.counts.get(sc.code, 0)}


def liability_report(db: CentralDatabase, *, from_day: Any, to_day: Any, store: str | None = None,
                     tz: Any = None) -> dict[str, Any]:
    """The prepaid liability per store and in total (see the module's text)."""
    first, last = parse_day(from_day, "from"), parse_day(to_day, "to")
    default_tz = parse_tz(tz)
    _window(first, last, default_tz)  # a bad period is refused even when no store is in scope
    with db.read_session() as s:
        scopes = _scopes(db, s, first, last, store, default_tz)
        holders = _holders(s, scopes)
        per_store = [_store_liability(s, sc, holders[sc.end]) for sc in scopes]
    opening = {f: sum(x["opening"][f] for x in per_store) for f in ("principal_fen", "bonus_fen")}
    closing = {f: sum(x["closing"][f] for x in per_store) for f in ("principal_fen", "bonus_fen")}
    found: dict[str, tuple[int, int, int]] = {}
    for x in per_store:
        for m in x["movements"]:
            n, p, b = found.get(m["kind"], (0, 0, 0))
            found[m["kind"]] = (n + m["count"], p + m["principal_fen"], b + m["bonus_fen"])
    moves = _movements(found)
    over = sorted((o for x in per_store for o in x["over_cap"]), key=lambda o: (-o["balance_fen"], o["phone"] or ""))
    caps = {x["cap_fen"] for x in per_store}
    total = {"opening": opening, "movements": moves, "closing": closing, "balanced": _balanced(opening, moves, closing),
             "cap_fen": caps.pop() if len(caps) == 1 else None, "over_cap": over,
             "members_with_balance": sum(x["members_with_balance"] for x in per_store)}
    return {"from": first.isoformat(), "to": last.isoformat(), "store": per_store[0]["store_code"] if store else None,
            "stores": per_store, "total": total}


# ----------------------------------------------------------------------------- files
def export(report: dict[str, Any], kind: str, path: str | Path) -> Path:
    """``report`` (a campaign or liability report) written to ``path``: .xlsx or .csv (one table), or .pdf."""
    from pos_app.central import report_files  # noqa: PLC0415

    return report_files.write(report, kind, path)
