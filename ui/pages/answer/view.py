"""The look of 回答: the search box, the results column and the answer card, and how they show a state.

:class:`AnswerView` builds the widgets and renders what it is given (hits, an :class:`AnswerState`, the
model's state); it connects nothing. :class:`ui.pages.answer.controller.AnswerPage` subclasses it and
wires every button, link and timer to its actions.
"""

from __future__ import annotations

import html
import re
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from desktop.services import Services
from ui import style
from ui.i18n import t
from ui.pages import card, page_layout, section_title
from ui.pages.answer.results import ResultCard
from ui.pages.answer.state import AnswerState

CITATION = re.compile(r"\[(\d{1,2})\]")


def answer_html(text: str, n_sources: int) -> str:
    """Escape the answer and turn each valid [n] into a link to source n."""
    escaped = html.escape(text)

    def link(m: re.Match[str]) -> str:
        n = int(m.group(1))
        if 1 <= n <= n_sources:
            return f'<a href="cite:{n}" style="color:{style.ACCENT}; text-decoration:none;"><b>[{n}]</b></a>'
        return m.group(0)

    return CITATION.sub(link, escaped).replace("\n", "<br>")


class AnswerView(QWidget):
    """The answer desk's widgets; ``state`` (set by the page) is what :meth:`_render_answer` shows."""

    services: Services
    state: AnswerState

    # -- layout --------------------------------------------------------------------------------------
    def _build(self) -> None:
        layout = page_layout(self, t("回答"))
        search_row = QHBoxLayout()
        self.search_box = QLineEdit()
        self.search_box.setObjectName("searchBox")
        self.search_box.setPlaceholderText(t("質問やキーワードを入力(例: 慶弔休暇は何日?)— Enter で AI が回答"))
        self.search_box.setClearButtonEnabled(True)
        search_row.addWidget(self.search_box, 1)
        self.ask_button = QPushButton(t("AIで回答"))
        self.ask_button.setObjectName("primary")
        self.ask_button.setMinimumHeight(40)
        search_row.addWidget(self.ask_button)
        layout.addLayout(search_row)

        self.search_status = QLabel()
        self.search_status.setObjectName("muted")
        layout.addWidget(self.search_status)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.setChildrenCollapsible(False)
        # left: results
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 6, 0)
        left_layout.addWidget(section_title(t("検索結果")))
        self.results_area = QScrollArea()
        self.results_area.setWidgetResizable(True)
        self.results_area.setFrameShape(QFrame.Shape.NoFrame)
        self.results_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.results_host = QWidget()
        self.results_host.setObjectName("page")
        self.results_layout = QVBoxLayout(self.results_host)
        self.results_layout.setContentsMargins(0, 0, 4, 0)
        self.results_layout.setSpacing(8)
        self.results_area.setWidget(self.results_host)
        left_layout.addWidget(self.results_area, 1)
        left.setMinimumWidth(360)
        splitter.addWidget(left)
        # right: answer
        right_card, right = card()
        right.addWidget(section_title(t("AIの回答")))
        self.model_hint = QLabel()
        self.model_hint.setObjectName("muted")
        self.model_hint.setWordWrap(True)
        right.addWidget(self.model_hint)
        self.answer_view = QTextBrowser()
        self.answer_view.setOpenLinks(False)
        self.answer_view.setFrameShape(QFrame.Shape.NoFrame)
        self.answer_view.setMinimumHeight(160)
        right.addWidget(self.answer_view, 3)
        right.addWidget(section_title(t("出典")))
        self.sources_view = QTextBrowser()
        self.sources_view.setOpenLinks(False)
        self.sources_view.setFrameShape(QFrame.Shape.NoFrame)
        self.sources_view.setMinimumHeight(70)
        self.sources_view.setMaximumHeight(170)
        right.addWidget(self.sources_view, 1)
        self.gap_label = QLabel()
        self.gap_label.setObjectName("error")
        self.gap_label.setWordWrap(True)
        self.gap_label.hide()
        right.addWidget(self.gap_label)
        rating = QHBoxLayout()
        self.rating_label = QLabel(t("この回答は役に立ちましたか?"))
        self.rating_label.setObjectName("muted")
        self.good_button = QPushButton(t("役に立った"))
        self.bad_button = QPushButton(t("役に立たない"))
        rating.addWidget(self.rating_label)
        rating.addWidget(self.good_button)
        rating.addWidget(self.bad_button)
        rating.addStretch(1)
        right.addLayout(rating)
        actions = QHBoxLayout()
        self.stop_button = QPushButton(t("停止"))
        self.copy_button = QPushButton(t("コピー"))
        self.record_button = QPushButton(t("問い合わせとして記録"))
        self.record_button.setObjectName("primary")
        self.record_button.setToolTip(t("質問・回答・出典・経過時間を入れた問い合わせ記録を開きます"))
        actions.addWidget(self.stop_button)
        actions.addWidget(self.copy_button)
        actions.addStretch(1)
        actions.addWidget(self.record_button)
        right.addLayout(actions)
        splitter.addWidget(right_card)
        right_card.setMinimumWidth(380)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([520, 600])
        layout.addWidget(splitter, 1)

    # -- results column --------------------------------------------------------------------------------
    def _clear_results(self) -> None:
        while self.results_layout.count():
            item = self.results_layout.takeAt(0)
            w = item.widget() if item is not None else None
            if w is not None:
                w.deleteLater()

    def _show_empty_results(self) -> None:
        self._clear_results()
        self.search_status.setText("")
        self._add_hint(
            t("規程・マニュアル・FAQ をまとめて検索します。") + "<br><br>"
            + t("例: 「慶弔休暇は何日?」「出張の日当」「社用車の予約」") + "<br><br>"
            + t("Enter を押すと、見つかった資料をもとに AI が出典つきで回答します。")
        )
        self.results_layout.addStretch(1)

    def _add_hint(self, rich_text: str) -> None:
        hint = QLabel(rich_text)
        hint.setObjectName("hint")
        hint.setWordWrap(True)
        hint.setTextFormat(Qt.TextFormat.RichText)
        self.results_layout.addWidget(hint)

    def _lay_out_hits(self, query: str, hits: list[Any], ms: float) -> list[ResultCard]:
        """Show ``hits`` (or why there are none) and return their cards for the page to connect."""
        self._clear_results()
        cards = []
        if not hits:
            self.search_status.setText(t("「{q}」に一致する資料はありません。", q=query))
            self._add_hint(
                t("別の言い方や短いキーワードで試してください(例: 「忌引」→「慶弔休暇」)。")
                + "<br>"
                + t("資料がまだ登録されていない場合は、ナレッジ画面でフォルダを追加してください。")
            )
        else:
            self.search_status.setText(t("{n} 件 ({ms} ミリ秒)", n=len(hits), ms=f"{ms:.0f}"))
            for hit in hits:
                result = ResultCard(hit)
                cards.append(result)
                self.results_layout.addWidget(result)
        self.results_layout.addStretch(1)
        return cards

    # -- answer card -----------------------------------------------------------------------------------
    def _show_answer_idle(self) -> None:
        self.answer_view.setHtml(
            f'<p style="color:{style.MUTED};">'
            + html.escape(t("質問を入力して Enter(または「AIで回答」)を押すと、ここに回答が表示されます。"))
            + "</p>"
        )
        self.sources_view.setHtml("")

    def _render_answer(self) -> None:
        s = self.state
        if not s.question:
            self._show_answer_idle()
            return
        body = answer_html(s.text, len(s.sources)) if s.text else ""
        if not s.finished and not s.text:
            body = f'<span style="color:{style.MUTED};">{html.escape(t("回答を作成しています…"))}</span>'
        elif not s.finished:
            body += f' <span style="color:{style.MUTED};">▍</span>'
        if s.finished and s.cancelled:
            body += f'<p style="color:{style.MUTED};">{html.escape(t("(停止しました)"))}</p>'
        label = ""
        if s.extractive and s.finished:
            note = (t("AIモデルの下書きが資料の記載と合わなかったため、資料からの抜粋を表示しています。") if s.replaced
                    else t("資料からの抜粋です(AIモデルなし)。"))
            label = f'<p style="color:{style.MUTED};">' + html.escape(note) + "</p>"
        if s.doubtful and s.finished and s.grounded:
            label += (
                f'<p style="color:{style.WARNING};">'
                + html.escape(t("AIモデル自身が、この資料で答えられるか迷っています。伝える前に根拠の箇所を確かめてください。"))
                + "</p>"
            )
        self.answer_view.setHtml(f'<div style="font-size:12pt; line-height:160%;">{body}</div>{label}')
        rows = []
        for n, ref in s.listed_sources():
            rows.append(
                f'<p style="margin:0 0 6px 0;"><a href="cite:{n}" style="color:{style.ACCENT}; '
                f'text-decoration:none;"><b>[{n}]</b> {html.escape(ref.title)}</a>'
                f' <span style="color:{style.MUTED};">{html.escape(ref.location)}</span></p>'
            )
        self.sources_view.setHtml("".join(rows))
        if s.finished and not s.grounded:
            self.gap_label.setText(
                t("資料に該当する記載が見つかりませんでした。この質問は「分析」画面の「答えられなかった質問」に残ります。")
            )
            self.gap_label.show()
        else:
            self.gap_label.hide()

    def _update_model_hint(self) -> None:
        state = str(getattr(self.services.runtime, "state", "none"))
        if state == "ready":
            self.model_hint.setText("")
            self.model_hint.hide()
            return
        texts = {
            "loading": t("AIモデルを読み込み中です。準備ができるまでは資料の抜粋で回答します。"),
            "error": t("AIモデルを読み込めませんでした(モデル画面で確認できます)。資料の抜粋で回答します。"),
        }
        self.model_hint.setText(
            texts.get(state, t("AIモデルがありません。資料の抜粋で回答します。モデル画面で GGUF ファイルを取り込めます。"))
        )
        self.model_hint.show()
