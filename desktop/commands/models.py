"""`soumu-desk models`."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from desktop.context import Context

HELP = "ローカルAIモデルの一覧・取込・切替 / local GGUF models: list, import, use, info"


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser("models", help=HELP, description=HELP)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, ctx: Context) -> int:
    print("この機能はまだ実装されていません / not implemented yet: models", file=sys.stderr)
    return 2
