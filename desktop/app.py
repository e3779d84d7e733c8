"""Composition root for the GUI: builds the services and hands them to ``ui`` with one call.

This is the one module of ``desktop/`` that reaches into ``ui/`` (DESIGN.md §1); ``ui`` is imported late,
so the CLI never loads Qt unless it shows or renders a window.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from desktop.context import Context

if TYPE_CHECKING:
    from desktop.services import Services


def run_gui(ctx: Context) -> int:
    from desktop.services import Services
    from ui.main import run  # imported late: the CLI never loads Qt

    return run(Services(ctx))


def render_screenshots(
    services: Services, outdir: Path, lang: str, progress: Callable[[str], None]
) -> list[Path]:
    """Every page of the main window rendered offscreen to ``outdir`` (``soumu-desk screenshots``)."""
    from ui.screenshots import render

    return render(services, outdir, lang, progress)
