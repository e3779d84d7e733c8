"""The look of a logbook record list: toolbar, filter bar, demo offer, table, detail panel and export button.

:class:`RecordListView` only builds and sizes widgets; what they do lives in
:class:`ui.pages.notes.records.RecordListPage`, which subclasses it and connects them.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QResizeEvent, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QScrollArea,
    QSplitter,
    QStackedWidget,
    QTableView,
    QWidget,
)

import ui.dialogs as common
from ui.demo_offer import DemoOffer
from ui.i18n import t
from ui.models.log_tables import Column, RecordSortProxy, RecordTableModel
from ui.pages import page_layout


class StretchTable(QTableView):
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


class RecordListView(QWidget):
    """The widgets of a record list page, built by :meth:`build`.

    Subclasses describe the table and panel through ``columns()``, ``column_widths()``, ``stretch_column()``,
    ``build_detail()``, and may add filters (``add_filters()``), fixed column texts (``column_values()``) and
    cell colours (``colour_for()``).
    """

    def __init__(self, services: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services

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

        self.model = RecordTableModel(self.columns(), self.colour_for, self)
        self.proxy = RecordSortProxy(self)
        self.proxy.setSourceModel(self.model)
        self.table = StretchTable(self.stretch_column())
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
        self.export_csv_action = menu.addAction(t("CSV（Excelで開けます）…"))
        self.export_xlsx_action = menu.addAction(t("Excelブック（.xlsx）…"))
        self.export_button.setMenu(menu)
        self.export_button.setToolTip(t("表示中の行を書き出します"))

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

    def column_values(self) -> dict[str, list[str]]:
        """The fixed texts a column shows, as displayed (their width decides the column's width)."""
        return {}

    def build_detail(self) -> QWidget:
        raise NotImplementedError

    def add_filters(self) -> None:
        """Extra filter widgets (added before the search box)."""

    def colour_for(self, row: Any, key: str) -> tuple[QColor | None, QColor | None]:
        return None, None
