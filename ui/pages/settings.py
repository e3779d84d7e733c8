"""設定 (Settings): language, data home, team servers (ui/pages/settings_team.py), fiscal year, the logbook
key, backups, logs.

Every change is saved at once (no separate 保存 button to forget). Backups and restores run off the UI
thread; a restore asks first and keeps a safety copy of the current logbook.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from desktop.logbook import CHANNELS
from desktop.paths import ENV_HOME
from desktop.secrets import SecretsError, keyring_status
from desktop.services import Services
from ui.errors import describe
from ui.i18n import t
from ui.pages import card, muted, page_layout, section_title
from ui.pages.settings_team import TeamSection
from ui.workers import workers

log = logging.getLogger(__name__)

LANGUAGES = (("ja", "日本語"), ("en", "English"))


class SettingsPage(QWidget):
    """Signals: ``backupsListed()`` after the backup list was read; ``languageRequested(str)``."""

    backupsListed = Signal()
    languageRequested = Signal(str)

    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.title = t("設定")
        self.backups: list[Path] = []
        self._build()

    def _build(self) -> None:
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        body = QWidget()
        scroll.setWidget(body)
        outer.addWidget(scroll)
        layout = page_layout(body, t("設定"))
        columns = QHBoxLayout()
        columns.setSpacing(14)
        left = QVBoxLayout()
        right = QVBoxLayout()
        columns.addLayout(left, 1)
        columns.addLayout(right, 1)
        layout.addLayout(columns)
        s = self.services.settings

        # general
        gen_card, g = card()
        g.addWidget(section_title(t("全般")))
        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        self.language_box = QComboBox()
        for code, name in LANGUAGES:
            self.language_box.addItem(name, code)
        self.language_box.setCurrentIndex(1 if s.ui.language == "en" else 0)
        self.language_box.currentIndexChanged.connect(self._language_changed)
        form.addRow(t("表示言語"), self.language_box)
        self.fiscal = QSpinBox()
        self.fiscal.setRange(1, 12)
        self.fiscal.setSuffix(t(" 月"))
        self.fiscal.setValue(s.logbook.fiscal_year_start_month)
        self.fiscal.valueChanged.connect(self._fiscal_changed)
        form.addRow(t("年度の始まり"), self.fiscal)
        self.channel = QComboBox()
        for name in CHANNELS:
            self.channel.addItem(t(name), name)
        index = self.channel.findData(s.ui.inquiry_channel)
        self.channel.setCurrentIndex(max(0, index))
        self.channel.currentIndexChanged.connect(self._channel_changed)
        form.addRow(t("問い合わせの受付方法(既定)"), self.channel)
        self.staff = QLineEdit(s.logbook.staff_name)
        self.staff.setPlaceholderText(t("問い合わせ記録の担当者欄に入ります"))
        self.staff.editingFinished.connect(self._staff_changed)
        form.addRow(t("担当者名"), self.staff)
        g.addLayout(form)
        g.addWidget(muted(t("表示言語はすぐに切り替わります。年度の始まりは「分析」の集計期間に使います。")))
        left.addWidget(gen_card)

        # data home
        home_card, h = card()
        h.addWidget(section_title(t("データの保存場所")))
        path = QLabel(str(self.services.home.root))
        path.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        path.setWordWrap(True)
        path.setStyleSheet("font-family: monospace;")
        h.addWidget(path)
        h.addWidget(
            muted(
                t(
                    "設定・索引・記録・ログ・バックアップはすべてこのフォルダにあります。場所を変えるには、起動時に --home フォルダ を付けるか、環境変数 {env} にフォルダを指定してください。",
                    env=ENV_HOME,
                )
            )
        )
        hrow = QHBoxLayout()
        open_home = QPushButton(t("フォルダを開く"))
        open_home.clicked.connect(lambda: self._open_folder(self.services.home.root))
        open_logs = QPushButton(t("ログのフォルダを開く"))
        open_logs.clicked.connect(lambda: self._open_folder(self.services.home.logs_dir))
        hrow.addWidget(open_home)
        hrow.addWidget(open_logs)
        hrow.addStretch(1)
        h.addLayout(hrow)
        left.addWidget(home_card)
        self.team = TeamSection(self.services)  # チーム: the team logbook's server and the model server
        left.addWidget(self.team)
        left.addStretch(1)

        # key
        key_card, k = card()
        k.addWidget(section_title(t("記録の暗号化")))
        self.key_state = QLabel()
        self.key_state.setWordWrap(True)
        k.addWidget(self.key_state)
        k.addWidget(
            muted(
                t("問い合わせと現場の声は暗号化して保存しています。キーリングが消えたときやパスフレーズを忘れたときは、最初に表示された回復キーで元に戻せます。")
            )
        )
        krow = QHBoxLayout()
        self.recover_button = QPushButton(t("回復キーで復元…"))
        self.recover_button.clicked.connect(self.recover)
        self.open_logbook_button = QPushButton(t("記録を開く"))
        self.open_logbook_button.clicked.connect(self._open_logbook)
        krow.addWidget(self.recover_button)
        krow.addWidget(self.open_logbook_button)
        krow.addStretch(1)
        k.addLayout(krow)
        right.addWidget(key_card)

        # backups
        back_card, b = card()
        b.addWidget(section_title(t("バックアップ")))
        b.addWidget(
            muted(
                t("記録のバックアップは {hours} 時間ごとに自動で作成され、古いものから削除されます。", hours=s.logbook.backup_every_hours)
            )
        )
        self.backup_list = QListWidget()
        self.backup_list.setMinimumHeight(150)
        self.backup_list.itemSelectionChanged.connect(self._update_buttons)
        b.addWidget(self.backup_list)
        self.no_backups = muted(t("バックアップはまだありません。"))
        b.addWidget(self.no_backups)
        brow = QHBoxLayout()
        self.backup_button = QPushButton(t("今すぐバックアップ"))
        self.backup_button.clicked.connect(self.backup_now)
        self.restore_button = QPushButton(t("選んだバックアップから復元…"))
        self.restore_button.setObjectName("danger")
        self.restore_button.clicked.connect(self.restore_selected)
        brow.addWidget(self.backup_button)
        brow.addWidget(self.restore_button)
        brow.addStretch(1)
        brow.addWidget(QLabel(t("保持する数")))
        self.keep = QSpinBox()
        self.keep.setRange(1, 365)
        self.keep.setValue(s.logbook.backup_keep)
        self.keep.valueChanged.connect(self._keep_changed)
        brow.addWidget(self.keep)
        b.addLayout(brow)
        self.backup_message = muted("")
        b.addWidget(self.backup_message)
        right.addWidget(back_card)
        right.addStretch(1)
        self._update_buttons()

    # -- page life --------------------------------------------------------------------------------------
    def activated(self) -> None:
        self.refresh()

    def refresh(self) -> None:
        self.team.refresh()
        self._show_key_state()
        self.list_backups()

    def _show_key_state(self) -> None:
        try:
            storage = self.services.key_manager().storage()
        except SecretsError as exc:
            self.key_state.setText(describe(exc))
            return
        usable, reason = keyring_status()
        if storage == "keyring":
            text = t("鍵は OS のキーリングに保存されています。")
        elif storage == "passphrase":
            text = t("この PC には使える OS のキーリングがないため、鍵はパスフレーズで保護されています。")
        else:
            text = t("記録はまだ作成されていません(最初の記録のときに鍵を作ります)。")
            if not usable and reason:
                text += " " + t("OS のキーリングが使えないため、パスフレーズを設定することになります。")
        if not self.services.logbook_open and storage is not None:
            text += " " + t("記録はまだ開いていません。")
        self.key_state.setText(text)
        self.recover_button.setEnabled(storage is not None)
        self.open_logbook_button.setVisible(not self.services.logbook_open)

    # -- general ------------------------------------------------------------------------------------------
    def _language_changed(self, index: int) -> None:
        code = str(self.language_box.itemData(index))
        if code == self.services.settings.ui.language:
            return
        window: Any = self.window()
        if hasattr(window, "set_language"):
            # rebuilds every page (this one included) once control returns to the event loop
            from PySide6.QtCore import QTimer

            QTimer.singleShot(0, lambda: window.set_language(code))
        else:
            self.services.settings.ui.language = code
            self.services.save_settings()
        self.languageRequested.emit(code)

    def _fiscal_changed(self, value: int) -> None:
        self.services.settings.logbook.fiscal_year_start_month = int(value)
        self.services.save_settings()

    def _channel_changed(self, index: int) -> None:
        self.services.settings.ui.inquiry_channel = str(self.channel.itemData(index))
        self.services.save_settings()

    def _staff_changed(self) -> None:
        self.services.settings.logbook.staff_name = self.staff.text().strip()
        self.services.save_settings()

    def _keep_changed(self, value: int) -> None:
        self.services.settings.logbook.backup_keep = int(value)
        self.services.save_settings()

    @staticmethod
    def _open_folder(path: Path) -> None:
        path.mkdir(parents=True, exist_ok=True)
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))

    # -- key --------------------------------------------------------------------------------------------
    def _open_logbook(self) -> None:
        from ui.main import open_logbook

        open_logbook(self.services, self)
        self.refresh()

    def recover(self) -> None:
        text, ok = QInputDialog.getText(
            self, t("回復キーで復元"), t("記録を作成したときに表示された回復キーを入力してください(XXXX-XXXX-…):")
        )
        if not ok or not text.strip():
            return
        try:
            # on the UI thread: without a keyring it asks for a new passphrase through a dialog
            self.services.key_manager().recover(text.strip())
        except SecretsError as exc:
            QMessageBox.warning(self, t("回復キーで復元"), describe(exc))
            return
        QMessageBox.information(self, t("回復キーで復元"), t("鍵を復元しました。記録を開けます。"))
        self.refresh()

    # -- backups ----------------------------------------------------------------------------------------
    def list_backups(self) -> None:
        services = self.services
        if not services.logbook_open:
            self._show_backups([])
            self.backup_message.setText(t("記録を開くと、バックアップを作成・復元できます。"))
            return
        book = services.logbook
        workers().run("logbook.backups", book.backups, self._show_backups, self._failed, owner=self)

    def _show_backups(self, paths: list[Path]) -> None:
        self.backups = sorted(paths, key=lambda p: p.name, reverse=True)
        self.backup_list.clear()
        for p in self.backups:
            try:
                size = p.stat().st_size
            except OSError:
                size = 0
            item = QListWidgetItem(f"{p.name}    {size / 1024:.0f} KB")
            item.setToolTip(str(p))
            self.backup_list.addItem(item)
        self.no_backups.setVisible(not self.backups)
        self.backup_list.setVisible(bool(self.backups))
        self._update_buttons()
        self.backupsListed.emit()

    def _update_buttons(self) -> None:
        open_ = self.services.logbook_open
        self.backup_button.setEnabled(open_)
        self.restore_button.setEnabled(open_ and bool(self.backup_list.selectedItems()))

    def backup_now(self) -> None:
        if not self.services.logbook_open:
            return
        book = self.services.logbook

        def done(path: Path) -> None:
            self.backup_message.setText(t("バックアップを作成しました: {name}", name=path.name))
            self.list_backups()

        self.backup_message.setText(t("バックアップを作成しています…"))
        workers().run("logbook.backup", book.backup, done, self._failed, owner=self)

    def restore_selected(self) -> None:
        rows = [self.backup_list.row(i) for i in self.backup_list.selectedItems()]
        if not rows:
            return
        source = self.backups[rows[0]]
        answer = QMessageBox.question(
            self,
            t("バックアップから復元"),
            t("記録を次のバックアップの内容に戻します。\n{name}\n\nいまの記録は安全のため別にコピーしてから置き換えます。続けますか?", name=source.name),
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        self.restore(source)

    def restore(self, source: Path) -> None:
        services = self.services

        def done(safety: Path | None) -> None:
            from ui.main import open_logbook

            open_logbook(services, self)  # the restore closed it; open it again (may ask for the passphrase)
            self.list_backups()
            note = t("(復元前の記録: {name})", name=safety.name) if safety else ""
            self.backup_message.setText(t("復元しました。") + note)

        self.backup_message.setText(t("復元しています…"))
        workers().run("logbook.restore", lambda: services.restore_logbook(source), done, self._failed, owner=self)

    def _failed(self, exc: BaseException) -> None:
        self.backup_message.setText("")
        QMessageBox.warning(self, t("設定"), describe(exc))
