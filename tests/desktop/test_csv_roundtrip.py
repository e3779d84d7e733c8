"""Property: export → import → export is byte-identical, and the records come back equal (CSV and XLSX).

Text covers Japanese, emoji, 髙/①/half-width kana, newlines (LF, CR, CRLF), quotes, commas, tabs,
cells starting with = + - @ ' and leading/trailing spaces.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Literal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from desktop.logbook import CHANNELS, NOTE_STATUSES, SEVERITIES, FollowUp, Inquiry, Logbook, Note, Source
from desktop.logbook.records import DEFAULT_INQUIRY_CATEGORIES, DEFAULT_NOTE_CATEGORIES, RESOLUTIONS
from desktop.paths import DataHome
from desktop.settings import LogbookSettings

TRICKY = ["=SUM(A1)", "+81", "-1", "@x", "'=1", "''", "'", "\tタブ", " 前後 ", "a,b", 'say "hi"', "行1\n行2",
          "行1\r\n行2", "CR\rだけ", "髙①ｶﾀｶﾅ", "絵文字😀👍🏽", "0123", "1/2", "", "\\", "\u3000全角空白"]
_CONTROL = "".join(chr(c) for c in range(0x20) if chr(c) not in "\t\n\r") + "\x7f"
_SURROGATES: list[Literal["Cs"]] = ["Cs"]
_chars = st.characters(exclude_categories=_SURROGATES, exclude_characters=_CONTROL)
text = st.one_of(st.sampled_from(TRICKY), st.text(_chars, max_size=40), st.lists(st.sampled_from(TRICKY)).map("".join))
required = text.filter(lambda s: s.strip() != "")
when = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31)).map(
    lambda d: d.replace(microsecond=0).isoformat()
)
day = st.one_of(st.just(""), when.map(lambda s: s[:10]))
tag = st.text(st.characters(exclude_categories=("Cs", "Cc", "Zs", "Zl", "Zp"), exclude_characters=",、，"),
              min_size=1, max_size=8)


@st.composite
def notes(draw: st.DrawFn) -> Note:
    anonymous = draw(st.booleans())
    return Note(
        text=draw(required),
        place=draw(text),
        department=draw(text),
        category=draw(st.sampled_from(DEFAULT_NOTE_CATEGORIES)),
        severity=draw(st.sampled_from(SEVERITIES)),
        anonymous=anonymous,
        speaker="" if anonymous else draw(text),
        cause=draw(text),
        consequence=draw(text),
        countermeasure=draw(text),
        status=draw(st.sampled_from(NOTE_STATUSES)),
        owner=draw(text),
        due_date=draw(day),
        resolved_date=draw(day),
        tags=draw(st.lists(tag, max_size=3, unique=True)),
        followups=[FollowUp(text=t, at=a, staff=s) for t, a, s in draw(st.lists(st.tuples(required, when, text), max_size=2))],
        occurred_at=draw(when),
    )


@st.composite
def inquiries(draw: st.DrawFn) -> Inquiry:
    return Inquiry(
        question=draw(required),
        answer=draw(text),
        channel=draw(st.sampled_from(CHANNELS)),
        department=draw(text),
        requester=draw(text),
        sources=[Source(p, t, loc) for p, t, loc in draw(st.lists(st.tuples(text, text, text), max_size=2))],
        category=draw(st.sampled_from(("", *DEFAULT_INQUIRY_CATEGORIES))),
        closing_category=draw(st.sampled_from(("", *DEFAULT_INQUIRY_CATEGORIES))),
        resolution=draw(st.sampled_from(("", *RESOLUTIONS))),
        rating=draw(st.sampled_from(("", "Good", "Bad"))),
        rating_reason=draw(text),
        minutes=draw(st.one_of(st.none(), st.integers(0, 10_000))),
        staff=draw(text),
        occurred_at=draw(when),
    )


@pytest.fixture
def books(tmp_path: Path) -> Iterator[tuple[Logbook, Logbook]]:
    settings_ = LogbookSettings(backup_every_hours=0)
    with Logbook.open(DataHome.open(tmp_path / "a"), settings_) as a, Logbook.open(
        DataHome.open(tmp_path / "b"), settings_
    ) as b:
        yield a, b


def _clear(*books: Logbook) -> None:
    for book in books:
        with book.db.write() as db:
            db.execute("DELETE FROM notes")
            db.execute("DELETE FROM inquiries")


def _round_trip(books: tuple[Logbook, Logbook], kind: str, records: list, fmt: str, encoding: str) -> None:
    a, b = books
    _clear(a, b)
    repo_a = a.notes if kind == "notes" else a.inquiries
    for r in records:
        repo_a.add(r)
    with tempfile.TemporaryDirectory() as tmp:
        first, second = Path(tmp) / f"1.{fmt}", Path(tmp) / f"2.{fmt}"
        a.export(kind, first, fmt=fmt, encoding=encoding)
        result = b.import_file(kind, first)
        assert result.added == len(records)
        b.export(kind, second, fmt=fmt, encoding=encoding)
        if fmt == "csv":
            assert first.read_bytes() == second.read_bytes()
        again = b.import_file(kind, first)
        assert again.added == 0 and again.unchanged == len(records)
    repo_b = b.notes if kind == "notes" else b.inquiries
    assert repo_b.list() == repo_a.list()


SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@SETTINGS
@given(records=st.lists(notes(), min_size=1, max_size=4))
def test_notes_csv_round_trip(books: tuple[Logbook, Logbook], records: list[Note]) -> None:
    _round_trip(books, "notes", records, "csv", "utf-8-sig")


@SETTINGS
@given(records=st.lists(inquiries(), min_size=1, max_size=4))
def test_inquiries_csv_round_trip(books: tuple[Logbook, Logbook], records: list[Inquiry]) -> None:
    _round_trip(books, "inquiries", records, "csv", "utf-8-sig")


# ¢£¬‖−〜 encode in cp932 but come back as their full-width look-alikes (mapped and counted on export).
_sjis = st.text(
    st.characters(codec="cp932", categories=("L", "M", "N", "P", "S", "Zs"), exclude_characters="¢£¬‖−〜"),
    max_size=30,
)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=st.lists(st.tuples(_sjis.filter(lambda s: s.strip() != ""), _sjis), min_size=1, max_size=4))
def test_cp932_csv_round_trip(books: tuple[Logbook, Logbook], texts: list[tuple[str, str]]) -> None:
    records = [Note(text=t, place=p, occurred_at=f"2026-11-{i + 1:02d}T09:00:00") for i, (t, p) in enumerate(texts)]
    _round_trip(books, "notes", records, "csv", "cp932")


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(records=st.lists(notes(), min_size=1, max_size=3))
def test_notes_xlsx_round_trip(books: tuple[Logbook, Logbook], records: list[Note]) -> None:
    _round_trip(books, "notes", records, "xlsx", "utf-8-sig")
