"""The campaign dashboard (Shift+F3) with pytest-qt on the demo store: a manager opens it, every section arrives
from the worker, the charts' bars equal the campaign report's daily figures (the points mall and premium
redemption with the demo's waiting pick-up and Moutai request among them), switching the period and the
campaign recomputes them, clicking a figure or a bar lists the rows behind it, a bad custom period says why;
a cashier has no dashboard; the app starts without pyqtgraph."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPointF, Qt

from pos_app.app import open_store
from pos_app.services import campaigns, demo, staff
from pos_app.services.campaigns import read_campaign_file
from pos_app.services.reports import campaign as cr
from pos_app.ui.main import MainWindow, create_window
from tests.conftest import DEMO_CAMPAIGN, ROOT
from tests.ui.conftest import StepClock, idle, login, press


@pytest.fixture
def demo_win(tmp_path: Path, qtbot: Any) -> Iterator[MainWindow]:
    ctx = open_store(tmp_path / "store.db")
    demo.load_demo(ctx)
    w = create_window(ctx)
    w.scanner.clock = StepClock(0.005)
    qtbot.addWidget(w)
    w.resize(1366, 728)
    w.show()
    qtbot.waitUntil(lambda: w.login.ok.isEnabled())
    yield w
    qtbot.waitUntil(lambda: w.appctx.worker.pending == 0, timeout=10_000)
    w.appctx.worker.stop()
    ctx.db.dispose()


def _open(win: MainWindow, qtbot: Any) -> Any:
    login(qtbot, win, "admin", "8888")
    press(qtbot, win, Qt.Key.Key_F3, Qt.KeyboardModifier.ShiftModifier)
    screen = win.screens["dashboard"]
    assert win.tabs.currentWidget() is screen
    qtbot.waitUntil(lambda: screen.complete() and idle(win), timeout=20_000)
    return screen


def _bars(card: Any, key: str) -> list[int]:
    heights = card.items[key].opts["height"]
    return [round(h * 100) if card.section.serie(key).unit == cr.FEN else round(h) for h in heights]


def _check_against_the_report(win: MainWindow, screen: Any) -> cr.CampaignReport:
    ctx, actor = win.appctx.ctx, win.appctx.actor
    rep = cr.campaign_report(ctx, actor, campaign_code=screen.campaign.code, from_day=screen.period.from_day,
                             to_day=screen.period.to_day)
    for name, keys in (("recharge", ("principal_fen", "bonus_fen")), ("sales", ("sales_fen",)),
                       ("referrals", ("invitees_registered",)), ("coupons", ("coupons_issued",)),
                       ("redemptions", ("mall_redemptions", "premium_requests"))):
        card = screen.cards[name]
        for key in keys:
            assert _bars(card, key) == list(rep.section(name).serie(key).values), (name, key)
        for f in rep.section(name).figures:
            assert cr.value_text(f.value, f.unit) in card.buttons[f.key].text()
    return rep


def test_the_dashboard_shows_the_report_figures_and_follows_the_choices(demo_win: MainWindow, qtbot: Any) -> None:
    screen = _open(demo_win, qtbot)
    assert "pyqtgraph" in sys.modules  # drawn now, imported only now (see the start-up test below)
    assert screen.period_box.currentData() == cr.CAMPAIGN
    rep = _check_against_the_report(demo_win, screen)
    assert sum(rep.section("recharge").serie("principal_fen").values) > 0  # the demo store recharged
    assert screen.cards["recharge"].items["previous"] is not None
    # the points tasks, with the demo's numbers: its members' grooming purchases completed the 中级 task
    tasks = rep.section("tasks")
    tcard = screen.cards["tasks"]
    assert tcard.status.isHidden() and tcard.title() == "积分任务"
    assert tasks.figure("tasks.started").value > tasks.figure("tasks.completed").value >= 1
    assert tasks.figure("tasks.points").value >= 30 and tasks.figure("tasks.coupons").value >= 1
    for f in tasks.figures:
        assert cr.value_text(f.value, f.unit) in tcard.buttons[f.key].text()
    assert "任务完成率" in tcard.buttons["tasks.completion_rate"].text()
    assert "中级 体验一次洗护美容" in tcard.buttons["task_completed:groom"].text()
    assert _bars(tcard, "task_completions") == list(tasks.serie("task_completions").values)
    screen.drill_table = None
    qtbot.mouseClick(tcard.buttons["tasks.completed"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: screen.drill_table is not None and idle(demo_win), timeout=10_000)
    assert screen.drill_model.rowCount() == tasks.figure("tasks.completed").value
    assert {screen.drill_model.index(i, 2).data() for i in range(screen.drill_model.rowCount())} == {"中级 体验一次洗护美容"}
    # the member levels: the demo's members per level now, the level changes their recharges made
    lv = rep.section("levels")
    lcard = screen.cards["levels"]
    assert lcard.status.isHidden() and lcard.title() == "会员等级"
    assert lv.figure("levels.changes").value >= 1 and lv.breakdown("members_by_level").total == lv.figure("levels.members").value
    assert "银卡" in lcard.buttons["members_by_level:silver"].text()
    assert _bars(lcard, "level_changes") == list(lv.serie("level_changes").values)
    assert screen.cards["recharge"].title() == "充值"
    # the mall and premium redemption, with the demo's numbers: a toy waiting for pick-up, a Moutai under review
    red = rep.section("redemptions")
    card = screen.cards["redemptions"]
    assert card.status.isHidden() and card.title() == "积分商城与兑换"
    assert red.figure("redemptions.pickup_waiting").value >= 1 and red.figure("redemptions.awaiting_review").value >= 1
    assert red.figure("redemptions.mall").value >= 1 and red.figure("redemptions.premium_requests").value >= 1
    assert "待领取" in card.buttons["mall_by_state:reserved"].text()
    assert "待审核" in card.buttons["premium_by_state:requested"].text()
    assert sum(_bars(card, "premium_requests")) == red.figure("redemptions.premium_requests").value
    assert "奖品领取率" in screen.cards["wheel"].buttons["wheel.claim_rate"].text()
    screen.drill_table = None
    qtbot.mouseClick(card.buttons["redemptions.awaiting_review"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: screen.drill_table is not None and idle(demo_win), timeout=10_000)
    assert screen.drill_model.rowCount() == red.figure("redemptions.awaiting_review").value
    items = {screen.drill_model.index(i, 3).data() for i in range(screen.drill_model.rowCount())}
    assert "飞天茅台 500ml" in items
    # this week
    screen.period_box.setCurrentIndex(cr.PERIODS.index(cr.WEEK))
    today = demo_win.appctx.store_today()
    qtbot.waitUntil(lambda: screen.complete() and idle(demo_win) and screen.period.to_day == today
                    and screen.period.from_day.weekday() == 0, timeout=20_000)
    _check_against_the_report(demo_win, screen)
    assert len(screen.cards["recharge"].items["principal_fen"].opts["height"]) == screen.period.days
    # another campaign (an earlier one): its whole window, no wheel published for it
    data = read_campaign_file(DEMO_CAMPAIGN)
    first = today - timedelta(days=120)
    data["campaign"].update(code="SUMMER", name="夏季活动", starts_on=first.isoformat(),
                            ends_on=(first + timedelta(days=29)).isoformat())
    campaigns.load_campaign(demo_win.appctx.ctx, staff.login(demo_win.appctx.ctx, "admin", "8888"), data)
    screen.campaign_list = []
    screen.period_box.setCurrentIndex(cr.PERIODS.index(cr.CAMPAIGN))
    screen.on_shown()
    qtbot.waitUntil(lambda: screen.campaign_box.count() == 2 and idle(demo_win), timeout=20_000)
    screen.campaign_box.setCurrentIndex(screen.campaign_box.findData("SUMMER"))
    qtbot.waitUntil(lambda: screen.complete() and idle(demo_win) and screen.campaign.code == "SUMMER", timeout=20_000)
    assert screen.period == cr.Period(first, first + timedelta(days=29))
    _check_against_the_report(demo_win, screen)
    assert screen.cards["wheel"].status.text() == "该活动还没有发布幸运大转盘"
    assert "夏季活动" in screen.campaign_box.currentText()


def _legend(card: Any) -> list[str]:
    return [label.text for _sample, label in card.plot.plotItem.legend.items]


def test_the_daily_target_line_and_target_against_actual(demo_win: MainWindow, qtbot: Any, tmp_path: Path) -> None:
    screen = _open(demo_win, qtbot)
    ctx, actor = demo_win.appctx.ctx, demo_win.appctx.actor
    rep = cr.campaign_report(ctx, actor, from_day=screen.period.from_day, to_day=screen.period.to_day)
    info = rep.campaign
    # the demo campaign's 200 coupon redemptions and 150 mall redemptions, spread over its days
    days = (info.ends_on - info.starts_on).days + 1
    for name, key, target in (("coupons", "coupons_redeemed", 200), ("redemptions", "mall_redemptions", 150)):
        card, serie = screen.cards[name], rep.section(name).serie(key)
        whole = cr.spread(target, days)
        assert serie.target == tuple(whole[(d - info.starts_on).days] for d in rep.period.dates())
        _x, ys = card.items[f"target:{key}"].getData()
        assert [round(y) for y in ys] == list(serie.target)
        assert f"每日目标 {serie.label}" in _legend(card)
    fig = rep.section("coupons").figure("coupons.redeemed")
    assert fig.target == 200
    text = screen.cards["coupons"].buttons["coupons.redeemed"].text()
    assert f"目标 200，达成 {cr.value_text(fig.value * 10_000 // 200, cr.BP)}" in text
    assert "目标 100，达成" in screen.cards["recharge"].buttons["recharge.new_members"].text()
    assert "target:principal_fen" not in screen.cards["recharge"].items  # no previous recharge to grow from
    screen.grab().save(str(tmp_path / "dashboard_campaign.png"))
    # the coming fortnight: its previous period holds the demo's recharges, so the recharge target (20% more)
    # is drawn day by day over it
    today = demo_win.appctx.store_today()
    screen.period_box.setCurrentIndex(cr.PERIODS.index(cr.CUSTOM))
    qtbot.waitUntil(lambda: screen.complete() and idle(demo_win), timeout=20_000)
    screen.start.setDate(screen.start.date().fromString((today + timedelta(days=1)).isoformat(), "yyyy-MM-dd"))
    screen.end.setDate(screen.end.date().fromString((today + timedelta(days=14)).isoformat(), "yyyy-MM-dd"))
    screen.refresh()
    qtbot.waitUntil(lambda: screen.complete() and idle(demo_win) and screen.period.to_day == today + timedelta(days=14),
                    timeout=20_000)
    card = screen.cards["recharge"]
    sec = card.section
    principal = sec.figure("recharge.principal")
    assert principal.previous and principal.target == principal.previous * 12_000 // 10_000
    serie = sec.serie("principal_fen")
    assert serie.target is not None and sum(serie.target) == principal.target and len(serie.target) == 14
    assert max(serie.target) - min(serie.target) <= 1
    _x, ys = card.items["target:principal_fen"].getData()
    assert [round(y * 100) for y in ys] == list(serie.target)
    assert f"每日目标 {serie.label}" in _legend(card)
    assert f"目标 {cr.value_text(principal.target, cr.FEN)}，达成 0.00%" in card.buttons["recharge.principal"].text()
    card.grab().save(str(tmp_path / "dashboard_recharge_target.png"))
    assert (tmp_path / "dashboard_recharge_target.png").stat().st_size > 0


def test_clicking_a_figure_or_a_bar_lists_its_rows(demo_win: MainWindow, qtbot: Any, qtmodeltester: Any) -> None:
    screen = _open(demo_win, qtbot)
    sales = screen.sections["sales"]
    qtbot.mouseClick(screen.cards["sales"].buttons["sales.paid"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: screen.drill_table is not None and idle(demo_win), timeout=10_000)
    qtmodeltester.check(screen.drill_model)
    assert screen.drill_model.rowCount() == sales.figure("sales.count").value > 0
    assert screen.drill_table.total == sales.figure("sales.paid").value
    assert screen.drill_model.headerData(0, Qt.Orientation.Horizontal) == "时间"
    assert cr.value_text(sales.figure("sales.paid").value, cr.FEN) in screen.drill_title.text()
    # the busiest recharge day's bar, clicked with the mouse
    card = screen.cards["recharge"]
    values = card.section.serie("principal_fen").values
    day = max(range(len(values)), key=lambda i: values[i])
    bar = card.items["principal_fen"]
    x = bar.opts["x"][day]
    scene = card.plot.plotItem.vb.mapViewToScene(QPointF(x, bar.opts["height"][day] / 2))
    screen.drill_table = None
    qtbot.mouseClick(card.plot.viewport(), Qt.MouseButton.LeftButton, pos=card.plot.mapFromScene(scene))
    qtbot.waitUntil(lambda: screen.drill_table is not None and idle(demo_win), timeout=10_000)
    assert screen.drill_table.total == values[day] > 0
    assert screen.period.day(day).isoformat() in screen.drill_title.text()
    # a breakdown row: the tier mix's first tier
    part = card.section.breakdown("tier_mix").parts[0]
    screen.drill_table = None
    card.buttons[f"tier_mix:{part.ref}"].click()
    qtbot.waitUntil(lambda: screen.drill_table is not None and idle(demo_win), timeout=10_000)
    assert screen.drill_table.total == part.value


def test_a_bad_custom_period_says_why(demo_win: MainWindow, qtbot: Any) -> None:
    screen = _open(demo_win, qtbot)
    screen.period_box.setCurrentIndex(cr.PERIODS.index(cr.CUSTOM))
    qtbot.waitUntil(lambda: screen.complete() and idle(demo_win), timeout=20_000)
    assert screen.start.isEnabled() and screen.end.isEnabled()
    screen.start.setDate(screen.end.date().addDays(3))
    screen.refresh()
    qtbot.waitUntil(lambda: idle(demo_win) and not screen.error.isHidden(), timeout=10_000)
    assert "晚于" in screen.error.text()


def test_a_cashier_has_no_dashboard(win: MainWindow, qtbot: Any) -> None:
    login(qtbot, win, "cash1", "1111")
    assert "dashboard" not in win.screens
    press(qtbot, win, Qt.Key.Key_F3, Qt.KeyboardModifier.ShiftModifier)
    assert "活动看板" in win.notice.text()


def test_the_app_starts_without_pyqtgraph() -> None:
    code = ("import sys; from pos_app.ui.screens import screens; import pos_app.ui.main; "
            "assert any(s.key == 'dashboard' for s in screens()); print('pyqtgraph' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60,
                         env={"PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin"})
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"
