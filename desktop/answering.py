"""Grounded answers: retrieve from ``kb``, decide groundedness from the evidence, generate, check citations.

This joins ``kb`` and ``local_models`` (which never import each other, DESIGN.md §1). Decisions:

- **Groundedness is decided by retrieval, not by the model.** A small model invents an answer to anything.
  The question's content words (Sudachi, the same analysis as the index) must be covered by the top
  passages; otherwise the answer is the fixed "not found" sentence with no sources, whatever the model.
- **Without a model** the answer is extractive: the passage sentences that carry the most question words,
  each with its [n]. It is right whatever the model, so it is also the fallback.
- **With a model** the prompt carries numbered passages after a fixed prefix (system prompt + one worked
  example, kept evaluated by the runtime). The answer is then checked sentence by sentence: a number, amount
  or day count must appear in the passage the sentence cites; a wrong citation is moved to a passage that
  does contain it, or the sentence is dropped; if nothing supported remains, the extractive answer is used.
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from desktop.settings import Settings
from kb.analysis import get_analyzer
from local_models.prompts import FIXED_PREFIX_MESSAGES, NOT_IN_PASSAGES, Passage, grounded_messages
from local_models.runtime import ModelError, ModelRuntime, RuntimeConfig

log = logging.getLogger(__name__)

NOT_FOUND_JA = "規程・資料に該当する記載が見つかりませんでした。"
NOT_FOUND_EN = "No matching passage was found in the rules and documents."

MAX_PASSAGES = 5  # handed to the model
PASSAGE_CHARS = 900  # per passage, cut around the question's words
MIN_COVERAGE = 0.6  # share of the question's content words the best passage must contain
MIN_COVERED = 1


class HitLike(Protocol):
    path: str
    title: str
    location: str
    text: str
    score: float
    chunk_id: int
    page: int | None
    article: str | None


class SearchesKb(Protocol):
    def search(self, query: str, k: int = ...) -> Sequence[Any]: ...


@dataclass(frozen=True)
class Source:
    n: int
    path: str
    title: str
    location: str
    text: str
    page: int | None = None
    article: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"n": self.n, "path": self.path, "title": self.title, "location": self.location}


@dataclass(frozen=True)
class Answer:
    question: str
    answer: str
    grounded: bool
    sources: list[Source]  # the numbered passages [1]..[n] the answer may cite
    model: str | None  # file name of the model that wrote it; None when extractive or not grounded
    cited: list[int] = field(default_factory=list)
    extractive: bool = False
    corrected: bool = False  # the citation check changed the model's text
    coverage: float = 0.0

    @property
    def cited_sources(self) -> list[Source]:
        return [s for s in self.sources if s.n in self.cited]

    def to_dict(self) -> dict[str, Any]:
        """The ``ask --json`` shape: only the sources the answer cites."""
        return {
            "question": self.question,
            "answer": self.answer,
            "grounded": self.grounded,
            "sources": [s.to_dict() for s in self.cited_sources],
            "model": self.model,
        }


@dataclass(frozen=True)
class PassagesFound:
    sources: list[Source]
    grounded: bool


@dataclass(frozen=True)
class AnswerToken:
    text: str


@dataclass(frozen=True)
class AnswerDone:
    answer: Answer


AnswerEvent = PassagesFound | AnswerToken | AnswerDone


@dataclass(frozen=True)
class Evidence:
    grounded: bool
    coverage: float
    content_words: list[str]
    covered_words: list[str]


class Answerer:
    """``ask(question, k, cancel)`` yields :data:`AnswerEvent` s; usable from any one thread at a time."""

    def __init__(self, kbase: SearchesKb, runtime: ModelRuntime | None, settings: Settings) -> None:
        self.kbase = kbase
        self.runtime = runtime
        self.settings = settings

    @property
    def not_found(self) -> str:
        return NOT_FOUND_EN if self.settings.ui.language == "en" else NOT_FOUND_JA

    def ask(
        self, question: str, k: int | None = None, cancel: threading.Event | None = None
    ) -> Iterator[AnswerEvent]:
        cancel = cancel or threading.Event()
        question = question.strip()
        hits = list(self.kbase.search(question, k or self.settings.kb.results)) if question else []
        evidence = judge_evidence(question, hits[:3])
        if not evidence.grounded:
            yield PassagesFound([], False)
            yield AnswerToken(self.not_found)
            yield AnswerDone(Answer(question, self.not_found, False, [], None, coverage=evidence.coverage))
            return
        sources = select_sources(question, hits)
        yield PassagesFound(sources, True)
        runtime = self.runtime
        if runtime is None or runtime.state not in ("ready", "loading") or cancel.is_set():
            yield from self._extractive(question, sources, evidence)
            return
        yield from self._generate(runtime, question, sources, evidence, cancel)

    def _extractive(self, question: str, sources: list[Source], evidence: Evidence) -> Iterator[AnswerEvent]:
        text, cited = extractive_answer(question, sources)
        yield AnswerToken(text)
        yield AnswerDone(Answer(question, text, True, sources, None, cited, extractive=True,
                                coverage=evidence.coverage))

    def _generate(
        self, runtime: ModelRuntime, question: str, sources: list[Source], evidence: Evidence,
        cancel: threading.Event,
    ) -> Iterator[AnswerEvent]:
        passages = [Passage(s.n, s.title, s.location, s.text) for s in sources]
        messages = grounded_messages(question, passages)
        pieces: list[str] = []
        try:
            stream = runtime.chat(messages, cancel=cancel, prefix_messages=FIXED_PREFIX_MESSAGES)
            try:
                for piece in stream:
                    pieces.append(piece)
                    yield AnswerToken(piece)
            finally:
                stream.close()
        except ModelError as exc:
            log.warning("generation failed, extractive answer instead: %s", exc)
            yield from self._extractive(question, sources, evidence)
            return
        raw = "".join(pieces).strip()
        checked, cited = check_citations(raw, sources)
        if not checked:
            text, cited = extractive_answer(question, sources)
            yield AnswerDone(Answer(question, text, True, sources, None, cited, extractive=True, corrected=True,
                                    coverage=evidence.coverage))
            return
        yield AnswerDone(Answer(question, checked, True, sources, runtime.model_name or None, cited,
                                corrected=checked != raw, coverage=evidence.coverage))


# ----- evidence -----


def judge_evidence(question: str, top_hits: Sequence[HitLike]) -> Evidence:
    """Grounded when one of the top passages holds enough of the question's content words."""
    analyzer = get_analyzer()
    units = [u for u in analyzer.query_units(question) if u.content]
    if not units or not top_hits:
        return Evidence(False, 0.0, [u.surface for u in units], [])
    best: list[str] = []
    for hit in top_hits:
        terms = set(analyzer.index_terms(hit.title + "\n" + hit.text))
        covered = [u.surface for u in units if all(t in terms for t in u.terms)]
        if len(covered) > len(best):
            best = covered
    coverage = len(best) / len(units)
    grounded = coverage >= MIN_COVERAGE and len(best) >= MIN_COVERED
    return Evidence(grounded, coverage, [u.surface for u in units], best)


# ----- passages -----


def select_sources(question: str, hits: Sequence[HitLike], limit: int = MAX_PASSAGES) -> list[Source]:
    seen: set[int] = set()
    out: list[Source] = []
    terms = _question_terms(question)
    for hit in hits:
        if hit.chunk_id in seen:
            continue
        seen.add(hit.chunk_id)
        text = _window(_tidy(hit.text), terms, PASSAGE_CHARS)
        out.append(Source(len(out) + 1, hit.path, hit.title, hit.location, text, hit.page, hit.article))
        if len(out) >= limit:
            break
    return out


def _question_terms(question: str) -> list[str]:
    analyzer = get_analyzer()
    return [u.surface for u in analyzer.query_units(question) if u.content]


def _tidy(text: str) -> str:
    text = re.sub(r"[ \t\u3000]+", " ", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _window(text: str, words: Sequence[str], size: int) -> str:
    """The ``size`` characters of ``text`` that hold the most question words (the whole text if short)."""
    if len(text) <= size:
        return text
    step = max(1, size // 4)
    best_start, best_hits = 0, -1
    norm = nfkc_lower(text)
    keys = [nfkc_lower(w) for w in words if w]
    for start in range(0, len(text) - size + step, step):
        window = norm[start : start + size]
        hits = sum(window.count(w) for w in keys)
        if hits > best_hits:
            best_start, best_hits = start, hits
    piece = text[best_start : best_start + size]
    return ("…" if best_start else "") + piece + ("…" if best_start + size < len(text) else "")


# ----- extractive answer -----

_SENTENCE_END = re.compile(r"(?<=[。！？!?])|\n+")


def split_sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text) if s and s.strip()]


def extractive_answer(question: str, sources: Sequence[Source], max_sentences: int = 2) -> tuple[str, list[int]]:
    """The sentences that carry the most question words, each with its [n]; the top passage comes first."""
    analyzer = get_analyzer()
    units = [u for u in analyzer.query_units(question) if u.content]
    scored: list[tuple[float, int, int, str]] = []
    for rank, src in enumerate(sources[:3]):
        for i, sentence in enumerate(split_sentences(src.text)):
            if len(sentence) < 4 or sentence.endswith(("？", "?")):
                continue  # a question (FAQ sheets, headings) is not an answer
            terms = set(analyzer.index_terms(sentence))
            hits = sum(1 for u in units if all(t in terms for t in u.terms))
            bonus = 0.3 if _numbers(sentence) else 0.0  # rules answer with numbers: days, yen, deadlines
            scored.append((hits + bonus - 0.5 * rank - 0.01 * i, src.n, i, sentence[:240]))
    if not scored:
        first = sources[0]
        return f"{first.text[:200]}[{first.n}]", [first.n]
    scored.sort(key=lambda x: -x[0])
    chosen = sorted(scored[:max_sentences], key=lambda x: (x[1], x[2]))
    parts = [_cite(sentence, [n]) for _, n, _, sentence in chosen]
    cited = sorted({n for _, n, _, _ in chosen})
    return "\n".join(parts), cited


# ----- citation check -----

_CITE = re.compile(r"\[(\d{1,2})\]|［(\d{1,2})］|【(\d{1,2})】")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_KANJI_DIGITS = {"〇": 0, "零": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_KANJI_UNITS = {"十": 10, "百": 100, "千": 1000}
_KANJI_NUMBER = re.compile(r"[〇零一二三四五六七八九十百千]+")


def nfkc_lower(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


def _kanji_to_int(s: str) -> int:
    total, current = 0, 0
    for ch in s:
        if ch in _KANJI_DIGITS:
            current = current * 10 + _KANJI_DIGITS[ch] if current else _KANJI_DIGITS[ch]
        else:
            total += (current or 1) * _KANJI_UNITS[ch]
            current = 0
    return total + current


def _numbers(text: str) -> set[str]:
    """Numbers in ``text`` (Arabic, full-width or kanji numerals), normalised: 30,000 → 30000, 五 → 5."""
    norm = nfkc_lower(_CITE.sub(" ", text))
    # Kanji numerals only where they count something (五日, 三か月), not inside words like 一般, 統一.
    norm = re.sub(
        r"[〇零一二三四五六七八九十百千]+(?=[日週月年回円人歳時分か箇ヶ%条項号])",
        lambda m: str(_kanji_to_int(m.group(0))),
        norm,
    )
    return {m.group(0).replace(",", "") for m in _NUMBER.finditer(norm)}


def check_citations(answer: str, sources: Sequence[Source]) -> tuple[str, list[int]]:
    """Keep the sentences whose numbers appear in the passage they cite; fix or drop the rest.

    Returns the checked text ("" when nothing supported remains) and the cited numbers.
    """
    if not answer or NOT_IN_PASSAGES in answer or NOT_FOUND_JA in answer:
        return "", []
    # "…です。[2]" → "…です[2]。" so a citation stays with its sentence when split.
    answer = re.sub(r"([。．.])\s*((?:\[\d{1,2}\])+)", r"\2\1", answer)
    by_n = {s.n: s for s in sources}
    numbers_of = {s.n: _numbers(s.title + " " + s.location + " " + s.text) for s in sources}
    kept: list[str] = []
    cited: list[int] = []
    for sentence in split_sentences(answer):
        refs = [int(next(g for g in m.groups() if g)) for m in _CITE.finditer(sentence)]
        body = _CITE.sub("", sentence).strip()
        if len(body) < 2:
            continue
        refs = [n for n in dict.fromkeys(refs) if n in by_n]
        needed = _numbers(body)
        good = [n for n in refs if needed <= numbers_of[n]]
        if not good and needed:
            good = [n for n in by_n if needed <= numbers_of[n]][:1]
        if not good and not needed:
            good = refs or _best_overlap(body, sources)
        if not good:
            continue  # a number no passage supports, or a claim with no passage behind it
        kept.append(_cite(body, good))
        cited.extend(good)
    return "".join(kept), sorted(set(cited))


def _cite(sentence: str, numbers: Sequence[int]) -> str:
    """``sentence`` with ``[n]`` marks placed before its closing punctuation: "…です[1]。"."""
    core = sentence.strip()
    end = re.search(r"[。．.!！?？]+$", core)
    punct = end.group(0) if end else "。"
    core = core[: end.start()] if end else core
    return core + "".join(f"[{n}]" for n in numbers) + punct


def _best_overlap(sentence: str, sources: Sequence[Source]) -> list[int]:
    analyzer = get_analyzer()
    words = set(analyzer.index_terms(sentence))
    if not words:
        return []
    best_n, best = 0, 0.0
    for src in sources:
        share = len(words & set(analyzer.index_terms(src.text))) / len(words)
        if share > best:
            best_n, best = src.n, share
    return [best_n] if best >= 0.6 else []


def runtime_config(settings: Settings) -> RuntimeConfig:
    """The runtime settings of the ``model`` section."""
    m = settings.model
    return RuntimeConfig(
        n_ctx=m.n_ctx, n_threads=m.n_threads, n_gpu_layers=m.n_gpu_layers, temperature=m.temperature,
        max_tokens=m.max_tokens,
    )
