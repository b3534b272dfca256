"""The first-run wizard (issue 15): the app opened on a fresh SQLite file finds no store and asks for one; the
wizard is driven by keyboard, refuses what is wrong (PINs that differ, a bad code or time zone) with nothing
written, then sets the store up through the services (store init, first manager, demo data when asked) and the
manager logs in."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from pos_app.services import demo, members, staff
from pos_app.ui.appctx import AppContext
from pos_app.ui.first_run import FirstRunDialog, ask_first_run
from pos_app.ui.main import MainWindow, _open_store, attach_store
from pos_app.ui.ops import DbWorker
from tests.ui.conftest import login


def _fill(qtbot: Any, dlg: FirstRunDialog, **values: str) -> None:
    for name, text in values.items():
        edit = dlg.fields[name]
        edit.setFocus()
        edit.selectAll()
        qtbot.keyClick(edit, Qt.Key.Key_Delete)
        if text.isascii():
            qtbot.keyClicks(edit, text)
        else:
            edit.insert(text)  # what an input method puts in


@pytest.fixture
def fresh(tmp_path: Path, qtbot: Any) -> Any:
    ctx, brief = _open_store(str(tmp_path / "new" / "store.db"), owner=None)
    assert brief is None  # an empty store: the wizard's turn
    worker = DbWorker()
    appctx = AppContext(None, worker)
    win = MainWindow(appctx)
    qtbot.addWidget(win)
    win.show()
    opened: list[Any] = []

    def done(b: Any) -> None:
        attach_store(appctx, ctx, b)
        opened.append(b)

    dlg = ask_first_run(win, appctx, ctx, done)
    yield win, dlg, ctx, opened
    qtbot.waitUntil(lambda: worker.pending == 0, timeout=30_000)
    worker.stop()
    ctx.db.dispose()


def test_the_wizard_sets_up_a_store_and_its_manager_logs_in(fresh: Any, qtbot: Any) -> None:
    win, dlg, ctx, opened = fresh
    assert dlg.isVisible() and not win.login.ok.isEnabled()
    _fill(qtbot, dlg, store_name="一号店", store_code="SH01", manager_code="wang", manager_name="王店长",
          pin="4321", pin_again="4312")
    qtbot.keyClick(dlg.fields["pin_again"], Qt.Key.Key_Return)
    assert dlg.isVisible() and "PIN" in dlg.error.text() and not staff.is_initialised(ctx)
    _fill(qtbot, dlg, timezone="Mars/Base", pin_again="4321")
    qtbot.keyClick(dlg.fields["pin_again"], Qt.Key.Key_Return)
    assert dlg.isVisible() and "timezone" in dlg.error.text() and not staff.is_initialised(ctx)
    _fill(qtbot, dlg, timezone="Asia/Urumqi")
    qtbot.keyClick(dlg.fields["pin_again"], Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: bool(opened) and win.login.ok.isEnabled(), timeout=30_000)
    assert not dlg.isVisible()
    assert (opened[0].store_code, opened[0].name, opened[0].timezone) == ("SH01", "一号店", "Asia/Urumqi")
    login(qtbot, win, "wang", "4321")
    assert win.appctx.actor.role == "manager" and win.appctx.actor.name == "王店长"
    assert not demo.has_data(ctx) or [s.code for s in staff.list_staff(ctx, win.appctx.actor)] == ["wang"]


def test_the_wizard_loads_the_demo_data_when_asked(fresh: Any, qtbot: Any) -> None:
    win, dlg, ctx, opened = fresh
    _fill(qtbot, dlg, store_name="Demo shop", store_code="D2", manager_code="mgr", pin="246810",
          pin_again="246810")
    dlg.demo.setFocus()
    qtbot.keyClick(dlg.demo, Qt.Key.Key_Space)
    assert dlg.demo.isChecked()
    qtbot.keyClick(dlg.demo, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: bool(opened), timeout=60_000)
    manager = staff.login(ctx, "mgr", "246810")
    codes = {s.code for s in staff.list_staff(ctx, manager)}
    assert "mgr" in codes and len(codes) > 1
    assert members.find_members(ctx, manager, "138")
    assert opened[0].store_code == "D2"


def test_closing_the_wizard_sets_nothing_up_and_says_so(fresh: Any, qtbot: Any) -> None:
    win, dlg, ctx, _opened = fresh
    qtbot.keyClick(dlg.fields["store_name"], Qt.Key.Key_Escape)
    assert not dlg.isVisible() and not staff.is_initialised(ctx)
    assert "pos-app init" in win.login.info.text()


def test_the_wizard_pairs_the_store_with_central_when_asked(fresh: Any, qtbot: Any, tmp_path: Path) -> None:
    """A real central server on 127.0.0.1: the store is registered there, head office's one-time code typed
    into the wizard; the store comes up paired (sync state and the owner-only credential)."""
    from pos_app.central import services as central
    from pos_app.services import sync
    from tests.central.conftest import Server, make_db

    hq_db = make_db("sqlite", tmp_path)
    hq = Server(hq_db).start()
    try:
        st = central.add_store(hq_db, "一号店", "SH01")
        code = central.device_code(hq_db, st["store_id"])["code"]
        win, dlg, ctx, opened = fresh
        _fill(qtbot, dlg, store_name="一号店", store_code="SH01", manager_code="wang", pin="4321",
              pin_again="4321", pair_code=code)
        qtbot.keyClick(dlg.fields["pair_code"], Qt.Key.Key_Return)  # a code without the server's address
        assert dlg.isVisible() and "中心服务器地址" in dlg.error.text() and not staff.is_initialised(ctx)
        _fill(qtbot, dlg, central_url=hq.url)
        qtbot.keyClick(dlg.fields["pair_code"], Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: bool(opened) and win.login.ok.isEnabled(), timeout=60_000)
        assert dlg.pair_error is None
        status = sync.status(ctx)
        assert status.paired and status.server_url == hq.url
    finally:
        hq.stop()
        hq_db.dispose()


def test_a_pairing_that_fails_leaves_the_store_set_up_standalone_and_says_why(fresh: Any, qtbot: Any) -> None:
    win, dlg, ctx, opened = fresh
    _fill(qtbot, dlg, store_name="二号店", store_code="SH02", manager_code="li", pin="4321", pin_again="4321",
          central_url="http://127.0.0.1:9", pair_code="ABCD-1234")  # nothing listens there
    qtbot.keyClick(dlg.fields["pair_code"], Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: bool(opened) and win.login.ok.isEnabled(), timeout=60_000)
    assert staff.is_initialised(ctx) and dlg.pair_error is not None
    assert "未能与中心服务器配对" in win.login.info.text() and "pos-app pair" in win.login.info.text()
    login(qtbot, win, "li", "4321")
    assert win.appctx.actor.role == "manager"
