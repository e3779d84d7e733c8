"""`soumu-desk insights`: the AI reads the logbook — themes, recurring issues, FAQ candidates, questions, narrative.

JSON shapes (UTF-8, stable): ``themes`` → list of {"label", "ids", "count", "trend", "departments", "places",
"quotes", …}; ``recurring`` → list of {"label", "place", "ids", "departments", "reasons", …}; ``faq`` → list of
{"question", "answer", "sources", "ids", "count", …}; ``ask`` → {"answer", "ids", "grounded", "query", "rows"};
``narrative`` → {"month", "source", "findings": [{"text", "cites", …}]}. Extra keys may be added, never removed.

Themes are grouped by words (Sudachi TF-IDF) unless ``--semantic`` asks for the embedding model (slower:
every record is embedded once, then cached). Labels come from the model only with ``--model``.
"""

from __future__ import annotations

import argparse
import json
import sys
from contextlib import ExitStack
from datetime import date
from pathlib import Path
from typing import Any

from desktop.commands.log import with_logbook
from desktop.context import Context
from desktop.logbook import Logbook

HELP = "ログブックを読むAI: テーマ・再発・FAQ候補・質問・所見 / the AI reads the logbook"


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser("insights", help=HELP, description=HELP)
    actions = parser.add_subparsers(dest="action", metavar="ACTION")

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--json", action="store_true", help="JSONで出力 / print JSON")
        p.add_argument("--semantic", action="store_true",
                       help="意味の近さでまとめる（埋め込みモデル使用、初回は時間がかかります） / group by meaning")
        p.add_argument("--model", nargs="?", const="", default=None, metavar="FILE",
                       help="見出し・所見をAIモデルで書く（省略時は設定のモデル） / write labels with the model")
        p.add_argument("--recompute", action="store_true", help="最初からまとめ直す / recompute from scratch")

    t = actions.add_parser("themes", help="テーマ（意味でまとめた声と問い合わせ） / themes")
    t.add_argument("--from", dest="date_from", metavar="DATE", default="", help="開始日 YYYY-MM-DD / from")
    t.add_argument("--to", dest="date_to", metavar="DATE", default="", help="終了日 YYYY-MM-DD / to (inclusive)")
    common(t)
    t.set_defaults(func=_themes)
    r = actions.add_parser("recurring", help="再発・複数部署から報告された問題 / recurring issues")
    common(r)
    r.set_defaults(func=_recurring)
    f = actions.add_parser("faq", help="FAQ候補（繰り返された質問・答えられなかった検索） / FAQ candidates")
    f.add_argument("--out", metavar="FAQ.xlsx", help="FAQシートを書き出す（知識フォルダへ） / write the FAQ sheet")
    common(f)
    f.set_defaults(func=_faq)
    a = actions.add_parser("ask", help="ログブックに質問する / ask the logbook")
    a.add_argument("question", metavar="QUESTION")
    common(a)
    a.set_defaults(func=_ask)
    n = actions.add_parser("narrative", help="月次の所見（根拠つき） / the month's cited findings")
    n.add_argument("--month", required=True, metavar="YYYY-MM")
    common(n)
    n.set_defaults(func=_narrative)
    parser.set_defaults(func=lambda args, ctx: _usage(parser))


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


def _date_arg(value: str, name: str) -> str:
    if not value:
        return ""
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise ValueError(f"{name} は YYYY-MM-DD で指定してください: {value} / {name} must be YYYY-MM-DD") from None


def _print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


class AnalysisOpener:
    """Opens the analysis with the vectoriser and model the flags ask for; closes the model afterwards."""

    def __init__(self, ctx: Context, args: argparse.Namespace) -> None:
        self.ctx, self.args = ctx, args
        self.stack = ExitStack()

    def __call__(self, book: Logbook) -> Any:
        from desktop.logbook_insights import LogbookAnalysis

        vectorizer = self._semantic() if self.args.semantic else None
        runtime = self._runtime() if self.args.model is not None else None
        analysis = LogbookAnalysis(book, vectorizer=vectorizer, runtime=runtime)
        analysis.refresh(recompute=self.args.recompute)
        return analysis

    def _semantic(self) -> Any:
        from desktop.commands.models import model_folders
        from desktop.semantic import embedder_path, text_embedder
        from desktop.themes import EmbeddingVectorizer

        path = embedder_path(self.ctx.settings, model_folders(self.ctx))
        if path is None:
            raise ValueError("埋め込みモデルがありません（`soumu-desk models embedder`） / no embedding model is set")
        return EmbeddingVectorizer(text_embedder(path, self.ctx.settings.model.n_threads))

    def _runtime(self) -> Any:
        from desktop.answering import runtime_config
        from desktop.commands.models import model_folders
        from local_models import ModelRuntime, find_model, resolve_active

        folders = model_folders(self.ctx)
        name = self.args.model
        server = None if name else _server(self.ctx)
        if server is not None:  # team mode: the shared model server the settings name
            runtime: Any = self.stack.enter_context(server)
            runtime.load()
            runtime.wait_until_loaded(timeout=60)
        else:
            path = find_model(name, folders) if name else resolve_active(self.ctx.settings.model.active, folders)
            if path is None:
                raise ValueError(f"モデルが見つかりません: {name or '(設定のモデル)'} / model not found")
            runtime = self.stack.enter_context(ModelRuntime(runtime_config(self.ctx.settings)))
            runtime.load(path)
            runtime.wait_until_loaded(timeout=300)
        if runtime.state != "ready":
            message = runtime.error.message_ja if runtime.error is not None else runtime.state
            print(f"モデルを使えません（キーワードで続けます）: {message}", file=sys.stderr)
            return None
        return runtime

    def close(self) -> None:
        self.stack.close()


def _server(ctx: Context) -> Any:
    from desktop.services import server_backend
    from local_models import ModelError

    try:
        return server_backend(ctx.settings)
    except ModelError as exc:
        raise ValueError(f"{exc.message_ja} / {exc.message_en}") from None


def _with_analysis(args: argparse.Namespace, ctx: Context, body: Any) -> int:
    opener = AnalysisOpener(ctx, args)

    def action(book: Logbook, a: argparse.Namespace) -> int:
        try:
            return int(body(opener(book), a))
        finally:
            opener.close()

    return with_logbook(action, args, ctx)


def _themes(args: argparse.Namespace, ctx: Context) -> int:
    from desktop.logbook_insights import TRENDS_JA

    def body(analysis: Any, a: argparse.Namespace) -> int:
        themes = analysis.themes(_date_arg(a.date_from, "--from"), _date_arg(a.date_to, "--to"))
        if a.json:
            _print_json([t.to_json() for t in themes])
            return 0
        if not themes:
            print("テーマはまだありません（同じ話題の記録が3件以上でテーマになります） / no themes yet")
        for t in themes:
            depts = "・".join(list(t.departments)[:3])
            print(f"[{t.id}] {t.label}  {t.count}件（声{t.notes}・問い合わせ{t.inquiries}） {TRENDS_JA[t.trend]}"
                  f"  未対応{t.open}  {depts}")
            for q in t.quotes:
                print(f"    「{q.text}」 {q.attribution}")
        return 0

    return _with_analysis(args, ctx, body)


def _recurring(args: argparse.Namespace, ctx: Context) -> int:
    def body(analysis: Any, a: argparse.Namespace) -> int:
        issues = analysis.recurring()
        if a.json:
            _print_json([r.to_json() for r in issues])
            return 0
        if not issues:
            print("再発・複数部署からの報告はありません / no recurring issues")
        for r in issues:
            why = "・".join({"reopened": "対応済みの後に再発", "departments": f"{len(r.departments)}部署から"}[x]
                           for x in r.reasons)
            print(f"[{r.theme_id}] {r.place}  {r.label}  {len(r.ids)}件  {why}  未対応{r.open}")
        return 0

    return _with_analysis(args, ctx, body)


def _faq(args: argparse.Namespace, ctx: Context) -> int:
    from desktop.faq import faq_candidates, write_faq_xlsx

    def body(analysis: Any, a: argparse.Namespace) -> int:
        candidates = faq_candidates(analysis)
        if a.out:
            result = write_faq_xlsx(candidates, Path(a.out))
            print(f"FAQシートを書きました（{result.rows}行） / FAQ sheet written: {result.path}", file=sys.stderr)
        if a.json:
            _print_json([c.to_json() for c in candidates])
            return 0
        if not candidates:
            print("FAQ候補はまだありません / no FAQ candidates yet")
        for c in candidates:
            kind = "繰り返された質問" if c.source == "inquiries" else "答えられなかった検索"
            print(f"[{c.key}] {c.question}  {c.count}件（{kind}）\n    回答: {c.answer or '(未記入)'}\n"
                  f"    根拠: {c.sources or '(なし)'}")
        return 0

    return _with_analysis(args, ctx, body)


def _ask(args: argparse.Namespace, ctx: Context) -> int:
    from desktop.logbook_ask import ask_logbook

    def body(analysis: Any, a: argparse.Namespace) -> int:
        answer = ask_logbook(analysis, a.question, fiscal_start=ctx.settings.logbook.fiscal_start())
        if a.json:
            _print_json(answer.to_json())
        else:
            print(answer.answer)
            if answer.ids:
                print(f"\n根拠の記録 {len(answer.ids)}件 / records: " + " ".join(i[:8] for i in answer.ids[:30]))
        return 0

    return _with_analysis(args, ctx, body)


def _narrative(args: argparse.Namespace, ctx: Context) -> int:
    from desktop.insights import month as parse_month
    from desktop.narrative import model_narrative, template_narrative

    def body(analysis: Any, a: argparse.Namespace) -> int:
        parse_month(a.month)  # ValueError with a clear message on a bad month
        language = ctx.settings.ui.language
        narrative = (model_narrative(analysis, analysis.runtime, a.month, language=language)
                     if analysis.runtime is not None else template_narrative(analysis, a.month, language))
        if a.json:
            _print_json(narrative.to_json())
        else:
            print(narrative.to_text() or "この月の所見はありません / no findings for this month")
        return 0

    return _with_analysis(args, ctx, body)
