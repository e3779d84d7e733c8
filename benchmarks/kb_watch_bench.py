"""Watch latency: a file saved in a watched folder → findable by search. Target: p95 under 1 s.

    .venv/bin/python benchmarks/kb_watch_bench.py            # 40 saves (half new files, half edits)
    .venv/bin/python benchmarks/kb_watch_bench.py --mode cli # `soumu-desk kb watch` in its own process

A folder of ``--base`` generated files is indexed, then ``KnowledgeBase.watch()`` runs (``--mode api``, the
default: the watcher's threads inside this process, searches from the main thread) or ``soumu-desk kb watch``
runs as a child process and this process searches the same index (``--mode cli``). Then, one at a time,
``--saves`` files are saved — alternately a new file and an edit (append) of an existing one — each with a
unique token, and ``search(token)`` is polled every 10 ms until a hit names that file. Latency runs from the
moment the saved file is closed to the first search that finds it; a save not found within ``--timeout``
seconds counts as a miss. Results: stdout and ``benchmarks/out/kb_watch_bench.md``.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import string
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    OUT_DIR,
    PRODUCT_ROOT,
    cli_command,
    fmt_ms,
    fresh_dir,
    machine_info,
    machine_line,
    percentile,
    product_env,
    run_cli,
    write_out,
)
from gen_corpus import generate  # noqa: E402


def unique_token(rng: random.Random) -> str:
    # letters only: one token for any analyser, and never a Japanese word
    return "zq" + "".join(rng.choice(string.ascii_lowercase) for _ in range(10))


def wait_found(kbase: Any, token: str, path: Path, timeout: float) -> float | None:
    """Poll search until a hit names ``path``; return the time it was first found (perf_counter)."""
    deadline = time.perf_counter() + timeout
    target = str(path.resolve())
    while time.perf_counter() < deadline:
        for hit in kbase.search(token, k=5):
            if os.path.realpath(hit.path) == target:
                return time.perf_counter()
        time.sleep(0.01)
    return None


def stop_watcher(handle: Any, kbase: Any) -> None:
    for owner in (handle, kbase):
        stop = getattr(owner, "stop", None)
        if callable(stop):
            stop()
            return


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mode", choices=["api", "cli"], default="api")
    ap.add_argument("--saves", type=int, default=40)
    ap.add_argument("--base", type=int, default=500, help="generated files in the watched folder")
    ap.add_argument("--timeout", type=float, default=10.0)
    ap.add_argument("--pause", type=float, default=0.3, help="seconds between saves")
    args = ap.parse_args(argv)

    from desktop.paths import DataHome
    from kb import KnowledgeBase

    root = fresh_dir(OUT_DIR / "watch")
    folder = root / "docs"
    home = root / "home"
    generate(folder, args.base, offset=50_000)
    (folder / "新規").mkdir()
    existing = sorted(p for p in folder.rglob("*.md"))
    run_cli(home, ["kb", "index", str(folder)])
    info = machine_info()

    child: subprocess.Popen[bytes] | None = None
    kbase = KnowledgeBase(DataHome.open(str(home)).kb_dir)
    handle: Any = None
    try:
        if args.mode == "api":
            handle = kbase.watch()
        else:
            child = subprocess.Popen([*cli_command(), "--home", str(home), "kb", "watch"], env=product_env(home),
                                     cwd=PRODUCT_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(2.0)  # let the observer start (its start-up is not what is measured)

        rng = random.Random(7)
        latencies: list[float] = []
        kinds: list[str] = []
        misses: list[str] = []
        for i in range(args.saves):
            token = unique_token(rng)
            if i % 2 == 0:
                path = folder / "新規" / f"監視テスト_{i:03d}.md"
                body = f"# 監視テスト{i}\n\n### 第1条　確認\n\n1. 識別子 {token} を含む新しい文書です。\n"
                with path.open("w", encoding="utf-8") as f:
                    f.write(body)
                kind = "new"
            else:
                path = existing[(i * 37) % len(existing)]
                with path.open("a", encoding="utf-8") as f:
                    f.write(f"\n### 第99条　追記\n\n1. 識別子 {token} を追記しました。\n")
                kind = "edit"
            saved = time.perf_counter()
            found = wait_found(kbase, token, path, args.timeout)
            if found is None:
                misses.append(f"{kind} {path.name}")
            else:
                latencies.append(found - saved)
                kinds.append(kind)
            time.sleep(args.pause)
    finally:
        if handle is not None or args.mode == "api":
            stop_watcher(handle, kbase)
        if child is not None:
            child.send_signal(signal.SIGINT)
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
        kbase.close()

    lines = [f"Measured {machine_line(info)}.",
             f"Mode `{args.mode}`; {args.base} files in the watched folder; {args.saves} saves "
             f"({args.pause} s apart), search polled every 10 ms.", ""]
    if latencies:
        new = [t for t, k in zip(latencies, kinds, strict=True) if k == "new"]
        edit = [t for t, k in zip(latencies, kinds, strict=True) if k == "edit"]
        lines += ["| saves | p50 | p95 | max |", "|---|---:|---:|---:|"]
        for label, xs in (("all (target p95 < 1 s)", latencies), ("new files", new), ("edits", edit)):
            if xs:
                lines.append(f"| {label} (n={len(xs)}) | {fmt_ms(percentile(xs, 50))} | "
                             f"{fmt_ms(percentile(xs, 95))} | {fmt_ms(max(xs))} |")
    lines += ["", f"Not found within {args.timeout:.0f} s: {len(misses)}" + (f" ({', '.join(misses)})" if misses else "")]
    report = "\n".join(lines) + "\n"
    print(report)
    write_out(f"kb_watch_bench_{args.mode}.md", report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
