"""Item models for the logbook tables (floor notes, inquiries).

The rows come from the logbook API already filtered (the query runs in a worker, SQL-side), as the
logbook's record objects (``Note``, ``Inquiry``) or plain mappings. The model keeps the whole result in memory but hands it to the view in batches through
``canFetchMore``/``fetchMore``, so 100,000 rows appear at once and scroll smoothly: the view only asks for
what it shows.

Sorting covers *all* rows, with one ``list.sort`` on a key (:func:`sort_rows`, ~0.3 s for 100,000 rows,
so the page runs it in a worker).
:class:`RecordSortProxy` forwards the view's sort request to this model instead of sorting itself: a proxy
sort would order only the rows fetched so far and call ``data()`` in Python for every comparison.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QBrush, QColor

from ui.dialogs import show_value
from ui.i18n import t

Row = Any  # a logbook record (dataclass) or a plain mapping
Index = QModelIndex | QPersistentModelIndex

ROW_ROLE = Qt.ItemDataRole.UserRole + 1  # the whole row mapping
SORT_ROLE = Qt.ItemDataRole.UserRole + 2  # the raw value of the cell


@dataclass(frozen=True)
class Column:
    """One table column: ``key`` into the row mapping, a Japanese header, and how to show the value."""

    key: str
    header: str
    format: Callable[[Any, Row], str] | None = None
    elide: int = 0  # show at most this many characters (the tooltip has the whole text)
    align_right: bool = False
    translate: bool = False  # the value is one of a fixed Japanese vocabulary (status, channel …)
    tooltip: Callable[[Any, Row], str] | None = None


def value_of(row: Row, key: str) -> Any:
    if isinstance(row, Mapping):
        return row.get(key)
    return getattr(row, key, None)


def format_when(value: Any, row: Row | None = None) -> str:
    """Date-times as ``2026-05-12 14:03``; accepts datetime, date or ISO text."""
    if value in (None, ""):
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    text = str(value).replace("T", " ")
    return text[:16]


def format_date(value: Any, row: Row | None = None) -> str:
    if value in (None, ""):
        return ""
    if isinstance(value, datetime | date):
        return value.isoformat()[:10]
    return str(value)[:10]


def one_line(text: str, limit: int) -> str:
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


class RecordTableModel(QAbstractTableModel):
    """Rows of the logbook shown lazily; see the module docstring.

    ``colour_for(row, column_key)`` may return (background, foreground) colours for a cell, used for
    severity colour-coding and overdue highlighting.
    """

    BATCH = 400

    def __init__(
        self,
        columns: Sequence[Column],
        colour_for: Callable[[Row, str], tuple[QColor | None, QColor | None]] | None = None,
        parent: Any = None,
    ) -> None:
        super().__init__(parent)
        self.columns = list(columns)
        self._colour_for = colour_for
        self._rows: list[Row] = []
        self._shown = 0
        self._sort: tuple[int, Qt.SortOrder] | None = None
        self.sort_handler: Callable[[int, Qt.SortOrder], None] | None = None

    # ---- content -------------------------------------------------------------------------------------

    def set_rows(self, rows: Sequence[Row], presorted: bool = False) -> list[Row]:
        """Show ``rows``; unless ``presorted`` they are sorted here by the current sort (UI thread).

        Returns the previous rows: freeing 100,000 records costs ~70 ms, which the caller may leave to a
        worker.
        """
        previous = self._rows
        self.beginResetModel()
        self._rows = list(rows) if presorted else self.sorted(rows)
        self._shown = min(self.BATCH, len(self._rows))
        self.endResetModel()
        return previous

    def total(self) -> int:
        """All rows of the result, also those not yet handed to the view."""
        return len(self._rows)

    def rows(self) -> list[Row]:
        return list(self._rows)

    def row_at(self, row: int) -> Row:
        return self._rows[row]

    def find(self, key: str, value: Any) -> int:
        """Position of the first row whose ``key`` equals ``value`` (fetching up to it), or -1."""
        for i, r in enumerate(self._rows):
            if value_of(r, key) == value:
                while self._shown <= i:
                    self.fetchMore(QModelIndex())
                return i
        return -1

    def replace_row(self, row: Row, key: str = "id") -> None:
        """Put an updated record in place (after an edit) without reloading the whole table."""
        for i, r in enumerate(self._rows):
            if value_of(r, key) == value_of(row, key):
                self._rows[i] = row
                if i < self._shown:
                    self.dataChanged.emit(self.index(i, 0), self.index(i, len(self.columns) - 1))
                return

    # ---- Qt model ------------------------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self._shown

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and self._shown < len(self._rows)

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008
        if parent.isValid():
            return
        extra = min(self.BATCH, len(self._rows) - self._shown)
        if extra <= 0:
            return
        self.beginInsertRows(QModelIndex(), self._shown, self._shown + extra - 1)
        self._shown += extra
        self.endInsertRows()

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return t(self.columns[section].header)
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= self._shown:
            return None
        row = self._rows[index.row()]
        column = self.columns[index.column()]
        value = value_of(row, column.key)
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(column, value, row)
        if role == Qt.ItemDataRole.ToolTipRole:
            if column.tooltip is not None:
                return column.tooltip(value, row) or None
            if column.elide and value and len(str(value)) > column.elide:
                return str(value)
            return None
        if role == ROW_ROLE:
            return row
        if role == SORT_ROLE:
            return value
        if role == Qt.ItemDataRole.TextAlignmentRole:
            if column.align_right:
                return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            return None
        if role in (Qt.ItemDataRole.BackgroundRole, Qt.ItemDataRole.ForegroundRole) and self._colour_for:
            background, foreground = self._colour_for(row, column.key)
            chosen = background if role == Qt.ItemDataRole.BackgroundRole else foreground
            return QBrush(chosen) if chosen is not None else None
        return None

    @staticmethod
    def _display(column: Column, value: Any, row: Row) -> str:
        if column.format is not None:
            return column.format(value, row)
        if value is None:
            return ""
        text = show_value(str(value)) if column.translate else str(value)
        return one_line(text, column.elide) if column.elide else text

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sort all rows. With a ``sort_handler`` (the page), the handler sorts a copy in a worker and
        hands it back through ``set_rows(..., presorted=True)``: 100,000 rows take ~0.3 s to sort."""
        if not 0 <= column < len(self.columns):
            return
        self._sort = (column, order)
        if self.sort_handler is not None:
            self.sort_handler(column, order)
            return
        self.layoutAboutToBeChanged.emit()
        self._rows = self.sorted(self._rows)
        self.layoutChanged.emit()

    def sort_spec(self) -> tuple[str, bool] | None:
        """(key, descending) of the current sort, for sorting off the UI thread with :func:`sort_rows`."""
        if self._sort is None:
            return None
        column, order = self._sort
        return self.columns[column].key, order == Qt.SortOrder.DescendingOrder

    def sorted(self, rows: Sequence[Row]) -> list[Row]:
        spec = self.sort_spec()
        return list(rows) if spec is None else sort_rows(rows, *spec)


def sort_rows(rows: Sequence[Row], key: str, descending: bool) -> list[Row]:
    """Rows ordered by ``key``; empty values last in both directions, mixed types compared as text.
    Plain Python with no Qt, so a worker can run it."""

    def sort_key(r: Row) -> Any:
        v = value_of(r, key)
        return v if isinstance(v, int | float) else str(v)

    filled = [r for r in rows if value_of(r, key) not in (None, "")]
    empty = [r for r in rows if value_of(r, key) in (None, "")]
    try:
        filled.sort(key=sort_key, reverse=descending)
    except TypeError:  # numbers and text in one column
        filled.sort(key=lambda r: str(value_of(r, key)), reverse=descending)
    return filled + empty


class RecordSortProxy(QSortFilterProxyModel):
    """Sits between the view and :class:`RecordTableModel` and forwards the view's sort requests to it.

    A proxy sort would order only the rows fetched so far, calling ``data()`` in Python for every
    comparison; the source model sorts all rows by key instead (in a worker when the page provides one).
    Filters belong to the logbook query, so this proxy accepts every row.
    """

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        model = self.sourceModel()
        if isinstance(model, RecordTableModel):
            model.sort(column, order)
        else:
            super().sort(column, order)

    def row_at(self, proxy_row: int) -> Row:
        source = self.mapToSource(self.index(proxy_row, 0))
        model = self.sourceModel()
        assert isinstance(model, RecordTableModel)
        return model.row_at(source.row())
