"""Helpers shared by the UI tests (fixtures are in conftest.py)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from PySide6.QtCore import QCoreApplication, QEvent

from ui.workers import shutdown_workers


def dispose(*widgets: Any) -> None:
    """Join the workers, then delete the widgets and the finished jobs now, on the UI thread.

    A finished job keeps its callbacks (and through them the page) until its deferred delete runs; left
    to interpreter exit, a parentless page would be destroyed from inside another object's teardown.
    """
    shutdown_workers()
    for widget in widgets:
        teardown = getattr(widget, "teardown", None)
        if teardown is not None:
            teardown()
        widget.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


@contextlib.contextmanager
def english() -> Iterator[None]:
    """The UI in English for the block, Japanese again after it (whatever happens inside)."""
    from ui import i18n

    i18n.set_language("en")
    try:
        yield
    finally:
        i18n.set_language("ja")
