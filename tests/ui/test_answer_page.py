"""回答 page: search as you type (off the UI thread, stale results dropped), answers with citations, stop,
copy, rating, the search log and the inquiry pre-fill — over the real index of the demo documents."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QUrl
from PySide6.QtWidgets import QApplication, QInputDialog

from desktop.services import Services
from tests.ui.helpers import english
from ui.pages.answer import AnswerPage, ResultCard, answer_html


@pytest.fixture
def page(qtbot: Any, indexed: Services) -> AnswerPage:
    p = AnswerPage(indexed)
    qtbot.addWidget(p)
    p.show()
    return p


def record_threads(obj: Any, name: str, threads: list[int], monkeypatch: pytest.MonkeyPatch) -> None:
    real = getattr(obj, name)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        threads.append(threading.get_ident())
        return real(*args, **kwargs)

    monkeypatch.setattr(obj, name, wrapper)


def test_typing_searches_off_the_ui_thread_and_shows_cards(
    qtbot: Any, page: AnswerPage, indexed: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    threads: list[int] = []
    record_threads(indexed.kb, "search", threads, monkeypatch)
    with qtbot.waitSignal(page.searchFinished, timeout=10_000):
        for ch in "慶弔休暇":  # typed one character at a time (QTest cannot type kanji)
            page.search_box.insert(ch)
    assert page.hits, "the demo documents mention 慶弔休暇"
    assert threads and threading.get_ident() not in threads
    cards = page.results_host.findChildren(ResultCard)
    assert len(cards) == len(page.hits)
    assert "慶弔" in cards[0].hit.text


@pytest.mark.model
def test_words_answer_at_once_and_meaning_joins_when_ready(
    qtbot: Any, services: Services, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from desktop.semantic import semantic_model
    from tests.conftest import EMBEDDER

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "慶弔.md").write_text("# 慶弔休暇\n\n## 第3条\n\n父母の死亡のときは5日の慶弔休暇を与える。\n",
                                 encoding="utf-8")
    (docs / "車.md").write_text("# 社用車\n\n## 第9条\n\n給油は車両に備え付けの給油カードで行う。\n", encoding="utf-8")
    for _ in services.kb.index(folders=[docs]):
        pass
    services.kb.set_semantic(semantic_model(EMBEDDER))
    for _ in services.kb.embed():
        pass
    modes: list[str] = []
    real = services.kb.search

    def spy(query: str, k: int = 10, mode: str = "hybrid") -> Any:
        modes.append(mode)
        return real(query, k, mode)

    monkeypatch.setattr(services.kb, "search", spy)
    page = AnswerPage(services)
    qtbot.addWidget(page)
    page.show()
    page.search_box.setText("ガソリンはどうやって入れる？")  # no word of the rules: only meaning finds 給油
    with qtbot.waitSignal(page.searchFinished, timeout=60_000):
        page.search_now()
    assert modes[0] == "lexical" and modes[-1] == "hybrid"  # words first, then the fused ranking replaced them
    assert page.hits and "給油" in page.hits[0].text
    assert getattr(page.hits[0], "similarity", None) is not None


def test_stale_results_are_dropped(qtbot: Any, page: AnswerPage) -> None:
    page.search_box.setText("社用車")
    page.search_now()
    page.search_box.setText("慶弔休暇")
    with qtbot.waitSignal(page.searchFinished, timeout=10_000):
        page.search_now()
    qtbot.waitUntil(lambda: not page.hits or "慶弔" in page.hits[0].text, timeout=10_000)
    assert page.hits and any("慶弔" in h.text for h in page.hits[:3])


def test_no_hits_shows_guidance(qtbot: Any, page: AnswerPage) -> None:
    page.search_box.setText("zzzqqqxxyy")
    with qtbot.waitSignal(page.searchFinished, timeout=10_000):
        page.search_now()
    assert page.hits == []
    assert "zzzqqqxxyy" in page.search_status.text()


def test_extractive_answer_without_model_cites_and_opens_source(
    qtbot: Any, page: AnswerPage, indexed: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    threads: list[int] = []
    record_threads(indexed.answerer, "ask", threads, monkeypatch)
    page.search_box.setText("慶弔休暇は何日もらえますか")
    with qtbot.waitSignal(page.answerFinished, timeout=30_000):
        page.ask()
    assert threads and threading.get_ident() not in threads
    s = page.state
    assert s.finished and s.grounded and s.extractive
    assert s.text and "[" in s.text
    assert page.listed_sources()
    assert 'href="cite:' in page.answer_view.toHtml()
    assert not page.model_hint.isHidden()  # says there is no model and where to import one
    n, ref = page.listed_sources()[0]
    page._on_anchor(QUrl(f"cite:{n}"))
    assert page.viewer is not None and page.viewer.isVisible()
    assert page.viewer.ref is not None and page.viewer.ref.path == ref.path
    page.viewer.close()


def test_not_grounded_answer_says_so(qtbot: Any, page: AnswerPage) -> None:
    page.search_box.setText("火星への転勤手当はいくらですか")
    with qtbot.waitSignal(page.answerFinished, timeout=30_000):
        page.ask()
    assert page.state.finished and not page.state.grounded
    assert page.gap_label.isVisible()
    assert page.state.sources == []


def test_copy_rate_and_search_log(qtbot: Any, page: AnswerPage, indexed: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    book = indexed.logbook  # opened (memory keyring): the page records into it
    page.search_box.setText("慶弔休暇は何日もらえますか")
    with qtbot.waitSignal(page.answerFinished, timeout=30_000):
        page.ask()
    qtbot.waitUntil(lambda: bool(page.state.log_id), timeout=10_000)
    page.copy_answer()
    clip = QApplication.clipboard().text()
    assert page.state.text.strip() in clip and "[" in clip
    monkeypatch.setattr(QInputDialog, "getText", staticmethod(lambda *a, **k: ("日数が書いていない", True)))
    page.rate("bad")
    assert not page.bad_button.isEnabled()

    def rated() -> bool:
        entries = book.searchlog.entries()
        return any(e.kind == "ask" and e.rating == "Bad" and e.rating_reason == "日数が書いていない" for e in entries)

    qtbot.waitUntil(rated, timeout=10_000)


def test_inquiry_prefill_has_question_answer_sources_channel_minutes(qtbot: Any, page: AnswerPage) -> None:
    page.search_box.setText("出張の日当はいくらですか")
    with qtbot.waitSignal(page.answerFinished, timeout=30_000):
        page.ask()
    pre = page.inquiry_prefill()
    assert pre["question"] == "出張の日当はいくらですか"
    assert pre["answer"] == page.state.text
    assert pre["channel"] == "電話"
    assert pre["minutes"] >= 1
    assert all({"path", "title", "location"} <= set(s) for s in pre["sources"])
    page.record_inquiry()
    dialogs: list[Any] = [w for w in QApplication.topLevelWidgets() if type(w).__name__ == "InquiryFormDialog"]
    assert len(dialogs) == 1
    assert dialogs[0].question.toPlainText() == "出張の日当はいくらですか"
    dialogs[0].done(0)  # close without its "discard what you typed?" question


@pytest.mark.model
@pytest.mark.slow
def test_model_answer_streams_off_the_ui_thread_and_stops(
    qtbot: Any, tiny_services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = AnswerPage(tiny_services)
    qtbot.addWidget(page)
    threads: list[int] = []
    record_threads(tiny_services.runtime, "chat", threads, monkeypatch)
    page.search_box.setText("慶弔休暇は何日もらえますか")
    page.ask()
    # tokens arrive on the UI thread while the model works on its own thread
    qtbot.waitUntil(lambda: bool(page.state.text) and not page.state.finished, timeout=240_000)
    assert page.stop_button.isEnabled()
    with qtbot.waitSignal(page.answerFinished, timeout=60_000):
        page.stop()
    assert threads and threading.get_ident() not in threads
    assert page.state.finished and page.state.cancelled
    assert "停止" in page.answer_view.toPlainText()


def test_answer_html_links_only_known_citations() -> None:
    html = answer_html("A [1] B [3] <x>", 2)
    assert 'href="cite:1"' in html and 'href="cite:3"' not in html and "&lt;x&gt;" in html


def test_viewer_opens_pdf_at_the_cited_page(qtbot: Any, demo_docs: Path) -> None:
    from ui.viewer import SourceRef, SourceViewer

    pdf = next(demo_docs.glob("*.pdf"))
    viewer = SourceViewer()
    qtbot.addWidget(viewer)
    viewer.show_source(SourceRef(path=str(pdf), title="出張旅費規程", location="p.2", page=2, text="第5条"))
    assert viewer.pdf_view.isVisible()
    qtbot.waitUntil(lambda: viewer.current_pdf_page() == min(1, viewer.pdf_doc.pageCount() - 1), timeout=5000)
    text_file = next(demo_docs.glob("*.md"))
    viewer.show_source(SourceRef(path=str(text_file), title="慶弔", text="慶弔休暇は5日", highlights=[(0, 4)]))
    assert viewer.text_view.isVisible() and "慶弔休暇" in viewer.text_view.toPlainText()
    viewer.close()


def test_an_answer_whose_draft_was_replaced_says_so(qtbot: Any, page: AnswerPage) -> None:
    page.search_box.setText("慶弔休暇は何日もらえますか")
    with qtbot.waitSignal(page.answerFinished, timeout=30_000):
        page.ask()
    no_model = "資料からの抜粋です(AIモデルなし)"
    assert no_model in page.answer_view.toPlainText()  # no model loaded: the extracts, said plainly
    s = page.state
    page._on_answer_event(("result", {"text": s.text, "sources": s.sources, "cited": s.cited, "grounded": True,
                                      "extractive": True, "doubtful": False, "replaced": True, "model": None}))
    shown = page.answer_view.toPlainText()
    assert "AIモデルの下書きが資料の記載と合わなかった" in shown and no_model not in shown
    with english():
        page._render_answer()
        assert "The AI model's draft did not match" in page.answer_view.toPlainText()


def test_an_answer_the_model_doubted_asks_staff_to_check_the_passages(qtbot: Any, page: AnswerPage) -> None:
    page.search_box.setText("慶弔休暇は何日もらえますか")
    with qtbot.waitSignal(page.answerFinished, timeout=30_000):
        page.ask()
    caution = "AIモデル自身が、この資料で答えられるか迷っています"
    assert caution not in page.answer_view.toPlainText()  # no model: no judgment, no caution
    s = page.state
    page._on_answer_event(("result", {"text": s.text, "sources": s.sources, "cited": s.cited, "grounded": True,
                                      "extractive": False, "doubtful": True, "model": "m.gguf"}))
    assert page.state.doubtful and caution in page.answer_view.toPlainText()
    page._on_answer_event(("result", {"text": "", "sources": [], "cited": [], "grounded": False,
                                      "extractive": False, "doubtful": True, "model": None}))
    assert caution not in page.answer_view.toPlainText()  # "not found" needs no caution


def test_an_answer_holds_the_background_embedding_back_while_it_runs(
    qtbot: Any, page: AnswerPage, indexed: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While the page's answer runs on its pool thread, Services.answering is held (the embedding pass waits
    between batches); it is released when the answer is done."""
    seen: list[bool] = []
    real_ask = indexed.answerer.ask

    def ask(*args: Any, **kwargs: Any) -> Any:
        seen.append(indexed.busy_answering)
        yield from real_ask(*args, **kwargs)

    monkeypatch.setattr(indexed.answerer, "ask", ask)
    assert not indexed.busy_answering
    page.search_box.setText("慶弔休暇は何日もらえますか")
    with qtbot.waitSignal(page.answerFinished, timeout=30_000):
        page.ask()
    assert seen == [True]
    qtbot.waitUntil(lambda: not indexed.busy_answering, timeout=5_000)
