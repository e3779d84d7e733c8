"""ui/workers.py: jobs run off the UI thread, results come back on it, cancel and teardown join."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from PySide6.QtCore import QObject

from ui.workers import Workers


@pytest.fixture
def pool(qtbot: object) -> Iterator[Workers]:
    w = Workers()
    yield w
    assert w.shutdown(10_000)


def test_run_delivers_result_on_ui_thread(qtbot, pool: Workers) -> None:
    main = threading.get_ident()
    seen: dict[str, int] = {}

    def op() -> int:
        seen["op"] = threading.get_ident()
        return 42

    results: list[int] = []

    def success(value: int) -> None:
        seen["cb"] = threading.get_ident()
        results.append(value)

    job = pool.run("answer", op, success)
    with qtbot.waitSignal(job.finished, timeout=5000):
        pass
    assert results == [42]
    assert seen["op"] != main
    assert seen["cb"] == main


def test_run_failure_reaches_failure_callback(qtbot, pool: Workers) -> None:
    errors: list[BaseException] = []

    def op() -> None:
        raise ValueError("bad input")

    job = pool.run("x", op, failure=errors.append)
    with qtbot.waitSignal(job.finished, timeout=5000):
        pass
    assert isinstance(errors[0], ValueError)


def test_stream_items_in_order_and_done(qtbot, pool: Workers) -> None:
    items: list[int] = []
    finished: list[bool] = []
    threads: set[int] = set()

    def factory(cancel: threading.Event) -> Iterator[int]:
        for i in range(50):
            threads.add(threading.get_ident())
            yield i

    job = pool.stream("tokens", factory, items.append, done=finished.append)
    with qtbot.waitSignal(job.finished, timeout=5000):
        pass
    assert items == list(range(50))
    assert finished == [False]
    assert threading.get_ident() not in threads


def test_stream_throttled_keeps_the_last_item(qtbot, pool: Workers) -> None:
    items: list[int] = []
    job = pool.stream("progress", lambda cancel: iter(range(10_000)), items.append, throttle_ms=50)
    with qtbot.waitSignal(job.finished, timeout=10_000):
        pass
    assert items[-1] == 9999
    assert len(items) < 10_000


def test_cancel_stops_a_stream_and_reports_cancelled(qtbot, pool: Workers) -> None:
    gate = threading.Event()
    items: list[int] = []
    finished: list[bool] = []

    def factory(cancel: threading.Event) -> Iterator[int]:
        i = 0
        while not cancel.is_set():
            yield i
            i += 1
            gate.set()
            cancel.wait(0.01)

    job = pool.stream("endless", factory, items.append, done=finished.append)
    assert gate.wait(5)
    job.cancel()
    with qtbot.waitSignal(job.finished, timeout=5000):
        pass
    assert finished == [True]


def test_owner_destroyed_drops_callbacks(qtbot, pool: Workers) -> None:
    owner = QObject()
    release = threading.Event()
    called: list[int] = []

    def op() -> int:
        release.wait(5)
        return 1

    job = pool.run("late", op, called.append, owner=owner)
    owner.deleteLater()
    qtbot.waitUntil(lambda: job.cancelled, timeout=5000)
    release.set()
    assert job.wait(5)
    qtbot.wait(50)
    assert called == []


def test_shutdown_cancels_and_joins(qtbot) -> None:
    w = Workers()
    started = threading.Event()

    def factory(cancel: threading.Event) -> Iterator[int]:
        started.set()
        while not cancel.is_set():
            cancel.wait(0.01)
            yield 0

    job = w.stream("forever", factory, lambda _: None)
    assert started.wait(5)
    assert w.shutdown(5000)
    assert not job.running
    with pytest.raises(RuntimeError):
        w.run("after", lambda: 1)


def test_a_held_stream_holds_while_it_runs_and_lets_go_when_cancelled(qtbot, pool: Workers) -> None:
    """``holding``: Services.answering is held from the stream's first item to its end — also when the stream
    is cancelled midway — so the background embedding pass waits exactly that long."""
    import contextlib

    from ui.workers import held, holding

    log: list[str] = []

    @contextlib.contextmanager
    def hold() -> Iterator[None]:
        log.append("enter")
        try:
            yield
        finally:
            log.append("exit")

    def endless(cancel: threading.Event) -> Iterator[int]:
        i = 0
        while True:
            yield i
            i += 1
            cancel.wait(0.01)

    gate = threading.Event()
    items: list[int] = []

    def factory(cancel: threading.Event) -> Iterator[int]:
        return holding(hold, endless(cancel))

    job = pool.stream("held", factory, lambda i: (items.append(i), gate.set()))
    qtbot.waitUntil(lambda: len(items) > 2, timeout=5000)
    assert log == ["enter"]
    job.cancel()
    with qtbot.waitSignal(job.finished, timeout=5000):
        pass
    qtbot.waitUntil(lambda: log == ["enter", "exit"], timeout=5000)
    log.clear()
    assert list(holding(hold, iter([1, 2]))) == [1, 2] and log == ["enter", "exit"]
    log.clear()
    assert held(hold, lambda: log.append("run") or 7)() == 7 and log == ["enter", "run", "exit"]
    assert held(None, lambda: 8)() == 8 and list(holding(None, iter([3]))) == [3]
