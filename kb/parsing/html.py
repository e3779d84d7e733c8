"""HTML pages via BeautifulSoup (html.parser): <h1>–<h4> give the heading path; scripts, styles, nav dropped."""

from __future__ import annotations

import re
from pathlib import Path

from bs4 import BeautifulSoup

from kb.chunking import Line, nfc, sectionize, sections_to_chunks
from kb.parsing.common import meaningful_title
from kb.parsing.textdecode import decode_bytes
from kb.parsing.types import ParsedDocument

_DROP = ("script", "style", "nav", "noscript", "template", "svg", "iframe", "object", "head")
_HEADINGS = ("h1", "h2", "h3", "h4")
_BLOCKS = (
    "p", "div", "li", "tr", "br", "pre", "blockquote", "dt", "dd", "section", "article", "table",
    "ul", "ol", "dl", "h5", "h6", "caption", "figcaption", "address", "hr", "header", "footer", "main", "aside",
)  # fmt: skip
_CELLS = ("td", "th")
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_\-]+)""", re.IGNORECASE)
_MARK = "\ue000"  # private-use character marking heading lines in the flattened text


def decode_html(data: bytes) -> tuple[str, str]:
    """Use the page's own <meta charset> when it decodes cleanly; otherwise detect like any text file."""
    m = _META_CHARSET.search(data[:4096])
    if m:
        name = m.group(1).decode("ascii").lower()
        try:
            return data.removeprefix(b"\xef\xbb\xbf").decode(name), name
        except (LookupError, UnicodeDecodeError):
            pass
    return decode_bytes(data)


def parse_html(path: Path, data: bytes) -> ParsedDocument:
    """Parse an .html/.htm file."""
    text, encoding = decode_html(data)
    soup = BeautifulSoup(text, "html.parser")
    title_tag = soup.find("title")
    page_title = meaningful_title(title_tag.get_text(" ", strip=True)) if title_tag else None
    for tag in soup.find_all(_DROP):
        tag.decompose()
    first_h1: str | None = None
    for tag in soup.find_all(_HEADINGS):
        heading = " ".join(tag.get_text(" ", strip=True).split())
        if not heading:
            continue
        if tag.name == "h1" and first_h1 is None:
            first_h1 = heading
        tag.replace_with(f"\n{_MARK}{tag.name[1]}{heading}\n")
    for tag in soup.find_all(_CELLS):
        tag.insert_after(" | ")
    for tag in soup.find_all(_BLOCKS):
        tag.insert_after("\n")
        if tag.name == "br":
            tag.replace_with("\n")
    flat = nfc(soup.get_text())
    lines: list[Line] = []
    for raw in flat.split("\n"):
        line = " ".join(raw.split()).strip(" |")
        if line.startswith(_MARK):
            lines.append(Line(line[2:], level=int(line[1])))
        else:
            lines.append(Line(line))
    title = page_title or first_h1 or path.stem
    chunks = sections_to_chunks(sectionize(lines), title, fallback=lambda piece: "本文")
    return ParsedDocument(path=path, title=title, doc_type="html", chunks=chunks, encoding=encoding)
