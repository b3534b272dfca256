"""The reports screen (Shift+F11) driven with pytest-qt on a real store: a cashier opens a shift with a float,
sees the cash expected, types the count and sees the difference before closing, saves the shift PDF;
a manager sees the liability and daily sales tabs whose rows equal the services' figures, and exports."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from pypdf import PdfReader
from PySide6.QtCore import Qt
from PySide6.QtPrintSupport import QPrintDialog

from pos_app.domain.money import format_fen
from pos_app.services import members, wallet
from pos_app.services.reports import liability, sales, shift
from tests.ui.conftest import idle, login, press
from tests.ui.test_print_keys_ui import answer_next_dialog


def _open(win: Any, qtbot: Any, code: str, pin: str) -> Any:
    login(qtbot, win, code, pin)
    press(qtbot, win, Qt.Key.Key_F11, Qt.KeyboardModifier.ShiftModifier)
    screen = win.screens["reports"]
    assert win.tabs.currentWidget() is screen
    qtbot.waitUntil(lambda: idle(win), timeout=10_000)
    return screen


def test_a_cashier_opens_and_closes_a_shift(win: Any, qtbot: Any, store: Any, tmp_path: Path, qtmodeltester: Any) -> None:
    screen = _open(win, qtbot, "cash1", "1111")
    assert screen.tabs.count() == 1 and screen.liability is None  # a cashier sees only the shift
    tab = screen.shift
    assert tab.status.text() == "还没有班次" and tab.open_btn.isEnabled() and not tab.close_btn.isEnabled()
    tab.float_edit.setText("200")
    tab.open_btn.click()
    qtbot.waitUntil(lambda: idle(win) and tab.current is not None, timeout=10_000)
    assert tab.current.state == "open" and tab.close_btn.isEnabled() and not tab.open_btn.isEnabled()
    mid = members.register_member(store.ctx, store.cashier, phone="13900000001").member_id
    wallet.recharge(store.ctx, store.cashier, member_id=mid, amount_fen=30_000, pay_method="cash")
    wallet.recharge(store.ctx, store.cashier, member_id=mid, amount_fen=10_000, pay_method="wechat")
    tab.refresh()
    qtbot.waitUntil(lambda: idle(win) and tab.current is not None and tab.current.expected_fen == 50_000, timeout=10_000)
    qtmodeltester.check(tab.model)
    assert tab.model.rowCount() == 2 and tab.model.index(0, 3).data() == format_fen(30_000)
    assert format_fen(50_000) in tab.till.text()
    tab.counted_edit.setText("490")
    assert tab.difference.text() == f"实点现金 {format_fen(49_000)}，差额 {format_fen(-1_000)}"
    qtbot.keyClick(tab.counted_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: idle(win) and tab.current.state == "closed", timeout=10_000)
    assert tab.current.difference_fen == -1_000 and not tab.close_btn.isEnabled() and tab.open_btn.isEnabled()
    assert format_fen(-1_000) in tab.difference.text()
    closed = shift.current_shift(store.ctx, store.cashier)
    assert closed is not None and closed.counted_fen == 49_000
    tab.layout_box.setCurrentIndex(1)  # A4
    out = tmp_path / "shift.pdf"
    tab.save_pdf(str(out))
    qtbot.waitUntil(lambda: idle(win) and tab.last_pdf == str(out), timeout=10_000)
    page = PdfReader(str(out)).pages[0]
    assert round(float(page.mediabox.width) / 72 * 25.4) == 210
    assert "交班报表" in page.extract_text().replace(" ", "")
    html = tab.slip_html()
    for word in ("交班报表", "备用金", "应有现金", format_fen(-1_000)):
        assert word in html, word
    answer_next_dialog(lambda dlg: dlg.reject())  # the system print dialog comes up; cancelled: nothing printed
    tab.print_paper()
    assert isinstance(tab.print_dialog, QPrintDialog)
    # the next shift: the float field offers what was counted
    tab.refresh()
    qtbot.waitUntil(lambda: idle(win) and tab.float_edit.text() == "490.00", timeout=10_000)


def test_a_manager_sees_liability_and_sales(win: Any, qtbot: Any, store: Any, tmp_path: Path, qtmodeltester: Any) -> None:
    mid = members.register_member(store.ctx, store.cashier, phone="13900000002").member_id
    wallet.recharge(store.ctx, store.cashier, member_id=mid, tier_code="basic", pay_method="cash")
    wallet.spend(store.ctx, store.cashier, member_id=mid, amount_fen=2_000)
    screen = _open(win, qtbot, "boss", "9999")
    assert screen.tabs.count() == 3
    tab = screen.liability
    today = store.clock.now.date()
    start, end = today - timedelta(days=2), today + timedelta(days=1)
    tab.set_period(start, end)
    screen.tabs.setCurrentWidget(tab)
    qtbot.waitUntil(lambda: idle(win) and tab.report is not None, timeout=10_000)
    qtmodeltester.check(tab.model)
    want = liability.liability(store.ctx, store.manager, from_day=start, to_day=end)
    assert tab.report == want
    last = tab.model.rowCount() - 1
    assert tab.model.index(last, 0).data() == "期末余额"
    assert tab.model.index(last, 2).data() == format_fen(want.closing_principal_fen)
    assert tab.model.index(last, 3).data() == format_fen(want.closing_bonus_fen)
    assert "应付会员本金" in tab.summary.text() and "相符" in tab.summary.text()
    out = tmp_path / "l.xlsx"
    tab.export_to(str(out))
    qtbot.waitUntil(lambda: idle(win) and tab.last_export == str(out), timeout=10_000)
    assert load_workbook(out).active.cell(2, 1).value == "期初余额"
    st = screen.sales
    st.set_period(start, end)
    screen.tabs.setCurrentWidget(st)
    qtbot.waitUntil(lambda: idle(win) and st.model.rowCount() == 4, timeout=10_000)
    qtmodeltester.check(st.model)
    rows = sales.daily_sales(store.ctx, store.manager, from_day=start, to_day=end)
    assert [st.model.index(i, 0).data() for i in range(4)] == [d.day.isoformat() for d in rows]
    assert date.fromisoformat(st.model.index(0, 0).data()) == start
