"""English texts for the 現場の声 / 問い合わせ / 分析 pages and the logbook dialogs (Japanese is the source)."""

from __future__ import annotations

from ui.i18n import register

CATALOG: dict[str, str] = {}

register(CATALOG)
