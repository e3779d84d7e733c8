"""Everyday-phrasing questions answered by the default model: the gate's band, drafts kept, time to first token.

Usage (from the repository root; the homes as for ``everyday_eval.py``)::

    .venv/bin/python benchmarks/everyday_model_eval.py --demo-home H1 --realdocs-home H2 [--every 2]

For every question (or every N-th, ``--every``) the hybrid pipeline runs twice on the knowledge base whose
passages score best for it: once without a model (the extracts), once with the default chat model
(Qwen2.5-Coder-1.5B) *forced through the band* — the gate's band is opened to everything
(``GATE_LOW = -1``, ``GATE_HIGH = 2``) so the model reads the compact evidence of every question and either
answers or writes 「資料に該当する記載が見つかりませんでした」. Recorded per question: the gate score, whether the
model refused, whether its draft survived the citation check, the facts in the final answer, time to first
token after the passages (what the user waits for once the passages are on screen) and total time.

Any band ``[low, high)`` is then replayed from those records, exactly as ``desktop.answering.Answerer``
decides (score ≥ high: grounded, a refusal or a discarded draft falls back to the extracts; low ≤ score < high:
the model decides, a discarded draft falls back to the extracts when score ≥ GATE_SCORE; below low: not found),
and the report lists answered-right / honest-not-found / draft-kept for a grid of bands beside the extractive
gate of the same run. Writes ``benchmarks/out/everyday_model_eval.{md,json}``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    DATA_DIR,
    REPO_ROOT,
    answer_norm,
    machine_info,
    machine_line,
    percentile,
    write_out,
)

QUESTIONS = DATA_DIR / "everyday_questions.jsonl"
DEFAULT_MODEL = REPO_ROOT / "local_models" / "models" / "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
K = 8


def facts_held(text: str, facts: list[dict[str, Any]]) -> bool:
    norm = answer_norm(text)
    return any(all(answer_norm(f) in norm for f in entry["facts"]) for entry in facts)


def run(homes: dict[str, Path], model: Path, every: int, limit: int | None,
        ids: set[str] | None = None, questions_file: Path = QUESTIONS) -> list[dict[str, Any]]:
    from everyday_eval import open_bases

    from desktop import answering
    from desktop.answering import AnswerDone, Answerer, AnswerToken, PassagesFound, runtime_config
    from local_models import ModelRuntime

    settings, bases = open_bases(homes)
    runtime = ModelRuntime(runtime_config(settings))
    runtime.load(model)
    if not runtime.wait_until_loaded(600) or runtime.state != "ready":
        raise SystemExit(f"model did not load: {runtime.error}")
    questions = [json.loads(line) for line in questions_file.open(encoding="utf-8") if line.strip()]
    questions = [q for q in questions if ids is None or q["id"] in ids][::every][:limit]
    rows: list[dict[str, Any]] = []
    low, high = answering.GATE_LOW, answering.GATE_HIGH
    try:
        for q in questions:
            names = [n for n in (["demo", "realdocs"] if q["kb"] == "both" else [q["kb"]]) if n in bases]
            if not names:
                continue
            # the extracts, and which base scores best (the product has one index; the set has two)
            best: tuple[float, str, Any] | None = None
            for name in names:
                answering.GATE_LOW, answering.GATE_HIGH = low, high
                events = list(Answerer(bases[name], None, settings).ask(q["question"], K))
                done = events[-1]
                assert isinstance(done, AnswerDone)
                a = done.answer
                score = answering.gate_score(a.similarity or 0.0, a.coverage, a.agreed)
                if best is None or score > best[0]:
                    best = (score, name, a)
            assert best is not None
            score, name, extract = best
            answering.GATE_LOW, answering.GATE_HIGH = -1.0, 2.0  # every question through the model
            t0 = time.perf_counter()
            t_passages = t_first = None
            final = None
            for event in Answerer(bases[name], runtime, settings).ask(q["question"], K):
                if isinstance(event, PassagesFound) and t_passages is None:
                    t_passages = time.perf_counter()
                elif isinstance(event, AnswerToken) and t_first is None:
                    t_first = time.perf_counter()
                elif isinstance(event, AnswerDone):
                    final = event.answer
            total = time.perf_counter() - t0
            assert final is not None
            facts = q.get("facts") or []
            row = {
                "id": q["id"], "question": q["question"], "kb": name, "out_of_scope": bool(q.get("out_of_scope")),
                "score": round(score, 4),
                "extract_grounded": extract.grounded,
                "extract_right": bool(extract.grounded and facts and facts_held(extract.answer, facts)),
                "draft": final.draft,
                "refused": answering.is_refusal(final.draft),
                "kept": final.model is not None,
                "discarded": final.discarded,
                "model_answer": final.answer,
                "model_right": bool(final.model is not None and facts and facts_held(final.answer, facts)),
                "lead": final.refusal_lead,
                "ttft": round(t_first - t_passages, 3) if t_first and t_passages else None,
                "total": round(total, 3),
            }
            rows.append(row)
            print(f"{q['id']} s={score:.3f} oos={row['out_of_scope']} refused={row['refused']} kept={row['kept']} "
                  f"right={row['model_right']}/{row['extract_right']} ttft={row['ttft']} "
                  f"| {final.draft[:60]!r}", file=sys.stderr)
    finally:
        answering.GATE_LOW, answering.GATE_HIGH = low, high
        runtime.close()
        for kbase in bases.values():
            kbase.close()
    return rows


def decide(r: dict[str, Any], low: float, high: float, grounded_floor: float,
           lead_at: float | None = None) -> tuple[bool, bool, bool]:
    """(grounded, right, draft kept) for one forced-run record with the band [low, high): the pipeline's own
    rule, ``desktop.answering.draft_outcome``, applied to what the model wrote. With ``lead_at``, the judged band
    measured in docs/PERFORMANCE.md ("The model's judgment in the band"; not in the product): a band question
    below the threshold whose refusal opening (``Answer.refusal_lead``) was at least that likely is "not found"."""
    from desktop.answering import draft_outcome

    s = r["score"]
    if s < low:
        return False, False, False
    if s < grounded_floor and lead_at is not None and r.get("lead") is not None and r["lead"] >= lead_at:
        return False, False, False  # below the threshold the model's judgment decides
    outcome = draft_outcome(s < high, s >= high or s >= grounded_floor, r["refused"], r["kept"])
    if outcome == "draft":
        return True, r["model_right"], True
    if outcome == "extract":
        return True, r["extract_right"], False
    return False, False, False


def replay(rows: list[dict[str, Any]], low: float, high: float, grounded_floor: float,
           lead_at: float | None = None) -> dict[str, float]:
    """What the pipeline decides with the band [low, high) (and the judgment at ``lead_at``), from the forced
    run's records."""
    ins = [r for r in rows if not r["out_of_scope"]]
    outs = [r for r in rows if r["out_of_scope"]]
    right = grounded_in = kept = 0
    leaked = 0
    for r in rows:
        grounded, ok, is_kept = decide(r, low, high, grounded_floor, lead_at)
        if r["out_of_scope"]:
            leaked += grounded
        else:
            grounded_in += grounded
            right += ok
            kept += grounded and is_kept
    return {
        "grounded": grounded_in / max(1, len(ins)),
        "answered right": right / max(1, len(ins)),
        "honest not found": 1 - leaked / max(1, len(outs)),
        "draft kept (of grounded)": kept / max(1, grounded_in),
    }


def report(rows: list[dict[str, Any]], model: Path) -> str:
    from desktop import answering

    ins = [r for r in rows if not r["out_of_scope"]]
    outs = [r for r in rows if r["out_of_scope"]]
    ttfts = [r["ttft"] for r in rows if r["ttft"] is not None]
    totals = [r["total"] for r in rows]
    lines = [f"Machine: {machine_line(machine_info())}", "",
             f"{len(ins)} in-scope and {len(outs)} out-of-scope everyday questions; model {model.name}; k = {K}.", "",
             f"Time to first token after the passages: median {statistics.median(ttfts):.2f} s, "
             f"p90 {percentile(ttfts, 90):.2f} s, max {max(ttfts):.2f} s; total per question median "
             f"{statistics.median(totals):.2f} s, p90 {percentile(totals, 90):.2f} s.", "",
             "The model forced through every question: refused "
             f"{sum(r['refused'] for r in ins)}/{len(ins)} in-scope, {sum(r['refused'] for r in outs)}/{len(outs)} "
             "out-of-scope.", "",
             "| gate | grounded | answered right | honest not found | draft kept (of grounded) |",
             "|---|---|---|---|---|"]
    ext_ground = sum(r["extract_grounded"] for r in ins) / max(1, len(ins))
    ext_right = sum(r["extract_right"] for r in ins) / max(1, len(ins))
    ext_nf = 1 - sum(r["extract_grounded"] for r in outs) / max(1, len(outs))
    lines.append(f"| extracts only, threshold {answering.GATE_SCORE} | {ext_ground:.3f} | {ext_right:.3f} | "
                 f"{ext_nf:.3f} | — |")
    product: tuple[float, float, float | None] = (answering.GATE_LOW, answering.GATE_HIGH, None)
    grid: list[tuple[float, float, float | None]] = [(answering.GATE_SCORE, answering.GATE_SCORE, None)] + [
        (lo, hi, lead) for lead in (None, -3.5, -4.0, -4.5, -5.0) for hi in (0.60,)
        for lo in (0.48, 0.50, 0.51, 0.52, 0.53, answering.GATE_SCORE)]
    if product not in grid:
        grid.append(product)
    for lo, hi, lead in grid:
        m = replay(rows, lo, hi, answering.GATE_SCORE, lead)
        mark = " (product)" if (lo, hi, lead) == product else ""
        judged = "" if lead is None else f", judged absent at ≥ {lead:.1f}"
        label = "model, no band" if lo == hi else f"model, band [{lo:.3f}, {hi:.2f}){judged}{mark}"
        lines.append(f"| {label} | {m['grounded']:.3f} | {m['answered right']:.3f} | {m['honest not found']:.3f} | "
                     f"{m['draft kept (of grounded)']:.3f} |")
    lines += ["", "Misses at the product's band (in-scope not right, out-of-scope answered):", ""]
    for r in rows:
        grounded, ok, _kept = decide(r, *product[:2], answering.GATE_SCORE, product[2])
        if (r["out_of_scope"] and grounded) or (not r["out_of_scope"] and not (grounded and ok)):
            lines.append(f"- {r['id']} {r['question']} — score {r['score']:.3f}, refused {r['refused']}, kept {r['kept']} "
                         f"({r['discarded'] or '-'}): {r['model_answer'][:80]!r}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--demo-home", type=Path, required=True)
    ap.add_argument("--realdocs-home", type=Path,
                    help="without it, only the kb/demo questions (and the out-of-scope ones, on kb/demo)")
    ap.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    ap.add_argument("--every", type=int, default=1, help="every N-th question only")
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--ids", help="only these question ids (comma-separated), e.g. the gate's band of a run of "
                                  "everyday_eval.py")
    ap.add_argument("--replay", type=Path, help="re-report from a saved everyday_model_eval.json")
    ap.add_argument("--questions", type=Path, default=QUESTIONS,
                    help="another questions file of the same form (e.g. benchmarks/data/everyday_heldout.jsonl); "
                         "the outputs are then named after it (everyday_model_eval_heldout.*)")
    args = ap.parse_args(argv)
    from everyday_eval import out_stem

    stem = out_stem(args.questions, "everyday_model_eval")
    if args.replay:
        rows = json.loads(args.replay.read_text(encoding="utf-8"))
    else:
        homes = {"demo": args.demo_home} | ({"realdocs": args.realdocs_home} if args.realdocs_home else {})
        rows = run(homes, args.model, args.every, args.limit, set(args.ids.split(",")) if args.ids else None,
                   args.questions)
        write_out(f"{stem}.json", json.dumps(rows, ensure_ascii=False, indent=1))
    text = report(rows, args.model)
    print(text)
    write_out(f"{stem}.md", text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
