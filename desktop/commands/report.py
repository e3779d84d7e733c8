"""`soumu-desk report --month YYYY-MM [--out FILE] [--model [FILE]]`: the monthly report with cited findings.

The same report as `soumu-desk log report`; here the findings can be written by the model (``--model``:
each sentence's numbers and citations checked, a failing one replaced by the templated sentence), and
without ``--out`` the Markdown goes to standard output.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from desktop.commands.insights import AnalysisOpener
from desktop.commands.log import with_logbook
from desktop.context import Context
from desktop.logbook import Logbook

HELP = "月次報告（所見つき） / monthly report with cited findings (.md, .html or .xlsx)"


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser("report", help=HELP, description=HELP)
    parser.add_argument("--month", required=True, metavar="YYYY-MM")
    parser.add_argument("--out", metavar="FILE", help="出力先（.md/.html/.xlsx、省略時は標準出力にMarkdown） / output")
    parser.add_argument("--model", nargs="?", const="", default=None, metavar="FILE",
                        help="所見をAIモデルで書く（省略時は設定のモデル） / findings written by the model")
    parser.set_defaults(func=run, semantic=False, recompute=False)


def run(args: argparse.Namespace, ctx: Context) -> int:
    from desktop.insights import month as parse_month
    from desktop.narrative import model_narrative, template_narrative
    from desktop.reports import build_monthly_report

    def action(book: Logbook, a: argparse.Namespace) -> int:
        parse_month(a.month)
        opener = AnalysisOpener(ctx, a)
        try:
            analysis = opener(book)
            language = ctx.settings.ui.language
            narrative = (model_narrative(analysis, analysis.runtime, a.month, language=language)
                         if analysis.runtime is not None else template_narrative(analysis, a.month, language))
        finally:
            opener.close()
        report = build_monthly_report(book, a.month, ctx.settings.logbook.fiscal_start(), narrative=narrative)
        if a.out:
            path = report.write(Path(a.out))
            print(f"月次報告を書きました / report written: {path}", file=sys.stderr)
        else:
            sys.stdout.write(report.to_markdown() + "\n")
        return 0

    return with_logbook(action, args, ctx)
