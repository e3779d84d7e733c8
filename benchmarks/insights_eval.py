"""The logbook analysis on a planted logbook: themes and FAQ candidates, lexical vs semantic, and speed at scale.

Run by hand::

    .venv/bin/python benchmarks/insights_eval.py                 # planted quality, lexical and semantic
    .venv/bin/python benchmarks/insights_eval.py --scale 100000  # + themes over 100k generated notes

Quality (benchmarks/planted_logbook.py plants problems told in different words by several departments,
questions asked many ways, and noise): for every planted group, the shown theme holding most of its
records — **recall** = share of the group in that theme, **precision** = share of that theme from the
group; averaged over groups. FAQ candidates: a candidate is right when most of its records belong to one
planted question group (or unanswered-search group); **precision** = right candidates / candidates,
**recall** = groups found / groups. Both vectorisers run on the same records in the same run.

Scale: 100,000 generated notes (planted paraphrases with varied places, plus noise), themes computed from
scratch (lexical vectoriser; the embedding model at ~10 short texts/s would take hours on 2 cores), then a
new note added and the incremental refresh timed five times in the same process (the app's page keeps its
analysis), once in a new process (the CLI: the saved model is read first), and the deferred save.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import keyring  # noqa: E402

from benchmarks.logbook_bench import _MemoryKeyring  # noqa: E402
from benchmarks.planted_logbook import DEPARTMENTS, NOISE_NOTES, NOTE_THEMES, UNANSWERED_SEARCHES, planted  # noqa: E402


def _open_book(home: Path) -> Any:
    from desktop.logbook import Logbook
    from desktop.paths import DataHome
    from desktop.settings import LogbookSettings

    return Logbook.open(DataHome.open(home), LogbookSettings(backup_every_hours=0))


def _group_scores(groups: dict[str, set[str]], themes: list[Any]) -> dict[str, dict[str, float]]:
    out = {}
    for name, ids in groups.items():
        best = max(themes, key=lambda t: len(ids & set(t.ids)), default=None)
        inter = len(ids & set(best.ids)) if best is not None else 0
        out[name] = {"recall": inter / len(ids), "precision": inter / len(best.ids) if best and inter else 0.0,
                     "theme": best.label if best and inter else ""}
    return out


def quality(vectorizer_name: str) -> dict[str, Any]:
    from desktop.faq import faq_candidates
    from desktop.logbook_insights import LogbookAnalysis

    p = planted()
    with tempfile.TemporaryDirectory(prefix="insights_eval_") as tmp, _open_book(Path(tmp)) as book:
        p.load_into(book)
        vectorizer = None
        if vectorizer_name == "semantic":
            from desktop.semantic import text_embedder
            from desktop.themes import EmbeddingVectorizer
            from local_models.embedding import DEFAULT_EMBEDDER_FILE

            vectorizer = EmbeddingVectorizer(text_embedder(REPO / "local_models" / "models" / DEFAULT_EMBEDDER_FILE))
        analysis = LogbookAnalysis(book, vectorizer=vectorizer, today=date(2026, 12, 4))
        t0 = time.perf_counter()
        analysis.refresh()
        seconds = time.perf_counter() - t0
        themes = analysis.themes()
        notes = _group_scores(p.note_themes, themes)
        questions = _group_scores(p.question_groups, themes)
        candidates = faq_candidates(analysis)
        truth = {**{k: v for k, v in p.question_groups.items()}}
        search_ids = {r[0]: r[1] for r in book.db.read().execute("SELECT id, query FROM search_log")}
        for name, queries in UNANSWERED_SEARCHES.items():
            truth["search:" + name] = {i for i, q in search_ids.items() if q in queries}
        found: set[str] = set()
        right = 0
        for c in candidates:
            ids = set(c.ids)
            match = max(truth, key=lambda g: len(ids & truth[g]))
            if len(ids & truth[match]) * 2 > len(ids):
                right += 1
                found.add(match)
        recurring = {r.place for r in analysis.recurring() if "reopened" in r.reasons}
        planted_places = {str(NOTE_THEMES[n]["place"]) for n in p.recurring}
    mean = lambda d, k: sum(v[k] for v in d.values()) / len(d)  # noqa: E731
    return {
        "vectorizer": vectorizer_name, "seconds": round(seconds, 2), "themes": len(themes),
        "note_themes": {"recall": mean(notes, "recall"), "precision": mean(notes, "precision"), "each": notes},
        "question_groups": {"recall": mean(questions, "recall"), "precision": mean(questions, "precision")},
        "faq": {"candidates": len(candidates), "precision": right / len(candidates) if candidates else 0.0,
                "recall": len(found) / len(truth)},
        "recurring_places": {"found": len(recurring & planted_places), "planted": len(planted_places),
                             "extra": len(recurring - planted_places)},
    }


PLACES = [f"{b}{f}F {r}" for b in ("本社", "別館") for f in range(1, 6) for r in ("会議室A", "会議室B", "執務室", "給湯室")]


def generated_notes(n: int, seed: int = 7) -> list[Any]:
    """``n`` notes: planted paraphrases (70 %) with varied places and departments, and noise, 5 minutes apart
    from 2026-01-01 (also used by benchmarks/insights_ui_bench.py)."""
    from desktop.logbook import Note

    rng = random.Random(seed)
    texts = [t for spec in NOTE_THEMES.values() for t in spec["texts"]]  # type: ignore[attr-defined]
    start = datetime(2026, 1, 1)
    rows = []
    for i in range(n):
        text = rng.choice(texts) if rng.random() < 0.7 else rng.choice(NOISE_NOTES)
        rows.append(Note(text=text + ("" if rng.random() < 0.5 else f" ({rng.randint(1, 999)})"),
                         place=rng.choice(PLACES), department=rng.choice(DEPARTMENTS),
                         category="その他", occurred_at=(start + timedelta(minutes=5 * i)).isoformat()))
    return rows


def scale(n: int) -> dict[str, Any]:
    from desktop.logbook import Note
    from desktop.logbook_insights import LogbookAnalysis

    places = PLACES
    with tempfile.TemporaryDirectory(prefix="insights_scale_") as tmp, _open_book(Path(tmp)) as book:
        rows = generated_notes(n)
        t0 = time.perf_counter()
        for i in range(0, len(rows), 10_000):  # the import path: one transaction per 10,000
            book.notes.merge(rows[i : i + 10_000])
        insert = time.perf_counter() - t0
        analysis = LogbookAnalysis(book, today=date(2026, 12, 4))
        t0 = time.perf_counter()
        analysis.refresh()
        full = time.perf_counter() - t0
        t0 = time.perf_counter()
        themes = analysis.themes()
        listing = time.perf_counter() - t0
        # the app: the page's analysis stays in memory; a note is logged, the page refreshes
        same = []
        for i in range(5):
            book.notes.add(Note(text="会議室Aの冷房が寒すぎる", place=places[0], occurred_at=f"2026-12-04T09:0{i}:00"))
            t0 = time.perf_counter()
            result = analysis.refresh()
            same.append(time.perf_counter() - t0)
            assert result.changed == 1 and not result.full
        # a new process (the CLI): the saved model is read, then the records it has not seen
        t0 = time.perf_counter()
        again = LogbookAnalysis(book, today=date(2026, 12, 4))
        result = again.refresh()
        cold = time.perf_counter() - t0
        t0 = time.perf_counter()
        analysis.flush()
        flush = time.perf_counter() - t0
    return {"notes": n, "insert_s": round(insert, 1), "themes_full_s": round(full, 1), "themes_list_s": round(listing, 2),
            "incremental_same_process_s": [round(x, 3) for x in same],
            "incremental_new_process_s": round(cold, 2), "new_process_changed": result.changed,
            "flush_s": round(flush, 2), "themes": len(themes)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=int, default=0, help="also time themes over N generated notes")
    parser.add_argument("--lexical-only", action="store_true")
    args = parser.parse_args()
    keyring.set_keyring(_MemoryKeyring())
    out: dict[str, Any] = {"machine": f"{platform.machine()} {platform.processor() or ''}".strip(),
                           "date": date.today().isoformat(), "runs": []}
    for name in ("lexical",) if args.lexical_only else ("lexical", "semantic"):
        out["runs"].append(quality(name))
        print(json.dumps(out["runs"][-1], ensure_ascii=False), flush=True)
    if args.scale:
        out["scale"] = scale(args.scale)
        print(json.dumps(out["scale"], ensure_ascii=False), flush=True)
    target = REPO / "benchmarks" / "out" / "insights_eval.json"
    target.parent.mkdir(exist_ok=True)
    target.write_text(json.dumps(out, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
