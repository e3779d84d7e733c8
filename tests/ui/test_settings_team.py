"""設定 page, チーム section, against a real PostgreSQL (tests/desktop/pg_cluster.py): connect with the
password asked in a dialog (kept in the keyring, never in settings), sslmode and TLS shown, a wrong password
changes nothing, disconnect goes back to this PC's logbook; the model server URL is kept or refused."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtWidgets import QInputDialog

from desktop.logbook.pg_connect import TeamPasswords, TeamTarget
from desktop.logbook.team_book import TeamBook
from desktop.services import Services
from desktop.settings import Settings
from tests.desktop.pg_fixtures import TeamServer, password_of, pg_cluster, team_server  # noqa: F401
from tests.ui.helpers import dispose
from ui.pages.settings import SettingsPage

pytestmark = pytest.mark.qt_log_ignore("propagateSizeHints")


@pytest.fixture
def page(qtbot: Any, services: Services) -> Iterator[SettingsPage]:
    p = SettingsPage(services)
    qtbot.addWidget(p)
    p.show()
    yield p
    dispose(p)


def test_connect_with_the_password_from_the_dialog_then_disconnect(
    qtbot: Any, page: SettingsPage, services: Services, team_server: TeamServer,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    team = page.team
    assert "この PC のログブック" in team.team_state.text() and not team.disconnect_button.isEnabled()
    asked: list[str] = []

    def dialog(*args: Any, **kwargs: Any) -> tuple[str, bool]:
        asked.append(args[2])
        return password_of("alice"), True

    monkeypatch.setattr(QInputDialog, "getText", dialog)
    url = team_server.url("alice", with_password=False)
    team.url.setText(url)
    team.connect_button.click()
    qtbot.waitUntil(lambda: "接続しました" in team.team_state.text(), timeout=20_000)
    assert asked and url in asked[0]
    text = team.team_state.text()
    assert "sslmode=prefer" in text and "TLS 使用中" in text and "ユーザー alice" in text and "OS のキーリング" in text
    saved = Settings.load(services.home.settings_file)
    assert saved.team.url == url and password_of("alice") not in services.home.settings_file.read_text("utf-8")
    assert TeamPasswords(services.home.root).load(TeamTarget.parse(url)[0]) == password_of("alice")
    assert isinstance(services.logbook, TeamBook) and team.disconnect_button.isEnabled()
    team.refresh()
    assert "sslmode=prefer" in team.team_state.text() and "pg_dump" in team.team_state.text()
    team.disconnect_button.click()
    qtbot.waitUntil(lambda: not services.team_mode, timeout=20_000)
    qtbot.waitUntil(lambda: "この PC のログブック" in team.team_state.text(), timeout=5_000)
    assert Settings.load(services.home.settings_file).team.url == ""
    assert not services.logbook.is_team


def test_a_wrong_password_or_url_changes_nothing(
    qtbot: Any, page: SettingsPage, services: Services, team_server: TeamServer  # noqa: F811
) -> None:
    team = page.team
    team.connect_to(team_server.url("alice", with_password=False), "wrong-password-123")
    qtbot.waitUntil(lambda: "接続できませんでした" in team.team_state.text(), timeout=20_000)
    assert "wrong-password-123" not in team.team_state.text()
    assert not services.team_mode and Settings.load(services.home.settings_file).team.url == ""
    team.url.setText("postgresql://192.168.1.20/soumu")  # no user
    team.connect_button.click()
    assert "ユーザー" in team.team_state.text() and not services.team_mode


def test_the_model_server_url_is_kept_or_refused(qtbot: Any, page: SettingsPage, services: Services) -> None:
    team = page.team
    team.model_url.setText("ftp://somewhere")
    team.model_button.click()
    qtbot.waitUntil(lambda: "設定できませんでした" in team.model_state.text(), timeout=10_000)
    assert not services.settings.model.uses_server()
    team.model_url.setText("http://127.0.0.1:9")
    team.model_button.click()
    qtbot.waitUntil(lambda: services.settings.model.uses_server(), timeout=10_000)
    qtbot.waitUntil(lambda: "モデルサーバー http://127.0.0.1:9" in team.model_state.text(), timeout=10_000)
    assert Settings.load(services.home.settings_file).model.server_url.startswith("http://127.0.0.1:9")
    team.local_model_button.click()
    qtbot.waitUntil(lambda: not services.settings.model.uses_server(), timeout=10_000)
    qtbot.waitUntil(lambda: "この PC のモデル" in team.model_state.text(), timeout=10_000)
