"""User-facing text: Japanese is the source language; English comes from catalogues.

Write every visible string in Japanese and pass it through :func:`t`::

    label.setText(t("検索"))

Each UI module keeps its own English catalogue in a ``CATALOG: dict[str, str]`` and registers it with
:func:`register` at import time, so several modules can grow their catalogues without touching one file.
``missing()`` lists strings shown in English mode that have no translation (a test checks it stays empty).
"""

from __future__ import annotations

_catalog: dict[str, str] = {}
_language = "ja"
_missing: set[str] = set()


def register(catalog: dict[str, str]) -> None:
    _catalog.update(catalog)


def set_language(language: str) -> None:
    global _language
    _language = "en" if language == "en" else "ja"


def language() -> str:
    return _language


def t(ja: str, **fmt: object) -> str:
    """Translate ``ja`` into the current language, then apply ``str.format(**fmt)``."""
    text = ja
    if _language == "en":
        en = _catalog.get(ja)
        if en is None:
            _missing.add(ja)
        else:
            text = en
    return text.format(**fmt) if fmt else text


def missing() -> set[str]:
    return set(_missing)
