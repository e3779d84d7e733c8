"""問い合わせ page: the table over the real logbook, filters, closing edits, a new inquiry, export."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

import ui.dialogs as common
from desktop.logbook import Inquiry, Source
from desktop.services import Services
from tests.ui.helpers import dispose
from ui.pages.inquiries import InquiriesPage

pytestmark = pytest.mark.qt_log_ignore("propagateSizeHints")




@pytest.fixture
def page(qtbot: Any, services: Services) -> Iterator[InquiriesPage]:
    p = InquiriesPage(services)
    qtbot.addWidget(p)
    p.resize(1280, 800)
    p.show()
    yield p
    dispose(p)


def current(page: Any) -> Any:
    record = page.current_record()
    assert record is not None
    return record


def today_at(hour: int) -> str:
    return f"{date.today().isoformat()}T{hour:02d}:00:00"


def seed(services: Services) -> list[Inquiry]:
    book = services.logbook
    return [
        book.inquiries.add(Inquiry(question="慶弔休暇は何日？", channel="電話", department="営業部",
                                   category="慶弔・福利厚生", minutes=3, occurred_at=today_at(9),
                                   sources=[Source("/kb/慶弔.md", "慶弔見舞金規程", "第5条")])),
        book.inquiries.add(Inquiry(question="タクシー代は精算できる？", channel="メール", department="開発部",
                                   category="経費精算", status="要対応", occurred_at=today_at(10))),
        book.inquiries.add(Inquiry(question="会議室の予約方法", channel="対面", category="施設・設備",
                                   status="保留", rating="Bad", occurred_at=today_at(11))),
    ]


def load(qtbot: Any, page: InquiriesPage) -> None:
    with qtbot.waitSignal(page.loaded, timeout=15_000):
        page.activated()


def test_empty_state_guides(qtbot: Any, page: InquiriesPage) -> None:
    load(qtbot, page)
    assert page.table_stack.currentWidget() is page.empty
    assert "問い合わせとして記録" in page.empty.text()


def test_table_filters_and_closing_edit(qtbot: Any, page: InquiriesPage, services: Services) -> None:
    first, second, _third = seed(services)
    load(qtbot, page)
    assert page.model.total() == 3
    headers = [page.model.headerData(i, Qt.Orientation.Horizontal) for i in range(page.model.columnCount())]
    assert headers == ["日時", "経路", "部署", "質問", "分類", "状態", "対応時間", "評価"]
    assert page.model.data(page.model.index(0, 7)) == "悪い"  # newest first: the Bad-rated one

    def questions() -> set[str]:
        return {q.question for q in page.model.rows()}

    with qtbot.waitSignal(page.loaded, timeout=10_000):
        common.select_value(page.status, "要対応")
    assert questions() == {"タクシー代は精算できる？"}
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        common.select_value(page.status, "")
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        common.select_value(page.channel, "電話")
    assert questions() == {"慶弔休暇は何日？"}
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        common.select_value(page.channel, "")
    qtbot.waitUntil(lambda: page.category.count() > 1, timeout=10_000)
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        common.select_value(page.category, "経費精算")
    assert questions() == {"タクシー代は精算できる？"}

    # Close it: category at closing, resolution, status, rating.
    assert page.current_id() == second.id
    detail = page.detail_panel
    qtbot.waitUntil(lambda: detail.closing_category.findText("規程・制度") >= 0, timeout=10_000)
    detail.closing_category.setCurrentText("規程・制度")
    common.select_value(detail.resolution, "規程改訂へ")
    common.select_value(detail.status, "解決")
    common.select_value(detail.rating, "Good")
    detail.minutes.setValue(12)
    detail.request_save()
    qtbot.waitUntil(lambda: current(page).status == "解決", timeout=10_000)
    stored = services.logbook.inquiries.get(second.id)
    assert stored is not None
    assert (stored.category, stored.closing_category) == ("経費精算", "規程・制度")
    assert (stored.resolution, stored.status, stored.rating, stored.minutes) == ("規程改訂へ", "解決", "Good", 12)
    assert page.model.data(page.model.index(0, 4)) == "規程・制度"  # the category that counts


def test_new_inquiry_from_the_page(qtbot: Any, page: InquiriesPage, services: Services) -> None:
    load(qtbot, page)
    dialog = page.open_form({"question": "住所変更の手続きは？", "channel": "チャット", "minutes": 2})
    qtbot.waitUntil(lambda: not dialog.choices_job.running, timeout=15_000)
    with qtbot.waitSignal(page.loaded, timeout=15_000):
        dialog.save()
    assert page.model.total() == 1
    assert current(page).question == "住所変更の手続きは？"
    assert page.model.data(page.model.index(0, 1)) == "チャット"
    assert page.model.data(page.model.index(0, 6)) == "2 分"


def test_export_writes_the_rows_shown_off_the_ui_thread(
    qtbot: Any, page: InquiriesPage, services: Services, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(services)
    load(qtbot, page)
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        common.select_value(page.status, "解決")
    threads: list[threading.Thread] = []
    real_export = common.export_records

    def spy(*args: Any, **kwargs: Any) -> Any:
        threads.append(threading.current_thread())
        return real_export(*args, **kwargs)

    monkeypatch.setattr(common, "export_records", spy)
    out = tmp_path / "inquiries.csv"
    page.export_to(out, "csv")
    qtbot.waitUntil(lambda: page.export_button.isEnabled() and out.exists(), timeout=15_000)
    assert threads[0] is not threading.main_thread()
    text = out.read_bytes().decode("utf-8-sig")
    assert "慶弔休暇は何日？" in text and "タクシー代" not in text
    assert "慶弔見舞金規程" in text  # sources travel with the record


def test_a_cited_source_opens_at_its_passage(
    qtbot: Any, page: InquiriesPage, services: Services, tmp_path: Path
) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    rule = docs / "慶弔見舞金規程.md"
    rule.write_text("# 慶弔見舞金規程\n\n## 第5条（慶弔休暇）\n本人が結婚するときは5日の慶弔休暇を与える。\n", encoding="utf-8")
    for _ in services.kb.index(folders=[docs]):
        pass
    hit = services.kb.search("慶弔休暇 結婚", k=1)[0]
    services.logbook.inquiries.add(Inquiry(question="結婚したら慶弔休暇は何日？", occurred_at=today_at(9),
                                           sources=[Source(hit.path, hit.title, hit.location)]))
    load(qtbot, page)
    item = page.detail_panel.sources.item(0)
    assert item is not None
    page.detail_panel.sources.itemActivated.emit(item)
    qtbot.waitUntil(lambda: page.viewer is not None and page.viewer.isVisible(), timeout=15_000)
    assert page.viewer.ref.path == hit.path
    assert "5日の慶弔休暇" in page.viewer.text_view.toPlainText()
    page.viewer.close()
