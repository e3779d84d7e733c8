"""Public-style passage retrieval (JSQuAD): character-bigram BM25 vs the product's lexical and hybrid search,
in one run over the same passages.

Usage (from the repository root)::

    .venv/bin/python benchmarks/public_retrieval_eval.py --jsquad FILE
    .venv/bin/python benchmarks/public_retrieval_eval.py --jsquad test-v1.3.json --paragraphs 300
    .venv/bin/python benchmarks/public_retrieval_eval.py --jsquad test-v1.3.json --paragraphs 300 \\
        --export-jsonl jsquad-300.jsonl          # the derived JSONL only, no run

The data is **not** in this repository (JSQuAD is CC BY-SA 4.0, share-alike; the repository does not carry it).
``FILE`` is either

- ``datasets/jsquad-v1.3/test-v1.3.json`` of JGLUE (Yahoo Japan, github.com/yahoojapan/JGLUE, CC BY-SA 4.0):
  SQuAD format, ``data[].paragraphs[]`` with ``context`` = 「タイトル [SEP] 本文」 and ``qas[].question``; or
- a JSONL derived from it, one paragraph a line: ``{"title", "context", "questions": [...]}`` (``context``
  without the 「タイトル [SEP] 」 prefix; a prefix is stripped if present).

To rebuild the file of the published run: take ``test-v1.3.json`` (JGLUE commit 58f0e42) and keep its first 298
paragraphs in file order (``--paragraphs 298``; ``--export-jsonl`` writes exactly what the benchmark reads). The run
in docs/PERFORMANCE.md ("Public-style passage retrieval (JSQuAD)") used those 298 paragraphs (20 articles,
ジェイ・キャスト … 薬剤師) and 1,000 of their 1,165 questions (the default seed).

What it does:

1. writes each paragraph as its own Markdown file in a temp folder (``# タイトル`` then the body);
2. indexes the folder with the product (``kb.KnowledgeBase.index``), then embeds it with the semantic layer the
   desktop uses (``desktop.semantic.attach`` with the default embedder, ``KnowledgeBase.embed``) and times it;
3. builds the baseline from the product's own chunks (``_common.parsed_docs``): SQLite FTS5 over character
   bigrams, bm25, query = OR of its bigrams (``_common.BigramBaseline``);
4. asks every question (at most ``--max-questions``, sampled with a fixed seed) of the three systems:
   baseline, ``kbase.search(q, 10, mode="lexical")`` and ``mode="hybrid"``;
5. scores other fusion weights of the hybrid ranking in the same pass (``--fusion LEXICAL:DENSE:K``, untimed:
   each is asked right after the product's weights, so the question's vector is reused);
6. prints R@1, R@5, MRR@10 per system, search p50/p95 per system and the embedding throughput; writes
   ``benchmarks/out/public_retrieval_eval.md`` and ``.json``.

A hit is relevant when its file is the question's paragraph. A question text asked of several paragraphs (JSQuAD
has a few, e.g. 「池永正明はどこのチーム」) counts each of them as relevant. R@k is success@k (a relevant
passage in the top k); MRR@10 is the mean reciprocal rank of the first relevant one (0 beyond 10).
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    REPO_ROOT,
    BigramBaseline,
    machine_info,
    machine_line,
    parsed_docs,
    percentile,
    rank_metrics,
    work_dir,
    write_report,
)

K = 10
SEP = " [SEP] "
DEFAULT_SEED = 20240601
SYSTEMS = ("baseline", "lexical", "hybrid")
# other hybrid weights scored beside the product's: plain RRF (the first default), and lighter dense weights
DEFAULT_FUSIONS = ("1:1:60", "1:1:10", "1:2:20", "2:1:10")
LABELS = {
    "baseline": "char-bigram BM25 (FTS5, same chunks)",
    "lexical": 'Soumu Desk lexical (`mode="lexical"`)',
    "hybrid": 'Soumu Desk hybrid (`mode="hybrid"`, EmbeddingGemma-300M)',
}


@dataclass
class Paragraph:
    title: str
    context: str
    questions: list[str] = field(default_factory=list)


def _strip_title(title: str, context: str) -> str:
    if SEP in context:
        head, body = context.split(SEP, 1)
        if not title or head.strip() == title.strip():
            return body.strip()
    return context.strip()


def load_jsquad(path: Path, limit: int | None = None) -> list[Paragraph]:
    """Paragraphs of a JSQuAD file: the SQuAD-format JSON of JGLUE or the derived JSONL (see the module doc).
    ``limit`` keeps the first paragraphs in file order. Raises ValueError with what is wrong."""
    text = path.read_text(encoding="utf-8")
    paragraphs: list[Paragraph] = []
    stripped = text.lstrip()
    if stripped.startswith("{") and '"data"' in stripped[:200]:
        doc = json.loads(text)
        for article in doc["data"]:
            title = str(article.get("title", ""))
            for para in article["paragraphs"]:
                questions = [str(qa["question"]).strip() for qa in para.get("qas", [])]
                paragraphs.append(Paragraph(title, _strip_title(title, str(para["context"])), questions))
    else:
        for n, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                title = str(row["title"])
                paragraphs.append(Paragraph(title, _strip_title(title, str(row["context"])),
                                            [str(q).strip() for q in row["questions"]]))
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                raise ValueError(f"{path}:{n}: not a JSQuAD paragraph line ({exc})") from exc
    paragraphs = [p for p in paragraphs if p.context]
    if limit is not None:
        paragraphs = paragraphs[:limit]
    if not paragraphs:
        raise ValueError(f"{path}: no paragraphs")
    return paragraphs


def export_jsonl(paragraphs: Sequence[Paragraph], out: Path) -> None:
    with out.open("w", encoding="utf-8") as f:
        for p in paragraphs:
            f.write(json.dumps({"title": p.title, "context": p.context, "questions": p.questions},
                               ensure_ascii=False) + "\n")


def file_name(i: int) -> str:
    return f"jsquad_{i:04d}.md"


def write_corpus(paragraphs: Sequence[Paragraph], folder: Path) -> None:
    """One Markdown file per paragraph: the article title as its heading, the paragraph as its body."""
    folder.mkdir(parents=True, exist_ok=True)
    for i, p in enumerate(paragraphs):
        (folder / file_name(i)).write_text(f"# {p.title}\n\n{p.context}\n", encoding="utf-8")


def question_set(paragraphs: Sequence[Paragraph], max_questions: int, seed: int) -> list[dict[str, Any]]:
    """Distinct question texts, each with every paragraph file it was asked of; at most ``max_questions``,
    sampled with ``seed`` (the same file and seed give the same questions)."""
    relevant: dict[str, set[str]] = {}
    for i, p in enumerate(paragraphs):
        for q in p.questions:
            q = " ".join(q.split())
            if q:
                relevant.setdefault(q, set()).add(file_name(i))
    items = [{"question": q, "relevant": sorted(files)} for q, files in relevant.items()]
    if len(items) > max_questions:
        items = random.Random(seed).sample(items, max_questions)
    return items


def first_rank(hit_files: Sequence[str], relevant: Sequence[str]) -> int | None:
    for rank, name in enumerate(hit_files, start=1):
        if name in relevant:
            return rank
    return None


def timed_ranks(questions: Sequence[dict[str, Any]], search: Callable[[str], list[str]],
                after: Callable[[dict[str, Any]], None] | None = None,
                ) -> tuple[list[int | None], list[float], list[list[str]]]:
    """Each question through ``search`` (timed), then through ``after`` (not timed)."""
    ranks: list[int | None] = []
    seconds: list[float] = []
    tops: list[list[str]] = []
    for q in questions:
        t0 = time.perf_counter()
        files = search(q["question"])
        seconds.append(time.perf_counter() - t0)
        ranks.append(first_rank(files, q["relevant"]))
        tops.append(files[:3])
        if after is not None:
            after(q)
    return ranks, seconds, tops


def parse_fusion(text: str) -> tuple[float, float, float]:
    """``LEXICAL:DENSE:K`` (e.g. ``1:1:60``), the weights of ``kb.FusionWeights``."""
    parts = text.split(":")
    if len(parts) != 3:
        raise argparse.ArgumentTypeError(f"expected LEXICAL:DENSE:K, got {text!r}")
    try:
        lexical, dense, k = (float(x) for x in parts)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected numbers in {text!r}") from exc
    return lexical, dense, k


def fusion_label(lexical: float, dense: float, k: float) -> str:
    return f"hybrid, fusion {lexical:g} : {dense:g}, k = {k:g}"


def run(paragraphs: Sequence[Paragraph], questions: Sequence[dict[str, Any]], work: Path,
        fusions: Sequence[tuple[float, float, float]] = ()) -> dict[str, Any]:
    """The three systems over the same passages; ``fusions``: other weights of the hybrid ranking, asked right
    after the product's (the question's vector is then reused), untimed."""
    from desktop.semantic import attach
    from desktop.settings import Settings
    from kb import FusionWeights, KnowledgeBase

    docs = work / "jsquad"
    write_corpus(paragraphs, docs)

    kbase = KnowledgeBase(work / "kb")
    try:
        t0 = time.perf_counter()
        for _ in kbase.index(folders=[docs]):
            pass
        index_s = time.perf_counter() - t0
        n_chunks = kbase.status().chunks
        print(f"indexed {len(paragraphs)} files, {n_chunks} chunks in {index_s:.1f} s", file=sys.stderr)

        settings = Settings()
        settings.kb.embedder = ""  # the default embedder (the set-up's EmbeddingGemma-300M)
        problem = attach(kbase, settings, [REPO_ROOT / "local_models" / "models"])
        if problem or kbase.semantic is None:
            raise SystemExit(f"semantic layer unavailable: {problem or 'no embedding model in local_models/models'}")
        t0 = time.perf_counter()
        last = None
        for step in kbase.embed():
            last = step
            print(f"\rembedding {step.done}/{step.total} ({step.rate:.2f} chunks/s)", end="", file=sys.stderr)
        embed_s = time.perf_counter() - t0
        print(file=sys.stderr)
        if last is None or not last.finished:
            raise SystemExit("embedding did not finish")
        embedded = last.embedded

        chunks, failed = parsed_docs(docs)
        if failed:
            raise SystemExit("the parser could not read: " + "; ".join(failed))
        baseline = BigramBaseline()
        baseline.add_many(chunks)

        def by_name(paths: Sequence[str]) -> list[str]:
            return [Path(p).name for p in paths]

        results: dict[str, Any] = {}
        searches: dict[str, Callable[[str], list[str]]] = {
            "baseline": lambda q: by_name([h["path"] for h in baseline.search(q, K)]),
            "lexical": lambda q: by_name([str(h.path) for h in kbase.search(q, K, mode="lexical")]),
            "hybrid": lambda q: by_name([str(h.path) for h in kbase.search(q, K, mode="hybrid")]),
        }
        product_fusion = kbase.fusion
        variants = {fusion_label(*f): FusionWeights(f[0], f[1], f[2], product_fusion.depth) for f in fusions}
        variant_ranks: dict[str, list[int | None]] = {name: [] for name in variants}

        def other_fusions(q: dict[str, Any]) -> None:
            for name, weights in variants.items():
                kbase.fusion = weights
                hits = kbase.search(q["question"], K, mode="hybrid")
                variant_ranks[name].append(first_rank(by_name([str(h.path) for h in hits]), q["relevant"]))
            kbase.fusion = product_fusion

        kbase.search("ウォームアップ", K, mode="hybrid")  # load the query embedder before the timed loop
        for name in SYSTEMS:
            t0 = time.perf_counter()
            ranks, seconds, tops = timed_ranks(questions, searches[name],
                                               other_fusions if name == "hybrid" and variants else None)
            print(f"{name}: {len(questions)} questions in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
            results[name] = {"ranks": ranks, "seconds": seconds, "tops": tops}
        baseline.close()
    finally:
        kbase.close()
    return {
        "paragraphs": len(paragraphs), "chunks": n_chunks, "baseline_chunks": len(chunks),
        "index_seconds": index_s, "embed_seconds": embed_s, "embedded": embedded,
        "questions": list(questions), "results": results,
        "product_fusion": [product_fusion.lexical, product_fusion.dense, product_fusion.k, product_fusion.depth],
        "other_fusions": variant_ranks,
    }


def report(out: dict[str, Any], info: dict[str, str], source: str, uptime: str) -> str:
    res = out["results"]
    n = len(out["questions"])
    rate = out["embedded"] / out["embed_seconds"] if out["embed_seconds"] > 0 else float("nan")
    lines = [
        f"Measured {machine_line(info)}; `uptime` at the end: {uptime}.",
        f"{out['paragraphs']} JSQuAD paragraphs ({source}) as {out['paragraphs']} Markdown files, "
        f"{out['chunks']} chunks; {n} questions; k = {K}. "
        f"Product index {out['index_seconds']:.1f} s; embedding {out['embedded']} chunks in "
        f"{out['embed_seconds']:.0f} s = {rate:.2f} chunks/s.",
        "",
        "| system | R@1 | R@5 | MRR@10 | search p50 | search p95 |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name in SYSTEMS:
        m = rank_metrics(res[name]["ranks"])
        secs = res[name]["seconds"]
        lines.append(f"| {LABELS[name]} | {m['R@1']:.3f} | {m['R@5']:.3f} | {m['MRR@10']:.3f} | "
                     f"{percentile(secs, 50) * 1000:.1f} ms | {percentile(secs, 95) * 1000:.1f} ms |")
    for label, ranks in out.get("other_fusions", {}).items():
        m = rank_metrics(ranks)
        lines.append(f"| {label} (same run, not timed) | {m['R@1']:.3f} | {m['R@5']:.3f} | {m['MRR@10']:.3f} | — | — |")
    lines.append("")
    if "product_fusion" in out:
        lex, dense, k, depth = out["product_fusion"]
        lines.append(f"The product's hybrid ranking: weighted RRF, lexical {lex:g} : dense {dense:g}, k = {k:g}, "
                     f"depth {depth}.")
    h, b, lx = (res[s]["ranks"] for s in ("hybrid", "baseline", "lexical"))
    won = sum(1 for x, y in zip(h, b, strict=True) if x == 1 and y != 1)
    lost = sum(1 for x, y in zip(h, b, strict=True) if y == 1 and x != 1)
    lines.append(f"Rank 1: hybrid right where the baseline is not: {won}; the reverse: {lost}. "
                 f"Lexical misses (not in the top 10): {sum(1 for r in lx if r is None)}; "
                 f"hybrid: {sum(1 for r in h if r is None)}; baseline: {sum(1 for r in b if r is None)}.")
    misses = [(q, r, t) for q, r, t in zip(out["questions"], h, res["hybrid"]["tops"], strict=True) if r != 1]
    lines += ["", f"Hybrid not at rank 1 ({len(misses)}), first 15:", ""]
    for q, r, top in misses[:15]:
        lines.append(f"- 「{q['question']}」 rank {r or '-'}; expected {', '.join(q['relevant'])}; "
                     f"got {', '.join(top) or '(no hits)'}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--jsquad", type=Path, required=True,
                    help="JGLUE test-v1.3.json or the derived JSONL (see the module docstring)")
    ap.add_argument("--paragraphs", type=int, default=None, help="keep the first N paragraphs (file order)")
    ap.add_argument("--max-questions", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument("--export-jsonl", type=Path, help="write the paragraphs read as JSONL and stop")
    ap.add_argument("--fusion", type=parse_fusion, action="append", metavar="LEXICAL:DENSE:K",
                    help=f"other hybrid fusion weights to score in the same run (default: {' '.join(DEFAULT_FUSIONS)})")
    ap.add_argument("--keep", action="store_true", help="keep the temp folder (path is printed)")
    args = ap.parse_args(argv)
    fusions = args.fusion or [parse_fusion(f) for f in DEFAULT_FUSIONS]

    if not args.jsquad.is_file():
        raise SystemExit(f"JSQuAD file not found: {args.jsquad} (see the module docstring for where it comes from)")
    paragraphs = load_jsquad(args.jsquad, args.paragraphs)
    if args.export_jsonl:
        export_jsonl(paragraphs, args.export_jsonl)
        print(f"{len(paragraphs)} paragraphs written to {args.export_jsonl}", file=sys.stderr)
        return 0
    questions = question_set(paragraphs, args.max_questions, args.seed)
    print(f"{len(paragraphs)} paragraphs, {len(questions)} questions", file=sys.stderr)

    with work_dir("soumu-jsquad-", args.keep) as work:
        out = run(paragraphs, questions, work, fusions)
    uptime = subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()
    info = machine_info()
    text = report(out, info, args.jsquad.name, uptime)
    print(text)
    write_report("public_retrieval_eval", text,
                 {"machine": info, "uptime": uptime, "source": str(args.jsquad), "seed": args.seed, **out})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
