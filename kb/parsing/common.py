"""Small helpers shared by the format parsers."""

from __future__ import annotations

import re

_NOT_A_TITLE = re.compile(
    r"^(無題|untitled|document\d*|文書\s*\d*|presentation\d*|powerpoint\s*プレゼンテーション|"
    r"プレゼンテーション\d*|スライド\s*\d*|slide\s*\d*|book\d*|sheet\d*|microsoft\s.*|.*\.(docx?|xlsx?|pptx?|pdf|txt))$",
    re.IGNORECASE,
)


def meaningful_title(title: str | None) -> str | None:
    """The title stored in a file's metadata, unless it is empty or a tool's default ("Microsoft Word - x.doc")."""
    if not title:
        return None
    title = " ".join(title.split())
    if len(title) < 2 or len(title) > 200 or _NOT_A_TITLE.match(title):
        return None
    return title


def cell_text(value: object) -> str:
    """A spreadsheet or table value as text: integers without ".0", dates as ISO dates, whitespace folded."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    iso = getattr(value, "isoformat", None)
    if callable(iso):
        text = str(iso())
        return text.removesuffix("T00:00:00")
    return " ".join(str(value).split())
