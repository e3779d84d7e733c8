"""PowerPoint decks (.pptx) via python-pptx: one chunk per slide (bounded), text from every shape.

Real decks keep text inside grouped shapes and use vertical-tab line breaks (<a:br/> comes out as "\\v"),
so groups are walked recursively and "\\v" becomes a newline. Tables are read row by row; speaker notes are
added after the slide text. Slides with pictures only give no chunk.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

import pptx
from pptx.enum.shapes import MSO_SHAPE_TYPE

from kb.chunking import ARTICLE_RE, find_article, nfc, split_text
from kb.parsing.common import cell_text, meaningful_title
from kb.parsing.types import Chunk, ParsedDocument

_MAX_DEPTH = 20


def shape_texts(shapes: Iterable[object], depth: int = 0) -> Iterator[str]:
    """Text of each shape in order, recursing into groups (bounded depth for hostile files)."""
    for shape in shapes:
        if getattr(shape, "shape_type", None) == MSO_SHAPE_TYPE.GROUP and depth < _MAX_DEPTH:
            yield from shape_texts(shape.shapes, depth + 1)  # type: ignore[attr-defined]
            continue
        if getattr(shape, "has_text_frame", False):
            for paragraph in shape.text_frame.paragraphs:  # type: ignore[attr-defined]
                text = paragraph.text.replace("\v", "\n").strip()
                if text:
                    yield text
        if getattr(shape, "has_table", False):
            for row in shape.table.rows:  # type: ignore[attr-defined]
                cells = [cell_text(cell.text) for cell in row.cells]
                if any(cells):
                    yield " | ".join(c for c in cells if c)


def _slide_title(slide: object) -> str:
    try:
        shape = slide.shapes.title  # type: ignore[attr-defined]
    except (KeyError, AttributeError):
        return ""
    return " ".join(shape.text_frame.text.split()) if shape is not None and shape.has_text_frame else ""


def parse_pptx(path: Path) -> ParsedDocument:
    """Parse a .pptx deck."""
    deck = pptx.Presentation(str(path))
    chunks: list[Chunk] = []
    first_title = ""
    for number, slide in enumerate(deck.slides, start=1):
        texts = list(shape_texts(slide.shapes))
        if slide.has_notes_slide and slide.notes_slide.notes_text_frame is not None:
            notes = slide.notes_slide.notes_text_frame.text.replace("\v", "\n").strip()
            if notes:
                texts.append(f"（ノート）{notes}")
        body = nfc("\n".join(texts)).strip()
        if not body:
            continue
        slide_title = nfc(_slide_title(slide))
        if number == 1:
            first_title = slide_title
        article = next(
            (find_article(line) for line in body.split("\n") if ARTICLE_RE.match(line.strip())), None
        )
        parts = split_text(body)
        for i, part in enumerate(parts, start=1):
            chunks.append(
                Chunk(
                    text=part,
                    location=f"スライド{number}" + (f"（{i}/{len(parts)}）" if len(parts) > 1 else ""),
                    ordinal=len(chunks),
                    article=article,
                    heading_path=[slide_title] if slide_title else [],
                    slide=number,
                )
            )
    title = meaningful_title(deck.core_properties.title) or meaningful_title(first_title) or path.stem
    return ParsedDocument(path=path, title=title, doc_type="pptx", chunks=chunks)
