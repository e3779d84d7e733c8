"""The monthly report for management: Markdown or HTML text, and an XLSX workbook with the numbers.

One :class:`MonthlyReport` is a list of titled tables built from :class:`desktop.insights.Insights`,
headed by the month's cited findings (:mod:`desktop.narrative`: each sentence cites the themes ``[T3]``
and records ``[#1a2b3c4d]`` it rests on, every number checked against the figures); the three writers
render the same content, so the text and the spreadsheet never disagree.
The report is a file the user asked for (it may quote short excerpts of open high-severity notes);
nothing from it is written to the logs.
"""

from __future__ import annotations

import html
import io
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from openpyxl import Workbook
from openpyxl.styles import Font

from desktop import insights as ins
from desktop.logbook import Logbook
from desktop.logbook.csvio import write_atomic

if TYPE_CHECKING:
    from desktop.narrative import Narrative

FORMATS = (".md", ".html", ".htm", ".xlsx")
EXCERPT = 60
FINDINGS_TITLE = "所見 / Findings"
FINDINGS_NOTES = {
    "template": "所見は集計から定型文で作成しました。[T…] はテーマ、[#…] は記録のIDです。 / Written from the figures; "
                "[T…] cites a theme, [#…] a record.",
    "model": "所見はAIモデルが集計をもとに書き、数値と引用を照合済みです。[T…] はテーマ、[#…] は記録のIDです。 / Written "
             "by the model from the figures; every number and citation checked.",
    "edited": "所見は担当者が編集しました。 / Edited by staff.",
}


@dataclass
class Table:
    title: str
    headers: list[str]
    rows: list[list[str | int]]
    note: str = ""


@dataclass
class MonthlyReport:
    month: str
    fiscal_label: str
    generated: str
    tables: list[Table] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)  # the cited narrative (desktop/narrative.py), one per line
    findings_note: str = ""  # how the findings were written (template / model / edited)

    @property
    def title(self) -> str:
        return f"総務デスク 月次報告 {self.month} / Soumu Desk monthly report"

    # --- writers ---------------------------------------------------------------------------------
    def to_markdown(self) -> str:
        out = [f"# {self.title}", "", f"{self.fiscal_label}・作成 {self.generated}", ""]
        if self.findings:
            out += [f"## {FINDINGS_TITLE}", "", *(f"- {_md(f)}" for f in self.findings), ""]
            if self.findings_note:
                out += [self.findings_note, ""]
        for t in self.tables:
            out += [f"## {t.title}", ""]
            if t.note:
                out += [t.note, ""]
            if not t.rows:
                out += ["(該当なし / none)", ""]
                continue
            out.append("| " + " | ".join(_md(h) for h in t.headers) + " |")
            out.append("|" + "|".join("---:" if _numeric(t, i) else "---" for i in range(len(t.headers))) + "|")
            out += ["| " + " | ".join(_md(c) for c in row) + " |" for row in t.rows]
            out.append("")
        return "\n".join(out)

    def to_html(self) -> str:
        parts = [
            "<!DOCTYPE html>",
            '<html lang="ja"><head><meta charset="utf-8">',
            f"<title>{html.escape(self.title)}</title>",
            "<style>body{font-family:sans-serif;max-width:60em;margin:2em auto}"
            "table{border-collapse:collapse;margin-bottom:1.5em}"
            "th,td{border:1px solid #999;padding:.25em .6em}td.n{text-align:right}th{background:#eee}</style>",
            "</head><body>",
            f"<h1>{html.escape(self.title)}</h1>",
            f"<p>{html.escape(self.fiscal_label)}・作成 {html.escape(self.generated)}</p>",
        ]
        if self.findings:
            parts.append(f"<h2>{html.escape(FINDINGS_TITLE)}</h2><ul>")
            parts += [f"<li>{html.escape(f)}</li>" for f in self.findings]
            parts.append("</ul>")
            if self.findings_note:
                parts.append(f"<p>{html.escape(self.findings_note)}</p>")
        for t in self.tables:
            parts.append(f"<h2>{html.escape(t.title)}</h2>")
            if t.note:
                parts.append(f"<p>{html.escape(t.note)}</p>")
            if not t.rows:
                parts.append("<p>(該当なし / none)</p>")
                continue
            parts.append("<table><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in t.headers) + "</tr>")
            for row in t.rows:
                cells = "".join(
                    f'<td class="n">{c}</td>' if isinstance(c, int) else f"<td>{html.escape(str(c))}</td>" for c in row
                )
                parts.append(f"<tr>{cells}</tr>")
            parts.append("</table>")
        parts.append("</body></html>")
        return "\n".join(parts)

    def write_xlsx(self, path: Path) -> None:
        """One sheet per table; numbers as numbers (they are for charts), text typed as text."""
        wb = Workbook()
        default = wb.active
        bold = Font(bold=True)
        used: set[str] = set()
        if self.findings:
            ws = wb.create_sheet(_sheet_name(f"00 {FINDINGS_TITLE}", used))
            ws.append([FINDINGS_TITLE])
            ws["A1"].font = bold
            for f in self.findings:
                ws.append([f])
                ws.cell(ws.max_row, 1).data_type = "s"
            if self.findings_note:
                ws.append([self.findings_note])
            ws.column_dimensions["A"].width = 120
        for i, t in enumerate(self.tables, start=1):
            name = _sheet_name(f"{i:02d} {t.title}", used)
            ws = wb.create_sheet(name)
            ws.append([t.title])
            ws["A1"].font = bold
            ws.append(list(t.headers))
            for cell in ws[2]:
                cell.font = bold
            for row in t.rows:
                ws.append(list(row))
                for cell in ws[ws.max_row]:
                    if isinstance(cell.value, str):
                        cell.data_type = "s"
                        cell.number_format = "@"
            for col, width in zip("ABCDEFGHIJ", (28, 14, 14, 14, 12, 12, 14, 12, 40, 12), strict=False):
                ws.column_dimensions[col].width = width
        if default is not None and len(wb.sheetnames) > 1:
            wb.remove(default)

        def write(fh: io.BufferedWriter) -> None:
            wb.save(fh)

        write_atomic(Path(path), write)

    def write(self, path: Path) -> Path:
        """Write by extension: ``.md``, ``.html``/``.htm`` or ``.xlsx``."""
        path = Path(path)
        suffix = path.suffix.lower()
        if suffix == ".xlsx":
            self.write_xlsx(path)
        elif suffix in (".md", ".html", ".htm"):
            text = self.to_markdown() if suffix == ".md" else self.to_html()
            data = text.encode("utf-8")

            def write(fh: io.BufferedWriter) -> None:
                fh.write(data)

            write_atomic(path, write)
        else:
            raise ValueError(
                f"報告書の形式は拡張子で決まります({' / '.join(FORMATS)}): {path.name} / "
                f"the report format follows the extension ({', '.join(FORMATS)})"
            )
        return path


def _numeric(t: Table, i: int) -> bool:
    return bool(t.rows) and all(isinstance(r[i], int) for r in t.rows)


def _md(value: str | int) -> str:
    return str(value).replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def _sheet_name(title: str, used: set[str]) -> str:
    clean = "".join("_" if ch in "[]:*?/\\" else ch for ch in title)[:31]
    name, n = clean, 2
    while name in used:
        name = f"{clean[:28]}~{n}"
        n += 1
    used.add(name)
    return name


def _counts(current: list[ins.Count], ytd: list[ins.Count]) -> list[list[str | int]]:
    now = {c.key: c.count for c in current}
    keys = list(dict.fromkeys([c.key for c in current] + [c.key for c in ytd]))
    total = {c.key: c.count for c in ytd}
    return [[k, now.get(k, 0), total.get(k, 0)] for k in keys]


def build_monthly_report(book: Logbook, month_text: str, fiscal_start_month: int | None = None,
                         narrative: Narrative | None = None, findings: bool = True,
                         language: str = "ja") -> MonthlyReport:
    """The report for one month (``YYYY-MM``), with fiscal-year-to-date columns.

    ``narrative``: the findings to print (edited on the 分析 page, or written by the model); by default the
    templated narrative of the month in ``language`` (``findings=False``: none)."""
    data = ins.Insights(book, fiscal_start_month)
    this = ins.month(month_text)
    prev = ins.month((this.start.replace(day=1) - timedelta(days=1)).strftime("%Y-%m"))
    ytd = ins.fiscal_year_to_date(this, data.fiscal_start)
    report = MonthlyReport(month_text, ytd.label, date.today().isoformat())
    if narrative is None and findings:
        from desktop.logbook_insights import LogbookAnalysis
        from desktop.narrative import template_narrative

        narrative = template_narrative(LogbookAnalysis(book), month_text, language)
    if narrative is not None:
        report.findings = [f.text for f in narrative.findings]
        report.findings_note = FINDINGS_NOTES.get(narrative.source, "")

    def total(kind: str, p: ins.Period) -> int:
        per = data.inquiries_per_month(p) if kind == "inquiries" else data.notes_per_month(p)
        return sum(c.count for c in per)

    def searches(p: ins.Period) -> tuple[int, int]:
        per = data.unanswered_searches_per_month(p)
        return sum(s.total for s in per), sum(s.unanswered for s in per)

    minutes_now, _ = data.inquiry_minutes(this)
    minutes_prev, _ = data.inquiry_minutes(prev)
    minutes_ytd, _ = data.inquiry_minutes(ytd)
    s_now, s_prev, s_ytd = searches(this), searches(prev), searches(ytd)
    headers = ["項目 / item", "当月 / month", "前月 / previous", "年度累計 / FY to date"]
    report.tables.append(
        Table(
            "概要 / Summary",
            headers,
            [
                ["問い合わせ件数 / inquiries", total("inquiries", this), total("inquiries", prev), total("inquiries", ytd)],
                ["現場の声 件数 / floor notes", total("notes", this), total("notes", prev), total("notes", ytd)],
                ["解決した声 / notes resolved", data.notes_resolved_in(this), data.notes_resolved_in(prev), data.notes_resolved_in(ytd)],
                ["問い合わせ対応時間(分) / minutes on inquiries", minutes_now, minutes_prev, minutes_ytd],
                ["検索・質問 / searches and questions", s_now[0], s_prev[0], s_ytd[0]],
                ["答えられなかった検索 / unanswered searches", s_now[1], s_prev[1], s_ytd[1]],
                [
                    "AI回答 Bad 評価 / answers rated Bad",
                    len(data.bad_answers(this)), len(data.bad_answers(prev)), len(data.bad_answers(ytd)),
                ],
            ],
            note=f"期限切れの未完了の声(月末時点) / open notes past due at month end: {data.overdue_notes(this.end)}",
        )
    )
    two = ["当月 / month", "年度累計 / FY to date"]
    report.tables.append(
        Table("問い合わせ:分類別 / Inquiries by category", ["分類 / category", *two],
              _counts(data.inquiries_by_category(this), data.inquiries_by_category(ytd)),
              note="完了時の分類があればそれを数えます / the closing category counts when set")
    )
    report.tables.append(
        Table("問い合わせ:受付方法別 / Inquiries by channel", ["受付方法 / channel", *two],
              _counts(data.inquiries_by_channel(this), data.inquiries_by_channel(ytd)))
    )
    report.tables.append(
        Table("問い合わせ:対応結果別 / Inquiries by resolution", ["対応結果 / resolution", *two],
              _counts(data.inquiries_by("resolution", this), data.inquiries_by("resolution", ytd)))
    )
    report.tables.append(
        Table("現場の声:分類別 / Floor notes by category", ["分類 / category", *two],
              _counts(data.notes_by("category", this), data.notes_by("category", ytd)))
    )
    report.tables.append(
        Table("現場の声:場所別(上位10) / Floor notes by place (top 10)", ["場所 / place", *two],
              _counts(data.notes_by_place(this, 10), data.notes_by_place(ytd, None))[:10])
    )
    report.tables.append(
        Table("現場の声:重要度別 / Floor notes by severity", ["重要度 / severity", *two],
              _counts(data.notes_by("severity", this), data.notes_by("severity", ytd)))
    )
    report.tables.append(
        Table(
            "現場の声:未完了/完了(発生月別) / Floor notes open vs done by month",
            ["月 / month", "未完了 / open", "完了・見送り / done"],
            [[o.month, o.open, o.done] for o in data.notes_open_vs_done(ytd)],
        )
    )
    report.tables.append(
        Table(
            "対応が必要な声(高・緊急、未完了) / Open high-severity notes",
            ["日時 / when", "場所 / place", "分類 / category", "重要度", "状況 / status", "担当 / owner",
             "期限 / due", "内容(抜粋) / excerpt"],
            [
                [n["occurred_at"][:10], n["place"], n["category"], n["severity"], n["status"], n["owner"],
                 n["due_date"], _excerpt(n["text"])]
                for n in data.open_notes(this.last_day)
            ],
        )
    )
    report.tables.append(
        Table(
            "繰り返し寄せられた質問(年度累計) / Most repeated questions (FY to date)",
            ["質問 / question", "件数 / count"],
            [[r.text, r.count] for r in data.repeated_questions(ytd, limit=15)],
        )
    )
    report.tables.append(
        Table(
            "ナレッジで答えられなかった質問(当月) / Questions the knowledge base could not answer",
            ["質問・検索語 / query", "回数 / times"],
            [[r.text, r.count] for r in data.unanswered_questions(this, limit=20)],
            note="規程やFAQに追記する候補です / candidates for new FAQ entries or rule updates",
        )
    )
    report.tables.append(
        Table(
            "AI回答の Bad 評価(当月) / AI answers rated Bad",
            ["日時 / when", "種類 / from", "質問 / question", "理由 / reason"],
            [[b.at[:16].replace("T", " "), "問い合わせ" if b.source == "inquiry" else "検索", _excerpt(b.question), b.reason]
             for b in data.bad_answers(this)],
        )
    )
    return report


def _excerpt(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= EXCERPT else flat[: EXCERPT - 1] + "…"
