"""Wiring of the semantic layer: the embedding model (``local_models``) handed to the knowledge base (``kb``).

Which embedder: ``settings.kb.embedder`` (a file name in a model folder, or a path); "" means the demo
embedder the set-up converted (EmbeddingGemma-300M), if it is there; ``"none"`` turns the layer off. The
environment variable ``SOUMU_DESK_EMBEDDER`` overrides the setting for one run (the same values) — e.g. on a
slow PC, or in tests that do not measure retrieval.

Two :class:`local_models.Embedder` instances share the (mmap-ed) weights: one embeds questions, one embeds
chunks in the background, so a question never queues behind a batch of chunks.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from desktop.settings import Settings

if TYPE_CHECKING:
    from kb import KnowledgeBase, SemanticModel
    from local_models.embedding import Embedder

log = logging.getLogger(__name__)

ENV = "SOUMU_DESK_EMBEDDER"
OFF = frozenset({"none", "off", "0", "false"})


def embedder_choice(settings: Settings) -> str:
    value = os.environ.get(ENV)
    return (value if value is not None else settings.kb.embedder).strip()


def embedder_path(settings: Settings, folders: Sequence[Path]) -> Path | None:
    """The embedding GGUF to use, or None (layer off, or no such file)."""
    from local_models import find_model
    from local_models.embedding import DEFAULT_EMBEDDER_FILE

    choice = embedder_choice(settings)
    if choice.lower() in OFF:
        return None
    return find_model(choice or DEFAULT_EMBEDDER_FILE, folders)


def semantic_model(path: Path, n_threads: int = 0) -> SemanticModel:
    """A :class:`kb.SemanticModel` over two embedders of ``path`` (header checked now, weights loaded on
    first use). Raises ``local_models.ModelFileError`` for a file that is not a usable embedding GGUF."""
    from desktop.answering import passage_sentences
    from kb import SemanticModel
    from local_models.embedding import Embedder

    pair = EmbedderPair(Embedder(path, n_threads=n_threads, n_ctx=512), Embedder(path, n_threads=n_threads, n_ctx=2048))
    queries = pair.queries
    return SemanticModel(
        model_id=f"{queries.model_id}:{queries.search_dim or 'all'}",
        embed_passages=pair.embed_passages,
        embed_query=pair.embed_query,
        dim=queries.search_dim,
        label=queries.info.name or path.name,
        embed_texts=pair.embed_texts,
        sentences=passage_sentences,
        embed_sentences=pair.embed_sentences,
    )


class EmbedderPair:
    """The two embedders behind a :class:`kb.SemanticModel` (its callables are this object's methods), so the
    one who built the model can free their llama.cpp contexts (:func:`close_semantic`)."""

    def __init__(self, queries: Embedder, passages: Embedder) -> None:
        self.queries, self.passages = queries, passages

    def embed_query(self, text: str) -> np.ndarray:
        return self.queries.embed_queries([text])[0]

    def embed_passages(self, items: Sequence[tuple[str, str]]) -> np.ndarray:
        return self.passages.embed_passages(items)

    def embed_texts(self, texts: Sequence[str]) -> np.ndarray:
        return self.queries.embed_passages([("none", t) for t in texts])

    def embed_sentences(self, texts: Sequence[str]) -> np.ndarray:
        """:meth:`embed_texts` on the passages' context: the background sentence pass never holds the one a
        question is embedded on."""
        return self.passages.embed_passages([("none", t) for t in texts])

    def close(self) -> None:
        self.queries.close()
        self.passages.close()


def close_semantic(model: SemanticModel | None) -> None:
    """Free the llama.cpp contexts of a model built by :func:`semantic_model` (a later use loads them again).

    Left to the garbage collector, ``Llama.__del__`` runs during interpreter shutdown, after llama.cpp's own
    teardown: noise on stderr, or a segfault, at the end of every command that embedded something."""
    owner = getattr(model.embed_query, "__self__", None) if model is not None else None
    if isinstance(owner, EmbedderPair):
        owner.close()


class TextEmbedder:
    """Short texts (logbook notes and questions) → unit rows, for :class:`desktop.themes.EmbeddingVectorizer`."""

    def __init__(self, path: Path, n_threads: int = 0) -> None:
        from local_models.embedding import Embedder

        self._embedder = Embedder(path, n_threads=n_threads, n_ctx=512)

    def embed(self, texts: Sequence[str], kind: str = "passage") -> np.ndarray:
        if kind == "query":
            return self._embedder.embed_queries(list(texts))
        return self._embedder.embed_passages([("none", t) for t in texts])

    def close(self) -> None:
        self._embedder.close()


def text_embedder(path: Path, n_threads: int = 0) -> TextEmbedder:
    return TextEmbedder(path, n_threads)


def attach(kbase: KnowledgeBase, settings: Settings, folders: Sequence[Path]) -> str | None:
    """Give ``kbase`` the configured embedder; returns why not (Japanese) when the layer stays off for a
    reason the user should see, else None."""
    from local_models import ModelFileError

    path = embedder_path(settings, folders)
    close_semantic(kbase.semantic)  # the previous embedder's contexts, if any
    if path is None:
        kbase.set_semantic(None)
        return None
    try:
        kbase.set_semantic(semantic_model(path, settings.model.n_threads))
    except ModelFileError as exc:
        log.warning("embedder unusable: %s", exc.message_en)
        kbase.set_semantic(None)
        return exc.message_ja
    return None


def embedder_candidates(folders: Sequence[Path]) -> list[Path]:
    """The embedding GGUFs in the model folders (imported ones and the set-up's), by name; the header only is
    read, so a bad file is simply not offered."""
    from local_models.embedding import is_embedding_model
    from local_models.gguf_info import read_gguf_info

    found: dict[str, Path] = {}
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.gguf")):
            try:
                info = read_gguf_info(path)
            except Exception:  # not a GGUF, truncated, unreadable: the モデル page says why elsewhere
                continue
            if is_embedding_model(info):
                found.setdefault(path.name, path)
    return list(found.values())


def choose_embedder(settings: Settings, path: Path | None, folders: Sequence[Path]) -> None:
    """Set ``kb.embedder`` to ``path`` (None: the semantic layer off, lexical search only), after checking that
    the file is an embedding model (raises ``local_models.ModelFileError`` with a message in both languages).
    The caller saves the settings and re-embeds (``Services.change_embedder`` does both)."""
    if path is None:
        settings.kb.embedder = "none"
        return
    from local_models.embedding import check_embedder
    from local_models.gguf_info import read_gguf_info

    check_embedder(read_gguf_info(path))
    inside = any(path.resolve().parent == f.resolve() for f in folders if f.is_dir())
    settings.kb.embedder = path.name if inside else str(path.resolve())
