"""desktop/insights_store.py: the cached themes model is encoded and decoded in pieces (short C calls that let
the UI thread take the GIL), to the very same text and value as json.dumps / json.loads."""

from __future__ import annotations

import json
import random

import pytest

from desktop.insights_store import PIECE, dumps_in_pieces


def test_encoding_in_pieces_gives_the_same_text() -> None:
    rng = random.Random(1)
    n = PIECE * 3 + 7
    values = [
        {}, [], {"a": 1, "b": "会議室"}, [1] * PIECE, [1] * (PIECE + 1), {f"k{i}": i for i in range(PIECE + 1)},
        {"members": {f"N:{i}": rng.randint(-1, 50) for i in range(n)}, "scores": [rng.random() for _ in range(n)],
         "labels": {"T1": "会議室の冷房"}, "rows": [[i, "x"] for i in range(n)], "small": {"x": [1, 2]}},
        {"outer": {"inner": {f"k{i}": [i, None, True] for i in range(n)}}},
    ]
    for value in values:
        assert dumps_in_pieces(value) == json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        assert json.loads(dumps_in_pieces(value)) == value


def test_decoding_in_pieces_gives_the_same_value(monkeypatch: pytest.MonkeyPatch) -> None:
    import desktop.insights_store as store

    monkeypatch.setattr(store, "SMALL_TEXT", 0)  # every text read piecewise
    monkeypatch.setattr(store, "WINDOW", 64)  # many windows, many cuts inside strings and nested values
    rng = random.Random(2)
    value = {
        "members": {f"N:{i}": rng.randint(-1, 50) for i in range(500)},
        "seen": {f"N:{i}": "2026-01-01T00:00:00" for i in range(300)},
        "labels": {f"T{i}": '会議室,"寒い\\",' for i in range(50)},  # a separator inside the strings
        "rows": [[i, 'x,"', {"q": [1, 2.5, None, True, False]}] for i in range(100)],
        "empty": {}, "none": [], "deep": {"a": {"b": {"c": [1, {"d": "e"}]}}}, "n": -3.5e-7,
    }
    for text in (dumps_in_pieces(value), json.dumps(value, indent=2), json.dumps(value, ensure_ascii=True)):
        assert store.loads_in_pieces(text) == value
    for bad in ('{"a":1,}', "[1 2]", '{"a":1} x', '{"a":01}', '{"a" 1}'):
        with pytest.raises(json.JSONDecodeError):
            store.loads_in_pieces(bad)
