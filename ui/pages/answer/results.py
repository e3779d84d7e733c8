"""One search hit as a clickable card, and the way from a hit to the source viewer.

:class:`ResultCard` is laid out once from a :class:`kb.Hit`; the answer page connects its ``clicked``
signal (see :mod:`ui.pages.answer.controller`). :func:`hit_ref` turns a hit into what
:class:`ui.viewer.SourceViewer` shows, with the snippet's highlights moved onto the whole chunk.
"""

from __future__ import annotations

import html
import re
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QFrame, QLabel, QVBoxLayout, QWidget

from ui import style
from ui.i18n import t
from ui.viewer import SourceRef, highlighted_html


class ResultCard(QFrame):
    """One search hit. Signals: ``clicked()``."""

    clicked = Signal()

    def __init__(self, hit: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.hit = hit
        self.setObjectName("resultCard")
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 10, 14, 10)
        layout.setSpacing(4)
        title = QLabel(
            f'<span style="font-size:11.5pt; font-weight:600;">{html.escape(hit.title)}</span>'
            f'&nbsp;&nbsp;<span style="color:{style.ACCENT_DARK};">{html.escape(hit.location)}</span>'
        )
        title.setTextFormat(Qt.TextFormat.RichText)
        title.setWordWrap(True)
        layout.addWidget(title)
        snippet = QLabel(highlighted_html(hit.snippet, list(hit.highlights)))
        snippet.setTextFormat(Qt.TextFormat.RichText)
        snippet.setWordWrap(True)
        layout.addWidget(snippet)
        meta = QLabel(t("{type} · 更新日 {date}", type=(hit.doc_type or "").upper(), date=hit.modified or "—"))
        meta.setObjectName("muted")
        layout.addWidget(meta)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.clicked.emit()
        super().mouseReleaseEvent(event)

    def keyPressEvent(self, event: Any) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space):
            self.clicked.emit()
            return
        super().keyPressEvent(event)


def hit_ref(hit: Any) -> SourceRef:
    return SourceRef(
        path=hit.path,
        title=hit.title,
        location=hit.location,
        page=hit.page,
        text=hit.text,
        highlights=_spans_in_text(hit),
    )


def _spans_in_text(hit: Any) -> list[tuple[int, int]]:
    """Move the snippet's highlight spans onto the whole chunk text (the snippet is a window of it)."""
    offset = hit.text.find(hit.snippet.strip("…").strip()) if hit.snippet else -1
    if offset < 0:
        words = {hit.snippet[s:e] for s, e in hit.highlights if e > s}
        spans = []
        for w in words:
            spans += [(m.start(), m.end()) for m in re.finditer(re.escape(w), hit.text)]
        return spans
    lead = len(hit.snippet) - len(hit.snippet.lstrip("…"))
    return [(s - lead + offset, e - lead + offset) for s, e in hit.highlights]
