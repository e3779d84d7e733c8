"""Logbook benchmark at 100,000 floor notes (run by hand, never by pytest).

    .venv/bin/python benchmarks/logbook_bench.py              # 100,000 notes
    .venv/bin/python benchmarks/logbook_bench.py --notes 20000 --repeat 10

Measures, in-process as the UI calls it (``desktop.logbook.Logbook``) on a SQLCipher file:
- bulk load (the import merge path, one transaction, FTS kept up to date by triggers);
- list with filters (one page of 100, plus the total count the UI shows), p50/p95 — target < 100 ms;
  baseline: the same SQL on a plain (unencrypted) SQLite copy, so the ratio is the encryption's cost;
- full-text filter: trigram FTS5 for terms of 3+ characters, the bigram index for 1–2 characters;
  baseline: ``LIKE '%term%'`` over the same columns without an index;
- export of all notes to CSV (target < 5 s) and XLSX; import of that CSV into a fresh logbook, and
  re-import of the same file (everything unchanged).
Scratch data goes to a temp folder (or ``--keep DIR``); the key lives in an in-memory keyring.
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import keyring  # noqa: E402
import keyring.backend  # noqa: E402
from _common import fmt_ms, machine_info, machine_line, percentile, write_out  # noqa: E402

from desktop.logbook import Filters, FollowUp, Logbook, Note, shortterms  # noqa: E402
from desktop.logbook.records import DEFAULT_NOTE_CATEGORIES, NOTE_STATUSES, SEVERITIES  # noqa: E402
from desktop.logbook.repository import build_where  # noqa: E402
from desktop.paths import DataHome  # noqa: E402
from desktop.settings import LogbookSettings  # noqa: E402

PLACES = ["本社1F 受付", "本社2F 給湯室", "本社3F 会議室A", "本社3F 会議室B", "倉庫", "駐車場", "食堂", "更衣室",
          "大阪支店 執務室", "名古屋営業所", "サーバールーム", "喫煙所", "エレベーターホール", "非常階段"]
DEPTS = ["総務部", "営業部", "経理部", "人事部", "開発部", "物流部", "品質保証部", "経営企画室"]
SUBJECTS = ["空調", "照明", "コピー機", "椅子", "床", "非常口", "消火器", "トイレ", "Wi-Fi", "ロッカー", "シュレッダー",
            "自動ドア", "掲示板", "冷蔵庫", "ブラインド", "電子レンジ", "避難経路", "プリンター"]
PROBLEMS = ["が効かず暑い", "が寒すぎる", "がちらつく", "が故障している", "がぐらつく", "が滑りやすい", "の前に物が置かれている",
            "の期限が切れている", "が詰まっている", "がつながりにくい", "の鍵が壊れている", "の音がうるさい",
            "の使い方が分からないという声", "の数が足りない"]
TAILS = ["。早めに対応してほしいとのこと。", "。以前にも同じ声があった。", "。来客の目にも触れる場所。", "。夕方に多い。",
         "。けが人はいない。", "。写真を撮って共有済み。", ""]


class _MemoryKeyring(keyring.backend.KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.store.pop((service, username), None)


def make_notes(n: int, seed: int = 7) -> list[Note]:
    rng = random.Random(seed)
    start = datetime(2024, 4, 1, 8, 0, 0)
    span = int(timedelta(days=3 * 365).total_seconds())
    out = []
    for _ in range(n):
        when = start + timedelta(seconds=rng.randrange(span))
        subject = rng.choice(SUBJECTS)
        note = Note(
            text=f"{rng.choice(PLACES)}の{subject}{rng.choice(PROBLEMS)}{rng.choice(TAILS)}",
            place=rng.choice(PLACES),
            department=rng.choice(DEPTS),
            category=rng.choice(DEFAULT_NOTE_CATEGORIES),
            severity=rng.choices(SEVERITIES, weights=(50, 30, 15, 5))[0],
            status=rng.choices(NOTE_STATUSES, weights=(20, 15, 60, 5))[0],
            owner=rng.choice(["山田", "佐藤", "鈴木", "高橋", ""]),
            tags=[subject] if rng.random() < 0.5 else [],
            occurred_at=when.isoformat(),
            anonymous=rng.random() < 0.3,
        )
        if rng.random() < 0.2:
            note.followups = [FollowUp(text="現場を確認した", at=(when + timedelta(days=1)).isoformat(), staff="山田")]
        out.append(note)
    return out


def timed(fn: Callable[[], object], repeat: int) -> list[float]:
    fn()  # warm the page cache and the statement cache
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return times


def plain_copy(book: Logbook, path: Path) -> sqlite3.Connection:
    """The same notes in an unencrypted SQLite file with the same schema and indexes (the baseline)."""
    path.unlink(missing_ok=True)
    schema = [r[0] for r in book.db.read().execute(
        "SELECT sql FROM sqlite_master WHERE name IN ('notes', 'notes_occurred', 'notes_status_occurred', "
        "'notes_category_occurred') ORDER BY type DESC")]
    conn = sqlite3.connect(path)
    for sql in schema:
        conn.execute(sql)
    cur = book.db.read().conn.execute("SELECT * FROM notes")
    cols = len(cur.description)
    conn.executemany(f"INSERT INTO notes VALUES ({','.join('?' * cols)})", cur)
    conn.commit()
    return conn


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--notes", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=30)
    ap.add_argument("--keep", type=Path, default=None, help="work folder to keep (default: a temp folder)")
    args = ap.parse_args()
    keyring.set_keyring(_MemoryKeyring())
    info = machine_info()
    lines = [f"Logbook benchmark, {args.notes:,} notes — {machine_line(info)}", ""]

    def say(line: str) -> None:
        print(line, flush=True)
        lines.append(line)

    work_ctx = tempfile.TemporaryDirectory(prefix="logbook-bench-") if args.keep is None else None
    work = Path(work_ctx.name) if work_ctx else args.keep
    work.mkdir(parents=True, exist_ok=True)
    settings = LogbookSettings(backup_every_hours=0)
    try:
        notes = make_notes(args.notes)
        book = Logbook.open(DataHome.open(work / "home"), settings)
        t0 = time.perf_counter()
        for i in range(0, len(notes), 10_000):
            book.notes.merge(notes[i : i + 10_000])
        load_s = time.perf_counter() - t0
        size_mb = (work / "home" / "logbook.db").stat().st_size / 2**20
        say(f"bulk load (merge, 10,000 per transaction): {load_s:.1f} s "
            f"({args.notes / load_s:,.0f} notes/s), file {size_mb:.0f} MB")

        plain = plain_copy(book, work / "plain.db")
        say("")
        say("| filter (page of 100 + total count) | API p50 | API p95 | same SQL, SQLCipher p50 | same SQL, plain SQLite p50 | SQLCipher / plain |")
        say("|---|---:|---:|---:|---:|---:|")
        cases = {
            "none (newest first)": Filters(),
            "status 新規": Filters(status="新規"),
            "category + one month": Filters(category="安全・防災", date_from="2025-06-01", date_to="2025-06-30"),
            "department + status 対応中": Filters(department="営業部", status="対応中"),
            "one fiscal year, 2 statuses": Filters(date_from="2025-04-01", date_to="2026-03-31", status=("新規", "対応中")),
        }
        for label, f in cases.items():
            page = replace(f, limit=100)

            def ours(page: Filters = page, f: Filters = f) -> None:
                book.notes.list(page)
                book.notes.count(f)

            where, params = build_where("notes", f)

            def raw(conn: object, where: str = where, params: list[object] = params) -> None:
                c = conn  # a sqlite3 or sqlcipher3 connection
                c.execute(  # type: ignore[attr-defined]
                    f"SELECT * FROM notes WHERE {where} ORDER BY occurred_at DESC, seq DESC LIMIT 100", params
                ).fetchall()
                c.execute(f"SELECT count(*) FROM notes WHERE {where}", params).fetchone()  # type: ignore[attr-defined]

            t_ours = timed(ours, args.repeat)
            t_enc = timed(lambda raw=raw: raw(book.db.read().conn), args.repeat)
            t_plain = timed(lambda raw=raw: raw(plain), args.repeat)
            p50, p50e, p50p = (statistics.median(t) for t in (t_ours, t_enc, t_plain))
            say(f"| {label} | {fmt_ms(p50)} | {fmt_ms(percentile(t_ours, 95))} | {fmt_ms(p50e)} | {fmt_ms(p50p)} "
                f"| {p50e / p50p:.2f}× |")

        say("")
        say("| full-text filter (page of 100 + count) | matches | ours p50 | p95 | LIKE scan p50 | speed-up |")
        say("|---|---:|---:|---:|---:|---:|")
        hay = " || char(10) || ".join(
            ("text", "place", "department", "speaker", "cause", "consequence", "countermeasure", "owner", "tags"))
        for term in ("避難経路", "が効かず暑", "コピー機 故障", "Wi-Fi", "暑い", "鍵", "空調 夕方"):
            f = Filters(text=term)
            matches = book.notes.count(f)

            def ours_ft(f: Filters = f) -> None:
                book.notes.list(replace(f, limit=100))
                book.notes.count(f)

            terms = term.split()
            like = " AND ".join(f"({hay}) LIKE ?" for _ in terms)
            like_params = [f"%{t}%" for t in terms]
            def like_scan(like: str = like, like_params: list[str] = like_params) -> None:
                conn = book.db.read().conn
                conn.execute(
                    f"SELECT * FROM notes WHERE {like} ORDER BY occurred_at DESC LIMIT 100", like_params
                ).fetchall()
                conn.execute(f"SELECT count(*) FROM notes WHERE {like}", like_params).fetchone()

            rep = max(5, args.repeat // 3)
            t_ours, t_like = timed(ours_ft, rep), timed(like_scan, rep)
            kinds = {"trigram" if len(t) >= 3 else "bigram" if shortterms.can_serve(t) else "instr scan" for t in terms}
            how = " + ".join(sorted(kinds, reverse=True))
            say(f"| `{term}` ({how}) | {matches:,} | {fmt_ms(statistics.median(t_ours))} | "
                f"{fmt_ms(percentile(t_ours, 95))} | {fmt_ms(statistics.median(t_like))} | "
                f"{statistics.median(t_like) / statistics.median(t_ours):.1f}× |")
        plain.close()

        say("")
        csv_path, xlsx_path = work / "notes.csv", work / "notes.xlsx"
        t0 = time.perf_counter()
        r = book.export("notes", csv_path)
        say(f"export CSV (UTF-8 BOM), {r.rows:,} notes: {time.perf_counter() - t0:.2f} s, "
            f"{csv_path.stat().st_size / 2**20:.1f} MB")
        t0 = time.perf_counter()
        r = book.export("notes", csv_path.with_suffix(".cp932.csv"), encoding="cp932")
        say(f"export CSV (cp932), {r.rows:,} notes: {time.perf_counter() - t0:.2f} s")
        t0 = time.perf_counter()
        r = book.export("notes", xlsx_path, fmt="xlsx")
        say(f"export XLSX, {r.rows:,} notes: {time.perf_counter() - t0:.2f} s, {xlsx_path.stat().st_size / 2**20:.1f} MB")
        book.close()

        fresh = Logbook.open(DataHome.open(work / "home2"), settings)
        t0 = time.perf_counter()
        res = fresh.import_file("notes", csv_path)
        say(f"import CSV into an empty logbook: {time.perf_counter() - t0:.1f} s (added {res.added:,})")
        t0 = time.perf_counter()
        res = fresh.import_file("notes", csv_path)
        say(f"re-import of the same CSV: {time.perf_counter() - t0:.1f} s (added {res.added}, unchanged {res.unchanged:,})")
        fresh.close()
    finally:
        if work_ctx is not None:
            work_ctx.cleanup()
    out = write_out("logbook_bench.md", "\n".join(lines) + "\n")
    print(f"\nwritten: {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("SOUMU_DESK_HOME", tempfile.gettempdir())
    raise SystemExit(main())
