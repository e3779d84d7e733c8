from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

from desktop.paths import DataHome, resolve_home
from desktop.settings import Settings


def test_home_from_env_and_cli(data_home: Path, tmp_path: Path) -> None:
    assert resolve_home() == data_home.resolve()
    other = tmp_path / "other"
    assert resolve_home(str(other)) == other.resolve()


def test_home_is_private(tmp_path: Path) -> None:
    home = DataHome.open(tmp_path / "h")
    for folder in (home.root, home.kb_dir, home.models_dir, home.logs_dir, home.backups_dir):
        assert folder.is_dir()
        if os.name == "posix":
            assert stat.S_IMODE(folder.stat().st_mode) == 0o700


def test_settings_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    s = Settings()
    s.ui.language = "en"
    s.logbook.fiscal_year_start_month = 1
    s.model.temperature = 0.5
    s.save(path)
    again = Settings.load(path)
    assert again == s
    if os.name == "posix":
        assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_settings_tolerate_unknown_missing_and_wrong_types(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"ui": {"language": "en", "zzz": 1}, "model": {"n_ctx": "big"}, "new": {}}))
    s = Settings.load(path)
    assert s.ui.language == "en"
    assert s.model.n_ctx == Settings().model.n_ctx


def test_broken_settings_file_is_kept_aside(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text("{not json", encoding="utf-8")
    s = Settings.load(path)
    assert s == Settings()
    assert (tmp_path / "settings.json.broken").read_text(encoding="utf-8") == "{not json"


def test_cli_help_lists_every_command() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "desktop", "--help"], capture_output=True, text=True, encoding="utf-8", check=True
    ).stdout
    for command in ("kb", "ask", "log", "models", "screenshots"):
        assert command in out
