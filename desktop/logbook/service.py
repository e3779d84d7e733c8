"""The logbook as one object: what the CLI and the Qt UI call (docs/ARCHITECTURE.md, "Logbook").

``Logbook.open(home, settings)`` gets the key (keyring, passphrase or — on first run — a new key with a
recovery key to show once), opens the SQLCipher file, applies pending migrations and takes an
automatic backup when one is due. Everything else is a thin, typed call into the repositories and the
file formats; long exports/imports are plain calls the UI runs off its thread.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from pathlib import Path

from desktop.logbook import backup as backups
from desktop.logbook.csvio import ExportResult, ImportFileError, ReadResult, export_csv, read_csv
from desktop.logbook.db import LogbookDB
from desktop.logbook.migrations import migrate
from desktop.logbook.prompts import PromptLibrary
from desktop.logbook.records import Filters, Inquiry, Note
from desktop.logbook.repository import InquiryRepository, ListsRepository, NoteRepository, check_kind
from desktop.logbook.searchlog import SearchLog
from desktop.logbook.store import ListsStore, NoteStore, PromptStore, RecordStore, SearchLogStore
from desktop.logbook.xlsxio import export_xlsx, read_xlsx
from desktop.paths import DataHome
from desktop.secrets import AskPassphrase, KeyManager, KeyMissingError, UnlockedKey
from desktop.settings import LogbookSettings

log = logging.getLogger(__name__)


@dataclass
class ImportResult:
    """What an import did. ``skipped``: the logbook already had a newer version of those records."""

    path: Path
    encoding: str
    rows: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    new_categories: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


class Logbook:
    """Inquiries, floor notes, lists, search log and prompt library in one encrypted file.

    ``is_team`` is true for :class:`desktop.logbook.team_book.TeamBook`, the team logbook on PostgreSQL.

    Attributes: ``notes`` (:class:`NoteRepository`), ``inquiries`` (:class:`InquiryRepository`),
    ``lists`` (categories, places, suggestions), ``searchlog``, ``prompts``;
    ``recovery_key`` is set only when this open created the key — show it once.
    """

    is_team = False

    def __init__(self, db: LogbookDB, settings: LogbookSettings, backups_dir: Path, key: UnlockedKey) -> None:
        self.db = db
        self.settings = settings
        self.backups_dir = backups_dir
        self.key_info = key
        lists = ListsRepository(db)
        # typed as the store protocols: in team mode (desktop/logbook/team_book.py) they are the server's
        self.lists: ListsStore = lists
        self.notes: NoteStore = NoteRepository(db, lists)
        self.inquiries: RecordStore[Inquiry] = InquiryRepository(db, lists)
        self.searchlog: SearchLogStore = SearchLog(db)
        self.prompts: PromptStore = PromptLibrary(db)

    @property
    def recovery_key(self) -> str | None:
        return self.key_info.recovery_key

    @classmethod
    def open(
        cls,
        home: DataHome,
        settings: LogbookSettings | None = None,
        *,
        ask_passphrase: AskPassphrase | None = None,
        keys: KeyManager | None = None,
        auto_backup: bool = True,
    ) -> Logbook:
        """Open (creating on first run). Raises ``SecretsError``/``DatabaseKeyError`` with clear messages."""
        settings = settings or LogbookSettings()
        keys = keys or KeyManager(home.root, ask_passphrase=ask_passphrase)
        if not keys.exists() and home.logbook_file.exists():
            raise KeyMissingError(
                "ログブックはありますが鍵ファイル keys.json がありません。バックアップから keys.json を戻してください",
                "the logbook exists but keys.json is missing; restore keys.json from a backup of the data home",
            )
        key = keys.open_or_create()
        db = LogbookDB(home.logbook_file, key.key)
        try:
            with db.lock:
                migrate(db.writer)
            book = cls(db, settings, home.backups_dir, key)
            if auto_backup:
                book.auto_backup()
        except BaseException:
            db.close()
            raise
        return book

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Logbook:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- records (shortcuts; the repositories have the full API) ---------------------------------
    def add_note(self, note: Note) -> Note:
        return self.notes.add(note)

    def add_inquiry(self, inquiry: Inquiry) -> Inquiry:
        return self.inquiries.add(inquiry)

    def records(self, kind: str, filters: Filters | None = None) -> list[Note] | list[Inquiry]:
        return self.notes.list(filters) if check_kind(kind) == "notes" else self.inquiries.list(filters)

    # --- export / import -------------------------------------------------------------------------
    def export(
        self,
        kind: str,
        path: Path,
        *,
        fmt: str = "csv",
        filters: Filters | None = None,
        encoding: str = "utf-8-sig",
        errors: str = "strict",
    ) -> ExportResult:
        """Write the records matching ``filters`` (oldest first, so a re-import keeps the order)."""
        f = replace(filters or Filters(), newest_first=False, limit=None, offset=0)
        records = self.notes.iter(f) if check_kind(kind) == "notes" else self.inquiries.iter(f)
        if fmt == "csv":
            result = export_csv(kind, records, Path(path), encoding=encoding, errors=errors)
        elif fmt == "xlsx":
            result = export_xlsx(kind, records, Path(path))
        else:
            raise ImportFileError(f"形式「{fmt}」は使えません(csv / xlsx)", f"unknown format {fmt!r} (csv or xlsx)")
        log.info("exported %d %s as %s", result.rows, kind, fmt)
        return result

    def import_file(self, kind: str, path: Path) -> ImportResult:
        """Import CSV (UTF-8/cp932) or XLSX, chosen by extension. All rows or none."""
        path = Path(path)
        if not path.is_file():
            raise ImportFileError(f"ファイルがありません: {path}", f"no such file: {path}")
        read: ReadResult = read_xlsx(kind, path) if path.suffix.lower() in (".xlsx", ".xlsm") else read_csv(kind, path)
        records = read.parsed.records
        if check_kind(kind) == "notes":
            merged = self.notes.merge([r for r in records if isinstance(r, Note)])
        else:
            merged = self.inquiries.merge([r for r in records if isinstance(r, Inquiry)])
        result = ImportResult(
            path=path,
            encoding=read.encoding,
            rows=len(records),
            added=merged.added,
            updated=merged.updated,
            unchanged=merged.unchanged,
            skipped=merged.skipped,
            new_categories=merged.new_categories,
            warnings=read.warnings,
        )
        log.info(
            "imported %s: rows=%d added=%d updated=%d unchanged=%d skipped=%d",
            kind, result.rows, result.added, result.updated, result.unchanged, result.skipped,
        )
        return result

    # --- backups ---------------------------------------------------------------------------------
    def backup(self) -> Path:
        return backups.backup_now(self.db, self.backups_dir, self.settings.backup_keep)

    def auto_backup(self) -> Path | None:
        return backups.maybe_auto_backup(
            self.db, self.backups_dir, self.settings.backup_keep, self.settings.backup_every_hours
        )

    def backups(self) -> list[Path]:
        return backups.list_backups(self.backups_dir)

    def restore(self, source: Path) -> Path | None:
        """Replace the logbook by a backup. The logbook is closed afterwards: open it again.

        Returns the safety copy of the state before the restore.
        """
        backups.verify(Path(source), self.db.key)  # before closing anything
        path, key = self.db.path, self.db.key
        self.close()
        safety = backups.restore(path, key, Path(source), self.backups_dir)
        db = LogbookDB(path, key)
        try:
            with db.lock:
                migrate(db.writer)  # an older backup is brought up to date
        finally:
            db.close()
        return safety
