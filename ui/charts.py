"""Small QtCharts helpers for the insights page.

Each chart lives in a :class:`ChartCard`: a framed box with a title that shows either the chart or a short
"no data" line, so an empty period never shows an empty axis grid that looks broken. The helpers take plain
Python lists (already counted by ``desktop.insights`` in a worker) and only draw.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from PySide6.QtCharts import (
    QAbstractBarSeries,
    QBarCategoryAxis,
    QBarSeries,
    QBarSet,
    QChart,
    QChartView,
    QHorizontalBarSeries,
    QStackedBarSeries,
    QValueAxis,
)
from PySide6.QtCore import QMargins, Qt
from PySide6.QtGui import QColor, QFont, QPainter
from PySide6.QtWidgets import QFrame, QLabel, QStackedWidget, QVBoxLayout, QWidget

from ui.i18n import t

# Colour-blind-friendly palette (Okabe–Ito plus neutral greys); the same name keeps the same colour in every
# chart on screen because series are added in a stable order.
PALETTE = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#F0E442",
    "#7F7F7F",
    "#332288",
    "#88CCEE",
    "#44AA99",
    "#AA4499",
)


def colour(index: int) -> QColor:
    return QColor(PALETTE[index % len(PALETTE)])


class ChartCard(QFrame):
    """A titled box holding one chart, or a short message when there is nothing to draw."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("chartCard")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.title_label = QLabel(title)
        font = self.title_label.font()
        font.setBold(True)
        self.title_label.setFont(font)
        self.chart = QChart()
        self.chart.setBackgroundRoundness(0)
        self.chart.setMargins(QMargins(4, 4, 4, 4))
        self.chart.legend().setAlignment(Qt.AlignmentFlag.AlignBottom)
        self.view = QChartView(self.chart)
        self.view.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.view.setMinimumHeight(240)
        self.empty_label = QLabel(t("この期間のデータはありません"))
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setStyleSheet("color: #777;")
        self.stack = QStackedWidget()
        self.stack.addWidget(self.view)
        self.stack.addWidget(self.empty_label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(self.title_label)
        layout.addWidget(self.stack, 1)

    def is_empty(self) -> bool:
        return self.stack.currentWidget() is self.empty_label

    def clear(self) -> None:
        self.chart.removeAllSeries()
        for axis in self.chart.axes():
            self.chart.removeAxis(axis)

    def show_empty(self) -> None:
        self.clear()
        self.stack.setCurrentWidget(self.empty_label)

    def series_count(self) -> int:
        return len(self.chart.series())

    def bar_set_names(self) -> list[str]:
        """The legend of the chart: one name per bar set drawn."""
        return [
            bar_set.label()
            for series in self.chart.series()
            if isinstance(series, QAbstractBarSeries)
            for bar_set in series.barSets()
        ]

    # ---- drawing -------------------------------------------------------------------------------------

    def set_bars(
        self,
        categories: Sequence[str],
        series: Mapping[str, Sequence[int]],
        *,
        stacked: bool = False,
        horizontal: bool = False,
        colours: Mapping[str, str] | None = None,
    ) -> None:
        """Draw bar sets, one per key of ``series``, each holding one value per category."""
        self.clear()
        total = sum(sum(values) for values in series.values())
        if not categories or total == 0:
            self.show_empty()
            return
        bars: QAbstractBarSeries
        if horizontal:
            bars = QHorizontalBarSeries()
        elif stacked:
            bars = QStackedBarSeries()
        else:
            bars = QBarSeries()
        for i, (name, values) in enumerate(series.items()):
            bar_set = QBarSet(name)
            bar_set.append([float(v) for v in values])
            bar_set.setColor(QColor(colours[name]) if colours and name in colours else colour(i))
            bar_set.setBorderColor(bar_set.color())
            bar_set.setLabelColor(QColor("#1f2a30"))
            bars.append(bar_set)
        if horizontal and len(series) == 1:
            bars.setLabelsVisible(True)
            bars.setLabelsPosition(QAbstractBarSeries.LabelsPosition.LabelsOutsideEnd)
            bars.setLabelsFormat("@value")
        self.chart.addSeries(bars)
        category_axis = QBarCategoryAxis()
        # QtCharts wraps axis labels at spaces and then elides them: keep each label on one line.
        category_axis.append([str(c).replace(" ", "\u00a0") for c in categories])
        value_axis = QValueAxis()
        value_axis.setLabelFormat("%d")
        top = max(_column_totals(series, len(categories), stacked=stacked and not horizontal))
        # Room for the value labels at the end of horizontal bars.
        axis_max, step = axis_scale(top * (1.15 if horizontal else 1.0))
        value_axis.setRange(0, axis_max)
        value_axis.setTickType(QValueAxis.TickType.TicksDynamic)
        value_axis.setTickAnchor(0)
        value_axis.setTickInterval(step)
        small = QFont(self.font())
        small.setPointSizeF(max(small.pointSizeF() - 1, 7.0))
        category_axis.setLabelsFont(small)
        value_axis.setLabelsFont(small)
        if horizontal:
            self.chart.addAxis(category_axis, Qt.AlignmentFlag.AlignLeft)
            self.chart.addAxis(value_axis, Qt.AlignmentFlag.AlignBottom)
        else:
            self.chart.addAxis(category_axis, Qt.AlignmentFlag.AlignBottom)
            self.chart.addAxis(value_axis, Qt.AlignmentFlag.AlignLeft)
        bars.attachAxis(category_axis)
        bars.attachAxis(value_axis)
        if horizontal:
            # QtCharts elides every label once a band is shorter than a line of text: grow with the bars.
            self.view.setMinimumHeight(max(240, 70 + 30 * len(categories)))
        legend = self.chart.legend()
        legend.setVisible(len(series) > 1)
        # Many series (categories) need the height of a side legend, or their names get elided.
        side = len(series) > 3
        legend.setAlignment(Qt.AlignmentFlag.AlignRight if side else Qt.AlignmentFlag.AlignBottom)
        if side:  # one legend line per series must fit, or the last names are cut off
            self.view.setMinimumHeight(max(240, 50 + 28 * len(series)))
        self.stack.setCurrentWidget(self.view)


def _column_totals(series: Mapping[str, Sequence[int]], width: int, *, stacked: bool) -> list[int]:
    columns = [0] * width
    for values in series.values():
        for i, v in enumerate(values[:width]):
            columns[i] = columns[i] + v if stacked else max(columns[i], v)
    return columns or [0]


def axis_scale(top: float) -> tuple[int, int]:
    """(maximum, tick step) with whole-number ticks and at most five intervals, so counts read cleanly."""
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10000, 20000, 50000):
        if top <= step * 5:
            return max(int(-(-top // step)), 1) * step, step
    step = int(-(-top // 5))
    return step * 5, step
