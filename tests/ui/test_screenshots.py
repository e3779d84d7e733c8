"""`soumu-desk screenshots`: every page and the quick-capture dialog rendered offscreen to PNG, with the
demo documents indexed and the demo logbook loaded into the (temp) data home."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtGui import QImage

from desktop.cli import main
from desktop.commands.screenshots import DEMO_LOGBOOK
from desktop.context import Context

EXPECTED = sorted(["01-answer", "02-notes", "03-inquiries", "04-insights", "04-insights-themes",
                   "04-insights-recurring", "04-insights-faq", "04-insights-narrative", "04-insights-ask",
                   "05-prompts", "06-knowledge", "07-model", "08-settings", "09-quick-capture"])


@pytest.mark.slow
def test_screenshots_render_every_page(qtbot: Any, data_home: Path, tmp_path: Path, capsys: Any) -> None:
    out = tmp_path / "shots"
    assert main(["--home", str(data_home), "screenshots", str(out), "--lang", "en", "--model", "none"]) == 0
    names = sorted(p.stem for p in out.glob("*.png"))
    assert names == sorted(f"{n}_en" for n in EXPECTED)
    for p in out.glob("*.png"):
        image = QImage(str(p))
        assert image.width() >= 400 and image.height() >= 300, p.name
    printed = capsys.readouterr().out.split()
    assert len(printed) == len(EXPECTED)
    # the user's own settings are left as they were (the command renders in English in memory only)
    assert Context.open(data_home).settings.ui.language == "ja"
    # running it again adds no demo record twice
    assert main(["--home", str(data_home), "screenshots", str(out), "--lang", "ja", "--model", "none"]) == 0
    from desktop.services import Services

    ctx = Context.open(data_home)
    svc = Services(ctx)
    try:
        demo = json.loads(DEMO_LOGBOOK.read_text(encoding="utf-8"))
        assert len(svc.logbook.notes.list()) == len(demo["notes"])
        assert len(svc.logbook.inquiries.list()) == len(demo["inquiries"])
    finally:
        svc.close()
