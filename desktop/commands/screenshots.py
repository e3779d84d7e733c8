"""`soumu-desk screenshots`."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from desktop.context import Context

HELP = "各画面をデモデータでPNGに描画 / render every page to PNG with demo data"


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser("screenshots", help=HELP, description=HELP)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, ctx: Context) -> int:
    print("この機能はまだ実装されていません / not implemented yet: screenshots", file=sys.stderr)
    return 2
