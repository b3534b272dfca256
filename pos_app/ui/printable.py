"""What every receipt dialog does with its document: show where a PDF went or why it could not be written,
the four buttons (preview, print, save as PDF, close) with their keys, print preview, print through the system
dialog, and save as PDF. A dialog that shows a printable HTML document subclasses :class:`PrintableDialog`, gives
it what its PDF is called and how it is written, and may say on which page it prints (``page_layout``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut, QTextDocument
from PySide6.QtWidgets import QBoxLayout, QDialog, QGridLayout, QLabel, QWidget

from pos_app.domain.errors import DomainError
from pos_app.ui import filedialogs
from pos_app.ui.common import ErrorLabel, big_button, tr


class PrintableDialog(QDialog):
    """A dialog around one printable HTML document (``self.html``)."""

    def __init__(self, parent: QWidget | None, *, pdf_name: Callable[[], str],
                 write_pdf: Callable[[str], None]) -> None:
        super().__init__(parent)
        self.pdf_name = pdf_name  # the file name the save dialog proposes
        self._write_pdf = write_pdf  # writes the PDF at a path (raises DomainError when it cannot)
        self.html = ""
        self.preview_dialog: Any = None  # the last QPrintPreviewDialog (it keeps its printer)
        self.print_dialog: Any = None  # the last QPrintDialog
        #: times a preview painted the document (the preview paints when it opens and on every change)
        self.preview_paints = 0

    # ------------------------------------------------------------------ what a subclass may say
    def page_layout(self) -> Any:
        """The QPageLayout to print on, or None for the printer's own."""
        return None

    # ------------------------------------------------------------------ building
    def add_messages(self, lay: QBoxLayout) -> None:
        """The error line and the "saved to …" line, both hidden until needed."""
        self.error = ErrorLabel()
        lay.addWidget(self.error)
        self.saved = QLabel()
        self.saved.setObjectName("result")
        self.saved.setWordWrap(True)
        self.saved.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.saved.hide()
        lay.addWidget(self.saved)

    def add_buttons(self, lay: QBoxLayout) -> None:
        """Preview, print, save as PDF and close (the default), two by two; Ctrl+Shift+P, Ctrl+P, Ctrl+S."""
        row = QGridLayout()
        self.preview_btn = big_button(tr("receipt.preview"))
        self.preview_btn.clicked.connect(self.print_preview)
        self.print_btn = big_button(tr("receipt.print"))
        self.print_btn.clicked.connect(self.print_direct)
        self.pdf_btn = big_button(tr("receipt.save_pdf"))
        self.pdf_btn.clicked.connect(self.ask_save_pdf)
        self.close_btn = big_button(tr("receipt.close"))
        self.close_btn.setObjectName("primary")
        self.close_btn.clicked.connect(self.accept)
        self.close_btn.setDefault(True)
        for i, btn in enumerate((self.preview_btn, self.print_btn, self.pdf_btn, self.close_btn)):
            row.addWidget(btn, i // 2, i % 2)
        lay.addLayout(row)
        for keys, fn in (("Ctrl+P", self.print_direct), ("Ctrl+Shift+P", self.print_preview),
                         ("Ctrl+S", self.ask_save_pdf)):
            QShortcut(QKeySequence(keys), self, activated=fn)

    # ------------------------------------------------------------------ PDF
    def save_pdf(self, path: str) -> None:
        """Write the PDF at ``path``: checked first, then written (DomainError when it cannot be)."""
        filedialogs.check_output(path)
        filedialogs.writing(path, lambda: self._write_pdf(path))

    def document(self) -> QTextDocument:
        doc = QTextDocument()
        doc.setHtml(self.html)
        return doc

    def ask_save_pdf(self) -> None:
        path = filedialogs.save_file(self, tr("receipt.save_pdf_title"), self.pdf_name(), "PDF (*.pdf)")
        if path:
            self.save_to(path)

    def save_to(self, path: str) -> bool:
        """Save the PDF at ``path``; say where it went, or why it could not be written."""
        self.saved.hide()
        try:
            self.save_pdf(path)
        except DomainError as exc:
            self.error.show_error(exc)
            return False
        self.error.show_error(None)
        self.saved.setText(tr("receipt.saved", path=path))
        self.saved.show()
        return True

    # ------------------------------------------------------------------ printer
    def _new_printer(self) -> Any:
        printer = filedialogs.new_printer()
        page = self.page_layout()
        if page is not None:
            printer.setPageLayout(page)
        return printer

    def _paint_preview(self, printer: Any) -> None:
        self.document().print_(printer)
        self.preview_paints += 1

    def print_preview(self) -> None:
        """Print preview (modal over the dialog); its print button prints. The preview keeps its printer, so it
        can repaint at any time, also after this returns."""
        preview = filedialogs.preview_dialog(self._new_printer(), self)
        preview.paintRequested.connect(self._paint_preview)
        self.preview_dialog = preview
        preview.exec()

    def print_direct(self) -> None:
        """Ctrl+P: the system print dialog (QPrintDialog), then print."""
        printer = self._new_printer()
        dlg = filedialogs.print_dialog(printer, self)
        self.print_dialog = dlg
        if dlg.exec() == QDialog.DialogCode.Accepted:
            if not printer.isValid():
                self.error.show_error(tr("print.failed"))
                return
            self.document().print_(printer)
