"""`soumu-desk ask`."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from desktop.context import Context

HELP = "規程にもとづく回答を出典つきで作る / grounded answer with citations"


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser("ask", help=HELP, description=HELP)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, ctx: Context) -> int:
    print("この機能はまだ実装されていません / not implemented yet: ask", file=sys.stderr)
    return 2
