"""The conflict dialog (ui/dialogs/conflict.py): both versions side by side, keep theirs / overwrite with mine /
copy mine — on its own, and on the 現場の声 and 問い合わせ pages in team mode against a real PostgreSQL
(tests/desktop/pg_cluster.py), another PC saving the same record first."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication

from desktop.logbook import FollowUp, Inquiry, Note
from desktop.logbook.pg_store import TeamLogbook
from desktop.logbook.store import ConflictError
from desktop.services import Services
from tests.desktop.pg_fixtures import TeamServer, pg_cluster, team_server  # noqa: F401
from tests.desktop.test_team_book import connect_home
from tests.ui.helpers import dispose
from ui import i18n
from ui.dialogs.conflict import ConflictDialog
from ui.pages.inquiries import InquiriesPage
from ui.pages.notes import NotesPage

pytestmark = pytest.mark.qt_log_ignore("propagateSizeHints")


def the_dialog() -> ConflictDialog | None:
    found = [w for w in QApplication.topLevelWidgets() if isinstance(w, ConflictDialog) and w.isVisible()]
    return found[0] if found else None


def test_the_dialog_shows_only_what_differs_and_copies_mine(qtbot: Any) -> None:
    mine = Note(text="会議室Bが寒い(午後だけ)", place="会議室B", status="新規", version=3)
    theirs = Note(text="会議室Bが寒い", place="会議室B", status="対応中", id=mine.id, version=4,
                  updated_by="bob", updated_at="2026-12-01T10:15:00")
    dialog = ConflictDialog(ConflictError(mine, theirs))
    qtbot.addWidget(dialog)
    rows = [[dialog.table.item(r, c).text() for c in range(3)] for r in range(dialog.table.rowCount())]
    assert rows == [["内容", "会議室Bが寒い(午後だけ)", "会議室Bが寒い"], ["状況", "新規", "対応中"]]
    assert "bob" in dialog.table.horizontalHeaderItem(2).text()
    dialog.copy_button.click()
    assert "内容: 会議室Bが寒い(午後だけ)" in QApplication.clipboard().text()
    assert dialog.theirs_button.isDefault()  # Enter keeps the other person's work
    with qtbot.waitSignal(dialog.chosen) as chosen:
        dialog.theirs_button.click()
    assert chosen.args == ["theirs"]
    i18n.set_language("en")
    english = ConflictDialog(ConflictError(mine, theirs))
    qtbot.addWidget(english)
    assert english.mine_button.text() == "Overwrite with mine" and english.table.item(0, 0).text() == "Text"


@pytest.fixture
def team_services(team_server: TeamServer, tmp_path: Path) -> Iterator[Services]:  # noqa: F811
    ctx = connect_home(tmp_path / "pc_a", team_server, "alice")
    svc = Services(ctx)
    yield svc
    svc.close()


@pytest.fixture
def notes_page(team_services: Services) -> Iterator[NotesPage]:
    page = NotesPage(team_services)
    page.show()
    yield page
    dispose(page)


@pytest.fixture
def inquiries_page(team_services: Services) -> Iterator[InquiriesPage]:
    page = InquiriesPage(team_services)
    page.show()
    yield page
    dispose(page)


def test_notes_page_overwrite_with_mine_keeps_the_other_pcs_follow_up(
    qtbot: Any, team_services: Services, team_server: TeamServer, notes_page: NotesPage  # noqa: F811
) -> None:
    book = team_services.logbook
    note = book.notes.add(Note(text="エレベーターの異音", place="本館"))
    page = notes_page
    with qtbot.waitSignal(page.loaded, timeout=15_000):
        page.activated()
    detail = page.detail_panel
    assert page.current_id() == note.id
    detail.text.setPlainText("エレベーターの異音(2号機、朝だけ)")  # my edit, not saved yet
    with TeamLogbook.open(team_server.url("bob")) as other_pc:  # another PC saves first
        theirs = other_pc.notes.get(note.id)
        assert theirs is not None
        theirs.status = "対応中"
        other_pc.notes.update(theirs)
        other_pc.notes.add_followup(note.id, FollowUp(text="業者に連絡済み", staff="bob"))
    detail.request_save()
    qtbot.waitUntil(lambda: the_dialog() is not None, timeout=15_000)
    dialog = the_dialog()
    assert dialog is not None
    labels = [dialog.table.item(r, 0).text() for r in range(dialog.table.rowCount())]
    assert labels == ["内容", "状況"]
    dialog.mine_button.click()
    qtbot.waitUntil(lambda: book.notes.get(note.id).text.endswith("朝だけ)"), timeout=15_000)  # type: ignore[union-attr]
    stored = book.notes.get(note.id)
    assert stored is not None and [f.text for f in stored.followups] == ["業者に連絡済み"]  # not lost
    assert stored.updated_by == "alice"


def test_inquiries_page_keep_theirs_shows_the_stored_version(
    qtbot: Any, team_services: Services, team_server: TeamServer, inquiries_page: InquiriesPage  # noqa: F811
) -> None:
    book = team_services.logbook
    inquiry = book.inquiries.add(Inquiry(question="慶弔休暇は何日？", channel="電話"))
    page = inquiries_page
    with qtbot.waitSignal(page.loaded, timeout=15_000):
        page.activated()
    detail = page.detail_panel
    assert page.current_id() == inquiry.id
    detail.answer.setPlainText("5日です(私の回答)")
    with TeamLogbook.open(team_server.url("bob")) as other_pc:
        theirs = other_pc.inquiries.get(inquiry.id)
        assert theirs is not None
        theirs.answer = "規程第12条により5日(bobの回答)"
        other_pc.inquiries.update(theirs)
    detail.request_save()
    qtbot.waitUntil(lambda: the_dialog() is not None, timeout=15_000)
    dialog = the_dialog()
    assert dialog is not None
    dialog.theirs_button.click()
    qtbot.waitUntil(lambda: detail.answer.toPlainText() == "規程第12条により5日(bobの回答)", timeout=10_000)
    assert book.inquiries.get(inquiry.id).answer == "規程第12条により5日(bobの回答)"  # type: ignore[union-attr]
