"""English texts for the shell and the 回答 / ナレッジ / モデル / 設定 pages (Japanese is the source)."""

from __future__ import annotations

from ui.i18n import register

CATALOG: dict[str, str] = {}

register(CATALOG)
