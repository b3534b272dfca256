"""The settings dialog over every config key and the store settings (issue 15): driven by keyboard, each bad
value refused under its field naming its key, env overrides read-only, the TOML file read back (0600 in a 0700
folder), a garbage file reported and never written over, store settings a manager's (a cashier is asked for a
manager's PIN, and the audit names both)."""

from __future__ import annotations

import os
import stat
import tomllib
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog

from pos_app import config
from pos_app.services import audit, store_settings
from pos_app.ui.settings_dialog import SettingsDialog
from tests.ui.conftest import idle, login


def _open(qtbot: Any, win: Any) -> SettingsDialog:
    dlg = SettingsDialog(win)
    qtbot.addWidget(dlg)
    dlg.open()
    qtbot.waitUntil(lambda: dlg.store_values is not None and idle(win), timeout=10_000)
    return dlg


def _type(qtbot: Any, edit: Any, text: str) -> None:
    """Typed by keys (Chinese text, which comes from an input method, is put in as the method would)."""
    edit.setFocus()
    edit.selectAll()
    qtbot.keyClick(edit, Qt.Key.Key_Delete)
    if text.isascii():
        qtbot.keyClicks(edit, text)
    else:
        edit.insert(text)


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_every_config_key_and_store_setting_has_a_field() -> None:
    assert [k.name for k in config.KEYS] == ["db", "lang", "central_url", "sync_minutes", "printer", "backup_dir",
                                            "backup_keep", "backup_at", "coupon_layout", "lock_minutes"]
    assert all(k.env.startswith("POS_") for k in config.KEYS)


def test_a_manager_saves_by_keyboard_and_the_file_is_read_back(win: Any, qtbot: Any, store: Any,
                                                               tmp_path: Path) -> None:
    login(qtbot, win, "boss", "9999")
    dlg = _open(qtbot, win)
    assert set(dlg.fields) == {k.name for k in config.KEYS} - {"lang", "lock_minutes"}
    assert set(dlg.store_fields) == {k.name for k in store_settings.STORE_KEYS}
    assert dlg.store_code.text() == "T001"
    # a bad number: refused under its field, naming its key; nothing written
    _type(qtbot, dlg.fields["sync_minutes"], "soon")
    _type(qtbot, dlg.fields["backup_at"], "25:00")
    qtbot.keyClick(dlg.fields["backup_at"], Qt.Key.Key_Return)
    assert dlg.result() != QDialog.DialogCode.Accepted and dlg.isVisible()
    assert "sync_minutes" in dlg.errors["sync_minutes"].text() and "1" in dlg.errors["sync_minutes"].text()
    assert "backup_at" in dlg.errors["backup_at"].text()
    assert not config.config_file().exists()
    # fixed, plus two store settings
    _type(qtbot, dlg.fields["sync_minutes"], "15")
    _type(qtbot, dlg.fields["backup_at"], "06:30")
    _type(qtbot, dlg.fields["central_url"], "https://central.example.cn")
    _type(qtbot, dlg.fields["backup_dir"], str(tmp_path / "bk"))
    _type(qtbot, dlg.store_fields["balance_cap_fen"], "3000")
    _type(qtbot, dlg.store_fields["lockout_minutes"], "20")
    qtbot.keyClick(dlg.store_fields["lockout_minutes"], Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dlg.result() == QDialog.DialogCode.Accepted, timeout=10_000)
    path = config.config_file()
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    assert data == {"sync_minutes": 15, "backup_at": "06:30", "central_url": "https://central.example.cn",
                    "backup_dir": str(tmp_path / "bk")}
    assert _mode(path) == 0o600 and _mode(path.parent) == 0o700
    assert config.load().sync_minutes == 15 and config.load_backup().at == (6, 30)
    view = store_settings.read_store_settings(store.ctx, store.manager)
    assert view.values["balance_cap_fen"] == 300_000 and view.values["lockout_minutes"] == 20
    row = audit.audit_rows(store.ctx, store.manager, action="settings.update")[0]
    assert row.staff_code == "boss" and row.approved_by_code is None


def test_an_env_override_is_read_only_and_named(win: Any, qtbot: Any, monkeypatch: Any) -> None:
    monkeypatch.setenv("POS_SYNC_MINUTES", "9")
    config.save({"sync_minutes": 30})
    login(qtbot, win, "boss", "9999")
    dlg = _open(qtbot, win)
    edit = dlg.fields["sync_minutes"]
    assert edit.isReadOnly() and edit.text() == "9"
    notes = " ".join(lbl.text() for lbl in dlg.findChildren(type(dlg.error)))
    assert "POS_SYNC_MINUTES" in notes
    _type(qtbot, dlg.fields["printer"], "收银台打印机")
    qtbot.keyClick(dlg.fields["printer"], Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dlg.result() == QDialog.DialogCode.Accepted, timeout=10_000)
    data = tomllib.loads(config.config_file().read_text(encoding="utf-8"))
    assert data == {"sync_minutes": 30, "printer": "收银台打印机"}  # the file's own value kept, not the env's


def test_a_garbage_config_file_is_reported_and_never_written_over(win: Any, qtbot: Any) -> None:
    path = config.config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"sync_minutes = = 5\n\xff\xfe[")
    before = path.read_bytes()
    login(qtbot, win, "boss", "9999")
    dlg = _open(qtbot, win)
    assert dlg.error.isVisible() and str(path) in dlg.error.text()
    assert not dlg.fields["sync_minutes"].isEnabled()
    qtbot.keyClick(dlg.lock_minutes, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dlg.result() == QDialog.DialogCode.Accepted, timeout=10_000)
    assert path.read_bytes() == before


def test_a_bad_store_setting_is_refused_under_its_field(win: Any, qtbot: Any, store: Any) -> None:
    login(qtbot, win, "boss", "9999")
    dlg = _open(qtbot, win)
    _type(qtbot, dlg.store_fields["timezone"], "Mars/Base")
    _type(qtbot, dlg.store_fields["pin_min_length"], "3")
    qtbot.keyClick(dlg.store_fields["pin_min_length"], Qt.Key.Key_Return)
    assert dlg.isVisible() and dlg.pages.currentIndex() == 1
    assert "timezone" in dlg.store_errors["timezone"].text()
    assert "pin_min_length" in dlg.store_errors["pin_min_length"].text()
    assert store_settings.read_store_settings(store.ctx, store.manager).values["timezone"] == "Asia/Shanghai"


@pytest.mark.parametrize("approves", [True, False])
def test_a_cashier_changing_a_store_setting_needs_a_manager(win: Any, qtbot: Any, store: Any,
                                                            approves: bool) -> None:
    login(qtbot, win, "cash1", "1111")
    asked: list[str] = []

    def ask(reason: str) -> Any:
        asked.append(reason)
        return store.manager if approves else None

    win.appctx.ask_manager = ask
    dlg = _open(qtbot, win)
    assert "PIN" in dlg.store_hint.text()
    _type(qtbot, dlg.store_fields["store_name"], "新名字门店")
    qtbot.keyClick(dlg.store_fields["store_name"], Qt.Key.Key_Return)
    assert asked
    view = store_settings.read_store_settings(store.ctx, store.manager)
    if approves:
        qtbot.waitUntil(lambda: dlg.result() == QDialog.DialogCode.Accepted, timeout=10_000)
        view = store_settings.read_store_settings(store.ctx, store.manager)
        assert view.values["store_name"] == "新名字门店"
        row = audit.audit_rows(store.ctx, store.manager, action="settings.update")[0]
        assert (row.staff_code, row.approved_by_code) == ("cash1", "boss")
    else:
        assert dlg.isVisible() and dlg.error.isVisible()
        assert view.values["store_name"] == "测试门店"


def test_the_idle_lock_is_a_config_key_moved_once_from_the_gui_s_own_settings(win: Any, qtbot: Any,
                                                                              monkeypatch: Any) -> None:
    from pos_app.ui.main import gui_settings, saved_lock_minutes

    qs = gui_settings()
    qs.setValue("lock_minutes", 25)  # where an older version kept it
    qs.sync()
    assert saved_lock_minutes() == 25
    assert tomllib.loads(config.config_file().read_text(encoding="utf-8"))["lock_minutes"] == 25
    assert gui_settings().value("lock_minutes") is None  # moved, not kept in two places
    login(qtbot, win, "boss", "9999")
    dlg = _open(qtbot, win)
    assert dlg.lock_minutes.value() == 25 and dlg.lock_minutes.isEnabled()
    dlg.lock_minutes.setValue(3)
    dlg.accept()
    qtbot.waitUntil(lambda: dlg.result() == QDialog.DialogCode.Accepted, timeout=10_000)
    assert config.load().lock_minutes == 3
    monkeypatch.setenv("POS_LOCK_MINUTES", "0")
    assert saved_lock_minutes() == 0
    dlg = _open(qtbot, win)
    assert not dlg.lock_minutes.isEnabled()
    assert "POS_LOCK_MINUTES" in " ".join(lbl.text() for lbl in dlg.findChildren(type(dlg.error)))


def test_a_store_setting_set_on_this_computer_is_read_only_and_says_where(win: Any, qtbot: Any, store: Any,
                                                                         monkeypatch: Any) -> None:
    path = config.config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(config.dumps({"store": {"balance_cap_fen": 300_000}}), encoding="utf-8")
    monkeypatch.setenv("POS_LOCKOUT_MINUTES", "45")
    store_settings.load_local_overrides()  # as the store opening reads them
    login(qtbot, win, "boss", "9999")
    dlg = _open(qtbot, win)
    cap, minutes = dlg.store_fields["balance_cap_fen"], dlg.store_fields["lockout_minutes"]
    assert not cap.isEnabled() and cap.text() == "3000.00"
    assert not minutes.isEnabled() and minutes.text() == "45"
    assert "[store] balance_cap_fen" in dlg.store_notes["balance_cap_fen"].text()
    assert "POS_LOCKOUT_MINUTES" in dlg.store_notes["lockout_minutes"].text()
    assert dlg.store_notes["spend_order"].isHidden()
    _type(qtbot, dlg.store_fields["voucher_valid_days"], "30")
    qtbot.keyClick(dlg.store_fields["voucher_valid_days"], Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dlg.result() == QDialog.DialogCode.Accepted, timeout=10_000)
    row = audit.audit_rows(store.ctx, store.manager, action="settings.update")[0]
    assert set(row.details) == {"voucher_valid_days"}  # the locally set ones are not written to the store
    monkeypatch.delenv("POS_LOCKOUT_MINUTES")
    path.unlink()
    store_settings.load_local_overrides()  # what this test set does not outlive it


def test_the_coupon_screen_prints_in_the_configured_layout(win: Any, qtbot: Any, monkeypatch: Any) -> None:
    from tests.ui.conftest import press

    monkeypatch.setenv("POS_COUPON_LAYOUT", "80mm")
    login(qtbot, win, "boss", "9999")
    press(qtbot, win, Qt.Key.Key_F8)
    assert win.screens["coupons"].layout_choice.currentData() == "80mm"
