"""The prepaid liability report (单用途商业预付卡管理办法): for a period of store-local days, what the store
owes its members in stored value, principal (本金, owed back on refund) and bonus (赠送金, marketing cost)
apart, and the points outstanding (with their value when the store sets ``point_value_fen``).

The opening balance is every wallet ledger row before the period, the closing one every row before its
end, and between them every row of the period by movement kind (recharges, wallet spends, sale balance
payments, refunds, sale returns back to the balance, managers' adjustments, and any other kind the ledger holds), so opening +
movements == closing to the fen. Points the same way: lots earned (by source) and what left them
(spent, expired, revoked). Members whose wallet at the end of the period is above the named-card cap
(the store's ``balance_cap_fen``) are listed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from pos_app import messages
from pos_app.db import repo
from pos_app.domain.textparams import Money
from pos_app.services.common import require, settings
from pos_app.services.context import Actor, ServiceContext
from pos_app.services.dto import Result
from pos_app.services.reports import period

#: the wallet movement kinds always shown, in this order (others the ledger holds follow, by name)
WALLET_KINDS = ("recharge", "spend", repo.reports.SALE_PAYMENT, "refund", "sale_return")
#: what leaves points lots, in this order (``earn``: a correction row written before migration 0007)
POINTS_OUT = ("spend", "expire", "revoke", "earn")

#: movement kind -> message id of its label
LABELS = {
    "recharge": "report.kind.recharge",
    "spend": "report.kind.spend",
    "sale_payment": "report.kind.sale_payment",
    "refund": "report.kind.refund",
    "sale_return": "report.kind.sale_return",
    "adjust": "report.kind.adjust",
    "points.spend": "report.points.spend",
    "points.expire": "report.points.expire",
    "points.revoke": "report.points.revoke",
    "points.release": "report.points.release",
    "points.earn": "report.points.earn_fix",
}


@dataclass(frozen=True)
class WalletMovement:
    kind: str
    count: int
    principal_fen: int
    bonus_fen: int

    @property
    def total_fen(self) -> int:
        return self.principal_fen + self.bonus_fen


@dataclass(frozen=True)
class PointsMovement:
    #: ``earn.<source>`` (a lot earned: recharge, sale, checkin...) or what left lots (``spend``...)
    kind: str
    count: int
    points: int


@dataclass(frozen=True)
class OverCap:
    member_id: str
    phone: str
    name: str | None
    principal_fen: int
    bonus_fen: int

    @property
    def balance_fen(self) -> int:
        return self.principal_fen + self.bonus_fen


@dataclass(frozen=True)
class LiabilityReport(Result):
    from_day: date
    to_day: date
    opening_principal_fen: int
    opening_bonus_fen: int
    movements: tuple[WalletMovement, ...]
    closing_principal_fen: int
    closing_bonus_fen: int
    points_opening: int
    points_movements: tuple[PointsMovement, ...]
    points_closing: int
    #: the value of one point in fen (store setting ``point_value_fen``); None: not configured
    point_value_fen: int | None
    #: the named-card cap (0: none) and the members above it at the end of the period
    cap_fen: int
    over_cap: tuple[OverCap, ...]
    members_with_balance: int

    @property
    def outstanding_principal_fen(self) -> int:
        return self.closing_principal_fen

    @property
    def outstanding_bonus_fen(self) -> int:
        return self.closing_bonus_fen

    @property
    def points_value_fen(self) -> int | None:
        return None if self.point_value_fen is None else self.points_closing * self.point_value_fen

    @property
    def balanced(self) -> bool:
        """opening + movements == closing, principal, bonus and points apart."""
        return (self.opening_principal_fen + sum(m.principal_fen for m in self.movements) == self.closing_principal_fen
                and self.opening_bonus_fen + sum(m.bonus_fen for m in self.movements) == self.closing_bonus_fen
                and self.points_opening + sum(m.points for m in self.points_movements) == self.points_closing)


def _point_value(raw: dict[str, Any]) -> int | None:
    value = raw.get("point_value_fen")
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return None
    return value


def liability(ctx: ServiceContext, actor: Actor, *, from_day: date, to_day: date) -> LiabilityReport:
    """The prepaid liability for the store-local days ``from_day`` .. ``to_day`` (managers)."""
    require(actor, "report.read")
    with ctx.uow(read_only=True) as uow:
        s = uow.session
        st = settings(uow)
        start, end = period(from_day, to_day, st.tz)
        op_p, op_b = repo.reports.wallet_totals_before(s, start)
        cl_p, cl_b = repo.reports.wallet_totals_before(s, end)
        found = {k: (n, p, b) for k, n, p, b in repo.reports.wallet_movements(s, start, end)}
        kinds = list(WALLET_KINDS) + sorted(k for k in found if k not in WALLET_KINDS)
        moves = tuple(WalletMovement(k, *found.get(k, (0, 0, 0))) for k in kinds)
        pts_open = repo.reports.points_total_before(s, start)
        pts_close = repo.reports.points_total_before(s, end)
        earned = sorted(repo.reports.points_earned(s, start, end))
        out = {k: (n, p) for k, n, p in repo.reports.points_moved(s, start, end)}
        pkinds = [k for k in POINTS_OUT if k != "earn" or k in out] + sorted(k for k in out if k not in POINTS_OUT)
        pmoves = tuple([PointsMovement(f"earn.{src}", n, p) for src, n, p in earned]
                       + [PointsMovement(k, *out.get(k, (0, 0))) for k in pkinds])
        cap = st.balance_cap_fen
        over = tuple(OverCap(*row) for row in repo.reports.balances_at(s, end, cap)) if cap > 0 else ()
        holders = repo.reports.members_with_balance_at(s, end)
    return LiabilityReport(
        from_day=from_day, to_day=to_day, opening_principal_fen=op_p, opening_bonus_fen=op_b, movements=moves,
        closing_principal_fen=cl_p, closing_bonus_fen=cl_b, points_opening=pts_open, points_movements=pmoves,
        points_closing=pts_close, point_value_fen=_point_value(st.raw), cap_fen=cap, over_cap=over,
        members_with_balance=holders,
    )


# ----------------------------------------------------------------------------- as a table


def kind_label(kind: str) -> str:
    if kind.startswith("earn."):
        source = kind.split(".", 1)[1]
        return messages.translate("report.points.earned", {"source": _source(source)})
    key = LABELS.get(kind) or LABELS.get(f"points.{kind}")
    return messages.translate(key) if key else kind


def _source(source: str) -> str:
    key = f"points.source.{source}"
    return messages.translate(key) if messages.has_message(key, messages.language()) else source


def json_dict(r: LiabilityReport) -> dict[str, Any]:
    """The report as the CLI's --json prints it (money as integer ``*_fen``)."""
    return {
        "from": r.from_day.isoformat(), "to": r.to_day.isoformat(),
        "opening": {"principal_fen": r.opening_principal_fen, "bonus_fen": r.opening_bonus_fen},
        "movements": [{"kind": m.kind, "count": m.count, "principal_fen": m.principal_fen, "bonus_fen": m.bonus_fen}
                      for m in r.movements],
        "closing": {"principal_fen": r.closing_principal_fen, "bonus_fen": r.closing_bonus_fen},
        "outstanding_principal_fen": r.outstanding_principal_fen,
        "outstanding_bonus_fen": r.outstanding_bonus_fen,
        "points": {"opening": r.points_opening, "closing": r.points_closing, "outstanding": r.points_closing,
                   "movements": [{"kind": m.kind, "count": m.count, "points": m.points} for m in r.points_movements],
                   "point_value_fen": r.point_value_fen, "value_fen": r.points_value_fen},
        "cap_fen": r.cap_fen,
        "over_cap": [{"member_id": o.member_id, "phone": o.phone, "name": o.name, "principal_fen": o.principal_fen,
                      "bonus_fen": o.bonus_fen, "balance_fen": o.balance_fen} for o in r.over_cap],
        "members_with_balance": r.members_with_balance,
        "balanced": r.balanced,
    }


#: one line of the report as a table: (label, count, principal fen, bonus fen, points)
Line = tuple[str, int | None, int | None, int | None, int | None]

HEADERS = ("report.col.item", "report.col.count", "report.col.principal", "report.col.bonus", "report.col.total",
           "report.col.points")


def lines(r: LiabilityReport) -> list[Line]:
    """The report as the rows the screen, the PDF and the exports show, in order."""
    t = messages.translate
    out: list[Line] = [(t("report.liability.opening"), None, r.opening_principal_fen, r.opening_bonus_fen,
                        r.points_opening)]
    out += [(kind_label(m.kind), m.count, m.principal_fen, m.bonus_fen, None) for m in r.movements]
    out += [(kind_label(m.kind), m.count, None, None, m.points) for m in r.points_movements]
    out.append((t("report.liability.closing"), None, r.closing_principal_fen, r.closing_bonus_fen, r.points_closing))
    return out


def summary_lines(r: LiabilityReport) -> list[str]:
    """The headline figures as sentences (screen, PDF)."""
    t = messages.translate
    out = [
        t("report.liability.period", {"start": r.from_day.isoformat(), "end": r.to_day.isoformat()}),
        t("report.liability.owed_principal", {"amount": Money(r.outstanding_principal_fen)}),
        t("report.liability.owed_bonus", {"amount": Money(r.outstanding_bonus_fen)}),
        t("report.liability.owed_points", {"points": r.points_closing}),
    ]
    if r.points_value_fen is not None:
        out.append(t("report.liability.points_value", {"amount": Money(r.points_value_fen)}))
    out.append(t("report.liability.holders", {"count": r.members_with_balance}))
    out.append(t("report.liability.balanced") if r.balanced else t("report.liability.unbalanced"))
    if r.cap_fen > 0:
        out.append(t("report.liability.over_cap", {"cap": Money(r.cap_fen), "count": len(r.over_cap)}))
    return out


OVER_CAP_HEADERS = ("report.col.phone", "report.col.name", "report.col.principal", "report.col.bonus",
                    "report.col.balance")


def export(ctx: ServiceContext, actor: Actor, path: str | Path, *, from_day: date, to_day: date) -> Path:
    """The report written to ``path``: .csv or .xlsx (the table, then the members above the cap), or .pdf."""
    from pos_app.services.exports import export_format, write_table, yuan  # noqa: PLC0415

    suffix = Path(path).suffix.lower()
    if suffix != ".pdf":
        export_format(path)
    r = liability(ctx, actor, from_day=from_day, to_day=to_day)
    if suffix == ".pdf":
        from pos_app.printing.reports_pdf import liability_pdf  # noqa: PLC0415

        with ctx.uow(read_only=True) as uow:
            store = settings(uow).name
        liability_pdf(r, store, path)
        return Path(path)
    return write_table(path, [messages.translate(h) for h in HEADERS], table_rows(r, yuan), title="liability")


def table_rows(r: LiabilityReport, money: Any) -> list[Sequence[Any]]:
    """The spreadsheet rows: the report's lines, a blank row, then the members above the cap."""
    def cell(fen: int | None) -> Any:
        return None if fen is None else money(fen)

    rows: list[Sequence[Any]] = []
    for label, count, p, b, pts in lines(r):
        total = None if p is None or b is None else p + b
        rows.append([label, count, cell(p), cell(b), cell(total), pts])
    if r.over_cap:
        rows.append([])
        rows.append([messages.translate(h) for h in OVER_CAP_HEADERS])
        rows += [[o.phone, o.name or "", money(o.principal_fen), money(o.bonus_fen), money(o.balance_fen)]
                 for o in r.over_cap]
    return rows
