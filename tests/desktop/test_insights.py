"""desktop/insights.py and desktop/reports.py: fiscal-year periods, aggregations, the monthly report."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook

from desktop import insights as ins
from desktop.logbook import Inquiry, Logbook, Note
from desktop.paths import DataHome
from desktop.reports import build_monthly_report
from desktop.settings import LogbookSettings


@pytest.fixture
def book(data_home: Path) -> Iterator[Logbook]:
    settings = LogbookSettings(backup_every_hours=0, fiscal_year_start_month=10)
    with Logbook.open(DataHome.open(data_home), settings) as b:
        yield b


def test_fiscal_periods() -> None:
    assert ins.fiscal_year_of(date(2026, 3, 31), 4) == 2025
    assert ins.fiscal_year_of(date(2026, 4, 1), 4) == 2026
    assert ins.fiscal_year_of(date(2026, 9, 30), 10) == 2025
    fy = ins.fiscal_year(2026, 10)
    assert (fy.start, fy.end) == (date(2026, 10, 1), date(2027, 10, 1))
    assert fy.months()[0] == "2026-10" and fy.months()[-1] == "2027-09" and len(fy.months()) == 12
    jan = ins.fiscal_year(2026, 1)
    assert jan.months() == [f"2026-{m:02d}" for m in range(1, 13)]
    ytd = ins.fiscal_year_to_date(ins.month("2027-02"), 10)
    assert (ytd.start, ytd.end) == (date(2026, 10, 1), date(2027, 3, 1))
    with pytest.raises(ValueError):
        ins.month("2026-13")


def test_normalised_question_grouping() -> None:
    same = ["慶弔休暇は何日ですか？", "慶弔休暇は何日？", "慶弔休暇は 何日ですか", "ｹｲﾁｮｳ"]
    keys = {ins.normalize_question(q) for q in same[:3]}
    assert len(keys) == 1
    assert ins.normalize_question("ＡＢＣ　です") == ins.normalize_question("abc です")


def _seed(book: Logbook) -> None:
    add = book.notes.add
    add(Note(text="a", place="倉庫", category="安全・防災", severity="緊急", occurred_at="2026-10-05T09:00:00", due_date="2026-10-10"))
    add(Note(text="b", place="倉庫", category="安全・防災", severity="低", occurred_at="2026-10-20T09:00:00",
             status="対応済", resolved_date="2026-11-02"))
    add(Note(text="c", place="会議室A", category="空調・照明・騒音", occurred_at="2026-11-03T09:00:00"))
    add(Note(text="d", place="会議室A", category="空調・照明・騒音", occurred_at="2026-09-30T09:00:00"))  # previous FY
    q = book.inquiries.add
    q(Inquiry(question="慶弔休暇は何日ですか？", channel="電話", category="慶弔・福利厚生", minutes=5,
              occurred_at="2026-10-02T10:00:00", rating="Bad", rating_reason="古い規程を引用"))
    q(Inquiry(question="慶弔休暇は何日？", channel="メール", category="慶弔・福利厚生",
              closing_category="勤怠・休暇", minutes=3, occurred_at="2026-11-02T10:00:00"))
    q(Inquiry(question="名刺の発注", channel="チャット", category="備品・消耗品", occurred_at="2026-11-04T10:00:00"))
    book.searchlog.record("社員旅行の補助", 0, at="2026-11-05T10:00:00")
    book.searchlog.record("社員旅行の補助", 2, kind="ask", grounded=False, at="2026-11-06T10:00:00")
    book.searchlog.record("出張旅費", 4, kind="ask", grounded=True, at="2026-11-07T10:00:00")


def test_aggregations(book: Logbook) -> None:
    _seed(book)
    data = ins.Insights(book)
    assert data.fiscal_start == 10
    fy = ins.fiscal_year(2026, 10)
    per_month = data.notes_by_category_per_month(fy)
    assert ins.MonthCount("2026-10", "安全・防災", 2) in per_month
    assert all(m.month >= "2026-10" for m in per_month)  # the September note is last fiscal year
    assert data.notes_by_place(fy)[0] == ins.Count("倉庫", 2)
    open_done = {o.month: o for o in data.notes_open_vs_done(fy)}
    assert (open_done["2026-10"].open, open_done["2026-10"].done) == (1, 1)
    assert len(open_done) == 12
    nov = ins.month("2026-11")
    assert data.inquiries_by_category(nov) == [ins.Count("備品・消耗品", 1), ins.Count("勤怠・休暇", 1)]
    assert {c.key: c.count for c in data.inquiries_by_channel(fy)} == {"電話": 1, "メール": 1, "チャット": 1}
    [repeated] = data.repeated_questions(fy)
    assert repeated.count == 2
    searches = {s.month: s for s in data.unanswered_searches_per_month(fy)}
    assert (searches["2026-11"].total, searches["2026-11"].unanswered) == (3, 2)
    [unanswered] = data.unanswered_questions(nov)
    assert (unanswered.text, unanswered.count) == ("社員旅行の補助", 2)
    [bad] = data.bad_answers(fy)
    assert bad.reason == "古い規程を引用" and bad.source == "inquiry"
    assert data.overdue_notes(date(2026, 11, 1)) == 1
    assert data.notes_resolved_in(nov) == 1
    assert [n["text"] for n in data.open_notes(date(2026, 11, 30))] == ["a"]
    assert data.inquiry_minutes(fy) == (8, 2)


def test_monthly_report_in_three_formats(book: Logbook, tmp_path: Path) -> None:
    _seed(book)
    report = build_monthly_report(book, "2026-11")
    summary = report.tables[0]
    assert summary.rows[0] == ["問い合わせ件数 / inquiries", 2, 1, 3]  # month, previous, FY to date
    md = report.write(tmp_path / "r.md").read_text(encoding="utf-8")
    assert "2026年度" in md and "社員旅行の補助" in md and "| 問い合わせ件数 / inquiries | 2 | 1 | 3 |" in md
    page = report.write(tmp_path / "r.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "<td class=\"n\">2</td>" in page
    report.write(tmp_path / "r.xlsx")
    wb = load_workbook(tmp_path / "r.xlsx")
    findings, first = wb.worksheets[0], wb.worksheets[1]
    assert report.findings and findings.title.startswith("00 所見")  # the cited narrative leads
    assert [findings.cell(i + 2, 1).value for i in range(len(report.findings))] == report.findings
    assert "## 所見 / Findings" in md and all(f in md for f in report.findings)
    assert first["A3"].value == "問い合わせ件数 / inquiries" and first["B3"].value == 2
    assert len(wb.worksheets) == len(report.tables) + 1
    assert not build_monthly_report(book, "2026-11", findings=False).findings
    with pytest.raises(ValueError):
        report.write(tmp_path / "r.pdf")
