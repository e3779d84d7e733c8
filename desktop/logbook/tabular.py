"""Records ⇄ rows of text cells: the one column layout that CSV and XLSX share.

Every cell is text, so a spreadsheet never turns a code like ``0123`` into a number or ``1/2`` into a
date. Lists (follow-ups, cited sources) are JSON in one cell: exact, and still readable in Excel.
A file without an ID column (typed by hand in Excel) gets IDs derived from each row's content, so
importing the same file twice still adds nothing twice.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from desktop.logbook.records import (
    FollowUp,
    Inquiry,
    Note,
    Source,
    ValidationError,
    join_tags,
    split_tags,
)

NOTE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("id", "ID"),
    ("occurred_at", "日時"),
    ("place", "場所"),
    ("department", "部署"),
    ("category", "分類"),
    ("severity", "重要度"),
    ("text", "内容"),
    ("anonymous", "匿名"),
    ("speaker", "発言者"),
    ("cause", "原因"),
    ("consequence", "想定される影響"),
    ("countermeasure", "対策"),
    ("status", "状況"),
    ("owner", "担当者"),
    ("due_date", "期限"),
    ("resolved_date", "解決日"),
    ("tags", "タグ"),
    ("followups", "対応履歴"),
    ("created_at", "作成日時"),
    ("updated_at", "更新日時"),
)
INQUIRY_COLUMNS: tuple[tuple[str, str], ...] = (
    ("id", "ID"),
    ("occurred_at", "日時"),
    ("channel", "受付方法"),
    ("department", "部署"),
    ("requester", "氏名"),
    ("question", "質問"),
    ("answer", "回答"),
    ("sources", "出典"),
    ("category", "分類(受付時)"),
    ("closing_category", "分類(完了時)"),
    ("status", "状況"),
    ("resolution", "対応結果"),
    ("rating", "AI回答の評価"),
    ("rating_reason", "評価の理由"),
    ("minutes", "対応時間(分)"),
    ("staff", "担当者"),
    ("created_at", "作成日時"),
    ("updated_at", "更新日時"),
)
REQUIRED = {"notes": "text", "inquiries": "question"}
_ID_NAMESPACE = uuid.UUID("5b1c1f55-3c1e-4a57-9a43-1f3a5d0e6b21")
_YES = {"はい", "1", "true", "yes", "y", "匿名", "○", "✓"}
_NO = {"いいえ", "0", "false", "no", "n", ""}


def columns(kind: str) -> tuple[tuple[str, str], ...]:
    return NOTE_COLUMNS if kind == "notes" else INQUIRY_COLUMNS


def header(kind: str) -> list[str]:
    return [ja for _, ja in columns(kind)]


def record_cells(kind: str, record: Note | Inquiry) -> list[str]:
    """The record as text cells, in :func:`columns` order."""
    out: list[str] = []
    for key, _ in columns(kind):
        value = getattr(record, key)
        if key == "anonymous":
            out.append("はい" if value else "いいえ")
        elif key == "tags":
            out.append(join_tags(value))
        elif key in ("followups", "sources"):
            out.append(json.dumps([v.to_dict() for v in value], ensure_ascii=False) if value else "")
        elif key == "minutes":
            out.append("" if value is None else str(value))
        else:
            out.append(str(value))
    return out


@dataclass
class RowError:
    row: int  # 1-based line/row number in the file, header = 1
    message: str


@dataclass
class ParsedRows:
    records: list[Note | Inquiry] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)


def map_header(kind: str, cells: Sequence[str]) -> tuple[list[str | None], list[str]]:
    """Field key per column (``None`` = unknown column) and the unknown headers. Accepts ja or en names."""
    by_name: dict[str, str] = {}
    for key, ja in columns(kind):
        by_name[ja] = key
        by_name[key] = key
    keys: list[str | None] = []
    unknown: list[str] = []
    for cell in cells:
        name = cell.strip().lstrip("\ufeff")
        found = by_name.get(name)
        keys.append(found)
        if found is None and name:
            unknown.append(name)
    if REQUIRED[kind] not in keys:
        ja = dict(columns(kind))[REQUIRED[kind]]
        raise ValidationError(
            f"見出し行に「{ja}」の列がありません。この種類のファイルではないようです",
            f"the header row has no {ja!r} ({REQUIRED[kind]}) column; is this the right kind of file?",
        )
    return keys, unknown


def parse_rows(kind: str, keys: list[str | None], rows: Sequence[tuple[int, Sequence[str]]]) -> ParsedRows:
    """Build records from text rows; errors are collected per row (the caller imports nothing on error)."""
    out = ParsedRows()
    for row_no, cells in rows:
        if not any(c.strip() for c in cells):
            continue
        values = {k: (cells[i] if i < len(cells) else "") for i, k in enumerate(keys) if k is not None}
        try:
            record = _build(kind, values)
            record.normalize()
            record.validate(None)  # categories are checked (and new ones added) by the merge
        except (ValidationError, ValueError, TypeError, KeyError) as exc:
            out.errors.append(RowError(row_no, str(exc)))
            continue
        out.records.append(record)
    return out


def _build(kind: str, v: dict[str, str]) -> Note | Inquiry:
    if not v.get("occurred_at", "").strip():
        raise ValidationError("日時が空です", "the date-time (日時) is empty")
    record_id = v.get("id", "").strip()
    if not record_id:
        content = "\x1f".join(v.get(k, "") for k, _ in columns(kind) if k not in ("id", "created_at", "updated_at"))
        record_id = str(uuid.uuid5(_ID_NAMESPACE, f"{kind}\x1e{content}"))
    if kind == "notes":
        anonymous = v.get("anonymous", "").strip().lower()
        if anonymous not in _YES and anonymous not in _NO:
            raise ValidationError(
                f"匿名の値「{anonymous}」が分かりません(はい/いいえ)", f"anonymous {anonymous!r} is not yes/no"
            )
        followups = [
            FollowUp(text=str(d["text"]), at=str(d.get("at", "")), staff=str(d.get("staff", "")), id=str(d["id"]))
            for d in _json_list(v.get("followups", ""), "対応履歴")
        ]
        note = Note(
            text=v.get("text", ""),
            id=record_id,
            anonymous=anonymous in _YES,
            tags=split_tags(v.get("tags", "")),
            followups=followups,
        )
        for key in (
            "occurred_at", "place", "department", "category", "severity", "speaker", "cause", "consequence",
            "countermeasure", "status", "owner", "due_date", "resolved_date", "created_at", "updated_at",
        ):
            if key in v and (v[key] or key not in ("occurred_at", "category", "severity", "status")):
                setattr(note, key, v[key])
        return note
    minutes_text = v.get("minutes", "").strip()
    try:
        minutes = int(minutes_text) if minutes_text else None
    except ValueError:
        raise ValidationError(
            f"対応時間(分)は整数にしてください: {minutes_text!r}", f"minutes must be a whole number: {minutes_text!r}"
        ) from None
    sources = [
        Source(str(d.get("path", "")), str(d.get("title", "")), str(d.get("location", "")))
        for d in _json_list(v.get("sources", ""), "出典")
    ]
    inquiry = Inquiry(question=v.get("question", ""), id=record_id, minutes=minutes, sources=sources)
    for key in (
        "occurred_at", "channel", "department", "requester", "answer", "category", "closing_category", "status",
        "resolution", "rating", "rating_reason", "staff", "created_at", "updated_at",
    ):
        if key in v and (v[key] or key not in ("occurred_at", "channel", "status")):
            setattr(inquiry, key, v[key])
    return inquiry


def _json_list(text: str, ja: str) -> list[dict[str, object]]:
    if not text.strip():
        return []
    try:
        data = json.loads(text)
    except ValueError:
        raise ValidationError(f"{ja}の列がJSONとして読めません", f"the {ja} column is not valid JSON") from None
    if not isinstance(data, list) or not all(isinstance(d, dict) for d in data):
        raise ValidationError(f"{ja}の列の形式が違います", f"the {ja} column has the wrong shape")
    return data
