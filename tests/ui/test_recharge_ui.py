"""Recharge by keyboard only: tier key, live preview, Enter, receipt; one recharge per confirmation."""

from __future__ import annotations

import unicodedata
from pathlib import Path
from typing import Any

from pypdf import PdfReader
from PySide6.QtCore import Qt

from pos_app.services import members, wallet
from tests.ui.conftest import idle, login, press, select_member


def _ready(qtbot: Any, win: Any, store: Any, phone: str = "13800000001") -> tuple[Any, Any]:
    members.register_member(store.ctx, store.cashier, phone=phone, name="充值")
    login(qtbot, win, "cash1", "1111")
    m = select_member(qtbot, win, phone)
    press(qtbot, win, Qt.Key.Key_F3)
    rc = win.screens["recharge"]
    assert win.tabs.currentWidget() is rc
    qtbot.waitUntil(lambda: len(rc.tier_buttons) == 3 and idle(win))
    return m, rc


def test_tier_by_key_preview_enter_receipt(win: Any, qtbot: Any, store: Any) -> None:
    m, rc = _ready(qtbot, win, store)
    assert rc.hasFocus()
    qtbot.keyClick(rc, Qt.Key.Key_2)
    qtbot.waitUntil(lambda: rc.preview is not None and idle(win))
    assert rc.tier_buttons[1].isChecked()
    p = rc.preview
    assert (p.tier_code, p.amount_fen, p.bonus_fen, p.points) == ("advanced", 1000_00, 150_00, 100)
    text = rc.preview_label.text()
    assert "赠送金：¥150.00" in text and "积分：+100" in text and "充值后余额：¥1,150.00" in text
    assert "宠物玩具" in text and "优惠券" in text
    assert not rc.cap_warning.isVisible()
    qtbot.keyClick(rc, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: rc.receipt is not None and rc.receipt.isVisible() and idle(win))
    rows = wallet.recharges(store.ctx, store.manager, member_id=m.member_id)
    assert len(rows) == 1 and rows[0].tier_code == "advanced" and rows[0].principal_fen == 1000_00
    after = members.get_member(store.ctx, store.manager, member_id=m.member_id)
    assert (after.principal_fen, after.bonus_fen) == (1000_00, 150_00)
    receipt = rc.receipt
    assert "¥1,150.00" in receipt.html and "进阶档" in receipt.html and "13800000001" in receipt.html
    gifts = [i for i in receipt.result.items if i.kind == "gift"]
    assert [g.name for g in gifts] == ["宠物玩具（价值 39 元）"]
    assert receipt.gifts == [g for g in gifts if g.state == "owed"]
    assert receipt.gift_list.count() == len(receipt.gifts)
    qtbot.keyClick(receipt, Qt.Key.Key_Return)  # Enter closes the receipt
    qtbot.waitUntil(lambda: not receipt.isVisible())
    # the member panel followed the change
    qtbot.waitUntil(lambda: win.appctx.member.balance_fen == 1150_00 and idle(win))
    assert not any(b.isChecked() for b in rc.tier_buttons)


def test_double_enter_makes_one_recharge(win: Any, qtbot: Any, store: Any) -> None:
    m, rc = _ready(qtbot, win, store)
    qtbot.keyClick(rc, Qt.Key.Key_1)
    qtbot.waitUntil(lambda: rc.preview is not None and idle(win))
    qtbot.keyClick(rc, Qt.Key.Key_Return)
    qtbot.keyClick(rc, Qt.Key.Key_Return)  # before the first has come back
    rc.confirm()
    assert rc.confirm_count == 3
    qtbot.waitUntil(lambda: rc.receipt is not None and idle(win))
    assert len(wallet.recharges(store.ctx, store.manager, member_id=m.member_id)) == 1


def test_same_request_id_is_reused_on_a_retry(win: Any, qtbot: Any, store: Any) -> None:
    """If the answer was lost and the cashier confirms again, the same request id does the work once."""
    m, rc = _ready(qtbot, win, store)
    qtbot.keyClick(rc, Qt.Key.Key_1)
    qtbot.waitUntil(lambda: rc.preview is not None and idle(win))
    rid = rc.request_id
    wallet.recharge(store.ctx, store.cashier, member_id=m.member_id, tier_code="basic", request_id=rid)  # "lost" answer
    qtbot.keyClick(rc, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: rc.receipt is not None and idle(win))
    assert rc.last_result.request_id == rid
    assert len(wallet.recharges(store.ctx, store.manager, member_id=m.member_id)) == 1
    assert rc.request_id != rid  # the next confirmation gets a new one


def test_custom_amount_takes_the_best_tier_and_pay_method(win: Any, qtbot: Any, store: Any) -> None:
    m, rc = _ready(qtbot, win, store)
    rc.amount.setFocus()
    qtbot.keyClicks(rc.amount, "1200")
    qtbot.waitUntil(lambda: rc.preview is not None and rc.preview.amount_fen == 1200_00 and idle(win))
    assert rc.preview.tier_code == "advanced"
    rc.pay.setCurrentIndex(rc.pay.findData("wechat"))
    qtbot.waitUntil(lambda: idle(win))
    qtbot.keyClick(rc.amount, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: rc.receipt is not None and idle(win))
    r = wallet.recharges(store.ctx, store.manager, member_id=m.member_id)[0]
    assert (r.principal_fen, r.pay_method, r.tier_code) == (1200_00, "wechat", "advanced")


def test_bad_amount_shows_message_and_changes_nothing(win: Any, qtbot: Any, store: Any) -> None:
    m, rc = _ready(qtbot, win, store)
    rc.amount.setFocus()
    qtbot.keyClicks(rc.amount, "12.345")
    qtbot.keyClick(rc.amount, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: rc.amount_error.isVisible() and idle(win))
    assert rc.amount_error.text() == "金额格式不正确：12.345"
    assert rc.receipt is None
    assert wallet.recharges(store.ctx, store.manager, member_id=m.member_id) == []


def test_over_the_cap_is_warned_and_refused(win: Any, qtbot: Any, store: Any) -> None:
    m, rc = _ready(qtbot, win, store)
    rc.amount.setFocus()
    qtbot.keyClicks(rc.amount, "6000")
    qtbot.waitUntil(lambda: rc.preview is not None and rc.preview.amount_fen == 6000_00 and idle(win))
    assert rc.cap_warning.isVisible() and "¥5,000.00" in rc.cap_warning.text()
    qtbot.keyClick(rc.amount, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: rc.error.isVisible() and idle(win))
    assert rc.error.text().startswith("充值后余额")
    assert rc.confirm_btn.isEnabled()
    assert wallet.recharges(store.ctx, store.manager, member_id=m.member_id) == []


def test_no_member_selected(win: Any, qtbot: Any, store: Any) -> None:
    login(qtbot, win, "cash1", "1111")
    press(qtbot, win, Qt.Key.Key_F3)
    rc = win.screens["recharge"]
    qtbot.waitUntil(lambda: len(rc.tier_buttons) == 3 and idle(win))
    qtbot.keyClick(rc, Qt.Key.Key_1)
    qtbot.keyClick(rc, Qt.Key.Key_Return)
    assert rc.error.text() == "请先在收银台选择会员 (F2)"
    assert wallet.recharges(store.ctx, store.manager) == []


def test_receipt_saved_as_pdf(win: Any, qtbot: Any, store: Any, tmp_path: Path) -> None:
    m, rc = _ready(qtbot, win, store)
    qtbot.keyClick(rc, Qt.Key.Key_3)
    qtbot.waitUntil(lambda: rc.preview is not None and idle(win))
    qtbot.keyClick(rc, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: rc.receipt is not None and idle(win))
    out = tmp_path / "receipt.pdf"
    rc.receipt.save_pdf(str(out))
    # NFKC: the extractor returns CJK radicals (U+2F00 block) for some glyphs
    reader = PdfReader(str(out))
    assert len(reader.pages) == 1  # one page on an 80 mm roll, not two A5 pages
    assert abs(float(reader.pages[0].mediabox.width) - 80 * 72 / 25.4) < 0.5
    text = unicodedata.normalize("NFKC", "".join(page.extract_text() for page in reader.pages))
    assert "138****0001" in text  # the printed receipt masks the phone
    assert rc.receipt.result.receipt_no in text
    assert "¥2,000.00" in text and "¥2,400.00" in text
    assert "充值小票" in text and "豪华档" in text and "会员价" in text


def test_no_campaign_allows_custom_amount_only(bare_store: Any, qtbot: Any) -> None:
    from pos_app.ui.main import create_window

    w = create_window(bare_store.ctx)
    qtbot.addWidget(w)
    w.show()
    try:
        members.register_member(bare_store.ctx, bare_store.cashier, phone="13800000001")
        login(qtbot, w, "cash1", "1111")
        select_member(qtbot, w, "13800000001")
        press(qtbot, w, Qt.Key.Key_F3)
        rc = w.screens["recharge"]
        qtbot.waitUntil(lambda: rc.campaign_label.text() != "" and idle(w))
        assert rc.tier_buttons == [] and "没有进行中的活动" in rc.campaign_label.text()
        rc.amount.setText("300")
        rc._amount_edited("300")
        qtbot.waitUntil(lambda: rc.preview is not None and idle(w))
        assert rc.preview.bonus_fen == 0 and rc.preview.balance_after_fen == 300_00
    finally:
        w._set_scanner(False)
        qtbot.waitUntil(lambda: idle(w))
        w.appctx.worker.stop()


def test_receipt_print_preview_and_print_dialog_open(win: Any, qtbot: Any, store: Any) -> None:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QDialog

    m, rc = _ready(qtbot, win, store)
    qtbot.keyClick(rc, Qt.Key.Key_1)
    qtbot.waitUntil(lambda: rc.preview is not None and idle(win))
    qtbot.keyClick(rc, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: rc.receipt is not None and idle(win))
    seen: list[str] = []

    def close_modal() -> None:
        w = QApplication.activeModalWidget()
        if isinstance(w, QDialog) and w is not rc.receipt:
            seen.append(type(w).__name__)
            w.reject()
        else:
            QTimer.singleShot(20, close_modal)

    QTimer.singleShot(20, close_modal)
    rc.receipt.print_preview()
    QTimer.singleShot(20, close_modal)
    rc.receipt.print_direct()
    assert seen == ["QPrintPreviewDialog", "QPrintDialog"]


def test_campaign_answer_after_a_user_switch_is_dropped_quietly(win: Any, qtbot: Any, store: Any) -> None:
    """The campaign (with gift tiers) comes back after the cashier switched user: no 'nobody is logged in'
    error from the stock look-up (issue 9, item 10)."""
    _m, rc = _ready(qtbot, win, store)
    rc.load_campaign()
    win.switch_user()  # before the answer is delivered on the GUI thread
    qtbot.waitUntil(lambda: idle(win), timeout=10_000)
    assert win.appctx.worker.crashes == []
    assert not win.appctx.has_actor and len(rc.tier_buttons) == 3
