"""Fusion weights of hybrid retrieval, swept on the everyday set, split in two halves (choose on one, check
on the other) so the chosen weights are not fitted to the questions they are reported on.

    .venv/bin/python benchmarks/fusion_sweep.py --demo-home H1 --realdocs-home H2

The homes are those of benchmarks/everyday_eval.py (indexed and embedded). Prints found@1 / found@5 / MRR of
every setting on each half and on all in-scope questions; writes benchmarks/out/fusion_sweep.json.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import DATA_DIR, REPO_ROOT, first_relevant_rank_located, machine_info, machine_line, write_out  # noqa: E402
from everyday_eval import K, hit_dict  # noqa: E402

QUESTIONS = DATA_DIR / "everyday_questions.jsonl"
SETTINGS = [(1.0, 1.0, 60.0, 30)] + [(1.0, dense, k, 30) for dense in (1.5, 2.0, 2.5, 3.0, 4.0)
                                     for k in (10.0, 20.0, 40.0)]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--demo-home", type=Path, required=True)
    ap.add_argument("--realdocs-home", type=Path, required=True)
    ap.add_argument("--questions", type=Path, action="append",
                    help="question sets (default: the everyday set); a question without 'kb' is on realdocs")
    args = ap.parse_args()
    from desktop.semantic import attach
    from desktop.settings import Settings
    from kb import KnowledgeBase
    from kb.search import FusionWeights

    settings = Settings()
    settings.kb.embedder = ""
    bases: dict[str, Any] = {}
    for name, home in (("demo", args.demo_home), ("realdocs", args.realdocs_home)):
        kbase = KnowledgeBase(home / "kb")
        problem = attach(kbase, settings, [home / "models", REPO_ROOT / "local_models" / "models"])
        if problem:
            raise SystemExit(problem)
        bases[name] = kbase
    questions = [{**json.loads(x), "_set": f.stem} for f in (args.questions or [QUESTIONS])
                 for x in f.open(encoding="utf-8") if x.strip()]
    questions = [q for q in questions if not q.get("out_of_scope") and q["relevant"]]
    sets = {f.stem: [i for i, q in enumerate(questions) if q.get("_set") == f.stem] for f in (args.questions or [])}
    ranks: dict[str, list[int | None]] = {str(s): [] for s in SETTINGS}
    for q in questions:
        kb_name = q.get("kb", "realdocs")
        names = ["demo", "realdocs"] if kb_name == "both" else [kb_name]
        for s in SETTINGS:
            best: int | None = None
            for name in names:
                kbase = bases[name]
                kbase.fusion = FusionWeights(lexical=s[0], dense=s[1], k=s[2], depth=s[3])
                hits = kbase.search(q["question"], K)
                r = first_relevant_rank_located([hit_dict(h) for h in hits], q["relevant"])
                if r is not None and (best is None or r < best):
                    best = r
            ranks[str(s)].append(best)
    halves = {"odd": [i for i in range(len(questions)) if i % 2], "even": [i for i in range(len(questions)) if not i % 2],
              "all": list(range(len(questions))), **{k: v for k, v in sets.items() if v}}

    def score(rs: list[int | None], idx: list[int]) -> dict[str, float]:
        sel = [rs[i] for i in idx]
        return {"found@1": sum(1 for r in sel if r == 1) / len(sel), "found@5": sum(1 for r in sel if r and r <= 5) / len(sel),
                "mrr": sum(1 / r for r in sel if r) / len(sel)}

    table = {s: {h: score(rs, idx) for h, idx in halves.items()} for s, rs in ranks.items()}
    for s, row in table.items():
        print(s, "  ".join(f"{h}: f1 {v['found@1']:.3f} f5 {v['found@5']:.3f} mrr {v['mrr']:.3f}" for h, v in row.items()))
    write_out("fusion_sweep.json", json.dumps({"machine": machine_line(machine_info()), "table": table}, ensure_ascii=False, indent=2))
    for kbase in bases.values():
        kbase.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
