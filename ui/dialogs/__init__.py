"""Dialogs for the logbook (quick floor-note capture, the inquiry form) and the small helpers they share
with the logbook pages (現場の声, 問い合わせ, 分析).

The helpers keep the calls into the logbook in one place, so the widgets stay about widgets. They hold no
SQL and no parsing: they build the logbook's own record types and call its API, always from a worker
(``ui.workers``), never on the UI thread.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, Qt, Signal
from PySide6.QtWidgets import QComboBox, QCompleter, QWidget

from desktop.logbook import (
    CHANNELS,
    DEFAULT_INQUIRY_CATEGORIES,
    DEFAULT_NOTE_CATEGORIES,
    INQUIRY_STATUSES,
    NOTE_STATUSES,
    RESOLUTIONS,
    SEVERITIES,
    FollowUp,
    Note,
)
from desktop.note_fields import NoteSuggestion, suggest_note
from ui.errors import describe  # noqa: F401 — re-exported for the dialogs and pages
from ui.i18n import t

FALLBACK_CATEGORY = "その他"
HISTORY_LIMIT = 50


# --- app-wide notices -----------------------------------------------------------------------------------


class LogbookEvents(QObject):
    """Records saved from anywhere (the quick capture is opened by Ctrl+Shift+N on any page, the inquiry
    form from the answer page), so the pages that list them can refresh.

    Signals: ``note_saved(Note)``, ``inquiry_saved(Inquiry)``.
    """

    note_saved = Signal(object)
    inquiry_saved = Signal(object)


_events: LogbookEvents | None = None


def events() -> LogbookEvents:
    global _events
    app = QCoreApplication.instance()
    if _events is None or _events.parent() is not app:
        _events = LogbookEvents(app)
    return _events


# --- messages ---------------------------------------------------------------------------------------




def announce(widget: QWidget, message: str, timeout_ms: int = 5000) -> None:
    """Show a short confirmation in the main window's status bar (when there is one)."""
    parent = widget.parentWidget()
    window = parent.window() if parent is not None else widget.window()
    status = getattr(window, "statusBar", None)
    if callable(status):
        status().showMessage(message, timeout_ms)


# --- combos with history ------------------------------------------------------------------------------


def history_combo(placeholder: str) -> QComboBox:
    """An editable combo whose completion pops up past entries containing what was typed."""
    combo = QComboBox()
    narrow(combo)
    combo.setEditable(True)
    combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
    combo.setMaxVisibleItems(12)
    line = combo.lineEdit()
    if line is not None:
        line.setPlaceholderText(placeholder)
    completer = QCompleter(combo.model(), combo)
    completer.setFilterMode(Qt.MatchFlag.MatchContains)
    completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
    completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
    combo.setCompleter(completer)
    return combo


def narrow(combo: QComboBox, characters: int = 8) -> QComboBox:
    """A combo whose width does not grow with its longest item (long place names would push the panel
    wider than the window)."""
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(characters)
    return combo


def fill_history(combo: QComboBox, values: Sequence[str], keep_text: bool = True) -> None:
    """Past values, most used first; what the user already typed stays in the edit field."""
    typed = combo.currentText()
    combo.blockSignals(True)
    combo.clear()
    combo.addItems([v for v in values if v])
    combo.setCurrentIndex(-1)
    combo.setEditText(typed if keep_text else "")
    combo.blockSignals(False)


def set_items_keep(combo: QComboBox, values: Sequence[str], allow_empty: bool = False) -> None:
    """Replace a combo's items, keeping the current choice (added back if it left the list)."""
    current = combo.currentText()
    combo.blockSignals(True)
    combo.clear()
    if allow_empty:
        combo.addItem("")
    combo.addItems(list(values))
    if current and combo.findText(current) < 0:
        combo.addItem(current)
    combo.setCurrentIndex(combo.findText(current) if current or allow_empty else -1)
    combo.blockSignals(False)


# --- services -----------------------------------------------------------------------------------------


def model_ready(services: Any) -> bool:
    runtime = getattr(services, "runtime", None)
    return runtime is not None and getattr(runtime, "state", "none") == "ready"


@dataclass
class Choices:
    """The lists the forms offer: editable categories and the history of places, departments, people."""

    note_categories: list[str] = field(default_factory=lambda: list(DEFAULT_NOTE_CATEGORIES))
    inquiry_categories: list[str] = field(default_factory=lambda: list(DEFAULT_INQUIRY_CATEGORIES))
    places: list[str] = field(default_factory=list)
    departments: list[str] = field(default_factory=list)
    owners: list[str] = field(default_factory=list)
    staff: list[str] = field(default_factory=list)


def load_choices(services: Any) -> Choices:
    """Runs in a worker: opens the logbook on first use (the key may need a passphrase)."""
    book = services.logbook
    lists = book.lists
    departments = lists.suggestions("department", "notes", limit=HISTORY_LIMIT)
    for d in lists.suggestions("department", "inquiries", limit=HISTORY_LIMIT):
        if d not in departments:
            departments.append(d)
    return Choices(
        note_categories=lists.categories("notes") or list(DEFAULT_NOTE_CATEGORIES),
        inquiry_categories=lists.categories("inquiries") or list(DEFAULT_INQUIRY_CATEGORIES),
        places=lists.suggestions("place", "notes", limit=HISTORY_LIMIT),
        departments=departments,
        owners=lists.suggestions("owner", "notes", limit=HISTORY_LIMIT),
        staff=lists.suggestions("staff", "inquiries", limit=HISTORY_LIMIT),
    )


def add_note(services: Any, values: dict[str, Any]) -> Note:
    """Runs in a worker. ``values`` are the capture dialog's fields."""
    note = Note(
        text=values["text"],
        place=values.get("place", ""),
        department=values.get("department", ""),
        category=values.get("category") or FALLBACK_CATEGORY,
        severity=values.get("severity") or "低",
        anonymous=bool(values.get("anonymous")),
        speaker=values.get("speaker", ""),
        cause=values.get("cause", ""),
        consequence=values.get("consequence", ""),
        countermeasure=values.get("countermeasure", ""),
        tags=list(values.get("tags") or []),
    )
    return services.logbook.notes.add(note)


def add_followup(services: Any, note_id: str, text: str) -> Note:
    """Runs in a worker: adds the follow-up and returns the note as stored now."""
    book = services.logbook
    staff = services.settings.logbook.staff_name
    book.notes.add_followup(note_id, FollowUp(text=text, staff=staff))
    note = book.notes.get(note_id)
    if note is None:
        raise KeyError(note_id)
    return note


def suggest_fields(services: Any, text: str, categories: Sequence[str]) -> NoteSuggestion:
    """Runs in a worker: category/severity/tags from the model, place/department from the text against the
    logbook's lists (the model's pick from the same lists when the text names none); see desktop.note_fields."""
    choices = load_choices(services)
    return suggest_note(services.runtime, text, categories=categories, places=choices.places,
                        departments=choices.departments)


# --- fixed vocabularies in combos -----------------------------------------------------------------------
# Statuses, severities, channels … are stored in Japanese; the combo shows them translated and keeps the
# stored value as item data. User-edited lists (categories, places) are data and are shown as typed.


def fill_vocab(combo: QComboBox, values: Sequence[str], all_label: str = "") -> None:
    """Items showing ``t(value)`` with the stored value as data; ``all_label`` adds a first "any" item."""
    combo.blockSignals(True)
    combo.clear()
    if all_label:
        combo.addItem(all_label, "")
    for v in values:
        combo.addItem(t(v), v)
    combo.blockSignals(False)


def combo_value(combo: QComboBox) -> str:
    data = combo.currentData()
    if combo.currentIndex() >= 0 and isinstance(data, str):
        return data
    return combo.currentText().strip()


def select_value(combo: QComboBox, value: str) -> bool:
    i = combo.findData(value)
    if i < 0:
        i = combo.findText(value)
    if i >= 0:
        combo.setCurrentIndex(i)
    return i >= 0


VOCABULARY = frozenset(
    (*CHANNELS, *INQUIRY_STATUSES, *RESOLUTIONS, *SEVERITIES, *NOTE_STATUSES, "Good", "Bad", "良い", "悪い")
)


def show_value(value: str) -> str:
    """Translate a stored value when it is one of the fixed vocabularies; user data is shown as typed."""
    return t(value) if value in VOCABULARY else value


# --- periods --------------------------------------------------------------------------------------------


def period_choices(fiscal_start_month: int, today: date | None = None) -> list[tuple[str, str, str]]:
    """(label, date_from, date_to) for the period filters; dates inclusive ``YYYY-MM-DD``, "" = open."""
    from desktop import insights

    today = today or date.today()
    this_month = insights.month(today.strftime("%Y-%m"))
    last_month = insights.month((this_month.start - timedelta(days=1)).strftime("%Y-%m"))
    fy = insights.fiscal_year_of(today, fiscal_start_month)
    this_fy = insights.fiscal_year(fy, fiscal_start_month)
    last_fy = insights.fiscal_year(fy - 1, fiscal_start_month)
    out = [(t("すべての期間"), "", "")]
    for label, p in (
        (t("今月"), this_month),
        (t("先月"), last_month),
        (t("今年度"), this_fy),
        (t("前年度"), last_fy),
    ):
        out.append((label, p.start.isoformat(), p.last_day.isoformat()))
    next_month = this_month.end
    start_12 = date(next_month.year - 1, next_month.month, 1)
    out.append((t("直近12か月"), start_12.isoformat(), this_month.last_day.isoformat()))
    return out


# --- export -----------------------------------------------------------------------------------------------


def export_records(services: Any, kind: str, records: Sequence[Any], path: Path, fmt: str) -> Any:
    """Runs in a worker: writes exactly the records the table shows (oldest first, like the logbook's own
    export, so a re-import keeps the order) with the logbook's CSV/XLSX writers and export settings."""
    from desktop.logbook.csvio import export_csv
    from desktop.logbook.xlsxio import export_xlsx

    ordered = sorted(records, key=lambda r: (r.occurred_at, r.created_at))
    if fmt == "xlsx":
        return export_xlsx(kind, ordered, path)
    s = services.settings.logbook
    return export_csv(kind, ordered, path, encoding=s.export_encoding, errors=s.export_unencodable)


def tr_values(values: Sequence[str]) -> list[str]:
    return [show_value(v) for v in values]


# --- loading many records -----------------------------------------------------------------------------

_gc_lock = threading.Lock()
_gc_pausers = 0
_gc_was_enabled = True


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a worker builds many records.

    Building 100,000 records allocates about a million objects; each full collection it triggers walks
    all of them with the GIL held and freezes the UI thread for 150–350 ms. Paused, the longest UI stall
    while loading 100,000 notes drops to ~50 ms (docs/PERFORMANCE.md). Records hold no reference cycles,
    so nothing is kept alive longer than the load; nested and concurrent pauses are counted.
    """
    global _gc_pausers, _gc_was_enabled
    with _gc_lock:
        if _gc_pausers == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_pausers += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_pausers -= 1
            if _gc_pausers == 0 and _gc_was_enabled:
                gc.enable()
