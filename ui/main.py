"""GUI entry: ``run(ctx)`` opens the main window."""

from __future__ import annotations

import sys

from desktop.context import Context


def run(ctx: Context) -> int:
    from PySide6.QtWidgets import QApplication, QLabel

    app = QApplication.instance() or QApplication(sys.argv)
    label = QLabel("総務デスク")
    label.show()
    return int(app.exec())
