"""DESIGN.md §7: no socket is opened and no name is looked up at run time, by us or by a library we call.

The main flows run in this process under a Python audit hook that records every network attempt:
index, search, ask with the real tiny model, logbook add/list/export, and every UI page (the screenshots
command builds and renders them all). Any attempt fails the test.

Team mode: the hook is armed with the hosts the app's settings name (``desktop.services.allowed_hosts``);
those are let through, anything else is refused (the hook raises) and recorded.
"""

from __future__ import annotations

import contextlib
import json
import socket
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from desktop.cli import main
from tests.desktop.pg_fixtures import TeamServer, pg_cluster, team_server  # noqa: F401
from tests.model_server import ModelServer, model_server  # noqa: F401

NETWORK_EVENTS = {
    "socket.getaddrinfo",
    "socket.gethostbyname",
    "socket.gethostbyaddr",
    "socket.getnameinfo",
    "socket.sendto",
    "urllib.Request",
    "http.client.connect",
    "ftplib.connect",
    "smtplib.connect",
}
_attempts: list[str] = []
_armed = False
_allowed: set[tuple[str, int]] = set()  # team mode: the configured hosts


def _is_allowed(host: Any, port: Any) -> bool:
    with contextlib.suppress(TypeError, ValueError):
        host = host.decode() if isinstance(host, bytes) else str(host)
        return (host, int(port)) in _allowed
    return False


def _attempt(what: str) -> None:
    _attempts.append(what)
    if _allowed:
        raise PermissionError(f"refused by the privacy guard (not a configured host): {what}")


def _hook(event: str, args: tuple[Any, ...]) -> None:
    if not _armed:
        return
    if event in NETWORK_EVENTS:
        if event == "socket.getaddrinfo" and _is_allowed(args[0], args[1]):
            return
        _attempt(f"{event} {args!r:.200}")
    elif event == "socket.connect":
        sock = args[0]
        # local IPC (AF_UNIX) is not the network; any IP connection is
        if getattr(sock, "family", None) in (socket.AF_INET, socket.AF_INET6):
            address = args[1]
            if isinstance(address, tuple) and _is_allowed(address[0], address[1]):
                return
            _attempt(f"{event} {address!r}")


sys.addaudithook(_hook)  # audit hooks cannot be removed: it is armed only inside `no_network()`


@contextlib.contextmanager
def no_network(allow: set[tuple[str, int]] | None = None) -> Iterator[list[str]]:
    """Record every network attempt; with ``allow`` (team mode), let those hosts through and refuse the rest."""
    global _armed
    _attempts.clear()
    _allowed.clear()
    _allowed.update(allow or ())
    _armed = True
    try:
        yield _attempts
    finally:
        _armed = False
        _allowed.clear()


def test_the_hook_sees_a_connection_attempt() -> None:
    with no_network() as attempts:
        with contextlib.suppress(OSError):
            socket.getaddrinfo("example.invalid", 80)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s, contextlib.suppress(OSError):
            s.settimeout(0.01)
            s.connect(("127.0.0.1", 9))
    assert any("getaddrinfo" in a for a in attempts)
    assert any("socket.connect" in a for a in attempts)


# the offscreen platform plugin says this about every top-level window; it is not our warning
@pytest.mark.qt_log_ignore("does not support propagateSizeHints")
def test_main_flows_open_no_socket(
    tmp_path: Path, demo_kb: Path, tiny_model: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    home = str(tmp_path / "home")
    out_csv = tmp_path / "notes.csv"
    shots = tmp_path / "shots"
    with no_network() as attempts:
        assert main(["--home", home, "kb", "index", str(demo_kb)]) == 0
        assert main(["--home", home, "kb", "search", "慶弔休暇", "--json"]) == 0
        hits = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
        assert hits, "the demo knowledge base should answer 慶弔休暇"
        assert main(["--home", home, "ask", "慶弔休暇は何日ですか", "--model", str(tiny_model), "--json"]) == 0
        answer = json.loads(capsys.readouterr().out)
        # the model wrote a draft (kept, or replaced by the extracts after the citation check): it really ran
        assert answer["grounded"] and (answer["model"] or answer["draft_discarded"])
        assert main(["--home", home, "log", "add", "note", "--place", "会議室B", "--department", "営業部",
                     "--category", "空調・照明・騒音", "--severity", "中", "--text", "午後は寒い"]) == 0
        assert main(["--home", home, "log", "list", "notes", "--json"]) == 0
        assert main(["--home", home, "log", "export", "notes", "--format", "csv", "--out", str(out_csv)]) == 0
        assert main(["--home", home, "models", "use", str(tiny_model)]) == 0  # the screenshots use it
        assert main(["--home", home, "models", "list", "--json"]) == 0
        assert main(["--home", home, "screenshots", str(shots)]) == 0
    assert out_csv.exists()
    assert len(list(shots.glob("*.png"))) >= 9
    assert attempts == [], "network attempts at run time:\n" + "\n".join(attempts)


@pytest.mark.model
def test_team_mode_talks_to_the_configured_model_server_only(
    tmp_path: Path, demo_kb: Path, model_server: ModelServer, capsys: pytest.CaptureFixture[str]  # noqa: F811
) -> None:
    from desktop.services import allowed_hosts
    from desktop.settings import Settings

    home = tmp_path / "home"
    assert main(["--home", str(home), "kb", "index", str(demo_kb)]) == 0
    assert main(["--home", str(home), "models", "server", model_server.url, "--no-check"]) == 0
    settings_file = home / "settings.json"
    settings = Settings.load(settings_file)
    settings.model.temperature, settings.model.max_tokens = 0.0, 24
    settings.save(settings_file)
    allow = allowed_hosts(settings)
    assert allow == {("127.0.0.1", model_server.port)}
    capsys.readouterr()
    # the configured host is allowed: the answer comes through the model server
    with no_network(allow) as attempts:
        assert main(["--home", str(home), "models", "server", model_server.url]) == 0  # checks the server
        assert main(["--home", str(home), "ask", "結婚祝金はいくらですか？", "-k", "3", "--json"]) == 0
    assert attempts == [], "network attempts other than the model server:\n" + "\n".join(attempts)
    out = capsys.readouterr().out
    answer = json.loads(out.strip().splitlines()[-1])
    assert answer["grounded"] and (answer["model"] or answer["draft_discarded"])
    # anything else is refused: the same app pointed at another host (here another port) gets no
    # connection, says why and answers from the passages
    elsewhere = ("127.0.0.1", model_server.port + 1 if model_server.port < 65535 else model_server.port - 1)
    settings.model.server_url = f"http://{elsewhere[0]}:{elsewhere[1]}"
    settings.save(settings_file)
    with no_network(allow) as attempts:
        assert main(["--home", str(home), "ask", "結婚祝金はいくらですか？", "-k", "3", "--json"]) == 0
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s, pytest.raises(PermissionError):
            s.connect(("192.0.2.1", 80))  # TEST-NET-1: never reached, the guard refuses first
    assert attempts and all(str(elsewhere[1]) in a or "192.0.2.1" in a for a in attempts), attempts
    answer = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert answer["grounded"] and answer["model"] is None and "30,000円" in answer["answer"]


def test_team_logbook_mode_talks_to_the_configured_database_only(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], team_server: TeamServer  # noqa: F811
) -> None:
    """The team logbook: the app's own Python code opens no socket but to the configured host. libpq (in C)
    makes the PostgreSQL connection itself, out of the audit hook's sight, so the test also checks that every
    connection the app holds goes to the configured host and port."""
    from desktop.context import Context
    from desktop.logbook.team_book import TeamBook
    from desktop.services import Services, allowed_hosts
    from tests.desktop.test_team_book import connect_home

    ctx = connect_home(tmp_path / "pc", team_server, "alice")
    allow = allowed_hosts(ctx.settings)
    assert allow == {("127.0.0.1", team_server.cluster.port)}
    home = str(ctx.home.root)
    with no_network(allow) as attempts:
        assert main(["--home", home, "log", "add", "note", "--text", "チームの記録: 会議室の鍵が見当たらない"]) == 0
        assert main(["--home", home, "log", "list", "notes", "--json"]) == 0
        services = Services(Context.open(home))
        try:
            book = services.logbook
            assert isinstance(book, TeamBook)
            assert [n.text for n in book.notes.list()] == ["チームの記録: 会議室の鍵が見当たらない"]
            book.sync()
            for conn in book._remote().db._all:
                assert (conn.info.host, conn.info.port) == ("127.0.0.1", team_server.cluster.port)
        finally:
            services.close()
    assert attempts == [], "network attempts other than the team's database:\n" + "\n".join(attempts)
    assert "会議室の鍵" in capsys.readouterr().out
