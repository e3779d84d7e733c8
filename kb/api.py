"""The knowledge base facade: the one object the CLI, the UI and the answer pipeline use.

    kbase = KnowledgeBase(home.kb_dir)
    kbase.add_source(folder)
    for progress in kbase.index(cancel=event): ...
    hits = kbase.search("慶弔休暇は何日？")
    watcher = kbase.watch(on_change=...); ...; watcher.stop()
    kbase.close()

Thread safety: one writer at a time (indexing or the watcher; a lock serialises them within the process,
SQLite's lock across processes); ``search`` and ``status`` may be called from any thread while a run goes on.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import TracebackType

from kb.analysis import analysis_version
from kb.indexer import Indexer, now_iso
from kb.search import FusionWeights, Searcher
from kb.semantic import EmbedProgress, SemanticModel, VectorIndex
from kb.store import INDEX_FILE, Store
from kb.synonyms import FILE_NAME as SYNONYMS_FILE
from kb.synonyms import Synonyms
from kb.types import Failure, Hit, IndexProgress, KbError, KbStatus, SourceStatus
from kb.watch import Watcher

log = logging.getLogger(__name__)


def _write_error(path: Path, exc: BaseException) -> KbError:
    return KbError(
        f"索引を更新できませんでした: {path}（{exc}）。空き容量と書き込み権限を確認してください。",
        f"The index could not be updated: {path} ({exc}). Check free disk space and write permission.",
    )


class KnowledgeBase:
    """Registered source folders, their index (``index_dir/index.sqlite``) and the synonym list beside it."""

    def __init__(
        self,
        index_dir: Path,
        *,
        max_bytes: int | None = None,
        poll_network_shares: bool = True,
        poll_interval: float = 2.0,
        workers: int | None = None,
    ) -> None:
        self.index_dir = Path(index_dir)
        try:
            self.index_dir.mkdir(parents=True, exist_ok=True)
            if os.name == "posix":
                os.chmod(self.index_dir, 0o700)
        except OSError as exc:
            raise _write_error(self.index_dir, exc) from exc
        self.store = Store(self.index_dir / INDEX_FILE)
        self._check_analysis()
        self.synonyms = Synonyms(self.index_dir / SYNONYMS_FILE)
        self.max_bytes = max_bytes
        self.workers = workers  # processes reading files in a big run; None: CPUs - 1, at most 4
        self.poll_network_shares = poll_network_shares
        self.poll_interval = poll_interval
        self._local = threading.local()
        self._watchers: list[Watcher] = []
        self.vectors = VectorIndex(self.index_dir, self.store)
        self.semantic: SemanticModel | None = None  # set by the caller with set_semantic()
        self.fusion = FusionWeights()

    def _check_analysis(self) -> None:
        """Documents indexed with another analysis (dictionary upgrade, new rules) are re-read next run."""
        current = analysis_version()
        stored = self.store.meta("analysis")
        if stored == current:
            return
        try:
            with self.store.transaction() as tx:
                stale = tx.mark_all_stale()  # none on a new index; an index without the stamp is older
                if stale:
                    log.info("analysis changed (%s -> %s): %d files will be re-read", stored, current, stale)
                tx.set_meta("analysis", current)
        except sqlite3.Error as exc:
            raise _write_error(self.store.path, exc) from exc

    @property
    def index_path(self) -> Path:
        return self.store.path

    @property
    def synonyms_path(self) -> Path:
        return self.index_dir / SYNONYMS_FILE

    # --- sources -----------------------------------------------------------------------------------------

    def add_source(self, folder: str | os.PathLike[str]) -> Path:
        """Register a folder (local or a network share); returns its absolute path."""
        path = Path(folder).expanduser()
        try:
            path = path.resolve()
        except OSError:
            path = path.absolute()
        if not path.is_dir():
            raise KbError(f"フォルダが見つかりません: {path}", f"Folder not found: {path}")
        try:
            with self.store.transaction() as tx:
                source_id = tx.add_source(str(path), now_iso())
        except sqlite3.Error as exc:
            raise _write_error(self.store.path, exc) from exc
        for watcher in self._running_watchers():
            watcher.add_root(source_id, str(path))
        return path

    def remove_source(self, folder: str | os.PathLike[str]) -> None:
        """Forget a folder and everything indexed from it (the files themselves are untouched)."""
        path = Path(folder).expanduser()
        candidates = {str(path), str(path.absolute())}
        with contextlib.suppress(OSError):
            candidates.add(str(path.resolve()))
        for text in candidates:
            source_id = self.store.source_id(text)
            if source_id is not None:
                for watcher in self._running_watchers():
                    watcher.remove_root(text)
                try:
                    with self.store.transaction() as tx:
                        tx.remove_source(source_id)
                except sqlite3.Error as exc:
                    raise _write_error(self.store.path, exc) from exc
                return
        raise KbError(f"登録されていないフォルダです: {path}", f"Not a registered folder: {path}")

    def sources(self) -> list[Path]:
        return [Path(p) for _, p, _ in self.store.sources()]

    # --- indexing ----------------------------------------------------------------------------------------

    def index(
        self, folders: list[Path] | None = None, cancel: threading.Event | None = None
    ) -> Iterator[IndexProgress]:
        """Bring the index up to date (the given folders, which get registered, or all sources).

        Raises :class:`KbError` only when the index itself cannot be written; unreadable files are recorded
        as failures and the run goes on.
        """
        if folders:
            wanted = {str(self.add_source(f)) for f in folders}
            sources = [(sid, p) for sid, p, _ in self.store.sources() if p in wanted]
        else:
            sources = [(sid, p) for sid, p, _ in self.store.sources()]
        try:
            yield from Indexer(self.store, self.max_bytes, self.workers).run(sources, cancel)
        except sqlite3.Error as exc:
            raise _write_error(self.store.path, exc) from exc
        except OSError as exc:
            if getattr(exc, "filename", None) and str(self.index_dir) in str(exc.filename):
                raise _write_error(self.store.path, exc) from exc
            raise

    # --- search ------------------------------------------------------------------------------------------

    def _searcher(self) -> Searcher:
        searcher: Searcher | None = getattr(self._local, "searcher", None)
        if searcher is None:
            searcher = Searcher(self.store)
            self._local.searcher = searcher
        return searcher

    def search(self, query: str, k: int = 10, mode: str = "hybrid") -> list[Hit]:
        """Ranked hits for a query (any thread).

        ``mode="hybrid"`` fuses the lexical ranking with the dense one when a semantic model is set and
        chunks have vectors; ``"lexical"`` never touches the model (as the user types, it answers at once).
        """
        model = self.semantic
        if mode == "lexical" or model is None or not query.strip():
            return self._searcher().search(query, k, self.synonyms.table())
        try:
            qvec = self.vectors.query_vector(model, query)
            dense = self.vectors.search(model, qvec, self.fusion.depth)
        except Exception:
            log.exception("semantic search failed; lexical results only")
            return self._searcher().search(query, k, self.synonyms.table())
        if not dense:
            return self._searcher().search(query, k, self.synonyms.table())
        return self._searcher().hybrid(
            query, k, self.synonyms.table(), dense,
            lambda ids: self.vectors.similarities(model, qvec, ids), self.fusion,
        )

    # --- semantic layer ----------------------------------------------------------------------------------

    def set_semantic(self, model: SemanticModel | None) -> None:
        """Use this embedding model for hybrid search (None: lexical only). Chunks without a vector for it
        are found lexically until :meth:`embed` has run."""
        self.semantic = model

    def embed(self, cancel: threading.Event | None = None) -> Iterator[EmbedProgress]:
        """Give every chunk a vector of the current model (a no-op without one); resumable, incremental."""
        return self._vector_pass(self.vectors.run, cancel)

    def embed_sentences(self, cancel: threading.Event | None = None) -> Iterator[EmbedProgress]:
        """After :meth:`embed`: every chunk's sentences get their vectors too, so the first question about a
        passage ranks its sentences at once (a no-op without a model or its sentence splitter)."""
        return self._vector_pass(self.vectors.run_sentences, cancel)

    def _vector_pass(
        self, run: Callable[[SemanticModel, threading.Event | None], Iterator[EmbedProgress]],
        cancel: threading.Event | None,
    ) -> Iterator[EmbedProgress]:
        model = self.semantic
        if model is None:
            return
        try:
            yield from run(model, cancel)
        except sqlite3.Error as exc:
            raise _write_error(self.vectors.path, exc) from exc

    def text_similarities(self, query: str, texts: Sequence[str]) -> list[float] | None:
        """Cosine of the question with each text (sentences of the top passages), or None without a semantic
        model. The answer pipeline uses it to hand the model the sentences that answer, not whole chunks."""
        model = self.semantic
        if model is None or model.embed_texts is None or not texts:
            return None
        try:
            return self.vectors.text_similarities(model, self.vectors.query_vector(model, query), texts)
        except Exception:
            log.exception("sentence similarity failed")
            return None

    def semantic_status(self) -> dict[str, object] | None:
        model = self.semantic
        if model is None:
            return None
        p = self.vectors.progress(model.model_id)
        return {
            "model": model.label or model.model_id, "embedded": p.done, "total": p.total,
            "finished": p.finished, "vectors_bytes": self.vectors.size_bytes(),
        }

    # --- status ------------------------------------------------------------------------------------------

    def status(self) -> KbStatus:
        counts = self.store.counts_by_source()
        sources = [
            SourceStatus(path, *counts.get(sid, (0, 0)), last_indexed, os.path.isdir(path))
            for sid, path, last_indexed in self.store.sources()
        ]
        failures = [Failure(*row) for row in self.store.failures()]
        return KbStatus(
            index_path=str(self.store.path),
            sources=sources,
            files=sum(s.files for s in sources),
            chunks=sum(s.chunks for s in sources),
            failures=failures,
            index_bytes=self.store.size_bytes(),
            semantic=self.semantic_status(),
        )

    # --- watching ----------------------------------------------------------------------------------------

    def watch(
        self,
        on_change: Callable[[list[str]], None] | None = None,
        debounce: float = 0.3,
        force_polling: bool = False,
    ) -> Watcher:
        """Start watching every source; changes are indexed by the watcher's own thread. Call ``stop()``.

        Folders added or removed later with :meth:`add_source` / :meth:`remove_source` are followed too.
        """
        sources = [(sid, p) for sid, p, _ in self.store.sources()]
        watcher = Watcher(
            self.store,
            Indexer(self.store, self.max_bytes),
            sources,
            on_change=on_change,
            debounce=debounce,
            poll_network_shares=self.poll_network_shares,
            poll_interval=self.poll_interval,
            force_polling=force_polling,
        ).start()
        self._watchers.append(watcher)
        return watcher

    def _running_watchers(self) -> list[Watcher]:
        self._watchers = [w for w in self._watchers if w.running]
        return list(self._watchers)

    # --- lifetime ----------------------------------------------------------------------------------------

    def close(self) -> None:
        for watcher in self._watchers:
            watcher.stop()
        self._watchers.clear()
        self.store.close()

    def __enter__(self) -> KnowledgeBase:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
