"""One typed settings object, saved as JSON under the data home (STYLE.md §8).

Each section belongs to one part of the app. Unknown keys are ignored and missing keys take their
defaults, so an older or newer settings file never stops the app; a file that cannot be parsed is kept
aside as ``settings.json.broken`` and defaults are used.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
from dataclasses import asdict, dataclass, field, fields, is_dataclass
from pathlib import Path
from typing import Any, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass
class UiSettings:
    """The desktop app's own choices (the 設定 page and the window)."""

    language: str = "ja"  # "ja" or "en"; switched live from the 設定 page
    search_debounce_ms: int = 200  # pause in typing before the 回答 page searches
    window_geometry: str = ""  # base64 of QWidget.saveGeometry()
    inquiry_channel: str = "電話"  # channel pre-filled when an answer is logged as an inquiry


@dataclass
class KbSettings:
    results: int = 8  # hits shown / passages handed to the model
    watch: bool = True
    poll_network_shares: bool = True  # SMB/NFS shares send no file events: poll them instead
    poll_interval_s: float = 2.0  # how often a polled share is re-listed
    debounce_ms: int = 300  # quiet time after a file event before the file is re-indexed
    max_file_mb: int = 200  # larger files are recorded as too large instead of being read
    # sentence-embedding GGUF for hybrid search: file name or path; "" = the demo embedder; "none" = off
    embedder: str = ""


@dataclass
class ModelSettings:
    active: str = ""  # file name or absolute path of the active GGUF; "" = the demo default if present
    n_ctx: int = 4096
    n_threads: int = 0  # 0 = choose from the CPU count
    n_gpu_layers: int = 0
    temperature: float = 0.2
    max_tokens: int = 384
    # team mode: "server" answers with the OpenAI-compatible model server at server_url (llama.cpp's server,
    # vLLM, Ollama) instead of the GGUF above; `soumu-desk models server URL|none` sets these
    backend: str = "local"  # "local" (in this process) or "server"
    server_url: str = ""  # e.g. http://10.0.0.5:8080
    server_model: str = ""  # the server's model id; "" = the first one it lists

    def uses_server(self) -> bool:
        return self.backend == "server" and bool(self.server_url.strip())


@dataclass
class LogbookSettings:
    """Logbook options (desktop/logbook). Out-of-range values are clamped where they are used."""

    fiscal_year_start_month: int = 4  # 1..12; most companies close in March, many do not
    backup_keep: int = 10  # automatic backups kept (older ones are deleted)
    backup_every_hours: int = 24  # 0 = no automatic backups
    staff_name: str = ""  # pre-filled "staff"/"owner" on new records
    export_encoding: str = "utf-8-sig"  # "utf-8-sig" (Excel-friendly UTF-8) or "cp932"
    export_unencodable: str = "strict"  # cp932 only: "strict" (stop, name the row) or "replace" ("?")

    def fiscal_start(self) -> int:
        """The fiscal-year start month, clamped to 1..12."""
        return min(max(int(self.fiscal_year_start_month), 1), 12)


@dataclass
class TeamSettings:
    """The team logbook on PostgreSQL (desktop/logbook/pg_store.py); its password lives in the keyring."""

    url: str = ""  # postgresql://user@host:port/dbname[?sslmode=…], never with a password; "" = single PC


@dataclass
class Settings:
    ui: UiSettings = field(default_factory=UiSettings)
    kb: KbSettings = field(default_factory=KbSettings)
    model: ModelSettings = field(default_factory=ModelSettings)
    logbook: LogbookSettings = field(default_factory=LogbookSettings)
    team: TeamSettings = field(default_factory=TeamSettings)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Settings:
        return _build(cls, data)

    @classmethod
    def load(cls, path: Path) -> Settings:
        if not path.exists():
            return cls()
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(data, dict):
                raise ValueError("settings root is not an object")
        except (OSError, ValueError) as exc:
            broken = path.with_name(path.name + ".broken")
            log.warning("settings file unreadable (%s); kept as %s, using defaults", exc, broken.name)
            with contextlib.suppress(OSError):
                os.replace(path, broken)
            return cls()
        return cls.from_dict(data)

    def save(self, path: Path) -> None:
        """Write atomically: a crash or a full disk never leaves a half-written settings file."""
        path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(self.to_dict(), ensure_ascii=False, indent=2)
        fd, tmp = tempfile.mkstemp(prefix=".settings-", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
                fh.flush()
                os.fsync(fh.fileno())
            if os.name == "posix":
                os.chmod(tmp, 0o600)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def _build(cls: type[T], data: dict[str, Any]) -> T:
    kwargs: dict[str, Any] = {}
    defaults = cls()
    for f in fields(cls):  # type: ignore[arg-type]
        if f.name not in data:
            continue
        value = data[f.name]
        current = getattr(defaults, f.name)
        if is_dataclass(current) and isinstance(value, dict):
            kwargs[f.name] = _build(type(current), value)
        elif isinstance(current, bool):
            if isinstance(value, bool):
                kwargs[f.name] = value
        elif isinstance(current, int | float) and isinstance(value, int | float) and not isinstance(value, bool):
            kwargs[f.name] = type(current)(value)
        elif isinstance(current, str) and isinstance(value, str):
            kwargs[f.name] = value
        else:
            log.warning("settings: ignored %s=%r (wrong type)", f.name, value)
    return cls(**kwargs)
