"""The campaign dashboard (Shift+F3, managers): a campaign and a period (today, this week, campaign to date,
custom), and for each section of services.reports.campaign its figures beside the previous period and the
target, its daily chart (pyqtgraph: bars for the period, a dashed line for the previous period, a solid line
for the daily target where the campaign sets one, with a legend) and its breakdowns.

The per-day summaries are first brought up to date, one chunk per op (the counter's ops go between them),
then every section is computed by the service on the database worker, one op each, and shows as soon as it
arrives: opening the dashboard never blocks the window. Clicking a figure, a breakdown row or a bar of a
chart lists the rows behind it in the table below (the service's drill-down). pyqtgraph is imported only
when the first chart is drawn, so the app starts no slower for it. Nothing is computed here."""

from __future__ import annotations

from datetime import date
from typing import Any

from PySide6.QtCore import QDate, Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from pos_app.domain import roles
from pos_app.domain.errors import DomainError
from pos_app.services.reports import campaign as cr
from pos_app.services.reports import summaries
from pos_app.ui import filedialogs
from pos_app.ui.appctx import AppContext
from pos_app.ui.common import CJK_FAMILIES, ErrorLabel, tr
from pos_app.ui.models import Column, DtoTableModel
from pos_app.ui.screens import ScreenSpec, register_screen

#: which series each section charts (bars, side by side); the first one's previous period is the line
CHARTS: dict[str, tuple[str, ...]] = {
    "recharge": ("principal_fen", "bonus_fen"),
    "sales": ("sales_fen",),
    "referrals": ("invitees_registered", "invitees_qualified"),
    "coupons": ("coupons_issued", "coupons_redeemed"),
    "points": ("checkins",),
    "wheel": ("draws",),
    "redemptions": ("mall_redemptions", "premium_requests"),
    "tasks": ("task_completions",),
    "levels": ("level_changes",),
}
BAR_COLOURS = ("#1a73e8", "#f29900", "#188038")
PREVIOUS_COLOUR = "#9aa0a6"
TARGET_COLOURS = ("#d93025", "#a142f4")


def _qdate(d: date) -> QDate:
    return QDate(d.year, d.month, d.day)


def _day(edit: QDateEdit) -> date:
    return date.fromisoformat(edit.date().toString("yyyy-MM-dd"))


def cjk_font(size: int = 9) -> QFont:
    f = QFont()
    f.setFamilies(list(CJK_FAMILIES))
    f.setPointSize(size)
    return f


class DrillModel(DtoTableModel):
    """The rows behind a figure (services.reports.campaign.DrillTable, as text cells): its columns are the
    drill table's."""

    def set_table(self, table: cr.DrillTable, cells: list[list[str]]) -> None:
        self.COLUMNS = tuple(Column(h, lambda r, i=i: r[i], numeric=k in ("fen", "count"))
                             for i, (h, k) in enumerate(zip(table.headers, table.kinds, strict=True)))
        self.set_rows(cells)


class SectionCard(QGroupBox):
    """One section: figure buttons, a chart, breakdown buttons (each clickable to its rows)."""

    def __init__(self, screen: DashboardScreen, name: str) -> None:
        super().__init__(tr(f"dashboard.section.{name}"))
        self.screen = screen
        self.name = name
        self.setObjectName(f"dash_{name}")
        self.section: cr.Section | None = None
        self.lay = QVBoxLayout(self)
        self.status = QLabel(tr("dashboard.ui.loading"))
        self.status.setObjectName(f"dash_{name}_status")
        self.status.setWordWrap(True)
        self.lay.addWidget(self.status)
        self.figures = QGridLayout()
        self.lay.addLayout(self.figures)
        self.plot: Any = None
        #: series key -> the bar item drawn for it; "previous" -> the previous period's line
        self.items: dict[str, Any] = {}
        self.parts = QVBoxLayout()
        self.lay.addLayout(self.parts)
        self.buttons: dict[str, QPushButton] = {}

    def loading(self) -> None:
        self.status.setText(tr("dashboard.ui.loading"))
        self.status.show()

    def show_section(self, sec: cr.Section) -> None:
        self.section = sec
        self.buttons.clear()
        for layout in (self.figures, self.parts):
            while layout.count():
                item = layout.takeAt(0)
                w = item.widget() if item is not None else None
                if w is not None:
                    w.deleteLater()
        if not sec.available:
            self.status.setText(sec.note_text)
            self.status.show()
            if self.plot is not None:
                self.plot.hide()
            return
        self.status.hide()
        for i, f in enumerate(sec.figures):
            btn = QPushButton(self._figure_text(f))
            btn.setObjectName(f"fig_{f.key}")
            btn.setFlat(True)
            btn.setStyleSheet("text-align: left; padding: 2px 6px;")
            btn.setEnabled(f.drill is not None)
            if f.drill is not None:
                btn.clicked.connect(lambda _c=False, f=f: self.screen.drill(f.drill, f.label))
            self.figures.addWidget(btn, i // 2, i % 2)
            self.buttons[f.key] = btn
        if self.name in CHARTS:
            self.draw_chart(sec)
        for b in sec.breakdowns:
            if not b.parts:
                continue
            holder = QWidget()
            grid = QGridLayout(holder)
            grid.setContentsMargins(0, 0, 0, 0)
            grid.addWidget(QLabel(b.label + "："), 0, 0, 1, 3)
            for i, p in enumerate(b.parts):
                btn = QPushButton(f"{p.label} {cr.value_text(p.value, b.unit)}")
                btn.setObjectName(f"part_{b.key}_{p.ref}")
                btn.setFlat(True)
                btn.setStyleSheet("text-align: left; padding: 1px 6px;")
                btn.setEnabled(p.drill is not None)
                if p.drill is not None:
                    btn.clicked.connect(lambda _c=False, p=p, b=b: self.screen.drill(p.drill, f"{b.label} · {p.label}"))
                grid.addWidget(btn, 1 + i // 3, i % 3)
                self.buttons[f"{b.key}:{p.ref}"] = btn
            self.parts.addWidget(holder)

    @staticmethod
    def _figure_text(f: cr.Figure) -> str:
        text = f"{f.label}  {cr.value_text(f.value, f.unit)}"
        extra = []
        if f.previous is not None:
            extra.append(tr("dashboard.previous_short", value=cr.value_text(f.previous, f.unit)))
        if f.target is not None:
            extra.append(cr.target_text(f))
        return text + (f"\n{'，'.join(extra)}" if extra else "")

    def draw_chart(self, sec: cr.Section) -> None:
        import pyqtgraph as pg  # noqa: PLC0415  (only when the dashboard draws: the app starts without it)

        if self.plot is None:
            pg.setConfigOptions(antialias=True, background="w", foreground="#202124")
            self.plot = pg.PlotWidget()
            self.plot.setObjectName(f"plot_{self.name}")
            self.plot.setMinimumHeight(170)
            self.plot.setMaximumHeight(240)
            self.plot.setMouseEnabled(x=False, y=False)
            self.plot.hideButtons()
            self.plot.showGrid(y=True, alpha=0.25)
            for axis in ("left", "bottom"):
                self.plot.getAxis(axis).setTickFont(cjk_font(8))
            self.plot.scene().sigMouseClicked.connect(self._clicked)
            self.lay.insertWidget(2, self.plot)
        self.plot.show()
        self.plot.clear()
        legend = self.plot.plotItem.legend
        if legend is None:
            legend = self.plot.addLegend(offset=(-6, 4), labelTextSize="8pt")
        legend.clear()
        keys = [k for k in CHARTS[self.name] if any(s.key == k for s in sec.series)]
        series = [sec.serie(k) for k in keys]
        n = sec.period.days
        width = 0.8 / max(1, len(series))
        self.items = {}
        for i, s in enumerate(series):
            xs = [d - 0.4 + width * (i + 0.5) for d in range(n)]
            heights = [self.plot_value(v, s.unit) for v in s.values]
            bars = pg.BarGraphItem(x=xs, height=heights, width=width * 0.9, brush=BAR_COLOURS[i % len(BAR_COLOURS)],
                                   name=s.label)
            self.plot.addItem(bars)
            self.items[s.key] = bars
        if series and series[0].previous is not None:
            prev = list(series[0].previous)[:n]
            line = self.plot.plot(list(range(len(prev))), [self.plot_value(v, series[0].unit) for v in prev],
                                  pen=pg.mkPen(PREVIOUS_COLOUR, width=2, style=Qt.PenStyle.DashLine), symbol="o",
                                  symbolSize=4, name=f"{tr('dashboard.ui.previous_legend')} {series[0].label}")
            self.items["previous"] = line
        targeted = [x for x in series if x.target is not None]
        for i, x in enumerate(targeted):  # the daily target: the campaign's target spread over its days
            assert x.target is not None
            line = self.plot.plot(list(range(n)), [self.plot_value(v, x.unit) for v in x.target[:n]],
                                  pen=pg.mkPen(TARGET_COLOURS[i % len(TARGET_COLOURS)], width=2),
                                  name=f"{tr('dashboard.ui.target_legend')} {x.label}")
            self.items[f"target:{x.key}"] = line
        step = max(1, n // 10)
        self.plot.getAxis("bottom").setTicks([[(i, sec.period.day(i).strftime("%m-%d")) for i in range(0, n, step)]])
        unit = series[0].unit if series else cr.COUNT
        self.plot.setLabel("left", "¥" if unit == cr.FEN else "")
        self.plot.getAxis("left").label.setFont(cjk_font(8))
        self.plot.setXRange(-0.6, n - 0.4, padding=0)
        top = max([self.plot_value(v, s.unit) for s in series
                   for v in (*s.values, *(s.previous or ()), *(s.target or ()))] or [0])
        self.plot.setYRange(0, max(top, 1.0) * 1.08, padding=0)

    @staticmethod
    def plot_value(v: int, unit: str) -> float:
        """A value as the chart draws it: money in yuan (display only; the figures stay in fen)."""
        return v / 100 if unit == cr.FEN else float(v)

    def day_at(self, scene_pos: Any) -> int | None:
        """The day index under a point of the chart's scene, or None."""
        if self.plot is None or self.section is None:
            return None
        vb = self.plot.plotItem.vb
        if not vb.sceneBoundingRect().contains(scene_pos):
            return None
        i = round(vb.mapSceneToView(scene_pos).x())
        return i if 0 <= i < self.section.period.days else None

    def _clicked(self, ev: Any) -> None:
        sec = self.section
        i = self.day_at(ev.scenePos())
        if sec is None or i is None or self.name not in CHARTS:
            return
        first = next((s for s in sec.series if s.key == CHARTS[self.name][0]), None)
        if first is not None and first.drill is not None:
            self.screen.drill(first.drill, f"{first.label} · {sec.period.day(i).isoformat()}", day=sec.period.day(i))


class DashboardScreen(QWidget):
    """Shift+F3: the campaign dashboard (managers)."""

    handles_changes = False

    def __init__(self, appctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.appctx = appctx
        self.campaign: cr.CampaignInfo | None = None
        self.period: cr.Period | None = None
        self.campaign_list: list[cr.CampaignInfo] = []
        #: the newest sections shown, by name
        self.sections: dict[str, cr.Section] = {}
        self.drill_table: cr.DrillTable | None = None
        self.last_export: str | None = None
        self._generation = 0
        lay = QVBoxLayout(self)
        top = QHBoxLayout()
        self.campaign_box = QComboBox()
        self.campaign_box.setObjectName("dash_campaign")
        self.campaign_box.setMinimumWidth(220)
        self.period_box = QComboBox()
        self.period_box.setObjectName("dash_period")
        for kind in cr.PERIODS:
            self.period_box.addItem(tr(f"dashboard.ui.period.{kind}"), kind)
        self.period_box.setCurrentIndex(cr.PERIODS.index(cr.CAMPAIGN))
        today = appctx.store_today()
        self.start = QDateEdit(_qdate(today.replace(day=1)))
        self.end = QDateEdit(_qdate(today))
        for d in (self.start, self.end):
            d.setCalendarPopup(True)
            d.setDisplayFormat("yyyy-MM-dd")
        self.refresh_btn = QPushButton(tr("dashboard.ui.show"))
        self.refresh_btn.setShortcut("F5")
        self.refresh_btn.clicked.connect(self.refresh)
        self.export_btn = QPushButton(tr("dashboard.ui.export"))
        self.export_btn.clicked.connect(self.ask_export)
        for w in (QLabel(tr("dashboard.ui.campaign")), self.campaign_box, QLabel(tr("dashboard.ui.period")),
                  self.period_box, self.start, QLabel("—"), self.end, self.refresh_btn):
            top.addWidget(w)
        top.addStretch(1)
        top.addWidget(self.export_btn)
        lay.addLayout(top)
        self.period_label = QLabel()
        self.period_label.setObjectName("dash_period_text")
        lay.addWidget(self.period_label)
        self.error = ErrorLabel()
        lay.addWidget(self.error)
        split = QSplitter(Qt.Orientation.Vertical)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        body = QWidget()
        grid = QGridLayout(body)
        self.cards: dict[str, SectionCard] = {}
        for i, name in enumerate(cr.SECTIONS):
            card = SectionCard(self, name)
            self.cards[name] = card
            grid.addWidget(card, i // 2, i % 2)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)
        scroll.setWidget(body)
        split.addWidget(scroll)
        bottom = QWidget()
        bl = QVBoxLayout(bottom)
        bl.setContentsMargins(0, 0, 0, 0)
        self.drill_title = QLabel(tr("dashboard.ui.hint"))
        self.drill_title.setObjectName("dash_drill_title")
        bl.addWidget(self.drill_title)
        self.drill_model = DrillModel()
        self.drill_view = QTableView()
        self.drill_view.setObjectName("dash_drill_rows")
        self.drill_view.setModel(self.drill_model)
        self.drill_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.drill_view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.drill_view.horizontalHeader().setStretchLastSection(True)
        bl.addWidget(self.drill_view)
        split.addWidget(bottom)
        split.setSizes([520, 180])
        lay.addWidget(split, 1)
        self.period_box.currentIndexChanged.connect(lambda _i: self._period_changed())
        self.campaign_box.currentIndexChanged.connect(lambda _i: self.refresh())
        self._period_changed(refresh=False)

    # ------------------------------------------------------------------ choosing

    def _period_changed(self, refresh: bool = True) -> None:
        custom = self.period_box.currentData() == cr.CUSTOM
        self.start.setEnabled(custom)
        self.end.setEnabled(custom)
        if refresh:
            self.refresh()

    def on_shown(self) -> None:
        if not self.campaign_list:
            self.load_campaigns()
        else:
            self.refresh()

    def load_campaigns(self) -> None:
        ctx, actor = self.appctx.ctx, self.appctx.actor

        def ok(found: tuple[list[cr.CampaignInfo], cr.CampaignInfo | None]) -> None:
            rows, default = found
            self.campaign_list = rows
            self.campaign_box.blockSignals(True)
            self.campaign_box.clear()
            for c in rows:
                self.campaign_box.addItem(f"{c.name}（{c.code}）", c.code)
            if default is not None:
                self.campaign_box.setCurrentIndex(max(0, self.campaign_box.findData(default.code)))
            self.campaign_box.blockSignals(False)
            self.refresh()

        def fetch() -> tuple[list[cr.CampaignInfo], cr.CampaignInfo | None]:
            rows = cr.campaigns(ctx, actor)
            return rows, (cr.resolve(ctx, actor)[0] if rows else None)

        self.appctx.run(fetch, ok, self.error.show_error, key="dash-campaigns")

    def choice(self) -> dict[str, Any]:
        kind = str(self.period_box.currentData())
        out: dict[str, Any] = {"campaign_code": self.campaign_box.currentData(), "period": kind}
        if kind == cr.CUSTOM:
            out.update(from_day=_day(self.start), to_day=_day(self.end))
        return out

    # ------------------------------------------------------------------ computing, section by section

    def refresh(self) -> None:
        if self.campaign_box.count() == 0:
            return
        ctx, actor, choice = self.appctx.ctx, self.appctx.actor, self.choice()
        self._generation += 1
        gen = self._generation
        self.error.show_error(None)
        for card in self.cards.values():
            card.loading()

        def chosen(res: tuple[cr.CampaignInfo, cr.Period]) -> None:
            if gen != self._generation:
                return
            self.campaign, self.period = res
            per = self.period
            prev = per.previous()
            self.period_label.setText(tr("dashboard.ui.period_text", start=per.from_day.isoformat(),
                                         end=per.to_day.isoformat(), prev_start=prev.from_day.isoformat(),
                                         prev_end=prev.to_day.isoformat()))
            if choice["period"] != cr.CUSTOM:
                self.start.setDate(_qdate(per.from_day))
                self.end.setDate(_qdate(per.to_day))
            info = res[0]

            def sections() -> None:
                for name in cr.SECTIONS:
                    self.appctx.run(lambda name=name: cr.section(ctx, actor, name, campaign=info, period=per),
                                    lambda sec, gen=gen: self._arrived(gen, sec), self.error.show_error,
                                    key=f"dash-section-{name}")

            def summarised(more: bool) -> None:
                # the per-day summaries caught up one chunk per operation, so the counter's operations on the
                # database worker go between the chunks (a large store's first opening summarises a year)
                if gen != self._generation:
                    return
                if more:
                    self.appctx.run(lambda: summaries.step(ctx), summarised, self.error.show_error,
                                    key="dash-summarise")
                else:
                    sections()

            summarised(True)

        self.appctx.run(lambda: cr.resolve(ctx, actor, **choice), chosen, self.error.show_error, key="dash-resolve")

    def _arrived(self, gen: int, sec: cr.Section) -> None:
        if gen != self._generation:
            return
        self.sections[sec.name] = sec
        self.cards[sec.name].show_section(sec)

    def complete(self) -> bool:
        """Every section of the current choice has arrived."""
        return self.period is not None and all(
            s.period == self.period for s in self.sections.values()) and set(self.sections) == set(cr.SECTIONS)

    # ------------------------------------------------------------------ the rows behind a figure

    def drill(self, ref: cr.DrillRef | None, what: str, day: date | None = None) -> None:
        if ref is None or self.campaign is None or self.period is None:
            return
        ctx, actor, info, per, tz = self.appctx.ctx, self.appctx.actor, self.campaign, self.period, self.appctx.store_tz

        def fetch() -> tuple[cr.DrillTable, list[list[str]]]:
            t = cr.drill(ctx, actor, ref, campaign=info, period=per, day=day)
            return t, cr.drill_cells(t, tz)

        def ok(res: tuple[cr.DrillTable, list[list[str]]]) -> None:
            self.drill_table = res[0]
            self.drill_model.set_table(*res)
            total = res[0].total if res[0].value_col is not None else len(res[0].rows)
            unit = res[0].kinds[res[0].value_col] if res[0].value_col is not None else cr.COUNT
            self.drill_title.setText(tr("dashboard.ui.rows_title", what=what) + "  " + tr(
                "dashboard.ui.rows_count", count=len(res[0].rows),
                total=cr.value_text(total, cr.FEN if unit == "fen" else cr.COUNT)))
            self.drill_view.resizeColumnsToContents()

        self.appctx.run(fetch, ok, self.error.show_error, key="dash-drill")

    # ------------------------------------------------------------------ export

    def ask_export(self) -> None:
        path = filedialogs.save_file(self, tr("dashboard.ui.export"), "campaign.xlsx",
                                     "Excel (*.xlsx);;PDF (*.pdf);;CSV (*.csv)")
        if path:
            self.export_to(path)

    def export_to(self, path: str) -> None:
        if self.campaign is None or self.period is None:
            return
        try:
            filedialogs.check_output(path)
        except DomainError as exc:
            self.error.show_error(exc)
            return
        ctx, actor, code, per = self.appctx.ctx, self.appctx.actor, self.campaign.code, self.period

        def ok(p: Any) -> None:
            self.last_export = str(p)

        self.appctx.run(lambda: filedialogs.writing(path, lambda: cr.export(
            ctx, actor, path, campaign_code=code, from_day=per.from_day, to_day=per.to_day)), ok, self.error.show_error)


register_screen(ScreenSpec("dashboard", "screen.dashboard", "Shift+F3", DashboardScreen, frozenset({roles.MANAGER}), 25))
