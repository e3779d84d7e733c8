"""The team logbook in the window: other PCs' changes as a Qt signal, and the status-bar text for team mode.

:class:`TeamChanges` is the thread adapter (STYLE.md §2): ``relay(kinds)`` is called on the team logbook's
follower thread (desktop/logbook/team_book.py) and emits ``changed``; Qt queues it to the UI thread, where
the window reloads the pages that show those records.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from desktop.services import Services
from ui import catalog_team  # noqa: F401 — registers the English strings
from ui.i18n import t

# which pages show which records ("lists": the category and place choices)
PAGES_OF_KIND = {"notes": ("notes", "insights"), "inquiries": ("inquiries", "insights"), "lists": ("notes", "inquiries")}


class TeamChanges(QObject):
    """Signals: ``changed(list)`` — the kinds of records other PCs changed (``notes``, ``inquiries``, ``lists``)."""

    changed = Signal(list)

    def relay(self, kinds: set[str]) -> None:
        """Any thread: hand the kinds to the UI thread."""
        self.changed.emit(sorted(kinds))


def status_text(services: Services) -> tuple[str, str, str]:
    """(text, tooltip, state) for the status bar's right-hand mark; state is ``offline`` (single PC, no
    network at all), ``team`` (team mode, not opened yet), ``online`` or ``down``."""
    if not services.team_mode:
        return "● " + t("オフライン"), t("この PC の中だけで動きます。ネットワークには接続しません。"), "offline"
    url = services.settings.team.url
    state = services.team_state()
    if state is None or not state.checked:
        return "● " + t("チームモード"), t("チームのログブック: {url}", url=url), "team"
    if state.online:
        return "● " + t("チームサーバー接続中"), t(
            "チームのログブック: {url}\nこの PC には最後に読み込んだ記録の暗号化コピーがあります。", url=url
        ), "online"
    problem = state.problem_en if _english() else state.problem_ja
    return "● " + t("サーバーに接続できません"), t(
        "{problem}\n最後に読み込んだ記録を読み取り専用で表示しています。保存や削除はサーバーに接続できてからできます。",
        problem=problem,
    ), "down"


def _english() -> bool:
    from ui.i18n import language

    return language() == "en"
