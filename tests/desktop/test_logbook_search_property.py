"""Property: the full-text filter (trigram FTS5, bigram index, instr fallback) finds exactly the records
whose text contains every term as a substring (ASCII case-insensitive)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from desktop.logbook import Filters, Logbook, Note
from desktop.paths import DataHome
from desktop.settings import LogbookSettings

ALPHABET = "空調鍵アイカガーaAbB1-。・ "
texts = st.lists(st.text(ALPHABET, min_size=1, max_size=12).filter(lambda s: s.strip() != ""), min_size=1, max_size=8)
terms = st.lists(st.text(ALPHABET.replace(" ", ""), min_size=1, max_size=4), min_size=1, max_size=2)


@pytest.fixture
def book(data_home: Path) -> Iterator[Logbook]:
    with Logbook.open(DataHome.open(data_home), LogbookSettings(backup_every_hours=0)) as b:
        yield b


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(bodies=texts, query=terms)
def test_filter_equals_substring_semantics(book: Logbook, bodies: list[str], query: list[str]) -> None:
    with book.db.write() as db:
        db.execute("DELETE FROM notes")
    for body in bodies:
        book.notes.add(Note(text=body))
    expected = sorted(b for b in bodies if all(t.lower() in b.lower() for t in query))
    got = sorted(n.text for n in book.notes.list(Filters(text=" ".join(query))))
    assert got == expected
