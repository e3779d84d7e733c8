"""Sentence embeddings from a GGUF embedding model (llama.cpp, ``Llama(embedding=True)``).

The knowledge base stores one vector per chunk and compares the question's vector with them, so a
question in everyday words (親が亡くなったら) finds the rule in the rules' words (父母の死亡). This module only
turns text into unit vectors; ``kb`` stores and searches them and never imports this module (DESIGN.md §1):
``desktop`` hands ``kb`` the two functions below.

- **Which model**: the set-up converts the official EmbeddingGemma-300M (sha256-verified, see
  ``installers/fetch_models.py``) to ``embeddinggemma-300m-q8_0.gguf``; users may import any embedding GGUF
  (multilingual-e5, ruri-v3, bge-m3, nomic-embed, Qwen3-Embedding …) on the モデル page.
- **Prompts**: embedding models are trained with task prefixes; the wrong prefix costs several points of
  recall. :func:`prompts_for` picks them from the file's metadata (architecture and name); unknown models get
  none, which is right for bge-m3-like models.
- **Threads**: a ``Llama`` is not thread-safe, so each :class:`Embedder` has a lock. The background pass that
  embeds the chunks and the search that embeds the question use two instances (the weights are mmap-ed, so
  the second costs a context, not another copy of the model), so a question never waits for a batch.
- **Matryoshka**: EmbeddingGemma's vectors may be cut to 512/256/128 dimensions and re-normalised with little
  loss; :attr:`Embedder.search_dim` says how many dimensions the index keeps in memory for searching.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from local_models.gguf_info import GgufInfo, ModelFileError, read_gguf_info

log = logging.getLogger(__name__)

DEFAULT_EMBEDDER_FILE = "embeddinggemma-300m-q8_0.gguf"
MAX_PASSAGE_CHARS = 800  # a chunk longer than this is embedded by its beginning (title, heading, first lines)

# Architectures llama.cpp runs as sentence encoders (it pools token states into one vector).
EMBEDDING_ARCHITECTURES = frozenset({
    "bert", "nomic-bert", "nomic-bert-moe", "jina-bert-v2", "jina-bert-v3", "t5encoder", "gemma-embedding",
    "modern-bert", "neo-bert", "eurobert", "xlm-roberta",
})


@dataclass(frozen=True)
class Prompts:
    query: str
    passage: str  # may contain {title}
    matryoshka: bool = False  # vectors may be truncated to fewer dimensions


# Task prefixes from each model family's card.
_FAMILIES: tuple[tuple[str, Prompts], ...] = (
    ("embeddinggemma", Prompts("task: search result | query: ", "title: {title} | text: ", True)),
    ("gemma-embedding", Prompts("task: search result | query: ", "title: {title} | text: ", True)),
    ("ruri", Prompts("検索クエリ: ", "検索文書: ")),
    ("e5", Prompts("query: ", "passage: ")),
    ("nomic", Prompts("search_query: ", "search_document: ", True)),
    ("qwen3", Prompts("Instruct: Given a question, retrieve passages of company rules that answer it\nQuery:", "")),
    ("bge", Prompts("", "")),
)


def is_embedding_model(info: GgufInfo) -> bool:
    """True for a GGUF whose header says it is a sentence encoder (not a chat model)."""
    arch = info.architecture
    return arch in EMBEDDING_ARCHITECTURES or f"{arch}.pooling_type" in info.metadata


def prompts_for(info: GgufInfo) -> Prompts:
    names = f"{info.architecture} {info.name} {info.path.name}".lower()
    for key, prompts in _FAMILIES:
        if key in names:
            return prompts
    return Prompts("", "")


def check_embedder(info: GgufInfo) -> None:
    """Raise :class:`ModelFileError` unless the file is a complete embedding GGUF."""
    if info.truncated:
        raise ModelFileError(
            "truncated",
            f"モデルファイルが途中で切れています（{info.file_size:,} / {info.expected_size:,} バイト）: {info.path.name}",
            f"the model file is truncated ({info.file_size:,} of {info.expected_size:,} bytes): {info.path.name}",
        )
    if not is_embedding_model(info):
        raise ModelFileError(
            "not_embedding",
            f"文の埋め込み（検索）用のモデルではありません（{info.architecture or '不明'}）: {info.path.name}",
            f"not a sentence-embedding model (architecture {info.architecture or 'unknown'!r}): {info.path.name}",
        )


class EmbedderError(RuntimeError):
    def __init__(self, message_ja: str, message_en: str) -> None:
        super().__init__(message_en)
        self.message_ja = message_ja
        self.message_en = message_en


class Embedder:
    """A loaded embedding model: text in, L2-normalised float32 rows out. Thread-safe (one lock)."""

    def __init__(self, path: Path, n_threads: int = 0, n_ctx: int = 2048) -> None:
        self.path = Path(path)
        self.info = read_gguf_info(self.path)
        check_embedder(self.info)
        self.prompts = prompts_for(self.info)
        self.n_threads = n_threads
        self.n_ctx = min(n_ctx, self.info.context_length or n_ctx)
        self._llama: Any = None
        self._lock = threading.Lock()
        self.dim = int(self.info.metadata.get(f"{self.info.architecture}.embedding_length", 0) or 0)

    @property
    def model_id(self) -> str:
        """Names the vectors this model makes: file name and size (a re-converted file is a new model)."""
        return f"{self.path.name}:{self.info.file_size}"

    @property
    def search_dim(self) -> int:
        """Dimensions kept for searching: 256 for Matryoshka models (a third of the memory), else all."""
        return 256 if self.prompts.matryoshka and self.dim > 256 else self.dim

    def _model(self) -> Any:
        if self._llama is None:
            import llama_cpp

            from local_models.runtime import LLAMA_LOAD_LOCK, default_threads

            try:
                with LLAMA_LOAD_LOCK:  # see its comment: concurrent loads lose the process's stdout/stderr
                    self._llama = llama_cpp.Llama(
                        model_path=str(self.path), embedding=True, n_ctx=self.n_ctx, n_batch=self.n_ctx,
                        n_ubatch=self.n_ctx, n_threads=self.n_threads or default_threads(), verbose=False,
                    )
            except (ValueError, RuntimeError, OSError) as exc:
                raise EmbedderError(
                    f"埋め込みモデルを読み込めませんでした: {self.path.name}（{exc}）",
                    f"could not load the embedding model {self.path.name}: {exc}",
                ) from exc
            n = self._llama.n_embd()
            self.dim = int(n)
        return self._llama

    def _embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim or 1), dtype=np.float32)
        with self._lock:
            model = self._model()
            # One text per call: llama.cpp attends over the whole batch (masked), so packing texts into one
            # batch costs quadratically more — measured 0.9 chunks/s for 8 at once vs 1.9 one at a time.
            rows = [model.embed(text, normalize=False, truncate=True) for text in texts]
        mat = np.asarray(rows, dtype=np.float32)
        if mat.ndim == 1:
            mat = mat[None, :]
        norms = np.linalg.norm(mat, axis=1, keepdims=True)
        return mat / np.maximum(norms, 1e-12)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._embed([self.prompts.query + t.strip() for t in texts])

    def embed_passages(self, items: Sequence[tuple[str, str]]) -> np.ndarray:
        """Vectors of ``(title, text)`` pairs; long texts are cut to :data:`MAX_PASSAGE_CHARS`."""
        texts = []
        for title, text in items:
            prefix = self.prompts.passage.replace("{title}", title.strip() or "none")
            texts.append(prefix + text.strip()[:MAX_PASSAGE_CHARS])
        return self._embed(texts)

    def close(self) -> None:
        with self._lock:
            if self._llama is not None:
                self._llama.close()
                self._llama = None
