"""Aggregations over the logbook for charts and the monthly report.

Plain data out (lists of small dataclasses), no Qt: the UI draws them, :mod:`desktop.reports` writes them.
Periods follow the company's fiscal year (``LogbookSettings.fiscal_year_start_month``): fiscal year
2026 with an April start runs 2026-04-01 .. 2027-03-31, the Japanese 2026年度 convention.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from desktop.logbook import Logbook
from desktop.logbook.records import OPEN_NOTE_STATUSES


@dataclass(frozen=True)
class Period:
    """``start`` inclusive, ``end`` exclusive."""

    start: date
    end: date
    label: str

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)

    def months(self) -> list[str]:
        out, d = [], self.start.replace(day=1)
        while d < self.end:
            out.append(d.strftime("%Y-%m"))
            d = _add_months(d, 1)
        return out

    def sql_bounds(self) -> tuple[str, str]:
        return self.start.isoformat(), self.end.isoformat()


def _add_months(d: date, n: int) -> date:
    total = d.year * 12 + (d.month - 1) + n
    return date(total // 12, total % 12 + 1, 1)


def fiscal_year_of(day: date, start_month: int) -> int:
    """The fiscal year a day belongs to, named by the calendar year the fiscal year starts in."""
    return day.year if day.month >= start_month else day.year - 1


def fiscal_year(fy: int, start_month: int) -> Period:
    start = date(fy, start_month, 1)
    return Period(start, _add_months(start, 12), f"{fy}年度 / FY{fy}")


def month(text: str) -> Period:
    """``YYYY-MM`` → that month."""
    if not re.fullmatch(r"\d{4}-\d{2}", text or "") or not 1 <= int(text[5:]) <= 12:
        raise ValueError(f"月は YYYY-MM の形式で指定してください / month must be YYYY-MM: {text!r}")
    start = date(int(text[:4]), int(text[5:]), 1)
    return Period(start, _add_months(start, 1), text)


def fiscal_year_to_date(month_period: Period, start_month: int) -> Period:
    fy = fiscal_year_of(month_period.start, start_month)
    full = fiscal_year(fy, start_month)
    return Period(full.start, month_period.end, f"{fy}年度累計 / FY{fy} to date")


@dataclass(frozen=True)
class Count:
    key: str
    count: int


@dataclass(frozen=True)
class MonthCount:
    month: str
    key: str
    count: int


@dataclass(frozen=True)
class OpenDone:
    month: str
    open: int
    done: int


@dataclass(frozen=True)
class SearchMonth:
    month: str
    total: int
    unanswered: int


@dataclass
class RepeatedQuestion:
    text: str  # the most common wording
    count: int
    ids: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class BadAnswer:
    at: str
    source: str  # "inquiry" or "search"
    question: str
    reason: str
    record_id: str


_ENDINGS = re.compile(r"(でしょうか|ですか|ますか|ませんか|ですが|か)$")


def normalize_question(text: str) -> str:
    """Group key for "the same question": NFKC, lower case, no spaces/punctuation, no trailing ですか etc."""
    folded = unicodedata.normalize("NFKC", text).lower()
    kept = "".join(ch for ch in folded if unicodedata.category(ch)[0] not in ("P", "S", "Z", "C"))
    return _ENDINGS.sub("", kept)


class Insights:
    """Read-only aggregations; every method takes a :class:`Period`."""

    def __init__(self, book: Logbook, fiscal_start_month: int | None = None) -> None:
        self._book = book
        self.fiscal_start = fiscal_start_month or book.settings.fiscal_start()

    def _rows(self, sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
        return list(self._book.db.read().execute(sql, params).fetchall())

    # --- floor notes -------------------------------------------------------------------------------
    def notes_by_category_per_month(self, p: Period) -> list[MonthCount]:
        rows = self._rows(
            "SELECT substr(occurred_at, 1, 7) AS m, category, count(*) FROM notes "
            "WHERE occurred_at >= ? AND occurred_at < ? GROUP BY m, category ORDER BY m, category",
            list(p.sql_bounds()),
        )
        return [MonthCount(m, c, n) for m, c, n in rows]

    def notes_by(self, column: str, p: Period, limit: int | None = None) -> list[Count]:
        """Counts per ``place``, ``department``, ``category``, ``severity`` or ``status``, largest first."""
        if column not in ("place", "department", "category", "severity", "status"):
            raise ValueError(column)
        rows = self._rows(
            f"SELECT CASE WHEN {column} = '' THEN '(未記入)' ELSE {column} END AS k, count(*) AS n FROM notes "
            "WHERE occurred_at >= ? AND occurred_at < ? GROUP BY k ORDER BY n DESC, k"
            + (" LIMIT ?" if limit else ""),
            [*p.sql_bounds(), *([limit] if limit else [])],
        )
        return [Count(k, n) for k, n in rows]

    def notes_by_place(self, p: Period, limit: int | None = 10) -> list[Count]:
        return self.notes_by("place", p, limit)

    def notes_open_vs_done(self, p: Period) -> list[OpenDone]:
        """Per month of occurrence: how many of those notes are still open / done (now)."""
        marks = ",".join("?" * len(OPEN_NOTE_STATUSES))
        rows = self._rows(
            f"SELECT substr(occurred_at, 1, 7) AS m, sum(status IN ({marks})), sum(status NOT IN ({marks})) "
            "FROM notes WHERE occurred_at >= ? AND occurred_at < ? GROUP BY m ORDER BY m",
            [*OPEN_NOTE_STATUSES, *OPEN_NOTE_STATUSES, *p.sql_bounds()],
        )
        found = {m: OpenDone(m, o, d) for m, o, d in rows}
        return [found.get(m, OpenDone(m, 0, 0)) for m in p.months()]

    def open_notes(self, as_of: date, min_severity: tuple[str, ...] = ("高", "緊急")) -> list[dict[str, str]]:
        """Notes still open at ``as_of`` (occurred before it), most severe and oldest first."""
        marks = ",".join("?" * len(OPEN_NOTE_STATUSES))
        sev = ",".join("?" * len(min_severity))
        rows = self._rows(
            f"SELECT id, occurred_at, place, category, severity, status, owner, due_date, text FROM notes "
            f"WHERE status IN ({marks}) AND severity IN ({sev}) AND occurred_at < ? "
            "ORDER BY CASE severity WHEN '緊急' THEN 0 WHEN '高' THEN 1 WHEN '中' THEN 2 ELSE 3 END, occurred_at",
            [*OPEN_NOTE_STATUSES, *min_severity, (as_of + timedelta(days=1)).isoformat()],
        )
        keys = ("id", "occurred_at", "place", "category", "severity", "status", "owner", "due_date", "text")
        return [dict(zip(keys, r, strict=True)) for r in rows]

    def overdue_notes(self, as_of: date) -> int:
        marks = ",".join("?" * len(OPEN_NOTE_STATUSES))
        rows = self._rows(
            f"SELECT count(*) FROM notes WHERE status IN ({marks}) AND due_date != '' AND due_date < ?",
            [*OPEN_NOTE_STATUSES, as_of.isoformat()],
        )
        return int(rows[0][0])

    def notes_resolved_in(self, p: Period) -> int:
        rows = self._rows(
            "SELECT count(*) FROM notes WHERE resolved_date >= ? AND resolved_date < ?", list(p.sql_bounds())
        )
        return int(rows[0][0])

    # --- inquiries ---------------------------------------------------------------------------------
    def inquiries_by(self, column: str, p: Period) -> list[Count]:
        """Counts per ``category`` (the closing one when set), ``channel``, ``status``, ``resolution``, ``department``."""
        expr = {
            "category": "CASE WHEN closing_category != '' THEN closing_category ELSE category END",
            "channel": "channel",
            "status": "status",
            "resolution": "resolution",
            "department": "department",
        }.get(column)
        if expr is None:
            raise ValueError(column)
        rows = self._rows(
            f"SELECT CASE WHEN ({expr}) = '' THEN '(未記入)' ELSE ({expr}) END AS k, count(*) AS n FROM inquiries "
            "WHERE occurred_at >= ? AND occurred_at < ? GROUP BY k ORDER BY n DESC, k",
            list(p.sql_bounds()),
        )
        return [Count(k, n) for k, n in rows]

    def inquiries_by_category(self, p: Period) -> list[Count]:
        return self.inquiries_by("category", p)

    def inquiries_by_channel(self, p: Period) -> list[Count]:
        return self.inquiries_by("channel", p)

    def inquiries_per_month(self, p: Period) -> list[Count]:
        rows = self._rows(
            "SELECT substr(occurred_at, 1, 7) AS m, count(*) FROM inquiries "
            "WHERE occurred_at >= ? AND occurred_at < ? GROUP BY m",
            list(p.sql_bounds()),
        )
        found = dict(rows)
        return [Count(m, int(found.get(m, 0))) for m in p.months()]

    def notes_per_month(self, p: Period) -> list[Count]:
        rows = self._rows(
            "SELECT substr(occurred_at, 1, 7) AS m, count(*) FROM notes "
            "WHERE occurred_at >= ? AND occurred_at < ? GROUP BY m",
            list(p.sql_bounds()),
        )
        found = dict(rows)
        return [Count(m, int(found.get(m, 0))) for m in p.months()]

    def inquiry_minutes(self, p: Period) -> tuple[int, int]:
        """(total minutes, inquiries with a time recorded)."""
        rows = self._rows(
            "SELECT coalesce(sum(minutes), 0), count(minutes) FROM inquiries WHERE occurred_at >= ? AND occurred_at < ?",
            list(p.sql_bounds()),
        )
        return int(rows[0][0]), int(rows[0][1])

    def repeated_questions(self, p: Period, min_count: int = 2, limit: int = 20) -> list[RepeatedQuestion]:
        """Questions asked more than once, grouped by :func:`normalize_question`."""
        rows = self._rows(
            "SELECT id, question FROM inquiries WHERE occurred_at >= ? AND occurred_at < ? ORDER BY occurred_at",
            list(p.sql_bounds()),
        )
        groups: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for rid, question in rows:
            key = normalize_question(question)
            if key:
                groups[key].append((rid, question.strip()))
        out = [
            RepeatedQuestion(Counter(q for _, q in items).most_common(1)[0][0], len(items), [i for i, _ in items])
            for items in groups.values()
            if len(items) >= min_count
        ]
        out.sort(key=lambda r: (-r.count, r.text))
        return out[:limit]

    # --- searches and answers ----------------------------------------------------------------------
    def unanswered_searches_per_month(self, p: Period) -> list[SearchMonth]:
        rows = self._rows(
            "SELECT substr(at, 1, 7) AS m, count(*), sum(hits = 0 OR grounded = 0) FROM search_log "
            "WHERE at >= ? AND at < ? GROUP BY m",
            list(p.sql_bounds()),
        )
        found = {m: SearchMonth(m, t, int(u or 0)) for m, t, u in rows}
        return [found.get(m, SearchMonth(m, 0, 0)) for m in p.months()]

    def unanswered_questions(self, p: Period, limit: int = 20) -> list[RepeatedQuestion]:
        """What the knowledge base could not answer (no hits, or not grounded), most asked first."""
        rows = self._rows(
            "SELECT id, query FROM search_log WHERE at >= ? AND at < ? AND (hits = 0 OR grounded = 0) ORDER BY at",
            list(p.sql_bounds()),
        )
        groups: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for rid, query in rows:
            groups[normalize_question(query) or query].append((rid, query.strip()))
        out = [
            RepeatedQuestion(Counter(q for _, q in items).most_common(1)[0][0], len(items), [i for i, _ in items])
            for items in groups.values()
        ]
        out.sort(key=lambda r: (-r.count, r.text))
        return out[:limit]

    def bad_answers(self, p: Period) -> list[BadAnswer]:
        """AI answers rated Bad, from inquiries and from the search/ask log, oldest first."""
        rows = self._rows(
            "SELECT occurred_at, 'inquiry', question, rating_reason, id FROM inquiries "
            "WHERE rating = 'Bad' AND occurred_at >= ? AND occurred_at < ? "
            "UNION ALL SELECT at, 'search', query, rating_reason, id FROM search_log "
            "WHERE rating = 'Bad' AND at >= ? AND at < ? ORDER BY 1",
            [*p.sql_bounds(), *p.sql_bounds()],
        )
        return [BadAnswer(*r) for r in rows]
