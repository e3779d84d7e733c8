"""Time to the passages of an answer, and what the sentence cache saves.

Usage (from the repository root; a home as for ``everyday_eval.py``)::

    .venv/bin/python benchmarks/answer_latency.py --home H [--kb demo] [--rounds 1]

The answer pipeline (hybrid, no model: the part before the model reads) runs on the everyday questions of one
knowledge base, in three passes over a copy of the home:

1. **cold** — every question with an empty sentence cache before it (what the pipeline cost before the cache);
2. **new questions, warm rules** — the cache filled by the *other* half of the questions only, then each
   question of this half (a colleague's new question about rules asked about before: the realistic case);
3. **asked again** — the same questions a second time;
4. **after the sentence pass** — the cache emptied, then filled by ``KnowledgeBase.embed_sentences`` (what the app
   and ``kb index --embed`` run after the chunks), then each question of this half: a first question about any
   passage. The pass's own cost (sentences, seconds, growth of ``vectors.sqlite``) is reported beside it.

Reported per pass: time to the passages (``PassagesFound``), median and p90, and how many sentences the
embedder had to embed. Writes ``benchmarks/out/answer_latency.{md,json}``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import DATA_DIR, machine_info, machine_line, percentile, write_out  # noqa: E402

QUESTIONS = DATA_DIR / "everyday_questions.jsonl"
K = 8


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--home", type=Path, required=True, help="a home with the knowledge base indexed and embedded")
    ap.add_argument("--kb", default="demo", help="which questions of the set: demo or realdocs")
    args = ap.parse_args()

    import dataclasses

    from everyday_eval import open_bases

    from desktop.answering import Answerer, PassagesFound

    questions = [json.loads(line) for line in QUESTIONS.open(encoding="utf-8") if line.strip()]
    questions = [q for q in questions if q["kb"] in (args.kb, "both")]
    half_a, half_b = questions[0::2], questions[1::2]
    with tempfile.TemporaryDirectory(prefix="soumu-latency-") as tmp:
        home = Path(tmp) / "home"
        shutil.copytree(args.home, home)
        settings, bases = open_bases({args.kb: home})
        kbase = bases[args.kb]
        model = kbase.semantic
        assert model is not None and model.embed_texts is not None, "the home has no semantic layer"
        embedded: list[int] = []
        real = model.embed_texts

        def counting(texts: Any) -> Any:
            embedded.append(len(texts))
            return real(texts)

        kbase.set_semantic(dataclasses.replace(model, embed_texts=counting))

        def empty_cache() -> None:
            with kbase.vectors.conn() as conn:
                conn.execute("DELETE FROM sentences")

        def vector_bytes() -> int:
            row = kbase.vectors.conn().execute("SELECT COALESCE(SUM(length(vec)), 0) FROM sentences").fetchone()
            return int(row[0])

        def timed(qs: list[dict[str, Any]], cold: bool) -> list[dict[str, Any]]:
            rows = []
            for q in qs:
                if cold:
                    empty_cache()
                embedded.clear()
                t0 = time.perf_counter()
                t_passages = None
                for event in Answerer(kbase, None, settings).ask(q["question"], K):
                    if isinstance(event, PassagesFound) and t_passages is None:
                        t_passages = time.perf_counter() - t0
                rows.append({"id": q["id"], "passages_s": round(t_passages or 0.0, 3),
                             "embedded": sum(embedded)})
                print(f"{q['id']} cold={cold} {t_passages:.2f}s embedded={sum(embedded)}", file=sys.stderr)
            return rows

        passes: dict[str, list[dict[str, Any]]] = {}
        passes["cold (empty cache before each question)"] = timed(half_b, cold=True)
        empty_cache()
        timed(half_a, cold=False)  # the other half fills the cache
        passes["new questions, the other half asked before"] = timed(half_b, cold=False)
        passes["the same questions asked again"] = timed(half_b, cold=False)
        empty_cache()
        t0 = time.perf_counter()
        last = None
        for step in kbase.embed_sentences():
            last = step
        pass_s = time.perf_counter() - t0
        assert last is not None and last.finished and not last.skipped
        sentence_pass = (f"Sentence pass (`KnowledgeBase.embed_sentences`, from an empty cache): {last.total:,} "
                         f"sentences in {pass_s:.1f} s ({last.total / max(pass_s, 1e-9):.1f} sentences/s); "
                         f"their vectors take {vector_bytes() / 1e6:.2f} MB in vectors.sqlite (whole file "
                         f"{kbase.vectors.size_bytes() / 1e6:.2f} MB).")
        passes["after the sentence pass (a first question about any passage)"] = timed(half_b, cold=False)
        kbase.close()

    cold = next(iter(passes.values()))
    ranked = {r["id"] for r in cold if r["embedded"]}  # grounded: their passages' sentences were ranked
    lines = [f"Machine: {machine_line(machine_info())}", "",
             f"{len(half_b)} everyday questions on {args.kb} (every 2nd; the other {len(half_a)} fill the cache in "
             f"pass 2); k = {K}; hybrid, no model: time from the question to the passages (`PassagesFound`). "
             f"{len(ranked)} of them are grounded, so their passages' sentences are ranked by meaning (the rest are "
             "\"not found\" before that step); the table is over those.", "",
             "| pass | passages, median | p90 | max | sentences embedded, median | questions with none embedded |",
             "|---|---|---|---|---|---|"]
    for name, rows in passes.items():
        rows = [r for r in rows if r["id"] in ranked]
        if not rows:
            continue
        secs = [r["passages_s"] for r in rows]
        emb = [r["embedded"] for r in rows]
        lines.append(f"| {name} | {statistics.median(secs):.2f} s | {percentile(secs, 90):.2f} s | {max(secs):.2f} s | "
                     f"{statistics.median(emb):.0f} | {sum(1 for e in emb if e == 0)}/{len(emb)} |")
    lines += ["", sentence_pass]
    md = "\n".join(lines) + "\n"
    print(md)
    write_out("answer_latency.md", md)
    write_out("answer_latency.json", json.dumps(passes, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
