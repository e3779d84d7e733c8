"""The logbook store interface: what the rest of ``desktop/`` may call on a logbook's records.

Two stores satisfy it (DESIGN.md §5, "Two stores behind one interface"):

- the SQLCipher file of one PC — :class:`desktop.logbook.repository.NoteRepository` /
  :class:`~desktop.logbook.repository.InquiryRepository` / :class:`~desktop.logbook.repository.ListsRepository`;
- the team logbook on PostgreSQL — :mod:`desktop.logbook.pg_store`.

The protocols are structural (``typing.Protocol``): the SQLCipher repositories were not changed to fit
them, and tests check both stores against the same contract (tests/desktop/test_pg_store.py).

What only the team store does, and how a caller sees it:

- ``update`` raises :class:`ConflictError` when someone else saved the record since it was read
  (optimistic concurrency on ``record.version``); the error carries both versions to show side by side.
- ``delete`` raises :class:`PermissionDeniedError` for a role that may not delete (staff; managers may).
- records carry ``created_by`` / ``updated_by`` (the database role) and ``version``; on the SQLCipher
  store they stay ``""`` / ``0``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Protocol, TypeVar

from desktop.logbook.prompts import Prompt
from desktop.logbook.records import Filters, FollowUp, Inquiry, Note
from desktop.logbook.repository import MergeResult
from desktop.logbook.searchlog import SearchEntry

R = TypeVar("R", Note, Inquiry)


class StoreError(Exception):
    """A store problem the user can act on; ``str()`` is Japanese with English alongside."""

    def __init__(self, ja: str, en: str) -> None:
        super().__init__(f"{ja} / {en}")
        self.ja = ja
        self.en = en


class ConflictError(StoreError):
    """Someone else saved this record after it was read: nothing was written.

    ``mine`` is the version the caller tried to save, ``theirs`` the one now stored (with its
    ``updated_by``/``updated_at``/``version``), so the UI can show both and let the user choose.
    """

    def __init__(self, mine: Note | Inquiry, theirs: Note | Inquiry) -> None:
        who = theirs.updated_by or "ほかの担当者"
        super().__init__(
            f"この記録は読み込んだ後に {who} が {theirs.updated_at} に更新しています。"
            "両方の内容を確認して、もう一度保存してください",
            f"this record was changed by {theirs.updated_by or 'someone else'} at {theirs.updated_at} after you "
            "opened it; compare both versions and save again",
        )
        self.mine = mine
        self.theirs = theirs

    @property
    def kind(self) -> str:
        return "notes" if isinstance(self.mine, Note) else "inquiries"

    def differences(self) -> list[tuple[str, str, str]]:
        """``(label, mine, theirs)`` for each field the two versions disagree on, in the export's column order
        and with its Japanese labels. Left out: the times of saving (they always differ) and follow-ups (only
        ever appended, never edited in a form: whichever version is kept, the stored follow-ups stay)."""
        from desktop.logbook.tabular import columns, record_cells

        mine = record_cells(self.kind, self.mine)
        theirs = record_cells(self.kind, self.theirs)
        skip = {"id", "created_at", "updated_at", "followups"}
        return [
            (label, a, b)
            for (key, label), a, b in zip(columns(self.kind), mine, theirs, strict=True)
            if key not in skip and a != b
        ]

    def mine_as_text(self) -> str:
        """The caller's version as ``label: value`` lines (what 「自分の内容をコピー」 puts on the clipboard)."""
        from desktop.logbook.tabular import columns, record_cells

        cells = record_cells(self.kind, self.mine)
        skip = {"id", "created_at", "updated_at"}
        return "\n".join(
            f"{label}: {value}" for (key, label), value in zip(columns(self.kind), cells, strict=True)
            if key not in skip and value
        )


class PermissionDeniedError(StoreError):
    """The database role may not do this (e.g. staff deleting or exporting: managers only)."""


class RecordStore(Protocol[R]):
    """One kind of record (notes or inquiries) in one store."""

    kind: str

    def add(self, record: R) -> R: ...

    def get(self, record_id: str) -> R | None: ...

    def update(self, record: R) -> R: ...

    def delete(self, record_id: str) -> bool: ...

    def list(self, filters: Filters | None = None) -> list[R]: ...

    def iter(self, filters: Filters | None = None) -> Iterator[R]: ...

    def count(self, filters: Filters | None = None, cap: int | None = None) -> int: ...

    def ids(self) -> set[str]: ...

    def merge(self, records: Sequence[R]) -> MergeResult: ...


class NoteStore(RecordStore[Note], Protocol):
    def add_followup(self, note_id: str, followup: FollowUp) -> FollowUp: ...


class ListsStore(Protocol):
    """The editable category and place lists and the input suggestions."""

    def categories(self, kind: str) -> list[str]: ...

    def set_categories(self, kind: str, names: Iterable[str]) -> list[str]: ...

    def places(self) -> list[str]: ...

    def set_places(self, names: Iterable[str]) -> list[str]: ...

    def suggestions(self, field_name: str, kind: str = "notes", prefix: str = "", limit: int = 20) -> list[str]: ...


class PromptStore(Protocol):
    """The prompt library: this PC's (:class:`desktop.logbook.PromptLibrary`) or the team's
    (:class:`desktop.logbook.pg_prompts.PgPromptLibrary`)."""

    def add(self, prompt: Prompt) -> Prompt: ...

    def update(self, prompt: Prompt) -> Prompt: ...

    def delete(self, prompt_id: str) -> bool: ...

    def get(self, prompt_id: str) -> Prompt | None: ...

    def list(self, text: str = "", tag: str = "") -> list[Prompt]: ...

    def use(self, prompt_id: str) -> Prompt: ...

    def rate(self, prompt_id: str, stars: int) -> Prompt: ...

    def merge(self, incoming: Sequence[Prompt]) -> tuple[int, int, int]: ...


class SearchLogStore(Protocol):
    """The search/ask history: this PC's (:class:`desktop.logbook.SearchLog`) or the team's
    (:class:`desktop.logbook.pg_searchlog.PgSearchLog`)."""

    def record(
        self, query: str, hits: int, *, kind: str = "search", grounded: bool | None = None, at: str = ""
    ) -> SearchEntry: ...

    def rate(self, entry_id: str, rating: str, reason: str = "") -> None: ...

    def entries(self, date_from: str = "", date_to: str = "", *, unanswered_only: bool = False) -> list[SearchEntry]: ...


class LogbookStore(Protocol):
    """A whole logbook's records: ``Logbook`` (SQLCipher) and ``TeamLogbook`` (PostgreSQL) both have these."""

    @property
    def notes(self) -> NoteStore: ...

    @property
    def inquiries(self) -> RecordStore[Inquiry]: ...

    @property
    def lists(self) -> ListsStore: ...

    def close(self) -> None: ...
