"""モデル (Model): the active model, importing a GGUF, the installed models, the recommended list, settings.

The app downloads nothing: models come in as files the user picks. Importing is
:func:`local_models.iter_import` (checked, hashed copy) streamed through :mod:`ui.workers`; reading the
headers of installed files and reloading the runtime also run off the UI thread.
"""

from __future__ import annotations

import html
import logging
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from desktop.paths import bundled_models_dir
from desktop.services import Services
from local_models import RECOMMENDED, ModelEntry, gpu_offload_available, iter_import, scan_models
from local_models.server_backend import ServerBackend
from ui import catalog_team, style  # noqa: F401 — catalog_team registers the model server's English strings
from ui.errors import describe
from ui.i18n import language, t
from ui.pages import card, muted, page_layout, section_title
from ui.pages.model_embedder import EmbedderCard
from ui.workers import Job, workers

log = logging.getLogger(__name__)

STATE_TEXT = {
    "none": "読み込まれていません",
    "loading": "読み込み中…",
    "ready": "準備完了",
    "error": "エラー",
}


SERVER_STATE_TEXT = {
    "none": "未接続",
    "loading": "接続中…",
    "ready": "接続できています",
    "error": "接続できません",
}


def _gb(n: int) -> str:
    return f"{n / 1e9:.2f} GB"


class ModelPage(QWidget):
    """Signals: ``modelsScanned()`` after the installed list was read; ``importFinished(bool)``."""

    modelsScanned = Signal()
    importFinished = Signal(bool)

    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.title = t("モデル")
        self.entries: list[ModelEntry] = []
        self._import_job: Job | None = None
        self._last_state = ""
        self._build()
        self._poll = QTimer(self)
        self._poll.setInterval(500)
        self._poll.timeout.connect(self._show_active)

    # -- layout -------------------------------------------------------------------------------------
    def _build(self) -> None:
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        body = QWidget()
        scroll.setWidget(body)
        outer.addWidget(scroll)
        layout = page_layout(
            body,
            t("モデル"),
            t("回答を書く AI モデル(GGUF 形式)です。すべてこの PC の中で動き、ネットワークには接続しません。"),
        )
        columns = QHBoxLayout()
        columns.setSpacing(14)
        left = QVBoxLayout()
        right = QVBoxLayout()
        columns.addLayout(left, 3)
        columns.addLayout(right, 2)
        layout.addLayout(columns, 1)

        # active model
        active_card, a = card()
        a.addWidget(section_title(t("使用中のモデル")))
        self.active_name = QLabel()
        self.active_name.setStyleSheet("font-size: 12.5pt; font-weight: 600;")
        self.active_name.setWordWrap(True)
        self.active_state = QLabel()
        self.active_state.setWordWrap(True)
        self.active_info = muted("")
        self.active_info.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        a.addWidget(self.active_name)
        a.addWidget(self.active_state)
        a.addWidget(self.active_info)
        left.addWidget(active_card)

        # installed
        inst_card, i = card()
        head = QHBoxLayout()
        head.addWidget(section_title(t("この PC にあるモデル")))
        head.addStretch(1)
        self.use_button = QPushButton(t("このモデルを使う"))
        self.use_button.clicked.connect(self.use_selected)
        self.import_button = QPushButton(t("GGUF ファイルを取り込む…"))
        self.import_button.setObjectName("primary")
        self.import_button.clicked.connect(self.choose_import)
        head.addWidget(self.use_button)
        head.addWidget(self.import_button)
        i.addLayout(head)
        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels([t("ファイル名"), t("種類"), t("大きさ"), t("状態")])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.setMinimumHeight(110)
        self.table.setMaximumHeight(160)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.table.itemDoubleClicked.connect(lambda _item: self.use_selected())
        i.addWidget(self.table)
        self.no_models = QLabel(
            t("モデルがまだありません。右の「おすすめのモデル」から GGUF ファイルを入手し、「GGUF ファイルを取り込む…」で選んでください。モデルがなくても、検索と資料の抜粋による回答は使えます。")
        )
        self.no_models.setObjectName("hint")
        self.no_models.setWordWrap(True)
        self.no_models.hide()
        i.addWidget(self.no_models)
        prow = QHBoxLayout()
        self.import_progress = QProgressBar()
        self.import_progress.setTextVisible(False)
        self.import_label = QLabel()
        self.import_label.setWordWrap(True)
        self.import_cancel = QPushButton(t("中止"))
        self.import_cancel.clicked.connect(self.cancel_import)
        prow.addWidget(self.import_progress, 2)
        prow.addWidget(self.import_label, 3)
        prow.addWidget(self.import_cancel)
        i.addLayout(prow)
        left.addWidget(inst_card)

        # settings
        set_card, sc = card()
        sc.addWidget(section_title(t("動作の設定")))
        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        m = self.services.settings.model
        self.threads = QSpinBox()
        self.threads.setRange(0, 256)
        self.threads.setSpecialValueText(t("自動"))
        self.threads.setValue(m.n_threads)
        self.n_ctx = QSpinBox()
        self.n_ctx.setRange(512, 131072)
        self.n_ctx.setSingleStep(512)
        self.n_ctx.setValue(m.n_ctx)
        self.gpu_layers = QSpinBox()
        self.gpu_layers.setRange(0, 999)
        self.gpu_layers.setValue(m.n_gpu_layers)
        gpu = gpu_offload_available()
        self.gpu_layers.setEnabled(gpu)
        if not gpu:
            self.gpu_layers.setToolTip(t("この llama.cpp は GPU なしでビルドされています"))
        self.temperature = QDoubleSpinBox()
        self.temperature.setRange(0.0, 2.0)
        self.temperature.setSingleStep(0.1)
        self.temperature.setDecimals(2)
        self.temperature.setValue(m.temperature)
        for box in (self.threads, self.n_ctx, self.gpu_layers, self.temperature):
            box.setMinimumWidth(140)
            box.setMaximumWidth(200)
        form.addRow(t("スレッド数"), self.threads)
        form.addRow(t("コンテキスト長(トークン)"), self.n_ctx)
        form.addRow(t("GPU に載せる層"), self.gpu_layers)
        form.addRow(t("温度(低いほど安定)"), self.temperature)
        sc.addLayout(form)
        srow = QHBoxLayout()
        self.settings_note = muted("")
        self.apply_button = QPushButton(t("保存して再読み込み"))
        self.apply_button.clicked.connect(self.apply_settings)
        srow.addWidget(self.settings_note, 1)
        srow.addWidget(self.apply_button)
        sc.addLayout(srow)
        left.addWidget(set_card)
        self.embedder = EmbedderCard(self.services)
        left.addWidget(self.embedder)
        left.addStretch(1)

        # recommended
        rec_card, r = card()
        r.addWidget(section_title(t("おすすめのモデル")))
        notice = QLabel(
            t("このアプリはモデルをダウンロードしません。インターネットにつながる PC で下の配布元(Hugging Face)から .gguf ファイルを入手し、USB メモリなどでこの PC に移してから「GGUF ファイルを取り込む…」で選んでください。")
        )
        notice.setWordWrap(True)
        notice.setObjectName("hint")
        r.addWidget(notice)
        self.recommended = QTextBrowser()
        self.recommended.setOpenLinks(False)
        self.recommended.setFrameShape(QFrame.Shape.NoFrame)
        self.recommended.setHtml(self._recommended_html())
        self.recommended.setMinimumHeight(380)
        r.addWidget(self.recommended, 1)
        right.addWidget(rec_card, 1)
        self._set_import_idle()

    def _recommended_html(self) -> str:
        en = language() == "en"
        parts = []
        for rec in RECOMMENDED:
            note = rec.note_en if en else rec.note_ja
            parts.append(
                f'<p style="margin:0 0 12px 0;"><b>{html.escape(rec.name)}</b> '
                f'<span style="color:{style.MUTED};">{html.escape(rec.parameters)} · {html.escape(rec.quantization)}</span><br>'
                + html.escape(
                    t("ファイル {size} GB・必要メモリ 約 {mem} GB", size=f"{rec.file_size_gb:.1f}", mem=f"{rec.memory_gb:.1f}")
                )
                + "<br>"
                + html.escape(t("ライセンス: {license}", license=rec.license))
                + "<br>"
                + html.escape(t("配布元: {source}", source=f"huggingface.co/{rec.source}"))
                + "<br>"
                + f'<span style="color:{style.MUTED};">{html.escape(t("ファイル名: {file}", file=rec.file))}</span><br>'
                + html.escape(note)
                + "</p>"
            )
        return "".join(parts)

    # -- page life --------------------------------------------------------------------------------------
    def activated(self) -> None:
        self._show_active()
        self.rescan()
        self.embedder.refresh()
        self._poll.start()

    def hideEvent(self, event: Any) -> None:
        self._poll.stop()
        self.embedder.stop()
        super().hideEvent(event)

    def _show_active(self) -> None:
        rt = self.services.runtime
        state = str(rt.state)
        if isinstance(rt, ServerBackend):  # team mode: the model lives on the team's server
            self._show_server(rt, state)
            return
        path = rt.model_path or self.services.active_model_path()
        if path is None:
            self.active_name.setText(t("モデルなし"))
            self.active_state.setText(t("回答は資料の抜粋で作ります。"))
            self.active_info.setText("")
            return
        self.active_name.setText(path.name)
        text = t(STATE_TEXT.get(state, state))
        color = {"ready": style.OK, "error": style.DANGER}.get(state, style.MUTED)
        if state == "error" and rt.error is not None:
            text += " — " + describe(rt.error)
        self.active_state.setText(f'<span style="color:{color}; font-weight:600;">{html.escape(text)}</span>')
        info = rt.info
        if info is not None:
            self.active_info.setText(
                t(
                    "{name}({arch}・{params}・{quant})/ {size} / 最大コンテキスト {ctx} / ライセンス {license}",
                    name=info.name or path.stem,
                    arch=info.architecture,
                    params=info.size_label or "—",
                    quant=info.quantization or "—",
                    size=_gb(info.file_size),
                    ctx=f"{info.context_length:,}" if info.context_length else "—",
                    license=info.license or "—",
                )
            )
        else:
            self.active_info.setText(str(path))
        if state != self._last_state:
            self._last_state = state
            self._update_buttons()

    def _show_server(self, rt: ServerBackend, state: str) -> None:
        self.active_name.setText(t("モデルサーバー: {name}", name=rt.model_name or rt.url))
        text = t(SERVER_STATE_TEXT.get(state, state))
        if state == "error" and rt.error is not None:
            text += " — " + describe(rt.error)
        color = {"ready": style.OK, "error": style.DANGER}.get(state, style.MUTED)
        self.active_state.setText(f'<span style="color:{color}; font-weight:600;">{html.escape(text)}</span>')
        self.active_info.setText(t("{url}(設定ページの「チーム」で変更できます)", url=rt.url))
        if state != self._last_state:
            self._last_state = state
            self._update_buttons()

    def rescan(self) -> None:
        folders = self.services.model_folders()
        workers().run("models.scan", lambda: scan_models(folders), self._show_models, owner=self)

    def _show_models(self, entries: list[ModelEntry]) -> None:
        self.entries = entries
        active = self.services.runtime.model_path or self.services.active_model_path()
        self.table.setRowCount(len(entries))
        bundled = bundled_models_dir().resolve()
        for row, e in enumerate(entries):
            where = t("デモ") if e.path.parent.resolve() == bundled else t("取り込み済み")
            kind = f"{e.info.size_label or e.info.architecture} {e.info.quantization}" if e.info else "—"
            if e.error is not None:
                state = describe(e.error)
            elif active is not None and e.path.resolve() == Path(active).resolve():
                state = t("使用中")
            else:
                state = t("使用可")
            values = [f"{e.name}  ({where})", kind, _gb(e.path.stat().st_size) if e.path.exists() else "—", state]
            for col, v in enumerate(values):
                item = QTableWidgetItem(v)
                item.setToolTip(str(e.path) if col == 0 else v)
                self.table.setItem(row, col, item)
        self.no_models.setVisible(not entries)
        self.table.setVisible(bool(entries))
        self._update_buttons()
        self.modelsScanned.emit()

    def _selected_entry(self) -> ModelEntry | None:
        rows = {i.row() for i in self.table.selectedItems()}
        return self.entries[min(rows)] if rows else None

    def _update_buttons(self) -> None:
        entry = self._selected_entry()
        importing = self._import_job is not None
        self.use_button.setEnabled(entry is not None and entry.usable and not importing)
        self.import_button.setEnabled(not importing)
        self.import_cancel.setVisible(importing)

    # -- choose / reload --------------------------------------------------------------------------------
    def use_selected(self) -> None:
        entry = self._selected_entry()
        if entry is None or not entry.usable:
            return
        self.use_model(entry.path)

    def use_model(self, path: Path) -> None:
        """Make ``path`` the active model (saved) and load it in the background."""
        s = self.services.settings.model
        in_folder = path.parent.resolve() in {f.resolve() for f in self.services.model_folders() if f.exists()}
        s.active = path.name if in_folder else str(path)
        self.services.save_settings()
        self._reload(path)

    def apply_settings(self) -> None:
        m = self.services.settings.model
        m.n_threads = self.threads.value()
        m.n_ctx = self.n_ctx.value()
        m.n_gpu_layers = self.gpu_layers.value()
        m.temperature = round(self.temperature.value(), 2)
        self.services.save_settings()
        self.settings_note.setText(t("保存しました。モデルを読み込み直しています…"))
        self._reload(None)

    def _reload(self, path: Path | None) -> None:
        services = self.services
        self.active_state.setText(t(STATE_TEXT["loading"]))

        def done(_: object) -> None:
            self._show_active()
            self.rescan()

        workers().run("model.reload", lambda: services.reload_model(path), done, self._show_error, owner=self)

    def _show_error(self, exc: BaseException) -> None:
        QMessageBox.warning(self, t("モデル"), describe(exc))

    # -- import ----------------------------------------------------------------------------------------
    def choose_import(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, t("取り込む GGUF ファイルを選択"), str(Path.home()), t("GGUF モデル (*.gguf)")
        )
        if path:
            self.import_file(Path(path))

    def import_file(self, source: Path) -> None:
        dest = self.services.home.models_dir
        n_ctx = self.services.settings.model.n_ctx
        result: dict[str, Any] = {}

        def factory(cancel: threading.Event) -> Iterator[Any]:
            result["entry"] = yield from iter_import(source, dest, cancel=cancel, n_ctx=n_ctx)

        def done(cancelled: bool) -> None:
            self._import_job = None
            self._update_buttons()
            if cancelled:
                self.import_label.setText(t("取り込みを中止しました。途中のファイルは残っていません。"))
                self.importFinished.emit(False)
                return
            entry: ModelEntry | None = result.get("entry")
            self.import_progress.setValue(self.import_progress.maximum())
            self.import_label.setText(
                t("取り込みました: {name}。「このモデルを使う」で切り替えられます。", name=entry.name if entry else "")
            )
            self.rescan()
            self.importFinished.emit(True)

        def failed(exc: BaseException) -> None:
            self._import_job = None
            self._update_buttons()
            self._set_import_idle()
            self.import_label.setText(f'<span style="color:{style.DANGER};">{html.escape(describe(exc))}</span>')
            self.importFinished.emit(False)

        self.import_progress.setRange(0, 1000)
        self.import_progress.setValue(0)
        self.import_progress.show()
        self.import_label.setText(t("確認しています… {name}", name=source.name))
        self._import_job = workers().stream(
            "models.import", factory, self._on_import_progress, done=done, failure=failed, throttle_ms=100,
            owner=self,
        )
        self._update_buttons()

    def _on_import_progress(self, p: Any) -> None:
        total = max(1, p.total)
        self.import_progress.setValue(int(1000 * p.copied / total))
        self.import_label.setText(t("コピー中 {done} / {total}", done=_gb(p.copied), total=_gb(p.total)))

    def cancel_import(self) -> None:
        if self._import_job is not None:
            self._import_job.cancel()

    def _set_import_idle(self) -> None:
        self.import_progress.hide()
        self.import_cancel.hide()

    def teardown(self) -> None:
        self._poll.stop()
        self.embedder.stop()
        self.cancel_import()
