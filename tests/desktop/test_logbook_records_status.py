"""Note.set_status: closing sets the resolved date, reopening clears it, a typed date is kept."""

from __future__ import annotations

from datetime import date

import pytest

from desktop.logbook.records import Note, ValidationError


def test_closing_and_reopening_a_note() -> None:
    note = Note(text="会議室Bが寒い")
    note.set_status("対応済", today=date(2026, 11, 2))
    assert note.resolved_date == "2026-11-02"
    note.set_status("対応中")
    assert (note.status, note.resolved_date) == ("対応中", "")
    note.resolved_date = "2026-10-30"
    note.set_status("見送り", today=date(2026, 11, 2))
    assert note.resolved_date == "2026-10-30"


def test_unknown_status_is_refused() -> None:
    note = Note(text="x")
    with pytest.raises(ValidationError):
        note.set_status("完了")
    assert note.status == "新規"
