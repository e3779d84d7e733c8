"""The main window: a sidebar with the seven pages, a status bar, the app-wide quick-capture shortcut.

Signals: ``languageChanged(str)`` after the texts were rebuilt in the new language.
"""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QByteArray, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.services import Services, lower_background_threads
from ui import catalog_core  # noqa: F401 — registers the English catalogue
from ui.i18n import set_language, t
from ui.team_watch import PAGES_OF_KIND, TeamChanges
from ui.team_watch import status_text as team_status_text
from ui.workers import shutdown_workers, workers

log = logging.getLogger(__name__)

QUICK_CAPTURE_KEYS = "Ctrl+Shift+N"


@dataclass(frozen=True)
class PageSpec:
    key: str
    title_ja: str  # passed through t() when shown
    module: str
    cls: str


PAGES = (
    PageSpec("answer", "回答", "ui.pages.answer", "AnswerPage"),
    PageSpec("notes", "現場の声", "ui.pages.notes", "NotesPage"),
    PageSpec("inquiries", "問い合わせ", "ui.pages.inquiries", "InquiriesPage"),
    PageSpec("insights", "分析", "ui.pages.insights", "InsightsPage"),
    PageSpec("prompts", "プロンプト集", "ui.pages.prompts", "PromptsPage"),
    PageSpec("knowledge", "ナレッジ", "ui.pages.knowledge", "KnowledgePage"),
    PageSpec("model", "モデル", "ui.pages.model", "ModelPage"),
    PageSpec("settings", "設定", "ui.pages.settings", "SettingsPage"),
)

EAGER_PAGES = ("answer", "knowledge")  # the first page, and the one that indexes at start-up

MODEL_STATE_TEXT = {
    "none": "モデル: なし(抜粋で回答)",
    "loading": "モデル: 読み込み中…",
    "ready": "モデル: 準備完了",
    "error": "モデル: エラー",
}


def _load_class(spec: PageSpec) -> Callable[[Services, QWidget | None], QWidget]:
    cls: Any = getattr(importlib.import_module(spec.module), spec.cls)
    return cls


class MainWindow(QMainWindow):
    """Sidebar navigation over a stack of pages; owns the status bar and the quick-capture shortcut."""

    languageChanged = Signal(str)

    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.pages: dict[str, QWidget] = {}
        self._ui_thread_id = threading.get_native_id()
        self.setMinimumSize(QSize(760, 500))  # 1366×768 at 150 % scaling is 910×512 logical pixels
        self._build()
        self._restore_geometry()
        self.quick_capture = QShortcut(QKeySequence(QUICK_CAPTURE_KEYS), self)
        self.quick_capture.setContext(Qt.ShortcutContext.ApplicationShortcut)
        self.quick_capture.activated.connect(self.open_quick_capture)
        self.team_changes = TeamChanges(self)
        self.team_changes.changed.connect(self.team_records_changed)
        services.team_change_listener = self.team_changes.relay
        self._status_timer = QTimer(self)
        self._status_timer.setInterval(500)
        self._status_timer.timeout.connect(self.refresh_status)
        self._status_timer.start()
        self.refresh_status()
        QTimer.singleShot(0, self, self._first_refresh)  # the index's state in the status bar from the start

    # -- building ----------------------------------------------------------------------------------
    def _build(self) -> None:
        self.setWindowTitle(t("総務デスク"))
        central = QWidget()
        outer = QHBoxLayout(central)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        left = QWidget()
        left.setObjectName("sidebarColumn")
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.setSpacing(0)
        self.brand = QLabel(t("総務デスク"))
        self.brand.setObjectName("brand")
        left_layout.addWidget(self.brand)
        self.sidebar = QListWidget()
        self.sidebar.setObjectName("sidebar")
        self.sidebar.setFixedWidth(184)
        self.sidebar.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        left_layout.addWidget(self.sidebar, 1)
        outer.addWidget(left)
        self.stack = QStackedWidget()
        outer.addWidget(self.stack, 1)
        self.setCentralWidget(central)
        self._build_pages()
        self.sidebar.currentRowChanged.connect(self._show_row)

        bar = self.statusBar()
        bar.setSizeGripEnabled(False)
        self.model_status = QLabel()
        self.index_status = QLabel()
        self.offline_mark = QLabel()
        self.offline_mark.setObjectName("offlineMark")
        bar.addWidget(self.model_status)
        bar.addWidget(self.index_status, 1)
        bar.addPermanentWidget(self.offline_mark)
        self._retranslate_status()
        self.sidebar.setCurrentRow(0)

    def _build_pages(self) -> None:
        """Sidebar entries for every page; only the pages needed at once are built now.

        The others are built the first time they are shown (their modules were imported in the background
        meanwhile, see :meth:`preload_pages`), so the window appears fast.
        """
        for spec in PAGES:
            holder = QWidget()
            self.stack.addWidget(holder)
            item = QListWidgetItem(t(spec.title_ja))
            item.setSizeHint(QSize(160, 40))
            item.setData(Qt.ItemDataRole.UserRole, spec.key)
            self.sidebar.addItem(item)
        for key in EAGER_PAGES:
            self.page(key)

    def page(self, key: str) -> QWidget:
        """The page for ``key``, built now if it was not yet."""
        existing = self.pages.get(key)
        if existing is not None:
            return existing
        index = [spec.key for spec in PAGES].index(key)
        spec = PAGES[index]
        page: QWidget = _load_class(spec)(self.services, None)
        holder = self.stack.widget(index)
        current = self.stack.currentIndex()
        self.stack.insertWidget(index, page)
        if holder is not None:
            self.stack.removeWidget(holder)
            holder.deleteLater()
        if current == index:
            self.stack.setCurrentIndex(index)
        self.pages[key] = page
        if key == "knowledge" and hasattr(page, "indexStateChanged"):
            page.indexStateChanged.connect(self._set_index_status)
        if key == "insights" and hasattr(page, "open_record"):
            page.open_record.connect(self.open_record)
        return page

    def open_record(self, kind: str, record_id: str) -> bool:
        """Show one record on its page (現場の声 or 問い合わせ), clearing the page's filters when it is hidden."""
        page = self.show_page("notes" if kind == "note" else "inquiries")
        select = getattr(page, "select_id", None)
        if select is None:
            return False
        if select(record_id):
            return True
        clear = getattr(page, "clear_filters", None)
        if clear is not None:
            clear()
            return bool(select(record_id))
        return False

    def preload_pages(self, then: Callable[[], None] | None = None) -> None:
        """Import the remaining pages' modules on a pool thread (imports only: no widget is made there); ``then``
        runs on the UI thread once they are imported."""
        modules = [spec.module for spec in PAGES if spec.key not in self.pages] + ["ui.dialogs.note_capture"]

        def op() -> None:
            for name in modules:
                importlib.import_module(name)

        workers().run("preload pages", op, success=(lambda _: then()) if then is not None else None, owner=self)

    def _retranslate_status(self) -> None:
        self._refresh_network_mark()
        self.quick_hint = t("現場の声をすばやく記録: {keys}", keys=QUICK_CAPTURE_KEYS)

    # -- navigation -------------------------------------------------------------------------------
    def _show_row(self, row: int) -> None:
        if row < 0:
            return
        page = self.page(PAGES[row].key)
        self.stack.setCurrentIndex(row)
        activated: Callable[[], None] | None = getattr(page, "activated", None)
        if activated is not None:
            activated()

    def show_page(self, key: str) -> QWidget:
        keys = [spec.key for spec in PAGES]
        self.sidebar.setCurrentRow(keys.index(key))
        return self.page(key)

    def current_key(self) -> str:
        return PAGES[self.stack.currentIndex()].key

    # -- status bar -------------------------------------------------------------------------------
    def refresh_status(self) -> None:
        lower_background_threads(self._ui_thread_id)
        runtime = self.services.runtime
        state = str(getattr(runtime, "state", "none"))
        text = t(MODEL_STATE_TEXT.get(state, "モデル: なし(抜粋で回答)"))
        self.model_status.setText(text)
        error = getattr(runtime, "error", None)
        self.model_status.setToolTip(str(error) if state == "error" and error else "")
        self._refresh_network_mark()

    def _refresh_network_mark(self) -> None:
        """オフライン (single PC) or, in team mode, チームサーバー接続中 / サーバーに接続できません."""
        text, tip, state = team_status_text(self.services)
        if text != self.offline_mark.text():
            self.offline_mark.setText(text)
            self.offline_mark.setProperty("teamState", state)
        self.offline_mark.setToolTip(tip)

    def team_records_changed(self, kinds: list[str]) -> None:
        """Another PC changed records: the visible pages that show them load again (hidden ones do when
        shown); unsaved edits in a detail panel are kept by the pages' own reload."""
        keys = {key for kind in kinds for key in PAGES_OF_KIND.get(kind, ())}
        for key in sorted(keys):
            page = self.pages.get(key)
            if page is None or not page.isVisible():
                continue
            if "lists" in kinds and hasattr(page, "reload_choices"):
                page.reload_choices()
            reload: Callable[[], None] | None = getattr(page, "reload", None) or getattr(page, "refresh", None)
            if reload is not None:
                reload()

    def _first_refresh(self) -> None:
        knowledge: Any = self.pages.get("knowledge")
        if knowledge is not None and self.isVisible():
            knowledge.refresh()

    def _set_index_status(self, text: str) -> None:
        self.index_status.setText(text)

    # -- quick capture ----------------------------------------------------------------------------
    def open_quick_capture(self) -> None:
        from ui.dialogs.note_capture import NoteCaptureDialog

        dialog = NoteCaptureDialog(self.services, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        dialog.open()

    # -- language ----------------------------------------------------------------------------------
    def set_language(self, language: str) -> None:
        """Switch live: save the choice, then rebuild every page's texts by rebuilding the pages."""
        self.services.settings.ui.language = language
        self.services.save_settings()
        set_language(language)
        from ui.main import install_qt_translations

        app = QApplication.instance()
        if isinstance(app, QApplication):
            install_qt_translations(app, language)
        current = self.stack.currentIndex()
        self.sidebar.blockSignals(True)
        self.sidebar.clear()
        knowledge: Any = self.pages.get("knowledge")
        running_index = knowledge._index_job if knowledge is not None and knowledge.indexing else None
        for page in list(self.pages.values()):
            teardown: Callable[[], None] | None = getattr(page, "teardown", None)
            if teardown is not None:
                teardown()
        while self.stack.count():
            widget = self.stack.widget(0)
            if widget is None:
                break
            self.stack.removeWidget(widget)
            widget.deleteLater()
        self.pages.clear()
        self._build_pages()
        self.sidebar.blockSignals(False)
        self.setWindowTitle(t("総務デスク"))
        self.brand.setText(t("総務デスク"))
        self._retranslate_status()
        self.refresh_status()
        self.sidebar.setCurrentRow(max(0, current))
        self._show_row(max(0, current))
        if running_index is not None:
            # the old page's run stops at its next file; the new page carries on (one writer at a time)
            running_index.wait(30)
            new_knowledge: Any = self.page("knowledge")
            new_knowledge.reindex()
        self.languageChanged.emit(language)

    # -- geometry and teardown ----------------------------------------------------------------------
    def _restore_geometry(self) -> None:
        saved = self.services.settings.ui.window_geometry
        if saved:
            self.restoreGeometry(QByteArray.fromBase64(saved.encode("ascii")))
        else:
            self.resize(1280, 820)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.services.settings.ui.window_geometry = bytes(self.saveGeometry().toBase64().data()).decode("ascii")
        try:
            self.services.save_settings()
        except OSError:
            log.exception("could not save the settings")
        self._status_timer.stop()
        self.services.team_change_listener = None
        for page in self.pages.values():
            teardown: Callable[[], None] | None = getattr(page, "teardown", None)
            if teardown is not None:
                teardown()
        shutdown_workers()
        super().closeEvent(event)

    def workers(self) -> Any:
        return workers()
