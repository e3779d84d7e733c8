"""Quick capture and inquiry form: nothing typed is lost, the AI suggestion never overrides the user,
the inquiry form saves what the answer page pre-filled, and every string has an English translation."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QInputMethodEvent
from PySide6.QtWidgets import QApplication, QMessageBox

import ui.dialogs as common
from desktop.logbook import Inquiry, Note
from desktop.services import Services
from tests.ui.helpers import dispose
from ui import i18n
from ui.dialogs.inquiry_form import InquiryFormDialog
from ui.dialogs.note_capture import NoteCaptureDialog

pytestmark = pytest.mark.qt_log_ignore("propagateSizeHints")




@pytest.fixture
def opened(qtbot: Any) -> Iterator[list[Any]]:
    """Dialogs a test opened; closed without the "discard?" question at the end (it would block)."""
    dialogs: list[Any] = []
    yield dialogs
    for dialog in dialogs:
        if hasattr(dialog, "done"):
            dialog.done(0)
    dispose(*dialogs)


def type_japanese(widget: Any, text: str) -> None:
    event = QInputMethodEvent()
    event.setCommitString(text)
    QApplication.sendEvent(widget, event)


def open_capture(qtbot: Any, services: Services, opened: list[Any]) -> NoteCaptureDialog:
    dialog = NoteCaptureDialog(services)
    opened.append(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: not dialog.choices_job.running, timeout=15_000)
    return dialog


def test_a_failed_save_keeps_the_dialog_and_the_text(qtbot: Any, opened: list[Any], services: Services) -> None:
    dialog = open_capture(qtbot, services, opened)
    type_japanese(dialog.text, "制御文字\x01入り")  # the logbook refuses control characters
    dialog.save()
    qtbot.waitUntil(lambda: dialog.error.isVisible(), timeout=10_000)
    assert dialog.isVisible()
    assert "制御文字" in dialog.text.toPlainText()
    assert "保存できませんでした" in dialog.error.text()
    assert services.logbook.notes.count() == 0
    assert dialog.save_button.isEnabled()


def test_empty_text_is_not_saved(qtbot: Any, opened: list[Any], services: Services) -> None:
    dialog = open_capture(qtbot, services, opened)
    dialog.save()
    assert dialog.error.isVisible() and dialog.isVisible()


def test_escape_asks_before_discarding_typed_text(
    qtbot: Any, opened: list[Any], services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    dialog = open_capture(qtbot, services, opened)
    answers = [QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Discard]
    asked: list[str] = []

    def question(*args: Any, **kwargs: Any) -> QMessageBox.StandardButton:
        asked.append(args[1])
        return answers.pop(0)

    monkeypatch.setattr(QMessageBox, "question", question)
    type_japanese(dialog.text, "まだ途中")
    qtbot.keyClick(dialog.text, Qt.Key.Key_Escape)
    assert asked and dialog.isVisible()
    qtbot.keyClick(dialog.text, Qt.Key.Key_Escape)
    assert not dialog.isVisible()
    assert dialog.result() == 0

    empty = open_capture(qtbot, services, opened)
    qtbot.keyClick(empty.text, Qt.Key.Key_Escape)  # nothing typed: closes without asking
    assert len(asked) == 2 and not empty.isVisible()


def test_anonymous_note_keeps_no_speaker_and_hiyari_hatto_details_are_saved(qtbot: Any, opened: list[Any], services: Services) -> None:
    dialog = open_capture(qtbot, services, opened)
    type_japanese(dialog.text, "階段で滑りそうになった")
    type_japanese(dialog.speaker, "山田")
    dialog.anonymous.setChecked(True)
    dialog.details_toggle.setChecked(True)
    assert dialog.details.isVisible()
    type_japanese(dialog.cause, "床が濡れていた")
    type_japanese(dialog.consequence, "転倒・骨折")
    type_japanese(dialog.countermeasure, "マットを敷く")
    with qtbot.waitSignal(dialog.saved, timeout=10_000) as saved:
        dialog.save()
    note: Note = saved.args[0]
    stored = services.logbook.notes.get(note.id)
    assert stored is not None
    assert stored.anonymous and stored.speaker == ""
    assert (stored.cause, stored.consequence, stored.countermeasure) == ("床が濡れていた", "転倒・骨折", "マットを敷く")
    assert stored.category == "その他"


@pytest.mark.model
@pytest.mark.slow
def test_ai_suggestion_fills_only_what_the_user_left(qtbot: Any, opened: list[Any], services: Services, tiny_model: Path) -> None:
    services.runtime.load(tiny_model)
    assert services.runtime.wait_until_loaded(120)
    dialog = open_capture(qtbot, services, opened)
    type_japanese(dialog.text, "The air conditioner in meeting room B is broken and it is very hot.")
    dialog.severity.setFocus()
    qtbot.keyClick(dialog.severity, Qt.Key.Key_Down)  # the user picks 中 first
    assert common.combo_value(dialog.severity) == "中"
    dialog.request_suggestion()
    qtbot.waitUntil(lambda: dialog._suggest_job is None, timeout=120_000)
    assert common.combo_value(dialog.severity) == "中"  # never overridden
    assert dialog.category.currentText() in common.Choices().note_categories  # filled by the model
    assert "AI" in dialog.suggest_status.text()

    # With a model loaded, a pause in typing asks by itself (the pause timer's timeout, fired here).
    auto = open_capture(qtbot, services, opened)
    type_japanese(auto.text, "Water is leaking from the ceiling above the copier.")
    auto._pause.timeout.emit()
    assert auto._suggest_job is not None
    qtbot.waitUntil(lambda: auto._suggest_job is None, timeout=120_000)
    assert auto.category.currentIndex() >= 0
    assert common.combo_value(auto.severity) in common.SEVERITIES


def _known_places_and_departments(services: Services) -> None:
    book = services.logbook
    for place, department in (("会議室B", "営業部"), ("会議室A", "経理部"), ("本社3F 執務室", "総務部")):
        book.notes.add(Note(text="既存の記録", place=place, department=department))


@pytest.mark.model
@pytest.mark.slow
# typing into the department field opens its completion popup, which the offscreen platform cannot grab for
@pytest.mark.qt_log_ignore(r"This plugin does not support (propagateSizeHints|raise|activateWindow|grabbing the keyboard)")
def test_ai_suggestion_fills_place_and_department_from_the_text(
    qtbot: Any, opened: list[Any], services: Services, tiny_model: Path
) -> None:
    _known_places_and_departments(services)
    services.runtime.load(tiny_model)
    assert services.runtime.wait_until_loaded(120)
    dialog = open_capture(qtbot, services, opened)
    type_japanese(dialog.text, "3階の会議室Bが寒いと営業の人から")
    dialog.request_suggestion()
    qtbot.waitUntil(lambda: dialog._suggest_job is None, timeout=120_000)
    assert (dialog.place.currentText(), dialog.department.currentText()) == ("会議室B", "営業部")
    status = dialog.suggest_status.text()
    assert "場所：会議室B" in status and "部署：営業部" in status
    assert dialog.category.currentText() in common.Choices().note_categories  # the model's part still comes

    # What the user chose stays: the department typed before asking is kept, the place is still filled.
    chosen = open_capture(qtbot, services, opened)
    type_japanese(chosen.text, "3階の会議室Bが寒いと営業の人から")
    type_japanese(chosen.department.lineEdit(), "経理部")
    chosen.request_suggestion()
    qtbot.waitUntil(lambda: chosen._suggest_job is None, timeout=120_000)
    assert (chosen.place.currentText(), chosen.department.currentText()) == ("会議室B", "経理部")
    assert "部署：" not in chosen.suggest_status.text()
    saved: list[Any] = []
    chosen.saved.connect(saved.append)
    chosen.save()
    qtbot.waitUntil(lambda: bool(saved), timeout=15_000)
    assert (saved[0].place, saved[0].department) == ("会議室B", "経理部")


def test_without_a_model_place_and_department_still_come_from_the_text(
    qtbot: Any, opened: list[Any], services: Services
) -> None:
    _known_places_and_departments(services)
    dialog = open_capture(qtbot, services, opened)
    qtbot.waitUntil(lambda: dialog.place.count() == 3, timeout=5_000)  # the known lists have arrived
    type_japanese(dialog.text, "3階の会議室Bが寒いと営業の人から")
    dialog.request_suggestion()
    assert (dialog.place.currentText(), dialog.department.currentText()) == ("会議室B", "営業部")
    assert "モデル" in dialog.suggest_status.text() and "会議室B" in dialog.suggest_status.text()
    assert dialog.category.currentIndex() == -1


def test_ai_suggestion_without_a_model_says_so(qtbot: Any, opened: list[Any], services: Services) -> None:
    dialog = open_capture(qtbot, services, opened)
    type_japanese(dialog.text, "照明が暗い")
    dialog.request_suggestion()
    assert "モデル" in dialog.suggest_status.text()
    assert dialog.category.currentIndex() == -1


def test_inquiry_form_prefilled_from_the_answer_page_and_saved(qtbot: Any, opened: list[Any], services: Services) -> None:
    services.settings.logbook.staff_name = "佐藤"
    prefill = {
        "question": "慶弔休暇は何日？",
        "answer": "結婚の場合は5日です [1]。",
        "sources": [
            {"path": "/kb/慶弔見舞金規程.md", "title": "慶弔見舞金規程", "location": "第5条"},
            {"path": "/kb/就業規則.pdf", "title": "就業規則", "location": "p.12"},
        ],
        "channel": "メール",
        "minutes": 4,
    }
    dialog = InquiryFormDialog(services, None, prefill)
    opened.append(dialog)
    dialog.show()
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow, timeout=5_000)  # shortcuts work in the active window
    qtbot.waitUntil(lambda: not dialog.choices_job.running, timeout=15_000)
    assert dialog.question.toPlainText() == "慶弔休暇は何日？"
    assert common.combo_value(dialog.channel) == "メール"
    assert dialog.minutes.value() == 4
    assert dialog.staff.text() == "佐藤"
    assert dialog.sources.count() == 2
    dialog.sources.setCurrentRow(1)
    dialog.remove_source.click()
    assert dialog.sources.count() == 1
    type_japanese(dialog.department.lineEdit(), "営業部")
    dialog.category.setCurrentText("慶弔・福利厚生")
    with qtbot.waitSignal(dialog.saved, timeout=10_000) as saved:
        qtbot.keyClick(dialog.answer, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    inquiry: Inquiry = saved.args[0]
    stored = services.logbook.inquiries.get(inquiry.id)
    assert stored is not None
    assert stored.question == "慶弔休暇は何日？" and stored.answer.startswith("結婚の場合")
    assert [(s.title, s.location) for s in stored.sources] == [("慶弔見舞金規程", "第5条")]
    assert (stored.channel, stored.department, stored.minutes, stored.staff) == ("メール", "営業部", 4, "佐藤")
    assert stored.category == "慶弔・福利厚生"
    assert stored.status == "解決"


def test_inquiry_form_needs_a_question(qtbot: Any, opened: list[Any], services: Services) -> None:
    dialog = InquiryFormDialog(services, None, None)
    opened.append(dialog)
    dialog.show()
    dialog.save()
    assert dialog.error.isVisible() and dialog.isVisible()
    assert dialog.sources_row.isHidden()


def test_english_mode_has_a_translation_for_every_string(qtbot: Any, opened: list[Any], services: Services) -> None:
    from ui.pages.inquiries import InquiriesPage
    from ui.pages.insights import InsightsPage
    from ui.pages.notes import NotesPage

    book = services.logbook
    note = book.notes.add(Note(text="x", place="倉庫", due_date="2000-01-01"))
    book.notes.add_followup(note.id, __import__("desktop.logbook", fromlist=["FollowUp"]).FollowUp(text="y"))
    book.inquiries.add(Inquiry(question="q", rating="Bad", minutes=3))
    book.inquiries.add(Inquiry(question="q", rating="Good", status="要対応"))
    book.searchlog.record("nothing", 0)
    before = i18n.missing()
    i18n.set_language("en")
    try:
        pages: list[Any] = [NotesPage(services), InquiriesPage(services), InsightsPage(services)]
        opened.extend(pages)
        for page in pages:
            page.show()
            page.activated()
        qtbot.waitUntil(lambda: all(p.model.total() for p in pages[:2]) and pages[2].data is not None, timeout=20_000)
        for page in pages[:2]:
            for row in range(page.model.rowCount()):
                for col in range(page.model.columnCount()):
                    page.model.data(page.model.index(row, col))
            for i in range(page.model.columnCount()):
                page.model.headerData(i, Qt.Orientation.Horizontal)
        for status in ("期限切れ", "未完了"):
            common.select_value(pages[0].status, status)
        pages[2].copy_unanswered()
        capture = open_capture(qtbot, services, opened)
        capture.request_suggestion()
        capture.save()
        form = InquiryFormDialog(services, None, {"question": "q", "sources": [{"path": "/a.pdf"}]})
        opened.append(form)
        form.save()
        assert pages[1].model.data(pages[1].model.index(0, 1)) in ("Phone", "In person", "Email", "Chat", "Other")
    finally:
        i18n.set_language("ja")
    assert i18n.missing() - before == set()
