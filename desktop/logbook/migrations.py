"""Named schema migrations, applied in order, each once, each in its own transaction (STYLE.md §7).

A migration is never edited after it shipped: a schema change is a new named step appended to
:data:`MIGRATIONS`. The table ``_migrations`` records what ran, so an old logbook (or an old backup
being restored) is brought up to date on open.

Tables keep an ``INTEGER PRIMARY KEY`` (``seq``) beside the stable UUID ``id`` because the FTS5
indexes are external-content tables keyed by rowid, and only an explicit integer key keeps rowids
stable across ``VACUUM``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import sqlite_utils

from desktop.logbook import shortterms
from desktop.logbook.records import DEFAULT_INQUIRY_CATEGORIES, DEFAULT_NOTE_CATEGORIES

log = logging.getLogger(__name__)

MIGRATIONS_TABLE = "_migrations"


@dataclass(frozen=True)
class Migration:
    name: str
    apply: Callable[[sqlite_utils.Database], None]


def _fts(db: sqlite_utils.Database, table: str, columns: tuple[str, ...]) -> None:
    """An external-content FTS5 index with the trigram tokenizer (substring search that works for Japanese)."""
    cols = ", ".join(columns)
    new = ", ".join(f"new.{c}" for c in columns)
    old = ", ".join(f"old.{c}" for c in columns)
    fts = f"{table}_fts"
    db.executescript(
        f"""
        CREATE VIRTUAL TABLE {fts} USING fts5({cols}, content='{table}', content_rowid='seq',
            tokenize='trigram');
        CREATE TRIGGER {table}_ai AFTER INSERT ON {table} BEGIN
            INSERT INTO {fts}(rowid, {cols}) VALUES (new.seq, {new});
        END;
        CREATE TRIGGER {table}_ad AFTER DELETE ON {table} BEGIN
            INSERT INTO {fts}({fts}, rowid, {cols}) VALUES ('delete', old.seq, {old});
        END;
        CREATE TRIGGER {table}_au AFTER UPDATE ON {table} BEGIN
            INSERT INTO {fts}({fts}, rowid, {cols}) VALUES ('delete', old.seq, {old});
            INSERT INTO {fts}(rowid, {cols}) VALUES (new.seq, {new});
        END;
        """
    )


NOTE_FTS_COLUMNS = ("text", "place", "department", "speaker", "cause", "consequence", "countermeasure", "owner", "tags")
INQUIRY_FTS_COLUMNS = ("question", "answer", "department", "requester", "staff", "rating_reason")


def _initial(db: sqlite_utils.Database) -> None:
    db.executescript(
        """
        CREATE TABLE notes (
            seq INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            occurred_at TEXT NOT NULL,
            place TEXT NOT NULL DEFAULT '',
            department TEXT NOT NULL DEFAULT '',
            category TEXT NOT NULL,
            severity TEXT NOT NULL,
            text TEXT NOT NULL,
            anonymous INTEGER NOT NULL DEFAULT 0,
            speaker TEXT NOT NULL DEFAULT '',
            cause TEXT NOT NULL DEFAULT '',
            consequence TEXT NOT NULL DEFAULT '',
            countermeasure TEXT NOT NULL DEFAULT '',
            status TEXT NOT NULL,
            owner TEXT NOT NULL DEFAULT '',
            due_date TEXT NOT NULL DEFAULT '',
            resolved_date TEXT NOT NULL DEFAULT '',
            tags TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE INDEX notes_occurred ON notes(occurred_at);
        CREATE INDEX notes_status_occurred ON notes(status, occurred_at);
        CREATE INDEX notes_category_occurred ON notes(category, occurred_at);
        CREATE TABLE note_followups (
            seq INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            note_id TEXT NOT NULL REFERENCES notes(id) ON DELETE CASCADE,
            at TEXT NOT NULL,
            staff TEXT NOT NULL DEFAULT '',
            text TEXT NOT NULL
        );
        CREATE INDEX note_followups_note ON note_followups(note_id, at);
        CREATE TABLE inquiries (
            seq INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            occurred_at TEXT NOT NULL,
            channel TEXT NOT NULL,
            department TEXT NOT NULL DEFAULT '',
            requester TEXT NOT NULL DEFAULT '',
            question TEXT NOT NULL,
            answer TEXT NOT NULL DEFAULT '',
            sources TEXT NOT NULL DEFAULT '[]',
            category TEXT NOT NULL DEFAULT '',
            closing_category TEXT NOT NULL DEFAULT '',
            status TEXT NOT NULL,
            resolution TEXT NOT NULL DEFAULT '',
            rating TEXT NOT NULL DEFAULT '',
            rating_reason TEXT NOT NULL DEFAULT '',
            minutes INTEGER,
            staff TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE INDEX inquiries_occurred ON inquiries(occurred_at);
        CREATE INDEX inquiries_status_occurred ON inquiries(status, occurred_at);
        CREATE INDEX inquiries_category_occurred ON inquiries(category, occurred_at);
        CREATE TABLE categories (
            kind TEXT NOT NULL,
            name TEXT NOT NULL,
            position INTEGER NOT NULL,
            PRIMARY KEY (kind, name)
        );
        CREATE TABLE places (
            name TEXT PRIMARY KEY,
            position INTEGER NOT NULL
        );
        """
    )
    _fts(db, "notes", NOTE_FTS_COLUMNS)
    _fts(db, "inquiries", INQUIRY_FTS_COLUMNS)
    db.table("categories").insert_all(
        [{"kind": "notes", "name": n, "position": i} for i, n in enumerate(DEFAULT_NOTE_CATEGORIES)]
        + [{"kind": "inquiries", "name": n, "position": i} for i, n in enumerate(DEFAULT_INQUIRY_CATEGORIES)]
    )


def _search_log(db: sqlite_utils.Database) -> None:
    db.executescript(
        """
        CREATE TABLE search_log (
            seq INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            at TEXT NOT NULL,
            kind TEXT NOT NULL,
            query TEXT NOT NULL,
            hits INTEGER NOT NULL,
            grounded INTEGER,
            rating TEXT NOT NULL DEFAULT '',
            rating_reason TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX search_log_at ON search_log(at);
        """
    )


def _prompts(db: sqlite_utils.Database) -> None:
    db.executescript(
        """
        CREATE TABLE prompts (
            seq INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            title TEXT NOT NULL,
            text TEXT NOT NULL,
            author TEXT NOT NULL DEFAULT '',
            tags TEXT NOT NULL DEFAULT '',
            uses INTEGER NOT NULL DEFAULT 0,
            rating_total INTEGER NOT NULL DEFAULT 0,
            rating_count INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        """
    )


def _filter_indexes(db: sqlite_utils.Database) -> None:
    """Indexes for the list filters the UI offers beside status/category/date (measured at 100k notes)."""
    db.executescript(
        """
        CREATE INDEX notes_department_occurred ON notes(department, occurred_at);
        CREATE INDEX notes_place_occurred ON notes(place, occurred_at);
        CREATE INDEX inquiries_department_occurred ON inquiries(department, occurred_at);
        CREATE INDEX inquiries_channel_occurred ON inquiries(channel, occurred_at);
        """
    )


def _short_term_index(table: str, columns: tuple[str, ...]) -> str:
    fn = shortterms.SQL_FUNCTION
    args = ", ".join(f"new.{c}" for c in columns)
    bi = f"{table}_bi"
    return f"""
        CREATE VIRTUAL TABLE {bi} USING fts5(body, content='', contentless_delete=1,
            tokenize='unicode61 remove_diacritics 0');
        CREATE TRIGGER {table}_bi_ai AFTER INSERT ON {table} BEGIN
            INSERT INTO {bi}(rowid, body) VALUES (new.seq, {fn}({args}));
        END;
        CREATE TRIGGER {table}_bi_ad AFTER DELETE ON {table} BEGIN
            DELETE FROM {bi} WHERE rowid = old.seq;
        END;
        CREATE TRIGGER {table}_bi_au AFTER UPDATE ON {table} BEGIN
            DELETE FROM {bi} WHERE rowid = old.seq;
            INSERT INTO {bi}(rowid, body) VALUES (new.seq, {fn}({args}));
        END;
        INSERT INTO {bi}(rowid, body) SELECT seq, {fn}({", ".join(columns)}) FROM {table};
    """


def _short_terms(db: sqlite_utils.Database) -> None:
    """1–2 character terms (空調, 鍵) get an index too; see desktop/logbook/shortterms.py."""
    db.executescript(_short_term_index("notes", NOTE_FTS_COLUMNS) + _short_term_index("inquiries", INQUIRY_FTS_COLUMNS))


def _insights_cache(db: sqlite_utils.Database) -> None:
    """What the logbook analysis computed (themes model, labels, edited FAQ drafts and narratives), so the
    分析 page opens without recomputing; see desktop/insights_store.py. Encrypted with the rest."""
    db.executescript(
        """
        CREATE TABLE insights_cache (
            name TEXT PRIMARY KEY,
            meta TEXT NOT NULL,
            blob BLOB,
            updated_at TEXT NOT NULL
        );
        """
    )


MIGRATIONS: tuple[Migration, ...] = (
    Migration("0001_notes_inquiries_categories_places", _initial),
    Migration("0002_search_log", _search_log),
    Migration("0003_prompt_library", _prompts),
    Migration("0004_filter_indexes", _filter_indexes),
    Migration("0005_short_term_index", _short_terms),
    Migration("0006_insights_cache", _insights_cache),
)


def applied(db: sqlite_utils.Database) -> list[str]:
    if MIGRATIONS_TABLE not in db.table_names():
        return []
    return [r[0] for r in db.execute(f"SELECT name FROM {MIGRATIONS_TABLE} ORDER BY applied_order")]


def pending(db: sqlite_utils.Database, migrations: tuple[Migration, ...] = MIGRATIONS) -> list[str]:
    done = set(applied(db))
    return [m.name for m in migrations if m.name not in done]


def migrate(db: sqlite_utils.Database, migrations: tuple[Migration, ...] = MIGRATIONS) -> list[str]:
    """Apply what has not run yet; returns the names applied. Each step commits or rolls back whole."""
    db.execute(
        f"CREATE TABLE IF NOT EXISTS {MIGRATIONS_TABLE} "
        "(applied_order INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, applied_at TEXT NOT NULL)"
    )
    done = set(applied(db))
    known = {m.name for m in migrations}
    unknown = done - known
    if unknown:
        # A newer app wrote this file; running on it could corrupt what we do not understand.
        raise RuntimeError(
            "このログブックは新しいバージョンのアプリで作成されています / "
            f"this logbook was written by a newer version (unknown migrations: {', '.join(sorted(unknown))})"
        )
    ran: list[str] = []
    for m in migrations:
        if m.name in done:
            continue
        with db.atomic():
            m.apply(db)
            db.execute(
                f"INSERT INTO {MIGRATIONS_TABLE} (name, applied_at) VALUES (?, ?)",
                [m.name, datetime.now().replace(microsecond=0).isoformat()],
            )
        log.info("logbook migration applied: %s", m.name)
        ran.append(m.name)
    return ran
