"""desktop/logbook/db.py + migrations.py: encrypted at rest, wrong key refused, named migrations, crash safety."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from desktop.logbook import DatabaseKeyError, Filters, Logbook, LogbookDB, Note
from desktop.logbook.migrations import MIGRATIONS, applied, migrate, pending
from desktop.logbook.repository import ListsRepository, NoteRepository
from desktop.paths import DataHome
from desktop.settings import LogbookSettings

REPO = Path(__file__).resolve().parents[2]
SECRET_TEXT = "極秘の相談内容ABC123"


def test_file_is_unreadable_without_the_key(data_home: Path) -> None:
    home = DataHome.open(data_home)
    with Logbook.open(home, LogbookSettings(backup_every_hours=0)) as book:
        book.notes.add(Note(text=SECRET_TEXT, place="会議室B"))
    raw = home.logbook_file.read_bytes()
    assert not raw.startswith(b"SQLite format 3")
    assert SECRET_TEXT.encode("utf-8") not in raw and "会議室B".encode() not in raw
    plain = sqlite3.connect(home.logbook_file)
    try:
        with pytest.raises(sqlite3.DatabaseError):
            plain.execute("SELECT * FROM sqlite_master").fetchall()
    finally:
        plain.close()


def test_wrong_key_is_a_clear_error_and_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "l.db"
    LogbookDB(path, os.urandom(32)).close()
    before = path.read_bytes()
    with pytest.raises(DatabaseKeyError) as info:
        LogbookDB(path, os.urandom(32))
    assert "鍵" in str(info.value) and "wrong key" in str(info.value)
    assert path.read_bytes() == before


def test_files_are_private(data_home: Path) -> None:
    home = DataHome.open(data_home)
    Logbook.open(home, LogbookSettings(backup_every_hours=0)).close()
    if os.name == "posix":
        assert home.logbook_file.stat().st_mode & 0o777 == 0o600
        assert (data_home / "keys.json").stat().st_mode & 0o777 == 0o600


def test_wal_and_migrations(tmp_path: Path) -> None:
    db = LogbookDB(tmp_path / "l.db", os.urandom(32))
    try:
        assert db.writer.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert pending(db.writer) == [m.name for m in MIGRATIONS]
        assert migrate(db.writer) == [m.name for m in MIGRATIONS]
        assert migrate(db.writer) == []
        assert applied(db.writer) == [m.name for m in MIGRATIONS]
    finally:
        db.close()


def test_an_old_logbook_is_upgraded_step_by_step(tmp_path: Path) -> None:
    """A logbook made by the first release (only migration 1) gains the later tables, keeping its data."""
    key = os.urandom(32)
    db = LogbookDB(tmp_path / "l.db", key)
    migrate(db.writer, MIGRATIONS[:1])
    notes = NoteRepository(db, ListsRepository(db))
    note = notes.add(Note(text="古い版で記録", category="その他"))
    assert "search_log" not in db.writer.table_names()
    db.close()
    db = LogbookDB(tmp_path / "l.db", key)
    try:
        assert migrate(db.writer) == [m.name for m in MIGRATIONS[1:]]
        assert {"search_log", "prompts"} <= set(db.writer.table_names())
        repo = NoteRepository(db, ListsRepository(db))
        assert repo.get(note.id) == note
        assert [n.id for n in repo.list(Filters(text="古い"))] == [note.id]  # the new index covers old rows
    finally:
        db.close()


def test_a_logbook_from_a_newer_version_is_not_touched(tmp_path: Path) -> None:
    db = LogbookDB(tmp_path / "l.db", os.urandom(32))
    try:
        migrate(db.writer)
        db.writer.execute("INSERT INTO _migrations (name, applied_at) VALUES ('9999_future', 'x')")
        with pytest.raises(RuntimeError, match="newer"):
            migrate(db.writer)
    finally:
        db.close()


def test_readers_in_other_threads_see_committed_writes(tmp_path: Path) -> None:
    db = LogbookDB(tmp_path / "l.db", os.urandom(32))
    migrate(db.writer)
    notes = NoteRepository(db, ListsRepository(db))
    errors: list[BaseException] = []

    def writer() -> None:
        try:
            for i in range(30):
                notes.add(Note(text=f"note {i}", category="その他"))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    def reader() -> None:
        try:
            for _ in range(30):
                notes.count()
        except BaseException as exc:  # pragma: no cover
            errors.append(exc)

    threads = [threading.Thread(target=writer), threading.Thread(target=writer), threading.Thread(target=reader)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert notes.count() == 60
    db.close()


WRITER_SCRIPT = r"""
import os, sys
from pathlib import Path
from desktop.logbook.db import LogbookDB
from desktop.logbook.migrations import migrate
from desktop.logbook.records import Note
from desktop.logbook.repository import ListsRepository, NoteRepository
db = LogbookDB(Path(sys.argv[1]), bytes.fromhex(os.environ["TEST_LOGBOOK_KEY"]))
migrate(db.writer)
notes = NoteRepository(db, ListsRepository(db))
for i in range(100000):
    n = notes.add(Note(text=f"kill test {i} " + "x" * 200, category="その他"))
    sys.stdout.write(n.id + "\n")
    sys.stdout.flush()
"""


def test_kill_9_of_a_writer_loses_no_committed_record(tmp_path: Path) -> None:
    key = os.urandom(32)
    path = tmp_path / "l.db"
    env = {**os.environ, "TEST_LOGBOOK_KEY": key.hex(), "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER_SCRIPT, str(path)], stdout=subprocess.PIPE, env=env, text=True, cwd=tmp_path
    )
    committed: list[str] = []
    try:
        assert proc.stdout is not None
        while len(committed) < 150:
            line = proc.stdout.readline()
            if not line:
                break
            committed.append(line.strip())
        os.kill(proc.pid, signal.SIGKILL)  # mid-stream: it is writing the next record right now
    finally:
        proc.kill()
        proc.wait(timeout=30)
        if proc.stdout is not None:
            proc.stdout.close()
    assert proc.returncode == -signal.SIGKILL
    assert len(committed) == 150
    db = LogbookDB(path, key)
    try:
        assert db.writer.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        present = NoteRepository(db, ListsRepository(db)).ids()
        assert set(committed) <= present
    finally:
        db.close()
