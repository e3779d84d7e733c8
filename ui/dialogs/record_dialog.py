"""The shared save flow of the logbook forms (quick capture, inquiry form)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QMessageBox, QPushButton

import ui.dialogs as common
from ui.i18n import t
from ui.workers import workers

log = logging.getLogger(__name__)


class RecordDialog(QDialog):
    """A form that saves one record off the UI thread and never loses what was typed: a failed save keeps
    the dialog open with the error, and closing with typed text asks first.

    Subclasses build ``self.error`` (a hidden QLabel) and ``self.save_button``, and implement
    :meth:`has_typed_text` and :meth:`announce_saved`.

    Signals: ``saved(record)`` once the record is in the logbook.
    """

    saved = Signal(object)
    error: QLabel
    save_button: QPushButton
    _saving = False

    def build_footer(self) -> tuple[QLabel, QHBoxLayout]:
        """The error line and the キャンセル / 保存 buttons; Ctrl+Enter saves. Subclasses define ``save()``."""
        self.error = QLabel("")
        self.error.setObjectName("error")
        self.error.setWordWrap(True)
        self.error.setVisible(False)
        self.save_button = QPushButton(t("保存 (Ctrl+Enter)"))
        self.save_button.setObjectName("primary")
        self.save_button.setAutoDefault(False)
        self.save_button.clicked.connect(self.save)
        cancel = QPushButton(t("キャンセル (Esc)"))
        cancel.setAutoDefault(False)
        cancel.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(cancel)
        buttons.addWidget(self.save_button)
        for keys in ("Ctrl+Return", "Ctrl+Enter"):
            QShortcut(QKeySequence(keys), self, self.save)
        return self.error, buttons

    def save(self) -> None:
        raise NotImplementedError

    def has_typed_text(self) -> bool:
        raise NotImplementedError

    def announce_saved(self, record: Any) -> None:
        """Tell the rest of the app (list pages refresh) and the user."""
        raise NotImplementedError

    def start_save(self, name: str, op: Callable[[], Any]) -> None:
        self._saving = True
        self.save_button.setEnabled(False)
        self.error.setVisible(False)
        workers().run(name, op, success=self._saved, failure=self._save_failed, owner=self)

    def _saved(self, record: Any) -> None:
        self._saving = False
        self.save_button.setEnabled(True)
        self.saved.emit(record)
        self.announce_saved(record)
        self.accept()

    def _save_failed(self, exc: BaseException) -> None:
        self._saving = False
        self.save_button.setEnabled(True)
        log.warning("saving from %s failed: %s", type(self).__name__, type(exc).__name__)
        self._show_error(t("保存できませんでした。入力内容はそのままです。") + "\n" + common.describe(exc))

    def _show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.setVisible(True)

    def reject(self) -> None:
        if self._saving:
            return
        if self.has_typed_text():
            answer = QMessageBox.question(
                self,
                t("入力を破棄しますか？"),
                t("入力した内容は保存されません。破棄してよろしいですか？"),
                QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
                QMessageBox.StandardButton.Cancel,
            )
            if answer != QMessageBox.StandardButton.Discard:
                return
        super().reject()
