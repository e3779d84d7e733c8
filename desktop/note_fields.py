"""Place and department of a floor note, read from its text against the logbook's own lists.

People write 「3階の会議室Bが寒いと営業の人から」, not 「会議室B」「営業部」 in separate fields. This matcher finds the
known place and department the text names, deterministically, so the capture form can fill them whatever the
model (or without one). The model's choice (``local_models.schemas``: one of the same lists, or empty) is used
only when the matcher finds nothing.

How a known value is recognised (text and values are NFKC-folded, spaces dropped, and a floor written
「3階」「３Ｆ」「3F」 is the same ``3F``):

* **place** — the whole name in the text (「会議室B」 within 「3階の会議室B」), or its last part (「本社3F 執務室」 →
  「執務室」; 「給湯室（本社3F）」 → 「給湯室」) when the floor the text gives does not contradict the place's floor.
  Every other part of the name that the text also gives (「3F」, 「本社」) counts for it, so 「3階の給湯室」 picks
  「給湯室（本社3F）」 over 「給湯室（本社4F）」. When two places fit equally well the matcher picks neither.
* **department** — the whole name, or the name without its suffix (「営業部」 → 「営業」, 「品質保証部」 → 「品質保証」)
  standing as a word: not glued to other kanji or katakana (「営業の人」 yes, 「営業日」「大阪営業所」 no). A mention
  followed by 「の人」「さん」「から」… (who said it) counts more; a department that is also the note's place (大阪営業所)
  gives way to another department the text names. Ties pick neither.

No Qt, no model, no logbook access: the caller hands the lists in (most used first).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

_FLOOR = re.compile(r"(地下|B)?(\d{1,2})\s*(?:階|F|フロア)", re.IGNORECASE)
_PAREN = re.compile(r"[（(]([^）)]*)[）)]")
_QUALIFIER_SPLIT = re.compile(r"[\s・、,／/〜~\-－]+")
_DEPARTMENT_SUFFIXES = ("部門", "部", "課", "室", "チーム", "グループ", "センター")
# Who said it: 「営業の人から」「経理さんが」「技術より」.
_SPEAKER_CUE = re.compile(r"^(?:部|課)?(?:の(?:人|方|かた|社員|メンバー|皆さん|みなさん)|さん|から|より|側|で働く)")
_WORD_CHAR = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\u30a0-\u30ffー々]")


def fold(text: str) -> str:
    """NFKC, no spaces, floors as ``3F`` / ``B1F``: the form both the text and the values are compared in."""
    text = unicodedata.normalize("NFKC", text)
    text = _FLOOR.sub(lambda m: ("B" if m.group(1) else "") + f"{int(m.group(2))}F", text)
    return re.sub(r"\s+", "", text)


def _floors(folded: str) -> set[str]:
    return set(re.findall(r"B?\d{1,2}F", folded))


@dataclass(frozen=True)
class _PlaceForms:
    value: str
    whole: str
    head: str  # the last part, "" when it is the whole name or too short to mean anything alone
    qualifiers: tuple[str, ...]
    floors: frozenset[str]


def _place_forms(value: str) -> _PlaceForms:
    normal = unicodedata.normalize("NFKC", value).strip()
    parens = _PAREN.findall(normal)
    base = _PAREN.sub(" ", normal).split()
    head = fold(base[-1]) if base else ""
    parts = [*base[:-1], *parens]
    qualifiers: list[str] = []
    for part in parts:
        folded = fold(part)
        floors = re.findall(r"B?\d{1,2}F", folded)
        qualifiers.extend(floors)
        for rest in _QUALIFIER_SPLIT.split(re.sub(r"B?\d{1,2}F", " ", folded)):
            if len(rest) >= 2:
                qualifiers.append(rest)
    whole = fold(normal)
    if head == whole or len(head) < 2:
        head = ""
    return _PlaceForms(value, whole, head, tuple(dict.fromkeys(qualifiers)), frozenset(_floors(whole)))


def _pick(scored: dict[str, float]) -> str:
    """The best-scoring value; none when two share the best score."""
    if not scored:
        return ""
    ranked = sorted(scored.items(), key=lambda kv: -kv[1])
    if len(ranked) > 1 and ranked[1][1] == ranked[0][1]:
        return ""
    return ranked[0][0]


def match_place(text: str, places: Sequence[str]) -> str:
    """The known place ``text`` names, or ``""``."""
    folded = fold(text)
    text_floors = _floors(folded)
    scored: dict[str, float] = {}
    for value in dict.fromkeys(p for p in places if p and p.strip()):
        forms = _place_forms(value)
        if len(forms.whole) >= 2 and forms.whole in folded:
            scored[value] = 1000 + len(forms.whole)
        elif forms.head and forms.head in folded:
            if forms.floors and text_floors and not forms.floors & text_floors:
                continue  # 「2階のトイレ」 is not 「本社4F トイレ」
            scored[value] = len(forms.head) + 10 * sum(q in folded for q in forms.qualifiers)
    return _pick(scored)


def _without_suffix(folded: str) -> str:
    for suffix in _DEPARTMENT_SUFFIXES:
        if folded.endswith(suffix) and len(folded) >= len(suffix) + 2:
            return folded[: -len(suffix)]
    return ""


def _standalone(folded: str, start: int, end: int) -> bool:
    before = folded[start - 1] if start > 0 else ""
    after = folded[end] if end < len(folded) else ""
    return not (before and _WORD_CHAR.match(before)) and not (after and _WORD_CHAR.match(after))


def match_department(text: str, departments: Sequence[str], place: str = "") -> str:
    """The known department ``text`` names, or ``""``. ``place`` is the note's place, if known."""
    folded = fold(text)
    scored: dict[str, float] = {}
    for value in dict.fromkeys(d for d in departments if d and d.strip()):
        whole = fold(value)
        short = _without_suffix(whole)
        best = 0.0
        for form, is_whole in ((whole, True), (short, False)):
            if len(form) < 2:
                continue
            for m in re.finditer(re.escape(form), folded):
                if not is_whole and not _standalone(folded, m.start(), m.end()):
                    continue
                score = len(form) + (50 if is_whole else 0)
                if _SPEAKER_CUE.match(folded[m.end():]):
                    score += 100
                best = max(best, score)
        if best:
            scored[value] = best
    if place and place in scored and len(scored) > 1:
        del scored[place]  # 「大阪営業所の営業の人」: the office is where, 営業部 is who
    # A department inside a longer one the text also names is not meant (「大阪営業所」 holds 「営業」).
    for value in list(scored):
        short = _without_suffix(fold(value)) or fold(value)
        if any(other != value and short in fold(other) and fold(other) in folded for other in scored):
            del scored[value]
    return _pick(scored)


@dataclass
class NoteSuggestion:
    """What the capture form may fill. ``*_from`` says where a place/department came from: ``"text"`` (the
    matcher), ``"model"``, or ``""`` (nothing)."""

    category: str = ""
    severity: str = ""
    tags: list[str] = field(default_factory=list)
    place: str = ""
    department: str = ""
    place_from: str = ""
    department_from: str = ""
    model_used: bool = False


def suggest_note(
    runtime: Any, text: str, *, categories: Sequence[str], places: Sequence[str], departments: Sequence[str],
    timeout: float | None = 120.0,
) -> NoteSuggestion:
    """The matcher's place/department joined with the model's suggestion (``runtime`` may be ``None``).

    The matcher wins where it matches; the model's choice from the same lists fills what it left empty."""
    from local_models.schemas import suggest_note_fields

    place = match_place(text, places)
    department = match_department(text, departments, place)
    out = NoteSuggestion(place=place, department=department, place_from="text" if place else "",
                         department_from="text" if department else "")
    model_ready = runtime is not None and getattr(runtime, "state", "none") in ("ready", "loading")
    if not model_ready or not text.strip():
        return out
    fields = suggest_note_fields(runtime, text, categories, timeout, places=places, departments=departments)
    out.model_used = True
    out.category, out.severity, out.tags = fields["category"], fields["severity"], list(fields["tags"])
    if not out.place and fields["place"]:
        out.place, out.place_from = fields["place"], "model"
    if not out.department and fields["department"]:
        out.department, out.department_from = fields["department"], "model"
    return out
