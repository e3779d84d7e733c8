"""The store contract, run against both stores: the SQLCipher file and PostgreSQL (a real throwaway cluster).

Same records in, same records out; the same filters select the same records in the same order; the same
merge rules; a CSV exported from either store is byte-identical.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

import pytest

from desktop.logbook import Filters, FollowUp, Inquiry, Logbook, Note, Source
from desktop.logbook.pg_store import TeamLogbook
from desktop.logbook.records import DEFAULT_INQUIRY_CATEGORIES, DEFAULT_NOTE_CATEGORIES
from desktop.logbook.store import LogbookStore
from desktop.paths import DataHome
from tests.desktop.pg_fixtures import TeamServer

PLACES = ["本社1F 受付", "本社2F 給湯室", "倉庫", "駐車場", "大阪支店 執務室"]
DEPTS = ["総務部", "営業部", "経理部", "開発部"]
TEXTS = ["空調が効かず暑い", "コピー機が故障している", "Wi-Fi がつながりにくい", "ロッカーの鍵が壊れている",
         "非常口の前に物が置かれている", "照明がちらつく。夕方に多い。", "A-3 の椅子がぐらつく", "100%の力で押すと開く_扉"]


def make_notes(n: int, seed: int = 3) -> list[Note]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        day = 1 + (i * 7) % 28
        month = 1 + (i * 5) % 12
        note = Note(
            text=f"{rng.choice(TEXTS)} ({i})",
            place=rng.choice(PLACES),
            department=rng.choice(DEPTS),
            category=rng.choice(DEFAULT_NOTE_CATEGORIES),
            severity=rng.choice(["低", "中", "高", "緊急"]),
            status=rng.choice(["新規", "対応中", "対応済", "見送り"]),
            owner=rng.choice(["", "佐藤", "田中"]),
            tags=rng.sample(["騒音", "夜間", "来客", "IT"], rng.randint(0, 2)),
            # a few share a time, so the tie-break (insertion order) is tested too
            occurred_at=f"2025-{month:02d}-{day:02d}T{9 + i % 3:02d}:{(i // 3) % 60:02d}:00" if i % 10 else "2025-06-01T09:00:00",
            anonymous=i % 4 == 0,
            speaker="" if i % 4 == 0 else rng.choice(["", "山田"]),
            due_date="" if i % 3 else "2025-12-31",
        )
        if note.status in ("対応済", "見送り"):
            note.resolved_date = "2025-12-01"
        if i % 5 == 0:
            note.followups = [FollowUp(text="業者に連絡", at="2025-07-01T10:00:00", staff="佐藤"),
                              FollowUp(text="部品交換済み", at="2025-07-03T15:30:00", staff="田中")]
        out.append(note)
    return out


def make_inquiries(n: int, seed: int = 4) -> list[Inquiry]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        q = Inquiry(
            question=rng.choice(["出張の日当はいくら?", "慶弔休暇は何日?", "Wi-Fi のパスワードは?", "鍵の貸出は?"]) + f" #{i}",
            answer=rng.choice(["", "規程第12条のとおり", "総務部で貸出"]),
            channel=rng.choice(["電話", "対面", "メール", "チャット", "その他"]),
            department=rng.choice(DEPTS),
            category=rng.choice(DEFAULT_INQUIRY_CATEGORIES),
            closing_category=rng.choice(["", "", "その他"]),
            status=rng.choice(["解決", "保留", "要対応"]),
            minutes=rng.choice([None, 5, 15]),
            staff=rng.choice(["佐藤", "田中"]),
            sources=[Source("/docs/旅費規程.pdf", "旅費規程", "p.3")] if i % 3 == 0 else [],
            occurred_at=f"2025-{1 + i % 12:02d}-{1 + (i * 3) % 28:02d}T10:{i % 60:02d}:00",
        )
        out.append(q)
    return out


def _open(kind: str, data_home: Path, request: pytest.FixtureRequest) -> Any:
    if kind == "sqlcipher":
        return Logbook.open(DataHome.open(data_home), auto_backup=False)
    server: TeamServer = request.getfixturevalue("team_server")
    return TeamLogbook.open(server.url("carol"))


@pytest.fixture(params=["sqlcipher", "postgres"])
def store(request: pytest.FixtureRequest, data_home: Path) -> Iterator[Any]:
    book = _open(request.param, data_home, request)
    yield book
    book.close()


@pytest.fixture
def both(request: pytest.FixtureRequest, data_home: Path) -> Iterator[tuple[Any, Any]]:
    local = _open("sqlcipher", data_home, request)
    team = _open("postgres", data_home, request)
    yield local, team
    local.close()
    team.close()


def _content(r: Note | Inquiry) -> Note | Inquiry:
    """The record without who/version (only the team store fills those)."""
    return replace(r, created_by="", updated_by="", version=0)


R = TypeVar("R", Note, Inquiry)


def _stamped(records: list[R]) -> list[R]:
    """Records with fixed stamps. Unstamped, each store stamps its own merge time, and two merges can straddle a
    second (CI saw 04:36:15 against 04:36:16)."""
    return [replace(r, created_at="2025-12-01T09:00:00", updated_at="2025-12-01T09:00:00") for r in records]


def test_both_satisfy_the_protocol(store: Any) -> None:
    book: LogbookStore = store  # mypy checks the structure; here we check it at run time too
    for name in ("add", "get", "update", "delete", "list", "iter", "count", "ids", "merge"):
        assert callable(getattr(book.notes, name)) and callable(getattr(book.inquiries, name))
    assert callable(book.notes.add_followup)
    assert book.lists.categories("notes") == list(DEFAULT_NOTE_CATEGORIES)


def test_add_get_update_delete(store: Any) -> None:
    note = store.notes.add(make_notes(1)[0])
    got = store.notes.get(note.id)
    assert got is not None and _content(got) == _content(note)
    assert got.created_at and got.updated_at
    got.text = "直りました"
    got.set_status("対応済")
    got.followups.append(FollowUp(text="確認", at="2025-08-01T09:00:00", staff="佐藤"))
    store.notes.update(got)
    again = store.notes.get(note.id)
    assert again.text == "直りました" and again.resolved_date and len(again.followups) == len(got.followups)
    store.notes.add_followup(note.id, FollowUp(text="再発なし", at="2025-09-01T09:00:00"))
    assert store.notes.get(note.id).followups[-1].text == "再発なし"
    q = store.inquiries.add(make_inquiries(1)[0])
    assert _content(store.inquiries.get(q.id)) == _content(q)
    assert store.notes.delete(note.id) and store.notes.get(note.id) is None
    assert not store.notes.delete(note.id)
    assert store.inquiries.delete(q.id)
    assert store.notes.count() == 0 and store.inquiries.count() == 0


def test_update_of_a_missing_record_is_a_key_error(store: Any) -> None:
    with pytest.raises(KeyError):
        store.notes.update(make_notes(1)[0])


def test_merge_rules(store: Any) -> None:
    notes = make_notes(30)
    first = store.notes.merge([replace(n, followups=list(n.followups)) for n in notes])
    assert (first.added, first.updated, first.unchanged, first.skipped) == (30, 0, 0, 0)
    again = store.notes.merge([replace(n) for n in notes])
    assert (again.added, again.unchanged) == (0, 30)
    newer = replace(notes[0], text="新しい内容", updated_at="2099-01-01T00:00:00")
    older = replace(notes[1], text="古い内容", updated_at="2000-01-01T00:00:00")
    third = store.notes.merge([newer, older])
    assert (third.updated, third.skipped) == (1, 1)
    assert store.notes.get(notes[0].id).text == "新しい内容"
    assert store.notes.get(notes[1].id).text == notes[1].text
    result = store.inquiries.merge([replace(q, category="新しい分類") for q in make_inquiries(3)])
    assert result.added == 3 and result.new_categories == ["新しい分類"]
    assert "新しい分類" in store.lists.categories("inquiries")


def test_lists(store: Any) -> None:
    assert store.lists.set_places(["倉庫", "駐車場", "倉庫"]) == ["倉庫", "駐車場"]
    assert store.lists.places() == ["倉庫", "駐車場"]
    assert store.lists.set_categories("notes", ["設備・備品", "その他"]) == ["設備・備品", "その他"]
    assert store.lists.categories("notes") == ["設備・備品", "その他"]
    store.notes.merge(make_notes(10))
    assert store.lists.suggestions("place", prefix="倉")[0] == "倉庫"


FILTERS = {
    "none": Filters(),
    "oldest first": Filters(newest_first=False),
    "status": Filters(status="新規"),
    "two statuses": Filters(status=("新規", "対応中")),
    "category": Filters(category="安全・防災"),
    "date range": Filters(date_from="2025-03-01", date_to="2025-06-01"),
    "one day": Filters(date_from="2025-06-01", date_to="2025-06-01"),
    "department + status": Filters(department="営業部", status="対応中"),
    "place": Filters(place="倉庫"),
    "severity": Filters(severity=("高", "緊急")),
    "text 2 chars": Filters(text="空調"),
    "text 1 char": Filters(text="鍵"),
    "text long": Filters(text="コピー機"),
    "text ascii, other case": Filters(text="wi-fi"),
    "text with non-word chars": Filters(text="A-"),
    "text with % and _": Filters(text="100%"),
    "underscore": Filters(text="_扉"),
    "two terms": Filters(text="照明 夕方"),
    "text in tags": Filters(text="騒音"),
    "page": Filters(limit=7, offset=5),
    "page oldest first": Filters(limit=7, offset=3, newest_first=False),
    "everything at once": Filters(status=("新規", "対応中", "対応済"), date_from="2025-01-01", date_to="2025-12-31",
                                  text="が", limit=10),
    "nothing": Filters(text="存在しない言葉"),
}
INQUIRY_FILTERS = {
    "none": Filters(),
    "channel": Filters(channel=("電話", "メール")),
    "closing category counts": Filters(category="その他"),
    "text in answer": Filters(text="規程"),
    "text in question": Filters(text="日当"),
    "status + date": Filters(status="保留", date_from="2025-04-01", date_to="2025-09-30"),
    "page": Filters(limit=5, offset=2),
}


def test_the_same_filters_select_the_same_records_in_the_same_order(both: tuple[Any, Any]) -> None:
    local, team = both
    notes, inquiries = _stamped(make_notes(80)), _stamped(make_inquiries(50))
    local.notes.merge([replace(n) for n in notes])
    team.notes.merge([replace(n) for n in notes])
    local.inquiries.merge([replace(q) for q in inquiries])
    team.inquiries.merge([replace(q) for q in inquiries])
    for name, f in FILTERS.items():
        want = [n.id for n in local.notes.list(f)]
        assert [n.id for n in team.notes.list(f)] == want, name
        assert team.notes.count(replace(f, limit=None, offset=0)) == local.notes.count(replace(f, limit=None, offset=0)), name
        assert team.notes.count(f, cap=3) == local.notes.count(f, cap=3), name
    assert len(local.notes.list(FILTERS["text 1 char"])) > 0  # the filters do select something
    for name, f in INQUIRY_FILTERS.items():
        assert [q.id for q in team.inquiries.list(f)] == [q.id for q in local.inquiries.list(f)], name
    assert [_content(n) for n in team.notes.list()] == [_content(n) for n in local.notes.list()]
    assert [_content(q) for q in team.inquiries.list()] == [_content(q) for q in local.inquiries.list()]


def test_csv_export_is_byte_identical_and_imports_back(both: tuple[Any, Any], tmp_path: Path) -> None:
    local, team = both
    notes, inquiries = _stamped(make_notes(40)), _stamped(make_inquiries(20))
    for book in (local, team):
        book.notes.merge([replace(n) for n in notes])
        book.inquiries.merge([replace(q) for q in inquiries])
    for kind in ("notes", "inquiries"):
        a, b = tmp_path / f"local_{kind}.csv", tmp_path / f"team_{kind}.csv"
        local.export(kind, a)
        team.export(kind, b)
        assert a.read_bytes() == b.read_bytes(), kind
        result = team.import_file(kind, b)
        assert result.merged.added == 0 and result.merged.unchanged == result.rows > 0
