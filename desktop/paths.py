"""The data home: one folder that holds everything the app writes (DESIGN.md §2).

Resolution order: ``--home DIR`` on the command line, then ``SOUMU_DESK_HOME``, then the platform's
user data dir. Files are created readable by the user alone (0700 folders, 0600 files on POSIX).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "SoumuDesk"
ENV_HOME = "SOUMU_DESK_HOME"
REPO_ROOT = Path(__file__).resolve().parent.parent


def default_home() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False, roaming=False))


def resolve_home(cli_home: str | os.PathLike[str] | None = None) -> Path:
    if cli_home:
        return Path(cli_home).expanduser().resolve()
    env = os.environ.get(ENV_HOME)
    if env:
        return Path(env).expanduser().resolve()
    return default_home()


def _private_dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    if os.name == "posix":
        os.chmod(path, 0o700)
    return path


@dataclass(frozen=True)
class DataHome:
    """Typed access to the folders and files under the data home."""

    root: Path

    @classmethod
    def open(cls, cli_home: str | os.PathLike[str] | None = None) -> DataHome:
        home = cls(resolve_home(cli_home))
        home.ensure()
        return home

    def ensure(self) -> None:
        for folder in (self.root, self.kb_dir, self.models_dir, self.logs_dir, self.backups_dir):
            _private_dir(folder)

    @property
    def settings_file(self) -> Path:
        return self.root / "settings.json"

    @property
    def kb_dir(self) -> Path:
        return self.root / "kb"

    @property
    def models_dir(self) -> Path:
        return self.root / "models"

    @property
    def logs_dir(self) -> Path:
        return self.root / "logs"

    @property
    def backups_dir(self) -> Path:
        return self.root / "backups"

    @property
    def logbook_file(self) -> Path:
        return self.root / "logbook.db"


def bundled_models_dir() -> Path:
    """Where the set-up puts the demo models (git-ignored, inside the source tree)."""
    return REPO_ROOT / "local_models" / "models"


def demo_kb_dir() -> Path:
    return REPO_ROOT / "kb" / "demo"
