"""The demo logbook: the notes and inquiries of the fictional 株式会社みどり精工, offered on first run.

One source, ``desktop/data/demo_logbook.json``, serves the first-run offer (the 現場の声 / 問い合わせ / 分析
pages), ``soumu-desk log demo`` and ``soumu-desk screenshots``.

How a demo record is told from the user's own: by its id. Every demo record has a fixed uuid5 id written in
the file; records the user makes get random uuid4 ids, so the two never meet. The id needs no schema
change, works the same on the SQLCipher file and on the team logbook (PostgreSQL), and survives export and
import (the CSV/XLSX carry the id): a demo record exported and imported again is still a demo record, and
``remove`` still removes it. What ``remove`` deletes is exactly the records whose id is one of the file's
— edited or not, with their follow-ups — and nothing else.

Loading adds only the demo records that are not there yet: running it twice adds nothing twice, and a demo
record the user edited is left as edited.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from desktop.logbook.records import FollowUp, Inquiry, Note, Source
from desktop.paths import REPO_ROOT

DEMO_LOGBOOK = REPO_ROOT / "desktop" / "data" / "demo_logbook.json"


@dataclass(frozen=True)
class DemoCounts:
    """How many demo records: in the logbook (``status``), added (``load``) or deleted (``remove``)."""

    notes: int = 0
    inquiries: int = 0

    @property
    def total(self) -> int:
        return self.notes + self.inquiries

    def to_dict(self) -> dict[str, int]:
        return {"notes": self.notes, "inquiries": self.inquiries}


@dataclass(frozen=True)
class DemoStatus:
    """The logbook as the first-run offer sees it: its record counts and how many of them are demo records."""

    notes: int = 0
    inquiries: int = 0
    demo: DemoCounts = DemoCounts()

    @property
    def empty(self) -> bool:
        return self.notes == 0 and self.inquiries == 0

    @property
    def loaded(self) -> bool:
        return self.demo.total > 0


def read_demo(path: Path = DEMO_LOGBOOK) -> tuple[list[Note], list[Inquiry]]:
    """The demo notes and inquiries as records (fresh objects on every call: the store stamps them)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    notes = []
    for raw in data.get("notes", []):
        d = dict(raw)
        d["followups"] = [FollowUp(**f) for f in d.get("followups", [])]
        notes.append(Note(**d))
    inquiries = []
    for raw in data.get("inquiries", []):
        d = dict(raw)
        d["sources"] = [Source(**s) for s in d.get("sources", [])]
        inquiries.append(Inquiry(**d))
    return notes, inquiries


@functools.lru_cache(maxsize=4)
def demo_ids(path: Path = DEMO_LOGBOOK) -> tuple[frozenset[str], frozenset[str]]:
    """The ids of the demo notes and of the demo inquiries."""
    data = json.loads(path.read_text(encoding="utf-8"))
    return (
        frozenset(str(n["id"]) for n in data.get("notes", [])),
        frozenset(str(q["id"]) for q in data.get("inquiries", [])),
    )


def is_demo(kind: str, record_id: str, path: Path = DEMO_LOGBOOK) -> bool:
    notes, inquiries = demo_ids(path)
    return record_id in (notes if kind == "notes" else inquiries)


def status(book: Any, path: Path = DEMO_LOGBOOK) -> DemoStatus:
    """Record counts and demo counts of ``book`` (any logbook store: ``notes``/``inquiries`` with ``ids()``)."""
    note_ids, inquiry_ids = demo_ids(path)
    have_notes, have_inquiries = book.notes.ids(), book.inquiries.ids()
    return DemoStatus(
        notes=len(have_notes),
        inquiries=len(have_inquiries),
        demo=DemoCounts(len(have_notes & note_ids), len(have_inquiries & inquiry_ids)),
    )


def load(book: Any, path: Path = DEMO_LOGBOOK) -> DemoCounts:
    """Add the demo records that are not in ``book`` yet; returns how many were added."""
    notes, inquiries = read_demo(path)
    have_notes, have_inquiries = book.notes.ids(), book.inquiries.ids()
    new_notes = [n for n in notes if n.id not in have_notes]
    new_inquiries = [q for q in inquiries if q.id not in have_inquiries]
    if new_notes:
        book.notes.merge(new_notes)
    if new_inquiries:
        book.inquiries.merge(new_inquiries)
    return DemoCounts(len(new_notes), len(new_inquiries))


def remove(book: Any, path: Path = DEMO_LOGBOOK) -> DemoCounts:
    """Delete every demo record in ``book`` (and only those); returns how many were deleted."""
    note_ids, inquiry_ids = demo_ids(path)
    removed = []
    for store, ids in ((book.notes, note_ids), (book.inquiries, inquiry_ids)):
        targets = sorted(store.ids() & ids)
        removed.append(sum(1 for record_id in targets if store.delete(record_id)))
    return DemoCounts(removed[0], removed[1])
