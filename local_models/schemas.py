"""Structured tasks with llama.cpp's JSON-schema constrained output.

The grammar guarantees the *shape*; bounded strings and arrays (``maxLength``/``maxItems``) guarantee the
output ends before ``max_tokens`` even from a tiny model that would otherwise ramble inside a string. The
result is still validated, and defaults are returned when no model is loaded or it fails: a suggestion is
a convenience, never a reason for the note form to stop working.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Any

from local_models.runtime import ModelError, ModelRuntime

log = logging.getLogger(__name__)

# DESIGN.md §5: floor-note categories and severities.
NOTE_CATEGORIES: tuple[str, ...] = (
    "設備・備品",
    "空調・照明・騒音",
    "安全・防災",
    "清掃・衛生",
    "IT・機器",
    "制度・ルール",
    "働き方・人間関係",
    "その他",
)
SEVERITIES: tuple[str, ...] = ("低", "中", "高", "緊急")
# What each default category covers, so the model does not file everything under the example's category.
CATEGORY_HINTS: dict[str, str] = {
    "設備・備品": "机・椅子・コピー機・鍵・ドアなど",
    "空調・照明・騒音": "暑い・寒い・暗い・うるさい",
    "安全・防災": "非常口・消火器・避難・転倒・けがの危険",
    "清掃・衛生": "ごみ・トイレ・汚れ・におい・害虫",
    "IT・機器": "パソコン・ネットワーク・プリンター・アカウント",
    "制度・ルール": "申請・手続き・規程・休暇や手当の制度",
    "働き方・人間関係": "残業・業務量・ハラスメント・職場の雰囲気",
    "その他": "上のどれにも当たらないもの",
}
MAX_TAGS = 5
MAX_TAG_LENGTH = 12
DEFAULT_FIELDS: dict[str, Any] = {"category": "その他", "severity": "中", "tags": [], "place": "", "department": ""}
# Places and departments are the logbook's own lists, handed in by the caller (most used first); only the
# first ones go into the prompt and the grammar, which keeps both short.
MAX_KNOWN_VALUES = 30


def _known(values: Sequence[str]) -> list[str]:
    out: list[str] = []
    for v in values:
        if isinstance(v, str) and v.strip() and v not in out:
            out.append(v)
    return out[:MAX_KNOWN_VALUES]


def note_fields_schema(
    categories: Sequence[str] = NOTE_CATEGORIES, places: Sequence[str] = (), departments: Sequence[str] = (),
) -> dict[str, Any]:
    """The output's shape. ``place`` and ``department`` are one of the known values or empty: a model that
    may only copy from the list cannot invent a room or a department."""
    return {
        "type": "object",
        "properties": {
            "category": {"type": "string", "enum": list(categories)},
            "severity": {"type": "string", "enum": list(SEVERITIES)},
            # Before the tags: the grammar emits properties in this order, and a model that runs out of
            # tokens inside the tags must not lose the place it had already read.
            "place": {"type": "string", "enum": [*_known(places), ""]},
            "department": {"type": "string", "enum": [*_known(departments), ""]},
            "tags": {
                "type": "array",
                "items": {"type": "string", "minLength": 1, "maxLength": MAX_TAG_LENGTH},
                "maxItems": MAX_TAGS,
            },
        },
        "required": ["category", "severity", "place", "department", "tags"],
        "additionalProperties": False,
    }


def _messages(
    text: str, categories: Sequence[str], places: Sequence[str] = (), departments: Sequence[str] = (),
) -> list[dict[str, str]]:
    menu = "".join(
        f"- {c}" + (f"（{CATEGORY_HINTS[c]}）" if c in CATEGORY_HINTS else "") + "\n" for c in categories
    )
    known_places, known_departments = _known(places), _known(departments)
    system = (
        "職場の「現場の声」を分類します。JSONだけを出力してください。\n"
        f"category は次のどれか:\n{menu}"
        "severity は 低・中・高・緊急 のどれか（けが・火災・漏電などの危険は 緊急）。\n"
        f"tags は内容を表す短い日本語の語を{MAX_TAGS}個まで。\n"
        "place は本文に書かれた場所を次から選ぶ（書かれていなければ空文字）: "
        + ("、".join(known_places) or "（なし）") + "\n"
        "department は本文に書かれた部署を次から選ぶ（書かれていなければ空文字）: "
        + ("、".join(known_departments) or "（なし）")
    )
    # Two worked examples: one that names a known place and department, one that names neither (so empty
    # is a normal answer, not a failure).
    place = known_places[0] if known_places else ""
    department = known_departments[0] if known_departments else ""
    example = "蛍光灯がちらついていて暗い。"
    if place:
        example = f"{place}の{example}"
    if department:
        example += f"{department}の人から。"
    named = {"category": "空調・照明・騒音", "severity": "低", "place": place, "department": department,
             "tags": ["照明", "蛍光灯"]}
    unnamed = {"category": "設備・備品", "severity": "中", "place": "", "department": "",
               "tags": ["コピー機", "紙詰まり"]}
    return [
        {"role": "system", "content": system},
        {"role": "user", "content": example},
        {"role": "assistant", "content": json.dumps(named, ensure_ascii=False)},
        {"role": "user", "content": "コピー機がよく紙詰まりする。"},
        {"role": "assistant", "content": json.dumps(unnamed, ensure_ascii=False)},
        {"role": "user", "content": text.strip()[:1500]},
    ]


def validate_note_fields(
    value: Any, categories: Sequence[str] = NOTE_CATEGORIES, places: Sequence[str] = (),
    departments: Sequence[str] = (),
) -> dict[str, Any]:
    """Keep what is valid, replace what is not with the default (a place or department not in its list
    becomes empty)."""
    out: dict[str, Any] = {**DEFAULT_FIELDS, "tags": []}
    if not isinstance(value, dict):
        return out
    if value.get("category") in categories:
        out["category"] = value["category"]
    elif "その他" not in categories and categories:
        out["category"] = categories[-1]
    if value.get("severity") in SEVERITIES:
        out["severity"] = value["severity"]
    tags = value.get("tags")
    if isinstance(tags, list):
        seen: list[str] = []
        for tag in tags:
            if isinstance(tag, str) and tag.strip() and tag.strip() not in seen:
                seen.append(tag.strip()[:MAX_TAG_LENGTH])
        out["tags"] = seen[:MAX_TAGS]
    if value.get("place") in _known(places):
        out["place"] = value["place"]
    if value.get("department") in _known(departments):
        out["department"] = value["department"]
    return out


def suggest_note_fields(
    runtime: ModelRuntime | None, text: str, categories: Sequence[str] = NOTE_CATEGORIES,
    timeout: float | None = 120.0, *, places: Sequence[str] = (), departments: Sequence[str] = (),
) -> dict[str, Any]:
    """Suggest ``{"category", "severity", "tags", "place", "department"}`` for a floor note; always returns a
    valid dict. ``place``/``department`` are one of ``places``/``departments`` or empty."""
    if runtime is None or runtime.state not in ("ready", "loading") or not text.strip():
        return validate_note_fields(None, categories)
    try:
        raw = runtime.complete_json(
            _messages(text, categories, places, departments),
            note_fields_schema(categories, places, departments),
            max_tokens=256,
            timeout=timeout,
        )
    except (ModelError, TimeoutError) as exc:
        log.info("note-field suggestion fell back to defaults: %s", exc)
        return validate_note_fields(None, categories)
    return validate_note_fields(raw, categories, places, departments)
