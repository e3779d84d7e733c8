"""The detail panel of 現場の声: edit one floor note, change its status, add follow-ups.

:class:`NoteDetail` is a self-contained widget: it builds its form, fills it from a :class:`Note`, and asks
the page to store edits through its signals (the page runs the worker; see
:mod:`ui.pages.notes.controller`).
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QDate, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

import ui.dialogs as common
from desktop.logbook import Note
from ui.i18n import t
from ui.models.log_tables import format_when


class NoteDetail(QWidget):
    """Edit one floor note: fields, status, owner, due date, follow-ups.

    Signals: ``save_requested(Note)`` with the edited copy, ``followup_requested(str, str)`` (id, text).
    """

    save_requested = Signal(object)
    followup_requested = Signal(str, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.note: Note | None = None
        self._filling = False
        self.heading = QLabel(t("記録を選ぶと、ここで編集できます"))
        self.heading.setObjectName("sectionTitle")
        self.heading.setWordWrap(True)
        self.meta = QLabel("")
        self.meta.setObjectName("muted")
        self.meta.setWordWrap(True)

        self.text = QPlainTextEdit()
        self.text.setTabChangesFocus(True)
        self.text.setMinimumHeight(70)
        self.text.setMaximumHeight(120)
        self.place = common.history_combo(t("場所"))
        self.department = common.history_combo(t("部署"))
        self.category = common.narrow(QComboBox())
        self.severity = common.narrow(QComboBox())
        common.fill_vocab(self.severity, common.SEVERITIES)
        self.status = common.narrow(QComboBox())
        common.fill_vocab(self.status, common.NOTE_STATUSES)
        self.owner = common.history_combo(t("担当者"))
        self.has_due = QCheckBox(t("設定する"))
        self.due = QDateEdit()
        self.due.setCalendarPopup(True)
        self.due.setDisplayFormat("yyyy-MM-dd")
        self.due.setDate(QDate.currentDate().addDays(7))
        self.due.setEnabled(False)
        self.has_due.toggled.connect(self.due.setEnabled)
        self.resolved = QLabel("")
        self.resolved.setObjectName("muted")
        self.resolved.setWordWrap(True)
        self.tags = QLineEdit()
        self.tags.setPlaceholderText(t("読点・カンマ区切り（任意）"))
        self.speaker = QLineEdit()
        self.anonymous = QCheckBox(t("匿名"))
        self.anonymous.toggled.connect(lambda on: self.speaker.setEnabled(not on))
        self.cause = QLineEdit()
        self.consequence = QLineEdit()
        self.countermeasure = QLineEdit()

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow(t("内容"), self.text)
        form.addRow(t("場所"), self.place)
        form.addRow(t("部署"), self.department)
        form.addRow(t("分類"), self.category)
        form.addRow(t("重要度"), self.severity)
        form.addRow(t("状態"), self.status)
        form.addRow(t("担当"), self.owner)
        due_row = QHBoxLayout()
        due_row.addWidget(self.has_due)
        due_row.addWidget(self.due, 1)
        form.addRow(t("期限"), due_row)
        form.addRow(t("解決日"), self.resolved)
        form.addRow(t("タグ"), self.tags)
        who = QHBoxLayout()
        who.addWidget(self.speaker, 1)
        who.addWidget(self.anonymous)
        form.addRow(t("話した人"), who)
        form.addRow(t("原因"), self.cause)
        form.addRow(t("起こりうること"), self.consequence)
        form.addRow(t("対策"), self.countermeasure)

        self.progress_button = QPushButton(t("対応中へ"))
        self.done_button = QPushButton(t("対応済へ"))
        self.skip_button = QPushButton(t("見送りへ"))
        self.progress_button.setToolTip(t("状態を「対応中」にして保存します"))
        self.done_button.setToolTip(t("状態を「対応済」にして保存します（解決日が入ります）"))
        self.skip_button.setToolTip(t("状態を「見送り」にして保存します（解決日が入ります）"))
        self.progress_button.clicked.connect(lambda: self.quick_status("対応中"))
        self.done_button.clicked.connect(lambda: self.quick_status("対応済"))
        self.skip_button.clicked.connect(lambda: self.quick_status("見送り"))
        status_row = QHBoxLayout()
        for b in (self.progress_button, self.done_button, self.skip_button):
            status_row.addWidget(b)
        status_row.addStretch(1)

        self.save_button = QPushButton(t("変更を保存"))
        self.save_button.setObjectName("primary")
        self.save_button.clicked.connect(self.request_save)
        self.revert_button = QPushButton(t("元に戻す"))
        self.revert_button.clicked.connect(lambda: self.show_note(self.note))
        self.error = QLabel("")
        self.error.setObjectName("error")
        self.error.setWordWrap(True)
        self.error.setVisible(False)
        save_row = QHBoxLayout()
        save_row.addStretch(1)
        save_row.addWidget(self.revert_button)
        save_row.addWidget(self.save_button)

        self.followups = QListWidget()
        self.followups.setWordWrap(True)
        self.followups.setMinimumHeight(90)
        self.followup_text = QLineEdit()
        self.followup_text.setPlaceholderText(t("対応の記録（例：業者に修理を依頼）"))
        self.followup_text.returnPressed.connect(self.request_followup)
        self.followup_button = QPushButton(t("対応を追加"))
        self.followup_button.clicked.connect(self.request_followup)
        fu_row = QHBoxLayout()
        fu_row.addWidget(self.followup_text, 1)
        fu_row.addWidget(self.followup_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 0, 4, 0)
        layout.addWidget(self.heading)
        layout.addWidget(self.meta)
        layout.addLayout(status_row)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addLayout(save_row)
        followup_title = QLabel(t("対応履歴"))
        followup_title.setObjectName("sectionTitle")
        layout.addWidget(followup_title)
        layout.addWidget(self.followups)
        layout.addLayout(fu_row)
        layout.addStretch(1)
        QShortcut(QKeySequence("Ctrl+S"), self, self.request_save)
        self.show_note(None)

    def set_choices(self, choices: common.Choices) -> None:
        common.set_items_keep(self.category, choices.note_categories)
        common.fill_history(self.place, choices.places)
        common.fill_history(self.department, choices.departments)
        common.fill_history(self.owner, choices.owners)

    def show_note(self, note: Note | None) -> None:
        self._filling = True
        self.note = note
        enabled = note is not None
        for w in self.findChildren(QWidget):
            if w not in (self.heading, self.meta):
                w.setEnabled(enabled)
        self.error.setVisible(False)
        if note is None:
            self.heading.setText(t("記録を選ぶと、ここで編集できます"))
            self.meta.setText("")
            for edit in (self.text,):
                edit.setPlainText("")
            for line in (self.tags, self.speaker, self.cause, self.consequence, self.countermeasure,
                         self.followup_text):
                line.clear()
            self.followups.clear()
            self._filling = False
            return
        self.heading.setText(common_summary(note))
        self.meta.setText(t("記録 {when}・更新 {updated}", when=format_when(note.occurred_at),
                            updated=format_when(note.updated_at)))
        self.text.setPlainText(note.text)
        self.place.setEditText(note.place)
        self.department.setEditText(note.department)
        if self.category.findText(note.category) < 0:
            self.category.addItem(note.category)
        self.category.setCurrentText(note.category)
        common.select_value(self.severity, note.severity)
        common.select_value(self.status, note.status)
        self.owner.setEditText(note.owner)
        self.has_due.setChecked(bool(note.due_date))
        self.due.setEnabled(bool(note.due_date))
        if note.due_date:
            self.due.setDate(QDate.fromString(note.due_date, "yyyy-MM-dd"))
        else:
            self.due.setDate(QDate.currentDate().addDays(7))
        self.resolved.setText(note.resolved_date or t("（対応済・見送りにすると自動で入ります）"))
        self.tags.setText("、".join(note.tags))
        self.anonymous.setChecked(note.anonymous)
        self.speaker.setText(note.speaker)
        self.speaker.setEnabled(not note.anonymous)
        self.cause.setText(note.cause)
        self.consequence.setText(note.consequence)
        self.countermeasure.setText(note.countermeasure)
        self.fill_followups(note)
        self.progress_button.setEnabled(note.status != "対応中")
        self.done_button.setEnabled(note.status != "対応済")
        self.skip_button.setEnabled(note.status != "見送り")
        self._filling = False

    def fill_followups(self, note: Note) -> None:
        self.followups.clear()
        for fu in note.followups:
            who = f"  {fu.staff}" if fu.staff else ""
            self.followups.addItem(f"{format_when(fu.at)}{who}\n{fu.text}")
        if not note.followups:
            self.followups.addItem(t("まだ対応の記録はありません"))

    def edited(self) -> Note | None:
        """A copy of the note with the panel's values (the resolved date follows the status)."""
        if self.note is None:
            return None
        note = replace(self.note, followups=list(self.note.followups))
        note.text = self.text.toPlainText().strip()
        note.place = self.place.currentText().strip()
        note.department = self.department.currentText().strip()
        note.category = self.category.currentText().strip() or common.FALLBACK_CATEGORY
        note.severity = common.combo_value(self.severity)
        note.owner = self.owner.currentText().strip()
        note.due_date = self.due.date().toString("yyyy-MM-dd") if self.has_due.isChecked() else ""
        note.tags = [p.strip() for p in self.tags.text().replace("、", ",").split(",") if p.strip()]
        note.anonymous = self.anonymous.isChecked()
        note.speaker = "" if note.anonymous else self.speaker.text().strip()
        note.cause = self.cause.text().strip()
        note.consequence = self.consequence.text().strip()
        note.countermeasure = self.countermeasure.text().strip()
        note.set_status(common.combo_value(self.status))
        return note

    def is_dirty(self) -> bool:
        """Unsaved edits in the panel (a reload or a sort must not throw them away)."""
        if self.note is None:
            return False
        edited = self.edited()
        return edited is not None and edited != replace(self.note, followups=list(self.note.followups))

    def quick_status(self, status: str) -> None:
        common.select_value(self.status, status)
        self.request_save()

    def request_save(self) -> None:
        note = self.edited()
        if note is None:
            return
        if not note.text:
            self.show_error(t("内容を入力してください。"))
            return
        self.error.setVisible(False)
        self.save_button.setEnabled(False)
        self.save_requested.emit(note)

    def request_followup(self) -> None:
        text = self.followup_text.text().strip()
        if self.note is None or not text:
            return
        self.followup_button.setEnabled(False)
        self.followup_requested.emit(self.note.id, text)

    def save_finished(self) -> None:
        self.save_button.setEnabled(True)
        self.followup_button.setEnabled(True)

    def show_error(self, text: str) -> None:
        self.save_finished()
        self.error.setText(text)
        self.error.setVisible(True)


def common_summary(note: Note) -> str:
    where = note.place or t("場所未記入")
    return f"{where}・{note.category}"
