"""Reaching the team logbook's server: the URL, its password (keyring, passphrase fallback), TLS, status.

- The URL (``postgresql://user@host:port/dbname?sslmode=…``) is kept in settings *without* its password;
  the password goes to the OS keyring (service ``soumu-desk``, user ``team:<user>@<host>:<port>/<db>``).
  Where there is no keyring, it is wrapped (AES-GCM under scrypt, desktop/secrets.py) by the logbook
  passphrase in ``team_passwords.json`` in the data home — said, never silent, never plain text.
- TLS: libpq's default ``sslmode=prefer`` uses TLS whenever the server offers it; :func:`server_status`
  shows the mode in force and whether this connection is encrypted. ``?sslmode=require`` (or
  ``verify-full`` with a CA) in the URL makes it mandatory.
- Only the host in the URL is contacted (DESIGN.md §7), with a short connect timeout.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import keyring
import keyring.errors
import psycopg
from cryptography.exceptions import InvalidTag
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from desktop.logbook.pg_schema import MANAGER_ROLE, SCHEMA, STAFF_ROLE, applied
from desktop.secrets import (
    ENV_PASSPHRASE,
    SERVICE,
    AskPassphrase,
    NoPassphraseError,
    SecretsError,
    WrongSecretError,
    keyring_status,
    unwrap,
    wrap,
)

log = logging.getLogger(__name__)

PASSWORDS_FILE = "team_passwords.json"
CONNECT_TIMEOUT_S = 5
DEFAULT_PORT = "5432"


class TeamConnectError(SecretsError):
    """The server could not be reached or refused us; ``str()`` is Japanese with English alongside."""


@dataclass(frozen=True)
class TeamTarget:
    """Where the team logbook lives, without the password."""

    host: str
    dbname: str
    user: str
    port: str = DEFAULT_PORT
    params: Mapping[str, str] = field(default_factory=dict)  # sslmode, sslrootcert, … as given

    @classmethod
    def parse(cls, url: str) -> tuple[TeamTarget, str | None]:
        """The target and the password the URL carried (``None`` when it had none)."""
        try:
            parts = conninfo_to_dict(url.strip())
        except psycopg.ProgrammingError as exc:
            raise TeamConnectError(
                f"サーバーのURLを読み取れません: {exc}", f"cannot parse the server URL: {exc}"
            ) from None
        password = parts.pop("password", None)
        host = str(parts.pop("host", "") or "")
        user = str(parts.pop("user", "") or "")
        dbname = str(parts.pop("dbname", "") or "")
        port = str(parts.pop("port", "") or DEFAULT_PORT)
        if not host or not user or not dbname:
            raise TeamConnectError(
                "URLにはホスト・ユーザー・データベースが必要です(例 postgresql://tanaka@192.168.1.20:5432/soumu)",
                "the URL needs a host, a user and a database (e.g. postgresql://tanaka@192.168.1.20:5432/soumu)",
            )
        params = {k: str(v) for k, v in parts.items() if v is not None}
        return cls(host=host, dbname=dbname, user=user, port=port, params=params), (
            None if password is None else str(password)
        )

    @property
    def url(self) -> str:
        """The URL as shown and saved: never with a password."""
        query = "&".join(f"{k}={v}" for k, v in sorted(self.params.items()))
        return f"postgresql://{self.user}@{self.host}:{self.port}/{self.dbname}" + (f"?{query}" if query else "")

    @property
    def ident(self) -> str:
        return f"team:{self.user}@{self.host}:{self.port}/{self.dbname}"

    def conninfo(self, password: str | None) -> str:
        extra: dict[str, Any] = dict(self.params)
        if password is not None:
            extra["password"] = password
        extra.setdefault("connect_timeout", CONNECT_TIMEOUT_S)
        extra.setdefault("application_name", "soumu-desk")
        return make_conninfo(
            "",
            host=self.host,
            port=self.port,
            dbname=self.dbname,
            user=self.user,
            options=f"-c search_path={SCHEMA},public",
            **extra,
        )


def connect(target: TeamTarget, password: str | None, *, autocommit: bool = True) -> psycopg.Connection:
    """One connection; Japanese + English :class:`TeamConnectError` when it fails (no password in it)."""
    try:
        return psycopg.connect(target.conninfo(password), autocommit=autocommit)
    except psycopg.OperationalError as exc:
        detail = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
        if password:
            detail = detail.replace(password, "***")
        raise TeamConnectError(
            f"サーバー {target.host}:{target.port} に接続できません({detail})",
            f"cannot connect to {target.host}:{target.port} ({detail})",
        ) from None


# --- the password -----------------------------------------------------------------------------------


class TeamPasswords:
    """The team server's password for one data home: OS keyring, else wrapped by the passphrase."""

    def __init__(
        self, home: Path, *, ask_passphrase: AskPassphrase | None = None, environ: Mapping[str, str] | None = None
    ) -> None:
        self.home = Path(home)
        self._ask = ask_passphrase
        self._environ = environ if environ is not None else os.environ

    @property
    def file(self) -> Path:
        return self.home / PASSWORDS_FILE

    def save(self, target: TeamTarget, password: str) -> str:
        """Store it; returns ``"keyring"`` or ``"passphrase"`` (where it went)."""
        usable, _reason = keyring_status()
        if usable:
            try:
                keyring.set_password(SERVICE, target.ident, password)
                self._drop_wrapped(target)
                return "keyring"
            except keyring.errors.KeyringError:
                log.warning("team password: the keyring refused it; wrapping it by the passphrase instead")
        log.warning("team password: no usable keyring; wrapped by the passphrase")
        data = self._load()
        data[target.ident] = wrap(password.encode("utf-8"), self._passphrase().encode("utf-8"), target.ident)
        self._write(data)
        return "passphrase"

    def load(self, target: TeamTarget) -> str | None:
        usable, _reason = keyring_status()
        if usable:
            try:
                stored = keyring.get_password(SERVICE, target.ident)
            except keyring.errors.KeyringError:
                stored = None
            if stored:
                return stored
        blob = self._load().get(target.ident)
        if blob is None:
            return None
        try:
            return unwrap(blob, self._passphrase().encode("utf-8"), target.ident).decode("utf-8")
        except InvalidTag:
            raise WrongSecretError("パスフレーズが違います", "wrong passphrase") from None

    def _passphrase(self) -> str:
        env = self._environ.get(ENV_PASSPHRASE)
        if env:
            return env
        if self._ask is not None:
            answer = self._ask("ログブックのパスフレーズ / logbook passphrase")
            if answer:
                return answer
        raise NoPassphraseError(
            f"OSのキーリングが使えません。環境変数 {ENV_PASSPHRASE} でパスフレーズを指定してください",
            f"no OS keyring is available; set the passphrase in {ENV_PASSPHRASE}",
        )

    def _load(self) -> dict[str, Any]:
        if not self.file.exists():
            return {}
        try:
            data = json.loads(self.file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise SecretsError(f"{PASSWORDS_FILE} を読めません", f"cannot read {PASSWORDS_FILE}") from exc
        return data if isinstance(data, dict) else {}

    def _drop_wrapped(self, target: TeamTarget) -> None:
        data = self._load()
        if data.pop(target.ident, None) is not None:
            self._write(data)

    def _write(self, data: dict[str, Any]) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".team-", suffix=".tmp", dir=self.home)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(data, fh, indent=2)
            if os.name == "posix":
                os.chmod(tmp, 0o600)
            os.replace(tmp, self.file)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


# --- status ------------------------------------------------------------------------------------------


@dataclass
class ServerStatus:
    """What `team status` and the 設定 page show."""

    url: str
    server_version: str
    user: str
    sslmode: str
    ssl_in_use: bool
    ssl_protocol: str
    staff: bool
    manager: bool
    migrations: list[str]

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def conninfo_value(conn: psycopg.Connection, keyword: str) -> str:
    """A connection option in force, defaults included (``sslmode`` is ``prefer`` unless the URL says)."""
    for option in conn.pgconn.info:
        if option.keyword.decode() == keyword:
            value = option.val if option.val is not None else option.compiled
            return value.decode() if value is not None else ""
    return ""


def has_role(conn: psycopg.Connection, role: str) -> bool:
    row = conn.execute(
        "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = %s) AND pg_has_role(session_user, "
        "(SELECT oid FROM pg_roles WHERE rolname = %s), 'MEMBER')",
        [role, role],
    ).fetchone()
    return bool(row and row[0])


def server_status(conn: psycopg.Connection, target: TeamTarget) -> ServerStatus:
    ssl = conn.execute("SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()").fetchone()
    version = conn.execute("SHOW server_version").fetchone()
    user = conn.execute("SELECT session_user").fetchone()
    return ServerStatus(
        url=target.url,
        server_version=str(version[0]) if version else "",
        user=str(user[0]) if user else "",
        sslmode=conninfo_value(conn, "sslmode") or "prefer",
        ssl_in_use=bool(ssl and ssl[0]),
        ssl_protocol=str(ssl[1]) if ssl and ssl[0] else "",
        staff=has_role(conn, STAFF_ROLE),
        manager=has_role(conn, MANAGER_ROLE),
        migrations=applied(conn),
    )
