"""The team backend: an OpenAI-compatible model server (llama.cpp's ``llama-server`` or
``python -m llama_cpp.server``, vLLM, Ollama) behind the interface of :class:`~local_models.runtime.ModelRuntime`.

The grounded-answer pipeline (``desktop/answering.py``) uses ``state``, ``n_ctx``, ``model_name``,
``chat(messages, cancel=..., prefix_messages=...)`` and the stream's iteration and ``close()``; the logbook
analysis uses ``complete_json``. This class offers exactly those, so either backend can be handed to it.

Decisions:

- **Stop within a token.** One reader thread per request owns the HTTP response and hands pieces over a
  queue; it checks the cancel event after every streamed chunk and then closes the connection, which is how
  an OpenAI-compatible server learns to stop generating. The consumer waits on the queue in short slices
  and returns as soon as cancel is set, even while the server is still evaluating a long prompt.
- **JSON-schema output.** The OpenAI form (``response_format={"type": "json_schema", ...}``: llama-server,
  vLLM, Ollama) is tried first; a server that refuses it (400/422, as ``llama_cpp.server`` does) gets
  llama.cpp's form ``{"type": "json_object", "schema": ...}``, and the choice is remembered.
- **Only the configured host.** ``trust_env=False``: a proxy set in the environment must not route the
  office's questions through another machine (DESIGN.md §7).
- **The server may go away.** A monitor thread asks ``/v1/models`` every ``probe_interval`` seconds; the
  state goes to ``error`` (code ``unreachable``) while the server is down — the answer pipeline then gives
  the extractive answer — and back to ``ready`` when it answers again.
"""

from __future__ import annotations

import contextlib
import json
import logging
import queue
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

import httpx

from local_models.gguf_info import GgufInfo
from local_models.runtime import (
    END_OF_STREAM,
    Message,
    ModelError,
    QueueStream,
    RuntimeConfig,
    StateCallback,
    StreamStats,
    check_backend_usable,
    closed_error,
    parse_json_object,
)

log = logging.getLogger(__name__)

POLL_S = 0.02  # how often a waiting consumer looks at its cancel event


def _unreachable(url: str, exc: BaseException | None = None) -> ModelError:
    detail = f" ({type(exc).__name__})" if exc is not None else ""
    return ModelError(
        f"モデルサーバーに接続できません: {url}", f"cannot reach the model server: {url}{detail}", "unreachable"
    )


def api_base(url: str) -> str:
    """``http://host:port`` or ``http://host:port/v1`` → ``http://host:port/v1`` (no trailing slash)."""
    url = url.strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ModelError(
            f"モデルサーバーのURLが正しくありません（http://ホスト:ポート の形）: {url}",
            f"the model server URL is not valid (expected http://host:port): {url}",
            "bad_url",
        )
    return url if parts.path.endswith("/v1") else url + "/v1"


def server_host(url: str) -> tuple[str, int]:
    """The (host, port) a model server URL connects to (for the team-mode allow list)."""
    parts = urlsplit(api_base(url))
    return str(parts.hostname), parts.port or (443 if parts.scheme == "https" else 80)


@dataclass
class _Request:
    body: dict[str, Any]
    cancel: threading.Event
    out: queue.SimpleQueue[Any] = field(default_factory=queue.SimpleQueue)
    stats: StreamStats = field(default_factory=StreamStats)


class ServerStream(QueueStream):
    """The server backend's stream: the consumer returns within ``POLL_S`` of a cancel, and the reader
    thread closes the connection at the next streamed token, which stops the server's generation."""

    poll_s = POLL_S

    def __init__(self, request: _Request) -> None:
        super().__init__(request.out, request.cancel, request.stats)


class ServerBackend:
    """A model on an OpenAI-compatible server; a drop-in for :class:`ModelRuntime`. See the module docstring."""

    def __init__(
        self, url: str, config: RuntimeConfig | None = None, *, model: str = "", probe_interval: float = 15.0,
        connect_timeout: float = 3.0, read_timeout: float = 120.0,
    ) -> None:
        self.config = config or RuntimeConfig()
        self.url = api_base(url)
        self.requested_model = model
        self.probe_interval = probe_interval
        self.probe_timeout = httpx.Timeout(10.0, connect=connect_timeout)
        self._client = httpx.Client(
            base_url=self.url,
            timeout=httpx.Timeout(read_timeout, connect=connect_timeout),
            trust_env=False,
            headers={"Accept": "application/json"},
        )
        self._lock = threading.Lock()
        self._callbacks: list[StateCallback] = []
        self._state = "none"
        self._error: ModelError | None = None
        self._model = model
        self._n_ctx = 0
        self._json_style = "json_schema"
        self._closing = threading.Event()
        self._wake = threading.Event()
        self._probed = threading.Event()
        self._monitor: threading.Thread | None = None
        self._readers: set[threading.Thread] = set()

    # ----- the ModelRuntime surface -----

    @property
    def state(self) -> str:
        return self._state

    @property
    def error(self) -> ModelError | None:
        return self._error

    @property
    def info(self) -> GgufInfo | None:
        return None  # the file lives on the server

    @property
    def model_path(self) -> Path | None:
        return None

    @property
    def model_name(self) -> str:
        """The server's name for its model (a path-like id is shortened to its file name)."""
        name = self._model
        if name.lower().endswith(".gguf"):
            name = PurePosixPath(name.replace("\\", "/")).name
        return name

    @property
    def host(self) -> str:
        return str(urlsplit(self.url).hostname)

    @property
    def n_ctx(self) -> int:
        return self._n_ctx or self.config.n_ctx

    def on_state(self, callback: StateCallback) -> None:
        self._callbacks.append(callback)

    def load(self, path: str | Path | None = None) -> None:
        """Connect in the background (the server has its own model; ``path`` is ignored). Watch :attr:`state`."""
        if self._closing.is_set():
            raise closed_error()
        if self._monitor is None:
            self._set_state("loading", None)
            self._monitor = threading.Thread(target=self._watch, name="model-server-monitor", daemon=True)
            self._monitor.start()
        else:
            self._wake.set()

    def wait_until_loaded(self, timeout: float | None = None) -> bool:
        if self._state == "loading":
            self._probed.wait(timeout)
        return self._state == "ready"

    def chat(
        self, messages: Sequence[Message], *, max_tokens: int | None = None, temperature: float | None = None,
        cancel: threading.Event | None = None, prefix_messages: int = 0, watch: str | None = None,
    ) -> ServerStream:
        """Start a streamed chat request; ``prefix_messages`` is accepted for parity (the server keeps its
        own prompt cache), and so is ``watch``: a server does not report the prompt's own logits, so
        ``stats.lead_logprob`` stays None and the answer pipeline decides without that judgment."""
        self._check_usable()
        body = self._body(messages, max_tokens or self.config.max_tokens,
                          self.config.temperature if temperature is None else temperature)
        body["stream"] = True
        request = _Request(body, cancel or threading.Event())
        reader = threading.Thread(target=self._read, args=(request,), name="model-server-stream", daemon=True)
        with self._lock:
            self._readers = {t for t in self._readers if t.is_alive()}
            self._readers.add(reader)
        reader.start()
        return ServerStream(request)

    def complete_json(
        self, messages: Sequence[Message], schema: dict[str, Any], *, max_tokens: int = 256,
        timeout: float | None = None,
    ) -> dict[str, Any]:
        """An answer constrained to ``schema`` by the server's grammar; returns the parsed object."""
        self._check_usable()
        for style in dict.fromkeys((self._json_style, "json_object")):
            body = self._body(messages, max_tokens, 0.0)
            body["response_format"] = _response_format(style, schema)
            resp = self._post(body, timeout)
            if style == "json_schema" and _refuses_json_schema(resp):
                log.info("model server refused json_schema (%d); using json_object with a schema", resp.status_code)
                self._json_style = "json_object"
                continue
            if resp.status_code >= 400:
                raise _http_error(resp)
            text = ((resp.json().get("choices") or [{}])[0].get("message") or {}).get("content") or ""
            return parse_json_object(text)
        raise ModelError("JSON出力に対応していないサーバーです", "the server supports no JSON-schema output", "json")

    def call(self, func: Any, timeout: float | None = None) -> Any:
        raise ModelError("モデルサーバーでは使えない操作です", "not available with a model server", "unsupported")

    def clear_cache(self) -> None:
        """Nothing to clear here: the server manages its own prompt cache."""

    def close(self, timeout: float = 5.0) -> None:
        """Stop running streams, stop the monitor and close the connection pool."""
        if self._closing.is_set():
            return
        self._closing.set()
        self._wake.set()
        with self._lock:
            readers = list(self._readers)
        for t in readers:
            t.join(timeout)
        if self._monitor is not None:
            self._monitor.join(timeout)
        self._client.close()

    def __enter__(self) -> ServerBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ----- requests -----

    def _check_usable(self) -> None:
        check_backend_usable(self._state, self._error or _unreachable(self.url), self._closing.is_set())

    def _body(self, messages: Sequence[Message], max_tokens: int, temperature: float) -> dict[str, Any]:
        body: dict[str, Any] = {
            "messages": [dict(m) for m in messages], "max_tokens": max_tokens, "temperature": temperature,
        }
        if self._model:
            body["model"] = self._model
        return body

    def _post(self, body: dict[str, Any], timeout: float | None) -> httpx.Response:
        try:
            return self._client.post("/chat/completions", json=body,
                                     timeout=httpx.USE_CLIENT_DEFAULT if timeout is None else timeout)
        except httpx.TimeoutException as exc:
            raise ModelError("モデルサーバーの応答が時間内にありませんでした", f"the model server timed out: {exc}",
                             "timeout") from None
        except (httpx.ConnectError, httpx.UnsupportedProtocol) as exc:
            self._lost(exc)
            raise _unreachable(self.url, exc) from None
        except httpx.TransportError as exc:
            raise _broken(exc) from None

    def _read(self, req: _Request) -> None:
        """Reader thread: one streamed response, pieces onto the request's queue, closed on cancel."""
        try:
            with self._client.stream("POST", "/chat/completions", json=req.body) as resp:
                if resp.status_code >= 400:
                    resp.read()
                    raise _http_error(resp)
                for line in resp.iter_lines():
                    if req.cancel.is_set() or self._closing.is_set():
                        req.stats.cancelled = True
                        break
                    if not line.startswith("data:"):
                        continue
                    data = line[5:].strip()
                    if data == "[DONE]":
                        if not req.stats.finish_reason:  # llama_cpp.server cut it short for another request
                            raise _interrupted()
                        break
                    chunk = json.loads(data)
                    if not self._model and chunk.get("model"):
                        self._model = str(chunk["model"])
                    for choice in chunk.get("choices") or ():
                        if choice.get("finish_reason"):
                            req.stats.finish_reason = str(choice["finish_reason"])
                        text = (choice.get("delta") or {}).get("content") or ""
                        if text:
                            req.stats.generated_tokens += 1
                            req.out.put(text)
            req.out.put(END_OF_STREAM)
        except ModelError as exc:
            req.out.put(exc)
        except httpx.TimeoutException as exc:
            req.out.put(ModelError("モデルサーバーの応答が時間内にありませんでした",
                                   f"the model server timed out: {exc}", "timeout"))
        except httpx.TransportError as exc:
            if req.cancel.is_set() or self._closing.is_set():
                req.out.put(END_OF_STREAM)
            elif isinstance(exc, httpx.ConnectError | httpx.UnsupportedProtocol):
                self._lost(exc)
                req.out.put(_unreachable(self.url, exc))
            else:  # the server took the request and then broke the stream (e.g. the prompt did not fit)
                self._wake.set()  # ask it again now: it may also have gone away
                req.out.put(_broken(exc))
        except Exception as exc:  # a malformed stream: the pipeline falls back to the extractive answer
            log.exception("model server stream failed")
            req.out.put(ModelError(f"回答の生成に失敗しました: {exc}", f"generation failed: {exc}", "generation"))

    # ----- health -----

    def _set_state(self, state: str, error: ModelError | None) -> None:
        with self._lock:
            changed = (state, error and error.code) != (self._state, self._error and self._error.code)
            self._state = state
            self._error = error
        if not changed:
            return
        for cb in list(self._callbacks):
            try:
                cb(state, error)
            except Exception:
                log.exception("state callback failed")

    def _lost(self, exc: BaseException) -> None:
        log.warning("model server unreachable: %s: %s", self.url, exc)
        self._set_state("error", _unreachable(self.url, exc))
        self._wake.set()

    def probe(self) -> bool:
        """Ask the server for its models now; update :attr:`state`; True when it answered."""
        try:
            resp = self._client.get("/models", timeout=self.probe_timeout)
            resp.raise_for_status()
            entries = [m for m in resp.json().get("data") or [] if isinstance(m, dict)]
            models = [str(m.get("id", "")) for m in entries]
        except httpx.ReadTimeout:
            # Connected but no answer in time: llama_cpp.server answers nothing while it generates for
            # someone else. Busy is not down; a server never seen answering stays "loading".
            return self._state == "ready"
        except (httpx.HTTPError, ValueError) as exc:
            self._set_state("error", _unreachable(self.url, exc))
            return False
        if self.requested_model and models and self.requested_model not in models:
            self._set_state("error", ModelError(
                f"モデルサーバーにモデル「{self.requested_model}」がありません（あるもの: {', '.join(models)}）",
                f"the model server has no model {self.requested_model!r} (it has: {', '.join(models)})",
                "no_such_model"))
            return False
        if not self._model and models:
            self._model = models[0]
        if not self._n_ctx:
            entry = next((m for m in entries if m.get("id") == self._model), entries[0] if entries else {})
            self._n_ctx = self._server_context(entry)
        self._set_state("ready", None)
        return True

    def _server_context(self, entry: dict[str, Any]) -> int:
        """The server's context size where it tells (llama-server's ``/props``, vLLM's ``max_model_len``),
        capped at the settings'; a server that does not tell (llama_cpp.server, Ollama) is taken to have the
        settings' ``model.n_ctx``."""
        n = 0
        with contextlib.suppress(httpx.HTTPError, ValueError, TypeError, AttributeError):
            root = self.url[: -len("/v1")]
            resp = self._client.get(root + "/props", timeout=self._client.timeout.connect)
            if resp.status_code == 200:
                props = resp.json()
                n = int(props.get("n_ctx") or (props.get("default_generation_settings") or {}).get("n_ctx") or 0)
        if not n:
            with contextlib.suppress(TypeError, ValueError):
                n = int(entry.get("max_model_len") or 0)
        return min(n, self.config.n_ctx) if n else 0

    def _streaming(self) -> bool:
        with self._lock:
            return any(t.is_alive() for t in self._readers)

    def _watch(self) -> None:
        while not self._closing.is_set():
            # A stream that is flowing proves the server is up, and a probe would interrupt it on
            # llama_cpp.server (its ``interrupt_requests`` stops a stream when any request comes in).
            if not (self._state == "ready" and self._streaming()):
                self.probe()
            self._probed.set()
            self._wake.wait(self.probe_interval)
            self._wake.clear()


def _response_format(style: str, schema: dict[str, Any]) -> dict[str, Any]:
    if style == "json_schema":
        return {"type": "json_schema", "json_schema": {"name": "answer", "schema": schema, "strict": True}}
    return {"type": "json_object", "schema": schema}


def _refuses_json_schema(resp: httpx.Response) -> bool:
    """The OpenAI ``json_schema`` form was refused: 400/422, or llama_cpp.server's validation error (a 500
    whose message names ``response_format``)."""
    if resp.status_code in (400, 422):
        return True
    return resp.status_code == 500 and "response_format" in resp.text


def _interrupted() -> ModelError:
    return ModelError(
        "モデルサーバーが回答を途中で打ち切りました（ほかの要求が割り込みました。サーバーを --interrupt_requests False で"
        "起動してください）",
        "the model server cut the answer short for another request (start it with --interrupt_requests False)",
        "interrupted",
    )


def _broken(exc: BaseException) -> ModelError:
    return ModelError("モデルサーバーとの通信が途中で切れました", f"the model server broke the connection: {exc!r}",
                      "server_error")


def _http_error(resp: httpx.Response) -> ModelError:
    try:
        detail = str(resp.json())
    except ValueError:
        detail = resp.text
    detail = detail[:200]
    if "context" in detail.lower() and ("exceed" in detail.lower() or "too long" in detail.lower()):
        return ModelError("質問と資料が長すぎます（サーバーのコンテキスト上限）",
                          f"the question and passages are too long for the server: {detail}", "too_long")
    return ModelError(f"モデルサーバーがエラーを返しました（{resp.status_code}）",
                      f"the model server answered {resp.status_code}: {detail}", "server_error")
