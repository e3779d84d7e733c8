"""Themes: group floor notes and inquiries by what they are about, across the categories people chose.

Three parts, each replaceable:

* a **vectoriser** turns texts into an L2-normalised float32 matrix. :class:`LexicalVectorizer` uses the
  knowledge base's own Japanese analysis (Sudachi normalised content words, :mod:`kb.analysis`), weighted
  by TF-IDF and folded into a fixed number of dimensions by a random projection (each term has a fixed
  pseudo-random direction, so cosine similarity of the folded vectors approximates the TF-IDF cosine;
  Johnson–Lindenstrauss). :class:`EmbeddingVectorizer` wraps a sentence-embedding model
  (``embed(texts, kind) -> L2-normalised rows``) when one is available.
* :func:`cluster` — threshold ("leader") clustering in batches: a text joins the most similar theme
  centroid when the cosine reaches the vectoriser's threshold, else it starts a new group; one refinement
  pass then reassigns every text to its nearest kept centroid. It needs no number of themes up front and
  is linear in the number of texts (matrix products in batches); see docs/PERFORMANCE.md for 100,000 notes.
* :class:`ThemeModel` — the centroids and the vectoriser state, saved in the logbook's cache, so a new
  record joins a theme (:meth:`ThemeModel.assign`) without recomputing anything; the whole clustering
  runs again only when asked.

No Qt, no SQL: records come in as :class:`Doc` and go out as cluster labels.
"""

from __future__ import annotations

import hashlib
import math
import threading
import unicodedata
from collections import Counter
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np


class CancelledError(Exception):
    """The caller's cancel event was set; nothing was saved."""


def check_cancel(cancel: threading.Event | None) -> None:
    if cancel is not None and cancel.is_set():
        raise CancelledError


# --------------------------------------------------------------------------------------------- vectorisers


class Vectorizer(Protocol):
    """Texts in, an L2-normalised float32 matrix out (one row per text)."""

    name: str
    threshold: float  # cosine similarity at which a text joins a theme

    def fit(self, texts: Sequence[str], cancel: threading.Event | None = None) -> None: ...

    def transform(self, texts: Sequence[str], kind: str = "passage") -> np.ndarray: ...

    def state(self) -> dict[str, Any]: ...

    def load_state(self, state: dict[str, Any]) -> None: ...


def content_terms(text: str) -> list[str]:
    """Normalised content words of ``text`` (nouns, verbs, adjectives; not question or function words).

    The same Sudachi analysis as the knowledge base's queries: 申込み = 申し込み, full/half width folded.
    Compounds contribute their parts (慶弔休暇 → 慶弔, 休暇), so differently built compounds still meet.
    """
    from kb.analysis import get_analyzer

    out: list[str] = []
    for unit in get_analyzer().query_units(text):
        if unit.content:
            out.extend(t for t in unit.terms if len(t) > 1 or not t.isascii())
    return out


def keyword_words(text: str) -> list[tuple[str, tuple[str, ...]]]:
    """The whole words of ``text`` a person would use as a label (会議室, Wi-Fi, 紙詰まり), with their
    fine-grained terms: content words only, none with digits (10月, 3F) and no single ASCII letters."""
    from kb.analysis import get_analyzer

    out: list[tuple[str, tuple[str, ...]]] = []
    for unit in get_analyzer().query_units(text):
        inflected = unit.pos0 in ("動詞", "形容詞")
        word = unicodedata.normalize("NFKC", unit.norm if inflected else unit.surface).strip()
        if not unit.content or len(word) < 2 or any(ch.isdigit() for ch in word) or word in LABEL_STOPWORDS:
            continue
        if unit.pos0 not in ("名詞", "形容詞", "動詞", ""):
            continue
        out.append((word, unit.terms))
    return out


LABEL_STOPWORDS = frozenset({"ほしい", "欲しい", "いる", "ある", "する", "なる", "できる", "思う", "言う", "いう",
                             "くれる", "もらう", "みる", "こと", "もの", "ところ", "とき", "ため", "よう", "感じ"})


def _direction(term: str, dim: int) -> np.ndarray:
    seed = int.from_bytes(hashlib.blake2b(term.encode("utf-8"), digest_size=8).digest(), "little")
    v = np.random.default_rng(seed).standard_normal(dim).astype(np.float32)
    v /= np.linalg.norm(v) or 1.0
    return v


def normalise_rows(x: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return (x / norms).astype(np.float32, copy=False)


class LexicalVectorizer:
    """TF-IDF over Sudachi content words, folded to ``dim`` dimensions by a fixed random projection."""

    name = "lexical"

    def __init__(self, dim: int = 256, threshold: float = 0.30, analyse: Callable[[str], list[str]] = content_terms):
        self.dim = dim
        self.threshold = threshold
        self._analyse = analyse
        self.df: dict[str, int] = {}
        self.n_docs = 0
        self._directions: dict[str, np.ndarray] = {}
        self._terms_cache: dict[str, list[str]] = {}

    def terms(self, text: str) -> list[str]:
        cached = self._terms_cache.get(text)
        if cached is None:
            cached = self._analyse(text)
            if len(self._terms_cache) < 200_000:
                self._terms_cache[text] = cached
        return cached

    def fit(self, texts: Sequence[str], cancel: threading.Event | None = None) -> None:
        df: Counter[str] = Counter()
        for i, text in enumerate(texts):
            if i % 2000 == 0:
                check_cancel(cancel)
            df.update(set(self.terms(text)))
        self.df = dict(df)
        self.n_docs = len(texts)

    def idf(self, term: str) -> float:
        return math.log((1 + self.n_docs) / (1 + self.df.get(term, 0))) + 1.0

    def weights(self, text: str) -> dict[str, float]:
        tf = Counter(self.terms(text))
        return {t: (1.0 + math.log(n)) * self.idf(t) for t, n in tf.items()}

    def _dir(self, term: str) -> np.ndarray:
        v = self._directions.get(term)
        if v is None:
            v = _direction(term, self.dim)
            self._directions[term] = v
        return v

    def transform(self, texts: Sequence[str], kind: str = "passage") -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            w = self.weights(text)
            if not w:
                continue
            terms = list(w)
            mat = np.stack([self._dir(t) for t in terms])
            out[i] = np.asarray([w[t] for t in terms], dtype=np.float32) @ mat
        return normalise_rows(out)

    def state(self) -> dict[str, Any]:
        return {"name": self.name, "dim": self.dim, "threshold": self.threshold, "df": self.df, "n_docs": self.n_docs}

    def load_state(self, state: dict[str, Any]) -> None:
        self.dim = int(state["dim"])
        self.threshold = float(state["threshold"])
        self.df = {str(k): int(v) for k, v in state["df"].items()}
        self.n_docs = int(state["n_docs"])


class EmbeddingVectorizer:
    """A sentence-embedding model behind the same interface (``embed(texts, kind) -> L2-normalised rows``).

    Embedding models place unrelated sentences well above zero similarity, so their threshold is higher
    than the lexical one; the benchmark (benchmarks/themes_bench.py) is where it was chosen.
    """

    name = "semantic"

    def __init__(self, embedder: Any, threshold: float = 0.80, batch: int = 64) -> None:
        self.embedder = embedder
        self.threshold = threshold
        self.batch = batch

    def fit(self, texts: Sequence[str], cancel: threading.Event | None = None) -> None:
        return None  # nothing to learn from the corpus

    def transform(self, texts: Sequence[str], kind: str = "passage") -> np.ndarray:
        parts = [np.asarray(self.embedder.embed(list(texts[i : i + self.batch]), kind=kind), dtype=np.float32)
                 for i in range(0, len(texts), self.batch)]
        if not parts:
            return np.zeros((0, 1), dtype=np.float32)
        return normalise_rows(np.concatenate(parts))

    def state(self) -> dict[str, Any]:
        return {"name": self.name, "threshold": self.threshold}

    def load_state(self, state: dict[str, Any]) -> None:
        self.threshold = float(state.get("threshold", self.threshold))


# --------------------------------------------------------------------------------------------- clustering


@dataclass
class Clustering:
    labels: np.ndarray  # int32 per text, -1 = in no group
    sums: np.ndarray  # float32 (k, dim): sum of member vectors per group
    sizes: np.ndarray  # int64 (k,)
    scores: np.ndarray  # float32 per text: cosine to its group's centroid (0 when in none)

    def centroids(self) -> np.ndarray:
        return normalise_rows(self.sums.copy()) if len(self.sums) else self.sums


def _batches(n: int, size: int) -> Iterator[tuple[int, int]]:
    for start in range(0, n, size):
        yield start, min(n, start + size)


Step = tuple[str, int, int]  # (stage, done, total)


def cluster(x: np.ndarray, threshold: float, **options: Any) -> Clustering:
    """:func:`cluster_steps` run to the end."""
    steps = cluster_steps(x, threshold, **options)
    while True:
        try:
            next(steps)
        except StopIteration as stop:
            result: Clustering = stop.value
            return result


def cluster_steps(
    x: np.ndarray,
    threshold: float,
    *,
    min_size: int = 2,
    batch: int = 1024,
    max_active: int = 6000,
    cancel: threading.Event | None = None,
) -> Generator[Step, None, Clustering]:
    """Threshold clustering of L2-normalised rows; groups smaller than ``min_size`` are dissolved (-1).

    Pass 1 (leader, in batches): each row joins the most similar centroid at or above ``threshold``;
    rows left over start groups among themselves (greedy: the first row leads, the rows similar to it
    follow). Only the ``max_active`` most recently grown groups are offered to new rows, which bounds the
    cost per batch; a group that has not grown for that long is a one-off remark, not a theme.
    Pass 2: every row is reassigned to its nearest centroid among the groups of at least ``min_size``,
    which undoes the order effects of pass 1. Yields progress; returns the :class:`Clustering`.
    """
    n, dim = x.shape
    cap = 1024
    sums = np.zeros((cap, dim), dtype=np.float32)
    sizes = np.zeros(cap, dtype=np.int64)
    touched = np.zeros(cap, dtype=np.int64)
    labels = np.full(n, -1, dtype=np.int32)
    k = 0
    for b, (start, end) in enumerate(_batches(n, batch)):
        check_cancel(cancel)
        yield ("cluster", start, n)
        xb = x[start:end]
        lab = np.full(end - start, -1, dtype=np.int32)
        if k:
            active = np.arange(k) if k <= max_active else np.argsort(-touched[:k], kind="stable")[:max_active]
            cents = normalise_rows(sums[active].copy())
            sims = xb @ cents.T
            best = sims.argmax(axis=1)
            ok = sims[np.arange(len(xb)), best] >= threshold
            lab[ok] = active[best[ok]]
        rest = np.flatnonzero(lab < 0)
        if len(rest):
            sub = xb[rest]
            s = sub @ sub.T
            taken = np.zeros(len(rest), dtype=bool)
            for i in range(len(rest)):
                if taken[i]:
                    continue
                members = np.flatnonzero(~taken & (s[i] >= threshold))
                members = members if len(members) else np.array([i])
                taken[members] = True
                if k == cap:
                    cap *= 2
                    sums = np.resize(sums, (cap, dim))
                    sums[k:] = 0
                    sizes = np.concatenate([sizes[:k], np.zeros(cap - k, dtype=np.int64)])
                    touched = np.concatenate([touched[:k], np.zeros(cap - k, dtype=np.int64)])
                lab[rest[members]] = k
                k += 1
        np.add.at(sums, lab, xb)
        np.add.at(sizes, lab, 1)
        touched[np.unique(lab)] = b + 1
        labels[start:end] = lab
    kept = np.flatnonzero(sizes[:k] >= min_size)
    yield ("refine", 0, n)
    if not len(kept):
        return Clustering(np.full(n, -1, dtype=np.int32), np.zeros((0, dim), np.float32), np.zeros(0, np.int64),
                          np.zeros(n, np.float32))
    cents = normalise_rows(sums[kept].copy())
    final = np.full(n, -1, dtype=np.int32)
    for start, end in _batches(n, 4096):
        check_cancel(cancel)
        sims = x[start:end] @ cents.T
        best = sims.argmax(axis=1)
        ok = sims[np.arange(end - start), best] >= threshold
        final[start:end][ok] = best[ok]
    return _compact(x, final, len(kept), min_size)


def _compact(x: np.ndarray, labels: np.ndarray, k: int, min_size: int) -> Clustering:
    """Drop groups below ``min_size`` and renumber the rest 0.. by size, largest first."""
    sizes = np.bincount(labels[labels >= 0], minlength=k)
    order = [int(c) for c in np.argsort(-sizes, kind="stable") if sizes[c] >= min_size]
    remap = np.full(k + 1, -1, dtype=np.int32)
    for new, old in enumerate(order):
        remap[old] = new
    out = np.where(labels >= 0, remap[np.maximum(labels, 0)], -1).astype(np.int32)
    sums = np.zeros((len(order), x.shape[1]), dtype=np.float32)
    mask = out >= 0
    np.add.at(sums, out[mask], x[mask])
    scores = np.zeros(len(out), dtype=np.float32)
    if len(order):
        cents = normalise_rows(sums.copy())
        scores[mask] = np.einsum("ij,ij->i", x[mask], cents[out[mask]])
    return Clustering(out, sums, np.bincount(out[mask], minlength=len(order)).astype(np.int64), scores)


# --------------------------------------------------------------------------------------------- the model


@dataclass
class ThemeModel:
    """What is kept between runs: the vectoriser's state, the centroids and who belongs where.

    ``members`` maps a record key (``N:<id>`` note, ``I:<id>`` inquiry) to its theme number, for every
    record seen, -1 when it joined none; ``seen`` maps the key to the ``updated_at`` it was read at, so a
    changed record is noticed. ``pending`` holds records that joined no theme since the last full run;
    two of them alike enough start a new theme (so a new problem shows up before the next recompute).
    """

    vectorizer: Any
    sums: np.ndarray
    sizes: np.ndarray
    members: dict[str, int] = field(default_factory=dict)
    seen: dict[str, str] = field(default_factory=dict)
    scores: dict[str, float] = field(default_factory=dict)  # cosine to the theme's centroid when it joined
    names: dict[int, str] = field(default_factory=dict)  # theme number -> stable ID ("T7")
    labels: dict[str, str] = field(default_factory=dict)  # stable ID -> label written by the model
    pending: dict[str, np.ndarray] = field(default_factory=dict)
    computed_at: str = ""
    min_size: int = 2
    next_name: int = 1

    def name_of(self, theme: int) -> str:
        name = self.names.get(theme)
        if name is None:
            name = f"T{self.next_name}"
            self.next_name += 1
            self.names[theme] = name
        return name

    @property
    def threshold(self) -> float:
        return float(self.vectorizer.threshold)

    def centroids(self) -> np.ndarray:
        return normalise_rows(self.sums.copy()) if len(self.sums) else self.sums

    def assign(self, key: str, vector: np.ndarray) -> int:
        """Put one record (already vectorised) into the nearest theme at or above the threshold."""
        self.remove(key)
        theme, score = -1, 0.0
        if len(self.sums):
            sims = self.centroids() @ vector
            best = int(np.argmax(sims))
            if float(sims[best]) >= self.threshold:
                theme, score = best, float(sims[best])
        if theme < 0 and self.pending:
            keys = list(self.pending)
            sims = np.stack([self.pending[k] for k in keys]) @ vector
            alike = [keys[i] for i in np.flatnonzero(sims >= self.threshold)]
            if len(alike) + 1 >= self.min_size:
                theme = self._new_theme([self.pending.pop(k) for k in alike])
                score = self.threshold
                for k in alike:
                    self.members[k] = theme
                    self.scores[k] = score
        if theme >= 0:
            self.sums[theme] += vector
            self.sizes[theme] += 1
        else:
            self.pending[key] = vector.astype(np.float32)
        self.members[key] = theme
        self.scores[key] = score
        return theme

    def _new_theme(self, vectors: list[np.ndarray]) -> int:
        dim = vectors[0].shape[0]
        sums = self.sums if len(self.sums) else np.zeros((0, dim), dtype=np.float32)
        self.sums = np.vstack([sums, np.stack(vectors).sum(axis=0, dtype=np.float32).reshape(1, dim)])
        self.sizes = np.concatenate([self.sizes, np.array([len(vectors)], dtype=np.int64)])
        return len(self.sums) - 1

    def remove(self, key: str) -> None:
        """Forget a record (deleted or about to be re-read). Its vector's share of the centroid stays
        until the next full run: the centroid is a summary, and one record hardly moves it."""
        theme = self.members.pop(key, -1)
        if theme >= 0 and theme < len(self.sizes):
            self.sizes[theme] = max(0, int(self.sizes[theme]) - 1)
        self.pending.pop(key, None)
        self.scores.pop(key, None)

    # ---- persistence: a JSON-safe dict plus named float32 arrays ---------------------------------
    def to_state(self) -> tuple[dict[str, Any], dict[str, bytes]]:
        meta = {
            "vectorizer": self.vectorizer.state(),
            "members": self.members,
            "seen": self.seen,
            "scores": {k: round(v, 4) for k, v in self.scores.items()},
            "names": {str(k): v for k, v in self.names.items()},
            "labels": self.labels,
            "next_name": self.next_name,
            "pending": list(self.pending),
            "computed_at": self.computed_at,
            "min_size": self.min_size,
            "dim": int(self.sums.shape[1]) if self.sums.ndim == 2 else 0,
        }
        pend = np.stack(list(self.pending.values())) if self.pending else np.zeros((0, 0), np.float32)
        blobs = {
            "sums": np.ascontiguousarray(self.sums, dtype=np.float32).tobytes(),
            "sizes": np.ascontiguousarray(self.sizes, dtype=np.int64).tobytes(),
            "pending": np.ascontiguousarray(pend, dtype=np.float32).tobytes(),
        }
        return meta, blobs

    @classmethod
    def from_state(cls, vectorizer: Any, meta: dict[str, Any], blobs: dict[str, bytes]) -> ThemeModel:
        vectorizer.load_state(meta["vectorizer"])
        dim = int(meta["dim"])
        sizes = np.frombuffer(blobs["sizes"], dtype=np.int64).copy()
        sums = np.frombuffer(blobs["sums"], dtype=np.float32).copy().reshape(len(sizes), dim) if dim else \
            np.zeros((0, 0), np.float32)
        pend_keys = list(meta.get("pending", []))
        pend = np.frombuffer(blobs.get("pending", b""), dtype=np.float32).copy()
        pending = {}
        if pend_keys and dim:
            pend = pend.reshape(len(pend_keys), dim)
            pending = {k: pend[i] for i, k in enumerate(pend_keys)}
        return cls(
            vectorizer=vectorizer,
            sums=sums,
            sizes=sizes,
            members={str(k): int(v) for k, v in meta["members"].items()},
            seen={str(k): str(v) for k, v in meta["seen"].items()},
            scores={str(k): float(v) for k, v in meta.get("scores", {}).items()},
            names={int(k): str(v) for k, v in meta.get("names", {}).items()},
            labels={str(k): str(v) for k, v in meta.get("labels", {}).items()},
            next_name=int(meta.get("next_name", 1)),
            pending=pending,
            computed_at=str(meta.get("computed_at", "")),
            min_size=int(meta.get("min_size", 2)),
        )


def top_keywords(term_lists: Sequence[list[str]], idf: Callable[[str], float], n: int = 5) -> list[str]:
    """The words that mark a group: in many of its members (document frequency) and rare elsewhere (idf)."""
    df: Counter[str] = Counter()
    for terms in term_lists:
        df.update(set(terms))
    scored = sorted(df.items(), key=lambda kv: (-(kv[1] * idf(kv[0])), kv[0]))
    return [t for t, c in scored if c >= 2 or len(term_lists) < 2][:n]
