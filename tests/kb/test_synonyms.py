"""kb.synonyms: the company's editable list, created from the starter list and reloaded when edited."""

from __future__ import annotations

import os
from pathlib import Path

from kb.synonyms import STARTER_FILE, Synonyms, SynonymTable, parse_groups


def test_parse_groups_tabs_commas_comments_bom() -> None:
    text = "\ufeff# comment\nPC\tパソコン\t端末\n\n経費,立替金\n残業、時間外労働\n単独\n"
    assert parse_groups(text) == [["PC", "パソコン", "端末"], ["経費", "立替金"], ["残業", "時間外労働"]]


def test_starter_list_is_big_enough_and_parses() -> None:
    groups = parse_groups(STARTER_FILE.read_text(encoding="utf-8"))
    assert len(groups) >= 60
    words = {w for g in groups for w in g}
    for needed in ("PC", "パソコン", "立替金", "有休", "年次有給休暇", "忌引き", "時間外労働", "旅費"):
        assert needed in words


def test_alternatives_use_the_same_analysis() -> None:
    table = SynonymTable.from_groups([["ＰＣ", "パソコン"], ["申込み", "エントリー"]])
    assert ("パソコン",) in table.alternatives(("pc",))
    assert table.alternatives(("申し込み",)) == [("エントリー",)]
    assert table.alternatives(("無関係",)) == []


def test_company_file_created_from_starter_and_reloaded(tmp_path: Path) -> None:
    path = tmp_path / "kb" / "synonyms.tsv"
    syn = Synonyms(path)
    table = syn.table()
    assert path.read_bytes() == STARTER_FILE.read_bytes()
    assert ("パソコン",) in table.alternatives(("pc",))
    if os.name == "posix":
        assert (path.stat().st_mode & 0o777) == 0o600

    path.write_text("PC\tマシン\n", encoding="utf-8")
    table = syn.table()
    assert table.alternatives(("pc",)) == [("マシン",)]
    assert syn.table() is table  # unchanged file: not re-read


def test_unreadable_company_file_keeps_the_previous_table(tmp_path: Path) -> None:
    path = tmp_path / "synonyms.tsv"
    path.write_text("経費\t立替金\n", encoding="utf-8")
    syn = Synonyms(path)
    first = syn.table()
    path.write_bytes(b"\xff\xfe\x00bad utf-8 \x80\x81")
    assert syn.table() is first
