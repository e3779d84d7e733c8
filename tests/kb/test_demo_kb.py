"""The demo knowledge base (kb/demo) and the demo logbook are shipped data: check they are what they claim.

Each file is opened with the library the product uses for its format (not with the product's own parser, so
a parser bug cannot hide a broken demo file), the legacy encodings are really legacy, the facts agree across
documents, and the generator still reproduces the committed files.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import importlib.util
import io
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
DEMO = REPO_ROOT / "kb" / "demo"
ABOUT = DEMO / ".about"
LOGBOOK = REPO_ROOT / "desktop" / "data" / "demo_logbook.json"
GENERATOR = REPO_ROOT / "installers" / "make_demo_kb.py"

DOCUMENTS = {
    "docx": DEMO / "経費精算規程.docx",
    "pdf": DEMO / "出張旅費規程.pdf",
    "md": DEMO / "慶弔見舞金規程.md",
    "xlsx": DEMO / "社内よくある質問.xlsx",
    "pptx": DEMO / "防災・避難マニュアル.pptx",
    "html": DEMO / "オフィス利用ガイド.html",
    "txt": DEMO / "社用車利用ルール.txt",
    "csv": DEMO / "備品一覧.csv",
}

# DESIGN.md §5
NOTE_CATEGORIES = {
    "設備・備品",
    "空調・照明・騒音",
    "安全・防災",
    "清掃・衛生",
    "IT・機器",
    "制度・ルール",
    "働き方・人間関係",
    "その他",
}
SEVERITIES = {"低", "中", "高", "緊急"}
NOTE_STATUSES = {"新規", "対応中", "対応済", "見送り"}
CHANNELS = {"電話", "対面", "メール", "チャット", "その他"}
INQUIRY_STATUSES = {"解決", "保留", "要対応"}
RESOLUTIONS = {"回答済", "規程改訂へ", "他部署へ回付", "回答不能"}


# --- text extraction with each format's own library ---------------------------------------------------
def docx_text(path: Path) -> str:
    import docx

    document = docx.Document(str(path))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        parts += [cell.text for row in table.rows for cell in row.cells]
    return "\n".join(parts)


def pdf_pages(path: Path) -> list[str]:
    import pypdfium2

    pdf = pypdfium2.PdfDocument(str(path))
    try:
        pages = []
        for page in pdf:
            textpage = page.get_textpage()
            pages.append(textpage.get_text_range())
            textpage.close()
            page.close()
        return pages
    finally:
        pdf.close()


def xlsx_rows(path: Path, sheet: str = "FAQ") -> list[tuple[Any, ...]]:
    import openpyxl

    wb = openpyxl.load_workbook(str(path), read_only=True)
    try:
        return [tuple(row) for row in wb[sheet].iter_rows(values_only=True)]
    finally:
        wb.close()


def pptx_slides(path: Path) -> list[str]:
    from pptx import Presentation

    slides = []
    for slide in Presentation(str(path)).slides:
        parts = []
        for shape in slide.shapes:
            if shape.has_text_frame:
                parts.append(shape.text_frame.text)
            if shape.has_table:
                parts += [cell.text for row in shape.table.rows for cell in row.cells]
        slides.append("\n".join(parts))
    return slides


def document_text(kind: str) -> str:
    path = DOCUMENTS[kind]
    if kind == "docx":
        return docx_text(path)
    if kind == "pdf":
        return "\n".join(pdf_pages(path))
    if kind == "xlsx":
        return "\n".join(str(v) for row in xlsx_rows(path) for v in row if v is not None)
    if kind == "pptx":
        return "\n".join(pptx_slides(path))
    if kind in ("txt", "csv"):
        return path.read_bytes().decode("cp932")
    return path.read_text(encoding="utf-8")


def load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_demo_kb", GENERATOR)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- the knowledge base -------------------------------------------------------------------------------
def test_every_format_is_present_once_and_small() -> None:
    for kind, path in DOCUMENTS.items():
        assert path.is_file(), f"missing demo document for {kind}: {path.name}"
        assert 1_000 < path.stat().st_size < 1_000_000, path.name
    # Everything visible in kb/demo is indexed by `make run`; notes about the demo live in the hidden .about/
    # folder (the indexer skips hidden folders), or QUESTIONS.md would outrank the rules it quotes.
    visible = sorted(p.name for p in DEMO.iterdir() if not p.name.startswith("."))
    assert visible == sorted(p.name for p in DOCUMENTS.values())
    assert (ABOUT / "README.md").is_file()


def test_txt_is_shift_jis_not_utf8() -> None:
    raw = DOCUMENTS["txt"].read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    text = raw.decode("cp932")
    assert text.startswith("社用車利用ルール")
    assert "第7条（アルコールチェック）" in text
    assert "前日17時までに予約" in text
    assert len(re.findall(r"^第\d+条", text, flags=re.MULTILINE)) >= 10


def test_csv_is_cp932_and_keeps_codes_as_text() -> None:
    raw = DOCUMENTS["csv"].read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    rows = list(csv.DictReader(io.StringIO(raw.decode("cp932"), newline="")))
    assert list(rows[0]) == ["管理番号", "品名", "数量", "保管場所", "購入日", "備考"]
    assert 55 <= len(rows) <= 70
    codes = [row["管理番号"] for row in rows]
    assert len(set(codes)) == len(codes)
    assert all(re.fullmatch(r"[A-Z]{2,3}-\d{4}", code) for code in codes), codes
    assert {"PC-0231", "CH-0012", "CAR-0001"} <= set(codes)
    for row in rows:
        assert int(row["数量"]) >= 1
        dt.datetime.strptime(row["購入日"], "%Y/%m/%d")


def test_docx_opens_and_has_articles() -> None:
    text = docx_text(DOCUMENTS["docx"])
    for expected in (
        "経費精算規程",
        "第5条（締め日及び申請期限）",
        "翌月10日まで",
        "立替金",
        "領収書",
        "交際費",
        "第14条（承認フロー）",
        "様式第1号",
        "承認権限表",
    ):
        assert expected in text, expected


def test_pdf_has_a_japanese_text_layer() -> None:
    pages = pdf_pages(DOCUMENTS["pdf"])
    assert 1 <= len(pages) <= 5
    assert "出張旅費規程" in pages[0]
    assert "第1条（目的）" in pages[0]
    whole = "\n".join(pages)
    for expected in ("日当", "宿泊費上限（甲地）", "12,000円", "様式第12号", "帰着日から7日以内"):
        assert expected in whole, expected


def test_xlsx_faq_sheet() -> None:
    rows = xlsx_rows(DOCUMENTS["xlsx"])
    assert rows[0] == ("No.", "分類", "質問", "回答", "根拠規程", "更新日")
    body = [row for row in rows[1:] if any(v is not None for v in row)]
    assert 28 <= len(body) <= 40
    categories = {row[1] for row in body}
    assert {"経費", "出張", "休暇", "備品", "IT", "施設", "社用車", "防災"} <= categories
    for row in body:
        assert row[2] and row[3] and row[4]
        assert isinstance(row[5], dt.datetime)  # a real date cell, not text


def test_pptx_slides() -> None:
    slides = pptx_slides(DOCUMENTS["pptx"])
    assert 7 <= len(slides) <= 10
    whole = "\n".join(slides)
    for expected in ("地震発生時", "火災発生時", "集合場所", "安否確認", "備蓄品", "自衛消防隊", "保存水"):
        assert expected in whole, expected


def test_markdown_and_html() -> None:
    md = DOCUMENTS["md"].read_text(encoding="utf-8")
    assert "| 本人の結婚 | 5日 |" in md
    assert "| 配偶者の出産 | 2日 |" in md
    assert "| 父母の死亡 | 5日 |" in md

    class Headings(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.tags: list[str] = []

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            if tag in ("h1", "h2", "h3"):
                self.tags.append(tag)

    parser = Headings()
    html = DOCUMENTS["html"].read_text(encoding="utf-8")
    parser.feed(html)
    assert parser.tags.count("h1") == 1 and parser.tags.count("h2") >= 6 and "h3" in parser.tags
    for expected in ("会議室予約", "入退館", "空調", "ごみ分別", "郵便・宅配", "来客対応"):
        assert f">{expected}</h2>" in html, expected


# Where the FAQ, QUESTIONS.md and the logbook cite "<title> 第N条", that article must exist in the title's file.
TITLES = {
    "経費精算規程": "docx",
    "出張旅費規程": "pdf",
    "慶弔見舞金規程": "md",
    "社内よくある質問": "xlsx",
    "防災・避難マニュアル": "pptx",
    "オフィス利用ガイド": "html",
    "社用車利用ルール": "txt",
    "備品一覧": "csv",
}


@functools.cache
def slide_count() -> int:
    return len(pptx_slides(DOCUMENTS["pptx"]))


@functools.cache
def travel_pages() -> tuple[str, ...]:
    return tuple(pdf_pages(DOCUMENTS["pdf"]))


def check_pdf_page(citation: str, page: int) -> None:
    """ "p.N 第k条" must name a page that article is on (it may have started on an earlier page)."""
    pages = travel_pages()
    assert 1 <= page <= len(pages), citation

    def first_page(marker: str) -> int:
        return next((i + 1 for i, text in enumerate(pages) if marker in text), len(pages) + 1)

    for number in re.findall(r"第(\d+)条", citation):
        start = first_page(f"第{number}条（")
        end = min(first_page(f"第{int(number) + 1}条（"), len(pages))
        assert start <= page <= end, f"{citation}: 第{number}条 is on pp.{start}-{end}"
    for table in re.findall(r"別表第\d+", citation):
        assert f"{table}　" in pages[page - 1], citation  # the table caption, not a mention


def check_citation(citation: str, texts: dict[str, str]) -> None:
    title = next((t for t in TITLES if citation.startswith(t)), None)
    assert title is not None, f"cites an unknown document: {citation}"
    text = texts[TITLES[title]]
    for article in re.findall(r"第\d+条", citation):
        assert re.search(article + r"（", text), f"{citation}: {article} not in {title}"
    for slide in re.findall(r"スライド(\d+)", citation):
        assert int(slide) <= slide_count(), citation
    for page in re.findall(r"p\.(\d+)", citation):
        check_pdf_page(citation, int(page))
    if title == "備品一覧":  # "行 7（PC-0240）": that row holds that code
        lines = text.splitlines()
        for row, code in re.findall(r"行 ?(\d+)（([A-Z]+-\d+)）", citation):
            assert lines[int(row) - 1].startswith(code + ","), citation
    if title == "社内よくある質問":  # "シート「FAQ」 行24": a question row of the sheet
        for row in re.findall(r"行(\d+)", citation):
            assert 2 <= int(row) <= len(xlsx_rows(DOCUMENTS["xlsx"])), citation
    for quoted in re.findall(r"(?<!シート)「(.+?)」", citation):
        assert quoted in text, f"{citation}: {quoted} not in {title}"


@pytest.fixture(scope="module")
def all_texts() -> dict[str, str]:
    return {kind: document_text(kind) for kind in DOCUMENTS}


def test_faq_citations_point_at_real_articles(all_texts: dict[str, str]) -> None:
    for row in xlsx_rows(DOCUMENTS["xlsx"])[1:]:
        if row[4]:
            check_citation(str(row[4]), all_texts)


def test_questions_file_cites_real_sources(all_texts: dict[str, str]) -> None:
    text = (ABOUT / "QUESTIONS.md").read_text(encoding="utf-8")
    sources = re.findall(r"^\s*- 出典: (.+)$", text, flags=re.MULTILINE)
    assert len(re.findall(r"^## Q\d+", text, flags=re.MULTILINE)) == 15
    assert len(sources) == 15
    for source in sources:
        check_citation(source.strip(), all_texts)


def test_generator_reproduces_the_committed_files(tmp_path: Path) -> None:
    generator = load_generator()
    generator.build_txt(tmp_path / "t.txt")
    generator.build_csv(tmp_path / "c.csv")
    assert (tmp_path / "t.txt").read_bytes() == DOCUMENTS["txt"].read_bytes()
    assert (tmp_path / "c.csv").read_bytes() == DOCUMENTS["csv"].read_bytes()
    generator.build_docx(tmp_path / "d.docx")
    assert docx_text(tmp_path / "d.docx") == docx_text(DOCUMENTS["docx"])
    generator.build_xlsx(tmp_path / "x.xlsx")
    assert xlsx_rows(tmp_path / "x.xlsx") == xlsx_rows(DOCUMENTS["xlsx"])
    generator.build_pptx(tmp_path / "p.pptx")
    assert pptx_slides(tmp_path / "p.pptx") == pptx_slides(DOCUMENTS["pptx"])


def test_generator_reproduces_the_pdf(tmp_path: Path) -> None:
    pytest.importorskip("fpdf", reason="fpdf2 is in the `demo` extra only")
    generator = load_generator()
    if not any(Path(path).is_file() for path, _ in generator.FONT_CANDIDATES):
        pytest.skip("no Japanese font installed (fonts-noto-cjk)")
    generator.build_pdf(tmp_path / "t.pdf", generator.find_japanese_font(None))
    assert pdf_pages(tmp_path / "t.pdf") == pdf_pages(DOCUMENTS["pdf"])


# --- the demo logbook ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def logbook() -> dict[str, Any]:
    data = json.loads(LOGBOOK.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def is_date(value: Any) -> bool:
    try:
        dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        return False
    return True


def test_logbook_floor_notes(logbook: dict[str, Any]) -> None:
    assert "_about" in logbook
    notes = logbook["notes"]
    assert 50 <= len(notes) <= 80
    assert len({n["id"] for n in notes}) == len(notes)
    for note in notes:
        assert note["category"] in NOTE_CATEGORIES, note
        assert note["severity"] in SEVERITIES, note
        assert note["status"] in NOTE_STATUSES, note
        assert note["place"] and note["department"] and note["text"] and note["owner"]
        occurred = dt.datetime.fromisoformat(note["occurred_at"])
        assert dt.datetime(2025, 11, 26) <= occurred <= dt.datetime(2026, 11, 26)
        assert note["due_date"] == "" or is_date(note["due_date"])
        if note["status"] == "対応済":
            assert is_date(note["resolved_date"]), note
            assert dt.date.fromisoformat(note["resolved_date"]) >= occurred.date()
        else:
            assert note["resolved_date"] == "", note
        assert isinstance(note["anonymous"], bool)
        if note["anonymous"]:
            assert note["speaker"] == ""
        for follow_up in note["followups"]:
            assert dt.datetime.fromisoformat(follow_up["at"]) >= occurred
            assert follow_up["staff"] and follow_up["text"]
    assert {n["category"] for n in notes} == NOTE_CATEGORIES
    assert {n["severity"] for n in notes} == SEVERITIES
    assert {n["status"] for n in notes} == NOTE_STATUSES
    assert any(n["anonymous"] for n in notes) and any(n["followups"] for n in notes)
    assert any(n["cause"] and n["countermeasure"] for n in notes), "some near misses (ヒヤリハット)"


def test_logbook_inquiries(logbook: dict[str, Any], all_texts: dict[str, str]) -> None:
    inquiries = logbook["inquiries"]
    assert 50 <= len(inquiries) <= 80
    assert len({q["id"] for q in inquiries}) == len(inquiries)
    for inquiry in inquiries:
        assert inquiry["channel"] in CHANNELS, inquiry
        assert inquiry["status"] in INQUIRY_STATUSES, inquiry
        assert inquiry["resolution"] in RESOLUTIONS, inquiry
        assert inquiry["department"] and inquiry["question"] and inquiry["answer"] and inquiry["staff"]
        assert inquiry["category"]
        assert isinstance(inquiry["minutes"], int) and 1 <= inquiry["minutes"] <= 120
        occurred = dt.datetime.fromisoformat(inquiry["occurred_at"])
        assert dt.datetime(2025, 11, 26) <= occurred <= dt.datetime(2026, 11, 26)
        for source in inquiry["sources"]:
            assert (DEMO / source["path"]).is_file(), source
            assert source["title"] == Path(source["path"]).stem
            check_citation(f"{source['title']} {source['location']}", all_texts)
        assert inquiry["rating"] in ("Good", "Bad", "")
        assert bool(inquiry["rating"]) == bool(inquiry["rating_reason"])
    assert {q["channel"] for q in inquiries} == CHANNELS
    assert {q["status"] for q in inquiries} == INQUIRY_STATUSES
    assert {q["resolution"] for q in inquiries} == RESOLUTIONS
    assert {q["rating"] for q in inquiries} == {"Good", "Bad", ""}
    assert len([q for q in inquiries if not q["sources"]]) >= 3, "a few questions the rules do not answer"
    cited = [(s["path"], s["location"]) for q in inquiries for s in q["sources"]]
    assert len({c for c in cited if cited.count(c) >= 3}) >= 3, "some questions come back again and again"


def test_logbook_loads_into_the_logbook_records(logbook: dict[str, Any]) -> None:
    """The demo data must be loadable as the product's own records (desktop/logbook/records.py)."""
    records = pytest.importorskip("desktop.logbook.records")
    for data in logbook["notes"]:
        note = records.Note(**{**data, "followups": [records.FollowUp(**f) for f in data["followups"]]})
        note.validate(list(records.DEFAULT_NOTE_CATEGORIES))
    for data in logbook["inquiries"]:
        inquiry = records.Inquiry(**{**data, "sources": [records.Source(**s) for s in data["sources"]]})
        inquiry.validate(list(records.DEFAULT_INQUIRY_CATEGORIES))
