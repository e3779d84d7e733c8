"""The logbook reading of the 分析 page in a child process (:class:`AnalysisProcess`).

The reading (themes, recurring issues, FAQ candidates, the templated narrative; :mod:`desktop.logbook_insights`,
:mod:`desktop.faq`, :mod:`desktop.narrative`) is Sudachi, numpy and JSON work that holds the GIL for long
stretches. In a thread of the app it froze the window at 100,000 notes (126–296 ms stalls on a busy 2-core PC,
docs/PERFORMANCE.md). Here it runs in one long-lived child process per page, on the same mechanism as indexing
(:class:`desktop.child_process.ChildProcess`): progress comes back as ``(stage, done, total)``, 中止 sets the
child's stop event (and a child that does not stop within :data:`CANCEL_GRACE_S` is killed), and the
:class:`LogbookAnalysis` stays loaded in the child between refreshes, so a new note is read incrementally.

* **The logbook file and key**: the child opens the same file the app reads (``book.db.path``: the SQLCipher
  logbook, or in team mode this PC's encrypted copy) with the key the app already unlocked through its keyring
  (or passphrase). The key is sent over the pipe, in memory — never in argv, the environment or a file — and the
  child does not ask the keyring again (the passphrase fallback and an in-memory test keyring would not be there
  for it).
* **Results** stay cached in the logbook as before: the child saves the themes model in ``insights_cache``.
* **The model** (theme labels, the model-written narrative) stays in the app: the child asks the app over the pipe
  (:class:`_RuntimeProxy`), and the app's runtime answers.
* **A child that dies** (killed, out of memory) raises :class:`desktop.child_process.ChildDiedError` with a Japanese
  and English message; the page keeps its last reading, and the next request starts a new child. Nothing is lost:
  the logbook's records are never written by the child, and its cache writes are transactions.
* Big results travel in parts (:data:`PART`): the app unpickles each part in a few milliseconds, never the
  whole reading of 100,000 records in one GIL-holding call.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Generator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from desktop.child_process import ChildDiedError, ChildProcess

log = logging.getLogger(__name__)

CANCEL_GRACE_S = 5.0  # 中止: a child still busy this long after its stop event is killed
PROGRESS_EVERY_S = 0.05  # the child sends at most one progress step per interval (the latest)
PART = 5_000  # list items / dict entries per message of a big result
Step = tuple[str, int, int]


@dataclass
class Reading:
    """What the 分析 page's panel shows (plain data, built in the child)."""

    themes: list[Any] = field(default_factory=list)
    recurring: list[Any] = field(default_factory=list)
    faq: list[Any] = field(default_factory=list)
    narrative: Any = None
    month: str = ""
    kinds: dict[str, str] = field(default_factory=dict)  # record id → "note" | "inquiry"
    citable: Any = None  # desktop.narrative.Citable: what the findings may cite, read once per refresh


class AnalysisError(Exception):
    """The analysis failed in the child (the child itself is still there); Japanese and English text."""

    def __init__(self, message_ja: str, message_en: str) -> None:
        super().__init__(f"{message_ja} / {message_en}")
        self.message_ja = message_ja
        self.message_en = message_en


class AnalysisProcess:
    """The app's side of the analysis child of one logbook. Each method is one request; requests from several
    threads wait for each other (the child does one thing at a time). Call :meth:`close` when done."""

    def __init__(self, book: Any, runtime: Any = None) -> None:
        self.book = book
        self.runtime = runtime
        self._child: ChildProcess | None = None
        self._lock = threading.Lock()

    # ---- requests ----------------------------------------------------------------------------------
    def reading_steps(self, month: str, language: str = "ja", recompute: bool = False,
                      cancel: threading.Event | None = None) -> Generator[Step, None, Reading | None]:
        """Bring the themes up to date and read the panel's lists; yields progress ``(stage, done, total)``.
        Returns the :class:`Reading`, or None when cancelled."""
        got = yield from self._request("read", {"month": month, "language": language, "recompute": recompute},
                                       cancel)
        return got

    def read(self, month: str, language: str = "ja", recompute: bool = False) -> Reading | None:
        return _drain(self.reading_steps(month, language, recompute))

    def ask(self, question: str, fiscal_start: int = 4) -> Any:
        """:func:`desktop.logbook_ask.ask_logbook` in the child: a :class:`~desktop.logbook_ask.LogbookAnswer`."""
        return _drain(self._request("ask", {"question": question, "fiscal_start": fiscal_start}))

    def narrative(self, month: str, language: str = "ja", model: bool = False) -> Any:
        """The templated narrative, or with ``model`` the model's rewrite (checked; the template otherwise)."""
        return _drain(self._request("narrative", {"month": month, "language": language, "model": model}))

    def save_faq_edit(self, candidate: Any) -> None:
        """:func:`desktop.faq.save_edit` in the child (staff's wording of a draft FAQ row, kept in the logbook)."""
        _drain(self._request("faq_edit", candidate))

    def flush(self) -> None:
        """Save the themes model if it changed (deferred saves of small changes), when a child is running."""
        if self._child is not None and self._child.alive:
            _drain(self._request("flush", None))

    def close(self, timeout: float = 10.0) -> None:
        """Let the child save what it has not saved yet and end (killed after ``timeout`` seconds). A child still
        busy with a request after ``timeout`` (the caller cancels it first) is killed at once: the records it had
        not saved simply join their themes again at the next start."""
        if not self._lock.acquire(timeout=timeout):
            child = self._child
            if child is not None:
                child.kill()
            return
        try:
            child, self._child = self._child, None
            if child is None:
                return
            with contextlib.suppress(ChildDiedError):
                child.send("close")
            child.close(timeout)
        finally:
            self._lock.release()

    def discard(self) -> None:
        """End the child without saving: the logbook it read was replaced (a restore, another logbook), so its
        unsaved themes belong to no file any more. A new child reads the current file from its own cache."""
        child, self._child = self._child, None
        if child is not None:
            child.kill()  # its pipe closes with the object (a request still reading it ends as cancelled)

    @property
    def running(self) -> bool:
        return self._child is not None and self._child.alive

    # ---- the exchange ---------------------------------------------------------------------------------
    def _start(self) -> ChildProcess:
        if self._child is not None and self._child.alive:
            return self._child
        if self._child is not None:
            self._child.close(0)
        db = self.book.db
        child = ChildProcess(_analysis_child, (str(db.path), self.book.settings, str(self.book.backups_dir)),
                             name="soumu-desk-analysis", what_ja="記録の分析", what_en="logbook analysis")
        self._child = child
        child.send("key", db.key)
        return child

    def _request(self, kind: str, value: Any, cancel: threading.Event | None = None
                 ) -> Generator[Step, None, Any]:
        with self._lock:
            child = self._start()
            child.stop.clear()  # only the app sets it; cleared before the request, so a 中止 is never lost
            child.send(kind, {"value": value, "model_ready": _ready(self.runtime)})
            parts: dict[str, Any] = {}
            ended = False
            try:
                for message, body in child.messages(cancel, grace=CANCEL_GRACE_S):
                    if message == "progress":
                        yield body
                    elif message == "part":
                        name, piece = body
                        _join(parts, name, piece)
                    elif message == "model":
                        self._answer_model(child, body)
                    elif message == "result":
                        ended = True
                        return _assemble(body, parts)
                    elif message == "cancelled":
                        ended = True
                        return None
                    elif message == "error":
                        ended = True
                        raise AnalysisError(*body)
                ended = True  # the child was killed after 中止
                self._child = None
                return None
            finally:
                if not ended:  # the caller stopped reading (a worker cancelled, or an error here): end the exchange
                    self._abandon(child)

    def _abandon(self, child: ChildProcess) -> None:
        """Stop the child's current request and read its messages to the end, so the next request starts clean;
        a child that does not end it within :data:`CANCEL_GRACE_S` is killed (a new one starts next time)."""
        child.stop.set()
        try:
            for message, _body in child.messages(grace=CANCEL_GRACE_S):
                if message in ("result", "cancelled", "error"):
                    return
                if message == "model":
                    child.send("model_error", ("中止しました", "cancelled", "cancelled"))
        except ChildDiedError:
            pass
        child.kill()
        self._child = None

    def _answer_model(self, child: ChildProcess, body: Any) -> None:
        from local_models.runtime import ModelError

        messages, schema, kwargs = body
        runtime = self.runtime
        try:
            if runtime is None or not _ready(runtime):
                raise ModelError("モデルが読み込まれていません", "no model is loaded", "not_ready")
            result = runtime.complete_json(messages, schema, **kwargs)
        except ModelError as exc:
            child.send("model_error", (exc.message_ja, exc.message_en, exc.code))
        except TimeoutError as exc:
            child.send("model_timeout", str(exc))
        except Exception as exc:  # noqa: BLE001 — the child falls back to keywords / the template
            log.warning("model request from the analysis child failed", exc_info=True)
            child.send("model_error", (f"モデルが失敗しました: {exc}", f"the model failed: {exc}", "error"))
        else:
            child.send("model_result", result)


def _ready(runtime: Any) -> bool:
    return runtime is not None and getattr(runtime, "state", "none") == "ready"


def _drain(steps: Generator[Step, None, Any]) -> Any:
    while True:
        try:
            next(steps)
        except StopIteration as stop:
            return stop.value


def _join(parts: dict[str, Any], name: str, piece: Any) -> None:
    have = parts.get(name)
    if have is None:
        parts[name] = piece
    elif isinstance(have, dict):
        have.update(piece)
    else:
        have.extend(piece)


def _assemble(value: Any, parts: dict[str, Any]) -> Any:
    if not isinstance(value, Reading):
        return value
    reading = replace(value, themes=parts.get("themes", []), recurring=parts.get("recurring", []),
                      kinds=parts.get("kinds", {}))
    if reading.citable is not None and "citable_ids" in parts:
        reading.citable = replace(reading.citable, ids=tuple(parts["citable_ids"]))
    return reading


# ---- the child ------------------------------------------------------------------------------------------

class _RuntimeProxy:
    """The app's model as the child sees it: ``complete_json`` is asked of the app over the pipe."""

    def __init__(self, conn: Any) -> None:
        self._conn = conn
        self.state = "none"

    def complete_json(self, messages: Any, schema: Any, **kwargs: Any) -> Any:
        from local_models.runtime import ModelError

        self._conn.send(("model", (messages, schema, kwargs)))
        kind, value = self._conn.recv()
        if kind == "model_result":
            return value
        if kind == "model_timeout":
            raise TimeoutError(value)
        raise ModelError(*value)


def _analysis_child(conn: Any, stop: Any, path: str, settings: Any, backups_dir: str) -> None:
    """Child-process body of :class:`AnalysisProcess`: open the logbook, then answer requests until told to close
    (or the app's end of the pipe closes)."""
    from desktop.child_process import lower_priority

    lower_priority()
    from desktop.logbook import Logbook
    from desktop.logbook.db import LogbookDB
    from desktop.logbook_insights import LogbookAnalysis
    from desktop.secrets import UnlockedKey

    kind, key = conn.recv()
    if kind != "key":
        return
    try:
        book = Logbook(LogbookDB(Path(path), key), settings, Path(backups_dir), UnlockedKey(key, "app"))
    except Exception as exc:  # noqa: BLE001 — wrong key, a missing file: every request is answered with why
        _refuse(conn, exc)
        return
    finally:
        del key
    runtime = _RuntimeProxy(conn)
    analysis = LogbookAnalysis(book, runtime=runtime)
    try:
        while True:
            try:
                kind, request = conn.recv()
            except (EOFError, OSError):
                break
            if kind == "close":
                break
            runtime.state = "ready" if request["model_ready"] else "none"
            try:
                _serve(conn, stop, analysis, kind, request["value"])
            except (EOFError, OSError):
                break
    finally:
        try:
            analysis.flush()
        except Exception:  # noqa: BLE001 — the next start re-reads the records the saved model has not seen
            log.warning("themes cache not saved on close", exc_info=True)
        book.close()
        conn.close()


def _error(exc: BaseException) -> tuple[str, str]:
    ja = getattr(exc, "message_ja", None) or getattr(exc, "ja", None)
    en = getattr(exc, "message_en", None) or getattr(exc, "en", None)
    if ja and en:
        return str(ja), str(en)
    text = f"{type(exc).__name__}: {exc}"
    return f"分析できませんでした（{text}）", f"the analysis failed ({text})"


def _refuse(conn: Any, exc: BaseException) -> None:
    """The logbook did not open in the child: answer each request with the reason until the app closes."""
    log.warning("the analysis child could not open the logbook: %s", exc)
    reason = _error(exc)
    while True:
        try:
            kind, _request = conn.recv()
            if kind == "close":
                return
            conn.send(("error", reason))
        except (EOFError, OSError):
            return


def _serve(conn: Any, stop: Any, analysis: Any, kind: str, value: Any) -> None:
    from desktop.themes import CancelledError

    def send(message: str, body: Any = None) -> None:
        conn.send((message, body))

    try:
        if kind == "read":
            result: Any = _read(send, stop, analysis, value)
        elif kind == "ask":
            from desktop.logbook_ask import ask_logbook

            result = ask_logbook(analysis, value["question"], fiscal_start=value["fiscal_start"])
        elif kind == "narrative":
            from desktop.narrative import model_narrative, template_narrative

            if value["model"]:
                result = model_narrative(analysis, analysis.runtime, value["month"], language=value["language"])
            else:
                result = template_narrative(analysis, value["month"], value["language"])
        elif kind == "faq_edit":
            from desktop.faq import save_edit

            save_edit(analysis, value)
            result = None
        elif kind == "flush":
            result = analysis.flush()
        else:
            raise ValueError(f"unknown request {kind!r}")
    except CancelledError:
        send("cancelled")
        return
    except (EOFError, OSError):
        raise
    except Exception as exc:  # noqa: BLE001 — told to the app, which shows it; the child serves on
        log.warning("analysis request %s failed", kind, exc_info=True)
        send("error", _error(exc))
        return
    send("result", result)


def _read(send: Any, stop: Any, analysis: Any, value: dict[str, Any]) -> Reading:
    from desktop.faq import faq_candidates
    from desktop.narrative import Citable, template_narrative

    steps = analysis.refresh_steps(value["recompute"], stop)
    last = 0.0
    while True:
        try:
            step = next(steps)
        except StopIteration:
            break
        now = time.monotonic()
        if now - last >= PROGRESS_EVERY_S:
            send("progress", step)
            last = now
    send("progress", ("collect", 0, 1))
    a = analysis
    month, language = value["month"], value["language"]
    themes, recurring = a.themes(), a.recurring()
    faq = faq_candidates(a)
    narrative = template_narrative(a, month, language)
    citable = Citable.of(a)
    from desktop.themes import check_cancel

    check_cancel(stop)
    _send_parts(send, "themes", themes, PART // 100)  # a theme carries its record IDs
    _send_parts(send, "recurring", recurring, PART // 10)
    _send_parts(send, "kinds", {d.id: d.kind for d in a.docs}, PART)
    _send_parts(send, "citable_ids", list(citable.ids), PART)
    return Reading([], [], faq, narrative, month, {}, replace(citable, ids=()))


def _send_parts(send: Any, name: str, value: list[Any] | dict[str, Any], size: int) -> None:
    size = max(1, size)
    if isinstance(value, dict):
        items = list(value.items())
        for i in range(0, len(items), size):
            send("part", (name, dict(items[i : i + size])))
        if not items:
            send("part", (name, {}))
    else:
        for i in range(0, len(value), size):
            send("part", (name, value[i : i + size]))
        if not value:
            send("part", (name, []))


__all__ = ["AnalysisError", "AnalysisProcess", "ChildDiedError", "Reading"]
