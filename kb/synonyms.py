"""The company's synonym list: in-house words (PC, 有給, 立替金) find the rules' official words.

The list is a plain TSV the staff edit themselves (``synonyms.tsv`` beside the index), created from the
starter list shipped in ``kb/data/synonyms.tsv`` on first use and re-read whenever it changes on disk, so an
edit takes effect at the next search without a restart. Each line is one group of equivalent words.

Words are compared after the same analysis as documents and queries (``kb.analysis``), so 申込み in the
list also covers 申し込み and full-width ＰＣ.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import threading
from dataclasses import dataclass, field
from pathlib import Path

from kb.analysis import get_analyzer, nfkc

log = logging.getLogger(__name__)

STARTER_FILE = Path(__file__).resolve().parent / "data" / "synonyms.tsv"
FILE_NAME = "synonyms.tsv"
_FALLBACK_SEPARATORS = re.compile(r"[,、，=＝]")

Terms = tuple[str, ...]


def parse_groups(text: str) -> list[list[str]]:
    """Groups of words from the TSV text: tab-separated, or ``,``/``、``/``=`` when a line has no tab."""
    groups: list[list[str]] = []
    for raw in text.splitlines():
        line = raw.strip().lstrip("\ufeff")
        if not line or line.startswith("#"):
            continue
        cells = line.split("\t") if "\t" in line else _FALLBACK_SEPARATORS.split(line)
        words = [c.strip() for c in cells if c.strip()]
        if len(words) >= 2:
            groups.append(words)
    return groups


@dataclass
class SynonymTable:
    """Analysed groups: for a term sequence, the other spellings of the same idea."""

    groups: list[list[Terms]] = field(default_factory=list)
    _members: dict[Terms, list[int]] = field(default_factory=dict)
    max_len: int = 0
    spellings: dict[Terms, set[str]] = field(default_factory=dict)  # as written in the list (NFKC, lower)

    @classmethod
    def from_groups(cls, groups: list[list[str]]) -> SynonymTable:
        analyzer = get_analyzer()
        table = cls()
        for words in groups:
            analysed: list[Terms] = []
            for word in words:
                terms = tuple(analyzer.index_terms(word))
                if terms:
                    table.spellings.setdefault(terms, set()).add("".join(nfkc(word).lower().split()))
                if terms and terms not in analysed:
                    analysed.append(terms)
            if len(analysed) < 2:
                continue
            gid = len(table.groups)
            table.groups.append(analysed)
            for terms in analysed:
                table._members.setdefault(terms, []).append(gid)
                table.max_len = max(table.max_len, len(terms))
        return table

    def __contains__(self, terms: Terms) -> bool:
        return terms in self._members

    def alternatives(self, terms: Terms) -> list[Terms]:
        """Every other member of every group ``terms`` belongs to (empty if it is in none)."""
        out: list[Terms] = []
        for gid in self._members.get(terms, ()):
            for other in self.groups[gid]:
                if other != terms and other not in out:
                    out.append(other)
        return out


class Synonyms:
    """The file-backed list, reloaded when its size or mtime changes. Safe to share between threads."""

    def __init__(self, path: Path | None, starter: Path = STARTER_FILE) -> None:
        self.path = path
        self.starter = starter
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._table: SynonymTable | None = None

    def _ensure_file(self) -> Path:
        """The list to read: the company's file, created from the starter list the first time."""
        if self.path is None:
            return self.starter
        if not self.path.exists():
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(self.starter, self.path)
                if os.name == "posix":
                    os.chmod(self.path, 0o600)
            except OSError as exc:  # read-only data home: use the starter list as is
                log.warning("could not create %s (%s); using the starter synonym list", self.path, exc)
                return self.starter
        return self.path

    def table(self) -> SynonymTable:
        """The current table; re-read from disk only when the file changed since the last call."""
        source = self._ensure_file()
        try:
            st = source.stat()
            stamp: tuple[int, int] | None = (st.st_size, st.st_mtime_ns)
        except OSError:
            stamp = None
        with self._lock:
            if self._table is not None and stamp == self._stamp:
                return self._table
            try:
                text = source.read_text(encoding="utf-8-sig")
            except (OSError, UnicodeDecodeError) as exc:
                log.warning("synonym list %s unreadable (%s); keeping the previous one", source, exc)
                if self._table is None:
                    self._table = SynonymTable()
                return self._table
            self._table = SynonymTable.from_groups(parse_groups(text))
            self._stamp = stamp
            return self._table
