"""What 回答 does: search as you type, ask for a grounded answer, open sources, rate, record, log.

:class:`AnswerPage` subclasses the page's look (:class:`ui.pages.answer.view.AnswerView`) and connects
every button, link and timer in :meth:`AnswerPage._connect`, next to the actions below. Search runs on a
pool thread after a short pause in typing; a result that arrives for an older query is dropped. The answer
streams from :class:`desktop.answering.Answerer` through :meth:`ui.workers.Workers.stream`; 停止 sets the
stream's cancel event, which the model worker checks on every token.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from PySide6.QtCore import Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import QInputDialog, QWidget

from desktop.services import Services
from ui import catalog_semantic  # noqa: F401 — registers the English strings
from ui.errors import describe
from ui.i18n import t
from ui.pages.answer.results import hit_ref
from ui.pages.answer.state import AnswerState, answer_events, ref_dict
from ui.pages.answer.view import AnswerView
from ui.viewer import SourceRef, SourceViewer
from ui.workers import Job, workers

log = logging.getLogger(__name__)

SETTLE_MS = 4000  # a query left alone this long counts as a search in the search log


class AnswerPage(AnswerView):
    """The answer desk. Signals: ``answerFinished()`` when an answer ends (done, stopped or failed),
    ``searchFinished()`` when a search's results (or its failure) are shown."""

    answerFinished = Signal()
    searchFinished = Signal()

    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.title = t("回答")
        self.hits: list[Any] = []
        self.state = AnswerState()
        self._search_seq = 0
        self._search_job: Job | None = None
        self._answer_job: Job | None = None
        self._started_at: float | None = None  # when the user began this question (for 記録's minutes)
        self._logged_query = ""
        self.viewer: SourceViewer | None = None
        self._build()
        self._connect()
        self._show_empty_results()
        self._show_answer_idle()
        self._update_buttons()

    def _connect(self) -> None:
        """Every button, link, shortcut and timer of the page, and the action it runs."""
        self.search_box.textChanged.connect(self._on_text_changed)
        self.search_box.returnPressed.connect(self.ask)
        self.ask_button.clicked.connect(self.ask)
        self.answer_view.anchorClicked.connect(self._on_anchor)
        self.sources_view.anchorClicked.connect(self._on_anchor)
        self.good_button.clicked.connect(lambda: self.rate("good"))
        self.bad_button.clicked.connect(lambda: self.rate("bad"))
        self.stop_button.clicked.connect(self.stop)
        self.copy_button.clicked.connect(self.copy_answer)
        self.record_button.clicked.connect(self.record_inquiry)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.timeout.connect(self.search_now)
        self._settle = QTimer(self)
        self._settle.setSingleShot(True)
        self._settle.setInterval(SETTLE_MS)
        self._settle.timeout.connect(self._log_settled_search)
        self._hint_timer = QTimer(self)
        self._hint_timer.setInterval(1000)
        self._hint_timer.timeout.connect(self._update_model_hint)
        focus = QShortcut(QKeySequence("Ctrl+L"), self)
        focus.activated.connect(self.focus_search)

    def activated(self) -> None:
        self.focus_search()
        self._update_model_hint()
        self._hint_timer.start()

    def hideEvent(self, event: Any) -> None:
        self._hint_timer.stop()
        super().hideEvent(event)

    def focus_search(self) -> None:
        self.search_box.setFocus()
        self.search_box.selectAll()

    # -- searching ----------------------------------------------------------------------------------
    def _on_text_changed(self, text: str) -> None:
        if not text.strip():
            self._started_at = None
            self._search_seq += 1  # drop whatever is in flight
            self._debounce.stop()
            self._settle.stop()
            self.hits = []
            self._show_empty_results()
            return
        if self._started_at is None:
            self._started_at = time.monotonic()
        self._debounce.start(max(0, int(self.services.settings.ui.search_debounce_ms)))
        self._settle.start()

    def search_now(self) -> None:
        query = self.search_box.text().strip()
        if not query:
            return
        self._search_seq += 1
        seq = self._search_seq
        k = max(1, int(self.services.settings.kb.results))
        kbase = self.services.kb
        started = time.perf_counter()

        semantic = kbase.semantic is not None

        # Words first, at once; then, when the semantic layer is on, the fused ranking (the question's
        # embedding costs a model pass) replaces it — unless a newer query was typed meanwhile.
        def lexical() -> list[Any]:
            return list(kbase.search(query, k=k, mode="lexical"))

        def hybrid() -> list[Any] | None:
            return None if seq != self._search_seq else list(kbase.search(query, k=k, mode="hybrid"))

        def lexical_done(hits: list[Any]) -> None:
            if seq != self._search_seq:
                return  # a newer query was typed meanwhile
            self._show_hits(query, hits, (time.perf_counter() - started) * 1000)
            if semantic:
                self.search_status.setText(self.search_status.text() + t("(意味の近い箇所を探しています…)"))
                self._search_job = workers().run("search-hybrid", hybrid, hybrid_done, failed, owner=self)
            else:
                self.searchFinished.emit()

        def hybrid_done(hits: list[Any] | None) -> None:
            if hits is None or seq != self._search_seq:
                return
            self._show_hits(query, hits, (time.perf_counter() - started) * 1000)
            self.searchFinished.emit()

        def failed(exc: BaseException) -> None:
            if seq == self._search_seq:
                self.search_status.setText(t("検索できませんでした: {error}", error=describe(exc)))
                self.searchFinished.emit()

        self._search_job = workers().run("search", lexical, lexical_done, failed, owner=self)

    def _show_hits(self, query: str, hits: list[Any], ms: float) -> None:
        self.hits = hits
        for result in self._lay_out_hits(query, hits, ms):
            result.clicked.connect(lambda h=result.hit: self.open_hit(h))

    def open_hit(self, hit: Any) -> None:
        self._log_search(self.search_box.text().strip(), len(self.hits))
        self.open_source(hit_ref(hit))

    def open_source(self, ref: SourceRef) -> None:
        if self.viewer is None:
            self.viewer = SourceViewer(self.window())
        self.viewer.show_source(ref)

    # -- answering ------------------------------------------------------------------------------------
    def ask(self) -> None:
        question = self.search_box.text().strip()
        if not question:
            self.focus_search()
            return
        self.stop()
        if self._started_at is None:
            self._started_at = time.monotonic()
        if self._debounce.isActive() or not self.hits:
            self._debounce.stop()
            self.search_now()  # the results beside the answer are for this very question
        self.state = AnswerState(question=question)
        self.gap_label.hide()
        self._render_answer()
        self._update_model_hint()
        answerer = self.services.answerer

        def factory(cancel: threading.Event) -> Iterator[tuple[str, Any]]:
            return answer_events(answerer, question, cancel, self.services.answering)

        self._answer_job = workers().stream(
            "answer", factory, self._on_answer_event, done=self._on_answer_done, failure=self._on_answer_failed,
            owner=self,
        )
        self._update_buttons()

    def stop(self) -> None:
        if self._answer_job is not None and self._answer_job.running:
            self._answer_job.cancel()

    def _on_answer_event(self, event: tuple[str, Any]) -> None:
        kind, value = event
        if kind == "sources":
            self.state.sources = list(value)
        elif kind == "text":
            self.state.text += str(value)
        elif kind == "result":
            self.state.text = value["text"]
            self.state.sources = value["sources"]
            self.state.cited = value["cited"]
            self.state.grounded = value["grounded"]
            self.state.extractive = value["extractive"]
            self.state.doubtful = bool(value.get("doubtful"))
            self.state.replaced = bool(value.get("replaced"))
        self._render_answer()

    def _on_answer_done(self, cancelled: bool) -> None:
        self.state.finished = True
        self.state.cancelled = cancelled
        self._answer_job = None
        self._render_answer()
        self._log_ask()
        self._update_buttons()
        self.answerFinished.emit()

    def _on_answer_failed(self, exc: BaseException) -> None:
        self.state.finished = True
        self._answer_job = None
        self.state.text = t("回答を作れませんでした: {error}", error=describe(exc))
        self._render_answer()
        self._update_buttons()
        self.answerFinished.emit()

    def listed_sources(self) -> list[tuple[int, SourceRef]]:
        """The sources shown under the answer: the cited ones once the answer is done, else all passages."""
        return self.state.listed_sources()

    def _on_anchor(self, url: QUrl) -> None:
        target = url.toString()
        if target.startswith("cite:"):
            n = int(target.split(":", 1)[1])
            if 1 <= n <= len(self.state.sources):
                self.open_source(self.state.sources[n - 1])

    def _update_buttons(self) -> None:
        running = self._answer_job is not None
        has_answer = bool(self.state.question) and self.state.finished
        self.stop_button.setEnabled(running)
        self.copy_button.setEnabled(has_answer and bool(self.state.text))
        rateable = has_answer and bool(self.state.text) and not self.state.rating
        for w in (self.rating_label, self.good_button, self.bad_button):
            w.setVisible(has_answer and bool(self.state.text))
        self.good_button.setEnabled(rateable)
        self.bad_button.setEnabled(rateable)
        if self.state.rating:
            self.rating_label.setText(t("評価をありがとうございました。"))
        else:
            self.rating_label.setText(t("この回答は役に立ちましたか?"))
        self.record_button.setEnabled(bool(self.search_box.text().strip()) or has_answer)

    # -- after the answer --------------------------------------------------------------------------
    def copy_answer(self) -> None:
        lines = [self.state.text.strip(), ""]
        for n, ref in self.listed_sources():
            lines.append(f"[{n}] {ref.title} {ref.location}".rstrip())
        QGuiApplication.clipboard().setText("\n".join(lines).strip())

    def rate(self, rating: str, reason: str | None = None) -> None:
        """Good/Bad for the answer shown; Bad asks for a short reason (kept in the search log)."""
        if rating == "bad" and reason is None:
            text, ok = QInputDialog.getText(
                self, t("役に立たなかった理由"), t("どこが良くなかったか、ひとことで教えてください(任意):")
            )
            if not ok:
                return
            reason = text.strip()
        self.state.rating = rating
        self._update_buttons()
        entry_id = self.state.log_id
        if entry_id:
            value = "Good" if rating == "good" else "Bad"
            self._with_logbook("rate", lambda book: book.searchlog.rate(entry_id, value, reason or ""))

    def minutes_spent(self) -> int:
        if self._started_at is None:
            return 1
        return max(1, round((time.monotonic() - self._started_at) / 60))

    def inquiry_prefill(self) -> dict[str, Any]:
        return {
            "question": self.state.question or self.search_box.text().strip(),
            "answer": self.state.text if self.state.finished else "",
            "sources": [ref_dict(r) for _, r in self.listed_sources()],
            "channel": self.services.settings.ui.inquiry_channel or "電話",
            "minutes": self.minutes_spent(),
        }

    def record_inquiry(self) -> None:
        from ui.dialogs.inquiry_form import InquiryFormDialog

        dialog = InquiryFormDialog(self.services, self, self.inquiry_prefill())
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        dialog.open()

    # -- search log ------------------------------------------------------------------------------------
    def _log_settled_search(self) -> None:
        self._log_search(self.search_box.text().strip(), len(self.hits))

    def _log_search(self, query: str, hits: int) -> None:
        if not query or query == self._logged_query:
            return
        self._logged_query = query
        self._with_logbook("search log", lambda book: book.searchlog.record(query, hits, kind="search"))

    def _log_ask(self) -> None:
        s = self.state
        if s.cancelled:
            return
        self._logged_query = s.question

        def record(book: Any) -> Any:
            return book.searchlog.record(s.question, len(s.sources), kind="ask", grounded=s.grounded)

        def remember(entry: Any) -> None:
            if self.state is s:
                s.log_id = entry.id

        self._with_logbook("ask log", record, remember)

    def _with_logbook(self, name: str, op: Callable[[Any], Any], done: Callable[[Any], None] | None = None) -> None:
        """Write to the logbook off the UI thread, if it is open (this page never opens it)."""
        services = self.services
        if not services.logbook_open:
            return
        book = services.logbook
        workers().run(name, lambda: op(book), done, lambda e: log.warning("%s failed: %r", name, e), owner=self)

    def teardown(self) -> None:
        self._hint_timer.stop()
        self.stop()
        if self.viewer is not None:
            self.viewer.close()
