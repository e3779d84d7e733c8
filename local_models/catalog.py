"""Model files: find them, import them, choose one, and the list of recommended models.

The app never downloads a model. It looks in the folders it is given (the data home's ``models/`` and the
bundled ``local_models/models/``), imports any ``.gguf`` the user picks (a checked, hashed copy), and shows a
fixed list of Japanese-capable models a person can fetch themselves.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Callable, Generator, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import psutil

from local_models.gguf_info import GgufInfo, ModelFileError, check_usable, read_gguf_info

DEFAULT_MODEL_FILE = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
MANIFEST = "models.json"  # sha256 and import date of imported files, next to them
_CHUNK = 8 * 1024 * 1024


@dataclass(frozen=True)
class ModelEntry:
    """One GGUF file found on disk: its header info, or why it cannot be used."""

    path: Path
    info: GgufInfo | None
    error: ModelFileError | None
    sha256: str = ""

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def usable(self) -> bool:
        return self.error is None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"file": self.path.name, "path": str(self.path), "usable": self.usable}
        if self.info is not None:
            data.update(self.info.to_dict())
        if self.sha256:
            data["sha256"] = self.sha256
        if self.error is not None:
            data["error"] = {"code": self.error.code, "ja": self.error.message_ja, "en": self.error.message_en}
        return data


@dataclass(frozen=True)
class ImportProgress:
    copied: int
    total: int


@dataclass(frozen=True)
class Recommended:
    name: str
    quantization: str
    parameters: str
    file_size_gb: float
    memory_gb: float
    license: str
    source: str  # the Hugging Face repository a person gets it from
    file: str
    note_ja: str
    note_en: str


def _load_recommended() -> tuple[Recommended, ...]:
    raw = resources.files("local_models").joinpath("data/recommended.json").read_text(encoding="utf-8")
    return tuple(Recommended(**item) for item in json.loads(raw)["models"])


RECOMMENDED: tuple[Recommended, ...] = _load_recommended()


def inspect_model(path: str | Path) -> ModelEntry:
    """Header info and usability of one file; never raises for a bad file."""
    path = Path(path)
    try:
        info = read_gguf_info(path)
    except ModelFileError as exc:
        return ModelEntry(path, None, exc)
    try:
        check_usable(info)
    except ModelFileError as exc:
        return ModelEntry(path, info, exc, _manifest_sha(path))
    return ModelEntry(path, info, None, _manifest_sha(path))


def scan_models(folders: Iterable[Path]) -> list[ModelEntry]:
    """Every ``*.gguf`` in ``folders`` (not recursive), in folder order, then by name."""
    entries: list[ModelEntry] = []
    seen: set[Path] = set()
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.gguf"), key=lambda p: p.name.lower()):
            real = path.resolve()
            if real in seen or not path.is_file():
                continue
            seen.add(real)
            entries.append(inspect_model(path))
    return entries


def find_model(name: str, folders: Sequence[Path]) -> Path | None:
    """Resolve what a user typed — a path, a file name, or a file name without ``.gguf`` — to a file."""
    if not name:
        return None
    as_path = Path(name).expanduser()
    if as_path.is_file():
        return as_path.resolve()
    wanted = {name.lower(), f"{name.lower()}.gguf"}
    for folder in folders:
        if folder.is_dir():
            for path in folder.glob("*.gguf"):
                if path.name.lower() in wanted:
                    return path
    return None


def resolve_active(active: str, folders: Sequence[Path]) -> Path | None:
    """The model to use: the configured one, or the demo default when nothing is configured."""
    return find_model(active or DEFAULT_MODEL_FILE, folders)


def check_memory(info: GgufInfo, n_ctx: int, available: int | None = None) -> None:
    """Refuse a model this PC cannot hold in memory, before llama.cpp tries (and the OS starts swapping)."""
    free = psutil.virtual_memory().available if available is None else available
    need = info.memory_needed(n_ctx)
    if need > free:
        raise ModelFileError(
            "memory",
            f"メモリが足りません: このモデルには約{need / 2**30:.1f} GB必要ですが、空きは{free / 2**30:.1f} GBです。"
            "ほかのアプリを閉じるか、小さいモデル・短いコンテキスト長を選んでください。",
            f"not enough memory: the model needs about {need / 2**30:.1f} GB, {free / 2**30:.1f} GB is free. "
            "Close other apps or choose a smaller model or a shorter context.",
        )


def iter_import(
    source: str | Path, dest_dir: Path, *, cancel: threading.Event | None = None, n_ctx: int = 4096,
    check_ram: bool = True,
) -> Generator[ImportProgress, None, ModelEntry]:
    """Copy ``source`` into ``dest_dir`` after checking it, yielding progress; return the new entry.

    The copy goes to a hidden ``.part`` file and is renamed only when complete and hashed, so a cancelled
    or failed import leaves nothing behind. The source is only read.
    """
    source = Path(source).expanduser()
    entry = inspect_model(source)
    if entry.error is not None and not _embedding_ok(entry):
        raise entry.error
    assert entry.info is not None
    if check_ram:
        check_memory(entry.info, n_ctx)
    dest_dir.mkdir(parents=True, exist_ok=True)
    target = _free_name(dest_dir, source.name)
    if target is None:
        raise ModelFileError(
            "exists",
            f"同じ名前のモデルがすでに取り込まれています: {source.name}",
            f"a model with this name is already imported: {source.name}",
        )
    part = dest_dir / f".{target.name}.part"
    digest = hashlib.sha256()
    total = entry.info.file_size
    copied = 0
    try:
        with source.open("rb") as src, part.open("wb") as dst:
            while chunk := src.read(_CHUNK):
                if cancel is not None and cancel.is_set():
                    raise InterruptedError("import cancelled")
                dst.write(chunk)
                digest.update(chunk)
                copied += len(chunk)
                yield ImportProgress(copied, total)
            dst.flush()
            os.fsync(dst.fileno())
        if copied != total:
            raise ModelFileError(
                "truncated",
                f"コピー中にファイルの大きさが変わりました: {source.name}",
                f"the file changed size while it was copied: {source.name}",
            )
        os.replace(part, target)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    sha = digest.hexdigest()
    _record(dest_dir, target.name, sha, source)
    return ModelEntry(target, read_gguf_info(target), None, sha)


def import_model(
    source: str | Path, dest_dir: Path, *, progress: Callable[[ImportProgress], None] | None = None,
    cancel: threading.Event | None = None, n_ctx: int = 4096, check_ram: bool = True,
) -> ModelEntry:
    """Blocking form of :func:`iter_import` for the CLI and scripts."""
    gen = iter_import(source, dest_dir, cancel=cancel, n_ctx=n_ctx, check_ram=check_ram)
    while True:
        try:
            step = next(gen)
        except StopIteration as stop:
            result: ModelEntry = stop.value
            return result
        if progress is not None:
            progress(step)


def _embedding_ok(entry: ModelEntry) -> bool:
    """A sentence-embedding GGUF cannot chat, but it is imported all the same: it serves the semantic search
    (``models embedder NAME``, the モデル page)."""
    from local_models.embedding import is_embedding_model

    return entry.info is not None and not entry.info.truncated and is_embedding_model(entry.info)


def _free_name(dest_dir: Path, name: str) -> Path | None:
    target = dest_dir / name
    return None if target.exists() else target


def _manifest(dest_dir: Path) -> dict[str, Any]:
    try:
        data = json.loads((dest_dir / MANIFEST).read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _manifest_sha(path: Path) -> str:
    item = _manifest(path.parent).get(path.name)
    return str(item.get("sha256", "")) if isinstance(item, dict) else ""


def _record(dest_dir: Path, name: str, sha: str, source: Path) -> None:
    data = _manifest(dest_dir)
    data[name] = {
        "sha256": sha,
        "imported": datetime.now(UTC).isoformat(timespec="seconds"),
        "source_name": source.name,
    }
    tmp = dest_dir / f".{MANIFEST}.tmp"
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    os.replace(tmp, dest_dir / MANIFEST)
