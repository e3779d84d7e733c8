"""DESIGN.md §7: no socket is opened and no name is looked up at run time, by us or by a library we call.

The main flows run in this process under a Python audit hook that records every network attempt:
index, search, ask with the real tiny model, logbook add/list/export, and every UI page (the screenshots
command builds and renders them all). Any attempt fails the test.
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


def _hook(event: str, args: tuple[Any, ...]) -> None:
    if not _armed:
        return
    if event in NETWORK_EVENTS:
        _attempts.append(f"{event} {args!r:.200}")
    elif event == "socket.connect":
        sock = args[0]
        # local IPC (AF_UNIX) is not the network; any IP connection is
        if getattr(sock, "family", None) in (socket.AF_INET, socket.AF_INET6):
            _attempts.append(f"{event} {args[1]!r}")


sys.addaudithook(_hook)  # audit hooks cannot be removed: it is armed only inside `no_network()`


@contextlib.contextmanager
def no_network() -> Iterator[list[str]]:
    global _armed
    _attempts.clear()
    _armed = True
    try:
        yield _attempts
    finally:
        _armed = False


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
        assert answer["model"]
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
