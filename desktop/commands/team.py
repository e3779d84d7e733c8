"""`soumu-desk team`: the team logbook on PostgreSQL — set up, connect, status, migrate a PC's logbook.

- ``team setup URL`` (the database owner, once): tables, triggers, the roles ``soumu_staff`` /
  ``soumu_manager`` and their grants. Safe to run again (applies only what is missing).
- ``team connect URL`` (each staff PC): checks the server, saves the URL (without password) in settings
  and the password in the OS keyring (passphrase fallback), shows sslmode and whether TLS is in use.
- ``team status``: the server, TLS, your roles, the schema, record counts.
- ``team migrate [--to URL]``: copies this PC's logbook into the server, verified by counts and content
  hashes; the local file is kept as it is.
- ``team disconnect``: back to the single-PC logbook (the server is not touched).

The password comes from the URL, ``--password-stdin``, ``PGPASSWORD``, the keyring, or a prompt, in that
order; it is never printed. Exit codes: 0 ok, 1 failed (server, schema, verification), 2 bad input,
3 key or permission problem.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from typing import Any

from desktop.commands import COMMAND_HELP
from desktop.context import Context

HELP = COMMAND_HELP["team"]


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser("team", help=HELP, description=HELP)
    parser.set_defaults(func=lambda args, ctx: _usage(parser))
    actions = parser.add_subparsers(dest="team_command", metavar="ACTION")

    setup = actions.add_parser("setup", help="サーバーにチームのログブックを作成(所有者が一度) / create the schema and roles")
    setup.add_argument("url", metavar="URL", help="postgresql://OWNER@HOST:PORT/DBNAME")
    setup.add_argument("--password-stdin", action="store_true", help="パスワードを標準入力から / read the password from stdin")
    setup.set_defaults(func=_setup)

    connect = actions.add_parser("connect", help="このPCをチームのログブックに接続 / connect this PC to the team logbook")
    connect.add_argument("url", metavar="URL", help="postgresql://USER@HOST:PORT/DBNAME[?sslmode=require]")
    connect.add_argument("--password-stdin", action="store_true", help="パスワードを標準入力から / read the password from stdin")
    connect.add_argument("--json", action="store_true", help="状態をJSONで表示 / print the status as JSON")
    connect.set_defaults(func=_connect)

    status = actions.add_parser("status", help="接続先・TLS・権限・件数 / server, TLS, roles, counts")
    status.add_argument("--json", action="store_true", help="JSONで表示 / print JSON")
    status.set_defaults(func=_status)

    migrate = actions.add_parser("migrate", help="このPCのログブックをサーバーへコピー(検証つき) / copy this PC's logbook to the server")
    migrate.add_argument("--to", metavar="URL", default="", help="コピー先(省略時は接続中のサーバー) / target (default: the connected one)")
    migrate.add_argument("--password-stdin", action="store_true", help="パスワードを標準入力から / read the password from stdin")
    migrate.add_argument("--json", action="store_true", help="結果をJSONで表示 / print the report as JSON")
    migrate.set_defaults(func=_migrate)

    disconnect = actions.add_parser("disconnect", help="チーム接続を解除(サーバーは変更しない) / forget the team server")
    disconnect.set_defaults(func=_disconnect)


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


def _err(text: str) -> None:
    print(text, file=sys.stderr)


def _print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def _password(args: argparse.Namespace, ctx: Context, target: Any, in_url: str | None) -> str | None:
    from desktop.logbook.pg_connect import TeamPasswords

    if in_url is not None:
        return in_url
    if getattr(args, "password_stdin", False):
        return sys.stdin.readline().rstrip("\r\n")
    if os.environ.get("PGPASSWORD"):
        return os.environ["PGPASSWORD"]
    stored = TeamPasswords(ctx.home.root).load(target)
    if stored is not None:
        return stored
    if sys.stdin.isatty() and sys.stderr.isatty():
        return getpass.getpass(f"{target.user}@{target.host} のパスワード / password: ")
    return None  # libpq may still find one in ~/.pgpass


def _target(args: argparse.Namespace, ctx: Context, url: str) -> tuple[Any, str | None]:
    from desktop.logbook.pg_connect import TeamTarget

    target, in_url = TeamTarget.parse(url)
    return target, _password(args, ctx, target, in_url)


def _guard(run: Any) -> int:
    """Known failures become a message and an exit code; nothing else is caught."""
    from desktop.logbook.pg_connect import TeamConnectError
    from desktop.logbook.pg_schema import SchemaError
    from desktop.logbook.records import ValidationError
    from desktop.logbook.store import StoreError
    from desktop.secrets import SecretsError

    try:
        return int(run())
    except (TeamConnectError, SchemaError) as exc:
        _err(str(exc))
        return 1
    except ValidationError as exc:
        _err(str(exc))
        return 2
    except (SecretsError, StoreError) as exc:
        _err(str(exc))
        return 3


def _setup(args: argparse.Namespace, ctx: Context) -> int:
    def run() -> int:
        from desktop.logbook.pg_connect import connect
        from desktop.logbook.pg_schema import MANAGER_ROLE, STAFF_ROLE, migrate

        target, password = _target(args, ctx, args.url)
        with connect(target, password) as conn:
            ran = migrate(conn)
        if ran:
            print("チームのログブックを作成・更新しました / team logbook set up: " + ", ".join(ran))
        else:
            print("チームのログブックはすでに最新です / the team logbook is already up to date")
        print(
            "職員のログインは次のように作成します / create staff logins like this (psql):\n"
            f"  CREATE ROLE tanaka LOGIN PASSWORD '...' IN ROLE {STAFF_ROLE};\n"
            f"  CREATE ROLE suzuki LOGIN PASSWORD '...' IN ROLE {MANAGER_ROLE};"
        )
        return 0

    return _guard(run)


def _status_lines(st: Any, counts: dict[str, int]) -> list[str]:
    tls = f"使用中 / in use ({st.ssl_protocol})" if st.ssl_in_use else "未使用 / not in use"
    roles = [r for r, on in (("staff", st.staff), ("manager", st.manager)) if on] or ["(なし / none)"]
    return [
        f"接続先 / server: {st.url}",
        f"PostgreSQL: {st.server_version}  ユーザー / user: {st.user}",
        f"TLS: {tls}  sslmode={st.sslmode}",
        f"権限 / roles: {', '.join(roles)}",
        f"件数 / records: 現場の声 notes {counts['notes']}, 問い合わせ inquiries {counts['inquiries']}",
    ]


def _connect(args: argparse.Namespace, ctx: Context) -> int:
    def run() -> int:
        from desktop.logbook.pg_connect import TeamPasswords
        from desktop.logbook.pg_store import TeamLogbook

        target, password = _target(args, ctx, args.url)
        with TeamLogbook.open(target, password) as team:
            st = team.status()
            counts = {"notes": team.notes.count(), "inquiries": team.inquiries.count()}
        where = "なし / none"
        if password:
            where = TeamPasswords(ctx.home.root).save(target, password)
        ctx.settings.team.url = target.url
        ctx.save_settings()
        if args.json:
            _print_json({**st.to_dict(), "counts": counts, "password_stored_in": where})
        else:
            print("\n".join(["チームのログブックに接続しました / connected to the team logbook", *_status_lines(st, counts)]))
            print(f"パスワードの保存先 / password stored in: {where}")
        if not st.ssl_in_use:
            _err("注意: 通信は暗号化されていません(サーバーでTLSを有効にしてください) / note: the connection is not encrypted")
        return 0

    return _guard(run)


def _open_configured(args: argparse.Namespace, ctx: Context, url: str = "") -> Any:
    from desktop.logbook.pg_connect import TeamConnectError
    from desktop.logbook.pg_store import TeamLogbook

    url = url or ctx.settings.team.url
    if not url:
        raise TeamConnectError(
            "チームのサーバーが設定されていません。`soumu-desk team connect URL` で接続してください",
            "no team server is configured; run `soumu-desk team connect URL`",
        )
    target, password = _target(args, ctx, url)
    return TeamLogbook.open(target, password)


def _status(args: argparse.Namespace, ctx: Context) -> int:
    def run() -> int:
        with _open_configured(args, ctx) as team:
            st = team.status()
            counts = {"notes": team.notes.count(), "inquiries": team.inquiries.count()}
        if args.json:
            _print_json({**st.to_dict(), "counts": counts})
        else:
            print("\n".join(_status_lines(st, counts)))
        return 0

    return _guard(run)


def _migrate(args: argparse.Namespace, ctx: Context) -> int:
    def run() -> int:
        from desktop.logbook import Logbook
        from desktop.logbook.pg_migrate import migrate_to_team

        if not ctx.home.logbook_file.exists():
            _err("このPCにはログブックがありません / this PC has no logbook to copy")
            return 1
        with Logbook.open(ctx.home, ctx.settings.logbook, auto_backup=False) as book, \
                _open_configured(args, ctx, args.to) as team:
            report = migrate_to_team(book, team)
            url = team.target.url
        if args.json:
            _print_json({"to": url, **report.to_dict()})
        else:
            print(f"コピー先 / to: {url}")
            for k in report.kinds:
                name = "現場の声 notes" if k.kind == "notes" else "問い合わせ inquiries"
                print(
                    f"{name}: このPC {k.local} 件 → 追加 {k.added} / 更新 {k.updated} / 同じ {k.unchanged} / "
                    f"サーバーが新しい {k.skipped}; サーバー上 {k.on_server}/{k.local} 件、内容一致 {k.same_hash} 件"
                    f"(サーバー合計 {k.server_total} 件)"
                )
                for rid in k.newer_on_server:
                    print(f"  サーバー側で後から更新済み(上書きしません) / newer on the server, kept: {rid}")
                for rid in k.mismatched + k.missing:
                    print(f"  一致しません / does not match: {rid}")
            pr = report.prompts
            if pr:
                print(f"プロンプト集 prompts: このPC {pr['local']} 件 → 追加 {pr['added']} / 更新 {pr['updated']} / "
                      f"同じ {pr['unchanged']}")
            print("このPCのログブックはそのまま残っています / this PC's logbook file was not changed")
        if report.verified:
            _err("検証OK: 件数と内容ハッシュが一致しました / verified: counts and content hashes match")
            return 0
        _err("検証NG: 一致しない記録があります(上の一覧) / NOT verified: some records do not match (listed above)")
        return 1

    return _guard(run)


def _disconnect(args: argparse.Namespace, ctx: Context) -> int:
    ctx.settings.team.url = ""
    ctx.save_settings()
    print("チーム接続を解除しました(このPCのログブックを使います) / disconnected: this PC's logbook is used")
    return 0
