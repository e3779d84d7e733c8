"""プロンプト集 (prompt library): the team's prompts that work, best first, ready to run on the local model.

"Spreading what works": a colleague's good prompt is one click away for everyone. The page lists the library
(highest rating, then most used), edits a prompt, runs it with the user's text in ``{入力}`` and streams the
model's output, counts each use and takes a 1–5 ★ rating after a run. 書き出し / 読み込み move the library
through a JSON file (a shared folder, a USB stick) with the merge rules of :mod:`desktop.prompt_share`.

Every logbook call runs in a worker (:mod:`ui.workers`); the model streams through
:meth:`ui.workers.Workers.stream`, whose cancel event is handed to ``ModelRuntime.chat`` so 停止 ends the run
within a token. With no model loaded the page says so and offers 「テンプレートをコピー」 instead.

First run: an empty library shows a button that adds the starter set (eleven 総務 prompts). It is not added
automatically: a library someone emptied on purpose must stay empty, and remembering "already offered"
would need a setting; the button is one click, and adding the set again never duplicates (fixed ids).
"""

from __future__ import annotations

import html
import logging
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt, QTimer, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetrics,
    QGuiApplication,
    QHideEvent,
    QKeySequence,
    QPainter,
    QShortcut,
    QShowEvent,
)
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

import ui.dialogs as common
from desktop import prompt_share
from desktop.logbook import Prompt
from desktop.logbook.records import split_tags
from ui import catalog_prompts, style  # noqa: F401 — catalog_prompts registers the English strings
from ui.i18n import language, t
from ui.pages import page_layout, section_title
from ui.workers import Job, workers

log = logging.getLogger(__name__)

SEARCH_DEBOUNCE_MS = 250
MODEL_POLL_MS = 1000
STAR_COLOUR = "#b7791f"  # amber, readable on white
PLACEHOLDER = prompt_share.PLACEHOLDER


@dataclass
class RunState:
    """One run of a prompt, so コピー and the rating use exactly what the user saw."""

    prompt_id: str = ""
    filled: str = ""
    text: str = ""
    running: bool = False
    finished: bool = False
    cancelled: bool = False
    failed: bool = False
    rated: int = 0


@dataclass
class Library:
    """What one load brings back from the logbook."""

    prompts: list[Prompt]
    tags: list[str]
    total: int


def load_library(services: Any, text: str, tag: str) -> Library:
    """Runs in a worker: the filtered list (best first), every tag by frequency, and the library's size."""
    book = services.logbook
    everything = book.prompts.list()
    shown = book.prompts.list(text, tag) if text.strip() or tag else everything
    counts = Counter(tg for p in everything for tg in p.tags)
    tags = [tg for tg, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
    return Library(shown, tags, len(everything))


def rating_text(p: Prompt) -> str:
    if p.rating is None:
        return t("未評価")
    return t("★ {avg}（{n}件）", avg=f"{p.rating:.1f}", n=p.rating_count)


def meta_text(p: Prompt) -> str:
    parts = [p.author or t("作成者なし"), rating_text(p), t("{n} 回使用", n=p.uses)]
    if p.tags:
        parts.insert(1, " ".join(f"#{tag}" for tag in p.tags))
    return " · ".join(parts)


PROMPT_ROLE = Qt.ItemDataRole.UserRole + 1
ROW_PADDING = 8


def row_meta(p: Prompt) -> str:
    """The list's second line. What ranks the prompt comes first; a narrow list elides the tail (author)."""
    parts = [rating_text(p), t("{n} 回使用", n=p.uses)]
    if p.tags:
        parts.append(" ".join(f"#{tag}" for tag in p.tags))
    parts.append(p.author or t("作成者なし"))
    return " · ".join(parts)


class PromptDelegate(QStyledItemDelegate):
    """Paints one prompt as two lines: the title in bold, then ★ average (count) · uses · tags · author.

    Painted rather than built from widgets: ``setItemWidget`` re-lays out the list for every row (a
    1,000-prompt library took 8.6 s to show that way; painting costs only the rows on screen).
    """

    def paint(
        self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        p = index.data(PROMPT_ROLE)
        if not isinstance(p, Prompt):
            super().paint(painter, option, index)
            return
        painter.save()
        rect = QRect(option.rect)
        state = option.state
        if state & QStyle.StateFlag.State_Selected:
            painter.fillRect(rect, QColor(style.ACCENT_SOFT))
        elif state & QStyle.StateFlag.State_MouseOver:
            painter.fillRect(rect, QColor("#f3f7f9"))
        painter.setPen(QColor("#edf1f3"))
        painter.drawLine(rect.bottomLeft(), rect.bottomRight())
        inner = rect.adjusted(10, ROW_PADDING, -10, -ROW_PADDING)
        base_font = QFont(option.font)
        bold = QFont(base_font)
        bold.setBold(True)
        title_metrics = QFontMetrics(bold)
        painter.setFont(bold)
        painter.setPen(QColor(style.TEXT))
        y = inner.top() + title_metrics.ascent()
        title = title_metrics.elidedText(p.title, Qt.TextElideMode.ElideRight, inner.width())
        painter.drawText(inner.left(), y, title)

        metrics = QFontMetrics(base_font)
        painter.setFont(base_font)
        y = inner.top() + title_metrics.height() + 3 + metrics.ascent()
        x = inner.left()
        stars = rating_text(p)
        if p.rating is not None:  # the stars in amber, the rest muted
            painter.setPen(QColor(STAR_COLOUR))
            painter.drawText(x, y, stars)
            x += metrics.horizontalAdvance(stars)
            rest = row_meta(p)[len(stars):]
        else:
            rest = row_meta(p)
        painter.setPen(QColor(style.MUTED))
        rest = metrics.elidedText(rest, Qt.TextElideMode.ElideRight, max(0, inner.right() - x))
        painter.drawText(x, y, rest)
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:
        base_font = QFont(option.font)
        bold = QFont(base_font)
        bold.setBold(True)
        height = QFontMetrics(bold).height() + 3 + QFontMetrics(base_font).height() + 2 * ROW_PADDING
        return QSize(200, height)


class PromptsPage(QWidget):
    """The shared prompt library.

    Signals (UI thread): ``loaded(int)`` after each list load with the number shown; ``runFinished()`` when a
    run ends (done, stopped or failed); ``saved(str)`` with the id after 保存; ``shared(str)`` with the
    message after 書き出し, 読み込み or adding the starter set (also after a failure).
    """

    loaded = Signal(int)
    runFinished = Signal()
    saved = Signal(str)
    shared = Signal(str)

    def __init__(self, services: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.title = t("プロンプト集")
        self.prompts: list[Prompt] = []
        self.tags: list[str] = []
        self.total = 0
        self.current: Prompt | None = None
        self.run_state = RunState()
        self.max_tokens: int | None = None  # None: the model settings' max_tokens
        self.confirm_box: QMessageBox | None = None
        self._generation = 0
        self._pending_select: str | None = None
        self._run_job: Job | None = None
        self._load_job: Job | None = None
        self._filling = False
        self._editing_new = False  # the editor holds a prompt not saved yet
        self._build()
        self._show_prompt(None)

    # ---- building ------------------------------------------------------------------------------------

    def _build(self) -> None:
        outer = page_layout(
            self, t("プロンプト集"),
            t("うまくいったプロンプトをチームで共有し、そのまま使えます。評価の高いものから並びます。"),
        )
        bar = QHBoxLayout()
        bar.setSpacing(8)
        self.search = QLineEdit()
        self.search.setPlaceholderText(t("題名・本文・作成者で検索"))
        self.search.setClearButtonEnabled(True)
        self.search.setMinimumWidth(220)
        self.tag_filter = QComboBox()
        self.tag_filter.setMinimumWidth(150)
        self.tag_filter.addItem(t("すべてのタグ"), "")
        self.new_button = QPushButton(t("新規"))
        self.new_button.setToolTip(t("新しいプロンプトを書きます (Ctrl+N)"))
        self.new_button.clicked.connect(self.new_prompt)
        self.import_button = QPushButton(t("読み込み…"))
        self.import_button.setToolTip(t("同僚が書き出したプロンプト集（.json）を取り込みます。同じものは二重になりません"))
        self.import_button.clicked.connect(self.ask_import)
        self.export_button = QPushButton(t("書き出し…"))
        self.export_button.setToolTip(t("プロンプト集を .json ファイルに書き出し、共有フォルダーや USB メモリで渡せます"))
        self.export_button.clicked.connect(self.ask_export)
        bar.addWidget(self.search, 2)
        bar.addWidget(self.tag_filter)
        bar.addStretch(1)
        bar.addWidget(self.new_button)
        bar.addWidget(self.import_button)
        bar.addWidget(self.export_button)
        outer.addLayout(bar)

        self.status_label = QLabel("")
        self.status_label.setObjectName("muted")
        self.status_label.setWordWrap(True)
        self.status_label.hide()
        outer.addWidget(self.status_label)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(self._build_list())
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self._build_use(), t("使う"))
        self.tabs.addTab(self._build_editor(), t("編集"))
        self.detail_hint = QLabel("")
        self.detail_hint.setObjectName("hint")
        self.detail_hint.setWordWrap(True)
        self.detail_hint.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.detail_hint.setText(
            t("プロンプトを選ぶと、ここで文章を入れて実行できます。") + "\n\n"
            + t("「新規」で、うまくいったプロンプトを自分で登録できます。")
        )
        hint_page = QWidget()
        hint_box = QVBoxLayout(hint_page)
        hint_box.setContentsMargins(0, 0, 0, 0)
        hint_box.addWidget(self.detail_hint)
        hint_box.addStretch(1)
        self.detail_stack = QStackedWidget()
        self.detail_stack.addWidget(hint_page)
        self.detail_stack.addWidget(self.tabs)
        splitter.addWidget(self.detail_stack)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)
        splitter.setSizes([430, 650])
        outer.addWidget(splitter, 1)

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(SEARCH_DEBOUNCE_MS)
        self._debounce.timeout.connect(self.reload)
        self.search.textChanged.connect(self._debounce.start)
        self.tag_filter.currentIndexChanged.connect(lambda _i: self.reload())
        self._model_poll = QTimer(self)
        self._model_poll.setInterval(MODEL_POLL_MS)
        self._model_poll.timeout.connect(self.refresh_model_state)
        QShortcut(QKeySequence("Ctrl+N"), self, self.new_prompt)
        QShortcut(QKeySequence("Ctrl+F"), self, self._focus_search)

    def _build_list(self) -> QWidget:
        self.list = QListWidget()
        self.list.setObjectName("promptList")
        self.list.setItemDelegate(PromptDelegate(self.list))
        self.list.setUniformItemSizes(True)
        self.list.setMouseTracking(True)
        self.list.setVerticalScrollMode(QListWidget.ScrollMode.ScrollPerPixel)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.currentItemChanged.connect(lambda cur, _prev: self._item_selected(cur))

        self.empty = QWidget()
        box = QVBoxLayout(self.empty)
        box.setContentsMargins(0, 0, 0, 0)
        self.empty_label = QLabel("")
        self.empty_label.setObjectName("hint")
        self.empty_label.setWordWrap(True)
        self.empty_label.setTextFormat(Qt.TextFormat.RichText)
        self.starter_button = QPushButton(t("おすすめのプロンプトを追加（{n}件）", n=len(prompt_share.starter_prompts())))
        self.starter_button.setObjectName("primary")
        self.starter_button.clicked.connect(self.add_starter_set)
        self.empty_new_button = QPushButton(t("自分で書く"))
        self.empty_new_button.clicked.connect(self.new_prompt)
        self.empty_import_button = QPushButton(t("ファイルから読み込む…"))
        self.empty_import_button.clicked.connect(self.ask_import)
        box.addWidget(self.empty_label)
        box.addSpacing(4)
        box.addWidget(self.starter_button, 0, Qt.AlignmentFlag.AlignLeft)
        buttons = QHBoxLayout()
        buttons.addWidget(self.empty_new_button)
        buttons.addWidget(self.empty_import_button)
        buttons.addStretch(1)
        box.addLayout(buttons)
        box.addStretch(1)

        self.list_stack = QStackedWidget()
        self.list_stack.addWidget(self.list)
        self.list_stack.addWidget(self.empty)
        self.list_stack.setMinimumWidth(320)
        return self.list_stack

    def _build_use(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(12, 10, 4, 4)
        layout.setSpacing(6)
        self.use_title = section_title("")
        self.use_title.setWordWrap(True)
        self.use_meta = QLabel("")
        self.use_meta.setObjectName("muted")
        self.use_meta.setWordWrap(True)
        layout.addWidget(self.use_title)
        layout.addWidget(self.use_meta)

        self.template_view = QPlainTextEdit()
        self.template_view.setReadOnly(True)
        self.template_view.setMaximumHeight(110)
        self.template_view.setToolTip(t("このプロンプトの本文（「編集」タブで直せます）"))
        layout.addWidget(self.template_view)

        self.input_label = QLabel(t("入力（本文の {入力} の位置に入ります）"))
        layout.addWidget(self.input_label)
        self.input_box = QPlainTextEdit()
        self.input_box.setPlaceholderText(t("ここに文章を貼り付け"))
        self.input_box.setTabChangesFocus(True)
        self.input_box.setMinimumHeight(80)
        layout.addWidget(self.input_box, 2)
        QShortcut(QKeySequence("Ctrl+Return"), self.input_box, self.run_ai,
                  context=Qt.ShortcutContext.WidgetShortcut)

        self.model_hint = QLabel("")
        self.model_hint.setObjectName("muted")
        self.model_hint.setWordWrap(True)
        layout.addWidget(self.model_hint)

        actions = QHBoxLayout()
        self.run_button = QPushButton(t("AIで実行"))
        self.run_button.setObjectName("primary")
        self.run_button.setToolTip(t("入力を本文に入れて、AIに実行させます (Ctrl+Enter)"))
        self.run_button.clicked.connect(self.run_ai)
        self.stop_button = QPushButton(t("停止"))
        self.stop_button.clicked.connect(self.stop)
        self.copy_template_button = QPushButton(t("テンプレートをコピー"))
        self.copy_template_button.setToolTip(t("入力を入れたプロンプトをコピーします。ほかのAIツールに貼り付けて使えます"))
        self.copy_template_button.clicked.connect(self.copy_template)
        for b in (self.run_button, self.stop_button, self.copy_template_button):
            actions.addWidget(b)
        actions.addStretch(1)
        self.run_status = QLabel("")
        self.run_status.setObjectName("muted")
        actions.addWidget(self.run_status)
        layout.addLayout(actions)

        self.output = QPlainTextEdit()
        self.output.setReadOnly(True)
        self.output.setPlaceholderText(t("AIの出力がここに表示されます"))
        self.output.setMinimumHeight(110)
        layout.addWidget(self.output, 3)

        after = QHBoxLayout()
        self.copy_button = QPushButton(t("コピー"))
        self.copy_button.setToolTip(t("AIの出力をコピーします"))
        self.copy_button.clicked.connect(self.copy_output)
        after.addWidget(self.copy_button)
        after.addStretch(1)
        self.rate_label = QLabel(t("この結果の評価:"))
        self.rate_label.setObjectName("muted")
        after.addWidget(self.rate_label)
        self.star_buttons: list[QToolButton] = []
        for n in range(1, 6):
            star = QToolButton()
            star.setText("☆")
            star.setAutoRaise(True)
            star.setToolTip(t("★{n} をつける", n=n))
            star.setStyleSheet(f"QToolButton {{ color: {STAR_COLOUR}; font-size: 15pt; padding: 0 1px; }}")
            star.clicked.connect(lambda _checked=False, stars=n: self.rate(stars))
            self.star_buttons.append(star)
            after.addWidget(star)
        layout.addLayout(after)
        return page

    def _build_editor(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(12, 10, 4, 4)
        layout.setSpacing(6)
        self.edit_heading = section_title("")
        layout.addWidget(self.edit_heading)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.title_edit = QLineEdit()
        self.title_edit.setPlaceholderText(t("例: 問い合わせ回答メールの下書き"))
        self.author_edit = QLineEdit()
        self.author_edit.setPlaceholderText(t("例: 総務部 山田"))
        self.tags_edit = QLineEdit()
        self.tags_edit.setPlaceholderText(t("カンマ区切り（例: メール, 問い合わせ）"))
        form.addRow(t("題名"), self.title_edit)
        form.addRow(t("作成者"), self.author_edit)
        form.addRow(t("タグ"), self.tags_edit)
        layout.addLayout(form)

        text_row = QHBoxLayout()
        text_row.addWidget(QLabel(t("本文")))
        text_row.addStretch(1)
        self.insert_placeholder_button = QPushButton(t("{入力} を挿入"))
        self.insert_placeholder_button.setToolTip(t("カーソルの位置に {入力} を入れます"))
        self.insert_placeholder_button.clicked.connect(self.insert_placeholder)
        text_row.addWidget(self.insert_placeholder_button)
        layout.addLayout(text_row)
        self.text_edit = QPlainTextEdit()
        self.text_edit.setPlaceholderText(
            t("例: 次の問い合わせに答えるメールの下書きを、です・ます調で作ってください。") + "\n\n"
            + t("問い合わせ:") + "\n" + PLACEHOLDER
        )
        self.text_edit.setTabChangesFocus(True)
        layout.addWidget(self.text_edit, 1)
        hint = QLabel(t("使うときに貼り付けた文章が {入力} の位置に入ります。{入力} がない本文では、文章は最後に付きます。"))
        hint.setObjectName("muted")
        hint.setWordWrap(True)
        layout.addWidget(hint)

        buttons = QHBoxLayout()
        self.save_button = QPushButton(t("保存"))
        self.save_button.setObjectName("primary")
        self.save_button.setToolTip(t("保存します (Ctrl+S)"))
        self.save_button.clicked.connect(lambda: self.save())
        self.delete_button = QPushButton(t("削除"))
        self.delete_button.setObjectName("danger")
        self.delete_button.clicked.connect(self.ask_delete)
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.delete_button)
        buttons.addStretch(1)
        self.edit_status = QLabel("")
        self.edit_status.setObjectName("muted")
        self.edit_status.setWordWrap(True)
        buttons.addWidget(self.edit_status, 1)
        layout.addLayout(buttons)
        QShortcut(QKeySequence("Ctrl+S"), page, lambda: self.save(), context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
        return page

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

    @staticmethod
    def _set_item(item: QListWidgetItem, p: Prompt) -> None:
        item.setData(Qt.ItemDataRole.UserRole, p.id)
        item.setData(PROMPT_ROLE, p)
        item.setData(Qt.ItemDataRole.DisplayRole, p.title)  # keyboard search in the list
        item.setData(Qt.ItemDataRole.AccessibleTextRole, f"{p.title} — {row_meta(p)}")
        item.setToolTip(p.text[:400])

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

    def _set_empty_buttons(self, visible: bool) -> None:
        for b in (self.starter_button, self.empty_new_button, self.empty_import_button):
            b.setVisible(visible)

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

    def _edit_message(self, text: str, error: bool = False) -> None:
        self.save_button.setEnabled(True)
        self.edit_status.setText(text)
        self.edit_status.setStyleSheet(f"color: {style.DANGER};" if error else f"color: {style.OK};")

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

    # ---- running -------------------------------------------------------------------------------------

    def model_state(self) -> str:
        return str(getattr(self.services.runtime, "state", "none"))

    def refresh_model_state(self) -> None:
        state = self.model_state()
        if state == "ready":
            self.model_hint.hide()
        else:
            texts = {
                "loading": t("AIモデルを読み込み中です。準備ができると「AIで実行」が使えます。"),
                "error": t("AIモデルを読み込めませんでした（モデル画面で確認できます）。"),
            }
            message = texts.get(state, t("AIモデルが読み込まれていません。"))
            self.model_hint.setText(
                message + (" " if language() == "en" else "") + t("「テンプレートをコピー」で、文章を入れたプロンプトをほかのAIツールに貼り付けて使えます。")
            )
            self.model_hint.show()
        self._update_buttons()

    def filled_prompt(self) -> str:
        """The prompt with the user's text in it; with nothing pasted yet, the template unchanged."""
        if self.current is None:
            return ""
        text = self.input_box.toPlainText()
        return prompt_share.fill_template(self.current.text, text) if text.strip() else self.current.text

    def run_ai(self) -> None:
        p = self.current
        if p is None or self.run_state.running:
            return
        if PLACEHOLDER in p.text and not self.input_box.toPlainText().strip():
            self.run_status.setText(t("先に文章を貼り付けてください。"))
            self.input_box.setFocus()
            return
        if self.model_state() != "ready":
            self.refresh_model_state()
            return
        filled = self.filled_prompt()
        state = RunState(prompt_id=p.id, filled=filled, running=True)
        self.run_state = state
        self.output.clear()
        self.run_status.setText(t("作成しています…"))
        self._count_use(p.id)
        runtime = self.services.runtime
        max_tokens = self.max_tokens or int(self.services.settings.model.max_tokens)
        messages = prompt_share.chat_messages(filled)

        def factory(cancel: threading.Event) -> Iterator[str]:
            return iter(runtime.chat(messages, max_tokens=max_tokens, cancel=cancel))

        self._run_job = workers().stream(
            "prompt-run", factory,
            lambda piece: self._on_piece(state, piece),
            done=lambda cancelled: self._on_run_done(state, cancelled),
            failure=lambda exc: self._on_run_failed(state, exc),
            owner=self,
        )
        self._update_buttons()

    def stop(self) -> None:
        if self._run_job is not None and self._run_job.running:
            self._run_job.cancel()

    def _on_piece(self, state: RunState, piece: str) -> None:
        if state is not self.run_state:
            return
        state.text += piece
        cursor = self.output.textCursor()
        cursor.movePosition(cursor.MoveOperation.End)
        cursor.insertText(piece)
        self.output.setTextCursor(cursor)

    def _end_run(self, state: RunState) -> None:
        state.running = False
        state.finished = True
        if state is self.run_state:
            self._run_job = None
            self._update_buttons()
        self.runFinished.emit()

    def _on_run_done(self, state: RunState, cancelled: bool) -> None:
        state.cancelled = cancelled
        if state is self.run_state:
            if cancelled:
                self.run_status.setText(t("停止しました。"))
            elif not state.text.strip():
                self.run_status.setText(t("AIは何も出力しませんでした。入力を見直して、もう一度お試しください。"))
            else:
                self.run_status.setText(t("完了しました。結果を評価してください。"))
        self._end_run(state)

    def _on_run_failed(self, state: RunState, exc: BaseException) -> None:
        state.failed = True
        if state is self.run_state:
            self.run_status.setText("")
            self.output.setPlainText(t("実行できませんでした: {error}", error=common.describe(exc)))
        self._end_run(state)

    def _count_use(self, prompt_id: str) -> None:
        services = self.services

        def done(stored: Prompt) -> None:
            self._replace(stored)

        workers().run(
            "prompt-use", lambda: services.logbook.prompts.use(prompt_id), done,
            lambda exc: log.warning("use not counted: %s", type(exc).__name__), owner=self,
        )

    def _replace(self, stored: Prompt) -> None:
        """Show a prompt's new figures without reordering the list under the user's hand."""
        self.prompts = [stored if p.id == stored.id else p for p in self.prompts]
        for i in range(self.list.count()):
            item = self.list.item(i)
            if item.data(Qt.ItemDataRole.UserRole) == stored.id:
                self._set_item(item, stored)
        if self.current is not None and self.current.id == stored.id:
            self.current = stored
            self.use_meta.setText(meta_text(stored))

    # ---- after a run -----------------------------------------------------------------------------------

    def copy_output(self) -> None:
        QGuiApplication.clipboard().setText(self.run_state.text.strip())
        self.run_status.setText(t("出力をコピーしました。"))

    def copy_template(self) -> None:
        """Copy the prompt with the user's text in it (for use elsewhere); counts as a use."""
        p = self.current
        if p is None:
            return
        QGuiApplication.clipboard().setText(self.filled_prompt())
        self.run_status.setText(t("プロンプトをコピーしました。"))
        self._count_use(p.id)

    def rate(self, stars: int) -> None:
        state = self.run_state
        if not self._can_rate():
            return
        state.rated = stars
        services = self.services
        prompt_id = state.prompt_id

        def done(stored: Prompt) -> None:
            self._replace(stored)
            self.run_status.setText(t("★{n} で評価しました。ありがとうございます。", n=stars))

        workers().run(
            "prompt-rate", lambda: services.logbook.prompts.rate(prompt_id, stars), done,
            lambda exc: self.run_status.setText(t("評価を保存できませんでした: {error}", error=common.describe(exc))),
            owner=self,
        )
        self._update_buttons()

    def _can_rate(self) -> bool:
        s = self.run_state
        return s.finished and not s.failed and not s.rated and bool(s.text.strip())

    def _update_buttons(self) -> None:
        has = self.current is not None
        running = self.run_state.running
        ready = self.model_state() == "ready"
        self.run_button.setEnabled(has and ready and not running)
        self.stop_button.setEnabled(running)
        self.copy_template_button.setEnabled(has)
        self.copy_button.setEnabled(bool(self.run_state.text.strip()) and not running)
        can_rate = self._can_rate()
        for n, star in enumerate(self.star_buttons, start=1):
            star.setEnabled(can_rate)
            star.setText("★" if self.run_state.rated >= n else "☆")
        self.rate_label.setEnabled(can_rate or bool(self.run_state.rated))

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

    def _flash(self, message: str, error: bool = False) -> None:
        """A result line under the toolbar (and in the window's status bar)."""
        self.status_label.setText(message)
        self.status_label.setObjectName("error" if error else "ok")
        self.status_label.style().unpolish(self.status_label)
        self.status_label.style().polish(self.status_label)
        self.status_label.show()
        common.announce(self, message, 8000)
