"""What the answer panel shows, and the events that fill it (no widgets here).

:class:`AnswerState` is the answer as the user saw it, so 記録 and コピー use exactly that.
:func:`answer_events` runs on a pool thread and adapts :meth:`desktop.answering.Answerer.ask` to the
page's ``(kind, value)`` events; the page applies them on the UI thread.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from desktop.answering import AnswerDone, Answerer, AnswerToken, PassagesFound, Source
from ui.viewer import SourceRef
from ui.workers import Hold, holding


@dataclass
class AnswerState:
    """What the answer panel shows; kept so 記録 and コピー use exactly what the user saw."""

    question: str = ""
    text: str = ""
    sources: list[SourceRef] = field(default_factory=list)
    cited: list[int] = field(default_factory=list)
    grounded: bool = True
    extractive: bool = False
    doubtful: bool = False  # the model itself was unsure the passages answer (Answer.doubtful)
    replaced: bool = False  # the model drafted, but its draft did not survive the checks: the extracts instead
    finished: bool = False
    cancelled: bool = False
    rating: str = ""
    log_id: str = ""  # the search-log entry of this ask, for its rating

    def listed_sources(self) -> list[tuple[int, SourceRef]]:
        """The sources shown under the answer: the cited ones once the answer is done, else all passages."""
        numbered = list(enumerate(self.sources, start=1))
        if self.finished and self.cited:
            return [(n, ref) for n, ref in numbered if n in self.cited]
        return numbered


def ref_dict(ref: SourceRef) -> dict[str, Any]:
    return {"path": ref.path, "title": ref.title, "location": ref.location}


def source_ref(source: Source) -> SourceRef:
    return SourceRef(path=source.path, title=source.title, location=source.location, page=source.page,
                     text=source.text)


def answer_events(answerer: Answerer, question: str, cancel: threading.Event,
                  busy: Hold | None = None) -> Iterator[tuple[str, Any]]:
    """Adapt :meth:`Answerer.ask` to the page's events (runs on a pool thread, touches no widget); ``busy``
    (``Services.answering``) is held meanwhile, so the background embedding pass waits."""
    return holding(busy, _events(answerer, question, cancel))


def _events(answerer: Answerer, question: str, cancel: threading.Event) -> Iterator[tuple[str, Any]]:
    for event in answerer.ask(question, cancel=cancel):
        if isinstance(event, PassagesFound):
            yield "sources", [source_ref(s) for s in event.sources]
        elif isinstance(event, AnswerToken):
            yield "text", event.text
        elif isinstance(event, AnswerDone):
            a = event.answer
            yield "result", {
                "text": a.answer,
                "sources": [source_ref(s) for s in a.sources],
                "cited": list(a.cited),
                "grounded": a.grounded,
                "extractive": a.extractive,
                "doubtful": a.doubtful,
                "replaced": a.extractive and bool(a.discarded),
                "model": a.model,
            }
        if cancel.is_set():
            return
