"""現場の声 (floor notes): quick capture, a filtered table, and a detail panel to follow each note up.

Where things live:

- :mod:`.records_view` — :class:`RecordListView`, the layout shared with 問い合わせ: toolbar, filter bar,
  demo offer, table, detail area, count and 書き出し button (widgets only, no behaviour).
- :mod:`.records` — :class:`RecordListPage`, what that shared list does: filters, loading in a worker,
  selection, empty states, export.
- :mod:`.detail` — :class:`NoteDetail`, the panel that edits one note and asks for saves and follow-ups.
- :mod:`.view` — :class:`NotesView`, this page's texts, capture button, place filter, columns and colours.
- :mod:`.controller` — :class:`NotesPage`, this page's queries and actions (save, follow-up, capture).

A button is built in a ``view`` module and connected in the matching controller (``records`` or
``controller``), next to the method it runs.
"""

from ui.pages.notes.controller import NotesPage
from ui.pages.notes.detail import NoteDetail, common_summary
from ui.pages.notes.records import RecordListPage
from ui.pages.notes.records_view import RecordListView, StretchTable
from ui.pages.notes.view import OPEN_STATUSES, SEVERITY_COLOURS, NotesView, is_overdue

__all__ = [
    "OPEN_STATUSES",
    "SEVERITY_COLOURS",
    "NoteDetail",
    "NotesPage",
    "NotesView",
    "RecordListPage",
    "RecordListView",
    "StretchTable",
    "common_summary",
    "is_overdue",
]
