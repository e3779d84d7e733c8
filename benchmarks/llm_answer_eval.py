"""Answer quality of the grounded pipeline on the real documents (run by hand, never by pytest).

Usage (from the repository root)::

    .venv/bin/python benchmarks/llm_answer_eval.py                 # default model (Qwen2.5-Coder-1.5B)
    .venv/bin/python benchmarks/llm_answer_eval.py --no-model      # extractive answers only (the baseline)
    .venv/bin/python benchmarks/llm_answer_eval.py --home DIR      # reuse an indexed data home

What it does, in one run:

1. copies ``../shared/realdocs`` (without its README) to a temp folder and indexes it in a temp data home
   (``kb.KnowledgeBase``), unless ``--home`` points at one that is already indexed;
2. asks every question of ``benchmarks/data/answer_questions.jsonl`` through ``desktop.answering.Answerer``
   with the default model (or none);
3. scores: **facts** — the answer contains every fact of one accepted answer (numbers compared after NFKC,
   without thousands separators, ヶ/ケ/カ read as か); **citation** — the answer cites that answer's document;
   **not found** — out-of-scope questions come back not grounded with no sources; plus the share of in-scope
   questions wrongly refused, and time per answer;
4. writes ``benchmarks/out/llm_answer_eval.json`` (every answer) and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import sys
import tempfile
import time
import unicodedata
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from desktop.answering import Answer, AnswerDone, Answerer, AnswerToken, runtime_config  # noqa: E402
from desktop.settings import Settings  # noqa: E402
from kb import KnowledgeBase  # noqa: E402
from local_models import ModelRuntime  # noqa: E402

QUESTIONS = REPO / "benchmarks" / "data" / "answer_questions.jsonl"
REALDOCS = REPO.parent / "shared" / "realdocs"
DEFAULT_MODEL = REPO / "local_models" / "models" / "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
OUT = REPO / "benchmarks" / "out"


def norm(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).replace(",", "").replace(" ", "")
    return text.replace("ヶ", "か").replace("ケ", "か").replace("カ月", "か月").replace("箇月", "か月")


def score(item: dict[str, Any], answer: Answer) -> dict[str, Any]:
    if item.get("out_of_scope"):
        return {"not_found": not answer.grounded and not answer.sources}
    text = norm(answer.answer)
    cited_docs = {Path(s.path).name for s in answer.cited_sources}
    facts_ok = False
    cite_ok = False
    both_ok = False
    for alt in item["answers"]:
        has = all(norm(f) in text for f in alt["facts"])
        cites = alt["doc"] in cited_docs
        facts_ok |= has
        cite_ok |= cites
        both_ok |= has and cites
    return {"facts": facts_ok, "citation": cite_ok, "facts_and_citation": both_ok, "grounded": answer.grounded}


def score_raw(item: dict[str, Any], raw: str, answer: Answer) -> dict[str, Any]:
    """The model's text before the citation check, scored the same way (its [n] mapped to the passages)."""
    if item.get("out_of_scope") or not raw:
        return {}
    text = norm(raw)
    by_n = {s.n: Path(s.path).name for s in answer.sources}
    cited = {by_n[int(n)] for n in re.findall(r"\[(\d{1,2})\]", raw) if int(n) in by_n}
    facts = any(all(norm(f) in text for f in alt["facts"]) for alt in item["answers"])
    cites = any(alt["doc"] in cited for alt in item["answers"])
    return {"raw_facts": facts, "raw_citation": cites, "raw": raw}


def index_realdocs(home: Path) -> KnowledgeBase:
    docs = home / "realdocs"
    if not docs.exists():
        shutil.copytree(REALDOCS, docs, ignore=shutil.ignore_patterns("README.md"))
    kbase = KnowledgeBase(home / "kb")
    t0 = time.perf_counter()
    for _ in kbase.index([docs]):
        pass
    print(f"indexed in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    return kbase


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--no-model", action="store_true")
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    parser.add_argument("--home", type=Path, help="data home to reuse (created and indexed if missing)")
    parser.add_argument("--only", help="comma-separated question ids")
    parser.add_argument("-k", type=int, default=8)
    parser.add_argument("--threads", type=int, default=0)
    args = parser.parse_args()

    items = [json.loads(line) for line in QUESTIONS.read_text(encoding="utf-8").splitlines() if line.strip()]
    if args.only:
        wanted = set(args.only.split(","))
        items = [i for i in items if i["id"] in wanted]
    tmp = None
    home = args.home
    if home is None:
        tmp = tempfile.mkdtemp(prefix="answer-eval-")
        home = Path(tmp)
    home.mkdir(parents=True, exist_ok=True)
    kbase = index_realdocs(home)
    settings = Settings()
    if args.threads:
        settings.model.n_threads = args.threads
    runtime = None
    if not args.no_model:
        runtime = ModelRuntime(runtime_config(settings))
        runtime.load(args.model)
        if not runtime.wait_until_loaded():
            print(f"model failed: {runtime.error}", file=sys.stderr)
            return 1
    answerer = Answerer(kbase, runtime, settings)
    rows: list[dict[str, Any]] = []
    try:
        for item in items:
            t0 = time.perf_counter()
            final: Answer | None = None
            tokens: list[str] = []
            for event in answerer.ask(item["question"], args.k):
                if isinstance(event, AnswerToken):
                    tokens.append(event.text)
                elif isinstance(event, AnswerDone):
                    final = event.answer
            assert final is not None
            elapsed = time.perf_counter() - t0
            row = {"id": item["id"], "question": item["question"], "answer": final.answer,
                   "model": final.model, "extractive": final.extractive, "corrected": final.corrected,
                   "coverage": round(final.coverage, 3),
                   "cited": [f"{Path(s.path).name} {s.location}" for s in final.cited_sources],
                   "seconds": round(elapsed, 2), **score(item, final)}
            if runtime is not None and final.grounded:
                row.update(score_raw(item, "".join(tokens).strip(), final))
            rows.append(row)
            flag = "".join("✓" if row.get(k) else "✗" for k in ("facts", "citation", "not_found") if k in row)
            print(f"{item['id']} {flag} {elapsed:5.1f}s cov={final.coverage:.2f} {final.answer[:90]!r}",
                  file=sys.stderr, flush=True)
    finally:
        kbase.close()
        if runtime is not None:
            runtime.close()
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)

    inscope = [r for r in rows if "facts" in r]
    oos = [r for r in rows if "not_found" in r]

    def share(rs: list[dict[str, Any]], key: str) -> str:
        return f"{sum(1 for r in rs if r[key])}/{len(rs)} ({100 * sum(1 for r in rs if r[key]) / max(1, len(rs)):.0f}%)"

    model_name = "none (extractive)" if args.no_model else args.model.name
    lines = [
        "| answers by | facts | cites right document | facts and citation | in-scope refused | out-of-scope \"not found\" | s/answer (median) |",
        "|---|---|---|---|---|---|---|",
        f"| {model_name} | {share(inscope, 'facts')} | {share(inscope, 'citation')} | "
        f"{share(inscope, 'facts_and_citation')} | {sum(1 for r in inscope if not r['grounded'])}/{len(inscope)} | "
        f"{share(oos, 'not_found')} | {statistics.median(r['seconds'] for r in rows):.1f} |",
    ]
    if runtime is not None:
        used = sum(1 for r in inscope if r["model"])
        raw = [r for r in inscope if "raw_facts" in r]
        lines.append(f"| same model, its text before the citation check | {share(raw, 'raw_facts')} | "
                     f"{share(raw, 'raw_citation')} | – | – | – | – |")
        lines.append(f"\nModel text kept after the citation check: {used}/{len(inscope)}; "
                     f"extractive fallback: {sum(1 for r in inscope if r['extractive'])}.")
    print("\n".join(lines))
    OUT.mkdir(parents=True, exist_ok=True)
    suffix = "extractive" if args.no_model else "model"
    (OUT / f"llm_answer_eval_{suffix}.json").write_text(
        json.dumps({"rows": rows, "table": lines}, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
