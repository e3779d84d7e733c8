"""HTML pages via BeautifulSoup (html.parser): <h1>–<h4> give the heading path; scripts, styles, nav dropped."""

from __future__ import annotations

import re
from pathlib import Path

from bs4 import BeautifulSoup, CData, NavigableString, Tag

from kb.chunking import Line, nfc, sectionize, sections_to_chunks
from kb.parsing.common import meaningful_title
from kb.parsing.textdecode import decode_bytes
from kb.parsing.types import ParsedDocument

_DROP = frozenset({"script", "style", "nav", "noscript", "template", "svg", "iframe", "object", "head"})
_HEADINGS = frozenset({"h1", "h2", "h3", "h4"})
_BLOCKS = frozenset({
    "p", "div", "li", "tr", "br", "pre", "blockquote", "dt", "dd", "section", "article", "table",
    "ul", "ol", "dl", "h5", "h6", "caption", "figcaption", "address", "hr", "header", "footer", "main", "aside",
})  # fmt: skip
_CELLS = frozenset({"td", "th"})
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


_BLOCK_END = object()
_CELL_END = object()


def flatten(root: Tag) -> str:
    """The visible text with block elements on their own lines and <h1>–<h4> as marked heading lines.

    An explicit stack instead of recursion or tree edits: deeply nested pages (20,000 <div>s) stay linear
    and cannot exhaust the recursion limit.
    """
    out: list[str] = []
    stack: list[object] = [root]
    while stack:
        node = stack.pop()
        if node is _BLOCK_END:
            out.append("\n")
        elif node is _CELL_END:
            out.append(" | ")
        elif isinstance(node, NavigableString):
            if type(node) in (NavigableString, CData):  # not comments, doctypes, processing instructions
                out.append(str(node))
        elif isinstance(node, Tag):
            name = node.name
            if name in _DROP:
                continue
            if name in _HEADINGS:
                heading = " ".join(node.get_text(" ", strip=True).split())
                out.append(f"\n{_MARK}{name[1]}{heading}\n" if heading else "\n")
                continue
            if name == "br":
                out.append("\n")
                continue
            if name in _CELLS:
                stack.append(_CELL_END)
            elif name in _BLOCKS:
                out.append("\n")
                stack.append(_BLOCK_END)
            stack.extend(reversed(node.contents))
    return "".join(out)


def parse_html(path: Path, data: bytes) -> ParsedDocument:
    """Parse an .html/.htm file."""
    text, encoding = decode_html(data)
    soup = BeautifulSoup(text, "html.parser")
    title_tag = soup.find("title")
    page_title = meaningful_title(title_tag.get_text(" ", strip=True)) if title_tag else None
    h1 = soup.find("h1")
    first_h1 = " ".join(h1.get_text(" ", strip=True).split()) if h1 else ""
    lines: list[Line] = []
    for raw in nfc(flatten(soup)).split("\n"):
        line = " ".join(raw.split()).strip(" |")
        if line.startswith(_MARK):
            lines.append(Line(line[2:], level=int(line[1])))
        else:
            lines.append(Line(line))
    title = page_title or first_h1 or path.stem
    chunks = sections_to_chunks(sectionize(lines), title, fallback=lambda piece: "本文")
    return ParsedDocument(path=path, title=title, doc_type="html", chunks=chunks, encoding=encoding)
