"""Qt's own dialogs speak the app's language: qtbase_zh_CN.qm through a QTranslator, swapped on a language
switch (issue 9, item 10)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QDialogButtonBox, QMessageBox

from pos_app.ui.common import install_qt_translator, qt_translations_dir


def _cancel_text() -> str:
    box = QMessageBox(QMessageBox.Icon.Question, "t", "x", QMessageBox.StandardButton.Ok | QMessageBox.StandardButton.Cancel)
    try:
        return box.button(QMessageBox.StandardButton.Cancel).text()
    finally:
        box.deleteLater()


def test_qt_catalogue_ships_with_pyside() -> None:
    assert (Path(qt_translations_dir()) / "qtbase_zh_CN.qm").is_file()


def test_message_box_cancel_reads_chinese_then_english(win: Any, qtbot: Any) -> None:
    assert _cancel_text() == "取消"
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
    assert buttons.button(QDialogButtonBox.StandardButton.Cancel).text() == "取消"
    buttons.deleteLater()
    win.set_language("en")
    assert _cancel_text() == "Cancel"
    win.set_language("zh_CN")
    assert _cancel_text() == "取消"


def test_english_has_no_qt_catalogue(qapp: Any) -> None:
    assert install_qt_translator("en") is False
    assert _cancel_text() == "Cancel"
    assert install_qt_translator("zh_CN") is True
    assert _cancel_text() == "取消"
    install_qt_translator("en")
