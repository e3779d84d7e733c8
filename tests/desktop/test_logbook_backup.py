"""desktop/logbook/backup.py: encrypted rotating backups; restore verifies first and keeps a safety copy."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from desktop.logbook import Logbook, LogbookDB, Note
from desktop.logbook.backup import RestoreError, list_backups, maybe_auto_backup
from desktop.logbook.migrations import MIGRATIONS, migrate
from desktop.paths import DataHome
from desktop.secrets import KeyManager
from desktop.settings import LogbookSettings


def _open(root: Path, backup_keep: int = 10, backup_every_hours: int = 24) -> Logbook:
    settings = LogbookSettings(backup_keep=backup_keep, backup_every_hours=backup_every_hours)
    return Logbook.open(DataHome.open(root), settings)


def test_backups_are_encrypted_and_rotated(data_home: Path) -> None:
    with _open(data_home, backup_keep=3, backup_every_hours=0) as book:
        book.notes.add(Note(text="バックアップ対象の記録"))
        paths = [book.backup() for _ in range(5)]
        kept = book.backups()
        assert kept == sorted(paths[-3:], reverse=True)
        raw = kept[0].read_bytes()
        assert not raw.startswith(b"SQLite format 3") and "バックアップ対象".encode() not in raw
        with pytest.raises(sqlite3.DatabaseError):
            sqlite3.connect(kept[0]).execute("SELECT * FROM sqlite_master").fetchall()
        copy = LogbookDB(kept[0], book.db.key)
        try:
            assert copy.writer.execute("SELECT text FROM notes").fetchall() == [("バックアップ対象の記録",)]
        finally:
            copy.close()


def test_automatic_backup_when_due(data_home: Path) -> None:
    with _open(data_home, backup_every_hours=24) as book:
        assert len(book.backups()) == 1  # the first open takes one
        assert book.auto_backup() is None  # not due yet
        old = book.backups()[0]
        os.utime(old, (old.stat().st_atime - 25 * 3600, old.stat().st_mtime - 25 * 3600))
        assert book.auto_backup() is not None
        assert maybe_auto_backup(book.db, book.backups_dir, 10, 0) is None  # 0 = off


def test_restore_brings_back_the_backup_and_keeps_a_safety_copy(data_home: Path) -> None:
    home = DataHome.open(data_home)
    with _open(data_home, backup_every_hours=0) as book:
        kept = book.notes.add(Note(text="残したい記録"))
        snapshot = book.backup()
        later = book.notes.add(Note(text="あとで追加した記録"))
        safety = book.restore(snapshot)
    assert safety is not None and safety.exists() and safety not in list_backups(home.backups_dir)
    with _open(data_home, backup_every_hours=0) as book:
        assert book.notes.ids() == {kept.id}
    safe = LogbookDB(safety, KeyManager(data_home).unlock().key)
    try:
        assert {r[0] for r in safe.writer.execute("SELECT id FROM notes")} == {kept.id, later.id}
    finally:
        safe.close()


def test_restore_refuses_a_file_from_another_home(data_home: Path, tmp_path: Path) -> None:
    with _open(tmp_path / "elsewhere", backup_every_hours=0) as other:
        foreign = other.backup()
    with _open(data_home, backup_every_hours=0) as book:
        book.notes.add(Note(text="現在の記録"))
        before = book.notes.ids()
        with pytest.raises(RestoreError, match="鍵"):
            book.restore(foreign)
        with pytest.raises(RestoreError):
            book.restore(tmp_path / "missing.db")
        assert book.notes.ids() == before  # still open, nothing changed


def test_restore_of_an_older_schema_is_migrated(data_home: Path, tmp_path: Path) -> None:
    home = DataHome.open(data_home)
    with _open(data_home, backup_every_hours=0) as book:
        key = book.db.key
        old = LogbookDB(tmp_path / "old.db", key)
        migrate(old.writer, MIGRATIONS[:1])
        old.close()
        book.restore(tmp_path / "old.db")
    db = LogbookDB(home.logbook_file, key)
    try:
        assert "prompts" in db.writer.table_names()
    finally:
        db.close()
