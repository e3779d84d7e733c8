"""Word documents (.docx) via python-docx: heading styles give the structure, tables become "列: 値" rows."""

from __future__ import annotations

import re
from pathlib import Path

import docx
from docx.table import Table
from docx.text.paragraph import Paragraph

from kb.chunking import Line, nfc, sectionize, sections_to_chunks
from kb.parsing.common import cell_text, meaningful_title
from kb.parsing.types import ParsedDocument

_HEADING_STYLE = re.compile(r"^(?:heading|見出し)\s*([1-9])$", re.IGNORECASE)
_TITLE_STYLES = frozenset({"title", "表題", "タイトル"})


def _heading_level(paragraph: Paragraph) -> tuple[int | None, bool]:
    """(heading level or None, is the Title style) from the paragraph's style name (English or Japanese)."""
    try:
        name = (paragraph.style.name or "") if paragraph.style is not None else ""
    except (KeyError, ValueError, AttributeError):
        return None, False
    name = name.strip()
    if name.lower() in _TITLE_STYLES:
        return 0, True  # above Heading 1, so chapters nest under the document title
    m = _HEADING_STYLE.match(name)
    return (int(m.group(1)), False) if m else (None, False)


def table_rows(table: Table) -> list[str]:
    """Rows as text; with a header row, each later row reads "見出し: 値 / 見出し: 値"."""
    grid: list[list[str]] = []
    for row in table.rows:
        cells: list[str] = []
        previous: object = None
        for cell in row.cells:
            if cell._tc is previous:  # a merged cell repeats itself across the columns it spans
                continue
            previous = cell._tc
            cells.append(cell_text(cell.text))
        if any(cells):
            grid.append(cells)
    if not grid:
        return []
    header = grid[0]
    if len(grid) == 1 or len(header) < 2:
        return [" | ".join(c for c in cells if c) for cells in grid]
    lines = [" | ".join(c for c in header if c)]
    for cells in grid[1:]:
        pairs = [
            f"{header[i]}: {value}" if i < len(header) and header[i] else value
            for i, value in enumerate(cells)
            if value
        ]
        lines.append(" / ".join(pairs))
    return lines


def parse_docx(path: Path) -> ParsedDocument:
    """Parse a .docx file: body paragraphs and tables in document order."""
    document = docx.Document(str(path))
    lines: list[Line] = []
    first_title: str | None = None
    first_heading: str | None = None
    number = 0
    for block in document.iter_inner_content():
        if isinstance(block, Paragraph):
            text = nfc(block.text.replace("\v", "\n").strip())
            if not text:
                continue
            number += 1
            level, is_title = _heading_level(block)
            if is_title and first_title is None:
                first_title = text
            if level is not None and first_heading is None:
                first_heading = text
            for part in text.split("\n") if level is None else [" ".join(text.split())]:
                lines.append(Line(part, number, level=level))
        else:
            for row in table_rows(block):
                number += 1
                lines.append(Line(nfc(row), number))
            lines.append(Line("", None))
    title = meaningful_title(document.core_properties.title) or first_title or first_heading or path.stem

    def paragraphs(start: int | None, end: int | None) -> str:
        if start is None:
            return "本文"
        return f"段落 {start}" if end in (None, start) else f"段落 {start}–{end}"

    chunks = sections_to_chunks(
        sectionize(lines), title, fallback=lambda piece: paragraphs(piece.line_start, piece.line_end)
    )
    for chunk in chunks:  # paragraph numbers are not line numbers; the location above names them
        chunk.line_start = chunk.line_end = None
    return ParsedDocument(path=path, title=title, doc_type="docx", chunks=chunks)
