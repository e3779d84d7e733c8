"""Quick capture of a floor note (現場の声), opened by Ctrl+Shift+N from anywhere in the app.

Built to be filled in a few seconds with the keyboard only: the text has the focus, Tab walks through
place → department → category → severity, Ctrl+Enter saves, Esc cancels (and asks first when text would be
lost). The model, when one is loaded, suggests category, severity and tags off the UI thread; place and
department are read from the text against the logbook's lists (desktop.note_fields), with the model's pick
from the same lists when the text names none, and without a model too. A suggestion never overrides a field
the user already chose. If saving fails the dialog stays open with the message, so
nothing typed is ever lost.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

import ui.dialogs as common
from desktop.note_fields import NoteSuggestion, match_department, match_place
from ui import catalog_log  # noqa: F401 — registers the English strings
from ui.dialogs.record_dialog import RecordDialog
from ui.i18n import t
from ui.workers import workers

log = logging.getLogger(__name__)

SUGGEST_PAUSE_MS = 1500  # typing pause after which a loaded model is asked for a suggestion
SUGGEST_MIN_CHARS = 12


class NoteCaptureDialog(RecordDialog):
    """Quick floor-note capture.

    Signals: ``saved(dict)`` with the stored note, emitted once it is in the logbook.
    """

    def __init__(self, services: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.setWindowTitle(t("現場の声を記録"))
        self.setMinimumWidth(560)
        self._user_chose: set[str] = set()
        self._suggest_job: Any = None
        self._suggested_for = ""
        self._categories: list[str] = list(common.Choices().note_categories)
        self._places: list[str] = []
        self._departments: list[str] = []
        self.choices_job: Any = None
        self._build()
        self._fill_defaults()
        self._load_choices()
        self.text.setFocus()

    # ---- layout --------------------------------------------------------------------------------------

    def _build(self) -> None:
        self.text = QPlainTextEdit()
        self.text.setPlaceholderText(t("何があったか・誰が困っているか（例：3階給湯室の蛍光灯がちらつく）"))
        self.text.setTabChangesFocus(True)
        self.text.setMinimumHeight(110)

        self.place = common.history_combo(t("例：本社3階 給湯室"))
        self.department = common.history_combo(t("例：営業部"))
        self.category = QComboBox()
        self.category.setPlaceholderText(t("未選択（その他）"))
        self.severity = QComboBox()
        self.tags = QLineEdit()
        self.tags.setPlaceholderText(t("読点・カンマ区切り（任意）"))
        self.speaker = QLineEdit()
        self.speaker.setPlaceholderText(t("話した人（任意）"))
        self.anonymous = QCheckBox(t("匿名（話した人を記録しない）"))
        self.anonymous.toggled.connect(self._anonymous_toggled)

        self.suggest_button = QPushButton(t("AIに提案させる"))
        self.suggest_button.setToolTip(
            t("分類・重要度・タグはモデルが、場所・部署は本文と記録済みの一覧から提案します（選んだ項目は変えません）")
        )
        self.suggest_button.clicked.connect(self.request_suggestion)
        self.suggest_status = QLabel("")
        self.suggest_status.setObjectName("muted")
        self.suggest_status.setWordWrap(True)

        form = QFormLayout()
        form.addRow(t("内容"), self.text)
        place_row = QHBoxLayout()
        place_row.addWidget(self.place, 3)
        place_row.addWidget(QLabel(t("部署")))
        place_row.addWidget(self.department, 2)
        form.addRow(t("場所"), place_row)
        cat_row = QHBoxLayout()
        cat_row.addWidget(self.category, 3)
        cat_row.addWidget(QLabel(t("重要度")))
        cat_row.addWidget(self.severity, 1)
        form.addRow(t("分類"), cat_row)
        form.addRow(t("タグ"), self.tags)
        ai_row = QHBoxLayout()
        ai_row.addWidget(self.suggest_button)
        ai_row.addWidget(self.suggest_status, 1)
        form.addRow("", ai_row)
        who_row = QHBoxLayout()
        who_row.addWidget(self.speaker, 1)
        who_row.addWidget(self.anonymous)
        form.addRow(t("話した人"), who_row)

        # ヒヤリハット details: optional, folded away so the quick path stays short.
        self.details_toggle = QToolButton()
        self.details_toggle.setText(t("ヒヤリハット詳細（原因・起こりうること・対策）"))
        self.details_toggle.setCheckable(True)
        self.details_toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.details_toggle.setArrowType(Qt.ArrowType.RightArrow)
        self.details_toggle.setAutoRaise(True)
        self.details_toggle.toggled.connect(self._toggle_details)
        self.details = QWidget()
        details_form = QFormLayout(self.details)
        details_form.setContentsMargins(16, 0, 0, 0)
        self.cause = QLineEdit()
        self.consequence = QLineEdit()
        self.countermeasure = QLineEdit()
        details_form.addRow(t("原因"), self.cause)
        details_form.addRow(t("起こりうること"), self.consequence)
        details_form.addRow(t("対策"), self.countermeasure)
        self.details.setVisible(False)

        error, buttons = self.build_footer()

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.details_toggle)
        layout.addWidget(self.details)
        layout.addWidget(error)
        layout.addLayout(buttons)

        self.category.activated.connect(lambda _i: self._user_chose.add("category"))
        self.severity.activated.connect(lambda _i: self._user_chose.add("severity"))
        self.tags.textEdited.connect(lambda _s: self._user_chose.add("tags"))
        for name, combo in (("place", self.place), ("department", self.department)):
            combo.activated.connect(lambda _i, n=name: self._user_chose.add(n))
            line = combo.lineEdit()
            if line is not None:
                line.textEdited.connect(lambda _s, n=name: self._user_chose.add(n))

        self._pause = QTimer(self)
        self._pause.setSingleShot(True)
        self._pause.setInterval(SUGGEST_PAUSE_MS)
        self._pause.timeout.connect(self._auto_suggest)
        self.text.textChanged.connect(self._pause.start)

    def _anonymous_toggled(self, anonymous: bool) -> None:
        if anonymous:
            self.speaker.clear()
        self.speaker.setEnabled(not anonymous)

    def _toggle_details(self, shown: bool) -> None:
        self.details.setVisible(shown)
        self.details_toggle.setArrowType(Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow)
        self.adjustSize()

    def _fill_defaults(self) -> None:
        """The fixed lists at once, so the dialog is usable before the logbook answers."""
        defaults = common.Choices()
        self.category.addItems(defaults.note_categories)
        self.category.setCurrentIndex(-1)
        common.fill_vocab(self.severity, common.SEVERITIES)
        self.severity.setCurrentIndex(0)

    def _load_choices(self) -> None:
        """The edited category list and the place/department history (most used first), off the UI thread."""
        self.choices_job = workers().run(
            "note-choices",
            lambda: common.load_choices(self.services),
            success=self._choices_loaded,
            failure=lambda exc: self._show_error(common.describe(exc)),
            owner=self,
        )

    def _choices_loaded(self, choices: common.Choices) -> None:
        if "category" not in self._user_chose and self.category.currentIndex() < 0:
            self.category.clear()
            self.category.addItems(choices.note_categories)
            self.category.setCurrentIndex(-1)
        else:
            common.set_items_keep(self.category, choices.note_categories)
        common.fill_history(self.place, choices.places)
        common.fill_history(self.department, choices.departments)
        self._categories = choices.note_categories
        self._places, self._departments = choices.places, choices.departments

    # ---- values --------------------------------------------------------------------------------------

    def values(self) -> dict[str, Any]:
        tags = [p.strip() for p in self.tags.text().replace("、", ",").split(",") if p.strip()]
        return {
            "text": self.text.toPlainText().strip(),
            "place": self.place.currentText().strip(),
            "department": self.department.currentText().strip(),
            "category": self.category.currentText().strip() or common.FALLBACK_CATEGORY,
            "severity": common.combo_value(self.severity),
            "tags": tags,
            "anonymous": self.anonymous.isChecked(),
            "speaker": "" if self.anonymous.isChecked() else self.speaker.text().strip(),
            "cause": self.cause.text().strip(),
            "consequence": self.consequence.text().strip(),
            "countermeasure": self.countermeasure.text().strip(),
        }

    def has_typed_text(self) -> bool:
        v = self.values()
        return bool(v["text"] or v["cause"] or v["consequence"] or v["countermeasure"])

    # ---- saving --------------------------------------------------------------------------------------

    def save(self) -> None:
        if self._saving:
            return
        values = self.values()
        if not values["text"]:
            self._show_error(t("内容を入力してください。"))
            self.text.setFocus()
            return
        self.start_save("save-note", lambda: common.add_note(self.services, values))

    def announce_saved(self, record: Any) -> None:
        common.events().note_saved.emit(record)
        common.announce(self, t("現場の声を記録しました"))

    def done(self, result: int) -> None:
        self._cancel_suggestion()
        super().done(result)

    # ---- AI suggestion -------------------------------------------------------------------------------

    def _auto_suggest(self) -> None:
        text = self.text.toPlainText().strip()
        if len(text) < SUGGEST_MIN_CHARS or text == self._suggested_for:
            return
        if {"category", "severity"} <= self._user_chose:
            return
        if common.model_ready(self.services):
            self.request_suggestion()

    def request_suggestion(self) -> None:
        text = self.text.toPlainText().strip()
        if not text:
            self.suggest_status.setText(t("先に内容を入力してください。"))
            return
        if not common.model_ready(self.services):
            self._fill_from_text_only(text)
            return
        if self._suggest_job is not None:
            return
        self._suggested_for = text
        self.suggest_status.setText(t("AIが考えています…"))
        self.suggest_button.setEnabled(False)
        categories = list(self._categories)
        self._suggest_job = workers().run(
            "suggest-note-fields",
            lambda: common.suggest_fields(self.services, text, categories),
            success=self._apply_suggestion,
            failure=self._suggestion_failed,
            owner=self,
        )

    def _fill_from_text_only(self, text: str) -> None:
        """No model: the place and department the text names can still be filled (the lists are loaded)."""
        place = match_place(text, self._places)
        filled = self._fill_place_department(
            NoteSuggestion(place=place, department=match_department(text, self._departments, place))
        )
        if filled:
            self.suggest_status.setText(t("本文から：{what}（分類・重要度・タグの提案にはモデルが必要です）",
                                          what=" / ".join(filled)))
        else:
            self.suggest_status.setText(t("モデルが読み込まれていません（モデル画面で選べます）。"))

    def _fill_place_department(self, suggestion: NoteSuggestion) -> list[str]:
        """Fill 場所 and 部署 where the user has not chosen; what was filled, for the status line."""
        filled: list[str] = []
        for name, combo, value, label in (
            ("place", self.place, suggestion.place, t("場所：{value}", value=suggestion.place)),
            ("department", self.department, suggestion.department, t("部署：{value}", value=suggestion.department)),
        ):
            if value and name not in self._user_chose and not combo.currentText().strip():
                combo.setEditText(value)
                filled.append(label)
        return filled

    def _apply_suggestion(self, suggestion: Any) -> None:
        self._suggest_job = None
        self.suggest_button.setEnabled(True)
        fields = suggestion if isinstance(suggestion, NoteSuggestion) else NoteSuggestion()
        applied: list[str] = []
        if fields.category and "category" not in self._user_chose:
            i = self.category.findText(fields.category)
            if i >= 0:
                self.category.setCurrentIndex(i)
                applied.append(fields.category)
        severity = fields.severity
        if severity and "severity" not in self._user_chose and common.select_value(self.severity, severity):
            applied.append(t(severity))
        applied.extend(self._fill_place_department(fields))
        tags = [str(x) for x in fields.tags]
        if tags and "tags" not in self._user_chose and not self.tags.text().strip():
            self.tags.setText("、".join(tags))
            applied.append("、".join(tags))
        if applied:
            self.suggest_status.setText(t("AIの提案：{what}（変更できます）", what=" / ".join(applied)))
        else:
            self.suggest_status.setText(t("AIの提案はありません（選択済みの項目はそのままです）"))

    def _suggestion_failed(self, exc: BaseException) -> None:
        self._suggest_job = None
        self.suggest_button.setEnabled(True)
        self.suggest_status.setText(t("AIの提案を取得できませんでした：") + common.describe(exc))

    def _cancel_suggestion(self) -> None:
        self._pause.stop()
        if self._suggest_job is not None:
            self._suggest_job.close()
            self._suggest_job = None
