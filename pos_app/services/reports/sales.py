"""Daily sales (what managers watch: "sales actually paid per day, by category and payment method"): per
store-local day, the sales rung up (count, total), what was actually paid (实际支付: the total less the
stored-value bonus part), the total by payment method and by category (each adds up to the day's
total), and the returns of that day. Days without a sale or a return are listed with zeros."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from pos_app import messages
from pos_app.db import repo
from pos_app.services.common import require, settings
from pos_app.services.context import Actor, ServiceContext
from pos_app.services.exports import Cell
from pos_app.services.reports import local_day, period


@dataclass(frozen=True)
class SalesDay:
    day: date
    sales_count: int = 0
    sales_fen: int = 0
    paid_fen: int = 0
    by_method_fen: dict[str, int] = field(default_factory=dict)
    by_category_fen: dict[str, int] = field(default_factory=dict)
    returns_count: int = 0
    returns_fen: int = 0

    @property
    def net_fen(self) -> int:
        return self.sales_fen - self.returns_fen


def daily_sales(ctx: ServiceContext, actor: Actor, *, from_day: date, to_day: date) -> list[SalesDay]:
    """One row per store-local day ``from_day`` .. ``to_day`` (managers)."""
    require(actor, "report.read")
    with ctx.uow(read_only=True) as uow:
        s = uow.session
        tz = settings(uow).tz
        start, end = period(from_day, to_day, tz)
        keys = [from_day + timedelta(days=i) for i in range((to_day - from_day).days + 1)]
        # per day: [sales, total, paid, returns, returned], payments by method, lines by category
        sums = {k: [0, 0, 0, 0, 0] for k in keys}
        methods: dict[date, dict[str, int]] = {k: {} for k in keys}
        cats: dict[date, dict[str, int]] = {k: {} for k in keys}
        for _sid, at, total, paid in repo.reports.sales_rows(s, start, end):
            row = sums[local_day(at, tz)]
            row[0] += 1
            row[1] += total
            row[2] += paid
        for at, method, amount, _bonus in repo.reports.sale_payment_rows(s, start, end):
            by = methods[local_day(at, tz)]
            by[method] = by.get(method, 0) + amount
        for at, category, amount in repo.reports.sale_line_rows(s, start, end):
            by = cats[local_day(at, tz)]
            by[category] = by.get(category, 0) + amount
        for at, amount in repo.reports.return_rows(s, start, end):
            row = sums[local_day(at, tz)]
            row[3] += 1
            row[4] += amount
    return [SalesDay(k, sums[k][0], sums[k][1], sums[k][2], methods[k], cats[k], sums[k][3], sums[k][4]) for k in keys]


def json_rows(rows: list[SalesDay]) -> list[dict[str, Any]]:
    return [{"date": d.day.isoformat(), "sales_count": d.sales_count, "sales_fen": d.sales_fen, "paid_fen": d.paid_fen,
             "by_method_fen": dict(sorted(d.by_method_fen.items())),
             "by_category_fen": dict(sorted(d.by_category_fen.items())),
             "returns_count": d.returns_count, "returns_fen": d.returns_fen, "net_fen": d.net_fen} for d in rows]


def export(ctx: ServiceContext, actor: Actor, path: str | Path, *, from_day: date, to_day: date) -> Path:
    """The daily rows written to ``path`` (.csv or .xlsx): one column per payment method and per category."""
    from pos_app.services.exports import export_format, write_table, yuan  # noqa: PLC0415

    export_format(path)
    rows = daily_sales(ctx, actor, from_day=from_day, to_day=to_day)
    methods = sorted({k for d in rows for k in d.by_method_fen})
    cats = sorted({k for d in rows for k in d.by_category_fen})
    t = messages.translate
    headers = [t("report.col.date"), t("report.col.sales_count"), t("report.col.sales"), t("report.col.paid"),
               *[t("report.col.by_method", {"method": m}) for m in methods],
               *[t("report.col.by_category", {"category": c}) for c in cats],
               t("report.col.returns_count"), t("report.col.returns"), t("report.col.net")]
    table: list[list[Cell]] = [[d.day.isoformat(), d.sales_count, yuan(d.sales_fen), yuan(d.paid_fen),
              *[yuan(d.by_method_fen.get(m, 0)) for m in methods], *[yuan(d.by_category_fen.get(c, 0)) for c in cats],
              d.returns_count, yuan(d.returns_fen), yuan(d.net_fen)] for d in rows]
    return write_table(path, headers, table, title="sales")
