"""The command line loads only what the command being run needs."""

from __future__ import annotations

import subprocess
import sys

import pytest

from desktop.cli import _command_in, build_parser


@pytest.mark.parametrize(
    ("argv", "command"),
    [
        (["kb", "search", "x", "-k", "3"], "kb"),
        (["--home", "/tmp/h", "log", "list", "notes"], "log"),
        (["--home", "kb", "-v", "ask", "q"], "ask"),  # an option value that looks like a command
        (["--version"], None),
        ([], None),
    ],
)
def test_command_is_found_past_global_options(argv: list[str], command: str | None) -> None:
    assert _command_in(argv) == command


def test_full_parser_knows_every_subcommand() -> None:
    parser = build_parser()
    args = parser.parse_args(["log", "list", "notes", "--json"])
    assert args.command == "log"


def test_kb_command_does_not_load_the_logbook_or_the_model_runtime(tmp_path: str) -> None:
    code = (
        "import sys; from desktop.cli import main; "
        f"rc = main(['--home', {str(tmp_path)!r}, 'kb', 'status']); "
        "heavy = [m for m in ('desktop.logbook', 'openpyxl', 'llama_cpp', 'PySide6') if m in sys.modules]; "
        "print(heavy); sys.exit(rc)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, encoding="utf-8", check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"
