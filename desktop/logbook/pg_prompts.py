"""The team's prompt library on PostgreSQL: the same API and rules as :class:`desktop.logbook.PromptLibrary`.

In team mode the prompt library is the team's (table ``soumu.prompts``, migration ``0004_prompt_library``;
staff may add, edit, use, rate and delete prompts). The merge rules are shared with the SQLCipher library
(:func:`desktop.logbook.prompts.plan_merge`); ``team migrate`` brings a PC's prompts in with them.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence

from desktop.logbook.pg_store import PgDatabase
from desktop.logbook.prompts import _COLUMNS, Prompt, _row_to_prompt, plan_merge
from desktop.logbook.records import ValidationError, join_tags, now_iso, split_tags

_INSERT = (
    f"INSERT INTO prompts ({_COLUMNS}) VALUES (%(id)s, %(title)s, %(text)s, %(author)s, %(tags)s, %(uses)s, "
    "%(rating_total)s, %(rating_count)s, %(created_at)s, %(updated_at)s)"
)


class PgPromptLibrary:
    """Add, edit, find, use and rate the team's prompts (see :class:`desktop.logbook.PromptLibrary`)."""

    def __init__(self, db: PgDatabase) -> None:
        self._db = db

    def add(self, prompt: Prompt) -> Prompt:
        prompt.tags = split_tags(prompt.tags)
        prompt.validate()
        prompt.created_at = prompt.updated_at = now_iso()
        with self._db.tx() as conn:
            conn.execute(_INSERT, {
                "id": prompt.id, "title": prompt.title, "text": prompt.text, "author": prompt.author,
                "tags": join_tags(prompt.tags), "uses": prompt.uses, "rating_total": prompt.rating_total,
                "rating_count": prompt.rating_count, "created_at": prompt.created_at, "updated_at": prompt.updated_at,
            })
        return prompt

    def update(self, prompt: Prompt) -> Prompt:
        """Save title, text, author and tags (uses and ratings are changed only by use()/rate())."""
        prompt.tags = split_tags(prompt.tags)
        prompt.validate()
        prompt.updated_at = now_iso()
        with self._db.tx() as conn:
            n = conn.execute(
                "UPDATE prompts SET title = %s, text = %s, author = %s, tags = %s, updated_at = %s, "
                "updated_by = session_user WHERE id = %s",
                [prompt.title, prompt.text, prompt.author, join_tags(prompt.tags), prompt.updated_at, prompt.id],
            ).rowcount
        if not n:
            raise KeyError(prompt.id)
        return prompt

    def delete(self, prompt_id: str) -> bool:
        with self._db.tx() as conn:
            return bool(conn.execute("DELETE FROM prompts WHERE id = %s", [prompt_id]).rowcount)

    def get(self, prompt_id: str) -> Prompt | None:
        with self._db.tx() as conn:
            r = conn.execute(f"SELECT {_COLUMNS} FROM prompts WHERE id = %s", [prompt_id]).fetchone()
        return None if r is None else _row_to_prompt(tuple(r))

    def list(self, text: str = "", tag: str = "") -> builtins.list[Prompt]:
        """Best first: highest average rating, then most used. ``text`` matches title/text/author (substring)."""
        conds, params = ["TRUE"], []
        for term in text.split():
            conds.append("strpos(lower(title || E'\\n' || text || E'\\n' || author), lower(%s)) > 0")
            params.append(term)
        with self._db.tx() as conn:
            rows = conn.execute(
                f"SELECT {_COLUMNS} FROM prompts WHERE {' AND '.join(conds)} "
                "ORDER BY (CASE WHEN rating_count > 0 THEN 1.0 * rating_total / rating_count ELSE 0 END) DESC, "
                'uses DESC, title COLLATE "C"',
                params,
            ).fetchall()
        prompts = [_row_to_prompt(tuple(r)) for r in rows]
        return [p for p in prompts if not tag or tag in p.tags]

    def use(self, prompt_id: str) -> Prompt:
        with self._db.tx() as conn:
            n = conn.execute("UPDATE prompts SET uses = uses + 1 WHERE id = %s", [prompt_id]).rowcount
        found = self.get(prompt_id) if n else None
        if found is None:
            raise KeyError(prompt_id)
        return found

    def rate(self, prompt_id: str, stars: int) -> Prompt:
        if not isinstance(stars, int) or not 1 <= stars <= 5:
            raise ValidationError("評価は1〜5の整数です", "a rating is a whole number from 1 to 5")
        with self._db.tx() as conn:
            n = conn.execute(
                "UPDATE prompts SET rating_total = rating_total + %s, rating_count = rating_count + 1 WHERE id = %s",
                [stars, prompt_id],
            ).rowcount
        found = self.get(prompt_id) if n else None
        if found is None:
            raise KeyError(prompt_id)
        return found

    def merge(self, incoming: Sequence[Prompt]) -> tuple[int, int, int]:
        """Merge prompts (a shared file, or a PC's library in ``team migrate``); one transaction, rows locked."""
        cols = [c.strip() for c in _COLUMNS.split(",")]
        with self._db.tx() as conn:
            conn.execute("LOCK TABLE prompts IN SHARE ROW EXCLUSIVE MODE")  # two PCs merging at once: one waits
            rows = conn.execute(f"SELECT {_COLUMNS} FROM prompts").fetchall()
            plan = plan_merge({str(r[0]): dict(zip(cols, r, strict=True)) for r in rows}, incoming)
            with conn.cursor() as cur:
                if plan.inserts:
                    cur.executemany(_INSERT, plan.inserts)
                if plan.updates:
                    cur.executemany(
                        "UPDATE prompts SET title = %(title)s, text = %(text)s, author = %(author)s, tags = %(tags)s, "
                        "uses = %(uses)s, rating_total = %(rating_total)s, rating_count = %(rating_count)s, "
                        "updated_at = %(updated_at)s WHERE id = %(id)s",
                        plan.updates,
                    )
        return len(plan.inserts), len(plan.updates), plan.unchanged
