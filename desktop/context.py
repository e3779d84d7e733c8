"""What every command gets: the data home and the settings, opened once."""

from __future__ import annotations

import os
from dataclasses import dataclass

from desktop.logging_setup import setup_logging
from desktop.paths import DataHome
from desktop.settings import Settings


@dataclass
class Context:
    home: DataHome
    settings: Settings

    @classmethod
    def open(cls, cli_home: str | os.PathLike[str] | None = None, verbose: bool = False) -> Context:
        home = DataHome.open(cli_home)
        setup_logging(home.logs_dir, verbose=verbose)
        return cls(home=home, settings=Settings.load(home.settings_file))

    def save_settings(self) -> None:
        self.settings.save(self.home.settings_file)
