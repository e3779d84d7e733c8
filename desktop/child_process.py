"""Long work in a spawned child process, its messages streamed back: knowledge-base indexing
(:func:`desktop.services.index_in_child_process`) and the logbook analysis (:mod:`desktop.insights_process`).

Why a process, not a thread: Sudachi, lxml, pdfium, numpy and the JSON codec hold the GIL for long stretches; in a
thread of the app they take turns with the UI thread and freeze the window for hundreds of milliseconds. A child
shares no GIL with the window, and it runs below normal priority (:func:`lower_priority`).

The shape (one mechanism for both):

* the child runs ``target(conn, stop, *args)``, a module-level function (so it can be spawned); ``conn`` is its
  end of a duplex pipe, ``stop`` a ``multiprocessing.Event`` it checks like a ``threading.Event``;
* messages are ``(kind, value)`` tuples both ways; :meth:`ChildProcess.messages` yields the child's until the
  caller stops reading, sets ``stop`` when the caller's ``cancel`` is set, and ends (or raises :class:`ChildDiedError`)
  when the child is gone;
* secrets (the logbook key) travel over the pipe, in memory: never in argv, the environment or a file.

The child is started with the ``spawn`` method: a fresh interpreter, no copy of the app's threads or locks (the
frozen app calls ``multiprocessing.freeze_support()`` in its entry point).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import time
from collections.abc import Callable, Iterator
from typing import Any

log = logging.getLogger(__name__)


class ChildDiedError(Exception):
    """The child process ended without finishing (killed, out of memory, a crash in native code).

    ``message_ja`` / ``message_en`` say so plainly; what the child had written before is kept (SQLite rolls back
    an unfinished transaction), and the caller may start a new child."""

    def __init__(self, what_ja: str, what_en: str, exitcode: int | None) -> None:
        self.message_ja = f"{what_ja}の処理が途中で終了しました（メモリ不足などの可能性があります）。"
        self.message_en = f"The {what_en} process ended early (exit code {exitcode}; perhaps out of memory)."
        self.exitcode = exitcode
        super().__init__(f"{self.message_ja} / {self.message_en}")


def lower_priority() -> None:
    """Run this process below normal priority: background work must not take the CPU from the window."""
    try:
        import psutil

        me = psutil.Process()
        if os.name == "nt":
            me.nice(psutil.BELOW_NORMAL_PRIORITY_CLASS)
        else:
            me.nice(10)
    except Exception:  # noqa: BLE001 — a priority we cannot lower is not worth failing the run for
        log.debug("could not lower the child process's priority", exc_info=True)


class ChildProcess:
    """A spawned process running ``target(conn, stop, *args)``.

    ``what_ja`` / ``what_en`` name the work in :class:`ChildDiedError`'s message (「索引」, "indexing")."""

    def __init__(self, target: Callable[..., None], args: tuple[Any, ...] = (), *, name: str,
                 what_ja: str, what_en: str) -> None:
        mp = multiprocessing.get_context("spawn")
        self.what = (what_ja, what_en)
        self.stop = mp.Event()
        self.conn, child_end = mp.Pipe(duplex=True)
        self.process = mp.Process(target=target, args=(child_end, self.stop, *args), name=name, daemon=True)
        self.process.start()
        child_end.close()  # the child holds its own copy; ours closed, a dead child reads as EOF here

    @property
    def alive(self) -> bool:
        return self.process.is_alive()

    def send(self, kind: str, value: Any = None) -> None:
        try:
            self.conn.send((kind, value))
        except (OSError, ValueError) as exc:  # the child is gone (broken pipe) or we closed our end
            raise self.died() from exc

    def died(self) -> ChildDiedError:
        return ChildDiedError(*self.what, self.process.exitcode)

    def messages(self, cancel: Any = None, *, grace: float | None = None,
                 poll: float = 0.1) -> Iterator[tuple[str, Any]]:
        """The child's messages as they come. When ``cancel`` is set, ``stop`` is set for the child; with
        ``grace``, a child that has not ended the exchange that many seconds later is killed. Ends when the
        child is gone after a stop; raises :class:`ChildDiedError` when it is gone otherwise."""
        stopped_at: float | None = None
        while True:
            if cancel is not None and cancel.is_set() and stopped_at is None:
                self.stop.set()
                stopped_at = time.monotonic()
            if stopped_at is not None and grace is not None and time.monotonic() - stopped_at > grace \
                    and self.process.is_alive():
                log.info("%s did not stop within %.1f s of 中止; killed", self.process.name, grace)
                self.kill()
            if not self.conn.poll(poll):
                if not self.process.is_alive() and not self.conn.poll(0):
                    if self.stop.is_set():
                        return
                    raise self.died()
                continue
            try:
                message = self.conn.recv()
            except (EOFError, OSError) as exc:
                if self.stop.is_set():
                    return
                raise self.died() from exc
            yield message

    def kill(self) -> None:
        self.stop.set()
        self.process.terminate()
        self.process.join(5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(5)

    def close(self, timeout: float = 30.0) -> None:
        """Ask the child to stop (``stop``, and our end of the pipe closed: a child waiting for a request reads
        EOF), wait up to ``timeout`` seconds for it to end, then kill it."""
        self.stop.set()
        self.conn.close()
        self.process.join(timeout)
        if self.process.is_alive():
            self.kill()
