"""Search: a query becomes OR-ed concepts for FTS5/BM25, then a small re-ranking picks the best.

Why OR and a re-rank: staff type questions (「慶弔休暇は何日？」), not keyword lists. After dropping question
and function words, the remaining *concepts* (慶弔休暇) are searched through their fine-grained terms, their
synonyms and (more loosely) their parts, so that no single missing word loses the passage. The re-rank then
prefers chunks that cover more of the query's concepts (weighted by rarity; synonyms count a little less),
whose heading names them, that contain an exact code or quoted phrase (「様式第3号」, PC-0231), or that are the
article asked for (第24条).

Why tiers: FTS5 computes BM25 for every chunk that matches, so ``休暇 OR 精算`` over 100,000 chunks costs
hundreds of milliseconds. The search asks narrow queries first (all concepts together, then the rarer ones)
and widens only while it lacks candidates; a query that would still match too many chunks is asked of the
title and heading columns first. Snippets come from plain string search over the hit's text (NFKC,
whitespace-squeezed, mapped back), so highlight spans point at the original text at no analysis cost.
"""

from __future__ import annotations

import math
import re
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from kb.analysis import QueryUnit, Span, compact, get_analyzer, nfkc, normal_map, squeeze
from kb.store import Candidate, Store
from kb.synonyms import SynonymTable
from kb.types import Hit

Terms = tuple[str, ...]
DocFreqs = Callable[[Iterable[str]], dict[str, int]]

SNIPPET_CHARS = 160
SPAN_FALLBACK_CHARS = 3000
PREFIX_RARE = 30
MAX_CONCEPTS = 16
MAX_QUERY_CHARS = 1000  # a pasted page is read up to here  # a last word held by fewer chunks than this is completed from the index vocabulary
ROW_BUDGET = 3000  # matches FTS5 ranks cheaply (~2.5 µs each on a laptop core)
SYNONYM_CREDIT = 0.8
PART_CREDIT = 0.6
SUB_SYNONYM_CREDIT = 0.5
PREFIX_CREDIT = 0.5

W_COVERAGE = 3.0
W_BM25 = 1.0
W_EXACT = 2.0
W_ARTICLE = 2.5
W_HEADING = 1.0
W_ANSWER = 0.5

_KANJI_DIGITS = {"〇": 0, "零": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_KANJI_UNITS = {"十": 10, "百": 100, "千": 1000}
_NUM = r"[0-9]+|[〇零一二三四五六七八九十百千]+"
ARTICLE_RE = re.compile(rf"第\s*({_NUM})\s*条(?:\s*の\s*({_NUM}))?")
_QUOTED_RE = re.compile(r"[「『\"“”]([^「」『』\"“”]+)[」』\"“”]")
_CODE_RE = re.compile(r"(?<![A-Za-z0-9])(?:[A-Za-z]+[-_./]?[0-9]+[A-Za-z0-9\-_./]*|[0-9]+[-_/][0-9A-Za-z][0-9A-Za-z\-_/]*)")
# Numbered forms and clauses (様式第3号, 別表第2, 第5項): exact phrases like codes.
_NUMBERED_RE = re.compile(r"(?:[\u4e00-\u9fff]{1,4})?第\s*[0-9]+\s*[号項章節款表]?")
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
    phrase: bool = False  # quoted text, codes, article numbers: retrieve by the exact adjacent phrase
    completions: list[str] | None = None  # index words starting with ``prefix`` (None: use FTS5's prefix query)
    keys: set[str] = field(default_factory=set)  # strings to highlight (NFKC, lowercase, no spaces)
    own_keys: set[str] = field(default_factory=set)  # spellings of the concept itself, for text matching
    part_alts: dict[str, list[Terms]] = field(default_factory=dict)  # synonyms of single parts (精算: 清算)
    alt_keys: dict[Terms, set[str]] = field(default_factory=dict)  # spellings of each synonym
    df: int = 0  # chunks holding the concept's rarest spelling (0 when unknown)

    def expression(self, with_parts: bool, df: dict[str, int], common: int) -> tuple[str, int]:
        """FTS5 expression for chunks that say this concept, and an upper bound of how many chunks match.

        Compounds are retrieved as an AND of their terms, which FTS5 answers far faster than a phrase;
        whether the terms stand together is checked when re-ranking. Parts held by more than ``common``
        chunks are left out: they would make FTS5 score a large share of the index for little gain.
        """
        branches: list[Terms] = [self.main, *(alt for alt, _ in self.alts)]
        clauses: list[tuple[str, int]] = []
        for i, terms in enumerate(branches):
            if i == 0 and self.phrase:
                clauses.append((_fts_phrase(terms), _est(terms, df)))
            else:
                kept = _content_parts(terms) or terms
                clauses.append((_fts_all(kept), _est(kept, df)))
        if with_parts:
            clauses.extend(
                (_fts_phrase((p,)), df.get(p, 0)) for p in self.parts if not common or df.get(p, 0) <= common
            )
        if self.prefix:
            if self.completions is None:
                clauses.append((_fts_phrase((self.prefix,)) + "*", common or 0))
            else:
                clauses.extend((_fts_phrase((w,)), df.get(w, 0)) for w in self.completions)
        unique = dict(c for c in clauses if c[0])
        if not unique:
            return "", 0
        expr = next(iter(unique)) if len(unique) == 1 else "(" + " OR ".join(unique) + ")"
        return expr, sum(unique.values())


def _est(terms: Terms, df: dict[str, int]) -> int:
    return min((df.get(t, 0) for t in terms), default=0)


@dataclass(frozen=True)
class Tier:
    """One FTS5 query of the search and an upper bound of the chunks it matches (what it costs to rank)."""

    expr: str
    est: int


@dataclass
class QueryPlan:
    concepts: list[Concept]
    exact: list[str]  # compact strings (codes, quoted phrases, the short query itself)
    article: str | None
    tiers: list[Tier]  # FTS5 queries, narrowest first; empty when there is nothing to search
    answer: re.Pattern[str] | None = None  # 「何日」「いくら」: the kind of number that would answer it

    @property
    def match(self) -> str:
        """The widest query (every concept, its synonyms and parts)."""
        return self.tiers[-1].expr if self.tiers else ""

    def highlight_keys(self) -> list[str]:
        """Strings to mark in a hit's text, longest first (so 年次有給休暇 wins over 休暇)."""
        keys = {k for c in self.concepts for k in c.keys} | set(self.exact)
        return sorted(keys, key=len, reverse=True)

    def highlight_sequences(self) -> list[Terms]:
        seqs: set[Terms] = set()
        for c in self.concepts:
            seqs.add(c.main)
            seqs.update(alt for alt, _ in c.alts)
            seqs.update((p,) for p in c.parts if len(p) >= 2)
        return sorted((s for s in seqs if s), key=len, reverse=True)


def _fts_phrase(terms: Terms) -> str:
    if not terms:
        return ""
    return '"' + " ".join(t.replace('"', '""') for t in terms) + '"'


def _fts_all(terms: Terms) -> str:
    if len(terms) <= 1:
        return _fts_phrase(terms)
    return "(" + " AND ".join(_fts_phrase((t,)) for t in dict.fromkeys(terms)) + ")"


# A concept held by more chunks than this is "common": searching it alone makes FTS5 score a large part of
# the index, so it is left to the re-ranking whenever rarer concepts can find the candidates.
COMMON_SHARE = 0.03
COMMON_MIN = 2000


def build_plan(
    query: str,
    synonyms: SynonymTable | None = None,
    doc_freqs: DocFreqs | None = None,
    n_docs: int = 0,
    completions: Callable[[str], list[str]] | None = None,
) -> QueryPlan:
    """Read a query: quoted phrases, article numbers and codes stay whole; the rest loses its question words.

    With ``doc_freqs`` (term → number of chunks holding it) and ``n_docs``, concepts are weighted by how rare
    they are, so 減給 counts for more than 会社, and single kanji split off by the analyser are rejoined when
    the joined word is in the index (日当いくら → 日当, not 日 + 当).
    """
    analyzer = get_analyzer()
    text = nfkc(query[:MAX_QUERY_CHARS]).strip()
    concepts: list[Concept] = []
    exact: list[str] = []
    article: str | None = None

    def take(pattern: re.Pattern[str], s: str, handle: Callable[[re.Match[str]], None]) -> str:
        """Hand each match to ``handle`` and return ``s`` without the matches."""
        out: list[str] = []
        pos = 0
        for m in pattern.finditer(s):
            out.append(s[pos : m.start()])
            handle(m)
            out.append(" ")
            pos = m.end()
        out.append(s[pos:])
        return "".join(out)

    def quoted(m: re.Match[str]) -> None:
        terms = tuple(analyzer.index_terms(m.group(1)))
        if terms:
            concepts.append(Concept(terms, weight=1.5, phrase=True, keys={compact(m.group(1))}))
            exact.append(compact(m.group(1)))

    def article_ref(m: re.Match[str]) -> None:
        nonlocal article
        normal = normalize_article(m.group(0))
        article = article or normal
        # Search the arabic form the documents mostly use (第24条), and the form typed (第二十四条) as well.
        written = tuple(analyzer.index_terms(m.group(0)))
        terms = tuple(analyzer.index_terms(normal)) if normal else written
        if terms:
            keys = {compact(m.group(0)), compact(normal or "")} - {""}
            concepts.append(
                Concept(terms, alts=[(written, 1.0)] if written != terms else [], phrase=True, keys=keys)
            )
        exact.append(compact(m.group(0)))
        if normal and compact(normal) != compact(m.group(0)):
            exact.append(compact(normal))

    def code(m: re.Match[str]) -> None:
        terms = tuple(analyzer.index_terms(m.group(0)))
        if terms:
            concepts.append(Concept(terms, weight=1.5, phrase=True, keys={compact(m.group(0))}))
            exact.append(compact(m.group(0)))

    rest = take(_QUOTED_RE, text, quoted)
    rest = take(ARTICLE_RE, rest, article_ref)
    rest = take(_NUMBERED_RE, rest, code)
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
        for j in range(min(len(content), i + max(table.max_len, 1)), i, -1):
            seq: Terms = tuple(t for u in content[i:j] for t in u.terms)
            if len(seq) > max(table.max_len, 1) and j > i + 1:
                continue
            if seq in table:
                concept = Concept(seq, alts=[(alt, SYNONYM_CREDIT) for alt in table.alternatives(seq)])
                concept.keys.add(compact("".join(u.surface for u in content[i:j])))
                if len(seq) > 1:
                    concept.parts = _content_parts(seq)
                concepts.append(concept)
                i = j
                matched = True
                break
        if matched:
            continue
        unit = content[i]
        concept = Concept(unit.terms, keys={compact(unit.surface)})
        if len(unit.terms) > 1:
            concept.parts = _content_parts(unit.terms)
            n = len(unit.terms)
            for a in range(n):
                for b in range(n, a, -1):
                    sub = unit.terms[a:b]
                    if sub != unit.terms and sub in table:
                        concept.alts.extend((alt, SUB_SYNONYM_CREDIT) for alt in table.alternatives(sub))
                        if len(sub) == 1:
                            concept.part_alts[sub[0]] = table.alternatives(sub)
        if all(t.isdigit() for t in unit.terms) or unit.pos0 in _WEAK_POS:
            concept.weight = 0.5  # numbers and verbs say less about the topic than nouns
        concepts.append(concept)
        i += 1

    # Type-ahead: a short query's last word may still be being typed (「慶」 → 慶弔, 「パソ」 → パソコン).
    if (
        concepts
        and content
        and len(content[-1].terms) == 1
        and concepts[-1].main == content[-1].terms
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
    if whole and len(whole) <= 16 and whole not in exact and len(units) > 1:
        exact.append(whole)

    # Dedupe concepts with the same main phrase (e.g. quoted and unquoted copies).
    seen: set[Terms] = set()
    unique: list[Concept] = []
    for c in concepts:
        if c.main and c.main not in seen:
            seen.add(c.main)
            unique.append(c)
    concepts = unique

    df: dict[str, int] = {}
    if doc_freqs is not None:
        terms: set[str] = set()
        for c in concepts:
            terms.update(c.main)
            terms.update(c.parts)
            terms.update(t for alt, _ in c.alts for t in alt)
        df = doc_freqs(terms)
        last = concepts[-1] if concepts else None
        if last is not None and last.prefix and completions is not None:
            if _est(last.main, df) < PREFIX_RARE:
                # A word the index hardly knows is probably unfinished: use the index's most frequent words
                # that start with it (a bounded query, unlike FTS5's prefix search).
                last.completions = [w for w in completions(last.prefix) if w not in last.main]
                df.update(doc_freqs(last.completions))
            else:
                last.prefix = None  # a complete, known word: no completion needed
    for c in concepts:
        c.keys.add("".join(c.main))
        c.keys.update(table.spellings.get(c.main, ()))
        c.own_keys = {k for k in c.keys if len(k) >= 2}
        for alt, _ in c.alts:
            spellings = {"".join(alt), *table.spellings.get(alt, ())}
            c.alt_keys[alt] = {k for k in spellings if len(k) >= 2}
            c.keys.update(spellings)
        c.keys.update(p for p in c.parts if len(p) >= 2)
        c.keys.update(w for w in c.completions or () if len(w) >= 2)
        if c.prefix:
            c.keys.add(c.prefix)
        c.keys.discard("")
    if df and n_docs > 0:
        _weigh(concepts, df, n_docs)
    if len(concepts) > MAX_CONCEPTS:
        # A pasted paragraph: its rarest words say most about it, and the FTS5 queries stay small.
        keep = {id(c) for c in sorted(concepts, key=lambda c: -c.weight)[:MAX_CONCEPTS]}
        concepts = [c for c in concepts if id(c) in keep]

    plan = QueryPlan(concepts, [e for e in dict.fromkeys(exact) if e], article, _tiers(concepts, n_docs, df))
    plan.answer = answer_pattern(text)
    return plan


_ASKS_COUNTER = re.compile(r"何\s*(日|円|時間|分|回|割|年|か月|ヶ月|カ月|ヵ月|週間|人|歳|%|パーセント|枚|件)")
_ASKS_MONEY = re.compile(r"いくら|幾ら|金額|何円")


def answer_pattern(text: str) -> re.Pattern[str] | None:
    """A question for a quantity (「何日」「いくら」) is answered by a number with that unit (「5日」「3万円」)."""
    m = _ASKS_COUNTER.search(text)
    if m:
        unit = {"%": "(?:%|パーセント)", "パーセント": "(?:%|パーセント)"}.get(m.group(1), re.escape(m.group(1)))
        unit = "(?:か月|ヶ月|カ月|ヵ月)" if m.group(1) in ("か月", "ヶ月", "カ月", "ヵ月") else unit
        return re.compile(rf"[0-9０-９一二三四五六七八九十百千万]+\s*{unit}")
    if _ASKS_MONEY.search(text):
        return re.compile(r"[0-9０-９,，一二三四五六七八九十百千万]+\s*円")
    return None


def _content_parts(terms: Terms) -> Terms:
    """Parts of a compound worth finding alone: not particles (スポーツの日 → スポーツ, 日)."""
    return tuple(t for t in terms if not all("\u3041" <= ch <= "\u309f" for ch in t))


def _tiers(concepts: list[Concept], n_docs: int, df: dict[str, int]) -> list[Tier]:
    """FTS5 queries from narrow to wide: all concepts (AND), the rarer ones (OR), everything with parts.

    The search runs them in order and stops once it has enough candidates, so a question whose words all
    appear together never pays for scoring every chunk that merely contains its commonest word.
    """
    active = [c for c in concepts if c.weight > 0] or concepts
    if not active:
        return []
    common = max(COMMON_MIN, int(n_docs * COMMON_SHARE)) if n_docs else 0
    tiers: list[Tier] = []
    narrow = [c.expression(False, df, common) for c in active]
    if len(active) > 1 and all(e for e, _ in narrow):
        tiers.append(Tier(" AND ".join(e for e, _ in narrow), min(n for _, n in narrow)))
    rare = [x for c, x in zip(active, narrow, strict=True) if x[0] and (not common or c.df <= common)]
    rare = rare or [x for x in narrow if x[0]]
    if rare:
        tiers.append(Tier(" OR ".join(e for e, _ in rare), sum(n for _, n in rare)))
    wide = [c.expression(True, df, common) for c in active]
    wide = [x for x in wide if x[0]]
    if wide:
        tiers.append(Tier(" OR ".join(e for e, _ in wide), sum(n for _, n in wide)))
    unique: dict[str, Tier] = {}
    for tier in tiers:
        unique.setdefault(tier.expr, tier)
    return list(unique.values())


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


def _weigh(concepts: list[Concept], df: dict[str, int], n: int) -> None:
    """Scale each concept's weight by the rarity (BM25 idf) of its rarest way of being said.

    A concept that no chunk can match (not even through a synonym or a part) gets weight 0: it cannot tell
    passages apart, so it must not dilute the coverage of the words that can.
    """
    for c in concepts:
        main_df = _est(_content_parts(c.main) or c.main, df)
        if main_df == 0:
            alt_dfs = [_est(alt, df) for alt, _ in c.alts if alt]
            alt_dfs = [d for d in alt_dfs if d > 0]
            part_df = max((df.get(t, 0) for t in c.parts), default=0)
            main_df = min(alt_dfs) if alt_dfs else part_df
        if main_df == 0 and c.completions:
            main_df = max(df.get(w, 0) for w in c.completions)
        c.df = main_df
        if main_df == 0 and c.prefix is None:
            c.weight = 0.0
            continue
        c.weight *= _idf(max(main_df, 1), n)


def _contains(hay: str, terms: Terms) -> bool:
    return f" {' '.join(terms)} " in hay


def coverage(plan: QueryPlan, hay: str, flat: str = "") -> float:
    """Share of the query's concepts a chunk expresses (weighted; synonyms and parts count less).

    A concept counts when its terms stand together in the chunk's terms (``hay``) or when one of its
    spellings occurs in the chunk's plain text (``flat``, compact form): Sudachi may split the same word
    differently in a sentence than in a short query (結婚祝金 → 結婚 / 祝 / 金), plain text does not care.
    """
    total = sum(c.weight for c in plan.concepts)
    if not total:
        return 0.0
    got = 0.0
    for c in plan.concepts:
        if _contains(hay, c.main) or (flat and any(k in flat for k in c.own_keys)):
            got += c.weight
            continue
        best = 0.0
        if c.parts:
            found = sum(
                1
                for p in c.parts
                if _contains(hay, (p,)) or any(_contains(hay, alt) for alt in c.part_alts.get(p, ()))
            )
            best = PART_CREDIT * found / len(c.parts)
        for alt, credit in c.alts:
            if credit > best and (
                _contains(hay, alt) or (flat and any(k in flat for k in c.alt_keys.get(alt, ())))
            ):
                best = credit
        if c.prefix and best < PREFIX_CREDIT and f" {c.prefix}" in hay:
            best = PREFIX_CREDIT
        got += c.weight * best
    return got / total


def _haystack(cand: Candidate) -> tuple[str, str]:
    """A candidate's terms (title | heading | body) and its compact plain text, as :func:`coverage` reads them."""
    return f" {cand.title_terms} | {cand.heading_terms} | {cand.body_terms} ", compact(cand.title) + "|" + compact(cand.text)


def rerank(plan: QueryPlan, cands: list[Candidate]) -> list[tuple[float, Candidate]]:
    if not cands:
        return []
    scored: list[tuple[float, Candidate]] = []
    for cand in cands:
        hay, flat = _haystack(cand)
        score = W_COVERAGE * coverage(plan, hay, flat) + W_BM25 * cand.bm25
        if W_HEADING and cand.heading_terms:
            # The article's own heading names the topic (第40条（慶弔休暇）): a mention elsewhere counts less.
            score += W_HEADING * coverage(plan, f" {cand.heading_terms} ")
        if plan.exact and any(e in flat for e in plan.exact):
            score += W_EXACT
        if plan.answer is not None and plan.answer.search(flat):
            score += W_ANSWER  # the question asks 「何日」 and this passage says 「5日」
        if plan.article and normalize_article(cand.article) == plan.article:
            score += W_ARTICLE
        scored.append((score, cand))
    scored.sort(key=lambda sc: (-sc[0], sc[1].chunk_id))
    return scored


class SpanCache:
    """Recently analysed chunk texts: typing a query re-shows the same hits many times."""

    def __init__(self, size: int = 2048) -> None:
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


_ASCII_WORD = re.compile(r"[a-z0-9]+")


def find_marks(text: str, keys: list[str], limit: int = 200) -> list[tuple[int, int, str]]:
    """Occurrences of the keys in ``text`` as (start, end, key), mapped back to the original offsets.

    Plain string search over the NFKC, space-squeezed, lowercased text: a hit's text is not analysed again,
    so showing ten hits costs microseconds instead of milliseconds. Latin keys must stand as whole words.
    """
    normal, back = normal_map(text)
    low = normal.lower()
    if len(low) != len(normal):
        low = normal
    taken = bytearray(len(low))
    marks: list[tuple[int, int, str]] = []
    for key in keys:
        if not key:
            continue
        word = bool(_ASCII_WORD.fullmatch(key))
        start = low.find(key)
        while start != -1 and len(marks) < limit:
            end = start + len(key)
            ok = not any(taken[start:end])
            if ok and word:
                before = low[start - 1] if start else " "
                after = low[end] if end < len(low) else " "
                ok = not (before.isascii() and before.isalnum()) and not (after.isascii() and after.isalnum())
            if ok:
                taken[start:end] = b"\x01" * (end - start)
                a, b = (start, end) if back is None else (back[start], back[end - 1] + 1)
                marks.append((a, b, key))
            start = low.find(key, end if ok else start + 1)
    marks.sort()
    return marks


def make_snippet(
    text: str, marks: Sequence[tuple[int, int, object]], width: int = SNIPPET_CHARS
) -> tuple[str, list[tuple[int, int]]]:
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

    def _retrieve(self, plan: QueryPlan, limit: int) -> dict[int, float]:
        """Candidate chunk ids with BM25 scaled to 0..1, from narrow queries to wide ones.

        A query that would match more than ``ROW_BUDGET`` chunks is first asked of the title and heading
        columns only: chunks *about* a common word (its article heading names it) are the ones worth showing,
        and ranking them costs a fraction of ranking every mention.
        """
        found: dict[int, float] = {}
        weighted = [c for c in plan.concepts if c.weight > 0]
        if plan.article and len(weighted) <= 1 and all(c.phrase for c in weighted):
            # A bare article number (第24条): the parsers label chunks with their article, so an index
            # lookup finds them all without asking FTS5 for the phrase 第 24 条 (common terms, slow).
            for chunk_id in self.store.article_ids(plan.article, limit):
                found[chunk_id] = 1.0
            if len(found) >= limit:
                return found

        def add(expr: str) -> None:
            for chunk_id, score in self.store.rank_ids(expr, limit):
                if chunk_id not in found:
                    found[chunk_id] = max(score, 0.0)

        for tier in plan.tiers:
            if len(found) >= limit and tier.est > ROW_BUDGET:
                break  # enough candidates, and the wider query would be costly: stop here
            if tier.est > ROW_BUDGET:
                add(f"{{title heading}} : ({tier.expr})")
                if len(found) >= limit:
                    break
            add(tier.expr)
        # The tiers share their phrases, so a chunk's BM25 is comparable across them: scale by the best.
        top = max(found.values(), default=0.0) or 1.0
        return {chunk_id: score / top for chunk_id, score in found.items()}

    def _plan(self, query: str, synonyms: SynonymTable | None) -> QueryPlan | None:
        if not squeeze(nfkc(query)).strip():
            return None
        return build_plan(query, synonyms, self.store.doc_freqs, self.n_docs(), self.store.completions)

    def _ranked(self, plan: QueryPlan | None, k: int) -> list[tuple[float, Candidate]]:
        if plan is None or not plan.tiers:
            return []
        limit = min(200, max(50, 4 * k))
        return rerank(plan, self.store.candidates(self._retrieve(plan, limit)))[:k]

    def _hits(self, plan: QueryPlan | None, ranked: Sequence[tuple[float, Candidate]],
              extra: dict[int, dict[str, Any]] | None = None) -> list[Hit]:
        keys = plan.highlight_keys() if plan is not None else []
        seqs: list[Terms] | None = None
        hits: list[Hit] = []
        for score, c in ranked:
            marks: Sequence[tuple[int, int, object]] = find_marks(c.text, keys) if keys else []
            if not marks and plan is not None:
                # Spelling variants the strings miss (申込 for 申し込み): analyse the text itself.
                seqs = seqs if seqs is not None else plan.highlight_sequences()
                marks = find_highlights(self.cache.spans(c.chunk_id, c.text[:SPAN_FALLBACK_CHARS]), seqs)
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
                    **(extra or {}).get(c.chunk_id, {}),
                )
            )
        return hits

    def search(self, query: str, k: int = 10, synonyms: SynonymTable | None = None) -> list[Hit]:
        if k <= 0:
            return []
        plan = self._plan(query, synonyms)
        return self._hits(plan, self._ranked(plan, k))

    def hybrid(
        self,
        query: str,
        k: int,
        synonyms: SynonymTable | None,
        dense: Sequence[tuple[int, float]],
        similarity_of: Callable[[Sequence[int]], dict[int, float]],
        weights: FusionWeights | None = None,
    ) -> list[Hit]:
        """Lexical and dense rankings fused by weighted reciprocal rank (see :class:`FusionWeights`).

        ``dense`` is the vector search's (chunk id, cosine) list, best first; ``similarity_of`` gives the
        cosine of the question with any chunks (for lexical hits the dense list did not reach), so every
        hit carries its ``similarity`` for the answer pipeline's evidence gate.
        """
        if k <= 0:
            return []
        w = weights or FusionWeights()
        plan = self._plan(query, synonyms)
        lexical = self._ranked(plan, w.depth)
        lex_rank = {c.chunk_id: r for r, (_s, c) in enumerate(lexical)}
        dense_rank = {cid: r for r, (cid, _s) in enumerate(dense[: w.depth])}
        lex_w, dense_w = w.lexical, w.dense
        if (plan is not None and lexical and len(plan.concepts) >= w.decisive_concepts
                and coverage(plan, *_haystack(lexical[0][1])) >= 0.99):
            lex_w, dense_w = w.decisive_lexical, w.decisive_dense  # a long question one passage says in full
        fused: dict[int, float] = {}
        for cid, r in lex_rank.items():
            fused[cid] = fused.get(cid, 0.0) + lex_w / (w.k + r + 1)
        for cid, r in dense_rank.items():
            fused[cid] = fused.get(cid, 0.0) + dense_w / (w.k + r + 1)
        order = sorted(fused, key=lambda cid: -fused[cid])
        head = order[: k * 3] if w.per_article else order[:k]  # enough to fill k after the repeats step back
        by_id = {c.chunk_id: c for _s, c in lexical}
        missing = {cid: 0.0 for cid in head if cid not in by_id}
        for c in self.store.candidates(missing):
            by_id[c.chunk_id] = c
        top = (spread_articles(head, by_id, w.per_article) if w.per_article else head)[:k]
        sims = {cid: s for cid, s in dense}
        need = [cid for cid in top if cid not in sims]
        if need:
            sims.update(similarity_of(need))
        extra: dict[int, dict[str, Any]] = {}
        for cid in top:
            in_lex, in_dense = cid in lex_rank, cid in dense_rank
            extra[cid] = {
                "similarity": round(sims[cid], 4) if cid in sims else None,
                "lexical_rank": lex_rank[cid] + 1 if in_lex else None,
                "semantic_rank": dense_rank[cid] + 1 if in_dense else None,
                "retrieval": "both" if in_lex and in_dense else ("lexical" if in_lex else "semantic"),
            }
        ranked = [(fused[cid], by_id[cid]) for cid in top if cid in by_id]
        return self._hits(plan, ranked, extra)


@dataclass(frozen=True)
class FusionWeights:
    """Weighted reciprocal-rank fusion: ``score = lexical/(k + rank_lex) + dense/(k + rank_dense)``.

    Rank fusion needs no calibration between BM25 and cosine scales. The weights were measured on the
    retrieval sets (benchmarks/fusion_sweep.py, docs/PERFORMANCE.md "Fusion weights"): the dense ranking
    counts three times the lexical one, and a small ``k`` lets the first places of either list lead — on the
    everyday set found@1 0.598 → 0.813 and found@5 0.869 → 0.935 against (1, 1, 60), on both halves, while
    the rules-phrased set stays level or better (found@1 0.898 → 0.920, found@5 0.977). ``depth`` is how far
    down each list is read.

    One exception: when the question names at least ``decisive_concepts`` concepts and the top lexical hit holds
    every one of them, the words have found the passage (a long question in the rules' own wording) and the
    lexical ranking leads (``decisive_lexical`` : ``decisive_dense``). Measured offline on the same lists
    (docs/PERFORMANCE.md, "Fusion weights"): public-style JSQuAD R@1 0.836 → 0.857 (both halves up), the
    everyday and rules-phrased sets unchanged — their questions are short or not held in full by one passage.
    """

    lexical: float = 1.0
    dense: float = 3.0
    k: float = 10.0
    depth: int = 30
    decisive_concepts: int = 6
    decisive_lexical: float = 2.0
    decisive_dense: float = 1.0
    per_article: int = 1


def spread_articles(order: Sequence[int], by_id: dict[int, Any], per_article: int) -> list[int]:
    """``order`` with at most ``per_article`` chunks of one article of one document before every other
    article has had its turn: the later pieces of a long article (第23条 on p.38, its 続き on p.39 and p.40)
    step back behind the other articles instead of filling the first places. Chunks without an article (FAQ
    rows, slides, CSV rows) are never held back. Measured on the fused lists of the retrieval sets
    (docs/PERFORMANCE.md, "One place per article"): everyday found@5 0.935 → 0.953, rules-phrased
    0.977 → 0.989, JSQuAD level; found@1 cannot change."""
    first: list[int] = []
    later: list[int] = []
    seen: dict[tuple[str, str], int] = {}
    for cid in order:
        c = by_id.get(cid)
        if c is None or not c.article:
            first.append(cid)
            continue
        key = (c.path, c.article)
        seen[key] = seen.get(key, 0) + 1
        (first if seen[key] <= per_article else later).append(cid)
    return first + later
