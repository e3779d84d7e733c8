"""ナレッジ (Knowledge): the folders searched, the index's state, re-indexing and the files that failed.

Indexing is :meth:`kb.KnowledgeBase.index`, a generator, run through :meth:`ui.workers.Workers.stream` with
its progress throttled (the bar shows only the newest step). Watching is stopped while a full run writes
and started again after it, so the index always has one writer.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from desktop.services import Services
from ui import catalog_semantic  # noqa: F401 — registers the English strings
from ui.errors import describe
from ui.i18n import language, t
from ui.pages import card, muted, page_layout, section_title
from ui.workers import Job, workers

log = logging.getLogger(__name__)


class _ChangeBridge(QObject):
    """Carries the watcher's ``on_change`` (a kb thread) to the UI thread. Signals: ``changed(list)``."""

    changed = Signal(list)


def _short_time(iso: str | None) -> str:
    if not iso:
        return "—"
    return iso.replace("T", " ")[:16]


def _size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.1f} MB"
    return f"{max(n, 0) / 1024:.0f} KB"


class KnowledgePage(QWidget):
    """Sources, counts, failures, re-index with progress.

    Signals: ``indexStateChanged(str)`` — a short text for the status bar; ``indexFinished()`` after a run;
    ``statusRefreshed()`` after the tables were filled from :meth:`kb.KnowledgeBase.status`.
    """

    indexStateChanged = Signal(str)
    indexFinished = Signal()
    statusRefreshed = Signal()

    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.title = t("ナレッジ")
        self.status: Any = None
        self._index_job: Job | None = None
        self.last_progress: Any = None
        self._bridge = _ChangeBridge(self)
        self._bridge.changed.connect(self._on_watched_change)
        services.kb_change_listener = self._bridge.changed.emit  # the newest page hears the watcher
        self._build()

    # -- layout -------------------------------------------------------------------------------------
    def _build(self) -> None:
        layout = page_layout(
            self,
            t("ナレッジ"),
            t("検索と回答に使う資料のフォルダです。元のファイルは読み取るだけで、変更・移動はしません。"),
        )
        sources_card, inner = card()
        head = QHBoxLayout()
        head.addWidget(section_title(t("登録フォルダ")))
        head.addStretch(1)
        self.add_button = QPushButton(t("フォルダを追加…"))
        self.add_button.clicked.connect(self.choose_folder)
        self.remove_button = QPushButton(t("登録を解除"))
        self.remove_button.clicked.connect(self.remove_selected)
        self.reindex_button = QPushButton(t("再索引"))
        self.reindex_button.setObjectName("primary")
        self.reindex_button.setToolTip(t("変更されたファイルだけを読み直します"))
        self.reindex_button.clicked.connect(lambda: self.reindex())
        for b in (self.add_button, self.remove_button, self.reindex_button):
            head.addWidget(b)
        inner.addLayout(head)
        self.sources_table = QTableWidget(0, 5)
        self.sources_table.setHorizontalHeaderLabels(
            [t("フォルダ"), t("ファイル"), t("区切り"), t("最終索引"), t("状態")]
        )
        self._table_defaults(self.sources_table)
        self.sources_table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.sources_table.itemSelectionChanged.connect(self._update_buttons)
        self.sources_table.setMaximumHeight(220)
        inner.addWidget(self.sources_table)
        self.empty_sources = QLabel(
            t("まだフォルダが登録されていません。「フォルダを追加…」で、規程やマニュアルの入ったフォルダ(共有フォルダも可)を選んでください。")
        )
        self.empty_sources.setObjectName("hint")
        self.empty_sources.setWordWrap(True)
        inner.addWidget(self.empty_sources)

        progress_row = QHBoxLayout()
        self.progress = QProgressBar()
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.progress.setTextVisible(False)
        self.progress_label = QLabel()
        self.progress_label.setObjectName("muted")
        self.cancel_button = QPushButton(t("中止"))
        self.cancel_button.clicked.connect(self.cancel_index)
        progress_row.addWidget(self.progress, 2)
        progress_row.addWidget(self.progress_label, 3)
        progress_row.addWidget(self.cancel_button)
        inner.addLayout(progress_row)
        self.summary = muted("")
        self.watch_label = muted("")
        inner.addWidget(self.summary)
        inner.addWidget(self.watch_label)
        semantic_row = QHBoxLayout()
        self.semantic_label = muted("")
        self.semantic_label.setWordWrap(True)
        self.semantic_progress = QProgressBar()
        self.semantic_progress.setTextVisible(False)
        self.semantic_progress.setMaximumWidth(160)
        self.semantic_progress.hide()
        semantic_row.addWidget(self.semantic_label, 1)
        semantic_row.addWidget(self.semantic_progress)
        inner.addLayout(semantic_row)
        # the embedding pass runs on a plain thread in desktop/: its snapshot is polled, cheaply
        self._semantic_timer = QTimer(self)
        self._semantic_timer.setInterval(1000)
        self._semantic_timer.timeout.connect(self._update_semantic)
        self._semantic_timer.start()
        self._update_semantic()
        layout.addWidget(sources_card)

        failures_card, fin = card()
        fin.addWidget(section_title(t("読み込めなかったファイル")))
        fin.addWidget(
            muted(t("壊れている・パスワード付き・形式に未対応などの理由で、検索の対象にならなかったファイルです。"))
        )
        self.failures_table = QTableWidget(0, 3)
        self.failures_table.setHorizontalHeaderLabels([t("ファイル"), t("理由"), t("日時")])
        self._table_defaults(self.failures_table)
        self.failures_table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        self.failures_table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.failures_table.setColumnWidth(0, 300)
        fin.addWidget(self.failures_table)
        self.no_failures = muted(t("読み込めなかったファイルはありません。"))
        fin.addWidget(self.no_failures)
        fin.addStretch(1)
        layout.addWidget(failures_card, 1)
        self._set_progress_idle()
        self._update_buttons()

    @staticmethod
    def _table_defaults(table: QTableWidget) -> None:
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.verticalHeader().setVisible(False)
        table.setAlternatingRowColors(False)
        table.setWordWrap(False)
        table.horizontalHeader().setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)

    def activated(self) -> None:
        self.refresh()

    # -- state ----------------------------------------------------------------------------------------
    @property
    def indexing(self) -> bool:
        return self._index_job is not None

    def refresh(self) -> None:
        """Read the index's status off the UI thread and fill the tables."""
        kbase = self.services.kb
        workers().run("kb.status", kbase.status, self._show_status, self._show_error, owner=self)

    def _show_status(self, status: Any) -> None:
        self.status = status
        table = self.sources_table
        table.setRowCount(len(status.sources))
        for row, src in enumerate(status.sources):
            state = t("利用可") if src.available else t("見つかりません")
            values = [src.path, f"{src.files:,}", f"{src.chunks:,}", _short_time(src.last_indexed), state]
            for col, value in enumerate(values):
                item = QTableWidgetItem(value)
                if col in (1, 2):
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if col == 0:
                    item.setToolTip(src.path)
                table.setItem(row, col, item)
        self.empty_sources.setVisible(not status.sources)
        table.setVisible(bool(status.sources))
        failures = table_failures = self.failures_table
        table_failures.setRowCount(len(status.failures))
        en = language() == "en"
        for row, f in enumerate(status.failures):
            name = QTableWidgetItem(Path(f.path).name)
            name.setToolTip(f.path)
            reason = QTableWidgetItem(f.reason_en if en else f.reason_ja)
            reason.setToolTip(f.reason_en if en else f.reason_ja)
            failures.setItem(row, 0, name)
            failures.setItem(row, 1, reason)
            failures.setItem(row, 2, QTableWidgetItem(_short_time(f.when)))
        self.no_failures.setVisible(not status.failures)
        failures.setVisible(bool(status.failures))
        self.summary.setText(
            t(
                "合計 {files} ファイル・{chunks} 区切り(索引 {size})。読み込めなかったファイル {failed} 件。",
                files=f"{status.files:,}",
                chunks=f"{status.chunks:,}",
                size=_size(status.index_bytes),
                failed=len(status.failures),
            )
        )
        self._update_watch_label()
        if not self.indexing:
            self.indexStateChanged.emit(self._ready_text())
        self._update_buttons()
        self.statusRefreshed.emit()

    def _ready_text(self) -> str:
        if self.status is None:
            return ""
        return t("索引: {files} ファイル", files=f"{self.status.files:,}")

    def _update_watch_label(self) -> None:
        if self.services.watching:
            self.watch_label.setText(t("フォルダの変更を監視しています。追加・更新されたファイルは自動で索引に反映されます。"))
        elif self.services.settings.kb.watch:
            self.watch_label.setText(t("フォルダの監視は開始されていません。「再索引」で最新にできます。"))
        else:
            self.watch_label.setText(t("フォルダの監視は設定でオフです。変更後は「再索引」を押してください。"))

    def _update_semantic(self) -> None:
        state = self.services.embedding
        if state.problem:
            text = t("意味検索: 使えません — {problem}", problem=state.problem)
        elif not state.model:
            text = t("意味検索: オフ(語句の一致だけで検索します)。モデル画面で埋め込みモデルを選ぶと、言い換えた質問でも見つかるようになります。")
        elif state.running:
            text = t(
                "意味検索: {model} — {done} / {total} 区切りのベクトルを作成中({rate:.1f} 件/秒)。作成済みの分から検索に使われます。",
                model=state.model, done=f"{state.done:,}", total=f"{state.total:,}", rate=state.rate,
            )
        else:
            done, total = state.done, state.total
            if not total and self.status is not None:  # no pass this session: what the index says
                sem = self.status.semantic or {}
                done, total = int(sem.get("embedded", 0)), int(sem.get("total", 0))
            text = t("意味検索: {model} — {done} / {total} 区切り。言い換えた質問でも規程の該当箇所を探します。",
                     model=state.model, done=f"{done:,}", total=f"{total:,}")
            if state.sentences_running and state.sentences_total:
                text += "\n" + t("回答を速くするため、文のベクトルを作成中です({done} / {total} 文)。",
                          done=f"{state.sentences_done:,}", total=f"{state.sentences_total:,}")
        if self.semantic_label.text() != text:
            self.semantic_label.setText(text)
        chunks = state.running and state.total > 0
        sentences = not state.running and state.sentences_running and state.sentences_total > 0
        self.semantic_progress.setVisible(chunks or sentences)
        if chunks:
            self.semantic_progress.setRange(0, state.total)
            self.semantic_progress.setValue(min(state.done, state.total))
        elif sentences:
            self.semantic_progress.setRange(0, state.sentences_total)
            self.semantic_progress.setValue(min(state.sentences_done, state.sentences_total))

    def _show_error(self, exc: BaseException) -> None:
        QMessageBox.warning(self, t("ナレッジ"), describe(exc))

    def _update_buttons(self) -> None:
        busy = self.indexing
        self.add_button.setEnabled(not busy)
        self.remove_button.setEnabled(not busy and bool(self.sources_table.selectedItems()))
        self.reindex_button.setEnabled(not busy)
        self.cancel_button.setVisible(busy)

    # -- sources ------------------------------------------------------------------------------------
    def choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, t("資料のフォルダを選択"))
        if folder:
            self.add_folder(folder)

    def add_folder(self, folder: str) -> None:
        """Register ``folder`` and index it (both off the UI thread)."""
        kbase = self.services.kb
        workers().run(
            "kb.add_source", lambda: kbase.add_source(folder), lambda _: self.reindex([folder]), self._show_error,
            owner=self,
        )

    def remove_selected(self) -> None:
        rows = {i.row() for i in self.sources_table.selectedItems()}
        if not rows or self.status is None:
            return
        folder = self.status.sources[min(rows)].path
        answer = QMessageBox.question(
            self,
            t("登録を解除"),
            t("このフォルダを検索の対象から外しますか?\n{folder}\n\n(フォルダ内のファイルは削除されません。索引からだけ取り除きます)", folder=folder),
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        self.remove_folder(folder)

    def remove_folder(self, folder: str) -> None:
        services = self.services

        def op() -> None:
            services.stop_watch()
            services.kb.remove_source(folder)
            services.start_watch()

        workers().run("kb.remove_source", op, lambda _: self.refresh(), self._show_error, owner=self)

    # -- indexing -------------------------------------------------------------------------------------
    def start_background(self) -> None:
        """At start-up: bring the index up to date (only changed files are read), then watch."""
        self.reindex()

    def reindex(self, folders: list[str] | None = None) -> None:
        if self.indexing:
            return
        services = self.services

        def factory(cancel: threading.Event) -> Iterator[Any]:
            services.stop_watch()  # one writer at a time
            try:
                yield from services.index(folders=[Path(f) for f in folders] if folders else None, cancel=cancel)
            finally:
                if not cancel.is_set():
                    services.start_watch()

        self.last_progress = None
        self.progress.show()
        self.progress.setRange(0, 0)  # busy until the scan knows the total
        self.progress_label.setText(t("ファイルを確認しています…"))
        self.indexStateChanged.emit(t("索引: 更新中…"))
        self._index_job = workers().stream(
            "kb.index", factory, self._on_progress, done=self._on_index_done, failure=self._on_index_failed,
            throttle_ms=80, owner=self,
        )
        self._update_buttons()

    def cancel_index(self) -> None:
        if self._index_job is not None:
            self._index_job.cancel()

    def _on_progress(self, p: Any) -> None:
        self.last_progress = p
        if p.phase == "scan" or p.total <= 0:
            self.progress.setRange(0, 0)
            self.progress_label.setText(t("ファイルを確認しています… {n}", n=f"{p.done:,}"))
            return
        self.progress.setRange(0, max(1, p.total))
        self.progress.setValue(min(p.done, p.total))
        name = Path(p.path).name if p.path else ""
        self.progress_label.setText(t("{done} / {total} ファイル  {name}", done=f"{p.done:,}", total=f"{p.total:,}", name=name))
        self.indexStateChanged.emit(t("索引: 更新中 {done}/{total}", done=p.done, total=p.total))

    def _on_index_done(self, cancelled: bool) -> None:
        self._index_job = None
        p = self.last_progress
        if cancelled:
            self.progress_label.setText(t("中止しました。次回は続きから読み込みます。"))
        elif p is not None:
            self.progress_label.setText(
                t(
                    "完了: 追加 {a}・更新 {u}・削除 {r}・変更なし {n}・読めない {f}",
                    a=p.added, u=p.updated, r=p.removed, n=p.unchanged, f=p.failed,
                )
            )
        else:
            self.progress_label.setText(t("索引は最新です。"))
        self.progress.hide()
        self._update_buttons()
        self.services.start_embedding()  # the new and changed chunks' vectors, in the background
        self.refresh()
        self.indexFinished.emit()

    def _on_index_failed(self, exc: BaseException) -> None:
        self._index_job = None
        self._set_progress_idle()
        self.progress_label.setText(t("索引を更新できませんでした: {error}", error=describe(exc)))
        self.indexStateChanged.emit(t("索引: エラー"))
        self._update_buttons()
        self.indexFinished.emit()

    def _set_progress_idle(self) -> None:
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.progress.hide()
        self.progress_label.setText("")

    def _on_watched_change(self, paths: list[str]) -> None:
        self.indexStateChanged.emit(t("索引: {n} 件のファイルを反映しました", n=len(paths)))
        if self.isVisible():
            self.refresh()

    def teardown(self) -> None:
        self._semantic_timer.stop()
        self.cancel_index()
