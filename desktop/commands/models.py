"""`soumu-desk models list|import FILE|use NAME|info [NAME]|server [URL|none] [--json]`: local GGUF models,
and the team's model server.

Models are looked for in the data home's ``models/`` (imported ones) and in the bundled
``local_models/models/`` (the demo models the set-up fetched). Nothing is ever downloaded.

``models server URL`` (team mode) makes answers come from an OpenAI-compatible model server — llama.cpp's
``llama-server`` or ``python -m llama_cpp.server``, vLLM, Ollama — instead of a local GGUF; the app then
connects to that host and no other. ``models server none`` goes back to the local model.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from desktop.context import Context
from desktop.paths import bundled_models_dir
from local_models import (
    RECOMMENDED,
    ImportProgress,
    ModelEntry,
    ModelFileError,
    check_memory,
    default_threads,
    find_model,
    gpu_offload_available,
    import_model,
    inspect_model,
    resolve_active,
    scan_models,
)

HELP = "ローカルAIモデルの一覧・取込・切替 / local GGUF models: list, import, use, info"


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser("models", help=HELP, description=HELP)
    actions = parser.add_subparsers(dest="models_action", metavar="ACTION")
    p_list = actions.add_parser("list", help="モデルと推奨モデルの一覧 / list models and recommended ones")
    p_list.add_argument("--json", action="store_true", help="JSONで出力 / print JSON")
    p_import = actions.add_parser("import", help="GGUFファイルを取り込む / import a GGUF file (copy)")
    p_import.add_argument("file", metavar="FILE")
    p_import.add_argument("--force", action="store_true",
                          help="メモリ不足の警告を無視する / import even if this PC has too little memory")
    p_import.add_argument("--json", action="store_true", help="JSONで出力 / print JSON")
    p_use = actions.add_parser("use", help="使うモデルを選ぶ / choose the active model")
    p_use.add_argument("name", metavar="NAME", help="ファイル名またはパス / file name or path")
    p_emb = actions.add_parser("embedder", help="意味検索のモデルを選ぶ / choose the embedding model (semantic search)")
    p_emb.add_argument("name", metavar="NAME", nargs="?",
                       help="埋め込みGGUFのファイル名・パス、none で無効、省略で現在の設定 / "
                            "embedding GGUF name or path, none to turn off, omitted: show the current one")
    p_server = actions.add_parser(
        "server", help="チームのモデルサーバーを使う / answer with the team's model server (team mode)")
    p_server.add_argument("url", metavar="URL", nargs="?",
                          help="http://ホスト:ポート、none でこのPCのモデルに戻す、省略で現在の設定 / "
                               "http://host:port, none for the local model, omitted: show the current one")
    p_server.add_argument("--model", dest="server_model", default="", metavar="ID",
                          help="サーバー上のモデル名（省略: サーバーの最初のモデル） / the server's model id "
                               "(default: the first it lists)")
    p_server.add_argument("--no-check", action="store_true",
                          help="接続を確かめずに保存する / save without contacting the server")
    p_info = actions.add_parser("info", help="モデルの詳細 / details of a model (default: the active one)")
    p_info.add_argument("name", metavar="NAME", nargs="?")
    p_info.add_argument("--json", action="store_true", help="JSONで出力 / print JSON")
    parser.set_defaults(func=run, models_parser=parser)


def model_folders(ctx: Context) -> list[Path]:
    return [ctx.home.models_dir, bundled_models_dir()]


def run(args: argparse.Namespace, ctx: Context) -> int:
    action = getattr(args, "models_action", None)
    if action == "list":
        return _list(args, ctx)
    if action == "import":
        return _import(args, ctx)
    if action == "use":
        return _use(args, ctx)
    if action == "info":
        return _info(args, ctx)
    if action == "embedder":
        return _embedder(args, ctx)
    if action == "server":
        return _server(args, ctx)
    args.models_parser.print_help(sys.stderr)
    return 2


def _active_path(ctx: Context) -> Path | None:
    return resolve_active(ctx.settings.model.active, model_folders(ctx))


def _gb(n: int) -> str:
    return f"{n / 2**30:.2f} GB"


def _list(args: argparse.Namespace, ctx: Context) -> int:
    entries = scan_models(model_folders(ctx))
    active = _active_path(ctx)
    if ctx.settings.model.uses_server() and not args.json:
        print(f"回答はモデルサーバー {ctx.settings.model.server_url} が作ります（`models server none` で戻す） "
              f"/ answers come from the model server {ctx.settings.model.server_url}\n")
    if args.json:
        out = {
            "active": str(active) if active else None,
            "server": ctx.settings.model.server_url if ctx.settings.model.uses_server() else None,
            "models": [dict(e.to_dict(), active=_same(e.path, active)) for e in entries],
            "recommended": [r.__dict__ for r in RECOMMENDED],
        }
        print(json.dumps(out, ensure_ascii=False, indent=2))
        return 0
    if not entries:
        print("モデルはまだありません。`soumu-desk models import FILE` で .gguf を取り込めます。")
        print("No models yet. Import a .gguf with `soumu-desk models import FILE`.")
    for e in entries:
        mark = "*" if _same(e.path, active) else " "
        if e.info is not None:
            i = e.info
            line = (f"{mark} {e.name}  [{i.architecture} {i.size_label} {i.quantization}, {_gb(i.file_size)}, "
                    f"ctx {i.context_length or '?'}]")
        else:
            line = f"{mark} {e.name}"
        print(line)
        if e.error is not None:
            print(f"    使えません: {e.error.message_ja}\n    unusable: {e.error.message_en}")
    if active is None and ctx.settings.model.active:
        print(f"\n設定中のモデルが見つかりません / active model not found: {ctx.settings.model.active}")
    print("\n推奨モデル（日本語対応・各自で入手して取り込み） / Recommended Japanese-capable models (get them yourself):")
    for r in RECOMMENDED:
        print(f"- {r.name} {r.quantization}: 約{r.file_size_gb} GB, 必要メモリ約{r.memory_gb} GB, {r.license}")
        print(f"    入手先 / from: Hugging Face {r.source}  ({r.file})")
        print(f"    {r.note_ja} / {r.note_en}")
    return 0


def _same(a: Path, b: Path | None) -> bool:
    return b is not None and a.resolve() == b.resolve()


def _import(args: argparse.Namespace, ctx: Context) -> int:
    last = [-1]

    def progress(p: ImportProgress) -> None:
        pct = int(p.copied * 100 / p.total) if p.total else 100
        if pct != last[0]:
            last[0] = pct
            print(f"\rコピー中 / copying: {pct:3d}%", end="", file=sys.stderr, flush=True)

    try:
        entry = import_model(args.file, ctx.home.models_dir, progress=progress, n_ctx=ctx.settings.model.n_ctx,
                             check_ram=not args.force)
    except ModelFileError as exc:
        if last[0] >= 0:
            print(file=sys.stderr)
        print(f"取り込めません: {exc.message_ja}\ncannot import: {exc.message_en}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"\n取り込みに失敗しました / import failed: {exc}", file=sys.stderr)
        return 1
    print(file=sys.stderr)
    if args.json:
        print(json.dumps(entry.to_dict(), ensure_ascii=False, indent=2))
    else:
        print(f"取り込みました / imported: {entry.path}")
        print(f"sha256: {entry.sha256}")
        from local_models.embedding import is_embedding_model

        if entry.info is not None and is_embedding_model(entry.info):  # it cannot chat, it searches
            print(f"`soumu-desk models embedder {entry.name}` で意味検索に使えます / run it to use it for semantic search.")
        else:
            print(f"`soumu-desk models use {entry.name}` で使えます / run it to make it active.")
    return 0


def _find(name: str, folders: list[Path]) -> Path | None:
    path = find_model(name, folders)
    if path is None:
        print(f"モデルが見つかりません: {name}\nmodel not found: {name}", file=sys.stderr)
    return path


def _setting_value(path: Path, folders: list[Path]) -> str:
    """What the settings keep for a model: its file name when it sits in a model folder, else its full path."""
    inside = any(path.resolve().parent == f.resolve() for f in folders if f.is_dir())
    return path.name if inside else str(path.resolve())


def _use(args: argparse.Namespace, ctx: Context) -> int:
    folders = model_folders(ctx)
    path = _find(args.name, folders)
    if path is None:
        return 1
    entry = inspect_model(path)
    if entry.error is not None:
        print(f"このモデルは使えません: {entry.error.message_ja}\ncannot use this model: {entry.error.message_en}",
              file=sys.stderr)
        return 1
    ctx.settings.model.active = _setting_value(path, folders)
    ctx.save_settings()
    print(f"使うモデルを {path.name} にしました / active model: {path.name}")
    return 0


def _embedder(args: argparse.Namespace, ctx: Context) -> int:
    """Show or set ``kb.embedder``; the app re-embeds the knowledge base in the background on its next start
    (``kb index --embed`` does it now)."""
    from desktop.semantic import OFF, choose_embedder, embedder_path

    folders = model_folders(ctx)
    if args.name is None:
        path = embedder_path(ctx.settings, folders)
        print(f"意味検索のモデル / embedder: {path.name if path else 'なし / none'}")
        return 0
    if args.name.strip().lower() in OFF:
        choose_embedder(ctx.settings, None, folders)
        ctx.save_settings()
        print("意味検索を無効にしました（語句検索のみ） / semantic search off (lexical only)")
        return 0
    path = _find(args.name, folders)
    if path is None:
        return 1
    try:
        choose_embedder(ctx.settings, path, folders)
    except ModelFileError as exc:
        print(f"埋め込みモデルとして使えません: {exc.message_ja}\ncannot use it as an embedder: {exc.message_en}",
              file=sys.stderr)
        return 1
    ctx.save_settings()
    print(f"意味検索のモデルを {path.name} にしました。知識ベースはバックグラウンドで埋め込み直されます "
          f"/ embedder: {path.name}; the knowledge base is re-embedded in the background")
    return 0


def _server(args: argparse.Namespace, ctx: Context) -> int:
    """Show or set the team's model server (``model.backend``, ``model.server_url``, ``model.server_model``)."""
    from local_models import ModelError
    from local_models.server_backend import ServerBackend, api_base

    m = ctx.settings.model
    if args.url is None:
        if m.uses_server():
            model = f" ({m.server_model})" if m.server_model else ""
            print(f"モデルサーバー / model server: {m.server_url}{model}")
        else:
            print("モデルサーバー: なし（このPCのモデルで回答） / model server: none (the local model answers)")
        return 0
    if args.url.strip().lower() in ("none", "off", "local"):
        m.backend, m.server_url, m.server_model = "local", "", ""
        ctx.save_settings()
        print("モデルサーバーを使わず、このPCのモデルで回答します / model server off: the local model answers")
        return 0
    try:
        url = api_base(args.url)
    except ModelError as exc:
        print(f"{exc.message_ja}\n{exc.message_en}", file=sys.stderr)
        return 1
    m.backend, m.server_url, m.server_model = "server", url, args.server_model.strip()
    ctx.save_settings()
    print(f"モデルサーバーを {url} にしました。アプリはこのホストにだけ接続します "
          f"/ model server: {url}; the app connects to this host and no other")
    if args.no_check:
        return 0
    with ServerBackend(url, model=m.server_model, connect_timeout=3.0) as backend:
        if backend.probe():
            print(f"接続できました。モデル: {backend.model_name} / connected; model: {backend.model_name}")
            return 0
        error = backend.error
    ja, en = (error.message_ja, error.message_en) if error is not None else ("接続できません", "cannot connect")
    print(f"設定は保存しましたが、いまは使えません（抜粋で回答します）: {ja}\n"
          f"saved, but not usable now (answers are extractive until it is): {en}", file=sys.stderr)
    return 1


def _info(args: argparse.Namespace, ctx: Context) -> int:
    path = find_model(args.name, model_folders(ctx)) if args.name else _active_path(ctx)
    if path is None:
        what = args.name or ctx.settings.model.active or "(既定 / default)"
        print(f"モデルが見つかりません: {what}\nmodel not found: {what}", file=sys.stderr)
        return 1
    entry = inspect_model(path)
    data = _info_dict(entry, ctx)
    if args.json:
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return 0 if entry.info is not None else 1
    for key, value in data.items():
        if isinstance(value, dict):
            print(f"{key}:")
            for k2, v2 in value.items():
                print(f"  {k2}: {v2}")
        else:
            print(f"{key}: {value}")
    return 0 if entry.info is not None else 1


def _info_dict(entry: ModelEntry, ctx: Context) -> dict[str, Any]:
    data = entry.to_dict()
    m = ctx.settings.model
    data["settings"] = {
        "n_ctx": m.n_ctx,
        "n_threads": m.n_threads or default_threads(),
        "n_gpu_layers": m.n_gpu_layers,
        "gpu_offload_available": gpu_offload_available(),
        "temperature": m.temperature,
        "max_tokens": m.max_tokens,
    }
    if entry.info is not None:
        data["memory_needed"] = entry.info.memory_needed(m.n_ctx)
        try:
            check_memory(entry.info, m.n_ctx)
            data["memory_ok"] = True
        except ModelFileError:
            data["memory_ok"] = False
    return data
