"""The look: one calm stylesheet and a Japanese-first font stack.

Sizes are in points (not pixels) so the UI stays readable at 100 % and 150 % display scaling: Qt scales
point sizes with the screen's logical DPI, while pixel sizes would shrink on a high-DPI screen.
"""

from __future__ import annotations

from PySide6.QtGui import QColor, QFont, QFontDatabase, QPalette
from PySide6.QtWidgets import QApplication

# First available wins: Linux (Noto), Windows (Yu Gothic UI, Meiryo), macOS (Hiragino).
FONT_STACK = (
    "Noto Sans CJK JP",
    "Yu Gothic UI",
    "Hiragino Sans",
    "Hiragino Kaku Gothic ProN",
    "Meiryo UI",
    "Meiryo",
    "Noto Sans JP",
    "Noto Sans CJK SC",
)
BASE_POINT_SIZE = 10.5

ACCENT = "#2f6f8f"  # calm blue-teal; readable as text on white
ACCENT_DARK = "#245a75"
ACCENT_SOFT = "#e4eff4"
TEXT = "#1f2a30"
MUTED = "#5e6b73"
BORDER = "#d5dde2"
SURFACE = "#ffffff"
BACKGROUND = "#f4f6f7"
SIDEBAR = "#eaeff2"
HIGHLIGHT = "#fff0b3"  # search-term highlight behind dark text
DANGER = "#a33a2b"
WARNING = "#8a5300"  # amber, readable as text on white: "check before passing on"
OK = "#2e7d4f"


def pick_font_family() -> str:
    available = set(QFontDatabase.families())
    for family in FONT_STACK:
        if family in available:
            return family
    return QApplication.font().family()


STYLESHEET = f"""
QWidget {{ color: {TEXT}; }}
QMainWindow, QDialog {{ background: {BACKGROUND}; }}
QWidget#page {{ background: {BACKGROUND}; }}
QLabel#pageTitle {{ font-size: 16pt; font-weight: 600; padding: 2px 0 6px 0; }}
QLabel#sectionTitle {{ font-size: 12pt; font-weight: 600; padding-top: 6px; }}
QLabel#muted, QLabel[muted="true"] {{ color: {MUTED}; }}
QLabel#hint {{ color: {MUTED}; background: {SURFACE}; border: 1px dashed {BORDER}; border-radius: 8px;
    padding: 14px; }}
QLabel#error {{ color: {DANGER}; }}
QLabel#ok {{ color: {OK}; }}
QLabel#offlineMark {{ color: {OK}; font-weight: 600; padding: 0 8px; }}

QListWidget#sidebar {{ background: {SIDEBAR}; border: none; border-right: 1px solid {BORDER};
    padding: 10px 6px; font-size: 11.5pt; outline: 0; }}
QListWidget#sidebar::item {{ padding: 9px 12px; border-radius: 8px; margin: 2px 0; }}
QListWidget#sidebar::item:selected {{ background: {SURFACE}; color: {ACCENT_DARK}; font-weight: 600; }}
QListWidget#sidebar::item:hover:!selected {{ background: #dfe7eb; }}
QLabel#brand {{ font-size: 13pt; font-weight: 700; color: {ACCENT_DARK}; padding: 14px 16px 4px 16px;
    background: {SIDEBAR}; }}

QFrame#card {{ background: {SURFACE}; border: 1px solid {BORDER}; border-radius: 10px; }}
QLineEdit, QPlainTextEdit, QTextEdit, QTextBrowser {{
    background: {SURFACE}; border: 1px solid {BORDER}; border-radius: 6px; padding: 5px 7px;
    selection-background-color: {ACCENT}; selection-color: white; }}
QLineEdit:focus, QPlainTextEdit:focus, QTextEdit:focus {{ border: 1px solid {ACCENT}; }}
QLineEdit#searchBox {{ font-size: 14pt; padding: 9px 12px; border-radius: 10px; border: 2px solid {BORDER}; }}
QLineEdit#searchBox:focus {{ border: 2px solid {ACCENT}; }}

QPushButton {{ background: {SURFACE}; border: 1px solid {BORDER}; border-radius: 6px; padding: 6px 14px;
    min-height: 20px; }}
QPushButton:hover {{ border-color: {ACCENT}; }}
QPushButton:pressed {{ background: {ACCENT_SOFT}; }}
QPushButton:disabled {{ color: #9aa5ab; background: #f0f2f3; }}
QPushButton#primary {{ background: {ACCENT}; color: white; border: 1px solid {ACCENT}; font-weight: 600; }}
QPushButton#primary:hover {{ background: {ACCENT_DARK}; }}
QPushButton#primary:disabled {{ background: #9dbccb; border-color: #9dbccb; color: #f4f8fa; }}
QPushButton#danger {{ color: {DANGER}; }}
QPushButton#danger:disabled {{ color: #c9a7a1; }}

QListWidget#results {{ background: transparent; border: none; outline: 0; }}
QListWidget#results::item {{ border: none; padding: 0; margin: 0 0 8px 0; }}
QListWidget#results::item:selected {{ background: transparent; }}
QFrame#resultCard {{ background: {SURFACE}; border: 1px solid {BORDER}; border-radius: 10px; }}
QFrame#resultCard:hover {{ border-color: {ACCENT}; }}
QFrame#resultCard[selected="true"] {{ border: 2px solid {ACCENT}; }}

QTableView, QTreeView, QListWidget {{ background: {SURFACE}; border: 1px solid {BORDER}; border-radius: 6px;
    gridline-color: #edf1f3; selection-background-color: {ACCENT_SOFT}; selection-color: {TEXT}; }}
QHeaderView::section {{ background: #eef2f4; border: none; border-bottom: 1px solid {BORDER};
    padding: 5px 8px; font-weight: 600; }}
QProgressBar {{ border: 1px solid {BORDER}; border-radius: 6px; background: {SURFACE}; text-align: center;
    min-height: 18px; }}
QProgressBar::chunk {{ background: {ACCENT}; border-radius: 5px; }}
QGroupBox {{ background: {SURFACE}; border: 1px solid {BORDER}; border-radius: 10px; margin-top: 14px;
    padding: 14px 12px 10px 12px; font-weight: 600; }}
QGroupBox::title {{ subcontrol-origin: margin; left: 12px; padding: 0 4px; }}
QStatusBar {{ background: {SIDEBAR}; border-top: 1px solid {BORDER}; }}
QStatusBar QLabel {{ padding: 0 8px; color: {MUTED}; }}
QSplitter::handle {{ background: transparent; }}
QToolTip {{ background: {SURFACE}; color: {TEXT}; border: 1px solid {BORDER}; padding: 4px; }}
"""


def apply(app: QApplication) -> None:
    """Set the font stack and the stylesheet on the whole application.

    Spin boxes, combo boxes and date edits are deliberately not styled: any stylesheet rule on them makes
    Qt draw their arrows itself (badly); Fusion's own drawing with our palette looks right.
    """
    font = QFont(pick_font_family())
    font.setFamilies([f for f in FONT_STACK])
    font.setPointSizeF(BASE_POINT_SIZE)
    font.setHintingPreference(QFont.HintingPreference.PreferNoHinting)
    app.setFont(font)
    app.setStyle("Fusion")  # the same, predictable look on Windows, macOS and Linux
    palette = app.palette()
    palette.setColor(QPalette.ColorRole.Window, QColor(BACKGROUND))
    palette.setColor(QPalette.ColorRole.Base, QColor(SURFACE))
    palette.setColor(QPalette.ColorRole.Button, QColor(SURFACE))
    palette.setColor(QPalette.ColorRole.Highlight, QColor(ACCENT))
    palette.setColor(QPalette.ColorRole.WindowText, QColor(TEXT))
    palette.setColor(QPalette.ColorRole.Text, QColor(TEXT))
    palette.setColor(QPalette.ColorRole.ButtonText, QColor(TEXT))
    app.setPalette(palette)
    app.setStyleSheet(STYLESHEET)
