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

    def to_text(self) -> str:
        return "\n".join(f"・{f.text}" for f in self.findings)

    def to_json(self) -> dict[str, Any]:
        return {"month": self.month, "source": self.source, "replaced": self.replaced,
                "findings": [asdict(f) for f in self.findings]}


def _cite(ids: Sequence[str], limit: int = 3) -> str:
    return " ".join(f"#{i[:8]}" for i in list(ids)[:limit])


def findings(analysis: LogbookAnalysis, month: str) -> list[Finding]:
    """The month's findings (``YYYY-MM``), most telling first, at most :data:`MAX_FINDINGS`."""
    analysis.ensure()
    period = ins.month(month)
    first, last = period.start.isoformat(), period.last_day.isoformat()
    out: list[Finding] = []
    mm = int(month[5:7])

    month_themes = analysis.themes(first, last, min_count=2)
    if month_themes:
        th = month_themes[0]
        depts = [d for d in th.departments if d != "(未記入)"]
        split = "・".join(part for part, n in ((f"現場の声{th.notes}件", th.notes), (f"問い合わせ{th.inquiries}件",
                                                                                      th.inquiries)) if n)
        out.append(_finding(
            "largest",
            f"{mm}月に最も多かったのは「{th.label}」で{th.count}件（{split}、{len(depts)}部署から）でした [{th.id}]。",
            [th.id], [mm, th.count, th.notes, th.inquiries, len(depts)], [th.label]))

    history = {t.id: t for t in analysis.themes("", last)}
    rising = [t for t in history.values() if t.trend == "rising"]
    rising.sort(key=lambda t: -t.count)
    for th in rising[:2]:
        recent = sum(th.months.get(m, 0) for m in _last_months(month, 3))
        before = sum(th.months.get(m, 0) for m in _last_months(month, 6)[3:])
        out.append(_finding(
            "rising",
            f"「{th.label}」は{TRENDS_JA['rising']}傾向です（直近3か月{recent}件、その前の3か月{before}件）[{th.id}]。",
            [th.id], [3, recent, before], [th.label]))

    recurring = [r for r in analysis.recurring() if "reopened" in r.reasons and r.last[:10] <= last]
    for r in recurring[:1]:
        out.append(_finding(
            "recurring",
            f"{r.place}の「{r.label}」は対応済みの後にも再び報告されています（計{len(r.ids)}件、{len(r.departments)}部署、"
            f"未対応{r.open}件）[{r.theme_id}] [{_cite(r.reopened_after, 2)}]。",
            [r.theme_id, *r.reopened_after[:2]], [len(r.ids), len(r.departments), r.open], [r.place, r.label]))

    urgent = [d for d in analysis.docs if d.kind == "note" and d.open and d.severity in SEVERE and d.at[:10] <= last]
    if urgent:
        urgent.sort(key=lambda d: d.at, reverse=True)
        out.append(_finding(
            "urgent",
            f"{mm}月末時点で、重要度「緊急」「高」のまま未対応の現場の声が{len(urgent)}件あります "
            f"[{_cite([d.id for d in urgent])}]。",
            [d.id for d in urgent[:3]], [mm, len(urgent)]))

    faq = [c for c in faq_candidates(analysis, "", last) if c.source == "inquiries"]
    for c in faq[:1]:
        out.append(_finding(
            "faq",
            f"「{c.question}」と同じ趣旨の問い合わせが{c.count}件あり、FAQに載せる候補です [{c.key}]。",
            [c.key], [c.count], [c.question]))

    unanswered = [s for s in load_searches(analysis.book, first, period.end.isoformat()) if s.unanswered]
    if unanswered:
        counts: dict[str, list[str]] = {}
        for s in unanswered:
            counts.setdefault(unicodedata.normalize("NFKC", s.query).strip(), []).append(s.id)
        query, ids = max(counts.items(), key=lambda kv: (len(kv[1]), kv[0]))
        out.append(_finding(
            "unanswered",
            f"{mm}月は規程で答えられなかった検索が{len(unanswered)}回あり、最も多いのは「{query}」（{len(ids)}回）です "
            f"[{_cite(ids, 2)}]。",
            ids[:2], [mm, len(unanswered), len(ids)], [query]))
    return out[:MAX_FINDINGS]


def _finding(kind: str, text: str, cites: list[str], numbers: list[int], names: Sequence[str] = ()) -> Finding:
    """``names``: the labels, places and questions quoted in the sentence; their digits (本社2F) are allowed."""
    literal = [int(n) for name in names for n in numbers_in(name) if float(n).is_integer()]
    return Finding(kind, text, cites, list(dict.fromkeys([*numbers, *literal])), text)


def _last_months(month: str, n: int) -> list[str]:
    return [months_back(month, i) for i in range(n)]


def template_narrative(analysis: LogbookAnalysis, month: str) -> Narrative:
    return Narrative(month, findings(analysis, month), "template")


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


def check_narrative(analysis: LogbookAnalysis, narrative: Narrative, text: str | None = None,
                    citable: Citable | None = None) -> list[str]:
    """Check edited text (one finding per line) against the narrative's figures and the logbook's IDs
    (``citable``: pass the one read for this narrative to check again without reading the logbook)."""
    citable = citable if citable is not None else Citable.of(analysis)
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


def model_narrative(analysis: LogbookAnalysis, runtime: Any, month: str, timeout: float = 120.0) -> Narrative:
    """The findings rewritten by the model for a manager, each sentence checked (see the module docstring).

    Falls back to the templated narrative when there is no ready model or its output cannot be used."""
    base = template_narrative(analysis, month)
    if runtime is None or getattr(runtime, "state", "none") != "ready" or not base.findings:
        return base
    from local_models.runtime import ModelError

    facts = "\n".join(f"{i}. {CITE_RE.sub('', f.template).strip()}" for i, f in enumerate(base.findings, start=1))
    messages = [
        {"role": "system", "content": (
            "総務部門が経営層に出す月次報告の所見を書きます。与えられた事実を1つずつ、丁寧で簡潔な日本語の1文に"
            "書き直してください。事実にない数字・推測・人名は書かないこと。数字は事実の数字をそのまま使うこと。"
            "JSONだけを出力してください。")},
        {"role": "user", "content": f"事実（{len(base.findings)}件）:\n{facts}"},
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
    out = Narrative(month, [], "model")
    for f, s in zip(base.findings, sentences, strict=True):
        sentence = CITE_RE.sub("", str(s)).strip()
        allowed = _allowed(month, f.numbers)
        text = f"{sentence} [{' '.join(c if c in citable.themes else '#' + c[:8] for c in f.cites)}]"
        if not _has_japanese(sentence) or check_sentence(text, allowed, citable):
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
