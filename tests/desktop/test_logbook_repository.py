"""desktop/logbook/repository.py: records, follow-ups, filters, full-text filter, editable lists, suggestions."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop.logbook import Filters, FollowUp, Inquiry, Logbook, Note, Source, ValidationError
from desktop.paths import DataHome
from desktop.settings import LogbookSettings


@pytest.fixture
def book(data_home: Path) -> Iterator[Logbook]:
    with Logbook.open(DataHome.open(data_home), LogbookSettings(backup_every_hours=0)) as b:
        yield b


def _note(text: str, **kw: object) -> Note:
    return Note(text=text, **kw)  # type: ignore[arg-type]


def test_note_round_trip_with_every_field(book: Logbook) -> None:
    note = Note(
        text="通路に段ボールが積まれていて\n避難経路がふさがっている",
        place="3階 倉庫前",
        department="物流部",
        category="安全・防災",
        severity="高",
        anonymous=True,
        cause="入荷が多い",
        consequence="火災時に避難が遅れる",
        countermeasure="仮置き場を指定",
        status="対応中",
        owner="山田",
        due_date="2026-12-01",
        tags=["避難経路", "倉庫"],
        followups=[FollowUp(text="現場確認", at="2026-11-20T10:00:00", staff="山田")],
        occurred_at="2026-11-19 09:30",
    )
    book.notes.add(note)
    got = book.notes.get(note.id)
    assert got == note
    assert got is not None and got.occurred_at == "2026-11-19T09:30:00"
    assert got.created_at and got.updated_at


def test_update_and_follow_up(book: Logbook) -> None:
    note = book.notes.add(_note("コピー機が紙詰まり", category="IT・機器", occurred_at="2026-11-01T09:00:00"))
    note.status = "対応済"
    note.resolved_date = "2026-11-02"
    book.notes.update(note)
    book.notes.add_followup(note.id, FollowUp(text="業者が修理", staff="佐藤"))
    got = book.notes.get(note.id)
    assert got is not None
    assert got.status == "対応済" and got.resolved_date == "2026-11-02"
    assert [f.text for f in got.followups] == ["業者が修理"]
    with pytest.raises(KeyError):
        book.notes.add_followup("no-such-id", FollowUp(text="x"))


@pytest.mark.parametrize(
    ("field", "value", "allowed"),
    [("category", "空調", "空調・照明・騒音"), ("severity", "激", "緊急"), ("status", "完了", "対応済")],
)
def test_invalid_values_name_the_allowed_ones(book: Logbook, field: str, value: str, allowed: str) -> None:
    note = _note("x")
    setattr(note, field, value)
    with pytest.raises(ValidationError) as info:
        book.notes.add(note)
    assert value in str(info.value) and allowed in str(info.value)
    assert book.notes.count() == 0


def test_anonymous_note_cannot_name_a_speaker(book: Logbook) -> None:
    with pytest.raises(ValidationError):
        book.notes.add(_note("x", anonymous=True, speaker="田中"))


def test_inquiry_round_trip(book: Logbook) -> None:
    q = Inquiry(
        question="慶弔休暇は何日？",
        answer="本人の結婚は5日です [1]",
        channel="チャット",
        department="営業部",
        requester="鈴木",
        sources=[Source("/docs/慶弔見舞金規程.md", "慶弔見舞金規程", "見出し: 第3条")],
        category="慶弔・福利厚生",
        closing_category="勤怠・休暇",
        status="解決",
        resolution="回答済",
        rating="Bad",
        rating_reason="条文番号が違う",
        minutes=7,
        staff="高橋",
    )
    book.inquiries.add(q)
    assert book.inquiries.get(q.id) == q
    with pytest.raises(ValidationError, match="電話"):
        book.inquiries.add(Inquiry(question="x", channel="FAX"))
    with pytest.raises(ValidationError, match="回答不能"):
        book.inquiries.add(Inquiry(question="x", resolution="不明"))


def test_filters_dates_status_category(book: Logbook) -> None:
    book.notes.add(_note("a", occurred_at="2026-10-31T23:59:59", category="清掃・衛生"))
    book.notes.add(_note("b", occurred_at="2026-11-01T00:00:00", category="清掃・衛生", status="対応中"))
    book.notes.add(_note("c", occurred_at="2026-11-30T23:00:00", category="IT・機器"))
    book.notes.add(_note("d", occurred_at="2026-12-01T00:00:00", category="IT・機器"))
    texts = lambda f: [n.text for n in book.notes.list(f)]  # noqa: E731
    assert texts(Filters(date_from="2026-11-01", date_to="2026-11-30")) == ["c", "b"]
    assert texts(Filters(status="対応中")) == ["b"]
    assert texts(Filters(category=("IT・機器",), newest_first=False)) == ["c", "d"]
    assert texts(Filters(limit=2)) == ["d", "c"]
    assert texts(Filters(limit=2, offset=2)) == ["b", "a"]
    assert book.notes.count(Filters(category="清掃・衛生")) == 2
    assert book.notes.count(cap=2) == 3  # "more than 2"
    assert book.notes.count(cap=10) == 4


def test_inquiry_category_filter_uses_the_closing_category(book: Logbook) -> None:
    book.inquiries.add(Inquiry(question="q1", category="経費精算", closing_category="出張・旅費"))
    book.inquiries.add(Inquiry(question="q2", category="経費精算"))
    assert [q.question for q in book.inquiries.list(Filters(category="経費精算"))] == ["q2"]
    assert [q.question for q in book.inquiries.list(Filters(category="出張・旅費"))] == ["q1"]


def test_full_text_filter_japanese_substrings(book: Logbook) -> None:
    book.notes.add(_note("会議室Aの空調が効かず暑い", place="本社3F"))
    book.notes.add(_note("トイレの照明がちらつく", cause="蛍光灯の寿命"))
    book.notes.add(_note("Wi-Fi が遅い", department="開発部"))
    texts = lambda q: sorted(n.text for n in book.notes.list(Filters(text=q)))  # noqa: E731
    assert texts("空調が効") == ["会議室Aの空調が効かず暑い"]  # trigram index
    assert texts("空調") == ["会議室Aの空調が効かず暑い"]  # 2 characters: fallback scan
    assert texts("暑") == ["会議室Aの空調が効かず暑い"]
    assert texts("蛍光灯") == ["トイレの照明がちらつく"]  # other columns are searched too
    assert texts("wi-fi") == ["Wi-Fi が遅い"]  # case-insensitive
    assert texts("開発部 遅い") == ["Wi-Fi が遅い"]  # AND of terms
    assert texts("会議室 照明") == []
    assert texts('"引用"符') == []  # quotes cannot break the FTS query


def test_short_terms_use_the_bigram_index(book: Logbook) -> None:
    book.notes.add(_note("ロッカーの鍵", place="更衣室"))
    book.notes.add(_note("ガス臭い", owner="Ab"))
    book.notes.add(_note("カスタマー対応"))
    texts = lambda q: sorted(n.text for n in book.notes.list(Filters(text=q)))  # noqa: E731
    assert texts("鍵") == ["ロッカーの鍵"]  # the last character of a text
    assert texts("衣室") == ["ロッカーの鍵"]  # another column
    assert texts("ガ") == ["ガス臭い"]  # no kana folding: カ is not ガ
    assert texts("カ") == ["カスタマー対応", "ロッカーの鍵"]
    assert texts("ab") == ["ガス臭い"] and texts("B") == ["ガス臭い"]  # ASCII case-insensitive
    assert texts("ス 鍵") == []  # AND
    assert texts("ス") == ["カスタマー対応", "ガス臭い"]
    assert texts("ー") == ["カスタマー対応", "ロッカーの鍵"]  # the long-vowel mark is a word character
    where = book.notes.list(Filters(text="の")), book.notes.list(Filters(text="ー対"))
    assert [n.text for n in where[0]] == ["ロッカーの鍵"] and [n.text for n in where[1]] == ["カスタマー対応"]


def test_full_text_follows_updates_and_deletes(book: Logbook) -> None:
    note = book.notes.add(_note("エレベーターが止まった"))
    note.text = "エスカレーターが止まった"
    book.notes.update(note)
    assert book.notes.count(Filters(text="エレベーター")) == 0
    assert book.notes.count(Filters(text="レベ")) == 0
    assert book.notes.count(Filters(text="エスカレーター")) == 1
    assert book.notes.count(Filters(text="スカ")) == 1
    assert book.notes.delete(note.id)
    assert book.notes.count(Filters(text="エスカレーター")) == 0
    assert book.notes.count(Filters(text="スカ")) == 0


def test_inquiry_full_text(book: Logbook) -> None:
    book.inquiries.add(Inquiry(question="出張の日当はいくら？", answer="国内は2,000円"))
    assert book.inquiries.count(Filters(text="日当")) == 1
    assert book.inquiries.count(Filters(text="2,000円")) == 1


def test_categories_are_editable(book: Logbook) -> None:
    cats = book.lists.categories("notes")
    assert cats[0] == "設備・備品" and "働き方・人間関係" in cats
    book.lists.set_categories("notes", [*cats, "駐車場"])
    book.notes.add(_note("駐車場が満車", category="駐車場"))
    note = book.notes.add(_note("椅子が壊れた", category="設備・備品"))
    assert book.lists.rename_category("notes", "設備・備品", "設備・什器") == 1
    got = book.notes.get(note.id)
    assert got is not None and got.category == "設備・什器"
    # a record keeps its category after it leaves the list, and can still be edited
    book.lists.set_categories("notes", ["その他"])
    got.status = "対応中"
    book.notes.update(got)
    with pytest.raises(ValidationError):
        book.lists.set_categories("notes", [" ", ""])


def test_places_and_suggestions_by_frequency(book: Logbook) -> None:
    book.lists.set_places(["本社1F 受付", "本社2F 食堂"])
    for place, dept in [("倉庫", "物流部"), ("倉庫", "物流部"), ("会議室A", "営業部"), ("倉庫", "営業部")]:
        book.notes.add(_note("x", place=place, department=dept))
    assert book.lists.places() == ["本社1F 受付", "本社2F 食堂"]
    assert book.lists.suggestions("place") == ["本社1F 受付", "本社2F 食堂", "倉庫", "会議室A"]
    assert book.lists.suggestions("place", prefix="会") == ["会議室A"]
    assert book.lists.suggestions("department") == ["営業部", "物流部"]  # a tie: by name
    assert book.lists.suggestions("department", prefix="物")[0] == "物流部"
    assert book.lists.suggestions("place", prefix="%") == []
