"""The team's search log on PostgreSQL: the same API as :class:`desktop.logbook.SearchLog`.

In team mode every PC's searches and questions go to one table (``soumu.search_log``, migration
``0005_search_log``; staff may add entries and rate answers, and the login that searched is kept in ``by``),
so the analysis's "unanswered searches" count the whole team. Each PC's copy mirrors it
(desktop/logbook/team_book.py), where the analysis reads it.
"""

from __future__ import annotations

import logging

from desktop.logbook.pg_store import PgDatabase
from desktop.logbook.records import RATINGS, check_choice, check_text, new_id, normalize_datetime, now_iso
from desktop.logbook.searchlog import SEARCH_KINDS, SearchEntry

log = logging.getLogger(__name__)

_SELECT = "SELECT id, at, kind, query, hits, grounded, rating, rating_reason FROM search_log"


def _entry(r: tuple[object, ...]) -> SearchEntry:
    return SearchEntry(id=str(r[0]), at=str(r[1]), kind=str(r[2]), query=str(r[3]), hits=int(str(r[4])),
                       grounded=None if r[5] is None else bool(r[5]), rating=str(r[6]), rating_reason=str(r[7]))


class PgSearchLog:
    """Record and read the team's search/ask history."""

    def __init__(self, db: PgDatabase) -> None:
        self._db = db

    def record(
        self, query: str, hits: int, *, kind: str = "search", grounded: bool | None = None, at: str = ""
    ) -> SearchEntry:
        check_choice(kind, SEARCH_KINDS, "種類", "kind")
        check_text(query, "検索語", "query")
        entry = SearchEntry(query=query.strip(), hits=max(int(hits), 0), kind=kind, grounded=grounded,
                            at=normalize_datetime(at) if at else now_iso(), id=new_id())
        with self._db.tx() as conn:
            conn.execute(
                "INSERT INTO search_log (id, at, kind, query, hits, grounded) VALUES (%s, %s, %s, %s, %s, %s)",
                [entry.id, entry.at, entry.kind, entry.query, entry.hits, grounded],
            )
        log.debug("team search recorded kind=%s hits=%d grounded=%s", kind, entry.hits, grounded)
        return entry

    def rate(self, entry_id: str, rating: str, reason: str = "") -> None:
        """Good/Bad for an answer ("" clears the rating)."""
        if rating:
            check_choice(rating, RATINGS, "評価", "rating")
        check_text(reason, "理由", "reason")
        with self._db.tx() as conn:
            n = conn.execute(
                "UPDATE search_log SET rating = %s, rating_reason = %s WHERE id = %s", [rating, reason, entry_id]
            ).rowcount
        if not n:
            raise KeyError(entry_id)

    def entries(self, date_from: str = "", date_to: str = "", *, unanswered_only: bool = False) -> list[SearchEntry]:
        """Entries between two dates (inclusive, ``YYYY-MM-DD``), oldest first."""
        conds, params = ["TRUE"], []
        if date_from:
            conds.append("at >= %s")
            params.append(date_from)
        if date_to:
            conds.append("at < %s")
            params.append(date_to + "T99")
        if unanswered_only:
            conds.append("(hits = 0 OR grounded IS FALSE)")
        with self._db.tx() as conn:
            rows = conn.execute(f"{_SELECT} WHERE {' AND '.join(conds)} ORDER BY at, seq", params).fetchall()
        return [_entry(tuple(r)) for r in rows]

    def states(self) -> dict[str, str]:
        """Every entry's id → its rating state (what a PC's copy compares to know what to fetch)."""
        with self._db.tx() as conn:
            return {r[0]: f"{r[1]}\x1f{r[2]}" for r in conn.execute("SELECT id, rating, rating_reason FROM search_log")}

    def get_many(self, ids: list[str]) -> list[SearchEntry]:
        with self._db.tx() as conn:
            rows = conn.execute(f"{_SELECT} WHERE id = ANY(%s) ORDER BY at, seq", [ids]).fetchall()
        return [_entry(tuple(r)) for r in rows]
