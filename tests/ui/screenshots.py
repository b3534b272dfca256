"""`make screenshots`: render the counter app's main screens offscreen to PNG files (zh_CN, CJK font).

    python -m tests.ui.screenshots screenshots

Builds a demo store in a temp dir, logs in as the demo cashier, and drives the real main window by
keyboard: login, counter with a member, recharge with the preview, receipt, pay, history, checkout (three items
scanned, the member's prices, a balance + cash split) and its receipt."""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def wait(app, cond, seconds: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        app.processEvents()
        if cond():
            return
        time.sleep(0.01)
    raise TimeoutError("the GUI did not get there")


def shoot_checkout(app, win, out: Path, idle) -> None:  # type: ignore[no-untyped-def]
    """F12 with three demo products scanned for the selected member, the balance and cash split typed in;
    then the sale's receipt."""
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    from pos_app.services import checkout

    QTest.keyClick(win, Qt.Key.Key_F12)
    co = win.screens["checkout"]
    wait(app, idle)
    products = [p for p in checkout.list_products(win.appctx.ctx, win.appctx.actor) if p.barcode]
    with_member_price = [p for p in products if p.member_price_fen is not None][:2]
    picked = with_member_price + [p for p in products if p not in with_member_price][: 3 - len(with_member_price)]
    if not picked:  # a demo store without a catalogue: nothing to ring up
        print("checkout: the demo store has no products; no checkout screenshots", file=sys.stderr)
        return
    for p in picked:
        co.barcode.setFocus()
        QTest.keyClicks(co.barcode, p.barcode)
        QTest.keyClick(co.barcode, Qt.Key.Key_Return)
        wait(app, lambda: idle() and co.entries == co.good_entries and co.quote is not None)
    wait(app, lambda: co.model.rowCount() == len(picked))
    total = co.quote.total_fen
    balance = min(co.quote.balance_available_fen or 0, total // 2)
    if balance:
        co.payment.fields["balance"].setText(f"{balance // 100}.{balance % 100:02d}")
    rest = total - balance
    co.payment.fields["cash"].setText(str((rest // 10000 + 1) * 100))
    co.payment.changed.emit()
    app.processEvents()
    win.grab().save(str(out / "08_checkout.png"))
    co.confirm()
    wait(app, lambda: co.sale is not None and idle())
    app.processEvents()
    win.grab().save(str(out / "09_checkout_done.png"))
    dlg = co.open_receipt()
    dlg.resize(520, 720)
    app.processEvents()
    dlg.grab().save(str(out / "10_sale_receipt.png"))
    dlg.accept()
    co.new_sale()
    win.activateWindow()
    app.processEvents()


def main(argv: list[str]) -> int:
    out = Path(argv[0] if argv else "screenshots")
    out.mkdir(parents=True, exist_ok=True)
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from pos_app import messages
    from pos_app.app import open_store
    from pos_app.services import demo
    from pos_app.ui.main import create_window

    messages.set_language(os.environ.get("POS_LANG", "zh_CN"))
    app = QApplication.instance() or QApplication([])
    tmp = tempfile.mkdtemp(prefix="pos-shots-")
    ctx = open_store(Path(tmp) / "store.db")
    demo.load_demo(ctx)
    win = create_window(ctx)
    win.resize(1366, 728)  # the most common counter screen, less the title bar
    win.show()
    worker = win.appctx.worker
    idle = lambda: worker.pending == 0  # noqa: E731
    wait(app, lambda: win.login.ok.isEnabled())
    QTest.keyClicks(win.login.code, "c01")
    app.processEvents()
    win.grab().save(str(out / "01_login.png"))
    QTest.keyClick(win.login.code, Qt.Key.Key_Return)
    QTest.keyClicks(win.login.pin, "1111")
    QTest.keyClick(win.login.pin, Qt.Key.Key_Return)
    wait(app, lambda: win.stack.currentIndex() == 1)
    counter = win.screens["counter"]
    QTest.keyClicks(counter.search, "138")
    wait(app, lambda: counter.model.rowCount() > 0 and idle())
    QTest.keyClick(counter.search, Qt.Key.Key_Down)
    QTest.keyClick(counter.table, Qt.Key.Key_Return)
    wait(app, lambda: win.appctx.member is not None and idle())
    app.processEvents()
    win.grab().save(str(out / "02_counter_member.png"))
    QTest.keyClick(win, Qt.Key.Key_F3)
    rc = win.screens["recharge"]
    wait(app, lambda: len(rc.tier_buttons) > 0 and idle())
    QTest.keyClick(rc, Qt.Key.Key_2)
    wait(app, lambda: rc.preview is not None and idle())
    win.grab().save(str(out / "03_recharge_preview.png"))
    QTest.keyClick(rc, Qt.Key.Key_Return)
    wait(app, lambda: rc.receipt is not None and idle())
    rc.receipt.resize(560, 720)
    app.processEvents()
    rc.receipt.grab().save(str(out / "04_receipt.png"))
    rc.receipt.accept()
    win.activateWindow()
    app.processEvents()
    QTest.keyClick(win, Qt.Key.Key_F4)
    pay = win.screens["pay"]
    QTest.keyClicks(pay.amount, "88")
    wait(app, lambda: pay.preview is not None and idle())
    win.grab().save(str(out / "05_pay.png"))
    QTest.keyClick(win, Qt.Key.Key_F5)
    hist = win.screens["history"]
    wait(app, lambda: hist.statement_model.rowCount() > 0 and idle())
    win.grab().save(str(out / "06_history.png"))
    shoot_checkout(app, win, out, idle)
    QTest.keyClick(win, Qt.Key.Key_F2)
    counter.search.setText("13712345678")
    wait(app, lambda: counter.last_query == "13712345678" and idle())
    QTest.keyClick(counter.search, Qt.Key.Key_Return)
    wait(app, lambda: getattr(counter, "_register_dialog", None) is not None and counter._register_dialog.isVisible())
    dlg = counter._register_dialog
    dlg.name.setText("小王")
    dlg.invite.setText(win.appctx.member.invite_code if win.appctx.member else "")
    dlg.submit()
    wait(app, lambda: dlg.member is not None and idle())
    dlg.grab().save(str(out / "07_registered.png"))
    dlg.accept()
    win.show_screen("mall")  # the points mall and redemption (Shift+F6)
    mall_screen = win.screens["mall"]
    mall_screen.phone.setText("15000150000")
    mall_screen.refresh()
    wait(app, lambda: any(v.eligible is not None for v in mall_screen.items) and idle())
    win.grab().save(str(out / "08_mall.png"))
    win.close()
    worker.stop()
    print("\n".join(str(p) for p in sorted(out.glob("*.png"))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
