"""分析 page: charts drawn from records seeded through the logbook API, the review lists, copy/export,
the monthly report, and periods that follow the fiscal-year setting."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication

import ui.dialogs as common
from desktop.logbook import Inquiry, Note
from desktop.services import Services
from tests.ui.helpers import dispose
from ui.pages.insights import InsightsPage, resolve_period

pytestmark = pytest.mark.qt_log_ignore("propagateSizeHints")




def cell(table: Any, row: int, column: int) -> str:
    item = table.item(row, column)
    assert item is not None
    return str(item.text())


def today_at(hour: int) -> str:
    return f"{date.today().isoformat()}T{hour:02d}:00:00"


def seed(services: Services) -> None:
    book = services.logbook
    for i, (place, category, status) in enumerate([
        ("会議室B", "空調・照明・騒音", "新規"),
        ("会議室B", "空調・照明・騒音", "対応済"),
        ("倉庫", "安全・防災", "対応中"),
        ("給湯室", "設備・備品", "見送り"),
    ]):
        book.notes.add(Note(text=f"声{i}", place=place, category=category, status=status, occurred_at=today_at(9)))
    for channel in ("電話", "電話", "メール"):
        book.inquiries.add(Inquiry(question="慶弔休暇は何日ですか？", channel=channel, category="慶弔・福利厚生",
                                   minutes=5, occurred_at=today_at(10)))
    book.inquiries.add(Inquiry(question="社用車の予約", channel="対面", category="施設・設備", rating="Bad",
                               rating_reason="古い規程を引用した", occurred_at=today_at(11)))
    book.searchlog.record("社員食堂のメニュー", 0)
    book.searchlog.record("社員食堂のメニュー", 0)
    book.searchlog.record("駐輪場の申請", 4, kind="ask", grounded=False)
    book.searchlog.record("慶弔休暇", 6)


@pytest.fixture
def page(qtbot: Any, services: Services) -> Iterator[InsightsPage]:
    p = InsightsPage(services)
    qtbot.addWidget(p)
    p.resize(1280, 900)
    p.show()
    yield p
    dispose(p)


def test_charts_and_review_lists_from_the_logbook(qtbot: Any, page: InsightsPage, services: Services,
                                                   tmp_path: Path) -> None:
    seed(services)
    with qtbot.waitSignal(page.refreshed, timeout=20_000):
        page.activated()
    data = page.data
    assert data is not None
    assert data.notes_total == 4 and data.inquiries_total == 4
    for chart in page.charts:
        assert not chart.is_empty(), chart.title_label.text()
        assert chart.series_count() >= 1
    # one stacked set per category seen, in the logbook's category order
    assert page.chart_categories.bar_set_names() == ["設備・備品", "空調・照明・騒音", "安全・防災"]
    assert page.chart_open_done.bar_set_names() == ["未完了", "完了"]
    assert page.kpis["notes"].text() == "4 件"
    assert page.kpis["open"].text() == "2 件"
    assert not page.hint.isVisible()

    assert cell(page.repeated, 0, 0) == "慶弔休暇は何日ですか？"
    assert cell(page.repeated, 0, 1) == "3"
    assert cell(page.repeated, 0, 2).startswith(date.today().isoformat())
    unanswered = [cell(page.unanswered, r, 0) for r in range(page.unanswered.rowCount())]
    assert unanswered == ["社員食堂のメニュー", "駐輪場の申請"]  # zero-hit and not grounded, most asked first
    assert "慶弔休暇" not in unanswered
    assert cell(page.bad, 0, 2) == "社用車の予約"
    assert cell(page.bad, 0, 3) == "古い規程を引用した"

    text = page.copy_unanswered()
    assert "社員食堂のメニュー（2回）" in text
    assert QApplication.clipboard().text() == text

    csv_path = tmp_path / "unanswered.csv"
    page.export_unanswered(csv_path)
    qtbot.waitUntil(csv_path.exists, timeout=10_000)
    assert csv_path.read_bytes().startswith(b"\xef\xbb\xbf")
    assert "駐輪場の申請" in csv_path.read_text(encoding="utf-8-sig")

    report = tmp_path / "report.md"
    page.write_report_to(report)
    qtbot.waitUntil(lambda: report.exists() and page.report_button.isEnabled(), timeout=20_000)
    assert "月次報告" in report.read_text(encoding="utf-8")


def test_empty_period_shows_a_guide_and_empty_charts(qtbot: Any, page: InsightsPage, services: Services) -> None:
    seed(services)
    with qtbot.waitSignal(page.refreshed, timeout=20_000):
        page.activated()
    with qtbot.waitSignal(page.refreshed, timeout=20_000):
        common.select_value(page.period, "previous-fy")
    assert page.hint.isVisible() and "Ctrl+Shift+N" in page.hint.text()
    assert all(chart.is_empty() for chart in page.charts)
    assert "ありません" in cell(page.unanswered, 0, 0)


def test_periods_follow_the_fiscal_year_setting() -> None:
    today = date(2026, 2, 10)
    april = resolve_period("fy", 4, "", today)
    assert (april.start, april.end) == (date(2025, 4, 1), date(2026, 4, 1))
    january = resolve_period("fy", 1, "", today)
    assert (january.start, january.end) == (date(2026, 1, 1), date(2027, 1, 1))
    previous = resolve_period("previous-fy", 10, "", today)
    assert (previous.start, previous.end) == (date(2024, 10, 1), date(2025, 10, 1))
    last12 = resolve_period("12m", 4, "", today)
    assert (last12.start, last12.end) == (date(2025, 3, 1), date(2026, 3, 1))
    assert len(last12.months()) == 12
    month = resolve_period("month", 4, "2026-01", today)
    assert (month.start, month.end) == (date(2026, 1, 1), date(2026, 2, 1))
