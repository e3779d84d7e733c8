"""Hostile input: every broken, encrypted, binary, huge, vanished or oddly named file ends in a ParseError
with a Japanese and an English reason (or parses), never in a crash, and leaves no file handle open."""

from __future__ import annotations

import io
import os
import pickle
import zipfile
from pathlib import Path
from typing import Any

import docx
import openpyxl
import pptx
import psutil
import pytest
from fpdf import FPDF

from kb.chunking import MAX_CHARS
from kb.parsing import SUPPORTED_SUFFIXES, ParsedDocument, ParseError, parse_document

JUNK = bytes((i * 37 + 11) % 256 for i in range(4096))


def make_valid(path: Path) -> Path:
    """A small valid file of the type its suffix names."""
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        pdf = FPDF()
        pdf.set_font("helvetica", size=11)
        for n in range(3):
            pdf.add_page()
            pdf.multi_cell(0, 6, f"Page {n + 1}: expenses are reimbursed monthly. " * 20)
        pdf.output(str(path))
    elif suffix == ".docx":
        d = docx.Document()
        for n in range(30):
            d.add_paragraph(f"第{n + 1}条 社員は規則を守らなければならない。" * 3)
        d.save(str(path))
    elif suffix in (".xlsx", ".xlsm"):
        wb = openpyxl.Workbook()
        for n in range(200):
            wb.active.append([f"質問{n}", f"回答{n}" * 5])
        wb.save(str(path))
    elif suffix == ".pptx":
        deck = pptx.Presentation()
        for n in range(5):
            s = deck.slides.add_slide(deck.slide_layouts[1])
            s.shapes.title.text = f"スライド見出し{n}"
        deck.save(str(path))
    elif suffix in (".html", ".htm"):
        path.write_text(
            "<html><body>" + "<h2>見出し</h2><p>本文です。</p>" * 50 + "</body></html>", encoding="utf-8"
        )
    else:
        path.write_text("項目,内容\n" + "慶弔休暇,結婚のとき5日\n" * 100, encoding="cp932")
    return path


def parse_or_refuse(path: Path, **kwargs: int) -> ParsedDocument | ParseError:
    """Parse; a ParseError is an acceptable answer, anything else escaping is a bug."""
    try:
        return parse_document(path, **kwargs)
    except ParseError as e:
        assert e.reason_ja and e.reason_en
        return e


def assert_refused(path: Path, ja: str = "", en: str = "", **kwargs: int) -> ParseError:
    with pytest.raises(ParseError) as info:
        parse_document(path, **kwargs)
    assert info.value.reason_ja and info.value.reason_en
    assert ja in info.value.reason_ja
    assert en.lower() in info.value.reason_en.lower()
    return info.value


def assert_not_open(path: Path) -> None:
    open_paths = {Path(f.path).resolve() for f in psutil.Process().open_files()}
    assert path.resolve() not in open_paths


ALL = sorted(SUPPORTED_SUFFIXES)


@pytest.mark.parametrize("suffix", ALL)
def test_zero_byte_file(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"空{suffix}"
    path.write_bytes(b"")
    assert_refused(path, "空", "empty")


@pytest.mark.parametrize("suffix", ALL)
def test_junk_bytes_under_every_suffix(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"junk{suffix}"
    path.write_bytes(JUNK)
    assert_refused(path)
    assert_not_open(path)


@pytest.mark.parametrize("suffix", ALL)
@pytest.mark.parametrize("fraction", [0.1, 0.5, 0.9])
def test_truncated_files_never_crash(tmp_path: Path, suffix: str, fraction: float) -> None:
    valid = make_valid(tmp_path / f"valid{suffix}")
    data = valid.read_bytes()
    broken = tmp_path / f"truncated{suffix}"
    broken.write_bytes(data[: max(1, int(len(data) * fraction))])
    result = parse_or_refuse(broken)
    if isinstance(result, ParsedDocument):
        assert all(len(c.text) <= MAX_CHARS + 200 for c in result.chunks)
    assert_not_open(broken)


@pytest.mark.parametrize("suffix", [".txt", ".md", ".csv", ".tsv", ".html"])
def test_binary_renamed_as_text(tmp_path: Path, suffix: str) -> None:
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + JUNK
    path = tmp_path / f"画像{suffix}"
    path.write_bytes(png)
    assert_refused(path, "バイナリ", "binary")


def test_password_protected_pdf(tmp_path: Path) -> None:
    pdf = FPDF()
    pdf.set_font("helvetica", size=11)
    pdf.add_page()
    pdf.cell(0, 10, "secret salary table")
    pdf.set_encryption(owner_password="owner", user_password="secret")
    path = tmp_path / "給与 一覧.pdf"
    pdf.output(str(path))
    assert_refused(path, "パスワード", "password")
    assert_not_open(path)


def test_pdf_without_text_layer(tmp_path: Path) -> None:
    pdf = FPDF()
    pdf.add_page()
    pdf.rect(10, 10, 100, 100, style="F")  # like a scanned page: marks, no text
    path = tmp_path / "scan.pdf"
    pdf.output(str(path))
    assert_refused(path, "スキャン", "scanned")


@pytest.mark.parametrize("suffix", [".docx", ".xlsx", ".pptx"])
def test_office_file_that_is_a_zip_of_junk(tmp_path: Path, suffix: str) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("junk.bin", JUNK)
        z.writestr("[Content_Types].xml", "<not xml")
    path = tmp_path / f"報告書{suffix}"
    path.write_bytes(buf.getvalue())
    assert_refused(path, "壊れて", "damaged")


@pytest.mark.parametrize("suffix", [".docx", ".xlsx", ".pptx"])
def test_encrypted_office_file(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"暗号化{suffix}"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + JUNK)  # encrypted OOXML is an OLE container
    assert_refused(path, "パスワード", "password")


def test_file_over_the_size_limit(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_bytes("あ".encode() * 10_000)
    error = assert_refused(path, "大きすぎ", "too large", max_bytes=1000)
    assert "30,000 bytes" in error.reason_en


def test_japanese_file_names_with_spaces(tmp_path: Path) -> None:
    folder = tmp_path / "総務 部　共有"
    folder.mkdir()
    for name in [
        "就業 規則　2024.md",
        "旅費 規程.pdf",
        "新人 研修.pptx",
        "名簿 (最新).xlsx",
        "手順　書.docx",
    ]:
        path = folder / name
        if path.suffix == ".md":
            path.write_text(
                "# 就業規則\n\n## 第1条（目的）\n\n本規則は就業について定める。\n", encoding="utf-8"
            )
        else:
            make_valid(path)
        doc = parse_document(path)
        assert doc.path == path and doc.chunks


def test_file_deleted_between_listing_and_reading(tmp_path: Path) -> None:
    path = make_valid(tmp_path / "消える.docx")
    path.unlink()
    assert assert_refused(path, "ファイルが見つかりません（移動または削除されました）", "not found").transient


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root can read any file")
def test_unreadable_file(tmp_path: Path) -> None:
    path = make_valid(tmp_path / "locked.md")
    path.chmod(0)
    try:
        assert_refused(path, "開けません", "cannot open")
    finally:
        path.chmod(0o600)


def test_directory_and_unsupported_types(tmp_path: Path) -> None:
    folder = tmp_path / "notes.txt"
    folder.mkdir()
    assert_refused(folder, "フォルダー", "folder")
    exe = tmp_path / "setup.exe"
    exe.write_bytes(JUNK)
    assert_refused(exe, "対応していない", "unsupported")


def test_300k_character_line_without_spaces(tmp_path: Path) -> None:
    line = "総務" * 150_000
    path = tmp_path / "one line.txt"
    path.write_text(line + "\n", encoding="utf-8")
    doc = parse_document(path)
    assert all(len(c.text) <= MAX_CHARS for c in doc.chunks)
    assert "".join(c.text for c in doc.chunks) == line
    assert all((c.line_start, c.line_end) == (1, 1) for c in doc.chunks)


def test_huge_csv_field(tmp_path: Path) -> None:
    path = tmp_path / "wide.csv"
    path.write_text("a,b\n1," + "x" * 300_000 + "\n", encoding="utf-8")
    doc = parse_document(path)
    assert all(len(c.text) <= MAX_CHARS for c in doc.chunks)


def test_whitespace_only_text(tmp_path: Path) -> None:
    path = tmp_path / "blank.md"
    path.write_text("\n \n\t\n　\n", encoding="utf-8")
    assert_refused(path, "本文", "no text")


def test_deeply_nested_html(tmp_path: Path) -> None:
    path = tmp_path / "nested.html"
    path.write_text("<div>" * 20_000 + "深い本文" + "</div>" * 20_000, encoding="utf-8")
    result = parse_or_refuse(path)
    if isinstance(result, ParsedDocument):
        assert "深い本文" in result.chunks[0].text


def test_huge_sheet_is_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import kb.parsing.xlsx

    monkeypatch.setattr(kb.parsing.xlsx, "MAX_ROWS", 50)
    wb = openpyxl.Workbook()
    for n in range(120):
        wb.active.append([f"行{n}", "値"])
    path = tmp_path / "big.xlsx"
    wb.save(str(path))
    doc = parse_document(path)
    assert "行48" in doc.chunks[-1].text and "行50" not in "".join(c.text for c in doc.chunks)


@pytest.mark.parametrize("suffix", [".pdf", ".docx", ".xlsx", ".pptx"])
def test_no_handle_left_open_after_parsing(tmp_path: Path, suffix: str) -> None:
    path = make_valid(tmp_path / f"ok{suffix}")
    assert parse_document(path).chunks
    assert_not_open(path)


def test_parse_error_survives_pickling() -> None:
    error = pickle.loads(pickle.dumps(ParseError("使用中です", "locked", transient=True)))
    assert (error.reason_ja, error.reason_en, error.transient) == ("使用中です", "locked", True)


def test_file_locked_by_another_program(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What Windows reports for a file another program holds open exclusively (root on Linux never sees it)."""
    path = make_valid(tmp_path / "使用中.csv")
    real_open = Path.open

    def locked_open(self: Path, *args: Any, **kwargs: Any) -> Any:
        if self == path:
            raise PermissionError(13, "The process cannot access the file because it is being used")
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", locked_open)
    assert assert_refused(path, "開けません", "locked").transient


def test_large_pdf_read_through_a_file_handle_is_closed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import kb.parsing.pdf

    monkeypatch.setattr(kb.parsing.pdf, "_IN_MEMORY_LIMIT", 0)  # take the large-file path for a small file
    path = make_valid(tmp_path / "大きい 規程.pdf")
    assert parse_document(path).chunks
    assert_not_open(path)
    junk = tmp_path / "broken.pdf"
    junk.write_bytes(b"%PDF-1.7\n" + JUNK)
    assert not assert_refused(junk, "PDF", "PDF").transient
    assert_not_open(junk)


def test_library_warnings_do_not_fail_a_file(tmp_path: Path) -> None:
    """openpyxl warns about a date cell whose serial number is out of range; the rest of the sheet is read."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["日付", "件名"])
    ws.append([1e10, "壊れた日付"])
    ws["A2"].number_format = "yyyy-mm-dd"
    ws.append(["2025-04-01", "入社式"])
    path = tmp_path / "bad date.xlsx"
    wb.save(str(path))
    check = openpyxl.load_workbook(path, read_only=True, data_only=True)
    with pytest.warns(UserWarning, match="outside the limits for dates"):  # the library really warns here
        list(check.active.iter_rows(values_only=True))
    check.close()
    text = parse_document(path).chunks[0].text
    assert "壊れた日付" in text and "入社式" in text
