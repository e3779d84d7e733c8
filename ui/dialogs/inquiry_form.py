"""The inquiry form (問い合わせの記録): opened from the answer page pre-filled, or empty from the inquiries page.

``prefill`` keys (all optional): ``question``, ``answer``, ``sources`` (list of ``{path, title, location}``),
``channel``, ``minutes``. Ctrl+Enter saves, Esc cancels (asking first when something was typed). A failed
save keeps the dialog open with the message, so nothing typed is lost.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

import ui.dialogs as common
from desktop.logbook import Inquiry, Source
from ui import catalog_log  # noqa: F401 — registers the English strings
from ui.dialogs.record_dialog import RecordDialog
from ui.i18n import t
from ui.workers import workers

log = logging.getLogger(__name__)

SOURCE_ROLE = 0x0100 + 7  # Qt.UserRole + 7: the Source behind a list item


class InquiryFormDialog(RecordDialog):
    """Record one inquiry.

    Signals: ``saved(Inquiry)`` once it is in the logbook.
    """

    def __init__(self, services: Any, parent: QWidget | None = None, prefill: Mapping[str, Any] | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.prefill = dict(prefill or {})
        self.setWindowTitle(t("問い合わせを記録"))
        self.setMinimumWidth(620)
        self._build()
        self._apply_prefill()
        self.choices_job = workers().run(
            "inquiry-choices",
            lambda: common.load_choices(self.services),
            success=self._choices_loaded,
            failure=lambda exc: self._show_error(common.describe(exc)),
            owner=self,
        )

    def _build(self) -> None:
        self.channel = QComboBox()
        common.fill_vocab(self.channel, common.CHANNELS)
        self.department = common.history_combo(t("例：営業部"))
        self.requester = QLineEdit()
        self.requester.setPlaceholderText(t("任意"))
        self.question = QPlainTextEdit()
        self.question.setTabChangesFocus(True)
        self.question.setPlaceholderText(t("何を聞かれたか"))
        self.question.setMaximumHeight(80)
        self.answer = QPlainTextEdit()
        self.answer.setTabChangesFocus(True)
        self.answer.setPlaceholderText(t("どう答えたか"))
        self.answer.setMinimumHeight(90)
        self.sources = QListWidget()
        self.sources.setMaximumHeight(90)
        self.remove_source = QPushButton(t("選んだ出典を外す"))
        self.remove_source.clicked.connect(self._remove_source)
        self.category = QComboBox()
        self.category.setPlaceholderText(t("未選択"))
        self.status = QComboBox()
        common.fill_vocab(self.status, common.INQUIRY_STATUSES)
        self.minutes = QSpinBox()
        self.minutes.setRange(0, 24 * 60)
        self.minutes.setSuffix(t(" 分"))
        self.staff = QLineEdit()
        self.staff.setText(self.services.settings.logbook.staff_name)
        self.staff.setPlaceholderText(t("対応した人（設定で既定値を決められます）"))

        form = QFormLayout()
        top = QHBoxLayout()
        top.addWidget(self.channel)
        top.addWidget(QLabel(t("部署")))
        top.addWidget(self.department, 2)
        top.addWidget(QLabel(t("氏名")))
        top.addWidget(self.requester, 1)
        form.addRow(t("経路"), top)
        form.addRow(t("質問"), self.question)
        form.addRow(t("回答"), self.answer)
        self.sources_row = QWidget()
        src = QVBoxLayout(self.sources_row)
        src.setContentsMargins(0, 0, 0, 0)
        src.addWidget(self.sources)
        remove_row = QHBoxLayout()
        remove_row.addWidget(self.remove_source)
        remove_row.addStretch(1)
        src.addLayout(remove_row)
        form.addRow(t("出典"), self.sources_row)
        state = QHBoxLayout()
        state.addWidget(self.category, 2)
        state.addWidget(QLabel(t("状態")))
        state.addWidget(self.status, 1)
        form.addRow(t("分類"), state)
        who = QHBoxLayout()
        who.addWidget(self.minutes)
        who.addWidget(QLabel(t("担当")))
        who.addWidget(self.staff, 1)
        form.addRow(t("対応時間"), who)

        error, buttons = self.build_footer()
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(error)
        layout.addLayout(buttons)

    def _apply_prefill(self) -> None:
        p = self.prefill
        self.question.setPlainText(str(p.get("question") or ""))
        self.answer.setPlainText(str(p.get("answer") or ""))
        channel = str(p.get("channel") or "")
        if channel:
            common.select_value(self.channel, channel)
        minutes = p.get("minutes")
        if isinstance(minutes, int | float) and minutes >= 0:
            self.minutes.setValue(int(round(minutes)))
        for s in p.get("sources") or []:
            source = Source(str(s.get("path", "")), str(s.get("title", "")), str(s.get("location", "")))
            label = source.title or Path(source.path).name
            item = QListWidgetItem(f"{label}　{source.location}".strip())
            item.setToolTip(source.path)
            item.setData(SOURCE_ROLE, source)
            self.sources.addItem(item)
        has_sources = self.sources.count() > 0
        self.sources_row.setVisible(has_sources)
        # Pre-filled from the answer page: the question is there; who asked is what is left to type.
        (self.department if self.question.toPlainText() else self.question).setFocus()

    def _choices_loaded(self, choices: common.Choices) -> None:
        common.set_items_keep(self.category, choices.inquiry_categories)
        if not self.category.currentText():
            self.category.setCurrentIndex(-1)
        common.fill_history(self.department, choices.departments)

    def _remove_source(self) -> None:
        for item in self.sources.selectedItems():
            self.sources.takeItem(self.sources.row(item))
        if self.sources.count() == 0:
            self.remove_source.setEnabled(False)

    # ---- values and saving ---------------------------------------------------------------------------

    def inquiry(self) -> Inquiry:
        sources = [self.sources.item(i).data(SOURCE_ROLE) for i in range(self.sources.count())]
        return Inquiry(
            question=self.question.toPlainText().strip(),
            answer=self.answer.toPlainText().strip(),
            channel=common.combo_value(self.channel),
            department=self.department.currentText().strip(),
            requester=self.requester.text().strip(),
            sources=[s for s in sources if isinstance(s, Source)],
            category=self.category.currentText().strip(),
            status=common.combo_value(self.status),
            minutes=self.minutes.value(),
            staff=self.staff.text().strip(),
        )

    def save(self) -> None:
        if self._saving:
            return
        inquiry = self.inquiry()
        if not inquiry.question:
            self._show_error(t("質問を入力してください。"))
            self.question.setFocus()
            return
        self.start_save("save-inquiry", lambda: self.services.logbook.inquiries.add(inquiry))

    def announce_saved(self, record: Any) -> None:
        common.events().inquiry_saved.emit(record)
        common.announce(self, t("問い合わせを記録しました"))

    def has_typed_text(self) -> bool:
        typed = (self.question.toPlainText(), self.answer.toPlainText(), self.requester.text())
        return any(s.strip() for s in typed)
