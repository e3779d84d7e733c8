"""プロンプト集 page: the real encrypted logbook in the temp data home, the starter set, editing, search and
tags, sharing through a file, copying without a model, and one streamed run of the real tiny model."""

from __future__ import annotations

import ast
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMessageBox

from desktop.logbook import Prompt
from desktop.prompt_share import starter_prompts
from desktop.services import Services
from ui import catalog_prompts, i18n
from ui.pages.prompts import PromptsPage

pytestmark = pytest.mark.qt_log_ignore("propagateSizeHints")

PAGE_SOURCES = sorted((Path(__file__).resolve().parents[2] / "ui" / "pages" / "prompts").glob("*.py"))


@pytest.fixture
def page(qtbot: Any, services: Services) -> Iterator[PromptsPage]:
    services.settings.logbook.staff_name = "総務部 山田"
    p = PromptsPage(services)
    qtbot.addWidget(p)
    p.resize(1280, 800)
    p.show()
    yield p
    p.teardown()


def load(qtbot: Any, page: PromptsPage) -> None:
    with qtbot.waitSignal(page.loaded, timeout=20_000):
        page.activated()


def titles(page: PromptsPage) -> list[str]:
    return [p.title for p in page.prompts]


def row_text(page: PromptsPage, i: int) -> str:
    """What the list row says (its accessible text: the title, then the line the delegate paints)."""
    return str(page.list.item(i).data(Qt.ItemDataRole.AccessibleTextRole))


def test_empty_library_offers_the_starter_set(qtbot: Any, page: PromptsPage, services: Services) -> None:
    load(qtbot, page)
    assert page.list_stack.currentWidget() is page.empty
    assert "まだ空" in page.empty_label.text()
    assert page.starter_button.isVisible() and page.empty_new_button.isVisible()
    assert page.detail_stack.currentIndex() == 0  # a hint, not an empty editor

    with qtbot.waitSignal(page.loaded, timeout=20_000):
        qtbot.mouseClick(page.starter_button, Qt.MouseButton.LeftButton)
    n = len(starter_prompts())
    assert page.list.count() == n
    assert f"{n} 件追加" in page.status_label.text()
    assert page.list_stack.currentWidget() is page.list
    assert page.current is not None and page.current.id == page.prompts[0].id  # the first is selected
    assert page.tag_filter.count() > 1

    # Adding it again adds nothing twice.
    with qtbot.waitSignal(page.loaded, timeout=20_000):
        page.add_starter_set()
    assert "追加済み" in page.status_label.text()
    assert len(services.logbook.prompts.list()) == n


def test_new_save_edit_and_delete(qtbot: Any, page: PromptsPage, services: Services) -> None:
    load(qtbot, page)
    page.new_prompt()
    assert page.tabs.currentIndex() == 1 and not page.tabs.isTabEnabled(0)
    assert page.author_edit.text() == "総務部 山田"  # the staff name from the settings

    qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)  # nothing typed yet
    assert "題名と本文" in page.edit_status.text()
    assert services.logbook.prompts.list() == []

    page.title_edit.setText("お礼状の下書き")
    page.text_edit.setPlainText("次の件のお礼状を書いてください:\n")
    page.text_edit.moveCursor(page.text_edit.textCursor().MoveOperation.End)
    qtbot.mouseClick(page.insert_placeholder_button, Qt.MouseButton.LeftButton)
    page.tags_edit.setText("手紙、お礼")
    with qtbot.waitSignal(page.saved, timeout=20_000) as saved:
        qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    stored = services.logbook.prompts.get(saved.args[0])
    assert stored is not None
    assert (stored.title, stored.author, stored.tags) == ("お礼状の下書き", "総務部 山田", ["手紙", "お礼"])
    assert stored.text == "次の件のお礼状を書いてください:\n{入力}"
    qtbot.waitUntil(lambda: page.list.count() == 1, timeout=20_000)
    assert page.current is not None and page.current.id == stored.id
    assert page.tabs.isTabEnabled(0)

    page.text_edit.setPlainText("次の件のお礼状を短く書いてください:\n{入力}")
    with qtbot.waitSignal(page.loaded, timeout=20_000):
        qtbot.keyClick(page.text_edit, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert services.logbook.prompts.get(stored.id).text.startswith("次の件のお礼状を短く")  # type: ignore[union-attr]
    assert len(services.logbook.prompts.list()) == 1  # updated, not added

    page.ask_delete()
    box = page.confirm_box
    assert isinstance(box, QMessageBox) and "お礼状の下書き" in box.text()
    cancel = next(b for b in box.buttons() if b.text() == "キャンセル")
    cancel.click()
    assert services.logbook.prompts.get(stored.id) is not None  # cancel keeps it

    page.ask_delete()
    box = page.confirm_box
    assert box is not None
    delete = next(b for b in box.buttons() if b.text() == "削除")
    with qtbot.waitSignal(page.loaded, timeout=20_000):
        delete.click()
    assert services.logbook.prompts.list() == []
    assert page.list_stack.currentWidget() is page.empty
    assert page.current is None and page.detail_stack.currentIndex() == 0


def test_best_first_search_and_tag_filter(qtbot: Any, page: PromptsPage, services: Services) -> None:
    book = services.logbook
    mail = book.prompts.add(Prompt(title="回答メール", text="メールに: {入力}", author="佐藤", tags=["メール"]))
    faq = book.prompts.add(Prompt(title="FAQ案", text="FAQ を作る: {入力}", author="山田", tags=["FAQ", "規程"]))
    rule = book.prompts.add(Prompt(title="規程の説明", text="3行で説明: {入力}", tags=["規程"]))
    for _ in range(3):
        book.prompts.use(mail.id)
    book.prompts.rate(faq.id, 5)
    book.prompts.rate(faq.id, 4)
    load(qtbot, page)
    assert titles(page) == ["FAQ案", "回答メール", "規程の説明"]  # rated first, then most used
    first, second = row_text(page, 0), row_text(page, 1)
    assert first == "FAQ案 — ★ 4.5（2件） · 0 回使用 · #FAQ #規程 · 山田"
    assert "3 回使用" in second and "未評価" in second

    with qtbot.waitSignal(page.loaded, timeout=20_000):
        page.search.setText("メール")
    assert titles(page) == ["回答メール"]
    with qtbot.waitSignal(page.loaded, timeout=20_000):
        page.search.setText("存在しない言葉")
    assert page.list_stack.currentWidget() is page.empty
    assert "条件に合うプロンプトはありません" in page.empty_label.text()
    assert not page.starter_button.isVisible()  # a filtered-empty list is not an empty library

    with qtbot.waitSignal(page.loaded, timeout=20_000):
        page.search.clear()
    assert [page.tag_filter.itemData(i) for i in range(page.tag_filter.count())][:2] == ["", "規程"]  # by use
    with qtbot.waitSignal(page.loaded, timeout=20_000):
        page.tag_filter.setCurrentIndex(page.tag_filter.findData("規程"))
    assert titles(page) == ["FAQ案", "規程の説明"]
    assert rule.id in {p.id for p in page.prompts}


def test_without_a_model_copy_the_template(qtbot: Any, page: PromptsPage, services: Services) -> None:
    p = services.logbook.prompts.add(Prompt(title="チャット文面", text="やさしく書き直して:\n{入力}\n以上"))
    load(qtbot, page)
    assert services.runtime.state == "none"
    assert not page.run_button.isEnabled()
    assert page.model_hint.isVisible() and "AIモデルが読み込まれていません" in page.model_hint.text()
    assert page.copy_template_button.isEnabled()

    page.input_box.setFocus()
    qtbot.keyClick(page.input_box, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)  # Ctrl+Enter runs
    assert "先に文章を貼り付けてください" in page.run_status.text()  # nothing pasted yet: say so, run nothing

    page.input_box.setPlainText("会議室Aは明日使えません。")
    qtbot.mouseClick(page.copy_template_button, Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == "やさしく書き直して:\n会議室Aは明日使えません。\n以上"
    qtbot.waitUntil(lambda: services.logbook.prompts.get(p.id).uses == 1, timeout=20_000)  # type: ignore[union-attr]
    qtbot.waitUntil(lambda: "1 回使用" in page.use_meta.text(), timeout=20_000)

    page.run_ai()  # the button is disabled; the shortcut path must not start anything either
    assert page._run_job is None
    assert not any(star.isEnabled() for star in page.star_buttons)


def test_share_through_a_file(qtbot: Any, page: PromptsPage, services: Services, tmp_path: Path) -> None:
    book = services.logbook
    a = book.prompts.add(Prompt(title="A の依頼", text="a {入力}", author="山田"))
    book.prompts.add(Prompt(title="B の依頼", text="b {入力}", author="佐藤"))
    load(qtbot, page)
    path = tmp_path / "共有" / "プロンプト集.json"
    path.parent.mkdir()
    with qtbot.waitSignal(page.shared, timeout=20_000) as done:
        page.export_to(path)
    assert "2 件を書き出しました" in done.args[0]
    assert len(json.loads(path.read_text(encoding="utf-8"))["prompts"]) == 2

    book.prompts.delete(a.id)
    with qtbot.waitSignal(page.loaded, timeout=20_000):
        page.import_from(path)
    assert "追加 1 件" in page.status_label.text() and "変更なし 1 件" in page.status_label.text()
    assert sorted(titles(page)) == ["A の依頼", "B の依頼"]

    bad = tmp_path / "bad.json"
    bad.write_text("{ これは JSON ではない", encoding="utf-8")
    with qtbot.waitSignal(page.shared, timeout=20_000) as failed:
        page.import_from(bad)
    assert "何も変更していません" in failed.args[0] and "JSON" in failed.args[0]
    assert page.status_label.objectName() == "error"
    assert len(book.prompts.list()) == 2


def test_english_catalogue_covers_the_page(qtbot: Any, services: Services) -> None:
    # Every literal the page passes to t() has an English text.
    trees = [ast.parse(path.read_text(encoding="utf-8")) for path in PAGE_SOURCES]
    literals = {
        node.args[0].value
        for tree in trees
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "t"
        and node.args and isinstance(node.args[0], ast.Constant)
    }
    untranslated = sorted(str(x) for x in literals - set(catalog_prompts.CATALOG))
    assert literals and not untranslated, untranslated

    # And the page, used in English, asks for nothing the catalogue lacks.
    before = i18n.missing()
    i18n.set_language("en")
    page = PromptsPage(services)
    qtbot.addWidget(page)
    page.show()
    load(qtbot, page)
    assert page.title == "Prompt library"
    with qtbot.waitSignal(page.loaded, timeout=20_000):
        page.add_starter_set()
    page.refresh_model_state()
    page.copy_template()
    page.new_prompt()
    page.save()
    page.teardown()
    assert i18n.missing() - before == set()
    assert "No AI model is loaded." in page.model_hint.text()


@pytest.mark.model
def test_run_streams_off_the_ui_thread_then_rate(
    qtbot: Any, page: PromptsPage, services: Services, tiny_model: Path
) -> None:
    services.reload_model(tiny_model)
    assert services.runtime.wait_until_loaded(120), services.runtime.error
    book = services.logbook
    p = book.prompts.add(Prompt(title="Short reply", text="Answer in one short sentence: {入力}"))
    load(qtbot, page)
    page.refresh_model_state()
    assert page.run_button.isEnabled() and not page.model_hint.isVisible()
    page.max_tokens = 12

    page.input_box.setPlainText("What colour is the sky?")
    page.run_ai()
    # The call returned at once: the run is in flight and nothing was delivered yet (tokens arrive
    # only through the event loop, from the worker thread).
    state = page.run_state
    assert state.running and state.text == "" and page.output.toPlainText() == ""
    assert page.stop_button.isEnabled() and not page.run_button.isEnabled()
    with qtbot.waitSignal(page.runFinished, timeout=120_000):
        pass
    assert state.finished and not state.cancelled and not state.failed
    assert state.text.strip() and page.output.toPlainText() == state.text
    assert state.filled == "Answer in one short sentence: What colour is the sky?"
    qtbot.waitUntil(lambda: book.prompts.get(p.id).uses == 1, timeout=20_000)  # type: ignore[union-attr]

    assert all(star.isEnabled() for star in page.star_buttons)
    qtbot.mouseClick(page.star_buttons[3], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: book.prompts.get(p.id).rating_count == 1, timeout=20_000)  # type: ignore[union-attr]
    assert book.prompts.get(p.id).rating == 4  # type: ignore[union-attr]
    assert [s.text() for s in page.star_buttons] == ["★", "★", "★", "★", "☆"]
    assert not any(star.isEnabled() for star in page.star_buttons)  # one rating per run
    qtbot.waitUntil(lambda: "★ 4.0（1件）" in page.use_meta.text(), timeout=20_000)

    qtbot.mouseClick(page.copy_button, Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == state.text.strip()

    # 停止 right after the start: the cancel event reaches the runtime, the run ends as stopped.
    page.max_tokens = 200
    page.run_ai()
    second = page.run_state
    with qtbot.waitSignal(page.runFinished, timeout=120_000):
        qtbot.mouseClick(page.stop_button, Qt.MouseButton.LeftButton)
    assert second.cancelled and "停止しました" in page.run_status.text()
    assert not page.stop_button.isEnabled() and page.run_button.isEnabled()
    qtbot.waitUntil(lambda: book.prompts.get(p.id).uses == 2, timeout=20_000)  # type: ignore[union-attr]


def test_unsaved_edits_are_not_lost_when_switching(qtbot: Any, page: PromptsPage, services: Services) -> None:
    book = services.logbook
    first = book.prompts.add(Prompt(title="一つ目", text="1 {入力}"))
    book.prompts.use(first.id)  # listed first
    second = book.prompts.add(Prompt(title="二つ目", text="2 {入力}"))
    load(qtbot, page)
    assert page.current is not None and page.current.id == first.id
    assert not page.editor_dirty()

    page.tabs.setCurrentIndex(1)
    page.title_edit.setText("一つ目（改）")
    assert page.editor_dirty()
    page.list.setCurrentRow(1)  # the user clicks the other prompt
    box = page.confirm_box
    assert isinstance(box, QMessageBox) and "一つ目（改）" in box.text()
    assert page.current.id == first.id and page.title_edit.text() == "一つ目（改）"  # nothing changed yet
    next(b for b in box.buttons() if b.text() == "保存しない").click()
    assert page.current.id == second.id and page.title_edit.text() == "二つ目"
    assert book.prompts.get(first.id).title == "一つ目"  # type: ignore[union-attr]

    page.text_edit.setPlainText("2 を丁寧に {入力}")
    page.list.setCurrentRow(0)
    box = page.confirm_box
    assert box is not None
    with qtbot.waitSignal(page.saved, timeout=20_000):
        next(b for b in box.buttons() if b.text() == "保存").click()
    assert book.prompts.get(second.id).text == "2 を丁寧に {入力}"  # type: ignore[union-attr]
    assert page.current is not None and page.current.id == first.id

    # 新規 over a half-written new prompt asks too; キャンセル keeps what was typed.
    page.new_prompt()
    page.title_edit.setText("書きかけ")
    page.new_prompt()
    box = page.confirm_box
    assert box is not None
    next(b for b in box.buttons() if b.text() == "キャンセル").click()
    assert page.title_edit.text() == "書きかけ" and page.tabs.currentIndex() == 1


def test_a_run_holds_the_background_embedding_back(
    qtbot: Any, page: PromptsPage, services: Services, tiny_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While the local model writes for the person at the desk, Services.answering is held (the embedding pass
    waits between batches); released when the run ends."""
    services.reload_model(tiny_model)
    assert services.runtime.wait_until_loaded(120), services.runtime.error
    services.logbook.prompts.add(Prompt(title="Short reply", text="Answer in one short sentence: {入力}"))
    load(qtbot, page)
    page.refresh_model_state()
    page.max_tokens = 8
    seen: list[bool] = []
    real_chat = services.runtime.chat

    def chat(*args: Any, **kwargs: Any) -> Any:
        stream = real_chat(*args, **kwargs)
        for piece in stream:
            seen.append(services.busy_answering)
            yield piece

    monkeypatch.setattr(services.runtime, "chat", chat)
    page.input_box.setPlainText("What colour is the sky?")
    with qtbot.waitSignal(page.runFinished, timeout=120_000):
        page.run_ai()
    assert seen and all(seen)
    qtbot.waitUntil(lambda: not services.busy_answering, timeout=5_000)
