"""Spreadsheet exports (CSV or XLSX by the file's suffix): the writer lives in ``pos_app.printing.sheets``, shared
with head office's reports on the central server; the services import it from here."""

from __future__ import annotations

from pos_app.printing.sheets import FORMATS, Cell, export_format, write_table, yuan

__all__ = ["FORMATS", "Cell", "export_format", "write_table", "yuan"]
