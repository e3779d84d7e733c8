"""The team's shared prompt library: prompts that worked, who wrote them, how often used, how well rated.

Stored in the encrypted logbook (prompts often quote internal cases). Ratings are 1–5 stars; the library
keeps the total and the count so the average is exact.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from desktop.logbook.db import LogbookDB
from desktop.logbook.records import ValidationError, check_text, join_tags, new_id, now_iso, split_tags

log = logging.getLogger(__name__)


@dataclass
class Prompt:
    title: str
    text: str
    author: str = ""
    tags: list[str] = field(default_factory=list)
    uses: int = 0
    rating_total: int = 0
    rating_count: int = 0
    id: str = field(default_factory=new_id)
    created_at: str = ""
    updated_at: str = ""

    @property
    def rating(self) -> float | None:
        """Average stars, ``None`` when nobody rated it yet."""
        return self.rating_total / self.rating_count if self.rating_count else None

    def validate(self) -> None:
        for name, ja in (("title", "題名"), ("text", "本文"), ("author", "作成者")):
            check_text(getattr(self, name), ja, name)
        if not self.title.strip() or not self.text.strip():
            raise ValidationError("題名と本文を入力してください", "title and text are required")


_COLUMNS = "id, title, text, author, tags, uses, rating_total, rating_count, created_at, updated_at"


def _content_key(title: str, text: str) -> tuple[str, str]:
    return title.strip(), text.strip()


def _row_to_prompt(r: tuple[object, ...]) -> Prompt:
    return Prompt(
        id=str(r[0]), title=str(r[1]), text=str(r[2]), author=str(r[3]), tags=split_tags(str(r[4])),
        uses=int(r[5]), rating_total=int(r[6]), rating_count=int(r[7]),  # type: ignore[call-overload]
        created_at=str(r[8]), updated_at=str(r[9]),
    )


class PromptLibrary:
    """Add, edit, find, use and rate shared prompts (table ``prompts``)."""

    def __init__(self, db: LogbookDB) -> None:
        self._db = db

    def add(self, prompt: Prompt) -> Prompt:
        prompt.tags = split_tags(prompt.tags)
        prompt.validate()
        prompt.created_at = prompt.updated_at = now_iso()
        with self._db.write() as db:
            db.table("prompts").insert(
                {
                    "id": prompt.id, "title": prompt.title, "text": prompt.text, "author": prompt.author,
                    "tags": join_tags(prompt.tags), "uses": prompt.uses, "rating_total": prompt.rating_total,
                    "rating_count": prompt.rating_count, "created_at": prompt.created_at,
                    "updated_at": prompt.updated_at,
                }
            )
        return prompt

    def update(self, prompt: Prompt) -> Prompt:
        """Save title, text, author and tags (uses and ratings are changed only by use()/rate())."""
        prompt.tags = split_tags(prompt.tags)
        prompt.validate()
        prompt.updated_at = now_iso()
        with self._db.write() as db:
            n = db.execute(
                "UPDATE prompts SET title = ?, text = ?, author = ?, tags = ?, updated_at = ? WHERE id = ?",
                [prompt.title, prompt.text, prompt.author, join_tags(prompt.tags), prompt.updated_at, prompt.id],
            ).rowcount
        if not n:
            raise KeyError(prompt.id)
        return prompt

    def delete(self, prompt_id: str) -> bool:
        with self._db.write() as db:
            return bool(db.execute("DELETE FROM prompts WHERE id = ?", [prompt_id]).rowcount)

    def get(self, prompt_id: str) -> Prompt | None:
        r = self._db.read().execute(f"SELECT {_COLUMNS} FROM prompts WHERE id = ?", [prompt_id]).fetchone()
        return None if r is None else _row_to_prompt(r)

    def list(self, text: str = "", tag: str = "") -> list[Prompt]:
        """Best first: highest average rating, then most used. ``text`` matches title/text/author (substring)."""
        conds, params = ["1"], []
        for term in text.split():
            conds.append("instr(lower(title || char(10) || text || char(10) || author), lower(?)) > 0")
            params.append(term)
        rows = self._db.read().execute(
            f"SELECT {_COLUMNS} FROM prompts WHERE {' AND '.join(conds)} "
            "ORDER BY (CASE WHEN rating_count > 0 THEN 1.0 * rating_total / rating_count ELSE 0 END) DESC, "
            "uses DESC, title",
            params,
        )
        prompts = [_row_to_prompt(r) for r in rows]
        return [p for p in prompts if not tag or tag in p.tags]

    def use(self, prompt_id: str) -> Prompt:
        """Count one use and return the prompt (the caller pastes its text into the question box)."""
        with self._db.write() as db:
            n = db.execute("UPDATE prompts SET uses = uses + 1 WHERE id = ?", [prompt_id]).rowcount
        found = self.get(prompt_id) if n else None
        if found is None:
            raise KeyError(prompt_id)
        return found

    def rate(self, prompt_id: str, stars: int) -> Prompt:
        if not isinstance(stars, int) or not 1 <= stars <= 5:
            raise ValidationError("評価は1〜5の整数です", "a rating is a whole number from 1 to 5")
        with self._db.write() as db:
            n = db.execute(
                "UPDATE prompts SET rating_total = rating_total + ?, rating_count = rating_count + 1 WHERE id = ?",
                [stars, prompt_id],
            ).rowcount
        found = self.get(prompt_id) if n else None
        if found is None:
            raise KeyError(prompt_id)
        return found

    def merge(self, incoming: Sequence[Prompt]) -> tuple[int, int, int]:
        """Merge prompts from another PC, keeping their timestamps and counts; returns (added, updated, unchanged).

        By id, never twice (nor the same title+text under a new id); the newer ``updated_at`` keeps its
        wording; uses and (total, count) ratings merge with max, so importing the same file again changes
        nothing. One transaction. The rules are explained in :mod:`desktop.prompt_share`.
        """
        cols = [c.strip() for c in _COLUMNS.split(",")]
        with self._db.write() as db:
            rows = db.execute(f"SELECT {_COLUMNS} FROM prompts").fetchall()
            plan = plan_merge({str(r[0]): dict(zip(cols, r, strict=True)) for r in rows}, incoming)
            if plan.inserts:
                db.table("prompts").insert_all(plan.inserts)
            for new in plan.updates:
                db.execute(
                    "UPDATE prompts SET title = ?, text = ?, author = ?, tags = ?, uses = ?, rating_total = ?, "
                    "rating_count = ?, updated_at = ? WHERE id = ?",
                    [new["title"], new["text"], new["author"], new["tags"], new["uses"], new["rating_total"],
                     new["rating_count"], new["updated_at"], new["id"]],
                )
        return len(plan.inserts), len(plan.updates), plan.unchanged


@dataclass
class MergePlan:
    """What merging prompts into a library does: rows to insert, rows to update (whole), how many unchanged."""

    inserts: list[dict[str, object]] = field(default_factory=list)
    updates: list[dict[str, object]] = field(default_factory=list)
    unchanged: int = 0


def plan_merge(local: dict[str, dict[str, object]], incoming: Sequence[Prompt]) -> MergePlan:
    """The merge rules of :meth:`PromptLibrary.merge` on plain rows (``_COLUMNS`` keys), for either store."""
    plan = MergePlan()
    stamp = now_iso()
    by_content = {_content_key(str(r["title"]), str(r["text"])): i for i, r in local.items()}
    for p in incoming:
        mine = local.get(p.id)
        if mine is None:
            if _content_key(p.title, p.text) in by_content:
                plan.unchanged += 1
                continue
            row: dict[str, object] = {
                "id": p.id, "title": p.title, "text": p.text, "author": p.author,
                "tags": join_tags(p.tags), "uses": p.uses, "rating_total": p.rating_total,
                "rating_count": p.rating_count, "created_at": p.created_at or stamp,
                "updated_at": p.updated_at or stamp,
            }
            plan.inserts.append(row)
            local[p.id] = row
            by_content[_content_key(p.title, p.text)] = p.id
            continue
        new = dict(mine)
        if p.updated_at and p.updated_at > str(mine["updated_at"]):
            new.update(title=p.title, text=p.text, author=p.author, tags=join_tags(p.tags), updated_at=p.updated_at)
        new["uses"] = max(int(str(mine["uses"])), p.uses)
        if p.rating_count > int(str(mine["rating_count"])):
            new["rating_total"], new["rating_count"] = p.rating_total, p.rating_count
        if new == mine:
            plan.unchanged += 1
            continue
        plan.updates.append(new)
        local[p.id] = new
    return plan
