"""The main window: eight pages in the sidebar, status bar, the app-wide quick-capture shortcut, geometry
remembered, and every visible string translated in English."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget

from desktop.services import Services
from ui import i18n
from ui.main_window import PAGES, MainWindow

JA_TITLES = ["回答", "現場の声", "問い合わせ", "分析", "プロンプト集", "ナレッジ", "モデル", "設定"]


@pytest.fixture
def window(qtbot: Any, indexed: Services) -> MainWindow:
    w = MainWindow(indexed)
    qtbot.addWidget(w)
    w.show()
    return w


def sidebar_texts(w: MainWindow) -> list[str]:
    return [w.sidebar.item(i).text() for i in range(w.sidebar.count())]


def test_sidebar_has_the_eight_pages_and_each_opens(qtbot: Any, window: MainWindow) -> None:
    assert sidebar_texts(window) == JA_TITLES
    assert window.current_key() == "answer"
    for spec in PAGES:
        page: Any = window.show_page(spec.key)
        assert window.stack.currentWidget() is page
        assert page.title == i18n.t(spec.title_ja)
    window.show_page("answer")


def test_status_bar_shows_model_index_and_offline(qtbot: Any, window: MainWindow) -> None:
    assert "モデル" in window.model_status.text()
    assert "オフライン" in window.offline_mark.text()
    knowledge: Any = window.page("knowledge")
    with qtbot.waitSignal(knowledge.statusRefreshed, timeout=10_000):
        knowledge.refresh()
    assert "索引" in window.index_status.text()


def test_quick_capture_shortcut_works_from_any_page(qtbot: Any, window: MainWindow) -> None:
    assert window.quick_capture.context() == Qt.ShortcutContext.ApplicationShortcut
    assert window.quick_capture.key().toString() == "Ctrl+Shift+N"
    window.show_page("knowledge")
    window.activateWindow()
    before = set(QApplication.topLevelWidgets())
    window.quick_capture.activated.emit()
    new = [w for w in QApplication.topLevelWidgets() if w not in before and w.isVisible()]
    assert new, "the quick-capture dialog opened"
    for w in new:
        w.close()


def test_geometry_is_remembered(qtbot: Any, indexed: Services) -> None:
    first = MainWindow(indexed)
    qtbot.addWidget(first)
    first.show()
    first.resize(777, 555)  # fits the offscreen screen (800×800), so nothing is clamped
    first.close()
    assert indexed.settings.ui.window_geometry
    second = MainWindow(indexed)
    qtbot.addWidget(second)
    assert (second.width(), second.height()) == (777, 555)


def test_every_page_in_english_has_no_missing_translation(qtbot: Any, window: MainWindow) -> None:
    window.set_language("en")
    assert sidebar_texts(window) == ["Answer", "Floor notes", "Inquiries", "Insights", "Prompt library", "Knowledge", "Model", "Settings"]
    for spec in PAGES:
        page: QWidget = window.show_page(spec.key)
        activated = getattr(page, "activated", None)
        if activated is not None:
            activated()
    qtbot.waitUntil(lambda: not window.workers().active(), timeout=30_000)
    qtbot.wait(50)
    assert i18n.missing() == set(), sorted(i18n.missing())
    assert window.services.settings.ui.language == "en"
    window.set_language("ja")
    assert sidebar_texts(window) == JA_TITLES


def test_start_up_ends_with_its_objects_frozen_out_of_the_collector(qtbot: Any, services: Services) -> None:
    """Once the window is up and the pages' modules are imported, what start-up made is frozen (``gc.freeze``):
    a full collection on the UI thread no longer walks it (64–98 ms a collection before, docs/PERFORMANCE.md)."""
    import gc

    from ui.main import start

    _ = services.logbook  # opened, and its recovery key shown, at an earlier start
    services.recovery_key_shown = None
    assert gc.get_freeze_count() == 0
    _app, window, collector = start(services)
    qtbot.addWidget(window)
    try:
        qtbot.waitUntil(lambda: gc.get_freeze_count() > 0, timeout=30_000)
        frozen = gc.get_freeze_count()
        assert frozen > 10_000  # modules, classes, functions, the window's widgets
        assert len(gc.get_objects()) < frozen  # what a full collection walks now: made since start-up
    finally:
        collector.stop()
    assert gc.get_freeze_count() == 0  # stopping gives them back (the last collection at exit sees them)
