"""XLSX export and import via openpyxl, every column typed as text.

Cells are written as strings with number format ``@`` (Excel's "Text"), so ``0123`` keeps its zero,
``1/2`` stays text instead of becoming a date, and a value starting with ``=`` is shown, never run
(a string cell is not a formula in XLSX, so no ``'`` prefix is needed here, unlike CSV).
Write-only mode streams rows, so 100,000 notes do not need 100,000 cell objects in memory.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from desktop.logbook.csvio import ExportResult, ImportFileError, ReadResult, raise_row_errors, write_atomic
from desktop.logbook.records import Inquiry, Note, ValidationError
from desktop.logbook.tabular import columns, header, map_header, parse_rows, record_cells

SHEET_TITLES = {"notes": "現場の声", "inquiries": "問い合わせ"}
_WIDE = {"text", "question", "answer", "cause", "consequence", "countermeasure", "followups", "sources"}


def export_xlsx(kind: str, records: Iterable[Note | Inquiry], path: Path) -> ExportResult:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(SHEET_TITLES[kind])
    ws.freeze_panes = "A2"
    for i, (key, _) in enumerate(columns(kind)):
        letter = _column_letter(i)
        ws.column_dimensions[letter].width = 60 if key in _WIDE else 18
    bold = Font(bold=True)

    def text_cell(value: str, *, head: bool = False) -> WriteOnlyCell:
        cell = WriteOnlyCell(ws, value=value)
        cell.data_type = "s"  # a string, even when it starts with "=" (openpyxl would guess a formula)
        cell.number_format = "@"
        if head:
            cell.font = bold
        return cell

    ws.append([text_cell(h, head=True) for h in header(kind)])
    result = ExportResult(Path(path), 0, "xlsx")
    for record in records:
        ws.append([text_cell(c) for c in record_cells(kind, record)])
        result.rows += 1

    def write(fh: io.BufferedWriter) -> None:
        wb.save(fh)

    write_atomic(Path(path), write)
    return result


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


def _cell_text(value: Any) -> str:
    """A cell as our text: what Excel shows for numbers and dates typed by hand."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "はい" if value else "いいえ"
    if isinstance(value, datetime):
        return value.replace(microsecond=0).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def read_xlsx(kind: str, path: Path) -> ReadResult:
    """Parse the first sheet (or the one named for ``kind``) into records. Raises on any bad row."""
    try:
        wb = load_workbook(Path(path), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a broken or non-XLSX file
        raise ImportFileError(
            "XLSXファイルとして読めません", f"cannot read the file as XLSX ({type(exc).__name__})"
        ) from None
    try:
        title = SHEET_TITLES[kind]
        ws = wb[title] if title in wb.sheetnames else wb.worksheets[0]
        rows_iter = ws.iter_rows(values_only=True)
        try:
            head = [_cell_text(v) for v in next(rows_iter)]
        except StopIteration:
            raise ImportFileError("シートが空です", "the sheet is empty") from None
        try:
            keys, unknown = map_header(kind, head)
        except ValidationError as exc:
            raise ImportFileError(exc.ja, exc.en) from None
        rows = [(i, [_cell_text(v) for v in r]) for i, r in enumerate(rows_iter, start=2)]
    finally:
        wb.close()
    parsed = parse_rows(kind, keys, rows)
    parsed.ignored_columns = unknown
    if parsed.errors:
        raise_row_errors(parsed.errors)
    warnings = [f"無視した列 / ignored columns: {', '.join(unknown)}"] if unknown else []
    return ReadResult(parsed, "xlsx", warnings)
