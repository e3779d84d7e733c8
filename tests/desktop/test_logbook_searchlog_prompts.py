"""desktop/logbook/searchlog.py and prompts.py."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop.logbook import Logbook, Prompt, ValidationError
from desktop.paths import DataHome
from desktop.settings import LogbookSettings


@pytest.fixture
def book(data_home: Path) -> Iterator[Logbook]:
    with Logbook.open(DataHome.open(data_home), LogbookSettings(backup_every_hours=0)) as b:
        yield b


def test_search_log_records_and_rates(book: Logbook) -> None:
    a = book.searchlog.record("慶弔休暇", 5, at="2026-11-01T10:00:00")
    b = book.searchlog.record("社員旅行の補助は？", 0, kind="ask", grounded=False, at="2026-11-02T10:00:00")
    c = book.searchlog.record("出張の日当", 3, kind="ask", grounded=True, at="2026-12-01T10:00:00")
    book.searchlog.rate(c.id, "Bad", "金額が古い")
    assert [e.query for e in book.searchlog.entries("2026-11-01", "2026-11-30")] == ["慶弔休暇", "社員旅行の補助は？"]
    assert [e.id for e in book.searchlog.entries(unanswered_only=True)] == [b.id]
    [rated] = [e for e in book.searchlog.entries() if e.rating]
    assert (rated.id, rated.rating, rated.rating_reason) == (c.id, "Bad", "金額が古い")
    assert not a.unanswered and b.unanswered
    with pytest.raises(ValidationError):
        book.searchlog.rate(c.id, "Meh")
    with pytest.raises(KeyError):
        book.searchlog.rate("nope", "Good")


def test_prompt_library(book: Logbook) -> None:
    p = book.prompts.add(Prompt(title="規程の要約", text="次の規程を3行で要約して", author="山田", tags=["要約"]))
    q = book.prompts.add(Prompt(title="メール返信", text="丁寧な返信文を", author="佐藤"))
    book.prompts.use(q.id)
    assert [x.id for x in book.prompts.list()] == [q.id, p.id]  # more used first while unrated
    book.prompts.rate(p.id, 5)
    rated = book.prompts.rate(p.id, 4)
    assert rated.rating == 4.5 and rated.rating_count == 2
    assert [x.id for x in book.prompts.list()] == [p.id, q.id]  # better rated first
    assert [x.id for x in book.prompts.list(text="要約")] == [p.id]
    assert [x.id for x in book.prompts.list(tag="要約")] == [p.id]
    p.text = "次の規程を5行で要約して"
    book.prompts.update(p)
    got = book.prompts.get(p.id)
    assert got is not None and got.text == p.text and got.uses == 0
    with pytest.raises(ValidationError):
        book.prompts.rate(p.id, 6)
    with pytest.raises(ValidationError):
        book.prompts.add(Prompt(title="", text="x"))
    assert book.prompts.delete(q.id) and book.prompts.get(q.id) is None
