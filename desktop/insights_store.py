"""What the logbook analysis reads from and keeps in the logbook (SQL lives here, not in ui/).

* :func:`load_docs` — every note and inquiry as a small :class:`Doc` (one query per table; 100,000 rows
  read in well under a second). Speakers and requesters are never read: nothing the analysis writes
  can name them.
* :class:`InsightsCache` — the ``insights_cache`` table (migration ``0006_insights_cache``): a JSON
  ``meta`` and an optional binary ``blob`` per name. It sits in the encrypted logbook file, because labels,
  keywords and quotes are made of what employees said.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from desktop.logbook import Logbook
from desktop.logbook.records import OPEN_NOTE_STATUSES, now_iso

OPEN_INQUIRY_STATUSES = ("保留", "要対応")


@dataclass
class Doc:
    """One record as the analysis sees it. ``key`` is ``N:<id>`` (note) or ``I:<id>`` (inquiry)."""

    kind: str  # "note" | "inquiry"
    id: str
    at: str
    text: str
    department: str = ""
    place: str = ""
    category: str = ""
    status: str = ""
    severity: str = ""
    anonymous: bool = False
    resolved_date: str = ""
    answer: str = ""
    sources: list[dict[str, str]] = field(default_factory=list)
    updated_at: str = ""

    @property
    def key(self) -> str:
        return ("N:" if self.kind == "note" else "I:") + self.id

    @property
    def open(self) -> bool:
        return self.status in (OPEN_NOTE_STATUSES if self.kind == "note" else OPEN_INQUIRY_STATUSES)

    @property
    def month(self) -> str:
        return self.at[:7]


NOTE_SQL = ("SELECT id, occurred_at, text, department, place, category, status, severity, anonymous, "
            "resolved_date, updated_at FROM notes")
INQUIRY_SQL = ("SELECT id, occurred_at, question, department, category, closing_category, status, answer, sources, "
               "updated_at FROM inquiries")
CHUNK = 500


def load_docs(book: Logbook, keys: Iterable[str] | None = None) -> list[Doc]:
    """All notes and inquiries, oldest first; with ``keys`` (``N:<id>`` / ``I:<id>``) only those."""
    if keys is None:
        return _docs(book, NOTE_SQL, [], INQUIRY_SQL, [])
    wanted = list(keys)
    notes = [k[2:] for k in wanted if k.startswith("N:")]
    inquiries = [k[2:] for k in wanted if k.startswith("I:")]
    out: list[Doc] = []
    for i in range(0, max(len(notes), len(inquiries)), CHUNK):
        n, q = notes[i : i + CHUNK], inquiries[i : i + CHUNK]
        out += _docs(book, NOTE_SQL + f" WHERE id IN ({','.join('?' * len(n))})" if n else "", n,
                     INQUIRY_SQL + f" WHERE id IN ({','.join('?' * len(q))})" if q else "", q)
    out.sort(key=lambda d: (d.at, d.key))
    return out


def record_versions(book: Logbook) -> dict[str, str]:
    """Every record's key → its ``updated_at``: what changed since the analysis last read, in one cheap query."""
    db = book.db.read()
    out = {"N:" + i: upd for i, upd in db.execute("SELECT id, updated_at FROM notes")}
    out.update(("I:" + i, upd) for i, upd in db.execute("SELECT id, updated_at FROM inquiries"))
    return out


def _docs(book: Logbook, note_sql: str, note_args: list[str], inquiry_sql: str, inquiry_args: list[str]) -> list[Doc]:
    db = book.db.read()
    docs = [
        Doc("note", i, at, text, dept, place, cat, status, sev, bool(anon), resolved, updated_at=upd)
        for i, at, text, dept, place, cat, status, sev, anon, resolved, upd in
        (db.execute(note_sql, note_args) if note_sql else [])
    ]
    for i, at, question, dept, cat, closing, status, answer, sources, upd in (
        db.execute(inquiry_sql, inquiry_args) if inquiry_sql else []
    ):
        try:
            parsed = [dict(s) for s in json.loads(sources or "[]") if isinstance(s, dict)]
        except ValueError:
            parsed = []
        docs.append(Doc("inquiry", i, at, question, dept, "", closing or cat, status, "", False, "", answer,
                        parsed, upd))
    docs.sort(key=lambda d: (d.at, d.key))
    return docs


@dataclass
class SearchRow:
    id: str
    at: str
    query: str
    unanswered: bool


def load_searches(book: Logbook, date_from: str = "", date_to_exclusive: str = "") -> list[SearchRow]:
    sql = "SELECT id, at, query, hits, grounded FROM search_log WHERE 1"
    params: list[str] = []
    if date_from:
        sql += " AND at >= ?"
        params.append(date_from)
    if date_to_exclusive:
        sql += " AND at < ?"
        params.append(date_to_exclusive)
    rows = book.db.read().execute(sql + " ORDER BY at", params)
    return [SearchRow(i, at, q, hits == 0 or grounded == 0) for i, at, q, hits, grounded in rows]


def record_ids(book: Logbook) -> dict[str, str]:
    """Every record ID the analysis may cite → its kind (``note``, ``inquiry``, ``search``)."""
    db = book.db.read()
    out = {r[0]: "note" for r in db.execute("SELECT id FROM notes")}
    out.update({r[0]: "inquiry" for r in db.execute("SELECT id FROM inquiries")})
    out.update({r[0]: "search" for r in db.execute("SELECT id FROM search_log")})
    return out


PIECE = 1_000  # entries of a big dict or list encoded per json.dumps call (~5 ms each)


def dumps_in_pieces(value: Any) -> str:
    """``json.dumps(value, ensure_ascii=False, separators=(",", ":"))``, the same text, but a big dict or list is
    encoded :data:`PIECE` entries at a time. The C encoder holds the GIL for a whole call: the themes model of
    100,000 records in one call froze the window (its Python slots, the painting of item views) for the length
    of the encoding, while it runs in a worker."""
    if isinstance(value, dict):
        if len(value) <= PIECE and not any(isinstance(v, dict | list) and len(v) > PIECE for v in value.values()):
            return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        if any(isinstance(v, dict | list) and len(v) > PIECE for v in value.values()):
            return "{" + ",".join(json.dumps(str(k), ensure_ascii=False) + ":" + dumps_in_pieces(v)
                                  for k, v in value.items()) + "}"
        items = list(value.items())
        pieces = (json.dumps(dict(items[i : i + PIECE]), ensure_ascii=False, separators=(",", ":"))[1:-1]
                  for i in range(0, len(items), PIECE))
        return "{" + ",".join(pieces) + "}"
    if isinstance(value, list) and len(value) > PIECE:
        pieces = (json.dumps(value[i : i + PIECE], ensure_ascii=False, separators=(",", ":"))[1:-1]
                  for i in range(0, len(value), PIECE))
        return "[" + ",".join(pieces) + "]"
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


_DECODER = json.JSONDecoder()
_SPACE = re.compile(r"[ \t\n\r]*")
SMALL_TEXT = 200_000  # characters: below this json.loads in one call is quick enough
ENTRY_BY_ENTRY = 3  # nesting levels read one entry at a time (the themes model's big dicts sit at level 1)


WINDOW = 32_768  # characters of a big object or array decoded per json.loads call (a few ms)


def loads_in_pieces(text: str) -> Any:
    """``json.loads(text)``, but a long text's objects and arrays (down to :data:`ENTRY_BY_ENTRY` levels) are
    read one entry at a time: the C decoder, like the encoder, holds the GIL for a whole call (0.7 s for the
    themes model of 100,000 records)."""
    if len(text) < SMALL_TEXT:
        return json.loads(text)
    value, end = _read(text, _SPACE.match(text, 0).end(), 0)  # type: ignore[union-attr]
    end = _SPACE.match(text, end).end()  # type: ignore[union-attr]
    if end != len(text):
        raise json.JSONDecodeError("Extra data", text, end)
    return value


def _read(text: str, i: int, depth: int) -> tuple[Any, int]:
    opening = text[i : i + 1]
    if depth >= ENTRY_BY_ENTRY or opening not in ("{", "["):
        return _DECODER.raw_decode(text, i)

    def space(at: int) -> int:
        return _SPACE.match(text, at).end()  # type: ignore[union-attr]

    def expect(at: int, ch: str) -> int:
        if text[at : at + 1] != ch:
            raise json.JSONDecodeError(f"Expecting {ch!r}", text, at)
        return at + 1

    closing = "}" if opening == "{" else "]"
    i = space(i + 1)
    out_dict: dict[str, Any] = {}
    out_list: list[Any] = []
    if text[i : i + 1] == closing:
        return (out_dict if opening == "{" else out_list), i + 1
    separator = ',"' if opening == "{" else ","
    window = WINDOW
    while True:
        # A window of entries cut at its last separator and decoded by one json.loads: short C calls at nearly
        # json.loads's own speed. A cut inside a string or a nested value leaves an unbalanced quote or bracket,
        # which json.loads refuses; then one entry is read on its own and a smaller window tried next.
        cut = text.rfind(separator, i, i + window)
        if cut > i:
            try:
                part = json.loads(opening + text[i:cut] + closing)
            except ValueError:
                part = None
            if part is not None:
                if opening == "{":
                    out_dict.update(part)
                else:
                    out_list.extend(part)
                i = space(cut + 1)
                window = min(WINDOW, window * 2)
                continue
            window = max(256, window // 4)
        if opening == "{":
            key, i = json.decoder.scanstring(text, expect(i, '"'))  # type: ignore[attr-defined]
            i = space(expect(space(i), ":"))
            out_dict[key], i = _read(text, i, depth + 1)
        else:
            item, i = _read(text, i, depth + 1)
            out_list.append(item)
        i = space(i)
        if text[i : i + 1] == closing:
            return (out_dict if opening == "{" else out_list), i + 1
        i = space(expect(i, ","))


class InsightsCache:
    """Named entries in ``insights_cache``; arrays travel as one ``.npz`` blob."""

    def __init__(self, book: Logbook) -> None:
        self._book = book

    def get(self, name: str) -> tuple[dict[str, Any], bytes | None] | None:
        row = self._book.db.read().execute(
            "SELECT meta, blob FROM insights_cache WHERE name = ?", [name]
        ).fetchone()
        if row is None:
            return None
        return loads_in_pieces(row[0]), (bytes(row[1]) if row[1] is not None else None)

    def put(self, name: str, meta: dict[str, Any], blob: bytes | None = None) -> None:
        text = dumps_in_pieces(meta)
        with self._book.db.write() as db:
            db.execute(
                "INSERT INTO insights_cache (name, meta, blob, updated_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(name) DO UPDATE SET meta = excluded.meta, blob = excluded.blob, "
                "updated_at = excluded.updated_at",
                [name, text, blob, now_iso()],
            )

    def delete(self, name: str) -> None:
        with self._book.db.write() as db:
            db.execute("DELETE FROM insights_cache WHERE name = ?", [name])

    @staticmethod
    def pack(arrays: dict[str, bytes | np.ndarray]) -> bytes:
        buffer = io.BytesIO()
        named: dict[str, Any] = {
            k: np.frombuffer(v, dtype=np.uint8) if isinstance(v, bytes) else v for k, v in arrays.items()
        }
        np.savez(buffer, allow_pickle=False, **named)
        return buffer.getvalue()

    @staticmethod
    def unpack(blob: bytes) -> dict[str, bytes]:
        with np.load(io.BytesIO(blob), allow_pickle=False) as data:
            return {k: data[k].tobytes() for k in data.files}
