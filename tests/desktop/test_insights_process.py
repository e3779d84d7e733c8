"""desktop.insights_process: the logbook reading in a real child process, over a real encrypted logbook file
(the planted logbook of benchmarks/planted_logbook.py), with the key handed over the pipe."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

from benchmarks.planted_logbook import planted
from desktop.child_process import ChildDiedError
from desktop.insights_process import AnalysisError, AnalysisProcess, Reading
from desktop.insights_store import InsightsCache
from desktop.logbook import Logbook, Note
from desktop.logbook_insights import LogbookAnalysis
from desktop.narrative import check_narrative
from desktop.paths import DataHome
from desktop.settings import LogbookSettings

REPO = Path(__file__).resolve().parents[2]
TINY = sorted((REPO / "local_models" / "models").glob("SmolLM2-135M*.gguf"))


@pytest.fixture
def book(data_home: Path) -> Iterator[Logbook]:
    with Logbook.open(DataHome.open(data_home), LogbookSettings(backup_every_hours=0)) as b:
        planted().load_into(b)
        yield b


@pytest.fixture
def proc(book: Logbook) -> Iterator[AnalysisProcess]:
    p = AnalysisProcess(book)
    yield p
    p.close()


def test_the_child_reads_what_the_app_would_and_caches_it(book: Logbook, proc: AnalysisProcess) -> None:
    steps: list[tuple[str, int, int]] = []
    gen = proc.reading_steps("2026-11", "ja")
    while True:
        try:
            steps.append(next(gen))
        except StopIteration as stop:
            reading = stop.value
            break
    assert isinstance(reading, Reading) and proc.running
    assert {s[0] for s in steps} >= {"read", "collect"}  # progress came through the pipe
    here = LogbookAnalysis(book)  # the same reading in this process, from the model the child saved
    assert here.refresh().full is False  # the child left its themes model in the logbook's cache
    assert InsightsCache(book).get(here.cache_name) is not None
    assert [(t.id, t.label, t.ids) for t in reading.themes] == [(t.id, t.label, t.ids) for t in here.themes()]
    assert [(r.place, r.ids) for r in reading.recurring] == [(r.place, r.ids) for r in here.recurring()]
    assert len(reading.faq) >= 3 and reading.narrative.findings and reading.month == "2026-11"
    assert reading.kinds == {d.id: d.kind for d in here.docs}  # sent in parts, joined whole
    assert len(reading.citable.ids) >= len(here.docs) and reading.citable.themes
    assert check_narrative(None, reading.narrative, citable=reading.citable) == []


def test_a_new_note_is_read_incrementally_by_the_same_child(book: Logbook, proc: AnalysisProcess) -> None:
    first = proc.read("2026-11")
    assert first is not None
    pid = proc._child.process.pid if proc._child else None
    cold = next(t for t in first.themes if "寒" in t.label)
    note = book.notes.add(Note(text="会議室Aが寒すぎて冷房を弱めてほしい", place="本社3F 会議室A",
                               occurred_at="2026-11-20T10:00:00"))
    again = proc.read("2026-11")
    assert again is not None and note.id in again.kinds
    assert proc._child is not None and proc._child.process.pid == pid  # the child kept its analysis
    joined = next(t for t in again.themes if t.id == cold.id)
    assert note.id in joined.ids
    answer = proc.ask("大阪営業所で未対応のものは？", fiscal_start=4)
    assert answer.grounded and answer.ids and all(r.place == "大阪営業所" for r in answer.rows)
    assert proc.narrative("2026-11", "en").language == "en"


def test_cancel_stops_the_child_and_the_next_read_works(proc: AnalysisProcess) -> None:
    cancel = threading.Event()
    gen = proc.reading_steps("2026-11", "ja", recompute=True, cancel=cancel)
    next(gen)  # the child has started reading
    cancel.set()
    with pytest.raises(StopIteration) as stop:
        while True:
            next(gen)
    assert stop.value.value is None  # cancelled: nothing returned, nothing half-done kept
    reading = proc.read("2026-11")  # the child (or a new one, had it been killed) serves the next request
    assert reading is not None and reading.themes


def test_a_child_that_dies_is_reported_and_replaced(proc: AnalysisProcess) -> None:
    assert proc.read("2026-11") is not None
    child = proc._child
    assert child is not None
    gen = proc.reading_steps("2026-11", "ja", recompute=True)
    next(gen)
    child.process.kill()  # as the OS would, out of memory
    with pytest.raises(ChildDiedError) as died:
        while True:
            next(gen)
    assert "途中で終了" in died.value.message_ja and "ended early" in died.value.message_en
    gen.close()
    reading = proc.read("2026-11")  # a new child, from the themes model the first one saved
    assert reading is not None and reading.themes and proc._child is not child


def test_a_discarded_child_saves_nothing_and_a_new_one_reads(book: Logbook, proc: AnalysisProcess) -> None:
    assert proc.read("2026-11") is not None
    cache = InsightsCache(book)
    name = LogbookAnalysis(book).cache_name
    saved = cache.get(name)
    book.notes.add(Note(text="会議室Aが寒い", place="本社3F 会議室A", occurred_at="2026-11-21T10:00:00"))
    assert proc.read("2026-11") is not None  # one change: the child defers saving it
    child = proc._child
    assert child is not None
    proc.discard()  # as after a restore: the child's unsaved model belongs to the old file
    assert not child.process.is_alive() and proc._child is None
    assert cache.get(name) == saved
    again = proc.read("2026-11")
    assert again is not None and again.themes and proc.running


def test_a_wrong_key_is_refused_plainly(book: Logbook) -> None:
    other = SimpleNamespace(db=SimpleNamespace(path=book.db.path, key=b"\0" * 32), settings=book.settings,
                            backups_dir=book.backups_dir)
    p = AnalysisProcess(other)
    try:
        with pytest.raises(AnalysisError) as refused:
            p.read("2026-11")
        assert "鍵" in refused.value.message_ja and refused.value.message_en
    finally:
        p.close()


@pytest.mark.skipif(not TINY, reason="the tiny test model is not in local_models/models (run the set-up)")
def test_the_childs_model_requests_are_answered_by_the_apps_model(book: Logbook) -> None:
    from desktop.answering import runtime_config
    from desktop.settings import Settings
    from local_models import ModelRuntime

    with ModelRuntime(runtime_config(Settings())) as runtime:
        runtime.load(TINY[0])
        assert runtime.wait_until_loaded(timeout=120) and runtime.state == "ready"
        calls: list[int] = []
        complete_json = runtime.complete_json

        def counted(*args: object, **kwargs: object) -> object:
            calls.append(1)
            return complete_json(*args, **kwargs)  # type: ignore[arg-type]

        runtime.complete_json = counted  # type: ignore[method-assign]
        p = AnalysisProcess(book)  # read first without a model: no labels to write (15 model calls)
        try:
            reading = p.read("2026-11")
            assert reading is not None and not calls
            p.runtime = runtime  # the model is ready now: the child asks this process for the narrative
            narrative = p.narrative("2026-11", "ja", model=True)
            assert calls == [1]
            assert check_narrative(None, narrative, citable=reading.citable) == []
            assert narrative.findings and narrative.month == "2026-11"
        finally:
            p.close()

