"""The list and the editor of プロンプト集: load (best first), select, fill the tabs, keep unsaved edits, save.

:class:`ListActions` adds to :class:`ui.pages.prompts.running.RunActions` what the list, the search box, the
tag filter and the 編集 tab do. Loading runs in a worker and an answer to an older request is dropped;
switching away from unsaved edits asks 保存 / 保存しない / キャンセル first.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QListWidgetItem, QMessageBox, QWidget

import ui.dialogs as common
from desktop.logbook import Prompt
from desktop.logbook.records import split_tags
from ui.i18n import t
from ui.pages.prompts.library import PLACEHOLDER, Library, RunState, load_library, meta_text
from ui.pages.prompts.running import RunActions
from ui.workers import Job, workers

SEARCH_DEBOUNCE_MS = 250


class ListActions(RunActions):
    """Loading and selecting prompts, and the editor (see the module docstring)."""

    def __init__(self, services: Any, parent: QWidget | None = None) -> None:
        super().__init__(services, parent)
        self.tags: list[str] = []
        self.total = 0
        self.confirm_box: QMessageBox | None = None
        self._generation = 0
        self._pending_select: str | None = None
        self._load_job: Job | None = None
        self._filling = False
        self._editing_new = False  # the editor holds a prompt not saved yet

    def _connect(self) -> None:
        super()._connect()
        self.list.currentItemChanged.connect(lambda cur, _prev: self._item_selected(cur))
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(SEARCH_DEBOUNCE_MS)
        self._debounce.timeout.connect(self.reload)
        self.search.textChanged.connect(self._debounce.start)
        self.tag_filter.currentIndexChanged.connect(lambda _i: self.reload())
        self.insert_placeholder_button.clicked.connect(self.insert_placeholder)
        self.save_button.clicked.connect(lambda: self.save())
        QShortcut(QKeySequence("Ctrl+S"), self.editor_tab, lambda: self.save(),
                  context=Qt.ShortcutContext.WidgetWithChildrenShortcut)

    # ---- loading -------------------------------------------------------------------------------------

    def reload(self, select_id: str | None = None) -> None:
        """Load the list with the current search and tag; an answer to an older request is dropped."""
        self._generation += 1
        generation = self._generation
        if select_id is not None:
            self._pending_select = select_id
        elif self._pending_select is None and self.current is not None:
            self._pending_select = self.current.id
        text = self.search.text().strip()
        tag = str(self.tag_filter.currentData() or "")
        services = self.services
        self._load_job = workers().run(
            "prompts-load",
            lambda: load_library(services, text, tag),
            success=lambda lib: self._loaded(generation, lib),
            failure=lambda exc: self._load_failed(generation, exc),
            owner=self,
        )

    def _loaded(self, generation: int, lib: Library) -> None:
        if generation != self._generation:
            return
        self._load_job = None
        self.prompts, self.total = lib.prompts, lib.total
        self._set_tags(lib.tags)
        target = self._pending_select
        self._pending_select = None
        self.list.blockSignals(True)
        self.list.clear()
        for p in lib.prompts:
            item = QListWidgetItem()
            self._set_item(item, p)
            self.list.addItem(item)
        self.list.blockSignals(False)
        self._update_empty_state()
        chosen = next((p for p in lib.prompts if p.id == target), None) if target else None
        keep_editor = (self._editing_new and target is None) or (
            self.editor_dirty() and (chosen is None or self.current is None or chosen.id != self.current.id)
        )
        if keep_editor:
            # Unsaved edits stay on screen even when the new list no longer shows their prompt.
            if self.current is not None:
                self._mark_in_list(self.current.id)
        else:
            if chosen is None and lib.prompts:
                chosen = lib.prompts[0]
            if chosen is not None:
                self.select_id(chosen.id)
            else:
                self._show_prompt(None)
        self.loaded.emit(len(lib.prompts))

    def _load_failed(self, generation: int, exc: BaseException) -> None:
        if generation != self._generation:
            return
        self._load_job = None
        self.prompts = []
        self.list.clear()
        self.empty_label.setText(
            html.escape(t("プロンプト集を読み込めませんでした。")) + "<br>" + html.escape(common.describe(exc))
        )
        self._set_empty_buttons(False)
        self.list_stack.setCurrentWidget(self.empty)
        self.loaded.emit(0)

    def _set_tags(self, tags: list[str]) -> None:
        current = str(self.tag_filter.currentData() or "")
        self.tags = tags
        self.tag_filter.blockSignals(True)
        self.tag_filter.clear()
        self.tag_filter.addItem(t("すべてのタグ"), "")
        for tag in tags:
            self.tag_filter.addItem(f"#{tag}", tag)
        if current and current not in tags:
            self.tag_filter.addItem(f"#{current}", current)
        self.tag_filter.setCurrentIndex(max(0, self.tag_filter.findData(current)))
        self.tag_filter.blockSignals(False)

    def _update_empty_state(self) -> None:
        if self.prompts:
            self.list_stack.setCurrentWidget(self.list)
            return
        if self.total == 0:
            self.empty_label.setText(
                "<b>" + html.escape(t("プロンプト集はまだ空です。")) + "</b><br><br>"
                + html.escape(t("うまくいったプロンプト（AIへの指示文）をここに集めると、チームの誰でも同じ品質で使えます。"))
                + "<br><br>"
                + html.escape(t("まずは総務の仕事ですぐ使えるおすすめのプロンプトを追加するか、自分で書くか、同僚が書き出したファイルを読み込んでください。"))
            )
            self._set_empty_buttons(True)
        else:
            self.empty_label.setText(
                html.escape(t("条件に合うプロンプトはありません。")) + "<br>"
                + html.escape(t("検索語を短くするか、タグを「すべてのタグ」に戻してください。"))
            )
            self._set_empty_buttons(False)
        self.list_stack.setCurrentWidget(self.empty)

    # ---- selection -----------------------------------------------------------------------------------

    def select_id(self, prompt_id: str) -> bool:
        for i in range(self.list.count()):
            item = self.list.item(i)
            if item.data(Qt.ItemDataRole.UserRole) == prompt_id:
                if self.list.currentItem() is item:
                    self._item_selected(item)
                else:
                    self.list.setCurrentItem(item)
                self.list.scrollToItem(item)
                return True
        return False

    def _mark_in_list(self, prompt_id: str | None) -> None:
        """Highlight ``prompt_id`` in the list (or nothing) without reacting to it."""
        self.list.blockSignals(True)
        self.list.setCurrentRow(-1)
        for i in range(self.list.count()):
            if self.list.item(i).data(Qt.ItemDataRole.UserRole) == prompt_id:
                self.list.setCurrentRow(i)
        self.list.blockSignals(False)

    def _item_selected(self, item: QListWidgetItem | None) -> None:
        if item is None:
            return
        prompt_id = item.data(Qt.ItemDataRole.UserRole)
        found = next((p for p in self.prompts if p.id == prompt_id), None)
        if found is None:
            return
        leaving = self._editing_new or (self.current is not None and self.current.id != found.id)
        if leaving and self.editor_dirty():
            self._mark_in_list(self.current.id if self.current is not None else None)
            self.confirm_leave(lambda: self.select_id(found.id))
            return
        self._show_prompt(found)

    def _show_prompt(self, p: Prompt | None) -> None:
        """Show ``p`` in both tabs. The same prompt again (after a reload) only refreshes its figures, so the
        user's input and the output of a run stay."""
        same = p is not None and self.current is not None and p.id == self.current.id
        self.current = p
        self._editing_new = False
        if p is None:
            self.stop()
            self.run_state = RunState()
            self.use_title.setText("")
            self.use_meta.setText("")
            self.template_view.setPlainText("")
            self.output.clear()
            self._fill_editor(None)
            self.detail_stack.setCurrentIndex(0)
            self._update_buttons()
            return
        self.detail_stack.setCurrentWidget(self.tabs)
        self.tabs.setTabEnabled(0, True)
        self.use_title.setText(p.title)
        self.use_meta.setText(meta_text(p))
        self.template_view.setPlainText(p.text)
        self.input_label.setText(
            t("入力（本文の {入力} の位置に入ります）") if PLACEHOLDER in p.text
            else t("入力（本文の後ろに付きます。なくても実行できます）")
        )
        if not same:
            self.stop()
            self.run_state = RunState()
            self.output.clear()
            self.run_status.setText("")
            self._fill_editor(p)
        self._update_buttons()

    def _fill_editor(self, p: Prompt | None) -> None:
        self._filling = True
        self.edit_heading.setText(t("プロンプトを編集") if p is not None else t("新しいプロンプト"))
        self.title_edit.setText(p.title if p else "")
        self.author_edit.setText(p.author if p else self.services.settings.logbook.staff_name)
        self.tags_edit.setText(", ".join(p.tags) if p else "")
        self.text_edit.setPlainText(p.text if p else "")
        self.edit_status.setText("")
        self.delete_button.setEnabled(p is not None)
        self._filling = False

    # ---- editing -------------------------------------------------------------------------------------

    def insert_placeholder(self) -> None:
        self.text_edit.insertPlainText(PLACEHOLDER)
        self.text_edit.setFocus()

    def edited_prompt(self) -> Prompt:
        """The editor's values as a prompt (the current one's id and counters, or a new one)."""
        base = self.current
        p = Prompt(
            title=self.title_edit.text().strip(),
            text=self.text_edit.toPlainText().strip("\n"),
            author=self.author_edit.text().strip(),
            tags=split_tags(self.tags_edit.text()),
        )
        if base is not None:
            p.id, p.uses, p.rating_total, p.rating_count = base.id, base.uses, base.rating_total, base.rating_count
            p.created_at = base.created_at
        return p

    def editor_dirty(self) -> bool:
        """Whether the editor holds changes that 保存 has not stored (switching away would lose them)."""
        base = self.current
        if base is None and not self._editing_new:
            return False
        p = self.edited_prompt()
        if base is None:
            default_author = self.services.settings.logbook.staff_name.strip()
            return bool(p.title or p.text.strip() or p.tags or p.author != default_author)
        return (p.title, p.text.strip("\n"), p.author, p.tags) != (
            base.title, base.text.strip("\n"), base.author, base.tags
        )

    def confirm_leave(self, proceed: Callable[[], object]) -> None:
        """Unsaved edits: ask 保存 / 保存しない / キャンセル (window-modal), then ``proceed``."""
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle(t("保存していない変更"))
        name = self.title_edit.text().strip() or t("新しいプロンプト")
        box.setText(t("「{title}」の変更を保存しますか？", title=name))
        box.setInformativeText(t("保存しないと、編集した内容は失われます。"))
        save = box.addButton(t("保存"), QMessageBox.ButtonRole.AcceptRole)
        discard = box.addButton(t("保存しない"), QMessageBox.ButtonRole.DestructiveRole)
        box.addButton(t("キャンセル"), QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(save)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)

        def clicked(button: object) -> None:
            self.confirm_box = None
            if button is save:
                self.save(then=proceed)
            elif button is discard:
                self._editing_new = False
                self._fill_editor(self.current)
                proceed()
            else:
                self.tabs.setCurrentIndex(1)

        box.buttonClicked.connect(clicked)
        self.confirm_box = box
        box.open()

    def save(self, then: Callable[[], object] | None = None) -> None:
        """Store the editor's prompt (in a worker); ``then`` runs after a successful save instead of
        selecting the saved prompt."""
        p = self.edited_prompt()
        if not p.title or not p.text.strip():
            self._edit_message(t("題名と本文を入力してください。"), error=True)
            (self.title_edit if not p.title else self.text_edit).setFocus()
            return
        is_new = self.current is None
        services = self.services

        def op() -> Prompt:
            library = services.logbook.prompts
            return library.add(p) if is_new else library.update(p)

        def done(stored: Prompt) -> None:
            self.current = stored
            self._editing_new = False
            self._edit_message(t("保存しました。"))
            self.tabs.setTabEnabled(0, True)
            if then is None:
                self.reload(select_id=stored.id)
            else:
                then()
                self.reload()
            self.saved.emit(stored.id)

        self.save_button.setEnabled(False)
        workers().run(
            "prompt-save", op, done,
            lambda exc: self._edit_message(t("保存できませんでした: {error}", error=common.describe(exc)), error=True),
            owner=self,
        )
