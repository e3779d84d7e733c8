"""What 現場の声 does: filter and load floor notes, keep the lists fresh, save edits and follow-ups.

:class:`NotesPage` subclasses the page's look (:class:`ui.pages.notes.view.NotesView`) and connects its
buttons and the detail panel's requests to the actions here; logbook calls run in :mod:`ui.workers`.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

import ui.dialogs as common
from desktop.logbook import Filters, Note
from ui.dialogs.conflict import offer_conflict
from ui.i18n import t
from ui.pages.notes.view import OPEN_STATUSES, NotesView, is_overdue
from ui.workers import workers


class NotesPage(NotesView):
    """現場の声: capture, filter, follow up, export."""

    def __init__(self, services: Any, parent: QWidget | None = None) -> None:
        super().__init__(services, parent)
        self.capture_button.clicked.connect(self.open_capture)
        self.place.currentIndexChanged.connect(self.reload)
        common.events().note_saved.connect(self.note_captured)  # also from Ctrl+Shift+N on other pages
        self.detail_panel.save_requested.connect(self.save_note)
        self.detail_panel.followup_requested.connect(self.add_followup)

    # ---- filters -------------------------------------------------------------------------------------

    def extra_filters(self) -> dict[str, Any]:
        return {"place": common.combo_value(self.place)}

    def status_values(self, status: str) -> tuple[str, ...]:
        if status in ("未完了", "期限切れ"):
            return OPEN_STATUSES
        return (status,) if status else ()

    # ---- data ----------------------------------------------------------------------------------------

    def query(self, filters: Filters) -> list[Any]:
        notes = self.services.logbook.notes.list(filters)
        if common.combo_value(self.status) == "期限切れ":
            today = date.today()
            notes = [n for n in notes if is_overdue(n, today)]
        return notes

    def count_all(self) -> int:
        return int(self.services.logbook.notes.count())

    def summarize(self, rows: list[Any]) -> str:
        today = date.today()
        overdue = sum(1 for n in rows if is_overdue(n, today))
        return t("期限切れ {n} 件", n=overdue) if overdue else ""

    def choices_loaded(self, choices: common.Choices) -> None:
        super().choices_loaded(choices)
        current = common.combo_value(self.category)
        common.fill_vocab(self.category, [], t("すべての分類"))
        self.category.blockSignals(True)
        for c in choices.note_categories:
            self.category.addItem(c, c)
        common.select_value(self.category, current)
        self.category.blockSignals(False)
        place = common.combo_value(self.place)
        self.place.blockSignals(True)
        self.place.clear()
        self.place.addItem(t("すべての場所"), "")
        for p in choices.places:
            self.place.addItem(p, p)
        common.select_value(self.place, place)
        self.place.blockSignals(False)
        self.detail_panel.set_choices(choices)

    def show_record(self, record: Any | None, force: bool = False) -> None:
        shown = self.detail_panel.note
        same = shown is not None and record is not None and shown.id == record.id
        if same and not force and self.detail_panel.is_dirty():
            return
        self.detail_panel.show_note(record if isinstance(record, Note) else None)

    # ---- actions -------------------------------------------------------------------------------------

    def open_capture(self) -> None:
        from ui.dialogs.note_capture import NoteCaptureDialog

        dialog = NoteCaptureDialog(self.services, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        dialog.open()
        self.capture_dialog = dialog

    def note_captured(self, note: Note) -> None:
        if self.isVisible():  # a hidden page reloads when it is shown (activated)
            self.reload_choices()
            self.reload(select_id=note.id)

    def save_note(self, note: Note) -> None:
        workers().run(
            "update-note",
            lambda: self.services.logbook.notes.update(note),
            success=self._note_saved,
            failure=self._note_save_failed,
            owner=self,
        )

    def _note_save_failed(self, exc: BaseException) -> None:
        # team mode: another PC saved first — show both versions and let the user choose
        if offer_conflict(self, exc, save_again=self.save_note, keep_theirs=self.record_saved) is None:
            self.detail_panel.show_error(t("保存できませんでした：") + common.describe(exc))
        else:
            self.detail_panel.save_finished()

    def _note_saved(self, note: Note) -> None:
        self.detail_panel.save_finished()
        self.record_saved(note)
        common.announce(self, t("変更を保存しました"))

    def add_followup(self, note_id: str, text: str) -> None:
        workers().run(
            "add-followup",
            lambda: common.add_followup(self.services, note_id, text),
            success=self._followup_added,
            failure=lambda exc: self.detail_panel.show_error(t("対応を追加できませんでした：") + common.describe(exc)),
            owner=self,
        )

    def _followup_added(self, note: Note) -> None:
        panel = self.detail_panel
        panel.followup_text.clear()
        panel.save_finished()
        self.model.replace_row(note)
        if panel.note is not None and panel.note.id == note.id and panel.is_dirty():
            # Keep the unsaved field edits; only the history changed.
            panel.note = note
            panel.fill_followups(note)
        else:
            self.show_record(note, force=True)
        common.announce(self, t("対応を追加しました"))
