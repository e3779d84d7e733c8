"""The 分析 page's "AIの読み取り" panel: themes, recurring issues, FAQ candidates, the cited narrative and
questions to the logbook (all computed by :mod:`desktop.logbook_insights`, :mod:`desktop.faq`,
:mod:`desktop.narrative` and :mod:`desktop.logbook_ask`; this module only draws and edits).

The analysis runs in a child process (:class:`desktop.insights_process.AnalysisProcess`, one per panel: it shares
no GIL with the window), driven from a worker (:meth:`ui.workers.Workers.stream` over its progress: a progress bar
and a 中止 button that stops the child); the first run clusters every record, later ones only read what changed.
Questions, FAQ edits and narratives are requests to the same child. Record IDs are
links: clicking one emits :attr:`LogbookReading.open_record` (kind, id), which the main window turns into
"show this record on its page".
"""

from __future__ import annotations

import html
import logging
import re
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

import ui.dialogs as common
from desktop.insights_process import Reading
from ui import catalog_insights_ai, i18n  # noqa: F401 — registers the English strings
from ui.i18n import t
from ui.models.rows import RowsModel
from ui.pages import card, muted, section_title
from ui.workers import held, run_in_turns, workers

log = logging.getLogger(__name__)

TRENDS = {"rising": "↑ 増加", "steady": "→ 横ばい", "falling": "↓ 減少"}
# Column widths are fitted to the first rows only: measuring every row of a long list costs the UI thread
# ~0.2 ms a row (Qt's default looks at 1,000).
ROWS_MEASURED = 30
CLOSE_TIMEOUT_S = 10.0  # closing the page waits this long for the analysis child to save and end
STAGES = {"read": "記録を読み込み中", "vectorise": "文を数値に変換中", "analyse": "文を解析中",
          "cluster": "似た記録をまとめ中", "refine": "まとまりを整えています", "label": "見出しを作成中",
          "collect": "一覧を作成中"}
__all__ = ["LogbookReading", "Reading", "id_links", "link_cites"]


def id_links(ids: list[str], kinds: dict[str, str], limit: int = 12) -> str:
    """Rich text: each ID a link ``note:<id>`` / ``inquiry:<id>`` shown as ``#1a2b3c4d``."""
    links = [f'<a href="{kinds.get(i, "note")}:{html.escape(i)}">#{html.escape(i[:8])}</a>' for i in ids[:limit]]
    more = t("ほか{n}件", n=len(ids) - limit) if len(ids) > limit else ""
    return " ".join(links) + (f" {more}" if more else "")


def link_cites(text: str, kinds: dict[str, str]) -> str:
    """Narrative/answer text with its ``#1a2b3c4d`` citations as links."""
    full = {i[:8]: i for i in kinds}

    def sub(m: re.Match[str]) -> str:
        short = m.group(1)
        target = full.get(short)
        if target is None:
            return html.escape(m.group(0))
        return f'<a href="{kinds[target]}:{target}">#{short}</a>'

    out, last = [], 0
    for m in re.finditer(r"#([0-9a-f]{8})", text):
        out.append(html.escape(text[last:m.start()]))
        out.append(sub(m))
        last = m.end()
    out.append(html.escape(text[last:]))
    return "".join(out).replace("\n", "<br>")


class LogbookReading(QWidget):
    """Signals: ``open_record(kind, id)`` when a record link is clicked; ``ready()`` after a refresh drew."""

    open_record = Signal(str, str)
    ready = Signal()

    def __init__(self, services: Any, month_text: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.month_text = month_text  # () -> "YYYY-MM", the page's month
        self.analysis: Any = None
        self.reading = Reading()
        self._job: Any = None
        self._edited = False
        self.narrative: Any = None
        self.last_answer: Any = None
        self._build()

    # ---- layout ------------------------------------------------------------------------------------
    def _build(self) -> None:
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        frame, body = card(self)
        outer.addWidget(frame)
        head = QHBoxLayout()
        head.addWidget(section_title(t("AIの読み取り — テーマ・再発・FAQ候補・所見")))
        head.addStretch(1)
        # The progress bar and 中止 sit in a box of fixed size (in the blank before the status when idle): showing
        # them then relayouts the box only, not the whole page — a widget shown activates every ancestor's layout at
        # once, which cost the UI thread 16–20 ms at each refresh (the page's refresh 22–35 ms → 1–7 ms).
        busy_box = QWidget()
        busy_row = QHBoxLayout(busy_box)
        busy_row.setContentsMargins(0, 0, 0, 0)
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(160)
        busy_row.addWidget(self.progress)
        self.cancel_button = QPushButton(t("中止"))
        self.cancel_button.clicked.connect(self.cancel)
        busy_row.addWidget(self.cancel_button)
        busy_box.setFixedSize(busy_box.sizeHint())
        self.progress.setVisible(False)
        self.cancel_button.setVisible(False)
        head.addWidget(busy_box)
        self.status = QLabel("")
        self.status.setObjectName("muted")
        head.addWidget(self.status)
        self.refresh_button = QPushButton(t("読み直す"))
        self.refresh_button.setToolTip(t("新しい記録・変更された記録を読み、テーマを更新します"))
        self.refresh_button.clicked.connect(lambda: self.refresh())
        head.addWidget(self.refresh_button)
        body.addLayout(head)
        body.addWidget(muted(t("分類に関係なく、同じ話題の現場の声と問い合わせをまとめます。すべてこのPCの中で計算します。"
                               "[T…] はテーマ、#… は記録のIDです（クリックで記録を開きます）。")))
        self.tabs = QTabWidget()
        self.tabs.addTab(self._themes_tab(), t("テーマ"))
        self.tabs.addTab(self._recurring_tab(), t("再発・複数部署"))
        self.tabs.addTab(self._faq_tab(), t("FAQ候補"))
        self.tabs.addTab(self._narrative_tab(), t("所見（報告用）"))
        self.tabs.addTab(self._ask_tab(), t("ログブックに質問"))
        self.tabs.setMinimumHeight(380)
        body.addWidget(self.tabs)

    @staticmethod
    def _read_only(view: QTableView, stretch: int) -> None:
        """The panel's list look: whole rows selected one at a time, no editing, column ``stretch`` takes the
        width left, and only the first rows measured for column widths."""
        view.verticalHeader().setVisible(False)
        view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        view.horizontalHeader().setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
        view.horizontalHeader().setResizeContentsPrecision(ROWS_MEASURED)
        view.setWordWrap(False)

    @classmethod
    def _table(cls, headers: list[str], stretch: int = 0) -> QTableWidget:
        table = QTableWidget(0, len(headers))
        table.setHorizontalHeaderLabels(headers)
        cls._read_only(table, stretch)
        return table

    @classmethod
    def _view(cls, headers: list[str], stretch: int = 0,
              numeric: tuple[int, ...] = ()) -> tuple[QTableView, RowsModel]:
        """A read-only table over a :class:`RowsModel`: for lists that grow with the logbook (no item per cell)."""
        model = RowsModel(headers, numeric)
        view = QTableView()
        view.setModel(model)
        cls._read_only(view, stretch)
        return view, model

    def _links_label(self) -> QLabel:
        label = QLabel("")
        label.setWordWrap(True)
        label.setTextFormat(Qt.TextFormat.RichText)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        label.setOpenExternalLinks(False)
        label.linkActivated.connect(self._link)
        return label

    def _themes_tab(self) -> QWidget:
        w = QWidget()
        lay = QVBoxLayout(w)
        self.themes_table = self._table([t("テーマ"), t("件数"), t("傾向"), t("未対応"), t("部署"), t("場所"),
                                         t("最初〜最後")])
        self.themes_table.currentCellChanged.connect(lambda row, *_: self._theme_selected(row))
        lay.addWidget(self.themes_table, 3)
        self.theme_detail = self._links_label()
        lay.addWidget(self.theme_detail, 1)
        return w

    def _recurring_tab(self) -> QWidget:
        w = QWidget()
        lay = QVBoxLayout(w)
        lay.addWidget(muted(t("対応済みの後にまた報告された問題、3部署以上から報告された問題です。")))
        self.recurring_table, self.recurring_model = self._view(
            [t("場所"), t("テーマ"), t("件数"), t("理由"), t("部署"), t("未対応"), t("最後")], stretch=1, numeric=(2, 5))
        self.recurring_table.selectionModel().currentRowChanged.connect(
            lambda current, _previous: self._recurring_selected(current.row()))
        lay.addWidget(self.recurring_table, 3)
        self.recurring_detail = self._links_label()
        lay.addWidget(self.recurring_detail, 1)
        return w

    def _faq_tab(self) -> QWidget:
        w = QWidget()
        lay = QVBoxLayout(w)
        lay.addWidget(muted(t("言い方を変えて繰り返された問い合わせと、規程で答えられなかった検索です。質問・回答・根拠規程を"
                              "ダブルクリックで直せます。書き出したFAQシートを知識フォルダに置くと、回答画面で答えられます。")))
        self.faq_table = self._table([t("質問"), t("件数"), t("回答"), t("根拠規程"), t("もと")])
        self.faq_table.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                                       | QAbstractItemView.EditTrigger.EditKeyPressed)
        self.faq_table.itemChanged.connect(self._faq_edited)
        lay.addWidget(self.faq_table, 1)
        row = QHBoxLayout()
        self.faq_export_button = QPushButton(t("FAQシートを書き出す…"))
        self.faq_export_button.clicked.connect(self.ask_export_faq)
        row.addWidget(self.faq_export_button)
        row.addStretch(1)
        lay.addLayout(row)
        return w

    def _narrative_tab(self) -> QWidget:
        w = QWidget()
        lay = QVBoxLayout(w)
        self.narrative_hint = muted("")
        lay.addWidget(self.narrative_hint)
        self.narrative_edit = QPlainTextEdit()
        self.narrative_edit.textChanged.connect(self._narrative_changed)
        lay.addWidget(self.narrative_edit, 1)
        self.narrative_links = self._links_label()
        lay.addWidget(self.narrative_links)
        self.narrative_check = QLabel("")
        self.narrative_check.setWordWrap(True)
        lay.addWidget(self.narrative_check)
        row = QHBoxLayout()
        self.template_button = QPushButton(t("集計から作り直す"))
        self.template_button.clicked.connect(lambda: self.regenerate(model=False))
        self.model_button = QPushButton(t("AIモデルで書く"))
        self.model_button.setToolTip(t("モデルの文は、数値と引用を集計と照合し、合わない文は定型文に戻します"))
        self.model_button.clicked.connect(lambda: self.regenerate(model=True))
        row.addWidget(self.template_button)
        row.addWidget(self.model_button)
        row.addStretch(1)
        lay.addLayout(row)
        return w

    def _ask_tab(self) -> QWidget:
        w = QWidget()
        lay = QVBoxLayout(w)
        row = QHBoxLayout()
        self.ask_edit = QLineEdit()
        self.ask_edit.setPlaceholderText(t("例: 会議室についての声で多いのは？ / 先月から増えた相談は？ / 大阪営業所で未対応のものは？"))
        self.ask_edit.returnPressed.connect(self.ask)
        self.ask_button = QPushButton(t("質問する"))
        self.ask_button.clicked.connect(self.ask)
        row.addWidget(self.ask_edit, 1)
        row.addWidget(self.ask_button)
        lay.addLayout(row)
        self.ask_answer = self._links_label()
        lay.addWidget(self.ask_answer)
        self.ask_table = self._table([t("ID"), t("種類"), t("日付"), t("場所"), t("部署"), t("状況"), t("内容")],
                                     stretch=6)
        self.ask_table.cellDoubleClicked.connect(self._ask_row_opened)
        lay.addWidget(self.ask_table, 1)
        self._ask_rows: list[Any] = []
        return w

    # ---- refresh -----------------------------------------------------------------------------------
    def _analysis(self) -> Any:
        """The analysis child of the current logbook (a new one after the logbook was reopened)."""
        from desktop.insights_process import AnalysisProcess

        book = self.services.logbook
        if self.analysis is None or self.analysis.book is not book:
            if self.analysis is not None:  # the logbook was reopened (restored, or team mode switched)
                workers().run("logbook-analysis-discard", self.analysis.discard)
            self.analysis = AnalysisProcess(book, runtime=getattr(self.services, "runtime", None))
        self.analysis.runtime = getattr(self.services, "runtime", None)  # the model may have been changed
        return self.analysis

    def busy(self) -> bool:
        return self._job is not None

    def refresh(self, recompute: bool = False) -> None:
        """Read new and changed records (in a worker), then redraw every tab."""
        if self._job is not None:
            return
        try:
            analysis = self._analysis()
        except Exception as exc:  # the logbook could not be opened: say so, keep the page usable
            self.status.setText(common.describe(exc))
            return
        self._set_busy(True)
        month = self.month_text()
        language = i18n.language()  # what the page shows (the app keeps it equal to settings.ui.language)
        got: list[Reading] = []

        def steps(cancel: Any) -> Any:
            reading = yield from analysis.reading_steps(month, language, recompute, cancel)
            if reading is not None:
                got.append(reading)

        def done(cancelled: bool) -> None:
            if cancelled or not got:
                self._job = None
                self._set_busy(False)
                self.status.setText(t("中止しました（前回の結果のままです）"))
                return
            self._show(got[0])

        self._job = workers().stream("logbook-themes", steps, item=self._progress, done=done,
                                     failure=self._failed, throttle_ms=100, owner=self)

    def _progress(self, step: Any) -> None:
        stage, done, total = step
        self.status.setText(t(STAGES.get(stage, "")) if stage in STAGES else "")
        self.progress.setRange(0, max(1, int(total)))
        self.progress.setValue(int(done))

    def _set_busy(self, busy: bool) -> None:
        self.progress.setVisible(busy)
        self.cancel_button.setVisible(busy)
        self.refresh_button.setEnabled(not busy)
        if busy:
            self.status.setText(t("記録を読んでいます…"))

    def cancel(self) -> None:
        if self._job is not None:
            self._job.cancel()

    def _failed(self, exc: BaseException) -> None:
        self._job = None
        self._set_busy(False)
        log.warning("logbook reading failed: %s", exc)
        from desktop.child_process import ChildDiedError

        kept = (" " + t("前回の結果のままです。「読み直す」で新しく読み直せます。")) if isinstance(exc, ChildDiedError) else ""
        self.status.setText(t("読み取れませんでした。") + " " + common.describe(exc) + kept)

    def _show(self, reading: Reading) -> None:
        """Draw a new reading one tab per turn of the event loop (themes first), then emit ``ready``. Drawn in one
        slot, the tabs held the UI thread ~30 ms plus their layout (docs/PERFORMANCE.md); the page stays busy
        (no second refresh) until the last tab is drawn, a few milliseconds later."""
        self.reading = reading
        run_in_turns(self, [self._fill_themes, self._fill_recurring, self._fill_faq,
                            lambda: self._fill_narrative(reading.narrative, edited=False), self._shown])

    def _shown(self) -> None:
        self._job = None
        self._set_busy(False)
        reading = self.reading
        self.status.setText(t("テーマ {n} 件・再発 {r} 件・FAQ候補 {f} 件", n=len(reading.themes),
                              r=len(reading.recurring), f=len(reading.faq)))
        self.ready.emit()

    # ---- tabs ---------------------------------------------------------------------------------------
    @staticmethod
    def _item(value: Any, number: bool = False) -> QTableWidgetItem:
        item = QTableWidgetItem()
        if number:
            item.setData(Qt.ItemDataRole.DisplayRole, int(value))
            item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        else:
            item.setText(str(value))
        return item

    def _fill_themes(self) -> None:
        table = self.themes_table
        table.setRowCount(0)
        table.setRowCount(len(self.reading.themes))  # one insertion, not one per row
        for row, th in enumerate(self.reading.themes):
            depts = "・".join(k for k in th.departments if k != "(未記入)")
            for col, (value, number) in enumerate([
                (th.label, False), (th.count, True), (t(TRENDS[th.trend]), False), (th.open, True),
                (depts, False), ("・".join(th.places), False), (f"{th.first[:10]}〜{th.last[:10]}", False),
            ]):
                table.setItem(row, col, self._item(value, number))
        table.resizeColumnsToContents()
        table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        if self.reading.themes:
            table.selectRow(0)
            self._theme_selected(0)
        else:
            self.theme_detail.setText(t("テーマはまだありません（同じ話題の記録が3件以上でテーマになります）"))

    def _theme_selected(self, row: int) -> None:
        if not 0 <= row < len(self.reading.themes):
            return
        th = self.reading.themes[row]
        quotes = "<br>".join(f"「{html.escape(q.text)}」 — {html.escape(q.attribution)}" for q in th.quotes)
        months = "・".join(f"{m[5:7].lstrip('0')}月 {n}" for m, n in th.months.items())
        self.theme_detail.setText(
            f"<b>[{html.escape(th.id)}] {html.escape(th.label)}</b>　{html.escape(months)}<br>{quotes}<br>"
            + t("記録:") + " " + id_links(th.ids, self.reading.kinds))

    def _fill_recurring(self) -> None:
        table = self.recurring_table
        reopened = t("対応済みの後に再発")
        rows = []
        for r in self.reading.recurring:
            why = "・".join(reopened if x == "reopened" else t("{n}部署から", n=len(r.departments)) for x in r.reasons)
            rows.append((r.place, r.label, len(r.ids), why, "・".join(r.departments), r.open, r.last[:10]))
        self.recurring_model.set_rows(rows)
        table.resizeColumnsToContents()
        if not self.reading.recurring:
            self.recurring_detail.setText(t("再発・複数部署からの報告はありません"))
        else:
            table.selectRow(0)
            self._recurring_selected(0)

    def _recurring_selected(self, row: int) -> None:
        if 0 <= row < len(self.reading.recurring):
            r = self.reading.recurring[row]
            self.recurring_detail.setText(t("記録:") + " " + id_links(r.ids, self.reading.kinds))

    def _fill_faq(self) -> None:
        table = self.faq_table
        table.blockSignals(True)
        table.setRowCount(0)
        table.setRowCount(len(self.reading.faq))
        for row, c in enumerate(self.reading.faq):
            origin = t("繰り返された質問") if c.source == "inquiries" else t("答えられなかった検索")
            for col, (value, number) in enumerate([(c.question, False), (c.count, True), (c.answer, False),
                                                   (c.sources, False), (origin, False)]):
                item = self._item(value, number)
                if col not in (0, 2, 3):
                    item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
                table.setItem(row, col, item)
        table.blockSignals(False)
        self.faq_export_button.setEnabled(bool(self.reading.faq))

    def _faq_edited(self, item: QTableWidgetItem) -> None:
        row, col = item.row(), item.column()
        if not 0 <= row < len(self.reading.faq) or col not in (0, 2, 3):
            return
        c = self.reading.faq[row]
        setattr(c, {0: "question", 2: "answer", 3: "sources"}[col], item.text().strip())
        c.edited = True
        analysis = self.analysis
        if analysis is not None:
            workers().run("faq-edit", lambda: analysis.save_faq_edit(c), failure=self._failed, owner=self)

    def ask_export_faq(self) -> None:
        from kb import KbError

        try:
            folders = list(self.services.kb.sources())
        except (KbError, OSError):  # the knowledge base is closed or unreadable: the home folder will do
            folders = []
        start = str((folders[0] if folders else Path.home()) / "社内よくある質問_ログブック.xlsx")
        path, _ = QFileDialog.getSaveFileName(self, t("FAQシートを書き出す"), start, "Excel (*.xlsx)")
        if path:
            self.export_faq(Path(path))

    def export_faq(self, path: Path) -> Any:
        from desktop.faq import write_faq_xlsx

        candidates = list(self.reading.faq)
        return workers().run(
            "faq-export", lambda: write_faq_xlsx(candidates, path),
            success=lambda r: self.status.setText(
                t("FAQシートを書きました（{n}行、回答のない{s}件は除外）: {path}", n=r.rows, s=r.skipped, path=r.path)),
            failure=self._failed, owner=self)

    # ---- narrative ----------------------------------------------------------------------------------
    def _fill_narrative(self, narrative: Any, edited: bool) -> None:
        self.narrative = narrative
        self.narrative_edit.blockSignals(True)
        self.narrative_edit.setPlainText(narrative.to_text() if narrative is not None else "")
        self.narrative_edit.blockSignals(False)
        self._edited = edited
        source = {"model": t("AIモデルが書き、数値と引用を照合済み"), "template": t("集計から定型文で作成")}
        month = narrative.month if narrative is not None else self.month_text()
        replaced = (t("（照合で合わなかった{n}文は定型文に戻しました）", n=narrative.replaced)
                    if narrative is not None and narrative.replaced else "")
        self.narrative_hint.setText(t("{month} の所見 — {how}{replaced}。編集すると月次報告にそのまま載ります。",
                                      month=month, how=source.get(getattr(narrative, "source", ""), ""),
                                      replaced=replaced))
        self._update_links()
        self.narrative_check.setText("")
        ready = getattr(getattr(self.services, "runtime", None), "state", "") == "ready"
        self.model_button.setEnabled(ready and narrative is not None and bool(narrative.findings))

    def _narrative_changed(self) -> None:
        self._edited = True
        self._update_links()
        if self.narrative is None or self.reading.citable is None:
            return
        from desktop.narrative import check_narrative

        problems = check_narrative(None, self.narrative, self.narrative_edit.toPlainText(), self.reading.citable)
        self.narrative_check.setText(
            ("⚠ " + "<br>⚠ ".join(html.escape(p) for p in problems[:5])) if problems else t("✓ 数値と引用は集計と一致しています"))

    def _update_links(self) -> None:
        """The records the findings cite, as links (the text itself is in the editor above)."""
        shorts = list(dict.fromkeys(re.findall(r"#([0-9a-f]{8})", self.narrative_edit.toPlainText())))
        self.narrative_links.setText(
            (t("根拠の記録:") + " " + link_cites(" ".join(f"#{x}" for x in shorts), self.reading.kinds))
            if shorts else "")

    def regenerate(self, model: bool) -> None:
        if self.analysis is None or self._job is not None:
            return
        month = self.month_text()
        analysis = self._analysis()
        self._set_busy(True)
        self.status.setText(t("所見を書いています…"))

        language = i18n.language()  # what the page shows (the app keeps it equal to settings.ui.language)

        def op() -> Any:
            return analysis.narrative(month, language, model=model)

        def ok(narrative: Any) -> None:
            self._job = None
            self._set_busy(False)
            self.status.setText("")
            self._fill_narrative(narrative, edited=False)

        hold = getattr(self.services, "answering", None)
        self._job = workers().run("narrative", held(hold, op), success=ok, failure=self._failed, owner=self)

    def narrative_for_report(self, month: str) -> Any:
        """The narrative the monthly report should print: the edited text when it is this month's, else None
        (the report then writes the templated one)."""
        if self.narrative is None or self.narrative.month != month:
            return None
        if not self._edited:
            return self.narrative
        from desktop.narrative import Finding, Narrative, cited

        lines = [ln.lstrip("・•").strip() for ln in self.narrative_edit.toPlainText().splitlines() if ln.strip()]
        return Narrative(month, [Finding("edited", ln, cited(ln), []) for ln in lines], "edited",
                         language=self.narrative.language)

    # ---- ask -------------------------------------------------------------------------------------------
    def ask(self) -> None:
        question = self.ask_edit.text().strip()
        if not question or self.analysis is None:
            if self.analysis is None:
                self.ask_answer.setText(t("先に「読み直す」で記録を読み込んでください"))
            return
        fiscal = self.services.settings.logbook.fiscal_start()
        analysis = self.analysis
        self.ask_button.setEnabled(False)
        workers().run("logbook-ask", held(getattr(self.services, "answering", None),
                                          lambda: analysis.ask(question, fiscal_start=fiscal)),
                      success=self._answered, failure=self._ask_failed, owner=self)

    def _ask_failed(self, exc: BaseException) -> None:
        self.ask_button.setEnabled(True)
        self.ask_answer.setText(t("答えられませんでした。") + " " + html.escape(common.describe(exc)))

    def _answered(self, answer: Any) -> None:
        self.ask_button.setEnabled(True)
        self.last_answer = answer
        kinds = {r.id: r.kind for r in answer.rows} | self.reading.kinds
        mark = "" if answer.grounded else "⚠ "
        self.ask_answer.setText(mark + link_cites(answer.answer, kinds)
                                + (("<br>" + t("根拠の記録:") + " " + id_links(answer.ids, kinds)) if answer.ids else ""))
        self._ask_rows = list(answer.rows)
        table = self.ask_table
        table.setRowCount(0)
        for r in self._ask_rows:
            row = table.rowCount()
            table.insertRow(row)
            kind = t("現場の声") if r.kind == "note" else t("問い合わせ")
            for col, value in enumerate([f"#{r.id[:8]}", kind, r.date, r.place, r.department, r.status, r.text]):
                table.setItem(row, col, self._item(value))
        table.resizeColumnsToContents()
        table.horizontalHeader().setSectionResizeMode(6, QHeaderView.ResizeMode.Stretch)

    def _ask_row_opened(self, row: int, _col: int) -> None:
        if 0 <= row < len(self._ask_rows):
            r = self._ask_rows[row]
            self.open_record.emit(r.kind, r.id)

    def _link(self, href: str) -> None:
        kind, _, record_id = href.partition(":")
        if kind in ("note", "inquiry") and record_id:
            self.open_record.emit(kind, record_id)

    def teardown(self) -> None:
        self.cancel()
        if self.analysis is not None:
            try:
                # the child saves the themes of small, not yet saved changes for the next start, then ends
                self.analysis.close(timeout=CLOSE_TIMEOUT_S)
            except Exception:  # closing must not fail on a cache: the next start re-reads those records
                log.warning("the analysis process did not close cleanly", exc_info=True)
