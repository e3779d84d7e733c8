"""The pages of the main window and what they share.

Every page is a ``QWidget`` subclass built as ``Page(services, parent=None)`` with a translated ``title``
attribute and an optional ``activated()`` method the main window calls each time the page is shown.
Pages call services only through :mod:`ui.workers` when the call may be slow.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QVBoxLayout, QWidget


@runtime_checkable
class Page(Protocol):
    title: str


def page_layout(widget: QWidget, title: str, subtitle: str = "") -> QVBoxLayout:
    """A page's outer layout with its heading (and a muted one-line explanation under it)."""
    widget.setObjectName("page")
    widget.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
    layout = QVBoxLayout(widget)
    layout.setContentsMargins(24, 18, 24, 14)
    layout.setSpacing(10)
    heading = QLabel(title)
    heading.setObjectName("pageTitle")
    layout.addWidget(heading)
    if subtitle:
        sub = QLabel(subtitle)
        sub.setObjectName("muted")
        sub.setWordWrap(True)
        layout.addWidget(sub)
    return layout


def card(parent: QWidget | None = None) -> tuple[QFrame, QVBoxLayout]:
    """A white rounded panel, the basic grouping of every page."""
    frame = QFrame(parent)
    frame.setObjectName("card")
    inner = QVBoxLayout(frame)
    inner.setContentsMargins(14, 12, 14, 12)
    inner.setSpacing(8)
    return frame, inner


def section_title(text: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName("sectionTitle")
    return label


def muted(text: str, wrap: bool = True) -> QLabel:
    label = QLabel(text)
    label.setObjectName("muted")
    label.setWordWrap(wrap)
    return label


def row(*widgets: QWidget, stretch_end: bool = True) -> QHBoxLayout:
    layout = QHBoxLayout()
    layout.setSpacing(8)
    for w in widgets:
        layout.addWidget(w)
    if stretch_end:
        layout.addStretch(1)
    return layout
