"""Every search and every question asked, so the team can see what the knowledge base could not answer.

One row per search/ask: the query, how many hits, whether the answer was grounded (``None`` for a plain
search), when, and an optional Good/Bad rating of the answer with a reason. The query text lives only
in the encrypted logbook, never in the log files.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from desktop.logbook.db import LogbookDB
from desktop.logbook.records import RATINGS, check_choice, check_text, new_id, normalize_datetime, now_iso

log = logging.getLogger(__name__)

SEARCH_KINDS = ("search", "ask")


@dataclass
class SearchEntry:
    query: str
    hits: int
    kind: str = "search"  # "search" (kb search) or "ask" (grounded answer)
    grounded: bool | None = None
    at: str = ""
    rating: str = ""
    rating_reason: str = ""
    id: str = ""

    @property
    def unanswered(self) -> bool:
        """Nothing found, or an answer the passages did not support."""
        return self.hits == 0 or self.grounded is False


class SearchLog:
    """Record and read the search/ask history (table ``search_log``)."""

    def __init__(self, db: LogbookDB) -> None:
        self._db = db

    def record(
        self, query: str, hits: int, *, kind: str = "search", grounded: bool | None = None, at: str = ""
    ) -> SearchEntry:
        check_choice(kind, SEARCH_KINDS, "種類", "kind")
        check_text(query, "検索語", "query")
        entry = SearchEntry(
            query=query.strip(),
            hits=max(int(hits), 0),
            kind=kind,
            grounded=grounded,
            at=normalize_datetime(at) if at else now_iso(),
            id=new_id(),
        )
        with self._db.write() as db:
            db.table("search_log").insert(
                {
                    "id": entry.id,
                    "at": entry.at,
                    "kind": entry.kind,
                    "query": entry.query,
                    "hits": entry.hits,
                    "grounded": None if grounded is None else int(grounded),
                }
            )
        log.debug("search recorded kind=%s hits=%d grounded=%s", kind, entry.hits, grounded)
        return entry

    def rate(self, entry_id: str, rating: str, reason: str = "") -> None:
        """Good/Bad for an answer ("" clears the rating)."""
        if rating:
            check_choice(rating, RATINGS, "評価", "rating")
        check_text(reason, "理由", "reason")
        with self._db.write() as db:
            n = db.execute(
                "UPDATE search_log SET rating = ?, rating_reason = ? WHERE id = ?", [rating, reason, entry_id]
            ).rowcount
        if not n:
            raise KeyError(entry_id)

    def entries(self, date_from: str = "", date_to: str = "", *, unanswered_only: bool = False) -> list[SearchEntry]:
        """Entries between two dates (inclusive, ``YYYY-MM-DD``), oldest first."""
        conds, params = ["1"], []
        if date_from:
            conds.append("at >= ?")
            params.append(date_from)
        if date_to:
            conds.append("at < ?")
            params.append(date_to + "T99")  # every time on date_to sorts before "T99"
        if unanswered_only:
            conds.append("(hits = 0 OR grounded = 0)")
        rows = self._db.read().execute(
            "SELECT id, at, kind, query, hits, grounded, rating, rating_reason FROM search_log "
            f"WHERE {' AND '.join(conds)} ORDER BY at, seq",
            params,
        )
        return [
            SearchEntry(
                id=r[0], at=r[1], kind=r[2], query=r[3], hits=r[4],
                grounded=None if r[5] is None else bool(r[5]), rating=r[6], rating_reason=r[7],
            )
            for r in rows
        ]
