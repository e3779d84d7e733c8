"""GUI entry: ``run(services)`` shows the main window, then starts the slow parts in the background."""

from __future__ import annotations

import gc
import sys
import threading
from typing import TYPE_CHECKING

from PySide6.QtCore import QLibraryInfo, QLocale, QObject, Qt, QTimer, QTranslator
from PySide6.QtWidgets import QApplication, QInputDialog, QLineEdit, QMessageBox, QWidget

from desktop.services import Services
from ui import style
from ui.i18n import set_language, t

if TYPE_CHECKING:
    from ui.main_window import MainWindow

_qt_translator: QTranslator | None = None


def install_qt_translations(app: QApplication, language: str) -> None:
    """Qt's own texts (OK/Cancel, file dialogs) in the app's language; English needs none."""
    global _qt_translator
    if _qt_translator is not None:
        app.removeTranslator(_qt_translator)
        _qt_translator = None
    if language != "ja":
        return
    translator = QTranslator(app)
    if translator.load(QLocale(QLocale.Language.Japanese), "qtbase", "_", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)):
        app.installTranslator(translator)
        _qt_translator = translator


def application() -> QApplication:
    """The QApplication (created once), with the app's name, font stack, stylesheet and Qt's translations."""
    from ui.i18n import language

    app = QApplication.instance()
    if not isinstance(app, QApplication):
        app = QApplication(sys.argv[:1])
    app.setApplicationName("SoumuDesk")
    app.setApplicationDisplayName("総務デスク")
    style.apply(app)
    install_qt_translations(app, language())
    return app


class UiThreadGarbageCollector(QObject):
    """Runs Python's cycle collector on the UI thread only (Anki's ``aqt`` does the same).

    With automatic collection, a cycle holding a Qt object can be freed on whatever thread happens to
    allocate at that moment — a pool thread — and Qt objects must die on their own thread. So automatic
    collection is off and a timer collects, by generation, as often as CPython would have.
    """

    def __init__(self, parent: QObject | None = None, interval_ms: int = 500) -> None:
        super().__init__(parent)
        self._thresholds = gc.get_threshold()
        gc.disable()
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.collect)
        self._timer.start()

    def collect(self) -> None:
        counts = gc.get_count()
        for generation in (2, 1, 0):
            if counts[generation] >= self._thresholds[generation]:
                gc.collect(generation)
                return

    def freeze_startup(self) -> None:
        """Once start-up is done: collect once, then move every object alive now out of the collector's sight
        (``gc.freeze``). Modules, classes, functions and the window's widgets live as long as the app, yet each
        full collection walked them all on the UI thread: measured at ~112,000 tracked objects, 64–98 ms a full
        collection (benchmarks/insights_ui_bench.py, docs/PERFORMANCE.md), a UI stall whenever one ran. Frozen,
        a full collection walks only what was made since. Objects frozen here are still freed by reference
        counting; only a cycle among them would stay until :meth:`stop`."""
        gc.collect()
        gc.freeze()

    def stop(self) -> None:
        self._timer.stop()
        gc.unfreeze()
        gc.collect()
        gc.enable()


def passphrase_asker(parent: QWidget | None) -> object:
    """A callable for :class:`desktop.secrets.KeyManager`: a password dialog on the UI thread."""
    main_thread = threading.main_thread()

    def ask(prompt: str) -> str | None:
        from desktop.secrets import PROMPT_NEW

        if threading.current_thread() is not main_thread:
            return None  # dialogs only on the UI thread; the caller reports "no passphrase"
        label = t("この PC には OS のキーリングがないため、記録はパスフレーズで保護します。\nパスフレーズを入力してください(8文字以上)。")
        while True:
            text, ok = QInputDialog.getText(parent, t("ログブックのパスフレーズ"), label, QLineEdit.EchoMode.Password)
            if not (ok and text):
                return None
            if prompt != PROMPT_NEW:
                return text
            # a new passphrase is typed twice: a typo here would lock the logbook
            again, ok = QInputDialog.getText(
                parent, t("ログブックのパスフレーズ"), t("確認のため、もう一度入力してください。"), QLineEdit.EchoMode.Password
            )
            if not ok:
                return None
            if again == text:
                return text
            label = t("2回の入力が一致しませんでした。もう一度パスフレーズを入力してください(8文字以上)。")

    return ask


def open_logbook(services: Services, parent: QWidget) -> bool:
    """Open the logbook now (UI thread: the key may need a dialog). Shows the recovery key once."""
    from desktop.secrets import SecretsError

    try:
        _ = services.logbook
    except SecretsError as exc:
        QMessageBox.warning(parent, t("記録を開けません"), exc.ja if _ja() else exc.en)
        return False
    if services.recovery_key_shown:
        show_recovery_key(parent, services.recovery_key_shown)
        services.recovery_key_shown = None
    return True


def show_recovery_key(parent: QWidget, key: str) -> None:
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Information)
    box.setWindowTitle(t("回復キー(一度だけ表示)"))
    box.setText(
        t("記録の暗号化キーを作成しました。次の回復キーを紙に書くなどして安全に保管してください。")
        + f"\n\n{key}\n\n"
        + t("キーリングが消えたときやパスフレーズを忘れたときに、この回復キーで記録を取り戻せます。この画面は二度と表示されません。")
    )
    box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)  # so it can be copied
    box.exec()


def _ja() -> bool:
    from ui.i18n import language

    return language() == "ja"


def start(services: Services) -> tuple[QApplication, MainWindow, UiThreadGarbageCollector]:
    """Show the main window and start the slow parts in the background (all of :func:`run` but the event loop).
    Start-up ends with :meth:`UiThreadGarbageCollector.freeze_startup`, once the pages' modules are imported."""
    set_language(services.settings.ui.language)
    app = application()
    from ui.main_window import MainWindow

    collector = UiThreadGarbageCollector(app)
    window = MainWindow(services)
    services.ask_passphrase = passphrase_asker(window)  # type: ignore[assignment]
    window.show()

    def after_show() -> None:
        services.start()  # model loads on the runtime's own thread
        knowledge = window.pages.get("knowledge")
        background = getattr(knowledge, "start_background", None)
        if background is not None:
            background()
        open_logbook(services, window)
        window.preload_pages(then=collector.freeze_startup)  # start-up is done once the pages' modules are in

    QTimer.singleShot(0, after_show)
    return app, window, collector


def run(services: Services) -> int:
    app, _window, collector = start(services)
    try:
        return int(app.exec())
    finally:
        services.close()
        collector.stop()
