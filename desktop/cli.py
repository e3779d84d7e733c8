"""The ``soumu-desk`` command. With no subcommand it opens the desktop app.

Each subcommand lives in its own module under :mod:`desktop.commands` and registers itself with
``register(subparsers)``; its handler takes ``(args, ctx)`` and returns an exit code.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import sys
from collections.abc import Sequence

from desktop import __version__
from desktop.commands import COMMAND_HELP, load
from desktop.context import Context
from desktop.paths import ENV_HOME

log = logging.getLogger(__name__)


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The full parser; with ``only``, other subcommands get a bare entry and their modules stay unloaded."""
    parser = argparse.ArgumentParser(
        prog="soumu-desk",
        description=(
            "総務デスク (Soumu Desk): 社内規程の検索、根拠つき回答、問い合わせ・現場の声の記録。"
            " すべてこのPCの中で動き、ネットワークには接続しません(チーム機能では設定したサーバーにだけ接続します)。"
            " Offline assistant for general-affairs staff. With no command, opens the desktop app."
        ),
    )
    parser.add_argument("--home", metavar="DIR", help=f"data home folder (default: ${ENV_HOME} or the user data dir)")
    parser.add_argument("--verbose", "-v", action="store_true", help="debug logging in the data home's log")
    parser.add_argument("--version", action="version", version=f"soumu-desk {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, help_text in COMMAND_HELP.items():
        if only is None or name == only:
            load(name).register(sub)
        else:
            sub.add_parser(name, help=help_text)
    return parser


def _command_in(argv: Sequence[str]) -> str | None:
    """The subcommand named in ``argv`` (skipping global options), if any."""
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("--home")
    pre.add_argument("--verbose", "-v", action="store_true")
    _, rest = pre.parse_known_args(argv)
    first = rest[0] if rest else None
    return first if first in COMMAND_HELP else None


def main(argv: Sequence[str] | None = None) -> int:
    _utf8_stdio()
    argv = list(sys.argv[1:] if argv is None else argv)
    command = _command_in(argv)
    parser = build_parser(only=command) if command else build_parser()
    args = parser.parse_args(argv)
    ctx = Context.open(args.home, verbose=args.verbose)
    if args.command is None:
        from desktop.app import run_gui

        return run_gui(ctx)
    func = getattr(args, "func", None)
    if func is None:
        parser.parse_args([args.command, "--help"])
        return 2
    try:
        return int(func(args, ctx) or 0)
    except KeyboardInterrupt:
        print("中断しました / interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


def gui_main() -> int:
    """Entry point for the windowed launcher (no console on Windows)."""
    return main([*sys.argv[1:]])


def _utf8_stdio() -> None:
    # Windows consoles default to cp932; Japanese output and JSON must not fail there.
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            with contextlib.suppress(ValueError, OSError):
                reconfigure(encoding="utf-8", errors="replace")


if __name__ == "__main__":
    raise SystemExit(main())
