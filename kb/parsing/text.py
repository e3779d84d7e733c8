"""Plain text and Markdown: decode, find headings (# lines, 第N章 / 第N条 lines), cut into chunks with line ranges."""

from __future__ import annotations

import re
from pathlib import Path

from kb.chunking import Line, line_range, nfc, sectionize, sections_to_chunks
from kb.parsing.textdecode import decode_bytes
from kb.parsing.types import ParsedDocument

_MD_HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t　]+(.*?)[ \t#]*$")
_FENCE = re.compile(r"^ {0,3}(```|~~~)")


def text_lines(text: str, markdown: bool) -> list[Line]:
    """Numbered lines (1-based); in Markdown, # headings get their level, except inside code fences."""
    lines: list[Line] = []
    in_fence = False
    for number, raw in enumerate(text.splitlines(), start=1):
        if markdown:
            if _FENCE.match(raw):
                in_fence = not in_fence
            elif not in_fence:
                m = _MD_HEADING.match(raw)
                if m and m.group(2).strip():
                    lines.append(Line(m.group(2).strip(), number, level=len(m.group(1))))
                    continue
        lines.append(Line(raw, number))
    return lines


def parse_text(path: Path, data: bytes, doc_type: str) -> ParsedDocument:
    """Parse a .txt or .md file from its bytes."""
    text, encoding = decode_bytes(data)
    text = nfc(text)
    lines = text_lines(text, markdown=doc_type == "md")
    title = next((ln.text for ln in lines if ln.level == 1), "") or path.stem
    chunks = sections_to_chunks(
        sectionize(lines), title, fallback=lambda piece: line_range(piece.line_start, piece.line_end)
    )
    return ParsedDocument(path=path, title=title, doc_type=doc_type, chunks=chunks, encoding=encoding)
