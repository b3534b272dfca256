"""A child process for the file-dialog tests: shows a file chooser on FOLDER, lets it list the folder (list and
detail views, icons and types painted), prints the names it shows, one a line, and exits 0.

    python -m tests.ui.filedialog_child app|qt FOLDER

``app``: the app's chooser (pos_app.ui.filedialogs); ``qt``: Qt's own widget dialog with its default icon
provider (the baseline that reads files to guess their type). The parent runs this under
``strace -f -e trace=openat`` to see which files were opened."""

from __future__ import annotations

import os
import sys
import time
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def wait(app: Any, cond: Any, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        app.processEvents()
        if cond():
            return
        time.sleep(0.01)
    raise TimeoutError("the dialog did not get there")


def main(argv: list[str]) -> int:
    mode, folder = argv[0], os.path.abspath(argv[1])
    from PySide6.QtWidgets import QApplication, QFileDialog, QFileSystemModel, QListView, QTreeView

    app = QApplication.instance() or QApplication([])
    if mode == "app":
        from pos_app.ui import filedialogs

        dlg = filedialogs.file_dialog(None, "save", folder, "All (*)")
    else:
        dlg = QFileDialog(None, "save", folder, "All (*)")
        dlg.setOption(QFileDialog.Option.DontUseNativeDialog, True)
    dlg.setDirectory(folder)
    dlg.resize(900, 600)
    dlg.show()
    model = dlg.findChild(QFileSystemModel)
    assert model is not None
    wait(app, lambda: model.rowCount(model.index(folder)) >= len(os.listdir(folder)))
    view = dlg.proxyModel() or model
    names: list[str] = []
    for detail in (False, True):
        dlg.setViewMode(QFileDialog.ViewMode.Detail if detail else QFileDialog.ViewMode.List)
        app.processEvents()
        dlg.grab()
        root = model.index(folder)
        for r in range(model.rowCount(root)):
            for c in range(model.columnCount(root)):
                ix = model.index(r, c, root)
                model.data(ix)
                model.data(ix, 1)  # DecorationRole: the icon
        for v in dlg.findChildren(QListView) + dlg.findChildren(QTreeView):
            v.viewport().grab()
        app.processEvents()
    proxy_root = view.mapFromSource(model.index(folder)) if view is not model else model.index(folder)
    for r in range(view.rowCount(proxy_root)):
        names.append(str(view.data(view.index(r, 0, proxy_root))))
    dlg.close()
    app.processEvents()
    for n in sorted(names):
        print(n)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
