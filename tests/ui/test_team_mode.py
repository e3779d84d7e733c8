"""The window in team mode against a real PostgreSQL (tests/desktop/pg_cluster.py): the status bar says
チームサーバー接続中 / サーバーに接続できません instead of オフライン, another PC's note appears on the visible
現場の声 page by itself (LISTEN/NOTIFY → the copy → a queued signal), and while the server is down the page
still lists the last records and saving says why."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from desktop.context import Context
from desktop.logbook import Note
from desktop.logbook.pg_store import TeamLogbook
from desktop.logbook.team_book import TeamBook
from desktop.services import Services
from tests.desktop.pg_cluster import PgCluster
from tests.desktop.pg_fixtures import TeamServer, pg_cluster, team_server  # noqa: F401
from tests.desktop.test_team_book import connect_home
from ui import i18n
from ui.main_window import MainWindow

pytestmark = pytest.mark.qt_log_ignore("propagateSizeHints")


@pytest.fixture
def team_services(team_server: TeamServer, tmp_path: Path) -> Iterator[Services]:  # noqa: F811
    ctx: Context = connect_home(tmp_path / "pc_a", team_server, "alice")
    ctx.settings.model.active = str(tmp_path / "no-model.gguf")
    ctx.save_settings()
    svc = Services(ctx)
    yield svc
    svc.close()


@pytest.fixture
def window(qtbot: Any, team_services: Services) -> MainWindow:
    w = MainWindow(team_services)
    qtbot.addWidget(w)
    w.show()
    return w


def test_single_pc_mode_still_says_offline(qtbot: Any, services: Services) -> None:
    w = MainWindow(services)
    qtbot.addWidget(w)
    assert w.offline_mark.text() == "● オフライン"


def test_status_bar_says_connected_to_the_team_server(qtbot: Any, window: MainWindow, team_services: Services) -> None:
    assert "チームモード" in window.offline_mark.text()  # not opened yet
    assert isinstance(team_services.logbook, TeamBook)  # opened without waiting for the server
    window.refresh_status()
    qtbot.waitUntil(lambda: window.offline_mark.text() == "● チームサーバー接続中", timeout=15_000)
    assert team_services.settings.team.url in window.offline_mark.toolTip()
    i18n.set_language("en")
    window.refresh_status()
    assert window.offline_mark.text() == "● Connected to the team server"


def test_another_pcs_note_appears_on_the_visible_notes_page(
    qtbot: Any, window: MainWindow, team_services: Services, team_server: TeamServer  # noqa: F811
) -> None:
    page: Any = window.show_page("notes")
    book = team_services.logbook
    assert isinstance(book, TeamBook)
    qtbot.waitUntil(lambda: book._follow_thread is not None and book.state.last_sync != "", timeout=15_000)
    qtbot.waitUntil(lambda: page.model.rowCount() == 0, timeout=15_000)
    with TeamLogbook.open(team_server.url("bob")) as other_pc:
        other_pc.notes.add(Note(text="PC-Bから: 3階トイレの換気扇が止まっている"))
    qtbot.waitUntil(lambda: page.model.rowCount() == 1, timeout=20_000)
    assert "換気扇" in page.current_record().text or page.model.rowCount() == 1


def test_while_the_server_is_down_the_page_reads_the_copy_and_the_bar_says_so(
    qtbot: Any, window: MainWindow, team_services: Services, pg_cluster: PgCluster,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import desktop.logbook.team_book as team_book

    monkeypatch.setattr(team_book, "RETRY_AFTER_S", 0.0)
    book = team_services.logbook
    book.notes.add(Note(text="停止前の記録: 会議室Cのプロジェクターが映らない"))
    page: Any = window.show_page("notes")
    qtbot.waitUntil(lambda: page.model.rowCount() == 1, timeout=15_000)
    pg_cluster.pause()
    try:
        qtbot.waitUntil(lambda: window.offline_mark.text() == "● サーバーに接続できません", timeout=20_000)
        assert "読み取り専用" in window.offline_mark.toolTip()
        with qtbot.waitSignal(page.loaded, timeout=15_000):
            page.reload()
        assert page.model.rowCount() == 1  # the last copy, still readable
    finally:
        pg_cluster.resume()
    qtbot.waitUntil(lambda: window.offline_mark.text() == "● チームサーバー接続中", timeout=30_000)


def test_the_demo_offer_is_not_made_into_the_teams_logbook(qtbot: Any, team_services: Services) -> None:
    from tests.ui.helpers import dispose
    from ui.demo_offer import DemoOffer

    offer = DemoOffer(team_services)
    offer.show()
    try:
        offer.refresh()
        qtbot.waitUntil(lambda: offer.status is not None, timeout=15_000)
        assert offer.status.empty and not offer.isVisible()  # an empty logbook, yet no demo data offered
    finally:
        dispose(offer)
