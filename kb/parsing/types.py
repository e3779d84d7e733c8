"""The data a parser hands to the index: one document, its chunks with locations, and the error type.

These types are the contract between the parsers and the index (kb-index codes against them), so they stay
small, plain and stable.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Chunk:
    """One passage of a document, small enough to show and cite, with where it sits in the document."""

    text: str
    location: str
    ordinal: int
    page: int | None = None
    article: str | None = None
    heading_path: list[str] = field(default_factory=list)
    sheet: str | None = None
    cell_range: str | None = None
    slide: int | None = None
    line_start: int | None = None
    line_end: int | None = None


@dataclass
class ParsedDocument:
    """A parsed file: its title, type, chunks in document order and (for text formats) the encoding found."""

    path: Path
    title: str
    doc_type: str
    chunks: list[Chunk]
    encoding: str | None = None


class ParseError(Exception):
    """A file that cannot be indexed, with a reason the user can read in Japanese and in English.

    transient is True when trying again later may succeed (the file is locked by another program, or vanished
    mid-copy), so an indexer can retry it instead of recording it as broken.
    """

    def __init__(self, reason_ja: str, reason_en: str, transient: bool = False) -> None:
        super().__init__(f"{reason_ja} / {reason_en}")
        self.reason_ja = reason_ja
        self.reason_en = reason_en
        self.transient = transient

    def __reduce__(self) -> tuple[type[ParseError], tuple[str, str, bool]]:
        # Keep the reasons when the error crosses a process boundary (multiprocessing pickles it).
        return (type(self), (self.reason_ja, self.reason_en, self.transient))
