"""設定 page: language switch (live), fiscal year saved, keyring state, backups made and restored off the UI
thread with a confirmation — with the real logbook in the temp home (in-memory keyring)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from PySide6.QtWidgets import QMessageBox

from desktop.logbook import Note
from desktop.services import Services
from desktop.settings import Settings
from ui.main_window import MainWindow
from ui.pages.settings import SettingsPage


@pytest.fixture
def page(qtbot: Any, services: Services) -> SettingsPage:
    p = SettingsPage(services)
    qtbot.addWidget(p)
    p.show()
    return p


def test_shows_data_home_and_saves_fiscal_year_and_name(qtbot: Any, page: SettingsPage, services: Services) -> None:
    labels = [w.text() for w in page.findChildren(type(page.key_state))]
    assert str(services.home.root) in labels
    assert any("SOUMU_DESK_HOME" in t and "--home" in t for t in labels)
    page.fiscal.setValue(1)
    page.channel.setCurrentIndex(page.channel.findData("メール"))
    page.staff.setText("山田")
    page.staff.editingFinished.emit()
    saved = Settings.load(services.home.settings_file)
    assert saved.logbook.fiscal_year_start_month == 1
    assert saved.logbook.staff_name == "山田"
    assert saved.ui.inquiry_channel == "メール"


def test_key_state_before_and_after_the_logbook_exists(qtbot: Any, page: SettingsPage, services: Services) -> None:
    page.refresh()
    assert "まだ作成されていません" in page.key_state.text()
    _ = services.logbook  # creates the key in the (in-memory) keyring
    page.refresh()
    assert "キーリング" in page.key_state.text()
    assert page.recover_button.isEnabled()


def test_backup_now_and_restore_with_confirmation(
    qtbot: Any, page: SettingsPage, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    book = services.logbook
    assert services.recovery_key_shown  # created just now; the app shows it once at start-up
    services.recovery_key_shown = None
    book.notes.add(Note(text="3階の蛍光灯がちらつく", place="本社3階"))
    threads: list[int] = []
    real_backup = type(book).backup

    def backup(self: Any) -> Any:
        threads.append(threading.get_ident())
        return real_backup(self)

    monkeypatch.setattr(type(book), "backup", backup)
    with qtbot.waitSignal(page.backupsListed, timeout=30_000):
        page.refresh()
    before = len(page.backups)
    with qtbot.waitSignal(page.backupsListed, timeout=30_000):
        page.backup_now()
    assert len(page.backups) == before + 1
    assert threads and threading.get_ident() not in threads
    assert "作成しました" in page.backup_message.text()

    book.notes.add(Note(text="あとから追加したメモ", place="倉庫"))
    assert len(book.notes.list()) == 2
    newest = page.backups[0]
    page.backup_list.setCurrentRow(0)
    asked: list[str] = []

    def confirm(*args: Any, **kwargs: Any) -> QMessageBox.StandardButton:
        asked.append(str(args[2]))
        return QMessageBox.StandardButton.Yes

    monkeypatch.setattr(QMessageBox, "question", staticmethod(confirm))
    with qtbot.waitSignal(page.backupsListed, timeout=30_000):
        page.restore_selected()
    assert asked and newest.name in asked[0]
    assert "復元しました" in page.backup_message.text()
    reopened = services.logbook
    assert [n.text for n in reopened.notes.list()] == ["3階の蛍光灯がちらつく"]


def test_language_switch_rebuilds_the_window_live(qtbot: Any, services: Services) -> None:
    window = MainWindow(services)
    qtbot.addWidget(window)
    window.show()
    settings_page: Any = window.show_page("settings")
    with qtbot.waitSignal(window.languageChanged, timeout=5000):
        settings_page.language_box.setCurrentIndex(1)
    assert window.sidebar.item(0).text() == "Answer"
    assert window.current_key() == "settings"
    settings_now: Any = window.page("settings")
    assert settings_now.title == "Settings"
    assert Settings.load(services.home.settings_file).ui.language == "en"
