"""desktop/logbook/csvio.py, xlsxio.py, tabular.py: Excel-friendly CSV/XLSX, formula neutralising, exact import."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from desktop.logbook import (
    CsvEncodingError,
    Filters,
    FollowUp,
    ImportFileError,
    Inquiry,
    Logbook,
    Note,
    Source,
)
from desktop.logbook.csvio import neutralize, unneutralize
from desktop.logbook.tabular import header
from desktop.paths import DataHome
from desktop.settings import LogbookSettings


def _open(root: Path) -> Logbook:
    return Logbook.open(DataHome.open(root), LogbookSettings(backup_every_hours=0))


@pytest.fixture
def book(data_home: Path) -> Iterator[Logbook]:
    with _open(data_home) as b:
        yield b


@pytest.fixture
def other(tmp_path: Path) -> Iterator[Logbook]:
    with _open(tmp_path / "other_home") as b:
        yield b


def _fill(book: Logbook) -> None:
    book.notes.add(
        Note(
            text='=HYPERLINK("http://x","クリック")',
            place="+81 会議室",
            department="-営業部",
            category="設備・備品",
            severity="緊急",
            cause="@mention",
            consequence="\t先頭タブ",
            countermeasure="'=既に引用符",
            speaker="髙橋 ①",
            tags=["ｶﾀｶﾅ", "emoji😀"],
            followups=[FollowUp(text="改行\r\nあり, \"引用\"", at="2026-11-02T08:00:00", staff="山田")],
            occurred_at="2026-11-01T09:00:00",
            due_date="2026-11-30",
        )
    )
    book.notes.add(Note(text="  前後の空白  ", place="0123", department="1/2", occurred_at="2026-11-03T10:00:00"))
    book.inquiries.add(
        Inquiry(
            question="交通費の精算期限は？",
            answer="翌月10日まで",
            sources=[Source("/d/経費精算規程.docx", "経費精算規程", "見出し: 第5条")],
            minutes=5,
            occurred_at="2026-11-04T11:00:00",
        )
    )


def test_neutralize_is_undone_exactly() -> None:
    for value in ["=1+1", "+1", "-1", "@x", "\tx", "\rx", "'=1", "''", "'", "普通", "", "a=b"]:
        assert unneutralize(neutralize(value)) == value
    assert neutralize("=1+1") == "'=1+1" and neutralize("普通") == "普通"


def test_csv_is_excel_friendly(book: Logbook, tmp_path: Path) -> None:
    _fill(book)
    out = tmp_path / "notes.csv"
    result = book.export("notes", out)
    assert result.rows == 2
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    first_line = text.split("\r\n", 1)[0]
    assert first_line.split(",") == header("notes")
    assert text.endswith("\r\n") and "\r\n" in text
    # every dangerous cell carries the ' prefix, nothing starts a cell with = + - @
    assert "'=HYPERLINK" in text and "'+81" in text and "'-営業部" in text and "'@mention" in text
    assert "''=既に引用符" in text


def test_export_import_export_is_byte_identical(book: Logbook, other: Logbook, tmp_path: Path) -> None:
    _fill(book)
    for kind in ("notes", "inquiries"):
        first, second = tmp_path / f"{kind}1.csv", tmp_path / f"{kind}2.csv"
        book.export(kind, first)
        r = other.import_file(kind, first)
        assert r.added == (2 if kind == "notes" else 1) and r.encoding == "utf-8-sig"
        other.export(kind, second)
        assert first.read_bytes() == second.read_bytes()
    assert other.notes.list() == book.notes.list()
    assert other.inquiries.list() == book.inquiries.list()


def test_importing_twice_adds_nothing_twice(book: Logbook, other: Logbook, tmp_path: Path) -> None:
    _fill(book)
    path = tmp_path / "n.csv"
    book.export("notes", path)
    assert other.import_file("notes", path).added == 2
    again = other.import_file("notes", path)
    assert (again.added, again.unchanged) == (0, 2)
    assert other.notes.count() == 2


def test_newer_rows_update_and_older_rows_do_not(book: Logbook, other: Logbook, tmp_path: Path) -> None:
    note = book.notes.add(Note(text="古い内容", occurred_at="2026-11-01T09:00:00"))
    old_file = tmp_path / "old.csv"
    book.export("notes", old_file)
    other.import_file("notes", old_file)
    note.text = "新しい内容"
    note.updated_at = ""
    book.notes.update(note)
    new_file = tmp_path / "new.csv"
    book.export("notes", new_file)
    text = new_file.read_text(encoding="utf-8-sig")
    # make sure the update is strictly newer than the first export even within the same second
    text = text.replace(note.updated_at, "2099-01-01T00:00:00")
    new_file.write_text(text, encoding="utf-8-sig", newline="")
    assert other.import_file("notes", new_file).updated == 1
    assert other.import_file("notes", old_file).skipped == 1
    got = other.notes.get(note.id)
    assert got is not None and got.text == "新しい内容"


def test_cp932_export_and_emoji_is_a_clear_error(book: Logbook, tmp_path: Path) -> None:
    book.notes.add(Note(text="10時〜12時 髙島屋 ① ｶﾀｶﾅ", occurred_at="2026-11-01T09:00:00"))
    out = tmp_path / "sjis.csv"
    result = book.export("notes", out, encoding="cp932")
    assert result.substituted == 1  # 〜 (U+301C) written as ～ (U+FF5E), counted
    assert "10時～12時 髙島屋 ① ｶﾀｶﾅ" in out.read_bytes().decode("cp932")
    book.notes.add(Note(text="絵文字😀はだめ", occurred_at="2026-11-02T09:00:00"))
    bad = tmp_path / "bad.csv"
    with pytest.raises(CsvEncodingError) as info:
        book.export("notes", bad, encoding="cp932")
    assert "3行目" in str(info.value) and "内容" in str(info.value) and "U+1F600" in str(info.value)
    assert not bad.exists()  # nothing half-written
    replaced = book.export("notes", bad, encoding="cp932", errors="replace")
    assert replaced.replaced_cells == 1 and "絵文字?はだめ" in bad.read_bytes().decode("cp932")


def test_cp932_csv_from_excel_imports(book: Logbook, tmp_path: Path) -> None:
    """What Excel writes when a user types rows: Shift_JIS, no ID, no timestamps, Excel-style dates."""
    lines = [
        "日時,場所,部署,分類,重要度,内容,匿名,状況,タグ",
        "2026/11/5 9:30,本社2F 給湯室,総務部,清掃・衛生,中,シンクの排水が遅い ①,はい,新規,\"水回り、臭い\"",
        "2026/11/6 14:00,駐車場,営業部,駐車場,低,区画線が薄い,,新規,",
    ]
    path = tmp_path / "excel.csv"
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp932"))
    result = book.import_file("notes", path)
    assert (result.encoding, result.added) == ("cp932", 2)
    assert result.new_categories == ["駐車場"]  # unknown categories join the editable list
    [first] = book.notes.list(Filters(text="排水"))
    assert first.occurred_at == "2026-11-05T09:30:00" and first.anonymous and first.tags == ["水回り", "臭い"]
    again = book.import_file("notes", path)  # no ID column: IDs come from the content
    assert (again.added, again.unchanged) == (0, 2)


def test_bad_rows_import_nothing_and_name_the_rows(book: Logbook, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(
        "日時,内容,重要度\r\n2026-11-01,ok,低\r\n2026-11-02,bad,激\r\n,no date,低\r\n", encoding="utf-8-sig", newline=""
    )
    with pytest.raises(ImportFileError) as info:
        book.import_file("notes", path)
    assert [e.row for e in info.value.errors] == [3, 4]
    assert "激" in str(info.value)
    assert book.notes.count() == 0
    wrong_kind = tmp_path / "q.csv"
    wrong_kind.write_text("日時,質問\r\n2026-11-01,x\r\n", encoding="utf-8")
    with pytest.raises(ImportFileError, match="内容"):
        book.import_file("notes", wrong_kind)


def test_xlsx_columns_are_text(book: Logbook, other: Logbook, tmp_path: Path) -> None:
    _fill(book)
    out = tmp_path / "notes.xlsx"
    assert book.export("notes", out, fmt="xlsx").rows == 2
    ws = load_workbook(out).worksheets[0]
    assert [c.value for c in ws[1]] == header("notes")
    values = {c.value: c for row in ws.iter_rows(min_row=2) for c in row if c.value}
    for text in ("0123", "1/2", '=HYPERLINK("http://x","クリック")', "  前後の空白  "):
        assert values[text].data_type == "s" and values[text].number_format == "@"
    result = other.import_file("notes", out)
    assert result.added == 2 and result.encoding == "xlsx"
    assert other.notes.list() == book.notes.list()
    again = tmp_path / "again.xlsx"
    other.export("notes", again, fmt="xlsx")
    rows = lambda p: [[c.value for c in r] for r in load_workbook(p).worksheets[0].iter_rows()]  # noqa: E731
    assert rows(out) == rows(again)


def test_xlsx_typed_by_hand_imports(book: Logbook, tmp_path: Path) -> None:
    from datetime import datetime

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["日時", "受付方法", "質問", "対応時間(分)"])
    ws.append([datetime(2026, 11, 7, 13, 15), "メール", "名刺の発注方法は？", 12])
    path = tmp_path / "hand.xlsx"
    wb.save(path)
    assert book.import_file("inquiries", path).added == 1
    [q] = book.inquiries.list()
    assert (q.occurred_at, q.channel, q.minutes) == ("2026-11-07T13:15:00", "メール", 12)


def test_export_filters(book: Logbook, tmp_path: Path) -> None:
    _fill(book)
    out = tmp_path / "f.csv"
    assert book.export("notes", out, filters=Filters(date_from="2026-11-02")).rows == 1
    assert book.export("notes", out, filters=Filters(category="設備・備品")).rows == 1
    assert book.export("notes", out, filters=Filters(status="対応済")).rows == 0
