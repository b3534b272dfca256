"""Pay from balance, history (statement, recharges, points lots, items) and refund with a manager's PIN."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QDate, Qt, QTimer
from PySide6.QtWidgets import QApplication

from pos_app import messages
from pos_app.services import members, wallet
from pos_app.ui.login import ManagerDialog
from pos_app.ui.refund_dialog import RefundConfirmDialog
from tests.ui.conftest import idle, login, press, select_member


def _member_with_recharge(store: Any, phone: str = "13800000001", tier: str = "basic") -> Any:
    m = members.register_member(store.ctx, store.cashier, phone=phone, name="付款")
    wallet.recharge(store.ctx, store.cashier, member_id=m.member_id, tier_code=tier)
    return m


def test_pay_from_balance_shows_split_and_takes_it(win: Any, qtbot: Any, store: Any) -> None:
    m = _member_with_recharge(store)  # 500 principal + 50 bonus
    login(qtbot, win, "cash1", "1111")
    select_member(qtbot, win, "13800000001")
    press(qtbot, win, Qt.Key.Key_F4)
    pay = win.screens["pay"]
    assert pay.amount.hasFocus()
    qtbot.keyClicks(pay.amount, "110")
    qtbot.waitUntil(lambda: pay.preview is not None and idle(win))
    p = pay.preview
    assert p.principal_fen + p.bonus_fen == 110_00
    assert (p.principal_fen, p.bonus_fen) == (100_00, 10_00)  # proportional to 500:50
    assert "扣款后余额：¥440.00" in pay.preview_label.text()
    qtbot.keyClick(pay.amount, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: pay.last_result is not None and idle(win))
    after = members.get_member(store.ctx, store.manager, member_id=m.member_id)
    assert (after.principal_fen, after.bonus_fen) == (400_00, 40_00)
    assert "¥440.00" in pay.result_label.text()
    st = wallet.statement(store.ctx, store.manager, member_id=m.member_id)
    assert [line.kind for line in st] == ["spend", "recharge"]


def test_pay_more_than_the_balance_is_refused_next_to_the_amount(win: Any, qtbot: Any, store: Any) -> None:
    m = _member_with_recharge(store)
    login(qtbot, win, "cash1", "1111")
    select_member(qtbot, win, "13800000001")
    press(qtbot, win, Qt.Key.Key_F4)
    pay = win.screens["pay"]
    qtbot.keyClicks(pay.amount, "551")
    qtbot.waitUntil(lambda: pay.amount_error.isVisible() and idle(win))
    assert pay.amount_error.text() == "余额不足：需支付 ¥551.00，可用余额 ¥550.00"
    qtbot.keyClick(pay.amount, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: idle(win))
    assert pay.amount_error.text() == "余额不足：需支付 ¥551.00，可用余额 ¥550.00"
    assert pay.last_result is None
    assert [line.kind for line in wallet.statement(store.ctx, store.manager, member_id=m.member_id)] == ["recharge"]


def test_pay_bad_amount(win: Any, qtbot: Any, store: Any) -> None:
    _member_with_recharge(store)
    login(qtbot, win, "cash1", "1111")
    select_member(qtbot, win, "13800000001")
    press(qtbot, win, Qt.Key.Key_F4)
    pay = win.screens["pay"]
    qtbot.keyClicks(pay.amount, "abc")
    qtbot.keyClick(pay.amount, Qt.Key.Key_Return)
    assert pay.amount_error.text() == "金额格式不正确：abc"
    assert pay.last_result is None


def test_history_models_and_date_filter(win: Any, qtbot: Any, store: Any, qtmodeltester: Any) -> None:
    m = _member_with_recharge(store, tier="advanced")
    wallet.spend(store.ctx, store.cashier, member_id=m.member_id, amount_fen=115_00)
    login(qtbot, win, "cash1", "1111")
    select_member(qtbot, win, "13800000001")
    press(qtbot, win, Qt.Key.Key_F5)
    h = win.screens["history"]
    qtbot.waitUntil(lambda: h.statement_model.rowCount() == 2 and idle(win))
    for model in (h.statement_model, h.recharge_model, h.points_model, h.item_model, h.coupon_model):
        qtmodeltester.check(model)
    cm = h.coupon_model  # the advanced tier's two 20-yuan coupons and the rebate's 50-yuan service voucher
    values = sorted(cm.index(r, 2).data() for r in range(cm.rowCount()))
    assert values == ["¥20.00", "¥20.00", "¥50.00"]
    assert {cm.index(r, 4).data() for r in range(cm.rowCount())} == {messages.translate("coupon.state.issued")}
    assert messages.translate("coupon.state.issued") != "coupon.state.issued"
    sm = h.statement_model
    # newest first, balances after each line
    assert sm.index(0, 1).data() == "消费" and sm.index(0, 6).data() == "¥1,035.00"
    assert sm.index(1, 1).data() == "充值" and sm.index(1, 6).data() == "¥1,150.00"
    assert sm.index(0, 2).data() == "-¥100.00" and sm.index(0, 3).data() == "-¥15.00"
    assert h.recharge_model.rowCount() == 1 and h.recharge_model.index(0, 2).data() == "¥1,000.00"
    assert h.points_model.index(0, 2).data() == "100"
    kinds = {h.item_model.index(r, 0).data() for r in range(h.item_model.rowCount())}
    assert {"优惠券", "礼品"} <= kinds
    # a date range before the activity: nothing
    h.use_dates.setChecked(True)
    h.since.setDate(QDate(2026, 1, 1))
    h.until.setDate(QDate(2026, 1, 31))
    qtbot.waitUntil(lambda: h.statement_model.rowCount() == 0 and idle(win))
    assert h.recharge_model.rowCount() == 0 and h.points_model.rowCount() == 0
    h.until.setDate(QDate(2026, 12, 31))
    qtbot.waitUntil(lambda: h.statement_model.rowCount() == 2 and idle(win))


def _answer_manager_dialog(code: str, pin: str, then_cancel: bool = False) -> None:
    """Confirm the refund breakdown (Enter), then type the manager's code and PIN."""
    def fill() -> None:
        dlg = QApplication.activeModalWidget()
        if isinstance(dlg, RefundConfirmDialog) and not dlg.busy and dlg.result is None:
            QTimer.singleShot(0, dlg.confirm_btn.click)  # it opens the manager dialog (a nested event loop)
        if not isinstance(dlg, ManagerDialog):
            QTimer.singleShot(20, fill)
            return
        dlg.panel.code.setText(code)
        dlg.panel.pin.setText(pin)
        dlg.panel.submit()
        if then_cancel:
            def cancel() -> None:
                if dlg.panel.busy:
                    QTimer.singleShot(20, cancel)
                    return
                _answer_manager_dialog.last_error = dlg.panel.error.text()  # type: ignore[attr-defined]
                dlg.reject()
            QTimer.singleShot(20, cancel)

    QTimer.singleShot(20, fill)


def test_refund_as_cashier_with_manager_pin(win: Any, qtbot: Any, store: Any) -> None:
    m = _member_with_recharge(store, tier="advanced")
    login(qtbot, win, "cash1", "1111")
    select_member(qtbot, win, "13800000001")
    press(qtbot, win, Qt.Key.Key_F5)
    h = win.screens["history"]
    qtbot.waitUntil(lambda: h.recharge_model.rowCount() == 1 and idle(win))
    h.tabs.setCurrentIndex(1)
    h.recharge_table.setFocus()
    assert h.selected_recharge() is not None  # the newest row is current: keyboard only, Ctrl+R
    _answer_manager_dialog("boss", "9999")
    qtbot.keyClick(h.recharge_table, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: h.last_refund is not None and idle(win))
    r = wallet.recharges(store.ctx, store.manager, member_id=m.member_id)[0]
    assert r.state == "refunded"
    after = members.get_member(store.ctx, store.manager, member_id=m.member_id)
    assert after.balance_fen == 0 and after.points == 0
    assert "¥1,000.00" in h.refund_result.text()
    qtbot.waitUntil(lambda: h.recharge_model.rowCount() == 1 and h.recharge_model.index(0, 7).data() == "已退款")


def test_refund_with_wrong_manager_pin_changes_nothing(win: Any, qtbot: Any, store: Any) -> None:
    m = _member_with_recharge(store)
    login(qtbot, win, "cash1", "1111")
    select_member(qtbot, win, "13800000001")
    press(qtbot, win, Qt.Key.Key_F5)
    h = win.screens["history"]
    qtbot.waitUntil(lambda: h.recharge_model.rowCount() == 1 and idle(win))
    h.recharge_table.selectRow(0)
    _answer_manager_dialog.__dict__.pop("last_error", None)
    _answer_manager_dialog("boss", "0000", then_cancel=True)
    h.refund_selected()
    qtbot.waitUntil(lambda: "last_error" in _answer_manager_dialog.__dict__ and idle(win))
    assert _answer_manager_dialog.last_error == "工号或密码错误"  # type: ignore[attr-defined]
    assert h.last_refund is None
    assert wallet.recharges(store.ctx, store.manager, member_id=m.member_id)[0].state == "active"
    assert members.get_member(store.ctx, store.manager, member_id=m.member_id).balance_fen == 550_00


def test_refund_service_refuses_a_cashier_actor(win: Any, qtbot: Any, store: Any) -> None:
    """The role is checked by the service, not only by the dialog."""
    m = _member_with_recharge(store)
    login(qtbot, win, "cash1", "1111")
    select_member(qtbot, win, "13800000001")
    h = win.screens["history"]
    rid = wallet.recharges(store.ctx, store.manager, member_id=m.member_id)[0].recharge_id
    h.do_refund(rid, store.cashier)
    qtbot.waitUntil(lambda: h.error.text() != "" and idle(win))
    assert h.error.text() == "当前账号（收银员）无权执行此操作"
    assert wallet.recharges(store.ctx, store.manager, member_id=m.member_id)[0].state == "active"
