"""The dense half of hybrid retrieval: one vector per chunk, stored beside the index, searched by brute force.

- **No model here.** ``kb`` never imports ``local_models`` (DESIGN.md §1); the caller hands in a
  :class:`SemanticModel` — a name and two functions (passages → vectors, question → vector).
- **Its own file**, ``vectors.sqlite`` beside ``index.sqlite``: the embedding pass writes while the indexer
  and the watcher write the lexical index, and neither waits for the other; deleting it only costs a re-embed.
- **Incremental by content**: a vector is keyed by (model, hash of the text it was made from). A re-indexed
  file whose chunks did not change costs no embedding; a chunk that moved (new id, same text) keeps its vector.
  Vectors of texts no longer indexed, and of other models, are dropped at the end of a pass.
- **Sentences** of the top passages, which the answer compares with the question one by one, are kept in the
  same file (``sentences``). After the chunks, a second pass (:meth:`VectorIndex.run_sentences`) embeds every
  chunk's sentences, so even the first question about a passage ranks its sentences without the embedder
  (seconds on 2 cores otherwise); past :data:`SENTENCE_PRECOMPUTE_LIMIT` sentences that pass is skipped and
  they are embedded the first time a question needs them, the least recently used dropped past
  :data:`SENTENCE_CACHE_ROWS`.
- **Storage and search**: float16 rows of ``search_dim`` values; in memory, one float32 matrix (rows are unit
  vectors, so cosine = dot product). At 100,000 chunks × 256 dims that is 100 MB and ~10 ms a question on
  2 cores. Past about a million chunks brute force gets slow (≥ 100 ms) and the next step is an
  approximate index (HNSW, e.g. hnswlib) over the same vectors; a small office's rules are far below that.
- **Background**: :meth:`VectorIndex.run` is a generator (progress, ``cancel``) that commits every batch, so a
  crash or a cancel loses at most one batch and the next pass resumes where it stopped.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from kb.store import Store
from kb.types import KbError

log = logging.getLogger(__name__)

VECTORS_FILE = "vectors.sqlite"
BATCH = 8  # chunks per embedding call: ~1 s on 2 cores, the longest a cancel waits
SENTENCE_BATCH = 24  # sentences per call in the sentence pass (a sentence is a sixth of a chunk)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS vectors(
    model TEXT NOT NULL,
    hash BLOB NOT NULL,
    vec BLOB NOT NULL,
    PRIMARY KEY(model, hash)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS sentences(
    model TEXT NOT NULL,
    hash BLOB NOT NULL,
    vec BLOB NOT NULL,
    used REAL NOT NULL,
    PRIMARY KEY(model, hash)
) WITHOUT ROWID;
"""
# Sentences of the top passages, embedded when a question first needs them (``text_similarities``) and kept:
# the office asks about the same rules again and again, so the second time costs a lookup instead of
# seconds of the embedder. The least recently used beyond this many are dropped (~0.6 KB a row at 256 dims).
SENTENCE_CACHE_ROWS = 50_000
# The sentence pass embeds every chunk's sentences up to this many (~8 sentences/s on 2 cores: ~1.5 h at the
# limit, in the background); a larger knowledge base skips it and relies on the cache filling as questions come.
# Below the cache's size, so the pass never evicts what it has just made.
SENTENCE_PRECOMPUTE_LIMIT = 40_000


@dataclass(frozen=True)
class SemanticModel:
    """What ``kb`` needs of an embedding model (built by ``desktop`` from ``local_models.Embedder``)."""

    model_id: str  # names the vector space: vectors of another id are never compared with these
    embed_passages: Callable[[Sequence[tuple[str, str]]], np.ndarray]  # (title, text) → unit rows
    embed_query: Callable[[str], np.ndarray]  # question → one unit vector
    dim: int  # dimensions stored and searched (a Matryoshka model's vectors are cut to this)
    label: str = ""  # shown to people: the model's name
    # short texts (sentences of the top passages) embedded at question time, on the question's embedder
    embed_texts: Callable[[Sequence[str]], np.ndarray] | None = None
    # a chunk's text → the sentences the answer compares with a question (the sentence pass embeds them)
    sentences: Callable[[str], Sequence[str]] | None = None
    # the same vectors as ``embed_texts``, made on the background pass's own context (a question never waits)
    embed_sentences: Callable[[Sequence[str]], np.ndarray] | None = None


@dataclass(frozen=True)
class EmbedProgress:
    """A step of an embedding pass: ``done`` of ``total`` chunks have a vector; ``embedded`` in this pass."""

    done: int
    total: int
    embedded: int = 0
    finished: bool = False
    rate: float = 0.0  # chunks (sentences) per second in this pass
    stage: str = "chunks"  # or "sentences" (:meth:`VectorIndex.run_sentences`)
    skipped: bool = False  # the sentence pass did not run: more than SENTENCE_PRECOMPUTE_LIMIT sentences

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def text_hash(model_id: str, title: str, body: str) -> bytes:
    return hashlib.blake2b(f"{model_id}\x00{title}\x00{body}".encode(), digest_size=16).digest()


def sentence_key(model_id: str, sentence: str) -> bytes:
    """The sentence cache's key: the question-time lookup and the sentence pass must agree on it."""
    return text_hash(model_id, "\x01sentence", sentence)


def _cut(vecs: np.ndarray, dim: int, rows: int | None = None) -> np.ndarray:
    """Keep the first ``dim`` values and re-normalise (Matryoshka); a no-op when nothing is cut. With ``rows``,
    the model must have returned that many vectors (one per text it was given)."""
    vecs = np.asarray(vecs, dtype=np.float32)
    if vecs.ndim == 1:
        vecs = vecs[None, :]
    if rows is not None and vecs.shape[0] != rows:
        raise KbError("埋め込みモデルの出力が不正です", "the embedding model returned the wrong number of rows")
    if dim and vecs.shape[1] > dim:
        vecs = vecs[:, :dim]
        vecs = vecs / np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-12)
    return vecs


class VectorIndex:
    """Chunk vectors for one knowledge base (``index_dir/vectors.sqlite``); searches from any thread."""

    def __init__(self, index_dir: Path, store: Store) -> None:
        self.path = Path(index_dir) / VECTORS_FILE
        self.store = store
        self._local = threading.local()
        self._lock = threading.Lock()  # guards the cached matrix
        self._cache: tuple[tuple[Any, ...], np.ndarray, np.ndarray, dict[int, int]] | None = None
        self._generation = 0
        self._last_query: tuple[str, str, np.ndarray] | None = None  # (model id, question, vector)
        self._run_lock = threading.Lock()  # one pass at a time
        try:
            conn = self.conn()
            conn.executescript(_SCHEMA)
        except sqlite3.Error as exc:
            raise KbError(
                f"検索用ベクトルのファイルを開けませんでした: {self.path}（{exc}）",
                f"could not open the vector file {self.path} ({exc})",
            ) from exc
        if os.name == "posix":
            with contextlib.suppress(OSError):
                os.chmod(self.path, 0o600)

    def conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            self._local.conn = conn
        return conn

    def close_thread(self) -> None:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    # -- what needs a vector ---------------------------------------------------------------------------
    def _chunks(self, model_id: str) -> tuple[list[int], list[bytes], list[tuple[str, str]]]:
        """Every chunk's id, text hash and (title, text) as it is embedded."""
        rows = self.store.conn().execute(
            "SELECT c.id, f.title, c.heading, c.text FROM chunks c JOIN files f ON f.id = c.file_id ORDER BY c.id"
        ).fetchall()
        ids: list[int] = []
        hashes: list[bytes] = []
        items: list[tuple[str, str]] = []
        for chunk_id, title, heading, text in rows:
            body = f"{heading}\n{text}" if heading and heading not in text[:200] else text
            ids.append(int(chunk_id))
            hashes.append(text_hash(model_id, title, body))
            items.append((title, body))
        return ids, hashes, items

    def _stored(self, model_id: str) -> set[bytes]:
        return {bytes(r[0]) for r in self.conn().execute("SELECT hash FROM vectors WHERE model = ?", (model_id,))}

    def progress(self, model_id: str) -> EmbedProgress:
        ids, hashes, _ = self._chunks(model_id)
        stored = self._stored(model_id)
        done = sum(1 for h in hashes if h in stored)
        return EmbedProgress(done=done, total=len(ids), finished=done == len(ids))

    # -- the pass --------------------------------------------------------------------------------------
    def run(self, model: SemanticModel, cancel: threading.Event | None = None) -> Iterator[EmbedProgress]:
        """Embed every chunk that has no vector yet; yields progress after each committed batch."""
        with self._run_lock:
            ids, hashes, items = self._chunks(model.model_id)
            stored = self._stored(model.model_id)
            todo: dict[bytes, tuple[str, str]] = {}
            for h, item in zip(hashes, items, strict=True):
                if h not in stored and h not in todo:
                    todo[h] = item
            total = len(ids)
            done = sum(1 for h in hashes if h in stored)
            per_hash: dict[bytes, int] = {}
            for h in hashes:
                per_hash[h] = per_hash.get(h, 0) + 1
            yield EmbedProgress(done=done, total=total)
            started = time.monotonic()
            embedded = 0
            pending = list(todo.items())
            for start in range(0, len(pending), BATCH):
                if cancel is not None and cancel.is_set():
                    return
                batch = pending[start : start + BATCH]
                vecs = _cut(model.embed_passages([item for _h, item in batch]), model.dim, len(batch))
                rows = [
                    (model.model_id, h, vecs[i].astype(np.float16).tobytes()) for i, (h, _item) in enumerate(batch)
                ]
                conn = self.conn()
                with conn:
                    conn.executemany("INSERT OR REPLACE INTO vectors(model, hash, vec) VALUES (?, ?, ?)", rows)
                embedded += len(batch)
                for h, _item in batch:
                    done += per_hash[h]
                self._generation += 1
                elapsed = max(time.monotonic() - started, 1e-6)
                yield EmbedProgress(done=done, total=total, embedded=embedded, rate=embedded / elapsed)
            self._collect(model.model_id, set(hashes))
            self._generation += 1
            elapsed = max(time.monotonic() - started, 1e-6)
            yield EmbedProgress(
                done=done, total=total, embedded=embedded, finished=True, rate=embedded / elapsed if embedded else 0.0
            )

    def sentence_keys(self, model: SemanticModel) -> dict[bytes, str]:
        """Every indexed chunk's sentences (``model.sentences`` of its text, as the answer cuts a hit) by their
        cache key, in chunk order."""
        keyed: dict[bytes, str] = {}
        if model.sentences is None:
            return keyed
        for (text,) in self.store.conn().execute("SELECT text FROM chunks ORDER BY id"):
            for sentence in model.sentences(text):
                keyed.setdefault(sentence_key(model.model_id, sentence), sentence)
        return keyed

    def run_sentences(self, model: SemanticModel, cancel: threading.Event | None = None) -> Iterator[EmbedProgress]:
        """Embed the sentences of every chunk that the sentence cache lacks (after :meth:`run`), so the first
        question about a passage finds them; yields progress (``stage="sentences"``) after each committed
        batch, resumes where a cancelled pass stopped, and drops cached sentences no chunk holds any more.
        Skipped (``skipped=True``) past :data:`SENTENCE_PRECOMPUTE_LIMIT` sentences."""
        embed = model.embed_sentences or model.embed_texts
        if model.sentences is None or embed is None:
            return
        with self._run_lock:
            keyed = self.sentence_keys(model)
            total = len(keyed)
            if total > SENTENCE_PRECOMPUTE_LIMIT:
                log.info("sentence pass skipped: %d sentences (limit %d)", total, SENTENCE_PRECOMPUTE_LIMIT)
                yield EmbedProgress(done=0, total=total, finished=True, stage="sentences", skipped=True)
                return
            conn = self.conn()
            have = {bytes(r[0]) for r in conn.execute("SELECT hash FROM sentences WHERE model = ?", (model.model_id,))}
            stale = [(model.model_id, h) for h in have - keyed.keys()]
            if stale:  # sentences of changed or removed chunks
                with conn:
                    conn.executemany("DELETE FROM sentences WHERE model = ? AND hash = ?", stale)
            todo = [(h, sentence) for h, sentence in keyed.items() if h not in have]
            done = total - len(todo)
            yield EmbedProgress(done=done, total=total, stage="sentences")
            started = time.monotonic()
            embedded = 0
            for start in range(0, len(todo), SENTENCE_BATCH):
                if cancel is not None and cancel.is_set():
                    return
                batch = todo[start : start + SENTENCE_BATCH]
                vecs = _cut(embed([sentence for _h, sentence in batch]), model.dim, len(batch))
                now = time.time()
                rows = [(model.model_id, h, vecs[i].astype(np.float16).tobytes(), now)
                        for i, (h, _sentence) in enumerate(batch)]
                with conn:
                    conn.executemany("INSERT OR REPLACE INTO sentences(model, hash, vec, used) VALUES (?, ?, ?, ?)",
                                     rows)
                embedded += len(batch)
                done += len(batch)
                rate = embedded / max(time.monotonic() - started, 1e-6)
                yield EmbedProgress(done=done, total=total, embedded=embedded, rate=rate, stage="sentences")
            rate = embedded / max(time.monotonic() - started, 1e-6) if embedded else 0.0
            yield EmbedProgress(done=done, total=total, embedded=embedded, finished=True, rate=rate, stage="sentences")

    def _collect(self, model_id: str, live: set[bytes]) -> None:
        """Drop vectors of other models and of texts that are no longer indexed."""
        conn = self.conn()
        with conn:
            conn.execute("DELETE FROM vectors WHERE model != ?", (model_id,))
            conn.execute("DELETE FROM sentences WHERE model != ?", (model_id,))
            dead = [(model_id, h) for h in self._stored(model_id) - live]
            if dead:
                conn.executemany("DELETE FROM vectors WHERE model = ? AND hash = ?", dead)

    # -- search ----------------------------------------------------------------------------------------
    def _matrix(self, model_id: str, dim: int) -> tuple[np.ndarray, np.ndarray, dict[int, int]]:
        """(chunk ids, unit-row matrix, id → row) of the chunks that have a vector, cached until either
        file changes."""
        sig_row = self.store.conn().execute("SELECT COUNT(*), COALESCE(MAX(id), 0) FROM chunks").fetchone()
        key = (model_id, dim, self._generation, tuple(sig_row), self._vector_count(model_id))
        with self._lock:
            if self._cache is not None and self._cache[0] == key:
                return self._cache[1], self._cache[2], self._cache[3]
        ids, hashes, _ = self._chunks(model_id)
        by_hash = {
            bytes(h): bytes(v)
            for h, v in self.conn().execute("SELECT hash, vec FROM vectors WHERE model = ?", (model_id,))
        }
        keep_ids: list[int] = []
        blobs: list[bytes] = []
        for chunk_id, h in zip(ids, hashes, strict=True):
            blob = by_hash.get(h)
            if blob is not None:
                keep_ids.append(chunk_id)
                blobs.append(blob)
        if blobs:
            mat = np.frombuffer(b"".join(blobs), dtype=np.float16).reshape(len(blobs), -1).astype(np.float32)
        else:
            mat = np.zeros((0, max(dim, 1)), dtype=np.float32)
        id_arr = np.asarray(keep_ids, dtype=np.int64)
        rows = {cid: i for i, cid in enumerate(keep_ids)}
        with self._lock:
            self._cache = (key, id_arr, mat, rows)
        return id_arr, mat, rows

    def _vector_count(self, model_id: str) -> int:
        row = self.conn().execute("SELECT COUNT(*) FROM vectors WHERE model = ?", (model_id,)).fetchone()
        return int(row[0])

    def query_vector(self, model: SemanticModel, query: str) -> np.ndarray:
        """The question's vector; the last one is kept, since an answer embeds its question for the search
        and again to rank the passages' sentences."""
        last = self._last_query
        if last is not None and last[0] == model.model_id and last[1] == query:
            return last[2]
        qvec = _cut(model.embed_query(query), model.dim)[0]
        self._last_query = (model.model_id, query, qvec)
        return qvec

    def text_similarities(self, model: SemanticModel, qvec: np.ndarray, texts: Sequence[str]) -> list[float]:
        """Cosine of the question with each of these short texts: their vectors from the sentence cache, the
        others embedded now (``model.embed_texts``) and cached. A cache that cannot be read or written (a
        locked or read-only file, a full disk) only costs the embedding."""
        assert model.embed_texts is not None
        keys = [sentence_key(model.model_id, t) for t in texts]
        found = self._cached_sentences(model, keys)
        reused = list(found)
        missing: dict[bytes, str] = {}
        for key, text in zip(keys, texts, strict=True):
            if key not in found and key not in missing:
                missing[key] = text
        fresh: dict[bytes, np.ndarray] = {}
        if missing:
            vecs = _cut(model.embed_texts(list(missing.values())), model.dim, len(missing))
            fresh = dict(zip(missing, vecs, strict=True))
            found.update(fresh)
        if fresh or reused:
            self._cache_sentences(model.model_id, fresh, reused)
        mat = np.stack([found[k] for k in keys]) if keys else np.zeros((0, qvec.shape[0]), dtype=np.float32)
        return [float(v) for v in mat @ qvec]

    def _cached_sentences(self, model: SemanticModel, keys: Sequence[bytes]) -> dict[bytes, np.ndarray]:
        out: dict[bytes, np.ndarray] = {}
        unique = list(dict.fromkeys(keys))
        try:
            conn = self.conn()
            for start in range(0, len(unique), 500):
                part = unique[start : start + 500]
                marks = ",".join("?" * len(part))
                for h, blob in conn.execute(
                    f"SELECT hash, vec FROM sentences WHERE model = ? AND hash IN ({marks})", (model.model_id, *part)
                ):
                    vec = np.frombuffer(bytes(blob), dtype=np.float16).astype(np.float32)
                    if not model.dim or vec.shape[0] == model.dim:
                        out[bytes(h)] = vec
        except sqlite3.Error as exc:
            log.warning("sentence cache not readable: %s", exc)
        return out

    def _cache_sentences(self, model_id: str, fresh: dict[bytes, np.ndarray], reused: Sequence[bytes]) -> None:
        """Store the new vectors and mark the reused ones as recently used; the least recently used go first
        once the cache is full."""
        now = time.time()
        rows = [(model_id, h, v.astype(np.float16).tobytes(), now) for h, v in fresh.items()]
        conn = self.conn()
        try:
            conn.execute("PRAGMA busy_timeout = 500")  # never keep a question waiting on the embedding pass
            with conn:
                conn.executemany("INSERT OR REPLACE INTO sentences(model, hash, vec, used) VALUES (?, ?, ?, ?)", rows)
                conn.executemany("UPDATE sentences SET used = ? WHERE model = ? AND hash = ?",
                                 [(now, model_id, h) for h in reused])
                # only new rows can fill the cache: count (a scan) only then
                count = conn.execute("SELECT COUNT(*) FROM sentences").fetchone()[0] if rows else 0
                if count > SENTENCE_CACHE_ROWS:
                    conn.execute(
                        "DELETE FROM sentences WHERE (model, hash) IN "
                        "(SELECT model, hash FROM sentences ORDER BY used LIMIT ?)",
                        (count - SENTENCE_CACHE_ROWS,),
                    )
        except sqlite3.Error as exc:
            log.warning("sentence cache not written: %s", exc)
        finally:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("PRAGMA busy_timeout = 30000")

    def search(self, model: SemanticModel, qvec: np.ndarray, k: int) -> list[tuple[int, float]]:
        """The ``k`` chunks most similar to the question vector: (chunk id, cosine), best first."""
        ids, mat, _rows = self._matrix(model.model_id, model.dim)
        if mat.shape[0] == 0 or k <= 0:
            return []
        sims = mat @ qvec.astype(np.float32)
        k = min(k, sims.shape[0])
        top = np.argpartition(-sims, k - 1)[:k]
        top = top[np.argsort(-sims[top])]
        return [(int(ids[i]), float(sims[i])) for i in top]

    def similarities(self, model: SemanticModel, qvec: np.ndarray, chunk_ids: Sequence[int]) -> dict[int, float]:
        """Cosine of the question with each of these chunks (those that have a vector)."""
        _ids, mat, rows = self._matrix(model.model_id, model.dim)
        out: dict[int, float] = {}
        for cid in chunk_ids:
            i = rows.get(cid)
            if i is not None:
                out[cid] = float(mat[i] @ qvec)
        return out

    def size_bytes(self) -> int:
        total = 0
        for suffix in ("", "-wal"):
            with contextlib.suppress(OSError):
                total += Path(str(self.path) + suffix).stat().st_size
        return total
