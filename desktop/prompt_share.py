"""Share the prompt library without a server: export it to a JSON file, import one, add the starter set.

A team with no shared server passes a file around (a shared folder, a USB stick). Importing must be safe to
repeat and safe in any order, so the merge follows a few rules:

* **By id, never twice.** A prompt keeps its UUID wherever it travels; importing a file again adds nothing.
  A prompt with a new id but the very same title and text as one already here is also not added again.
* **Newer wins.** When both sides have the prompt, the side with the later ``updated_at`` keeps its title,
  text, author and tags, so an edit made on one PC reaches the others and an old file cannot undo it.
* **Counters merge with max, not sum.** Uses and ratings are what made a prompt rise to the top; a file
  carries its author's counts so the team sees which prompts lead. Summing would double them each time the
  same file is imported; the larger of the two is idempotent and never loses what was counted here.
  A rating is the pair (total, count), so the pair with more ratings is kept whole (never mixed).
* **All or nothing.** The file is read and checked completely first; a bad file raises
  :class:`PromptFileError` (Japanese and English, naming each bad entry) and changes nothing. The merge
  runs in one logbook transaction.

The merge itself is :meth:`desktop.logbook.PromptLibrary.merge` (one logbook transaction): unlike ``add`` and
``update`` it keeps the file's timestamps and counts.

The starter set (``desktop/data/starter_prompts.json``) has fixed ids and an old ``updated_at``, so adding it
twice — or on two PCs that later swap files — never duplicates, and a colleague's edit of a starter prompt
wins over the original.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any

from desktop.logbook import Logbook, Prompt
from desktop.logbook.records import ValidationError, new_id, now_iso, split_tags

log = logging.getLogger(__name__)

FORMAT = "soumu-desk-prompts"
VERSION = 1
PLACEHOLDER = "{入力}"
MAX_FILE_BYTES = 20 * 1024 * 1024  # a prompt file is small; a huge one is the wrong file
MAX_LISTED_ERRORS = 10

SYSTEM_PROMPT = (
    "あなたは日本企業の総務担当者を手伝うアシスタントです。指示に従い、丁寧で簡潔な日本語で答えてください。"
    "入力にない事実は書かず、分からない点は「要確認」と書いてください。"
)


class PromptFileError(Exception):
    """A prompt file that cannot be read or imported; nothing was changed. ``errors`` lists bad entries."""

    def __init__(self, ja: str, en: str, errors: Sequence[tuple[str, str]] = ()) -> None:
        self.ja = ja
        self.en = en
        self.errors = list(errors)
        super().__init__(f"{ja} / {en}")


@dataclass
class MergeResult:
    """What an import (or adding the starter set) did. ``updated`` counts prompts whose stored values changed."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def total(self) -> int:
        return self.added + self.updated + self.unchanged

    def summary_ja(self) -> str:
        return f"追加 {self.added} 件、更新 {self.updated} 件、変更なし {self.unchanged} 件"

    def summary_en(self) -> str:
        return f"{self.added} added, {self.updated} updated, {self.unchanged} unchanged"


# --- templates ---------------------------------------------------------------------------------------


def fill_template(template: str, text: str) -> str:
    """Put the user's text where ``{入力}`` stands (every occurrence).

    A template without the placeholder still works: the text is appended after a blank line, so a prompt
    written without knowing the convention is not silently run without its input.
    """
    text = text.strip()
    if PLACEHOLDER in template:
        return template.replace(PLACEHOLDER, text)
    if not text:
        return template
    return f"{template.rstrip()}\n\n{text}"


def needs_input(template: str) -> bool:
    return PLACEHOLDER in template


def chat_messages(filled: str) -> list[dict[str, str]]:
    """The chat request for a filled prompt: a short system prompt for 総務 work, then the prompt."""
    return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": filled}]


# --- export --------------------------------------------------------------------------------------------


def prompt_to_dict(p: Prompt) -> dict[str, Any]:
    return {
        "id": p.id,
        "title": p.title,
        "text": p.text,
        "author": p.author,
        "tags": list(p.tags),
        "uses": p.uses,
        "rating_total": p.rating_total,
        "rating_count": p.rating_count,
        "created_at": p.created_at,
        "updated_at": p.updated_at,
    }


def export_prompts(prompts: Iterable[Prompt], path: Path) -> int:
    """Write ``prompts`` to ``path`` as UTF-8 JSON (atomically: a failed write leaves any old file intact).

    Returns how many were written. Raises ``OSError`` when the folder cannot be written.
    """
    items = [prompt_to_dict(p) for p in prompts]
    doc = {"format": FORMAT, "version": VERSION, "exported_at": now_iso(), "prompts": items}
    data = json.dumps(doc, ensure_ascii=False, indent=2) + "\n"
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=".prompts-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    log.info("exported %d prompts", len(items))
    return len(items)


def export_library(book: Logbook, path: Path) -> int:
    """Export the whole library, best first (the order the page shows)."""
    return export_prompts(book.prompts.list(), path)


# --- reading a file --------------------------------------------------------------------------------------


def read_prompt_file(path: Path) -> list[Prompt]:
    """Read and check a prompt file completely. Raises :class:`PromptFileError`; never a half result."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise PromptFileError(
                f"ファイルが大きすぎます（{size // (1024 * 1024)} MB）。プロンプト集のファイルではないようです",
                f"the file is too large ({size // (1024 * 1024)} MB); it does not look like a prompt file",
            )
        raw = path.read_bytes()
    except FileNotFoundError:
        raise PromptFileError(f"ファイルが見つかりません: {path}", f"file not found: {path}") from None
    except IsADirectoryError:
        raise PromptFileError(f"フォルダーではなくファイルを選んでください: {path}",
                              f"choose a file, not a folder: {path}") from None
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise PromptFileError(f"ファイルを読めません（{reason}）: {path}",
                              f"cannot read the file ({reason}): {path}") from None
    try:
        doc = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise PromptFileError(
            "文字コードが UTF-8 ではありません。総務デスクで書き出したプロンプト集（.json）を選んでください",
            "the file is not UTF-8; choose a prompt file (.json) exported by Soumu Desk",
        ) from None
    except json.JSONDecodeError as exc:
        raise PromptFileError(
            f"JSON として読めません（{exc.lineno} 行目）。総務デスクで書き出したプロンプト集を選んでください",
            f"not valid JSON (line {exc.lineno}); choose a prompt file exported by Soumu Desk",
        ) from None
    return parse_prompt_document(doc)


def parse_prompt_document(doc: Any) -> list[Prompt]:
    """Check a decoded prompt file; duplicate ids inside one file keep the newest entry."""
    if not isinstance(doc, dict) or doc.get("format") != FORMAT or not isinstance(doc.get("prompts"), list):
        raise PromptFileError(
            "総務デスクのプロンプト集ではありません（format が soumu-desk-prompts の JSON が必要です）",
            "this is not a Soumu Desk prompt file (a JSON object with format soumu-desk-prompts is needed)",
        )
    version = doc.get("version")
    if not isinstance(version, int) or version < 1:
        raise PromptFileError("プロンプト集の版（version）が読めません", "the prompt file's version is missing or invalid")
    if version > VERSION:
        raise PromptFileError(
            f"新しい版（{version}）のプロンプト集です。総務デスクを更新してから読み込んでください",
            f"the prompt file is a newer version ({version}); update Soumu Desk to import it",
        )
    prompts: dict[str, Prompt] = {}
    errors: list[tuple[str, str]] = []
    for n, item in enumerate(doc["prompts"], start=1):
        try:
            p = _prompt_from_dict(item)
        except ValidationError as exc:
            errors.append((f"{n} 件目: {exc.ja}", f"entry {n}: {exc.en}"))
            continue
        seen = prompts.get(p.id)
        if seen is None or p.updated_at > seen.updated_at:
            prompts[p.id] = p
    if errors:
        shown = errors[:MAX_LISTED_ERRORS]
        more_ja = f"（ほか {len(errors) - len(shown)} 件）" if len(errors) > len(shown) else ""
        more_en = f" (and {len(errors) - len(shown)} more)" if len(errors) > len(shown) else ""
        raise PromptFileError(
            f"読み込めない項目が {len(errors)} 件あります。何も取り込んでいません: "
            + " / ".join(ja for ja, _ in shown) + more_ja,
            f"{len(errors)} entries cannot be read; nothing was imported: "
            + " / ".join(en for _, en in shown) + more_en,
            errors,
        )
    return list(prompts.values())


def _prompt_from_dict(item: Any) -> Prompt:
    if not isinstance(item, dict):
        raise ValidationError("項目がオブジェクトではありません", "the entry is not an object")
    texts: dict[str, str] = {}
    for key, ja in (("title", "題名"), ("text", "本文"), ("author", "作成者"), ("id", "ID")):
        value = item.get(key, "")
        if value is None:
            value = ""
        if not isinstance(value, str):
            raise ValidationError(f"{ja}が文字列ではありません", f"{key} is not text", key)
        texts[key] = value
    tags = item.get("tags", [])
    if not (isinstance(tags, str) or (isinstance(tags, list) and all(isinstance(t, str) for t in tags))):
        raise ValidationError("タグが文字列の一覧ではありません", "tags are not a list of text", "tags")
    tags = split_tags(tags)
    counts = {key: _count(item.get(key, 0), key) for key in ("uses", "rating_total", "rating_count")}
    # A rating pair that cannot be right (average outside 1–5) is dropped rather than trusted.
    if not counts["rating_count"] <= counts["rating_total"] <= 5 * counts["rating_count"]:
        counts["rating_total"] = counts["rating_count"] = 0
    created = _timestamp(item.get("created_at"), "作成日時", "created_at")
    updated = _timestamp(item.get("updated_at"), "更新日時", "updated_at") or created
    p = Prompt(
        title=texts["title"].strip(), text=texts["text"], author=texts["author"].strip(), tags=tags,
        id=texts["id"].strip() or new_id(), created_at=created or updated, updated_at=updated,
        **counts,
    )
    p.validate()
    return p


def _count(value: Any, key: str) -> int:
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValidationError(f"{key} は 0 以上の整数にしてください", f"{key} must be a whole number ≥ 0", key)
    return value


def _timestamp(value: Any, ja: str, key: str) -> str:
    """An ISO date-time as the logbook stores it (local time, seconds); ``""`` when not given."""
    if value in (None, ""):
        return ""
    if not isinstance(value, str):
        raise ValidationError(f"{ja}が文字列ではありません", f"{key} is not text", key)
    try:
        when = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValidationError(f"{ja}「{value}」が日時として読めません", f"{key} {value!r} is not a date-time",
                              key) from None
    if when.tzinfo is not None:
        when = when.astimezone().replace(tzinfo=None)
    return when.replace(microsecond=0).isoformat()


# --- merging -----------------------------------------------------------------------------------------------

def merge_prompts(book: Logbook, incoming: Sequence[Prompt]) -> MergeResult:
    """Merge ``incoming`` into the library by the rules of the module docstring, in one transaction."""
    added, updated, unchanged = book.prompts.merge(incoming)
    result = MergeResult(added=added, updated=updated, unchanged=unchanged)
    log.info("merged prompts: %d added, %d updated, %d unchanged", result.added, result.updated, result.unchanged)
    return result


def import_file(book: Logbook, path: Path) -> MergeResult:
    """Read ``path`` completely, then merge it. Raises :class:`PromptFileError` and changes nothing on a bad file."""
    return merge_prompts(book, read_prompt_file(path))


# --- starter set -------------------------------------------------------------------------------------------


def starter_prompts() -> list[Prompt]:
    """The bundled starter set (useful prompts for 総務 work with a local model)."""
    data = resources.files("desktop").joinpath("data", "starter_prompts.json").read_bytes()
    return parse_prompt_document(json.loads(data.decode("utf-8")))


def add_starter_set(book: Logbook) -> MergeResult:
    """Add the starter prompts (merge by their fixed ids: running it again adds nothing)."""
    return merge_prompts(book, starter_prompts())
