"""desktop/prompt_share.py: sharing the prompt library between PCs through a JSON file (two real,
encrypted logbooks), the merge rules, bad files, the starter set and filling templates."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop import prompt_share
from desktop.logbook import Logbook, Prompt
from desktop.paths import DataHome
from desktop.prompt_share import (
    PLACEHOLDER,
    PromptFileError,
    add_starter_set,
    export_library,
    fill_template,
    import_file,
    read_prompt_file,
    starter_prompts,
)
from desktop.settings import LogbookSettings


def open_book(root: Path) -> Logbook:
    return Logbook.open(DataHome.open(root), LogbookSettings(backup_every_hours=0))


@pytest.fixture
def book(data_home: Path) -> Iterator[Logbook]:
    with open_book(data_home) as b:
        yield b


@pytest.fixture
def other(tmp_path: Path) -> Iterator[Logbook]:
    """A colleague's PC: a second data home with its own encrypted logbook."""
    with open_book(tmp_path / "colleague") as b:
        yield b


def snapshot(book: Logbook) -> dict[str, tuple[object, ...]]:
    return {
        p.id: (p.title, p.text, p.author, tuple(p.tags), p.uses, p.rating_total, p.rating_count, p.created_at,
               p.updated_at)
        for p in book.prompts.list()
    }


def set_updated_at(book: Logbook, prompt_id: str, when: str) -> None:
    """Pin a timestamp (the library stamps 'now', and one second is too coarse to order two edits by)."""
    with book.db.write() as db:
        db.execute("UPDATE prompts SET updated_at = ? WHERE id = ?", [when, prompt_id])


def test_round_trip_keeps_everything(book: Logbook, other: Logbook, tmp_path: Path) -> None:
    p = book.prompts.add(Prompt(title="規程の要約", text="次の規程を3行で: {入力}", author="山田", tags=["要約", "規程"]))
    q = book.prompts.add(Prompt(title="メール返信", text="丁寧な返信文を作って\n{入力}", author="佐藤"))
    book.prompts.use(p.id)
    book.prompts.rate(p.id, 5)
    book.prompts.rate(p.id, 4)
    book.prompts.use(q.id)
    path = tmp_path / "share" / "プロンプト集.json"
    path.parent.mkdir()
    assert export_library(book, path) == 2

    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc["format"] == "soumu-desk-prompts" and doc["version"] == 1
    assert "規程の要約" in path.read_text(encoding="utf-8")  # readable Japanese, not \\u escapes

    result = import_file(other, path)
    assert (result.added, result.updated, result.unchanged) == (2, 0, 0)
    assert snapshot(other) == snapshot(book)
    assert other.prompts.get(p.id).rating == 4.5  # type: ignore[union-attr]

    # Exporting the imported library gives the same prompts back.
    again = tmp_path / "again.json"
    export_library(other, again)
    assert json.loads(again.read_text(encoding="utf-8"))["prompts"] == doc["prompts"]


def test_import_twice_adds_nothing_twice(book: Logbook, other: Logbook, tmp_path: Path) -> None:
    book.prompts.add(Prompt(title="A", text="a {入力}"))
    book.prompts.add(Prompt(title="B", text="b {入力}"))
    path = tmp_path / "p.json"
    export_library(book, path)
    import_file(other, path)
    second = import_file(other, path)
    assert (second.added, second.updated, second.unchanged) == (0, 0, 2)
    assert len(other.prompts.list()) == 2
    # Importing one's own export changes nothing either.
    own = import_file(book, path)
    assert (own.added, own.updated, own.unchanged) == (0, 0, 2)


def test_same_prompt_under_another_id_is_not_duplicated(book: Logbook, other: Logbook, tmp_path: Path) -> None:
    book.prompts.add(Prompt(title="議事録の要約", text="次のメモを要約: {入力}"))
    other.prompts.add(Prompt(title="議事録の要約 ", text="次のメモを要約: {入力}\n"))  # typed again by hand
    path = tmp_path / "p.json"
    export_library(book, path)
    result = import_file(other, path)
    assert (result.added, result.unchanged) == (0, 1)
    assert len(other.prompts.list()) == 1


def test_newer_edit_wins_in_both_directions(book: Logbook, other: Logbook, tmp_path: Path) -> None:
    p = book.prompts.add(Prompt(title="報告", text="版1 {入力}", author="山田"))
    set_updated_at(book, p.id, "2026-11-01T09:00:00")
    v1 = tmp_path / "v1.json"
    export_library(book, v1)
    import_file(other, v1)

    # The colleague improves it; their file reaches this PC.
    mine = other.prompts.get(p.id)
    assert mine is not None
    mine.text = "版2 {入力}"
    mine.tags = ["報告"]
    other.prompts.update(mine)
    set_updated_at(other, p.id, "2026-11-02T09:00:00")
    v2 = tmp_path / "v2.json"
    export_library(other, v2)
    result = import_file(book, v2)
    assert (result.added, result.updated) == (0, 1)
    got = book.prompts.get(p.id)
    assert got is not None and got.text == "版2 {入力}" and got.tags == ["報告"]
    assert got.updated_at == "2026-11-02T09:00:00"  # the file's time, not the import's

    # An old file that turns up later cannot undo the newer edit.
    stale = import_file(book, v1)
    assert (stale.updated, stale.unchanged) == (0, 1)
    assert book.prompts.get(p.id).text == "版2 {入力}"  # type: ignore[union-attr]


def test_counts_merge_with_max_not_sum(book: Logbook, other: Logbook, tmp_path: Path) -> None:
    p = book.prompts.add(Prompt(title="FAQ案", text="FAQ を作って {入力}"))
    for _ in range(3):
        book.prompts.use(p.id)
    book.prompts.rate(p.id, 5)
    book.prompts.rate(p.id, 5)
    path = tmp_path / "p.json"
    export_library(book, path)
    import_file(other, path)
    other.prompts.use(p.id)  # used once more over there (4 in all), rated once: fewer ratings than here
    for _ in range(4):
        other.prompts.use(p.id)
    other.prompts.rate(p.id, 1)
    back = tmp_path / "back.json"
    export_library(other, back)

    import_file(book, back)
    import_file(book, back)  # twice: still no double counting
    got = book.prompts.get(p.id)
    assert got is not None
    assert got.uses == 8  # max(3, 8)
    assert (got.rating_total, got.rating_count) == (11, 3)  # the pair with more ratings, kept whole
    assert got.title == "FAQ案"


@pytest.mark.parametrize(
    ("content", "ja_part", "en_part"),
    [
        (b"", "JSON", "JSON"),
        (b"{not json", "JSON", "JSON"),
        ("テスト".encode("cp932"), "UTF-8", "UTF-8"),
        (b'{"format": "something-else", "prompts": []}', "プロンプト集ではありません", "not a Soumu Desk prompt file"),
        (b'[1, 2, 3]', "プロンプト集ではありません", "not a Soumu Desk prompt file"),
        (b'{"format": "soumu-desk-prompts", "version": 99, "prompts": []}', "新しい版", "newer version"),
    ],
)
def test_bad_file_gives_a_clear_error_and_changes_nothing(
    book: Logbook, tmp_path: Path, content: bytes, ja_part: str, en_part: str
) -> None:
    book.prompts.add(Prompt(title="元からある", text="x {入力}"))
    before = snapshot(book)
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    with pytest.raises(PromptFileError) as info:
        import_file(book, path)
    assert ja_part in info.value.ja and en_part in info.value.en
    assert info.value.ja in str(info.value) and info.value.en in str(info.value)
    assert snapshot(book) == before


def test_one_bad_entry_rejects_the_whole_file(book: Logbook, tmp_path: Path) -> None:
    doc = {
        "format": "soumu-desk-prompts",
        "version": 1,
        "prompts": [
            {"title": "良い", "text": "良い {入力}"},
            {"title": "", "text": "題名がない"},
            {"title": "数が変", "text": "x", "uses": -3},
            {"title": "日時が変", "text": "x", "updated_at": "きのう"},
            "文字列だけ",
        ],
    }
    path = tmp_path / "mixed.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(PromptFileError) as info:
        import_file(book, path)
    err = info.value
    assert len(err.errors) == 4
    assert "何も取り込んでいません" in err.ja and "nothing was imported" in err.en
    assert "2 件目" in err.ja and "題名と本文を入力してください" in err.ja
    assert "entry 5" in err.en
    assert book.prompts.list() == []


def test_missing_file_and_folder(tmp_path: Path) -> None:
    with pytest.raises(PromptFileError, match="ファイルが見つかりません"):
        read_prompt_file(tmp_path / "nope.json")
    with pytest.raises(PromptFileError, match="choose a file, not a folder"):
        read_prompt_file(tmp_path)


def test_hand_written_file_is_accepted(book: Logbook, tmp_path: Path) -> None:
    """A file written by hand (no ids, tags as one cell, a BOM, a time zone) imports, once."""
    doc = {
        "format": "soumu-desk-prompts",
        "version": 1,
        "prompts": [
            {"title": "お礼状", "text": "お礼状を書いて: {入力}", "tags": "手紙、お礼", "updated_at": "2026-11-03T10:00:00+09:00"},
            {"title": "評価が不正", "text": "y", "rating_total": 50, "rating_count": 2},
        ],
    }
    path = tmp_path / "hand.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(doc, ensure_ascii=False).encode("utf-8"))
    assert import_file(book, path).added == 2
    assert import_file(book, path).added == 0  # no ids, but the same title and text are not added again
    by_title = {p.title: p for p in book.prompts.list()}
    assert by_title["お礼状"].tags == ["手紙", "お礼"]
    assert len(by_title["お礼状"].updated_at) == 19
    assert by_title["評価が不正"].rating_count == 0  # an impossible average is dropped, not trusted


def test_export_is_atomic_over_an_old_file(book: Logbook, tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    path = tmp_path / "out" / "p.json"
    path.write_text("old", encoding="utf-8")
    book.prompts.add(Prompt(title="A", text="a"))
    export_library(book, path)
    assert json.loads(path.read_text(encoding="utf-8"))["prompts"][0]["title"] == "A"
    assert [p.name for p in path.parent.iterdir()] == ["p.json"]  # no temp file left behind
    with pytest.raises(OSError):
        export_library(book, tmp_path / "missing-folder" / "p.json")


def test_starter_set_is_valid_and_useful() -> None:
    prompts = starter_prompts()
    assert 8 <= len(prompts) <= 12
    assert len({p.id for p in prompts}) == len(prompts)
    assert len({p.title for p in prompts}) == len(prompts)
    for p in prompts:
        p.validate()
        assert PLACEHOLDER in p.text, p.title
        assert p.tags and p.author
        assert (p.uses, p.rating_count) == (0, 0)
        assert p.updated_at == "2026-11-01T00:00:00"
        assert any("\u3040" <= ch <= "\u30ff" for ch in p.text)  # natural Japanese (kana), not English
    titles = {p.title for p in prompts}
    for wanted in ("問い合わせ回答メールの下書き", "月次報告のコメント案", "規程の条文を新入社員向けに3行で説明"):
        assert wanted in titles


def test_adding_the_starter_set_twice_never_duplicates(book: Logbook, other: Logbook, tmp_path: Path) -> None:
    first = add_starter_set(book)
    assert first.added == len(starter_prompts())
    assert add_starter_set(book).added == 0
    # Both PCs added the starter set; one edits a starter prompt; swapping files merges by the fixed ids.
    add_starter_set(other)
    edited = other.prompts.list()[0]
    edited.text += "\n敬語は控えめに。"
    other.prompts.update(edited)
    path = tmp_path / "p.json"
    export_library(other, path)
    result = import_file(book, path)
    assert (result.added, result.updated) == (0, 1)
    assert len(book.prompts.list()) == len(starter_prompts())
    assert book.prompts.get(edited.id).text.endswith("敬語は控えめに。")  # type: ignore[union-attr]
    assert add_starter_set(book).updated == 0  # the original (older) starter text does not come back


def test_fill_template() -> None:
    assert fill_template("要約して:\n{入力}\n以上", "  本文  ") == "要約して:\n本文\n以上"
    assert fill_template("{入力} と {入力}", "A") == "A と A"
    assert fill_template("次の文を直して", "本文") == "次の文を直して\n\n本文"  # no placeholder: appended
    assert fill_template("次の文を直して", "") == "次の文を直して"
    messages = prompt_share.chat_messages("やって")
    assert messages[0]["role"] == "system" and messages[-1] == {"role": "user", "content": "やって"}
