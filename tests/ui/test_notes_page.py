"""現場の声 page: keyboard capture into the real (encrypted) logbook, status changes, follow-ups, filters,
export off the UI thread, and the lazy table model that keeps 100,000 rows smooth."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QInputMethodEvent
from PySide6.QtWidgets import QApplication

import ui.dialogs as common
from desktop.logbook import Note
from desktop.services import Services
from tests.ui.helpers import dispose
from ui.models.log_tables import Column, RecordSortProxy, RecordTableModel
from ui.pages.notes import NotesPage

# The offscreen platform warns that it cannot propagate size hints whenever a top-level window is shown.
pytestmark = pytest.mark.qt_log_ignore("propagateSizeHints")




@pytest.fixture
def page(qtbot: Any, services: Services) -> Iterator[NotesPage]:
    p = NotesPage(services)
    qtbot.addWidget(p)
    p.resize(1280, 800)
    p.show()
    yield p
    dispose(p)


def load(qtbot: Any, page: NotesPage) -> None:
    with qtbot.waitSignal(page.loaded, timeout=15_000):
        page.activated()


def type_japanese(widget: Any, text: str) -> None:
    """Japanese arrives through the input method as a committed string (QTest can only type ASCII keys)."""
    event = QInputMethodEvent()
    event.setCommitString(text)
    QApplication.sendEvent(widget, event)


def stored_note(book: Any, note_id: str) -> Note:
    note = book.notes.get(note_id)
    assert note is not None
    return note


def current(page: Any) -> Any:
    record = page.current_record()
    assert record is not None
    return record


def today_at(hour: int, days_ago: int = 0) -> str:
    return f"{(date.today() - timedelta(days=days_ago)).isoformat()}T{hour:02d}:00:00"


def test_capture_with_the_keyboard_lands_in_the_table(qtbot: Any, page: NotesPage, services: Services) -> None:
    load(qtbot, page)
    assert page.table_stack.currentWidget() is page.empty
    assert "Ctrl+Shift+N" in page.empty.text()

    page.open_capture()
    dialog = page.capture_dialog
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow, timeout=5_000)  # shortcuts work in the active window
    qtbot.waitUntil(lambda: not dialog.choices_job.running, timeout=15_000)
    assert dialog.text.hasFocus() or dialog.focusWidget() is dialog.text
    type_japanese(dialog.text, "会議室Bのエアコンが効かない")
    qtbot.keyClick(dialog.text, Qt.Key.Key_Tab)  # Tab leaves the text for the place
    assert dialog.focusWidget() is dialog.place
    type_japanese(dialog.place.lineEdit(), "本社3階 会議室B")
    type_japanese(dialog.department.lineEdit(), "営業部")
    dialog.severity.setFocus()
    qtbot.keyClick(dialog.severity, Qt.Key.Key_Down)  # 低 -> 中, chosen by the user
    assert common.combo_value(dialog.severity) == "中"
    assert "severity" in dialog._user_chose

    with qtbot.waitSignal(page.loaded, timeout=15_000):
        qtbot.keyClick(dialog.text, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)

    assert page.model.total() == 1
    note = page.model.row_at(0)
    assert note.text == "会議室Bのエアコンが効かない"
    assert (note.place, note.department, note.severity, note.status) == ("本社3階 会議室B", "営業部", "中", "新規")
    assert page.table_stack.currentWidget() is page.table
    assert page.current_id() == note.id  # the new note is selected
    assert [n.id for n in services.logbook.notes.list()] == [note.id]
    # The place is now in the history the next capture offers.
    qtbot.waitUntil(lambda: "本社3階 会議室B" in page.choices.places, timeout=10_000)


def test_a_note_captured_elsewhere_appears(qtbot: Any, page: NotesPage, services: Services) -> None:
    """Ctrl+Shift+N opens the capture from any page (the main window owns that dialog)."""
    from ui.dialogs.note_capture import NoteCaptureDialog

    load(qtbot, page)
    dialog = NoteCaptureDialog(services)
    qtbot.waitUntil(lambda: not dialog.choices_job.running, timeout=15_000)
    type_japanese(dialog.text, "駐車場の白線が消えている")
    with qtbot.waitSignal(page.loaded, timeout=15_000):
        dialog.save()
    assert current(page).text == "駐車場の白線が消えている"
    dispose(dialog)


def test_status_changes_and_follow_ups(qtbot: Any, page: NotesPage, services: Services) -> None:
    book = services.logbook
    note = book.notes.add(Note(text="非常口の前に段ボール", place="倉庫", category="安全・防災", severity="高",
                               occurred_at=today_at(9)))
    load(qtbot, page)
    assert page.current_id() == note.id
    detail = page.detail_panel

    detail.quick_status("対応中")
    qtbot.waitUntil(lambda: current(page).status == "対応中", timeout=10_000)
    assert stored_note(book, note.id).resolved_date == ""

    detail.owner.setEditText("佐藤")
    detail.has_due.setChecked(True)
    detail.due.setDate(detail.due.date().currentDate().addDays(3))
    detail.quick_status("対応済")
    qtbot.waitUntil(lambda: current(page).status == "対応済", timeout=10_000)
    stored = stored_note(book, note.id)
    assert stored.resolved_date == date.today().isoformat()  # set automatically
    assert stored.owner == "佐藤"
    assert stored.due_date == (date.today() + timedelta(days=3)).isoformat()
    assert "対応済" in page.model.data(page.model.index(0, 6))

    type_japanese(detail.followup_text, "棚を移動して通路を確保")
    qtbot.keyClick(detail.followup_text, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: len(current(page).followups) == 1, timeout=10_000)
    assert stored_note(book, note.id).followups[0].text == "棚を移動して通路を確保"
    assert "棚を移動して通路を確保" in detail.followups.item(0).text()
    assert detail.followup_text.text() == ""

    # Reopening clears the resolved date.
    common.select_value(detail.status, "新規")
    detail.request_save()
    qtbot.waitUntil(lambda: current(page).status == "新規", timeout=10_000)
    assert stored_note(book, note.id).resolved_date == ""


def test_filters_period_status_category_place_text_overdue(qtbot: Any, page: NotesPage, services: Services) -> None:
    book = services.logbook
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    book.notes.add(Note(text="エアコンが効かない", place="会議室B", category="空調・照明・騒音", occurred_at=today_at(8)))
    book.notes.add(Note(text="電子レンジが止まる", place="給湯室", category="設備・備品", status="対応済",
                        occurred_at=today_at(9)))
    book.notes.add(Note(text="蛍光灯がちらつく", place="給湯室", category="空調・照明・騒音", due_date=yesterday,
                        occurred_at=today_at(10)))
    book.notes.add(Note(text="去年のエアコン", place="会議室B", category="空調・照明・騒音", occurred_at=today_at(10, 400)))
    load(qtbot, page)
    assert page.model.total() == 4
    qtbot.waitUntil(lambda: page.place.count() > 1, timeout=10_000)

    def texts() -> set[str]:
        return {n.text for n in page.model.rows()}

    def choose(combo: Any, value: str) -> None:
        with qtbot.waitSignal(page.loaded, timeout=10_000):
            assert common.select_value(combo, value)

    choose(page.status, "対応済")
    assert texts() == {"電子レンジが止まる"}
    choose(page.status, "未完了")
    assert texts() == {"エアコンが効かない", "蛍光灯がちらつく", "去年のエアコン"}
    choose(page.status, "期限切れ")
    assert texts() == {"蛍光灯がちらつく"}
    assert "期限切れ 1 件" in page.count_label.text()
    # Overdue rows are highlighted.
    background = page.model.data(page.model.index(0, 0), Qt.ItemDataRole.BackgroundRole)
    assert background is not None
    choose(page.status, "")
    choose(page.category, "空調・照明・騒音")
    assert texts() == {"エアコンが効かない", "蛍光灯がちらつく", "去年のエアコン"}
    choose(page.place, "会議室B")
    assert texts() == {"エアコンが効かない", "去年のエアコン"}
    period = next(i for i, (_label, start, _end) in enumerate(page.periods) if start and start[8:] == "01"
                  and start[:7] == date.today().strftime("%Y-%m"))
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        page.period.setCurrentIndex(period)  # 今月
    assert texts() == {"エアコンが効かない"}
    choose(page.place, "")
    choose(page.category, "")
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        type_japanese(page.search, "レンジ")
    assert texts() == {"電子レンジが止まる"}
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        page.search.setText("存在しない言葉")
    assert page.table_stack.currentWidget() is page.empty
    assert "条件に合う" in page.empty.text()


def test_export_runs_off_the_ui_thread_and_writes_the_filtered_rows(
    qtbot: Any, page: NotesPage, services: Services, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    book = services.logbook
    for i in range(5):
        book.notes.add(Note(text=f"=SUM(A{i}) 声{i}", category="その他", status="新規" if i % 2 else "対応済",
                            occurred_at=today_at(9 + i)))
    load(qtbot, page)
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        common.select_value(page.status, "新規")
    assert page.model.total() == 2

    threads: list[threading.Thread] = []
    real_export = common.export_records

    def spy(*args: Any, **kwargs: Any) -> Any:
        threads.append(threading.current_thread())
        return real_export(*args, **kwargs)

    monkeypatch.setattr(common, "export_records", spy)
    out = tmp_path / "notes.csv"
    job = page.export_to(out, "csv")
    qtbot.waitUntil(lambda: page.export_button.isEnabled(), timeout=15_000)
    assert not job.running
    assert threads and threads[0] is not threading.main_thread()
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    assert "声1" in text and "声3" in text and "声0" not in text
    assert "'=SUM(A1)" in text  # formula neutralised
    assert text.count("\r\n") == 3  # header + 2 rows

    xlsx = tmp_path / "notes.xlsx"
    page.export_to(xlsx, "xlsx")
    qtbot.waitUntil(lambda: page.export_button.isEnabled() and xlsx.exists(), timeout=15_000)
    from openpyxl import load_workbook

    sheet = load_workbook(xlsx, read_only=True).worksheets[0]
    assert sum(1 for _ in sheet.iter_rows()) == 3


def test_the_table_model_hands_rows_to_the_view_in_batches_and_sorts_them_all() -> None:
    rows = [{"id": str(i), "n": i, "text": f"row {i}"} for i in range(100_000)]
    model = RecordTableModel([Column("n", "番号"), Column("text", "内容", elide=4)])
    proxy = RecordSortProxy()
    proxy.setSourceModel(model)
    model.set_rows(rows)
    assert model.total() == 100_000
    assert model.rowCount() == RecordTableModel.BATCH
    assert model.canFetchMore()
    model.fetchMore()
    assert model.rowCount() == 2 * RecordTableModel.BATCH
    proxy.sort(0, Qt.SortOrder.DescendingOrder)  # forwarded: sorts all rows, not only the fetched ones
    assert model.data(model.index(0, 0)) == "99999"
    assert proxy.row_at(0)["n"] == 99_999
    assert model.data(model.index(0, 1)) == "row…"
    assert model.data(model.index(0, 1), Qt.ItemDataRole.ToolTipRole) == "row 99999"
    assert model.find("id", "5") == 99_994
    assert model.rowCount() > 99_994
