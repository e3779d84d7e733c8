"""The index database: one SQLite file with the sources, files, chunks and an FTS5 table of analysed terms.

- WAL mode and one connection per thread, so searches run while the indexer writes; the indexer is the one
  writer and commits in short transactions so readers always see whole documents.
- ``chunks_fts`` holds the Sudachi terms (space-joined) of each chunk's title, heading path and body, with
  ``rowid`` = ``chunks.id``; a trigger deletes the FTS row with its chunk, and deleting a file cascades to its
  chunks, so a document is replaced by one ``DELETE`` and its inserts inside one transaction — a crash (even
  ``kill -9``) leaves either the old or the new version, never both.
- ``terms`` keeps each term's document frequency (chunks holding it), maintained with every insert and
  delete: the search weighs query words by rarity and completes unfinished words as the user types, and
  FTS5's own vocabulary table would have to read a term's whole posting list to count it.
- FTS5 is compiled into Python's sqlite3 everywhere we ship, so no extension is loaded.
- Schema changes are named migrations (``_MIGRATIONS``), applied in order inside the opening transaction.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from kb.types import KbError

log = logging.getLogger(__name__)

SCHEMA_VERSION = 2
INDEX_FILE = "index.sqlite"

# Column weights for bm25(): a term in the document title or the heading path says more than one in the body.
BM25_WEIGHTS = (4.0, 2.5, 1.0)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sources(
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL UNIQUE,
    added TEXT NOT NULL,
    last_indexed TEXT
);
CREATE TABLE IF NOT EXISTS files(
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    source_id INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
    path TEXT NOT NULL UNIQUE,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    title TEXT NOT NULL,
    doc_type TEXT NOT NULL,
    encoding TEXT,
    modified TEXT NOT NULL,
    indexed_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS files_source ON files(source_id);
CREATE TABLE IF NOT EXISTS chunks(
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    file_id INTEGER NOT NULL REFERENCES files(id) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL,
    location TEXT NOT NULL,
    page INTEGER,
    article TEXT,
    heading TEXT NOT NULL,
    text TEXT NOT NULL,
    UNIQUE(file_id, ordinal)
);
CREATE VIRTUAL TABLE IF NOT EXISTS chunks_fts USING fts5(
    title, heading, body, tokenize = 'unicode61 remove_diacritics 0'
);
CREATE TABLE IF NOT EXISTS terms(term TEXT PRIMARY KEY, df INTEGER NOT NULL) WITHOUT ROWID;
CREATE TRIGGER IF NOT EXISTS chunks_fts_delete AFTER DELETE ON chunks BEGIN
    DELETE FROM chunks_fts WHERE rowid = old.id;
END;
CREATE TABLE IF NOT EXISTS failures(
    path TEXT PRIMARY KEY,
    source_id INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    reason_ja TEXT NOT NULL,
    reason_en TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS failures_source ON failures(source_id);
CREATE INDEX IF NOT EXISTS chunks_article ON chunks(article) WHERE article IS NOT NULL;
"""


@dataclass(frozen=True)
class FileState:
    """What the index remembers of a file, to decide without reading it whether it changed."""

    id: int
    source_id: int
    size: int
    mtime_ns: int
    sha256: str


@dataclass(frozen=True)
class FailureState:
    source_id: int
    size: int
    mtime_ns: int


@dataclass(frozen=True)
class ChunkRow:
    """A chunk ready to store: its display data and its analysed terms for the three FTS columns."""

    ordinal: int
    location: str
    page: int | None
    article: str | None
    heading: str
    text: str
    title_terms: str
    heading_terms: str
    body_terms: str


@dataclass(frozen=True)
class DocumentRow:
    source_id: int
    path: str
    size: int
    mtime_ns: int
    sha256: str
    title: str
    doc_type: str
    encoding: str | None
    modified: str
    indexed_at: str
    chunks: Sequence[ChunkRow]


@dataclass(frozen=True)
class Candidate:
    """A chunk that matched the FTS query, with what re-ranking needs (no second query per hit)."""

    chunk_id: int
    bm25: float  # 0..1, higher is better (scaled within the query that found it)
    title_terms: str
    heading_terms: str
    body_terms: str
    text: str
    location: str
    page: int | None
    article: str | None
    path: str
    title: str
    doc_type: str
    modified: str


def _unwritable(path: Path, exc: BaseException) -> KbError:
    return KbError(
        f"索引を開けないか書き込めません: {path}（{exc}）。空き容量と書き込み権限を確認してください。",
        f"The index cannot be opened or written: {path} ({exc}). Check free disk space and write permission.",
    )


class Store:
    """The index file. Each thread gets its own connection; writes go through :meth:`transaction`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._all_lock = threading.Lock()
        self.write_lock = threading.RLock()  # one writer per process; other processes wait on SQLite's lock
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            conn = self.conn()
            with self.transaction() as tx:
                tx.executescript_in_tx(_SCHEMA)
                row = conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
                if row is None:
                    conn.execute(
                        "INSERT INTO meta(key, value) VALUES('schema_version', ?)", (str(SCHEMA_VERSION),)
                    )
                elif int(row[0]) > SCHEMA_VERSION:
                    raise KbError(
                        f"この索引は新しい版の総務デスクで作られています（版 {row[0]}）: {path}",
                        f"This index was made by a newer Soumu Desk (schema {row[0]}): {path}",
                    )
                else:
                    for version, (name, migrate) in enumerate(_MIGRATIONS, start=2):
                        if int(row[0]) < version:
                            log.info("index migration %d: %s", version, name)
                            migrate(conn)
                    conn.execute(
                        "UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION),)
                    )
        except (sqlite3.Error, OSError) as exc:
            self.close()
            raise _unwritable(path, exc) from exc
        if os.name == "posix":
            for suffix in ("", "-wal", "-shm"):
                p = Path(str(path) + suffix)
                if p.exists():
                    with suppress(OSError):
                        os.chmod(p, 0o600)

    # --- connections -------------------------------------------------------------------------------------

    def conn(self) -> sqlite3.Connection:
        """This thread's connection (created on first use)."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30.0, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA busy_timeout=30000")
            self._local.conn = conn
            with self._all_lock:
                self._all.append(conn)
        return conn

    def close(self) -> None:
        """Close every thread's connection (call when no thread uses the store any more)."""
        with self._all_lock:
            conns, self._all = self._all, []
        for conn in conns:
            with suppress(sqlite3.Error):
                conn.close()
        self._local = threading.local()

    def close_thread(self) -> None:
        """Close the calling thread's connection (worker threads call this before they end)."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            return
        with self._all_lock:
            if conn in self._all:
                self._all.remove(conn)
        conn.close()
        self._local.conn = None

    @contextmanager
    def transaction(self) -> Iterator[_Tx]:
        """One write transaction (``BEGIN IMMEDIATE``): all of it is committed, or none of it."""
        with self.write_lock:
            conn = self.conn()
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield _Tx(conn)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            else:
                conn.execute("COMMIT")

    # --- sources -----------------------------------------------------------------------------------------

    def sources(self) -> list[tuple[int, str, str | None]]:
        rows = self.conn().execute("SELECT id, path, last_indexed FROM sources ORDER BY path").fetchall()
        return [(int(r[0]), str(r[1]), r[2]) for r in rows]

    def source_id(self, path: str) -> int | None:
        row = self.conn().execute("SELECT id FROM sources WHERE path = ?", (path,)).fetchone()
        return None if row is None else int(row[0])

    # --- what the index knows of files (one query per run, not one per file) -----------------------------

    def file_states(self, source_ids: Iterable[int]) -> dict[str, FileState]:
        ids = list(source_ids)
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        rows = self.conn().execute(
            f"SELECT path, id, source_id, size, mtime_ns, sha256 FROM files WHERE source_id IN ({marks})", ids
        )
        return {r[0]: FileState(r[1], r[2], r[3], r[4], r[5]) for r in rows}

    def failure_states(self, source_ids: Iterable[int]) -> dict[str, FailureState]:
        ids = list(source_ids)
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        rows = self.conn().execute(
            f"SELECT path, source_id, size, mtime_ns FROM failures WHERE source_id IN ({marks})", ids
        )
        return {r[0]: FailureState(r[1], r[2], r[3]) for r in rows}

    def file_state(self, path: str) -> FileState | None:
        r = (
            self.conn()
            .execute("SELECT id, source_id, size, mtime_ns, sha256 FROM files WHERE path = ?", (path,))
            .fetchone()
        )
        return None if r is None else FileState(r[0], r[1], r[2], r[3], r[4])

    def paths_under(self, folder: str) -> list[str]:
        """Indexed and failed paths inside ``folder`` (for a folder deleted or renamed while watched)."""
        prefix = folder.rstrip("/\\") + os.sep
        like = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        conn = self.conn()
        files = [r[0] for r in conn.execute("SELECT path FROM files WHERE path LIKE ? ESCAPE '\\'", (like,))]
        fails = [
            r[0] for r in conn.execute("SELECT path FROM failures WHERE path LIKE ? ESCAPE '\\'", (like,))
        ]
        return sorted(set(files) | set(fails))

    # --- search ------------------------------------------------------------------------------------------

    def rank_ids(self, match: str, limit: int) -> list[tuple[int, float]]:
        """The best ``limit`` chunk ids for an FTS5 query by weighted BM25 (positive, higher is better).

        The cost grows with the number of chunks that match (BM25 is computed for each), which is why the
        search asks narrow queries first (see ``kb.search``).
        """
        w = BM25_WEIGHTS
        sql = (
            f"SELECT rowid, -bm25(chunks_fts, {w[0]}, {w[1]}, {w[2]}) FROM chunks_fts"
            " WHERE chunks_fts MATCH ? ORDER BY 2 DESC LIMIT ?"
        )
        return [(int(r[0]), float(r[1])) for r in self.conn().execute(sql, (match, limit))]

    def article_ids(self, article: str, limit: int) -> list[int]:
        """Chunks of the article ``第N条`` (as the parsers label it), newest first; an index lookup."""
        rows = self.conn().execute(
            "SELECT id FROM chunks WHERE article = ? ORDER BY id DESC LIMIT ?", (article, limit)
        )
        return [int(r[0]) for r in rows]

    def candidates(self, scores: dict[int, float]) -> list[Candidate]:
        """Everything re-ranking and display need for these chunk ids, in one query."""
        if not scores:
            return []
        ids = list(scores)
        marks = ",".join("?" * len(ids))
        # chunks_fts_content is where FTS5 keeps a regular table's column values: reading it directly is a
        # plain rowid lookup, twice as fast as going through the virtual table.
        sql = f"""
            SELECT c.id, t.c0, t.c1, t.c2, c.text, c.location, c.page, c.article,
                   f.path, f.title, f.doc_type, f.modified
            FROM chunks c JOIN chunks_fts_content t ON t.id = c.id JOIN files f ON f.id = c.file_id
            WHERE c.id IN ({marks})
        """
        rows = self.conn().execute(sql, ids).fetchall()
        return [Candidate(r[0], scores[r[0]], *r[1:]) for r in rows]

    def doc_freqs(self, terms: Iterable[str]) -> dict[str, int]:
        """How many chunks hold each term (0 for terms the index does not know)."""
        wanted = sorted(set(terms))
        if not wanted:
            return {}
        marks = ",".join("?" * len(wanted))
        rows = self.conn().execute(f"SELECT term, df FROM terms WHERE term IN ({marks})", wanted)
        found = {str(r[0]): int(r[1]) for r in rows}
        return {t: found.get(t, 0) for t in wanted}

    def completions(self, prefix: str, n: int = 4) -> list[str]:
        """The ``n`` index terms starting with ``prefix`` held by the most chunks (for type-ahead)."""
        if not prefix:
            return []
        rows = self.conn().execute(
            "SELECT term FROM terms WHERE term > ? AND term < ? AND df > 0 ORDER BY df DESC LIMIT ?",
            (prefix, prefix + "\U0010ffff", n),
        )
        return [str(r[0]) for r in rows]

    def meta(self, key: str) -> str | None:
        row = self.conn().execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def chunk_count(self) -> int:
        return int(self.conn().execute("SELECT COUNT(*) FROM chunks").fetchone()[0])

    # --- status ------------------------------------------------------------------------------------------

    def counts_by_source(self) -> dict[int, tuple[int, int]]:
        conn = self.conn()
        files = dict(conn.execute("SELECT source_id, COUNT(*) FROM files GROUP BY source_id").fetchall())
        chunks = dict(
            conn.execute(
                "SELECT f.source_id, COUNT(*) FROM chunks c JOIN files f ON f.id = c.file_id GROUP BY f.source_id"
            ).fetchall()
        )
        return {sid: (int(files.get(sid, 0)), int(chunks.get(sid, 0))) for sid in set(files) | set(chunks)}

    def failures(self) -> list[tuple[str, str, str, str]]:
        rows = self.conn().execute("SELECT path, reason_ja, reason_en, at FROM failures ORDER BY path")
        return [(r[0], r[1], r[2], r[3]) for r in rows]

    def size_bytes(self) -> int:
        total = 0
        for suffix in ("", "-wal"):
            with suppress(OSError):
                total += os.path.getsize(str(self.path) + suffix)
        return total


class _Tx:
    """Write operations, valid only inside :meth:`Store.transaction`."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def executescript_in_tx(self, script: str) -> None:
        # executescript() would COMMIT first; run the statements one by one inside our transaction instead.
        for statement in _split_sql(script):
            self.conn.execute(statement)

    def add_source(self, path: str, now: str) -> int:
        self.conn.execute("INSERT OR IGNORE INTO sources(path, added) VALUES(?, ?)", (path, now))
        return int(self.conn.execute("SELECT id FROM sources WHERE path = ?", (path,)).fetchone()[0])

    def remove_source(self, source_id: int) -> None:
        self._forget_terms("f.source_id = ?", (source_id,))
        # files -> chunks -> chunks_fts cascade; failures cascade too
        self.conn.execute("DELETE FROM sources WHERE id = ?", (source_id,))

    def _forget_terms(self, where: str, args: tuple[object, ...]) -> None:
        """Take the chunks of the files matching ``where`` out of the term frequencies (before deleting)."""
        rows = self.conn.execute(
            "SELECT t.c0, t.c1, t.c2 FROM files f JOIN chunks c ON c.file_id = f.id"
            f" JOIN chunks_fts_content t ON t.id = c.id WHERE {where}",
            args,
        )
        counts = _term_counts(rows)
        if counts:
            self.conn.executemany(
                "UPDATE terms SET df = df - ? WHERE term = ?", [(n, t) for t, n in counts.items()]
            )

    def _drop_file(self, path: str) -> int:
        self._forget_terms("f.path = ?", (path,))
        return self.conn.execute("DELETE FROM files WHERE path = ?", (path,)).rowcount

    def set_meta(self, key: str, value: str) -> None:
        self.conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES(?, ?)", (key, value))

    def mark_all_stale(self) -> int:
        """Make the next run re-read every file (after the analysis changed); the old content stays searchable."""
        self.conn.execute("DELETE FROM failures")
        return self.conn.execute("UPDATE files SET mtime_ns = -1, sha256 = ''").rowcount

    def set_last_indexed(self, source_id: int, when: str) -> None:
        self.conn.execute("UPDATE sources SET last_indexed = ? WHERE id = ?", (when, source_id))

    def replace_document(self, doc: DocumentRow) -> None:
        """Delete the old version of the file (if any) and insert the new one with its chunks."""
        self.replace_documents([doc])

    def replace_documents(self, docs: Iterable[DocumentRow]) -> None:
        """:meth:`replace_document` for each, with the term frequencies of all of them added at once.

        A bulk run writes mostly new files: only a path the index holds pays for dropping its old version,
        and the frequencies go in as one upsert per distinct term of the batch rather than per document.
        """
        conn = self.conn
        counts: Counter[str] = Counter()
        for doc in docs:
            if conn.execute("SELECT 1 FROM files WHERE path = ?", (doc.path,)).fetchone() is not None:
                self._add_terms(counts)  # a path twice in one batch: its first version's counts are in first
                counts.clear()
                self._drop_file(doc.path)
            cur = conn.execute(
                "INSERT INTO files(source_id, path, size, mtime_ns, sha256, title, doc_type, encoding, modified,"
                " indexed_at) VALUES(?,?,?,?,?,?,?,?,?,?)",
                (
                    doc.source_id,
                    doc.path,
                    doc.size,
                    doc.mtime_ns,
                    doc.sha256,
                    doc.title,
                    doc.doc_type,
                    doc.encoding,
                    doc.modified,
                    doc.indexed_at,
                ),
            )
            file_id = cur.lastrowid
            for ch in doc.chunks:
                cur = conn.execute(
                    "INSERT INTO chunks(file_id, ordinal, location, page, article, heading, text)"
                    " VALUES(?,?,?,?,?,?,?)",
                    (file_id, ch.ordinal, ch.location, ch.page, ch.article, ch.heading, ch.text),
                )
                conn.execute(
                    "INSERT INTO chunks_fts(rowid, title, heading, body) VALUES(?,?,?,?)",
                    (cur.lastrowid, ch.title_terms, ch.heading_terms, ch.body_terms),
                )
            counts.update(_term_counts((ch.title_terms, ch.heading_terms, ch.body_terms) for ch in doc.chunks))
            conn.execute("DELETE FROM failures WHERE path = ?", (doc.path,))
        self._add_terms(counts)

    def _add_terms(self, counts: Counter[str]) -> None:
        if counts:
            self.conn.executemany(
                "INSERT INTO terms(term, df) VALUES(?, ?) ON CONFLICT(term) DO UPDATE SET df = df + excluded.df",
                counts.items(),
            )

    def update_stat(self, path: str, size: int, mtime_ns: int, modified: str) -> None:
        self.conn.execute(
            "UPDATE files SET size = ?, mtime_ns = ?, modified = ? WHERE path = ?",
            (size, mtime_ns, modified, path),
        )
        self.conn.execute("DELETE FROM failures WHERE path = ?", (path,))

    def remove_paths(self, paths: Iterable[str]) -> int:
        removed = 0
        for path in paths:
            removed += self._drop_file(path)
            self.conn.execute("DELETE FROM failures WHERE path = ?", (path,))
        return removed

    def record_failure(
        self, source_id: int, path: str, size: int, mtime_ns: int, reason_ja: str, reason_en: str, when: str
    ) -> None:
        # The file's old content no longer describes it: take it out of the search results.
        self._drop_file(path)
        self.conn.execute(
            "INSERT OR REPLACE INTO failures(path, source_id, size, mtime_ns, reason_ja, reason_en, at)"
            " VALUES(?,?,?,?,?,?,?)",
            (path, source_id, size, mtime_ns, reason_ja, reason_en, when),
        )


def _term_counts(rows: Iterable[Sequence[str]]) -> Counter[str]:
    """For each term, how many of these chunks (title, heading, body term strings) hold it."""
    counts: Counter[str] = Counter()
    for row in rows:
        counts.update(set(" ".join(row).split()))
    return counts


def _migrate_terms_table(conn: sqlite3.Connection) -> None:
    """v2: count term document frequencies into ``terms`` (replaces FTS5's slow vocabulary table)."""
    conn.execute("DROP TABLE IF EXISTS chunks_vocab")
    conn.execute("DELETE FROM terms")
    counts = _term_counts(conn.execute("SELECT c0, c1, c2 FROM chunks_fts_content"))
    conn.executemany("INSERT INTO terms(term, df) VALUES(?, ?)", counts.items())


# Named migrations: entry i brings an index from schema version i+1 to i+2.
_MIGRATIONS: list[tuple[str, Callable[[sqlite3.Connection], None]]] = [("term frequencies table", _migrate_terms_table)]


def _split_sql(script: str) -> list[str]:
    """Statements of our schema script (triggers hold ';' inside BEGIN ... END)."""
    out: list[str] = []
    buf: list[str] = []
    for line in script.splitlines():
        buf.append(line)
        joined = "\n".join(buf).strip()
        if joined.endswith(";") and sqlite3.complete_statement(joined):
            out.append(joined)
            buf = []
    rest = "\n".join(buf).strip()
    if rest:
        out.append(rest)
    return out
