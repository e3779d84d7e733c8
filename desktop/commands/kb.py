"""`soumu-desk kb`."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from desktop.context import Context

HELP = "知識ベース: フォルダ登録・索引・検索・状態・監視 / knowledge base: add, index, search, status, watch"


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser("kb", help=HELP, description=HELP)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, ctx: Context) -> int:
    print("この機能はまだ実装されていません / not implemented yet: kb", file=sys.stderr)
    return 2
