"""The app's services, built once from a :class:`~desktop.context.Context` and handed to the UI.

Nothing here imports Qt. The window must appear at once, so everything slow is deferred:

* the model is loaded by :class:`local_models.ModelRuntime` on its own worker thread (``start()``) — or, in
  team mode (``model.backend = "server"``), :class:`local_models.server_backend.ServerBackend` connects to the
  team's model server in the background;
* the logbook is opened on first use, because its key may need a passphrase that only the UI can ask for —
  the UI sets :attr:`Services.ask_passphrase` before it touches :attr:`Services.logbook`. In team mode
  (``team.url`` set by `team connect` or the 設定 page) it is the team logbook on PostgreSQL with this PC's
  encrypted copy (:class:`desktop.logbook.team_book.TeamBook`); the same interface either way.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from desktop.context import Context
from desktop.paths import DataHome, bundled_models_dir
from desktop.settings import Settings

if TYPE_CHECKING:
    from desktop.answering import Answerer
    from desktop.logbook import Logbook
    from desktop.logbook.team_book import TeamState
    from desktop.secrets import AskPassphrase, KeyManager
    from kb import IndexProgress, KnowledgeBase
    from local_models import ModelRuntime, RuntimeConfig
    from local_models.server_backend import ServerBackend

log = logging.getLogger(__name__)


def server_backend(settings: Settings) -> ServerBackend | None:
    """The team's model server when the settings choose it (not connected yet: call ``load()``), else None.

    Raises :class:`local_models.ModelError` (code ``bad_url``) for a URL that is not ``http(s)://host:port``."""
    m = settings.model
    if not m.uses_server():
        return None
    from desktop.answering import runtime_config
    from local_models.server_backend import ServerBackend

    return ServerBackend(m.server_url, runtime_config(settings), model=m.server_model.strip())


def allowed_hosts(settings: Settings) -> set[tuple[str, int]]:
    """The (host, port) pairs the app may connect to (DESIGN.md §7): none in single-PC mode; in team mode
    the hosts the user configured (the team logbook's PostgreSQL server, the model server)."""
    hosts: set[tuple[str, int]] = set()
    if settings.team.url.strip():
        from desktop.secrets import SecretsError

        with contextlib.suppress(SecretsError, ValueError):  # a URL we cannot read is never connected to
            from desktop.logbook.pg_connect import TeamTarget

            target, _password = TeamTarget.parse(settings.team.url)
            hosts.add((target.host, int(target.port)))
    if settings.model.uses_server():
        from local_models import ModelError
        from local_models.server_backend import server_host

        with contextlib.suppress(ModelError):  # a malformed URL is never connected to
            hosts.add(server_host(settings.model.server_url))
    return hosts


def _index_child(
    conn: Any, stop: Any, index_dir: str, folders: list[str] | None, poll_network_shares: bool
) -> None:
    """Child-process body of :func:`index_in_child_process` (a module-level function, so it can be spawned).

    It runs below normal priority: indexing is background work and must not take the CPU from the window."""
    from desktop.child_process import lower_priority

    lower_priority()  # first: importing the parsers and loading the dictionary is work too
    from kb import KbError, KnowledgeBase

    kbase = KnowledgeBase(Path(index_dir), poll_network_shares=poll_network_shares)
    try:
        for progress in kbase.index(folders=[Path(f) for f in folders] if folders else None, cancel=stop):
            conn.send(("progress", progress))
        conn.send(("done", None))
    except KbError as exc:
        conn.send(("kb_error", (exc.message_ja, exc.message_en)))
    except BaseException as exc:  # noqa: BLE001 — reported to the parent, which raises it there
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        kbase.close()
        conn.close()


def lower_background_threads(ui_thread_native_id: int, nice: int = 10) -> int:
    """Give every thread of this process except the UI thread a lower CPU priority (Linux only).

    On a 2-core PC llama.cpp's compute threads and the parsers would otherwise take turns with the UI
    thread and freeze the window for hundreds of milliseconds. Linux keeps a nice value per thread and new
    threads inherit their creator's, so calling this now and then covers threads made later too (ggml
    makes its own). Returns how many threads were changed. Elsewhere it does nothing.
    """
    if not sys.platform.startswith("linux"):
        return 0
    changed = 0
    try:
        tids = [int(t) for t in os.listdir("/proc/self/task")]
    except OSError:
        return 0
    for tid in tids:
        if tid == ui_thread_native_id:
            continue
        try:
            if os.getpriority(os.PRIO_PROCESS, tid) < nice:
                os.setpriority(os.PRIO_PROCESS, tid, nice)
                changed += 1
        except OSError:
            continue  # the thread ended meanwhile
    return changed


def index_in_child_process(
    index_dir: Path,
    folders: list[Path] | None = None,
    cancel: threading.Event | None = None,
    *,
    poll_network_shares: bool = True,
) -> Iterator[IndexProgress]:
    """Index in a spawned process (:class:`desktop.child_process.ChildProcess`); yield its
    :class:`kb.IndexProgress` items; ``cancel`` stops it."""
    from desktop.child_process import ChildDiedError, ChildProcess
    from kb import KbError

    child = ChildProcess(
        _index_child, (str(index_dir), [str(f) for f in folders] if folders else None, poll_network_shares),
        name="soumu-desk-index", what_ja="索引", what_en="indexing",
    )
    try:
        for kind, value in child.messages(cancel):
            if kind == "progress":
                yield value
            elif kind == "done":
                break
            elif kind == "kb_error":
                raise KbError(*value)
            else:
                raise RuntimeError(value)
    except ChildDiedError as exc:
        raise KbError(exc.message_ja, exc.message_en) from exc
    finally:
        child.close()


@dataclass(frozen=True)
class TeamConnection:
    """What :meth:`Services.connect_team` found: the server's status (``sslmode``, TLS, roles), the record
    counts, and where the password went (``keyring``, ``passphrase`` or ``none``)."""

    status: Any
    counts: dict[str, int]
    password_stored_in: str


# The longest the background embedding pass waits for one answer to finish before it goes on anyway.
ANSWER_WAIT_S = 300.0


@dataclass(frozen=True)
class EmbeddingState:
    """A snapshot of the semantic layer for the UI (replaced whole, so any thread may read it)."""

    model: str = ""  # the embedder's name; "" when the layer is off
    done: int = 0
    total: int = 0
    running: bool = False
    rate: float = 0.0  # chunks per second of the current pass
    problem: str | None = None
    # after the chunks, their sentences (so the first question about a passage need not embed them)
    sentences_done: int = 0
    sentences_total: int = 0
    sentences_running: bool = False

    @property
    def ready(self) -> bool:
        return bool(self.model) and self.total > 0 and self.done >= self.total


class Services:
    """Holds the knowledge base, the model runtime, the answer pipeline and (lazily) the logbook."""

    def __init__(self, ctx: Context) -> None:
        from desktop.answering import Answerer
        from kb import KnowledgeBase
        self.ctx = ctx
        self.kb: KnowledgeBase = KnowledgeBase(
            ctx.home.kb_dir, poll_network_shares=ctx.settings.kb.poll_network_shares
        )
        self.runtime: ModelRuntime | ServerBackend = self._new_runtime()
        self.answerer: Answerer = Answerer(self.kb, self.runtime, ctx.settings)
        self.ask_passphrase: AskPassphrase | None = None
        self.recovery_key_shown: str | None = None  # set once, on the run that created the key
        self._logbook: Logbook | None = None
        # set by the UI; called from the team logbook's follower thread with the kinds other PCs changed
        self.team_change_listener: Callable[[set[str]], None] | None = None
        self._logbook_lock = threading.Lock()
        self._watcher: Any = None
        # set by the UI (the ナレッジ page); called from the watcher's thread with the changed paths
        self.kb_change_listener: Callable[[list[str]], None] | None = None
        self._watch_lock = threading.Lock()
        # semantic layer: the embedder handed to the knowledge base, and the background pass that embeds
        self.semantic_problem: str | None = None  # why the configured embedder cannot be used (Japanese)
        self.embedding = EmbeddingState()
        self._embed_lock = threading.Lock()
        self._embed_thread: threading.Thread | None = None
        self._embed_again = False
        self._embed_cancel = threading.Event()
        self._answers = 0  # questions being answered now (the background pass waits for them)
        self._answers_lock = threading.Lock()
        self._no_answers = threading.Event()
        self._no_answers.set()
        self.attach_embedder()

    # -- context ---------------------------------------------------------------------------------
    @property
    def settings(self) -> Settings:
        return self.ctx.settings

    @property
    def home(self) -> DataHome:
        return self.ctx.home

    def save_settings(self) -> None:
        self.ctx.save_settings()

    # -- model -----------------------------------------------------------------------------------
    def _runtime_config(self) -> RuntimeConfig:
        from local_models import RuntimeConfig

        m = self.settings.model
        return RuntimeConfig(
            n_ctx=m.n_ctx, n_threads=m.n_threads, n_gpu_layers=m.n_gpu_layers, temperature=m.temperature,
            max_tokens=m.max_tokens,
        )

    def _new_runtime(self) -> ModelRuntime | ServerBackend:
        """The team's model server when the settings say so, else the in-process runtime."""
        from local_models import ModelError, ModelRuntime

        try:
            backend = server_backend(self.settings)
        except ModelError as exc:
            log.warning("model server not used: %s", exc.message_en)
            backend = None
        return backend if backend is not None else ModelRuntime(self._runtime_config())

    def model_folders(self) -> list[Path]:
        """Where models are looked for: imported ones first, then the demo models of the set-up."""
        return [self.home.models_dir, bundled_models_dir()]

    def active_model_path(self) -> Path | None:
        """The GGUF the settings name (a file name in a model folder, or a path); with no choice made,
        the demo model if the set-up fetched it."""
        from local_models import resolve_active

        return resolve_active(self.settings.model.active, self.model_folders())

    def start(self) -> None:
        """Begin loading the active model (or connecting to the model server) in the background."""
        from local_models.server_backend import ServerBackend

        path = self.active_model_path()
        if isinstance(self.runtime, ServerBackend):
            self.runtime.load()
        elif path is not None:
            self.runtime.load(path)
        else:
            log.info("no model to load; answers are extractive")
        self.start_embedding()  # chunks indexed while the app was closed (or by `kb index --no-embed`)

    def reload_model(self, path: Path | None = None) -> None:
        """Apply new model settings: a fresh runtime config, then load ``path`` (or the active model); in team
        mode, connect to the model server again."""
        from local_models.server_backend import ServerBackend

        old = self.runtime
        self.runtime = self._new_runtime()
        self.answerer.runtime = self.runtime
        old.close()
        target = path or self.active_model_path()
        if isinstance(self.runtime, ServerBackend):
            self.runtime.load()
        elif target is not None:
            self.runtime.load(target)

    # -- semantic layer --------------------------------------------------------------------------
    def attach_embedder(self) -> None:
        """(Re)configure the embedding model from the settings; vectors of another model are re-made by the
        next :meth:`start_embedding` (call it after a change)."""
        from desktop.semantic import attach

        self.semantic_problem = attach(self.kb, self.settings, self.model_folders())
        model = self.kb.semantic
        self.embedding = EmbeddingState(model=model.label if model else "", problem=self.semantic_problem)

    def change_embedder(self, path: Path | None) -> None:
        """Use another embedding model (None: lexical search only): checked, saved, attached, and the knowledge
        base re-embedded in the background. Raises ``local_models.ModelFileError`` for a file that is not an
        embedding model; nothing changes then."""
        from desktop.semantic import choose_embedder

        choose_embedder(self.settings, path, self.model_folders())
        self.stop_embedding()
        self.save_settings()
        self.attach_embedder()
        self.start_embedding()

    def start_embedding(self) -> None:
        """Give new and changed chunks their vectors on a background thread (returns at once). A call while
        a pass runs makes it run once more at the end, so no change is missed."""
        if self.kb.semantic is None:
            return
        with self._embed_lock:
            if self._embed_thread is not None and self._embed_thread.is_alive():
                self._embed_again = True
                return
            self._embed_cancel.clear()
            self._embed_thread = threading.Thread(target=self._embed_loop, name="embedding", daemon=True)
            self._embed_thread.start()

    @contextlib.contextmanager
    def answering(self) -> Iterator[None]:
        """Held while a question is answered: the background embedding pass waits between its batches, since
        the two would share the machine's cores and the person at the desk comes first."""
        with self._answers_lock:
            self._answers += 1
            self._no_answers.clear()
        try:
            yield
        finally:
            with self._answers_lock:
                self._answers -= 1
                if not self._answers:
                    self._no_answers.set()

    @property
    def busy_answering(self) -> bool:
        """A question is being answered now (:meth:`answering` is held)."""
        return not self._no_answers.is_set()

    def _wait_for_answers(self) -> None:
        """Between two batches of the embedding pass: wait while a question is being answered (at most
        :data:`ANSWER_WAIT_S`, so a forgotten answer cannot stop embedding), or until the pass is cancelled."""
        deadline = time.monotonic() + ANSWER_WAIT_S
        while not self._no_answers.wait(0.1):
            if self._embed_cancel.is_set() or time.monotonic() > deadline:
                return

    def _embed_loop(self) -> None:
        while True:
            try:
                for step in self.kb.embed(self._embed_cancel):
                    self.embedding = EmbeddingState(
                        model=self.embedding.model, done=step.done, total=step.total, running=not step.finished,
                        rate=step.rate or self.embedding.rate,
                    )
                    self._wait_for_answers()
                chunks = self.embedding
                try:
                    for step in self.kb.embed_sentences(self._embed_cancel):
                        if self._embed_again:
                            break  # new chunks first; the sentence pass resumes after them
                        self.embedding = replace(chunks, sentences_done=step.done, sentences_total=step.total,
                                                 sentences_running=not step.finished)
                        self._wait_for_answers()
                except Exception:  # a full disk, say: search is whole, and answers embed what they need
                    log.exception("sentence pass failed")
                    self.embedding = replace(self.embedding, sentences_running=False)
            except Exception as exc:  # a broken model file or a full disk: lexical search goes on
                log.exception("embedding pass failed")
                self.embedding = EmbeddingState(model=self.embedding.model, problem=str(exc))
            with self._embed_lock:
                if not self._embed_again or self._embed_cancel.is_set():
                    self._embed_thread = None
                    if self.embedding.running or self.embedding.sentences_running:
                        self.embedding = replace(self.embedding, running=False, sentences_running=False)
                    return
                self._embed_again = False

    def stop_embedding(self, timeout: float = 10.0) -> None:
        self._embed_cancel.set()
        thread = self._embed_thread
        if thread is not None:
            thread.join(timeout)

    # -- knowledge base --------------------------------------------------------------------------
    def index(
        self, folders: list[Path] | None = None, cancel: threading.Event | None = None
    ) -> Iterator[IndexProgress]:
        """:meth:`kb.KnowledgeBase.index` run in a child process, its progress yielded here.

        Parsing (lxml, pdfium, Sudachi) holds the GIL for long stretches; in a thread of the app it would
        freeze the window for hundreds of milliseconds at a time. In its own process it shares no GIL with
        the UI; SQLite (WAL) lets this process keep searching while the child writes.
        """
        yield from index_in_child_process(
            self.home.kb_dir, folders, cancel, poll_network_shares=self.settings.kb.poll_network_shares
        )

    def start_watch(self) -> None:
        """Start keeping the index current (when the settings say so). Blocking for a moment: call it
        off the UI thread. :attr:`kb_change_listener` hears about each change, from the watcher's thread."""
        with self._watch_lock:
            if self._watcher is None and self.settings.kb.watch:
                try:
                    self._watcher = self.kb.watch(on_change=self._kb_changed)
                except Exception:
                    log.exception("could not start watching the sources")

    def _kb_changed(self, paths: list[str]) -> None:
        self.start_embedding()
        listener = self.kb_change_listener
        if listener is not None:
            try:
                listener(paths)
            except RuntimeError:  # the UI object behind the listener is gone (e.g. rebuilt for a language)
                log.debug("index change listener is gone")

    def stop_watch(self) -> None:
        """Stop watching and join the watcher's threads (off the UI thread)."""
        with self._watch_lock:
            if self._watcher is not None:
                self._watcher.stop()
                self._watcher = None

    @property
    def watching(self) -> bool:
        return self._watcher is not None

    # -- logbook ---------------------------------------------------------------------------------
    def key_manager(self) -> KeyManager:
        """The logbook key's manager (state for the settings page, recovery)."""
        from desktop.secrets import KeyManager

        return KeyManager(self.home.root, ask_passphrase=self.ask_passphrase, interactive=False)

    @property
    def logbook_open(self) -> bool:
        return self._logbook is not None

    @property
    def logbook(self) -> Logbook:
        """The logbook, opened on first use (may ask for the passphrase through :attr:`ask_passphrase`).

        Raises :class:`desktop.secrets.SecretsError` when the key cannot be had; nothing is created then.
        """
        with self._logbook_lock:
            if self._logbook is None:
                from desktop.logbook.team_book import TeamBook, open_configured

                # connect=False: the window opens the logbook on the UI thread; the server is reached by
                # the follower thread (and the first page query), never while the window waits
                book = open_configured(self.home, self.settings, keys=self.key_manager(),
                                       ask_passphrase=self.ask_passphrase, connect=False)
                if book.recovery_key:
                    self.recovery_key_shown = book.recovery_key
                if isinstance(book, TeamBook):
                    book.on_change(self._team_changed)
                    book.start_following()  # the copy catches up, then follows other PCs (own thread)
                self._logbook = book
            return self._logbook

    @property
    def team_mode(self) -> bool:
        """The settings name a team server (the logbook is the team's once opened)."""
        return bool(self.settings.team.url.strip())

    def team_state(self) -> TeamState | None:
        """In team mode, whether the server answered last (replaced whole: any thread may read it); None in
        single-PC mode or before the logbook is opened."""
        state = getattr(self._logbook, "state", None)
        return state if self._logbook is not None and self._logbook.is_team else None

    def connect_team(self, url: str, password: str | None) -> TeamConnection:
        """What the 設定 page's 接続 button does (and `team connect`): reach the server, check its schema, keep
        the URL (without password) in settings and the password in the keyring (passphrase fallback), and
        switch the app to the team logbook (opened on next use). Off the UI thread.

        Raises ``TeamConnectError`` (unreachable, wrong password), ``SchemaError`` (no team logbook there)
        or a ``SecretsError`` (where the password could not be stored); nothing is changed then."""
        from desktop.logbook.pg_connect import TeamPasswords, TeamTarget
        from desktop.logbook.pg_store import TeamLogbook

        target, in_url = TeamTarget.parse(url)
        password = in_url if in_url is not None else password
        with TeamLogbook.open(target, password) as team:
            status = team.status()
            counts = {"notes": team.notes.count(), "inquiries": team.inquiries.count()}
        stored = TeamPasswords(self.home.root, ask_passphrase=self.ask_passphrase).save(target, password) \
            if password else "none"
        self.close_logbook()
        self.settings.team.url = target.url
        self.save_settings()
        return TeamConnection(status, counts, stored)

    def disconnect_team(self) -> None:
        """Back to this PC's own logbook (the server and this PC's copy are left as they are)."""
        self.close_logbook()
        self.settings.team.url = ""
        self.save_settings()

    def set_model_server(self, url: str, model: str = "") -> str:
        """Answer with the team's model server at ``url`` ("" = this PC's model again); returns the URL as
        kept. Raises :class:`local_models.ModelError` (``bad_url``) for a URL that is not ``http(s)://host:port``.
        Reconnects in the background (:meth:`reload_model`)."""
        from local_models.server_backend import api_base

        m = self.settings.model
        if not url.strip():
            m.backend, m.server_url, m.server_model = "local", "", ""
        else:
            m.backend, m.server_url, m.server_model = "server", api_base(url), model.strip()
        self.save_settings()
        self.reload_model()
        return m.server_url

    def _team_changed(self, kinds: set[str]) -> None:
        listener = self.team_change_listener
        if listener is not None:
            try:
                listener(kinds)
            except RuntimeError:  # the UI object behind the listener is gone
                log.debug("team change listener is gone")

    def restore_logbook(self, source: Path) -> Path | None:
        """Replace the logbook by a backup (off the UI thread); it is opened again on next use.

        Returns the safety copy of the state before the restore."""
        with self._logbook_lock:
            book = self.logbook_unlocked()
            if book.is_team:
                return book.restore(source)  # refuses, saying why: the server's administrator restores
            try:
                return book.restore(source)
            finally:
                self._logbook = None

    def logbook_unlocked(self) -> Logbook:
        if self._logbook is None:
            raise RuntimeError("the logbook is not open")
        return self._logbook

    def close_logbook(self) -> None:
        """Close the logbook (before a restore replaces its file); the next use opens it again."""
        with self._logbook_lock:
            if self._logbook is not None:
                self._logbook.close()
                self._logbook = None

    # -- end -------------------------------------------------------------------------------------
    def close(self) -> None:
        """Stop watching, stop the model worker, close the logbook and the index."""
        from desktop.semantic import close_semantic

        self.stop_watch()
        self.stop_embedding()
        for closer in (self.runtime.close, lambda: close_semantic(self.kb.semantic), self.kb.close):
            try:
                closer()
            except Exception:
                log.exception("error while closing")
        self.close_logbook()
