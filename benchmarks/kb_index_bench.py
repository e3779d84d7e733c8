"""Index throughput, peak memory and the cost of a no-change re-run, on the generated 10,000-file corpus.

    .venv/bin/python benchmarks/kb_index_bench.py                 # generates benchmarks/out/corpus if missing
    .venv/bin/python benchmarks/kb_index_bench.py --files 2000    # a smaller run

Run 1: a fresh data home, ``soumu-desk --home H kb index CORPUS`` (the CLI contract), timed from outside;
peak RSS is the largest sum over the child's process tree, polled every 50 ms with psutil (plus the
kernel's ru_maxrss for the child). Then the same command again with nothing changed (target: under 2% of
run 1), repeated ``--repeat`` times. Because a CLI run also pays for Python start-up and opening the
index, the no-change pass is timed in-process too (``KnowledgeBase.index()``) and the bare CLI start-up
(``kb status``) is shown beside it. Results: stdout and ``benchmarks/out/kb_index_bench.md``.

    .venv/bin/python benchmarks/kb_index_bench.py --against-floor --corpus benchmarks/out/corpus5k --files 5000

``--against-floor`` (issue 12) instead times a bare SudachiPy + FTS5 insert floor (:func:`floor_child`) and a full
``kb index`` of the same files, alternating for ``--rounds`` rounds in one run, and prints index / floor (wall
and CPU, medians). ``--baseline-product DIR`` (an export by ``snapshot.py``) joins the same rounds: before and
after side by side. Results: stdout and ``benchmarks/out/kb_index_floor.md``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    OUT_DIR,
    ChildRun,
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


# ------------------------------------------------------------------------------------------------ floor

FLOOR_SUFFIXES = (".md", ".markdown", ".txt", ".csv", ".tsv")


def floor_child(corpus: Path, db: Path) -> int:
    """The floor: what any SudachiPy + FTS5 indexer must do with these files, and nothing else.

    Same files (the corpus is text only), same decoding (``decode_bytes``: the corpus has cp932 CSVs), the
    same Sudachi analysis (dictionary load, SplitMode.A with the ``pos`` and ``normalized_form`` fields, the
    product's NFKC, inputs of at most 1,000 characters cut at line ends, punctuation/whitespace dropped by
    part-of-speech id, normalized forms joined by spaces) and the same FTS5 inserts (an FTS5 table with the
    product's ``unicode61`` tokenizer, rows inserted inside one transaction). No structure, no chunking,
    no locations, no hashing, no term statistics, no progress: one row per file.
    """
    import os
    import sqlite3
    import unicodedata

    from sudachipy import Dictionary, SplitMode

    from kb.parsing.textdecode import decode_bytes

    dictionary = Dictionary()
    tok = dictionary.tokenizer(mode=SplitMode.A, fields={"pos", "normalized_form"})
    skip: dict[int, bool] = {}
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("CREATE VIRTUAL TABLE body USING fts5(path UNINDEXED, terms, tokenize='unicode61 remove_diacritics 0')")
    paths = sorted(
        os.path.join(d, f) for d, _, fs in os.walk(corpus) for f in fs if f.lower().endswith(FLOOR_SUFFIXES)
    )
    n_terms = 0
    conn.execute("BEGIN")
    for path in paths:
        with open(path, "rb") as fh:
            text, _ = decode_bytes(fh.read())
        if not unicodedata.is_normalized("NFKC", text):
            text = unicodedata.normalize("NFKC", text)
        terms: list[str] = []
        start = 0
        while start < len(text):
            end = start + 1000
            if end < len(text):
                cut = text.rfind("\n", start + 500, end)
                end = cut + 1 if cut != -1 else end
            for m in tok.tokenize(text[start:end]):
                pid = m.part_of_speech_id()
                s = skip.get(pid)
                if s is None:
                    s = skip[pid] = dictionary.pos_of(pid)[0] in ("補助記号", "空白")
                if not s:
                    terms.append(m.normalized_form().lower())
            start = end
        n_terms += len(terms)
        conn.execute("INSERT INTO body(path, terms) VALUES(?, ?)", (path, " ".join(terms)))
    conn.execute("COMMIT")
    conn.close()
    print(json.dumps({"files": len(paths), "terms": n_terms}))
    return 0


def _product_command(product: Path | None) -> list[str]:
    """The CLI of the product under test, or of another exported tree (``snapshot.py``) when given."""
    if product is None:
        return cli_command()
    boot = (
        "import runpy, sys; sys.path.insert(0, sys.argv.pop(1)); sys.argv[0] = 'soumu-desk'; "
        "runpy.run_module('desktop', run_name='__main__', alter_sys=True)"
    )
    return [sys.executable, "-c", boot, str(product.resolve())]


def _cpu_line(run: ChildRun) -> str:
    return f"{run.seconds:.2f} s wall, {run.cpu_seconds:.2f} s CPU"


def against_floor(args: argparse.Namespace) -> int:
    """Floor and full index of the same files, alternating in one run; the ratio of the medians is the result.

    Both are child processes timed from outside, so both pay Python start-up, their imports and the
    dictionary load; the product also pays its CLI imports and opening a fresh index. ``--baseline-product``
    adds an older export of the product (``benchmarks/snapshot.py``) to the same rounds: before and after
    measured side by side on the same machine state.
    """
    args.corpus = args.corpus.resolve()  # the product runs with its own tree as working directory
    n_files, n_bytes = ensure_corpus(args.corpus, args.files)
    info = machine_info()
    work = fresh_dir(args.home)
    products: list[tuple[str, Path | None]] = [("product", None)]
    if args.baseline_product is not None:
        products.insert(0, (f"baseline {args.baseline_product.name}", args.baseline_product))
    runs: dict[str, list[ChildRun]] = {"floor": []}
    runs.update({name: [] for name, _ in products})
    floor_cmd = [sys.executable, str(Path(__file__).resolve()), "--floor-child", str(args.corpus)]
    floor_out = ""
    for rnd in range(args.rounds):
        db = work / f"floor{rnd}.sqlite"
        r = run_watched([*floor_cmd, str(db)], env=product_env(work))
        if r.returncode != 0:
            print(r.stderr[-3000:], file=sys.stderr)
            return 1
        floor_out = r.stdout.strip()
        runs["floor"].append(r)
        print(f"round {rnd + 1} floor: {_cpu_line(r)}", file=sys.stderr)
        for name, product in products:
            home = fresh_dir(work / f"home{rnd}_{len(runs[name])}")
            cmd = [*_product_command(product), "--home", str(home), "kb", "index", str(args.corpus)]
            r = run_watched(cmd, env=product_env(home))
            if r.returncode != 0:
                print(r.stderr[-3000:], file=sys.stderr)
                return 1
            runs[name].append(r)
            print(f"round {rnd + 1} {name}: {_cpu_line(r)}", file=sys.stderr)
            if rnd < args.rounds - 1:
                fresh_dir(home)  # keep the disk footprint of the run small

    def med(name: str, attr: str) -> float:
        return statistics.median(getattr(r, attr) for r in runs[name])

    floor_wall, floor_cpu = med("floor", "seconds"), med("floor", "cpu_seconds")
    lines = [
        f"Measured {machine_line(info)}.",
        f"Corpus: {args.corpus} — {n_files} generated files, {n_bytes / 1e6:.1f} MB; {args.rounds} rounds, "
        "floor and index alternating; medians.",
        f"Floor output: `{floor_out}`.",
        "",
        "| run | wall (median) | CPU (median) | wall / floor | CPU / floor | peak RSS | each round, wall |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for name in runs:
        wall, cpu = med(name, "seconds"), med(name, "cpu_seconds")
        peak = max(r.peak_rss_bytes for r in runs[name]) / 2**20
        each = ", ".join(f"{r.seconds:.1f}" for r in runs[name])
        lines.append(
            f"| {name} | {wall:.2f} s | {cpu:.2f} s | {wall / floor_wall:.2f}× | {cpu / floor_cpu:.2f}× "
            f"| {peak:.0f} MiB | {each} |"
        )
    report = "\n".join(lines) + "\n"
    print(report)
    write_out("kb_index_floor.md", report)
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, default=OUT_DIR / "corpus")
    ap.add_argument("--files", type=int, default=10_000)
    ap.add_argument("--home", type=Path, default=OUT_DIR / "home_index")
    ap.add_argument("--repeat", type=int, default=3, help="no-change runs")
    ap.add_argument("--against-floor", action="store_true", help="floor vs full index, alternating (issue 12)")
    ap.add_argument("--rounds", type=int, default=3, help="rounds of floor + index with --against-floor")
    ap.add_argument("--baseline-product", type=Path, help="with --against-floor: also index with this export")
    ap.add_argument("--floor-child", nargs=2, type=Path, metavar=("CORPUS", "DB"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.floor_child:
        return floor_child(*args.floor_child)
    if args.against_floor:
        return against_floor(args)

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
