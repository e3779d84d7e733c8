"""Rotating encrypted backups with the SQLite backup API, and a restore that cannot make things worse.

- A backup is a page-by-page copy taken on the open SQLCipher connection (consistent even while the app
  writes) into a new file keyed with the same key: the backup is as unreadable as the logbook.
- Automatic backups are named ``logbook-YYYYmmdd-HHMMSS-ffffff.db``; only those are rotated (keep N).
- Restore first proves the file opens with our key and passes ``PRAGMA quick_check``, then keeps the
  current logbook as ``before-restore-….db`` (never rotated), and only then copies the backup in.
"""

from __future__ import annotations

import logging
import os
from datetime import datetime
from pathlib import Path

from desktop.logbook.db import DatabaseError, DatabaseKeyError, LogbookDB, connect, private_file

log = logging.getLogger(__name__)

PREFIX = "logbook-"
SAFETY_PREFIX = "before-restore-"


class RestoreError(Exception):
    def __init__(self, ja: str, en: str) -> None:
        super().__init__(f"{ja} / {en}")
        self.ja = ja
        self.en = en


def _stamp() -> str:
    return datetime.now().strftime("%Y%m%d-%H%M%S-%f")


def list_backups(backups_dir: Path) -> list[Path]:
    """Automatic/manual backups, newest first (safety copies from restores are not listed)."""
    if not backups_dir.is_dir():
        return []
    return sorted(backups_dir.glob(f"{PREFIX}*.db"), key=lambda p: p.name, reverse=True)


def copy_database(db: LogbookDB, target: Path) -> Path:
    """Copy the open logbook into ``target`` (encrypted with the same key), atomically."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".tmp")
    tmp.unlink(missing_ok=True)
    dest = connect(tmp, db.key, wal=False)
    try:
        with db.lock:
            db.writer.conn.backup(dest)
    finally:
        dest.close()
    private_file(tmp)
    os.replace(tmp, target)
    return target


def backup_now(db: LogbookDB, backups_dir: Path, keep: int) -> Path:
    path = copy_database(db, backups_dir / f"{PREFIX}{_stamp()}.db")
    rotate(backups_dir, keep)
    log.info("logbook backup written: %s", path.name)
    return path


def rotate(backups_dir: Path, keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` backups (at least one is always kept)."""
    removed = []
    for old in list_backups(backups_dir)[max(keep, 1) :]:
        old.unlink(missing_ok=True)
        removed.append(old)
    return removed


def maybe_auto_backup(db: LogbookDB, backups_dir: Path, keep: int, every_hours: int) -> Path | None:
    """Back up when the newest backup is older than ``every_hours`` (0 = automatic backups off)."""
    if every_hours <= 0:
        return None
    existing = list_backups(backups_dir)
    if existing:
        age_h = (datetime.now().timestamp() - existing[0].stat().st_mtime) / 3600
        if age_h < every_hours:
            return None
    return backup_now(db, backups_dir, keep)


def verify(path: Path, key: bytes) -> None:
    """Raise :class:`RestoreError` unless ``path`` is a logbook that opens with ``key`` and is intact."""
    if not path.is_file():
        raise RestoreError(f"ファイルがありません: {path}", f"no such file: {path}")
    try:
        conn = connect(path, key, wal=False)
    except DatabaseKeyError:
        raise RestoreError(
            "このバックアップは今の鍵では開けません(別のデータのバックアップか、壊れています)。何も変更していません",
            "this backup does not open with the current key (another home's backup, or damaged); nothing changed",
        ) from None
    try:
        ok = conn.execute("PRAGMA quick_check").fetchone()[0]
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except DatabaseError as exc:
        raise RestoreError("バックアップが壊れています。何も変更していません", f"the backup is damaged ({exc}); nothing changed") from None
    finally:
        conn.close()
    if ok != "ok" or not {"_migrations", "notes", "inquiries"} <= tables:
        raise RestoreError(
            "ログブックのバックアップではないか、壊れています。何も変更していません",
            "not a logbook backup, or damaged; nothing changed",
        )


def restore(live_path: Path, key: bytes, source: Path, backups_dir: Path) -> Path | None:
    """Replace the (closed) logbook at ``live_path`` by ``source``; returns the safety copy (if there was a logbook)."""
    source = Path(source)
    verify(source, key)
    backups_dir.mkdir(parents=True, exist_ok=True)
    safety: Path | None = backups_dir / f"{SAFETY_PREFIX}{_stamp()}.db"
    src = connect(source, key, wal=False)
    try:
        if live_path.exists():
            current = LogbookDB(live_path, key)
            try:
                assert safety is not None
                copy_database(current, safety)
                with current.lock:
                    src.backup(current.writer.conn)
                current.checkpoint()
            finally:
                current.close()
        else:
            safety = None
            dest = connect(live_path, key)
            try:
                src.backup(dest)
            finally:
                dest.close()
    finally:
        src.close()
    private_file(live_path)
    log.info("logbook restored from a backup; previous state kept as %s", safety.name if safety else "-")
    return safety
