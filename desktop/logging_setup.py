"""Logging to a rotating file in the data home. Logs never carry note, inquiry or passphrase text."""

from __future__ import annotations

import logging
import logging.handlers
import os
from pathlib import Path


def setup_logging(logs_dir: Path, verbose: bool = False) -> None:
    logs_dir.mkdir(parents=True, exist_ok=True)
    logfile = logs_dir / "soumu-desk.log"
    handler = logging.handlers.RotatingFileHandler(logfile, maxBytes=2_000_000, backupCount=5, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, "_soumu_desk", False):
            root.removeHandler(old)
            old.close()
    handler._soumu_desk = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    if os.name == "posix" and logfile.exists():
        os.chmod(logfile, 0o600)
