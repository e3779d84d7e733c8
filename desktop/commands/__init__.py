"""Subcommands of ``soumu-desk``; each module has ``register(subparsers)`` and ``run(args, ctx)``.

Modules are imported only for the command being run (``--help`` imports them all), so ``kb search``
does not pay for loading the logbook, the spreadsheet writer or the model runtime.
"""

from __future__ import annotations

import importlib
from types import ModuleType

# name -> one-line help (shown in `soumu-desk --help` without importing the module)
COMMAND_HELP: dict[str, str] = {
    "kb": "知識ベース: フォルダ登録・索引・検索・状態・監視 / knowledge base: add, index, search, status, watch",
    "ask": "規程にもとづく回答を出典つきで作る / grounded answer with citations",
    "log": "問い合わせ・現場の声の記録、出力・取込・バックアップ / logbook of inquiries and floor notes",
    "models": "ローカルAIモデルの一覧・取込・切替 / local GGUF models: list, import, use, info",
    "insights": "ログブックを読むAI: テーマ・再発・FAQ候補・質問・所見 / the AI reads the logbook: themes, recurring, FAQ, ask",
    "report": "月次報告（所見つき）を書き出す / monthly report with cited findings (.md, .html, .xlsx)",
    "screenshots": "各画面をデモデータでPNGに描画 / render every page to PNG with demo data",
    "team": "チームのログブック(PostgreSQL): 作成・接続・状態・移行 / team logbook on PostgreSQL: setup, connect, status, migrate",
}


def load(name: str) -> ModuleType:
    return importlib.import_module(f"desktop.commands.{name}")
