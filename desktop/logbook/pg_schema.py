"""The team logbook's schema on PostgreSQL: named migrations, roles and grants (DESIGN.md §5, STYLE.md §7).

Same records as the SQLCipher file (desktop/logbook/migrations.py), in the schema ``soumu``, plus what a
team needs and a single PC does not:

- ``created_by`` / ``updated_by`` / ``version`` on every record, set by a trigger from ``session_user``
  (the login role), so a client cannot write someone else's name and every save bumps the version that
  optimistic concurrency checks;
- a ``pg_notify('soumu_logbook', …)`` trigger, so other PCs refresh when a record changes;
- a ``search`` column (the searchable fields joined) with a pg_trgm GIN index: substring search that
  works for Japanese, like the SQLCipher store's trigram index;
- two group roles, written as SQL grants: ``soumu_staff`` reads and writes records, ``soumu_manager``
  (a member of staff) may also delete records and edit the category and place lists. Export is checked by
  the app against ``soumu_manager`` membership (staff can read every record anyway, since they must list
  them); see installers/team/README.md.

Migrations are run by the database owner (``soumu-desk team setup URL``), never by a staff client, under
an advisory lock so two set-ups cannot race. A migration is never edited after it shipped.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import psycopg

from desktop.logbook.migrations import INQUIRY_FTS_COLUMNS, NOTE_FTS_COLUMNS
from desktop.logbook.records import DEFAULT_INQUIRY_CATEGORIES, DEFAULT_NOTE_CATEGORIES

log = logging.getLogger(__name__)

SCHEMA = "soumu"
CHANNEL = "soumu_logbook"
STAFF_ROLE = "soumu_staff"
MANAGER_ROLE = "soumu_manager"
MIGRATIONS_TABLE = f"{SCHEMA}._migrations"
_LOCK_KEY = 0x50554D55  # pg_advisory_xact_lock key for migrations ("SOUMU")


@dataclass(frozen=True)
class PgMigration:
    name: str
    sql: str


def _search(columns: tuple[str, ...]) -> str:
    # ``||`` on NOT NULL text is immutable, so it may define a stored generated column (concat_ws may not).
    return " || ' ' || ".join(columns)


_INITIAL = f"""
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE {SCHEMA}.notes (
    seq bigserial PRIMARY KEY,
    id text NOT NULL UNIQUE,
    occurred_at timestamp(0) NOT NULL,
    place text NOT NULL DEFAULT '',
    department text NOT NULL DEFAULT '',
    category text NOT NULL,
    severity text NOT NULL,
    text text NOT NULL,
    anonymous boolean NOT NULL DEFAULT false,
    speaker text NOT NULL DEFAULT '',
    cause text NOT NULL DEFAULT '',
    consequence text NOT NULL DEFAULT '',
    countermeasure text NOT NULL DEFAULT '',
    status text NOT NULL,
    owner text NOT NULL DEFAULT '',
    due_date date,
    resolved_date date,
    tags text NOT NULL DEFAULT '',
    created_at timestamp(0) NOT NULL,
    updated_at timestamp(0) NOT NULL,
    created_by text NOT NULL DEFAULT session_user,
    updated_by text NOT NULL DEFAULT session_user,
    version integer NOT NULL DEFAULT 1,
    search text GENERATED ALWAYS AS ({_search(NOTE_FTS_COLUMNS)}) STORED
);
CREATE INDEX notes_occurred ON {SCHEMA}.notes (occurred_at, seq);
CREATE INDEX notes_status_occurred ON {SCHEMA}.notes (status, occurred_at, seq);
CREATE INDEX notes_category_occurred ON {SCHEMA}.notes (category, occurred_at, seq);
CREATE INDEX notes_department_occurred ON {SCHEMA}.notes (department, occurred_at, seq);
CREATE INDEX notes_place_occurred ON {SCHEMA}.notes (place, occurred_at, seq);
CREATE INDEX notes_search ON {SCHEMA}.notes USING gin (search gin_trgm_ops);

CREATE TABLE {SCHEMA}.note_followups (
    seq bigserial PRIMARY KEY,
    id text NOT NULL UNIQUE,
    note_id text NOT NULL REFERENCES {SCHEMA}.notes (id) ON DELETE CASCADE,
    at timestamp(0) NOT NULL,
    staff text NOT NULL DEFAULT '',
    text text NOT NULL
);
CREATE INDEX note_followups_note ON {SCHEMA}.note_followups (note_id, at, seq);

CREATE TABLE {SCHEMA}.inquiries (
    seq bigserial PRIMARY KEY,
    id text NOT NULL UNIQUE,
    occurred_at timestamp(0) NOT NULL,
    channel text NOT NULL,
    department text NOT NULL DEFAULT '',
    requester text NOT NULL DEFAULT '',
    question text NOT NULL,
    answer text NOT NULL DEFAULT '',
    sources jsonb NOT NULL DEFAULT '[]',
    category text NOT NULL DEFAULT '',
    closing_category text NOT NULL DEFAULT '',
    status text NOT NULL,
    resolution text NOT NULL DEFAULT '',
    rating text NOT NULL DEFAULT '',
    rating_reason text NOT NULL DEFAULT '',
    minutes integer,
    staff text NOT NULL DEFAULT '',
    created_at timestamp(0) NOT NULL,
    updated_at timestamp(0) NOT NULL,
    created_by text NOT NULL DEFAULT session_user,
    updated_by text NOT NULL DEFAULT session_user,
    version integer NOT NULL DEFAULT 1,
    -- the category that counts is the one at closing when it was set (as in the SQLCipher filter)
    effective_category text GENERATED ALWAYS AS (
        CASE WHEN closing_category <> '' THEN closing_category ELSE category END) STORED,
    search text GENERATED ALWAYS AS ({_search(INQUIRY_FTS_COLUMNS)}) STORED
);
CREATE INDEX inquiries_occurred ON {SCHEMA}.inquiries (occurred_at, seq);
CREATE INDEX inquiries_status_occurred ON {SCHEMA}.inquiries (status, occurred_at, seq);
CREATE INDEX inquiries_category_occurred ON {SCHEMA}.inquiries (effective_category, occurred_at, seq);
CREATE INDEX inquiries_department_occurred ON {SCHEMA}.inquiries (department, occurred_at, seq);
CREATE INDEX inquiries_channel_occurred ON {SCHEMA}.inquiries (channel, occurred_at, seq);
CREATE INDEX inquiries_search ON {SCHEMA}.inquiries USING gin (search gin_trgm_ops);

CREATE TABLE {SCHEMA}.categories (
    kind text NOT NULL,
    name text NOT NULL,
    position integer NOT NULL,
    PRIMARY KEY (kind, name)
);
CREATE TABLE {SCHEMA}.places (
    name text PRIMARY KEY,
    position integer NOT NULL
);

-- who and which version: from the login role, whatever the client sent
CREATE FUNCTION {SCHEMA}.stamp_record() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        NEW.created_by := session_user;
        NEW.updated_by := session_user;
        NEW.version := 1;
    ELSE
        NEW.created_by := OLD.created_by;
        NEW.updated_by := session_user;
        NEW.version := OLD.version + 1;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER notes_stamp BEFORE INSERT OR UPDATE ON {SCHEMA}.notes
    FOR EACH ROW EXECUTE FUNCTION {SCHEMA}.stamp_record();
CREATE TRIGGER inquiries_stamp BEFORE INSERT OR UPDATE ON {SCHEMA}.inquiries
    FOR EACH ROW EXECUTE FUNCTION {SCHEMA}.stamp_record();

-- other PCs refresh: one notification per changed record, delivered when the transaction commits
CREATE FUNCTION {SCHEMA}.notify_record() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    rec_id text;
    rec_version integer;
BEGIN
    IF TG_OP = 'DELETE' THEN
        rec_id := OLD.id; rec_version := 0;
    ELSE
        rec_id := NEW.id; rec_version := NEW.version;
    END IF;
    PERFORM pg_notify('{CHANNEL}', json_build_object(
        'kind', TG_TABLE_NAME, 'op', lower(TG_OP), 'id', rec_id, 'version', rec_version,
        'by', session_user)::text);
    RETURN NULL;
END $$;
CREATE TRIGGER notes_notify AFTER INSERT OR UPDATE OR DELETE ON {SCHEMA}.notes
    FOR EACH ROW EXECUTE FUNCTION {SCHEMA}.notify_record();
CREATE TRIGGER inquiries_notify AFTER INSERT OR UPDATE OR DELETE ON {SCHEMA}.inquiries
    FOR EACH ROW EXECUTE FUNCTION {SCHEMA}.notify_record();

CREATE FUNCTION {SCHEMA}.notify_lists() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('{CHANNEL}', json_build_object(
        'kind', TG_TABLE_NAME, 'op', lower(TG_OP), 'id', '', 'version', 0, 'by', session_user)::text);
    RETURN NULL;
END $$;
CREATE TRIGGER categories_notify AFTER INSERT OR UPDATE OR DELETE ON {SCHEMA}.categories
    FOR EACH STATEMENT EXECUTE FUNCTION {SCHEMA}.notify_lists();
CREATE TRIGGER places_notify AFTER INSERT OR UPDATE OR DELETE ON {SCHEMA}.places
    FOR EACH STATEMENT EXECUTE FUNCTION {SCHEMA}.notify_lists();
"""

_ROLES = f"""
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{STAFF_ROLE}') THEN
        CREATE ROLE {STAFF_ROLE} NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{MANAGER_ROLE}') THEN
        CREATE ROLE {MANAGER_ROLE} NOLOGIN;
    END IF;
END $$;
GRANT {STAFF_ROLE} TO {MANAGER_ROLE};

REVOKE ALL ON SCHEMA {SCHEMA} FROM PUBLIC;
GRANT USAGE ON SCHEMA {SCHEMA} TO {STAFF_ROLE};
GRANT SELECT ON {MIGRATIONS_TABLE} TO {STAFF_ROLE};
-- staff: read and write records; a note's follow-ups are replaced when the note is saved
GRANT SELECT, INSERT, UPDATE ON {SCHEMA}.notes, {SCHEMA}.inquiries TO {STAFF_ROLE};
GRANT SELECT, INSERT, UPDATE, DELETE ON {SCHEMA}.note_followups TO {STAFF_ROLE};
-- staff may add a category or place an import brings; replacing the lists is the manager's
GRANT SELECT, INSERT ON {SCHEMA}.categories, {SCHEMA}.places TO {STAFF_ROLE};
GRANT USAGE ON ALL SEQUENCES IN SCHEMA {SCHEMA} TO {STAFF_ROLE};
-- manager: also delete records and edit the lists
GRANT DELETE ON {SCHEMA}.notes, {SCHEMA}.inquiries TO {MANAGER_ROLE};
GRANT UPDATE, DELETE ON {SCHEMA}.categories, {SCHEMA}.places TO {MANAGER_ROLE};
"""


def _default_categories() -> str:
    rows = [("notes", n, i) for i, n in enumerate(DEFAULT_NOTE_CATEGORIES)] + [
        ("inquiries", n, i) for i, n in enumerate(DEFAULT_INQUIRY_CATEGORIES)
    ]
    values = ", ".join(f"('{k}', '{n}', {i})" for k, n, i in rows)  # constants from records.py, no quotes
    return f"INSERT INTO {SCHEMA}.categories (kind, name, position) VALUES {values} ON CONFLICT DO NOTHING;"


# The searchable fields joined, as the filters write it: the indexes below are on these expressions, and
# a query uses the planner's expression match, so the joined text is never stored twice.
NOTE_SEARCH = f"({_search(NOTE_FTS_COLUMNS)})"
INQUIRY_SEARCH = f"({_search(INQUIRY_FTS_COLUMNS)})"

# 0003: measured at 100,000 notes (docs/PERFORMANCE.md). (1) 1–2 character terms (空調, 鍵) have no trigram,
# so pg_trgm cannot serve them (a full scan). Every 1- and 2-character substring of the lower-cased text
# (none with a space) goes into a GIN-indexed array; a short term is then one exact ``@>`` lookup, as the
# SQLCipher store's bigram index does (desktop/logbook/shortterms.py). (2) The stored ``search`` column of
# 0001 doubled every row; its trigram index becomes an expression index and the column goes.
_SHORT_TERMS = rf"""
CREATE FUNCTION {SCHEMA}.short_grams(t text) RETURNS text[] LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
    COST 5000  -- ~40 µs a row: the planner must prefer the index to filtering rows with it
    AS $$
DECLARE
    lt text := lower(t);
    n integer := length(lt);
    grams text[] := '{{}}';
    c text;
    d text;
BEGIN
    FOR i IN 1..n LOOP
        c := substr(lt, i, 1);
        CONTINUE WHEN c ~ '\s';
        grams := grams || c;
        IF i < n THEN
            d := substr(lt, i + 1, 1);
            IF d !~ '\s' THEN
                grams := grams || (c || d);
            END IF;
        END IF;
    END LOOP;
    RETURN grams;  -- repeats are fine: GIN keeps each key once per row
END $$;
ALTER TABLE {SCHEMA}.notes DROP COLUMN search;
ALTER TABLE {SCHEMA}.inquiries DROP COLUMN search;
CREATE INDEX notes_search ON {SCHEMA}.notes USING gin ({NOTE_SEARCH} gin_trgm_ops);
CREATE INDEX inquiries_search ON {SCHEMA}.inquiries USING gin ({INQUIRY_SEARCH} gin_trgm_ops);
CREATE INDEX notes_grams ON {SCHEMA}.notes USING gin ({SCHEMA}.short_grams{NOTE_SEARCH});
CREATE INDEX inquiries_grams ON {SCHEMA}.inquiries USING gin ({SCHEMA}.short_grams{INQUIRY_SEARCH});
"""

_PROMPTS = f"""
CREATE TABLE {SCHEMA}.prompts (
    seq bigserial PRIMARY KEY,
    id text NOT NULL UNIQUE,
    title text NOT NULL,
    text text NOT NULL,
    author text NOT NULL DEFAULT '',
    tags text NOT NULL DEFAULT '',
    uses integer NOT NULL DEFAULT 0,
    rating_total integer NOT NULL DEFAULT 0,
    rating_count integer NOT NULL DEFAULT 0,
    created_at text NOT NULL,
    updated_at text NOT NULL,
    created_by text NOT NULL DEFAULT session_user,
    updated_by text NOT NULL DEFAULT session_user
);
-- the prompt library is the whole team's: staff add, edit, use, rate and remove prompts
GRANT SELECT, INSERT, UPDATE, DELETE ON {SCHEMA}.prompts TO {STAFF_ROLE};
GRANT USAGE ON SEQUENCE {SCHEMA}.prompts_seq_seq TO {STAFF_ROLE};
"""

_SEARCH_LOG = f"""
CREATE TABLE {SCHEMA}.search_log (
    seq bigserial PRIMARY KEY,
    id text NOT NULL UNIQUE,
    at text NOT NULL,
    kind text NOT NULL,
    query text NOT NULL,
    hits integer NOT NULL,
    grounded boolean,
    rating text NOT NULL DEFAULT '',
    rating_reason text NOT NULL DEFAULT '',
    by text NOT NULL DEFAULT session_user
);
CREATE INDEX search_log_at ON {SCHEMA}.search_log (at);
-- the team's searches: staff add entries and rate answers; nobody edits what was asked
GRANT SELECT, INSERT ON {SCHEMA}.search_log TO {STAFF_ROLE};
GRANT UPDATE (rating, rating_reason) ON {SCHEMA}.search_log TO {STAFF_ROLE};
GRANT USAGE ON SEQUENCE {SCHEMA}.search_log_seq_seq TO {STAFF_ROLE};
GRANT DELETE ON {SCHEMA}.search_log TO {MANAGER_ROLE};
"""

PG_MIGRATIONS: tuple[PgMigration, ...] = (
    PgMigration("0001_notes_inquiries_lists_triggers", _INITIAL + _default_categories()),
    PgMigration("0002_roles_and_grants", _ROLES),
    PgMigration("0003_short_term_index_search_expressions", _SHORT_TERMS),
    PgMigration("0004_prompt_library", _PROMPTS),
    PgMigration("0005_search_log", _SEARCH_LOG),
)


class SchemaError(Exception):
    """The server's logbook is missing or of another version; ``str()`` is Japanese with English alongside."""

    def __init__(self, ja: str, en: str) -> None:
        super().__init__(f"{ja} / {en}")
        self.ja = ja
        self.en = en


def applied(conn: psycopg.Connection) -> list[str]:
    exists = conn.execute("SELECT to_regclass(%s) IS NOT NULL", [MIGRATIONS_TABLE]).fetchone()
    if not exists or not exists[0]:
        return []
    return [r[0] for r in conn.execute(f"SELECT name FROM {MIGRATIONS_TABLE} ORDER BY applied_order")]


def pending(conn: psycopg.Connection, migrations: tuple[PgMigration, ...] = PG_MIGRATIONS) -> list[str]:
    done = set(applied(conn))
    return [m.name for m in migrations if m.name not in done]


def check_current(conn: psycopg.Connection) -> None:
    """Raise :class:`SchemaError` unless the server's logbook is exactly the version this app knows."""
    done = applied(conn)
    known = [m.name for m in PG_MIGRATIONS]
    if not done:
        raise SchemaError(
            "このサーバーにはまだチームのログブックがありません。管理者が `soumu-desk team setup URL` を実行してください",
            "this server has no team logbook yet; an administrator runs `soumu-desk team setup URL`",
        )
    unknown = set(done) - set(known)
    if unknown:
        raise SchemaError(
            "サーバーのログブックは新しいバージョンのアプリで作成されています。このPCのアプリを更新してください",
            f"the server's logbook was set up by a newer version (unknown: {', '.join(sorted(unknown))}); update this app",
        )
    missing = [n for n in known if n not in done]
    if missing:
        raise SchemaError(
            "サーバーのログブックが古いバージョンです。管理者が `soumu-desk team setup URL` を実行してください",
            f"the server's logbook needs migrations ({', '.join(missing)}); an administrator runs `soumu-desk team setup URL`",
        )


def migrate(conn: psycopg.Connection, migrations: tuple[PgMigration, ...] = PG_MIGRATIONS) -> list[str]:
    """Apply pending migrations (as the database owner); returns the names applied. Each one commits whole."""
    ran: list[str] = []
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
        conn.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
        conn.execute(
            f"CREATE TABLE IF NOT EXISTS {MIGRATIONS_TABLE} (applied_order serial PRIMARY KEY, "
            "name text NOT NULL UNIQUE, applied_at timestamptz NOT NULL DEFAULT now())"
        )
    for m in migrations:
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
            if m.name in applied(conn):  # another set-up ran it while we waited for the lock
                continue
            conn.execute(m.sql.encode("utf-8"))  # several statements: no parameters, simple protocol
            conn.execute(f"INSERT INTO {MIGRATIONS_TABLE} (name) VALUES (%s)", [m.name])
        log.info("team logbook migration applied: %s", m.name)
        ran.append(m.name)
    return ran
