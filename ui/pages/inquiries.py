"""問い合わせ (inquiries): the table of what was asked at the desk, filters, closing edits, export."""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QKeySequence, QShortcut
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
from desktop.logbook import Filters, Inquiry, Source
from ui import catalog_log  # noqa: F401 — registers the English strings
from ui.dialogs.conflict import offer_conflict
from ui.i18n import t
from ui.models.log_tables import Column, format_date, format_when, value_of
from ui.pages.notes import RecordListPage
from ui.workers import workers

log = logging.getLogger(__name__)

RATING_LABELS = {"Good": "良い", "Bad": "悪い"}
STATUS_COLOURS = {"要対応": "#a33a2b", "保留": "#8a5a00"}


def shown_category(row: Any) -> str:
    """The category that counts: the one at closing when it was set."""
    return str(value_of(row, "closing_category") or value_of(row, "category") or "")


def passage_for(services: Any, source: Source, question: str) -> Any:
    """Runs in a worker: the cited passage as the knowledge base has it now (page and text), found by
    searching the question again; without a match the viewer still opens the file."""
    from ui.viewer import SourceRef

    try:
        hits = services.kb.search(question or source.title, k=20)
    except Exception:  # noqa: BLE001 — a missing or busy index must not stop opening the file
        log.info("source passage lookup failed", exc_info=True)
        hits = []
    same_file = [h for h in hits if h.path == source.path]
    match = next((h for h in same_file if h.location == source.location), same_file[0] if same_file else None)
    return SourceRef(
        path=source.path,
        title=source.title,
        location=source.location,
        page=match.page if match is not None else None,
        text=match.text if match is not None else "",
    )


def format_minutes(value: Any, row: Any = None) -> str:
    return "" if value in (None, "") else t("{n} 分", n=value)


def format_rating(value: Any, row: Any = None) -> str:
    return t(RATING_LABELS[value]) if value in RATING_LABELS else ""


class InquiryDetail(QWidget):
    """Edit one inquiry at closing: closing category, resolution, status, rating.

    Signals: ``save_requested(Inquiry)`` with the edited copy.
    """

    save_requested = Signal(object)
    open_source_requested = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.inquiry: Inquiry | None = None
        self.heading = QLabel("")
        self.heading.setObjectName("sectionTitle")
        self.heading.setWordWrap(True)
        self.meta = QLabel("")
        self.meta.setObjectName("muted")
        self.meta.setWordWrap(True)
        self.question = QPlainTextEdit()
        self.question.setTabChangesFocus(True)
        self.question.setMaximumHeight(80)
        self.answer = QPlainTextEdit()
        self.answer.setTabChangesFocus(True)
        self.answer.setMinimumHeight(80)
        self.answer.setMaximumHeight(160)
        self.sources = QListWidget()
        self.sources.setMaximumHeight(70)
        self.sources.setToolTip(t("ダブルクリックで出典を開きます"))
        self.sources.itemActivated.connect(
            lambda item: self.open_source_requested.emit(item.data(Qt.ItemDataRole.UserRole))
        )
        self.department = common.history_combo(t("部署"))
        self.requester = QLineEdit()
        self.opening_category = QLabel("")
        self.opening_category.setObjectName("muted")
        self.closing_category = common.narrow(QComboBox())
        self.status = common.narrow(QComboBox())
        common.fill_vocab(self.status, common.INQUIRY_STATUSES)
        self.resolution = common.narrow(QComboBox())
        common.fill_vocab(self.resolution, common.RESOLUTIONS, t("（未選択）"))
        self.rating = common.narrow(QComboBox())
        self.rating.addItem(t("（未評価）"), "")
        for value, label in RATING_LABELS.items():
            self.rating.addItem(t(label), value)
        self.rating_reason = QLineEdit()
        self.rating_reason.setPlaceholderText(t("評価の理由（悪い場合は特に）"))
        self.minutes = QSpinBox()
        self.minutes.setRange(0, 24 * 60)
        self.minutes.setSuffix(t(" 分"))
        self.staff = QLineEdit()

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow(t("質問"), self.question)
        form.addRow(t("回答"), self.answer)
        form.addRow(t("出典"), self.sources)
        form.addRow(t("部署"), self.department)
        form.addRow(t("氏名"), self.requester)
        form.addRow(t("受付時の分類"), self.opening_category)
        form.addRow(t("完了時の分類"), self.closing_category)
        form.addRow(t("状態"), self.status)
        form.addRow(t("対応結果"), self.resolution)
        form.addRow(t("AI回答の評価"), self.rating)
        form.addRow(t("評価の理由"), self.rating_reason)
        form.addRow(t("対応時間"), self.minutes)
        form.addRow(t("担当"), self.staff)

        self.error = QLabel("")
        self.error.setObjectName("error")
        self.error.setWordWrap(True)
        self.error.setVisible(False)
        self.save_button = QPushButton(t("変更を保存"))
        self.save_button.setObjectName("primary")
        self.save_button.clicked.connect(self.request_save)
        self.revert_button = QPushButton(t("元に戻す"))
        self.revert_button.clicked.connect(lambda: self.show_inquiry(self.inquiry))
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.revert_button)
        buttons.addWidget(self.save_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 0, 4, 0)
        layout.addWidget(self.heading)
        layout.addWidget(self.meta)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addLayout(buttons)
        layout.addStretch(1)
        QShortcut(QKeySequence("Ctrl+S"), self, self.request_save)
        self.show_inquiry(None)

    def set_choices(self, choices: common.Choices) -> None:
        common.set_items_keep(self.closing_category, choices.inquiry_categories, allow_empty=True)
        common.fill_history(self.department, choices.departments)

    def show_inquiry(self, inquiry: Inquiry | None) -> None:
        self.inquiry = inquiry
        for w in self.findChildren(QWidget):
            if w not in (self.heading, self.meta):
                w.setEnabled(inquiry is not None)
        self.error.setVisible(False)
        if inquiry is None:
            self.heading.setText(t("記録を選ぶと、ここで編集できます"))
            self.meta.setText("")
            self.question.setPlainText("")
            self.answer.setPlainText("")
            self.sources.clear()
            return
        self.heading.setText(f"{common.show_value(inquiry.channel)}・{inquiry.department or t('部署未記入')}")
        self.meta.setText(t("受付 {when}・更新 {updated}", when=format_when(inquiry.occurred_at),
                            updated=format_when(inquiry.updated_at)))
        self.question.setPlainText(inquiry.question)
        self.answer.setPlainText(inquiry.answer)
        self.sources.clear()
        for s in inquiry.sources:
            item = QListWidgetItem(f"{s.title or Path(s.path).name}　{s.location}".strip())
            item.setData(Qt.ItemDataRole.UserRole, s)
            self.sources.addItem(item)
        self.sources.setVisible(bool(inquiry.sources))
        self.department.setEditText(inquiry.department)
        self.requester.setText(inquiry.requester)
        self.opening_category.setText(inquiry.category or t("（未選択）"))
        closing = inquiry.closing_category or inquiry.category
        if closing and self.closing_category.findText(closing) < 0:
            self.closing_category.addItem(closing)
        self.closing_category.setCurrentIndex(self.closing_category.findText(closing))
        common.select_value(self.status, inquiry.status)
        common.select_value(self.resolution, inquiry.resolution)
        common.select_value(self.rating, inquiry.rating)
        self.rating_reason.setText(inquiry.rating_reason)
        self.minutes.setValue(inquiry.minutes or 0)
        self.staff.setText(inquiry.staff)

    def edited(self) -> Inquiry | None:
        if self.inquiry is None:
            return None
        q = replace(self.inquiry, sources=list(self.inquiry.sources))
        q.question = self.question.toPlainText().strip()
        q.answer = self.answer.toPlainText().strip()
        q.department = self.department.currentText().strip()
        q.requester = self.requester.text().strip()
        closing = self.closing_category.currentText().strip()
        # Stored only when it differs: "" means "same as at opening", so a later rename follows both.
        q.closing_category = "" if closing == q.category else closing
        q.status = common.combo_value(self.status)
        q.resolution = common.combo_value(self.resolution)
        q.rating = common.combo_value(self.rating)
        q.rating_reason = self.rating_reason.text().strip()
        q.minutes = self.minutes.value() if (self.minutes.value() or q.minutes is not None) else None
        q.staff = self.staff.text().strip()
        return q

    def is_dirty(self) -> bool:
        """Unsaved edits in the panel (a reload or a sort must not throw them away)."""
        if self.inquiry is None:
            return False
        return self.edited() != replace(self.inquiry, sources=list(self.inquiry.sources))

    def request_save(self) -> None:
        q = self.edited()
        if q is None:
            return
        if not q.question:
            self.show_error(t("質問を入力してください。"))
            return
        self.error.setVisible(False)
        self.save_button.setEnabled(False)
        self.save_requested.emit(q)

    def save_finished(self) -> None:
        self.save_button.setEnabled(True)

    def show_error(self, text: str) -> None:
        self.save_finished()
        self.error.setText(text)
        self.error.setVisible(True)


class InquiriesPage(RecordListPage):
    """問い合わせ: table, filters, closing edits, new inquiry, export."""

    kind = "inquiries"

    def __init__(self, services: Any, parent: QWidget | None = None) -> None:
        super().__init__(services, parent)
        self.title = t("問い合わせ")
        self.empty_hint = t("まだ記録がありません — 回答画面の「問い合わせとして記録」か「＋ 問い合わせを記録」で残せます")
        self.filtered_hint = t("条件に合う記録はありません。期間や状態の絞り込みを変えてみてください。")
        self.build(self.title, t("窓口・電話・メールで受けた問い合わせと、その回答の記録です。"))
        self.new_button = QPushButton(t("＋ 問い合わせを記録"))
        self.new_button.setObjectName("primary")
        self.new_button.clicked.connect(lambda: self.open_form())
        self.toolbar.addWidget(self.new_button)
        self.finish_toolbar()
        common.fill_vocab(self.status, common.INQUIRY_STATUSES, t("すべての状態"))
        common.fill_vocab(self.category, [], t("すべての分類"))
        common.events().inquiry_saved.connect(self.inquiry_recorded)  # also from the answer page
        self.detail_panel.save_requested.connect(self.save_inquiry)
        self.detail_panel.open_source_requested.connect(self.open_source)
        self.viewer: Any = None

    def add_filters(self) -> None:
        self.channel = QComboBox()
        common.fill_vocab(self.channel, common.CHANNELS, t("すべての経路"))
        self.channel.currentIndexChanged.connect(self.reload)
        self._add_filter(t("経路"), self.channel)

    def extra_filters(self) -> dict[str, Any]:
        channel = common.combo_value(self.channel)
        return {"channel": (channel,) if channel else ()}

    def columns(self) -> list[Column]:
        return [
            Column("occurred_at", "日時", format_date, tooltip=format_when),
            Column("channel", "経路", translate=True),
            Column("department", "部署", elide=12),
            Column("question", "質問", elide=70),
            Column("category", "分類", lambda _v, row: shown_category(row)),
            Column("status", "状態", translate=True),
            Column("minutes", "対応時間", format_minutes, align_right=True),
            Column("rating", "評価", format_rating),
        ]

    def column_widths(self) -> list[int]:
        return [96, 66, 84, 320, 116, 64, 76, 52]

    def stretch_column(self) -> int:
        return 3

    def column_values(self) -> dict[str, list[str]]:
        return {
            "channel": common.tr_values(common.CHANNELS),
            "status": common.tr_values(common.INQUIRY_STATUSES),
            "rating": common.tr_values(list(RATING_LABELS.values())),
            "minutes": [format_minutes(999)],
        }

    def build_detail(self) -> QWidget:
        self.detail_panel = InquiryDetail()
        return self.detail_panel

    def colour_for(self, row: Any, key: str) -> tuple[QColor | None, QColor | None]:
        if key == "status" and value_of(row, "status") in STATUS_COLOURS:
            return None, QColor(STATUS_COLOURS[value_of(row, "status")])
        if key == "rating" and value_of(row, "rating") == "Bad":
            return None, QColor("#a33a2b")
        return None, None

    def query(self, filters: Filters) -> list[Any]:
        return list(self.services.logbook.inquiries.list(filters))

    def count_all(self) -> int:
        return int(self.services.logbook.inquiries.count())

    def summarize(self, rows: list[Any]) -> str:
        waiting = sum(1 for q in rows if q.status == "要対応")
        return t("要対応 {n} 件", n=waiting) if waiting else ""

    def choices_loaded(self, choices: common.Choices) -> None:
        super().choices_loaded(choices)
        current = common.combo_value(self.category)
        common.fill_vocab(self.category, [], t("すべての分類"))
        self.category.blockSignals(True)
        for c in choices.inquiry_categories:
            self.category.addItem(c, c)
        common.select_value(self.category, current)
        self.category.blockSignals(False)
        self.detail_panel.set_choices(choices)

    def show_record(self, record: Any | None, force: bool = False) -> None:
        shown = self.detail_panel.inquiry
        same = shown is not None and record is not None and shown.id == record.id
        if same and not force and self.detail_panel.is_dirty():
            return
        self.detail_panel.show_inquiry(record if isinstance(record, Inquiry) else None)

    def open_form(self, prefill: dict[str, Any] | None = None) -> Any:
        from ui.dialogs.inquiry_form import InquiryFormDialog

        dialog = InquiryFormDialog(self.services, self, prefill)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        dialog.open()
        self.form_dialog = dialog
        return dialog

    def open_source(self, source: Source) -> Any:
        """Open a cited document in the source viewer, at the passage when the index still has it."""
        if not isinstance(source, Source):
            return None
        current = self.detail_panel.inquiry
        question = current.question if current is not None else ""
        return workers().run(
            "open-source",
            lambda: passage_for(self.services, source, question),
            success=self._show_source,
            failure=lambda exc: common.announce(self, common.describe(exc)),
            owner=self,
        )

    def _show_source(self, ref: Any) -> None:
        from ui.viewer import SourceViewer

        if self.viewer is None:
            self.viewer = SourceViewer(self.window())
        self.viewer.show_source(ref)

    def inquiry_recorded(self, inquiry: Inquiry) -> None:
        if self.isVisible():  # a hidden page reloads when it is shown (activated)
            self.reload_choices()
            self.reload(select_id=inquiry.id)

    def save_inquiry(self, inquiry: Inquiry) -> None:
        workers().run(
            "update-inquiry",
            lambda: self.services.logbook.inquiries.update(inquiry),
            success=self._saved,
            failure=self._save_failed,
            owner=self,
        )

    def _save_failed(self, exc: BaseException) -> None:
        # team mode: another PC saved first — show both versions and let the user choose
        if offer_conflict(self, exc, save_again=self.save_inquiry, keep_theirs=self.record_saved) is None:
            self.detail_panel.show_error(t("保存できませんでした：") + common.describe(exc))
        else:
            self.detail_panel.save_finished()

    def _saved(self, inquiry: Inquiry) -> None:
        self.detail_panel.save_finished()
        self.record_saved(inquiry)
        common.announce(self, t("変更を保存しました"))
