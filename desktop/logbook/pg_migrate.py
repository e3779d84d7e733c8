"""`team migrate`: copy one PC's logbook into the team server, then prove nothing was lost.

The copy is the import merge (records keep their UUIDs): a record the server lacks is added, one the PC
changed later replaces the server's, one the server changed later is kept. So running it twice changes
nothing, and running it from three PCs makes one logbook of the three. Unknown categories and places
come along. The PC's file is only read, never changed.

Verification, per kind: the server holds every one of the PC's record ids (counts), and each record's
content hash (desktop/logbook/pg_store.py ``content_hash``: the export row plus follow-ups) is the same
on both sides — or the server's copy is newer (it was edited there after an earlier migrate), which is
reported, not overwritten. Anything else is a mismatch, and the report says ``verified = False``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from desktop.logbook.pg_store import TeamLogbook, content_hash
from desktop.logbook.records import Filters, Inquiry, Note
from desktop.logbook.repository import MergeResult
from desktop.logbook.service import Logbook

log = logging.getLogger(__name__)


@dataclass
class KindReport:
    kind: str
    local: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    on_server: int = 0  # of the PC's ids, how many the server holds after the copy
    server_total: int = 0
    same_hash: int = 0
    newer_on_server: list[str] = field(default_factory=list)
    mismatched: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    @property
    def verified(self) -> bool:
        return not self.missing and not self.mismatched and self.on_server == self.local

    def to_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "verified": self.verified}


@dataclass
class MigrateReport:
    kinds: list[KindReport]
    new_places: list[str] = field(default_factory=list)
    new_categories: dict[str, list[str]] = field(default_factory=dict)
    prompts: dict[str, int] = field(default_factory=dict)  # the PC's prompt library: local, added, updated, unchanged

    @property
    def verified(self) -> bool:
        return all(k.verified for k in self.kinds)

    def to_dict(self) -> dict[str, Any]:
        return {
            "verified": self.verified,
            "kinds": [k.to_dict() for k in self.kinds],
            "new_places": self.new_places,
            "new_categories": self.new_categories,
            "prompts": self.prompts,
        }


def migrate_to_team(book: Logbook, team: TeamLogbook) -> MigrateReport:
    report = MigrateReport(kinds=[])
    report.new_places = team.lists.add_places(book.lists.places())
    everything = Filters(newest_first=False)
    for kind in ("notes", "inquiries"):
        local: list[Note] | list[Inquiry]
        if kind == "notes":
            local = list(book.notes.iter(everything))
            hashes = {r.id: (content_hash(r), r.updated_at) for r in local}
            merged: MergeResult = team.notes.merge(local)
        else:
            local = list(book.inquiries.iter(everything))
            hashes = {r.id: (content_hash(r), r.updated_at) for r in local}
            merged = team.inquiries.merge(local)
        rep = KindReport(kind, local=len(local), added=merged.added, updated=merged.updated,
                         unchanged=merged.unchanged, skipped=merged.skipped)
        if merged.new_categories:
            report.new_categories[kind] = merged.new_categories
        store = team.notes if kind == "notes" else team.inquiries
        server = store.get_many(list(hashes))
        rep.on_server = len(server)
        rep.server_total = store.count()
        for rid, (digest, updated_at) in hashes.items():
            got = server.get(rid)
            if got is None:
                rep.missing.append(rid)
            elif content_hash(got) == digest:
                rep.same_hash += 1
            elif got.updated_at > updated_at:
                rep.newer_on_server.append(rid)
            else:
                rep.mismatched.append(rid)
        log.info("team migrate %s: %s", kind, {k: v for k, v in rep.to_dict().items() if not isinstance(v, list)})
        report.kinds.append(rep)
    mine = book.prompts.list()
    added, updated, unchanged = team.prompts.merge(mine)  # the same rules as a shared prompts file
    report.prompts = {"local": len(mine), "added": added, "updated": updated, "unchanged": unchanged}
    return report
