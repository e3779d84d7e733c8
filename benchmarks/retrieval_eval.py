"""Retrieval quality of the knowledge base on the real documents, beside a character-bigram BM25 baseline.

Usage (from the repository root)::

    .venv/bin/python benchmarks/retrieval_eval.py            # table on stdout, Markdown in benchmarks/out/
    .venv/bin/python benchmarks/retrieval_eval.py --keep     # keep the temp copy and data home

What it does, all in one run so the two systems see the same files:

1. copies ``../shared/realdocs`` (without its README) to a temp folder;
2. indexes it with the product's CLI (``soumu-desk --home TMP kb index FOLDER``);
3. asks every question of ``benchmarks/data/retrieval_questions.jsonl`` in one batch
   (``kb search - -k 10 --json``);
4. builds the baseline: the same chunks (from the product's parser, ``kb.parsing.parse_document``) as
   space-separated character bigrams in an in-memory SQLite FTS5 table, queried with OR of the query's
   bigrams and ranked by bm25;
5. prints R@1, R@5 and MRR@10 for both, the questions each missed, and writes
   ``benchmarks/out/retrieval_eval.md`` (a snippet for docs/PERFORMANCE.md) and ``retrieval_eval.json``.

R@k here is the share of questions with at least one relevant passage in the top k (success@k); MRR@10 is the
mean reciprocal rank of the first relevant passage (0 when none is in the top 10). Relevance: see
``benchmarks/_common.is_relevant``.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    QUESTIONS_FILE,
    REALDOCS,
    BigramBaseline,
    batch_search,
    first_relevant_rank,
    load_questions,
    machine_info,
    machine_line,
    nfkc,
    parsed_docs,
    rank_metrics,
    run_cli,
    work_dir,
    write_report,
)

K = 10


def short_ref(ref: dict[str, Any]) -> str:
    bits = [ref["file"]]
    if ref.get("article"):
        bits.append(ref["article"])
    if ref.get("page") is not None:
        bits.append(f"p.{ref['page']}")
    return " ".join(bits)


def short_hit(hit: dict[str, Any]) -> str:
    return f"{Path(str(hit.get('path', ''))).name} [{nfkc(hit.get('location'))}]"


def copy_realdocs(src: Path, dst: Path) -> int:
    dst.mkdir(parents=True, exist_ok=True)
    n = 0
    for p in sorted(src.iterdir()):
        if p.is_file() and p.name != "README.md":  # the README describes the files; users' folders have none
            shutil.copy2(p, dst / p.name)
            n += 1
    return n


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--realdocs", type=Path, default=REALDOCS)
    ap.add_argument("--questions", type=Path, default=QUESTIONS_FILE)
    ap.add_argument("--keep", action="store_true", help="keep the temp folder (path is printed)")
    args = ap.parse_args(argv)

    questions = load_questions(args.questions)
    info = machine_info()
    with work_dir("soumu-retrieval-", args.keep) as work:
        docs_dir = work / "realdocs"
        home = work / "home"
        n_files = copy_realdocs(args.realdocs, docs_dir)
        print(f"{n_files} files copied to {docs_dir}; {len(questions)} questions", file=sys.stderr)

        t0 = time.perf_counter()
        idx = run_cli(home, ["kb", "index", str(docs_dir)])
        index_s = time.perf_counter() - t0
        print(f"product index: {index_s:.1f} s\n{idx.stdout.strip()}", file=sys.stderr)

        t0 = time.perf_counter()
        product_hits = batch_search(home, [q["question"] for q in questions], k=K)
        search_s = time.perf_counter() - t0

        chunks, failed = parsed_docs(docs_dir)
        baseline = BigramBaseline()
        baseline.add_many(chunks)
        baseline_hits = [baseline.search(q["question"], K) for q in questions]
        baseline.close()
        if failed:
            print("parser could not read (baseline skips them): " + "; ".join(failed), file=sys.stderr)

        rows: list[dict[str, Any]] = []
        for q, ph, bh in zip(questions, product_hits, baseline_hits, strict=True):
            rows.append({
                "id": q["id"], "question": q["question"], "relevant": q["relevant"],
                "product_rank": first_relevant_rank(ph, q["relevant"]),
                "baseline_rank": first_relevant_rank(bh, q["relevant"]),
                "product_top": [short_hit(h) for h in ph[:3]],
                "baseline_top": [short_hit(h) for h in bh[:3]],
            })
        report = build_report(rows, info, n_files, len(chunks), index_s, search_s)
        print(report)
        write_report("retrieval_eval", report, {"machine": info, "rows": rows, "index_seconds": index_s})
    return 0


def build_report(rows: list[dict[str, Any]], info: dict[str, str], n_files: int, n_chunks: int,
                 index_s: float, search_s: float) -> str:
    pdf_rows = [r for r in rows if any(ref["file"].endswith(".pdf") for ref in r["relevant"])]
    systems = [("Soumu Desk (SudachiPy + FTS5 BM25)", "product_rank"), ("char-bigram BM25 baseline", "baseline_rank")]
    lines = [
        f"Measured {machine_line(info)}.",
        f"{len(rows)} questions over {n_files} real documents ({n_chunks} chunks from the product's parser); "
        f"product index {index_s:.1f} s, {len(rows)} queries in one batch call {search_s:.1f} s "
        "(includes process start-up).",
        "",
        f"| system | R@1 | R@5 | MRR@10 | R@5 on the PDF questions (n={len(pdf_rows)}) |",
        "|---|---:|---:|---:|---:|",
    ]
    for label, key in systems:
        m = rank_metrics([r[key] for r in rows])
        pm = rank_metrics([r[key] for r in pdf_rows]) if pdf_rows else {"R@5": float("nan")}
        lines.append(f"| {label} | {m['R@1']:.3f} | {m['R@5']:.3f} | {m['MRR@10']:.3f} | {pm['R@5']:.3f} |")
    lines.append("")
    misses = [r for r in rows if r["product_rank"] is None or r["product_rank"] > 5]
    lines.append(f"Product misses (no relevant passage in the top 5): {len(misses)}")
    lines.append("")
    for r in misses:
        refs = "; ".join(short_ref(x) for x in r["relevant"])
        rank = r["product_rank"] or "-"
        lines.append(f"- {r['id']} 「{r['question']}」 rank {rank} (baseline {r['baseline_rank'] or '-'}); "
                     f"expected {refs}; got {' | '.join(r['product_top']) or '(no hits)'}")
    worse = [r for r in rows if r["baseline_rank"] is not None
             and (r["product_rank"] is None or r["product_rank"] > r["baseline_rank"])]
    lines.append("")
    lines.append(f"Questions where the baseline ranks the answer higher than the product: {len(worse)}")
    for r in worse:
        lines.append(f"- {r['id']} 「{r['question']}」 product {r['product_rank'] or '-'}, "
                     f"baseline {r['baseline_rank']}")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
