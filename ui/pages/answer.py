"""回答 (Answer): search as you type, then a grounded answer with citations that open the source.

Search runs on a pool thread after a short pause in typing; a result that arrives for an older query is
dropped. The answer streams from :class:`desktop.answering.Answerer` through :meth:`ui.workers.Workers.stream`;
停止 sets the stream's cancel event, which the model worker checks on every token.
"""

from __future__ import annotations

import html
import logging
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QGuiApplication, QKeySequence, QMouseEvent, QShortcut
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from desktop.answering import AnswerDone, Answerer, AnswerToken, PassagesFound, Source
from desktop.services import Services
from ui import style
from ui.errors import describe
from ui.i18n import t
from ui.pages import card, page_layout, section_title
from ui.viewer import SourceRef, SourceViewer, highlighted_html
from ui.workers import Job, workers

log = logging.getLogger(__name__)

CITATION = re.compile(r"\[(\d{1,2})\]")
SETTLE_MS = 4000  # a query left alone this long counts as a search in the search log


@dataclass
class AnswerState:
    """What the answer panel shows; kept so 記録 and コピー use exactly what the user saw."""

    question: str = ""
    text: str = ""
    sources: list[SourceRef] = field(default_factory=list)
    cited: list[int] = field(default_factory=list)
    grounded: bool = True
    extractive: bool = False
    finished: bool = False
    cancelled: bool = False
    rating: str = ""
    log_id: str = ""  # the search-log entry of this ask, for its rating


class ResultCard(QFrame):
    """One search hit. Signals: ``clicked()``."""

    clicked = Signal()

    def __init__(self, hit: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.hit = hit
        self.setObjectName("resultCard")
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 10, 14, 10)
        layout.setSpacing(4)
        title = QLabel(
            f'<span style="font-size:11.5pt; font-weight:600;">{html.escape(hit.title)}</span>'
            f'&nbsp;&nbsp;<span style="color:{style.ACCENT_DARK};">{html.escape(hit.location)}</span>'
        )
        title.setTextFormat(Qt.TextFormat.RichText)
        title.setWordWrap(True)
        layout.addWidget(title)
        snippet = QLabel(highlighted_html(hit.snippet, list(hit.highlights)))
        snippet.setTextFormat(Qt.TextFormat.RichText)
        snippet.setWordWrap(True)
        layout.addWidget(snippet)
        meta = QLabel(t("{type} · 更新日 {date}", type=(hit.doc_type or "").upper(), date=hit.modified or "—"))
        meta.setObjectName("muted")
        layout.addWidget(meta)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.clicked.emit()
        super().mouseReleaseEvent(event)

    def keyPressEvent(self, event: Any) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space):
            self.clicked.emit()
            return
        super().keyPressEvent(event)


def hit_ref(hit: Any) -> SourceRef:
    return SourceRef(
        path=hit.path,
        title=hit.title,
        location=hit.location,
        page=hit.page,
        text=hit.text,
        highlights=_spans_in_text(hit),
    )


def _spans_in_text(hit: Any) -> list[tuple[int, int]]:
    """Move the snippet's highlight spans onto the whole chunk text (the snippet is a window of it)."""
    offset = hit.text.find(hit.snippet.strip("…").strip()) if hit.snippet else -1
    if offset < 0:
        words = {hit.snippet[s:e] for s, e in hit.highlights if e > s}
        spans = []
        for w in words:
            spans += [(m.start(), m.end()) for m in re.finditer(re.escape(w), hit.text)]
        return spans
    lead = len(hit.snippet) - len(hit.snippet.lstrip("…"))
    return [(s - lead + offset, e - lead + offset) for s, e in hit.highlights]


def answer_html(text: str, n_sources: int) -> str:
    """Escape the answer and turn each valid [n] into a link to source n."""
    escaped = html.escape(text)

    def link(m: re.Match[str]) -> str:
        n = int(m.group(1))
        if 1 <= n <= n_sources:
            return f'<a href="cite:{n}" style="color:{style.ACCENT}; text-decoration:none;"><b>[{n}]</b></a>'
        return m.group(0)

    return CITATION.sub(link, escaped).replace("\n", "<br>")


class AnswerPage(QWidget):
    """The answer desk. Signals: ``answerFinished()`` when an answer ends (done, stopped or failed)."""

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

    # -- layout --------------------------------------------------------------------------------------
    def _build(self) -> None:
        layout = page_layout(self, t("回答"))
        search_row = QHBoxLayout()
        self.search_box = QLineEdit()
        self.search_box.setObjectName("searchBox")
        self.search_box.setPlaceholderText(t("質問やキーワードを入力(例: 慶弔休暇は何日?)— Enter で AI が回答"))
        self.search_box.setClearButtonEnabled(True)
        self.search_box.textChanged.connect(self._on_text_changed)
        self.search_box.returnPressed.connect(self.ask)
        search_row.addWidget(self.search_box, 1)
        self.ask_button = QPushButton(t("AIで回答"))
        self.ask_button.setObjectName("primary")
        self.ask_button.setMinimumHeight(40)
        self.ask_button.clicked.connect(self.ask)
        search_row.addWidget(self.ask_button)
        layout.addLayout(search_row)

        self.search_status = QLabel()
        self.search_status.setObjectName("muted")
        layout.addWidget(self.search_status)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.setChildrenCollapsible(False)
        # left: results
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 6, 0)
        left_layout.addWidget(section_title(t("検索結果")))
        self.results_area = QScrollArea()
        self.results_area.setWidgetResizable(True)
        self.results_area.setFrameShape(QFrame.Shape.NoFrame)
        self.results_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.results_host = QWidget()
        self.results_host.setObjectName("page")
        self.results_layout = QVBoxLayout(self.results_host)
        self.results_layout.setContentsMargins(0, 0, 4, 0)
        self.results_layout.setSpacing(8)
        self.results_area.setWidget(self.results_host)
        left_layout.addWidget(self.results_area, 1)
        left.setMinimumWidth(360)
        splitter.addWidget(left)
        # right: answer
        right_card, right = card()
        right.addWidget(section_title(t("AIの回答")))
        self.model_hint = QLabel()
        self.model_hint.setObjectName("muted")
        self.model_hint.setWordWrap(True)
        right.addWidget(self.model_hint)
        self.answer_view = QTextBrowser()
        self.answer_view.setOpenLinks(False)
        self.answer_view.setFrameShape(QFrame.Shape.NoFrame)
        self.answer_view.anchorClicked.connect(self._on_anchor)
        self.answer_view.setMinimumHeight(160)
        right.addWidget(self.answer_view, 3)
        right.addWidget(section_title(t("出典")))
        self.sources_view = QTextBrowser()
        self.sources_view.setOpenLinks(False)
        self.sources_view.setFrameShape(QFrame.Shape.NoFrame)
        self.sources_view.anchorClicked.connect(self._on_anchor)
        self.sources_view.setMinimumHeight(70)
        self.sources_view.setMaximumHeight(170)
        right.addWidget(self.sources_view, 1)
        self.gap_label = QLabel()
        self.gap_label.setObjectName("error")
        self.gap_label.setWordWrap(True)
        self.gap_label.hide()
        right.addWidget(self.gap_label)
        rating = QHBoxLayout()
        self.rating_label = QLabel(t("この回答は役に立ちましたか?"))
        self.rating_label.setObjectName("muted")
        self.good_button = QPushButton(t("役に立った"))
        self.good_button.clicked.connect(lambda: self.rate("good"))
        self.bad_button = QPushButton(t("役に立たない"))
        self.bad_button.clicked.connect(lambda: self.rate("bad"))
        rating.addWidget(self.rating_label)
        rating.addWidget(self.good_button)
        rating.addWidget(self.bad_button)
        rating.addStretch(1)
        right.addLayout(rating)
        actions = QHBoxLayout()
        self.stop_button = QPushButton(t("停止"))
        self.stop_button.clicked.connect(self.stop)
        self.copy_button = QPushButton(t("コピー"))
        self.copy_button.clicked.connect(self.copy_answer)
        self.record_button = QPushButton(t("問い合わせとして記録"))
        self.record_button.setObjectName("primary")
        self.record_button.setToolTip(t("質問・回答・出典・経過時間を入れた問い合わせ記録を開きます"))
        self.record_button.clicked.connect(self.record_inquiry)
        actions.addWidget(self.stop_button)
        actions.addWidget(self.copy_button)
        actions.addStretch(1)
        actions.addWidget(self.record_button)
        right.addLayout(actions)
        splitter.addWidget(right_card)
        right_card.setMinimumWidth(380)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([520, 600])
        layout.addWidget(splitter, 1)

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
        self._show_empty_results()
        self._show_answer_idle()
        self._update_buttons()

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

        def op() -> list[Any]:
            return list(kbase.search(query, k=k))

        def done(hits: list[Any]) -> None:
            if seq != self._search_seq:
                return  # a newer query was typed meanwhile
            self._show_hits(query, hits, (time.perf_counter() - started) * 1000)
            self.searchFinished.emit()

        def failed(exc: BaseException) -> None:
            if seq == self._search_seq:
                self.search_status.setText(t("検索できませんでした: {error}", error=describe(exc)))
                self.searchFinished.emit()

        self._search_job = workers().run("search", op, done, failed, owner=self)

    def _clear_results(self) -> None:
        while self.results_layout.count():
            item = self.results_layout.takeAt(0)
            w = item.widget() if item is not None else None
            if w is not None:
                w.deleteLater()

    def _show_empty_results(self) -> None:
        self._clear_results()
        self.search_status.setText("")
        hint = QLabel(
            t("規程・マニュアル・FAQ をまとめて検索します。") + "<br><br>"
            + t("例: 「慶弔休暇は何日?」「出張の日当」「社用車の予約」") + "<br><br>"
            + t("Enter を押すと、見つかった資料をもとに AI が出典つきで回答します。")
        )
        hint.setObjectName("hint")
        hint.setWordWrap(True)
        hint.setTextFormat(Qt.TextFormat.RichText)
        self.results_layout.addWidget(hint)
        self.results_layout.addStretch(1)

    def _show_hits(self, query: str, hits: list[Any], ms: float) -> None:
        self.hits = hits
        self._clear_results()
        if not hits:
            self.search_status.setText(t("「{q}」に一致する資料はありません。", q=query))
            hint = QLabel(
                t("別の言い方や短いキーワードで試してください(例: 「忌引」→「慶弔休暇」)。")
                + "<br>"
                + t("資料がまだ登録されていない場合は、ナレッジ画面でフォルダを追加してください。")
            )
            hint.setObjectName("hint")
            hint.setWordWrap(True)
            hint.setTextFormat(Qt.TextFormat.RichText)
            self.results_layout.addWidget(hint)
        else:
            self.search_status.setText(t("{n} 件 ({ms} ミリ秒)", n=len(hits), ms=f"{ms:.0f}"))
            for hit in hits:
                result = ResultCard(hit)
                result.clicked.connect(lambda h=hit: self.open_hit(h))
                self.results_layout.addWidget(result)
        self.results_layout.addStretch(1)

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
            return answer_events(answerer, question, cancel)

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

    def _show_answer_idle(self) -> None:
        self.answer_view.setHtml(
            f'<p style="color:{style.MUTED};">'
            + html.escape(t("質問を入力して Enter(または「AIで回答」)を押すと、ここに回答が表示されます。"))
            + "</p>"
        )
        self.sources_view.setHtml("")

    def _render_answer(self) -> None:
        s = self.state
        if not s.question:
            self._show_answer_idle()
            return
        body = answer_html(s.text, len(s.sources)) if s.text else ""
        if not s.finished and not s.text:
            body = f'<span style="color:{style.MUTED};">{html.escape(t("回答を作成しています…"))}</span>'
        elif not s.finished:
            body += f' <span style="color:{style.MUTED};">▍</span>'
        if s.finished and s.cancelled:
            body += f'<p style="color:{style.MUTED};">{html.escape(t("(停止しました)"))}</p>'
        label = ""
        if s.extractive and s.finished:
            label = (
                f'<p style="color:{style.MUTED};">'
                + html.escape(t("資料からの抜粋です(AIモデルなし)。"))
                + "</p>"
            )
        self.answer_view.setHtml(f'<div style="font-size:12pt; line-height:160%;">{body}</div>{label}')
        rows = []
        for n, ref in self.listed_sources():
            rows.append(
                f'<p style="margin:0 0 6px 0;"><a href="cite:{n}" style="color:{style.ACCENT}; '
                f'text-decoration:none;"><b>[{n}]</b> {html.escape(ref.title)}</a>'
                f' <span style="color:{style.MUTED};">{html.escape(ref.location)}</span></p>'
            )
        self.sources_view.setHtml("".join(rows))
        if s.finished and not s.grounded:
            self.gap_label.setText(
                t("資料に該当する記載が見つかりませんでした。この質問は「分析」画面の「答えられなかった質問」に残ります。")
            )
            self.gap_label.show()
        else:
            self.gap_label.hide()

    def listed_sources(self) -> list[tuple[int, SourceRef]]:
        """The sources shown under the answer: the cited ones once the answer is done, else all passages."""
        numbered = list(enumerate(self.state.sources, start=1))
        if self.state.finished and self.state.cited:
            return [(n, ref) for n, ref in numbered if n in self.state.cited]
        return numbered

    def _on_anchor(self, url: QUrl) -> None:
        target = url.toString()
        if target.startswith("cite:"):
            n = int(target.split(":", 1)[1])
            if 1 <= n <= len(self.state.sources):
                self.open_source(self.state.sources[n - 1])

    def _update_model_hint(self) -> None:
        state = str(getattr(self.services.runtime, "state", "none"))
        if state == "ready":
            self.model_hint.setText("")
            self.model_hint.hide()
            return
        texts = {
            "loading": t("AIモデルを読み込み中です。準備ができるまでは資料の抜粋で回答します。"),
            "error": t("AIモデルを読み込めませんでした(モデル画面で確認できます)。資料の抜粋で回答します。"),
        }
        self.model_hint.setText(
            texts.get(state, t("AIモデルがありません。資料の抜粋で回答します。モデル画面で GGUF ファイルを取り込めます。"))
        )
        self.model_hint.show()

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
            "sources": [_ref_dict(r) for _, r in self.listed_sources()],
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


def _ref_dict(ref: SourceRef) -> dict[str, Any]:
    return {"path": ref.path, "title": ref.title, "location": ref.location}


def source_ref(source: Source) -> SourceRef:
    return SourceRef(path=source.path, title=source.title, location=source.location, page=source.page,
                     text=source.text)


def answer_events(answerer: Answerer, question: str, cancel: threading.Event) -> Iterator[tuple[str, Any]]:
    """Adapt :meth:`Answerer.ask` to the page's events (runs on a pool thread, touches no widget)."""
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
                "model": a.model,
            }
        if cancel.is_set():
            return
