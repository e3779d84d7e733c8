"""desktop/semantic.py: the embedders behind the knowledge base's semantic model are freed by whoever built
them (Services.close), not left to ``Llama.__del__`` at interpreter shutdown."""

from __future__ import annotations

from pathlib import Path

from desktop.semantic import EmbedderPair, close_semantic, semantic_model


def test_close_semantic_frees_both_contexts_and_a_later_use_reloads(embedder: Path) -> None:
    model = semantic_model(embedder, n_threads=1)
    pair = model.embed_query.__self__  # type: ignore[attr-defined]
    assert isinstance(pair, EmbedderPair)
    assert model.embed_query("有給休暇").size > 0
    assert pair.queries._llama is not None
    close_semantic(model)
    assert pair.queries._llama is None and pair.passages._llama is None
    assert model.embed_query("有給休暇").size  # loaded again on use
    close_semantic(model)
    close_semantic(None)  # no model: nothing to do


def test_services_close_frees_the_embedders(embedder: Path, data_home: Path, tmp_path: Path) -> None:
    """After Services.close() no llama.cpp context of the semantic layer is left for the garbage collector
    to free during interpreter shutdown (where ``Llama.__del__`` printed noise or crashed)."""
    from tests.conftest import services_over

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "規程.md").write_text("# 慶弔休暇\n父母が亡くなったときは5日の休暇を取得できる。\n", encoding="utf-8")
    services = services_over(data_home, docs)
    try:
        for _ in services.kb.embed():
            pass
        assert services.kb.search("親が亡くなった", k=1, mode="hybrid")
        model = services.kb.semantic
        assert model is not None
        pair = model.embed_query.__self__  # type: ignore[attr-defined]
        assert pair.queries._llama is not None and pair.passages._llama is not None  # both were used
    finally:
        services.close()
    assert pair.queries._llama is None and pair.passages._llama is None
