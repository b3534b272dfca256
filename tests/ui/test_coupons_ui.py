"""Coupons (F8) and invites (F9) driven with pytest-qt over the real main window and store."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from pypdf import PdfReader
from PySide6.QtCore import Qt, QTimer
from PySide6.QtPrintSupport import QPrinter
from pyzbar.pyzbar import ZBarSymbol, decode

from pos_app.services import coupons, members, referrals, wallet
from pos_app.ui.coupons_view import CouponsScreen, InvitesScreen
from tests.ui.conftest import idle, login, press, select_member


def _member(store: Any) -> Any:
    a = members.register_member(store.ctx, store.cashier, phone="13800000001", name="陈一")
    wallet.recharge(store.ctx, store.cashier, member_id=a.member_id, tier_code="basic")  # 550 balance, 1 PET20
    b = members.register_member(store.ctx, store.cashier, phone="13800000002", invite_code=a.invite_code)
    wallet.recharge(store.ctx, store.cashier, member_id=b.member_id, tier_code="basic")  # a: referral coupon
    return a


@pytest.mark.xvfb
def test_issue_redeem_and_preview(win: Any, qtbot: Any, store: Any, qtmodeltester: Any) -> None:
    a = _member(store)
    login(qtbot, win, "boss", "9999")
    select_member(qtbot, win, "13800000001")
    press(qtbot, win, Qt.Key.Key_F8)
    screen: CouponsScreen = win.screens["coupons"]
    assert win.tabs.currentWidget() is screen
    qtbot.waitUntil(lambda: idle(win) and len(screen.model.rows) == 2 and screen.template.count() >= 3, timeout=10_000)
    qtmodeltester.check(screen.model)
    assert "13800000001" in screen.title.text()

    # a manager issues a coupon by hand, with a reason
    screen.template.setCurrentIndex(screen.template.findData("PET50"))
    screen.reason.setText("顾客投诉补偿")
    qtbot.mouseClick(screen.issue_btn, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: idle(win) and len(screen.last_issued) == 1 and len(screen.model.rows) == 3, timeout=10_000)
    issued = screen.last_issued[0]
    assert issued.template_code == "PET50" and issued.member_id == a.member_id and issued.reason == "顾客投诉补偿"

    # redeem it at payment: typed in lower case without dashes, then the amount; the preview shows first
    qtbot.keyClicks(screen.code, issued.code.lower().replace("-", ""))
    qtbot.keyClick(screen.code, Qt.Key.Key_Return)
    qtbot.keyClicks(screen.amount, "350")
    qtbot.waitUntil(lambda: idle(win) and screen.preview is not None, timeout=10_000)
    assert screen.preview.discount_fen == 50_00 and "¥300.00" in screen.preview_label.text()
    qtbot.keyClick(screen.amount, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: idle(win) and screen.last_payment is not None, timeout=10_000)
    assert (screen.last_payment.discount_fen, screen.last_payment.payable_fen) == (50_00, 300_00)
    assert members.get_member(store.ctx, store.cashier, member_id=a.member_id).balance_fen == 250_00
    assert coupons.get_coupon(store.ctx, store.cashier, issued.code).state == "redeemed"

    # the same code again: refused with its own message, nothing paid
    screen.code.setText(issued.code)
    screen.amount.setText("350")
    qtbot.waitUntil(lambda: idle(win) and screen.redeem_error.isVisible(), timeout=10_000)
    assert "已使用" in screen.redeem_error.text()

    # print preview opens (non-modal) and paints the listed coupons
    qtbot.waitUntil(lambda: idle(win) and len(screen.model.rows) == 3, timeout=10_000)
    dlg = screen.open_preview()
    qtbot.waitUntil(lambda: dlg.isVisible() and screen.painted >= 3, timeout=10_000)
    dlg.close()


@pytest.mark.xvfb
def test_printing_500_coupons_runs_off_the_gui_thread(win: Any, qtbot: Any, store: Any, tmp_path: Path) -> None:
    coupons.issue_coupons(store.ctx, store.manager, template_code="GROOM85", count=500, reason="门店活动")
    login(qtbot, win, "boss", "9999")
    press(qtbot, win, Qt.Key.Key_F8)
    screen: CouponsScreen = win.screens["coupons"]
    qtbot.waitUntil(lambda: idle(win) and len(screen.model.rows) == 500, timeout=20_000)
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    screen._setup_printer(printer)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    out = tmp_path / "qt-print.pdf"
    printer.setOutputFileName(str(out))
    ticks = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(screen.job.isRunning() if screen.job else False))
    timer.start(5)
    # the job already runs when print_to returns: wait for the screen's own answer (connected before the
    # start), not for the job's signal, which may have been emitted before a waitSignal could connect
    screen.print_to(printer)
    qtbot.waitUntil(lambda: screen.print_info.text() == "已打印 500 张", timeout=120_000)
    timer.stop()
    assert any(ticks), "the event loop kept running while the job printed"
    assert screen.progress is not None and screen.progress.maximum() == 500 and screen.last_progress == (500, 500)
    assert len(PdfReader(out).pages) == 50
    # what Qt printed carries the right QR codes (first page rendered and decoded by zbar)
    subprocess.run(["pdftoppm", "-r", "150", "-png", "-f", "1", "-l", "1", str(out), str(tmp_path / "p")], check=True)
    page = Image.open(next(tmp_path.glob("p-*.png")))
    w, h = page.size
    found = set()
    for i in range(2):
        for j in range(5):
            cell = page.crop((i * w // 2, j * h // 5, (i + 1) * w // 2, (j + 1) * h // 5))
            found |= {s.data.decode() for s in decode(cell, symbols=[ZBarSymbol.QRCODE])}
    assert found == {c.raw_code for c in screen.model.rows[:10]}
    # the reportlab export, also on the print thread
    pdf_out = tmp_path / "export.pdf"
    screen.save_pdf(str(pdf_out), rows=screen.model.rows[:25])
    qtbot.waitUntil(lambda: screen.print_info.text() == f"已导出 25 张，保存到 {pdf_out}", timeout=60_000)
    reader = PdfReader(pdf_out)
    assert len(reader.pages) == 3 and screen.model.rows[0].code in reader.pages[0].extract_text()
    assert screen.print_info.text() == f"已导出 25 张，保存到 {pdf_out}"


def test_cashier_issues_or_voids_only_with_a_manager_pin(win: Any, qtbot: Any, store: Any) -> None:
    _member(store)
    login(qtbot, win, "cash1", "1111")
    win.appctx.ask_manager = lambda reason: None  # the manager's PIN prompt, cancelled
    press(qtbot, win, Qt.Key.Key_F8)
    screen: CouponsScreen = win.screens["coupons"]
    qtbot.waitUntil(lambda: idle(win) and len(screen.model.rows) == 3, timeout=10_000)  # no member selected: all
    assert "PIN" in screen.manage_error.text() and screen.pay_btn.isEnabled()
    qtbot.mouseClick(screen.issue_btn, Qt.MouseButton.LeftButton)
    assert "店长授权" in screen.manage_error.text() and idle(win) and len(screen.model.rows) == 3
    screen.code.setText(screen.model.rows[0].code[:-1] + "#")
    screen.amount.setText("100")
    qtbot.waitUntil(lambda: idle(win) and screen.redeem_error.isVisible(), timeout=10_000)
    assert "券码格式不正确" in screen.redeem_error.text() and screen.preview is None


@pytest.mark.xvfb
def test_invites_screen(win: Any, qtbot: Any, store: Any, tmp_path: Path, qtmodeltester: Any) -> None:
    _member(store)
    login(qtbot, win, "cash1", "1111")
    select_member(qtbot, win, "13800000001")
    press(qtbot, win, Qt.Key.Key_F9)
    screen: InvitesScreen = win.screens["invites"]
    assert win.tabs.currentWidget() is screen
    qtbot.waitUntil(lambda: idle(win) and screen.last_card is not None and bool(screen.leader_model.rows), timeout=10_000)
    qtmodeltester.check(screen.leader_model)
    qtmodeltester.check(screen.reward_model)
    assert [(r.rank, r.successful) for r in screen.leader_model.rows] == [(1, 1)]
    assert [r.source for r in screen.reward_model.rows] == ["referral"]
    assert not screen.card_image.pixmap().isNull()
    png = tmp_path / "card.png"
    screen.save_card(str(png))
    code = referrals.invite_card(store.ctx, store.cashier, phone="13800000001").invite_code
    assert {s.data.decode() for s in decode(Image.open(png), symbols=[ZBarSymbol.QRCODE])} == {code}
    # the leaderboard of a chosen campaign
    qtbot.waitUntil(lambda: screen.campaign.findData("DEMO-RECHARGE") >= 0, timeout=10_000)
    screen.campaign.setCurrentIndex(screen.campaign.findData("DEMO-RECHARGE"))
    qtbot.waitUntil(lambda: idle(win), timeout=10_000)
    assert [(r.rank, r.successful) for r in screen.leader_model.rows] == [(1, 1)]
    qtbot.mouseClick(screen.issue_due_btn, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: idle(win) and screen.last_issue is not None, timeout=10_000)
    assert screen.last_issue.issued == 0


@pytest.mark.xvfb
def test_manager_adds_a_template_and_prints_on_the_receipt_printer(
    win: Any, qtbot: Any, store: Any, tmp_path: Path
) -> None:
    import json

    from pos_app.db import models as mdb

    dev = tmp_path / "lp0"
    dev.touch()
    with store.ctx.uow() as uow:
        uow.session.get(mdb.StoreInfo, 1).settings_json = json.dumps({"escpos_device": f"file:{dev}"})
        uow.commit()
    login(qtbot, win, "boss", "9999")
    press(qtbot, win, Qt.Key.Key_F8)
    screen: CouponsScreen = win.screens["coupons"]
    qtbot.waitUntil(lambda: idle(win) and screen.template.count() >= 3 and screen.escpos_btn.isEnabled(), timeout=10_000)
    dlg = screen.new_template()
    dlg.code.setText("NEW8")
    dlg.name.setText("八元券")
    dlg.value.setText("8")
    dlg.min_spend.setText("4")  # below the value: refused with its own message
    dlg.bearer.setChecked(True)
    dlg.submit()
    qtbot.waitUntil(lambda: idle(win) and dlg.error.isVisible(), timeout=10_000)
    assert "门槛低于面值" in dlg.error.text()
    dlg.min_spend.setText("30")
    dlg.submit()
    qtbot.waitUntil(lambda: idle(win) and dlg.created is not None, timeout=10_000)
    assert (dlg.created.code, dlg.created.value_fen, dlg.created.min_spend_fen, dlg.created.bearer) == ("NEW8", 800, 3000, True)
    qtbot.waitUntil(lambda: idle(win) and screen.template.findData("NEW8") >= 0, timeout=10_000)
    screen.template.setCurrentIndex(screen.template.findData("NEW8"))
    screen.count.setValue(3)
    screen.reason.setText("开业派发")
    qtbot.mouseClick(screen.issue_btn, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: idle(win) and len(screen.last_issued) == 3 and len(screen.model.rows) == 3, timeout=10_000)
    assert screen.print_escpos() is not None
    qtbot.waitUntil(lambda: screen.print_info.text() == "已打印 3 张", timeout=30_000)
    assert screen.last_progress == (3, 3)
    data = dev.read_bytes()
    assert data.count(b"\x1dV") == 3 and all(c.raw_code.encode() in data for c in screen.last_issued)
    assert "八元券".encode("gb18030") in data
