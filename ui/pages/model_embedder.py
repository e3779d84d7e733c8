"""The モデル page's card for the semantic layer: which embedding model the knowledge base uses.

The embedding GGUFs found in the model folders (the set-up's EmbeddingGemma and any imported one) are offered
with "none" (lexical search only). Choosing one is checked and saved by ``Services.change_embedder``, which
re-embeds the knowledge base on a background thread; the card shows that pass's progress, polled once a
second like the ナレッジ page. Listing the files and switching run off the UI thread.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QMessageBox, QProgressBar, QPushButton, QWidget

from desktop.semantic import embedder_candidates, embedder_path
from desktop.services import Services
from ui import catalog_semantic  # noqa: F401 — registers the English strings
from ui.errors import describe
from ui.i18n import t
from ui.pages import card, muted, section_title
from ui.workers import Job, workers

NONE = ""  # the combo's data for "no embedder"


class EmbedderCard(QWidget):
    """The embedder chooser. No signals: it talks to :class:`Services` and shows what it did."""

    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self._job: Job | None = None
        frame, box = card()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(frame)
        box.addWidget(section_title(t("意味検索のモデル(埋め込み)")))
        box.addWidget(muted(t(
            "社員の言い方(「親が亡くなったら」)でも規程の言葉(「父母の死亡」)を探すためのモデルです。"
            "ほかの埋め込みモデル(multilingual-e5、ruri、bge-m3 など)の GGUF も「GGUF ファイルを取り込む…」で取り込めば、"
            "ここで選べます。変えると知識ベースはバックグラウンドで埋め込み直され、その間も検索は使えます。"
        )))
        row = QHBoxLayout()
        self.choice = QComboBox()
        self.choice.setObjectName("embedderChoice")
        self.choice.setMinimumWidth(260)
        self.apply_button = QPushButton(t("このモデルを使う"))
        self.apply_button.setObjectName("embedderApply")
        self.apply_button.clicked.connect(self.apply)
        row.addWidget(self.choice, 1)
        row.addWidget(self.apply_button)
        box.addLayout(row)
        status_row = QHBoxLayout()
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.setTextVisible(False)
        self.progress.setMaximumWidth(160)
        self.progress.hide()
        status_row.addWidget(self.status, 1)
        status_row.addWidget(self.progress)
        box.addLayout(status_row)
        self._timer = QTimer(self)
        self._timer.setInterval(1000)
        self._timer.timeout.connect(self.update_status)
        self.update_status()

    # -- listing ---------------------------------------------------------------------------------
    def refresh(self) -> None:
        """List the embedding models on a pool thread; the one in use (as the settings resolve it) is selected."""
        folders = self.services.model_folders()
        settings = self.services.settings
        in_use = self.services.kb.semantic is not None

        def find() -> tuple[list[Path], Path | None]:
            return embedder_candidates(folders), embedder_path(settings, folders) if in_use else None

        workers().run("embedder-candidates", find, self._show_candidates, owner=self)
        self._timer.start()

    def _show_candidates(self, found: tuple[list[Path], Path | None]) -> None:
        paths, current = found
        self.choice.clear()
        for path in paths:
            self.choice.addItem(path.name, str(path))
        self.choice.addItem(t("使わない(語句検索のみ)"), NONE)
        index = self.choice.count() - 1
        if current is not None:
            index = next((i for i, p in enumerate(paths) if p.resolve() == current.resolve()), index)
        self.choice.setCurrentIndex(index)

    def stop(self) -> None:
        self._timer.stop()

    # -- switching -------------------------------------------------------------------------------
    def apply(self) -> None:
        if self._job is not None:
            return
        data = self.choice.currentData()
        path = Path(data) if data else None
        self.apply_button.setEnabled(False)
        self.status.setText(t("切り替えています…"))
        self._job = workers().run("change-embedder", lambda: self.services.change_embedder(path),
                                  self._changed, self._failed, owner=self)

    def _changed(self, _: Any) -> None:
        self._job = None
        self.apply_button.setEnabled(True)
        self.update_status()

    def _failed(self, exc: BaseException) -> None:
        self._job = None
        self.apply_button.setEnabled(True)
        self.update_status()
        QMessageBox.warning(self, t("意味検索のモデル(埋め込み)"), describe(exc))

    def update_status(self) -> None:
        state = self.services.embedding
        if state.problem:
            text = t("意味検索: 使えません — {problem}", problem=state.problem)
        elif not state.model:
            text = t("使っていません。検索は語句の一致だけで行います。")
        elif state.running and state.total:
            text = t("{model} — {done} / {total} 区切りを埋め込み中({rate:.1f} 件/秒)。",
                     model=state.model, done=f"{state.done:,}", total=f"{state.total:,}", rate=state.rate)
        else:
            text = t("{model} を使っています。", model=state.model)
        if self.status.text() != text:
            self.status.setText(text)
        running = state.running and state.total > 0
        self.progress.setVisible(running)
        if running:
            self.progress.setRange(0, state.total)
            self.progress.setValue(min(state.done, state.total))
