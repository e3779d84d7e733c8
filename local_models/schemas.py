"""Structured tasks with llama.cpp's JSON-schema constrained output.

The grammar guarantees the *shape*; bounded strings and arrays (``maxLength``/``maxItems``) guarantee the
output ends before ``max_tokens`` even from a tiny model that would otherwise ramble inside a string. The
result is still validated, and defaults are returned when no model is loaded or it fails: a suggestion is
a convenience, never a reason for the note form to stop working.
"""

from __future__ import annotations

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
DEFAULT_FIELDS: dict[str, Any] = {"category": "その他", "severity": "中", "tags": []}


def note_fields_schema(categories: Sequence[str] = NOTE_CATEGORIES) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {
            "category": {"type": "string", "enum": list(categories)},
            "severity": {"type": "string", "enum": list(SEVERITIES)},
            "tags": {
                "type": "array",
                "items": {"type": "string", "minLength": 1, "maxLength": MAX_TAG_LENGTH},
                "maxItems": MAX_TAGS,
            },
        },
        "required": ["category", "severity", "tags"],
        "additionalProperties": False,
    }


def _messages(text: str, categories: Sequence[str]) -> list[dict[str, str]]:
    menu = "".join(
        f"- {c}" + (f"（{CATEGORY_HINTS[c]}）" if c in CATEGORY_HINTS else "") + "\n" for c in categories
    )
    system = (
        "職場の「現場の声」を分類します。JSONだけを出力してください。\n"
        f"category は次のどれか:\n{menu}"
        "severity は 低・中・高・緊急 のどれか（けが・火災・漏電などの危険は 緊急）。\n"
        f"tags は内容を表す短い日本語の語を{MAX_TAGS}個まで。"
    )
    return [
        {"role": "system", "content": system},
        {"role": "user", "content": "3階の給湯室の蛍光灯がちらついていて暗い。"},
        {"role": "assistant", "content": '{"category": "空調・照明・騒音", "severity": "低", "tags": ["照明", "給湯室", "3階"]}'},
        {"role": "user", "content": text.strip()[:1500]},
    ]


def validate_note_fields(value: Any, categories: Sequence[str] = NOTE_CATEGORIES) -> dict[str, Any]:
    """Keep what is valid, replace what is not with the default."""
    out: dict[str, Any] = {"category": DEFAULT_FIELDS["category"], "severity": DEFAULT_FIELDS["severity"], "tags": []}
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
    return out


def suggest_note_fields(
    runtime: ModelRuntime | None, text: str, categories: Sequence[str] = NOTE_CATEGORIES,
    timeout: float | None = 120.0,
) -> dict[str, Any]:
    """Suggest ``{"category", "severity", "tags"}`` for a floor note; always returns a valid dict."""
    if runtime is None or runtime.state not in ("ready", "loading") or not text.strip():
        return validate_note_fields(None, categories)
    try:
        raw = runtime.complete_json(_messages(text, categories), note_fields_schema(categories), max_tokens=160,
                                    timeout=timeout)
    except (ModelError, TimeoutError) as exc:
        log.info("note-field suggestion fell back to defaults: %s", exc)
        return validate_note_fields(None, categories)
    return validate_note_fields(raw, categories)
