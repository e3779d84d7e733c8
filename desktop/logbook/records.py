"""The logbook's record types and their allowed values (DESIGN.md §5).

Plain dataclasses, no database code: the UI builds and edits these, the repository stores them.
Conventions that keep export → import → export byte-identical:

- Text fields are ``str`` and ``""`` means "not given" (never ``None``).
- Date-times are ISO strings ``YYYY-MM-DDTHH:MM:SS`` in local time, dates ``YYYY-MM-DD``.
- Every record has a stable UUID ``id`` made at creation, so importing the same file twice adds nothing twice.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime

CHANNELS = ("電話", "対面", "メール", "チャット", "その他")
INQUIRY_STATUSES = ("解決", "保留", "要対応")
RESOLUTIONS = ("回答済", "規程改訂へ", "他部署へ回付", "回答不能")
RATINGS = ("Good", "Bad")
SEVERITIES = ("低", "中", "高", "緊急")
NOTE_STATUSES = ("新規", "対応中", "対応済", "見送り")
CLOSED_NOTE_STATUSES = ("対応済", "見送り")  # a note in one of these has a resolved date
OPEN_NOTE_STATUSES = ("新規", "対応中")
DEFAULT_NOTE_CATEGORIES = (
    "設備・備品",
    "空調・照明・騒音",
    "安全・防災",
    "清掃・衛生",
    "IT・機器",
    "制度・ルール",
    "働き方・人間関係",
    "その他",
)
DEFAULT_INQUIRY_CATEGORIES = (
    "規程・制度",
    "経費精算",
    "出張・旅費",
    "慶弔・福利厚生",
    "勤怠・休暇",
    "施設・設備",
    "IT・機器",
    "備品・消耗品",
    "安全・防災",
    "その他",
)
KINDS = ("notes", "inquiries")

# Tags are a short list; these characters separate them in a CSV cell, so a tag cannot contain them.
TAG_SEPARATORS = re.compile(r"[,、，\n\r]+")
# Control characters break CSV/XLSX (openpyxl refuses them) and are never typed on purpose.
_BAD_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class ValidationError(ValueError):
    """Bad input, with a Japanese + English message that names the field and the allowed values."""

    def __init__(self, ja: str, en: str, field_name: str = "") -> None:
        super().__init__(f"{ja} / {en}")
        self.ja = ja
        self.en = en
        self.field_name = field_name


def new_id() -> str:
    return str(uuid.uuid4())


def now_iso() -> str:
    return datetime.now().replace(microsecond=0).isoformat()


def split_tags(value: str | list[str] | tuple[str, ...]) -> list[str]:
    """Tags from a list or from one cell (``騒音, 夜間``); stripped, empty ones dropped, order kept, no repeats."""
    parts = TAG_SEPARATORS.split(value) if isinstance(value, str) else list(value)
    out: list[str] = []
    for part in parts:
        for tag in TAG_SEPARATORS.split(part):
            tag = tag.strip()
            if tag and tag not in out:
                out.append(tag)
    return out


def join_tags(tags: list[str]) -> str:
    return ", ".join(tags)


def check_choice(value: str, allowed: tuple[str, ...] | list[str], field_ja: str, field_en: str) -> None:
    if value not in allowed:
        listed = " / ".join(allowed)
        raise ValidationError(
            f"{field_ja}「{value}」は使えません。使える値: {listed}",
            f"{field_en} {value!r} is not allowed; allowed values: {listed}",
            field_en,
        )


def check_text(value: str, field_ja: str, field_en: str) -> None:
    if not isinstance(value, str):
        raise ValidationError(f"{field_ja}は文字列にしてください", f"{field_en} must be text", field_en)
    if _BAD_CONTROL.search(value):
        raise ValidationError(
            f"{field_ja}に使えない制御文字が含まれています", f"{field_en} contains a control character", field_en
        )


@dataclass
class Source:
    """A document the answer cited: what ``kb`` returned as ``Hit.path``/``title``/``location``."""

    path: str
    title: str = ""
    location: str = ""

    def to_dict(self) -> dict[str, str]:
        return {"path": self.path, "title": self.title, "location": self.location}


@dataclass
class FollowUp:
    """One entry in a floor note's history: who did what, when."""

    text: str
    at: str = field(default_factory=now_iso)
    staff: str = ""
    id: str = field(default_factory=new_id)

    def to_dict(self) -> dict[str, str]:
        return {"id": self.id, "at": self.at, "staff": self.staff, "text": self.text}


@dataclass
class Inquiry:
    """問い合わせ: a question someone brought to the desk and what we answered."""

    question: str
    channel: str = "電話"
    department: str = ""
    requester: str = ""  # optional: many desks record only the department
    answer: str = ""
    sources: list[Source] = field(default_factory=list)
    category: str = ""  # at opening
    closing_category: str = ""  # at closing; "" = same as at opening
    status: str = "解決"
    resolution: str = ""  # one of RESOLUTIONS or ""
    rating: str = ""  # "Good", "Bad" or "" (not rated) — the rating of the AI answer
    rating_reason: str = ""
    minutes: int | None = None
    staff: str = ""
    occurred_at: str = field(default_factory=now_iso)
    id: str = field(default_factory=new_id)
    created_at: str = ""
    updated_at: str = ""
    # Team logbook (PostgreSQL) only: who created / last changed it, and the version an update must match
    # (optimistic concurrency). The SQLCipher store leaves them empty / 0.
    created_by: str = ""
    updated_by: str = ""
    version: int = 0

    def normalize(self) -> None:
        """Canonical forms (ISO date-time) so equal records compare and export equal."""
        self.occurred_at = normalize_datetime(self.occurred_at)

    def validate(self, categories: list[str] | None = None) -> None:
        for name, ja in (
            ("question", "質問"),
            ("answer", "回答"),
            ("department", "部署"),
            ("requester", "氏名"),
            ("staff", "担当者"),
            ("rating_reason", "評価理由"),
            ("category", "分類"),
            ("closing_category", "完了時の分類"),
        ):
            check_text(getattr(self, name), ja, name)
        if not self.question.strip():
            raise ValidationError("質問を入力してください", "the question is empty", "question")
        check_choice(self.channel, CHANNELS, "受付方法", "channel")
        check_choice(self.status, INQUIRY_STATUSES, "状況", "status")
        if self.resolution:
            check_choice(self.resolution, RESOLUTIONS, "対応結果", "resolution")
        if self.rating:
            check_choice(self.rating, RATINGS, "評価", "rating")
        if categories is not None:
            for name in ("category", "closing_category"):
                value = getattr(self, name)
                if value:
                    check_choice(value, categories, "分類", "category")
        if self.minutes is not None and (not isinstance(self.minutes, int) or self.minutes < 0):
            raise ValidationError("対応時間は0以上の整数(分)にしてください", "minutes must be a whole number ≥ 0")
        _check_datetime(self.occurred_at, "日時", "occurred_at")


@dataclass
class Note:
    """現場の声 (floor note): what someone said or staff saw on the floor, with the ヒヤリハット fields."""

    text: str
    place: str = ""
    department: str = ""
    category: str = "その他"
    severity: str = "低"
    anonymous: bool = False
    speaker: str = ""  # who spoke; empty when anonymous or unknown
    cause: str = ""
    consequence: str = ""  # what it could lead to
    countermeasure: str = ""
    status: str = "新規"
    owner: str = ""
    due_date: str = ""
    resolved_date: str = ""
    tags: list[str] = field(default_factory=list)
    followups: list[FollowUp] = field(default_factory=list)
    occurred_at: str = field(default_factory=now_iso)
    id: str = field(default_factory=new_id)
    created_at: str = ""
    updated_at: str = ""
    # Team logbook (PostgreSQL) only: who created / last changed it, and the version an update must match
    # (optimistic concurrency). The SQLCipher store leaves them empty / 0.
    created_by: str = ""
    updated_by: str = ""
    version: int = 0

    def set_status(self, status: str, today: date | None = None) -> None:
        """Change the status with its side effect: closing sets the resolved date (a date the user typed is
        kept), reopening clears it."""
        check_choice(status, NOTE_STATUSES, "状況", "status")
        self.status = status
        if status in CLOSED_NOTE_STATUSES:
            if not self.resolved_date:
                self.resolved_date = (today or date.today()).isoformat()
        else:
            self.resolved_date = ""

    def normalize(self) -> None:
        """Canonical forms (ISO dates, split tags) so equal records compare and export equal."""
        self.occurred_at = normalize_datetime(self.occurred_at)
        self.due_date = normalize_date(self.due_date, "期限", "due_date")
        self.resolved_date = normalize_date(self.resolved_date, "解決日", "resolved_date")
        self.tags = split_tags(self.tags)
        for fu in self.followups:
            fu.at = normalize_datetime(fu.at, "対応日時", "followups")

    def validate(self, categories: list[str] | None = None) -> None:
        for name, ja in (
            ("text", "内容"),
            ("place", "場所"),
            ("department", "部署"),
            ("speaker", "発言者"),
            ("cause", "原因"),
            ("consequence", "想定される影響"),
            ("countermeasure", "対策"),
            ("owner", "担当者"),
            ("category", "分類"),
        ):
            check_text(getattr(self, name), ja, name)
        if not self.text.strip():
            raise ValidationError("内容を入力してください", "the note text is empty", "text")
        if self.anonymous and self.speaker:
            raise ValidationError("匿名の声に発言者は記録できません", "an anonymous note cannot name a speaker")
        check_choice(self.severity, SEVERITIES, "重要度", "severity")
        check_choice(self.status, NOTE_STATUSES, "状況", "status")
        if categories is not None:
            check_choice(self.category, categories, "分類", "category")
        for tag in self.tags:
            check_text(tag, "タグ", "tags")
            if TAG_SEPARATORS.search(tag) or tag != tag.strip() or not tag:
                raise ValidationError("タグに区切り文字(,、改行)は使えません", "a tag cannot contain , 、 or a newline")
        _check_datetime(self.occurred_at, "日時", "occurred_at")
        for name, ja in (("due_date", "期限"), ("resolved_date", "解決日")):
            value = getattr(self, name)
            if value:
                _check_date(value, ja, name)
        for fu in self.followups:
            check_text(fu.text, "対応履歴", "followups")
            check_text(fu.staff, "対応者", "followups")
            _check_datetime(fu.at, "対応日時", "followups")


@dataclass
class Filters:
    """What the list, export and reports select. All fields are optional; dates are inclusive.

    ``status``/``category`` accept one value or several; ``text`` is a full-text filter (space = AND).
    """

    date_from: str = ""  # YYYY-MM-DD
    date_to: str = ""  # YYYY-MM-DD
    # One value or several; always a tuple after construction.
    status: tuple[str, ...] | str = ()
    category: tuple[str, ...] | str = ()
    text: str = ""
    place: str = ""
    department: str = ""
    severity: tuple[str, ...] | str = ()
    channel: tuple[str, ...] | str = ()
    limit: int | None = None
    offset: int = 0
    newest_first: bool = True

    def __post_init__(self) -> None:
        for name in ("status", "category", "severity", "channel"):
            value = getattr(self, name)
            if isinstance(value, str):
                setattr(self, name, (value,) if value else ())
            else:
                setattr(self, name, tuple(value))
        for name, ja in (("date_from", "開始日"), ("date_to", "終了日")):
            value = getattr(self, name)
            if value:
                _check_date(value, ja, name)


def _check_datetime(value: str, ja: str, en: str) -> None:
    try:
        datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise ValidationError(
            f"{ja}の形式が正しくありません(例 2026-04-01T09:30:00): {value!r}",
            f"{en} is not an ISO date-time (e.g. 2026-04-01T09:30:00): {value!r}",
            en,
        ) from None


def _check_date(value: str, ja: str, en: str) -> None:
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value or ""):
        raise ValidationError(
            f"{ja}は YYYY-MM-DD の形式にしてください: {value!r}", f"{en} must be YYYY-MM-DD: {value!r}", en
        )
    try:
        datetime.strptime(value, "%Y-%m-%d")
    except ValueError:
        raise ValidationError(f"{ja}の日付が存在しません: {value}", f"{en} is not a real date: {value}", en) from None


_CANONICAL_DT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}")
_DT_FORMATS = (
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%Y年%m月%d日 %H:%M",
    "%Y年%m月%d日",
)


def normalize_datetime(value: str | datetime, ja: str = "日時", en: str = "occurred_at") -> str:
    """``YYYY-MM-DDTHH:MM:SS`` from ISO or from what Excel writes back (``2026/4/1 9:30``)."""
    if isinstance(value, datetime):
        return value.replace(microsecond=0, tzinfo=None).isoformat()
    text = value.strip()
    if _CANONICAL_DT.fullmatch(text):  # the common case (our own files): checked in C, returned as is
        try:
            datetime.fromisoformat(text)
            return text
        except ValueError:
            _check_datetime(text, ja, en)
    for fmt in _DT_FORMATS:
        try:
            return datetime.strptime(text, fmt).isoformat()
        except ValueError:
            continue
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        _check_datetime(text, ja, en)
        raise
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone().replace(tzinfo=None)
    return parsed.replace(microsecond=0).isoformat()


def normalize_date(value: str | datetime, ja: str = "日付", en: str = "date") -> str:
    """``YYYY-MM-DD`` (or ``""``) from ISO or Excel-style input."""
    if isinstance(value, datetime):
        return value.date().isoformat()
    text = value.strip()
    if not text:
        return ""
    return normalize_datetime(text, ja, en)[:10]
