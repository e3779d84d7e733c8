"""The look of 現場の声: texts, the capture button, the place filter, the columns and their colours.

:class:`NotesView` decides what the shared record list shows for floor notes; the page's behaviour is in
:class:`ui.pages.notes.controller.NotesPage`, which subclasses it.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from PySide6.QtGui import QColor
from PySide6.QtWidgets import QComboBox, QPushButton, QWidget

import ui.dialogs as common
from ui.i18n import t
from ui.models.log_tables import Column, format_date, format_when, value_of
from ui.pages.notes.detail import NoteDetail
from ui.pages.notes.records import RecordListPage

OPEN_STATUSES = ("新規", "対応中")

SEVERITY_COLOURS = {  # background, text — light fills keep dark text readable
    "低": ("#e6f2ea", "#1e5631"),
    "中": ("#fff4d6", "#6b4e00"),
    "高": ("#ffe2c7", "#8a3b00"),
    "緊急": ("#f9d0cc", "#8b1a10"),
}
OVERDUE_BACKGROUND = "#fdecea"
OVERDUE_TEXT = "#a33a2b"
DONE_TEXT = "#6b7780"


def is_overdue(note: Any, today: date | None = None) -> bool:
    due = value_of(note, "due_date") or ""
    return bool(due) and value_of(note, "status") in OPEN_STATUSES and due < (today or date.today()).isoformat()


class NotesView(RecordListPage):
    """The widgets of 現場の声 on top of the shared record list (see :class:`NotesPage` for what they do)."""

    kind = "notes"

    def __init__(self, services: Any, parent: QWidget | None = None) -> None:
        super().__init__(services, parent)
        self.title = t("現場の声")
        self.empty_hint = t("まだ記録がありません — Ctrl+Shift+N で現場の声を記録できます")
        self.filtered_hint = t("条件に合う記録はありません。期間や状態の絞り込みを変えてみてください。")
        self.build(self.title, t("現場で聞いた声・気づいたことを記録し、対応を追いかけます。"))
        self.capture_button = QPushButton(t("＋ 現場の声を記録 (Ctrl+Shift+N)"))
        self.capture_button.setObjectName("primary")
        self.toolbar.addWidget(self.capture_button)
        self.finish_toolbar()
        common.fill_vocab(self.status, ("未完了", *common.NOTE_STATUSES, "期限切れ"), t("すべての状態"))
        common.fill_vocab(self.category, [], t("すべての分類"))

    def add_filters(self) -> None:
        self.place = QComboBox()
        self.place.setMinimumContentsLength(8)
        self.place.addItem(t("すべての場所"), "")
        self._add_filter(t("場所"), self.place)

    def columns(self) -> list[Column]:
        return [
            Column("occurred_at", "日時", format_date, tooltip=format_when),
            Column("place", "場所", elide=18),
            Column("department", "部署", elide=12),
            Column("category", "分類"),
            Column("severity", "重要度", translate=True),
            Column("text", "内容", elide=60),
            Column("status", "状態", translate=True),
            Column("owner", "担当"),
            Column("due_date", "期限", format_date),
        ]

    def column_widths(self) -> list[int]:
        return [92, 100, 72, 96, 48, 200, 60, 72, 88]

    def stretch_column(self) -> int:
        return 5

    def column_values(self) -> dict[str, list[str]]:
        return {"severity": common.tr_values(common.SEVERITIES), "status": common.tr_values(common.NOTE_STATUSES)}

    def build_detail(self) -> QWidget:
        self.detail_panel = NoteDetail()
        return self.detail_panel

    def colour_for(self, row: Any, key: str) -> tuple[QColor | None, QColor | None]:
        if key == "severity":
            pair = SEVERITY_COLOURS.get(value_of(row, "severity"))
            if pair:
                return QColor(pair[0]), QColor(pair[1])
        overdue = is_overdue(row)
        if overdue:
            return QColor(OVERDUE_BACKGROUND), QColor(OVERDUE_TEXT) if key == "due_date" else None
        if value_of(row, "status") not in OPEN_STATUSES and key in ("text", "status"):
            return None, QColor(DONE_TEXT)
        return None, None
