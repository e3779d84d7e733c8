"""The conflict dialog: another PC saved this record after it was opened here (team mode).

Shown when a save raises :class:`desktop.logbook.store.ConflictError` (nothing was written). It lists the
fields the two versions disagree on side by side — what this PC tried to save, and what is stored now,
with who saved it and when — and lets the user

- keep the stored version (this PC's edit is dropped; the panel shows theirs),
- overwrite it with this PC's version (saved again on top of theirs; follow-ups added meanwhile are kept),
- copy this PC's version to the clipboard (to merge by hand; the dialog stays open).

The comparison itself is ``ConflictError.differences()`` / ``mine_as_text()`` (desktop/); this module only
shows it. :func:`offer_conflict` is what the pages' save-failure handlers call.

Signals of :class:`ConflictDialog`: ``chosen(str)`` — ``"theirs"`` or ``"mine"``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.logbook import Note
from desktop.logbook.store import ConflictError
from ui import catalog_team  # noqa: F401 — registers the English strings
from ui.i18n import t

KEEP_THEIRS = "theirs"
OVERWRITE = "mine"


class ConflictDialog(QDialog):
    """Both versions of one record; see the module docstring. Signals: ``chosen(str)``."""

    chosen = Signal(str)

    def __init__(self, conflict: ConflictError, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.conflict = conflict
        theirs = conflict.theirs
        who = theirs.updated_by or t("ほかの担当者")
        self.setWindowTitle(t("ほかの PC で先に保存されました"))
        self.setMinimumWidth(640)
        layout = QVBoxLayout(self)
        intro = QLabel(
            t("この記録は、開いた後に {who} さんが {when} に保存しています。まだ何も上書きしていません。"
              "どちらの内容を残すか選んでください。", who=who, when=theirs.updated_at.replace("T", " "))
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        rows = conflict.differences()
        self.table = QTableWidget(len(rows), 3)
        self.table.setHorizontalHeaderLabels([t("項目"), t("自分の内容(保存しようとした内容)"),
                                              t("{who} さんが保存した内容", who=who)])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(True)
        for r, (label, mine, stored) in enumerate(rows):
            for c, text in enumerate((t(label), mine, stored)):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                self.table.setItem(r, c, item)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table.resizeRowsToContents()
        layout.addWidget(self.table, 1)
        if not rows:
            layout.addWidget(QLabel(t("内容は同じです(対応履歴や保存日時だけが違います)。")))
        self.copied = QLabel("")
        self.copied.setObjectName("muted")
        layout.addWidget(self.copied)
        buttons = QHBoxLayout()
        self.copy_button = QPushButton(t("自分の内容をコピー"))
        self.copy_button.clicked.connect(self.copy_mine)
        self.theirs_button = QPushButton(t("相手の内容を残す"))
        self.theirs_button.clicked.connect(lambda: self._choose(KEEP_THEIRS))
        self.mine_button = QPushButton(t("自分の内容で上書き"))
        self.mine_button.setObjectName("danger")
        self.mine_button.clicked.connect(lambda: self._choose(OVERWRITE))
        buttons.addWidget(self.copy_button)
        buttons.addStretch(1)
        buttons.addWidget(self.theirs_button)
        buttons.addWidget(self.mine_button)
        layout.addLayout(buttons)
        self.theirs_button.setDefault(True)  # Enter never overwrites someone else's work
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

    def copy_mine(self) -> None:
        QApplication.clipboard().setText(self.conflict.mine_as_text())
        self.copied.setText(t("自分の内容をクリップボードにコピーしました。"))

    def _choose(self, choice: str) -> None:
        self.chosen.emit(choice)
        self.accept()


def offer_conflict(
    parent: QWidget,
    exc: BaseException,
    save_again: Callable[[Any], None],
    keep_theirs: Callable[[Any], None],
) -> ConflictDialog | None:
    """When ``exc`` is a :class:`ConflictError`, open the dialog (window-modal, returns at once) and return it;
    else ``None`` (the caller shows the error as before). ``save_again(record)`` gets this PC's version ready to
    overwrite (the stored version number, the stored follow-ups); ``keep_theirs(record)`` the stored one."""
    if not isinstance(exc, ConflictError):
        return None
    dialog = ConflictDialog(exc, parent)

    def chosen(choice: str) -> None:
        if choice == OVERWRITE:
            mine = replace(exc.mine, version=exc.theirs.version)
            if isinstance(mine, Note) and isinstance(exc.theirs, Note):
                mine.followups = list(exc.theirs.followups)  # added meanwhile through 対応を追加: keep them
            save_again(mine)
        else:
            keep_theirs(exc.theirs)

    dialog.chosen.connect(chosen)
    dialog.open()
    return dialog
