"""`soumu-desk log`: add, list, export, import, back up, restore and recover the logbook; monthly report;
load or remove the demo logbook (``log demo [--remove]``, see :mod:`desktop.demo_logbook`).

Records go to stdout (``--json``: UTF-8 JSON); messages, warnings and the one-time recovery key go to
stderr so ``--json`` output stays parseable. Exit codes: 0 ok, 1 failed, 2 bad input, 3 key problem.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

from desktop.commands import COMMAND_HELP
from desktop.context import Context
from desktop.logbook import (
    CHANNELS,
    INQUIRY_STATUSES,
    NOTE_STATUSES,
    RESOLUTIONS,
    SEVERITIES,
    DatabaseKeyError,
    Filters,
    Inquiry,
    Logbook,
    Note,
    ValidationError,
)
from desktop.logbook.backup import RestoreError
from desktop.logbook.db import LogbookDB
from desktop.logbook.pg_schema import SchemaError
from desktop.logbook.records import split_tags
from desktop.logbook.store import StoreError
from desktop.secrets import KeyManager, SecretsError

HELP = COMMAND_HELP["log"]
KIND_CHOICES = ("notes", "inquiries")


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser("log", help=HELP, description=HELP)
    parser.set_defaults(func=lambda args, ctx: _usage(parser))
    actions = parser.add_subparsers(dest="log_command", metavar="ACTION")

    add = actions.add_parser("add", help="記録を追加 / add a record")
    kinds = add.add_subparsers(dest="add_kind", metavar="KIND")
    add.set_defaults(func=lambda args, ctx: _usage(add))

    note = kinds.add_parser("note", help="現場の声 / floor note")
    note.add_argument("--text", required=True, help="内容 / what was said or seen")
    note.add_argument("--place", default="", help="場所 / place")
    note.add_argument("--department", default="", help="部署 / department")
    note.add_argument("--category", default="その他", help="分類 / category (editable list)")
    note.add_argument("--severity", default="低", help=f"重要度 / severity: {' / '.join(SEVERITIES)}")
    note.add_argument("--status", default="新規", help=f"状況 / status: {' / '.join(NOTE_STATUSES)}")
    note.add_argument("--when", default="", help="日時 / when (ISO, default now)")
    note.add_argument("--owner", default="", help="担当者 / owner")
    note.add_argument("--due", default="", help="期限 / due date YYYY-MM-DD")
    note.add_argument("--tags", default="", help="タグ(カンマ区切り) / comma-separated tags")
    note.add_argument("--anonymous", action="store_true", help="発言者を記録しない / anonymous")
    note.add_argument("--speaker", default="", help="発言者 / who spoke")
    note.add_argument("--cause", default="", help="原因 / cause")
    note.add_argument("--consequence", default="", help="想定される影響 / what it could lead to")
    note.add_argument("--countermeasure", default="", help="対策 / countermeasure")
    note.add_argument("--json", action="store_true", help="追加した記録をJSONで表示 / print the record as JSON")
    note.set_defaults(func=_add_note)

    inq = kinds.add_parser("inquiry", help="問い合わせ / inquiry")
    inq.add_argument("--question", required=True, help="質問 / question")
    inq.add_argument("--answer", default="", help="回答 / answer given")
    inq.add_argument("--channel", default="電話", help=f"受付方法 / channel: {' / '.join(CHANNELS)}")
    inq.add_argument("--department", default="", help="部署 / requester's department")
    inq.add_argument("--requester", default="", help="氏名(任意) / requester's name (optional)")
    inq.add_argument("--status", default="解決", help=f"状況 / status: {' / '.join(INQUIRY_STATUSES)}")
    inq.add_argument("--category", default="", help="分類 / category")
    inq.add_argument("--resolution", default="", help=f"対応結果 / resolution: {' / '.join(RESOLUTIONS)}")
    inq.add_argument("--minutes", type=int, default=None, help="対応時間(分) / minutes spent")
    inq.add_argument("--staff", default="", help="担当者 / staff")
    inq.add_argument("--when", default="", help="日時 / when (ISO, default now)")
    inq.add_argument("--json", action="store_true", help="追加した記録をJSONで表示 / print the record as JSON")
    inq.set_defaults(func=_add_inquiry)

    lst = actions.add_parser("list", help="一覧 / list records")
    lst.add_argument("kind", choices=KIND_CHOICES)
    lst.add_argument("--json", action="store_true", help="JSON配列で出力 / one JSON array")
    lst.add_argument("--limit", type=int, default=None, help="最大件数 / at most N records")
    _filter_args(lst)
    lst.set_defaults(func=_list)

    exp = actions.add_parser("export", help="CSV/XLSXに出力 / export to CSV or XLSX")
    exp.add_argument("kind", choices=KIND_CHOICES)
    exp.add_argument("--format", choices=("csv", "xlsx"), default="csv")
    exp.add_argument("--out", required=True, metavar="FILE")
    exp.add_argument("--encoding", choices=("utf-8-sig", "cp932"), default=None,
                     help="CSVの文字コード / CSV encoding (default: settings, utf-8-sig)")
    exp.add_argument("--errors", choices=("strict", "replace"), default=None,
                     help="cp932で書けない文字: strict=中止 / replace=? に置換 (default: settings)")
    _filter_args(exp)
    exp.set_defaults(func=_export)

    imp = actions.add_parser("import", help="CSV/XLSXから取り込み / import CSV or XLSX")
    imp.add_argument("kind", choices=KIND_CHOICES)
    imp.add_argument("file", metavar="FILE")
    imp.set_defaults(func=_import)

    bak = actions.add_parser("backup", help="今すぐバックアップ / back up now")
    bak.set_defaults(func=_backup)

    res = actions.add_parser("restore", help="バックアップから復元 / restore from a backup")
    res.add_argument("file", metavar="FILE")
    res.set_defaults(func=_restore)

    rec = actions.add_parser("recover", help="回復キーで鍵を復元 / restore the key with the recovery key")
    rec.add_argument("--recovery-key", default=None, help="回復キー(省略時は入力を求めます) / the recovery key")
    rec.set_defaults(func=_recover)

    demo = actions.add_parser(
        "demo", help="デモデータ(架空の会社の記録)を読み込む・削除する / load or remove the demo logbook"
    )
    demo.add_argument("--remove", action="store_true", help="デモデータだけを削除 / remove the demo records only")
    demo.add_argument("--json", action="store_true", help="件数をJSONで出力 / print the counts as JSON")
    demo.set_defaults(func=_demo)

    rep = actions.add_parser("report", help="月次報告 / monthly report (.md, .html or .xlsx)")
    rep.add_argument("--month", required=True, metavar="YYYY-MM")
    rep.add_argument("--out", required=True, metavar="FILE")
    rep.set_defaults(func=_report)


def _filter_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--from", dest="date_from", default="", metavar="YYYY-MM-DD", help="開始日 / from date")
    p.add_argument("--to", dest="date_to", default="", metavar="YYYY-MM-DD", help="終了日(含む) / to date (inclusive)")
    p.add_argument("--status", action="append", default=[], help="状況(複数可) / status (repeatable)")
    p.add_argument("--category", action="append", default=[], help="分類(複数可) / category (repeatable)")
    p.add_argument("--text", default="", help="全文検索(空白でAND) / full-text filter (space = AND)")


def _filters(args: argparse.Namespace, limit: int | None = None) -> Filters:
    return Filters(
        date_from=args.date_from,
        date_to=args.date_to,
        status=tuple(args.status),
        category=tuple(args.category),
        text=args.text,
        limit=limit,
    )


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


def _err(message: str) -> None:
    print(message, file=sys.stderr)


def _open(ctx: Context) -> Logbook:
    """This PC's logbook, or in team mode the team's (its copy brought up to date for the analysis)."""
    from desktop.logbook.team_book import TeamBook, open_configured

    book = open_configured(ctx.home, ctx.settings)
    if isinstance(book, TeamBook) and book.sync_quietly() is None:
        _err(f"{book.state.problem_ja}: このPCにある最後のコピーを読み取り専用で使います / {book.state.problem_en}: "
             "reading this PC's last copy (read-only)")
    if book.recovery_key:
        _show_recovery_key(book.recovery_key, book.key_info.storage, book.key_info.fallback_reason)
    return book


def _show_recovery_key(key: str, storage: str, reason: str | None) -> None:
    line = "=" * 64
    where = (
        "鍵はOSのキーリングに保存しました / the key is stored in the OS keyring."
        if storage == "keyring"
        else f"{reason or ''}\n鍵はパスフレーズで保護しています / the key is protected by your passphrase."
    )
    _err(
        f"{line}\n"
        "ログブックを暗号化しました。回復キー / RECOVERY KEY:\n\n"
        f"    {key}\n\n"
        "この回復キーは今回だけ表示されます。印刷するか書き写して、PCとは別の安全な場所に保管してください。\n"
        "キーリングが消えたりパスフレーズを忘れたりしたとき、`soumu-desk log recover` で記録を取り戻せます。\n"
        "This key is shown ONCE. Write it down and keep it apart from this PC: with it,\n"
        "`soumu-desk log recover` gets the logbook back if the keyring is wiped or the passphrase lost.\n"
        f"{where}\n{line}"
    )


def with_logbook(action: Any, args: argparse.Namespace, ctx: Context) -> int:
    """Open the logbook, run ``action(book, args)``, and turn known errors into messages + exit codes."""
    try:
        with _open(ctx) as book:
            return int(action(book, args))
    except (SecretsError, DatabaseKeyError) as exc:
        _err(str(exc))
        return 3
    except (ValidationError, ValueError) as exc:
        _err(str(exc))
        return 2
    except (RestoreError, RuntimeError, StoreError, SchemaError) as exc:  # RuntimeError: a logbook from a newer version
        _err(str(exc))  # StoreError: team mode (server down, a conflict, managers only, …)
        return 1
    except OSError as exc:
        _err(f"ファイルを読み書きできません / file error: {exc}")
        return 1


def _print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def _add_note(args: argparse.Namespace, ctx: Context) -> int:
    def action(book: Logbook, a: argparse.Namespace) -> int:
        note = Note(
            text=a.text, place=a.place, department=a.department, category=a.category, severity=a.severity,
            status=a.status, owner=a.owner or ctx.settings.logbook.staff_name, due_date=a.due,
            tags=split_tags(a.tags), anonymous=a.anonymous, speaker=a.speaker, cause=a.cause,
            consequence=a.consequence, countermeasure=a.countermeasure,
        )
        if a.when:
            note.occurred_at = a.when
        book.notes.add(note)
        if a.json:
            _print_json(asdict(note))
        else:
            print(note.id)
        return 0

    return with_logbook(action, args, ctx)


def _add_inquiry(args: argparse.Namespace, ctx: Context) -> int:
    def action(book: Logbook, a: argparse.Namespace) -> int:
        inquiry = Inquiry(
            question=a.question, answer=a.answer, channel=a.channel, department=a.department,
            requester=a.requester, status=a.status, category=a.category, resolution=a.resolution,
            minutes=a.minutes, staff=a.staff or ctx.settings.logbook.staff_name,
        )
        if a.when:
            inquiry.occurred_at = a.when
        book.inquiries.add(inquiry)
        if a.json:
            _print_json(asdict(inquiry))
        else:
            print(inquiry.id)
        return 0

    return with_logbook(action, args, ctx)


def _list(args: argparse.Namespace, ctx: Context) -> int:
    def action(book: Logbook, a: argparse.Namespace) -> int:
        records = book.records(a.kind, _filters(a, a.limit))
        if a.json:
            _print_json([asdict(r) for r in records])
            return 0
        for r in records:
            when = r.occurred_at[:16].replace("T", " ")
            if isinstance(r, Note):
                line = f"{when}  [{r.status}] {r.severity}  {r.category}  {r.place or '-'}  {_one_line(r.text)}"
            else:
                cat = r.closing_category or r.category or "-"
                line = f"{when}  [{r.status}] {r.channel}  {cat}  {r.department or '-'}  {_one_line(r.question)}"
            print(line)
        _err(f"{len(records)}件 / {len(records)} record(s)")
        return 0

    return with_logbook(action, args, ctx)


def _one_line(text: str, width: int = 60) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def _export(args: argparse.Namespace, ctx: Context) -> int:
    def action(book: Logbook, a: argparse.Namespace) -> int:
        settings = ctx.settings.logbook
        result = book.export(
            a.kind, Path(a.out), fmt=a.format, filters=_filters(a),
            encoding=a.encoding or settings.export_encoding, errors=a.errors or settings.export_unencodable,
        )
        _err(f"{result.rows}件を書き出しました / exported {result.rows} record(s): {result.path}")
        if result.substituted:
            _err(f"注意: {result.substituted}文字を cp932 の同形文字(〜→～ など)に置き換えました / "
                 f"{result.substituted} character(s) mapped to their cp932 look-alikes")
        if result.replaced_cells:
            _err(f"注意: {result.replaced_cells}セルで cp932 にない文字を ? に置き換えました / "
                 f"{result.replaced_cells} cell(s) had characters replaced by '?'")
        return 0

    return with_logbook(action, args, ctx)


def _import(args: argparse.Namespace, ctx: Context) -> int:
    def action(book: Logbook, a: argparse.Namespace) -> int:
        r = book.import_file(a.kind, Path(a.file))
        for w in r.warnings:
            _err(w)
        if r.new_categories:
            _err(f"分類を追加しました / categories added: {', '.join(r.new_categories)}")
        print(
            f"取込 {r.rows}行 ({r.encoding}): 追加 {r.added}, 更新 {r.updated}, 変更なし {r.unchanged}, "
            f"より新しい記録があるため保留 {r.skipped} / rows {r.rows}: added {r.added}, updated {r.updated}, "
            f"unchanged {r.unchanged}, skipped (logbook newer) {r.skipped}"
        )
        return 0

    return with_logbook(action, args, ctx)


def _backup(args: argparse.Namespace, ctx: Context) -> int:
    def action(book: Logbook, a: argparse.Namespace) -> int:
        path = book.backup()
        print(path)
        _err(f"バックアップしました(暗号化済み) / encrypted backup written: {path.name}")
        return 0

    return with_logbook(action, args, ctx)


def _restore(args: argparse.Namespace, ctx: Context) -> int:
    def action(book: Logbook, a: argparse.Namespace) -> int:
        safety = book.restore(Path(a.file))
        _err("復元しました / restored.")
        if safety:
            _err(f"復元前のログブックは {safety} に保存しました / the previous logbook was kept as {safety}")
        return 0

    return with_logbook(action, args, ctx)


def _recover(args: argparse.Namespace, ctx: Context) -> int:
    keys = KeyManager(ctx.home.root)
    if not keys.exists():
        _err("このデータフォルダにはまだ鍵がありません / this data home has no key yet")
        return 2
    text = args.recovery_key
    if not text:
        prompt = "回復キー / recovery key: "
        text = getpass.getpass(prompt) if sys.stdin.isatty() else sys.stdin.readline()
    try:
        unlocked = keys.recover(text or "")
        if ctx.home.logbook_file.exists():
            LogbookDB(ctx.home.logbook_file, unlocked.key).close()  # proves the key opens the logbook
    except (SecretsError, DatabaseKeyError) as exc:
        _err(str(exc))
        return 3
    where = "OSのキーリング / the OS keyring" if unlocked.storage == "keyring" else "パスフレーズ / your passphrase"
    _err(f"鍵を復元しました。保存先: {where} / the key was restored")
    return 0


def _demo(args: argparse.Namespace, ctx: Context) -> int:
    """Load the demo records not there yet, or remove every demo record; the user's own are never touched."""
    from desktop import demo_logbook

    def action(book: Logbook, a: argparse.Namespace) -> int:
        changed = demo_logbook.remove(book) if a.remove else demo_logbook.load(book)
        now = demo_logbook.status(book).demo
        if a.json:
            _print_json({"action": "remove" if a.remove else "load", "changed": changed.to_dict(),
                         "demo": now.to_dict()})
        elif a.remove:
            print(f"デモデータを削除しました: 現場の声 {changed.notes}件・問い合わせ {changed.inquiries}件 / "
                  f"removed {changed.notes} demo note(s) and {changed.inquiries} demo inquiry(ies)")
        else:
            print(f"デモデータ: 現場の声 {now.notes}件・問い合わせ {now.inquiries}件 (今回追加 {changed.total}件) / "
                  f"demo logbook: {now.notes} notes, {now.inquiries} inquiries ({changed.total} added now)")
            _err("架空の会社のサンプルデータです。`soumu-desk log demo --remove` でいつでも削除できます / "
                 "sample data of a fictional company; `soumu-desk log demo --remove` removes it")
        return 0

    return with_logbook(action, args, ctx)


def _report(args: argparse.Namespace, ctx: Context) -> int:
    from desktop.reports import build_monthly_report

    def action(book: Logbook, a: argparse.Namespace) -> int:
        report = build_monthly_report(book, a.month, ctx.settings.logbook.fiscal_start(),
                                      language=ctx.settings.ui.language)
        path = report.write(Path(a.out))
        _err(f"月次報告を書きました / report written: {path}")
        return 0

    return with_logbook(action, args, ctx)
