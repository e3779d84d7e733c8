"""FAQ candidates from the logbook, and the FAQ sheet that takes them back into the knowledge base.

Two sources of candidates:

* **inquiries asked repeatedly in different words** — the inquiries of one theme (:mod:`desktop.themes`
  groups by meaning, so 「締め日はいつ？」 and 「申請期限を教えて」 meet), when there are at least
  :data:`MIN_REPEATS`;
* **searches the rules could not answer** (no hit, or an answer the passages did not support), grouped
  the same way, when asked at least :data:`MIN_REPEATS` times.

Each candidate carries a draft row — 質問 (the wording nearest the group's centre), 回答 (the answer
staff gave most often), 根拠規程 (the passages those answers cited most often) — which staff review and
edit; edits are kept in the logbook. :func:`write_faq_xlsx` writes the sheet with the columns of the demo
FAQ (``kb/demo/社内よくある質問.xlsx``: No. / 分類 / 質問 / 回答 / 根拠規程 / 更新日); saved into a
knowledge folder, the watcher indexes it and the 回答 page can answer from it.
"""

from __future__ import annotations

import io
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from desktop.insights_store import Doc, load_searches
from desktop.logbook.csvio import neutralize, write_atomic
from desktop.logbook_insights import LogbookAnalysis
from desktop.themes import cluster

MIN_REPEATS = 2
FAQ_COLUMNS = ("No.", "分類", "質問", "回答", "根拠規程", "更新日")
EDITS = "faq_edits"
# Inquiry categories → the short 分類 the demo FAQ uses (others are written as they are).
SHORT_CATEGORY = {
    "経費精算": "経費",
    "出張・旅費": "出張",
    "勤怠・休暇": "休暇",
    "慶弔・福利厚生": "慶弔",
    "備品・消耗品": "備品",
    "IT・機器": "IT",
    "施設・設備": "施設",
    "安全・防災": "防災",
    "規程・制度": "規程",
}


@dataclass
class FaqCandidate:
    key: str  # stable: the theme ID, or "S:<first search id>" for unanswered searches
    source: str  # "inquiries" or "unanswered"
    question: str
    answer: str
    sources: str  # 根拠規程, e.g. "経費精算規程 第5条"
    category: str
    ids: list[str]
    count: int
    wordings: list[str] = field(default_factory=list)  # how it was asked (distinct, up to 5)
    edited: bool = False

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["sources"] = [s for s in self.sources.split("、") if s]
        return out


def _source_label(s: dict[str, str]) -> str:
    title = s.get("title") or Path(s.get("path", "")).stem
    return " ".join(p for p in (title, s.get("location", "")) if p)


def _draft_from_inquiries(key: str, members: list[Doc], scores: dict[str, float]) -> FaqCandidate:
    ranked = sorted(members, key=lambda d: -scores.get(d.key, 0.0))
    answers = Counter(d.answer.strip() for d in members if d.answer.strip())
    answer = max(answers.items(), key=lambda kv: (kv[1], len(kv[0])))[0] if answers else ""
    cited = Counter(_source_label(s) for d in members if d.answer.strip() == answer for s in d.sources)
    cited.pop("", None)
    category = Counter(d.category for d in members if d.category).most_common(1)
    cat = category[0][0] if category else ""
    return FaqCandidate(
        key=key,
        source="inquiries",
        question=ranked[0].text.strip(),
        answer=answer,
        sources="、".join(s for s, _ in cited.most_common(2)),
        category=SHORT_CATEGORY.get(cat, cat),
        ids=[d.id for d in sorted(members, key=lambda d: d.at)],
        count=len(members),
        wordings=list(dict.fromkeys(d.text.strip() for d in ranked))[:5],
    )


def faq_candidates(
    analysis: LogbookAnalysis, date_from: str = "", date_to: str = "", *, min_repeats: int = MIN_REPEATS,
    with_edits: bool = True,
) -> list[FaqCandidate]:
    """Candidates over the period (inclusive ``YYYY-MM-DD`` bounds), most asked first."""
    analysis.ensure()
    model = analysis.model
    assert model is not None
    out: list[FaqCandidate] = []
    for theme in analysis.themes(date_from, date_to, min_count=min_repeats, kind="inquiry"):
        ids = set(theme.ids)
        members = [d for d in analysis.docs if d.kind == "inquiry" and d.id in ids]
        out.append(_draft_from_inquiries(theme.id, members, model.scores))
    out.extend(_unanswered(analysis, date_from, date_to, min_repeats))
    if with_edits:
        edits = load_edits(analysis)
        for c in out:
            e = edits.get(c.key)
            if e:
                c.question = e.get("question", c.question)
                c.answer = e.get("answer", c.answer)
                c.sources = e.get("sources", c.sources)
                c.category = e.get("category", c.category)
                c.edited = True
    out.sort(key=lambda c: (-c.count, c.key))
    return out


def _unanswered(analysis: LogbookAnalysis, date_from: str, date_to: str, min_repeats: int) -> list[FaqCandidate]:
    end = (date.fromisoformat(date_to) + timedelta(days=1)).isoformat() if date_to else ""
    rows = [r for r in load_searches(analysis.book, date_from, end) if r.unanswered and r.query.strip()]
    if len(rows) < min_repeats:
        return []
    vec = analysis.vectorizer
    x = vec.transform([r.query for r in rows], kind="query")
    result = cluster(x, vec.threshold, min_size=min_repeats)
    out: list[FaqCandidate] = []
    for theme in range(len(result.sizes)):
        idx = np.flatnonzero(result.labels == theme)
        best = idx[int(np.argmax(result.scores[idx]))]
        members = [rows[i] for i in idx]
        out.append(FaqCandidate(
            key="S:" + members[0].id,
            source="unanswered",
            question=rows[best].query.strip(),
            answer="",
            sources="",
            category="",
            ids=[m.id for m in members],
            count=len(members),
            wordings=list(dict.fromkeys(m.query.strip() for m in members))[:5],
        ))
    return out


# ---- staff edits ------------------------------------------------------------------------------------


def load_edits(analysis: LogbookAnalysis) -> dict[str, dict[str, str]]:
    got = analysis.cache.get(EDITS)
    return dict(got[0]) if got else {}


def save_edit(analysis: LogbookAnalysis, candidate: FaqCandidate) -> None:
    """Keep staff's wording of a draft row (in the logbook), so a refresh does not lose it."""
    edits = load_edits(analysis)
    edits[candidate.key] = {
        "question": candidate.question,
        "answer": candidate.answer,
        "sources": candidate.sources,
        "category": candidate.category,
    }
    analysis.cache.put(EDITS, edits)


def discard_edit(analysis: LogbookAnalysis, key: str) -> None:
    edits = load_edits(analysis)
    if edits.pop(key, None) is not None:
        analysis.cache.put(EDITS, edits)


# ---- the sheet ----------------------------------------------------------------------------------------


@dataclass
class FaqExport:
    path: Path
    rows: int
    skipped: int  # candidates without an answer yet


def write_faq_xlsx(candidates: list[FaqCandidate], path: Path, updated: date | None = None) -> FaqExport:
    """The FAQ sheet (same columns as the demo FAQ); rows without an answer are left out (an FAQ entry
    with no answer would only teach the knowledge base to find nothing)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    day = updated or date.today()
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "FAQ"
    ws.append(list(FAQ_COLUMNS))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    rows = [c for c in candidates if c.question.strip() and c.answer.strip()]
    for n, c in enumerate(rows, start=1):
        ws.append([n, neutralize(c.category), neutralize(c.question.strip()), neutralize(c.answer.strip()),
                   neutralize(c.sources), datetime(day.year, day.month, day.day)])
        ws.cell(ws.max_row, 6).number_format = "yyyy/mm/dd"
        for col in (3, 4):
            ws.cell(ws.max_row, col).alignment = Alignment(wrap_text=True, vertical="top")
    for letter, width in zip("ABCDEF", (6, 10, 44, 64, 28, 12), strict=True):
        ws.column_dimensions[letter].width = width
    about = wb.create_sheet("このシートについて")
    about.append(["社内よくある質問（FAQ）— 総務デスクのログブックから作成"])
    about.append([f"作成：{day.isoformat()}　問い合わせの繰り返しと、答えられなかった検索から、担当者が確認して作成しました。"])

    def write(fh: io.BufferedWriter) -> None:
        wb.save(fh)

    write_atomic(Path(path), write)
    return FaqExport(Path(path), len(rows), len(candidates) - len(rows))
