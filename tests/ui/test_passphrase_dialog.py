"""The passphrase asker: a new passphrase is typed twice (a typo would lock the logbook); unlocking asks once.

The modal QInputDialog is replaced by scripted answers; the logic around it is what is tested.
"""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtWidgets import QInputDialog

from desktop.secrets import PROMPT_NEW, PROMPT_UNLOCK
from ui.main import passphrase_asker


def script(monkeypatch: pytest.MonkeyPatch, answers: list[tuple[str, bool]]) -> list[str]:
    labels: list[str] = []

    def get_text(parent: Any, title: str, label: str, *args: Any) -> tuple[str, bool]:
        labels.append(label)
        return answers.pop(0)

    monkeypatch.setattr(QInputDialog, "getText", staticmethod(get_text))
    return labels


def test_new_passphrase_must_match_twice(qapp: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    labels = script(monkeypatch, [("secret-one", True), ("secret-typo", True), ("secret-two", True), ("secret-two", True)])
    ask: Any = passphrase_asker(None)
    assert ask(PROMPT_NEW) == "secret-two"
    assert len(labels) == 4
    assert "一致しませんでした" in labels[2]


def test_unlock_asks_once_and_cancel_gives_none(qapp: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    labels = script(monkeypatch, [("secret-one", True), ("", False)])
    ask: Any = passphrase_asker(None)
    assert ask(PROMPT_UNLOCK) == "secret-one"
    assert ask(PROMPT_UNLOCK) is None
    assert len(labels) == 2
