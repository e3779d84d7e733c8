"""`soumu-desk kb`: register folders, index them, search, show status, watch (DESIGN.md §3, a stable contract).

- ``kb add FOLDER`` / ``kb remove FOLDER``
- ``kb index [FOLDER ...]`` — progress on stderr, summary on stdout; exit 0 also when some files could not be
  read (each is named with its reason), non-zero only when the index itself could not be updated.
- ``kb search QUERY [-k N] [--json]``; ``kb search - [-k N] --json`` reads one query a line from stdin and
  prints one JSON array a line, in order, flushed after each.
- ``kb status [--json]``; ``kb watch`` (foreground until Ctrl+C).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any, TextIO

from desktop.commands import COMMAND_HELP
from desktop.context import Context
from kb import Hit, KbError, KnowledgeBase

HELP = COMMAND_HELP["kb"]
DEFAULT_K = 10
_BOLD = "\x1b[1m"
_RESET = "\x1b[0m"


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser("kb", help=HELP, description=HELP)
    parser.set_defaults(func=run, kb_command=None)
    kb_sub = parser.add_subparsers(dest="kb_command", metavar="SUBCOMMAND")

    p = kb_sub.add_parser("add", help="フォルダを登録 / register a folder as a source")
    p.add_argument("folder")

    p = kb_sub.add_parser("remove", help="フォルダの登録を解除 / forget a source folder (files are untouched)")
    p.add_argument("folder")

    p = kb_sub.add_parser("index", help="索引を更新 / bring the index up to date")
    p.add_argument("folders", nargs="*", metavar="FOLDER", help="登録して索引するフォルダ / folders to register and index")
    p.add_argument("--embed", action="store_true",
                   help="意味検索用のベクトルも作ってから終わる（既定はアプリが裏で作成） / also make the semantic "
                        "vectors before exiting (by default the app makes them in the background)")

    p = kb_sub.add_parser("search", help="検索 / search ('-' reads one query a line from stdin)")
    p.add_argument("query", help="検索語、または - で標準入力から / query, or - for one query a line on stdin")
    p.add_argument("-k", type=int, default=DEFAULT_K, metavar="N", help=f"件数 / number of hits (default {DEFAULT_K})")
    p.add_argument("--json", action="store_true", help="JSON で出力 / print JSON")
    p.add_argument("--retrieval", choices=("hybrid", "lexical"), default="hybrid",
                   help="hybrid: 語句＋意味（既定） / lexical: 語句のみ — words and meaning (default) or words only")

    p = kb_sub.add_parser("status", help="状態 / sources, counts, failures")
    p.add_argument("--json", action="store_true", help="JSON で出力 / print JSON")

    kb_sub.add_parser("watch", help="フォルダを監視して索引を最新に保つ / keep the index current until Ctrl+C")


def open_kb(ctx: Context) -> KnowledgeBase:
    from desktop.commands.models import model_folders
    from desktop.semantic import attach

    s = ctx.settings.kb
    kbase = KnowledgeBase(
        ctx.home.kb_dir,
        max_bytes=max(1, s.max_file_mb) * 1_000_000,
        poll_network_shares=s.poll_network_shares,
        poll_interval=max(0.5, s.poll_interval_s),
    )
    problem = attach(kbase, ctx.settings, model_folders(ctx))
    if problem:
        print(f"意味検索は使えません（語句検索のみ）: {problem}", file=sys.stderr)
    return kbase


def run(args: argparse.Namespace, ctx: Context) -> int:
    command = args.kb_command
    if command is None:
        print("使い方 / usage: soumu-desk kb {add,remove,index,search,status,watch} ...", file=sys.stderr)
        return 2
    try:
        kbase = open_kb(ctx)
    except KbError as exc:
        _error(exc)
        return 1
    try:
        handler = {
            "add": _add,
            "remove": _remove,
            "index": _index,
            "search": _search,
            "status": _status,
            "watch": _watch,
        }[command]
        return handler(args, ctx, kbase)
    except KbError as exc:
        _error(exc)
        return 1
    finally:
        kbase.close()


def _error(exc: KbError) -> None:
    print(f"エラー: {exc.message_ja}\nError: {exc.message_en}", file=sys.stderr)


# --- add / remove ------------------------------------------------------------------------------------------


def _add(args: argparse.Namespace, ctx: Context, kbase: KnowledgeBase) -> int:
    path = kbase.add_source(args.folder)
    print(f"登録しました / added: {path}")
    print("索引するには / to index it: soumu-desk kb index")
    return 0


def _remove(args: argparse.Namespace, ctx: Context, kbase: KnowledgeBase) -> int:
    kbase.remove_source(args.folder)
    print(f"登録を解除しました / removed: {args.folder}")
    return 0


# --- index -------------------------------------------------------------------------------------------------


class _Progress:
    """Progress on stderr: one rewritten line on a terminal, a line every few seconds otherwise."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self.last = 0.0

    def show(self, text: str, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self.last < (0.1 if self.tty else 2.0):
            return
        self.last = now
        if self.tty:
            self.stream.write("\r\x1b[K" + text[:150])
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def end(self) -> None:
        if self.tty:
            self.stream.write("\r\x1b[K")
            self.stream.flush()


def _index(args: argparse.Namespace, ctx: Context, kbase: KnowledgeBase) -> int:
    folders = [Path(f) for f in args.folders]
    if not folders and not kbase.sources():
        print(
            "登録されたフォルダがありません。`soumu-desk kb add FOLDER` で登録してください。\n"
            "No source folders yet: register one with `soumu-desk kb add FOLDER`.",
            file=sys.stderr,
        )
        return 2
    progress = _Progress(sys.stderr)
    started = time.monotonic()
    last = None
    for step in kbase.index(folders or None):
        last = step
        if step.phase == "scan":
            progress.show(f"走査中 / scanning: {step.done} files")
        elif step.phase == "parse":
            name = Path(step.path).name if step.path else ""
            progress.show(f"索引中 / indexing {step.done}/{step.total}: {name}", force=step.done == step.total)
        elif step.phase == "remove":
            progress.show(f"削除 / removed: {step.done}", force=True)
    progress.end()
    elapsed = time.monotonic() - started
    status = kbase.status()
    if last is None:
        return 0
    print(f"索引を更新しました / index updated ({elapsed:.1f} s)")
    print(
        f"  追加 added {last.added} / 更新 updated {last.updated} / 削除 removed {last.removed} / "
        f"変更なし unchanged {last.unchanged} / 失敗 failed {last.failed}"
    )
    print(f"  合計 total: {status.files} files, {status.chunks} chunks")
    _print_failures(status.failures)
    if args.embed:
        _embed(kbase, progress)
    elif kbase.semantic is not None:
        sem = kbase.semantic_status() or {}
        if not sem.get("finished"):
            print(f"  意味検索 semantic: {sem.get('embedded', 0)}/{sem.get('total', 0)} chunks embedded "
                  "(アプリが裏で作成 / the app embeds the rest in the background; or: kb index --embed)")
    return 0


def _embed(kbase: KnowledgeBase, progress: _Progress) -> None:
    """The semantic vectors of new and changed chunks, then of every chunk's sentences (so a first question
    about a passage need not embed them), in the foreground (``--embed``; the app does this in the background);
    Ctrl+C stops it and the next run resumes."""
    if kbase.semantic is None:
        return
    for run, unit, label, head, stopped in (
        (kbase.embed, "chunks", "意味ベクトル / embedding", "意味検索 semantic",
         "意味ベクトルの作成を中断しました（次回続きから） / embedding interrupted (resumes next run)"),
        (kbase.embed_sentences, "sentences", "文ベクトル / sentence vectors", "文ベクトル sentences",
         "文ベクトルの作成を中断しました（次回続きから） / sentence vectors interrupted (resumes next run)"),
    ):
        started = time.monotonic()
        last = None
        try:
            for step in run():
                last = step
                if not step.skipped:
                    progress.show(f"{label} {step.done}/{step.total} ({step.rate:.1f} {unit}/s)", force=step.finished)
        except KeyboardInterrupt:
            progress.end()
            print(stopped)
            return
        progress.end()
        if last is None:
            continue
        if last.skipped:
            print(f"  文ベクトル sentences: {last.total} 文は多すぎるため事前作成を省略（質問時に作成） / "
                  f"{last.total} sentences: too many to embed ahead, embedded when questions need them")
            continue
        rate = f", {last.rate:.1f} {unit}/s" if last.embedded else ""
        print(f"  {head}: {last.done}/{last.total} {unit} "
              f"({last.embedded} embedded in {time.monotonic() - started:.1f} s{rate})")


def _print_failures(failures: list[Any]) -> None:
    if not failures:
        return
    print(f"読めなかったファイル / files that could not be read ({len(failures)}):")
    for f in failures:
        print(f"  {f.path}\n    {f.reason_ja} / {f.reason_en}")


# --- search ------------------------------------------------------------------------------------------------


def _mark(hit: Hit, tty: bool) -> str:
    open_, close = (_BOLD, _RESET) if tty else ("【", "】")
    out: list[str] = []
    pos = 0
    for a, b in hit.highlights:
        out.append(hit.snippet[pos:a])
        out.append(open_ + hit.snippet[a:b] + close)
        pos = b
    out.append(hit.snippet[pos:])
    return "".join(out)


def _print_hits(hits: list[Hit], out: TextIO) -> None:
    if not hits:
        print("見つかりませんでした / no results", file=out)
        return
    tty = out.isatty()
    for rank, hit in enumerate(hits, 1):
        print(f"{rank}. {hit.title} — {hit.location}  (score {hit.score:.2f}, {hit.modified})", file=out)
        print(f"   {hit.path}", file=out)
        print(f"   {_mark(hit, tty)}", file=out)


def _hits_json(hits: list[Hit]) -> str:
    return json.dumps([h.to_dict() for h in hits], ensure_ascii=False)


def _search(args: argparse.Namespace, ctx: Context, kbase: KnowledgeBase) -> int:
    k = max(1, args.k)
    out = sys.stdout
    if args.query == "-":
        stdin = sys.stdin
        reconfigure = getattr(stdin, "reconfigure", None)
        if reconfigure is not None and not stdin.isatty():
            # Scripts pipe UTF-8 (the Windows console default would be cp932); a BOM is dropped below.
            reconfigure(encoding="utf-8", errors="replace")
        for line in stdin:
            query = line.rstrip("\r\n").lstrip("\ufeff")
            hits = kbase.search(query, k, mode=args.retrieval) if query.strip() else []
            if args.json:
                out.write(_hits_json(hits) + "\n")
            else:
                print(f"# {query}", file=out)
                _print_hits(hits, out)
            out.flush()
        return 0
    hits = kbase.search(args.query, k, mode=args.retrieval)
    if args.json:
        out.write(_hits_json(hits) + "\n")
    else:
        _print_hits(hits, out)
    return 0


# --- status ------------------------------------------------------------------------------------------------


def _status(args: argparse.Namespace, ctx: Context, kbase: KnowledgeBase) -> int:
    status = kbase.status()
    if args.json:
        print(json.dumps(status.to_dict(), ensure_ascii=False, indent=2))
        return 0
    print(f"索引 / index: {status.index_path} ({status.index_bytes / 1_000_000:.1f} MB)")
    if not status.sources:
        print("登録されたフォルダはありません / no source folders (soumu-desk kb add FOLDER)")
    for s in status.sources:
        missing = "" if s.available else "  ※見つかりません / not available"
        print(f"  {s.path}{missing}")
        print(f"    {s.files} files, {s.chunks} chunks, 最終索引 last indexed: {s.last_indexed or '未 / never'}")
    print(f"合計 / total: {status.files} files, {status.chunks} chunks, 失敗 failed: {len(status.failures)}")
    sem = status.semantic
    if sem is None:
        print("意味検索 / semantic search: 使わない / off (語句検索のみ / words only)")
    else:
        state = "完了 / ready" if sem["finished"] else "作成中 / in progress (soumu-desk kb index)"
        print(f"意味検索 / semantic search: {sem['model']} — {sem['embedded']}/{sem['total']} chunks, {state}")
    _print_failures(status.failures)
    return 0


# --- watch -------------------------------------------------------------------------------------------------


def _watch(args: argparse.Namespace, ctx: Context, kbase: KnowledgeBase) -> int:
    if not kbase.sources():
        print(
            "登録されたフォルダがありません。`soumu-desk kb add FOLDER` で登録してください。\n"
            "No source folders yet: register one with `soumu-desk kb add FOLDER`.",
            file=sys.stderr,
        )
        return 2

    def on_change(paths: list[str]) -> None:
        for path in paths:
            print(f"更新 / updated: {path}", flush=True)
        for _step in kbase.embed():  # the changed chunks' vectors, on the watcher's thread
            pass
        for _step in kbase.embed_sentences():  # and their sentences'
            pass

    # Watch first, then catch up with what changed while nobody was watching: no change falls in between.
    watcher = kbase.watch(on_change=on_change, debounce=max(0.05, ctx.settings.kb.debounce_ms / 1000))
    for root in watcher.polled:
        print(f"ネットワーク共有は定期確認します / polling network share: {root}", file=sys.stderr)
    last = None
    try:
        for step in kbase.index():
            last = step
    except BaseException:
        watcher.stop()
        raise
    if last is not None:
        print(
            f"索引を更新しました / index updated: +{last.added} ~{last.updated} -{last.removed} !{last.failed}",
            file=sys.stderr,
        )
    _embed(kbase, _Progress(sys.stderr))
    print("監視中です。Ctrl+C で終了します / watching; press Ctrl+C to stop", file=sys.stderr, flush=True)
    try:
        while watcher.running:
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        watcher.stop()
    print("監視を終了しました / stopped watching", file=sys.stderr)
    return 0
