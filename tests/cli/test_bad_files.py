"""Bad files (issue 15): a store file of garbage bytes, cut short, damaged or empty, a store from a newer app
version, and a settings file of garbage, each opened by the command line (`pos_app.cli.main`, in process: the
same code as the console script), by the counter app's start (the login page's message) and by restore: one
clear translated line, and the file that is there is byte for byte as it was."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pos_app import messages
from pos_app.cli import main
from tests.conftest import make_store

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def good(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store with a manager (boss/9999) and a few hundred members: big enough that its last pages lie
    well past its schema."""
    from pos_app.services import members

    path = tmp_path_factory.mktemp("bad") / "good.db"
    s = make_store(path)
    for i in range(300):
        members.register_member(s.ctx, s.cashier, phone=f"139{i:08d}")
    s.ctx.db.dispose()
    c = sqlite3.connect(path)
    c.execute("PRAGMA journal_mode=DELETE")  # one self-contained file: no WAL beside it
    c.close()
    return path


def _garbage(good: Path, to: Path) -> None:
    to.write_bytes(os.urandom(8192))


def _empty(good: Path, to: Path) -> None:
    to.write_bytes(b"")


def _cut_short(good: Path, to: Path) -> None:
    data = good.read_bytes()
    to.write_bytes(data[: len(data) // 2])  # the header and the schema are whole; half the pages are gone


def _header_cut(good: Path, to: Path) -> None:
    to.write_bytes(good.read_bytes()[:3000])  # not even the first page


def _damaged(good: Path, to: Path) -> None:
    data = bytearray(good.read_bytes())
    data[100:4096] = b"\xa5" * (4096 - 100)  # the schema page's b-tree overwritten, the header intact
    to.write_bytes(bytes(data))


def _newer(good: Path, to: Path) -> None:
    to.write_bytes(good.read_bytes())
    c = sqlite3.connect(to)
    c.execute("PRAGMA journal_mode=WAL")  # as the newer app leaves its store (its WAL checkpointed on close)
    c.execute("UPDATE alembic_version SET version_num = '9999_from_the_future' "
              "WHERE rowid = (SELECT min(rowid) FROM alembic_version)")
    c.commit()
    c.close()


#: kind -> (how to make it from the good store, what the English line says, what the Chinese line says)
BAD: dict[str, tuple[Callable[[Path, Path], None], str, str]] = {
    "garbage": (_garbage, "This is not a store database file", "这不是门店数据库文件"),
    "empty": (_empty, "The store database file is empty (0 bytes)", "门店数据库文件是空的"),
    "cut_short": (_cut_short, "The store database file is damaged", "门店数据库文件已损坏"),
    "header_cut": (_header_cut, "The store database file is damaged", "门店数据库文件已损坏"),
    "damaged": (_damaged, "The store database file is damaged", "门店数据库文件已损坏"),
    "newer": (_newer, "written by a newer pos_app", "由更新版本的 pos_app 创建"),
}


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _listing(path: Path) -> list[str]:
    """What lies beside the store (the lock file a command takes is not the store's data)."""
    return sorted(p.name for p in path.parent.iterdir() if not p.name.endswith(".lock"))


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(list(args))
    err = capsys.readouterr().err
    return code, err


@pytest.mark.parametrize("kind", sorted(BAD))
def test_a_bad_store_file_is_one_translated_line_on_every_command_and_is_left_as_it_was(
        good: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str) -> None:
    make, en, zh = BAD[kind]
    bad = tmp_path / "store.db"
    make(good, bad)
    os.chmod(bad, 0o600)
    before, listing = _digest(bad), _listing(bad)
    commands = (["doctor"], ["--staff", "boss", "--pin", "9999", "member", "find", "139"],
                ["--staff", "boss", "--pin", "9999", "recharge", "--phone", "13900000001", "--tier", "basic"],
                ["backup", "--out", str(tmp_path / "copy.db")])
    for lang, says in (("en", en), ("zh_CN", zh)):
        for cmd in commands:
            code, err = _cli(capsys, "--lang", lang, "--db", str(bad), *cmd)
            assert code == 2, (kind, cmd, err)
            assert says in err and len(err.strip().splitlines()) == 1, (kind, cmd, err)
            assert "Traceback" not in err and "sqlalche" not in err and str(bad) in err, (kind, cmd, err)
            assert _digest(bad) == before and _listing(bad) == listing, (kind, cmd)
    assert not (tmp_path / "copy.db").exists()


@pytest.mark.parametrize("kind", sorted(BAD))
def test_the_app_start_says_why_on_the_login_page_and_leaves_the_file(good: Path, tmp_path: Path, qtbot: Any,
                                                                      kind: str) -> None:
    from pos_app.ui.appctx import AppContext
    from pos_app.ui.main import MainWindow, open_in_window
    from pos_app.ui.ops import DbWorker

    make, en, zh = BAD[kind]
    bad = tmp_path / "store.db"
    make(good, bad)
    before, listing = _digest(bad), _listing(bad)
    messages.set_language("zh_CN")
    appctx = AppContext(None, DbWorker())
    win = MainWindow(appctx)
    qtbot.addWidget(win)
    opened: list[Any] = []
    try:
        open_in_window(win, appctx, str(bad), opened.append)
        qtbot.waitUntil(lambda: zh in win.login.info.text(), timeout=20_000)
        assert "无法打开数据库" in win.login.info.text() and "Error" not in win.login.info.text()
        assert not opened and not appctx.has_ctx and not win.login.ok.isEnabled()
    finally:
        appctx.worker.stop()
    assert _digest(bad) == before and _listing(bad) == listing


def test_gui_smoke_on_a_bad_store_is_the_same_line_and_a_garbage_settings_file_is_reported(
        good: Path, tmp_path: Path) -> None:
    """Through the real console script (a subprocess): `gui --smoke` on a damaged store, then on a good store
    with a settings file of garbage (reported, not written over, the store not opened)."""
    bad = tmp_path / "store.db"
    _cut_short(good, bad)
    before = _digest(bad)
    env = {k: v for k, v in os.environ.items() if not k.startswith("POS_")}
    env.update(QT_QPA_PLATFORM="offscreen", POS_LANG="en", POS_CONFIG=str(tmp_path / "config.toml"))
    cmd = [sys.executable, "-m", "pos_app", "--db", str(bad), "gui", "--smoke"]
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert r.returncode == 2 and "The store database file is damaged" in r.stderr, r.stderr
    assert "Traceback" not in r.stderr and _digest(bad) == before

    store = tmp_path / "good.db"
    store.write_bytes(good.read_bytes())
    config = tmp_path / "config.toml"
    config.write_bytes(b"[[[ not toml \xff\x00")
    r = subprocess.run([*cmd[:4], str(store), "gui", "--smoke"], capture_output=True, text=True, env=env, cwd=ROOT,
                       timeout=120)
    assert r.returncode == 2 and "Cannot read the settings file" in r.stderr and str(config) in r.stderr, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and config.read_bytes() == b"[[[ not toml \xff\x00"
    assert store.read_bytes() == good.read_bytes()


def test_a_garbage_settings_file_is_said_by_every_command_and_on_the_login_page(
        good: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], qtbot: Any,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from pos_app.ui import main as ui_main

    store = tmp_path / "store.db"
    store.write_bytes(good.read_bytes())
    config = tmp_path / "config.toml"
    junk = b"backup_keep = \x00\xff[[["
    config.write_bytes(junk)
    monkeypatch.setenv("POS_CONFIG", str(config))
    for cmd in (["doctor"], ["--staff", "boss", "--pin", "9999", "member", "find", "139"], ["backup"]):
        code, err = _cli(capsys, "--lang", "en", "--db", str(store), *cmd)
        assert code == 2 and err.startswith("Cannot read the settings file") and len(err.strip().splitlines()) == 1
    assert config.read_bytes() == junk and store.read_bytes() == good.read_bytes()

    # the app's start: the window opens on the login page with the message, and no store is opened
    shown: list[Any] = []
    monkeypatch.setattr(ui_main.QApplication, "exec", lambda *_a: shown.append(1) or 0)
    messages.set_language("en")
    windows: list[Any] = []
    real_window = ui_main.MainWindow

    def keep(appctx: Any) -> Any:
        win = real_window(appctx)
        windows.append(win)
        return win

    monkeypatch.setattr(ui_main, "MainWindow", keep)
    assert main(["--lang", "en", "--db", str(store), "gui"]) == 0
    qtbot.waitUntil(lambda: "Cannot read the settings file" in windows[0].login.info.text(), timeout=10_000)
    assert not windows[0].appctx.has_ctx and shown
    assert config.read_bytes() == junk and store.read_bytes() == good.read_bytes()


def test_restore_onto_a_bad_store_is_refused_for_a_bad_backup_and_leaves_both(
        good: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The store is damaged and so is the backup offered: refused, both files as they were."""
    store, backup = tmp_path / "store.db", tmp_path / "backup.db"
    _garbage(good, store)
    _cut_short(good, backup)
    before = (_digest(store), _digest(backup))
    code, err = _cli(capsys, "--lang", "en", "--db", str(store), "--staff", "boss", "--pin", "9999", "restore",
                     str(backup))
    assert code == 2 and "The backup file is incomplete" in err and len(err.strip().splitlines()) == 1, err
    assert (_digest(store), _digest(backup)) == before
