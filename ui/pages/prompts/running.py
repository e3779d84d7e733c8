"""The 使う tab of プロンプト集: run a prompt on the local model, stop it, copy, rate — and the model's state.

:class:`RunActions` adds to the page's look (:class:`ui.pages.prompts.view.PromptsView`) what the 使う tab
does. The model streams through :meth:`ui.workers.Workers.stream`, whose cancel event is handed to
``ModelRuntime.chat`` so 停止 ends the run within a token. With no model loaded the tab says so and offers
「テンプレートをコピー」 instead.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import QWidget

import ui.dialogs as common
from desktop import prompt_share
from desktop.logbook import Prompt
from ui.i18n import language, t
from ui.pages.prompts.library import PLACEHOLDER, RunState, meta_text
from ui.pages.prompts.view import PromptsView
from ui.workers import Job, holding, workers

log = logging.getLogger(__name__)

MODEL_POLL_MS = 1000


class RunActions(PromptsView):
    """Running the prompt shown, and what follows a run (see the module docstring)."""

    def __init__(self, services: Any, parent: QWidget | None = None) -> None:
        super().__init__(services, parent)
        self.run_state = RunState()
        self.max_tokens: int | None = None  # None: the model settings' max_tokens
        self._run_job: Job | None = None

    def _connect(self) -> None:
        super()._connect()
        QShortcut(QKeySequence("Ctrl+Return"), self.input_box, self.run_ai,
                  context=Qt.ShortcutContext.WidgetShortcut)
        self.run_button.clicked.connect(self.run_ai)
        self.stop_button.clicked.connect(self.stop)
        self.copy_template_button.clicked.connect(self.copy_template)
        self.copy_button.clicked.connect(self.copy_output)
        for n, star in enumerate(self.star_buttons, start=1):
            star.clicked.connect(lambda _checked=False, stars=n: self.rate(stars))
        self._model_poll = QTimer(self)  # runs while the page is shown (PromptsPage.showEvent)
        self._model_poll.setInterval(MODEL_POLL_MS)
        self._model_poll.timeout.connect(self.refresh_model_state)

    # ---- running -------------------------------------------------------------------------------------

    def model_state(self) -> str:
        return str(getattr(self.services.runtime, "state", "none"))

    def refresh_model_state(self) -> None:
        state = self.model_state()
        if state == "ready":
            self.model_hint.hide()
        else:
            texts = {
                "loading": t("AIモデルを読み込み中です。準備ができると「AIで実行」が使えます。"),
                "error": t("AIモデルを読み込めませんでした（モデル画面で確認できます）。"),
            }
            message = texts.get(state, t("AIモデルが読み込まれていません。"))
            self.model_hint.setText(
                message + (" " if language() == "en" else "") + t("「テンプレートをコピー」で、文章を入れたプロンプトをほかのAIツールに貼り付けて使えます。")
            )
            self.model_hint.show()
        self._update_buttons()

    def filled_prompt(self) -> str:
        """The prompt with the user's text in it; with nothing pasted yet, the template unchanged."""
        if self.current is None:
            return ""
        text = self.input_box.toPlainText()
        return prompt_share.fill_template(self.current.text, text) if text.strip() else self.current.text

    def run_ai(self) -> None:
        p = self.current
        if p is None or self.run_state.running:
            return
        if PLACEHOLDER in p.text and not self.input_box.toPlainText().strip():
            self.run_status.setText(t("先に文章を貼り付けてください。"))
            self.input_box.setFocus()
            return
        if self.model_state() != "ready":
            self.refresh_model_state()
            return
        filled = self.filled_prompt()
        state = RunState(prompt_id=p.id, filled=filled, running=True)
        self.run_state = state
        self.output.clear()
        self.run_status.setText(t("作成しています…"))
        self._count_use(p.id)
        runtime = self.services.runtime
        max_tokens = self.max_tokens or int(self.services.settings.model.max_tokens)
        messages = prompt_share.chat_messages(filled)

        hold = getattr(self.services, "answering", None)

        def factory(cancel: threading.Event) -> Iterator[str]:
            return holding(hold, runtime.chat(messages, max_tokens=max_tokens, cancel=cancel))

        self._run_job = workers().stream(
            "prompt-run", factory,
            lambda piece: self._on_piece(state, piece),
            done=lambda cancelled: self._on_run_done(state, cancelled),
            failure=lambda exc: self._on_run_failed(state, exc),
            owner=self,
        )
        self._update_buttons()

    def stop(self) -> None:
        if self._run_job is not None and self._run_job.running:
            self._run_job.cancel()

    def _on_piece(self, state: RunState, piece: str) -> None:
        if state is not self.run_state:
            return
        state.text += piece
        cursor = self.output.textCursor()
        cursor.movePosition(cursor.MoveOperation.End)
        cursor.insertText(piece)
        self.output.setTextCursor(cursor)

    def _end_run(self, state: RunState) -> None:
        state.running = False
        state.finished = True
        if state is self.run_state:
            self._run_job = None
            self._update_buttons()
        self.runFinished.emit()

    def _on_run_done(self, state: RunState, cancelled: bool) -> None:
        state.cancelled = cancelled
        if state is self.run_state:
            if cancelled:
                self.run_status.setText(t("停止しました。"))
            elif not state.text.strip():
                self.run_status.setText(t("AIは何も出力しませんでした。入力を見直して、もう一度お試しください。"))
            else:
                self.run_status.setText(t("完了しました。結果を評価してください。"))
        self._end_run(state)

    def _on_run_failed(self, state: RunState, exc: BaseException) -> None:
        state.failed = True
        if state is self.run_state:
            self.run_status.setText("")
            self.output.setPlainText(t("実行できませんでした: {error}", error=common.describe(exc)))
        self._end_run(state)

    def _count_use(self, prompt_id: str) -> None:
        services = self.services

        def done(stored: Prompt) -> None:
            self._replace(stored)

        workers().run(
            "prompt-use", lambda: services.logbook.prompts.use(prompt_id), done,
            lambda exc: log.warning("use not counted: %s", type(exc).__name__), owner=self,
        )

    def _replace(self, stored: Prompt) -> None:
        """Show a prompt's new figures without reordering the list under the user's hand."""
        self.prompts = [stored if p.id == stored.id else p for p in self.prompts]
        for i in range(self.list.count()):
            item = self.list.item(i)
            if item.data(Qt.ItemDataRole.UserRole) == stored.id:
                self._set_item(item, stored)
        if self.current is not None and self.current.id == stored.id:
            self.current = stored
            self.use_meta.setText(meta_text(stored))

    # ---- after a run -----------------------------------------------------------------------------------

    def copy_output(self) -> None:
        QGuiApplication.clipboard().setText(self.run_state.text.strip())
        self.run_status.setText(t("出力をコピーしました。"))

    def copy_template(self) -> None:
        """Copy the prompt with the user's text in it (for use elsewhere); counts as a use."""
        p = self.current
        if p is None:
            return
        QGuiApplication.clipboard().setText(self.filled_prompt())
        self.run_status.setText(t("プロンプトをコピーしました。"))
        self._count_use(p.id)

    def rate(self, stars: int) -> None:
        state = self.run_state
        if not self._can_rate():
            return
        state.rated = stars
        services = self.services
        prompt_id = state.prompt_id

        def done(stored: Prompt) -> None:
            self._replace(stored)
            self.run_status.setText(t("★{n} で評価しました。ありがとうございます。", n=stars))

        workers().run(
            "prompt-rate", lambda: services.logbook.prompts.rate(prompt_id, stars), done,
            lambda exc: self.run_status.setText(t("評価を保存できませんでした: {error}", error=common.describe(exc))),
            owner=self,
        )
        self._update_buttons()

    def _can_rate(self) -> bool:
        s = self.run_state
        return s.finished and not s.failed and not s.rated and bool(s.text.strip())

    def _update_buttons(self) -> None:
        has = self.current is not None
        running = self.run_state.running
        ready = self.model_state() == "ready"
        self.run_button.setEnabled(has and ready and not running)
        self.stop_button.setEnabled(running)
        self.copy_template_button.setEnabled(has)
        self.copy_button.setEnabled(bool(self.run_state.text.strip()) and not running)
        can_rate = self._can_rate()
        for n, star in enumerate(self.star_buttons, start=1):
            star.setEnabled(can_rate)
            star.setText("★" if self.run_state.rated >= n else "☆")
        self.rate_label.setEnabled(can_rate or bool(self.run_state.rated))
