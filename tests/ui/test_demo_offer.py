"""The demo logbook offer: shown on an empty logbook, loading fills the pages, the banner removes only the demo
records (a record the user made stays); and `soumu-desk log demo [--remove]`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from desktop.cli import main
from desktop.demo_logbook import read_demo
from desktop.logbook import Note
from desktop.services import Services
from tests.ui.helpers import dispose
from ui.pages.notes import NotesPage

pytestmark = pytest.mark.qt_log_ignore("propagateSizeHints")


@pytest.fixture
def page(qtbot: Any, services: Services) -> Iterator[NotesPage]:
    p = NotesPage(services)
    qtbot.addWidget(p)
    p.resize(1280, 800)
    p.show()
    yield p
    dispose(p)


def test_offer_load_and_remove(qtbot: Any, page: NotesPage, services: Services) -> None:
    notes, inquiries = read_demo()
    with qtbot.waitSignal(page.loaded, timeout=15_000):
        page.activated()
    qtbot.waitUntil(lambda: page.demo.status is not None, timeout=10_000)
    assert page.demo.offer.isVisible() and not page.demo.banner.isVisible()
    with qtbot.waitSignal(page.loaded, timeout=30_000):
        page.demo.load()
    qtbot.waitUntil(lambda: page.demo.banner.isVisible(), timeout=10_000)
    assert len(services.logbook.notes.list()) == len(notes) and len(services.logbook.inquiries.list()) == len(inquiries)
    assert page.model.rowCount() > 0 and not page.demo.offer.isVisible()
    assert str(len(notes)) in page.demo.banner_text.text()
    mine = services.logbook.notes.add(Note(text="自分で書いた記録", place="倉庫", occurred_at="2026-12-01T09:00:00"))
    with qtbot.waitSignal(page.loaded, timeout=30_000):
        page.demo.remove()
    qtbot.waitUntil(lambda: not page.demo.banner.isVisible(), timeout=10_000)
    assert [n.id for n in services.logbook.notes.list()] == [mine.id] and services.logbook.inquiries.list() == []


def test_log_demo_cli(capsys: pytest.CaptureFixture[str], data_home: Path) -> None:
    notes, inquiries = read_demo()
    assert main(["log", "demo", "--json"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert first["changed"] == {"notes": len(notes), "inquiries": len(inquiries)}
    assert main(["log", "demo", "--json"]) == 0  # idempotent
    assert json.loads(capsys.readouterr().out)["changed"] == {"notes": 0, "inquiries": 0}
    assert main(["log", "add", "note", "--text", "自分の記録", "--place", "倉庫"]) == 0
    capsys.readouterr()
    assert main(["log", "demo", "--remove", "--json"]) == 0
    removed = json.loads(capsys.readouterr().out)
    assert removed["changed"] == {"notes": len(notes), "inquiries": len(inquiries)}
    assert main(["log", "list", "notes", "--json"]) == 0
    assert [n["text"] for n in json.loads(capsys.readouterr().out)] == ["自分の記録"]
