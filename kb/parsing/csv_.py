"""CSV and TSV files: decoded like text, read with the stdlib csv module, rows grouped into bounded chunks."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

from kb.chunking import line_range, nfc, pack_rows
from kb.parsing.common import cell_text
from kb.parsing.textdecode import decode_bytes
from kb.parsing.types import Chunk, ParsedDocument

# The default limit (131,072 characters per field) rejects legitimate long cells; raise it once.
_FIELD_LIMIT = 64 * 1024 * 1024
if csv.field_size_limit() < _FIELD_LIMIT:
    csv.field_size_limit(_FIELD_LIMIT)


def _delimiter(text: str, suffix: str) -> str:
    if suffix == ".tsv":
        return "\t"
    sample = text[:8192]
    try:
        return csv.Sniffer().sniff(sample, delimiters=",\t;|").delimiter
    except csv.Error:
        return ","


def _records(text: str, delimiter: str) -> Iterator[tuple[int, int, list[str]]]:
    """(first line, last line, cells) of each non-empty record; quoted fields may span lines."""
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    start = 1
    for row in reader:
        cells = [cell_text(c) for c in row]
        if any(cells):
            yield start, reader.line_num, cells
        start = reader.line_num + 1


def parse_csv(path: Path, data: bytes) -> ParsedDocument:
    """Parse a .csv or .tsv file: the first non-empty row is the header, repeated at the top of each chunk."""
    text, encoding = decode_bytes(data)
    text = nfc(text)
    records = _records(text, _delimiter(text, path.suffix.lower()))
    first = next(records, None)
    chunks: list[Chunk] = []
    if first is not None:
        header = " | ".join(c for c in first[2] if c)
        ends: dict[int, int] = {}

        def rows() -> Iterator[tuple[int, str]]:
            for start, end, cells in records:
                ends[start] = end
                yield start, " | ".join(c for c in cells if c)

        blocks = list(pack_rows(rows(), header))
        if not blocks:  # a file with a single row: that row is the content, not a header
            blocks = [(first[0], first[1], header)]
            ends[first[0]] = first[1]
        for start, last, block in blocks:
            end = ends.get(last, last)
            chunks.append(
                Chunk(
                    text=block,
                    location=line_range(start, end),
                    ordinal=len(chunks),
                    line_start=start,
                    line_end=end,
                )
            )
    return ParsedDocument(path=path, title=path.stem, doc_type="csv", chunks=chunks, encoding=encoding)
