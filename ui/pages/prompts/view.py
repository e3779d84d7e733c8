"""The look of プロンプト集: toolbar, the list (or its empty state), and the 使う / 編集 tabs.

:class:`PromptsView` builds the widgets and offers a few ways to show things (a list row, a result line, the
editor's message); it connects nothing. The layers above it connect each widget next to the action it runs:
:mod:`.running` (the 使う tab), :mod:`.listing` (the list and the editor) and :mod:`.controller` (toolbar,
delete, sharing).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
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
    QSplitter,
    QStackedWidget,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

import ui.dialogs as common
from desktop import prompt_share
from desktop.logbook import Prompt
from ui import catalog_prompts, style  # noqa: F401 — catalog_prompts registers the English strings
from ui.i18n import t
from ui.pages import page_layout, section_title
from ui.pages.prompts.delegate import PROMPT_ROLE, STAR_COLOUR, PromptDelegate
from ui.pages.prompts.library import PLACEHOLDER, row_meta


class PromptsView(QWidget):
    """The shared prompt library's widgets.

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
        self.prompts: list[Prompt] = []  # the list as shown
        self.current: Prompt | None = None  # the prompt in the 使う and 編集 tabs

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
        self.import_button = QPushButton(t("読み込み…"))
        self.import_button.setToolTip(t("同僚が書き出したプロンプト集（.json）を取り込みます。同じものは二重になりません"))
        self.export_button = QPushButton(t("書き出し…"))
        self.export_button.setToolTip(t("プロンプト集を .json ファイルに書き出し、共有フォルダーや USB メモリで渡せます"))
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
        self.editor_tab = self._build_editor()
        self.tabs.addTab(self.editor_tab, t("編集"))
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

    def _build_list(self) -> QWidget:
        self.list = QListWidget()
        self.list.setObjectName("promptList")
        self.list.setItemDelegate(PromptDelegate(self.list))
        self.list.setUniformItemSizes(True)
        self.list.setMouseTracking(True)
        self.list.setVerticalScrollMode(QListWidget.ScrollMode.ScrollPerPixel)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

        self.empty = QWidget()
        box = QVBoxLayout(self.empty)
        box.setContentsMargins(0, 0, 0, 0)
        self.empty_label = QLabel("")
        self.empty_label.setObjectName("hint")
        self.empty_label.setWordWrap(True)
        self.empty_label.setTextFormat(Qt.TextFormat.RichText)
        self.starter_button = QPushButton(t("おすすめのプロンプトを追加（{n}件）", n=len(prompt_share.starter_prompts())))
        self.starter_button.setObjectName("primary")
        self.empty_new_button = QPushButton(t("自分で書く"))
        self.empty_import_button = QPushButton(t("ファイルから読み込む…"))
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

    @staticmethod
    def _tab_page() -> tuple[QWidget, QVBoxLayout]:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(12, 10, 4, 4)
        layout.setSpacing(6)
        return page, layout

    def _build_use(self) -> QWidget:
        page, layout = self._tab_page()
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

        self.model_hint = QLabel("")
        self.model_hint.setObjectName("muted")
        self.model_hint.setWordWrap(True)
        layout.addWidget(self.model_hint)

        actions = QHBoxLayout()
        self.run_button = QPushButton(t("AIで実行"))
        self.run_button.setObjectName("primary")
        self.run_button.setToolTip(t("入力を本文に入れて、AIに実行させます (Ctrl+Enter)"))
        self.stop_button = QPushButton(t("停止"))
        self.copy_template_button = QPushButton(t("テンプレートをコピー"))
        self.copy_template_button.setToolTip(t("入力を入れたプロンプトをコピーします。ほかのAIツールに貼り付けて使えます"))
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
            self.star_buttons.append(star)
            after.addWidget(star)
        layout.addLayout(after)
        return page

    def _build_editor(self) -> QWidget:
        page, layout = self._tab_page()
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
        self.delete_button = QPushButton(t("削除"))
        self.delete_button.setObjectName("danger")
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.delete_button)
        buttons.addStretch(1)
        self.edit_status = QLabel("")
        self.edit_status.setObjectName("muted")
        self.edit_status.setWordWrap(True)
        buttons.addWidget(self.edit_status, 1)
        layout.addLayout(buttons)
        return page

    def _connect(self) -> None:
        """Connect widgets to actions: each layer above adds its own and calls this first."""

    # ---- showing -------------------------------------------------------------------------------------

    @staticmethod
    def _set_item(item: QListWidgetItem, p: Prompt) -> None:
        item.setData(Qt.ItemDataRole.UserRole, p.id)
        item.setData(PROMPT_ROLE, p)
        item.setData(Qt.ItemDataRole.DisplayRole, p.title)  # keyboard search in the list
        item.setData(Qt.ItemDataRole.AccessibleTextRole, f"{p.title} — {row_meta(p)}")
        item.setToolTip(p.text[:400])

    def _set_empty_buttons(self, visible: bool) -> None:
        for b in (self.starter_button, self.empty_new_button, self.empty_import_button):
            b.setVisible(visible)

    def _edit_message(self, text: str, error: bool = False) -> None:
        self.save_button.setEnabled(True)
        self.edit_status.setText(text)
        self.edit_status.setStyleSheet(f"color: {style.DANGER};" if error else f"color: {style.OK};")

    def _flash(self, message: str, error: bool = False) -> None:
        """A result line under the toolbar (and in the window's status bar)."""
        self.status_label.setText(message)
        self.status_label.setObjectName("error" if error else "ok")
        self.status_label.style().unpolish(self.status_label)
        self.status_label.style().polish(self.status_label)
        self.status_label.show()
        common.announce(self, message, 8000)
