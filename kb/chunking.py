"""Structure-aware chunking: cut documents along their own structure (chapters, articles, headings, pages).

A citation should point at one article or one page region, so chunks follow the document's structure and
only fall back to size limits when a section is too long. Japanese rules (就業規則, 規程) are built from
第N章 / 第N条 headings; these are recognised in any format, also with full-width or kanji numerals
(第２４条, 第二十四条, 第24条の2), and reported as a normalised label ("第24条の2").

Everything here runs in linear time in the text length: a 300,000-character line without spaces is cut by
characters in bounded windows, never by repeated re-scanning.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from kb.parsing.types import Chunk

MAX_CHARS = 1200
TARGET_CHARS = 800
MIN_CHARS = 200

_NUM = r"[0-9０-９]+|[〇零一二三四五六七八九十百千]+"
_KANJI_DIGITS = {
    "〇": 0,
    "零": 0,
    "一": 1,
    "二": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_KANJI_UNITS = {"十": 10, "百": 100, "千": 1000}

# 第N条 at the start of a line, followed by the end, a space, a bracket or 】: "第３９条第５項" (a reference
# wrapped onto a new line) and "第3条の規定" are not headings.
ARTICLE_RE = re.compile(rf"^(【)?第({_NUM})条(?:の({_NUM}))?(?=$|[\s　（(】])")
_CHAPTER_RE = re.compile(rf"^第({_NUM})(編|章|節|款)(?=$|[\s　（(])")
_TOC_LEADERS = re.compile(r"…|‥|・・・|\.\.\.|･･･")
PAREN_TITLE_RE = re.compile(r"^[（(]([^（）()]{1,30})[）)]$")
_PAREN_LEAD_RE = re.compile(r"^[（(]([^（）()]{1,30})[）)]")
_SENTENCE_MARKS = re.compile(r"[。、，,.]")

# Levels of headings found by pattern; markup headings (#, Heading 1, <h2>) use 1–6 and sit above these.
_LEVEL_OF = {"編": 7, "章": 8, "節": 9, "款": 9}
ARTICLE_LEVEL = 10


def kanji_number(text: str) -> int | None:
    """Value of a kanji numeral such as 二十四, 百二 or 一〇 (None when it is not one)."""
    total = 0
    current = 0
    for ch in text:
        if ch in _KANJI_DIGITS:
            current = current * 10 + _KANJI_DIGITS[ch]
        elif ch in _KANJI_UNITS:
            total += (current or 1) * _KANJI_UNITS[ch]
            current = 0
        else:
            return None
    return total + current


def _number(text: str) -> str:
    normal = unicodedata.normalize("NFKC", text)
    if normal.isdigit():
        return str(int(normal))
    value = kanji_number(text)
    return str(value) if value is not None else text


def article_label(number: str, sub: str | None = None) -> str:
    """Normalised article label: ("２４", None) → "第24条", ("二十四", "二") → "第24条の2"."""
    label = f"第{_number(number)}条"
    return f"{label}の{_number(sub)}" if sub else label


def find_article(text: str) -> str | None:
    """The article a heading or line names at its start ("第24条（年次有給休暇）" → "第24条"), else None."""
    m = ARTICLE_RE.match(text.strip())
    return article_label(m.group(2), m.group(3)) if m else None


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def split_text(text: str, max_chars: int = MAX_CHARS, target: int = TARGET_CHARS) -> list[str]:
    """Cut text into pieces of at most max_chars, preferring paragraph, sentence, then word boundaries.

    Each cut looks only inside a window of max_chars, so the whole run is linear in len(text).
    """
    text = text.strip()
    if len(text) <= max_chars:
        return [text] if text else []
    pieces: list[str] = []
    start = 0
    n = len(text)
    while n - start > max_chars:
        window = text[start : start + max_chars]
        cut = -1
        for sep in ("\n\n", "\n", "。", "．", "！", "？", ". ", "、", "，", " ", "　"):
            pos = window.rfind(sep, MIN_CHARS)
            if pos != -1:
                cut = pos + len(sep)
                break
        if cut <= 0:
            cut = target  # no boundary at all (a long code or a line without spaces): cut by characters
        piece = window[:cut].strip()
        if piece:
            pieces.append(piece)
        start += cut
    rest = text[start:].strip()
    if rest:
        pieces.append(rest)
    return pieces


@dataclass(slots=True)
class Line:
    """One line of a document as a parser sees it. level is set for markup headings (#, Heading 1, <h2>)."""

    text: str
    number: int | None = None
    level: int | None = None
    page: int | None = None


@dataclass
class Section:
    """A run of lines under one heading (and on one page for PDFs)."""

    heading_path: list[str]
    article: str | None
    lines: list[Line] = field(default_factory=list)
    page: int | None = None
    continued: bool = False  # an article or heading that went on from the previous page
    heading_only: bool = True  # nothing but its heading lines so far


@dataclass(slots=True)
class Piece:
    """A bounded part of a section, ready to become a chunk."""

    text: str
    line_start: int | None
    line_end: int | None
    part: int
    parts: int


@dataclass(slots=True)
class _Heading:
    level: int
    text: str
    article: str | None


def classify_heading(text: str) -> tuple[int, str, str | None, bool] | None:
    """(level, label, article, title_only) for a 第N章 / 第N条 / 【第N条 …】 heading line; None for body text."""
    if not text or text[0] not in "第【" or _TOC_LEADERS.search(text):
        return None
    m = ARTICLE_RE.match(text)
    if m:
        article = article_label(m.group(2), m.group(3))
        rest = text[m.end() :].strip()
        if m.group(1):  # 【第２３条 年次有給休暇】 — commentary heading in the MHLW model rules
            name = rest.rstrip("】").strip()
            return ARTICLE_LEVEL, f"【{article} {name}】" if name else f"【{article}】", article, True
        if not rest:
            return ARTICLE_LEVEL, article, article, True
        paren = PAREN_TITLE_RE.match(rest)
        if paren:
            return ARTICLE_LEVEL, f"{article}（{paren.group(1).strip()}）", article, True
        lead = _PAREN_LEAD_RE.match(rest)
        if lead:  # "第1条（目的）この規程は…": title and body on one line
            return ARTICLE_LEVEL, f"{article}（{lead.group(1).strip()}）", article, False
        if len(rest) <= 20 and not _SENTENCE_MARKS.search(rest):
            return ARTICLE_LEVEL, f"{article}（{rest}）", article, True
        return ARTICLE_LEVEL, article, article, False
    m = _CHAPTER_RE.match(text)
    if m and len(text) <= 40:
        rest = text[m.end() :].strip()
        label = f"第{_number(m.group(1))}{m.group(2)}"
        return _LEVEL_OF[m.group(2)], f"{label} {rest}" if rest else label, None, True
    return None


class _Sectionizer:
    """State of one pass over a document's lines (see sectionize)."""

    def __init__(self) -> None:
        self.sections: list[Section] = []
        self.stack: list[_Heading] = []
        self.current = Section(heading_path=[], article=None)

    def _new(self, page: int | None) -> Section:
        article = next((h.article for h in reversed(self.stack) if h.article), None)
        return Section(heading_path=[h.text for h in self.stack], article=article, page=page)

    def open(
        self, level: int, label: str, article: str | None, page: int | None, carried: list[Line]
    ) -> None:
        self.sections.append(self.current)
        while self.stack and self.stack[-1].level >= level:
            self.stack.pop()
        self.stack.append(_Heading(level, label, article))
        self.current = self._new(page)
        self.current.lines.extend(carried)

    def new_page(self, page: int | None) -> None:
        if self.current.lines:
            self.sections.append(self.current)
            self.current = self._new(page)
            self.current.continued = bool(self.stack)
            self.current.heading_only = False
        self.current.page = page


def sectionize(lines: Iterable[Line]) -> list[Section]:
    """Group lines into sections by markup headings, 第N章/第N節 and 第N条 lines, and page changes.

    A run of title-only article lines (a table of contents: 第1条（目的） / 第2条（適用範囲） / …) is text,
    not a run of empty articles; a run of 【第35条 …】【第36条 …】 lines heads one commentary together.
    """
    items = list(lines)
    state = _Sectionizer()
    for i, ln in enumerate(items):
        text = ln.text.strip()
        if ln.page != state.current.page:
            state.new_page(ln.page)
        cur = state.current
        if ln.level is not None and text:
            kind = classify_heading(text)
            label = kind[1] if kind is not None and kind[3] and not kind[1].startswith("【") else text
            state.open(ln.level, label, find_article(text), ln.page, [ln])
            continue
        kind = classify_heading(text)
        if kind is not None:
            level, label, article, title_only = kind
            if label.startswith("【"):
                last = cur.lines[-1].text.strip() if cur.lines else ""
                if cur.heading_only and last.startswith("【") and state.stack:
                    state.stack[-1].text += label
                    cur.heading_path[-1] = state.stack[-1].text
                    cur.lines.append(ln)
                    continue
            elif (
                title_only
                and level == ARTICLE_LEVEL
                and (_is_toc_neighbour(items, i, 1) or _is_toc_neighbour(items, i, -1))
            ):
                kind = None  # a table of contents line: 第1条（目的） / 第2条（適用範囲） / …
        if kind is not None:
            level, label, article, title_only = kind
            carried: list[Line] = []
            bracket_title = (
                PAREN_TITLE_RE.match(cur.lines[-1].text.strip()) if article and cur.lines else None
            )
            if bracket_title:
                # "（年次有給休暇）" just above "第２３条 …" is the article's title
                carried = [cur.lines.pop()]
                cur.heading_only = all(_is_heading_line(x) for x in cur.lines)
                if label == article:
                    label += f"（{bracket_title.group(1).strip()}）"
            state.open(level, label, article, ln.page, carried)
            state.current.lines.append(ln)
            state.current.heading_only = title_only
            continue
        cur.lines.append(ln)
        if text:
            cur.heading_only = False
    state.sections.append(state.current)
    return _drop_empty(state.sections)


def _is_heading_line(line: Line) -> bool:
    """Blank, a markup heading, or a heading line without body text (第1章 総則, 第1条（目的）, 【…】)."""
    text = line.text.strip()
    if not text or line.level is not None:
        return True
    kind = classify_heading(text)
    return kind is not None and kind[3]


def _is_toc_neighbour(items: list[Line], i: int, step: int) -> bool:
    """Whether the line just before/after items[i] (same page, no blank line between) is a contents line."""
    j = i + step
    if not 0 <= j < len(items) or items[j].page != items[i].page:
        return False
    text = items[j].text.strip()
    if not text:
        return False
    if _TOC_LEADERS.search(text):
        return True
    kind = classify_heading(text)
    return kind is not None and kind[0] == ARTICLE_LEVEL and kind[3] and not kind[1].startswith("【")


def _drop_empty(sections: list[Section]) -> list[Section]:
    """Drop sections without text, and heading-only sections whose heading opens the next section's path."""
    kept: list[Section] = []
    for i, sec in enumerate(sections):
        if not any(ln.text.strip() for ln in sec.lines):
            continue
        if sec.heading_only and i + 1 < len(sections):
            nxt = sections[i + 1]
            n = len(sec.heading_path)
            if n and len(nxt.heading_path) > n and nxt.heading_path[:n] == sec.heading_path:
                continue
        kept.append(sec)
    return kept


def _units(lines: list[Line]) -> Iterator[tuple[str, int | None, int | None]]:
    """Paragraphs (runs of lines between blank lines) with their first and last line numbers."""
    buf: list[str] = []
    first: int | None = None
    last: int | None = None
    for ln in lines:
        text = ln.text.rstrip()
        if not text.strip():
            if buf:
                yield "\n".join(buf), first, last
                buf = []
            continue
        if not buf:
            first = ln.number
        buf.append(text.strip() if ln.level is not None else text)
        last = ln.number
    if buf:
        yield "\n".join(buf), first, last


def split_section(lines: list[Line], max_chars: int = MAX_CHARS, target: int = TARGET_CHARS) -> list[Piece]:
    """Cut a section into bounded pieces: whole when it fits, else paragraphs packed up to the target size."""
    units: list[tuple[str, int | None, int | None]] = []
    for text, first, last in _units(lines):
        if len(text) > max_chars:
            units.extend((part, first, last) for part in split_text(text, max_chars, target))
        else:
            units.append((text, first, last))
    if not units:
        return []
    groups: list[list[tuple[str, int | None, int | None]]] = []
    if sum(len(u[0]) + 1 for u in units) <= max_chars:
        groups = [units]
    else:
        group: list[tuple[str, int | None, int | None]] = []
        size = 0
        for unit in units:
            n = len(unit[0]) + 1
            if group and size + n > target and not (size < MIN_CHARS and size + n <= max_chars):
                groups.append(group)
                group, size = [], 0
            group.append(unit)
            size += n
        if group:
            groups.append(group)
    pieces = []
    for i, group in enumerate(groups, start=1):
        starts = [u[1] for u in group if u[1] is not None]
        ends = [u[2] for u in group if u[2] is not None]
        pieces.append(
            Piece(
                text=nfc("\n".join(u[0] for u in group)),
                line_start=min(starts) if starts else None,
                line_end=max(ends) if ends else None,
                part=i,
                parts=len(groups),
            )
        )
    return pieces


def part_suffix(piece: Piece, continued: bool = False) -> str:
    """ "（続き）" for a section carried over from the previous page, "（2/3）" for parts of a long one."""
    suffix = "（続き）" if continued else ""
    if piece.parts > 1:
        suffix += f"（{piece.part}/{piece.parts}）"
    return suffix


def line_range(start: int | None, end: int | None) -> str:
    """ "行 120–140" (or "行 5" for one line; "" when lines are unknown)."""
    if start is None:
        return ""
    return f"行 {start}" if end is None or end == start else f"行 {start}–{end}"


def path_label(heading_path: list[str], title: str) -> str:
    """Heading path for a location, without a leading heading that only repeats the document title."""
    repeats_title = bool(heading_path) and title.startswith(heading_path[0])
    path = heading_path[1:] if len(heading_path) > 1 and repeats_title else heading_path
    return " > ".join(path)


def sections_to_chunks(
    sections: list[Section],
    title: str,
    *,
    by_page: bool = False,
    fallback: Callable[[Piece], str] | None = None,
    max_chars: int = MAX_CHARS,
) -> list[Chunk]:
    """Turn sections into numbered chunks with a location label.

    by_page (PDF): "p.38 第23条（年次有給休暇）". Otherwise the heading path ("第3章 服務規律 > 第10条"),
    or fallback(piece) (e.g. "行 120–140") when the text has no headings.
    """
    chunks: list[Chunk] = []
    for sec in sections:
        for piece in split_section(sec.lines, max_chars):
            if by_page:
                label = f"p.{sec.page}"
                if sec.heading_path:
                    label += f" {sec.heading_path[-1]}"
            else:
                label = path_label(sec.heading_path, title)
                if not label and fallback is not None:
                    label = fallback(piece)
            label += part_suffix(piece, sec.continued)
            chunks.append(
                Chunk(
                    text=piece.text,
                    location=label,
                    ordinal=len(chunks),
                    page=sec.page,
                    article=sec.article,
                    heading_path=list(sec.heading_path),
                    line_start=piece.line_start,
                    line_end=piece.line_end,
                )
            )
    return chunks


def pack_rows(
    rows: Iterable[tuple[int, str]],
    header: str | None,
    target: int = TARGET_CHARS,
    max_chars: int = MAX_CHARS,
) -> Iterator[tuple[int, int, str]]:
    """Group consecutive table rows (row number, text) into bounded blocks: (first row, last row, text).

    Each block repeats the header line so a passage read on its own still says what the columns are.
    A row longer than max_chars is cut into several blocks of its own.
    """
    head = f"{header}\n" if header else ""
    budget = max(target - len(head), MIN_CHARS)
    block: list[str] = []
    first = last = 0
    size = 0
    for number, text in rows:
        if len(text) + len(head) > max_chars:
            if block:
                yield first, last, nfc(head + "\n".join(block))
                block, size = [], 0
            for part in split_text(text, max(max_chars - len(head), MIN_CHARS), budget):
                yield number, number, nfc(head + part)
            continue
        if block and size + len(text) + 1 > budget:
            yield first, last, nfc(head + "\n".join(block))
            block, size = [], 0
        if not block:
            first = number
        block.append(text)
        last = number
        size += len(text) + 1
    if block:
        yield first, last, nfc(head + "\n".join(block))
