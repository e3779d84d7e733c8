"""`soumu-desk screenshots OUTDIR [--lang ja|en]`: every page, filled with demo data, rendered to PNG offscreen.

Into the data home go the demo documents (copied from ``kb/demo/`` and indexed) and the demo logbook
(``desktop/data/demo_logbook.json``, imported by id, so running twice adds nothing twice). The answer page
shows a real answer: from the model when one is available, else the extractive answer. The window itself is
rendered by ``ui/screenshots.py``, reached through the composition root (``desktop.app.render_screenshots``):
this module loads no Qt.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path
from typing import Any

from desktop.commands import COMMAND_HELP
from desktop.context import Context
from desktop.demo_logbook import DEMO_LOGBOOK
from desktop.paths import demo_kb_dir
from desktop.settings import Settings

HELP = COMMAND_HELP["screenshots"]
DEMO_DOCS_FOLDER = "demo-documents"  # inside the data home


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
    """Import the demo notes and inquiries not there yet (a second run adds nothing); returns the demo counts."""
    from desktop import demo_logbook

    demo_logbook.load(book, path)
    counts = demo_logbook.status(book, path).demo
    return counts.notes, counts.inquiries


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

    from desktop.app import render_screenshots
    from desktop.prompt_share import add_starter_set
    from desktop.secrets import SecretsError
    from desktop.services import Services

    services = Services(ctx)
    try:
        _progress("デモ資料を索引しています / indexing the demo documents")
        docs = demo_documents(ctx.home.root)
        for _ in services.kb.index(folders=[docs]):
            pass
        # The logbook is opened before the model starts loading: llama.cpp silences stderr (the file
        # descriptor, for the whole process) while it loads, which swallowed this message.
        try:
            book = services.logbook
        except SecretsError as exc:
            _progress(f"記録(ログブック)を開けないため、画面を描画できません: {exc.ja}\n"
                      f"cannot open the logbook, so nothing was rendered: {exc.en}")
            return 1
        services.start()
        n_notes, n_inq = load_demo_logbook(book)
        add_starter_set(book)  # the prompt library page shows the starter prompts
        _progress(f"デモの記録: 現場の声 {n_notes} 件・問い合わせ {n_inq} 件 / demo logbook loaded")
        written = render_screenshots(services, outdir, args.lang, _progress)
    finally:
        services.close()
        ctx.settings = original  # the window saves its state on close: keep the user's own settings
        ctx.save_settings()
    for path in written:
        print(path)
    return 0


def _progress(text: str) -> None:
    print(text, file=sys.stderr, flush=True)
