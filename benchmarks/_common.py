"""Shared helpers for the knowledge-base benchmarks (run by hand, never by pytest).

The benchmarks talk to the product the way its users' scripts do: through the stable CLI contract of
DESIGN.md §3 (``soumu-desk --home DIR kb ...``) and, for in-process timings, through ``kb.KnowledgeBase``.
Everything they write goes to ``benchmarks/out/`` (git-ignored) or a temp folder.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import os
import platform
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = REPO_ROOT / "benchmarks"
OUT_DIR = BENCH_DIR / "out"
DATA_DIR = BENCH_DIR / "data"
QUESTIONS_FILE = DATA_DIR / "retrieval_questions.jsonl"
REALDOCS = Path(os.environ.get("SOUMU_REALDOCS", REPO_ROOT.parent / "shared" / "realdocs"))

# The product under test: this work tree, or a clean export of a commit (benchmarks/snapshot.py) so that
# a measurement names exactly what it measured while others keep editing the tree.
PRODUCT_ROOT = Path(os.environ.get("SOUMU_BENCH_PRODUCT", REPO_ROOT)).resolve()

# Make `import kb` work when a benchmark is run as `python benchmarks/x.py` from anywhere.
for _root in (REPO_ROOT, PRODUCT_ROOT):
    if str(_root) in sys.path:
        sys.path.remove(str(_root))
    sys.path.insert(0, str(_root))


# ---------------------------------------------------------------------------------------------- CLI


def cli_command() -> list[str]:
    """The product's command line: the installed script if present, else ``python -m desktop``."""
    script = REPO_ROOT / ".venv" / "bin" / "soumu-desk"
    if script.exists() and PRODUCT_ROOT == REPO_ROOT:
        return [str(script)]
    return [sys.executable, "-m", "desktop"]  # run with cwd=PRODUCT_ROOT, so its packages come first


def run_cli(home: Path, args: Sequence[str], *, stdin: str | None = None, check: bool = True,
            timeout: float | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``soumu-desk --home HOME ARGS`` and return the finished process (text mode, UTF-8)."""
    env = dict(os.environ, PYTHONIOENCODING="utf-8", SOUMU_DESK_HOME=str(home))
    proc = subprocess.run(
        [*cli_command(), "--home", str(home), *args],
        input=stdin, capture_output=True, text=True, encoding="utf-8", cwd=PRODUCT_ROOT, env=env,
        timeout=timeout, check=False,
    )
    if check and proc.returncode != 0:
        raise RuntimeError(
            f"soumu-desk {' '.join(args)} exited {proc.returncode}\n--- stderr ---\n{proc.stderr[-4000:]}"
        )
    return proc


def batch_search(home: Path, queries: Sequence[str], k: int = 10) -> list[list[dict[str, Any]]]:
    """Run every query through ``kb search - -k K --json`` (one query a line, one JSON array a line)."""
    for q in queries:
        if "\n" in q:
            raise ValueError(f"query must be one line: {q!r}")
    proc = run_cli(home, ["kb", "search", "-", "-k", str(k), "--json"], stdin="".join(q + "\n" for q in queries))
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    if len(lines) != len(queries):
        raise RuntimeError(f"batch search printed {len(lines)} lines for {len(queries)} queries")
    return [json.loads(line) for line in lines]


@dataclass
class ChildRun:
    """Result of a child process watched for wall time and peak memory."""

    returncode: int
    seconds: float
    peak_rss_bytes: int
    stdout: str
    stderr: str
    cpu_seconds: float = 0.0  # user + system of the child and its waited-for descendants


def run_watched(cmd: Sequence[str], *, env: dict[str, str] | None = None, poll_s: float = 0.05) -> ChildRun:
    """Run ``cmd``, polling the RSS of its whole process tree with psutil; peak is the max sum seen.

    ``resource.getrusage(RUSAGE_CHILDREN).ru_maxrss`` is folded in as well (it catches a peak shorter
    than the polling interval, for the largest single child).
    """
    import resource

    import psutil

    usage_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    before_children = usage_before.ru_maxrss
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        list(cmd), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8",
        cwd=PRODUCT_ROOT, env=env,
    )
    peak = 0
    stop = threading.Event()

    def poll() -> None:
        nonlocal peak
        try:
            parent = psutil.Process(proc.pid)
        except psutil.Error:
            return
        while not stop.is_set():
            total = 0
            try:
                for p in [parent, *parent.children(recursive=True)]:
                    with contextlib.suppress(psutil.Error):
                        total += p.memory_info().rss
            except psutil.Error:
                break
            peak = max(peak, total)
            stop.wait(poll_s)

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    out, err = proc.communicate()
    seconds = time.perf_counter() - t0
    stop.set()
    poller.join()
    usage_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    after_children = usage_after.ru_maxrss
    if after_children > before_children:  # ru_maxrss is in KiB on Linux
        peak = max(peak, after_children * 1024)
    cpu = (usage_after.ru_utime + usage_after.ru_stime) - (usage_before.ru_utime + usage_before.ru_stime)
    return ChildRun(proc.returncode, seconds, peak, out, err, cpu)


def product_env(home: Path) -> dict[str, str]:
    return dict(os.environ, PYTHONIOENCODING="utf-8", SOUMU_DESK_HOME=str(home))


# ------------------------------------------------------------------------------------------ machine


def machine_info() -> dict[str, str]:
    """What the numbers were measured on (the machine is shared, so load average is recorded too)."""
    import psutil

    model = platform.processor() or "?"
    try:
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
        for line in lscpu.splitlines():
            if line.startswith("Model name:"):
                model = line.split(":", 1)[1].strip()
    except OSError:
        pass
    commit = product_commit()
    load = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    return {
        "date": _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": model,
        "cores": str(os.cpu_count()),
        "ram": f"{psutil.virtual_memory().total / 2**30:.1f} GiB",
        "load": f"{load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f}",
        "python": platform.python_version(),
        "os": f"{platform.system()} {platform.release()}",
        "commit": commit,
    }


def product_commit() -> str:
    """The commit under test; ``+local changes`` when it is the live work tree and kb/ or desktop/ differ."""
    stamp = PRODUCT_ROOT / ".bench_commit"
    if stamp.exists():
        return stamp.read_text(encoding="utf-8").strip() + " (clean export)"
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                                cwd=REPO_ROOT, check=False).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "kb", "desktop"], capture_output=True,
                               text=True, cwd=REPO_ROOT, check=False).stdout.strip()
    except OSError:
        return "?"
    return commit + (" + local changes" if dirty else "")


def machine_line(info: dict[str, str]) -> str:
    return (f"{info['date']}; {info['cpu']}, {info['cores']} cores, {info['ram']} RAM; "
            f"load avg {info['load']}; Python {info['python']}; commit {info['commit']}")


# ------------------------------------------------------------------------------------------- stats


def percentile(values: Sequence[float], p: float) -> float:
    """Linear-interpolated percentile (p in 0..100) of a non-empty sequence."""
    if not values:
        raise ValueError("no values")
    xs = sorted(values)
    if len(xs) == 1:
        return xs[0]
    pos = (len(xs) - 1) * p / 100.0
    lo = int(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def rank_metrics(ranks: Sequence[int | None], k: int = 10) -> dict[str, float]:
    """R@1, R@5 (success@k: a relevant passage at rank 1 / in the top 5) and MRR@k (mean reciprocal rank of
    the first relevant passage, 0 beyond k) of the first-relevant ranks of a question set (None: not found)."""
    n = len(ranks)
    return {
        "R@1": sum(1 for r in ranks if r == 1) / n,
        "R@5": sum(1 for r in ranks if r is not None and r <= 5) / n,
        f"MRR@{k}": sum(1.0 / r for r in ranks if r is not None and r <= k) / n,
    }


def fmt_ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def dir_stats(folder: Path) -> tuple[int, int]:
    """(files, bytes) under ``folder``."""
    files = 0
    size = 0
    for p in folder.rglob("*"):
        if p.is_file():
            files += 1
            size += p.stat().st_size
    return files, size


def fresh_dir(path: Path) -> Path:
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    return path


def write_out(name: str, text: str) -> Path:
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    target = OUT_DIR / name
    target.write_text(text, encoding="utf-8")
    return target


def write_report(stem: str, markdown: str, data: Any) -> None:
    """``benchmarks/out/STEM.md`` (the snippet for docs/PERFORMANCE.md) and ``STEM.json`` (every row), and
    where they went on stderr."""
    md = write_out(f"{stem}.md", markdown)
    js = write_out(f"{stem}.json", json.dumps(data, ensure_ascii=False, indent=1))
    print(f"\nwritten: {md}\n         {js}", file=sys.stderr)


@contextlib.contextmanager
def work_dir(prefix: str, keep: bool = False) -> Iterator[Path]:
    """A temp folder for one run, removed afterwards unless ``keep`` (then its path is printed)."""
    work = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield work
    finally:
        if keep:
            print(f"kept {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)


# --------------------------------------------------------------------------------------- relevance


def nfkc(text: str | None) -> str:
    return unicodedata.normalize("NFKC", text or "")


_PAGE_RE = re.compile(r"(?:^|[^A-Za-z])p\.?\s*(\d+)", re.IGNORECASE)


def hit_page(hit: dict[str, Any]) -> int | None:
    """The PDF page of a hit: its ``page`` field, else ``p.N`` in its location."""
    page = hit.get("page")
    if isinstance(page, int):
        return page
    m = _PAGE_RE.search(nfkc(hit.get("location")))
    return int(m.group(1)) if m else None


def article_in(article: str, *texts: str | None) -> bool:
    """True when ``article`` (e.g. 第25条) appears as a whole article number: 第25条 never matches
    第250条 or 第25条の2, and full-width digits count the same as ASCII ones."""
    pattern = re.compile(re.escape(nfkc(article)) + r"(?![0-9]|の[0-9])")
    return any(pattern.search(nfkc(t)) for t in texts if t)


def is_relevant(hit: dict[str, Any], relevant: Iterable[dict[str, Any]]) -> bool:
    """A hit is relevant when its file name matches a reference and, where the reference names an
    article or page, the hit's location/article contains that article or its page matches."""
    name = nfkc(Path(str(hit.get("path", ""))).name)
    for ref in relevant:
        if name != nfkc(ref["file"]):
            continue
        article, page = ref.get("article"), ref.get("page")
        if article is None and page is None:
            return True
        if article and article_in(article, hit.get("article"), hit.get("location")):
            return True
        if page is not None and hit_page(hit) == page:
            return True
    return False


def first_relevant_rank(hits: Sequence[dict[str, Any]], relevant: Sequence[dict[str, Any]]) -> int | None:
    for rank, hit in enumerate(hits, start=1):
        if is_relevant(hit, relevant):
            return rank
    return None


def load_questions(path: Path = QUESTIONS_FILE) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


# ------------------------------------------------------------------------- character-bigram baseline


def char_bigrams(text: str) -> list[str]:
    """NFKC + lower-case, then bigrams over each run of letters/digits (a lone character stays a unigram).

    This is the classic CJK-agnostic n-gram index: no dictionary, no morphology.
    """
    grams: list[str] = []
    run: list[str] = []

    def flush() -> None:
        if len(run) == 1:
            grams.append(run[0])
        else:
            grams.extend(run[i] + run[i + 1] for i in range(len(run) - 1))
        run.clear()

    for ch in nfkc(text).lower():
        if ch.isalnum():
            run.append(ch)
        elif run:
            flush()
    if run:
        flush()
    return grams


@dataclass
class BaselineDoc:
    path: str
    title: str
    location: str
    text: str
    page: int | None = None
    article: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def as_hit(self, score: float) -> dict[str, Any]:
        return {"path": self.path, "title": self.title, "location": self.location, "page": self.page,
                "article": self.article, "text": self.text, "snippet": self.text[:80], "score": score}


class BigramBaseline:
    """SQLite FTS5 over space-separated character bigrams, ranked by BM25; query = OR of its bigrams."""

    def __init__(self, db_path: str = ":memory:") -> None:
        self.conn = sqlite3.connect(db_path)
        self.conn.execute("PRAGMA journal_mode=OFF")
        self.conn.execute("PRAGMA synchronous=OFF")
        self.conn.execute(
            "CREATE VIRTUAL TABLE grams USING fts5(body, tokenize = 'unicode61 remove_diacritics 0')"
        )
        self.docs: list[BaselineDoc] = []

    def add_many(self, docs: Iterable[BaselineDoc]) -> None:
        rows = []
        for doc in docs:
            self.docs.append(doc)
            rows.append((len(self.docs), " ".join(char_bigrams(doc.text))))
            if len(rows) >= 2000:
                self.conn.executemany("INSERT INTO grams(rowid, body) VALUES (?, ?)", rows)
                rows.clear()
        if rows:
            self.conn.executemany("INSERT INTO grams(rowid, body) VALUES (?, ?)", rows)
        self.conn.commit()

    def match_expr(self, query: str) -> str | None:
        grams = list(dict.fromkeys(char_bigrams(query)))
        if not grams:
            return None
        return " OR ".join('"' + g.replace('"', '""') + '"' for g in grams)

    def search(self, query: str, k: int = 10) -> list[dict[str, Any]]:
        expr = self.match_expr(query)
        if expr is None:
            return []
        rows = self.conn.execute(
            "SELECT rowid, bm25(grams) AS s FROM grams WHERE grams MATCH ? ORDER BY s LIMIT ?", (expr, k)
        ).fetchall()
        return [self.docs[rowid - 1].as_hit(-score) for rowid, score in rows]

    def close(self) -> None:
        self.conn.close()


def parsed_docs(folder: Path) -> tuple[list[BaselineDoc], list[str]]:
    """Chunks of every file under ``folder``, produced by the product's own parser
    (``kb.parsing.parse_document``), so the baseline ranks exactly the passages the product indexes.
    Returns (chunks, files that could not be parsed)."""
    from kb.parsing import parse_document

    docs: list[BaselineDoc] = []
    failed: list[str] = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        try:
            parsed = parse_document(path)
        except Exception as exc:  # noqa: BLE001 - a failure is reported, the run goes on
            failed.append(f"{path.name}: {exc}")
            continue
        if parsed is None:
            continue
        for chunk in parsed.chunks:
            docs.append(BaselineDoc(
                path=str(path.resolve()), title=parsed.title, location=chunk.location, text=chunk.text,
                page=chunk.page, article=chunk.article,
            ))
    return docs, failed


# ------------------------------------------------------------------- everyday-phrasing question set

EVERYDAY_FILE = DATA_DIR / "everyday_questions.jsonl"
DEMO_KB = REPO_ROOT / "kb" / "demo"


def location_matches(ref_location: str, hit_location: str | None) -> bool:
    """A reference's ``location`` (e.g. ``行17``, ``スライド4``, ``空調``) is in the hit's location, not followed
    by a digit (``行1`` never matches ``行17``); NFKC on both sides."""
    pattern = re.compile(re.escape(nfkc(ref_location)) + r"(?![0-9])")
    return bool(pattern.search(nfkc(hit_location)))


def is_relevant_located(hit: dict[str, Any], relevant: Iterable[dict[str, Any]]) -> bool:
    """``is_relevant``, where a reference may also carry ``location``: for files without 第N条 (the FAQ sheet,
    the slide deck, the HTML guide) the hit must then come from that row, slide or section, not just that file."""
    for ref in relevant:
        if not is_relevant(hit, [ref]):
            continue
        if ref.get("location") and not location_matches(ref["location"], hit.get("location")):
            continue
        return True
    return False


def first_relevant_rank_located(hits: Sequence[dict[str, Any]], relevant: Sequence[dict[str, Any]]) -> int | None:
    for rank, hit in enumerate(hits, start=1):
        if is_relevant_located(hit, relevant):
            return rank
    return None


def answer_norm(text: str) -> str:
    """Answer text as the fact check reads it: NFKC, no thousands separators or spaces, ヶ/ケ/カ/箇 月 as か月
    (the same rule as ``llm_answer_eval.norm``)."""
    text = nfkc(text).replace(",", "").replace(" ", "")
    return text.replace("ヶ", "か").replace("ケ", "か").replace("カ月", "か月").replace("箇月", "か月")
