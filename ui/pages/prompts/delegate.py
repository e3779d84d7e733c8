"""How one prompt is painted in the list: its title in bold, then ★ average (count) · uses · tags · author."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from desktop.logbook import Prompt
from ui import style
from ui.pages.prompts.library import rating_text, row_meta

STAR_COLOUR = "#b7791f"  # amber, readable on white
PROMPT_ROLE = Qt.ItemDataRole.UserRole + 1
ROW_PADDING = 8


class PromptDelegate(QStyledItemDelegate):
    """Paints one prompt as two lines: the title in bold, then ★ average (count) · uses · tags · author.

    Painted rather than built from widgets: ``setItemWidget`` re-lays out the list for every row (a
    1,000-prompt library took 8.6 s to show that way; painting costs only the rows on screen).
    """

    def paint(
        self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        p = index.data(PROMPT_ROLE)
        if not isinstance(p, Prompt):
            super().paint(painter, option, index)
            return
        painter.save()
        rect = QRect(option.rect)
        state = option.state
        if state & QStyle.StateFlag.State_Selected:
            painter.fillRect(rect, QColor(style.ACCENT_SOFT))
        elif state & QStyle.StateFlag.State_MouseOver:
            painter.fillRect(rect, QColor("#f3f7f9"))
        painter.setPen(QColor("#edf1f3"))
        painter.drawLine(rect.bottomLeft(), rect.bottomRight())
        inner = rect.adjusted(10, ROW_PADDING, -10, -ROW_PADDING)
        base_font = QFont(option.font)
        bold = QFont(base_font)
        bold.setBold(True)
        title_metrics = QFontMetrics(bold)
        painter.setFont(bold)
        painter.setPen(QColor(style.TEXT))
        y = inner.top() + title_metrics.ascent()
        title = title_metrics.elidedText(p.title, Qt.TextElideMode.ElideRight, inner.width())
        painter.drawText(inner.left(), y, title)

        metrics = QFontMetrics(base_font)
        painter.setFont(base_font)
        y = inner.top() + title_metrics.height() + 3 + metrics.ascent()
        x = inner.left()
        stars = rating_text(p)
        if p.rating is not None:  # the stars in amber, the rest muted
            painter.setPen(QColor(STAR_COLOUR))
            painter.drawText(x, y, stars)
            x += metrics.horizontalAdvance(stars)
            rest = row_meta(p)[len(stars):]
        else:
            rest = row_meta(p)
        painter.setPen(QColor(style.MUTED))
        rest = metrics.elidedText(rest, Qt.TextElideMode.ElideRight, max(0, inner.right() - x))
        painter.drawText(x, y, rest)
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:
        base_font = QFont(option.font)
        bold = QFont(base_font)
        bold.setBold(True)
        height = QFontMetrics(bold).height() + 3 + QFontMetrics(base_font).height() + 2 * ROW_PADDING
        return QSize(200, height)
