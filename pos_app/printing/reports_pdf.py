"""Report PDFs (reportlab, the CJK font of printing/fonts.py): tables of figures on A4 pages (:func:`tables_pdf`:
the prepaid liability report, a table then the members above the named-card cap; head office's reports) and
the shift report (交班) on an 80 mm roll or an A4 page. They take the services' report DTOs and print their
figures as they are (never recomputed)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from pos_app import messages
from pos_app.domain.money import format_fen
from pos_app.domain.textparams import Money
from pos_app.printing import fonts
from pos_app.printing.pdf import Block, Line, Rule, draw_layout


def _t(key: str, **params: Any) -> str:
    return messages.translate(key, params)


def _canvas(out: str | Path | Any, title: str) -> Canvas:
    c = Canvas(str(out) if isinstance(out, str | Path) else out, pageCompression=1)
    c.setTitle(title)
    c.setCreator("pos_app")
    return c


def _money(fen: int | None) -> str:
    return "" if fen is None else format_fen(fen)


class _Pages:
    """Lines of text down A4 pages, a new page when one is full."""

    def __init__(self, c: Canvas, title: str) -> None:
        self.c = c
        self.title = title
        self.margin = 15 * mm
        self.width, self.height = A4
        self.page = 0
        self.y = 0.0
        self.new_page()

    def new_page(self) -> None:
        if self.page:
            self.c.showPage()
        self.page += 1
        self.c.setPageSize(A4)
        self.y = self.height - self.margin
        fonts.draw(self.c, self.width - self.margin, self.margin / 2, f"{self.title}  {self.page}", 7, align="right")

    def need(self, height: float) -> None:
        if self.y - height < self.margin:
            self.new_page()

    def text(self, text: str, size: float = 9, gap: float = 4) -> None:
        self.need(size + gap)
        self.y -= size + gap
        fonts.draw(self.c, self.margin, self.y, fonts.fit(text, size, self.width - 2 * self.margin), size)

    def row(self, cells: Sequence[str], widths: Sequence[float], size: float = 8.5, *, bold_rule: bool = False) -> None:
        self.need(size + 6)
        self.y -= size + 5
        x = self.margin
        for i, (cell, w) in enumerate(zip(cells, widths, strict=True)):
            if i == 0:
                fonts.draw(self.c, x + 1, self.y, fonts.fit(cell, size, w - 3), size)
            else:
                fonts.draw(self.c, x + w - 2, self.y, fonts.fit(cell, size, w - 3), size, align="right")
            x += w
        self.c.setLineWidth(0.6 if bold_rule else 0.2)
        self.c.line(self.margin, self.y - 2.5, self.margin + sum(widths), self.y - 2.5)


@dataclass(frozen=True)
class PdfTable:
    """A table of a report PDF: an optional caption above it, its header cells, its rows (text cells, the first
    left-aligned, the others right-aligned) and each column's share of the page width (they add up to 1)."""

    headers: Sequence[str]
    rows: Sequence[Sequence[str]]
    widths: Sequence[float]
    caption: str | None = None
    size: float = 8.5


def tables_pdf(out: str | Path | Any, *, title: str, store: str, summary: Sequence[str],
               tables: Sequence[PdfTable]) -> None:
    """A report on A4 pages: the store (or scope) and the title, the summary sentences, then the tables, each
    on as many pages as it needs."""
    c = _canvas(out, title)
    pages = _Pages(c, title)
    pages.text(store, 14, 0)
    pages.text(title, 12)
    for line in summary:
        pages.text(line, 9)
    inner = pages.width - 2 * pages.margin
    for i, table in enumerate(tables):
        pages.y -= 8 if i else 6
        if table.caption:
            pages.text(table.caption, 10)
        widths = [inner * f for f in table.widths]
        pages.row(list(table.headers), widths, table.size, bold_rule=True)
        for row in table.rows:
            pages.row(list(row), widths, table.size)
    c.showPage()
    c.save()


def liability_pdf(r: Any, store: str, out: str | Path | Any) -> None:
    """The prepaid liability report (``r``: services.reports.liability.LiabilityReport) on A4 pages."""
    from pos_app.services.reports import liability  # noqa: PLC0415

    rows = []
    for label, count, p, b, pts in liability.lines(r):
        total = None if p is None or b is None else p + b
        rows.append([label, "" if count is None else str(count), _money(p), _money(b), _money(total),
                     "" if pts is None else str(pts)])
    tables = [PdfTable([_t(h) for h in liability.HEADERS], rows, (0.34, 0.1, 0.15, 0.15, 0.15, 0.11))]
    if r.over_cap:
        tables.append(PdfTable([_t(h) for h in liability.OVER_CAP_HEADERS],
                               [[o.phone, o.name or "", format_fen(o.principal_fen), format_fen(o.bonus_fen),
                                 format_fen(o.balance_fen)] for o in r.over_cap],
                               (0.22, 0.24, 0.18, 0.18, 0.18),
                               caption=_t("report.liability.over_cap_title", cap=Money(r.cap_fen))))
    tables_pdf(out, title=_t("report.liability.title"), store=store, summary=liability.summary_lines(r), tables=tables)


def shift_blocks(rep: Any, store: str, *, tz: str = "Asia/Shanghai") -> list[Block]:
    """The shift report (``rep``: services.reports.shift.ShiftReport) as slip blocks."""
    from pos_app.services.reports import shift  # noqa: PLC0415

    blocks: list[Block] = [
        Line(store, 11, "center"),
        Line(_t("report.shift.title"), 9, "center"),
        Line(f"{_t('report.shift.cashier')}\t{rep.staff_code} {rep.staff_name}", 8, "pair"),
        Line(f"{_t('report.shift.opened')}\t{shift.local_text(rep.opened_at, tz)}", 7.5, "pair"),
        Line(f"{_t('report.shift.closed')}\t{shift.local_text(rep.closed_at, tz) if rep.closed_at else _t('report.shift.still_open')}",
             7.5, "pair"),
        Rule(),
    ]
    for section in rep.sections:
        blocks.append(Line(shift.section_label(section.kind), 8.5, "left"))
        if not section.rows:
            blocks.append(Line(f"  {_t('report.shift.none')}\t", 7.5, "pair"))
        for row in section.rows:
            blocks.append(Line(f"  {shift.method_label(row.method)} ×{row.count}\t{format_fen(row.amount_fen)}", 7.5, "pair"))
    blocks += [
        Rule(),
        Line(f"{_t('report.shift.float')}\t{format_fen(rep.float_fen)}", 8, "pair"),
        Line(f"{_t('report.shift.cash_in')}\t{format_fen(rep.cash_in_fen)}", 8, "pair"),
        Line(f"{_t('report.shift.cash_out')}\t-{format_fen(rep.cash_out_fen)}", 8, "pair"),
        Line(f"{_t('report.shift.expected')}\t{format_fen(rep.expected_fen)}", 9, "pair"),
    ]
    if rep.counted_fen is not None and rep.difference_fen is not None:
        blocks += [
            Line(f"{_t('report.shift.counted')}\t{format_fen(rep.counted_fen)}", 9, "pair"),
            Line(f"{_t('report.shift.difference')}\t{format_fen(rep.difference_fen)}", 10, "pair"),
        ]
    blocks += [Rule(), Line(f"{_t('report.shift.signature')} ____________", 8, "left")]
    return blocks


def shift_pdf(rep: Any, store: str, out: str | Path | Any, *, tz: str = "Asia/Shanghai", layout: str = "80mm") -> None:
    """The shift report as a one-page PDF: an 80 mm roll (default) or an A4 page (``layout="a4"``)."""
    c = _canvas(out, _t("report.shift.title"))
    draw_layout(c, shift_blocks(rep, store, tz=tz), layout)
    c.save()


#: the daily columns the campaign PDF prints (of the report's daily rows), in order
CAMPAIGN_PDF_DAYS = ("principal_fen", "bonus_fen", "new_recharging_members", "sales_fen", "sales_count",
                     "coupons_redeemed", "points_spent", "checkins")


def campaign_pdf(r: Any, store: str, out: str | Path | Any) -> None:
    """The campaign report (``r``: services.reports.campaign.CampaignReport) on A4 pages: the figures of
    each section beside the previous period and the target, the evaluation, then the daily rows."""
    from pos_app.services.reports import campaign  # noqa: PLC0415

    title = _t("dashboard.report_title")
    c = _canvas(out, title)
    pages = _Pages(c, title)
    pages.text(store, 14, 0)
    pages.text(f"{title}  {r.campaign.code} {r.campaign.name}", 12)
    pages.text(_t("dashboard.period_line", start=r.period.from_day.isoformat(), end=r.period.to_day.isoformat(),
                  prev_start=r.previous.from_day.isoformat(), prev_end=r.previous.to_day.isoformat()), 9)
    inner = pages.width - 2 * pages.margin
    widths = [inner * f for f in (0.46, 0.18, 0.18, 0.18)]
    pages.y -= 4
    pages.text(_t("dashboard.col.evaluation"), 11)
    pages.row([_t("dashboard.col.evaluation"), _t("dashboard.col.target"), _t("dashboard.col.actual"),
               _t("dashboard.col.met")], widths, 8.5, bold_rule=True)
    for line in campaign.evaluation_lines(r):
        pages.row(list(line), widths)
    for sec in r.sections:
        pages.y -= 6
        pages.text(sec.title, 11)
        if not sec.available:
            pages.text(sec.note_text, 9)
            continue
        pages.row([_t("dashboard.col.figure"), _t("dashboard.col.value"), _t("dashboard.col.previous"),
                   _t("dashboard.col.target")], widths, 8.5, bold_rule=True)
        for f in sec.figures:
            pages.row([f.label, campaign.value_text(f.value, f.unit),
                       "" if f.previous is None else campaign.value_text(f.previous, f.unit),
                       "" if f.target is None else campaign.value_text(f.target, f.unit)], widths)
        for b in sec.breakdowns:
            if b.parts:
                pages.text(b.label, 8.5)
                for p in b.parts:
                    pages.row([f"  {p.label}", campaign.value_text(p.value, b.unit), "", ""], widths, 8)
    units = dict(campaign.daily_headers(r))
    cols = [k for k in CAMPAIGN_PDF_DAYS if k in units]
    pages.new_page()
    pages.text(_t("dashboard.daily_title"), 11, 0)
    dw = [inner * 0.12] + [inner * 0.88 / len(cols)] * len(cols)
    pages.row([_t("report.col.date")] + [_t(f"dashboard.series.{k}") for k in cols], dw, 7, bold_rule=True)
    for d in r.daily_rows():
        pages.row([d["date"]] + [campaign.value_text(d[k], units[k]) for k in cols], dw, 7)
    c.showPage()
    c.save()
