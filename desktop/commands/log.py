"""`soumu-desk log`."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from desktop.context import Context

HELP = "問い合わせ・現場の声の記録、出力・取込・バックアップ / logbook of inquiries and floor notes"


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser("log", help=HELP, description=HELP)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, ctx: Context) -> int:
    print("この機能はまだ実装されていません / not implemented yet: log", file=sys.stderr)
    return 2
