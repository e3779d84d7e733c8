"""モデル page: installed models, importing a GGUF with progress (and a clear error for a bad file), using
a model, and settings saved and applied on reload — with the real tiny model."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from desktop.services import Services
from local_models import RECOMMENDED
from ui.pages.model import ModelPage


@pytest.fixture
def page(qtbot: Any, services: Services) -> ModelPage:
    p = ModelPage(services)
    qtbot.addWidget(p)
    p.show()
    return p


def test_lists_installed_and_recommended_and_says_it_downloads_nothing(qtbot: Any, page: ModelPage) -> None:
    with qtbot.waitSignal(page.modelsScanned, timeout=30_000):
        page.activated()
    names = [e.name for e in page.entries]
    assert "SmolLM2-135M-Instruct.Q4_1.gguf" in names
    assert page.table.rowCount() == len(names)
    text = page.recommended.toPlainText()
    assert all(r.name in text for r in RECOMMENDED)
    assert page.active_name.text() == page.active_name.text().strip()
    page.teardown()


def test_import_bad_file_shows_error_and_leaves_nothing(qtbot: Any, page: ModelPage, services: Services, tmp_path: Path) -> None:
    bad = tmp_path / "broken.gguf"
    bad.write_bytes(b"not a gguf file at all" * 100)
    with qtbot.waitSignal(page.importFinished, timeout=30_000) as blocker:
        page.import_file(bad)
    assert blocker.args == [False]
    assert "GGUF" in page.import_label.text() or page.import_label.text()
    assert not list(services.home.models_dir.glob("*.gguf"))
    assert not list(services.home.models_dir.glob(".*part"))


@pytest.mark.model
def test_import_then_use_the_model(qtbot: Any, page: ModelPage, services: Services, tiny_model: Path, tmp_path: Path) -> None:
    source = tmp_path / "outside" / "my-model.gguf"
    source.parent.mkdir()
    shutil.copy2(tiny_model, source)
    with qtbot.waitSignal(page.importFinished, timeout=120_000) as blocker:
        page.import_file(source)
    assert blocker.args == [True]
    imported = services.home.models_dir / "my-model.gguf"
    assert imported.is_file() and imported.stat().st_size == source.stat().st_size
    qtbot.waitUntil(lambda: any(e.name == "my-model.gguf" for e in page.entries), timeout=30_000)
    page.use_model(imported)
    qtbot.waitUntil(lambda: services.runtime.state in ("ready", "error"), timeout=120_000)
    assert services.runtime.state == "ready", services.runtime.error
    assert services.settings.model.active == "my-model.gguf"
    page._show_active()
    assert page.active_name.text() == "my-model.gguf"


@pytest.mark.model
def test_settings_saved_and_applied_on_reload(qtbot: Any, page: ModelPage, services: Services, tiny_model: Path) -> None:
    services.settings.model.active = str(tiny_model)
    page.threads.setValue(1)
    page.n_ctx.setValue(1024)
    page.temperature.setValue(0.5)
    page.apply_settings()
    qtbot.waitUntil(lambda: services.runtime.config.n_ctx == 1024, timeout=30_000)
    qtbot.waitUntil(lambda: services.runtime.state in ("ready", "error"), timeout=120_000)
    assert services.runtime.state == "ready"
    assert services.runtime.config.n_threads == 1
    assert services.runtime.config.temperature == 0.5
    saved = services.settings.load(services.home.settings_file)
    assert (saved.model.n_threads, saved.model.n_ctx, saved.model.temperature) == (1, 1024, 0.5)


def test_embedder_card_offers_the_embedding_models_and_turns_the_layer_off(
        qtbot: Any, page: ModelPage, services: Services) -> None:
    page.activated()
    combo = page.embedder.choice
    qtbot.waitUntil(lambda: combo.count() > 0, timeout=30_000)
    names = [combo.itemText(i) for i in range(combo.count())]
    assert "embeddinggemma-300m-q8_0.gguf" in names  # the set-up's embedder, found in the bundled folder
    assert "SmolLM2-135M-Instruct.Q4_1.gguf" not in names  # a chat model is not offered
    combo.setCurrentIndex(combo.count() - 1)  # 使わない(語句検索のみ)
    page.embedder.apply()
    qtbot.waitUntil(lambda: page.embedder.apply_button.isEnabled(), timeout=30_000)
    assert services.settings.kb.embedder == "none"
    assert services.kb.semantic is None
    assert "語句" in page.embedder.status.text()
    page.teardown()


@pytest.mark.model
def test_choosing_the_embedder_re_embeds_in_the_background(
        qtbot: Any, page: ModelPage, services: Services, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from tests.conftest import EMBEDDER

    monkeypatch.delenv("SOUMU_DESK_EMBEDDER")  # the setting decides, as in the app
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "慶弔.md").write_text("# 慶弔休暇\n\n第3条 父母の死亡のときは5日の休暇を与える。\n", encoding="utf-8")
    for _ in services.kb.index(folders=[docs]):
        pass
    page.activated()
    combo = page.embedder.choice
    qtbot.waitUntil(lambda: combo.count() > 1, timeout=30_000)
    combo.setCurrentIndex(combo.findText(EMBEDDER.name))
    page.embedder.apply()
    qtbot.waitUntil(lambda: page.embedder.apply_button.isEnabled(), timeout=60_000)
    assert services.settings.kb.embedder == EMBEDDER.name
    assert services.kb.semantic is not None
    qtbot.waitUntil(lambda: not services.embedding.running and services.embedding.done == services.embedding.total > 0,
                    timeout=300_000)
    hits = services.kb.search("親が亡くなったら何日休める？", 3)
    assert hits and getattr(hits[0], "similarity", None) is not None
    page.teardown()
