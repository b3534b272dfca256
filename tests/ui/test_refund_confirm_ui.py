"""Issue 9 on the real main window (pytest-qt): the refund confirmation shows the breakdown (unspent principal,
each perk used or kept, the net refund) and the method choice, refunds by keyboard and offers the slip;
the receipt's hand-over list has every gift the recharge created (the referral's new-member gift too)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pypdf import PdfReader
from PySide6.QtCore import Qt

from pos_app.services import coupons, gifts, members, wallet
from pos_app.ui.refund_dialog import RefundConfirmDialog
from tests.ui.conftest import idle, login, press, select_member


def _used_voucher_and_kept_toy(store: Any) -> tuple[Any, Any]:
    gifts.add_gift(store.ctx, store.manager, sku="TOY-001", name="宠物玩具", unit_value_fen=39_00)
    gifts.receive(store.ctx, store.staff, sku="TOY-001", qty=3, supplier="厂家", reference="PO-1")
    m = members.register_member(store.ctx, store.cashier, phone="13800000001", name="退款")
    r = wallet.recharge(store.ctx, store.cashier, member_id=m.member_id, tier_code="advanced", pay_method="wechat")
    voucher = next(i for i in r.items if i.kind == "voucher")
    coupons.redeem_coupon(store.ctx, store.cashier, code=voucher.code, amount_fen=200_00, member_id=m.member_id)
    gifts.handout(store.ctx, store.staff, member_id=m.member_id)
    wallet.spend(store.ctx, store.cashier, member_id=m.member_id, amount_fen=52_10)
    return m, r


def _open_refund(win: Any, qtbot: Any) -> tuple[Any, RefundConfirmDialog]:
    press(qtbot, win, Qt.Key.Key_F5)
    h = win.screens["history"]
    qtbot.waitUntil(lambda: h.recharge_model.rowCount() == 1 and idle(win))
    h.tabs.setCurrentIndex(1)
    h.recharge_table.setFocus()
    qtbot.keyClick(h.recharge_table, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: h.refund_dialog is not None and h.refund_dialog.isVisible() and idle(win))
    return h, h.refund_dialog


def test_manager_sees_the_breakdown_chooses_cash_refunds_and_saves_the_slip(
    win: Any, qtbot: Any, store: Any, tmp_path: Path
) -> None:
    m, r = _used_voucher_and_kept_toy(store)
    pv = wallet.refund_preview(store.ctx, store.manager, r.recharge_id)
    assert pv.deductions_fen == 89_00
    login(qtbot, win, "boss", "9999")
    select_member(qtbot, win, "13800000001")
    h, dlg = _open_refund(win, qtbot)
    # the history shows the short receipt number, on the recharge and on its statement lines
    assert h.recharge_model.index(0, 8).data() == r.receipt_no
    assert {h.statement_model.index(i, 8).data() for i in range(h.statement_model.rowCount())} >= {r.receipt_no}
    v = dlg.values
    assert v["refundable"].text() == f"¥{pv.principal_refundable_fen / 100:,.2f}"
    assert sorted(v[k].text() for k in v if k.startswith("deduction_")) == ["-¥39.00", "-¥50.00"]
    assert v["deductions"].text() == "-¥89.00"
    assert v["net"].text() == f"¥{pv.net_refund_fen / 100:,.2f}"
    assert dlg.method_buttons["original"].isChecked() and "微信" in dlg.method_buttons["original"].text()
    grab = tmp_path / "refund_confirm.png"
    dlg.grab().save(str(grab))
    assert grab.stat().st_size > 0
    qtbot.keyClick(dlg, Qt.Key.Key_2)  # key 2: cash
    assert dlg.method_buttons["cash"].isChecked()
    qtbot.keyClick(dlg.confirm_btn, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: h.last_refund is not None and dlg.result is not None and idle(win))
    rf = h.last_refund
    assert (rf.method, rf.pay_method, rf.principal_refund_fen, rf.deducted_fen) == ("cash", "cash", pv.net_refund_fen, 89_00)
    assert dlg.save_btn.isVisible() and dlg.print_btn.isVisible() and not dlg.confirm_btn.isVisible()
    assert "实退" in dlg.status.text() and "现金" in dlg.status.text()
    out = tmp_path / "refund.pdf"
    dlg.save_slip(str(out))
    qtbot.waitUntil(lambda: out.exists() and idle(win))
    text = PdfReader(out).pages[0].extract_text()
    assert "储值退款凭证" in text and "扣除合计 -¥89.00" in text and r.receipt_no in text
    assert "已保存" in dlg.status.text()
    assert members.get_member(store.ctx, store.manager, member_id=m.member_id).balance_fen == 0


def test_cancel_on_the_confirmation_refunds_nothing(win: Any, qtbot: Any, store: Any) -> None:
    m, r = _used_voucher_and_kept_toy(store)
    login(qtbot, win, "boss", "9999")
    select_member(qtbot, win, "13800000001")
    h, dlg = _open_refund(win, qtbot)
    qtbot.keyClick(dlg, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not dlg.isVisible() and idle(win))
    assert h.last_refund is None
    assert wallet.recharges(store.ctx, store.manager, member_id=m.member_id)[0].state == "active"


def test_receipt_hand_over_list_has_the_new_member_gift_of_a_first_recharge(win: Any, qtbot: Any, store: Any) -> None:
    inviter = members.register_member(store.ctx, store.manager, phone="13900139000", name="林二")
    members.register_member(store.ctx, store.manager, phone="13800000002", invite_code=inviter.invite_code)
    login(qtbot, win, "cash1", "1111")
    select_member(qtbot, win, "13800000002")
    press(qtbot, win, Qt.Key.Key_F3)
    rc = win.screens["recharge"]
    qtbot.waitUntil(lambda: len(rc.tier_buttons) == 3 and idle(win))
    qtbot.keyClick(rc, Qt.Key.Key_2)  # advanced: the TOY-001 gift
    qtbot.waitUntil(lambda: rc.preview is not None and idle(win))
    qtbot.keyClick(rc, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: rc.receipt is not None and rc.receipt.isVisible() and idle(win))
    receipt = rc.receipt
    names = [receipt.gift_list.item(i).text() for i in range(receipt.gift_list.count())]
    assert len(names) == 2, names
    assert any("新会员礼：宠物玩具" in n for n in names) and any("宠物玩具（价值 39 元）" in n for n in names)
    owed = gifts.owed_gifts(store.ctx, store.staff, member_id=receipt.result.member_id)
    assert len(owed) == len(names)
    assert receipt.result.receipt_no.startswith("T001-")
    assert receipt.result.receipt_no in receipt.html and receipt.result.recharge_id not in receipt.html


def test_refund_slip_print_dialog_opens_and_the_slip_text_is_the_pdf_s(win: Any, qtbot: Any, store: Any) -> None:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QDialog

    _used_voucher_and_kept_toy(store)
    login(qtbot, win, "boss", "9999")
    select_member(qtbot, win, "13800000001")
    h, dlg = _open_refund(win, qtbot)
    qtbot.keyClick(dlg.confirm_btn, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dlg.result is not None and idle(win))
    html = dlg.slip_html()
    assert "储值退款凭证" in html and "-¥89.00" in html and dlg.result.receipt_no in html
    seen: list[str] = []

    def close_modal() -> None:
        w = QApplication.activeModalWidget()
        if isinstance(w, QDialog) and w is not dlg:
            seen.append(type(w).__name__)
            w.reject()
        else:
            QTimer.singleShot(20, close_modal)

    QTimer.singleShot(20, close_modal)
    qtbot.keyClick(dlg, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)
    assert seen == ["QPrintDialog"]
    assert dlg.printer is not None  # kept alive beyond the dialog
