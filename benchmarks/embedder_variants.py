"""Variants of the embedder compared at equal honest not-found, on both everyday question sets in one run.

Usage (from the repository root; homes as for ``everyday_eval.py``)::

    .venv/bin/python benchmarks/embedder_variants.py --demo-home H1 --realdocs-home H2
    .venv/bin/python benchmarks/embedder_variants.py --demo-home H1 --realdocs-home H2 \\
        --query-prompt "task: question answering | query: "
    .venv/bin/python benchmarks/embedder_variants.py --demo-home COPY1 --realdocs-home COPY2 --dim 768

``--query-prompt`` replaces the EmbeddingGemma query prefix (the chunk vectors are unchanged, so the homes can be
the usual ones); ``--dim`` keeps that many Matryoshka dimensions — a new vector space, so the homes are
re-embedded first: give copies. For every question of ``everyday_questions.jsonl`` and ``everyday_heldout.jsonl``
and each knowledge base it belongs to: found@1/@5 of the hybrid search, the gate's score
(``desktop.answering.gate_score``) and whether the extract (no model) holds the facts. Since a variant moves the
similarities, the threshold is not the product's: each set is scored at the thresholds that admit 0–3 of its
out-of-scope questions, and the AUC of the score (in-scope against out-of-scope) is given. Each knowledge
base's synonym list is used as the answer pipeline uses it.

Writes ``benchmarks/out/embedder_variants[_NAME].{md,json}``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import DATA_DIR, first_relevant_rank_located, machine_info, machine_line, write_out  # noqa: E402

SETS = {"everyday": DATA_DIR / "everyday_questions.jsonl", "held-out": DATA_DIR / "everyday_heldout.jsonl"}


def collect(homes: dict[str, Path]) -> list[dict[str, Any]]:
    from everyday_eval import K, facts_held, hit_dict, open_bases

    from desktop import answering as ans

    settings, bases = open_bases(homes)
    synonyms = {name: ans.Answerer(kbase, None, settings)._synonym_table() for name, kbase in bases.items()}
    for name, kbase in bases.items():
        started = time.perf_counter()
        for _ in kbase.embed():
            pass
        print(f"{name}: vectors ready in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    rows = []
    for set_name, path in SETS.items():
        for line in path.open(encoding="utf-8"):
            if not line.strip():
                continue
            q = json.loads(line)
            per = []
            for name in (["demo", "realdocs"] if q["kb"] == "both" else [q["kb"]]):
                kbase = bases[name]
                hits = list(kbase.search(q["question"], K, mode="hybrid"))
                rank = (first_relevant_rank_located([hit_dict(h) for h in hits], q["relevant"])
                        if q.get("relevant") else None)
                ev = ans.judge_evidence(q["question"], hits[: ans.EVIDENCE_HITS], synonyms[name])
                score = ans.gate_score(ev.similarity, ev.coverage, ev.agreed) if ev.similarity is not None else None
                right = False
                if q.get("facts"):
                    sources = (ans.compact_sources(q["question"], hits, kbase.text_similarities, synonyms[name])
                               or ans.select_sources(q["question"], hits, synonyms=synonyms[name]))
                    right = facts_held(ans.extractive_answer(q["question"], sources)[0], q["facts"])
                per.append({"kb": name, "rank": rank, "score": score, "right": right})
            rows.append({"set": set_name, "id": q["id"], "out_of_scope": bool(q.get("out_of_scope")), "per": per})
    for kbase in bases.values():
        kbase.close()
    return rows


def summarise(rows: list[dict[str, Any]]) -> list[str]:
    lines = ["| set | found@1 | found@5 | AUC | " + " | ".join(f"{k} admitted: grounded / right" for k in range(4)) + " |",
             "|---|---|---|---|" + "---|" * 4]
    for set_name in SETS:
        ins = [r for r in rows if r["set"] == set_name and not r["out_of_scope"]]
        outs = [r for r in rows if r["set"] == set_name and r["out_of_scope"]]

        def rank(r: dict[str, Any]) -> int | None:
            ranks = [p["rank"] for p in r["per"] if p["rank"] is not None]
            return min(ranks) if ranks else None

        def best(r: dict[str, Any]) -> float:
            return max((p["score"] for p in r["per"] if p["score"] is not None), default=-1.0)

        found1 = sum(1 for r in ins if rank(r) == 1) / len(ins)
        found5 = sum(1 for r in ins if (rank(r) or 99) <= 5) / len(ins)
        a, b = [best(r) for r in ins], [best(r) for r in outs]
        auc = sum((x > y) + 0.5 * (x == y) for x in a for y in b) / (len(a) * len(b))
        cells = []
        for admitted in range(4):
            t = sorted(b, reverse=True)[admitted] + 1e-6
            grounded = sum(1 for r in ins if best(r) >= t) / len(ins)
            right = sum(1 for r in ins if any(p["score"] is not None and p["score"] >= t and p["right"]
                                               for p in r["per"])) / len(ins)
            cells.append(f"{grounded:.3f} / {right:.3f} (t {t:.3f})")
        lines.append(f"| {set_name} ({len(ins)} + {len(outs)}) | {found1:.3f} | {found5:.3f} | {auc:.3f} | "
                     + " | ".join(cells) + " |")
    return lines


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--demo-home", type=Path, required=True)
    ap.add_argument("--realdocs-home", type=Path, required=True)
    ap.add_argument("--query-prompt", help="the query prefix instead of EmbeddingGemma's 'task: search result'")
    ap.add_argument("--dim", type=int, help="Matryoshka dimensions kept (a new vector space: give copied homes)")
    ap.add_argument("--name", default="", help="suffix of the output files")
    args = ap.parse_args()

    import local_models.embedding as emb

    if args.query_prompt is not None:
        emb._FAMILIES = tuple((key, emb.Prompts(args.query_prompt, p.passage, p.matryoshka) if "gemma" in key else p)
                            for key, p in emb._FAMILIES)
    if args.dim is not None:
        dim = args.dim
        emb.Embedder.search_dim = property(lambda self: dim)  # type: ignore[method-assign,assignment]
    rows = collect({"demo": args.demo_home, "realdocs": args.realdocs_home})
    variant = (f"query prompt {args.query_prompt!r}" if args.query_prompt is not None else "the product's query prompt")
    variant += f", {args.dim} dimensions" if args.dim else ", the product's dimensions"
    text = "\n".join([f"Machine: {machine_line(machine_info())}", "", f"Variant: {variant}; extracts only (no model).",
                      ""] + summarise(rows)) + "\n"
    print(text)
    stem = "embedder_variants" + (f"_{args.name}" if args.name else "")
    write_out(f"{stem}.md", text)
    write_out(f"{stem}.json", json.dumps(rows, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
