"""Parsers over the real documents in ../shared/realdocs and over small files generated with the real libraries."""

from __future__ import annotations

import shutil
from pathlib import Path

import docx
import openpyxl
import pptx
import pytest
from fpdf import FPDF
from pptx.util import Inches

from kb.chunking import MAX_CHARS
from kb.parsing import SUPPORTED_SUFFIXES, ParsedDocument, is_ignored, parse_document
from tests.conftest import REALDOCS

JP_FONT = Path("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf")
MHLW_PDF = "jpaoai__001018385.pdf"


def assert_well_formed(doc: ParsedDocument) -> None:
    assert doc.chunks
    assert [c.ordinal for c in doc.chunks] == list(range(len(doc.chunks)))
    for chunk in doc.chunks:
        assert chunk.text.strip() and chunk.location
        assert len(chunk.text) <= MAX_CHARS + 200  # rows keep their header line


@pytest.fixture(scope="module")
def mhlw(tmp_path_factory: pytest.TempPathFactory) -> ParsedDocument:
    """The 93-page MHLW model rules, parsed once for the module (from a copy)."""
    if not (REALDOCS / MHLW_PDF).exists():
        pytest.skip("../shared/realdocs is not present")
    dest = tmp_path_factory.mktemp("mhlw") / MHLW_PDF
    shutil.copyfile(REALDOCS / MHLW_PDF, dest)
    return parse_document(dest)


# --- PDF -------------------------------------------------------------------------------------------------


def test_pdf_title_and_pages(mhlw: ParsedDocument) -> None:
    assert mhlw.doc_type == "pdf"
    assert mhlw.title == "モデル就業規則（R4.11版）"
    assert_well_formed(mhlw)
    pages = {c.page or 0 for c in mhlw.chunks}
    assert min(pages) == 1 and max(pages) == 93


def test_pdf_article_39_names_its_page_and_has_repaired_words(mhlw: ParsedDocument) -> None:
    chunk = next(c for c in mhlw.chunks if c.article == "第39条" and c.location.startswith("p.50 第39条"))
    assert chunk.page == 50
    assert chunk.location == "p.50 第39条（精勤手当）"
    assert "年次有給休暇を取得したとき" in chunk.text
    assert "精勤手当は、当該賃金計算期間における出勤成績により" in chunk.text  # line break mended


def test_pdf_words_split_by_the_text_layer_are_joined(mhlw: ParsedDocument) -> None:
    text = "\n".join(c.text for c in mhlw.chunks)
    assert "年次有給 休暇" not in text and "年次有給\n休暇" not in text
    assert "継続24 時間" not in text
    annual = [c for c in mhlw.chunks if c.article == "第23条"]
    assert annual and annual[0].page == 38
    assert "第２３条 採用日から６か月間継続勤務し" in annual[0].text
    assert "10日以上与えられた労働者" in "\n".join(c.text for c in annual)  # "10 日" mended


def test_pdf_articles_and_contents_pages(mhlw: ParsedDocument) -> None:
    articles = {c.article for c in mhlw.chunks if c.article}
    assert {f"第{n}条" for n in range(1, 71)} <= articles
    assert all(c.article is None for c in mhlw.chunks if c.page is not None and c.page <= 9)  # 目次 pages
    assert any(c.location.startswith("p.39 【第23条 年次有給休暇】") for c in mhlw.chunks)
    continued = [c for c in mhlw.chunks if c.location.startswith("p.39 第23条") and "（続き）" in c.location]
    assert continued


def make_pdf(path: Path, pages: list[str], title: str | None = None) -> Path:
    pdf = FPDF()
    pdf.add_font("jp", fname=str(JP_FONT))
    pdf.set_font("jp", size=10)
    if title:
        pdf.set_title(title)
    for text in pages:
        pdf.add_page()
        pdf.multi_cell(0, 6, text)
    pdf.output(str(path))
    return path


@pytest.mark.skipif(not JP_FONT.exists(), reason="needs a Japanese TTF font")
def test_generated_pdf_with_kanji_numerals_and_broken_words(tmp_path: Path) -> None:
    path = make_pdf(
        tmp_path / "規程.pdf",
        [
            # the font has no ASCII digits, so full-width ones: "継続２４ 時間" as a broken text layer has it
            "（慶弔休暇）\n第二十四条 従業員が結婚したときは、５日の慶弔\n休暇を与える。継続２４ 時間以上の勤務は認めない。",
            "（年次有給休暇）\n第２５条の２ 年次有給 休暇は、半日単位で取得できる。",
        ],
        title="慶弔休暇規程",
    )
    doc = parse_document(path)
    assert doc.title == "慶弔休暇規程"
    first, second = doc.chunks
    assert (first.page, first.article, first.location) == (1, "第24条", "p.1 第24条（慶弔休暇）")
    assert "５日の慶弔休暇を与える。継続２４時間以上" in first.text
    assert (second.page, second.article) == (2, "第25条の2")
    assert "年次有給休暇は" in second.text


def test_ascii_pdf(tmp_path: Path) -> None:
    pdf = FPDF()
    pdf.set_font("helvetica", size=11)
    pdf.add_page()
    pdf.multi_cell(0, 6, "Travel expenses policy\nEmployees book trains through the portal.\n10 11 12")
    pdf.output(str(tmp_path / "policy.pdf"))
    doc = parse_document(tmp_path / "policy.pdf")
    assert doc.title == "policy"
    assert "Employees book trains through the portal." in doc.chunks[0].text
    assert "10 11 12" in doc.chunks[0].text


# --- Markdown / text -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["denkiyagi__001_就業規則.md", "tuqulore__01_就業規則.md"])
def test_markdown_rules_give_articles_with_heading_paths(realdocs: Path, name: str) -> None:
    doc = parse_document(realdocs / name)
    assert doc.doc_type == "md" and doc.encoding == "utf-8"
    assert doc.title == "就業規則"
    assert_well_formed(doc)
    first = doc.chunks[0]
    assert first.article == "第1条"
    assert first.heading_path == ["就業規則", "第1章 総則", "第1条（目的）"]
    assert first.location == "第1章 総則 > 第1条（目的）"
    assert first.line_start == 5 and first.line_end is not None and first.line_end >= 7
    assert len({c.article for c in doc.chunks if c.article}) > 40


def test_every_real_markdown_file_parses(realdocs: Path) -> None:
    for path in sorted(realdocs.glob("*.md")):
        doc = parse_document(path)
        assert_well_formed(doc)


def test_plain_text_cp932_with_kanji_articles(tmp_path: Path) -> None:
    text = "出張旅費規程\n\n第一章 総則\n\n第一条（目的）\nこの規程は出張旅費について定める。\n\n第二条（日当）\n日当は二千円とする。\n"
    path = tmp_path / "出張 旅費 規程.txt"
    path.write_bytes(text.encode("cp932"))
    doc = parse_document(path)
    assert doc.encoding == "cp932" and doc.title == "出張 旅費 規程"
    assert [(c.article, c.location) for c in doc.chunks] == [
        (None, "行 1"),
        ("第1条", "第1章 総則 > 第1条（目的）"),
        ("第2条", "第1章 総則 > 第2条（日当）"),
    ]
    assert doc.chunks[2].line_start == 8


def test_plain_text_without_structure_has_line_ranges(tmp_path: Path) -> None:
    path = tmp_path / "memo.txt"
    path.write_text(
        "\n".join(f"{i}行目の連絡事項です。会議室の予約は前日までにお願いします。" for i in range(1, 201)),
        encoding="utf-8",
    )
    doc = parse_document(path)
    assert len(doc.chunks) > 3
    assert doc.chunks[0].location.startswith("行 1–")
    assert doc.chunks[-1].line_end == 200


# --- CSV / TSV ---------------------------------------------------------------------------------------------


def test_real_cp932_csv(realdocs: Path) -> None:
    doc = parse_document(realdocs / "holidaysjp__syukujitsu.csv")
    assert doc.encoding == "cp932" and doc.doc_type == "csv"
    assert_well_formed(doc)
    first = doc.chunks[0]
    assert "元日" in first.text and first.text.startswith("国民の祝日・休日月日 | 国民の祝日・休日名称\n")
    assert first.line_start == 2 and first.location == f"行 2–{first.line_end}"


def test_tsv_with_quoted_multiline_field(tmp_path: Path) -> None:
    path = tmp_path / "faq.tsv"
    path.write_text(
        '項目\t内容\n慶弔休暇\t"結婚: 5日\n忌引: 3日"\n通勤手当\t上限3万円\n', encoding="utf-8-sig"
    )
    doc = parse_document(path)
    assert doc.encoding == "utf-8-sig"
    assert doc.chunks[0].text == "項目 | 内容\n慶弔休暇 | 結婚: 5日 忌引: 3日\n通勤手当 | 上限3万円"
    assert (doc.chunks[0].line_start, doc.chunks[0].line_end) == (2, 4)


# --- DOCX ----------------------------------------------------------------------------------------------------


def test_docx_headings_tables_and_articles(tmp_path: Path) -> None:
    d = docx.Document()
    d.add_paragraph("福利厚生規程", style="Title")
    d.add_heading("第1章 総則", level=1)
    d.add_paragraph("第1条（目的）")
    d.add_paragraph("この規程は、社員の福利厚生について定める。")
    d.add_heading("第2章 慶弔見舞金", level=1)
    d.add_paragraph("第2条（支給額）")
    d.add_paragraph("慶弔見舞金は次の表のとおりとする。")
    table = d.add_table(rows=3, cols=2)
    for r, (a, b) in enumerate([("事由", "金額"), ("結婚", "30,000円"), ("出産", "10,000円")]):
        table.cell(r, 0).text, table.cell(r, 1).text = a, b
    path = tmp_path / "福利厚生規程.docx"
    d.save(str(path))
    doc = parse_document(path)
    assert doc.title == "福利厚生規程" and doc.doc_type == "docx"
    last = doc.chunks[-1]
    assert last.article == "第2条"
    assert last.location == "第2章 慶弔見舞金 > 第2条（支給額）"
    assert "事由: 結婚 / 金額: 30,000円" in last.text


def test_docx_japanese_style_names(tmp_path: Path) -> None:
    d = docx.Document()
    style = d.styles.add_style("見出し 2", 1)  # WD_STYLE_TYPE.PARAGRAPH
    d.add_paragraph("備品の貸出", style=style)
    d.add_paragraph("ノートPCは総務課で貸し出します。")
    d.core_properties.title = "総務マニュアル"
    path = tmp_path / "manual.docx"
    d.save(str(path))
    doc = parse_document(path)
    assert doc.title == "総務マニュアル"
    assert doc.chunks[0].heading_path == ["備品の貸出"]


# --- XLSX ----------------------------------------------------------------------------------------------------


def test_xlsx_qa_sheet_one_chunk_per_row(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "FAQ"
    ws.append([])
    ws.append(["No", "質問", "回答"])
    ws.append([1, "有給休暇は何日前に申請しますか？", "原則3日前までに申請してください。"])
    ws.append([])
    ws.append([2, "通勤手当の上限は？", "月額3万円です。"])
    wb.create_sheet("空")
    cal = wb.create_sheet("休日")
    cal.append(["日付", "名称"])
    for day in range(1, 61):
        cal.append([f"2025/1/{day}", f"休日{day}"])
    path = tmp_path / "総務FAQ.xlsx"
    wb.save(str(path))
    doc = parse_document(path)
    faq = [c for c in doc.chunks if c.sheet == "FAQ"]
    assert [c.location for c in faq] == ["シート「FAQ」 行3", "シート「FAQ」 行5"]
    assert (
        faq[0].text
        == "No: 1\n質問: 有給休暇は何日前に申請しますか？\n回答: 原則3日前までに申請してください。"
    )
    assert faq[0].cell_range == "A3:C3"
    assert not [c for c in doc.chunks if c.sheet == "空"]
    holidays = [c for c in doc.chunks if c.sheet == "休日"]
    assert holidays[0].text.startswith("日付 | 名称\n2025/1/1 | 休日1")
    assert holidays[0].cell_range is not None and holidays[0].cell_range.startswith("A2:B")


def test_xlsx_formula_values_and_dates(tmp_path: Path) -> None:
    import datetime

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["日付", "件数"])
    ws.append([datetime.datetime(2025, 4, 1), 3.0])
    path = tmp_path / "log.xlsx"
    wb.save(str(path))
    doc = parse_document(path)
    assert "2025-04-01 | 3" in doc.chunks[0].text


# --- PPTX ----------------------------------------------------------------------------------------------------


def test_real_pptx_text_from_grouped_shapes(realdocs: Path) -> None:
    doc = parse_document(realdocs / "jpaoai__figures.pptx")
    assert doc.doc_type == "pptx"
    assert all(c.slide not in range(2, 12) for c in doc.chunks)  # slides 2–11 are images only
    first = doc.chunks[0]
    assert first.slide == 1 and first.location == "スライド1"
    assert "データソースとなるPDFを分割し、" in first.text
    assert "\v" not in first.text


def test_generated_pptx_groups_tables_notes_title(tmp_path: Path) -> None:
    deck = pptx.Presentation()
    slide = deck.slides.add_slide(deck.slide_layouts[0])
    slide.shapes.title.text = "総務部 新人研修"
    group = slide.shapes.add_group_shape()
    box = group.shapes.add_textbox(Inches(1), Inches(3), Inches(4), Inches(1))
    box.text_frame.text = "備品申請の流れ\v申請書を提出"
    slide.notes_slide.notes_text_frame.text = "ここで質問を受ける"
    deck.slides.add_slide(deck.slide_layouts[6])  # blank slide: no chunk
    third = deck.slides.add_slide(deck.slide_layouts[6])
    shape = third.shapes.add_table(2, 2, Inches(1), Inches(1), Inches(4), Inches(1))
    shape.table.cell(0, 0).text, shape.table.cell(0, 1).text = "項目", "担当"
    shape.table.cell(1, 0).text, shape.table.cell(1, 1).text = "名刺", "総務課"
    path = tmp_path / "研修.pptx"
    deck.save(str(path))
    doc = parse_document(path)
    assert doc.title == "総務部 新人研修"
    assert [c.slide for c in doc.chunks] == [1, 3]
    assert "備品申請の流れ\n申請書を提出" in doc.chunks[0].text
    assert "（ノート）ここで質問を受ける" in doc.chunks[0].text
    assert doc.chunks[1].text == "項目 | 担当\n名刺 | 総務課" and doc.chunks[1].location == "スライド3"


# --- HTML ----------------------------------------------------------------------------------------------------


def test_html_headings_and_dropped_noise(tmp_path: Path) -> None:
    html = (
        "<html><head><meta charset='euc-jp'><title>総務ポータル</title><style>p{}</style></head><body>"
        "<nav>ホーム | 検索</nav><h1>総務ポータル</h1><h2>休暇</h2><h3>慶弔休暇</h3>"
        "<p>結婚のときは<b>5日</b>の休暇があります。</p><script>alert(1)</script>"
        "<h2>経費</h2><ul><li>立替金は月末締め</li><li>領収書を添付</li></ul></body></html>"
    )
    path = tmp_path / "portal.html"
    path.write_bytes(html.encode("euc_jp"))
    doc = parse_document(path)
    assert doc.title == "総務ポータル" and doc.encoding == "euc-jp"
    assert [c.location for c in doc.chunks] == ["休暇 > 慶弔休暇", "経費"]
    assert "結婚のときは5日の休暇があります。" in doc.chunks[0].text
    assert "立替金は月末締め\n領収書を添付" in doc.chunks[1].text
    everything = " ".join(c.text for c in doc.chunks)
    assert "alert" not in everything and "ホーム" not in everything


# --- contract helpers -----------------------------------------------------------------------------------------


def test_supported_suffixes() -> None:
    assert (
        frozenset(
            {
                ".pdf",
                ".docx",
                ".xlsx",
                ".xlsm",
                ".pptx",
                ".txt",
                ".md",
                ".markdown",
                ".csv",
                ".tsv",
                ".html",
                ".htm",
            }
        )
        == SUPPORTED_SUFFIXES
    )


@pytest.mark.parametrize(
    ("name", "ignored"),
    [
        ("~$就業規則.docx", True),
        (".DS_Store", True),
        ("Thumbs.db", True),
        ("desktop.ini", True),
        (".hidden.md", True),
        ("作業中.tmp", True),
        ("~WRL0001.tmp", True),
        (".~lock.規程.xlsx#", True),
        ("就業規則.docx", False),
        ("出張 旅費 規程.pdf", False),
        ("~規程.md", False),
    ],
)
def test_is_ignored(name: str, ignored: bool) -> None:
    assert is_ignored(Path("/share") / name) is ignored


def test_xlsx_title_rows_above_the_header(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "台帳"
    ws.append(["2025年度 備品台帳"])
    ws.append([])
    ws.append(["管理番号", "品名", "保管場所"])
    ws.append(["PC-01", "ノートPC", "本社4F"])
    path = tmp_path / "備品.xlsx"
    wb.save(str(path))
    (chunk,) = parse_document(path).chunks
    assert chunk.text == "2025年度 備品台帳\n管理番号 | 品名 | 保管場所\nPC-01 | ノートPC | 本社4F"
    assert chunk.heading_path == ["台帳", "2025年度 備品台帳"]
    assert chunk.location == "シート「台帳」 行4" and chunk.cell_range == "A4:C4"
