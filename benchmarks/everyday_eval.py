"""Everyday-phrasing questions: retrieval and the evidence gate, lexical-only vs hybrid, in one run.

Usage (from the repository root)::

    .venv/bin/python benchmarks/everyday_eval.py --demo-home H1 --realdocs-home H2
    .venv/bin/python benchmarks/everyday_eval.py            # builds both homes in a temp folder (slow:
                                                             # embeds kb/demo and ../shared/realdocs)
    .venv/bin/python benchmarks/everyday_eval.py --demo-home H1 --realdocs-home H2 \
        --questions benchmarks/data/everyday_heldout.jsonl   # the held-out set

The homes must hold an index of ``kb/demo`` and of ``../shared/realdocs`` with the semantic layer embedded
(``soumu-desk --home H kb index --embed FOLDER``). The questions are ``benchmarks/data/everyday_questions.jsonl``
(written the way employees talk; every reference checked against the documents by the smoke tests), or
another file of the same form given with ``--questions`` (``everyday_heldout.jsonl``: questions no threshold was
calibrated on).

For each question and each retrieval mode (``lexical``: the FTS5 ranking and the word-coverage gate, as the
product was before the semantic layer; ``meaning``: lexical + dense fused, the gate on similarity and word
coverage only; ``hybrid``: the product — the same, and the gate also counts the two retrievers agreeing,
``desktop.answering.AGREE_BONUS``):

- found@1 / found@5: a relevant passage (same file, and article/row/slide where the reference names one)
  at rank 1 / in the top 5 of ``kb.search`` (k = 8, what the answer pipeline reads);
- the gate: in-scope questions should be grounded, out-of-scope ones answered 「見つかりませんでした」;
- answered right: grounded, and the extractive answer (no model: right whatever the model) holds every fact
  of one of the relevant documents;
- the similarity and coverage the gate saw, so its thresholds can be calibrated (the margins are printed).

Writes ``benchmarks/out/everyday_eval.md`` and ``everyday_eval.json``; with another questions file, named after
its stem (``everyday_heldout.jsonl`` → ``everyday_eval_heldout.md`` / ``.json``), so the default outputs stay.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    DATA_DIR,
    REALDOCS,
    REPO_ROOT,
    answer_norm,
    first_relevant_rank_located,
    machine_info,
    machine_line,
    run_cli,
    write_out,
)

QUESTIONS = DATA_DIR / "everyday_questions.jsonl"
K = 8
# lexical: the product before the semantic layer; meaning: hybrid retrieval with the gate on meaning and words
# only (AGREE_BONUS off, the gate before the agreement of the two retrievers counted); hybrid: the product.
MODES = ("lexical", "meaning", "hybrid")
RETRIEVAL = {"lexical": "lexical", "meaning": "hybrid", "hybrid": "hybrid"}


def hit_dict(hit: Any) -> dict[str, Any]:
    return {"path": str(hit.path), "title": hit.title, "location": hit.location,
            "article": getattr(hit, "article", None), "page": getattr(hit, "page", None), "text": hit.text}


def facts_held(text: str, facts: list[dict[str, Any]]) -> bool:
    norm = answer_norm(text)
    return any(all(answer_norm(f) in norm for f in entry["facts"]) for entry in facts)


def build_home(home: Path, folder: Path) -> None:
    print(f"indexing and embedding {folder} into {home} …", file=sys.stderr)
    run_cli(home, ["kb", "index", "--embed", str(folder)], timeout=3600)


def open_bases(homes: dict[str, Path]) -> tuple[Any, dict[str, Any]]:
    """Default settings (the set-up's embedder) and each home's knowledge base with the semantic layer on."""
    from desktop.semantic import attach
    from desktop.settings import Settings
    from kb import KnowledgeBase

    settings = Settings()
    settings.kb.embedder = ""  # the default embedder (the set-up's EmbeddingGemma)
    bases: dict[str, KnowledgeBase] = {}
    for name, home in homes.items():
        kbase = KnowledgeBase(home / "kb")
        problem = attach(kbase, settings, [home / "models", REPO_ROOT / "local_models" / "models"])
        if problem:
            raise SystemExit(f"semantic layer unavailable: {problem}")
        bases[name] = kbase
    return settings, bases


def out_stem(questions_file: Path, base: str = "everyday_eval") -> str:
    """``base`` for the default questions file, else ``<base>_<stem>`` (``everyday_`` dropped)."""
    if questions_file.resolve() == QUESTIONS.resolve():
        return base
    stem = questions_file.stem
    return f"{base}_" + (stem.removeprefix("everyday_") or stem)


def evaluate(homes: dict[str, Path], questions_file: Path = QUESTIONS) -> list[dict[str, Any]]:
    from desktop import answering
    from desktop.answering import AnswerDone, Answerer

    settings, bases = open_bases(homes)
    questions = [json.loads(line) for line in questions_file.open(encoding="utf-8") if line.strip()]
    rows: list[dict[str, Any]] = []
    for q in questions:
        names = ["demo", "realdocs"] if q["kb"] == "both" else [q["kb"]]
        row: dict[str, Any] = {"id": q["id"], "question": q["question"], "kb": q["kb"],
                               "out_of_scope": bool(q.get("out_of_scope"))}
        for mode in MODES:
            grounded = False
            right = False
            rank: int | None = None
            sim: float | None = None
            cov = 0.0
            top: list[str] = []
            t0 = time.perf_counter()
            for name in names:
                kbase = bases[name]
                hits = kbase.search(q["question"], K, mode=RETRIEVAL[mode])
                r = first_relevant_rank_located([hit_dict(h) for h in hits], q["relevant"]) if q["relevant"] else None
                if r is not None and (rank is None or r < rank):
                    rank = r
                top = top or [f"{Path(h.path).name} [{h.location}]" for h in hits[:3]]
                bonus = answering.AGREE_BONUS
                answering.AGREE_BONUS = 0.0 if mode == "meaning" else bonus
                try:
                    events = list(Answerer(kbase, None, settings, retrieval=RETRIEVAL[mode]).ask(q["question"], K))
                finally:
                    answering.AGREE_BONUS = bonus
                done = events[-1]
                assert isinstance(done, AnswerDone)
                ans = done.answer
                if ans.similarity is not None:
                    sim = ans.similarity if sim is None else max(sim, ans.similarity)
                cov = max(cov, ans.coverage or 0.0)
                if ans.grounded:
                    grounded = True
                    if q.get("facts") and facts_held(ans.answer, q["facts"]):
                        right = True
            row[mode] = {"rank": rank, "grounded": grounded, "right": right, "similarity": sim,
                         "coverage": round(cov, 3), "top": top, "seconds": round(time.perf_counter() - t0, 3)}
        rows.append(row)
        h = row["hybrid"]
        print(f"{q['id']} lex r={row['lexical']['rank']} g={row['lexical']['grounded']}  "
              f"hyb r={h['rank']} g={h['grounded']} ok={h['right']} sim={h['similarity']}", file=sys.stderr)
    for kbase in bases.values():
        kbase.close()
    return rows


def summarise(rows: list[dict[str, Any]], mode: str) -> dict[str, float]:
    ins = [r for r in rows if not r["out_of_scope"]]
    outs = [r for r in rows if r["out_of_scope"]]
    n = len(ins)
    return {
        "found@1": sum(1 for r in ins if r[mode]["rank"] == 1) / n,
        "found@5": sum(1 for r in ins if r[mode]["rank"] is not None and r[mode]["rank"] <= 5) / n,
        "grounded": sum(1 for r in ins if r[mode]["grounded"]) / n,
        "answered right": sum(1 for r in ins if r[mode]["right"]) / n,
        "honest not found": sum(1 for r in outs if not r[mode]["grounded"]) / max(1, len(outs)),
    }


def report(rows: list[dict[str, Any]]) -> str:
    ins = [r for r in rows if not r["out_of_scope"]]
    outs = [r for r in rows if r["out_of_scope"]]
    lines = [f"Machine: {machine_line(machine_info())}", "",
             f"{len(ins)} in-scope questions (kb/demo and realdocs), {len(outs)} out-of-scope; k = {K}; "
             "answers extractive (no model).", "",
             "| | " + " | ".join(MODES) + " |", "|---|" + "---|" * len(MODES)]
    sums = {m: summarise(rows, m) for m in MODES}
    for key in sums["lexical"]:
        lines.append(f"| {key} | " + " | ".join(f"{sums[m][key]:.3f}" for m in MODES) + " |")
    sims_in = sorted(r["hybrid"]["similarity"] for r in ins if r["hybrid"]["similarity"] is not None)
    sims_out = sorted(r["hybrid"]["similarity"] for r in outs if r["hybrid"]["similarity"] is not None)
    if sims_in and sims_out:
        lines += ["", f"Best-passage similarity, in-scope: min {sims_in[0]:.3f}, 10th pct "
                      f"{sims_in[len(sims_in) // 10]:.3f}, median {sims_in[len(sims_in) // 2]:.3f}; "
                      f"out-of-scope: median {sims_out[len(sims_out) // 2]:.3f}, max {sims_out[-1]:.3f}."]
    lines += ["", "Misses (hybrid): in-scope not grounded or not right, out-of-scope grounded:", ""]
    for r in rows:
        h = r["hybrid"]
        bad = (r["out_of_scope"] and h["grounded"]) or (not r["out_of_scope"] and not h["right"])
        if bad:
            lines.append(f"- {r['id']} {r['question']} — rank {h['rank']}, grounded {h['grounded']}, "
                         f"sim {h['similarity']}, coverage {h['coverage']}; top: {', '.join(h['top'])}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--demo-home", type=Path)
    ap.add_argument("--realdocs-home", type=Path)
    ap.add_argument("--questions", type=Path, default=QUESTIONS,
                    help=f"questions file (JSONL, default {QUESTIONS.relative_to(REPO_ROOT)})")
    args = ap.parse_args(argv)
    if not args.questions.is_file():
        raise SystemExit(f"no such questions file: {args.questions}")
    stem = out_stem(args.questions)
    work = Path(tempfile.mkdtemp(prefix="soumu-everyday-"))
    try:
        demo_home = args.demo_home or work / "demo"
        real_home = args.realdocs_home or work / "real"
        if args.demo_home is None:
            build_home(demo_home, REPO_ROOT / "kb" / "demo")
        if args.realdocs_home is None:
            build_home(real_home, REALDOCS)
        rows = evaluate({"demo": demo_home, "realdocs": real_home}, args.questions)
        text = report(rows)
        print(text)
        write_out(f"{stem}.md", text)
        write_out(f"{stem}.json", json.dumps(rows, ensure_ascii=False, indent=1))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
