"""Every file chooser and print dialog of the app goes through here.

File choosers never open a file's contents. Qt's own file dialog guesses each listed file's type by
reading it (QMimeDatabase content sniffing from the icon provider), and closing *any* descriptor on the
SQLite store file drops all of this process's POSIX locks on it (SQLite's "How To Corrupt An SQLite
Database File", 2.2): the next process then deletes the WAL the app still writes into. So the choosers:

- use Qt's own (non-native) dialog, whose model we control (a platform dialog or portal is another
  process we cannot vouch for);
- decide icons and type names from the file *name* only (:class:`NameOnlyIconProvider`);
- hide the store's files (``*.db``, ``*.db-wal``, ``*.db-shm``, ``*.lock``...) from the listing;
- start in the user's documents folder (or home), never the database's folder, and remember the
  folder last used in this session.

Print dialogs keep the ``QPrinter`` they use alive as long as the dialog (Qt does not own a printer
it is given, and a Python ``QPrinter`` goes away with its last reference: a preview that paints on it
afterwards crashes the app).
"""

from __future__ import annotations

import errno
import fnmatch
import os
from collections.abc import Callable
from pathlib import Path
from typing import Protocol, TypeVar

from PySide6.QtCore import QFileInfo, QModelIndex, QPersistentModelIndex, QSortFilterProxyModel
from PySide6.QtGui import QIcon
from PySide6.QtPrintSupport import QPrintDialog, QPrinter, QPrintPreviewDialog
from PySide6.QtWidgets import QDialog, QFileDialog, QFileIconProvider, QFileSystemModel, QStyle, QWidget

from pos_app import messages
from pos_app.domain.errors import DomainError, InvalidInput

T = TypeVar("T")

#: names the choosers never list (the store database and its SQLite/lock companions)
HIDDEN_PATTERNS = ("*.db", "*.db-wal", "*.db-shm", "*.db-journal", "*.sqlite", "*.sqlite3", "*.lock",
                   "*.db.lock", "*-wal", "*-shm", "*-journal")

#: the folder the user last chose in this session (None: not yet)
_state: dict[str, str | None] = {"last_dir": None}


def set_last_dir(folder: str | None) -> None:
    """Where the next chooser opens (None: the documents folder again)."""
    _state["last_dir"] = folder


def is_store_file(name: str) -> bool:
    """True for a name the choosers hide (the store database and its companions)."""
    low = name.lower()
    return any(fnmatch.fnmatchcase(low, p) for p in HIDDEN_PATTERNS)


def _holds_store_files(folder: str) -> bool:
    try:
        return any(is_store_file(n) for n in os.listdir(folder))  # names only: no file is opened
    except OSError:
        return True


def default_dir() -> str:
    """The folder a chooser opens in: the one last used, else the user's documents folder, else home."""
    last = _state["last_dir"]
    if last and os.path.isdir(last) and not _holds_store_files(last):
        return last
    try:
        from platformdirs import user_documents_dir  # noqa: PLC0415

        docs = user_documents_dir()
    except Exception:  # platformdirs missing or no answer: home is fine
        docs = ""
    if docs and os.path.isdir(docs):
        return docs
    return str(Path.home())


class NameOnlyIconProvider(QFileIconProvider):
    """Icons and type names from the file name only: never opens a file to sniff its contents."""

    def __init__(self) -> None:
        super().__init__()
        self.setOptions(QFileIconProvider.Option.DontUseCustomDirectoryIcons)
        # made here, on the GUI thread (Qt may ask for icons from its file-info thread)
        from PySide6.QtWidgets import QApplication  # noqa: PLC0415

        style = QApplication.style()

        def std(which: QStyle.StandardPixmap) -> QIcon:
            return style.standardIcon(which) if style is not None else QIcon()

        self._dir = std(QStyle.StandardPixmap.SP_DirIcon)
        self._file = std(QStyle.StandardPixmap.SP_FileIcon)
        self._trash = std(QStyle.StandardPixmap.SP_TrashIcon)

    def icon(self, what: QFileInfo | QFileIconProvider.IconType) -> QIcon:  # type: ignore[override]
        if isinstance(what, QFileInfo):
            return self._dir if what.isRoot() or what.isDir() else self._file
        if what in (QFileIconProvider.IconType.Folder, QFileIconProvider.IconType.Computer,
                    QFileIconProvider.IconType.Drive, QFileIconProvider.IconType.Network):
            return self._dir
        return self._trash if what == QFileIconProvider.IconType.Trashcan else self._file

    def type(self, info: QFileInfo) -> str:
        if info.isDir():
            return messages.translate("file.type_folder")
        suffix = info.suffix()
        return messages.translate("file.type_suffix", {"suffix": suffix.upper()}) if suffix else \
            messages.translate("file.type_file")


class HideStoreFiles(QSortFilterProxyModel):
    """The chooser's listing without the store's database files."""

    def filterAcceptsRow(self, row: int, parent: QModelIndex | QPersistentModelIndex) -> bool:
        src = self.sourceModel()
        if src is None:
            return True
        index = src.index(row, 0, parent)
        if isinstance(src, QFileSystemModel) and src.isDir(index):
            return True
        return not is_store_file(str(src.data(index)))


def file_dialog(parent: QWidget | None, title: str, directory: str, filters: str) -> QFileDialog:
    """A chooser that never opens the files it lists (see the module docstring). Not shown yet."""
    dlg = QFileDialog(parent, title, directory, filters)
    dlg.setOption(QFileDialog.Option.DontUseNativeDialog, True)
    dlg.setIconProvider(NameOnlyIconProvider())
    dlg.setProxyModel(HideStoreFiles(dlg))
    return dlg


def _run(dlg: QFileDialog) -> str | None:
    if dlg.exec() != QDialog.DialogCode.Accepted:
        return None
    files = dlg.selectedFiles()
    if not files:
        return None
    folder = str(Path(files[0]).parent)
    if not _holds_store_files(folder):  # the next chooser never opens in the database's folder
        set_last_dir(folder)
    return files[0]


def save_file(parent: QWidget | None, title: str, default_name: str, filters: str) -> str | None:
    """Ask where to save (asks before overwriting); None when cancelled. ``filters``: Qt's "PDF (*.pdf);;..."."""
    dlg = file_dialog(parent, title, os.path.join(default_dir(), default_name), filters)
    dlg.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
    dlg.setFileMode(QFileDialog.FileMode.AnyFile)
    suffix = Path(default_name).suffix.lstrip(".")
    if suffix:
        dlg.setDefaultSuffix(suffix)
    dlg.selectFile(default_name)
    return _run(dlg)


class ShowsError(Protocol):
    def show_error(self, exc: object) -> None: ...


def save_as(parent: QWidget | None, title: str, default_name: str, filters: str, save: Callable[[str], object],
            error: ShowsError) -> str | None:
    """Ask where to save, then ``save(path)``: a refusal (a file that cannot be written) is shown in ``error``,
    success clears it. The path saved, or None (cancelled or refused)."""
    path = save_file(parent, title, default_name, filters)
    if not path:
        return None
    try:
        save(path)
    except DomainError as exc:
        error.show_error(exc)
        return None
    error.show_error(None)
    return path


def open_file(parent: QWidget | None, title: str, filters: str) -> str | None:
    """Ask for an existing file to read; None when cancelled."""
    dlg = file_dialog(parent, title, default_dir(), filters)
    dlg.setAcceptMode(QFileDialog.AcceptMode.AcceptOpen)
    dlg.setFileMode(QFileDialog.FileMode.ExistingFile)
    return _run(dlg)


# ----------------------------------------------------------------------------- writing the chosen file


def output_error(exc: OSError, path: str) -> InvalidInput:
    """The translated refusal for an OSError while writing ``path`` (never a traceback)."""
    code = exc.errno
    if code == errno.EISDIR or os.path.isdir(path):
        return InvalidInput("file.is_dir", path=path)
    if code == errno.ENOENT or not os.path.isdir(os.path.dirname(os.path.abspath(path))):
        return InvalidInput("save.no_folder", path=path)
    if code in (errno.EACCES, errno.EPERM, errno.EROFS):
        return InvalidInput("save.not_writable", path=path)
    return InvalidInput("save.write_failed", path=path, detail=exc.strerror or str(exc))


def check_output(path: str) -> None:
    """Refuse, with a translated message, a path that cannot be written: a folder, in a missing folder,
    read-only. Creates the (empty) file when it is writable: the caller writes it next."""
    if os.path.isdir(path):
        raise InvalidInput("file.is_dir", path=path)
    if not os.path.isdir(os.path.dirname(os.path.abspath(path))):
        raise InvalidInput("save.no_folder", path=path)
    try:
        with open(path, "ab"):
            pass
    except OSError as exc:
        raise output_error(exc, path) from None


def check_written(path: str) -> None:
    """After Qt wrote ``path`` (Qt's writers report no errors): refuse when nothing arrived."""
    try:
        ok = os.path.getsize(path) > 0 or not os.path.isfile(path)
    except OSError as exc:
        raise output_error(exc, path) from None
    if not ok:
        raise InvalidInput("save.write_failed", path=path, detail="0 bytes")


def writing(path: str, fn: Callable[[], T]) -> T:
    """Run ``fn`` (which writes ``path``), turning an OSError into the translated refusal."""
    try:
        return fn()
    except OSError as exc:
        raise output_error(exc, path) from None


# ----------------------------------------------------------------------------- printers


def new_printer() -> QPrinter:
    return QPrinter(QPrinter.PrinterMode.HighResolution)


def preview_dialog(printer: QPrinter, parent: QWidget | None = None) -> QPrintPreviewDialog:
    """A print preview that keeps ``printer`` alive as long as the dialog exists (it repaints on every zoom,
    resize or page-setup change, long after the function that opened it has returned)."""
    dlg = QPrintPreviewDialog(printer, parent)
    dlg.kept_printer = printer  # type: ignore[attr-defined]  # freed with the dialog, never before
    return dlg


def print_dialog(printer: QPrinter, parent: QWidget | None = None) -> QPrintDialog:
    """The system print dialog, keeping ``printer`` alive as long as the dialog."""
    dlg = QPrintDialog(printer, parent)
    dlg.kept_printer = printer  # type: ignore[attr-defined]
    return dlg
