"""ナレッジ page: add a folder, index it off the UI thread with progress, show counts and the files that could
not be read (with the reason in the current language), cancel, and remove the folder."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QMessageBox

from desktop.services import Services
from tests.ui.helpers import english
from ui import i18n
from ui.pages.knowledge import KnowledgePage


@pytest.fixture
def page(qtbot: Any, services: Services) -> KnowledgePage:
    p = KnowledgePage(services)
    qtbot.addWidget(p)
    p.show()
    return p


def cell(table: Any, row: int, col: int) -> str:
    item = table.item(row, col)
    assert item is not None
    return str(item.text())


def with_broken_file(folder: Path) -> Path:
    (folder / "壊れた資料.pdf").write_bytes(b"%PDF-1.7 this is not really a pdf")
    return folder


def test_empty_state_guides_the_user(qtbot: Any, page: KnowledgePage) -> None:
    with qtbot.waitSignal(page.statusRefreshed, timeout=10_000):
        page.refresh()
    assert page.empty_sources.isVisible()
    assert not page.sources_table.isVisible()


def test_add_folder_indexes_off_the_ui_thread_and_lists_failures(
    qtbot: Any, page: KnowledgePage, services: Services, demo_docs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with_broken_file(demo_docs)
    threads: list[int] = []
    real_index = services.index

    def index(*args: Any, **kwargs: Any) -> Any:
        threads.append(threading.get_ident())
        yield from real_index(*args, **kwargs)

    monkeypatch.setattr(services, "index", index)
    states: list[str] = []
    page.indexStateChanged.connect(states.append)
    with qtbot.waitSignal(page.indexFinished, timeout=120_000):
        page.add_folder(str(demo_docs))
    qtbot.waitUntil(lambda: page.status is not None and page.status.files > 0, timeout=10_000)
    assert threads and threading.get_ident() not in threads
    assert any("更新中" in s for s in states)
    status = page.status
    assert [Path(s.path) for s in status.sources] == [demo_docs.resolve()]
    assert status.files >= 8
    assert page.sources_table.rowCount() == 1
    assert cell(page.sources_table, 0, 0) == str(demo_docs.resolve())
    assert page.failures_table.rowCount() == 1
    assert cell(page.failures_table, 0, 0) == "壊れた資料.pdf"
    reason_ja = cell(page.failures_table, 0, 1)
    assert reason_ja and reason_ja == status.failures[0].reason_ja
    assert "完了" in page.progress_label.text()
    assert not page.progress.isVisible()

    # the reason follows the language
    i18n.set_language("en")
    en_page = KnowledgePage(services)
    qtbot.addWidget(en_page)
    with qtbot.waitSignal(en_page.statusRefreshed, timeout=10_000):
        en_page.refresh()
    assert cell(en_page.failures_table, 0, 1) == status.failures[0].reason_en


def test_reindex_of_unchanged_files_reads_nothing(qtbot: Any, page: KnowledgePage, indexed: Services) -> None:
    with qtbot.waitSignal(page.indexFinished, timeout=120_000):
        page.reindex()
    p = page.last_progress
    assert p.added == 0 and p.updated == 0 and p.unchanged >= 8


def test_cancel_stops_indexing(qtbot: Any, page: KnowledgePage, services: Services, tmp_path: Path) -> None:
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(300):
        (folder / f"規程{i:03d}.txt").write_text(f"第{i}条 テスト用の文書です。慶弔休暇 {i}", encoding="utf-8")
    services.kb.add_source(folder)
    page.reindex()
    qtbot.waitUntil(lambda: page.last_progress is not None and page.last_progress.done > 0, timeout=60_000)
    with qtbot.waitSignal(page.indexFinished, timeout=60_000):
        page.cancel_index()
    assert not page.indexing
    assert page.add_button.isEnabled()


def test_remove_folder_after_confirmation(
    qtbot: Any, page: KnowledgePage, indexed: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    with qtbot.waitSignal(page.statusRefreshed, timeout=10_000):
        page.refresh()
    page.sources_table.selectRow(0)
    monkeypatch.setattr(QMessageBox, "question", staticmethod(lambda *a, **k: QMessageBox.StandardButton.Yes))
    with qtbot.waitSignal(page.statusRefreshed, timeout=30_000):
        page.remove_selected()
    assert page.status.sources == []
    assert indexed.kb.search("慶弔休暇") == []


def test_watching_starts_after_indexing_and_reports_changes(
    qtbot: Any, page: KnowledgePage, indexed: Services, demo_docs: Path
) -> None:
    indexed.settings.kb.watch = True
    with qtbot.waitSignal(page.indexFinished, timeout=120_000):
        page.start_background()
    qtbot.waitUntil(lambda: indexed.watching, timeout=10_000)
    qtbot.waitUntil(lambda: "監視しています" in page.watch_label.text(), timeout=10_000)
    with qtbot.waitSignal(
        page.indexStateChanged, timeout=30_000, check_params_cb=lambda text: "反映しました" in text
    ):
        (demo_docs / "新しい通知.txt").write_text("第1条 新しい規程です。テレワーク手当は月3,000円。", encoding="utf-8")
    qtbot.waitUntil(lambda: bool(indexed.kb.search("テレワーク手当")), timeout=10_000)
    page.teardown()
    indexed.stop_watch()


def test_the_sentence_pass_shows_its_progress_in_both_languages(qtbot: Any, page: KnowledgePage,
                                                                services: Services) -> None:
    """After the chunks, the background pass embeds their sentences: the page says so, with a progress bar
    on the sentences, and says nothing of it once done."""
    from desktop.services import EmbeddingState

    services.embedding = EmbeddingState(model="EmbeddingGemma", done=40, total=40, sentences_done=120,
                                        sentences_total=300, sentences_running=True)
    page._update_semantic()
    assert "40 / 40 区切り" in page.semantic_label.text()
    assert "文のベクトルを作成中です(120 / 300 文)" in page.semantic_label.text()
    assert page.semantic_progress.isVisible()
    assert (page.semantic_progress.maximum(), page.semantic_progress.value()) == (300, 120)
    with english():
        page._update_semantic()
        assert "Preparing sentence vectors so answers come faster (120 / 300 sentences)." in page.semantic_label.text()
    services.embedding = EmbeddingState(model="EmbeddingGemma", done=40, total=40, sentences_done=300,
                                        sentences_total=300)
    page._update_semantic()
    assert "文のベクトル" not in page.semantic_label.text()
    assert not page.semantic_progress.isVisible()
