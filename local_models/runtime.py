"""The llama.cpp runtime: one worker thread owns the ``Llama`` object; requests queue; tokens stream out.

``llama_cpp.Llama`` is not thread-safe, so every call into it happens on the worker thread. Callers get a
:class:`TokenStream` (an iterator of text pieces) fed through a queue. Cancel is a ``threading.Event``
checked after every token on the worker, so "stop" takes effect within one token; a request cancelled while
still queued never runs (gpt4all's flag-in-the-token-callback, STYLE.md §3).

Prefix reuse: a grounded prompt starts with a fixed system prompt and worked example. ``Llama.generate``
already skips the tokens it shares with the *previous* prompt; when another request came in between (a
JSON task, a plain chat), the runtime restores a snapshot of the key/value cache of that fixed prefix
(``llama_state_seq_get_data``/``set_data``) instead of evaluating it again.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import logging
import os
import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import psutil

from local_models.catalog import check_memory
from local_models.gguf_info import GgufInfo, ModelFileError, check_usable, read_gguf_info

log = logging.getLogger(__name__)

# llama.cpp's OpenMP threads spin while they wait for work. On a desktop PC that is also running Office, a
# browser and a virus scanner, spinning threads fight the other programs for the cores and generation can
# slow down tenfold (measured: 0.8 vs 9.8 tokens/s on a loaded 2-core machine); passive waiting costs little
# when the machine is idle. It must be set before llama_cpp loads libgomp; a user's own setting wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

Message = dict[str, str]
StateCallback = Callable[[str, "ModelError | None"], None]

STATES = ("none", "loading", "ready", "error")
# llama-cpp-python silences a load by pointing the process's stdout/stderr (fds 1 and 2 and sys.stdout/stderr)
# at /dev/null and back. Two loads on two threads interleave those swaps and leave the process's output in
# /dev/null for good (`soumu-desk screenshots` then printed nothing: the chat model and an embedder loaded at
# once). Every ``llama_cpp.Llama(...)`` of this package is built under this lock.
LLAMA_LOAD_LOCK = threading.Lock()


class ModelError(Exception):
    """Why the runtime could not do what was asked, in Japanese and English."""

    def __init__(self, message_ja: str, message_en: str, code: str = "error") -> None:
        super().__init__(f"{message_ja} / {message_en}")
        self.message_ja = message_ja
        self.message_en = message_en
        self.code = code

    @classmethod
    def from_file_error(cls, exc: ModelFileError) -> ModelError:
        return cls(exc.message_ja, exc.message_en, exc.code)


@dataclass(frozen=True)
class RuntimeConfig:
    n_ctx: int = 4096
    n_threads: int = 0  # 0 = the physical core count
    n_gpu_layers: int = 0  # ignored when this llama.cpp build has no GPU backend
    temperature: float = 0.2
    max_tokens: int = 384
    check_memory: bool = True


@dataclass
class StreamStats:
    """Filled in by the worker as a request runs; read after the stream ends."""

    prompt_tokens: int = 0
    reused_tokens: int = 0  # prompt tokens whose evaluation was skipped (prefix match or snapshot)
    restored_prefix: bool = False
    fresh_prefix: bool = False  # the fixed prefix was evaluated (and snapshotted) by this request
    generated_tokens: int = 0
    cancelled: bool = False
    finish_reason: str = ""
    # log-probability that the answer begins with the first token of ``chat(..., watch=TEXT)``, read off the
    # prompt's own evaluation before the first token is sampled (None: not asked, or the backend cannot tell)
    lead_logprob: float | None = None


END_OF_STREAM = object()  # put on a stream's queue after its last piece


@dataclass
class _ChatJob:
    messages: list[Message]
    max_tokens: int
    temperature: float
    cancel: threading.Event
    prefix_messages: int
    watch: str | None = None
    out: queue.SimpleQueue[Any] = field(default_factory=queue.SimpleQueue)
    stats: StreamStats = field(default_factory=StreamStats)


@dataclass
class _JsonJob:
    messages: list[Message]
    schema: dict[str, Any]
    max_tokens: int
    result: Future[dict[str, Any]] = field(default_factory=Future)


@dataclass
class _LoadJob:
    path: Path


@dataclass
class _CallJob:
    """Run a function with the ``Llama`` object on the worker (benchmarks, tokenising)."""

    func: Callable[[Any], Any]
    result: Future[Any] = field(default_factory=Future)


_STOP = object()


class QueueStream:
    """Iterator of text pieces handed over a queue by the thread that talks to the model; ``close()`` (or
    setting the cancel event) stops it. Shared by both backends (:class:`TokenStream`, ``ServerStream``).

    With ``poll_s`` set, the stream ends as soon as the cancel event is set: a waiting consumer looks at it
    every ``poll_s`` seconds, and pieces still queued are dropped — the producer may not have noticed yet (a
    model server may still be reading a long prompt). Without it, the producer's own per-token check is what
    ends the stream.
    """

    poll_s: float | None = None

    def __init__(self, out: queue.SimpleQueue[Any], cancel: threading.Event, stats: StreamStats) -> None:
        self._out = out
        self._cancel = cancel
        self._stats = stats
        self._done = False

    @property
    def stats(self) -> StreamStats:
        return self._stats

    def cancel(self) -> None:
        self._cancel.set()

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        if self._done:
            raise StopIteration
        item = self._next_item()
        if item is END_OF_STREAM:
            self._done = True
            raise StopIteration
        if isinstance(item, BaseException):
            self._done = True
            raise item
        return str(item)

    def _next_item(self) -> Any:
        if self.poll_s is None:
            return self._out.get()
        while not self._cancel.is_set():
            with contextlib.suppress(queue.Empty):
                return self._out.get(timeout=self.poll_s)
        self._stats.cancelled = True
        return END_OF_STREAM

    def close(self) -> None:
        """Stop the request if it is still running; the producer moves on to the next one."""
        if not self._done:
            self._cancel.set()
            self._done = True

    def text(self) -> str:
        return "".join(self)


class TokenStream(QueueStream):
    """The in-process runtime's stream: ``cancel()`` stops it within one token (checked on the worker)."""

    def __init__(self, job: _ChatJob) -> None:
        super().__init__(job.out, job.cancel, job.stats)


class ChatModel(Protocol):
    """What the answer pipeline, the prompt runner and the logbook analysis need from a model backend:
    :class:`ModelRuntime` (in process) and ``local_models.server_backend.ServerBackend`` (HTTP)."""

    @property
    def state(self) -> str: ...
    @property
    def error(self) -> ModelError | None: ...
    @property
    def model_name(self) -> str: ...
    @property
    def n_ctx(self) -> int: ...

    def chat(
        self, messages: Sequence[Message], *, max_tokens: int | None = None, temperature: float | None = None,
        cancel: threading.Event | None = None, prefix_messages: int = 0, watch: str | None = None,
    ) -> QueueStream: ...

    def complete_json(
        self, messages: Sequence[Message], schema: dict[str, Any], *, max_tokens: int = 256,
        timeout: float | None = None,
    ) -> dict[str, Any]: ...

    def wait_until_loaded(self, timeout: float | None = None) -> bool: ...

    def close(self, timeout: float = ...) -> None: ...


def closed_error() -> ModelError:
    return ModelError("実行環境は終了しています", "the runtime is closed", "closed")


def check_backend_usable(state: str, error: ModelError | None, closing: bool) -> None:
    """Raise the reason a backend in ``state`` cannot take a request (none when it can)."""
    if closing:
        raise closed_error()
    if state == "none":
        raise ModelError("モデルが読み込まれていません", "no model is loaded", "not_loaded")
    if state == "error":
        raise error if error is not None else ModelError("モデルを使えません", "the model is unusable")


def parse_json_object(text: str) -> dict[str, Any]:
    """A constrained answer's text as a JSON object, or the :class:`ModelError` that says why not."""
    try:
        value = json.loads(text)
    except ValueError:
        raise ModelError(
            "モデルの出力をJSONとして読めませんでした", f"the model's output is not valid JSON: {text[:80]!r}", "json"
        ) from None
    if not isinstance(value, dict):
        raise ModelError("モデルの出力がオブジェクトではありません", "the model's output is not an object", "json")
    return value


class ModelRuntime:
    """Owns one worker thread that owns the ``Llama``; no Qt. See the module docstring."""

    def __init__(self, config: RuntimeConfig | None = None) -> None:
        self.config = config or RuntimeConfig()
        self._jobs: queue.Queue[Any] = queue.Queue()
        self._closing = threading.Event()
        self._lock = threading.Lock()
        self._callbacks: list[StateCallback] = []
        self._state = "none"
        self._error: ModelError | None = None
        self._info: GgufInfo | None = None
        self._path: Path | None = None
        self._llm: Any = None  # llama_cpp.Llama, only touched on the worker
        self._formatter: Any = None
        self._prefix_key: tuple[int, ...] = ()
        self._prefix_state: bytes = b""
        self._n_ctx = 0
        self._thread = threading.Thread(target=self._run, name="llama-worker", daemon=True)
        self._thread.start()

    # ----- public API (any thread) -----

    @property
    def state(self) -> str:
        return self._state

    @property
    def error(self) -> ModelError | None:
        return self._error

    @property
    def info(self) -> GgufInfo | None:
        """Header info of the loaded (or loading) model."""
        return self._info

    @property
    def model_path(self) -> Path | None:
        return self._path

    @property
    def model_name(self) -> str:
        return self._path.name if self._path is not None else ""

    @property
    def n_ctx(self) -> int:
        """Context size of the loaded model (the configured size, capped at what the model supports)."""
        return self._n_ctx or self.config.n_ctx

    def on_state(self, callback: StateCallback) -> None:
        """Call ``callback(state, error)`` from the worker thread whenever the state changes."""
        self._callbacks.append(callback)

    def load(self, path: str | Path) -> None:
        """Start loading ``path`` in the background; returns at once. Watch :attr:`state`."""
        if self._closing.is_set():
            raise closed_error()
        self._path = Path(path)
        self._set_state("loading", None)
        self._jobs.put(_LoadJob(Path(path)))

    def wait_until_loaded(self, timeout: float | None = None) -> bool:
        """Block until loading ends; True when the model is ready."""
        if self._state == "loading":
            # The load job is ahead of this marker in the FIFO, so the marker completes after it.
            marker = _CallJob(lambda _llm: None)
            self._jobs.put(marker)
            with contextlib.suppress(Exception):
                marker.result.result(timeout)
        return self._state == "ready"

    def chat(
        self, messages: Sequence[Message], *, max_tokens: int | None = None, temperature: float | None = None,
        cancel: threading.Event | None = None, prefix_messages: int = 0, watch: str | None = None,
    ) -> TokenStream:
        """Queue a chat request and return its stream of text pieces.

        ``prefix_messages`` says how many leading messages are a fixed prefix (system prompt and worked
        example) worth keeping evaluated across requests. With ``watch``, the stream's
        ``stats.lead_logprob`` is set, before the first piece arrives, to how likely the model was to begin its
        answer the way ``watch`` begins (the answer pipeline watches the "not in the passages" sentence: a
        graded judgment even from a model that never writes it).
        """
        self._check_usable()
        job = _ChatJob(
            messages=[dict(m) for m in messages],
            max_tokens=max_tokens or self.config.max_tokens,
            temperature=self.config.temperature if temperature is None else temperature,
            cancel=cancel or threading.Event(),
            prefix_messages=prefix_messages,
            watch=watch or None,
        )
        self._jobs.put(job)
        return TokenStream(job)

    def complete_json(
        self, messages: Sequence[Message], schema: dict[str, Any], *, max_tokens: int = 256,
        timeout: float | None = None,
    ) -> dict[str, Any]:
        """Answer constrained by llama.cpp's JSON-schema grammar; returns the parsed object."""
        self._check_usable()
        job = _JsonJob([dict(m) for m in messages], schema, max_tokens)
        self._jobs.put(job)
        return job.result.result(timeout)

    def call(self, func: Callable[[Any], Any], timeout: float | None = None) -> Any:
        """Run ``func(llama)`` on the worker thread and return its result (for benchmarks and tools)."""
        self._check_usable()
        job = _CallJob(func)
        self._jobs.put(job)
        return job.result.result(timeout)

    def clear_cache(self) -> None:
        """Forget the evaluated prompt and the prefix snapshot (the next request starts cold)."""
        self.call(self._clear_cache)

    def _clear_cache(self, llm: Any) -> None:
        self._prefix_key, self._prefix_state = (), b""
        if llm is not None:
            llm.reset()

    def close(self, timeout: float = 30.0) -> None:
        """Stop the running request, fail the queued ones, free the model and join the worker."""
        if self._closing.is_set():
            return
        self._closing.set()
        self._jobs.put(_STOP)
        self._thread.join(timeout)

    def __enter__(self) -> ModelRuntime:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ----- worker -----

    def _check_usable(self) -> None:
        check_backend_usable(self._state, self._error, self._closing.is_set())

    def _set_state(self, state: str, error: ModelError | None) -> None:
        with self._lock:
            self._state = state
            self._error = error
        for cb in list(self._callbacks):
            try:
                cb(state, error)
            except Exception:  # a broken listener must not kill the worker
                log.exception("state callback failed")

    def _run(self) -> None:
        try:
            while True:
                job = self._jobs.get()
                if job is _STOP:
                    break
                self._dispatch(job)
        finally:
            self._fail_pending()
            self._free()

    def _dispatch(self, job: Any) -> None:
        closed = closed_error()
        if isinstance(job, _LoadJob):
            self._do_load(job.path)
        elif isinstance(job, _ChatJob):
            if job.cancel.is_set() or self._closing.is_set():
                job.stats.cancelled = True
                job.out.put(END_OF_STREAM)
            elif self._llm is None:
                job.out.put(self._error or closed)
            else:
                self._do_chat(job)
        elif isinstance(job, _JsonJob):
            if self._llm is None:
                job.result.set_exception(self._error or closed)
            else:
                self._do_json(job)
        elif isinstance(job, _CallJob):
            try:
                job.result.set_result(job.func(self._llm))
            except BaseException as exc:
                job.result.set_exception(exc)

    def _fail_pending(self) -> None:
        closed = closed_error()
        while True:
            try:
                job = self._jobs.get_nowait()
            except queue.Empty:
                return
            if isinstance(job, _ChatJob):
                job.stats.cancelled = True
                job.out.put(END_OF_STREAM)
            elif isinstance(job, _JsonJob | _CallJob):
                job.result.set_exception(closed)

    def _free(self) -> None:
        llm, self._llm = self._llm, None
        self._prefix_key, self._prefix_state = (), b""
        if llm is not None:
            with contextlib.suppress(Exception):
                llm.close()

    def _do_load(self, path: Path) -> None:
        self._free()
        self._formatter = None
        try:
            info = read_gguf_info(path)
            self._info = info
            check_usable(info)
            n_ctx = min(self.config.n_ctx, info.context_length or self.config.n_ctx)
            if self.config.check_memory:
                check_memory(info, n_ctx)
        except ModelFileError as exc:
            self._set_state("error", ModelError.from_file_error(exc))
            return
        try:
            import llama_cpp

            gpu_layers = self.config.n_gpu_layers if llama_cpp.llama_supports_gpu_offload() else 0
            threads = self.config.n_threads or default_threads()
            with LLAMA_LOAD_LOCK:
                llm = llama_cpp.Llama(
                    model_path=str(path),
                    n_ctx=n_ctx,
                    n_batch=512,
                    n_threads=threads,
                    n_threads_batch=max(threads, os.cpu_count() or 1),
                    n_gpu_layers=gpu_layers,
                    verbose=False,
                )
        except Exception as exc:  # llama.cpp reports every load failure as ValueError/RuntimeError
            log.warning("model load failed: %s: %s", path, exc)
            self._set_state(
                "error",
                ModelError(
                    f"モデルを読み込めませんでした（ファイルが壊れているか、このllama.cppでは使えない形式です）: {path.name}",
                    f"could not load the model (the file is damaged or not usable with this llama.cpp): {path.name}",
                    "load_failed",
                ),
            )
            return
        self._llm = llm
        self._n_ctx = n_ctx
        self._formatter = _make_formatter(llm)
        log.info("model loaded: %s (n_ctx=%d, threads=%d, gpu_layers=%d)", path.name, n_ctx, threads, gpu_layers)
        self._set_state("ready", None)

    def _tokens_for(self, messages: list[Message]) -> tuple[list[int], list[str], Any]:
        """Render with the file's chat template and tokenise, as llama-cpp-python's chat handler does."""
        result = self._formatter(messages=messages)
        tokens = self._llm.tokenize(result.prompt.encode("utf-8"), add_bos=not result.added_special, special=True)
        stop = result.stop if isinstance(result.stop, list) else [result.stop] if result.stop else []
        return tokens, stop, result.stopping_criteria

    def _do_chat(self, job: _ChatJob) -> None:
        llm = self._llm
        try:
            if self._formatter is not None:
                tokens, stop, criteria = self._tokens_for(job.messages)
                if job.prefix_messages:
                    self._reuse_prefix(job, tokens)
                job.stats.prompt_tokens = len(tokens)
                if llm.n_tokens and not job.stats.fresh_prefix and not job.stats.restored_prefix:
                    job.stats.reused_tokens = _common_prefix(llm.input_ids[: llm.n_tokens].tolist(), tokens)
                if len(tokens) + 8 >= self._n_ctx:
                    raise ModelError(
                        f"質問と資料が長すぎます（{len(tokens)}トークン、上限{self._n_ctx}）",
                        f"the question and passages are too long ({len(tokens)} tokens, limit {self._n_ctx})",
                        "too_long",
                    )
                if job.watch:
                    job.stats.lead_logprob = self._lead_logprob(tokens, job.watch)
                stream = llm.create_completion(
                    tokens, max_tokens=job.max_tokens, temperature=job.temperature, stream=True, stop=stop,
                    stopping_criteria=criteria,
                )
                pieces = (chunk["choices"][0] for chunk in stream)
            else:  # no template in the file: llama-cpp-python's built-in fallback format
                stream = llm.create_chat_completion(
                    job.messages, max_tokens=job.max_tokens, temperature=job.temperature, stream=True
                )
                pieces = ({"text": c["choices"][0]["delta"].get("content") or "",
                           "finish_reason": c["choices"][0].get("finish_reason")} for c in stream)
            try:
                for choice in pieces:
                    text = choice.get("text") or ""
                    if choice.get("finish_reason"):
                        job.stats.finish_reason = str(choice["finish_reason"])
                    if text:
                        job.stats.generated_tokens += 1
                        job.out.put(text)
                    if job.cancel.is_set() or self._closing.is_set():
                        job.stats.cancelled = True
                        break
            finally:
                with contextlib.suppress(Exception):
                    stream.close()
            job.out.put(END_OF_STREAM)
        except ModelError as exc:
            job.out.put(exc)
        except Exception as exc:
            log.exception("generation failed")
            job.out.put(ModelError(f"回答の生成に失敗しました: {exc}", f"generation failed: {exc}", "generation"))

    def _lead_logprob(self, tokens: list[int], text: str) -> float | None:
        """Evaluate the prompt (what ``create_completion`` would do first: it then finds it cached and samples
        at once) and return log P(first token of ``text``) at the answer's first position."""
        import llama_cpp
        import numpy as np

        llm = self._llm
        lead = llm.tokenize(text.encode("utf-8"), add_bos=False, special=False)
        if not lead or len(tokens) < 2:
            return None
        n = min(_common_prefix(llm.input_ids[: llm.n_tokens].tolist(), tokens), len(tokens) - 1)
        llm.n_tokens = n  # eval drops the cache past n
        llm.eval(tokens[n:])
        ptr = llama_cpp.llama_get_logits_ith(llm.ctx, -1)
        if not ptr:
            return None
        logits = np.ctypeslib.as_array(ptr, shape=(llm.n_vocab(),)).astype(np.float64)
        top = float(logits.max())
        return float(logits[lead[0]] - top - np.log(np.exp(logits - top).sum()))

    def _reuse_prefix(self, job: _ChatJob, tokens: list[int]) -> None:
        """Make the KV cache start with the fixed prefix, from the live cache or the saved snapshot."""
        llm = self._llm
        prefix_tokens, _, _ = self._tokens_for(job.messages[: job.prefix_messages])
        n = _common_prefix(prefix_tokens, tokens)
        if n < 8:
            return
        key = tuple(tokens[:n])
        import llama_cpp

        ctx = llm.ctx
        live = llm.input_ids[: llm.n_tokens].tolist()
        if len(live) >= n and tuple(live[:n]) == key:
            if key == self._prefix_key:
                return  # Llama.generate's own prefix match will skip it
            # The prefix is live but has no snapshot yet: cut the cache back to the prefix and keep it.
            mem = llama_cpp.llama_get_memory(ctx)
            if mem is not None and llama_cpp.llama_memory_seq_rm(mem, 0, n, -1):
                llm.n_tokens = n
                self._snapshot(key)
                job.stats.reused_tokens = n
                job.stats.restored_prefix = True
                return
        if key == self._prefix_key and self._prefix_state:
            buf = (ctypes.c_uint8 * len(self._prefix_state)).from_buffer_copy(self._prefix_state)
            llm.reset()
            mem = llama_cpp.llama_get_memory(ctx)
            if mem is not None:
                llama_cpp.llama_memory_clear(mem, True)
            if llama_cpp.llama_state_seq_set_data(ctx, buf, len(self._prefix_state), 0):
                llm.input_ids[:n] = key
                llm.n_tokens = n
                job.stats.restored_prefix = True
                job.stats.reused_tokens = n
                return
            llm.reset()
        # First time (or a new prefix): evaluate it once and keep a snapshot of its KV cache.
        llm.reset()
        llm.eval(list(key))
        self._snapshot(key)
        job.stats.fresh_prefix = True

    def _snapshot(self, key: tuple[int, ...]) -> None:
        """Copy the KV cache of sequence 0 (which holds exactly ``key``) for later restores."""
        import llama_cpp

        ctx = self._llm.ctx
        size = llama_cpp.llama_state_seq_get_size(ctx, 0)
        buf = (ctypes.c_uint8 * size)()
        written = llama_cpp.llama_state_seq_get_data(ctx, buf, size, 0)
        self._prefix_key = key
        # ctypes.string_at copies in C; bytes(buf[:n]) builds a Python int per byte while holding the GIL
        # (~0.4 s per 20 MB), which froze the UI thread whenever an answer started.
        self._prefix_state = ctypes.string_at(buf, written)

    def _do_json(self, job: _JsonJob) -> None:
        try:
            out = self._llm.create_chat_completion(
                job.messages,
                response_format={"type": "json_object", "schema": job.schema},
                max_tokens=job.max_tokens,
                temperature=0.0,
            )
            job.result.set_result(parse_json_object(out["choices"][0]["message"]["content"] or ""))
        except ModelError as exc:
            job.result.set_exception(exc)
        except Exception as exc:
            log.exception("JSON completion failed")
            job.result.set_exception(ModelError(f"生成に失敗しました: {exc}", f"generation failed: {exc}", "generation"))


def default_threads() -> int:
    """Physical cores: llama.cpp gains nothing from hyper-threads during generation."""
    return max(1, psutil.cpu_count(logical=False) or os.cpu_count() or 1)


def gpu_offload_available() -> bool:
    import llama_cpp

    return bool(llama_cpp.llama_supports_gpu_offload())


def _make_formatter(llm: Any) -> Any:
    template = llm.metadata.get("tokenizer.chat_template")
    if not template:
        return None
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    eos_id = llm.token_eos()
    bos_id = llm.token_bos()
    eos = llm.detokenize([eos_id], special=True).decode("utf-8", "replace") if eos_id != -1 else ""
    bos = llm.detokenize([bos_id], special=True).decode("utf-8", "replace") if bos_id != -1 else ""
    return Jinja2ChatFormatter(template=template, eos_token=eos, bos_token=bos, stop_token_ids=[eos_id])


def _common_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n

