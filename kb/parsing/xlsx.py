"""Excel workbooks (.xlsx/.xlsm) via openpyxl in read-only mode: every sheet, row by row.

The first non-empty row is read as the header. Q&A sheets (質問 / 回答 columns, or long rows) give one chunk
per row, "質問: … / 回答: …", so a hit points at one question; short rows (lists, calendars) are grouped into
bounded blocks with the header repeated. Huge sheets are bounded by MAX_ROWS and MAX_COLUMNS.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import openpyxl
from openpyxl.utils import get_column_letter

from kb.chunking import MAX_CHARS, find_article, nfc, pack_rows, split_text
from kb.parsing.common import cell_text, meaningful_title
from kb.parsing.types import Chunk, ParsedDocument

MAX_ROWS = 100_000
MAX_COLUMNS = 200
_QUESTION = re.compile(r"質問|問い?合わせ|問|^q$|^q\.|question|faq|相談|内容|項目", re.IGNORECASE)
_ANSWER = re.compile(r"回答|答|^a$|^a\.|answer|対応|説明", re.IGNORECASE)
_LONG_ROW = 300


def _rows(sheet: object) -> Iterator[tuple[int, list[str]]]:
    for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):  # type: ignore[attr-defined]
        if number > MAX_ROWS:
            break
        cells = [nfc(cell_text(v)) for v in values[:MAX_COLUMNS]]
        if any(cells):
            yield number, cells


def _is_header(cells: list[str]) -> bool:
    filled = [c for c in cells if c]
    return len(filled) >= 2 and all(len(c) <= 40 for c in filled)


def _width(cells: list[str]) -> int:
    return max((i + 1 for i, c in enumerate(cells) if c), default=1)


def sheet_chunks(name: str, rows: list[tuple[int, list[str]]], start: int) -> list[Chunk]:
    """Chunks for one sheet's non-empty rows (row number, cell texts)."""
    if not rows:
        return []
    # A sheet often opens with a title line or two ("2025年度 備品台帳") above the real header row.
    titles: list[str] = []
    while len(titles) < 3 and len(titles) + 1 < len(rows) and sum(1 for c in rows[len(titles)][1] if c) == 1:
        titles.append(next(c for c in rows[len(titles)][1] if c))
    if not (_is_header(rows[len(titles)][1]) and len(rows) > len(titles) + 1):
        titles = []
    first_row = rows[len(titles)][1]
    header: list[str] | None = first_row if _is_header(first_row) and len(rows) > len(titles) + 1 else None
    body = rows[len(titles) + 1 :] if header else rows
    width = max(_width(cells) for _, cells in rows)
    last_col = get_column_letter(width)
    chunks: list[Chunk] = []

    def add(first: int, last: int, text: str, suffix: str = "") -> None:
        rows_label = f"行{first}" if first == last else f"行{first}–{last}"
        chunks.append(
            Chunk(
                text=text,
                location=f"シート「{name}」 {rows_label}{suffix}",
                ordinal=start + len(chunks),
                article=find_article(text),
                heading_path=[name, *titles],
                sheet=name,
                cell_range=f"A{first}:{last_col}{last}",
            )
        )

    qa = (
        header is not None
        and any(_QUESTION.search(h) for h in header)
        and any(_ANSWER.search(h) for h in header)
    )
    long_rows = sum(len(" ".join(c)) for _, c in body) > _LONG_ROW * max(len(body), 1)
    if header is not None and (qa or long_rows):
        for number, cells in body:
            pairs = [
                f"{header[i]}: {v}" if i < len(header) and header[i] else v for i, v in enumerate(cells) if v
            ]
            parts = split_text("\n".join(pairs), MAX_CHARS)
            for i, part in enumerate(parts, start=1):
                add(number, number, part, f"（{i}/{len(parts)}）" if len(parts) > 1 else "")
        return chunks
    header_line = "\n".join([*titles, " | ".join(c for c in header if c)]) if header else None
    lines = ((number, " | ".join(c for c in cells if c)) for number, cells in body)
    for first, last, text in pack_rows(lines, header_line):
        add(first, last, text)
    return chunks


def parse_xlsx(path: Path) -> ParsedDocument:
    """Parse an .xlsx/.xlsm workbook; cached formula results are read, formulas are not evaluated."""
    workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        title = meaningful_title(workbook.properties.title) or path.stem
        chunks: list[Chunk] = []
        for sheet in workbook.worksheets:
            if not hasattr(sheet, "iter_rows"):
                continue
            chunks.extend(sheet_chunks(sheet.title, list(_rows(sheet)), len(chunks)))
    finally:
        workbook.close()
    return ParsedDocument(path=path, title=title, doc_type="xlsx", chunks=chunks)
