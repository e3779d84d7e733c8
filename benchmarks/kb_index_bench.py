"""Index throughput, peak memory and the cost of a no-change re-run, on the generated 10,000-file corpus.

    .venv/bin/python benchmarks/kb_index_bench.py                 # generates benchmarks/out/corpus if missing
    .venv/bin/python benchmarks/kb_index_bench.py --files 2000    # a smaller run

Run 1: a fresh data home, ``soumu-desk --home H kb index CORPUS`` (the CLI contract), timed from outside;
peak RSS is the largest sum over the child's process tree, polled every 50 ms with psutil (plus the
kernel's ru_maxrss for the child). Then the same command again with nothing changed (target: under 2% of
run 1), repeated ``--repeat`` times. Because a CLI run also pays for Python start-up and opening the
index, the no-change pass is timed in-process too (``KnowledgeBase.index()``) and the bare CLI start-up
(``kb status``) is shown beside it. Results: stdout and ``benchmarks/out/kb_index_bench.md``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    OUT_DIR,
    cli_command,
    dir_stats,
    fresh_dir,
    machine_info,
    machine_line,
    product_env,
    run_cli,
    run_watched,
    write_out,
)
from gen_corpus import generate  # noqa: E402


def ensure_corpus(corpus: Path, files: int) -> tuple[int, int]:
    have, _ = dir_stats(corpus) if corpus.exists() else (0, 0)
    if have < files:
        print(f"generating {files - have} files in {corpus} …", file=sys.stderr)
        generate(corpus, files - have, offset=have)
    return dir_stats(corpus)


def in_process_noop(home: Path, corpus: Path) -> float:
    """Seconds for ``KnowledgeBase.index()`` over an up-to-date index, inside this process."""
    from desktop.paths import DataHome
    from kb import KnowledgeBase

    kbase = KnowledgeBase(DataHome.open(str(home)).kb_dir)
    try:
        t0 = time.perf_counter()
        for _ in kbase.index([corpus]):
            pass
        return time.perf_counter() - t0
    finally:
        kbase.close()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, default=OUT_DIR / "corpus")
    ap.add_argument("--files", type=int, default=10_000)
    ap.add_argument("--home", type=Path, default=OUT_DIR / "home_index")
    ap.add_argument("--repeat", type=int, default=3, help="no-change runs")
    args = ap.parse_args(argv)

    n_files, n_bytes = ensure_corpus(args.corpus, args.files)
    info = machine_info()
    home = fresh_dir(args.home)
    cmd = [*cli_command(), "--home", str(home), "kb", "index", str(args.corpus)]

    print(f"run 1: indexing {n_files} files, {n_bytes / 1e6:.1f} MB …", file=sys.stderr)
    first = run_watched(cmd, env=product_env(home))
    if first.returncode != 0:
        print(first.stderr[-3000:], file=sys.stderr)
        return 1
    status = run_cli(home, ["kb", "status", "--json"]).stdout

    again = []
    for i in range(args.repeat):
        r = run_watched(cmd, env=product_env(home))
        if r.returncode != 0:
            print(r.stderr[-3000:], file=sys.stderr)
            return 1
        again.append(r.seconds)
        print(f"no-change run {i + 1}: {r.seconds:.2f} s", file=sys.stderr)
    startup = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        run_cli(home, ["kb", "status"])
        startup.append(time.perf_counter() - t0)
    inproc = [in_process_noop(home, args.corpus) for _ in range(args.repeat)]

    best_again = min(again)
    lines = [
        f"Measured {machine_line(info)}.",
        f"Corpus: {n_files} generated files (benchmarks/gen_corpus.py), {n_bytes / 1e6:.1f} MB.",
        "",
        "| measure | value |",
        "|---|---:|",
        f"| full index, CLI wall time | {first.seconds:.1f} s |",
        f"| throughput | {n_files / first.seconds:.0f} files/s, {n_bytes / 1e6 / first.seconds:.2f} MB/s |",
        f"| CPU time of the indexing process tree (user + sys) | {first.cpu_seconds:.1f} s → "
        f"{n_files / max(first.cpu_seconds, 1e-9):.0f} files per CPU-second |",
        f"| peak RSS while indexing (process tree) | {first.peak_rss_bytes / 2**20:.0f} MiB |",
        f"| no-change re-run, CLI (best of {args.repeat}; median) | {best_again:.2f} s; "
        f"{statistics.median(again):.2f} s |",
        f"| … as a fraction of the full index (target < 2%) | {100 * best_again / first.seconds:.2f}% |",
        f"| no-change re-run in-process, `KnowledgeBase.index()` (best) | {min(inproc):.2f} s "
        f"({100 * min(inproc) / first.seconds:.2f}%) |",
        f"| CLI start-up alone, `kb status` (best) | {min(startup):.2f} s |",
        "",
        "`kb status --json` after run 1:",
        "",
        "```json",
        status.strip()[:1500],
        "```",
    ]
    report = "\n".join(lines) + "\n"
    print(report)
    print(f"summary printed by run 1:\n{first.stdout.strip()}", file=sys.stderr)
    write_out("kb_index_bench.md", report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
