"""GUI entry: ``run(services)`` shows the main window, then starts the slow parts in the background."""

from __future__ import annotations

import sys
import threading

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QInputDialog, QLineEdit, QMessageBox, QWidget

from desktop.services import Services
from ui import style
from ui.i18n import set_language, t


def application() -> QApplication:
    """The QApplication (created once), with the app's name, font stack and stylesheet."""
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        app = QApplication(sys.argv[:1])
    app.setApplicationName("SoumuDesk")
    app.setApplicationDisplayName("総務デスク")
    style.apply(app)
    return app


def passphrase_asker(parent: QWidget | None) -> object:
    """A callable for :class:`desktop.secrets.KeyManager`: a password dialog on the UI thread."""
    main_thread = threading.main_thread()

    def ask(prompt: str) -> str | None:
        if threading.current_thread() is not main_thread:
            return None  # dialogs only on the UI thread; the caller reports "no passphrase"
        text, ok = QInputDialog.getText(
            parent,
            t("ログブックのパスフレーズ"),
            t("この PC には OS のキーリングがないため、記録はパスフレーズで保護します。\nパスフレーズを入力してください(8文字以上)。"),
            QLineEdit.EchoMode.Password,
        )
        return text if ok and text else None

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
    box.setTextInteractionFlags(box.textInteractionFlags())
    box.exec()


def _ja() -> bool:
    from ui.i18n import language

    return language() == "ja"


def run(services: Services) -> int:
    set_language(services.settings.ui.language)
    app = application()
    from ui.main_window import MainWindow

    window = MainWindow(services)
    services.ask_passphrase = passphrase_asker(window)  # type: ignore[assignment]
    window.show()

    def after_show() -> None:
        services.start()  # model loads on the runtime's own thread
        knowledge = window.pages.get("knowledge")
        start = getattr(knowledge, "start_background", None)
        if start is not None:
            start()
        open_logbook(services, window)
        window.preload_pages()

    QTimer.singleShot(0, after_show)
    try:
        return int(app.exec())
    finally:
        services.close()
