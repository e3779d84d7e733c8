"""現場の声 (floor notes): quick capture, a filtered table, and a detail panel to follow each note up.

:class:`RecordListPage` is the part the floor-notes and inquiries pages share: the filter bar, the table
over :mod:`ui.models.log_tables`, loading in a worker (a newer request makes an older answer stale), the
empty states and the export of exactly the rows shown.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import QDate, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics, QKeySequence, QResizeEvent, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QFileDialog,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSplitter,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

import ui.dialogs as common
from desktop.logbook import Filters, Note
from ui import catalog_log  # noqa: F401 — registers the English strings
from ui.demo_offer import DemoOffer, demo_events
from ui.i18n import t
from ui.models.log_tables import (
    Column,
    RecordSortProxy,
    RecordTableModel,
    format_date,
    format_when,
    sort_rows,
    value_of,
)
from ui.pages import page_layout
from ui.workers import workers

log = logging.getLogger(__name__)

SEARCH_DEBOUNCE_MS = 300
RELEASE_IN_WORKER = 5_000  # rows; below this, freeing the previous result is too cheap to move
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


class _StretchTable(QTableView):
    """A table whose text column takes the room left by the others but never shrinks below a readable
    width (a stretched section would be squeezed to a few characters on a narrow window; here the table
    scrolls sideways instead)."""

    MIN_TEXT_WIDTH = 120

    def __init__(self, stretch: int) -> None:
        super().__init__()
        self._stretch = stretch

    def fit_text_column(self) -> None:
        header = self.horizontalHeader()
        others = sum(header.sectionSize(i) for i in range(header.count()) if i != self._stretch)
        self.setColumnWidth(self._stretch, max(self.MIN_TEXT_WIDTH, self.viewport().width() - others))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.fit_text_column()


class RecordListPage(QWidget):
    """Filter bar + table + detail panel + export, for one logbook record kind.

    Subclasses set ``kind``, ``columns()``, ``build_detail()``, ``query(filters)`` (runs in a worker) and
    may add filters. Signals: ``loaded(int)`` with the number of rows after each load.
    """

    loaded = Signal(int)

    kind = ""
    empty_hint = ""
    filtered_hint = ""

    def __init__(self, services: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self._generation = 0
        self._load_job: Any = None
        self._pending_select: str | None = None
        self._has_any = True
        self._summary = ""  # e.g. "期限切れ 3 件", computed with each load in the worker (summarize)
        self.choices = common.Choices()

    # ---- building ------------------------------------------------------------------------------------

    def build(self, title: str, subtitle: str) -> None:
        outer = page_layout(self, title, subtitle)
        self.toolbar = QHBoxLayout()
        self.toolbar.setSpacing(8)
        outer.addLayout(self.toolbar)

        self.filter_bar = QHBoxLayout()
        self.filter_bar.setSpacing(6)
        self.period = QComboBox()
        self.periods = common.period_choices(self.services.settings.logbook.fiscal_start())
        for label, start, end in self.periods:
            self.period.addItem(label, (start, end))
        self.status = QComboBox()
        self.category = QComboBox()
        self.search = QLineEdit()
        self.search.setPlaceholderText(t("キーワードで絞り込み (Ctrl+F)"))
        self.search.setClearButtonEnabled(True)
        self.search.setMinimumWidth(140)
        self._add_filter(t("期間"), self.period)
        self._add_filter(t("状態"), self.status)
        self._add_filter(t("分類"), self.category)
        self.add_filters()
        self.filter_bar.addWidget(self.search, 1)
        outer.addLayout(self.filter_bar)
        self.demo = DemoOffer(self.services)  # the demo logbook: offered when empty, a banner while loaded
        outer.addWidget(self.demo)
        demo_events().changed.connect(self._demo_changed)

        self.model = RecordTableModel(self.columns(), self.colour_for, self)
        self.model.sort_handler = self._sort_in_worker
        self.proxy = RecordSortProxy(self)
        self.proxy.setSourceModel(self.model)
        self.table = _StretchTable(self.stretch_column())
        self.table.setModel(self.proxy)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.DescendingOrder)
        self.table.setAlternatingRowColors(False)
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(30)
        header = self.table.horizontalHeader()
        header.setHighlightSections(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(False)
        self._fit_columns()
        self.table.selectionModel().currentRowChanged.connect(lambda cur, _prev: self._row_selected(cur.row()))

        self.empty = QLabel()
        self.empty.setObjectName("hint")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        self.table_stack = QStackedWidget()
        self.table_stack.addWidget(self.table)
        self.table_stack.addWidget(self.empty)

        self.detail = self.build_detail()
        scroll = QScrollArea()
        scroll.setWidget(self.detail)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        # As wide as the panel needs (English labels are longer), so it never scrolls sideways.
        self.detail_scroll = scroll
        self._fit_detail()

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.table_stack)
        self.splitter.addWidget(scroll)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setSizes([900, 350])
        outer.addWidget(self.splitter, 1)

        self.count_label = QLabel("")
        self.count_label.setObjectName("muted")
        self.export_button = QPushButton(t("書き出し"))
        menu = QMenu(self.export_button)
        menu.addAction(t("CSV（Excelで開けます）…"), lambda: self.ask_export("csv"))
        menu.addAction(t("Excelブック（.xlsx）…"), lambda: self.ask_export("xlsx"))
        self.export_button.setMenu(menu)
        self.export_button.setToolTip(t("表示中の行を書き出します"))

        QShortcut(
            QKeySequence(QKeySequence.StandardKey.Find),
            self,
            self.search.setFocus,
            Qt.ShortcutContext.WidgetWithChildrenShortcut,
        )
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(SEARCH_DEBOUNCE_MS)
        self._debounce.timeout.connect(self.reload)
        self.search.textChanged.connect(self._debounce.start)
        for combo in (self.period, self.status, self.category):
            combo.currentIndexChanged.connect(self.reload)

    def _fit_detail(self) -> None:
        bar = self.detail_scroll.verticalScrollBar().sizeHint().width()
        self.detail_scroll.setMinimumWidth(max(330, self.detail.minimumSizeHint().width() + bar + 4))

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._fit_detail()  # the stylesheet's paddings are known only once the widgets are polished

    def _fit_columns(self) -> None:
        """Planned widths, widened where the header or a fixed value would be cut (English is longer)."""
        metrics = self.table.fontMetrics()
        bold = QFont(self.table.font())
        bold.setBold(True)
        header_metrics = QFontMetrics(bold)
        for i, (column, width) in enumerate(zip(self.model.columns, self.column_widths(), strict=True)):
            needed = header_metrics.horizontalAdvance(t(column.header)) + 22
            for value in self.column_values().get(column.key, ()):
                needed = max(needed, metrics.horizontalAdvance(value) + 18)
            self.table.setColumnWidth(i, max(width, needed))
        self.table.fit_text_column()

    def column_values(self) -> dict[str, list[str]]:
        """The fixed texts a column shows, as displayed (their width decides the column's width)."""
        return {}

    def _add_filter(self, label: str, widget: QWidget) -> None:
        if isinstance(widget, QComboBox):
            common.narrow(widget, 9)  # long category or place names must not widen the page
        caption = QLabel(label)
        caption.setObjectName("muted")
        self.filter_bar.addWidget(caption)
        self.filter_bar.addWidget(widget)

    def finish_toolbar(self) -> None:
        self.toolbar.addStretch(1)
        self.toolbar.addWidget(self.count_label)
        self.toolbar.addWidget(self.export_button)

    # ---- to be provided by subclasses ----------------------------------------------------------------

    def columns(self) -> list[Column]:
        raise NotImplementedError

    def column_widths(self) -> list[int]:
        raise NotImplementedError

    def stretch_column(self) -> int:
        raise NotImplementedError

    def build_detail(self) -> QWidget:
        raise NotImplementedError

    def add_filters(self) -> None:
        """Extra filter widgets (added before the search box)."""

    def extra_filters(self) -> dict[str, Any]:
        return {}

    def query(self, filters: Filters) -> list[Any]:
        raise NotImplementedError

    def show_record(self, record: Any | None, force: bool = False) -> None:
        """Show ``record`` in the panel; unless ``force``, unsaved edits of the same record are kept."""
        raise NotImplementedError

    def colour_for(self, row: Any, key: str) -> tuple[QColor | None, QColor | None]:
        return None, None

    # ---- loading -------------------------------------------------------------------------------------

    def activated(self) -> None:
        self.reload_choices()
        self.reload()
        self.demo.refresh()

    def _demo_changed(self) -> None:
        if self.isVisible():  # a hidden page reloads when it is shown (activated)
            self.reload_choices()
            self.reload()

    def filters(self) -> Filters:
        start, end = self.period.currentData() or ("", "")
        status = common.combo_value(self.status)
        category = common.combo_value(self.category)
        return Filters(
            date_from=start,
            date_to=end,
            status=self.status_values(status),
            category=(category,) if category else (),
            text=self.search.text().strip(),
            **self.extra_filters(),
        )

    def status_values(self, status: str) -> tuple[str, ...]:
        return (status,) if status else ()

    def reload(self, select_id: str | None = None) -> None:
        """Query again with the current filters; the answer of an older query is dropped."""
        self._generation += 1
        generation = self._generation
        self._pending_select = select_id or self.current_id()
        filters = self.filters()
        if self._load_job is not None:
            self._load_job.cancel()

        spec = self.model.sort_spec()

        def op() -> tuple[list[Any], bool, str]:
            with common.gc_paused():
                rows = self.query(filters)
            has_any = bool(rows) or self.count_all() > 0
            summary = self.summarize(rows)
            if spec is not None and spec != ("occurred_at", True):  # the logbook returns newest first
                rows = sort_rows(rows, *spec)
            return rows, has_any, summary

        self._load_job = workers().run(
            f"load-{self.kind}",
            op,
            success=lambda result: self._loaded(generation, result),
            failure=lambda exc: self._load_failed(generation, exc),
            owner=self,
        )

    def count_all(self) -> int:
        raise NotImplementedError

    def summarize(self, rows: list[Any]) -> str:
        """A short note for the count label (runs in the worker, over all rows of the result)."""
        return ""

    def _sort_in_worker(self, column: int, order: Qt.SortOrder) -> None:
        """A header click: sort the rows already loaded, off the UI thread, and keep the selection."""
        spec = self.model.sort_spec()
        rows = self.model.rows()
        if spec is None or not rows:
            return
        self._generation += 1
        generation = self._generation
        self._pending_select = self.current_id()
        has_any, summary = self._has_any, self._summary
        self._load_job = workers().run(
            f"sort-{self.kind}",
            lambda: (sort_rows(rows, *spec), has_any, summary),
            success=lambda result: self._loaded(generation, result),
            failure=lambda exc: self._load_failed(generation, exc),
            owner=self,
        )

    def _loaded(self, generation: int, result: tuple[list[Any], bool, str]) -> None:
        if generation != self._generation:
            return
        self._load_job = None
        rows, self._has_any, self._summary = result
        previous = self.model.set_rows(rows, presorted=True)
        if len(previous) > RELEASE_IN_WORKER:
            workers().run(f"release-{self.kind}", previous.clear)  # freeing them is not the UI's job
        del previous
        self._update_empty_state()
        count = t("{n} 件", n=f"{len(rows):,}")
        self.count_label.setText(f"{count}・{self._summary}" if self._summary else count)
        target = self._pending_select
        self._pending_select = None
        if target and self.select_id(target):
            pass
        elif rows:
            self.table.selectRow(0)
        else:
            self.show_record(None)
        self.loaded.emit(len(rows))

    def _load_failed(self, generation: int, exc: BaseException) -> None:
        if generation != self._generation:
            return
        self._load_job = None
        self.model.set_rows([])
        self.empty.setText(t("記録を読み込めませんでした。") + "\n" + common.describe(exc))
        self.table_stack.setCurrentWidget(self.empty)
        self.count_label.setText("")
        self.loaded.emit(0)

    def _update_empty_state(self) -> None:
        if self.model.total():
            self.table_stack.setCurrentWidget(self.table)
            return
        self.empty.setText(self.empty_hint if not self._has_any else self.filtered_hint)
        self.table_stack.setCurrentWidget(self.empty)

    def reload_choices(self) -> None:
        workers().run(
            f"choices-{self.kind}",
            lambda: common.load_choices(self.services),
            success=self.choices_loaded,
            failure=lambda exc: log.info("lists not loaded: %s", type(exc).__name__),
            owner=self,
        )

    def choices_loaded(self, choices: common.Choices) -> None:
        self.choices = choices

    # ---- selection -----------------------------------------------------------------------------------

    def current_id(self) -> str | None:
        record = self.current_record()
        return None if record is None else str(value_of(record, "id"))

    def current_record(self) -> Any | None:
        index = self.table.currentIndex()
        if not index.isValid():
            return None
        return self.proxy.row_at(index.row())

    def select_id(self, record_id: str) -> bool:
        source_row = self.model.find("id", record_id)
        if source_row < 0:
            return False
        proxy_index = self.proxy.mapFromSource(self.model.index(source_row, 0))
        self.table.selectRow(proxy_index.row())
        self.table.scrollTo(proxy_index)
        return True

    def _row_selected(self, proxy_row: int) -> None:
        if proxy_row < 0:
            self.show_record(None)
            return
        self.show_record(self.proxy.row_at(proxy_row))

    def record_saved(self, record: Any) -> None:
        """Put the stored version in the table and in the panel (what was saved is no longer an edit)."""
        self.model.replace_row(record)
        self.show_record(record, force=True)

    # ---- export --------------------------------------------------------------------------------------

    def ask_export(self, fmt: str) -> None:
        stamp = date.today().strftime("%Y%m%d")
        name = f"{t('現場の声') if self.kind == 'notes' else t('問い合わせ')}_{stamp}.{fmt}"
        pattern = t("CSV ファイル (*.csv)") if fmt == "csv" else t("Excel ブック (*.xlsx)")
        path, _ = QFileDialog.getSaveFileName(self, t("書き出し"), str(Path.home() / name), pattern)
        if path:
            if not path.lower().endswith("." + fmt):
                path += "." + fmt
            self.export_to(Path(path), fmt)

    def export_to(self, path: Path, fmt: str) -> Any:
        """Write the rows the table shows (all of them, not only those scrolled into view) in a worker."""
        records = self.model.rows()
        self.export_button.setEnabled(False)
        common.announce(self, t("書き出しています…"))
        return workers().run(
            f"export-{self.kind}",
            lambda: common.export_records(self.services, self.kind, records, path, fmt),
            success=self._exported,
            failure=self._export_failed,
            owner=self,
        )

    def _exported(self, result: Any) -> None:
        self.export_button.setEnabled(True)
        message = t("{n} 件を書き出しました：{path}", n=result.rows, path=str(result.path))
        self.count_label.setToolTip(message)
        common.announce(self, message, 8000)

    def _export_failed(self, exc: BaseException) -> None:
        self.export_button.setEnabled(True)
        from PySide6.QtWidgets import QMessageBox

        QMessageBox.warning(self, t("書き出し"), t("書き出せませんでした。") + "\n" + common.describe(exc))

    def teardown(self) -> None:
        self._debounce.stop()
        self.demo.teardown()
        if self._load_job is not None:
            self._load_job.close()


# ======================================================================================================
# 現場の声
# ======================================================================================================


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


class NotesPage(RecordListPage):
    """現場の声: capture, filter, follow up, export."""

    kind = "notes"

    def __init__(self, services: Any, parent: QWidget | None = None) -> None:
        super().__init__(services, parent)
        self.title = t("現場の声")
        self.empty_hint = t("まだ記録がありません — Ctrl+Shift+N で現場の声を記録できます")
        self.filtered_hint = t("条件に合う記録はありません。期間や状態の絞り込みを変えてみてください。")
        self.build(self.title, t("現場で聞いた声・気づいたことを記録し、対応を追いかけます。"))
        self.capture_button = QPushButton(t("＋ 現場の声を記録 (Ctrl+Shift+N)"))
        self.capture_button.setObjectName("primary")
        self.capture_button.clicked.connect(self.open_capture)
        self.toolbar.addWidget(self.capture_button)
        self.finish_toolbar()
        common.fill_vocab(self.status, ("未完了", *common.NOTE_STATUSES, "期限切れ"), t("すべての状態"))
        common.fill_vocab(self.category, [], t("すべての分類"))
        common.events().note_saved.connect(self.note_captured)  # also from Ctrl+Shift+N on other pages
        self.detail_panel.save_requested.connect(self.save_note)
        self.detail_panel.followup_requested.connect(self.add_followup)

    # ---- layout pieces -------------------------------------------------------------------------------

    def add_filters(self) -> None:
        self.place = QComboBox()
        self.place.setMinimumContentsLength(8)
        self.place.addItem(t("すべての場所"), "")
        self.place.currentIndexChanged.connect(self.reload)
        self._add_filter(t("場所"), self.place)

    def extra_filters(self) -> dict[str, Any]:
        return {"place": common.combo_value(self.place)}

    def status_values(self, status: str) -> tuple[str, ...]:
        if status in ("未完了", "期限切れ"):
            return OPEN_STATUSES
        return (status,) if status else ()

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

    # ---- data ----------------------------------------------------------------------------------------

    def query(self, filters: Filters) -> list[Any]:
        notes = self.services.logbook.notes.list(filters)
        if common.combo_value(self.status) == "期限切れ":
            today = date.today()
            notes = [n for n in notes if is_overdue(n, today)]
        return notes

    def count_all(self) -> int:
        return int(self.services.logbook.notes.count())

    def summarize(self, rows: list[Any]) -> str:
        today = date.today()
        overdue = sum(1 for n in rows if is_overdue(n, today))
        return t("期限切れ {n} 件", n=overdue) if overdue else ""

    def choices_loaded(self, choices: common.Choices) -> None:
        super().choices_loaded(choices)
        current = common.combo_value(self.category)
        common.fill_vocab(self.category, [], t("すべての分類"))
        self.category.blockSignals(True)
        for c in choices.note_categories:
            self.category.addItem(c, c)
        common.select_value(self.category, current)
        self.category.blockSignals(False)
        place = common.combo_value(self.place)
        self.place.blockSignals(True)
        self.place.clear()
        self.place.addItem(t("すべての場所"), "")
        for p in choices.places:
            self.place.addItem(p, p)
        common.select_value(self.place, place)
        self.place.blockSignals(False)
        self.detail_panel.set_choices(choices)

    def show_record(self, record: Any | None, force: bool = False) -> None:
        shown = self.detail_panel.note
        same = shown is not None and record is not None and shown.id == record.id
        if same and not force and self.detail_panel.is_dirty():
            return
        self.detail_panel.show_note(record if isinstance(record, Note) else None)

    # ---- actions -------------------------------------------------------------------------------------

    def open_capture(self) -> None:
        from ui.dialogs.note_capture import NoteCaptureDialog

        dialog = NoteCaptureDialog(self.services, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        dialog.open()
        self.capture_dialog = dialog

    def note_captured(self, note: Note) -> None:
        if self.isVisible():  # a hidden page reloads when it is shown (activated)
            self.reload_choices()
            self.reload(select_id=note.id)

    def save_note(self, note: Note) -> None:
        workers().run(
            "update-note",
            lambda: self.services.logbook.notes.update(note),
            success=self._note_saved,
            failure=lambda exc: self.detail_panel.show_error(t("保存できませんでした：") + common.describe(exc)),
            owner=self,
        )

    def _note_saved(self, note: Note) -> None:
        self.detail_panel.save_finished()
        self.record_saved(note)
        common.announce(self, t("変更を保存しました"))

    def add_followup(self, note_id: str, text: str) -> None:
        workers().run(
            "add-followup",
            lambda: common.add_followup(self.services, note_id, text),
            success=self._followup_added,
            failure=lambda exc: self.detail_panel.show_error(t("対応を追加できませんでした：") + common.describe(exc)),
            owner=self,
        )

    def _followup_added(self, note: Note) -> None:
        panel = self.detail_panel
        panel.followup_text.clear()
        panel.save_finished()
        self.model.replace_row(note)
        if panel.note is not None and panel.note.id == note.id and panel.is_dirty():
            # Keep the unsaved field edits; only the history changed.
            panel.note = note
            panel.fill_followups(note)
        else:
            self.show_record(note, force=True)
        common.announce(self, t("対応を追加しました"))
