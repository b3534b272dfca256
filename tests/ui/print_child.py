"""A child process for the print-preview tests: opens one of the app's print previews on the real main window
over a real store, lets the dialog re-render and paint itself a few times, and exits 0.

    python -m tests.ui.print_child coupons|stock|receipt TMPDIR

A preview that paints on a printer Qt has already deleted crashes this process (SIGSEGV), so the parent test
sees a non-zero return code instead of losing the whole test run. Run it under a real X server
(``xvfb-run -a env QT_QPA_PLATFORM=xcb``): the offscreen platform hides the crash."""

from __future__ import annotations

import gc
import os
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def wait(app: Any, cond: Any, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        app.processEvents()
        if cond():
            return
        time.sleep(0.01)
    raise TimeoutError("the GUI did not get there")


def exercise(app: Any, owner: Any) -> None:
    """Show, re-render, zoom, resize and paint the print preview ``owner`` opened, with the opener's locals gone."""
    from PySide6.QtPrintSupport import QPrintPreviewDialog, QPrintPreviewWidget

    gc.collect()

    def shown() -> list[Any]:
        return [d for d in owner.findChildren(QPrintPreviewDialog) if d.isVisible()]

    wait(app, lambda: len(shown()) == 1)
    dlg = shown()[0]
    paints = [0]
    dlg.paintRequested.connect(lambda _p: paints.__setitem__(0, paints[0] + 1))
    widget = dlg.findChild(QPrintPreviewWidget)
    assert widget is not None
    for _ in range(3):
        gc.collect()
        before = paints[0]
        widget.updatePreview()
        wait(app, lambda before=before: paints[0] > before)  # type: ignore[misc]
        widget.zoomIn()
        dlg.resize(dlg.width() + 40, dlg.height() + 30)
        app.processEvents()
        assert not dlg.grab().isNull()
    widget.setLandscapeOrientation()
    widget.updatePreview()
    app.processEvents()
    dlg.grab()
    dlg.close()
    app.processEvents()
    gc.collect()
    app.processEvents()


def main(argv: list[str]) -> int:
    what, tmp = argv[0], Path(argv[1])
    from PySide6.QtCore import Qt, QTimer
    from PySide6.QtPrintSupport import QPrintPreviewDialog
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from pos_app import messages
    from pos_app.services import gifts, members, wallet
    from pos_app.ui.main import create_window
    from tests.conftest import make_store

    messages.set_language("zh_CN")
    app = QApplication.instance() or QApplication([])
    store = make_store(tmp / "store.db")
    m = members.register_member(store.ctx, store.cashier, phone="13800000001", name="陈一")
    result = wallet.recharge(store.ctx, store.cashier, member_id=m.member_id, tier_code="basic")
    gifts.add_gift(store.ctx, store.manager, sku="TOY-001", name="宠物玩具", unit_value_fen=39_00, threshold=2)
    gifts.receive(store.ctx, store.staff, sku="TOY-001", qty=10)

    win = create_window(store.ctx)
    win.resize(1366, 720)
    win.show()
    worker = win.appctx.worker

    def idle() -> bool:
        return bool(worker.pending == 0)

    wait(app, lambda: win.login.ok.isEnabled())
    QTest.keyClicks(win.login.code, "boss")
    QTest.keyClick(win.login.code, Qt.Key.Key_Return)
    QTest.keyClicks(win.login.pin, "9999")
    QTest.keyClick(win.login.pin, Qt.Key.Key_Return)
    wait(app, lambda: win.stack.currentIndex() == 1 and idle())

    def press(key: Any) -> None:
        win.activateWindow()
        wait(app, lambda: QApplication.activeWindow() is win)
        QTest.keyClick(win, key)

    if what == "coupons":
        press(Qt.Key.Key_F8)
        screen: Any = win.screens["coupons"]
        wait(app, lambda: idle() and len(screen.model.rows) >= 1)
        screen.table.selectRow(0)
        screen.open_preview()
        wait(app, lambda: screen.painted >= 1)
        exercise(app, screen)
    elif what == "stock":
        press(Qt.Key.Key_F7)
        stock: Any = win.screens["stock"]
        stock.tabs.setCurrentIndex(2)
        stock.load_sheet()
        wait(app, lambda: idle() and stock.st_model.rowCount() == 1)
        stock.print_sheet()
        exercise(app, stock)
    elif what == "receipt":
        from pos_app.ui.receipt import ReceiptDialog

        receipt = ReceiptDialog(win.appctx, result, win)
        receipt.show()
        wait(app, receipt.isVisible)
        errors: list[BaseException] = []

        def inside() -> None:  # the receipt's preview is modal: exercised from inside its exec()
            try:
                wait(app, lambda: receipt.preview_paints >= 1)
                exercise(app, receipt)
            except BaseException as exc:  # reported below; the preview must close for exec() to return
                errors.append(exc)
                for d in receipt.findChildren(QPrintPreviewDialog):
                    d.close()

        QTimer.singleShot(0, inside)
        receipt.print_preview()
        if errors:
            raise errors[0]
        receipt.accept()
    elif what == "sale":
        from pos_app.services import checkout
        from pos_app.ui.sale_dialogs import SaleReceiptDialog

        checkout.add_product(store.ctx, store.manager, sku="FOOD-01", barcode="6900000000011", name="皇家猫粮",
                             category="宠物食品", price_fen=12800)
        sale = checkout.ring_up(store.ctx, store.cashier, request_id="print-child-sale", member_id=m.member_id,
                                lines=[checkout.LineInput(barcode="6900000000011", qty=2)], coupon_code=None,
                                payments=[checkout.PaymentInput(method="cash", amount_fen=25600, tendered_fen=30000)])
        slip = SaleReceiptDialog(win.appctx, sale, win)
        slip.show()
        wait(app, slip.isVisible)
        sale_errors: list[BaseException] = []

        def inside_sale() -> None:
            try:
                wait(app, lambda: slip.preview_paints >= 1)
                exercise(app, slip)
            except BaseException as exc:
                sale_errors.append(exc)
                for d in slip.findChildren(QPrintPreviewDialog):
                    d.close()

        QTimer.singleShot(0, inside_sale)
        slip.print_preview()
        if sale_errors:
            raise sale_errors[0]
        slip.accept()
    else:
        print(f"unknown preview: {what}", file=sys.stderr)
        return 2
    wait(app, idle)
    worker.stop()
    win.close()
    app.processEvents()
    print("preview ok")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
