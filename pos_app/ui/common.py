"""Small shared pieces of the counter app: translated text, error display, big buttons, money."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import QApplication, QLabel, QPushButton, QSizePolicy, QWidget

from pos_app import messages
from pos_app.domain.errors import DomainError
from pos_app.domain.money import format_fen

STYLE_FILE = Path(__file__).resolve().parents[2] / "resources" / "styles" / "counter.qss"
#: fonts shipped with the app (the packaged app carries its CJK font there, see build.spec)
FONTS_DIR = STYLE_FILE.parents[1] / "fonts"
CJK_FAMILIES = ("Noto Sans CJK SC", "Noto Sans SC", "Microsoft YaHei", "PingFang SC", "WenQuanYi Micro Hei",
                "WenQuanYi Zen Hei")


def tr(key: str, **params: Any) -> str:
    """The text of message ``key`` in the app's language; parameters are shown by their type (wrap money in
    ``domain.textparams.Money``)."""
    return messages.translate(key, params or None)


def money(fen: int | None) -> str:
    return "—" if fen is None else format_fen(fen)


def error_text(exc: BaseException) -> str:
    if isinstance(exc, DomainError):
        return messages.tr_error(exc)
    return tr("ui.unexpected", detail=f"{type(exc).__name__}: {exc}")


class ErrorLabel(QLabel):
    """A red message shown next to the field that caused it; hidden when empty."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("error")
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.hide()

    def show_error(self, exc: BaseException | str | None) -> None:
        if exc is None or exc == "":
            self.clear()
            self.hide()
            return
        self.setText(exc if isinstance(exc, str) else error_text(exc))
        self.show()


class ElidedLabel(QLabel):
    """A one-line label that never asks for more width than it gets: long text is elided ("…") and shown
    whole in its tooltip (status bar texts, names), so it can never widen the window."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._full = ""
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setText(text)

    def setText(self, text: str) -> None:  # noqa: N802
        self._full = text or ""
        self.setToolTip(self._full)
        self._elide()
        self.updateGeometry()  # the size hint is the full text's, whatever is shown now

    def text(self) -> str:
        return self._full

    def sizeHint(self) -> QSize:  # noqa: N802
        extra = self.width() - self.contentsRect().width() + 2 * max(self.margin(), 0) + 6
        return QSize(self.fontMetrics().horizontalAdvance(self._full) + extra, super().sizeHint().height())

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return QSize(24, super().minimumSizeHint().height())

    def resizeEvent(self, ev: Any) -> None:  # noqa: N802
        super().resizeEvent(ev)
        self._elide()

    def _elide(self) -> None:
        room = max(self.contentsRect().width() - 2 * max(self.margin(), 0) - 2, 12)
        shown = self.fontMetrics().elidedText(self._full, Qt.TextElideMode.ElideRight, room)
        QLabel.setText(self, shown)


class ClickBanner(QLabel):
    """A banner that wraps its text instead of widening the window; a click (or ``click()``) emits
    ``clicked``."""

    clicked = Signal()

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self.setWordWrap(True)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Minimum)
        self.setCursor(Qt.CursorShape.PointingHandCursor)

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return QSize(24, super().minimumSizeHint().height())

    def mouseReleaseEvent(self, ev: Any) -> None:  # noqa: N802
        if ev.button() == Qt.MouseButton.LeftButton and self.rect().contains(ev.position().toPoint()):
            self.clicked.emit()
        super().mouseReleaseEvent(ev)

    def click(self) -> None:
        self.clicked.emit()


def big_button(text: str, parent: QWidget | None = None, *, object_name: str = "big") -> QPushButton:
    b = QPushButton(text, parent)
    b.setObjectName(object_name)
    b.setMinimumHeight(56)
    b.setAutoDefault(False)
    return b


def apply_style(app: QApplication) -> None:
    from PySide6.QtGui import QFont, QFontDatabase  # noqa: PLC0415

    families = set(QFontDatabase.families())
    if not families.intersection(CJK_FAMILIES) and FONTS_DIR.is_dir():
        # a machine without a Chinese font (Chinese would show as boxes): use the one the app ships
        for p in sorted(FONTS_DIR.iterdir()):
            if p.suffix.lower() in (".ttf", ".ttc", ".otf"):
                QFontDatabase.addApplicationFont(str(p))
        families = set(QFontDatabase.families())
    for fam in CJK_FAMILIES:
        if fam in families:
            f = QFont(fam)
            f.setPointSize(11)
            app.setFont(f)
            break
    if STYLE_FILE.exists():
        app.setStyleSheet(STYLE_FILE.read_text(encoding="utf-8"))


#: Qt's own strings (OK/Cancel, QMessageBox, file dialogs, calendar) per app language: qtbase_<lang>.qm
QT_CATALOGUES = {"zh_CN": "qtbase_zh_CN"}
_qt_translator: Any = None


def qt_translations_dir() -> str:
    """Where Qt's own .qm files are: the PySide6 wheel ships them in PySide6/Qt/translations."""
    from PySide6.QtCore import QLibraryInfo  # noqa: PLC0415

    return QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)


def install_qt_translator(lang: str | None = None) -> bool:
    """Load Qt's own catalogue for ``lang`` (default: the app's language), replacing the previous one, and
    make it the default locale (dates, numbers). Returns False when that catalogue is missing (English)."""
    global _qt_translator
    from PySide6.QtCore import QCoreApplication, QLocale, QTranslator  # noqa: PLC0415

    lang = lang or messages.language()
    app = QCoreApplication.instance()
    if app is None:
        return False
    if _qt_translator is not None:
        QCoreApplication.removeTranslator(_qt_translator)
        _qt_translator = None
    QLocale.setDefault(QLocale("zh_CN" if lang == "zh_CN" else "en_US"))
    name = QT_CATALOGUES.get(lang)
    if name is None:
        return False
    tr_ = QTranslator(app)
    if not tr_.load(name, qt_translations_dir()):
        return False
    QCoreApplication.installTranslator(tr_)
    _qt_translator = tr_
    return True


def clear_layout(layout: Any) -> None:
    while layout.count():
        item = layout.takeAt(0)
        w = item.widget()
        if w is not None:
            w.setParent(None)
            w.deleteLater()
        elif item.layout() is not None:
            clear_layout(item.layout())
