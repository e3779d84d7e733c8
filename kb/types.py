"""Plain result types of the knowledge base: what callers (CLI, UI, the answer pipeline) get back.

They are frozen dataclasses with JSON-friendly fields, so the CLI can print them with ``to_dict()`` and the UI
can hand them across threads without copying.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Phase = Literal["scan", "parse", "remove", "done"]


@dataclass(frozen=True)
class Hit:
    """One search result: a chunk of a document with where it sits and why it matched."""

    path: str  # absolute path of the document
    title: str
    location: str  # human text, e.g. "p.12 第24条"
    snippet: str  # plain text, a window of ``text``
    highlights: list[tuple[int, int]]  # [start, end) spans in ``snippet``
    text: str  # the whole chunk
    score: float  # higher is better
    modified: str  # ISO date of the document's last modification
    chunk_id: int
    page: int | None = None
    article: str | None = None
    doc_type: str = ""
    # hybrid retrieval (None / "lexical" when the semantic layer is off or has no vector for the chunk)
    similarity: float | None = None  # cosine of the question and the chunk, -1..1
    lexical_rank: int | None = None  # 1-based rank in the lexical list, None if it was not there
    semantic_rank: int | None = None  # 1-based rank in the dense list
    retrieval: str = "lexical"  # "lexical", "semantic" or "both": which list(s) found it

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["highlights"] = [list(span) for span in self.highlights]
        return data


@dataclass(frozen=True)
class IndexProgress:
    """A step of an indexing run. ``total`` is 0 while it is still unknown (during the scan)."""

    phase: Phase
    done: int
    total: int
    path: str | None = None
    added: int = 0
    updated: int = 0
    removed: int = 0
    failed: int = 0
    unchanged: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Failure:
    """A file that could not be indexed, with the reason in Japanese and English and when it was seen."""

    path: str
    reason_ja: str
    reason_en: str
    when: str  # ISO timestamp

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class SourceStatus:
    """One registered folder and what the index holds of it."""

    path: str
    files: int
    chunks: int
    last_indexed: str | None  # ISO timestamp of the last completed run, None if never indexed
    available: bool = True  # False when the folder is missing right now (unplugged drive, share offline)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class KbStatus:
    """The whole index at a glance: sources, totals and the files that failed."""

    index_path: str
    sources: list[SourceStatus] = field(default_factory=list)
    files: int = 0
    chunks: int = 0
    failures: list[Failure] = field(default_factory=list)
    index_bytes: int = 0
    # the semantic layer: None when no embedding model is set; else model, embedded, total, vectors_bytes
    semantic: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "index_path": self.index_path,
            "sources": [s.to_dict() for s in self.sources],
            "files": self.files,
            "chunks": self.chunks,
            "failures": [f.to_dict() for f in self.failures],
            "index_bytes": self.index_bytes,
            "semantic": self.semantic,
        }


class KbError(Exception):
    """An error the user must see (bad folder, index not writable), in Japanese and English."""

    def __init__(self, message_ja: str, message_en: str) -> None:
        super().__init__(f"{message_ja} / {message_en}")
        self.message_ja = message_ja
        self.message_en = message_en
