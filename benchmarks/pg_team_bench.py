"""Team logbook benchmark on a real PostgreSQL (run by hand, never by pytest).

    .venv/bin/python benchmarks/pg_team_bench.py                      # 5 clients × 200, 100,000 notes
    .venv/bin/python benchmarks/pg_team_bench.py --notes 20000 --repeat 10

Starts its own throwaway cluster on 127.0.0.1 (tests/desktop/pg_cluster.py) with the server's default
durability (fsync on), sets up the schema with `team setup`'s migrations, then measures:

1. **Concurrent staff**: N client *processes* (each its own login and connection, as N PCs would) start
   together and each saves M new floor notes (``TeamLogbook.notes.add``), then each edits the same 20
   "hot" notes once (read → change → ``update``; on ``ConflictError`` read again and redo the edit).
   Checked afterwards: exactly N×M new notes, no duplicate id, every note's content hash equal to what
   its client saved, and every hot note carrying all N clients' edits (no lost update). Reported: save
   time p50/p95/max, edit time p95, how many conflicts were caught and redone.
2. **Filtered list at 100,000 notes**: the SQLCipher benchmark's filters (one page of 100 plus the total
   count the UI shows), p50/p95, and the text filters (pg_trgm for 3+ characters).
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))
sys.path.insert(0, str(REPO))
import psycopg  # noqa: E402
from _common import fmt_ms, machine_info, machine_line, percentile, write_out  # noqa: E402
from logbook_bench import make_notes  # noqa: E402

from desktop.logbook import Filters, Note  # noqa: E402
from desktop.logbook.pg_schema import STAFF_ROLE, migrate  # noqa: E402
from desktop.logbook.pg_store import TeamLogbook, content_hash  # noqa: E402
from desktop.logbook.store import ConflictError  # noqa: E402
from tests.desktop.pg_cluster import start_cluster  # noqa: E402

HOT = 20


def client(url: str, index: int, count: int, hot_ids: list[str], go: Any, out: Any) -> None:
    """One staff PC: save ``count`` notes as fast as it can, then edit every hot note once."""
    notes = make_notes(count, seed=1000 + index)
    with TeamLogbook.open(url) as team:
        team.notes.count()  # connected before the start signal
        go.wait()
        saves: list[float] = []
        hashes: dict[str, str] = {}
        for n in notes:
            t0 = time.perf_counter()
            saved = team.notes.add(n)
            saves.append(time.perf_counter() - t0)
            hashes[saved.id] = content_hash(saved)
        edits: list[float] = []
        conflicts = 0
        for rid in hot_ids:
            t0 = time.perf_counter()
            while True:
                current = team.notes.get(rid)
                assert current is not None
                current.text += f" [c{index}]"
                try:
                    team.notes.update(current)
                    break
                except ConflictError:
                    conflicts += 1
            edits.append(time.perf_counter() - t0)
    out.put({"index": index, "saves": saves, "edits": edits, "hashes": hashes, "conflicts": conflicts})


def concurrency(cluster: Any, clients: int, per_client: int, say: Callable[[str], None]) -> None:
    with psycopg.connect(cluster.url(), autocommit=True) as admin:
        admin.execute("CREATE DATABASE team_concurrency")
    with psycopg.connect(cluster.url("team_concurrency"), autocommit=True) as conn:
        migrate(conn)
        for i in range(clients):
            conn.execute(f"CREATE ROLE staff{i} LOGIN PASSWORD 'pw-staff{i}' IN ROLE {STAFF_ROLE}")
    with TeamLogbook.open(cluster.url("team_concurrency")) as owner:
        hot_ids = [owner.notes.add(Note(text=f"ホットな声 {i}")).id for i in range(HOT)]
    ctx = mp.get_context("spawn")
    go, out = ctx.Event(), ctx.Queue()
    procs = [
        ctx.Process(target=client, args=(cluster.url("team_concurrency", f"staff{i}", f"pw-staff{i}"), i, per_client,
                                         hot_ids, go, out))
        for i in range(clients)
    ]
    for p in procs:
        p.start()
    time.sleep(3.0)  # every client connected (spawn imports the app)
    t0 = time.perf_counter()
    go.set()
    results = [out.get(timeout=600) for _ in procs]
    wall = time.perf_counter() - t0
    for p in procs:
        p.join(60)
    saves = [s for r in results for s in r["saves"]]
    edits = [e for r in results for e in r["edits"]]
    conflicts = sum(r["conflicts"] for r in results)
    with TeamLogbook.open(cluster.url("team_concurrency")) as team:
        stored = {n.id: n for n in team.notes.iter()}
        with team.db.tx() as conn:
            row = conn.execute("SELECT count(*), count(DISTINCT id) FROM notes").fetchone()
            assert row is not None
            rows, distinct = int(row[0]), int(row[1])
    expected = {rid: h for r in results for rid, h in r["hashes"].items()}
    lost = [rid for rid in expected if rid not in stored]
    wrong = [rid for rid, h in expected.items() if rid in stored and content_hash(stored[rid]) != h]
    lost_edits = sum(1 for rid in hot_ids for i in range(clients) if f"[c{i}]" not in stored[rid].text)
    hot_versions = sorted({stored[rid].version for rid in hot_ids})
    say(f"### {clients} staff clients × {per_client} notes, concurrently (separate processes, one login each)")
    say("")
    say("| measure | value |")
    say("|---|---:|")
    say(f"| notes saved / expected | {len(expected)} / {clients * per_client} |")
    say(f"| rows on the server (new + {HOT} hot) / distinct ids | {rows} / {distinct} |")
    say(f"| lost / content hash mismatch | {len(lost)} / {len(wrong)} |")
    say(f"| save time p50 / p95 / max | {fmt_ms(statistics.median(saves))} / {fmt_ms(percentile(saves, 95))} / "
        f"{fmt_ms(max(saves))} |")
    say(f"| throughput (all clients) | {len(saves) / wall:,.0f} saves/s over {wall:.1f} s (incl. edits) |")
    say(f"| hot-note edits: conflicts caught and redone | {conflicts} (of {clients * HOT} edits) |")
    say(f"| hot-note edits lost | {lost_edits} (each hot note ends at version {', '.join(map(str, hot_versions))}) |")
    say(f"| edit time incl. redo p50 / p95 | {fmt_ms(statistics.median(edits))} / {fmt_ms(percentile(edits, 95))} |")
    ok = not lost and not wrong and rows == clients * per_client + HOT and distinct == rows and lost_edits == 0
    say("")
    say("verdict: " + ("nothing lost, no duplicate, no lost update" if ok else "FAILED — see the table"))
    if not ok:
        raise SystemExit(1)


def timed(fn: Callable[[], object], repeat: int) -> list[float]:
    fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return times


def filtered_list(cluster: Any, n: int, repeat: int, say: Callable[[str], None]) -> None:
    with psycopg.connect(cluster.url(), autocommit=True) as admin:
        admin.execute("CREATE DATABASE team_100k")
    with psycopg.connect(cluster.url("team_100k"), autocommit=True) as conn:
        migrate(conn)
    notes = make_notes(n)
    with TeamLogbook.open(cluster.url("team_100k")) as team:
        t0 = time.perf_counter()
        for i in range(0, n, 10_000):
            team.notes.merge(notes[i : i + 10_000])
        load_s = time.perf_counter() - t0
        with team.db.tx() as conn:
            conn.execute("ANALYZE")
            size = conn.execute("SELECT pg_database_size(current_database())").fetchone()
        say("")
        say(f"### Filtered list at {n:,} notes on PostgreSQL")
        say("")
        say(f"bulk load (merge, 10,000 per transaction): {load_s:.1f} s ({n / load_s:,.0f} notes/s), "
            f"database {int(size[0]) / 1e6 if size else 0:.0f} MB")
        say("")
        say("| filter (page of 100 + total count) | matches | p50 | p95 |")
        say("|---|---:|---:|---:|")
        cases = {
            "none (newest first)": Filters(),
            "status 新規": Filters(status="新規"),
            "category + one month": Filters(category="安全・防災", date_from="2025-06-01", date_to="2025-06-30"),
            "department + status 対応中": Filters(department="営業部", status="対応中"),
            "one fiscal year, 2 statuses": Filters(date_from="2025-04-01", date_to="2026-03-31", status=("新規", "対応中")),
            "text 避難経路 (pg_trgm)": Filters(text="避難経路"),
            "text が効かず暑": Filters(text="が効かず暑"),
            "text コピー機 故障": Filters(text="コピー機 故障"),
            "text Wi-Fi": Filters(text="Wi-Fi"),
            "text 暑い (2 chars: grams index)": Filters(text="暑い"),
            "text 鍵 (1 char: grams index)": Filters(text="鍵"),
            "text 空調 夕方": Filters(text="空調 夕方"),
            "text の (in every note)": Filters(text="の"),
        }
        worst = 0.0
        for label, f in cases.items():
            page = replace(f, limit=100)

            def one(page: Filters = page, f: Filters = f) -> None:
                team.notes.list(page)
                team.notes.count(f)

            t = timed(one, repeat)
            worst = max(worst, percentile(t, 95))
            say(f"| {label} | {team.notes.count(f):,} | {fmt_ms(statistics.median(t))} | {fmt_ms(percentile(t, 95))} |")
        say("")
        say(f"worst p95: {fmt_ms(worst)} (target < 100 ms)")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clients", type=int, default=5)
    ap.add_argument("--per-client", type=int, default=200)
    ap.add_argument("--notes", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=20)
    args = ap.parse_args()
    lines: list[str] = []

    def say(line: str) -> None:
        print(line, flush=True)
        lines.append(line)

    info = machine_info()
    say(f"machine: {machine_line(info)}")
    cluster = start_cluster("pgteam_bench_", durable=True)
    try:
        with psycopg.connect(cluster.url(), autocommit=True) as admin:
            version = admin.execute("SHOW server_version").fetchone()
        say(f"PostgreSQL {version[0] if version else '?'} on 127.0.0.1 (same machine), fsync on, default settings")
        say("")
        concurrency(cluster, args.clients, args.per_client, say)
        if args.notes:
            filtered_list(cluster, args.notes, args.repeat, say)
    finally:
        cluster.stop()
    path = write_out("pg_team_bench.md", "\n".join(lines) + "\n")
    print(f"\nwritten to {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
