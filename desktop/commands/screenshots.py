"""`soumu-desk screenshots OUTDIR [--lang ja|en]`: every page, filled with demo data, rendered to PNG offscreen.

Into the data home go the demo documents (copied from ``kb/demo/`` and indexed) and the demo logbook
(``desktop/data/demo_logbook.json``, imported by id, so running twice adds nothing twice). The answer page
shows a real answer: from the model when one is available, else the extractive answer.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from desktop.commands import COMMAND_HELP
from desktop.context import Context
from desktop.paths import REPO_ROOT, demo_kb_dir
from desktop.settings import Settings

HELP = COMMAND_HELP["screenshots"]
DEMO_LOGBOOK = REPO_ROOT / "desktop" / "data" / "demo_logbook.json"
DEMO_DOCS_FOLDER = "demo-documents"  # inside the data home
QUESTION = {"ja": "出張の日当はいくらですか?", "en": "出張の日当はいくらですか?"}  # the demo documents are Japanese
PAGES = ("answer", "notes", "inquiries", "insights", "prompts", "knowledge", "model", "settings")
WINDOW_SIZE = (1360, 860)


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser("screenshots", help=HELP, description=HELP)
    parser.add_argument("outdir", metavar="OUTDIR", help="PNG の出力先フォルダ / folder for the PNG files")
    parser.add_argument("--lang", choices=("ja", "en"), default="ja", help="表示言語 / UI language")
    parser.add_argument(
        "--model",
        default="auto",
        help="回答に使うモデル: auto(設定のモデル、なければデモ)/ none(抜粋)/ GGUF のパス "
        "/ model for the answer: auto, none (extractive) or a GGUF path",
    )
    parser.add_argument("--scale", type=float, default=1.0, help="表示倍率(1.5 で 150%%)/ device pixel ratio")
    parser.set_defaults(func=run)


def demo_documents(home_root: Path) -> Path:
    """A copy of the demo documents inside the data home (the index must not point into the repo)."""
    dest = home_root / DEMO_DOCS_FOLDER
    dest.mkdir(parents=True, exist_ok=True)
    for p in sorted(demo_kb_dir().iterdir()):
        if p.is_file() and not p.name.startswith("."):  # kb/demo/.about holds its notes
            target = dest / p.name
            if not target.exists() or target.stat().st_size != p.stat().st_size:
                shutil.copy2(p, target)
    return dest


def load_demo_logbook(book: Any, path: Path = DEMO_LOGBOOK) -> tuple[int, int]:
    """Import the demo notes and inquiries (merge by id: a second run changes nothing)."""
    from desktop.logbook import FollowUp, Inquiry, Note, Source

    data = json.loads(path.read_text(encoding="utf-8"))
    notes = []
    for raw in data.get("notes", []):
        d = dict(raw)
        d["followups"] = [FollowUp(**f) for f in d.get("followups", [])]
        notes.append(Note(**d))
    inquiries = []
    for raw in data.get("inquiries", []):
        d = dict(raw)
        d["sources"] = [Source(**s) for s in d.get("sources", [])]
        inquiries.append(Inquiry(**d))
    book.notes.merge(notes)
    book.inquiries.merge(inquiries)
    return len(notes), len(inquiries)


def run(args: argparse.Namespace, ctx: Context) -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    if args.scale != 1.0:
        os.environ["QT_SCALE_FACTOR"] = str(args.scale)
    outdir = Path(args.outdir).expanduser().resolve()
    outdir.mkdir(parents=True, exist_ok=True)
    original = Settings.from_dict(ctx.settings.to_dict())
    ctx.settings.ui.language = args.lang  # in memory only: the user's own setting stays as it is
    if args.model == "none":
        ctx.settings.model.active = str(ctx.home.models_dir / "(none).gguf")
    elif args.model != "auto":
        ctx.settings.model.active = str(Path(args.model).expanduser().resolve())

    from desktop.prompt_share import add_starter_set
    from desktop.secrets import SecretsError
    from desktop.services import Services

    services = Services(ctx)
    try:
        _progress("デモ資料を索引しています / indexing the demo documents")
        docs = demo_documents(ctx.home.root)
        for _ in services.kb.index(folders=[docs]):
            pass
        services.start()
        try:
            book = services.logbook
        except SecretsError as exc:
            print(f"記録を開けません / cannot open the logbook: {exc}", file=sys.stderr)
            return 1
        n_notes, n_inq = load_demo_logbook(book)
        add_starter_set(book)  # the prompt library page shows the starter prompts
        _progress(f"デモの記録: 現場の声 {n_notes} 件・問い合わせ {n_inq} 件 / demo logbook loaded")
        written = render(services, outdir, args.lang)
    finally:
        services.close()
        ctx.settings = original  # the window saves its state on close: keep the user's own settings
        ctx.save_settings()
    for path in written:
        print(path)
    return 0


def _progress(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def fill_answer(page: Any, question: str, pump: Callable[..., None]) -> None:
    """Type the question, wait for the hits, ask, and wait for the whole answer."""
    page.search_box.setText(question)
    page.search_now()
    pump(lambda: bool(page.hits))
    page.ask()
    pump(lambda: bool(page.state.finished), timeout=300)
    page.search_box.setFocus()


def render(services: Any, outdir: Path, lang: str) -> list[Path]:
    """Build the window offscreen and save one PNG per page plus the quick-capture dialog."""
    from PySide6.QtCore import QCoreApplication

    from ui.i18n import set_language
    from ui.main import UiThreadGarbageCollector, application
    from ui.main_window import MainWindow
    from ui.workers import shutdown_workers, workers

    set_language(lang)
    app = application()
    collector = UiThreadGarbageCollector(app)
    window = MainWindow(services)
    window.resize(*WINDOW_SIZE)
    window.show()

    def pump(until: Callable[[], bool] | None = None, timeout: float = 30.0, settle: float = 0.3) -> None:
        """Run the event loop until ``until()`` holds and no background job is left, then a little more."""
        deadline = time.monotonic() + timeout
        quiet_since: float | None = None
        while time.monotonic() < deadline:
            QCoreApplication.processEvents()
            busy = bool(workers().active()) or (until is not None and not until())
            now = time.monotonic()
            if busy:
                quiet_since = None
            elif quiet_since is None:
                quiet_since = now
            elif now - quiet_since >= settle:
                return
            time.sleep(0.02)

    written: list[Path] = []

    def save(widget: Any, name: str) -> None:
        pump()
        path = outdir / f"{name}_{lang}.png"
        widget.grab().save(str(path))
        written.append(path)
        _progress(f"  {path.name}")

    try:
        pump()
        if services.active_model_path() is not None:
            _progress("モデルを読み込んでいます / loading the model")
            services.runtime.wait_until_loaded(300)
        for key in PAGES:
            page: Any = window.show_page(key)
            if key == "answer":
                fill_answer(page, QUESTION[lang], pump)
            if key == "knowledge":
                page.refresh()
            pump(timeout=60)
            save(window, f"{PAGES.index(key) + 1:02d}-{key}")
        window.show_page("notes")
        window.open_quick_capture()
        pump()
        dialogs = [w for w in app.topLevelWidgets() if w.isVisible() and w is not window and w.isWindow()]
        if dialogs:
            save(dialogs[-1], f"{len(PAGES) + 1:02d}-quick-capture")
            dialogs[-1].close()
    finally:
        window.close()
        shutdown_workers()
        collector.stop()
    return written
