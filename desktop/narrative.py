"""The cited narrative for management: 3–6 findings for a month, each resting on themes and record IDs.

:func:`findings` computes the facts (largest themes of the month, rising themes, recurring problems,
open urgent notes, repeated questions, searches the rules could not answer) and writes each as a templated
sentence with its citations — ``[T3]`` for a theme, ``[#1a2b3c4d]`` for a record (the first 8 characters
of its ID). That is the narrative without a model.

With a model, :func:`model_narrative` asks it (JSON-schema output) to rewrite each finding for a manager.
Every rewritten sentence is checked the way an answer's citations are: **every number in it must be one of
the figures of its finding** (or of the month's name), it must be Japanese, and the finding's citations are
attached by us, so a cited ID always exists. A sentence that fails the check is replaced by the templated one, and the
narrative says which (``checked``). :func:`check_narrative` runs the same check over text the user edited,
so the 分析 page and the report can warn before export.

The narrative speaks the UI's language (``settings.ui.language``, ``"ja"`` or ``"en"``): the templates below
exist in both, and the model is asked to write in that language. The figures and citations are the same in
both, so the number/ID check does not depend on the language; what is quoted from the records (theme labels,
places, questions) stays as it was written.
"""

from __future__ import annotations

import bisect
import logging
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from desktop import insights as ins
from desktop.faq import faq_candidates
from desktop.insights_store import load_searches, record_ids
from desktop.logbook_insights import TRENDS_JA, LogbookAnalysis, _has_japanese, months_back

log = logging.getLogger(__name__)

MAX_FINDINGS = 6
LANGUAGES = ("ja", "en")
BULLETS = {"ja": "・", "en": "• "}
MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
             "November", "December")
TRENDS_EN = {"rising": "rising", "steady": "steady", "falling": "falling"}
# One template per finding kind and language; the fields are filled by :func:`findings`.
TEMPLATES: dict[str, dict[str, str]] = {
    "largest": {
        "ja": "{mm}月に最も多かったのは「{label}」で{count}件（{split}、{depts}部署から）でした [{cite}]。",
        "en": "The most frequent topic in {month_en} was “{label}”: {count} records ({split}, from {depts} "
              "departments) [{cite}].",
    },
    "rising": {
        "ja": "「{label}」は{trend}傾向です（直近3か月{recent}件、その前の3か月{before}件）[{cite}]。",
        "en": "“{label}” is {trend} ({recent} in the last 3 months, {before} in the 3 months before) [{cite}].",
    },
    "recurring": {
        "ja": "{place}の「{label}」は対応済みの後にも再び報告されています（計{total}件、{depts}部署、未対応{open}件）"
              "[{theme}] [{cite}]。",
        "en": "“{label}” at “{place}” was reported again after it had been marked done ({total} records, {depts} "
              "departments, {open} open) [{theme}] [{cite}].",
    },
    "urgent": {
        "ja": "{mm}月末時点で、重要度「緊急」「高」のまま未対応の現場の声が{count}件あります [{cite}]。",
        "en": "At the end of {month_en}, {count} floor notes of severity urgent or high were still open [{cite}].",
    },
    "faq": {
        "ja": "「{question}」と同じ趣旨の問い合わせが{count}件あり、FAQに載せる候補です [{cite}]。",
        "en": "{count} inquiries asked the same as “{question}”: a candidate for the FAQ [{cite}].",
    },
    "unanswered": {
        "ja": "{mm}月は規程で答えられなかった検索が{count}回あり、最も多いのは「{query}」（{times}回）です [{cite}]。",
        "en": "In {month_en}, {count} searches found no answer in the rules; the most frequent was “{query}” "
              "({times} times) [{cite}].",
    },
}
CITE_RE = re.compile(r"\[([^\[\]]+)\]")
NUMBER_RE = re.compile(r"\d+(?:\.\d+)?")
SEVERE = ("緊急", "高")


@dataclass
class Finding:
    kind: str  # "largest" | "rising" | "recurring" | "urgent" | "faq" | "unanswered"
    text: str  # the sentence, citations included
    cites: list[str]  # "T3" and full record IDs
    numbers: list[int]  # the figures the sentence may state
    template: str = ""  # the templated sentence (kept when the model's fails the check)


@dataclass
class Narrative:
    month: str
    findings: list[Finding] = field(default_factory=list)
    source: str = "template"  # "model" | "template" | "edited"
    replaced: int = 0  # model sentences that failed the check and were replaced by the templated one
    language: str = "ja"  # what the sentences are written in

    def to_text(self) -> str:
        bullet = BULLETS.get(self.language, BULLETS["ja"])
        return "\n".join(f"{bullet}{f.text}" for f in self.findings)

    def to_json(self) -> dict[str, Any]:
        return {"month": self.month, "source": self.source, "replaced": self.replaced, "language": self.language,
                "findings": [asdict(f) for f in self.findings]}


def _cite(ids: Sequence[str], limit: int = 3) -> str:
    return " ".join(f"#{i[:8]}" for i in list(ids)[:limit])


def _language(language: str) -> str:
    return language if language in LANGUAGES else "ja"


def _split(notes: int, inquiries: int, language: str) -> str:
    if language == "en":
        parts = [(f"{notes} floor note{'s' if notes != 1 else ''}", notes),
                 (f"{inquiries} inquir{'ies' if inquiries != 1 else 'y'}", inquiries)]
        return " and ".join(part for part, n in parts if n)
    return "・".join(part for part, n in ((f"現場の声{notes}件", notes), (f"問い合わせ{inquiries}件", inquiries)) if n)


def findings(analysis: LogbookAnalysis, month: str, language: str = "ja") -> list[Finding]:
    """The month's findings (``YYYY-MM``), most telling first, at most :data:`MAX_FINDINGS`, written in
    ``language`` (``"ja"`` or ``"en"``)."""
    analysis.ensure()
    lang = _language(language)
    period = ins.month(month)
    first, last = period.start.isoformat(), period.last_day.isoformat()
    out: list[Finding] = []
    mm = int(month[5:7])
    month_en = f"{MONTHS_EN[mm - 1]} {month[:4]}"

    def write(kind: str, **fields: Any) -> str:
        return TEMPLATES[kind][lang].format(mm=mm, month_en=month_en, **fields)

    month_themes = analysis.themes(first, last, min_count=2)
    if month_themes:
        th = month_themes[0]
        depts = [d for d in th.departments if d != "(未記入)"]
        out.append(_finding(
            "largest",
            write("largest", label=th.label, count=th.count, split=_split(th.notes, th.inquiries, lang),
                  depts=len(depts), cite=th.id),
            [th.id], [mm, th.count, th.notes, th.inquiries, len(depts)], [th.label]))

    history = {t.id: t for t in analysis.themes("", last)}
    rising = [t for t in history.values() if t.trend == "rising"]
    rising.sort(key=lambda t: -t.count)
    for th in rising[:2]:
        recent = sum(th.months.get(m, 0) for m in _last_months(month, 3))
        before = sum(th.months.get(m, 0) for m in _last_months(month, 6)[3:])
        trend = TRENDS_EN["rising"] if lang == "en" else TRENDS_JA["rising"]
        out.append(_finding(
            "rising", write("rising", label=th.label, trend=trend, recent=recent, before=before, cite=th.id),
            [th.id], [3, recent, before], [th.label]))

    recurring = [r for r in analysis.recurring() if "reopened" in r.reasons and r.last[:10] <= last]
    for r in recurring[:1]:
        out.append(_finding(
            "recurring",
            write("recurring", place=r.place, label=r.label, total=len(r.ids), depts=len(r.departments), open=r.open,
                  theme=r.theme_id, cite=_cite(r.reopened_after, 2)),
            [r.theme_id, *r.reopened_after[:2]], [len(r.ids), len(r.departments), r.open], [r.place, r.label]))

    urgent = [d for d in analysis.docs if d.kind == "note" and d.open and d.severity in SEVERE and d.at[:10] <= last]
    if urgent:
        urgent.sort(key=lambda d: d.at, reverse=True)
        out.append(_finding(
            "urgent", write("urgent", count=len(urgent), cite=_cite([d.id for d in urgent])),
            [d.id for d in urgent[:3]], [mm, len(urgent)]))

    faq = [c for c in faq_candidates(analysis, "", last) if c.source == "inquiries"]
    for c in faq[:1]:
        out.append(_finding(
            "faq", write("faq", question=c.question, count=c.count, cite=c.key), [c.key], [c.count], [c.question]))

    unanswered = [s for s in load_searches(analysis.book, first, period.end.isoformat()) if s.unanswered]
    if unanswered:
        counts: dict[str, list[str]] = {}
        for s in unanswered:
            counts.setdefault(unicodedata.normalize("NFKC", s.query).strip(), []).append(s.id)
        query, ids = max(counts.items(), key=lambda kv: (len(kv[1]), kv[0]))
        out.append(_finding(
            "unanswered",
            write("unanswered", count=len(unanswered), query=query, times=len(ids), cite=_cite(ids, 2)),
            ids[:2], [mm, len(unanswered), len(ids)], [query]))
    return out[:MAX_FINDINGS]


def _finding(kind: str, text: str, cites: list[str], numbers: list[int], names: Sequence[str] = ()) -> Finding:
    """``names``: the labels, places and questions quoted in the sentence; their digits (本社2F) are allowed."""
    literal = [int(n) for name in names for n in numbers_in(name) if float(n).is_integer()]
    return Finding(kind, text, cites, list(dict.fromkeys([*numbers, *literal])), text)


def _last_months(month: str, n: int) -> list[str]:
    return [months_back(month, i) for i in range(n)]


def template_narrative(analysis: LogbookAnalysis, month: str, language: str = "ja") -> Narrative:
    return Narrative(month, findings(analysis, month, language), "template", language=_language(language))


# ---- the check ---------------------------------------------------------------------------------------

def numbers_in(text: str) -> list[int | float]:
    """Numbers a reader sees in ``text`` (full-width digits folded; citations left out)."""
    plain = CITE_RE.sub(" ", unicodedata.normalize("NFKC", text))
    return [float(n) if "." in n else int(n) for n in NUMBER_RE.findall(plain)]


def cited(text: str) -> list[str]:
    out: list[str] = []
    for group in CITE_RE.findall(unicodedata.normalize("NFKC", text)):
        out.extend(t for t in re.split(r"[\s,、]+", group) if t)
    return out


@dataclass(frozen=True)
class Citable:
    """What a narrative may cite: the theme IDs and every record ID (sorted, for prefix lookup). Read once per
    narrative (:meth:`of`), not once per check: the 分析 page checks the text on every keystroke."""

    themes: frozenset[str]
    ids: tuple[str, ...]

    @classmethod
    def of(cls, analysis: LogbookAnalysis) -> Citable:
        analysis.ensure()
        return cls(frozenset(_theme_ids(analysis)), tuple(sorted(record_ids(analysis.book))))

    def resolve(self, token: str) -> str | None:
        """The theme ID or the one full record ID ``token`` names, else None (unknown, or ambiguous)."""
        if token in self.themes:
            return token
        if token.startswith("#") and len(token) >= 7:
            prefix = token[1:]
            at = bisect.bisect_left(self.ids, prefix)
            hits = [i for i in self.ids[at : at + 2] if i.startswith(prefix)]
            return hits[0] if len(hits) == 1 else None
        return None


def check_sentence(text: str, allowed: set[int | float], citable: Citable) -> list[str]:
    """Problems with one sentence: numbers that are not figures, citations that name nothing."""
    problems = [f"数値「{n:g}」は集計にありません / {n:g} is not a computed figure"
                for n in numbers_in(text) if n not in allowed]
    problems += [f"引用「{c}」に当たる記録・テーマがありません / {c} names no record or theme"
                 for c in cited(text) if citable.resolve(c) is None]
    return problems


def check_narrative(analysis: LogbookAnalysis | None, narrative: Narrative, text: str | None = None,
                    citable: Citable | None = None) -> list[str]:
    """Check edited text (one finding per line) against the narrative's figures and the logbook's IDs
    (``citable``: pass the one read for this narrative to check again without reading the logbook; then
    ``analysis`` may be None, as on the 分析 page, whose analysis lives in a child process)."""
    if citable is None:
        if analysis is None:
            raise ValueError("check_narrative needs the analysis or a Citable")
        citable = Citable.of(analysis)
    allowed = _allowed(narrative.month, [n for f in narrative.findings for n in f.numbers])
    lines = (text if text is not None else narrative.to_text()).splitlines()
    problems: list[str] = []
    for i, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        problems += [f"{i}行目: {p}" for p in check_sentence(line, allowed, citable)]
        if not cited(line):
            problems.append(f"{i}行目: 根拠（[T…] や [#…]）がありません / line {i} cites nothing")
    return problems


def _theme_ids(analysis: LogbookAnalysis) -> set[str]:
    model = analysis.model
    assert model is not None
    out = {model.name_of(t) for t in range(len(model.sizes))}
    out.update(c.key for c in faq_candidates(analysis))  # FAQ candidates of unanswered searches: "S:<id>"
    return out


def _allowed(month: str, numbers: Sequence[int | float]) -> set[int | float]:
    y, m = int(month[:4]), int(month[5:7])
    return {*numbers, y, m, 3}


# ---- the model's rewrite -----------------------------------------------------------------------------

def narrative_schema(n: int) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {
            "sentences": {"type": "array", "minItems": n, "maxItems": n,
                          "items": {"type": "string", "minLength": 8, "maxLength": 160}},
        },
        "required": ["sentences"],
        "additionalProperties": False,
    }


_QUOTED = re.compile(r"「[^」]*」|“[^”]*”|\"[^\"]*\"")
_KANA = re.compile(r"[\u3040-\u30ff]")


def _in_language(sentence: str, language: str) -> bool:
    """Whether the model wrote ``sentence`` in ``language``: Japanese text for ``ja``; for ``en``, English words
    and no kana outside what it quotes from the records."""
    if language == "en":
        return bool(re.search(r"[A-Za-z]{3,}", sentence)) and not _KANA.search(_QUOTED.sub(" ", sentence))
    return _has_japanese(sentence)


SYSTEM_PROMPTS = {
    "ja": ("総務部門が経営層に出す月次報告の所見を書きます。与えられた事実を1つずつ、丁寧で簡潔な日本語の1文に"
           "書き直してください。事実にない数字・推測・人名は書かないこと。数字は事実の数字をそのまま使うこと。"
           "JSONだけを出力してください。"),
    "en": ("You write the findings of a general-affairs department's monthly report for management. Rewrite each "
           "given fact as one polite, concise English sentence. Do not add numbers, guesses or names that are not "
           "in the facts; use the facts' numbers as they are; keep quoted Japanese labels as they are. "
           "Output JSON only."),
}
FACTS_HEADERS = {"ja": "事実（{n}件）", "en": "Facts ({n})"}


def model_narrative(analysis: LogbookAnalysis, runtime: Any, month: str, timeout: float = 120.0,
                    language: str = "ja") -> Narrative:
    """The findings rewritten by the model for a manager, each sentence checked (see the module docstring).

    Falls back to the templated narrative when there is no ready model or its output cannot be used."""
    lang = _language(language)
    base = template_narrative(analysis, month, lang)
    if runtime is None or getattr(runtime, "state", "none") != "ready" or not base.findings:
        return base
    from local_models.runtime import ModelError

    facts = "\n".join(f"{i}. {CITE_RE.sub('', f.template).strip()}" for i, f in enumerate(base.findings, start=1))
    messages = [
        {"role": "system", "content": SYSTEM_PROMPTS[lang]},
        {"role": "user", "content": FACTS_HEADERS[lang].format(n=len(base.findings)) + f":\n{facts}"},
    ]
    try:
        raw = runtime.complete_json(messages, narrative_schema(len(base.findings)),
                                    max_tokens=96 * len(base.findings), timeout=timeout)
    except (ModelError, TimeoutError) as exc:
        log.info("narrative fell back to the template: %s", exc)
        return base
    sentences = raw.get("sentences") if isinstance(raw, dict) else None
    if not isinstance(sentences, list) or len(sentences) != len(base.findings):
        return base
    citable = Citable.of(analysis)
    out = Narrative(month, [], "model", language=lang)
    for f, s in zip(base.findings, sentences, strict=True):
        sentence = CITE_RE.sub("", str(s)).strip()
        allowed = _allowed(month, f.numbers)
        text = f"{sentence} [{' '.join(c if c in citable.themes else '#' + c[:8] for c in f.cites)}]"
        if not _in_language(sentence, lang) or check_sentence(text, allowed, citable):
            out.replaced += 1
            text = f.template
        out.findings.append(Finding(f.kind, text, f.cites, f.numbers, f.template))
    if out.replaced == len(out.findings):
        out.source = "template"
    return out


__all__ = [
    "Citable",
    "Finding",
    "Narrative",
    "check_narrative",
    "check_sentence",
    "findings",
    "model_narrative",
    "numbers_in",
    "template_narrative",
]
