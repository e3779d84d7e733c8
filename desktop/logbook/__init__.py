"""The logbook: inquiries (問い合わせ) and floor notes (現場の声), encrypted at rest (DESIGN.md §5).

Public API (see docs/ARCHITECTURE.md, "Logbook")::

    from desktop.logbook import Logbook, Note, Inquiry, FollowUp, Filters, Source
    book = Logbook.open(home, settings.logbook, ask_passphrase=dialog)  # book.recovery_key on first run
    book.notes.add(Note(text=..., place=..., category=..., severity=...))
    book.notes.list(Filters(status="新規", text="空調"))
    book.export("notes", path, fmt="csv"); book.import_file("notes", path)
    book.backup(); book.restore(path)
"""

from desktop.logbook.csvio import CsvEncodingError, ExportResult, ImportFileError
from desktop.logbook.db import DatabaseKeyError, LogbookDB
from desktop.logbook.prompts import Prompt, PromptLibrary
from desktop.logbook.records import (
    CHANNELS,
    DEFAULT_INQUIRY_CATEGORIES,
    DEFAULT_NOTE_CATEGORIES,
    INQUIRY_STATUSES,
    NOTE_STATUSES,
    RATINGS,
    RESOLUTIONS,
    SEVERITIES,
    Filters,
    FollowUp,
    Inquiry,
    Note,
    Source,
    ValidationError,
)
from desktop.logbook.searchlog import SearchEntry, SearchLog
from desktop.logbook.service import ImportResult, Logbook

__all__ = [
    "CHANNELS",
    "DEFAULT_INQUIRY_CATEGORIES",
    "DEFAULT_NOTE_CATEGORIES",
    "INQUIRY_STATUSES",
    "NOTE_STATUSES",
    "RATINGS",
    "RESOLUTIONS",
    "SEVERITIES",
    "CsvEncodingError",
    "DatabaseKeyError",
    "ExportResult",
    "Filters",
    "FollowUp",
    "ImportFileError",
    "ImportResult",
    "Inquiry",
    "Logbook",
    "LogbookDB",
    "Note",
    "Prompt",
    "PromptLibrary",
    "SearchEntry",
    "SearchLog",
    "Source",
    "ValidationError",
]
