"""Composition root for the GUI: builds the services and hands them to ``ui`` with one call."""

from __future__ import annotations

from desktop.context import Context


def run_gui(ctx: Context) -> int:
    from desktop.services import Services
    from ui.main import run  # imported late: the CLI never loads Qt

    return run(Services(ctx))
