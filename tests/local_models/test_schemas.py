"""Note-field suggestions: always a valid dict, from the tiny model or without one."""

from __future__ import annotations

from pathlib import Path

import pytest

from local_models import ModelRuntime, RuntimeConfig
from local_models.schemas import NOTE_CATEGORIES, SEVERITIES, suggest_note_fields, validate_note_fields


def _valid(fields: dict[str, object]) -> None:
    assert set(fields) == {"category", "severity", "tags"}
    assert fields["category"] in NOTE_CATEGORIES and fields["severity"] in SEVERITIES
    tags = fields["tags"]
    assert isinstance(tags, list) and len(tags) <= 5 and all(isinstance(t, str) and t for t in tags)


@pytest.mark.model
def test_tiny_model_output_always_parses(tiny_model: Path) -> None:
    rt = ModelRuntime(RuntimeConfig(n_ctx=1024, n_threads=1))
    rt.load(tiny_model)
    assert rt.wait_until_loaded(120)
    try:
        _valid(suggest_note_fields(rt, "非常口の前に段ボールが積まれている。"))
    finally:
        rt.close()


def test_without_a_model_defaults_are_returned() -> None:
    assert suggest_note_fields(None, "プリンターが紙詰まりする") == {"category": "その他", "severity": "中", "tags": []}
    rt = ModelRuntime(RuntimeConfig())
    try:
        _valid(suggest_note_fields(rt, "照明が暗い"))  # state "none"
    finally:
        rt.close()


def test_validation_keeps_only_what_is_valid() -> None:
    fields = validate_note_fields({"category": "宇宙", "severity": "高", "tags": ["照明", "", "照明", 3, "x" * 40]})
    assert fields["category"] == "その他" and fields["severity"] == "高"
    assert fields["tags"] == ["照明", "x" * 12]
    _valid(validate_note_fields("not a dict"))
