"""The app's file choosers (pos_app.ui.filedialogs) never open the files they list: the store database's POSIX
locks survive a save dialog that visits its folder (issue 9, item 1). Checked on a real dialog in a child
process under strace, and on the pieces directly."""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QFileInfo, QTimer
from PySide6.QtWidgets import QApplication, QFileDialog

from pos_app.ui import filedialogs

ROOT = Path(__file__).resolve().parents[2]
STORE_FILES = ("store.db", "store.db-wal", "store.db-shm", "store.db.lock")


def _folder(tmp_path: Path) -> Path:
    d = tmp_path / "data"
    d.mkdir()
    con = sqlite3.connect(d / "store.db")
    con.execute("create table t(x)")
    con.commit()
    con.close()
    for name in STORE_FILES[1:]:
        (d / name).write_bytes(b"\0" * 64)
    (d / "notes.txt").write_text("hello", encoding="utf-8")
    (d / "old.pdf").write_bytes(b"%PDF-1.4\n")
    (d / "noext").write_bytes(b"\x89PNG\r\n\x1a\n")
    return d


def _list_under_strace(mode: str, folder: Path, tmp_path: Path) -> tuple[list[str], set[str]]:
    """Run the chooser child under strace; (names it listed, files of ``folder`` it opened, not as a folder)."""
    trace = tmp_path / f"{mode}.trace"
    env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"),
               PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    proc = subprocess.run(
        ["strace", "-f", "-qq", "-e", "trace=openat", "-o", str(trace), sys.executable, "-m",
         "tests.ui.filedialog_child", mode, str(folder)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=180,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    opened = set()
    for line in trace.read_text(encoding="utf-8", errors="replace").splitlines():
        m = re.search(r'openat\([^,]+, "([^"]+)", ([^)]*)\)', line)
        if m and m.group(1).startswith(str(folder) + "/") and "O_DIRECTORY" not in m.group(2):
            opened.add(os.path.basename(m.group(1)))
    return proc.stdout.split(), opened


@pytest.mark.xvfb
@pytest.mark.skipif(shutil.which("strace") is None, reason="needs strace (make system-deps installs it)")
def test_listing_the_database_folder_never_opens_the_store_file(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    # the control: Qt's own widget dialog reads the files it lists (this is what drops SQLite's locks)
    _names, opened = _list_under_strace("qt", folder, tmp_path)
    assert "store.db" in opened
    # the app's chooser: nothing in the folder is opened, and the store's files are not even listed
    names, opened = _list_under_strace("app", folder, tmp_path)
    assert opened == set()
    assert sorted(names) == ["noext", "notes.txt", "old.pdf"]


def test_icons_and_types_come_from_the_name_only(qtbot: Any, tmp_path: Path) -> None:
    fake = tmp_path / "photo.pdf"
    fake.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 32)  # a PNG named .pdf: content sniffing would say PNG
    provider = filedialogs.NameOnlyIconProvider()
    assert provider.type(QFileInfo(str(fake))) == "PDF 文件"
    assert provider.type(QFileInfo(str(tmp_path))) == "文件夹"
    assert not provider.icon(QFileInfo(str(fake))).isNull()
    assert not provider.icon(QFileInfo(str(tmp_path))).isNull()


def test_store_files_are_hidden_and_never_the_default_folder(tmp_path: Path) -> None:
    for name in ("store.db", "STORE.DB", "store.db-wal", "store.db-shm", "store.db-journal", "pos.lock",
                 "store.db.lock", "x.sqlite"):
        assert filedialogs.is_store_file(name), name
    for name in ("receipt.pdf", "coupons.pdf", "stock.xlsx", "invite.png", "db.txt", "notes"):
        assert not filedialogs.is_store_file(name), name
    folder = _folder(tmp_path)
    filedialogs.set_last_dir(str(folder))  # a folder with the store's files is never where a chooser opens
    try:
        assert filedialogs.default_dir() != str(folder)
        assert os.path.isdir(filedialogs.default_dir())
    finally:
        filedialogs.set_last_dir(None)


@pytest.mark.xvfb
def test_save_file_asks_in_the_safe_dialog_and_remembers_the_folder(qtbot: Any, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    filedialogs.set_last_dir(str(out))
    seen: dict[str, Any] = {}

    def answer() -> None:
        dlg = QApplication.activeModalWidget()
        assert isinstance(dlg, QFileDialog)
        seen.update(native=not dlg.testOption(QFileDialog.Option.DontUseNativeDialog),
                    icons=type(dlg.iconProvider()), proxy=type(dlg.proxyModel()),
                    folder=dlg.directory().absolutePath(), mode=dlg.acceptMode())
        dlg.selectFile(str(out / "receipt-1.pdf"))
        dlg.accept()

    try:
        QTimer.singleShot(0, answer)
        path = filedialogs.save_file(None, "save", "receipt-1.pdf", "PDF (*.pdf)")
        assert path == str(out / "receipt-1.pdf")
        assert seen == {"native": False, "icons": filedialogs.NameOnlyIconProvider,
                        "proxy": filedialogs.HideStoreFiles, "folder": str(out),
                        "mode": QFileDialog.AcceptMode.AcceptSave}
        assert filedialogs.default_dir() == str(out)
        QTimer.singleShot(0, lambda: QApplication.activeModalWidget().reject())  # type: ignore[union-attr]
        assert filedialogs.open_file(None, "open", "CSV (*.csv)") is None
    finally:
        filedialogs.set_last_dir(None)


def test_the_app_has_no_other_file_dialog() -> None:
    """Every chooser goes through pos_app.ui.filedialogs (Qt's static helpers would sniff the files)."""
    ui = ROOT / "pos_app" / "ui"
    users = sorted(p.name for p in ui.glob("*.py") if "QFileDialog" in p.read_text(encoding="utf-8"))
    assert users == ["filedialogs.py"]


def test_unwritable_paths_get_a_translated_refusal(tmp_path: Path) -> None:
    from pos_app import messages
    from pos_app.domain.errors import DomainError

    cases = [(str(tmp_path), "是一个文件夹"), (str(tmp_path / "missing" / "x.pdf"), "文件夹不存在")]
    for path, words in cases:
        with pytest.raises(DomainError) as info:
            filedialogs.check_output(path)
        assert words in messages.tr_error(info.value)
    with pytest.raises(DomainError) as info:
        filedialogs.writing("/x.pdf", lambda: (_ for _ in ()).throw(OSError(28, "No space left on device")))
    assert "No space left" in messages.tr_error(info.value)
    filedialogs.check_output(str(tmp_path / "ok.pdf"))  # writable: fine
