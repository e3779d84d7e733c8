"""Search: a query becomes an OR of analysed terms for FTS5/BM25, then a small re-ranking picks the best.

Why OR and a re-rank: staff type questions (「慶弔休暇は何日？」), not keyword lists. After dropping question
and function words, the remaining *concepts* (慶弔休暇) are searched as phrases of their fine-grained terms,
their parts and their synonyms, OR-ed so that no single missing word loses the passage. BM25 picks the top
candidates in SQLite; the re-rank then prefers chunks that cover more of the query's concepts (synonyms count a
little less), contain an exact code or quoted phrase (「様式第3号」, PC-0231), or are the article asked for
(第24条). Snippets come from our own analysis of the hit's text, so highlight spans point at the original text.
"""

from __future__ import annotations

import math
import re
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from kb.analysis import QueryUnit, Span, compact, get_analyzer, nfkc, squeeze
from kb.store import Candidate, Store
from kb.synonyms import SynonymTable
from kb.types import Hit

Terms = tuple[str, ...]
DocFreqs = Callable[[Iterable[str]], dict[str, int]]

SNIPPET_CHARS = 160
SYNONYM_CREDIT = 0.8
PART_CREDIT = 0.6
SUB_SYNONYM_CREDIT = 0.5
PREFIX_CREDIT = 0.5

W_COVERAGE = 3.0
W_BM25 = 1.0
W_EXACT = 2.0
W_ARTICLE = 2.5

_KANJI_DIGITS = {"〇": 0, "零": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_KANJI_UNITS = {"十": 10, "百": 100, "千": 1000}
_NUM = r"[0-9]+|[〇零一二三四五六七八九十百千]+"
ARTICLE_RE = re.compile(rf"第\s*({_NUM})\s*条(?:\s*の\s*({_NUM}))?")
_QUOTED_RE = re.compile(r"[「『\"“”]([^「」『』\"“”]+)[」』\"“”]")
_CODE_RE = re.compile(r"(?<![A-Za-z0-9])(?:[A-Za-z]+[-_./]?[0-9]+[A-Za-z0-9\-_./]*|[0-9]+[-_/][0-9A-Za-z][0-9A-Za-z\-_/]*)")
_TRAILING = "?？!！。.、,， 　"
_WORDLIKE = re.compile(r"[^\W_]+")


def kanji_number(text: str) -> int | None:
    """Arabic or kanji numerals (二十四, 百五) to int; None if it is not a number."""
    if text.isdigit():
        return int(text)
    total, current = 0, 0
    for ch in text:
        if ch in _KANJI_DIGITS:
            current = current * 10 + _KANJI_DIGITS[ch] if current else _KANJI_DIGITS[ch]
        elif ch in _KANJI_UNITS:
            total += (current or 1) * _KANJI_UNITS[ch]
            current = 0
        else:
            return None
    return total + current


def normalize_article(text: str | None) -> str | None:
    """「第二十四条」「第 24 条の2」 → 「第24条」「第24条の2」, so the query's article meets the chunk's."""
    if not text:
        return None
    m = ARTICLE_RE.search(nfkc(text))
    if m is None:
        return None
    n = kanji_number(m.group(1))
    if n is None:
        return None
    sub = kanji_number(m.group(2)) if m.group(2) else None
    return f"第{n}条" + (f"の{sub}" if sub is not None else "")


@dataclass
class Concept:
    """One idea of the query: its own terms (a phrase), and other ways a passage may say it."""

    main: Terms
    parts: Terms = ()  # fine-grained terms of a compound (partial credit each)
    alts: list[tuple[Terms, float]] = field(default_factory=list)  # synonyms, with their credit
    prefix: str | None = None  # type-ahead: the last word may be unfinished
    weight: float = 1.0


@dataclass
class QueryPlan:
    concepts: list[Concept]
    exact: list[str]  # compact strings (codes, quoted phrases, the short query itself)
    article: str | None
    match: str  # the FTS5 expression; "" when there is nothing to search

    def highlight_sequences(self) -> list[Terms]:
        seqs: set[Terms] = set()
        for c in self.concepts:
            seqs.add(c.main)
            seqs.update(alt for alt, _ in c.alts)
            seqs.update((p,) for p in c.parts if len(p) >= 2)
        return sorted((s for s in seqs if s), key=len, reverse=True)


def _fts_phrase(terms: Terms) -> str:
    return '"' + " ".join(t.replace('"', '""') for t in terms) + '"'


def build_plan(
    query: str,
    synonyms: SynonymTable | None = None,
    doc_freqs: DocFreqs | None = None,
    n_docs: int = 0,
) -> QueryPlan:
    """Read a query: quoted phrases, article numbers and codes stay whole; the rest loses its question words.

    With ``doc_freqs`` (term → number of chunks holding it) and ``n_docs``, concepts are weighted by how rare
    they are, so 減給 counts for more than 会社, and single kanji split off by the analyser are rejoined when
    the joined word is in the index (日当いくら → 日当, not 日 + 当).
    """
    analyzer = get_analyzer()
    text = nfkc(query).strip()
    concepts: list[Concept] = []
    exact: list[str] = []
    article: str | None = None

    def take(pattern: re.Pattern[str], s: str, handle: object) -> str:
        out: list[str] = []
        pos = 0
        for m in pattern.finditer(s):
            out.append(s[pos : m.start()])
            handle(m)  # type: ignore[operator]
            out.append(" ")
            pos = m.end()
        out.append(s[pos:])
        return "".join(out)

    def quoted(m: re.Match[str]) -> None:
        terms = tuple(analyzer.index_terms(m.group(1)))
        if terms:
            concepts.append(Concept(terms, weight=1.5))
            exact.append(compact(m.group(1)))

    def article_ref(m: re.Match[str]) -> None:
        nonlocal article
        article = article or normalize_article(m.group(0))
        terms = tuple(analyzer.index_terms(m.group(0)))
        if terms:
            concepts.append(Concept(terms))
        exact.append(compact(m.group(0)))

    def code(m: re.Match[str]) -> None:
        terms = tuple(analyzer.index_terms(m.group(0)))
        if terms:
            concepts.append(Concept(terms, weight=1.5))
            exact.append(compact(m.group(0)))

    rest = take(_QUOTED_RE, text, quoted)
    rest = take(ARTICLE_RE, rest, article_ref)
    rest = take(_CODE_RE, rest, code)

    units = analyzer.query_units(rest)
    if doc_freqs is not None:
        units = _rejoin(units, doc_freqs)
    content = [u for u in units if u.content]
    if not content and not concepts:
        content = units  # 「何ですか」: nothing but function words; search them rather than nothing
    table = synonyms or SynonymTable()
    i = 0
    while i < len(content):
        # Longest run of whole query words that the synonym list knows (e.g. 時間外 + 労働).
        matched = False
        for j in range(len(content), i, -1):
            seq: Terms = tuple(t for u in content[i:j] for t in u.terms)
            if len(seq) > max(table.max_len, 1) and j > i + 1:
                continue
            if seq in table:
                concept = Concept(seq, alts=[(alt, SYNONYM_CREDIT) for alt in table.alternatives(seq)])
                if len(seq) > 1:
                    concept.parts = seq
                concepts.append(concept)
                i = j
                matched = True
                break
        if matched:
            continue
        unit = content[i]
        concept = Concept(unit.terms)
        if len(unit.terms) > 1:
            concept.parts = unit.terms
            n = len(unit.terms)
            for a in range(n):
                for b in range(n, a, -1):
                    sub = unit.terms[a:b]
                    if sub != unit.terms and sub in table:
                        concept.alts.extend((alt, SUB_SYNONYM_CREDIT) for alt in table.alternatives(sub))
        if all(t.isdigit() for t in unit.terms) or unit.pos0 in _WEAK_POS:
            concept.weight = 0.5  # numbers and verbs say less about the topic than nouns
        concepts.append(concept)
        i += 1

    # Type-ahead: a short query's last word may still be being typed (「慶」 → 慶弔).
    if (
        concepts
        and content
        and concepts[-1].main[-1:] == content[-1].terms[-1:]
        and len(text) <= 8
        and text == rest.rstrip()
        and text[-1:] not in _TRAILING
        and content[-1].end == len(squeeze(text))
    ):
        tail = content[-1].tail
        if tail and not tail.isdigit() and _WORDLIKE.fullmatch(tail):
            concepts[-1].prefix = tail

    # The whole short query as one string: 様式第3号 typed without quotes is still an exact phrase.
    whole = compact(text.rstrip(_TRAILING))
    if whole and len(whole) <= 40 and whole not in exact and len(units) > 1:
        exact.append(whole)

    # Dedupe concepts with the same main phrase (e.g. quoted and unquoted copies).
    seen: set[Terms] = set()
    unique: list[Concept] = []
    for c in concepts:
        if c.main and c.main not in seen:
            seen.add(c.main)
            unique.append(c)
    concepts = unique
    if doc_freqs is not None and n_docs > 0:
        _weigh(concepts, doc_freqs, n_docs)

    clauses: list[str] = []
    for c in concepts:
        clauses.append(_fts_phrase(c.main))
        clauses.extend(_fts_phrase((p,)) for p in c.parts)
        clauses.extend(_fts_phrase(alt) for alt, _ in c.alts)
        if c.prefix:
            clauses.append(_fts_phrase((c.prefix,)) + "*")
    all_terms = tuple(t for u in units for t in u.terms)
    if rest == text and len(concepts) > 1 and 1 < len(all_terms) <= 12:
        clauses.append(_fts_phrase(all_terms))  # the query as written, adjacent: rare, so BM25 lifts it
    match = " OR ".join(dict.fromkeys(clauses))
    return QueryPlan(concepts, [e for e in dict.fromkeys(exact) if e], article, match)


_WEAK_POS = frozenset({"動詞", "形容詞", "形状詞"})
_JOINABLE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\u30a0-\u30ff]+")


def _rejoin(units: list[QueryUnit], doc_freqs: DocFreqs) -> list[QueryUnit]:
    """Join a single kanji/katakana split off its neighbour when the joined word is a term of the index.

    Without particles Sudachi may misread a query (日当いくら → 日 / 当 / いくら); documents, written in full
    sentences, are read right, so the index vocabulary tells which reading the user meant.
    """
    candidates: list[tuple[int, str]] = []
    for i in range(len(units) - 1):
        a, b = units[i], units[i + 1]
        if (
            a.end == b.start
            and min(len(a.surface), len(b.surface)) == 1
            and _JOINABLE.fullmatch(a.surface + b.surface)
        ):
            joined = get_analyzer().index_terms(a.surface + b.surface)
            if len(joined) == 1 and joined[0] not in (*a.terms, *b.terms):
                candidates.append((i, joined[0]))
    if not candidates:
        return units
    df = doc_freqs([t for _, t in candidates])
    out: list[QueryUnit] = []
    skip = -1
    joins = {i: t for i, t in candidates if df.get(t, 0) > 0}
    for i, unit in enumerate(units):
        if i == skip:
            continue
        term = joins.get(i)
        if term is not None and i + 1 != skip:
            nxt = units[i + 1]
            out.append(QueryUnit(unit.surface + nxt.surface, term, (term,), True, unit.start, nxt.end, term, "名詞"))
            skip = i + 1
        else:
            out.append(unit)
    return out


def _idf(df: int, n: int) -> float:
    return math.log(1.0 + (n - df + 0.5) / (df + 0.5))


def _weigh(concepts: list[Concept], doc_freqs: DocFreqs, n: int) -> None:
    """Scale each concept's weight by the rarity (BM25 idf) of its rarest way of being said.

    A concept that no chunk can match (not even through a synonym or a part) gets weight 0: it cannot tell
    passages apart, so it must not dilute the coverage of the words that can.
    """
    terms: set[str] = set()
    for c in concepts:
        terms.update(c.main)
        terms.update(c.parts)
        for alt, _ in c.alts:
            terms.update(alt)
    df = doc_freqs(terms)
    for c in concepts:
        main_df = min((df.get(t, 0) for t in c.main), default=0)
        if main_df == 0:
            alt_dfs = [min(df.get(t, 0) for t in alt) for alt, _ in c.alts if alt]
            alt_dfs = [d for d in alt_dfs if d > 0]
            part_df = max((df.get(t, 0) for t in c.parts), default=0)
            main_df = min(alt_dfs) if alt_dfs else part_df
        if main_df == 0 and c.prefix is None:
            c.weight = 0.0
            continue
        c.weight *= _idf(max(main_df, 1), n)


def _contains(hay: str, terms: Terms) -> bool:
    return f" {' '.join(terms)} " in hay


def coverage(plan: QueryPlan, hay: str) -> float:
    """Share of the query's concepts a chunk expresses (weighted; synonyms and parts count less)."""
    total = sum(c.weight for c in plan.concepts)
    if not total:
        return 0.0
    got = 0.0
    for c in plan.concepts:
        if _contains(hay, c.main):
            got += c.weight
            continue
        best = 0.0
        if c.parts:
            found = sum(1 for p in c.parts if _contains(hay, (p,)))
            best = PART_CREDIT * found / len(c.parts)
        for alt, credit in c.alts:
            if credit > best and _contains(hay, alt):
                best = credit
        if c.prefix and best < PREFIX_CREDIT and f" {c.prefix}" in hay:
            best = PREFIX_CREDIT
        got += c.weight * best
    return got / total


def rerank(plan: QueryPlan, cands: list[Candidate]) -> list[tuple[float, Candidate]]:
    if not cands:
        return []
    top_bm25 = max(c.bm25 for c in cands) or 1.0
    scored: list[tuple[float, Candidate]] = []
    for cand in cands:
        hay = f" {cand.title_terms} | {cand.heading_terms} | {cand.body_terms} "
        score = W_COVERAGE * coverage(plan, hay) + W_BM25 * max(cand.bm25, 0.0) / top_bm25
        if plan.exact:
            flat = compact(cand.text)
            title = compact(cand.title)
            if any(e in flat or e in title for e in plan.exact):
                score += W_EXACT
        if plan.article and normalize_article(cand.article) == plan.article:
            score += W_ARTICLE
        scored.append((score, cand))
    scored.sort(key=lambda sc: (-sc[0], sc[1].chunk_id))
    return scored


class SpanCache:
    """Recently analysed chunk texts: typing a query re-shows the same hits many times."""

    def __init__(self, size: int = 512) -> None:
        self.size = size
        self._data: OrderedDict[int, tuple[str, list[Span]]] = OrderedDict()

    def spans(self, chunk_id: int, text: str) -> list[Span]:
        got = self._data.get(chunk_id)
        if got is not None and got[0] == text:
            self._data.move_to_end(chunk_id)
            return got[1]
        spans = get_analyzer().spans(text)
        self._data[chunk_id] = (text, spans)
        if len(self._data) > self.size:
            self._data.popitem(last=False)
        return spans


def find_highlights(spans: list[Span], seqs: list[Terms]) -> list[tuple[int, int, Terms]]:
    """Where in the text the query's term sequences occur: (start, end, sequence)."""
    out: list[tuple[int, int, Terms]] = []
    terms = [s.term for s in spans]
    by_first: dict[str, list[Terms]] = {}
    for seq in seqs:
        by_first.setdefault(seq[0], []).append(seq)
    i = 0
    while i < len(terms):
        for seq in by_first.get(terms[i], ()):
            n = len(seq)
            if tuple(terms[i : i + n]) == seq:
                out.append((spans[i].start, spans[i + n - 1].end, seq))
                i += n - 1
                break
        i += 1
    return out


def make_snippet(text: str, marks: list[tuple[int, int, Terms]], width: int = SNIPPET_CHARS) -> tuple[str, list[tuple[int, int]]]:
    """A window of ``text`` around the densest cluster of matches, with highlight spans inside it."""
    n = len(text)
    start = 0
    if marks and n > width:
        best = (-1, 0)
        for a, _, _ in marks[:300]:
            s = max(0, a - width // 6)
            distinct = {seq for x, y, seq in marks if x >= s and y <= s + width}
            if len(distinct) > best[0]:
                best = (len(distinct), s)
        start = best[1]
        line_start = text.rfind("\n", max(0, start - width // 6), start)
        if line_start != -1:
            start = line_start + 1
        start = min(start, max(0, n - width))
    end = min(n, start + width)
    body = "".join(" " if ch.isspace() else ch for ch in text[start:end])
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < n else ""
    shift = len(prefix) - start
    spans: list[tuple[int, int]] = []
    for a, b, _ in sorted(marks):
        if a >= start and b <= end:
            a2, b2 = a + shift, b + shift
            if spans and a2 <= spans[-1][1]:
                spans[-1] = (spans[-1][0], max(spans[-1][1], b2))
            else:
                spans.append((a2, b2))
    return prefix + body + suffix, spans


class Searcher:
    """Runs queries against a :class:`Store` (any thread; keep one per thread for its span cache)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.cache = SpanCache()
        self._n_docs = (0, -1e9)

    def n_docs(self) -> int:
        """The number of chunks, re-counted at most every few seconds (it only scales the idf)."""
        n, at = self._n_docs
        now = time.monotonic()
        if now - at > 5.0:
            n = self.store.chunk_count()
            self._n_docs = (n, now)
        return n

    def search(self, query: str, k: int = 10, synonyms: SynonymTable | None = None) -> list[Hit]:
        if k <= 0 or not squeeze(nfkc(query)).strip():
            return []
        plan = build_plan(query, synonyms, self.store.doc_freqs, self.n_docs())
        if not plan.match:
            return []
        limit = min(200, max(50, 4 * k))
        ranked = rerank(plan, self.store.candidates(plan.match, limit))[:k]
        seqs = plan.highlight_sequences()
        hits: list[Hit] = []
        for score, c in ranked:
            marks = find_highlights(self.cache.spans(c.chunk_id, c.text), seqs)
            snippet, spans = make_snippet(c.text, marks)
            hits.append(
                Hit(
                    path=c.path,
                    title=c.title,
                    location=c.location,
                    snippet=snippet,
                    highlights=spans,
                    text=c.text,
                    score=round(score, 6),
                    modified=c.modified,
                    chunk_id=c.chunk_id,
                    page=c.page,
                    article=c.article,
                    doc_type=c.doc_type,
                )
            )
        return hits
