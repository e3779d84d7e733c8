"""What a logbook record list does: filters, loading in a worker, selection, export.

:class:`RecordListPage` is the part the floor-notes and inquiries pages share. It subclasses the layout
(:class:`ui.pages.notes.records_view.RecordListView`) and connects its widgets here, in :meth:`build`:
the filter bar reloads the table over :mod:`ui.models.log_tables`, loading runs in a worker (a newer request
makes an older answer stale), the empty states are kept up to date and 書き出し writes exactly the rows shown.
"""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QFileDialog, QWidget

import ui.dialogs as common
from desktop.logbook import Filters
from ui import catalog_log  # noqa: F401 — registers the English strings
from ui.demo_offer import demo_events
from ui.i18n import t
from ui.models.log_tables import sort_rows, value_of
from ui.pages.notes.records_view import RecordListView
from ui.workers import workers

log = logging.getLogger(__name__)

SEARCH_DEBOUNCE_MS = 300
RELEASE_IN_WORKER = 5_000  # rows; below this, freeing the previous result is too cheap to move


class RecordListPage(RecordListView):
    """Filter bar + table + detail panel + export, for one logbook record kind.

    Subclasses set ``kind``, the layout hooks of :class:`RecordListView`, ``query(filters)`` (runs in a
    worker), ``count_all()``, ``show_record()`` and may add filters. Signals: ``loaded(int)`` with the number
    of rows after each load.
    """

    loaded = Signal(int)

    kind = ""
    empty_hint = ""
    filtered_hint = ""

    def __init__(self, services: Any, parent: QWidget | None = None) -> None:
        super().__init__(services, parent)
        self._generation = 0
        self._load_job: Any = None
        self._pending_select: str | None = None
        self._has_any = True
        self._summary = ""  # e.g. "期限切れ 3 件", computed with each load in the worker (summarize)
        self.choices = common.Choices()

    def build(self, title: str, subtitle: str) -> None:
        """Lay the page out, then connect the shared widgets to the actions below."""
        super().build(title, subtitle)
        demo_events().changed.connect(self._demo_changed)
        self.model.sort_handler = self._sort_in_worker
        self.table.selectionModel().currentRowChanged.connect(lambda cur, _prev: self._row_selected(cur.row()))
        self.export_csv_action.triggered.connect(lambda: self.ask_export("csv"))
        self.export_xlsx_action.triggered.connect(lambda: self.ask_export("xlsx"))
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

    # ---- to be provided by subclasses ----------------------------------------------------------------

    def extra_filters(self) -> dict[str, Any]:
        return {}

    def query(self, filters: Filters) -> list[Any]:
        raise NotImplementedError

    def count_all(self) -> int:
        raise NotImplementedError

    def summarize(self, rows: list[Any]) -> str:
        """A short note for the count label (runs in the worker, over all rows of the result)."""
        return ""

    def show_record(self, record: Any | None, force: bool = False) -> None:
        """Show ``record`` in the panel; unless ``force``, unsaved edits of the same record are kept."""
        raise NotImplementedError

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
