"""The team logbook on PostgreSQL (psycopg 3): the same records and filters as the SQLCipher store.

It satisfies the protocols of :mod:`desktop.logbook.store`; what it adds (DESIGN.md §5):

- **Optimistic concurrency.** Every record carries the ``version`` it was read at. ``update`` locks the
  row, compares, and raises :class:`~desktop.logbook.store.ConflictError` with both versions when someone
  else saved in between: the second save is told, never silently lost. The server bumps ``version`` and
  sets ``updated_by`` in a trigger (desktop/logbook/pg_schema.py).
- **Roles.** Deleting is a SQL grant to ``soumu_manager`` only; a staff login gets
  :class:`~desktop.logbook.store.PermissionDeniedError`. Export checks the same role.
- **One connection per thread**, each statement group in one transaction (``conn.transaction()``).

Text filter: every term (space = AND) is a case-insensitive substring of the searchable fields (the same
fields as the SQLCipher trigram index), served by a pg_trgm GIN index for terms of 3+ characters and by
the ``grams`` array index (every 1–2 character substring) for shorter ones.
"""

from __future__ import annotations

import builtins
import contextlib
import hashlib
import json
import logging
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Generic, TypeVar

import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from desktop.logbook.csvio import ExportResult, ImportFileError, export_csv, read_csv
from desktop.logbook.pg_connect import TeamTarget, connect, has_role, server_status
from desktop.logbook.pg_schema import INQUIRY_SEARCH, MANAGER_ROLE, NOTE_SEARCH, SCHEMA, check_current
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
from desktop.logbook.repository import (
    MergeResult,
    _clean_list,
    check_kind,
    inquiry_to_row,
    note_to_row,
)
from desktop.logbook.store import ConflictError, PermissionDeniedError
from desktop.logbook.xlsxio import export_xlsx, read_xlsx

log = logging.getLogger(__name__)

_BATCH = 500
R = TypeVar("R", Note, Inquiry)


class PgDatabase:
    """Connections to one team logbook: one per thread, opened on first use, all closed by :meth:`close`."""

    def __init__(self, target: TeamTarget, password: str | None) -> None:
        self.target = target
        self._password = password
        self._local = threading.local()
        self._all: list[psycopg.Connection] = []
        self._all_lock = threading.Lock()
        self._closed = False

    def conn(self) -> psycopg.Connection:
        if self._closed:
            raise RuntimeError("the team logbook is closed")
        conn: psycopg.Connection | None = getattr(self._local, "conn", None)
        if conn is None or conn.closed:
            conn = connect(self.target, self._password)
            self._local.conn = conn
            with self._all_lock:
                self._all.append(conn)
        return conn

    @contextlib.contextmanager
    def tx(self) -> Iterator[psycopg.Connection]:
        conn = self.conn()
        with conn.transaction():
            yield conn

    def listener_conninfo(self) -> tuple[TeamTarget, str | None]:
        return self.target, self._password

    def close(self) -> None:
        self._closed = True
        with self._all_lock:
            for conn in self._all:
                with contextlib.suppress(psycopg.Error):
                    conn.close()
            self._all.clear()


# --- row mapping (PostgreSQL types <-> the records' ISO strings) ---------------------------------------


def _ts(value: str) -> datetime:
    return datetime.fromisoformat(value)


def _iso(value: datetime | None) -> str:
    return value.replace(microsecond=0).isoformat() if value is not None else ""


def _day(value: str) -> date | None:
    return date.fromisoformat(value) if value else None


def _day_iso(value: date | None) -> str:
    return value.isoformat() if value is not None else ""


_NOTE_COLUMNS = (
    "id", "occurred_at", "place", "department", "category", "severity", "text", "anonymous", "speaker",
    "cause", "consequence", "countermeasure", "status", "owner", "due_date", "resolved_date", "tags",
    "created_at", "updated_at",
)
_INQUIRY_COLUMNS = (
    "id", "occurred_at", "channel", "department", "requester", "question", "answer", "sources", "category",
    "closing_category", "status", "resolution", "rating", "rating_reason", "minutes", "staff",
    "created_at", "updated_at",
)
_PROVENANCE = ("created_by", "updated_by", "version")


def _note_params(n: Note) -> dict[str, Any]:
    return {
        "id": n.id, "occurred_at": _ts(n.occurred_at), "place": n.place, "department": n.department,
        "category": n.category, "severity": n.severity, "text": n.text, "anonymous": n.anonymous,
        "speaker": n.speaker, "cause": n.cause, "consequence": n.consequence,
        "countermeasure": n.countermeasure, "status": n.status, "owner": n.owner,
        "due_date": _day(n.due_date), "resolved_date": _day(n.resolved_date), "tags": join_tags(n.tags),
        "created_at": _ts(n.created_at), "updated_at": _ts(n.updated_at),
    }


def _note_from(row: dict[str, Any], followups: list[FollowUp]) -> Note:
    return Note(
        id=row["id"], occurred_at=_iso(row["occurred_at"]), place=row["place"], department=row["department"],
        category=row["category"], severity=row["severity"], text=row["text"], anonymous=bool(row["anonymous"]),
        speaker=row["speaker"], cause=row["cause"], consequence=row["consequence"],
        countermeasure=row["countermeasure"], status=row["status"], owner=row["owner"],
        due_date=_day_iso(row["due_date"]), resolved_date=_day_iso(row["resolved_date"]),
        tags=split_tags(row["tags"]), followups=followups, created_at=_iso(row["created_at"]),
        updated_at=_iso(row["updated_at"]), created_by=row["created_by"], updated_by=row["updated_by"],
        version=int(row["version"]),
    )


def _inquiry_params(q: Inquiry) -> dict[str, Any]:
    return {
        "id": q.id, "occurred_at": _ts(q.occurred_at), "channel": q.channel, "department": q.department,
        "requester": q.requester, "question": q.question, "answer": q.answer,
        "sources": Jsonb([s.to_dict() for s in q.sources]), "category": q.category,
        "closing_category": q.closing_category, "status": q.status, "resolution": q.resolution,
        "rating": q.rating, "rating_reason": q.rating_reason, "minutes": q.minutes, "staff": q.staff,
        "created_at": _ts(q.created_at), "updated_at": _ts(q.updated_at),
    }


def _inquiry_from(row: dict[str, Any]) -> Inquiry:
    sources = [Source(str(s.get("path", "")), str(s.get("title", "")), str(s.get("location", ""))) for s in row["sources"]]
    return Inquiry(
        id=row["id"], occurred_at=_iso(row["occurred_at"]), channel=row["channel"], department=row["department"],
        requester=row["requester"], question=row["question"], answer=row["answer"], sources=sources,
        category=row["category"], closing_category=row["closing_category"], status=row["status"],
        resolution=row["resolution"], rating=row["rating"], rating_reason=row["rating_reason"],
        minutes=row["minutes"], staff=row["staff"], created_at=_iso(row["created_at"]),
        updated_at=_iso(row["updated_at"]), created_by=row["created_by"], updated_by=row["updated_by"],
        version=int(row["version"]),
    )


def content_hash(record: Note | Inquiry) -> str:
    """sha256 of what the record says (its export row and follow-ups), without who/version: the same
    record hashes the same on either store, which is how `team migrate` verifies a copy."""
    if isinstance(record, Note):
        body: dict[str, Any] = note_to_row(record)
        body["followups"] = [fu.to_dict() for fu in record.followups]
    else:
        body = inquiry_to_row(record)
    return hashlib.sha256(json.dumps(body, ensure_ascii=False, sort_keys=True).encode("utf-8")).hexdigest()


# --- filters -----------------------------------------------------------------------------------------


def _like(term: str) -> str:
    return "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def build_where(kind: str, f: Filters) -> tuple[str, list[Any]]:
    """SQL ``WHERE`` body (``TRUE`` when empty) and parameters; the same meaning as the SQLCipher one."""
    check_kind(kind)
    conds: list[str] = []
    params: list[Any] = []
    if f.date_from:
        conds.append("occurred_at >= %s")
        params.append(date.fromisoformat(f.date_from))
    if f.date_to:
        conds.append("occurred_at < %s")
        params.append(date.fromisoformat(f.date_to) + timedelta(days=1))
    if f.status:
        conds.append("status = ANY(%s)")
        params.append(list(f.status))
    if f.category:
        conds.append(("effective_category" if kind == "inquiries" else "category") + " = ANY(%s)")
        params.append(list(f.category))
    if f.place and kind == "notes":
        conds.append("place = %s")
        params.append(f.place)
    if f.department:
        conds.append("department = %s")
        params.append(f.department)
    if f.severity and kind == "notes":
        conds.append("severity = ANY(%s)")
        params.append(list(f.severity))
    if f.channel and kind == "inquiries":
        conds.append("channel = ANY(%s)")
        params.append(list(f.channel))
    terms = [t for t in f.text.split() if t]
    search = NOTE_SEARCH if kind == "notes" else INQUIRY_SEARCH
    short = [t for t in terms if len(t) <= 2]
    if short:  # exact: every 1–2 character substring is in the grams index (pg_schema.py 0003)
        conds.append(f"{SCHEMA}.short_grams{search} @> %s::text[]")
        params.append([t.lower() for t in short])
    for term in terms:
        if len(term) > 2:  # the trigram index finds candidates, the ILIKE decides
            conds.append(f"{search} ILIKE %s")
            params.append(_like(term))
    return (" AND ".join(conds) or "TRUE"), params


# --- lists -------------------------------------------------------------------------------------------


class PgLists:
    """Categories (per kind) and places on the server; replacing a list is the manager's (SQL grant)."""

    def __init__(self, db: PgDatabase) -> None:
        self._db = db

    def categories(self, kind: str) -> list[str]:
        with self._db.tx() as conn:
            rows = conn.execute(
                "SELECT name FROM categories WHERE kind = %s ORDER BY position, name", [check_kind(kind)]
            ).fetchall()
        return [r[0] for r in rows]

    def set_categories(self, kind: str, names: Iterable[str]) -> list[str]:
        clean = _clean_list(names, "分類", "category")
        if not clean:
            raise ValidationError("分類を1つ以上指定してください", "at least one category is needed")
        with _permission("分類の編集", "editing categories"), self._db.tx() as conn:
            conn.execute("DELETE FROM categories WHERE kind = %s", [check_kind(kind)])
            with conn.cursor() as cur:
                cur.executemany(
                    "INSERT INTO categories (kind, name, position) VALUES (%s, %s, %s)",
                    [(kind, n, i) for i, n in enumerate(clean)],
                )
        return clean

    def add_categories(self, conn: psycopg.Connection, kind: str, names: Iterable[str]) -> list[str]:
        """Append unknown names inside the caller's transaction (import); returns those added."""
        have = {r[0] for r in conn.execute("SELECT name FROM categories WHERE kind = %s", [kind])}
        start_row = conn.execute(
            "SELECT coalesce(max(position), -1) + 1 FROM categories WHERE kind = %s", [kind]
        ).fetchone()
        start = int(start_row[0]) if start_row else 0
        added = [n for n in dict.fromkeys(names) if n and n not in have]
        if added:
            with conn.cursor() as cur:
                cur.executemany(
                    "INSERT INTO categories (kind, name, position) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
                    [(kind, n, start + i) for i, n in enumerate(added)],
                )
        return added

    def places(self) -> list[str]:
        with self._db.tx() as conn:
            return [r[0] for r in conn.execute("SELECT name FROM places ORDER BY position, name")]

    def set_places(self, names: Iterable[str]) -> list[str]:
        clean = _clean_list(names, "場所", "place")
        with _permission("場所の編集", "editing places"), self._db.tx() as conn:
            conn.execute("DELETE FROM places")
            with conn.cursor() as cur:
                cur.executemany(
                    "INSERT INTO places (name, position) VALUES (%s, %s)", [(n, i) for i, n in enumerate(clean)]
                )
        return clean

    def add_places(self, names: Iterable[str]) -> list[str]:
        """Append unknown places (what `team migrate` brings from a PC); returns those added."""
        with self._db.tx() as conn:
            have = {r[0] for r in conn.execute("SELECT name FROM places")}
            row = conn.execute("SELECT coalesce(max(position), -1) + 1 FROM places").fetchone()
            start = int(row[0]) if row else 0
            added = [n for n in dict.fromkeys(names) if n and n not in have]
            with conn.cursor() as cur:
                cur.executemany(
                    "INSERT INTO places (name, position) VALUES (%s, %s) ON CONFLICT DO NOTHING",
                    [(n, start + i) for i, n in enumerate(added)],
                )
        return added

    def suggestions(self, field_name: str, kind: str = "notes", prefix: str = "", limit: int = 20) -> list[str]:
        table = check_kind(kind)
        if field_name not in ("place", "department", "owner", "staff", "requester", "speaker"):
            raise ValueError(f"no suggestions for {field_name!r}")
        out: list[str] = []
        if field_name == "place":
            out = [p for p in self.places() if p.startswith(prefix)]
        like = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        with self._db.tx() as conn:
            rows = conn.execute(
                f"SELECT {field_name}, count(*) AS n FROM {table} WHERE {field_name} <> '' AND {field_name} ILIKE %s "
                f"GROUP BY {field_name} ORDER BY n DESC, {field_name} LIMIT %s",
                [like, limit + len(out)],
            ).fetchall()
        for value, _n in rows:
            if value not in out:
                out.append(value)
        return out[:limit]


@contextlib.contextmanager
def _permission(what_ja: str, what_en: str) -> Iterator[None]:
    try:
        yield
    except psycopg.errors.InsufficientPrivilege:
        raise PermissionDeniedError(
            f"{what_ja}は管理者(soumu_manager)だけができます",
            f"{what_en} is for managers (the soumu_manager role) only",
        ) from None


# --- records -----------------------------------------------------------------------------------------


class _PgRecords(Generic[R]):
    kind = ""

    def __init__(self, db: PgDatabase, lists: PgLists) -> None:
        self._db = db
        self._lists = lists

    # what the subclasses provide
    _columns: tuple[str, ...] = ()

    def _params(self, record: R) -> dict[str, Any]:
        raise NotImplementedError

    def _from_rows(self, conn: psycopg.Connection, rows: builtins.list[dict[str, Any]]) -> builtins.list[R]:
        raise NotImplementedError

    def _category_names(self, record: R) -> builtins.list[str]:
        raise NotImplementedError

    def _after_write(self, conn: psycopg.Connection, record: R, replace_children: bool) -> None:
        """Write what belongs to the record besides its row (follow-ups)."""

    # shared
    def count(self, filters: Filters | None = None, cap: int | None = None) -> int:
        where, found = build_where(self.kind, filters or Filters())
        sql = f"SELECT count(*) FROM {self.kind} WHERE {where}"
        params: builtins.list[Any] = found
        if cap is not None:
            sql = f"SELECT count(*) FROM (SELECT 1 FROM {self.kind} WHERE {where} LIMIT %s) AS capped"
            params = [*params, cap + 1]
        with self._db.tx() as conn:
            row = conn.execute(sql, params).fetchone()
        return int(row[0]) if row else 0

    def ids(self) -> set[str]:
        with self._db.tx() as conn:
            return {r[0] for r in conn.execute(f"SELECT id FROM {self.kind}")}

    def versions(self) -> dict[str, int]:
        """Every record's id → its version: what a PC's copy compares to know what changed (one query)."""
        with self._db.tx() as conn:
            return {r[0]: int(r[1]) for r in conn.execute(f"SELECT id, version FROM {self.kind}")}

    def list(self, filters: Filters | None = None) -> list[R]:
        return list(self.iter(filters))

    def iter(self, filters: Filters | None = None) -> Iterator[R]:
        """Records matching ``filters`` (newest first unless told), fetched in batches of 500."""
        f = filters or Filters()
        where, found = build_where(self.kind, f)
        params: builtins.list[Any] = found
        order = "DESC" if f.newest_first else "ASC"
        # With a text filter, walking the date index and testing every row is the plan the planner likes for
        # a page, and the slow one (the text test is costly, ~100 ms at 100,000 notes): an expression the
        # index cannot serve makes it take the text indexes, then sort the matches (docs/PERFORMANCE.md).
        when = "(occurred_at + interval '0 s')" if f.text.split() else "occurred_at"
        sql = f"SELECT * FROM {self.kind} WHERE {where} ORDER BY {when} {order}, seq {order}"
        if f.limit is not None:
            sql += " LIMIT %s OFFSET %s"
            params = [*params, f.limit, f.offset]
        # A server-side cursor needs its own transaction; a page (the UI's common case) is fetched at once.
        conn = self._db.conn()
        with conn.transaction():
            if f.limit is not None:
                with conn.cursor(row_factory=dict_row) as cur:
                    rows = cur.execute(sql, params).fetchall()
                yield from self._from_rows(conn, rows)
                return
            with conn.cursor("soumu_iter", row_factory=dict_row) as named:
                named.execute(sql, params)
                while batch := named.fetchmany(_BATCH):
                    yield from self._from_rows(conn, batch)

    def get(self, record_id: str) -> R | None:
        got = self.get_many([record_id])
        return got.get(record_id)

    def get_many(self, ids: Sequence[str]) -> dict[str, R]:
        out: dict[str, R] = {}
        with self._db.tx() as conn, conn.cursor(row_factory=dict_row) as cur:
            for i in range(0, len(ids), _BATCH):
                cur.execute(f"SELECT * FROM {self.kind} WHERE id = ANY(%s)", [list(ids[i : i + _BATCH])])
                for rec in self._from_rows(conn, cur.fetchall()):
                    out[rec.id] = rec
        return out

    def delete(self, record_id: str) -> bool:
        with _permission("削除", "deleting records"), self._db.tx() as conn:
            cur = conn.execute(f"DELETE FROM {self.kind} WHERE id = %s", [record_id])
            return bool(cur.rowcount)

    def _allowed(self, conn: psycopg.Connection, existing: Iterable[str] = ()) -> builtins.list[str]:
        cats: builtins.list[str] = [
            r[0]
            for r in conn.execute("SELECT name FROM categories WHERE kind = %s ORDER BY position", [self.kind])
        ]
        return [*cats, *(e for e in existing if e)]

    @staticmethod
    def _stamp(record: Note | Inquiry, *, keep: bool) -> None:
        now = now_iso()
        record.created_at = normalize_datetime(record.created_at, "作成日時", "created_at") if record.created_at else now
        if keep and record.updated_at:
            record.updated_at = normalize_datetime(record.updated_at, "更新日時", "updated_at")
        else:
            record.updated_at = record.created_at if keep else now

    def _insert_sql(self) -> str:
        cols = ", ".join(self._columns)
        marks = ", ".join(f"%({c})s" for c in self._columns)
        return f"INSERT INTO {self.kind} ({cols}) VALUES ({marks}) RETURNING created_by, updated_by, version"

    def _update_sql(self) -> str:
        sets = ", ".join(f"{c} = %({c})s" for c in self._columns if c not in ("id", "created_at"))
        return f"UPDATE {self.kind} SET {sets} WHERE id = %(id)s RETURNING created_by, updated_by, version"

    def add(self, record: R) -> R:
        record.normalize()
        self._stamp(record, keep=False)
        with self._db.tx() as conn:
            record.validate(self._allowed(conn))
            row = conn.execute(self._insert_sql(), self._params(record)).fetchone()
            self._after_write(conn, record, replace_children=False)
        if row:
            record.created_by, record.updated_by, record.version = row[0], row[1], int(row[2])
        log.info("team %s added id=%s", self.kind, record.id)
        return record

    def update(self, record: R) -> R:
        """Save all fields if nobody saved since ``record.version`` was read; else :class:`ConflictError`."""
        record.normalize()
        with self._db.tx() as conn:
            with conn.cursor(row_factory=dict_row) as cur:
                current = cur.execute(f"SELECT * FROM {self.kind} WHERE id = %s FOR UPDATE", [record.id]).fetchone()
            if current is None:
                raise KeyError(record.id)
            if int(current["version"]) != record.version:
                theirs = self._from_rows(conn, [current])[0]
                log.info("team %s conflict id=%s (mine v%d, theirs v%d)", self.kind, record.id, record.version, theirs.version)
                raise ConflictError(record, theirs)
            record.validate(self._allowed(conn, [current["category"], current.get("closing_category", "")]))
            record.updated_at = now_iso()
            record.created_at = _iso(current["created_at"])
            row = conn.execute(self._update_sql(), self._params(record)).fetchone()
            self._after_write(conn, record, replace_children=True)
        if row:
            record.created_by, record.updated_by, record.version = row[0], row[1], int(row[2])
        log.info("team %s updated id=%s v%d", self.kind, record.id, record.version)
        return record

    def merge(self, records: Sequence[R]) -> MergeResult:
        """Import (and `team migrate`): add new ids, update ids whose ``updated_at`` is newer, leave the rest.

        One transaction; the same rules as the SQLCipher store, so importing a file twice adds nothing.
        """
        result = MergeResult()
        dated = {r.id for r in records if r.updated_at}
        for r in records:
            r.normalize()
            self._stamp(r, keep=True)
        with self._db.tx() as conn:
            result.new_categories = self._lists.add_categories(
                conn, self.kind, [c for r in records for c in self._category_names(r)]
            )
            cats = self._allowed(conn)
            for r in records:
                r.validate(cats)
            for i in range(0, len(records), _BATCH):
                chunk = records[i : i + _BATCH]
                with conn.cursor(row_factory=dict_row) as cur:
                    cur.execute(
                        f"SELECT * FROM {self.kind} WHERE id = ANY(%s) FOR UPDATE", [[r.id for r in chunk]]
                    )
                    existing = {rec.id: rec for rec in self._from_rows(conn, cur.fetchall())}
                inserts: list[R] = []
                updates: list[R] = []
                seen: set[str] = set()
                for r in chunk:
                    old = existing.get(r.id)
                    if old is None and r.id not in seen:
                        inserts.append(r)
                        seen.add(r.id)
                        result.added += 1
                    elif old is None or _same(old, r, r.id in dated):
                        result.unchanged += 1
                    elif r.id in dated and r.updated_at > old.updated_at:
                        updates.append(r)
                        result.updated += 1
                    else:
                        result.skipped += 1
                with conn.cursor() as cur:
                    if inserts:
                        cur.executemany(self._insert_sql(), [self._params(r) for r in inserts])
                    if updates:
                        cur.executemany(self._update_sql(), [self._params(r) for r in updates])
                for r in inserts:
                    self._after_write(conn, r, replace_children=False)
                for r in updates:
                    self._after_write(conn, r, replace_children=True)
        log.info("team %s merged: %s", self.kind, result)
        return result


def _same(old: Note | Inquiry, new: Note | Inquiry, compare_times: bool) -> bool:
    a = note_to_row(old) if isinstance(old, Note) else inquiry_to_row(old)
    b = note_to_row(new) if isinstance(new, Note) else inquiry_to_row(new)
    skip = () if compare_times else ("created_at", "updated_at")
    same = all(a[k] == v for k, v in b.items() if k not in skip)
    if same and isinstance(old, Note) and isinstance(new, Note):
        same = [fu.to_dict() for fu in old.followups] == [fu.to_dict() for fu in new.followups]
    return same


class PgNotes(_PgRecords[Note]):
    """Floor notes (現場の声) and their follow-ups on the server."""

    kind = "notes"
    _columns = _NOTE_COLUMNS

    def _params(self, record: Note) -> dict[str, Any]:
        return _note_params(record)

    def _category_names(self, record: Note) -> list[str]:
        return [record.category]

    def _from_rows(self, conn: psycopg.Connection, rows: list[dict[str, Any]]) -> list[Note]:
        fus: dict[str, list[FollowUp]] = {}
        if rows:
            for note_id, fid, at, staff, text in conn.execute(
                "SELECT note_id, id, at, staff, text FROM note_followups WHERE note_id = ANY(%s) ORDER BY at, seq",
                [[r["id"] for r in rows]],
            ):
                fus.setdefault(note_id, []).append(FollowUp(text=text, at=_iso(at), staff=staff, id=fid))
        return [_note_from(r, fus.get(r["id"], [])) for r in rows]

    def _after_write(self, conn: psycopg.Connection, record: Note, replace_children: bool) -> None:
        if replace_children:
            conn.execute("DELETE FROM note_followups WHERE note_id = %s", [record.id])
        if record.followups:
            with conn.cursor() as cur:
                cur.executemany(
                    "INSERT INTO note_followups (id, note_id, at, staff, text) VALUES (%s, %s, %s, %s, %s)",
                    [(fu.id, record.id, _ts(fu.at), fu.staff, fu.text) for fu in record.followups],
                )

    def add_followup(self, note_id: str, followup: FollowUp) -> FollowUp:
        """Append one follow-up; the note's version goes up, so an editor holding the old one is told."""
        followup.at = normalize_datetime(followup.at, "対応日時", "followups")
        check_text(followup.text, "対応履歴", "followups")
        check_text(followup.staff, "対応者", "followups")
        if not followup.text.strip():
            raise ValidationError("対応内容を入力してください", "the follow-up text is empty")
        with self._db.tx() as conn:
            cur = conn.execute("UPDATE notes SET updated_at = %s WHERE id = %s", [_ts(now_iso()), note_id])
            if not cur.rowcount:
                raise KeyError(note_id)
            conn.execute(
                "INSERT INTO note_followups (id, note_id, at, staff, text) VALUES (%s, %s, %s, %s, %s)",
                [followup.id, note_id, _ts(followup.at), followup.staff, followup.text],
            )
        return followup


class PgInquiries(_PgRecords[Inquiry]):
    """Inquiries (問い合わせ) on the server."""

    kind = "inquiries"
    _columns = _INQUIRY_COLUMNS

    def _params(self, record: Inquiry) -> dict[str, Any]:
        return _inquiry_params(record)

    def _category_names(self, record: Inquiry) -> list[str]:
        return [record.category, record.closing_category]

    def _from_rows(self, conn: psycopg.Connection, rows: list[dict[str, Any]]) -> list[Inquiry]:
        return [_inquiry_from(r) for r in rows]


# --- the team logbook --------------------------------------------------------------------------------


@dataclass
class TeamImportResult:
    path: Path
    encoding: str
    rows: int
    merged: MergeResult
    warnings: list[str]


class TeamLogbook:
    """The team logbook on one PostgreSQL server: ``notes``, ``inquiries``, ``lists`` (the store protocols),
    export and import like :class:`desktop.logbook.Logbook`, and :meth:`status`.

    ``prompts`` and ``searchlog`` are the team's prompt library and search log (pg_prompts.py,
    pg_searchlog.py). Not here: the analysis cache stays in each PC's encrypted copy
    (desktop/logbook/team_book.py), beside the copy of the team's records that the analysis reads.
    """

    def __init__(self, db: PgDatabase) -> None:
        self.db = db
        self.lists = PgLists(db)
        self.notes = PgNotes(db, self.lists)
        self.inquiries = PgInquiries(db, self.lists)
        from desktop.logbook.pg_prompts import PgPromptLibrary  # they import this module
        from desktop.logbook.pg_searchlog import PgSearchLog

        self.prompts = PgPromptLibrary(db)
        self.searchlog = PgSearchLog(db)

    @classmethod
    def open(cls, url_or_target: str | TeamTarget, password: str | None = None) -> TeamLogbook:
        """Connect and check the server's schema; raises ``TeamConnectError`` / ``SchemaError``."""
        if isinstance(url_or_target, TeamTarget):
            target = url_or_target
        else:
            target, in_url = TeamTarget.parse(url_or_target)
            password = password if password is not None else in_url
        db = PgDatabase(target, password)
        try:
            check_current(db.conn())
        except BaseException:
            db.close()
            raise
        return cls(db)

    @property
    def target(self) -> TeamTarget:
        return self.db.target

    def status(self) -> Any:
        return server_status(self.db.conn(), self.db.target)

    def is_manager(self) -> bool:
        return has_role(self.db.conn(), MANAGER_ROLE)

    def records(self, kind: str, filters: Filters | None = None) -> list[Note] | list[Inquiry]:
        return self.notes.list(filters) if check_kind(kind) == "notes" else self.inquiries.list(filters)

    def export(self, kind: str, path: Path, *, fmt: str = "csv", filters: Filters | None = None,
               encoding: str = "utf-8-sig", errors: str = "strict") -> ExportResult:
        """Managers only (the team's whole logbook leaves the server); oldest first, as the SQLCipher export."""
        if not self.is_manager():
            raise PermissionDeniedError(
                "チームのログブックの書き出しは管理者(soumu_manager)だけができます",
                "exporting the team logbook is for managers (the soumu_manager role) only",
            )
        f = replace(filters or Filters(), newest_first=False, limit=None, offset=0)
        records: Iterable[Note | Inquiry] = self.notes.iter(f) if check_kind(kind) == "notes" else self.inquiries.iter(f)
        if fmt == "csv":
            return export_csv(kind, records, Path(path), encoding=encoding, errors=errors)
        if fmt == "xlsx":
            return export_xlsx(kind, records, Path(path))
        raise ImportFileError(f"形式「{fmt}」は使えません(csv / xlsx)", f"unknown format {fmt!r} (csv or xlsx)")

    def import_file(self, kind: str, path: Path) -> TeamImportResult:
        path = Path(path)
        if not path.is_file():
            raise ImportFileError(f"ファイルがありません: {path}", f"no such file: {path}")
        read = read_xlsx(kind, path) if path.suffix.lower() in (".xlsx", ".xlsm") else read_csv(kind, path)
        records = read.parsed.records
        if check_kind(kind) == "notes":
            merged = self.notes.merge([r for r in records if isinstance(r, Note)])
        else:
            merged = self.inquiries.merge([r for r in records if isinstance(r, Inquiry)])
        return TeamImportResult(path, read.encoding, len(records), merged, read.warnings)

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> TeamLogbook:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


__all__ = ["KINDS", "PgDatabase", "PgInquiries", "PgLists", "PgNotes", "TeamLogbook", "build_where", "content_hash"]
