"""A real OpenAI-compatible model server for tests: ``python -m llama_cpp.server`` with the tiny test model on
a free 127.0.0.1 port, started once per test session and stopped afterwards (no mocks).

Test modules that need it import the fixture: ``from tests.model_server import model_server  # noqa: F401``.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.conftest import TINY_MODEL

SERVER_N_CTX = 4096  # the settings' default model.n_ctx, so both backends fit the same passages


@dataclass(frozen=True)
class ModelServer:
    url: str  # http://127.0.0.1:PORT (no /v1)
    port: int
    log: Path  # the server's stdout and stderr ("Disconnected from client" is printed when a stream is cut)
    process: subprocess.Popen[bytes]

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def running_model_server(model: Path, log: Path, n_ctx: int = SERVER_N_CTX, port: int = 0,
                         interrupt_requests: bool = False, timeout: float = 120.0) -> Iterator[ModelServer]:
    """The server as docs/ARCHITECTURE.md tells a team to start it (``--interrupt_requests False``: one
    user's request must not cut another's answer short); ``interrupt_requests=True`` is the server's
    default."""
    port = port or free_port()
    env = dict(os.environ, OMP_WAIT_POLICY="PASSIVE")
    cmd = [sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--host", "127.0.0.1",
           "--port", str(port), "--n_ctx", str(n_ctx), "--n_threads", "1", "--n_threads_batch", "2",
           "--interrupt_requests", str(interrupt_requests)]
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env)
    server = ModelServer(f"http://127.0.0.1:{port}", port, log, proc)
    try:
        deadline = time.monotonic() + timeout
        with httpx.Client(trust_env=False, timeout=2.0) as client:
            while True:
                if proc.poll() is not None:
                    pytest.fail(f"the model server exited ({proc.returncode}):\n{server.log_text()[-3000:]}")
                with contextlib.suppress(httpx.HTTPError):
                    if client.get(f"{server.url}/v1/models").status_code == 200:
                        break
                if time.monotonic() > deadline:
                    pytest.fail(f"the model server did not start in {timeout:.0f} s:\n{server.log_text()[-3000:]}")
                time.sleep(0.2)
        yield server
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


@pytest.fixture(scope="session")
def model_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModelServer]:
    if not TINY_MODEL.exists():
        pytest.fail(f"test model missing: {TINY_MODEL} — run `make test` (it fetches it)")
    log = tmp_path_factory.mktemp("model_server") / "server.log"
    with running_model_server(TINY_MODEL, log) as server:
        yield server
