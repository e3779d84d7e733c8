"""The prompt library as the page reads it: one load's result, the run state, and the texts of a row.

No widgets here: :func:`load_library` runs in a worker; :class:`RunState` is one run of a prompt as the user
saw it; :func:`rating_text`, :func:`meta_text` and :func:`row_meta` are the figures under a title.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from desktop import prompt_share
from desktop.logbook import Prompt
from ui.i18n import t

PLACEHOLDER = prompt_share.PLACEHOLDER


@dataclass
class RunState:
    """One run of a prompt, so コピー and the rating use exactly what the user saw."""

    prompt_id: str = ""
    filled: str = ""
    text: str = ""
    running: bool = False
    finished: bool = False
    cancelled: bool = False
    failed: bool = False
    rated: int = 0


@dataclass
class Library:
    """What one load brings back from the logbook."""

    prompts: list[Prompt]
    tags: list[str]
    total: int


def load_library(services: Any, text: str, tag: str) -> Library:
    """Runs in a worker: the filtered list (best first), every tag by frequency, and the library's size."""
    book = services.logbook
    everything = book.prompts.list()
    shown = book.prompts.list(text, tag) if text.strip() or tag else everything
    counts = Counter(tg for p in everything for tg in p.tags)
    tags = [tg for tg, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
    return Library(shown, tags, len(everything))


def rating_text(p: Prompt) -> str:
    if p.rating is None:
        return t("未評価")
    return t("★ {avg}（{n}件）", avg=f"{p.rating:.1f}", n=p.rating_count)


def meta_text(p: Prompt) -> str:
    parts = [p.author or t("作成者なし"), rating_text(p), t("{n} 回使用", n=p.uses)]
    if p.tags:
        parts.insert(1, " ".join(f"#{tag}" for tag in p.tags))
    return " · ".join(parts)


def row_meta(p: Prompt) -> str:
    """The list's second line. What ranks the prompt comes first; a narrow list elides the tail (author)."""
    parts = [rating_text(p), t("{n} 回使用", n=p.uses)]
    if p.tags:
        parts.append(" ".join(f"#{tag}" for tag in p.tags))
    parts.append(p.author or t("作成者なし"))
    return " · ".join(parts)
