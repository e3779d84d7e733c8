"""PDF text via pypdfium2, with the text layer repaired and chunks cut by article within each page.

Japanese PDFs made by word processors often come out with spaces and line breaks inside words
(「継続24 時間」, 「年次有給\\n休暇」); searching and reading both suffer. The repair removes whitespace between two
CJK characters (or CJK and a digit) and joins lines broken mid-sentence, but keeps the line breaks that carry
structure: before 第N条, numbered paragraphs (２ …, ①, （１）), 【…】 headings and （title） lines.
"""

from __future__ import annotations

import re
from pathlib import Path

import pypdfium2

from kb.chunking import Line, nfc, sectionize, sections_to_chunks
from kb.parsing.common import meaningful_title
from kb.parsing.types import ParsedDocument, ParseError

_CJK = (
    "\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff01-\uff60\uff61-\uff9f\u2460-\u24ff"
)
_CJK_OR_DIGIT = f"[{_CJK}0-9]"
# Spaces between CJK/digit neighbours, except between two ASCII digits ("10 11" stays apart).
_INNER_SPACE = re.compile(rf"(?<={_CJK_OR_DIGIT})[ \t\u00a0]+(?={_CJK_OR_DIGIT})")
_DIGIT_GAP = re.compile(r"(?<=[0-9])[ \t\u00a0]+(?=[0-9])")
_LEADING_MARKER = re.compile(
    r"^(【?第[0-9０-９〇一二三四五六七八九十百千]+[条章節編款](?:の[0-9０-９一二三四五六七八九十]+)?"
    r"|[０-９]{1,3}|[0-9]{1,3}(?=[ \u3000]+\S{8})|[\u2460-\u24ff]|[（(][0-9０-９一二三四五六七八九十ア-ンｱ-ﾝ]{1,3}[）)])"
    r"[ \u3000]+"
)
_STARTS_BLOCK = re.compile(
    r"^(【|第[0-9０-９〇一二三四五六七八九十百千]+[条章節編款]|[０-９]{1,3}[ \u3000]|[0-9]{1,3}[ \u3000]+\S{8}|"
    r"[\u2460-\u24ff]|"
    r"[（(][0-9０-９一二三四五六七八九十ア-ンｱ-ﾝ]{1,3}[）)]|[・●○■□◆◇※＊*]|\[|［)"
)
_STANDALONE = re.compile(
    r"^([（(][^（）()]{1,30}[）)]|【[^】]*】|第[0-9０-９〇一二三四五六七八九十百千]+[章節編款].{0,30})$"
)
_PAGE_LABEL = re.compile(r"^[-－–—\s]*[0-9０-９]{1,4}[-－–—\s]*$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_ENDS_SENTENCE = ("。", "：", ":", "」", "．")

_IN_MEMORY_LIMIT = 64 * 1024 * 1024
PASSWORD_ERROR = ("パスワードで保護されたPDFです", "The PDF is password-protected")


def _repair_inline(line: str) -> str:
    m = _LEADING_MARKER.match(line)
    head, rest = (line[: m.end()].rstrip() + " ", line[m.end() :]) if m else ("", line)
    protected = _DIGIT_GAP.sub("\x00", rest)  # keep "10 11" apart while closing "24 時間"
    return head + _INNER_SPACE.sub("", protected).replace("\x00", " ")


def repair_page_text(raw: str) -> list[str]:
    """Lines of one PDF page with broken words and mid-sentence line breaks mended (blank lines kept)."""
    text = _CONTROL.sub("", raw.replace("\r\n", "\n").replace("\r", "\n"))
    lines = [ln.strip() for ln in text.split("\n")]
    nonblank = [i for i, ln in enumerate(lines) if ln]
    for i in (nonblank[:1] + nonblank[-1:]) if nonblank else []:
        if _PAGE_LABEL.match(lines[i]):  # printed page number ("- 38 -") at the top or bottom
            lines[i] = ""
    # A line that was wrapped mid-sentence runs (nearly) the full text width; a shorter one ended on purpose
    # (a title, a table cell, the last line of a paragraph).
    lengths = sorted(len(ln) for ln in lines if ln)
    full_width = lengths[(len(lengths) * 9) // 10] if lengths else 0
    out: list[str] = []
    last_len = 0
    for ln in lines:
        if not ln:
            if out and out[-1]:
                out.append("")
            continue
        physical_len = len(ln)
        ln = _repair_inline(ln)
        prev = out[-1] if out else ""
        wrapped = last_len >= full_width * 0.7
        last_len = physical_len
        if (
            prev
            and wrapped
            and not prev.endswith(_ENDS_SENTENCE)
            and not _STANDALONE.match(prev)
            and not _STARTS_BLOCK.match(ln)
            and not _STANDALONE.match(ln)
        ):
            sep = (
                " "
                if prev[-1].isascii() and ln[0].isascii() and prev[-1].isalnum() and ln[0].isalnum()
                else ""
            )
            out[-1] = prev + sep + ln
        else:
            out.append(ln)
    return out


def _open(path: Path) -> pypdfium2.PdfDocument:
    """Open from memory (small files) or from a Python file object that pdf.close() closes (large ones).

    Either way Python owns the handle, so nothing stays locked after close() and non-ASCII paths work on
    every platform.
    """
    if path.stat().st_size <= _IN_MEMORY_LIMIT:
        return pypdfium2.PdfDocument(path.read_bytes())
    handle = path.open("rb")
    try:
        return pypdfium2.PdfDocument(handle, autoclose=True)
    except BaseException:
        handle.close()
        raise


def _page_text(pdf: pypdfium2.PdfDocument, index: int) -> str:
    """Text of one page; a damaged page gives "" rather than losing the whole document."""
    try:
        page = pdf[index]
    except pypdfium2.PdfiumError:
        return ""
    try:
        textpage = page.get_textpage()
        try:
            return str(textpage.get_text_range())
        finally:
            textpage.close()
    except pypdfium2.PdfiumError:
        return ""
    finally:
        page.close()


def _title(pdf: pypdfium2.PdfDocument, path: Path) -> str:
    try:
        metadata = pdf.get_metadata_dict()
    except (pypdfium2.PdfiumError, UnicodeDecodeError, ValueError):
        metadata = {}
    return meaningful_title(metadata.get("Title")) or path.stem


def parse_pdf(path: Path) -> ParsedDocument:
    """Parse a PDF file page by page; the document is always closed, so the file is never left locked."""
    try:
        pdf = _open(path)
    except pypdfium2.PdfiumError as e:
        if "password" in str(e).lower():
            raise ParseError(*PASSWORD_ERROR) from None
        raise ParseError(
            "PDFとして読めません（壊れているか、PDFではありません）", f"Not a readable PDF ({e})"
        ) from None
    lines: list[Line] = []
    try:
        title = _title(pdf, path)
        for index in range(len(pdf)):
            for text in repair_page_text(nfc(_page_text(pdf, index))):
                lines.append(Line(text, page=index + 1))
    finally:
        pdf.close()
    chunks = sections_to_chunks(sectionize(lines), title, by_page=True)
    return ParsedDocument(path=path, title=title, doc_type="pdf", chunks=chunks)
