"""Run under a real X server (``xvfb-run -s "-screen 0 1366x768x24"``, QT_QPA_PLATFORM=xcb) by
tests/ui/test_window_fit.py: shows the main window on a demo store, logs in a manager, selects a member,
then makes a low-stock banner with a long list of gifts appear; prints the geometries as JSON.

    python -m tests.ui.window_fit_probe [screenshot.png]"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


def main(argv: list[str]) -> int:
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv[:1])
    from pos_app import messages
    from pos_app.services import gifts, members
    from pos_app.services.changes import Changes
    from pos_app.ui.main import create_window
    from tests.conftest import make_store

    messages.set_language("zh_CN")
    st = make_store(Path(tempfile.mkdtemp()) / "store.db")
    for i, name in enumerate(("林二", "张三丰", "Alexandria Konstantinopoulou-Smithers")):
        members.register_member(st.ctx, st.cashier, phone=f"1390013900{i}", name=name)

    def wait(cond: Any, seconds: float = 30.0) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            app.processEvents()
            if cond():
                return
            time.sleep(0.01)
        raise TimeoutError("the GUI did not get there")

    def rect(r: Any) -> list[int]:
        return [r.x(), r.y(), r.width(), r.height()]

    win = create_window(st.ctx)
    win.show()
    wait(lambda: win.login.ok.isEnabled() and win.isVisible())
    out: dict[str, Any] = {"screen": rect(QGuiApplication.primaryScreen().availableGeometry())}
    out["shown"] = rect(win.frameGeometry())
    out["min"] = [win.minimumSize().width(), win.minimumSize().height()]
    win.on_login(st.manager)
    wait(lambda: win.appctx.worker.pending == 0)
    counter: Any = win.screens["counter"]
    counter.search.setText("139")
    wait(lambda: counter.last_query == "139" and win.appctx.worker.pending == 0)
    counter.select_row(0)
    wait(lambda: win.appctx.member is not None and win.appctx.worker.pending == 0)
    out["logged_in"] = rect(win.frameGeometry())
    for sku, name in (("TOY-001", "宠物玩具（价值 39 元）"), ("FOOD-BOX", "宠物食品礼盒超大份装加长名称"),
                      ("BAG-1", "环保购物袋"), ("CUP-2", "保温杯（限量版）"), ("TOWEL", "宠物毛巾"),
                      ("LEASH-9", "可伸缩牵引绳（大型犬专用加长款）")):
        gifts.add_gift(st.ctx, st.manager, sku=sku, name=name, unit_value_fen=39_00, threshold=5)
        gifts.receive(st.ctx, st.staff, sku=sku, qty=1)
    win.appctx.changed.emit(Changes.of(["stock"]))
    wait(lambda: win.appctx.worker.pending == 0 and win.alert.isVisible())
    for _ in range(20):
        app.processEvents()
    out["banner"] = rect(win.frameGeometry())
    out["alert_text"] = win.alert.text()
    sb = win.statusBar()
    out["status_bar"] = rect(sb.geometry().translated(win.geometry().topLeft()))
    out["status_visible"] = sb.isVisible() and win.clock_label.isVisible()
    out["table_hscroll"] = counter.table.horizontalScrollBar().maximum()
    shown_cols = [c for c in range(counter.model.columnCount()) if not counter.table.isColumnHidden(c)]
    out["table_fits"] = sum(counter.table.columnWidth(c) for c in shown_cols) <= counter.table.viewport().width()
    out["phone_whole"] = counter.table.columnWidth(0) >= counter.table.fontMetrics().horizontalAdvance("13900139000")
    for key in list(win.screens):  # every screen, shown at this size, keeps the window's size
        win.show_screen(key)
        wait(lambda: win.appctx.worker.pending == 0)
    out["after_screens"] = rect(win.frameGeometry())
    if argv:
        win.show_screen("counter")
        for _ in range(20):
            app.processEvents()
        QGuiApplication.primaryScreen().grabWindow(0).save(argv[0])
    print(json.dumps(out, ensure_ascii=False))
    win.appctx.worker.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
