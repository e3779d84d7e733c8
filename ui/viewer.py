"""The source viewer: shows a cited document at the cited place.

PDFs open in the app (QtPdf) at the cited page; every other format shows the cited passage as text with the
matching words highlighted (the text comes from the index — ``ui`` parses nothing). "元のアプリで開く" hands
the file to the program the OS associates with it.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QPointF, Qt, QTimer, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPdfWidgets import QPdfView
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from ui import style
from ui.i18n import t


@dataclass(frozen=True)
class SourceRef:
    """Where to open: a file and a place in it, as search hits and citations give it."""

    path: str
    title: str
    location: str = ""
    page: int | None = None  # 1-based PDF page
    text: str = ""  # the passage to show (chunk text)
    highlights: list[tuple[int, int]] = field(default_factory=list)  # spans in ``text``


def highlighted_html(text: str, spans: list[tuple[int, int]] | list[list[int]]) -> str:
    """Escape ``text`` and wrap each ``[start, end)`` span in a highlight; overlapping spans merge."""
    clean: list[tuple[int, int]] = []
    for span in sorted((int(s[0]), int(s[1])) for s in spans):
        start, end = max(0, span[0]), min(len(text), span[1])
        if end <= start:
            continue
        if clean and start <= clean[-1][1]:
            clean[-1] = (clean[-1][0], max(clean[-1][1], end))
        else:
            clean.append((start, end))
    out: list[str] = []
    pos = 0
    for start, end in clean:
        out.append(html.escape(text[pos:start]))
        out.append(
            f'<span style="background-color:{style.HIGHLIGHT}; font-weight:600;">{html.escape(text[start:end])}</span>'
        )
        pos = end
    out.append(html.escape(text[pos:]))
    return "".join(out).replace("\n", "<br>")


class SourceViewer(QDialog):
    """A non-modal window with one source; reuse it with :meth:`show_source`."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(t("出典"))
        self.resize(860, 760)
        self.ref: SourceRef | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 12, 14, 12)
        self.heading = QLabel()
        self.heading.setObjectName("sectionTitle")
        self.heading.setWordWrap(True)
        self.where = QLabel()
        self.where.setObjectName("muted")
        self.where.setWordWrap(True)
        self.where.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.heading)
        layout.addWidget(self.where)

        self.pdf_doc = QPdfDocument(self)
        self.pdf_view = QPdfView(self)
        self.pdf_view.setDocument(self.pdf_doc)
        self.pdf_view.setPageMode(QPdfView.PageMode.MultiPage)
        self.pdf_view.setZoomMode(QPdfView.ZoomMode.FitToWidth)
        self.text_view = QTextBrowser(self)
        self.text_view.setOpenLinks(False)
        layout.addWidget(self.pdf_view, 1)
        layout.addWidget(self.text_view, 1)

        buttons = QHBoxLayout()
        self.message = QLabel()
        self.message.setObjectName("error")
        self.message.setWordWrap(True)
        buttons.addWidget(self.message, 1)
        self.open_button = QPushButton(t("元のアプリで開く"))
        self.open_button.setToolTip(t("このファイルを、OS で関連付けられたアプリで開きます"))
        self.open_button.clicked.connect(self.open_externally)
        close = QPushButton(t("閉じる"))
        close.clicked.connect(self.close)
        buttons.addWidget(self.open_button)
        buttons.addWidget(close)
        layout.addLayout(buttons)

    def show_source(self, ref: SourceRef) -> None:
        self.ref = ref
        self.message.clear()
        self.heading.setText(ref.title or Path(ref.path).name)
        self.where.setText(" · ".join(p for p in (ref.location, ref.path) if p))
        exists = Path(ref.path).is_file()
        self.open_button.setEnabled(exists)
        if not exists:
            self.message.setText(t("ファイルが見つかりません(移動または削除された可能性があります)。"))
        if exists and ref.path.lower().endswith(".pdf") and self._show_pdf(ref):
            self.text_view.hide()
            self.pdf_view.show()
        else:
            self.pdf_view.hide()
            self.text_view.show()
            self._show_text(ref)
        self.show()
        self.raise_()
        self.activateWindow()

    def _show_pdf(self, ref: SourceRef) -> bool:
        self.pdf_doc.close()
        error = self.pdf_doc.load(ref.path)
        if error != QPdfDocument.Error.None_ or self.pdf_doc.pageCount() == 0:
            self.message.setText(t("PDF を表示できません。抜粋を表示しています。"))
            return False
        page = max(0, min((ref.page or 1) - 1, self.pdf_doc.pageCount() - 1))
        # the view lays its pages out only once shown; jump after that, or the jump is lost
        QTimer.singleShot(0, lambda: self._jump(page))
        return True

    def _jump(self, page: int) -> None:
        if self.pdf_doc.pageCount() > page:
            self.pdf_view.pageNavigator().jump(page, QPointF(0, 0), self.pdf_view.zoomFactor())

    def _show_text(self, ref: SourceRef) -> None:
        body = highlighted_html(ref.text, ref.highlights) if ref.text else html.escape(t("(本文なし)"))
        self.text_view.setHtml(f'<div style="line-height:150%; font-size:11pt;">{body}</div>')
        cursor = self.text_view.textCursor()
        cursor.setPosition(0)
        self.text_view.setTextCursor(cursor)

    def current_pdf_page(self) -> int:
        """0-based page the PDF view shows (tests)."""
        return int(self.pdf_view.pageNavigator().currentPage())

    def open_externally(self) -> None:
        if self.ref is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(self.ref.path))
