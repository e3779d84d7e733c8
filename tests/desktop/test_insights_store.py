"""desktop/insights_store.py: the cached themes model is encoded in pieces, to the very same JSON text."""

from __future__ import annotations

import json
import random

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
