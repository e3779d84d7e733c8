"""The sentence pass (``KnowledgeBase.embed_sentences``), with the real embedder on real files: after the chunks,
every chunk's sentences get their vectors, so the first question about a passage embeds nothing before its
passages are shown; it is incremental, resumes after a cancel, drops what no chunk holds, is skipped past its
limit, and the app's background loop runs it after the chunks."""

from __future__ import annotations

import dataclasses
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop.answering import Answerer, PassagesFound, passage_sentences
from desktop.semantic import close_semantic, semantic_model
from desktop.services import Services
from desktop.settings import Settings
from kb import KnowledgeBase
from kb import semantic as kb_semantic
from tests.conftest import counting_texts, services_over

RULES = {
    "慶弔休暇規程.md": "# 慶弔休暇規程\n\n## 第3条（休暇日数）\n\n| 事由 | 日数 |\n|---|---|\n| 本人の結婚 | 5日 |\n"
                      "| 父母の死亡 | 5日 |\n| 祖父母の死亡 | 2日 |\n\n休暇は事由の発生から1か月以内に取得する。\n",
    "社用車利用ルール.md": "# 社用車利用ルール\n\n## 第9条（給油）\n\n給油は車両に備え付けの給油カードで行う。"
                         "現金で立て替えたときは領収書を添えて精算する。\n\n## 第10条（返却）\n\n"
                         "社用車は、原則として利用当日の19時までに返却する。鍵は総務部に返す。\n",
}


def _counting(kbase: KnowledgeBase) -> list[int]:
    """Count the texts the question-time embedder (``embed_texts``) is given from now on."""
    model, calls = counting_texts(kbase.semantic)
    kbase.set_semantic(model)
    return calls


def _write_rules(folder: Path) -> Path:
    folder.mkdir()
    for name, text in RULES.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def rules_kb(tmp_path: Path, embedder: Path) -> Iterator[tuple[KnowledgeBase, Path]]:
    docs = _write_rules(tmp_path / "docs")
    kbase = KnowledgeBase(tmp_path / "kb")
    for _ in kbase.index([docs]):
        pass
    kbase.set_semantic(semantic_model(embedder, n_threads=2))
    for _ in kbase.embed():
        pass
    yield kbase, docs
    close_semantic(kbase.semantic)
    kbase.close()


def _sentence_rows(kbase: KnowledgeBase) -> int:
    return kbase.vectors.conn().execute("SELECT COUNT(*) FROM sentences").fetchone()[0]


def _passages(kbase: KnowledgeBase, question: str) -> PassagesFound:
    for event in Answerer(kbase, None, Settings()).ask(question, 8):
        if isinstance(event, PassagesFound):
            return event
    raise AssertionError("no passages event")


def test_after_the_pass_a_first_question_embeds_no_sentence(rules_kb: tuple[KnowledgeBase, Path]) -> None:
    kbase, _docs = rules_kb
    steps = list(kbase.embed_sentences())
    last = steps[-1]
    assert all(s.stage == "sentences" for s in steps)
    assert last.finished and not last.skipped and last.done == last.total == last.embedded > 5
    assert _sentence_rows(kbase) == last.total
    # the same sentences the answer cuts a hit into
    expected = {s for (text,) in kbase.store.conn().execute("SELECT text FROM chunks") for s in passage_sentences(text)}
    assert last.total == len(expected)
    calls = _counting(kbase)
    found = _passages(kbase, "親が亡くなったら何日休める？")
    assert found.grounded and any("父母の死亡" in s.text for s in found.sources)
    found = _passages(kbase, "社用車のガソリンはどうやって入れる？")
    assert found.grounded and any("給油カード" in s.text for s in found.sources)
    assert calls == []  # every sentence's vector was already there
    again = list(kbase.embed_sentences())
    assert again[-1].finished and again[-1].embedded == 0  # incremental: nothing new


def test_a_changed_file_costs_only_its_new_sentences_and_drops_the_old(rules_kb: tuple[KnowledgeBase, Path]) -> None:
    kbase, docs = rules_kb
    first = list(kbase.embed_sentences())[-1]
    (docs / "社用車利用ルール.md").write_text(
        RULES["社用車利用ルール.md"].replace("19時", "20時"), encoding="utf-8")
    for _ in kbase.index([docs]):
        pass
    for _ in kbase.embed():
        pass
    last = list(kbase.embed_sentences())[-1]
    assert last.embedded == 1  # the one changed sentence
    assert last.total == first.total
    assert _sentence_rows(kbase) == last.total  # the 19時 sentence is gone from the cache


def test_a_cancelled_pass_resumes_where_it_stopped(rules_kb: tuple[KnowledgeBase, Path],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    kbase, _docs = rules_kb
    monkeypatch.setattr(kb_semantic, "SENTENCE_BATCH", 2)
    cancel = threading.Event()
    steps = []
    for step in kbase.embed_sentences(cancel):
        steps.append(step)
        if step.embedded:
            cancel.set()  # after the first committed batch
    assert not steps[-1].finished and steps[-1].embedded == 2
    assert _sentence_rows(kbase) == 2
    last = list(kbase.embed_sentences())[-1]
    assert last.finished and last.embedded == last.total - 2 and _sentence_rows(kbase) == last.total


def test_past_the_limit_the_pass_is_skipped_and_questions_embed_as_before(
        rules_kb: tuple[KnowledgeBase, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    kbase, _docs = rules_kb
    monkeypatch.setattr(kb_semantic, "SENTENCE_PRECOMPUTE_LIMIT", 3)
    steps = list(kbase.embed_sentences())
    assert len(steps) == 1 and steps[0].skipped and steps[0].finished and steps[0].total > 3
    assert _sentence_rows(kbase) == 0
    calls = _counting(kbase)
    assert _passages(kbase, "親が亡くなったら何日休める？").grounded
    assert calls and sum(calls) > 0  # the sentences are embedded when the question needs them


@pytest.fixture
def rules_services(embedder: Path, data_home: Path, tmp_path: Path) -> Iterator[Services]:
    services = services_over(data_home, _write_rules(tmp_path / "docs"))
    yield services
    services.close()


def _wait_for_both_passes(services: Services) -> None:
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        state = services.embedding
        if state.ready and state.sentences_total and not state.sentences_running and not state.running:
            return
        time.sleep(0.2)


def test_the_apps_background_loop_runs_the_sentence_pass_after_the_chunks(rules_services: Services) -> None:
    rules_services.start_embedding()
    _wait_for_both_passes(rules_services)
    state = rules_services.embedding
    assert state.ready and state.sentences_total > 5
    assert state.sentences_done == state.sentences_total and not state.sentences_running
    assert _sentence_rows(rules_services.kb) == state.sentences_total


def test_the_background_pass_waits_while_a_question_is_answered(rules_services: Services) -> None:
    """The embedding pass and an answer would share the two cores; the person at the desk comes first."""
    with rules_services.answering():
        assert rules_services.busy_answering
        rules_services.start_embedding()
        time.sleep(3.0)  # a batch takes well under this on 2 cores
        status = rules_services.kb.semantic_status() or {}
        assert status.get("embedded") == 0 and status.get("total", 0) > 0  # waiting before its first batch
    assert not rules_services.busy_answering
    _wait_for_both_passes(rules_services)
    state = rules_services.embedding
    assert state.ready and state.sentences_done == state.sentences_total > 5


def test_kb_index_embed_makes_the_chunk_and_sentence_vectors_and_says_so(
        embedder: Path, data_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from desktop.cli import main

    docs = _write_rules(tmp_path / "docs")
    assert main(["kb", "index", "--embed", str(docs)]) == 0
    out = capsys.readouterr().out
    chunks = re.search(r"意味検索 semantic: (\d+)/(\d+) chunks \((\d+) embedded", out)
    sentences = re.search(r"文ベクトル sentences: (\d+)/(\d+) sentences \((\d+) embedded", out)
    assert chunks and sentences, out
    assert chunks[1] == chunks[2] == chunks[3] and int(chunks[1]) > 0
    assert sentences[1] == sentences[2] == sentences[3] and int(sentences[1]) > 5
    assert main(["kb", "index", "--embed"]) == 0  # nothing changed: nothing embedded
    out = capsys.readouterr().out
    assert re.search(r"chunks \(0 embedded", out) and re.search(r"sentences \(0 embedded", out), out


def test_a_failed_sentence_pass_leaves_semantic_search_whole(rules_services: Services) -> None:
    """The sentence pass only saves time: when it fails, the layer is not reported broken, search and answers
    go on, and questions embed their sentences as before."""
    model = rules_services.kb.semantic
    assert model is not None

    def broken(_text: str) -> list[str]:
        raise OSError(28, "No space left on device")

    rules_services.kb.set_semantic(dataclasses.replace(model, sentences=broken))
    rules_services.start_embedding()
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and not (rules_services.embedding.ready and rules_services._embed_thread is None):
        time.sleep(0.2)
    state = rules_services.embedding
    assert state.ready and state.problem is None and not state.sentences_running
    assert _passages(rules_services.kb, "親が亡くなったら何日休める？").grounded
