"""The logbook in team mode: the team's records on PostgreSQL, and this PC's encrypted copy of them.

:class:`TeamBook` is a :class:`desktop.logbook.Logbook` (the app, the pages and the analysis call it
through the same interface) whose ``notes``, ``inquiries`` and ``lists`` are the team's, on the server
(:mod:`desktop.logbook.pg_store`). Beside them it keeps a **copy** of the team's records in a SQLCipher
file of this PC (``team-copy-<server>.db`` in the data home, encrypted with the logbook key, the same
migrations as the logbook file). The copy is there for three reasons:

- **the server is down**: reads fall back to the copy (the last records this PC saw), writes are refused
  with a plain message (:class:`ServerDownError`) — nothing is saved silently on one PC only;
- **the analysis** (分析: desktop/insights.py, desktop/logbook_insights.py) reads SQL from ``book.db``; in
  team mode that is the copy, brought up to date by :meth:`TeamBook.sync`, so it counts the whole team;
- **what is this PC's own**: the analysis cache (derived data) stays per PC, in the copy's file. The
  prompt library and the search log are the team's, on the server (pg_prompts.py, pg_searchlog.py),
  mirrored into the copy by each sync; ``team migrate`` brings a PC's own prompts in.

:meth:`TeamBook.sync` compares the server's ``(id, version)`` pairs with the copy's and fetches only what
changed. :meth:`TeamBook.start_following` runs it once and then on every change another PC makes
(LISTEN/NOTIFY, desktop/logbook/pg_listen.py), on a thread of its own, and tells listeners which kinds
changed and whether the server is reachable. Nothing here imports Qt.
"""

from __future__ import annotations

import builtins
import contextlib
import hashlib
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

import psycopg

from desktop.logbook import backup as backups
from desktop.logbook.csvio import ExportResult
from desktop.logbook.db import LogbookDB
from desktop.logbook.migrations import migrate
from desktop.logbook.pg_connect import TeamConnectError, TeamPasswords, TeamTarget
from desktop.logbook.pg_listen import ChangeListener
from desktop.logbook.pg_store import PgInquiries, PgLists, PgNotes, TeamLogbook
from desktop.logbook.prompts import Prompt
from desktop.logbook.records import Filters, FollowUp, Inquiry, Note, join_tags
from desktop.logbook.repository import MergeResult, check_kind, inquiry_to_row, note_to_row
from desktop.logbook.searchlog import SearchEntry
from desktop.logbook.service import ImportResult, Logbook
from desktop.logbook.store import ListsStore, NoteStore, PromptStore, RecordStore, SearchLogStore, StoreError
from desktop.paths import DataHome
from desktop.secrets import AskPassphrase, KeyManager, KeyMissingError
from desktop.settings import LogbookSettings

log = logging.getLogger(__name__)

R = TypeVar("R", Note, Inquiry)
_BATCH = 500
# after the server failed, reads go straight to the copy for this long before the server is tried again
# (an unreachable host costs the connect timeout on every call otherwise)
RETRY_AFTER_S = 15.0
RECONNECT_S = 5.0  # the longest pause between the follower's attempts to reach a server that went away
_DOWN = (TeamConnectError, psycopg.OperationalError, psycopg.InterfaceError)

_COPY_META = """
CREATE TABLE IF NOT EXISTS team_copy (
    kind TEXT NOT NULL, id TEXT NOT NULL, version INTEGER NOT NULL,
    created_by TEXT NOT NULL DEFAULT '', updated_by TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (kind, id)
)"""  # the copy's own bookkeeping (not a logbook table: the logbook file of a PC never has it)


class ServerDownError(StoreError):
    """The team server cannot be reached: nothing was written (the copy is read-only meanwhile)."""

    def __init__(self, detail: str = "") -> None:
        super().__init__(
            "チームのサーバーに接続できないため保存できません。入力した内容はそのままです。サーバーが戻ってから"
            "もう一度保存してください" + (f"({detail})" if detail else ""),
            "cannot reach the team server, so nothing was saved; what you typed is kept — save again once the "
            "server is back" + (f" ({detail})" if detail else ""),
        )


class TeamNotAvailableError(StoreError):
    """Something the single-PC logbook does that the team logbook leaves to the server's administrator."""


@dataclass(frozen=True)
class TeamState:
    """Replaced whole on each change, so any thread may read it. ``online``: the last call reached the server."""

    url: str
    online: bool = True
    problem_ja: str = ""
    problem_en: str = ""
    last_sync: str = ""  # ISO time of the last complete sync of the copy
    checked: bool = True  # False until the server was first reached (a book opened without connecting)


@dataclass
class SyncResult:
    fetched: dict[str, int] = field(default_factory=dict)  # per kind: records copied (new or changed)
    removed: dict[str, int] = field(default_factory=dict)  # per kind: records gone from the server

    @property
    def changed_kinds(self) -> set[str]:
        return {k for k in ("notes", "inquiries") if self.fetched.get(k) or self.removed.get(k)}


# --- the copy ----------------------------------------------------------------------------------------


def copy_path(home: DataHome, target: TeamTarget) -> Path:
    """One copy per server and database, so pointing the PC at another server never mixes records."""
    digest = hashlib.sha256(f"{target.host}:{target.port}/{target.dbname}".encode()).hexdigest()[:12]
    return home.root / f"team-copy-{digest}.db"


class TeamCopy:
    """Writes the team's records into the copy file exactly as the server has them (no validation, no
    stamping: the server already did both) and remembers each record's version and authors."""

    def __init__(self, db: LogbookDB) -> None:
        self.db = db
        with db.write() as w:
            w.execute(_COPY_META)

    def versions(self, kind: str) -> dict[str, int]:
        rows = self.db.read().execute("SELECT id, version FROM team_copy WHERE kind = ?", [kind])
        return {i: int(v) for i, v in rows}

    def store(self, kind: str, records: Iterable[Note | Inquiry]) -> int:
        """Put records in the copy as the server has them, in batches (one transaction per batch)."""
        batch = list(records)
        for i in range(0, len(batch), _BATCH):
            part = batch[i : i + _BATCH]
            ids = [r.id for r in part]
            marks = ",".join("?" * len(ids))
            with self.db.write() as w:
                w.execute(f"DELETE FROM {kind} WHERE id IN ({marks})", ids)
                if kind == "notes":
                    w.execute(f"DELETE FROM note_followups WHERE note_id IN ({marks})", ids)
                    notes = [r for r in part if isinstance(r, Note)]
                    w.table("notes").insert_all([note_to_row(n) for n in notes], batch_size=_BATCH)
                    fus = [{"note_id": n.id, **fu.to_dict()} for n in notes for fu in n.followups]
                    if fus:
                        w.table("note_followups").insert_all(fus, batch_size=_BATCH)
                else:
                    w.table("inquiries").insert_all(
                        [inquiry_to_row(r) for r in part if isinstance(r, Inquiry)], batch_size=_BATCH
                    )
                w.conn.executemany(
                    "INSERT OR REPLACE INTO team_copy (kind, id, version, created_by, updated_by) VALUES (?, ?, ?, ?, ?)",
                    [(kind, r.id, r.version, r.created_by, r.updated_by) for r in part],
                )
        return len(batch)

    def remove(self, kind: str, ids: Sequence[str]) -> int:
        with self.db.write() as w:
            for i in ids:
                w.execute(f"DELETE FROM {kind} WHERE id = ?", [i])
                if kind == "notes":
                    w.execute("DELETE FROM note_followups WHERE note_id = ?", [i])
                w.execute("DELETE FROM team_copy WHERE kind = ? AND id = ?", [kind, i])
        return len(ids)

    def mirror_prompts(self, prompts: Sequence[Prompt]) -> None:
        """The copy's prompt table becomes exactly the team's (read while the server is down)."""
        with self.db.write() as w:
            w.execute("DELETE FROM prompts")
            if prompts:
                w.table("prompts").insert_all([
                    {"id": p.id, "title": p.title, "text": p.text, "author": p.author, "tags": join_tags(p.tags),
                     "uses": p.uses, "rating_total": p.rating_total, "rating_count": p.rating_count,
                     "created_at": p.created_at, "updated_at": p.updated_at} for p in prompts
                ])

    def search_states(self) -> dict[str, str]:
        rows = self.db.read().execute("SELECT id, rating, rating_reason FROM search_log")
        return {i: f"{r}\x1f{why}" for i, r, why in rows}

    def store_searches(self, entries: Iterable[SearchEntry]) -> None:
        with self.db.write() as w:
            for e in entries:
                w.execute("DELETE FROM search_log WHERE id = ?", [e.id])
                w.table("search_log").insert({
                    "id": e.id, "at": e.at, "kind": e.kind, "query": e.query, "hits": e.hits,
                    "grounded": None if e.grounded is None else int(e.grounded), "rating": e.rating,
                    "rating_reason": e.rating_reason,
                })

    def remove_searches(self, ids: Sequence[str]) -> None:
        if ids:
            with self.db.write() as w:
                for i in ids:
                    w.execute("DELETE FROM search_log WHERE id = ?", [i])

    def attach(self, kind: str, records: builtins.list[R]) -> builtins.list[R]:
        """Give records read from the copy their version and authors back (the logbook tables lack them)."""
        if not records:
            return records
        conn = self.db.read()
        meta: dict[str, tuple[int, str, str]] = {}
        ids = [r.id for r in records]
        for i in range(0, len(ids), _BATCH):
            part: builtins.list[str] = ids[i : i + _BATCH]
            marks = ",".join("?" * len(part))
            for rid, v, cb, ub in conn.execute(
                f"SELECT id, version, created_by, updated_by FROM team_copy WHERE kind = ? AND id IN ({marks})",
                [kind, *part],
            ):
                meta[rid] = (int(v), cb, ub)
        for r in records:
            if r.id in meta:
                r.version, r.created_by, r.updated_by = meta[r.id]
        return records


# --- records: the server first, the copy when it is down ----------------------------------------------


class _TeamRecords(Generic[R]):
    kind = ""

    def __init__(self, book: TeamBook, remote: PgNotes | PgInquiries, local: NoteStore | RecordStore[Inquiry]) -> None:
        self._book = book
        self._remote: Any = remote
        self._local: Any = local

    # reads
    def _read(self, remote: Callable[[], Any], local: Callable[[], Any]) -> Any:
        return self._book.read_either(remote, local)

    def get(self, record_id: str) -> R | None:
        def local() -> R | None:
            got = self._local.get(record_id)
            return None if got is None else self._book.copy.attach(self.kind, [got])[0]

        return self._read(lambda: self._remote.get(record_id), local)

    def list(self, filters: Filters | None = None) -> builtins.list[R]:
        return self._read(
            lambda: self._remote.list(filters), lambda: self._book.copy.attach(self.kind, self._local.list(filters))
        )

    def iter(self, filters: Filters | None = None) -> Iterator[R]:
        # a whole pass (export) is read at once from wherever it can be had: a stream that breaks halfway
        # through would leave a half-written file
        yield from self.list(filters)

    def count(self, filters: Filters | None = None, cap: int | None = None) -> int:
        return self._read(lambda: self._remote.count(filters, cap), lambda: self._local.count(filters, cap))

    def ids(self) -> set[str]:
        return self._read(self._remote.ids, self._local.ids)

    # writes: the server or nothing
    def _write(self, op: Callable[[], Any]) -> Any:
        return self._book.on_server(op)

    def add(self, record: R) -> R:
        saved: R = self._write(lambda: self._remote.add(record))
        self._book.copy.store(self.kind, [saved])
        return saved

    def update(self, record: R) -> R:
        """Raises :class:`desktop.logbook.store.ConflictError` (both versions) when another PC saved first."""
        saved: R = self._write(lambda: self._remote.update(record))
        self._book.copy.store(self.kind, [saved])
        return saved

    def delete(self, record_id: str) -> bool:
        gone = bool(self._write(lambda: self._remote.delete(record_id)))
        self._book.copy.remove(self.kind, [record_id])
        return gone

    def merge(self, records: Sequence[R]) -> MergeResult:
        result: MergeResult = self._write(lambda: self._remote.merge(records))
        self._book.sync_quietly()
        return result


class TeamNotes(_TeamRecords[Note]):
    kind = "notes"

    def add_followup(self, note_id: str, followup: FollowUp) -> FollowUp:
        done: FollowUp = self._write(lambda: self._remote.add_followup(note_id, followup))
        note = self._write(lambda: self._remote.get(note_id))
        if note is not None:
            self._book.copy.store("notes", [note])
        return done


class TeamInquiries(_TeamRecords[Inquiry]):
    kind = "inquiries"


class TeamLists:
    """Categories and places: the server's, the copy's while it is down (read-only then)."""

    def __init__(self, book: TeamBook, remote: PgLists, local: ListsStore) -> None:
        self._book = book
        self._remote = remote
        self._local = local

    def _read(self, remote: Callable[[], Any], local: Callable[[], Any]) -> Any:
        return self._book.read_either(remote, local)

    def _write(self, op: Callable[[], Any]) -> Any:
        return self._book.on_server(op)

    def categories(self, kind: str) -> list[str]:
        return self._read(lambda: self._remote.categories(kind), lambda: self._local.categories(kind))

    def set_categories(self, kind: str, names: Iterable[str]) -> list[str]:
        clean: list[str] = self._write(lambda: self._remote.set_categories(kind, list(names)))
        self._local.set_categories(kind, clean)
        return clean

    def places(self) -> list[str]:
        return self._read(self._remote.places, self._local.places)

    def set_places(self, names: Iterable[str]) -> list[str]:
        clean: list[str] = self._write(lambda: self._remote.set_places(list(names)))
        self._local.set_places(clean)
        return clean

    def suggestions(self, field_name: str, kind: str = "notes", prefix: str = "", limit: int = 20) -> list[str]:
        return self._read(
            lambda: self._remote.suggestions(field_name, kind, prefix, limit),
            lambda: self._local.suggestions(field_name, kind, prefix, limit),
        )


class TeamPrompts:
    """The team's prompt library on the server; the copy's mirror of it while the server is down."""

    def __init__(self, book: TeamBook, remote: Any, local: PromptStore) -> None:
        self._book = book
        self._remote = remote
        self._local = local

    def list(self, text: str = "", tag: str = "") -> builtins.list[Prompt]:
        return self._book.read_either(lambda: self._remote.list(text, tag), lambda: self._local.list(text, tag))

    def get(self, prompt_id: str) -> Prompt | None:
        return self._book.read_either(lambda: self._remote.get(prompt_id), lambda: self._local.get(prompt_id))

    def add(self, prompt: Prompt) -> Prompt:
        return self._book.on_server(lambda: self._remote.add(prompt))

    def update(self, prompt: Prompt) -> Prompt:
        return self._book.on_server(lambda: self._remote.update(prompt))

    def delete(self, prompt_id: str) -> bool:
        return bool(self._book.on_server(lambda: self._remote.delete(prompt_id)))

    def use(self, prompt_id: str) -> Prompt:
        return self._book.on_server(lambda: self._remote.use(prompt_id))

    def rate(self, prompt_id: str, stars: int) -> Prompt:
        return self._book.on_server(lambda: self._remote.rate(prompt_id, stars))

    def merge(self, incoming: Sequence[Prompt]) -> tuple[int, int, int]:
        return self._book.on_server(lambda: self._remote.merge(incoming))


class TeamSearchLog:
    """The team's search log on the server (kept in the copy too, where the analysis reads it). While the
    server is down nothing is logged (:class:`ServerDownError`; the answer page only notes it in the log)."""

    def __init__(self, book: TeamBook, remote: Any, local: SearchLogStore) -> None:
        self._book = book
        self._remote = remote
        self._local = local

    def record(
        self, query: str, hits: int, *, kind: str = "search", grounded: bool | None = None, at: str = ""
    ) -> SearchEntry:
        entry: SearchEntry = self._book.on_server(
            lambda: self._remote.record(query, hits, kind=kind, grounded=grounded, at=at)
        )
        self._book.copy.store_searches([entry])
        return entry

    def rate(self, entry_id: str, rating: str, reason: str = "") -> None:
        self._book.on_server(lambda: self._remote.rate(entry_id, rating, reason))
        self._book.copy.store_searches(self._book.on_server(lambda: self._remote.get_many([entry_id])))

    def entries(self, date_from: str = "", date_to: str = "", *, unanswered_only: bool = False) -> list[SearchEntry]:
        return self._book.read_either(
            lambda: self._remote.entries(date_from, date_to, unanswered_only=unanswered_only),
            lambda: self._local.entries(date_from, date_to, unanswered_only=unanswered_only),
        )


# --- the book ----------------------------------------------------------------------------------------

ChangeCallback = Callable[[set[str]], None]  # kinds whose records changed ("notes", "inquiries", "lists")
StateCallback = Callable[[TeamState], None]


class TeamBook(Logbook):
    """The team logbook as the app sees it; see the module docstring.

    ``notes``/``inquiries``/``lists``/``prompts``/``searchlog`` are the server's (with the copy as fallback for
    reading); ``db`` is this PC's copy file, which the analysis reads. ``state`` says whether the server
    answered last time.
    """

    is_team = True

    def __init__(
        self, team: TeamLogbook | None, target: TeamTarget, password: str | None, copy_db: LogbookDB,
        settings: LogbookSettings, backups_dir: Path, key: Any,
    ) -> None:
        super().__init__(copy_db, settings, backups_dir, key)
        self.target = target
        self._password = password
        self._team = team
        self.copy = TeamCopy(copy_db)
        self.copy_notes, self.copy_inquiries, self.copy_lists = self.notes, self.inquiries, self.lists
        self.state = TeamState(url=target.url, online=team is not None)
        self._retry_at = 0.0 if team is not None else time.monotonic()
        self._sync_lock = threading.Lock()
        self._change_listeners: list[ChangeCallback] = []
        self._state_listeners: list[StateCallback] = []
        self._follow_stop = threading.Event()
        self._follow_thread: threading.Thread | None = None
        remote = self._remote()
        self.lists = TeamLists(self, remote.lists, self.copy_lists)
        self.notes = TeamNotes(self, remote.notes, self.copy_notes)
        self.inquiries = TeamInquiries(self, remote.inquiries, self.copy_inquiries)
        self.copy_prompts = self.prompts
        self.prompts = TeamPrompts(self, remote.prompts, self.copy_prompts)
        self.copy_searchlog = self.searchlog
        self.searchlog = TeamSearchLog(self, remote.searchlog, self.copy_searchlog)

    def _remote(self) -> TeamLogbook:
        """The server's stores. Made without a connection when the server was down at open: the
        connections are per thread and opened on first use, so they work once it is back."""
        if self._team is None:
            from desktop.logbook.pg_store import PgDatabase

            self._team = TeamLogbook(PgDatabase(self.target, self._password))
        return self._team

    @classmethod
    def open_team(
        cls,
        home: DataHome,
        target: TeamTarget,
        password: str | None,
        settings: LogbookSettings | None = None,
        *,
        keys: KeyManager | None = None,
        ask_passphrase: AskPassphrase | None = None,
        connect: bool = True,
    ) -> TeamBook:
        """Open this PC's copy (creating it, with the logbook key) and reach the server.

        A server that cannot be reached is no error: the book opens read-only from the copy and says so in
        :attr:`state`. A server without the team schema (``SchemaError``) is one: nothing to fall back to.
        With ``connect=False`` (the window: this runs on the UI thread, and a host that does not answer would
        hold it for the connect timeout) the server is first reached by the first call or by
        :meth:`start_following`, which also checks the schema; ``state.checked`` is False until then.
        """
        from desktop.logbook.pg_schema import SchemaError

        settings = settings or LogbookSettings()
        keys = keys or KeyManager(home.root, ask_passphrase=ask_passphrase)
        path = copy_path(home, target)
        if not keys.exists() and (home.logbook_file.exists() or path.exists()):
            raise KeyMissingError(
                "ログブックはありますが鍵ファイル keys.json がありません。バックアップから keys.json を戻してください",
                "the logbook exists but keys.json is missing; restore keys.json from a backup of the data home",
            )
        key = keys.open_or_create()
        db = LogbookDB(path, key.key)
        team: TeamLogbook | None = None
        problem: TeamConnectError | None = None
        try:
            with db.lock:
                migrate(db.writer)
            if connect:
                try:
                    team = TeamLogbook.open(target, password)
                except TeamConnectError as exc:
                    problem = exc
                    log.warning("team server not reachable at open; read-only from the copy: %s", exc.en)
                except SchemaError:
                    raise
            book = cls(team, target, password, db, settings, home.backups_dir, key)
        except BaseException:
            db.close()
            raise
        if problem is not None:
            book.went_down(problem)
        elif not connect:
            book.state = TeamState(target.url, online=True, checked=False)  # try the server on first use
            book._retry_at = 0.0
        return book

    # -- the server's reachability ---------------------------------------------------------------
    def read_either(self, remote: Callable[[], Any], local: Callable[[], Any]) -> Any:
        """``remote()`` when the server answers, else ``local()`` (the copy). After a failure the server is
        tried again once :data:`RETRY_AFTER_S` has passed, so a dead host does not cost a timeout per call."""
        if self.state.online or time.monotonic() >= self._retry_at:
            try:
                result = _twice(remote)
            except _DOWN as exc:
                self.went_down(exc)
            else:
                self.came_back()
                return result
        return local()

    def on_server(self, op: Callable[[], Any]) -> Any:
        """Run a write on the server (always tried: the user asked for it); :class:`ServerDownError` when it
        cannot be reached — never written to the copy alone."""
        try:
            result = _twice(op)
        except _DOWN as exc:
            self.went_down(exc)
            raise ServerDownError(self.state.problem_ja) from None
        self.came_back()
        return result

    def went_down(self, exc: BaseException) -> None:
        if isinstance(exc, TeamConnectError):
            ja, en = exc.ja, exc.en
        else:  # the connection broke mid-call (server stopped, network gone)
            where = f"{self.target.host}:{self.target.port}"
            ja = f"サーバー {where} に接続できません(接続が切れました: {type(exc).__name__})"
            en = f"cannot connect to {where} (the connection was lost: {type(exc).__name__})"
        self._retry_at = time.monotonic() + RETRY_AFTER_S
        was = self.state.online
        self._set_state(TeamState(self.target.url, False, ja, en, self.state.last_sync))
        if was:
            log.warning("team server unreachable: %s", en)

    def came_back(self) -> None:
        if not self.state.online or not self.state.checked:
            log.info("team server reachable again")
            self._set_state(TeamState(self.target.url, True, "", "", self.state.last_sync))

    def _set_state(self, state: TeamState) -> None:
        self.state = state
        for listener in list(self._state_listeners):
            try:
                listener(state)
            except Exception:
                log.exception("team state listener failed")

    # -- the copy --------------------------------------------------------------------------------
    def sync(self) -> SyncResult:
        """Bring the copy up to date with the server: fetch what is new or changed, drop what is gone.

        Raises :class:`ServerDownError` when the server cannot be reached (what was copied before stays:
        every record in the copy is whole, as the server had it)."""
        from desktop.logbook.records import now_iso

        team = self._remote()
        with self._sync_lock:
            try:
                result = _twice(lambda: self._sync(team))
            except _DOWN as exc:
                self.went_down(exc)
                raise ServerDownError(self.state.problem_ja) from None
        self.came_back()
        self._set_state(TeamState(self.target.url, True, "", "", now_iso()))
        if result.changed_kinds:
            log.info("team copy synced: %s", result)
        return result

    def _sync(self, team: TeamLogbook) -> SyncResult:
        """One pass: the server's (id, version) pairs against the copy's; only the differences are fetched."""
        result = SyncResult()
        for kind, remote in (("notes", team.notes), ("inquiries", team.inquiries)):
            theirs = remote.versions()
            mine = self.copy.versions(kind)
            changed = [i for i, v in theirs.items() if mine.get(i) != v]
            gone = [i for i in mine if i not in theirs]
            fetched = 0
            for i in range(0, len(changed), _BATCH):
                got = remote.get_many(changed[i : i + _BATCH])
                fetched += self.copy.store(kind, got.values())
            result.fetched[kind] = fetched
            result.removed[kind] = self.copy.remove(kind, gone)
        for kind in ("notes", "inquiries"):
            cats = team.lists.categories(kind)
            if cats and cats != self.copy_lists.categories(kind):
                self.copy_lists.set_categories(kind, cats)
        places = team.lists.places()
        if places != self.copy_lists.places():
            self.copy_lists.set_places(places)
        self.copy.mirror_prompts(team.prompts.list())
        theirs_log = team.searchlog.states()
        mine_log = self.copy.search_states()
        changed_log = [i for i, st in theirs_log.items() if mine_log.get(i) != st]
        for i in range(0, len(changed_log), _BATCH):
            self.copy.store_searches(team.searchlog.get_many(changed_log[i : i + _BATCH]))
        self.copy.remove_searches([i for i in mine_log if i not in theirs_log])
        return result

    def sync_quietly(self) -> SyncResult | None:
        try:
            return self.sync()
        except ServerDownError:
            return None

    # -- following other PCs' changes ------------------------------------------------------------
    def on_change(self, callback: ChangeCallback) -> None:
        """``callback(kinds)`` runs on the follower thread after the copy took in other PCs' changes."""
        self._change_listeners.append(callback)

    def on_state(self, callback: StateCallback) -> None:
        """``callback(state)`` runs on whichever thread noticed the server go away or come back."""
        self._state_listeners.append(callback)

    def remove_listeners(self, *callbacks: Any) -> None:
        for cb in callbacks:
            for group in (self._change_listeners, self._state_listeners):
                with contextlib.suppress(ValueError):
                    group.remove(cb)

    def start_following(self, *, debounce_s: float = 0.3) -> None:
        """Sync once listening, then after every burst of changes the server announces, on a thread of its own
        (returns at once)."""
        if self._follow_thread is not None and self._follow_thread.is_alive():
            return
        self._follow_stop.clear()
        self._follow_thread = threading.Thread(
            target=self._follow, args=(debounce_s,), name="team-follow", daemon=True
        )
        self._follow_thread.start()

    def _follow(self, debounce_s: float) -> None:
        if not self._check_schema():
            return
        # the first sync runs once LISTEN is in force (resync_first): a change made in between is not missed
        # reconnect at least every 5 s: the status bar says when the server is back soon after it is
        listener = ChangeListener(self.target, self._password, poll_s=debounce_s, max_pause_s=RECONNECT_S)
        pending: set[str] = set()
        for change in listener.changes(self._follow_stop, on_state=self._listener_state, idle=True,
                                       resync_first=True):
            if change.op == "resync":  # listening from now on (first time, or after a lost connection)
                self._sync_and_tell({"notes", "inquiries", "lists"}, always=True)
            elif change.op == "idle":  # a burst of changes is over: one sync for all of them
                kinds, pending = pending, set()
                if kinds:
                    self._sync_and_tell(kinds)
            elif change.kind in ("categories", "places"):
                pending.add("lists")
            else:
                pending.add(change.kind)

    def _check_schema(self) -> bool:
        """False when the server has no team logbook of this app's version (said in :attr:`state`); a server
        that cannot be reached now is checked by the calls that reach it later."""
        from desktop.logbook.pg_schema import SchemaError, check_current

        try:
            _twice(lambda: check_current(self._remote().db.conn()))
        except SchemaError as exc:
            log.warning("team server: %s", exc.en)
            self._retry_at = time.monotonic() + RETRY_AFTER_S
            self._set_state(TeamState(self.target.url, False, exc.ja, exc.en, self.state.last_sync))
            return False
        except _DOWN as exc:
            self.went_down(exc)
        return True

    def _listener_state(self, listening: bool, problem: TeamConnectError | None) -> None:
        if listening:
            self.came_back()
        elif problem is not None:
            self.went_down(problem)
        else:
            self.went_down(TeamConnectError("サーバーとの接続が切れました", "the connection to the server was lost"))

    def _sync_and_tell(self, kinds: set[str], *, always: bool = False) -> None:
        try:
            result = self.sync_quietly()
        except Exception:  # e.g. a server set up by another version: the follower must not die of it
            log.exception("team copy: sync failed")
            return
        if result is None:
            return
        # records: only when the copy really changed (this PC's own saves come back as notifications too)
        told = (kinds & {"lists"}) | result.changed_kinds | (kinds if always else set())
        if not told:
            return
        for listener in list(self._change_listeners):
            try:
                listener(told)
            except Exception:
                log.exception("team change listener failed")

    def stop_following(self, timeout: float = 5.0) -> None:
        self._follow_stop.set()
        thread = self._follow_thread
        if thread is not None:
            thread.join(timeout)
        self._follow_thread = None

    # -- what the single-PC logbook does differently ----------------------------------------------
    def export(self, kind: str, path: Path, *, fmt: str = "csv", filters: Filters | None = None,
               encoding: str = "utf-8-sig", errors: str = "strict") -> ExportResult:
        """Managers only (the server's grants); refused while the server cannot be reached."""
        team = self._remote()
        result: ExportResult = self.on_server(
            lambda: team.export(kind, path, fmt=fmt, filters=filters, encoding=encoding, errors=errors)
        )
        return result

    def import_file(self, kind: str, path: Path) -> ImportResult:
        team = self._remote()
        got = self.on_server(lambda: team.import_file(check_kind(kind), Path(path)))
        self.sync_quietly()
        m = got.merged
        return ImportResult(path=got.path, encoding=got.encoding, rows=got.rows, added=m.added, updated=m.updated,
                            unchanged=m.unchanged, skipped=m.skipped, new_categories=m.new_categories,
                            warnings=got.warnings)

    def backup(self) -> Path:
        """A backup of this PC's copy (its search log and prompt library are only here); the team's
        records are backed up on the server (pg_dump, installers/team/README.md)."""
        return backups.backup_now(self.db, self.backups_dir, self.settings.backup_keep)

    def restore(self, source: Path) -> Path | None:
        raise TeamNotAvailableError(
            "チームモードでは記録をバックアップから戻せません。サーバーの管理者が pg_dump のバックアップから戻します"
            "(installers/team/README.md)",
            "in team mode the records are not restored from a PC's backup; the server's administrator restores "
            "the pg_dump backup (installers/team/README.md)",
        )

    def close(self) -> None:
        self.stop_following()
        if self._team is not None:
            self._team.close()
        super().close()


def _twice(op: Callable[[], Any]) -> Any:
    """``op()``, once more if the connection broke: a connection that died with a server restart fails its
    next statement and is replaced on the following call (PgDatabase.conn), so the first call after the
    server came back does not look like an outage. A fresh connect that fails (TeamConnectError) is final."""
    try:
        return op()
    except (psycopg.OperationalError, psycopg.InterfaceError):
        log.info("team server: the connection broke; trying once more on a new one")
        return op()


def open_configured(
    home: DataHome, settings: Any, *, keys: KeyManager | None = None, ask_passphrase: AskPassphrase | None = None,
    connect: bool = True,
) -> Logbook:
    """The logbook the settings choose: the team's when ``settings.team.url`` is set, else this PC's file.

    The team password comes from the keyring (passphrase fallback) as ``team connect`` stored it."""
    url = settings.team.url.strip()
    if not url:
        return Logbook.open(home, settings.logbook, keys=keys, ask_passphrase=ask_passphrase)
    target, in_url = TeamTarget.parse(url)
    password = in_url if in_url is not None else TeamPasswords(home.root, ask_passphrase=ask_passphrase).load(target)
    return TeamBook.open_team(home, target, password, settings.logbook, keys=keys, ask_passphrase=ask_passphrase,
                              connect=connect)
