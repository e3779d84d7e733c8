"""Open the SQLCipher logbook with sqlite-utils: raw 256-bit key, WAL, one writer, one reader per thread.

Why:
- ``sqlcipher3`` connections are DB-API compatible, so ``sqlite_utils.Database(conn)`` works on them.
- The key is raw hex (``x'…'``): no PBKDF at open, so a reader per thread is cheap.
- WAL lets readers run while the single writer commits; ``synchronous=FULL`` makes each commit durable
  (a ``kill -9`` or a power cut loses no committed record). Writes go through :meth:`LogbookDB.write`,
  which holds one lock around one transaction (STYLE.md §4).
- SQLCipher logs decryption failures to stderr by default; we silence that and raise
  :class:`DatabaseKeyError` with a clear message instead.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlcipher3
import sqlite_utils

from desktop.logbook import shortterms
from desktop.secrets import SecretsError

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 10_000
CACHE_KIB = 32 * 1024  # per connection (at most; only pages actually read are cached)
DatabaseError = sqlcipher3.dbapi2.DatabaseError
IntegrityError = sqlcipher3.dbapi2.IntegrityError
OperationalError = sqlcipher3.dbapi2.OperationalError


class DatabaseKeyError(SecretsError):
    """The file does not open with this key (wrong key, or not a logbook). Nothing was changed.

    A :class:`SecretsError`, so a caller that handles key problems handles this one too.
    """

    def __init__(self, path: Path) -> None:
        super().__init__(
            f"ログブック {path.name} を開けません。鍵(パスフレーズ)が違うか、ファイルが壊れています",
            f"cannot open the logbook {path.name}: wrong key (passphrase) or a damaged file",
        )


def connect(path: Path, key: bytes, *, wal: bool = True) -> Any:
    """One verified SQLCipher connection (a ``sqlcipher3.Connection``), usable from any thread.

    Raises :class:`DatabaseKeyError` when the key does not decrypt the file.
    """
    existed = path.exists()
    conn = sqlcipher3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False)
    try:
        conn.execute("PRAGMA cipher_log_level = NONE")
        shortterms.register(conn)  # used by the short-term index triggers
        conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except DatabaseError:
            raise DatabaseKeyError(path) from None
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        # SQLCipher decrypts every page it reads from the OS cache; a larger page cache keeps decrypted
        # pages, so repeated filters over a large logbook do not pay for decryption again.
        conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
        conn.execute("PRAGMA foreign_keys = ON")
        if wal:
            conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
    except BaseException:
        conn.close()
        raise
    if not existed:
        private_file(path)
    return conn


def private_file(path: Path) -> None:
    """0600 on POSIX for the database and its WAL/SHM side files (DESIGN.md §7)."""
    if os.name != "posix":
        return
    for p in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if p.exists():
            os.chmod(p, 0o600)


def wrap(conn: Any) -> sqlite_utils.Database:
    # Plugins could run arbitrary code on our connection; the logbook does not load any.
    return sqlite_utils.Database(conn, execute_plugins=False)


class LogbookDB:
    """The open logbook file: one writer connection behind a lock, one reader connection per thread."""

    def __init__(self, path: Path, key: bytes) -> None:
        self.path = Path(path)
        self._key = key
        self._lock = threading.RLock()
        self._local = threading.local()
        self._readers: list[Any] = []
        self._readers_lock = threading.Lock()
        self._writer = wrap(connect(self.path, key))
        self._closed = False
        private_file(self.path)

    @property
    def key(self) -> bytes:
        return self._key

    @contextmanager
    def write(self) -> Iterator[sqlite_utils.Database]:
        """One transaction on the single writer; nested calls become savepoints."""
        self._check_open()
        with self._lock, self._writer.atomic():
            yield self._writer

    @property
    def writer(self) -> sqlite_utils.Database:
        """The writer database without a transaction (migrations, backups); hold :attr:`lock`."""
        return self._writer

    @property
    def lock(self) -> threading.RLock:
        return self._lock

    def read(self) -> sqlite_utils.Database:
        """This thread's reader. Inside :meth:`write` on the same thread, use the writer instead."""
        self._check_open()
        db = getattr(self._local, "db", None)
        if db is None:
            db = wrap(connect(self.path, self._key))
            self._local.db = db
            with self._readers_lock:
                self._readers.append(db.conn)
        return db

    def checkpoint(self) -> None:
        with self._lock:
            self._writer.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        with self._readers_lock:
            for conn in self._readers:
                # check_same_thread=False, so closing another thread's reader is allowed.
                with contextlib.suppress(sqlcipher3.dbapi2.ProgrammingError):
                    conn.close()
            self._readers.clear()
        with self._lock:
            self._writer.close()

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError("the logbook is closed")
