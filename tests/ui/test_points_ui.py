"""Points screen (Shift+F5) and the counter's check-in key, driven with pytest-qt over the real main window:
check-in by a scanned member code, a wheel draw with no animation and its prize slip (QR and text read
back from the PDF)."""

from __future__ import annotations

import shutil
import subprocess
from typing import Any

from PIL import Image
from pypdf import PdfReader
from PySide6.QtCore import Qt
from pyzbar.pyzbar import ZBarSymbol, decode

from pos_app.services import members, points, wheel
from tests.ui.conftest import idle, login, press, select_member


def _setup(store: Any) -> Any:
    mem = members.register_member(store.ctx, store.cashier, phone="13800000001", name="陈一")
    points.adjust(store.ctx, store.manager, phone=mem.phone, points=500, reason="test")
    wheel.publish(store.ctx, store.manager)
    return mem


def test_check_in_by_scanning_the_member_code(win: Any, qtbot: Any, store: Any) -> None:
    mem = _setup(store)
    login(qtbot, win, "cash1", "1111")
    press(qtbot, win, Qt.Key.Key_F5, Qt.KeyboardModifier.ShiftModifier)
    screen: Any = win.screens["points"]
    assert win.tabs.currentWidget() is screen
    qtbot.waitUntil(lambda: idle(win) and screen.table.rowCount() == 4, timeout=10_000)
    win.on_scan(mem.member_code)  # what the scanner emits for a burst that ends with Enter
    qtbot.waitUntil(lambda: idle(win) and "+5" in screen.checkin_result.text(), timeout=10_000)
    assert points.show(store.ctx, store.cashier, phone=mem.phone).points_balance == 505
    win.on_scan(mem.member_code)  # the second one today: refused politely, nothing written
    qtbot.waitUntil(lambda: idle(win) and screen.checkin_error.isVisible(), timeout=10_000)
    assert "2026-11-23" in screen.checkin_error.text()
    assert points.show(store.ctx, store.cashier, phone=mem.phone).points_balance == 505


def test_check_in_key_on_the_counter_member_panel(win: Any, qtbot: Any, store: Any) -> None:
    mem = _setup(store)
    login(qtbot, win, "cash1", "1111")
    select_member(qtbot, win, mem.phone)
    counter: Any = win.screens["counter"]
    qtbot.mouseClick(counter.checkin_btn, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: idle(win) and "+5" in counter.checkin_info.text(), timeout=10_000)
    qtbot.waitUntil(lambda: idle(win) and win.appctx.member.points == 505, timeout=10_000)


def test_a_wheel_draw_without_animation_and_its_prize_slip(win: Any, qtbot: Any, store: Any, tmp_path: Any) -> None:
    mem = _setup(store)
    login(qtbot, win, "cash1", "1111")
    press(qtbot, win, Qt.Key.Key_F5, Qt.KeyboardModifier.ShiftModifier)
    screen: Any = win.screens["points"]
    qtbot.waitUntil(lambda: idle(win) and screen.draw_btn.isEnabled(), timeout=10_000)
    screen.no_anim.setChecked(True)
    screen.draw_phone.setText(mem.phone)
    qtbot.mouseClick(screen.draw_btn, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: idle(win) and screen.last_draw is not None and screen.slip_btn.isEnabled(),
                    timeout=10_000)
    r = screen.last_draw
    assert not screen.anim_timer.isActive()
    assert r.claim_code in screen.result.text() and r.prize_name in screen.result.text()
    path = screen.save_slip(tmp_path / "slip.pdf")
    text = "".join(p.extract_text() for p in PdfReader(str(path)).pages)
    assert r.claim_code in text and r.prize_name in text
    if shutil.which("pdftoppm"):  # the QR, read back by zbar, is the claim code
        subprocess.run(["pdftoppm", "-r", "200", "-png", str(path), str(tmp_path / "slip")], check=True)
        img = Image.open(sorted(tmp_path.glob("slip-*.png"))[0])
        found = {x.data.decode() for x in decode(img, symbols=[ZBarSymbol.QRCODE])}
        assert found == {r.claim_code.replace("-", "")}


def test_the_no_animation_setting_is_kept(win: Any, qtbot: Any, store: Any) -> None:
    _setup(store)
    login(qtbot, win, "cash1", "1111")
    screen: Any = win.screens["points"]
    screen.no_anim.setChecked(True)
    from pos_app.ui.main import gui_settings

    assert gui_settings().value("wheel/no_animation") == "true"
