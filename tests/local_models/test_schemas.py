"""Note-field suggestions: always a valid dict, from the tiny model or without one."""

from __future__ import annotations

from pathlib import Path

import pytest

from local_models import ModelRuntime, RuntimeConfig
from local_models.schemas import (
    NOTE_CATEGORIES,
    SEVERITIES,
    _messages,
    note_fields_schema,
    suggest_note_fields,
    validate_note_fields,
)

PLACES = ["会議室B", "本社3F 執務室", "給湯室（本社4F）"]
DEPARTMENTS = ["営業部", "経理部"]


def _valid(fields: dict[str, object], places: list[str] | None = None, departments: list[str] | None = None) -> None:
    assert set(fields) == {"category", "severity", "tags", "place", "department"}
    assert fields["place"] in ["", *(places or [])] and fields["department"] in ["", *(departments or [])]
    assert fields["category"] in NOTE_CATEGORIES and fields["severity"] in SEVERITIES
    tags = fields["tags"]
    assert isinstance(tags, list) and len(tags) <= 5 and all(isinstance(t, str) and t for t in tags)


@pytest.mark.model
def test_tiny_model_output_always_parses(tiny_model: Path) -> None:
    rt = ModelRuntime(RuntimeConfig(n_ctx=2048, n_threads=1))  # the app uses 4096; the lists lengthen the prompt
    rt.load(tiny_model)
    assert rt.wait_until_loaded(120)
    try:
        _valid(suggest_note_fields(rt, "非常口の前に段ボールが積まれている。"))
        text = "給湯室の床が濡れていて滑りそう。経理の人が転びかけた。"
        fields = suggest_note_fields(rt, text, places=PLACES, departments=DEPARTMENTS)
        _valid(fields, PLACES, DEPARTMENTS)
        # The grammar itself (before validation) keeps place and department to the lists or empty.
        raw = rt.complete_json(_messages(text, NOTE_CATEGORIES, PLACES, DEPARTMENTS),
                               note_fields_schema(NOTE_CATEGORIES, PLACES, DEPARTMENTS), max_tokens=256, timeout=120)
        assert raw["place"] in ["", *PLACES] and raw["department"] in ["", *DEPARTMENTS]
    finally:
        rt.close()


def test_without_a_model_defaults_are_returned() -> None:
    assert suggest_note_fields(None, "プリンターが紙詰まりする") == {
        "category": "その他", "severity": "中", "tags": [], "place": "", "department": ""}
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
    kept = validate_note_fields({"place": "会議室B", "department": "宇宙部"}, NOTE_CATEGORIES, PLACES, DEPARTMENTS)
    assert (kept["place"], kept["department"]) == ("会議室B", "")  # a department not in the list is dropped
    assert validate_note_fields({"place": "会議室B"})["place"] == ""  # no list handed in: nothing is known
