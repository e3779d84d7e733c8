"""Structure-aware chunking: 第N条 detection, sections, bounded pieces, linear splitting."""

from __future__ import annotations

import pytest

from kb.chunking import (
    MAX_CHARS,
    Line,
    article_label,
    find_article,
    kanji_number,
    pack_rows,
    sectionize,
    sections_to_chunks,
    split_section,
    split_text,
)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("一", 1),
        ("十", 10),
        ("十二", 12),
        ("二十四", 24),
        ("百二", 102),
        ("三百五十", 350),
        ("一〇", 10),
        ("千", 1000),
    ],
)
def test_kanji_number(text: str, value: int) -> None:
    assert kanji_number(text) == value


@pytest.mark.parametrize(
    ("line", "article"),
    [
        ("第24条（年次有給休暇）", "第24条"),
        ("第２４条 採用日から６か月間継続勤務し", "第24条"),
        ("第二十四条　年次有給休暇", "第24条"),
        ("第24条の2（時間単位年休）", "第24条の2"),
        ("第２４条の２", "第24条の2"),
        ("【第２３条 年次有給休暇】", "第23条"),
        ("第３９条第５項）。", None),  # a reference wrapped to the start of a line
        ("第3条の規定により", None),
        ("本規則第5条に定める", None),
    ],
)
def test_find_article(line: str, article: str | None) -> None:
    assert find_article(line) == article


def test_article_label_normalises_numerals() -> None:
    assert article_label("１２") == "第12条"
    assert article_label("十二", "三") == "第12条の3"


def test_split_text_huge_line_without_spaces_is_bounded_and_lossless() -> None:
    text = "あ" * 300_000
    pieces = split_text(text)
    assert all(0 < len(p) <= MAX_CHARS for p in pieces)
    assert "".join(pieces) == text


def test_split_text_prefers_sentence_ends() -> None:
    sentence = "従業員は、所属長の指示命令を誠実に守らなければならない。"
    pieces = split_text(sentence * 60)
    assert len(pieces) > 1
    assert all(p.endswith("。") for p in pieces[:-1])


def lines(text: str, page: int | None = None) -> list[Line]:
    return [Line(t, i, page=page) for i, t in enumerate(text.split("\n"), start=1)]


def test_sections_follow_chapters_and_articles() -> None:
    text = "\n".join(
        [
            "第1章 総則",
            "第1条（目的）",
            "この規則は、社員の就業に関する事項を定める。",
            "第2条（適用範囲）",
            "この規則は、全社員に適用する。",
            "第2章 服務規律",
            "第3条 社員は、次の事項を守らなければならない。",
            "① 勤務中は職務に専念すること",
        ]
    )
    sections = sectionize(lines(text))
    assert [s.article for s in sections] == ["第1条", "第2条", "第3条"]
    assert sections[0].heading_path == ["第1章 総則", "第1条（目的）"]
    assert sections[2].heading_path == ["第2章 服務規律", "第3条"]
    chunks = sections_to_chunks(sections, "就業規則")
    assert chunks[1].location == "第1章 総則 > 第2条（適用範囲）"
    assert chunks[1].text.startswith("第2条（適用範囲）\n")
    assert (chunks[2].line_start, chunks[2].line_end) == (7, 8)
    assert [c.ordinal for c in chunks] == [0, 1, 2]


def test_table_of_contents_lines_are_not_articles() -> None:
    text = "目次\n第1条（目的）\n第2条（適用範囲）\n第3条（服務）\n\n第1条（目的）\nこの規則は就業に関する事項を定める。"
    sections = sectionize(lines(text))
    assert sections[0].article is None and "第3条（服務）" in "\n".join(ln.text for ln in sections[0].lines)
    assert sections[1].article == "第1条"


def test_title_line_in_brackets_belongs_to_the_next_article() -> None:
    text = "前の条文の最後の文。\n（年次有給休暇）\n第２３条 採用日から６か月間継続勤務した者に与える。"
    sections = sectionize(lines(text))
    assert sections[-1].article == "第23条"
    assert sections[-1].heading_path[-1] == "第23条（年次有給休暇）"
    assert sections[-1].lines[0].text == "（年次有給休暇）"


def test_commentary_headings_in_a_row_form_one_section() -> None:
    text = "【第３５条 家族手当】\n【第３６条 通勤手当】\n諸手当に関しては各事業場で決めることになります。"
    sections = sectionize(lines(text))
    assert len(sections) == 1
    assert sections[0].article == "第35条"
    assert sections[0].heading_path == ["【第35条 家族手当】【第36条 通勤手当】"]


def test_page_change_continues_the_article() -> None:
    page1 = lines("第5条（休日）\n休日は次のとおりとする。", page=1)
    page2 = lines("① 土曜日及び日曜日\n② 国民の祝日", page=2)
    chunks = sections_to_chunks(sectionize(page1 + page2), "t", by_page=True)
    assert [(c.page, c.article) for c in chunks] == [(1, "第5条"), (2, "第5条")]
    assert chunks[0].location == "p.1 第5条（休日）"
    assert chunks[1].location == "p.2 第5条（休日）（続き）"


def test_long_article_is_split_into_bounded_parts_with_the_same_article() -> None:
    body = "\n".join(
        f"{i} 社員は、業務上の必要がある場合に、会社の指示に従い出張しなければならない。" * 3
        for i in range(40)
    )
    sections = sectionize(lines("第10条（出張）\n" + body))
    chunks = sections_to_chunks(sections, "t")
    assert len(chunks) > 2
    assert all(c.article == "第10条" for c in chunks)
    assert all(len(c.text) <= MAX_CHARS for c in chunks)
    assert chunks[1].location.endswith(f"（2/{len(chunks)}）")


def test_article_that_fits_is_never_split() -> None:
    body = "\n\n".join(["従業員は、職場の秩序を保持しなければならない。"] * 40)  # ~1000 chars with paragraphs
    pieces = split_section(lines("第11条（遵守事項）\n" + body))
    assert len(pieces) == 1


def test_text_without_structure_gets_line_ranges() -> None:
    from kb.chunking import line_range

    text = "\n\n".join(
        f"メモ{i}: 備品の貸出は総務課で受け付けています。返却時は台帳に記入してください。" for i in range(60)
    )
    chunks = sections_to_chunks(
        sectionize(lines(text)), "t", fallback=lambda p: line_range(p.line_start, p.line_end)
    )
    assert len(chunks) > 1
    assert chunks[0].location.startswith("行 1–")
    assert all(200 <= len(c.text) <= MAX_CHARS for c in chunks[:-1])


def test_pack_rows_repeats_the_header_and_bounds_size() -> None:
    rows = [(i, f"2024/1/{i} | 休日{i}") for i in range(2, 400)]
    blocks = list(pack_rows(rows, "日付 | 名称"))
    assert len(blocks) > 1
    assert all(text.startswith("日付 | 名称\n") and len(text) <= MAX_CHARS for _, _, text in blocks)
    assert blocks[0][0] == 2 and blocks[-1][1] == 399
    huge = list(pack_rows([(5, "x" * 5000)], "h"))
    assert all(len(text) <= MAX_CHARS for _, _, text in huge) and len(huge) >= 5


def test_article_title_and_body_on_one_line() -> None:
    sections = sectionize(
        lines("第1条（目的）この規程は、出張旅費について定める。\n第2条（日当）日当は2,000円とする。")
    )
    assert [s.heading_path for s in sections] == [["第1条（目的）"], ["第2条（日当）"]]
    assert [s.article for s in sections] == ["第1条", "第2条"]


def test_path_label_drops_a_leading_heading_that_repeats_the_title() -> None:
    from kb.chunking import path_label

    assert path_label(["就業規則", "第1章 総則", "第1条（目的）"], "就業規則") == "第1章 総則 > 第1条（目的）"
    assert path_label(["オフィス利用ガイド", "会議室"], "オフィス利用ガイド｜社内ポータル") == "会議室"
    assert path_label(["就業規則"], "就業規則") == "就業規則"
    assert path_label(["第1章 総則"], "賃金規程") == "第1章 総則"


def test_chapter_line_before_a_bracket_title_is_not_a_chunk_of_its_own() -> None:
    text = "第1章　総則\n\n（目的）\n第1条　この要領は備品の管理について定める。"
    sections = sectionize(lines(text))
    assert len(sections) == 1
    assert sections[0].heading_path == ["第1章 総則", "第1条（目的）"]
