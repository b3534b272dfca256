"""Write a table to a spreadsheet file a manager can open: CSV (UTF-8 with BOM, so Excel shows Chinese
correctly) or XLSX (openpyxl), chosen by the file's suffix.

Cells are ``str``, ``int`` or ``Decimal`` (money in yuan, from :func:`yuan`): never a float."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

from pos_app.domain.errors import InvalidInput

Cell = str | int | Decimal | None

FORMATS = (".csv", ".xlsx")


def yuan(fen: int) -> Decimal:
    """Fen as an exact yuan amount for a spreadsheet cell (12345 -> Decimal('123.45'))."""
    return Decimal(fen).scaleb(-2)


def export_format(path: str | Path) -> str:
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise InvalidInput("export.format_invalid", path=str(path), allowed=", ".join(FORMATS))
    return suffix


def write_table(
    path: str | Path, headers: Sequence[str], rows: Sequence[Sequence[Cell]], *, title: str = "Sheet"
) -> Path:
    """Write ``headers`` and ``rows`` to ``path`` (.csv or .xlsx). Returns the path written."""
    p = Path(path)
    fmt = export_format(p)
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        if fmt == ".csv":
            with p.open("w", encoding="utf-8-sig", newline="") as fh:
                w = csv.writer(fh)
                w.writerow(headers)
                for row in rows:
                    w.writerow(["" if c is None else (f"{c:.2f}" if isinstance(c, Decimal) else c) for c in row])
        else:
            from openpyxl import Workbook  # noqa: PLC0415

            wb = Workbook()
            ws = wb.active
            ws.title = title[:31] or "Sheet"
            ws.append(list(headers))
            for row in rows:
                ws.append(list(row))
                for cell in ws[ws.max_row]:
                    if isinstance(cell.value, Decimal):
                        cell.number_format = "0.00"
            ws.freeze_panes = "A2"
            wb.save(p)
    except OSError as exc:
        raise InvalidInput("export.write_failed", path=str(p), detail=str(exc)) from None
    return p
