"""Rendering for `soumu-desk screenshots`: the main window built offscreen, one PNG per page plus the
quick-capture dialog. The command (``desktop/commands/screenshots.py``) prepares the data home and calls
this through the composition root (``desktop.app.render_screenshots``)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication

from desktop.services import Services
from ui.i18n import set_language
from ui.main import UiThreadGarbageCollector, application
from ui.workers import shutdown_workers, workers

QUESTION = {"ja": "出張の日当はいくらですか?", "en": "出張の日当はいくらですか?"}  # the demo documents are Japanese
PAGES = ("answer", "notes", "inquiries", "insights", "prompts", "knowledge", "model", "settings")
WINDOW_SIZE = (1360, 860)


def fill_answer(page: Any, question: str, pump: Callable[..., None]) -> None:
    """Type the question, wait for the hits, ask, and wait for the whole answer."""
    page.search_box.setText(question)
    page.search_now()
    pump(lambda: bool(page.hits))
    page.ask()
    pump(lambda: bool(page.state.finished), timeout=300)
    page.search_box.setFocus()


LOGBOOK_QUESTION = {"ja": "会議室についての声で多いのは？", "en": "会議室についての声で多いのは？"}


def save_reading(page: Any, prefix: str, save: Callable[[Any, str], None], pump: Callable[..., None]) -> None:
    """The 分析 page's AI panel, one picture per tab that matters: themes, the narrative, a logbook question."""
    reading = page.reading
    pump(lambda: not reading.busy(), timeout=120)
    for tab, name in ((0, "themes"), (1, "recurring"), (2, "faq"), (3, "narrative")):
        reading.tabs.setCurrentIndex(tab)
        save(reading, f"{prefix}-{name}")
    reading.tabs.setCurrentIndex(4)
    from ui.i18n import language

    reading.ask_edit.setText(LOGBOOK_QUESTION[language()])
    reading.ask()
    pump(lambda: reading.last_answer is not None, timeout=60)
    save(reading, f"{prefix}-ask")
    reading.tabs.setCurrentIndex(0)


def render(services: Services, outdir: Path, lang: str, progress: Callable[[str], None]) -> list[Path]:
    """Build the window offscreen and save one PNG per page plus the quick-capture dialog."""
    from ui.main_window import MainWindow

    set_language(lang)
    app = application()
    collector = UiThreadGarbageCollector(app)
    window = MainWindow(services)
    window.resize(*WINDOW_SIZE)
    window.show()

    def pump(until: Callable[[], bool] | None = None, timeout: float = 30.0, settle: float = 0.3) -> None:
        """Run the event loop until ``until()`` holds and no background job is left, then a little more."""
        deadline = time.monotonic() + timeout
        quiet_since: float | None = None
        while time.monotonic() < deadline:
            QCoreApplication.processEvents()
            busy = bool(workers().active()) or (until is not None and not until())
            now = time.monotonic()
            if busy:
                quiet_since = None
            elif quiet_since is None:
                quiet_since = now
            elif now - quiet_since >= settle:
                return
            time.sleep(0.02)

    written: list[Path] = []

    def save(widget: Any, name: str) -> None:
        pump()
        path = outdir / f"{name}_{lang}.png"
        widget.grab().save(str(path))
        written.append(path)
        progress(f"  {path.name}")

    try:
        pump()
        if services.active_model_path() is not None:
            progress("モデルを読み込んでいます / loading the model")
            services.runtime.wait_until_loaded(300)
        for key in PAGES:
            page: Any = window.show_page(key)
            if key == "answer":
                fill_answer(page, QUESTION[lang], pump)
            if key == "knowledge":
                page.refresh()
            pump(timeout=60)
            save(window, f"{PAGES.index(key) + 1:02d}-{key}")
            if key == "insights":
                save_reading(page, f"{PAGES.index(key) + 1:02d}-{key}", save, pump)
        window.show_page("notes")
        window.open_quick_capture()
        pump()
        dialogs = [w for w in app.topLevelWidgets() if w.isVisible() and w is not window and w.isWindow()]
        if dialogs:
            save(dialogs[-1], f"{len(PAGES) + 1:02d}-quick-capture")
            dialogs[-1].close()
    finally:
        window.close()
        shutdown_workers()
        collector.stop()
    return written
