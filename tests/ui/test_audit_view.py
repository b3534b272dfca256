"""The audit screen (F11, managers): the rows with who/approver/what/moved figures, the filters (staff,
action, store-local dates, member phone), CSV/XLSX export read back; not shown to a cashier."""

from __future__ import annotations

import csv
from datetime import date
from typing import Any

from openpyxl import load_workbook
from PySide6.QtCore import QDate, Qt

from pos_app.services import members, wallet
from pos_app.ui import audit_view, filedialogs
from tests.ui.conftest import idle, login, press


def _activity(store: Any) -> None:
    a = members.register_member(store.ctx, store.cashier, phone="13800000001")
    members.register_member(store.ctx, store.cashier, phone="13800000002")
    r = wallet.recharge(store.ctx, store.cashier, member_id=a.member_id, amount_fen=500_00, request_id="rq-ui-1")
    wallet.spend(store.ctx, store.cashier, member_id=a.member_id, amount_fen=20_00)
    wallet.refund(store.ctx, store.manager, recharge_id=r.recharge_id, operator=store.cashier)


def _open(win: Any, qtbot: Any) -> Any:
    login(qtbot, win, "boss", "9999")
    press(qtbot, win, Qt.Key.Key_F11)
    screen = win.screens["audit"]
    assert win.tabs.currentWidget() is screen
    qtbot.waitUntil(lambda: idle(win) and len(screen.model.rows) > 0, timeout=10_000)
    return screen


def _apply(win: Any, qtbot: Any, screen: Any) -> list[Any]:
    screen.apply.click()
    qtbot.waitUntil(lambda: idle(win), timeout=10_000)
    return screen.model.rows


def test_the_audit_screen_is_for_managers_only(win: Any, qtbot: Any) -> None:
    login(qtbot, win, "cash1", "1111")
    assert "audit" not in win.screens


def test_rows_filters_and_moved_figures(win: Any, qtbot: Any, store: Any, qtmodeltester: Any) -> None:
    _activity(store)
    screen = _open(win, qtbot)
    qtmodeltester.check(screen.model)
    rows = screen.model.rows
    assert [r.seq for r in rows] == sorted((r.seq for r in rows), reverse=True)
    assert screen.info.text() == f"共 {len(rows)} 条（最新在前）"
    refund_i = next(i for i, r in enumerate(rows) if r.action == "wallet.refund")
    model = screen.model
    assert model.index(refund_i, 2).data() == "cash1" and model.index(refund_i, 3).data() == "boss"
    recharge_i = next(i for i, r in enumerate(rows) if r.action == "wallet.recharge")
    moved = model.index(recharge_i, 7).data()
    assert "余额 13800000001: ¥0.00 -> ¥550.00" in moved and "积分 13800000001: 0 -> " in moved
    assert model.index(recharge_i, 8).data() == "rq-ui-1"
    # staff
    screen.staff.setText("cash1")
    got = _apply(win, qtbot, screen)
    assert got and all("cash1" in (r.staff_code, r.approved_by_code) for r in got)
    assert "campaign.load" not in {r.action for r in got}
    # action (a group) and member phone together
    screen.action.setCurrentIndex(screen.action.findData("wallet."))
    screen.phone.setText("13800000001")
    got = _apply(win, qtbot, screen)
    assert sorted(r.action for r in got) == ["wallet.recharge", "wallet.refund", "wallet.spend"]
    screen.phone.setText("13800000002")
    assert _apply(win, qtbot, screen) == []
    # dates in store time: the test clock is 2026-11-23 in Beijing
    screen.staff.clear()
    screen.phone.clear()
    screen.action.setCurrentIndex(0)
    screen.use_dates.setChecked(True)
    screen.since.setDate(QDate(2026, 11, 23))
    screen.until.setDate(QDate(2026, 11, 23))
    assert len(_apply(win, qtbot, screen)) == len(rows)
    screen.since.setDate(QDate(2026, 11, 24))
    screen.until.setDate(QDate(2026, 11, 25))
    assert _apply(win, qtbot, screen) == []
    assert screen.filters()["since"] == date(2026, 11, 24)


def test_export_csv_and_xlsx_read_back(win: Any, qtbot: Any, store: Any, tmp_path: Any, monkeypatch: Any) -> None:
    _activity(store)
    screen = _open(win, qtbot)
    screen.action.setCurrentIndex(screen.action.findData("wallet."))
    shown = _apply(win, qtbot, screen)
    out = tmp_path / "audit.csv"
    screen.export_to(str(out))
    qtbot.waitUntil(lambda: idle(win) and screen.last_export == str(out), timeout=10_000)
    with out.open(encoding="utf-8-sig", newline="") as fh:
        table = list(csv.reader(fh))
    assert table[0][:5] == ["序号", "时间", "员工", "批准店长", "操作"]
    assert [int(r[0]) for r in table[1:]] == [r.seq for r in shown]
    assert {r[4] for r in table[1:]} == {"wallet.recharge", "wallet.spend", "wallet.refund"}
    refund = next(r for r in table[1:] if r[4] == "wallet.refund")
    assert (refund[2], refund[3]) == ("cash1", "boss")
    assert refund[1].startswith("2026-11-23 10:00")  # store time (UTC+8)
    # XLSX through the app's own file chooser (stubbed: it answers with the path)
    xl = tmp_path / "audit.xlsx"
    asked: list[str] = []

    def chooser(parent: Any, title: str, default_name: str, filters: str) -> str:
        asked.append(default_name)
        return str(xl)

    monkeypatch.setattr(filedialogs, "save_file", chooser)
    screen.export.click()
    qtbot.waitUntil(lambda: idle(win) and screen.last_export == str(xl), timeout=10_000)
    assert asked == ["audit.xlsx"]
    ws = load_workbook(xl).active
    values = list(ws.values)
    assert values[0][4] == "操作"
    assert [int(v[0]) for v in values[1:]] == [r.seq for r in shown]
    assert "余额 13800000001: ¥0.00 -> ¥550.00" in str(next(v for v in values[1:] if v[4] == "wallet.recharge")[10])


def test_an_unwritable_export_path_is_a_message(win: Any, qtbot: Any, store: Any, tmp_path: Any) -> None:
    screen = _open(win, qtbot)
    screen.export_to(str(tmp_path / "missing" / "audit.csv"))
    assert screen.error.isVisible() and screen.error.text()
    assert screen.last_export is None
    assert audit_view.SHOWN >= 1000
