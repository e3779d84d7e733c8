"""分析 (insights): what the floor notes and inquiries say over a period that follows the fiscal year.

All numbers come from :mod:`desktop.insights`, gathered in one worker call (:func:`collect`); the page
only draws. The list of questions the knowledge base could not answer is the one FAQ teams review each
month, so it can be copied as text or exported; the monthly report for management is written by
:mod:`desktop.reports`.
"""

from __future__ import annotations

import calendar
import csv
import io
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QComboBox,
    QDateEdit,
    QFileDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

import ui.dialogs as common
from desktop import insights as ins
from ui import catalog_log, i18n  # noqa: F401 — registers the English strings
from ui.charts import ChartCard
from ui.demo_offer import DemoOffer, demo_events
from ui.i18n import language, t
from ui.pages import card, page_layout, section_title
from ui.pages.insights_ai import LogbookReading
from ui.workers import run_in_turns, workers

log = logging.getLogger(__name__)

OPEN_COLOUR = "#E69F00"
DONE_COLOUR = "#009E73"
TOP_PLACES = 10


@dataclass
class QuestionRow:
    text: str
    count: int
    last: str = ""


@dataclass
class InsightsData:
    """Everything the page shows for one period (plain data, built in a worker)."""

    period: ins.Period
    months: list[str]
    note_categories: list[str]
    notes_by_category_month: list[ins.MonthCount]
    notes_by_place: list[ins.Count]
    open_done: list[ins.OpenDone]
    inquiries_by_category: list[ins.Count]
    inquiries_by_channel: list[ins.Count]
    searches: list[ins.SearchMonth]
    repeated: list[QuestionRow]
    unanswered: list[QuestionRow]
    bad: list[ins.BadAnswer]
    notes_total: int = 0
    inquiries_total: int = 0
    open_now: int = 0
    overdue: int = 0
    minutes: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not (self.notes_total or self.inquiries_total or sum(s.total for s in self.searches))


def period_options(fiscal_start: int, today: date | None = None) -> list[tuple[str, str]]:
    """(label, key) for the period selector; keys are resolved by :func:`resolve_period`."""
    today = today or date.today()
    fy = ins.fiscal_year_of(today, fiscal_start)
    return [
        (t("今年度（{fy}年度）", fy=fy), "fy"),
        (t("前年度（{fy}年度）", fy=fy - 1), "previous-fy"),
        (t("直近12か月"), "12m"),
        (t("月を指定"), "month"),
    ]


def resolve_period(key: str, fiscal_start: int, month_text: str, today: date | None = None) -> ins.Period:
    today = today or date.today()
    fy = ins.fiscal_year_of(today, fiscal_start)
    if key == "fy":
        return ins.fiscal_year(fy, fiscal_start)
    if key == "previous-fy":
        return ins.fiscal_year(fy - 1, fiscal_start)
    if key == "12m":
        this = ins.month(today.strftime("%Y-%m"))
        start = date(this.end.year - 1, this.end.month, 1)
        return ins.Period(start, this.end, t("直近12か月"))
    return ins.month(month_text)


def month_label(month_text: str) -> str:
    m = int(month_text[5:7])
    return calendar.month_abbr[m] if language() == "en" else f"{m}月"


def collect(services: Any, period: ins.Period) -> InsightsData:
    """Runs in a worker: every number the page shows, from :class:`desktop.insights.Insights`."""
    book = services.logbook
    data = ins.Insights(book, services.settings.logbook.fiscal_start())

    def with_last(rows: list[ins.RepeatedQuestion], lookup: Any) -> list[QuestionRow]:
        out = []
        for r in rows:
            last = lookup(r.ids[-1]) if r.ids else ""
            out.append(QuestionRow(r.text, r.count, last))
        return out

    def inquiry_time(record_id: str) -> str:
        q = book.inquiries.get(record_id)
        return q.occurred_at if q is not None else ""

    entries = {e.id: e.at for e in book.searchlog.entries(
        period.start.isoformat(), period.last_day.isoformat(), unanswered_only=True)}
    open_done = data.notes_open_vs_done(period)
    return InsightsData(
        period=period,
        months=period.months(),
        note_categories=book.lists.categories("notes"),
        notes_by_category_month=data.notes_by_category_per_month(period),
        notes_by_place=data.notes_by_place(period, TOP_PLACES),
        open_done=open_done,
        inquiries_by_category=data.inquiries_by_category(period),
        inquiries_by_channel=data.inquiries_by_channel(period),
        searches=data.unanswered_searches_per_month(period),
        repeated=with_last(data.repeated_questions(period), inquiry_time),
        unanswered=with_last(data.unanswered_questions(period, limit=100), lambda i: entries.get(i, "")),
        bad=data.bad_answers(period),
        notes_total=sum(c.count for c in data.notes_per_month(period)),
        inquiries_total=sum(c.count for c in data.inquiries_per_month(period)),
        open_now=sum(o.open for o in open_done),
        overdue=data.overdue_notes(date.today()),
        minutes=data.inquiry_minutes(period)[0],
    )


def unanswered_text(data: InsightsData) -> str:
    """The unanswered list as plain text to paste into a mail or a meeting note."""
    lines = [t("答えられなかった質問・検索（{label}）", label=data.period.label)]
    for row in data.unanswered:
        lines.append(t("・{text}（{n}回）", text=row.text, n=row.count))
    if not data.unanswered:
        lines.append(t("（該当なし）"))
    return "\n".join(lines)


def write_unanswered_csv(data: InsightsData, path: Path) -> Path:
    """Runs in a worker: UTF-8 with BOM and CRLF (Excel opens it right), formula cells neutralised."""
    from desktop.logbook.csvio import neutralize, write_atomic

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([t("質問・検索語"), t("回数"), t("最後の日時")])
    for row in data.unanswered:
        writer.writerow([neutralize(row.text), row.count, row.last])
    payload = buffer.getvalue().encode("utf-8-sig")

    def write(fh: io.BufferedWriter) -> None:
        fh.write(payload)

    write_atomic(path, write)
    return path


def write_report(services: Any, month_text: str, path: Path, narrative: Any = None) -> Path:
    """Runs in a worker: the monthly report for management (format follows the extension), headed by the
    findings shown (and maybe edited) on the page, or the month's templated findings."""
    from desktop.reports import build_monthly_report

    report = build_monthly_report(services.logbook, month_text, services.settings.logbook.fiscal_start(),
                                  narrative=narrative, language=i18n.language())
    return report.write(path)


class InsightsPage(QWidget):
    """Charts and review lists for one period.

    Signals: ``refreshed()`` after the page has drawn new numbers; ``open_record(kind, id)`` when a record
    link of the AI panel is clicked.
    """

    refreshed = Signal()
    open_record = Signal(str, str)

    def __init__(self, services: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.title = t("分析")
        self.data: InsightsData | None = None
        self._generation = 0
        self._drawing = 0  # bumped by each _show: the steps of an older drawing stop
        self._job: Any = None
        self._build()

    # ---- layout --------------------------------------------------------------------------------------

    def _build(self) -> None:
        outer = page_layout(self, self.title, t("現場の声と問い合わせの傾向。期間は年度の設定に従います。"))
        bar = QHBoxLayout()
        self.period = QComboBox()
        for label, key in period_options(self.services.settings.logbook.fiscal_start()):
            self.period.addItem(label, key)
        self.month = QDateEdit()
        self.month.setDisplayFormat("yyyy-MM")
        self.month.setCalendarPopup(True)
        self.month.setDate(QDate.currentDate())
        self.month.setToolTip(t("「月を指定」と月次報告に使う月"))
        self.period_label = QLabel("")
        self.period_label.setObjectName("muted")
        self.report_button = QPushButton(t("月次報告を書き出す…"))
        self.report_button.setToolTip(t("経営層向けの月次報告（Markdown / HTML / Excel）を、指定した月で作ります"))
        self.report_button.clicked.connect(self.ask_report)
        caption = QLabel(t("期間"))
        caption.setObjectName("muted")
        month_caption = QLabel(t("月"))
        month_caption.setObjectName("muted")
        bar.addWidget(caption)
        bar.addWidget(self.period)
        bar.addWidget(month_caption)
        bar.addWidget(self.month)
        bar.addWidget(self.period_label)
        bar.addStretch(1)
        bar.addWidget(self.report_button)
        outer.addLayout(bar)
        self.demo = DemoOffer(self.services)  # the demo logbook: offered when empty, a banner while loaded
        outer.addWidget(self.demo)
        demo_events().changed.connect(self._demo_changed)
        self.period.currentIndexChanged.connect(self.refresh)
        self.month.dateChanged.connect(self._month_changed)

        content = QWidget()
        body = QVBoxLayout(content)
        body.setContentsMargins(0, 0, 8, 0)
        body.setSpacing(12)

        self.hint = QLabel("")
        self.hint.setObjectName("hint")
        self.hint.setWordWrap(True)
        self.hint.setVisible(False)
        body.addWidget(self.hint)

        self.kpis: dict[str, QLabel] = {}
        kpi_row = QHBoxLayout()
        for key, label in (
            ("notes", t("現場の声")),
            ("open", t("うち未完了")),
            ("overdue", t("期限切れ（現在）")),
            ("inquiries", t("問い合わせ")),
            ("minutes", t("対応時間")),
            ("unanswered", t("答えられなかった検索")),
        ):
            frame, inner = card()
            value = QLabel("–")
            value.setStyleSheet("font-size: 18pt; font-weight: 600;")
            caption_label = QLabel(label)
            caption_label.setObjectName("muted")
            inner.addWidget(value)
            inner.addWidget(caption_label)
            self.kpis[key] = value
            kpi_row.addWidget(frame)
        body.addLayout(kpi_row)

        self.reading = LogbookReading(self.services, self.month_text)
        self.reading.open_record.connect(self.open_record)
        body.addWidget(self.reading)

        grid = QGridLayout()
        grid.setSpacing(12)
        self.chart_categories = ChartCard(t("現場の声：分類別（月ごと）"))
        self.chart_places = ChartCard(t("現場の声：場所別（上位10）"))
        self.chart_open_done = ChartCard(t("現場の声：未完了と完了（発生月ごと）"))
        self.chart_searches = ChartCard(t("検索・質問と、答えられなかった件数（月ごと）"))
        self.chart_inquiry_categories = ChartCard(t("問い合わせ：分類別"))
        self.chart_channels = ChartCard(t("問い合わせ：経路別"))
        self.charts = [
            self.chart_categories,
            self.chart_places,
            self.chart_open_done,
            self.chart_inquiry_categories,
            self.chart_channels,
            self.chart_searches,
        ]
        # The monthly charts with many series take a full row, so twelve month labels and the legend fit.
        grid.addWidget(self.chart_categories, 0, 0, 1, 2)
        grid.addWidget(self.chart_places, 1, 0)
        grid.addWidget(self.chart_open_done, 1, 1)
        grid.addWidget(self.chart_inquiry_categories, 2, 0)
        grid.addWidget(self.chart_channels, 2, 1)
        grid.addWidget(self.chart_searches, 3, 0, 1, 2)
        for chart in self.charts:
            chart.setMinimumHeight(300)
        body.addLayout(grid)

        self.repeated = self._table([t("質問"), t("回数"), t("最後に受けた日時")])
        self.unanswered = self._table([t("質問・検索語"), t("回数"), t("最後の日時")])
        self.bad = self._table([t("日時"), t("種類"), t("質問"), t("理由")])

        body.addWidget(section_title(t("よくある質問")))
        body.addWidget(self._muted(t("同じ内容の問い合わせが2回以上あったもの。FAQや掲示で減らせる候補です。")))
        body.addWidget(self.repeated)

        body.addWidget(section_title(t("ナレッジで答えられなかった質問・検索")))
        body.addWidget(self._muted(t("検索で何も見つからなかったもの、回答の根拠が見つからなかったもの。"
                                     "規程の不足や、足りない言い換え（同義語）を見つける毎月の見直しリストです。")))
        actions = QHBoxLayout()
        self.copy_button = QPushButton(t("テキストでコピー"))
        self.copy_button.clicked.connect(self.copy_unanswered)
        self.export_button = QPushButton(t("CSVで書き出す…"))
        self.export_button.clicked.connect(self.ask_export_unanswered)
        actions.addWidget(self.copy_button)
        actions.addWidget(self.export_button)
        actions.addStretch(1)
        body.addLayout(actions)
        body.addWidget(self.unanswered)

        body.addWidget(section_title(t("「悪い」と評価されたAI回答")))
        body.addWidget(self.bad)
        body.addStretch(1)

        scroll = QScrollArea()
        scroll.setWidget(content)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        outer.addWidget(scroll, 1)

    @staticmethod
    def _muted(text: str) -> QLabel:
        label = QLabel(text)
        label.setObjectName("muted")
        label.setWordWrap(True)
        return label

    @staticmethod
    def _table(headers: list[str]) -> QTableWidget:
        table = QTableWidget(0, len(headers))
        table.setHorizontalHeaderLabels(headers)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.verticalHeader().setVisible(False)
        table.setWordWrap(False)
        table.setMinimumHeight(150)
        header = table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        text_column = 2 if len(headers) == 4 else 0
        header.setSectionResizeMode(text_column, QHeaderView.ResizeMode.Stretch)
        return table

    # ---- data ----------------------------------------------------------------------------------------

    def activated(self) -> None:
        self.refresh()
        self.demo.refresh()

    def _demo_changed(self) -> None:
        if self.isVisible():  # a hidden page refreshes when it is shown (activated)
            self.refresh()

    def _month_changed(self) -> None:
        if self.period.currentData() == "month":
            self.refresh()

    def month_text(self) -> str:
        return self.month.date().toString("yyyy-MM")

    def current_period(self) -> ins.Period:
        return resolve_period(
            str(self.period.currentData()), self.services.settings.logbook.fiscal_start(), self.month_text()
        )

    def refresh(self) -> None:
        self._generation += 1
        generation = self._generation
        try:
            period = self.current_period()
        except ValueError as exc:
            self._show_hint(str(exc))
            return
        self.period_label.setText(f"{period.start.isoformat()} 〜 {period.last_day.isoformat()}")
        self.reading.refresh()
        if self._job is not None:
            self._job.cancel()
        self._job = workers().run(
            "insights",
            lambda: collect(self.services, period),
            success=lambda data: self._show(generation, data),
            failure=lambda exc: self._failed(generation, exc),
            owner=self,
        )

    def _failed(self, generation: int, exc: BaseException) -> None:
        if generation == self._generation:
            self._job = None
            self._show_hint(t("集計できませんでした。") + "\n" + common.describe(exc))

    def _show_hint(self, text: str) -> None:
        self.hint.setText(text)
        self.hint.setVisible(bool(text))

    def _show(self, generation: int, data: InsightsData) -> None:
        if generation != self._generation:
            return
        self._job = None
        self.data = data
        self._show_hint(
            t("この期間の記録はまだありません — Ctrl+Shift+N で現場の声を、回答画面から問い合わせを記録できます")
            if data.empty
            else ""
        )
        unanswered_total = sum(s.unanswered for s in data.searches)
        for key, value in (
            ("notes", t("{n} 件", n=f"{data.notes_total:,}")),
            ("open", t("{n} 件", n=f"{data.open_now:,}")),
            ("overdue", t("{n} 件", n=f"{data.overdue:,}")),
            ("inquiries", t("{n} 件", n=f"{data.inquiries_total:,}")),
            ("minutes", t("{n} 分", n=f"{data.minutes:,}")),
            ("unanswered", t("{n} 件", n=f"{unanswered_total:,}")),
        ):
            self.kpis[key].setText(value)
        # One chart per turn of the event loop, then the tables and ``refreshed`` (ui.workers.run_in_turns).
        # Drawn in one slot, the six charts and their first layout held the UI thread 60–100 ms on a busy 2-core
        # PC (a new session at 100,000 notes: the slot 41 ms, then the charts' layout 22 ms and their paint, with
        # no heartbeat between; docs/PERFORMANCE.md); the whole drawing still ends a few milliseconds after the data.
        self._drawing += 1
        drawing = self._drawing

        def tables() -> None:
            self._fill_tables(data)
            self.refreshed.emit()

        run_in_turns(self, [*self._chart_steps(data), tables], lambda: drawing == self._drawing)

    def _chart_steps(self, data: InsightsData) -> list[Callable[[], None]]:
        """One call per chart, each drawing it from ``data`` (the counting is done here, the drawing later)."""
        labels = [month_label(m) for m in data.months]
        index = {m: i for i, m in enumerate(data.months)}
        by_category: dict[str, list[int]] = {}
        order = list(data.note_categories)
        for mc in data.notes_by_category_month:
            if mc.key not in order:
                order.append(mc.key)
        for mc in data.notes_by_category_month:
            by_category.setdefault(mc.key, [0] * len(data.months))
            if mc.month in index:
                by_category[mc.key][index[mc.month]] += mc.count
        stacked = {k: by_category[k] for k in order if k in by_category}
        places = list(reversed(data.notes_by_place))  # horizontal bars draw bottom-up: largest on top
        answered = [s.total - s.unanswered for s in data.searches]
        cats = list(reversed(data.inquiries_by_category))
        channels = list(reversed(data.inquiries_by_channel))
        return [
            lambda: self.chart_categories.set_bars(labels, stacked, stacked=True),
            lambda: self.chart_places.set_bars(
                [c.key for c in places], {t("件数"): [c.count for c in places]}, horizontal=True),
            lambda: self.chart_open_done.set_bars(
                labels,
                {t("未完了"): [o.open for o in data.open_done], t("完了"): [o.done for o in data.open_done]},
                stacked=True,
                colours={t("未完了"): OPEN_COLOUR, t("完了"): DONE_COLOUR},
            ),
            lambda: self.chart_searches.set_bars(
                labels,
                {t("答えられた"): answered, t("答えられなかった"): [s.unanswered for s in data.searches]},
                stacked=True,
                colours={t("答えられた"): "#56B4E9", t("答えられなかった"): "#D55E00"},
            ),
            lambda: self.chart_inquiry_categories.set_bars(
                [c.key for c in cats], {t("件数"): [c.count for c in cats]}, horizontal=True),
            lambda: self.chart_channels.set_bars(
                [common.show_value(c.key) for c in channels], {t("件数"): [c.count for c in channels]},
                horizontal=True),
        ]

    def _fill_tables(self, data: InsightsData) -> None:
        def fill(table: QTableWidget, rows: list[list[str]], empty: str) -> None:
            table.setRowCount(0)
            if not rows:
                table.setRowCount(1)
                item = QTableWidgetItem(empty)
                item.setForeground(Qt.GlobalColor.gray)
                table.setItem(0, 0, item)
                table.setSpan(0, 0, 1, table.columnCount())
                return
            table.clearSpans()
            table.setRowCount(len(rows))
            for r, values in enumerate(rows):
                for c, value in enumerate(values):
                    item = QTableWidgetItem(value)
                    if value.isdigit():
                        item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                    table.setItem(r, c, item)

        fill(
            self.repeated,
            [[q.text, str(q.count), _when(q.last)] for q in data.repeated],
            t("同じ質問の繰り返しはまだありません"),
        )
        fill(
            self.unanswered,
            [[q.text, str(q.count), _when(q.last)] for q in data.unanswered],
            t("この期間に答えられなかった質問・検索はありません"),
        )
        fill(
            self.bad,
            [[_when(b.at), t("問い合わせ") if b.source == "inquiry" else t("検索・質問"), b.question, b.reason]
             for b in data.bad],
            t("「悪い」と評価された回答はありません"),
        )
        for table in (self.repeated, self.unanswered, self.bad):
            rows = max(table.rowCount(), 3)
            table.setFixedHeight(min(rows, 12) * 30 + table.horizontalHeader().sizeHint().height() + 6)

    # ---- actions -------------------------------------------------------------------------------------

    def copy_unanswered(self) -> str:
        if self.data is None:
            return ""
        text = unanswered_text(self.data)
        clipboard = QApplication.clipboard()
        if clipboard is not None:
            clipboard.setText(text)
        common.announce(self, t("クリップボードにコピーしました"))
        return text

    def ask_export_unanswered(self) -> None:
        if self.data is None:
            return
        name = t("答えられなかった質問_{month}.csv", month=self.data.period.start.strftime("%Y-%m"))
        path, _ = QFileDialog.getSaveFileName(self, t("CSVで書き出す"), str(Path.home() / name),
                                              t("CSV ファイル (*.csv)"))
        if path:
            self.export_unanswered(Path(path if path.lower().endswith(".csv") else path + ".csv"))

    def export_unanswered(self, path: Path) -> Any:
        data = self.data
        if data is None:
            return None
        return workers().run(
            "export-unanswered",
            lambda: write_unanswered_csv(data, path),
            success=lambda p: common.announce(self, t("書き出しました：{path}", path=str(p)), 8000),
            failure=self._export_failed,
            owner=self,
        )

    def _export_failed(self, exc: BaseException) -> None:
        QMessageBox.warning(self, t("書き出し"), t("書き出せませんでした。") + "\n" + common.describe(exc))

    def ask_report(self) -> None:
        month_text = self.month_text()
        name = t("月次報告_{month}.html", month=month_text)
        path, _ = QFileDialog.getSaveFileName(
            self,
            t("月次報告を書き出す"),
            str(Path.home() / name),
            t("HTML (*.html);;Markdown (*.md);;Excel ブック (*.xlsx)"),
        )
        if path:
            if Path(path).suffix.lower() not in (".html", ".htm", ".md", ".xlsx"):
                path += ".html"
            self.write_report_to(Path(path))

    def write_report_to(self, path: Path, month_text: str | None = None) -> Any:
        month_text = month_text or self.month_text()
        narrative = self.reading.narrative_for_report(month_text)
        self.report_button.setEnabled(False)
        return workers().run(
            "monthly-report",
            lambda: write_report(self.services, month_text, path, narrative),
            success=self._report_written,
            failure=self._report_failed,
            owner=self,
        )

    def _report_written(self, path: Path) -> None:
        self.report_button.setEnabled(True)
        common.announce(self, t("月次報告を書き出しました：{path}", path=str(path)), 8000)

    def _report_failed(self, exc: BaseException) -> None:
        self.report_button.setEnabled(True)
        QMessageBox.warning(self, t("月次報告"), t("書き出せませんでした。") + "\n" + common.describe(exc))

    def teardown(self) -> None:
        self.demo.teardown()
        self.reading.teardown()
        if self._job is not None:
            self._job.close()


def _when(value: str) -> str:
    return value.replace("T", " ")[:16] if value else ""

