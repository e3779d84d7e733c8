"""分析 page, "AIの読み取り" panel: themes, recurring issues, FAQ candidates (edit, export), the cited narrative
(edit, check, into the monthly report) and questions to the logbook, on the planted logbook."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from benchmarks.planted_logbook import planted
from desktop.services import Services
from tests.ui.helpers import dispose
from ui import i18n
from ui.pages.insights import InsightsPage

pytestmark = pytest.mark.qt_log_ignore("propagateSizeHints")


def seed(services: Services) -> None:
    planted().load_into(services.logbook)


@pytest.fixture
def page(qtbot: Any, services: Services) -> Iterator[InsightsPage]:
    seed(services)
    p = InsightsPage(services)
    qtbot.addWidget(p)
    p.resize(1280, 900)
    p.month.setDate(p.month.date().fromString("2026-11", "yyyy-MM"))
    p.show()
    with qtbot.waitSignal(p.reading.ready, timeout=60_000):
        p.activated()
    yield p
    dispose(p)


def test_themes_recurring_and_faq_are_shown(qtbot: Any, page: InsightsPage, tmp_path: Path) -> None:
    r = page.reading
    assert r.themes_table.rowCount() == len(r.reading.themes) >= 5
    assert "件" in r.status.text()
    first = r.reading.themes[0]
    assert r.themes_table.item(0, 0).text() == first.label
    assert f"#{first.ids[0][:8]}" in r.theme_detail.text()  # the records, as links
    with qtbot.waitSignal(r.open_record, timeout=2_000) as opened:
        r._link(f"note:{first.ids[0]}")
    assert opened.args[1] == first.ids[0]
    assert r.recurring_model.rowCount() == len(r.reading.recurring) >= 5
    assert r.recurring_model.text(0, 0) == r.reading.recurring[0].place
    assert r.faq_table.rowCount() == len(r.reading.faq) >= 3

    r.faq_table.item(0, 2).setText("毎月末締め・翌月10日まで（編集済み）")  # staff edit the draft answer
    sheet = tmp_path / "kb" / "FAQ.xlsx"
    sheet.parent.mkdir()
    job = r.export_faq(sheet)
    qtbot.waitUntil(lambda: not job.running, timeout=10_000)
    rows = list(load_workbook(sheet)["FAQ"].iter_rows(values_only=True))
    assert any(row[3] == "毎月末締め・翌月10日まで（編集済み）" for row in rows[1:])


def test_narrative_edit_is_checked_and_goes_into_the_report(qtbot: Any, page: InsightsPage, tmp_path: Path) -> None:
    r = page.reading
    text = r.narrative_edit.toPlainText()
    assert text.count("・") >= 3 and "[T" in text
    assert "2026-11" in r.narrative_hint.text()
    r.narrative_edit.setPlainText(text + "\n・会議室の苦情は99件でした [T1]")
    assert "99" in r.narrative_check.text() and "⚠" in r.narrative_check.text()
    r.narrative_edit.setPlainText(text + "\n・会議室の件は引き続き見ていきます [T1]")
    assert "✓" in r.narrative_check.text()
    report = tmp_path / "report.md"
    page.write_report_to(report, "2026-11")
    qtbot.waitUntil(lambda: report.exists() and page.report_button.isEnabled(), timeout=20_000)
    assert "会議室の件は引き続き見ていきます [T1]" in report.read_text(encoding="utf-8")


def test_ask_the_logbook_from_the_page(qtbot: Any, page: InsightsPage) -> None:
    r = page.reading
    r.ask_edit.setText("大阪営業所で未対応のものは？")
    r.ask()
    qtbot.waitUntil(lambda: r.ask_table.rowCount() > 0, timeout=10_000)
    assert "件" in r.ask_answer.text() and "#" in r.ask_answer.text()
    assert all(r.ask_table.item(i, 3).text() == "大阪営業所" for i in range(r.ask_table.rowCount()))
    with qtbot.waitSignal(r.open_record, timeout=2_000) as opened:
        r._ask_row_opened(0, 0)
    assert opened.args[1] == r.last_answer.ids[0]
    r.ask_edit.setText("来年の予算はいくら？")
    r.ask()
    qtbot.waitUntil(lambda: r.ask_table.rowCount() == 0 and "答えられない" in r.ask_answer.text(), timeout=10_000)


def test_panel_in_english_has_every_string(qtbot: Any, services: Services) -> None:
    i18n.set_language("en")
    seed(services)
    before = i18n.missing()
    p = InsightsPage(services)
    p.month.setDate(p.month.date().fromString("2026-11", "yyyy-MM"))
    try:
        with qtbot.waitSignal(p.reading.ready, timeout=60_000):
            p.activated()
        assert "themes" in p.reading.status.text()
        assert i18n.missing() - before == set(), sorted(i18n.missing() - before)
        # the narrative speaks the UI's language too (what it quotes from the records stays as written)
        narrative = p.reading.narrative_edit.toPlainText()
        assert p.reading.narrative.language == "en" and p.reading.narrative.findings
        assert not re.search(r"[\u3040-\u30ff]", re.sub(r"“[^”]*”", "", narrative)), narrative
    finally:
        dispose(p)


def test_the_panel_fills_from_the_child_process_and_cancel_stops_it(qtbot: Any, page: InsightsPage) -> None:
    import os

    from desktop.insights_process import AnalysisProcess

    r = page.reading
    assert isinstance(r.analysis, AnalysisProcess) and r.analysis._child is not None
    child = r.analysis._child.process
    assert child.is_alive() and child.pid != os.getpid()  # the reading was done in another process
    rows = r.themes_table.rowCount()
    assert rows == len(r.reading.themes) >= 5

    r.refresh(recompute=True)  # cluster everything again, then 中止 at once
    assert r.busy() and r.cancel_button.isVisible()
    r.cancel_button.click()
    qtbot.waitUntil(lambda: not r.busy(), timeout=30_000)
    assert r.status.text() == "中止しました（前回の結果のままです）"
    assert r.themes_table.rowCount() == rows and r.refresh_button.isEnabled()
    with qtbot.waitSignal(r.ready, timeout=60_000):  # the page reads again after a 中止
        r.refresh()
    assert r.themes_table.rowCount() == rows


def test_a_child_that_dies_leaves_the_page_working(qtbot: Any, page: InsightsPage) -> None:
    r = page.reading
    rows = r.themes_table.rowCount()
    first = r.analysis._child
    r.refresh(recompute=True)
    qtbot.waitUntil(lambda: r.status.text() == "記録を読み込み中", timeout=30_000)  # the child is reading
    first.process.kill()  # as the OS would, out of memory
    qtbot.waitUntil(lambda: not r.busy(), timeout=30_000)
    assert "途中で終了" in r.status.text() and "前回の結果のまま" in r.status.text()
    assert r.themes_table.rowCount() == rows  # nothing lost on screen
    with qtbot.waitSignal(r.ready, timeout=60_000):  # a new child reads again
        r.refresh()
    assert r.analysis._child is not first and r.themes_table.rowCount() == rows


def test_a_child_that_dies_is_told_in_english_too(qtbot: Any, services: Services) -> None:
    i18n.set_language("en")
    seed(services)
    p = InsightsPage(services)
    p.month.setDate(p.month.date().fromString("2026-11", "yyyy-MM"))
    try:
        with qtbot.waitSignal(p.reading.ready, timeout=60_000):
            p.activated()
        r = p.reading
        child = r.analysis._child
        r.refresh(recompute=True)
        qtbot.waitUntil(lambda: r.status.text() == "Reading records", timeout=30_000)
        child.process.kill()
        qtbot.waitUntil(lambda: not r.busy(), timeout=30_000)
        assert r.status.text().startswith("Could not read the logbook. The logbook analysis process ended early")
        assert r.status.text().endswith("The previous results are kept. Press Read again to read anew.")
    finally:
        dispose(p)
