"""Store, fetch, filter and merge inquiries and floor notes; the editable category and place lists.

Reads go through the calling thread's reader connection; writes through the single writer
(:meth:`LogbookDB.write`). Full-text filter: the FTS5 trigram index for terms of 3+ characters
(substring match, works for Japanese without a dictionary), the bigram index of :mod:`shortterms` for
1–2 word characters, and ``instr()`` over the same columns for the rest; see docs/PERFORMANCE.md.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import sqlite_utils

from desktop.logbook import shortterms
from desktop.logbook.db import LogbookDB
from desktop.logbook.migrations import INQUIRY_FTS_COLUMNS, NOTE_FTS_COLUMNS
from desktop.logbook.records import (
    KINDS,
    Filters,
    FollowUp,
    Inquiry,
    Note,
    Source,
    ValidationError,
    check_text,
    join_tags,
    normalize_datetime,
    now_iso,
    split_tags,
)

log = logging.getLogger(__name__)

_BATCH = 500


@dataclass
class MergeResult:
    """What a merge (import) did. ``skipped`` = the logbook already holds a newer version of the record."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    new_categories: list[str] = field(default_factory=list)


# --- row mapping --------------------------------------------------------------------------------------


def note_to_row(n: Note) -> dict[str, Any]:
    return {
        "id": n.id,
        "occurred_at": n.occurred_at,
        "place": n.place,
        "department": n.department,
        "category": n.category,
        "severity": n.severity,
        "text": n.text,
        "anonymous": 1 if n.anonymous else 0,
        "speaker": n.speaker,
        "cause": n.cause,
        "consequence": n.consequence,
        "countermeasure": n.countermeasure,
        "status": n.status,
        "owner": n.owner,
        "due_date": n.due_date,
        "resolved_date": n.resolved_date,
        "tags": join_tags(n.tags),
        "created_at": n.created_at,
        "updated_at": n.updated_at,
    }


def row_to_note(row: dict[str, Any], followups: list[FollowUp] | None = None) -> Note:
    return Note(
        id=row["id"],
        occurred_at=row["occurred_at"],
        place=row["place"],
        department=row["department"],
        category=row["category"],
        severity=row["severity"],
        text=row["text"],
        anonymous=bool(row["anonymous"]),
        speaker=row["speaker"],
        cause=row["cause"],
        consequence=row["consequence"],
        countermeasure=row["countermeasure"],
        status=row["status"],
        owner=row["owner"],
        due_date=row["due_date"],
        resolved_date=row["resolved_date"],
        tags=split_tags(row["tags"]),
        followups=list(followups or []),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def inquiry_to_row(q: Inquiry) -> dict[str, Any]:
    return {
        "id": q.id,
        "occurred_at": q.occurred_at,
        "channel": q.channel,
        "department": q.department,
        "requester": q.requester,
        "question": q.question,
        "answer": q.answer,
        "sources": json.dumps([s.to_dict() for s in q.sources], ensure_ascii=False),
        "category": q.category,
        "closing_category": q.closing_category,
        "status": q.status,
        "resolution": q.resolution,
        "rating": q.rating,
        "rating_reason": q.rating_reason,
        "minutes": q.minutes,
        "staff": q.staff,
        "created_at": q.created_at,
        "updated_at": q.updated_at,
    }


def row_to_inquiry(row: dict[str, Any]) -> Inquiry:
    sources = [Source(str(s.get("path", "")), str(s.get("title", "")), str(s.get("location", ""))) for s in json.loads(row["sources"] or "[]")]
    return Inquiry(
        id=row["id"],
        occurred_at=row["occurred_at"],
        channel=row["channel"],
        department=row["department"],
        requester=row["requester"],
        question=row["question"],
        answer=row["answer"],
        sources=sources,
        category=row["category"],
        closing_category=row["closing_category"],
        status=row["status"],
        resolution=row["resolution"],
        rating=row["rating"],
        rating_reason=row["rating_reason"],
        minutes=row["minutes"],
        staff=row["staff"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


# --- filters ------------------------------------------------------------------------------------------


def fts_phrase(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def build_where(kind: str, f: Filters) -> tuple[str, list[Any]]:
    """SQL ``WHERE`` (without the keyword; ``1`` when empty) and its parameters for one record kind."""
    table = check_kind(kind)
    conds: list[str] = []
    params: list[Any] = []
    if f.date_from:
        conds.append("occurred_at >= ?")
        params.append(f.date_from)
    if f.date_to:
        conds.append("occurred_at < ?")
        params.append((date.fromisoformat(f.date_to) + timedelta(days=1)).isoformat())
    if f.status:
        conds.append(f"status IN ({','.join('?' * len(f.status))})")
        params.extend(f.status)
    if f.category:
        marks = ",".join("?" * len(f.category))
        if kind == "inquiries":
            # The category that counts is the one at closing when it was set.
            conds.append(f"(CASE WHEN closing_category != '' THEN closing_category ELSE category END) IN ({marks})")
        else:
            conds.append(f"category IN ({marks})")
        params.extend(f.category)
    if f.place and kind == "notes":
        conds.append("place = ?")
        params.append(f.place)
    if f.department:
        conds.append("department = ?")
        params.append(f.department)
    if f.severity and kind == "notes":
        conds.append(f"severity IN ({','.join('?' * len(f.severity))})")
        params.extend(f.severity)
    if f.channel and kind == "inquiries":
        conds.append(f"channel IN ({','.join('?' * len(f.channel))})")
        params.extend(f.channel)
    terms = [t for t in f.text.split() if t]
    long_terms = [t for t in terms if len(t) >= 3]
    bigram_terms = [t for t in terms if len(t) < 3 and shortterms.can_serve(t)]
    short_terms = [t for t in terms if len(t) < 3 and not shortterms.can_serve(t)]
    if long_terms:
        conds.append(f"seq IN (SELECT rowid FROM {table}_fts WHERE {table}_fts MATCH ?)")
        params.append(" AND ".join(fts_phrase(t) for t in long_terms))
    if bigram_terms:
        conds.append(f"seq IN (SELECT rowid FROM {table}_bi WHERE {table}_bi MATCH ?)")
        params.append(shortterms.match_expression(bigram_terms))
    if short_terms:
        columns = NOTE_FTS_COLUMNS if kind == "notes" else INQUIRY_FTS_COLUMNS
        for t in short_terms:
            # Per column, no concatenation; lower() (ASCII-only in SQLite) only when the term has letters.
            fold = t.lower() != t.upper()
            col_expr = (lambda c: f"lower({c})") if fold else (lambda c: c)
            conds.append("(" + " OR ".join(f"instr({col_expr(c)}, ?) > 0" for c in columns) + ")")
            params.extend([t.lower()] * len(columns))
    return (" AND ".join(conds) or "1"), params


def check_kind(kind: str) -> str:
    """The table name for a record kind ("notes" or "inquiries"); anything else is a ValidationError."""
    if kind not in KINDS:
        raise ValidationError(
            f"種類「{kind}」は使えません。使える値: {' / '.join(KINDS)}",
            f"unknown kind {kind!r}; allowed: {', '.join(KINDS)}",
        )
    return kind


def _chunks(items: Sequence[Any], size: int = _BATCH) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


# --- editable lists -----------------------------------------------------------------------------------


class ListsRepository:
    """Categories (per kind) and places: editable lists, plus suggestions from history."""

    def __init__(self, db: LogbookDB) -> None:
        self._db = db

    def categories(self, kind: str) -> list[str]:
        rows = self._db.read().execute(
            "SELECT name FROM categories WHERE kind = ? ORDER BY position, name", [check_kind(kind)]
        )
        return [r[0] for r in rows]

    def set_categories(self, kind: str, names: Iterable[str]) -> list[str]:
        """Replace the list (order kept). Records keep their category even if it leaves the list."""
        clean = _clean_list(names, "分類", "category")
        if not clean:
            raise ValidationError("分類を1つ以上指定してください", "at least one category is needed")
        with self._db.write() as db:
            db.execute("DELETE FROM categories WHERE kind = ?", [check_kind(kind)])
            db.table("categories").insert_all([{"kind": kind, "name": n, "position": i} for i, n in enumerate(clean)])
        return clean

    def rename_category(self, kind: str, old: str, new: str) -> int:
        """Rename in the list and in every record; returns how many records changed."""
        table = check_kind(kind)
        check_text(new, "分類", "category")
        new = new.strip()
        if not new:
            raise ValidationError("新しい分類名が空です", "the new category name is empty")
        with self._db.write() as db:
            if db.execute("SELECT 1 FROM categories WHERE kind = ? AND name = ?", [kind, new]).fetchone():
                raise ValidationError(f"分類「{new}」はすでにあります", f"category {new!r} already exists")
            db.execute("UPDATE categories SET name = ? WHERE kind = ? AND name = ?", [new, kind, old])
            n = db.execute(f"UPDATE {table} SET category = ? WHERE category = ?", [new, old]).rowcount
            if kind == "inquiries":
                n += db.execute(
                    "UPDATE inquiries SET closing_category = ? WHERE closing_category = ?", [new, old]
                ).rowcount
        return int(n)

    def add_categories(self, db: sqlite_utils.Database, kind: str, names: Iterable[str]) -> list[str]:
        """Append unknown names (used by import, inside its transaction); returns those added."""
        have = {r[0] for r in db.execute("SELECT name FROM categories WHERE kind = ?", [kind])}
        start = db.execute("SELECT coalesce(max(position), -1) + 1 FROM categories WHERE kind = ?", [kind]).fetchone()[0]
        added = [n for n in dict.fromkeys(names) if n and n not in have]
        if added:
            db.table("categories").insert_all(
                [{"kind": kind, "name": n, "position": start + i} for i, n in enumerate(added)]
            )
        return added

    def places(self) -> list[str]:
        return [r[0] for r in self._db.read().execute("SELECT name FROM places ORDER BY position, name")]

    def set_places(self, names: Iterable[str]) -> list[str]:
        clean = _clean_list(names, "場所", "place")
        with self._db.write() as db:
            db.execute("DELETE FROM places")
            if clean:
                db.table("places").insert_all([{"name": n, "position": i} for i, n in enumerate(clean)])
        return clean

    def suggestions(self, field_name: str, kind: str = "notes", prefix: str = "", limit: int = 20) -> list[str]:
        """Distinct values used before, most frequent first. For places the edited list comes first."""
        table = check_kind(kind)
        if field_name not in ("place", "department", "owner", "staff", "requester", "speaker"):
            raise ValueError(f"no suggestions for {field_name!r}")
        out: list[str] = []
        if field_name == "place":
            out = [p for p in self.places() if p.startswith(prefix)]
        rows = self._db.read().execute(
            f"SELECT {field_name}, count(*) AS n FROM {table} WHERE {field_name} != '' AND {field_name} LIKE ? "
            f"ESCAPE '\\' GROUP BY {field_name} ORDER BY n DESC, {field_name} LIMIT ?",
            [_like_prefix(prefix), limit + len(out)],
        )
        for value, _n in rows:
            if value not in out:
                out.append(value)
        return out[:limit]


def _like_prefix(prefix: str) -> str:
    return prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _clean_list(names: Iterable[str], ja: str, en: str) -> list[str]:
    clean: list[str] = []
    for n in names:
        check_text(n, ja, en)
        n = n.strip()
        if n and n not in clean:
            clean.append(n)
    return clean


# --- records ------------------------------------------------------------------------------------------


class _RecordRepository:
    kind = ""

    def __init__(self, db: LogbookDB, lists: ListsRepository) -> None:
        self._db = db
        self._lists = lists

    def count(self, filters: Filters | None = None, cap: int | None = None) -> int:
        """How many records match. With ``cap``, stop counting past it (the UI shows "1000件以上")."""
        where, params = build_where(self.kind, filters or Filters())
        sql = f"SELECT count(*) FROM {self.kind} WHERE {where}"
        if cap is not None:
            sql = f"SELECT count(*) FROM (SELECT 1 FROM {self.kind} WHERE {where} LIMIT ?)"
            params = [*params, cap + 1]
        return int(self._db.read().execute(sql, params).fetchone()[0])

    def _select(self, filters: Filters) -> Iterator[dict[str, Any]]:
        where, params = build_where(self.kind, filters)
        order = "DESC" if filters.newest_first else "ASC"
        sql = f"SELECT * FROM {self.kind} WHERE {where} ORDER BY occurred_at {order}, seq {order}"
        if filters.limit is not None:
            sql += " LIMIT ? OFFSET ?"
            params = [*params, filters.limit, filters.offset]
        cur = self._db.read().conn.execute(sql, params)
        names = [d[0] for d in cur.description]
        for row in cur:
            yield dict(zip(names, row, strict=True))

    def delete(self, record_id: str) -> bool:
        with self._db.write() as db:
            return bool(db.execute(f"DELETE FROM {self.kind} WHERE id = ?", [record_id]).rowcount)

    def ids(self) -> set[str]:
        return {r[0] for r in self._db.read().execute(f"SELECT id FROM {self.kind}")}

    def _allowed_categories(self, db: sqlite_utils.Database, existing: str | None) -> list[str]:
        cats = [r[0] for r in db.execute("SELECT name FROM categories WHERE kind = ? ORDER BY position", [self.kind])]
        return [*cats, existing] if existing else cats

    @staticmethod
    def _stamp(record: Note | Inquiry, *, keep: bool) -> None:
        """New records get now; imported ones keep the times in the file (so a re-export is identical)."""
        now = now_iso()
        record.created_at = normalize_datetime(record.created_at, "作成日時", "created_at") if record.created_at else now
        if keep and record.updated_at:
            record.updated_at = normalize_datetime(record.updated_at, "更新日時", "updated_at")
        else:
            record.updated_at = record.created_at if keep else now


class NoteRepository(_RecordRepository):
    """Floor notes (現場の声) and their follow-ups."""

    kind = "notes"

    @staticmethod
    def _normalize(n: Note) -> None:
        n.normalize()

    def add(self, note: Note) -> Note:
        self._normalize(note)
        self._stamp(note, keep=False)
        with self._db.write() as db:
            note.validate(self._allowed_categories(db, None))
            db.table("notes").insert(note_to_row(note))
            self._write_followups(db, note)
        log.info("note added id=%s", note.id)
        return note

    def update(self, note: Note) -> Note:
        """Save all fields (follow-ups replaced by ``note.followups``); ``updated_at`` becomes now."""
        self._normalize(note)
        with self._db.write() as db:
            row = db.execute("SELECT seq, category FROM notes WHERE id = ?", [note.id]).fetchone()
            if row is None:
                raise KeyError(note.id)
            note.validate(self._allowed_categories(db, row[1]))
            note.updated_at = now_iso()
            values = note_to_row(note)
            values.pop("id")
            db.table("notes").update(row[0], values)
            db.execute("DELETE FROM note_followups WHERE note_id = ?", [note.id])
            self._write_followups(db, note)
        log.info("note updated id=%s", note.id)
        return note

    def add_followup(self, note_id: str, followup: FollowUp) -> FollowUp:
        followup.at = normalize_datetime(followup.at, "対応日時", "followups")
        check_text(followup.text, "対応履歴", "followups")
        check_text(followup.staff, "対応者", "followups")
        if not followup.text.strip():
            raise ValidationError("対応内容を入力してください", "the follow-up text is empty")
        with self._db.write() as db:
            if db.execute("SELECT 1 FROM notes WHERE id = ?", [note_id]).fetchone() is None:
                raise KeyError(note_id)
            db.table("note_followups").insert({"note_id": note_id, **followup.to_dict()})
            db.execute("UPDATE notes SET updated_at = ? WHERE id = ?", [now_iso(), note_id])
        return followup

    @staticmethod
    def _write_followups(db: sqlite_utils.Database, note: Note) -> None:
        if note.followups:
            db.table("note_followups").insert_all([{"note_id": note.id, **fu.to_dict()} for fu in note.followups])

    def get(self, note_id: str) -> Note | None:
        cur = self._db.read().conn.execute("SELECT * FROM notes WHERE id = ?", [note_id])
        names = [d[0] for d in cur.description]
        row = cur.fetchone()
        if row is None:
            return None
        return row_to_note(dict(zip(names, row, strict=True)), self._followups([note_id]).get(note_id, []))

    def _followups(self, note_ids: Sequence[str]) -> dict[str, list[FollowUp]]:
        out: dict[str, list[FollowUp]] = {}
        conn = self._db.read().conn
        for chunk in _chunks(list(note_ids)):
            rows = conn.execute(
                f"SELECT note_id, id, at, staff, text FROM note_followups WHERE note_id IN ({','.join('?' * len(chunk))}) "
                "ORDER BY at, seq",
                list(chunk),
            )
            for note_id, fid, at, staff, text in rows:
                out.setdefault(note_id, []).append(FollowUp(text=text, at=at, staff=staff, id=fid))
        return out

    def list(self, filters: Filters | None = None) -> list[Note]:
        return list(self.iter(filters))

    def iter(self, filters: Filters | None = None) -> Iterator[Note]:
        """Notes matching ``filters`` (newest first), follow-ups fetched in batches."""
        rows = self._select(filters or Filters())
        while True:
            batch = [r for _, r in zip(range(_BATCH), rows, strict=False)]
            if not batch:
                return
            fus = self._followups([r["id"] for r in batch])
            for r in batch:
                yield row_to_note(r, fus.get(r["id"], []))

    def merge(self, notes: Sequence[Note]) -> MergeResult:
        """Import: add new ids, update ids whose ``updated_at`` is newer, leave the rest. One transaction.

        A row without ``updated_at`` never overwrites a stored record (we cannot tell which is newer).
        """
        result = MergeResult()
        dated = {n.id for n in notes if n.updated_at}
        for n in notes:
            self._normalize(n)
            self._stamp(n, keep=True)
        with self._db.write() as db:
            result.new_categories = self._lists.add_categories(db, "notes", [n.category for n in notes])
            cats = self._allowed_categories(db, None)
            for n in notes:
                n.validate(cats)
            for chunk in _chunks(notes):
                existing = _existing(db, "notes", [n.id for n in chunk])
                fus = _existing_followups(db, [n.id for n in chunk if n.id in existing])
                new_rows: list[dict[str, Any]] = []
                new_fus: list[dict[str, Any]] = []
                for n in chunk:
                    row = note_to_row(n)
                    old = existing.get(n.id)
                    if old is None:
                        new_rows.append(row)
                        new_fus.extend({"note_id": n.id, **fu.to_dict()} for fu in n.followups)
                        existing[n.id] = row
                        result.added += 1
                        continue
                    same = _same(old, row, n.id in dated) and fus.get(n.id, []) == [
                        fu.to_dict() for fu in n.followups
                    ]
                    if same:
                        result.unchanged += 1
                    elif n.id in dated and n.updated_at > old["updated_at"]:
                        values = dict(row)
                        values.pop("id")
                        db.table("notes").update(old["seq"], values)
                        db.execute("DELETE FROM note_followups WHERE note_id = ?", [n.id])
                        self._write_followups(db, n)
                        result.updated += 1
                    else:
                        result.skipped += 1
                if new_rows:
                    db.table("notes").insert_all(new_rows, batch_size=200)
                if new_fus:
                    db.table("note_followups").insert_all(new_fus, batch_size=200)
        log.info("notes merged: %s", result)
        return result


class InquiryRepository(_RecordRepository):
    """Inquiries (問い合わせ)."""

    kind = "inquiries"

    @staticmethod
    def _normalize(q: Inquiry) -> None:
        q.normalize()

    def add(self, inquiry: Inquiry) -> Inquiry:
        self._normalize(inquiry)
        self._stamp(inquiry, keep=False)
        with self._db.write() as db:
            inquiry.validate(self._allowed_categories(db, None))
            db.table("inquiries").insert(inquiry_to_row(inquiry))
        log.info("inquiry added id=%s", inquiry.id)
        return inquiry

    def update(self, inquiry: Inquiry) -> Inquiry:
        self._normalize(inquiry)
        with self._db.write() as db:
            row = db.execute(
                "SELECT seq, category, closing_category FROM inquiries WHERE id = ?", [inquiry.id]
            ).fetchone()
            if row is None:
                raise KeyError(inquiry.id)
            allowed = self._allowed_categories(db, row[1])
            if row[2]:
                allowed.append(row[2])
            inquiry.validate(allowed)
            inquiry.updated_at = now_iso()
            values = inquiry_to_row(inquiry)
            values.pop("id")
            db.table("inquiries").update(row[0], values)
        log.info("inquiry updated id=%s", inquiry.id)
        return inquiry

    def get(self, inquiry_id: str) -> Inquiry | None:
        cur = self._db.read().conn.execute("SELECT * FROM inquiries WHERE id = ?", [inquiry_id])
        names = [d[0] for d in cur.description]
        row = cur.fetchone()
        return None if row is None else row_to_inquiry(dict(zip(names, row, strict=True)))

    def list(self, filters: Filters | None = None) -> list[Inquiry]:
        return list(self.iter(filters))

    def iter(self, filters: Filters | None = None) -> Iterator[Inquiry]:
        for r in self._select(filters or Filters()):
            yield row_to_inquiry(r)

    def merge(self, inquiries: Sequence[Inquiry]) -> MergeResult:
        result = MergeResult()
        dated = {q.id for q in inquiries if q.updated_at}
        for q in inquiries:
            self._normalize(q)
            self._stamp(q, keep=True)
        with self._db.write() as db:
            result.new_categories = self._lists.add_categories(
                db, "inquiries", [c for q in inquiries for c in (q.category, q.closing_category)]
            )
            cats = self._allowed_categories(db, None)
            for q in inquiries:
                q.validate(cats)
            for chunk in _chunks(inquiries):
                existing = _existing(db, "inquiries", [q.id for q in chunk])
                new_rows: list[dict[str, Any]] = []
                for q in chunk:
                    row = inquiry_to_row(q)
                    old = existing.get(q.id)
                    if old is None:
                        new_rows.append(row)
                        existing[q.id] = row
                        result.added += 1
                    elif _same(old, row, q.id in dated):
                        result.unchanged += 1
                    elif q.id in dated and q.updated_at > old["updated_at"]:
                        values = dict(row)
                        values.pop("id")
                        db.table("inquiries").update(old["seq"], values)
                        result.updated += 1
                    else:
                        result.skipped += 1
                if new_rows:
                    db.table("inquiries").insert_all(new_rows, batch_size=200)
        log.info("inquiries merged: %s", result)
        return result


def _same(old: dict[str, Any], new: dict[str, Any], compare_times: bool) -> bool:
    """Equal rows; a file without times (typed by hand) is compared on content only."""
    skip = () if compare_times else ("created_at", "updated_at")
    return all(old[k] == v for k, v in new.items() if k not in skip)


def _existing(db: sqlite_utils.Database, table: str, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    if not ids:
        return {}
    cur = db.execute(f"SELECT * FROM {table} WHERE id IN ({','.join('?' * len(ids))})", list(ids))
    names = [d[0] for d in cur.description]
    rows = (dict(zip(names, r, strict=True)) for r in cur)
    return {r["id"]: r for r in rows}


def _existing_followups(db: sqlite_utils.Database, note_ids: Sequence[str]) -> dict[str, list[dict[str, str]]]:
    out: dict[str, list[dict[str, str]]] = {}
    if not note_ids:
        return out
    rows = db.execute(
        f"SELECT note_id, id, at, staff, text FROM note_followups WHERE note_id IN ({','.join('?' * len(note_ids))}) "
        "ORDER BY at, seq",
        list(note_ids),
    )
    for note_id, fid, at, staff, text in rows:
        out.setdefault(note_id, []).append({"id": fid, "at": at, "staff": staff, "text": text})
    return out
