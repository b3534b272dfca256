"""Keyboard first (issue 9, item 9) on F8 (coupons), F9 (invites), the receipt and the stocktake's print and
export buttons; a saved file says where it went; a path that cannot be written gets a translated message."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtPrintSupport import QPrintDialog
from PySide6.QtWidgets import QApplication, QFileDialog, QWidget

from pos_app import messages
from pos_app.services import coupons, gifts, members, wallet
from pos_app.ui.coupons_view import CouponsScreen, InvitesScreen
from pos_app.ui.receipt import ReceiptDialog
from pos_app.ui.stock_view import StockScreen
from tests.ui.conftest import idle, login, press, select_member
from tests.ui.test_coupons_ui import _member
from tests.ui.test_stock_ui import _catalogue

CTRL, SHIFT = Qt.KeyboardModifier.ControlModifier, Qt.KeyboardModifier.ShiftModifier


def key(qtbot: Any, w: QWidget, k: Any, mods: Any = Qt.KeyboardModifier.NoModifier) -> None:
    """A key to whatever has the focus in ``w``'s window (as a person types it)."""
    if QApplication.activeWindow() is not w.window():  # back from a dialog
        w.window().activateWindow()
        qtbot.waitUntil(lambda: QApplication.activeWindow() is w.window(), timeout=3000)
    target = QApplication.focusWidget() or w
    qtbot.keyClick(target, k, mods)


_timers: list[QTimer] = []


def answer_next_dialog(fn: Callable[[Any], None]) -> None:
    """As soon as a modal dialog is up (inside its exec), ``fn(dialog)`` once."""
    timer = QTimer()
    timer.setInterval(10)

    def check() -> None:
        dlg = QApplication.activeModalWidget()
        if dlg is not None and dlg.isVisible():
            timer.stop()
            fn(dlg)

    timer.timeout.connect(check)
    timer.start()
    _timers[:] = [timer]


def save_as(path: Path) -> None:
    def fn(dlg: Any) -> None:
        assert isinstance(dlg, QFileDialog) and dlg.testOption(QFileDialog.Option.DontUseNativeDialog)
        dlg.selectFile(str(path))
        dlg.accept()

    answer_next_dialog(fn)


def _f8(win: Any, qtbot: Any, code: str, pin: str) -> CouponsScreen:
    login(qtbot, win, code, pin)
    select_member(qtbot, win, "13800000001")
    press(qtbot, win, Qt.Key.Key_F8)
    screen: CouponsScreen = win.screens["coupons"]
    qtbot.waitUntil(lambda: idle(win) and len(screen.model.rows) == 2 and screen.template.count() >= 3, timeout=10_000)
    return screen


@pytest.mark.xvfb
def test_everything_on_f8_by_keyboard(win: Any, qtbot: Any, store: Any, tmp_path: Path) -> None:
    _member(store)
    screen = _f8(win, qtbot, "boss", "9999")
    # the buttons show their keys; F1 gets the screen's list, every line translated
    assert "(Ctrl+I)" in screen.issue_btn.text() and "(Ctrl+D)" in screen.void_btn.text()
    assert "(Ctrl+Shift+P)" in screen.preview_btn.text() and "(Ctrl+P)" in screen.print_btn.text()
    assert "(Ctrl+S)" in screen.pdf_btn.text() and "(Ctrl+Shift+T)" in screen.template_btn.text()
    for _keys, k in CouponsScreen.help_keys + InvitesScreen.help_keys:
        assert messages.translate(k) != k and messages.translate(k, lang="en") != k

    # rows by arrows; Enter puts the coupon at payment, the amount is next
    qtbot.waitUntil(screen.table.hasFocus, timeout=3000)
    key(qtbot, win, Qt.Key.Key_Down)
    assert screen.table.currentIndex().row() == 1 and [r.code for r in screen.selected()] == [screen.model.rows[1].code]
    key(qtbot, win, Qt.Key.Key_Up)
    key(qtbot, win, Qt.Key.Key_Return)
    assert screen.code.text() == screen.model.rows[0].code and screen.amount.hasFocus()

    # issue by keyboard: template (typed prefix), reason, Ctrl+I
    key(qtbot, win, Qt.Key.Key_M, CTRL)
    assert screen.template.hasFocus()
    qtbot.keyClicks(screen.template, "PET5")
    assert screen.template.currentData() == "PET50"
    key(qtbot, win, Qt.Key.Key_R, CTRL | SHIFT)
    assert screen.reason.hasFocus()
    qtbot.keyClicks(screen.reason, "complaint")
    key(qtbot, win, Qt.Key.Key_I, CTRL)
    qtbot.waitUntil(lambda: idle(win) and len(screen.last_issued) == 1 and len(screen.model.rows) == 3, timeout=10_000)
    issued = screen.last_issued[0]

    # void it: back to the list, walk to its row, a reason, Ctrl+D
    key(qtbot, win, Qt.Key.Key_T, CTRL)
    assert screen.table.hasFocus()
    key(qtbot, win, Qt.Key.Key_Home, CTRL)
    for _ in range([r.code for r in screen.model.rows].index(issued.code)):
        key(qtbot, win, Qt.Key.Key_Down)
    key(qtbot, win, Qt.Key.Key_Space)  # selects the row the cursor is on
    assert [r.code for r in screen.selected()] == [issued.code]
    key(qtbot, win, Qt.Key.Key_R, CTRL | SHIFT)
    qtbot.keyClicks(screen.reason, "wrong one")
    key(qtbot, win, Qt.Key.Key_D, CTRL)
    qtbot.waitUntil(lambda: idle(win) and coupons.get_coupon(store.ctx, store.manager, issued.code).state == "voided",
                    timeout=10_000)

    # print preview (non-modal; it paints), Esc closes it
    key(qtbot, win, Qt.Key.Key_T, CTRL)
    painted = screen.painted
    key(qtbot, win, Qt.Key.Key_P, CTRL | SHIFT)
    dlg = screen.preview_dialog
    assert dlg is not None
    qtbot.waitUntil(lambda: dlg.isVisible() and screen.painted > painted, timeout=10_000)
    dlg.close()
    qtbot.waitUntil(lambda: screen.preview_dialog is None, timeout=5_000)  # deleted on close

    # the print dialog (Ctrl+P) opens; cancelled, nothing printed
    seen: list[Any] = []

    def cancel(d: Any) -> None:
        seen.append(type(d))
        d.reject()

    answer_next_dialog(cancel)
    key(qtbot, win, Qt.Key.Key_P, CTRL)
    assert seen and issubclass(seen[0], QPrintDialog)

    # save as PDF (Ctrl+S) in the app's own chooser; the screen says where it went
    out = tmp_path / "coupons.pdf"
    save_as(out)
    key(qtbot, win, Qt.Key.Key_S, CTRL)
    qtbot.waitUntil(lambda: str(out) in screen.print_info.text(), timeout=30_000)
    assert out.read_bytes().startswith(b"%PDF")

    # a new template (Ctrl+Shift+T): its dialog opens; Esc closes it
    key(qtbot, win, Qt.Key.Key_T, CTRL | SHIFT)
    tdlg = screen.template_dialog
    assert tdlg is not None
    qtbot.waitUntil(tdlg.isVisible, timeout=3000)
    qtbot.keyClick(tdlg, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not tdlg.isVisible(), timeout=3000)


def test_f8_keys_say_why_when_the_role_cannot(win: Any, qtbot: Any, store: Any) -> None:
    _member(store)
    screen = _f8(win, qtbot, "cash1", "1111")
    before = len(coupons.list_coupons(store.ctx, store.manager))
    asked: list[str] = []
    win.appctx.ask_manager = lambda reason: asked.append(reason)  # the manager's PIN prompt, declined
    key(qtbot, win, Qt.Key.Key_I, CTRL)
    assert len(asked) == 1
    assert screen.manage_error.isVisible() and "需要店长授权" in screen.manage_error.text()
    screen.manage_error.show_error(None)
    screen.table.selectRow(0)  # a coupon to void
    key(qtbot, win, Qt.Key.Key_D, CTRL)
    assert len(asked) == 2 and "需要店长授权" in screen.manage_error.text()
    key(qtbot, win, Qt.Key.Key_E, CTRL | SHIFT)  # no receipt printer set up
    assert "未设置小票机" in screen.print_info.text()
    qtbot.waitUntil(lambda: idle(win), timeout=10_000)
    assert len(coupons.list_coupons(store.ctx, store.manager)) == before


def test_saving_to_a_path_that_cannot_be_written_says_why(win: Any, qtbot: Any, store: Any, tmp_path: Path) -> None:
    _member(store)
    _catalogue(store)
    screen = _f8(win, qtbot, "boss", "9999")
    assert screen.save_pdf(str(tmp_path)) is None
    assert "是一个文件夹" in screen.manage_error.text()
    assert screen.save_pdf(str(tmp_path / "nope" / "c.pdf")) is None
    assert "文件夹不存在" in screen.manage_error.text()

    press(qtbot, win, Qt.Key.Key_F9)
    inv: InvitesScreen = win.screens["invites"]
    qtbot.waitUntil(lambda: idle(win) and inv.last_card is not None, timeout=10_000)
    assert inv.save_card(str(tmp_path)) is False and "是一个文件夹" in inv.error.text()
    assert inv.save_card(str(tmp_path / "card.png")) is True and "card.png" in inv.info.text()

    press(qtbot, win, Qt.Key.Key_F7)
    stock: StockScreen = win.screens["stock"]
    qtbot.waitUntil(lambda: idle(win) and len(stock.model.rows) == 3, timeout=10_000)
    stock.export_to("stock", str(tmp_path))
    assert "是一个文件夹" in stock.error.text()
    assert stock.save_sheet_pdf(str(tmp_path / "nope" / "s.pdf")) is False
    assert "文件夹不存在" in stock.error.text()
    stock.export_to("stock", str(tmp_path / "stock.csv"))
    qtbot.waitUntil(lambda: idle(win) and stock.last_export == str(tmp_path / "stock.csv"), timeout=10_000)
    assert not stock.error.isVisible() and str(tmp_path / "stock.csv") in stock.message.text()


def _receipt(store: Any) -> Any:
    m = members.register_member(store.ctx, store.cashier, phone="13800000009", name="王九")
    return wallet.recharge(store.ctx, store.cashier, member_id=m.member_id, tier_code="basic")


@pytest.mark.xvfb
def test_receipt_scrolls_by_keyboard_and_says_where_the_pdf_went(
    win: Any, qtbot: Any, store: Any, tmp_path: Path
) -> None:
    result = _receipt(store)
    login(qtbot, win, "cash1", "1111")
    dlg = ReceiptDialog(win.appctx, result, win)
    qtbot.addWidget(dlg)
    dlg.resize(460, 420)  # smaller than the receipt: it scrolls
    dlg.show()
    qtbot.waitUntil(dlg.isVisible, timeout=3000)
    dlg.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dlg, timeout=3000)
    assert "(Ctrl+P)" in dlg.print_btn.text() and "(Ctrl+Shift+P)" in dlg.preview_btn.text()
    assert "(Ctrl+S)" in dlg.pdf_btn.text()
    sb = dlg.view.verticalScrollBar()
    qtbot.waitUntil(lambda: sb.maximum() > 0, timeout=3000)
    assert dlg.close_btn.hasFocus() and sb.value() == 0
    key(qtbot, dlg, Qt.Key.Key_PageDown)
    assert sb.value() > 0
    key(qtbot, dlg, Qt.Key.Key_PageUp)
    assert sb.value() == 0
    key(qtbot, dlg, Qt.Key.Key_End, CTRL)
    assert sb.value() == sb.maximum()
    key(qtbot, dlg, Qt.Key.Key_Home, CTRL)
    assert sb.value() == 0
    # Ctrl+S: the app's chooser; the dialog then says where the PDF is
    out = tmp_path / "r.pdf"
    save_as(out)
    key(qtbot, dlg, Qt.Key.Key_S, CTRL)
    assert out.read_bytes().startswith(b"%PDF")
    assert dlg.saved.isVisible() and dlg.saved.text() == f"小票已保存到 {out}"
    # a folder, a missing folder: a translated message, no traceback, no "saved"
    assert dlg.save_to(str(tmp_path)) is False
    assert "是一个文件夹" in dlg.error.text() and not dlg.saved.isVisible()
    assert dlg.save_to(str(tmp_path / "missing" / "r.pdf")) is False
    assert "文件夹不存在" in dlg.error.text()
    # the preview (Ctrl+Shift+P, modal over the receipt) paints; Esc closes it
    shown: list[Any] = []

    def look_and_close(d: Any) -> None:
        shown.append((type(d).__name__, dlg.preview_paints))
        qtbot.keyClick(d, Qt.Key.Key_Escape)

    answer_next_dialog(look_and_close)
    key(qtbot, dlg, Qt.Key.Key_P, CTRL | SHIFT)
    assert len(shown) == 1 and shown[0][0] == "QPrintPreviewDialog" and dlg.preview_paints >= 1
    dlg.accept()


@pytest.mark.xvfb
def test_stocktake_print_and_exports_by_keyboard(win: Any, qtbot: Any, store: Any, tmp_path: Path) -> None:
    _catalogue(store)
    gifts.receive(store.ctx, store.staff, sku="TOY-001", qty=1)
    login(qtbot, win, "boss", "9999")
    press(qtbot, win, Qt.Key.Key_F7)
    screen: StockScreen = win.screens["stock"]
    qtbot.waitUntil(lambda: idle(win) and len(screen.model.rows) == 3, timeout=10_000)
    assert "(Ctrl+Shift+E)" in screen.levels_export.text()
    # Ctrl+E on the stock tab exports the stock levels
    levels = tmp_path / "levels.csv"
    save_as(levels)
    key(qtbot, win, Qt.Key.Key_E, CTRL | SHIFT)
    qtbot.waitUntil(lambda: idle(win) and screen.last_export == str(levels), timeout=10_000)
    assert "TOY-001" in levels.read_text(encoding="utf-8-sig")
    # the stocktake tab: Ctrl+O loads the sheet, Ctrl+Shift+P previews it, Ctrl+S saves it as PDF
    screen.tabs.setCurrentIndex(2)
    screen.st_scan.setFocus()
    for b, k in ((screen.st_load, "(Ctrl+O)"), (screen.st_print, "(Ctrl+Shift+P)"), (screen.st_pdf, "(Ctrl+S)"),
                 (screen.st_export, "(Ctrl+Shift+E)")):
        assert k in b.text()
    key(qtbot, win, Qt.Key.Key_O, CTRL)
    qtbot.waitUntil(lambda: idle(win) and screen.st_model.rowCount() == 3, timeout=10_000)
    key(qtbot, win, Qt.Key.Key_P, CTRL | SHIFT)
    preview = screen.preview_dialog
    assert preview is not None
    qtbot.waitUntil(lambda: preview.isVisible() and screen.preview_paints >= 1, timeout=10_000)
    preview.close()
    sheet = tmp_path / "sheet.pdf"
    save_as(sheet)
    key(qtbot, win, Qt.Key.Key_S, CTRL)
    assert sheet.read_bytes().startswith(b"%PDF") and str(sheet) in screen.message.text()
    counts = tmp_path / "counts.csv"
    save_as(counts)
    key(qtbot, win, Qt.Key.Key_E, CTRL | SHIFT)
    qtbot.waitUntil(lambda: idle(win) and screen.last_export == str(counts), timeout=10_000)
    assert "FOOD-BOX" in counts.read_text(encoding="utf-8-sig")
