"""The model-server backend against a real ``python -m llama_cpp.server`` with the tiny model (no mocks):
connect, model name, stream, cancel within a token's time, JSON-schema output, an unreachable server and a
server that goes away and comes back."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from local_models import ModelError, RuntimeConfig
from local_models.server_backend import ServerBackend, api_base, server_host
from tests.model_server import SERVER_N_CTX, ModelServer, free_port, model_server, running_model_server  # noqa: F401

pytestmark = pytest.mark.model

CONFIG = RuntimeConfig(n_ctx=SERVER_N_CTX, temperature=0.0, max_tokens=48)
ASK = [{"role": "user", "content": "Write a long story about a cat who travels the world."}]
TINY_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"


@pytest.fixture
def backend(model_server: ModelServer) -> Iterator[ServerBackend]:  # noqa: F811
    b = ServerBackend(model_server.url, CONFIG)
    b.load()
    assert b.wait_until_loaded(30), b.error
    yield b
    b.close()
    assert all(not t.is_alive() for t in b._readers)
    assert b._monitor is not None and not b._monitor.is_alive()


def test_urls_and_hosts() -> None:
    assert api_base("http://10.0.0.5:8080") == "http://10.0.0.5:8080/v1"
    assert api_base(" http://10.0.0.5:8080/v1/ ") == "http://10.0.0.5:8080/v1"
    assert server_host("http://gpu-box:11434/v1") == ("gpu-box", 11434)
    assert server_host("https://llm.example.jp") == ("llm.example.jp", 443)
    for bad in ("10.0.0.5:8080", "ftp://x", "http://"):
        with pytest.raises(ModelError) as exc:
            api_base(bad)
        assert exc.value.code == "bad_url"


def test_connects_and_names_the_servers_model(model_server: ModelServer) -> None:  # noqa: F811
    states: list[str] = []
    b = ServerBackend(model_server.url + "/v1", CONFIG)
    b.on_state(lambda state, error: states.append(state))
    assert b.state == "none"
    b.load()  # returns at once
    try:
        assert b.wait_until_loaded(30), b.error
    finally:
        b.close()
    assert states == ["loading", "ready"]
    assert b.model_name == TINY_NAME  # llama_cpp.server names it by its path
    assert b.n_ctx == SERVER_N_CTX and b.host == "127.0.0.1"


def test_stream_yields_pieces(backend: ServerBackend) -> None:
    stream = backend.chat(ASK, max_tokens=16)
    pieces = list(stream)
    assert len(pieces) > 3 and "".join(pieces).strip()
    assert stream.stats.generated_tokens == len(pieces) <= 16
    assert stream.stats.finish_reason in ("length", "stop")


def test_cancel_ends_the_stream_within_a_token_and_stops_the_server(
    backend: ServerBackend, model_server: ModelServer  # noqa: F811
) -> None:
    disconnects = model_server.log_text().count("Disconnected from client")
    cancel = threading.Event()
    stream = backend.chat(ASK, max_tokens=1500, cancel=cancel)
    next(stream)  # the prompt is read; tokens flow
    stamps = []
    for _ in range(6):
        next(stream)
        stamps.append(time.perf_counter())
    token_time = max(b - a for a, b in zip(stamps, stamps[1:], strict=False))
    cancel.set()
    t0 = time.perf_counter()
    rest = list(stream)
    waited = time.perf_counter() - t0
    assert rest == [] and stream.stats.cancelled
    assert waited <= max(token_time, 0.05), (waited, token_time)
    # The reader closes the connection at the next token; llama_cpp.server then stops generating.
    deadline = time.monotonic() + 10
    while model_server.log_text().count("Disconnected from client") == disconnects and time.monotonic() < deadline:
        time.sleep(0.05)
    assert model_server.log_text().count("Disconnected from client") == disconnects + 1
    assert stream.stats.generated_tokens < 1500
    # and the server is free for the next request at once
    t1 = time.perf_counter()
    assert backend.chat([{"role": "user", "content": "Say hi."}], max_tokens=4).text().strip()
    assert time.perf_counter() - t1 < 10


def test_closing_the_stream_early_frees_the_server(backend: ServerBackend) -> None:
    stream = backend.chat(ASK, max_tokens=1500)
    next(stream)
    stream.close()
    assert list(stream) == []
    assert backend.chat([{"role": "user", "content": "Say hi."}], max_tokens=4).text().strip()


def test_complete_json_follows_the_schema(backend: ServerBackend) -> None:
    schema = {
        "type": "object",
        "properties": {"category": {"type": "string", "enum": ["空調", "清掃", "備品"]},
                       "urgent": {"type": "boolean"}},
        "required": ["category", "urgent"],
    }
    messages = [{"role": "user", "content": "Classify: the meeting room is too cold."}]
    value = backend.complete_json(messages, schema, max_tokens=40, timeout=60)
    assert value["category"] in ("空調", "清掃", "備品") and isinstance(value["urgent"], bool)
    # llama_cpp.server refuses the OpenAI json_schema form; the backend remembers llama.cpp's form
    assert backend._json_style == "json_object"
    again = backend.complete_json(messages, schema, max_tokens=40, timeout=60)
    assert set(again) == {"category", "urgent"}


def test_unreachable_server_is_an_error_state_not_a_crash() -> None:
    port = free_port()  # nothing listens there
    b = ServerBackend(f"http://127.0.0.1:{port}", CONFIG, connect_timeout=1.0)
    b.load()
    try:
        assert not b.wait_until_loaded(10)
        assert b.state == "error" and b.error is not None and b.error.code == "unreachable"
        assert f"127.0.0.1:{port}" in b.error.message_ja
        with pytest.raises(ModelError) as exc:
            b.chat(ASK)
        assert exc.value.code == "unreachable"
    finally:
        b.close()
    with pytest.raises(ModelError) as exc:
        b.load()
    assert exc.value.code == "closed"


def test_a_server_that_goes_away_and_comes_back(tiny_model: Path, tmp_path: Path) -> None:
    # The server's default settings (interrupt_requests on): the backend's own health probes, every 0.2 s
    # here, must not cut its streams short.
    with running_model_server(tiny_model, tmp_path / "a.log", n_ctx=1024, interrupt_requests=True) as first:
        b = ServerBackend(first.url, CONFIG, probe_interval=0.2, connect_timeout=1.0)
        b.load()
        assert b.wait_until_loaded(30), b.error
        stream = b.chat(ASK, max_tokens=40)
        assert stream.text().strip() and stream.stats.finish_reason, "the probes interrupted the stream"
        port = first.port
    try:
        # the server is gone: a request fails cleanly and the state says why
        with pytest.raises(ModelError) as exc:
            b.chat(ASK, max_tokens=4).text()
        assert exc.value.code == "unreachable"
        assert b.state == "error"
        # the same port again: the monitor notices within a probe interval
        with running_model_server(tiny_model, tmp_path / "b.log", n_ctx=1024, port=port, interrupt_requests=True):
            deadline = time.monotonic() + 10
            while b.state != "ready" and time.monotonic() < deadline:
                time.sleep(0.05)
            assert b.state == "ready"
            assert b.chat([{"role": "user", "content": "Say hi."}], max_tokens=4).text().strip()
            # another client's request makes this server cut a running stream short: an error, so the
            # pipeline gives the extractive answer instead of a truncated one
            stream = b.chat(ASK, max_tokens=400)
            next(stream)
            with httpx.Client(trust_env=False) as other:
                other.get(f"http://127.0.0.1:{port}/v1/models")
            with pytest.raises(ModelError) as exc:
                stream.text()
            assert exc.value.code == "interrupted"
    finally:
        b.close()
