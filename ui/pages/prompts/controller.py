"""プロンプト集 (prompt library): the page, its toolbar, deleting, and sharing the library through a file.

:class:`PromptsPage` is the top of the page's layers (see :mod:`ui.pages.prompts`): it builds the widgets,
lets every layer connect its own (``_connect``), and handles 新規, 削除, 書き出し, 読み込み and the starter
set. 書き出し / 読み込み move the library through a JSON file (a shared folder, a USB stick) with the merge
rules of :mod:`desktop.prompt_share`; every logbook call runs in a worker (:mod:`ui.workers`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QHideEvent, QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

import ui.dialogs as common
from desktop import prompt_share
from ui.i18n import t
from ui.pages.prompts.listing import ListActions
from ui.workers import Job, workers


class PromptsPage(ListActions):
    """The shared prompt library (signals: see :class:`ui.pages.prompts.view.PromptsView`)."""

    def __init__(self, services: Any, parent: QWidget | None = None) -> None:
        super().__init__(services, parent)
        self._build()
        self._connect()
        self._show_prompt(None)

    def _connect(self) -> None:
        super()._connect()
        self.new_button.clicked.connect(self.new_prompt)
        self.empty_new_button.clicked.connect(self.new_prompt)
        self.import_button.clicked.connect(self.ask_import)
        self.empty_import_button.clicked.connect(self.ask_import)
        self.export_button.clicked.connect(self.ask_export)
        self.starter_button.clicked.connect(self.add_starter_set)
        self.delete_button.clicked.connect(self.ask_delete)
        QShortcut(QKeySequence("Ctrl+N"), self, self.new_prompt)
        QShortcut(QKeySequence("Ctrl+F"), self, self._focus_search)

    # ---- page interface ----------------------------------------------------------------------------

    def activated(self) -> None:
        self.refresh_model_state()
        self.reload()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._model_poll.start()

    def hideEvent(self, event: QHideEvent) -> None:
        super().hideEvent(event)
        self._model_poll.stop()

    def teardown(self) -> None:
        self._debounce.stop()
        self._model_poll.stop()
        for job in (self._run_job, self._load_job):
            if job is not None:
                job.close()

    def _focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

    # ---- editing -------------------------------------------------------------------------------------

    def new_prompt(self) -> None:
        if self.editor_dirty():
            self.confirm_leave(self.new_prompt)
            return
        self._mark_in_list(None)
        self._show_prompt(None)
        self._editing_new = True
        self.detail_stack.setCurrentWidget(self.tabs)
        self.tabs.setTabEnabled(0, False)  # nothing to use until it is saved
        self.tabs.setCurrentIndex(1)
        self.title_edit.setFocus()

    def ask_delete(self) -> None:
        """Ask before deleting (window-modal, not blocking); 削除 in the box deletes."""
        p = self.current
        if p is None:
            return
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle(t("プロンプトの削除"))
        box.setText(t("「{title}」を削除しますか？", title=p.title))
        box.setInformativeText(t("この PC のプロンプト集から消えます。書き出したファイルや同僚の PC には残ります。"))
        delete = box.addButton(t("削除"), QMessageBox.ButtonRole.DestructiveRole)
        box.addButton(t("キャンセル"), QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(QMessageBox.StandardButton.NoButton)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        box.buttonClicked.connect(lambda button: self.delete(p.id) if button is delete else None)
        self.confirm_box = box
        box.open()

    def delete(self, prompt_id: str) -> None:
        """Delete without asking (after the confirmation)."""
        self.confirm_box = None
        services = self.services

        def done(_ok: bool) -> None:
            if self.current is not None and self.current.id == prompt_id:
                self._show_prompt(None)
                self.tabs.setCurrentIndex(0)
            self._pending_select = None
            self._flash(t("削除しました。"))
            self.reload()

        workers().run(
            "prompt-delete", lambda: services.logbook.prompts.delete(prompt_id), done,
            lambda exc: self._flash(t("削除できませんでした: {error}", error=common.describe(exc)), error=True),
            owner=self,
        )

    # ---- sharing -------------------------------------------------------------------------------------

    def ask_export(self) -> None:
        name = t("プロンプト集_{date}.json", date=date.today().strftime("%Y%m%d"))
        path, _ = QFileDialog.getSaveFileName(
            self, t("プロンプト集を書き出す"), str(Path.home() / name), t("プロンプト集 (*.json)")
        )
        if path:
            if not path.lower().endswith(".json"):
                path += ".json"
            self.export_to(Path(path))

    def export_to(self, path: Path) -> Job:
        services = self.services

        def done(n: int) -> None:
            self._flash(t("{n} 件を書き出しました: {path}", n=n, path=str(path)))

        return self._share_job("prompts-export", lambda: prompt_share.export_library(services.logbook, path), done,
                               t("書き出せませんでした: {error}"))

    def ask_import(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, t("プロンプト集を読み込む"), str(Path.home()),
            t("プロンプト集 (*.json)") + ";;" + t("すべてのファイル (*)"),
        )
        if path:
            self.import_from(Path(path))

    def import_from(self, path: Path) -> Job:
        services = self.services

        def done(result: prompt_share.MergeResult) -> None:
            self._flash(t("読み込みました（追加 {added} 件、更新 {updated} 件、変更なし {unchanged} 件）",
                          added=result.added, updated=result.updated, unchanged=result.unchanged))
            self.reload()

        return self._share_job("prompts-import", lambda: prompt_share.import_file(services.logbook, path), done,
                               t("読み込めませんでした。何も変更していません: {error}"))

    def add_starter_set(self) -> Job:
        services = self.services

        def done(result: prompt_share.MergeResult) -> None:
            if result.added:
                self._flash(t("おすすめのプロンプトを {n} 件追加しました。", n=result.added))
            else:
                self._flash(t("おすすめのプロンプトはすべて追加済みです。"))
            self._pending_select = None
            self.reload()

        return self._share_job("prompts-starter", lambda: prompt_share.add_starter_set(services.logbook), done,
                               t("追加できませんでした: {error}"))

    def _share_job(self, name: str, op: Callable[[], Any], done: Callable[[Any], None], failed: str) -> Job:
        buttons = (self.import_button, self.export_button, self.starter_button, self.empty_import_button)
        for b in buttons:
            b.setEnabled(False)

        def success(value: Any) -> None:
            for b in buttons:
                b.setEnabled(True)
            done(value)
            self.shared.emit(self.status_label.text())

        def failure(exc: BaseException) -> None:
            for b in buttons:
                b.setEnabled(True)
            self._flash(failed.format(error=common.describe(exc)), error=True)
            self.shared.emit(self.status_label.text())

        return workers().run(name, op, success, failure, owner=self)
