"""Bring the index up to date with the source folders, reading only what changed.

The run is a generator of :class:`IndexProgress` (STYLE.md §2) in four phases:

1. **scan** — walk each source with ``os.scandir`` (symlinked folders are followed once: real folders are
   tracked by device and inode, so a link back to a parent cannot loop). Noise (lock files, thumbnails, hidden
   files) and unsupported suffixes are skipped quietly.
2. compare with the index in one query per run: size and mtime equal → unchanged, nothing is read.
3. **remove** — files that are gone (deleted or renamed) leave the index.
4. **parse** — changed files are hashed first (same SHA-256 → only the stored stat is updated), then parsed and
   analysed outside any transaction (in worker processes when a run has many files and the machine has
   cores to spare), and written by this process alone in short batches (~100 ms), each document's delete +
   insert in the same transaction, so searches from other threads interleave and a crash never leaves half
   a file.

A file that cannot be read is recorded with its reason and the run goes on; it is retried only when its size
or mtime change, and a successful read clears the failure.
"""

from __future__ import annotations

import hashlib
import logging
import multiprocessing
import os
import re
import sys
import threading
import time
from collections.abc import Generator, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from kb.analysis import Analyzer, get_analyzer
from kb.parsing import SUPPORTED_SUFFIXES, ParsedDocument, ParseError, is_ignored, parse_document
from kb.store import ChunkRow, DocumentRow, FileState, Store
from kb.types import IndexProgress

log = logging.getLogger(__name__)

BATCH_SECONDS = 0.1
BATCH_FILES = 64
BATCH_CHUNKS = 4000
SCAN_REPORT_EVERY = 500
PARALLEL_MIN = 48  # fewer files than this are read in-process: starting workers costs ~1 s
MAX_WORKERS = 4

# path, size, mtime_ns, source_id, sha256 known to the index (None if new)
Job = tuple[str, int, int, int, str | None]

# Folders that never hold the company's documents: version control, caches, OS and NAS bookkeeping.
_IGNORED_DIRS = frozenset(
    {
        "__pycache__",
        "node_modules",
        "$recycle.bin",
        "system volume information",
        "@eadir",
        "#recycle",
        "#snapshot",
        "lost+found",
    }
)


def now_iso() -> str:
    return datetime.now().astimezone().isoformat(timespec="seconds")


def iso_date(mtime_ns: int) -> str:
    return datetime.fromtimestamp(mtime_ns / 1e9).date().isoformat()


def _dir_ignored(name: str) -> bool:
    return name.startswith(".") or name.lower() in _IGNORED_DIRS


def wanted_file(path: str) -> bool:
    """A file the index should hold: a supported suffix and not noise."""
    p = Path(path)
    return p.suffix.lower() in SUPPORTED_SUFFIXES and not is_ignored(p)


def scan_folder(root: str, cancel: threading.Event | None = None) -> Iterator[tuple[str, int, int]]:
    """(path, size, mtime_ns) of every wanted file under ``root``, following symlinks without looping."""
    seen: set[tuple[int, int]] = set()
    stack = [root]
    while stack:
        if cancel is not None and cancel.is_set():
            return
        folder = stack.pop()
        try:
            st = os.stat(folder)
        except OSError:
            continue
        key = (st.st_dev, st.st_ino)
        if key in seen:  # a symlink back into a folder already walked
            continue
        seen.add(key)
        try:
            entries = os.scandir(folder)
        except OSError as exc:  # no permission, share went away: skip this folder, keep the rest
            log.info("cannot list %s: %s", folder, exc)
            continue
        subfolders: list[str] = []
        with entries:
            for entry in entries:
                try:
                    if entry.is_dir(follow_symlinks=True):
                        if not _dir_ignored(entry.name):
                            subfolders.append(entry.path)
                        continue
                    if not entry.is_file(follow_symlinks=True) or not wanted_file(entry.path):
                        continue
                    est = entry.stat(follow_symlinks=True)
                except OSError:  # dangling symlink, file vanished between listing and stat
                    continue
                yield entry.path, est.st_size, est.st_mtime_ns
        stack.extend(sorted(subfolders, reverse=True))


@dataclass
class _Counts:
    added: int = 0
    updated: int = 0
    removed: int = 0
    failed: int = 0
    unchanged: int = 0

    def progress(self, phase: str, done: int, total: int, path: str | None) -> IndexProgress:
        return IndexProgress(
            phase,  # type: ignore[arg-type]
            done,
            total,
            path,
            self.added,
            self.updated,
            self.removed,
            self.failed,
            self.unchanged,
        )


@dataclass
class _Batch:
    """Pending writes, flushed together in one short transaction."""

    documents: list[DocumentRow] = field(default_factory=list)
    stats: list[tuple[str, int, int, str]] = field(default_factory=list)
    failures: list[tuple[int, str, int, int, str, str, str]] = field(default_factory=list)
    removals: list[str] = field(default_factory=list)
    chunks: int = 0
    started: float = field(default_factory=time.monotonic)

    def __len__(self) -> int:
        return len(self.documents) + len(self.stats) + len(self.failures) + len(self.removals)

    def full(self) -> bool:
        return (
            len(self) >= BATCH_FILES
            or self.chunks >= BATCH_CHUNKS
            or (len(self) > 0 and time.monotonic() - self.started >= BATCH_SECONDS)
        )


class Indexer:
    """Writes to one :class:`Store`; used by ``KnowledgeBase.index`` and by the watcher."""

    def __init__(self, store: Store, max_bytes: int | None = None, workers: int | None = None) -> None:
        self.store = store
        self.max_bytes = max_bytes
        self.workers = workers  # None: default_workers()

    # --- the full run ------------------------------------------------------------------------------------

    def run(
        self, sources: list[tuple[int, str]], cancel: threading.Event | None = None
    ) -> Iterator[IndexProgress]:
        counts = _Counts()
        scanned: dict[str, tuple[int, int, int]] = {}
        available: list[int] = []
        for source_id, root in sources:
            if not os.path.isdir(root):
                # An unplugged drive or an offline share is not "every file deleted": keep its index as is.
                log.warning("source folder not available, skipped: %s", root)
                continue
            available.append(source_id)
            for path, size, mtime_ns in scan_folder(root, cancel):
                if path not in scanned:
                    scanned[path] = (size, mtime_ns, source_id)
                    if len(scanned) % SCAN_REPORT_EVERY == 0:
                        yield counts.progress("scan", len(scanned), 0, path)
            if cancel is not None and cancel.is_set():
                yield counts.progress("done", 0, 0, None)
                return
        yield counts.progress("scan", len(scanned), len(scanned), None)

        known = self.store.file_states(available)
        failed_before = self.store.failure_states(available)
        gone = sorted((set(known) | set(failed_before)) - set(scanned))
        todo: list[str] = []
        for path, (size, mtime_ns, _sid) in scanned.items():
            state = known.get(path)
            if state is not None and state.size == size and state.mtime_ns == mtime_ns:
                counts.unchanged += 1
                continue
            fail = failed_before.get(path)
            if state is None and fail is not None and fail.size == size and fail.mtime_ns == mtime_ns:
                counts.failed += 1  # still the same broken file: not retried until it changes
                continue
            todo.append(path)

        if gone:
            with self.store.transaction() as tx:
                counts.removed += tx.remove_paths(gone)
            yield counts.progress("remove", len(gone), len(gone), None)

        jobs = [(path, *scanned[path], known[path].sha256 if path in known else None) for path in todo]
        results = self._read_all(jobs)
        batch = _Batch()
        try:
            for i, (path, outcome) in enumerate(results):
                size, mtime_ns, source_id = scanned[path]
                self._apply(outcome, path, size, mtime_ns, source_id, known.get(path), batch, counts)
                if batch.full():
                    self._flush(batch)
                    batch = _Batch()
                yield counts.progress("parse", i + 1, len(todo), path)
                if cancel is not None and cancel.is_set():
                    break
        except GeneratorExit:
            # The caller stopped listening (a window closed): keep what was read, then stop.
            results.close()
            self._flush(batch)
            raise
        finally:
            results.close()  # stops the worker processes, if any
        self._flush(batch)

        if cancel is None or not cancel.is_set():
            when = now_iso()
            with self.store.transaction() as tx:
                for source_id in available:
                    tx.set_last_indexed(source_id, when)
        yield counts.progress("done", len(todo), len(todo), None)

    def _read_all(self, jobs: list[Job]) -> Generator[tuple[str, Outcome], None, None]:
        """Outcomes of :func:`read_file` for each job, in worker processes when there are many.

        Parsing and Sudachi analysis are CPU-bound and independent per file, so a big run uses up to
        ``workers`` processes while this one only writes. Results are yielded as they complete; closing the
        generator stops the pool.
        """
        workers = self.workers if self.workers is not None else default_workers()
        if workers < 2 or len(jobs) < PARALLEL_MIN or not spawn_is_safe():
            for path, size, mtime_ns, source_id, sha in jobs:
                yield path, read_file(path, size, mtime_ns, source_id, sha, self.max_bytes)
            return
        context = multiprocessing.get_context("spawn")  # no fork of a threaded process (watchdog, Qt)
        pool = ProcessPoolExecutor(max_workers=workers, mp_context=context)
        todo = iter(jobs)
        running: dict[Future[Outcome], Job] = {}
        try:
            def submit() -> None:
                job = next(todo, None)
                if job is not None:
                    running[pool.submit(read_file, *job, self.max_bytes)] = job

            for _ in range(workers * 4):
                submit()
            while running:
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    job = running.pop(future)
                    try:
                        outcome = future.result()
                    except BrokenProcessPool:
                        # A worker died (e.g. a crash inside a native parser): finish in this process.
                        log.error("indexing worker process died; continuing without workers")
                        for rest in [job, *running.values(), *todo]:
                            path, size, mtime_ns, source_id, sha = rest
                            yield path, read_file(path, size, mtime_ns, source_id, sha, self.max_bytes)
                        running.clear()
                        return
                    submit()
                    yield job[0], outcome
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    # --- single paths (the watcher) -----------------------------------------------------------------------

    def update_paths(self, paths: Iterable[str], sources: list[tuple[int, str]]) -> list[str]:
        """Apply changes to individual paths (files or folders); returns the paths whose index changed."""
        counts = _Counts()
        batch = _Batch()
        changed: list[str] = []
        for raw in paths:
            path = os.path.abspath(raw)
            source_id = _source_of(path, sources)
            if source_id is None:
                continue
            if os.path.isdir(path):
                before = set(self.store.paths_under(path))
                present = {p: (s, m) for p, s, m in scan_folder(path)}
                gone = sorted(before - set(present))
                if gone:
                    batch.removals.extend(gone)
                    changed.extend(gone)
                for p, (size, mtime_ns) in present.items():
                    if self._update_one(p, size, mtime_ns, source_id, batch, counts):
                        changed.append(p)
            else:
                try:
                    st = os.stat(path)
                except OSError:
                    st = None
                if st is None:
                    known = [p for p in (path, *self.store.paths_under(path)) if self._indexed_or_failed(p)]
                    batch.removals.extend(known)
                    changed.extend(known)
                elif wanted_file(path) and self._update_one(
                    path, st.st_size, st.st_mtime_ns, source_id, batch, counts
                ):
                    changed.append(path)
            if batch.full():
                self._flush(batch)
                batch = _Batch()
        self._flush(batch)
        return changed

    def _indexed_or_failed(self, path: str) -> bool:
        conn = self.store.conn()
        return (
            conn.execute(
                "SELECT 1 FROM files WHERE path = ? UNION ALL SELECT 1 FROM failures WHERE path = ?",
                (path, path),
            ).fetchone()
            is not None
        )

    def _update_one(
        self, path: str, size: int, mtime_ns: int, source_id: int, batch: _Batch, counts: _Counts
    ) -> bool:
        state = self.store.file_state(path)
        if state is not None and state.size == size and state.mtime_ns == mtime_ns:
            return False
        before = (counts.added, counts.updated, counts.failed, counts.removed)
        self._process(path, size, mtime_ns, source_id, state, batch, counts)
        return before != (counts.added, counts.updated, counts.failed, counts.removed)

    # --- one file ----------------------------------------------------------------------------------------

    def _process(
        self,
        path: str,
        size: int,
        mtime_ns: int,
        source_id: int,
        state: FileState | None,
        batch: _Batch,
        counts: _Counts,
    ) -> None:
        outcome = read_file(path, size, mtime_ns, source_id, state.sha256 if state else None, self.max_bytes)
        self._apply(outcome, path, size, mtime_ns, source_id, state, batch, counts)

    def _apply(
        self,
        outcome: Outcome,
        path: str,
        size: int,
        mtime_ns: int,
        source_id: int,
        state: FileState | None,
        batch: _Batch,
        counts: _Counts,
    ) -> None:
        """Queue the writes for one file's outcome (see :func:`read_file`)."""
        kind = outcome[0]
        if kind == "gone":  # deleted between the scan and now
            if state is not None:
                batch.removals.append(path)
                counts.removed += 1
        elif kind == "same":  # touched, not changed
            batch.stats.append((path, size, mtime_ns, iso_date(mtime_ns)))
            counts.unchanged += 1
        elif kind == "fail":
            self._fail(batch, counts, source_id, path, size, mtime_ns, outcome[1], outcome[2])
        else:
            row = outcome[1]
            batch.documents.append(row)
            batch.chunks += len(row.chunks)
            if state is None:
                counts.added += 1
            else:
                counts.updated += 1

    @staticmethod
    def _fail(
        batch: _Batch, counts: _Counts, source_id: int, path: str, size: int, mtime_ns: int, ja: str, en: str
    ) -> None:
        batch.failures.append((source_id, path, size, mtime_ns, ja, en, now_iso()))
        counts.failed += 1

    def _flush(self, batch: _Batch) -> None:
        if not len(batch):
            return
        with self.store.transaction() as tx:
            if batch.removals:
                tx.remove_paths(batch.removals)
            tx.replace_documents(batch.documents)
            for path, size, mtime_ns, modified in batch.stats:
                tx.update_stat(path, size, mtime_ns, modified)
            for failure in batch.failures:
                tx.record_failure(*failure)


def default_workers() -> int:
    """One worker per CPU but one, at most MAX_WORKERS: the UI and the writer keep a core.

    Measured on a busy 2-core machine, two workers were slower than reading in-process (start-up and
    contention), so 2-core machines read in-process.
    """
    return max(1, min(MAX_WORKERS, (os.cpu_count() or 1) - 1))


_MAIN_GUARD = re.compile(r"""if\s+__name__\s*==\s*['"]__main__['"]""")


def spawn_is_safe() -> bool:
    """Whether worker processes may be started with the ``spawn`` method here.

    A spawned worker re-imports the program's main module; a script whose work is not behind
    ``if __name__ == "__main__":`` would run again in every worker, and a frozen app needs
    ``multiprocessing.freeze_support()``. When that cannot be ruled out, files are read in-process.
    """
    if getattr(sys, "frozen", False):
        return False
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    if main is None or path is None:
        return True  # interactive session: nothing is re-run
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            return bool(_MAIN_GUARD.search(fh.read(1_000_000)))
    except OSError:
        return False


# What reading one file gave: ("doc", DocumentRow) | ("same",) | ("gone",) | ("fail", reason_ja, reason_en)
Outcome = tuple[Any, ...]


def read_file(
    path: str, size: int, mtime_ns: int, source_id: int, known_sha: str | None, max_bytes: int | None
) -> Outcome:
    """Hash, parse and analyse one file; never raises. Runs in a worker process for large runs."""
    try:
        with open(path, "rb") as fh:
            digest = hashlib.file_digest(fh, "sha256").hexdigest()
    except FileNotFoundError:
        return ("gone",)
    except OSError as exc:
        return ("fail", *_os_reason(exc))
    if known_sha == digest:
        return ("same",)
    try:
        doc = parse_document(Path(path)) if max_bytes is None else parse_document(Path(path), max_bytes)
    except ParseError as exc:
        return ("fail", exc.reason_ja, exc.reason_en)
    except Exception as exc:  # a parser bug must not stop the run: record it like any broken file
        log.exception("unexpected error while parsing %s", path)
        return (
            "fail",
            f"読み込み中に予期しないエラーが発生しました（{type(exc).__name__}: {exc}）",
            f"Unexpected error while reading ({type(exc).__name__}: {exc})",
        )
    try:
        return ("doc", build_document_row(doc, source_id, path, size, mtime_ns, digest))
    except Exception as exc:  # analysis trouble with one file must not stop the run either
        log.exception("unexpected error while analysing %s", path)
        return (
            "fail",
            f"文章の解析中に予期しないエラーが発生しました（{type(exc).__name__}: {exc}）",
            f"Unexpected error while analysing the text ({type(exc).__name__}: {exc})",
        )


def build_document_row(
    doc: ParsedDocument, source_id: int, path: str, size: int, mtime_ns: int, digest: str
) -> DocumentRow:
    """Analyse a parsed document into rows for the store (the slow part; runs outside any transaction)."""
    analyzer = get_analyzer()
    title = doc.title or Path(path).stem
    title_terms = analyzer.index_text(f"{title} {Path(path).stem}" if title != Path(path).stem else title)
    chunks: list[ChunkRow] = []
    for i, ch in enumerate(doc.chunks):
        parts = [h for h in ch.heading_path if h]
        heading = " > ".join(parts)
        chunks.append(
            ChunkRow(
                ordinal=i,
                location=ch.location,
                page=ch.page,
                article=ch.article,
                heading=heading,
                text=ch.text,
                title_terms=title_terms,
                heading_terms=heading_terms(analyzer, parts, ch.article),
                body_terms=analyzer.index_text(ch.text),
            )
        )
    return DocumentRow(
        source_id=source_id,
        path=path,
        size=size,
        mtime_ns=mtime_ns,
        sha256=digest,
        title=title,
        doc_type=doc.doc_type,
        encoding=doc.encoding,
        modified=iso_date(mtime_ns),
        indexed_at=now_iso(),
        chunks=chunks,
    )


# Terms of heading segments, shared by documents (a chapter or a title heads many chunks). Bounded: cleared when full.
_SEGMENT_TERMS: dict[str, str] = {}
_SEGMENT_TERMS_MAX = 50_000


def heading_terms(analyzer: Analyzer, parts: list[str], article: str | None) -> str:
    """``analyzer.index_text`` of the heading path ``"A > B > C"`` (plus `` 第N条`` when the article is not in
    it), computed segment by segment so that each title, chapter and article heading is analysed once.

    Each segment is analysed with the separator characters around it (``"> B >"``), so Sudachi sees the same
    neighbours as in the whole path: the ``>`` is a token of its own that the index drops, and the result is
    the whole path's terms (checked on every heading of the generated corpus and the real documents; a
    segment analysed alone can come out differently, e.g. 慶弔見舞金要領 → 金要 領 at the end of a text).
    """
    segments = list(parts)
    if article and article not in " > ".join(parts):
        if segments:
            segments[-1] = f"{segments[-1]} {article}"
        else:
            segments = [article]
    out: list[str] = []
    last = len(segments) - 1
    for i, segment in enumerate(segments):
        key = ("> " if i else "") + segment + (" >" if i < last else "")
        terms = _SEGMENT_TERMS.get(key)
        if terms is None:
            if len(_SEGMENT_TERMS) >= _SEGMENT_TERMS_MAX:
                _SEGMENT_TERMS.clear()
            terms = _SEGMENT_TERMS[key] = analyzer.index_text(key)
        if terms:
            out.append(terms)
    return " ".join(out)


def _source_of(path: str, sources: list[tuple[int, str]]) -> int | None:
    """The source whose folder holds ``path`` (the deepest one when sources nest)."""
    best: tuple[int, int] | None = None
    for source_id, root in sources:
        r = root.rstrip("/\\")
        inside = path == r or path.startswith(r + os.sep) or bool(os.altsep and path.startswith(r + os.altsep))
        if inside and (best is None or len(r) > best[1]):
            best = (source_id, len(r))
    return None if best is None else best[0]


def _os_reason(exc: OSError) -> tuple[str, str]:
    if isinstance(exc, PermissionError):
        return (
            "ファイルを開けません（アクセス権がないか、他のアプリが使用中です）",
            "Cannot open the file (no permission, or another application has it open)",
        )
    return (
        f"ファイルを読み取れません（{exc.strerror or exc}）",
        f"Cannot read the file ({exc.strerror or exc})",
    )
