"""Thread adapters: run slow service calls off the UI thread and bring results back as signals.

Two shapes, after Anki's ``QueryOp`` and TagStudio's generator-driven refresh (STYLE.md §2, §5):

* :meth:`Workers.run` — a short job: ``op()`` runs on a pool thread; ``success(result)`` or
  ``failure(exc)`` runs later on the UI thread.
* :meth:`Workers.stream` — a long generator (index progress, answer tokens): ``factory(cancel)`` returns an
  iterator that runs on a pool thread; each item is delivered on the UI thread through ``item(value)``.
  ``cancel`` is a :class:`threading.Event` the generator (and the service under it) checks.

A job never touches a widget: it only calls services. Callbacks run on the UI thread because each
:class:`Job` is a ``QObject`` created on the UI thread and its cross-thread signals are delivered queued to
its own slots. :meth:`Workers.shutdown` cancels every job and joins the pool, so no callback fires into a
window that is being torn down.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from typing import Any, TypeVar

from PySide6.QtCore import QCoreApplication, QObject, QRunnable, QThreadPool, QTimer, Signal, Slot

log = logging.getLogger(__name__)

T = TypeVar("T")
Hold = Callable[[], AbstractContextManager[Any]]


def holding(hold: Hold | None, items: Iterable[T]) -> Iterator[T]:
    """``items`` produced with ``hold()`` held (``Services.answering``: while the local model works for the
    person at the desk, the background embedding pass waits); released when they end or the stream is closed."""
    with hold() if hold is not None else contextlib.nullcontext():
        yield from items


def held(hold: Hold | None, fn: Callable[[], T]) -> Callable[[], T]:
    """``fn`` to run with ``hold()`` held (see :func:`holding`)."""
    def run() -> T:
        with hold() if hold is not None else contextlib.nullcontext():
            return fn()
    return run

class Job(QObject):
    """One background job.

    Signals (UI thread): ``finished()`` after success, failure or cancel — always exactly once.
    """

    finished = Signal()

    # internal: emitted from the pool thread, delivered queued to the slots below on the UI thread
    _succeeded = Signal(object)
    _failed = Signal(object)
    _item = Signal(object)
    _ended = Signal()

    def __init__(
        self,
        name: str,
        success: Callable[[Any], None] | None = None,
        failure: Callable[[BaseException], None] | None = None,
        item: Callable[[Any], None] | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.name = name
        self.cancel_event = threading.Event()
        self._done_event = threading.Event()
        self._closed = False
        self._on_end: Callable[[Job], None] | None = None
        self._on_success = success
        self._on_failure = failure
        self._on_item = item
        self._succeeded.connect(self._deliver_success)
        self._failed.connect(self._deliver_failure)
        self._item.connect(self._deliver_item)
        self._ended.connect(self._deliver_end)

    # -- public ---------------------------------------------------------------------------------
    def cancel(self) -> None:
        """Ask the job to stop; generators see it at their next item, services at their next check."""
        self.cancel_event.set()

    @property
    def cancelled(self) -> bool:
        return self.cancel_event.is_set()

    @property
    def running(self) -> bool:
        return not self._done_event.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the pool thread is done (used by teardown and tests, never by widgets)."""
        return self._done_event.wait(timeout)

    def close(self) -> None:
        """Drop every callback still queued: the owner is going away."""
        self._closed = True
        self.cancel()

    # -- delivery on the UI thread ---------------------------------------------------------------
    @Slot(object)
    def _deliver_success(self, value: object) -> None:
        if not self._closed and self._on_success is not None:
            self._on_success(value)

    @Slot(object)
    def _deliver_failure(self, exc: object) -> None:
        if self._closed:
            return
        if self._on_failure is not None:
            self._on_failure(exc)  # type: ignore[arg-type]
        else:
            log.error("background job %s failed: %r", self.name, exc)

    @Slot(object)
    def _deliver_item(self, value: object) -> None:
        if not self._closed and self._on_item is not None:
            self._on_item(value)

    @Slot()
    def _deliver_end(self) -> None:
        if not self._closed:
            self.finished.emit()
        if self._on_end is not None:
            self._on_end(self)
        self.deleteLater()


def _job_parent() -> QObject | None:
    """Jobs hang off the application object: C++ owns them (so the last Python reference, which may be
    dropped on a pool thread, never deletes a QObject there), and they outlive a :class:`Workers` that is
    deleted with events still queued. Each job deletes itself on the UI thread once delivered."""
    return QCoreApplication.instance()


class _Runnable(QRunnable):
    def __init__(self, job: Job, body: Callable[[], None]) -> None:
        super().__init__()
        self.setAutoDelete(True)
        self._job = job
        self._body = body

    def run(self) -> None:
        try:
            self._body()
        finally:
            self._job._ended.emit()
            self._job._done_event.set()


class Workers(QObject):
    """Owns the thread pool for the whole app and every job running on it."""

    def __init__(self, parent: QObject | None = None, max_threads: int = 8) -> None:
        super().__init__(parent)
        # A private pool: the global one is sized by CPU count (2 here) and long generators
        # (indexing, an answer stream) would starve the short search jobs.
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(max_threads)
        self._jobs: set[Job] = set()
        self._lock = threading.Lock()
        self._shut = False

    def run(
        self,
        name: str,
        op: Callable[[], T],
        success: Callable[[T], None] | None = None,
        failure: Callable[[BaseException], None] | None = None,
        owner: QObject | None = None,
    ) -> Job:
        """Run ``op()`` on a pool thread; deliver its result or exception on the UI thread.

        With ``owner`` (usually the page), callbacks are dropped once the owner is destroyed.
        """
        job: Job = Job(name, success=success, failure=failure, parent=_job_parent())

        def body() -> None:
            try:
                value = op()
            except BaseException as exc:  # noqa: BLE001 — handed to the UI as a value
                log.debug("job %s failed", name, exc_info=True)
                job._failed.emit(exc)
            else:
                if not job.cancelled:
                    job._succeeded.emit(value)

        return self._start(job, body, owner)

    def stream(
        self,
        name: str,
        factory: Callable[[threading.Event], Iterable[T]],
        item: Callable[[T], None],
        done: Callable[[bool], None] | None = None,
        failure: Callable[[BaseException], None] | None = None,
        throttle_ms: int = 0,
        owner: QObject | None = None,
    ) -> Job:
        """Iterate ``factory(cancel)`` on a pool thread and deliver each item on the UI thread.

        ``done(cancelled)`` runs on the UI thread once the generator is exhausted or stopped (not after a
        failure). With ``throttle_ms`` only the latest item of each interval is delivered (plus the last one):
        right for progress, where the UI shows only the newest state and a flood of events would stall it.
        """
        job: Job = Job(
            name,
            success=(lambda cancelled: done(bool(cancelled))) if done else None,
            failure=failure,
            item=item,
            parent=_job_parent(),
        )
        interval = throttle_ms / 1000.0

        def body() -> None:
            pending: list[object] = []
            last_emit = 0.0
            try:
                for value in factory(job.cancel_event):
                    if interval <= 0:
                        job._item.emit(value)
                    else:
                        pending[:] = [value]
                        now = time.monotonic()
                        if now - last_emit >= interval:
                            job._item.emit(pending.pop())
                            last_emit = now
                    if job.cancelled:
                        break
                if pending:
                    job._item.emit(pending.pop())
            except BaseException as exc:  # noqa: BLE001 — handed to the UI as a value
                log.debug("stream %s failed", name, exc_info=True)
                job._failed.emit(exc)
            else:
                job._succeeded.emit(job.cancelled)

        return self._start(job, body, owner)

    def _start(self, job: Job, body: Callable[[], None], owner: QObject | None) -> Job:
        with self._lock:
            if self._shut:
                raise RuntimeError("workers are shut down")
            self._jobs.add(job)
        if owner is not None:
            try:
                owner.destroyed.connect(job.close)
            except RuntimeError:  # the owner is already gone: nobody is left to deliver to
                job.close()
        job._on_end = self._forget
        self._pool.start(_Runnable(job, body))
        return job

    def _forget(self, job: Job) -> None:
        with self._lock:
            self._jobs.discard(job)

    def active(self) -> list[Job]:
        with self._lock:
            return [j for j in self._jobs if j.running]

    def wait_idle(self, timeout_ms: int = 30_000) -> bool:
        """Join the pool (tests and teardown)."""
        return bool(self._pool.waitForDone(timeout_ms))

    def shutdown(self, timeout_ms: int = 30_000) -> bool:
        """Cancel every job, drop their queued callbacks and join the threads."""
        with self._lock:
            self._shut = True
            jobs = list(self._jobs)
        for job in jobs:
            job.close()
        ok = self.wait_idle(timeout_ms)
        if not ok:
            log.warning("background jobs still running after %d ms", timeout_ms)
        return ok


_shared: Workers | None = None


def workers() -> Workers:
    """The app-wide :class:`Workers` (created on first use, on the UI thread; new again after shutdown).

    Pages call ``workers().run(..., owner=self)``; the main window shuts it down when it closes.
    """
    global _shared
    if _shared is None or _shared._shut:
        _shared = Workers()
    return _shared


def shutdown_workers(timeout_ms: int = 30_000) -> bool:
    """Cancel and join every background job of the app (window close, test teardown)."""
    global _shared
    if _shared is None:
        return True
    ok = _shared.shutdown(timeout_ms)
    _shared = None
    return ok


# Drawing a large result in one slot holds the UI thread (charts, tables and their first layout: 60–100 ms at
# 100,000 notes, docs/PERFORMANCE.md). Steps this far apart let the heartbeat, paint and input run in between
# (a timer due sooner would run before a 10 ms timer that is already late).
STEP_GAP_MS = 10


def run_in_turns(owner: QObject, steps: Iterable[Callable[[], None]],
                 current: Callable[[], bool] | None = None) -> None:
    """Run ``steps`` on the UI thread, the first now and each next one :data:`STEP_GAP_MS` later, so that no
    single turn of the event loop does all of them. ``current``: when it turns false (newer data arrived and its
    own steps run instead), the remaining steps are dropped. Timers die with ``owner``."""
    pending = list(steps)

    def step() -> None:
        if current is not None and not current():
            return
        pending.pop(0)()
        if pending:
            QTimer.singleShot(STEP_GAP_MS, owner, step)

    if pending:
        step()
