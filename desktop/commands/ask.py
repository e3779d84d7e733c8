"""`soumu-desk ask QUESTION [-k N] [--model FILE] [--json]`: a grounded answer with its sources.

Streams the answer to stdout as the model writes it, then the sources. The model is ``--model``, else the
team's model server when one is set (``models server URL``), else the active one (``models use``); without
one — or when it cannot be loaded or reached — the answer is extractive.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

from desktop.answering import Answer, AnswerDone, Answerer, AnswerToken, PassagesFound, runtime_config
from desktop.commands.models import model_folders
from desktop.context import Context
from desktop.services import server_backend
from local_models import ModelError, ModelRuntime, find_model, inspect_model, resolve_active

if TYPE_CHECKING:
    from local_models.server_backend import ServerBackend

HELP = "規程にもとづく回答を出典つきで作る / grounded answer with citations"


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser("ask", help=HELP, description=HELP)
    parser.add_argument("question", metavar="QUESTION")
    parser.add_argument("-k", type=int, default=None, metavar="N",
                        help="検索する件数 / passages to retrieve (default: settings kb.results)")
    parser.add_argument("--model", metavar="FILE", help="使うGGUFモデル / GGUF model to use (path or name)")
    parser.add_argument("--no-model", action="store_true",
                        help="モデルを使わず抜粋で答える / extractive answer without a model")
    parser.add_argument("--json", action="store_true", help="JSONで出力 / print one JSON object")
    parser.add_argument("--retrieval", choices=("hybrid", "lexical"), default="hybrid",
                        help="hybrid: 語句＋意味（既定） / lexical: 語句のみ — words and meaning (default) or words only")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, ctx: Context) -> int:
    from kb import KbError, KnowledgeBase

    runtime: ModelRuntime | ServerBackend | None = None
    if not args.no_model and args.model is None and ctx.settings.model.uses_server():
        try:
            runtime = server_backend(ctx.settings)
        except ModelError as exc:
            print(f"モデルサーバーを使えません（抜粋で回答）: {exc.message_ja}\n"
                  f"cannot use the model server (extractive answer): {exc.message_en}", file=sys.stderr)
        else:
            if runtime is not None:
                runtime.load()  # connects in the background while the knowledge base is searched
    elif not args.no_model:
        folders = model_folders(ctx)
        path = find_model(args.model, folders) if args.model else resolve_active(ctx.settings.model.active, folders)
        if args.model and path is None:
            print(f"モデルが見つかりません: {args.model}\nmodel not found: {args.model}", file=sys.stderr)
            return 1
        if path is not None:
            entry = inspect_model(path)  # header only: a bad file is refused here, in milliseconds
            if entry.error is not None:
                print(f"モデルを使えません: {entry.error.message_ja}\ncannot use the model: {entry.error.message_en}",
                      file=sys.stderr)
                if args.model:
                    return 1
                print("抜粋で答えます / answering with extracts instead", file=sys.stderr)
            else:
                # Loads in the background while the knowledge base is searched; an out-of-scope question
                # never waits for it.
                runtime = ModelRuntime(runtime_config(ctx.settings))
                runtime.load(path)
    try:
        kbase = KnowledgeBase(ctx.home.kb_dir)
        if args.retrieval == "hybrid":
            from desktop.semantic import attach

            problem = attach(kbase, ctx.settings, model_folders(ctx))
            if problem:
                print(f"意味検索は使えません（語句検索のみ）: {problem}", file=sys.stderr)
    except KbError as exc:
        if runtime is not None:
            runtime.close()
        print(f"知識ベースを開けません: {exc.message_ja}\ncannot open the knowledge base: {exc.message_en}",
              file=sys.stderr)
        return 1
    try:
        answerer = Answerer(kbase, runtime, ctx.settings, retrieval=args.retrieval)
        final = _stream(answerer, args)
    except KbError as exc:
        print(f"検索できませんでした: {exc.message_ja}\nsearch failed: {exc.message_en}", file=sys.stderr)
        return 1
    finally:
        kbase.close()
        if runtime is not None:
            if runtime.state == "error" and runtime.error is not None:
                print(f"モデルを使えませんでした（抜粋で回答）: {runtime.error.message_ja}\n"
                      f"the model could not be used (extractive answer): {runtime.error.message_en}", file=sys.stderr)
            runtime.close()
    if final is None:
        return 1
    if args.model and runtime is not None and final.grounded and final.model is None and runtime.state == "error":
        return 1
    if args.json:
        print(json.dumps(final.to_dict(), ensure_ascii=False))
    return 0


def _stream(answerer: Answerer, args: argparse.Namespace) -> Answer | None:
    streamed: list[str] = []
    final: Answer | None = None
    for event in answerer.ask(args.question, args.k):
        if isinstance(event, PassagesFound) and not args.json and event.sources:
            print(f"資料{len(event.sources)}件から回答を作成中 / answering from {len(event.sources)} passages",
                  file=sys.stderr)
        elif isinstance(event, AnswerToken):
            streamed.append(event.text)
            if not args.json:
                print(event.text, end="", flush=True)
        elif isinstance(event, AnswerDone):
            final = event.answer
    if final is None or args.json:
        return final
    print()
    if final.answer != "".join(streamed).strip():
        print("\n—— 出典を確認した回答 / answer after checking citations ——")
        print(final.answer)
    if final.cited_sources:
        print("\n出典 / Sources:")
        for s in final.cited_sources:
            print(f"[{s.n}] {s.title} — {s.location}" if s.location else f"[{s.n}] {s.title}")
            print(f"    {s.path}")
    how = final.model or ("抜粋 / extractive" if final.grounded else "—")
    print(f"\n（回答: {how}）", file=sys.stderr)
    return final
