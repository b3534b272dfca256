"""Stock screen (F7, manager): low-stock highlight and banner, receive, movement filters, stocktake with
differences, exports read back."""

from __future__ import annotations

import csv
from typing import Any

import pytest
from openpyxl import load_workbook
from PySide6.QtCore import Qt

from pos_app.services import gifts, members
from pos_app.ui.stock_view import DIFF_BG, LOW_BG, LOW_FG, StocktakeModel
from tests.services.test_gifts import owe
from tests.ui.conftest import idle, login, press


def _catalogue(store: Any) -> None:
    for sku, name, value, thr, qty in (("TOY-001", "宠物玩具", 39_00, 2, 10), ("FOOD-BOX", "宠物食品礼盒", 128_00, 3, 2),
                                       ("CHEW-01", "洁齿磨牙棒", 15_00, 5, 20)):
        gifts.add_gift(store.ctx, store.manager, sku=sku, name=name, unit_value_fen=value, threshold=thr,
                       barcode=f"69{len(sku)}{qty:05d}")
        gifts.receive(store.ctx, store.staff, sku=sku, qty=qty)


def _open(win: Any, qtbot: Any) -> Any:
    login(qtbot, win, "boss", "9999")
    press(qtbot, win, Qt.Key.Key_F7)
    screen = win.screens["stock"]
    assert win.tabs.currentWidget() is screen
    qtbot.waitUntil(lambda: idle(win) and len(screen.model.rows) == 3, timeout=10_000)
    return screen


def test_stock_screen_is_read_only_for_staff(win: Any, qtbot: Any) -> None:
    login(qtbot, win, "shelf1", "2222")
    assert win.screens["stock"].read_only and "gifts" in win.screens  # staff: view only (issue 9, item 10)


def test_low_stock_highlight_banner_and_receive(win: Any, qtbot: Any, store: Any, qtmodeltester: Any) -> None:
    _catalogue(store)
    mem = members.register_member(store.ctx, store.cashier, phone="13800000001")
    owe(store, mem.member_id, "FOOD-BOX", 1)
    screen = _open(win, qtbot)
    model = screen.model
    qtmodeltester.check(model)
    by_sku = {r.sku: i for i, r in enumerate(model.rows)}
    low = by_sku["FOOD-BOX"]
    ok = by_sku["TOY-001"]
    assert model.index(low, 0).data(Qt.ItemDataRole.BackgroundRole) == LOW_BG
    assert model.index(low, 4).data(Qt.ItemDataRole.ForegroundRole) == LOW_FG
    assert model.index(low, 4).data() == "1"  # available = 2 on hand - 1 owed
    assert model.index(ok, 0).data(Qt.ItemDataRole.BackgroundRole) is None
    assert model.index(low, 7).data() == "¥256.00"
    qtbot.waitUntil(lambda: screen.banner.isVisible(), timeout=10_000)
    assert "1 种礼品库存偏低" in screen.banner.text() and "宠物食品礼盒" in screen.banner.text()
    # low only
    screen.low_only.setChecked(True)
    qtbot.waitUntil(lambda: idle(win) and [r.sku for r in model.rows] == ["FOOD-BOX"], timeout=10_000)
    screen.low_only.setChecked(False)
    screen.filter.setText("磨牙")
    qtbot.waitUntil(lambda: idle(win) and [r.sku for r in model.rows] == ["CHEW-01"], timeout=10_000)
    screen.filter.clear()
    # receiving stock clears the alert and says who is waiting
    screen.receive("FOOD-BOX", 5, "优选宠粮", "PO-9")
    qtbot.waitUntil(lambda: idle(win) and "宠物食品礼盒" not in screen.banner.text() and len(model.rows) == 3,
                    timeout=10_000)
    assert not screen.banner.isVisible()
    assert "1 位会员正在等待 FOOD-BOX" in screen.message.text()
    row = {r.sku: r for r in model.rows}["FOOD-BOX"]
    assert (row.on_hand, row.low) == (7, False)
    # a refusal shows the translated message
    screen.adjust("TOY-001", 10, "")
    qtbot.waitUntil(lambda: idle(win) and screen.error.isVisible(), timeout=10_000)
    assert "请填写原因" in screen.error.text()


def test_movement_history_filters_and_export(win: Any, qtbot: Any, store: Any, tmp_path: Any, qtmodeltester: Any) -> None:
    _catalogue(store)
    gifts.adjust(store.ctx, store.manager, sku="TOY-001", delta=-1, reason="破损")
    screen = _open(win, qtbot)
    screen.tabs.setCurrentIndex(1)
    qtbot.waitUntil(lambda: idle(win) and len(screen.mv_model.rows) == 4, timeout=10_000)
    qtmodeltester.check(screen.mv_model)
    assert screen.mv_model.index(0, 4).data() == "-1"
    screen.mv_kind.setCurrentIndex(screen.mv_kind.findData("received"))
    screen.mv_staff.setText("shelf1")
    screen.refresh_movements()
    qtbot.waitUntil(lambda: idle(win) and len(screen.mv_model.rows) == 3, timeout=10_000)
    assert {r.kind for r in screen.mv_model.rows} == {"received"}
    screen.mv_sku.setText("toy-001")
    screen.refresh_movements()
    qtbot.waitUntil(lambda: idle(win) and len(screen.mv_model.rows) == 1, timeout=10_000)
    out = tmp_path / "mv.csv"
    screen.export_to("movements", str(out))
    qtbot.waitUntil(lambda: idle(win) and screen.last_export == str(out), timeout=10_000)
    with out.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert len(rows) == 2 and rows[1][1] == "TOY-001" and rows[1][3] == "received" and rows[1][11] == "shelf1"
    xl = tmp_path / "stock.xlsx"
    screen.export_to("stock", str(xl))
    qtbot.waitUntil(lambda: idle(win) and screen.last_export == str(xl), timeout=10_000)
    got = [r for r in load_workbook(xl).active.iter_rows(min_row=2, values_only=True)]
    assert sorted((r[0], r[2]) for r in got) == [("CHEW-01", 20), ("FOOD-BOX", 2), ("TOY-001", 9)]


def test_stocktake_with_differences(win: Any, qtbot: Any, store: Any, tmp_path: Any, qtmodeltester: Any) -> None:
    _catalogue(store)
    screen = _open(win, qtbot)
    screen.tabs.setCurrentIndex(2)
    screen.load_sheet()
    qtbot.waitUntil(lambda: idle(win) and screen.st_model.rowCount() == 3, timeout=10_000)
    m: StocktakeModel = screen.st_model
    qtmodeltester.check(m)
    skus = [m.index(i, 0).data() for i in range(3)]
    assert skus == ["CHEW-01", "FOOD-BOX", "TOY-001"]
    # type a count into the table with the keyboard
    view = screen.st_table
    view.setFocus()
    view.setCurrentIndex(m.index(2, StocktakeModel.COUNTED))
    qtbot.keyClicks(view, "7")
    qtbot.keyClick(view.focusWidget(), Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: m.counts().get("TOY-001") == 7, timeout=5_000)
    assert m.set_count("CHEW-01", 20)
    for code in ("69800002", "food-box", "69800002"):  # FOOD-BOX's barcode, its SKU: scanned 3 times
        screen.st_scan.setText(code)
        qtbot.keyClick(screen.st_scan, Qt.Key.Key_Return)
    assert m.counts()["FOOD-BOX"] == 3
    screen.st_scan.setText("0000")
    qtbot.keyClick(screen.st_scan, Qt.Key.Key_Return)
    assert screen.error.isVisible()
    assert not m.setData(m.index(1, StocktakeModel.COUNTED), "-2")  # refused
    assert not m.setData(m.index(1, 0), "5")  # only the counted column is editable
    assert m.flags(m.index(1, 0)) & Qt.ItemFlag.ItemIsEditable == Qt.ItemFlag.NoItemFlags
    assert [m.index(i, 4).data() for i in range(3)] == ["+0", "+1", "-3"]
    assert m.index(2, 5).data() == "-¥117.00"
    assert m.index(2, 0).data(Qt.ItemDataRole.BackgroundRole) == DIFF_BG
    assert m.index(0, 0).data(Qt.ItemDataRole.BackgroundRole) is None
    assert "2 种有差异" in screen.st_info.text()
    # the sheet with differences, exported and read back
    sheet = tmp_path / "sheet.xlsx"
    screen.export_to("stocktake", str(sheet))
    qtbot.waitUntil(lambda: idle(win) and screen.last_export == str(sheet), timeout=10_000)
    rows = [r for r in load_workbook(sheet).active.iter_rows(min_row=2, values_only=True)]
    assert [(r[0], r[2], r[3], r[4]) for r in rows] == [("CHEW-01", 20, 20, 0), ("FOOD-BOX", 2, 3, 1), ("TOY-001", 10, 7, -3)]
    # a reason is required; nothing is posted without it
    qtbot.mouseClick(screen.st_confirm, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: idle(win) and screen.error.isVisible(), timeout=10_000)
    assert gifts.get_gift(store.ctx, store.manager, "TOY-001").on_hand == 10
    screen.st_reason.setText("月末盘点")  # QTest types ASCII only
    qtbot.mouseClick(screen.st_confirm, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: idle(win) and "调整 2 种" in screen.message.text(), timeout=10_000)
    assert {lv.sku: lv.on_hand for lv in gifts.stock_levels(store.ctx, store.manager)} == {
        "CHEW-01": 20, "FOOD-BOX": 3, "TOY-001": 7
    }
    assert [r.kind for r in gifts.movements(store.ctx, store.manager, kind="adjusted")] == ["adjusted", "adjusted"]


@pytest.mark.xvfb
def test_stocktake_sheet_prints_to_pdf(win: Any, qtbot: Any, store: Any, tmp_path: Any) -> None:
    from pypdf import PdfReader

    _catalogue(store)
    screen = _open(win, qtbot)
    screen.tabs.setCurrentIndex(2)
    screen.load_sheet()
    qtbot.waitUntil(lambda: idle(win) and screen.st_model.rowCount() == 3, timeout=10_000)
    screen.st_model.set_count("TOY-001", 8)
    pdf = tmp_path / "sheet.pdf"
    screen.save_sheet_pdf(str(pdf))
    text = "".join(p.extract_text() for p in PdfReader(pdf).pages)
    # (Qt's PDF maps some digit glyphs oddly for text extraction: check names and whole figures)
    assert "FOOD-BOX" in text and "宠物玩具" in text and "礼盒" in text
    assert "\n8\n-2\n-¥78.00" in text
    assert "礼品盘点表" in text.replace(" ", "")
    preview = screen.print_sheet()  # the preview opens without blocking, and paints the sheet
    qtbot.waitUntil(lambda: preview.isVisible() and screen.preview_paints >= 1, timeout=5_000)
    preview.close()


def test_returns_and_transfers_from_the_stock_screen(win: Any, qtbot: Any, store: Any) -> None:
    _catalogue(store)
    screen = _open(win, qtbot)
    screen.move("transfer_out", "TOY-001", 4, "S002", "TR-1")
    qtbot.waitUntil(lambda: idle(win) and "调出" in screen.message.text(), timeout=10_000)
    assert "TOY-001 调出 -4，现有 6 件" in screen.message.text()
    screen.move("transfer_out", "TOY-001", 7, "S002")
    qtbot.waitUntil(lambda: idle(win) and screen.error.isVisible(), timeout=10_000)
    assert "库存不足" in screen.error.text() and "库存不能为负" in screen.error.text()
    screen.move("transfer_in", "TOY-001", 2, "S003")
    qtbot.waitUntil(lambda: idle(win) and "调入 +2" in screen.message.text(), timeout=10_000)
    screen.move("return", "TOY-001", 1, "会员退回")
    qtbot.waitUntil(lambda: idle(win) and "退回 +1" in screen.message.text(), timeout=10_000)
    assert gifts.get_gift(store.ctx, store.manager, "TOY-001").on_hand == 9
    qtbot.waitUntil(lambda: idle(win) and {r.sku: r.on_hand for r in screen.model.rows}["TOY-001"] == 9, timeout=10_000)
    kinds = [m.kind for m in gifts.movements(store.ctx, store.manager, sku="TOY-001")]
    assert kinds == ["returned", "transfer_in", "transfer_out", "received"]
