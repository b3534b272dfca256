"""Checkout (F12) on the real main window over a real store: three items scanned (keyboard-wedge bursts, the
same barcode again adds one), the member attached by scanning the member code, a coupon, a balance + cash split
with change, Enter (twice: one sale), the receipt's print preview, then one line returned with a manager's PIN;
the database is asserted afterwards through the services. Also: the payment panel's arithmetic, a refused
coupon's reason, a free line, line keys, the products screen and qtmodeltester on the models."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication

from pos_app.services import checkout, coupons, members, wallet
from pos_app.ui.login import ManagerDialog
from pos_app.ui.sale_dialogs import ReturnDialog, SaleModel
from tests.ui.conftest import idle, login, press

FOOD, TOY, BALL = "6900000000011", "6900000000028", "6900000000035"


def catalogue(store: Any) -> None:
    m = store.manager
    checkout.add_product(store.ctx, m, sku="FOOD-01", barcode=FOOD, name="皇家猫粮 2kg", category="宠物食品",
                         price_fen=12800, member_price_fen=11500)
    checkout.add_product(store.ctx, m, sku="TOY-01", barcode=TOY, name="逗猫棒", category="宠物用品", price_fen=6000)
    checkout.add_product(store.ctx, m, sku="TOY-02", barcode=BALL, name="磨牙球", category="宠物用品", price_fen=8000)


def luxury_member(store: Any) -> tuple[Any, str]:
    """A member with member prices (the luxury tier: 12 months) and ¥2,400 balance, and a PET20 coupon."""
    m = members.register_member(store.ctx, store.cashier, phone="13800000001", name="陈一")
    wallet.recharge(store.ctx, store.cashier, member_id=m.member_id, tier_code="luxury", pay_method="wechat")
    cp = coupons.issue_coupons(store.ctx, store.manager, template_code="PET20", member_id=m.member_id, reason="测试")[0]
    return members.get_member(store.ctx, store.manager, member_id=m.member_id), cp.code


def scan(qtbot: Any, field: Any, text: str) -> None:
    """A keyboard-wedge scanner: the code typed as a burst (the window's scanner clock: 5 ms a key), then Enter."""
    field.setFocus()
    qtbot.keyClicks(field, text)
    qtbot.keyClick(field, Qt.Key.Key_Return)


def open_checkout(qtbot: Any, win: Any) -> Any:
    press(qtbot, win, Qt.Key.Key_F12)
    co = win.screens["checkout"]
    qtbot.waitUntil(lambda: win.tabs.currentWidget() is co and idle(win), timeout=10_000)
    return co


def answer_manager(code: str, pin: str) -> None:
    """When the manager dialog is up (inside its exec), type the code and PIN."""

    def fill() -> None:
        dlg = QApplication.activeModalWidget()
        if not isinstance(dlg, ManagerDialog):
            QTimer.singleShot(20, fill)
            return
        dlg.panel.code.setText(code)
        dlg.panel.pin.setText(pin)
        dlg.panel.submit()

    QTimer.singleShot(20, fill)


def close_preview_when_shown(seen: list[Any], owner: Any) -> None:
    from PySide6.QtPrintSupport import QPrintPreviewDialog

    def check() -> None:
        shown = [d for d in owner.findChildren(QPrintPreviewDialog) if d.isVisible()]
        if not shown:
            QTimer.singleShot(20, check)
            return
        seen.append(owner.preview_paints)
        shown[0].reject()

    QTimer.singleShot(20, check)


@pytest.mark.xvfb
def test_scan_member_coupon_split_preview_and_return_one_line(win: Any, qtbot: Any, store: Any, qtmodeltester: Any) -> None:
    catalogue(store)
    member, code = luxury_member(store)
    login(qtbot, win, "cash1", "1111")
    co = open_checkout(qtbot, win)
    assert co.barcode.hasFocus()
    # three items scanned; the food twice: one line, quantity 2
    for bc in (FOOD, TOY, BALL, FOOD):
        scan(qtbot, co.barcode, bc)
        qtbot.waitUntil(lambda: idle(win) and co.entries == co.good_entries, timeout=10_000)
    qtbot.waitUntil(lambda: co.model.rowCount() == 3, timeout=10_000)
    assert [(ln.name, ln.qty) for ln in co.quote.lines] == [("皇家猫粮 2kg", 2), ("逗猫棒", 1), ("磨牙球", 1)]
    assert co.quote.total_fen == 2 * 12800 + 6000 + 8000  # a walk-in pays list prices
    # the member code scanned anywhere on the screen attaches the member: member prices, the saving shown
    scan(qtbot, co.barcode, member.member_code)
    qtbot.waitUntil(lambda: co.member is not None and idle(win) and co.quote.member_prices, timeout=10_000)
    assert co.barcode.text() == ""  # the burst did not land in the barcode field
    assert co.quote.saving_fen == 2 * (12800 - 11500)
    assert co.total_values["saving"].text() == "-¥26.00"
    # the coupon (20 off toys over 100): typed into its field (Enter checks it)
    scan(qtbot, co.coupon, code)
    qtbot.waitUntil(lambda: idle(win) and co.quote.discount_fen == 2000, timeout=10_000)
    assert not co.coupon_error.isVisible()
    total = 2 * 11500 + 6000 + 8000 - 2000
    assert co.quote.total_fen == total and co.total_values["total"].text() == "¥350.00"
    qtmodeltester.check(co.model)
    # ¥100 from the balance, ¥300 cash handed over: ¥250 cash, ¥50 change
    co.payment.fields["balance"].setFocus()
    qtbot.keyClicks(co.payment.fields["balance"], "100")
    qtbot.keyClicks(co.payment.fields["cash"], "300")
    assert "¥50.00" in co.payment.change_hint.text() and "已付清" in co.payment.status.text()
    # Enter twice (a double press): one sale
    co.barcode.setFocus()
    qtbot.keyClick(co.barcode, Qt.Key.Key_Return)
    qtbot.keyClick(co.barcode, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: co.sale is not None and idle(win), timeout=10_000)
    sale = co.sale
    sales = checkout.member_sales(store.ctx, store.manager, member.member_id)
    assert [s.sale_id for s in sales] == [sale.sale_id]
    pays = {p.method: p for p in sale.payments}
    assert pays["balance"].amount_fen == 10000 and pays["cash"].amount_fen == total - 10000
    assert pays["cash"].tendered_fen == 30000 and sale.change_fen == 5000
    after = members.get_member(store.ctx, store.manager, member_id=member.member_id)
    assert after.balance_fen == member.balance_fen - 10000
    assert sale.coupon_code and coupons.get_coupon(store.ctx, store.manager, code).state == "redeemed"
    qtmodeltester.check(SaleModel(sales))
    assert "¥50.00" in co.done_label.text()
    # the receipt: its print preview paints the sale
    dlg = co.open_receipt()
    qtbot.waitUntil(dlg.isVisible, timeout=3000)
    assert sale.receipt_no in dlg.html and "¥350.00" in dlg.html and "¥50.00" in dlg.html
    seen: list[int] = []
    close_preview_when_shown(seen, dlg)
    dlg.print_preview()
    assert seen and dlg.preview_paints >= 1
    dlg.accept()
    # return the toy line (one of three) as the cashier: a manager's PIN approves
    ret = co.open_return()
    assert isinstance(ret, ReturnDialog)
    qtbot.waitUntil(ret.isVisible, timeout=3000)
    ret.table.selectRow(1)
    ret.step(1)
    assert ret.chosen() == [(2, 1)]
    answer_manager("boss", "9999")
    ret.confirm()
    qtbot.waitUntil(lambda: ret.result is not None and idle(win), timeout=10_000)
    r = ret.result
    assert r.approver == "boss" and r.lines and r.lines[0][:2] == (2, 1)
    assert sum(p.amount_fen for p in r.refunds) == r.lines[0][2]
    assert "扣回积分" in ret.status.text()
    again = checkout.get_sale(store.ctx, store.manager, sale.sale_id)
    assert [ln.returned_qty for ln in again.lines] == [0, 1, 0] and len(again.returns) == 1
    final = members.get_member(store.ctx, store.manager, member_id=member.member_id)
    back_to_balance = sum(p.amount_fen for p in r.refunds if p.method == "balance")
    assert final.balance_fen == after.balance_fen + back_to_balance
    ret.accept()
    # another Enter changes nothing; Ctrl+Shift+N: a new sale, the basket empty, walk-in
    co.barcode.setFocus()
    qtbot.keyClick(co.barcode, Qt.Key.Key_Return)
    assert co.sale is not None
    co.new_btn.click()
    assert co.sale is None and co.model.rowCount() == 0 and co.member is None


def test_payment_panel_split_and_refused_coupon(win: Any, qtbot: Any, store: Any) -> None:
    catalogue(store)
    login(qtbot, win, "cash1", "1111")
    co = open_checkout(qtbot, win)
    scan(qtbot, co.barcode, TOY)
    qtbot.waitUntil(lambda: co.model.rowCount() == 1 and idle(win), timeout=10_000)
    # + / - on the line with the barcode field empty; Delete removes it
    qtbot.keyClick(co.barcode, Qt.Key.Key_Plus)
    qtbot.waitUntil(lambda: idle(win) and co.quote is not None and co.quote.lines[0].qty == 2, timeout=10_000)
    qtbot.keyClick(co.barcode, Qt.Key.Key_Minus)
    qtbot.waitUntil(lambda: idle(win) and co.quote.lines[0].qty == 1, timeout=10_000)
    # a walk-in cannot pay from a balance
    assert not co.payment.fields["balance"].isEnabled()
    # a bad coupon: the reason is shown, nothing taken off
    scan(qtbot, co.coupon, "ABCD-EFGH-JKMN-PQRS-T")
    qtbot.waitUntil(lambda: idle(win) and co.coupon_error.isVisible(), timeout=10_000)
    assert co.coupon_error.text() and co.quote.discount_fen == 0
    co.coupon.clear()
    # short: the payment is refused with what is missing, nothing written
    co.payment.fields["wechat"].setText("10")
    co.payment.changed.emit()
    co.confirm()
    assert "¥50.00" in co.error.text()
    assert co.sale is None
    # Ctrl+2 (cash): what is left; covered, Enter pays
    co.payment.fields["wechat"].clear()
    co.fill_payment("cash")
    assert co.payment.fields["cash"].text() == "60.00"
    co.confirm()
    qtbot.waitUntil(lambda: co.sale is not None and idle(win), timeout=10_000)
    assert [(p.method, p.amount_fen) for p in co.sale.payments] == [("cash", 6000)]
    assert co.sale.member_id is None


def test_a_burst_in_a_payment_field_adds_the_line_and_leaves_the_field(win: Any, qtbot: Any, store: Any) -> None:
    catalogue(store)
    login(qtbot, win, "cash1", "1111")
    co = open_checkout(qtbot, win)
    cash = co.payment.fields["cash"]
    cash.setFocus()
    win.scanner.clock.step = 0.2  # a person types 50...
    qtbot.keyClicks(cash, "50")
    win.scanner.clock.t += 1.0  # ...a pause, then the scanner fires while the cashier is in the cash field
    win.scanner.clock.step = 0.005
    scan(qtbot, cash, TOY)
    qtbot.waitUntil(lambda: idle(win) and co.model.rowCount() == 1, timeout=10_000)
    assert cash.text() == "50" and co.quote.lines[0].sku == "TOY-01" and co.sale is None
    # typed slowly (a person), the same digits are just text in the field
    win.scanner.clock.step = 0.2
    qtbot.keyClicks(cash, "1")
    assert cash.text() == "501"


def test_unknown_barcode_and_a_name_search(win: Any, qtbot: Any, store: Any) -> None:
    catalogue(store)
    login(qtbot, win, "cash1", "1111")
    co = open_checkout(qtbot, win)
    scan(qtbot, co.barcode, "6999999999999")
    qtbot.waitUntil(lambda: idle(win) and co.line_error.isVisible(), timeout=10_000)
    assert "6999999999999" in co.line_error.text() and co.model.rowCount() == 0 and co.entries == []
    # a name (typed through the input method): one product matches, its line is added
    co.barcode.setFocus()
    co.barcode.setText("磨牙")
    qtbot.keyClick(co.barcode, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: idle(win) and co.model.rowCount() == 1, timeout=10_000)
    assert co.quote.lines[0].sku == "TOY-02" and co.barcode.text() == ""
    # a SKU typed: not digits, found by the search, the same line + 1
    win.scanner.clock.step = 0.2  # a person
    qtbot.keyClicks(co.barcode, "TOY-02")
    qtbot.keyClick(co.barcode, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: idle(win) and co.quote.lines[0].qty == 2, timeout=10_000)
    assert co.model.rowCount() == 1


def test_free_line_by_category_and_amount(win: Any, qtbot: Any, store: Any) -> None:
    catalogue(store)
    login(qtbot, win, "cash1", "1111")
    co = open_checkout(qtbot, win)
    qtbot.waitUntil(lambda: co.category.count() > 0, timeout=10_000)
    co.category.setCurrentText("洗护美容")
    co.free_amount.setText("88")
    co.add_free_line()
    qtbot.waitUntil(lambda: idle(win) and co.model.rowCount() == 1, timeout=10_000)
    line = co.quote.lines[0]
    assert line.sku is None and line.category == "洗护美容" and line.amount_fen == 8800


def test_products_screen_add_import_and_models(win: Any, qtbot: Any, store: Any, qtmodeltester: Any,
                                               tmp_path: Any) -> None:
    login(qtbot, win, "boss", "9999")
    ps = win.screens["products"]
    win.show_screen_index(win.tabs.indexOf(ps))
    qtbot.waitUntil(lambda: idle(win), timeout=10_000)
    ps.new_product()
    ps.sku.setText("LEASH-1")
    ps.barcode.setText("6900000000042")
    ps.name.setText("牵引绳")
    ps.category.setCurrentText("宠物用品")
    ps.price.setText("45")
    ps.member_price.setText("39.9")
    ps.save()
    qtbot.waitUntil(lambda: ps.last_saved is not None and idle(win), timeout=10_000)
    p = checkout.get_product(store.ctx, store.manager, "LEASH-1")
    assert (p.price_fen, p.member_price_fen, p.category) == (4500, 3990, "宠物用品")
    qtbot.waitUntil(lambda: ps.model.rowCount() >= 1, timeout=10_000)
    qtmodeltester.check(ps.model)
    # an import with a bad row: nothing imported, the row and its reason listed
    bad = tmp_path / "bad.csv"
    bad.write_text("sku,barcode,name,category,price,member_price\n"
                   "BOWL-1,6900000000059,食盆,宠物用品,29,\n"
                   "BOWL-2,6900000000066,水碗,不存在的类别,19,\n", encoding="utf-8")
    ps.import_file(str(bad))
    qtbot.waitUntil(lambda: ps.last_report is not None and idle(win), timeout=10_000)
    assert ps.last_report.refused and ps.refused.isVisible() and ps.refused.count() == len(ps.last_report.refused)
    assert "第 3 行" in ps.refused.item(0).text()
    assert not checkout.search_products(store.ctx, store.manager, "BOWL-1")
    good = tmp_path / "good.csv"
    good.write_text("sku,barcode,name,category,price,member_price\n"
                    "BOWL-1,6900000000059,食盆,宠物用品,29,25\n", encoding="utf-8")
    ps.last_report = None
    ps.import_file(str(good))
    qtbot.waitUntil(lambda: ps.last_report is not None and idle(win), timeout=10_000)
    assert ps.last_report.added == 1 and not ps.refused.isVisible()
    assert checkout.get_product(store.ctx, store.manager, "BOWL-1").member_price_fen == 2500
