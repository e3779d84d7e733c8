"""Team mode: what ``ask`` through the model server costs over calling the server directly (run by hand).

Usage (from the repository root)::

    .venv/bin/python benchmarks/server_overhead.py [--model FILE] [--threads N] [--repeat N]

One run starts ``python -m llama_cpp.server`` with the model on a free 127.0.0.1 port (as a team would:
``--interrupt_requests False``), indexes the demo knowledge base into a temp folder, and for each question
times three ways of getting the same answer from the same server, alternating so drift hits all three:

1. **raw** — the baseline: one streamed ``POST /v1/chat/completions`` with httpx, read to the end, with exactly
   the body our backend sends (the pipeline's grounded prompt, captured on a warm-up run);
2. **backend** — ``ServerBackend.chat`` read to the end (our reader thread, queue and cancel checks);
3. **ask** — the whole ``Answerer.ask``: search, source selection, prompt, stream through the backend,
   citation check — what ``soumu-desk ask`` and the 回答 page do.

Temperature 0 and the same prompt make every run generate the same tokens (checked). The server keeps the
previous prompt evaluated, so after the warm-up each run mostly measures generation: the denominator is
small and the overhead shows up at its largest. Result: overhead = median over runs of (variant / raw − 1).
Writes ``benchmarks/out/server_overhead.json`` and prints a Markdown block for docs/PERFORMANCE.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from functools import partial
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

import httpx  # noqa: E402
from _common import OUT_DIR, machine_info, machine_line  # noqa: E402

from desktop.answering import AnswerDone, Answerer, AnswerToken, runtime_config  # noqa: E402
from desktop.settings import Settings  # noqa: E402
from kb import KnowledgeBase  # noqa: E402
from local_models.server_backend import ServerBackend  # noqa: E402

MODELS = REPO / "local_models" / "models"
DEFAULT_MODEL = MODELS / "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
TINY_MODEL = MODELS / "SmolLM2-135M-Instruct.Q4_1.gguf"
QUESTIONS = [
    "結婚祝金はいくらですか？",
    "社用車の予約はいつまでにすればいいですか？",
    "慶弔休暇は何日ですか？",
    "出張の宿泊費の上限はいくらですか？",
]


class Recorder:
    """Passes through to the backend and keeps the last chat request (to replay it byte for byte)."""

    def __init__(self, backend: ServerBackend) -> None:
        self.backend = backend
        self.last: tuple[list[dict[str, str]], dict[str, Any]] | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self.backend, name)

    def chat(self, messages: Any, **kwargs: Any) -> Any:
        self.last = ([dict(m) for m in messages], kwargs)
        return self.backend.chat(messages, **kwargs)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(model: Path, port: int, threads: int, log: Path) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--host", "127.0.0.1",
           "--port", str(port), "--n_ctx", "4096", "--n_threads", str(threads),
           "--n_threads_batch", str(threads), "--interrupt_requests", "False"]
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT,
                                env=dict(os.environ, OMP_WAIT_POLICY="PASSIVE"))
    deadline = time.monotonic() + 300
    with httpx.Client(trust_env=False, timeout=2.0) as c:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise SystemExit(f"the server exited:\n{log.read_text(errors='replace')[-2000:]}")
            try:
                if c.get(f"http://127.0.0.1:{port}/v1/models").status_code == 200:
                    return proc
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
    proc.kill()
    raise SystemExit("the server did not start")


def raw_stream(client: httpx.Client, body: dict[str, Any]) -> tuple[float, float, str]:
    """(seconds to the first content, total seconds, text) for one streamed request, straight from httpx."""
    t0 = time.perf_counter()
    first = 0.0
    pieces: list[str] = []
    with client.stream("POST", "/chat/completions", json=body) as resp:
        resp.raise_for_status()
        for line in resp.iter_lines():
            if not line.startswith("data:"):
                continue
            data = line[5:].strip()
            if data == "[DONE]":
                break
            for choice in json.loads(data).get("choices") or ():
                text = (choice.get("delta") or {}).get("content") or ""
                if text:
                    if not pieces:
                        first = time.perf_counter() - t0
                    pieces.append(text)
    return first, time.perf_counter() - t0, "".join(pieces)


def backend_stream(backend: ServerBackend, messages: list[dict[str, str]], kwargs: dict[str, Any]
                   ) -> tuple[float, float, str]:
    t0 = time.perf_counter()
    first = 0.0
    pieces: list[str] = []
    for piece in backend.chat(messages, **kwargs):
        if not pieces:
            first = time.perf_counter() - t0
        pieces.append(piece)
    return first, time.perf_counter() - t0, "".join(pieces)


def ask(answerer: Answerer, question: str) -> tuple[float, float, str]:
    t0 = time.perf_counter()
    first = 0.0
    pieces: list[str] = []
    for event in answerer.ask(question):
        if isinstance(event, AnswerToken):
            if not pieces:
                first = time.perf_counter() - t0
            pieces.append(event.text)
        elif isinstance(event, AnswerDone):
            break
    return first, time.perf_counter() - t0, "".join(pieces)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL if DEFAULT_MODEL.exists() else TINY_MODEL)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--max-tokens", type=int, default=384)
    args = parser.parse_args()

    info = machine_info()
    work = Path(tempfile.mkdtemp(prefix="server_overhead_"))
    port = free_port()
    proc = start_server(args.model, port, args.threads, work / "server.log")
    settings = Settings()
    settings.model.temperature, settings.model.max_tokens = 0.0, args.max_tokens
    kbase = KnowledgeBase(work / "index")
    for _ in kbase.index([REPO / "kb" / "demo"]):
        pass
    backend = ServerBackend(f"http://127.0.0.1:{port}", runtime_config(settings))
    backend.load()
    assert backend.wait_until_loaded(60), backend.error
    recorder = Recorder(backend)
    answerer = Answerer(kbase, recorder, settings, retrieval="lexical")  # type: ignore[arg-type]
    raw_client = httpx.Client(base_url=f"http://127.0.0.1:{port}/v1", trust_env=False, timeout=600.0,
                              headers={"Accept": "application/json"})
    rows: list[dict[str, Any]] = []
    try:
        for question in QUESTIONS:
            recorder.last = None
            ask(answerer, question)  # warm-up: evaluates the prompt on the server, captures the request
            if recorder.last is None:
                print(f"skipped (not grounded): {question}", file=sys.stderr)
                continue
            messages, kwargs = recorder.last
            body = backend._body(messages, kwargs.get("max_tokens") or settings.model.max_tokens,
                                 settings.model.temperature)
            body["stream"] = True
            for r in range(args.repeat):
                order = [("raw", partial(raw_stream, raw_client, body)),
                         ("backend", partial(backend_stream, backend, messages, kwargs)),
                         ("ask", partial(ask, answerer, question))]
                order = order[r % 3:] + order[: r % 3]  # rotate who goes first
                run: dict[str, Any] = {"question": question, "repeat": r}
                for name, fn in order:
                    first, total, text = fn()
                    run[name] = {"first": first, "total": total, "chars": len(text)}
                    run[name + "_text"] = text
                same = run["raw_text"] == run["backend_text"] == run["ask_text"]
                run["same_text"] = same
                for name in ("raw", "backend", "ask"):
                    del run[name + "_text"]
                rows.append(run)
                print(f"{question} #{r}: raw {run['raw']['total']:.3f} s, backend {run['backend']['total']:.3f} s, "
                      f"ask {run['ask']['total']:.3f} s, same text: {same}", file=sys.stderr, flush=True)
    finally:
        raw_client.close()
        backend.close()
        kbase.close()
        proc.terminate()
        proc.wait(15)
        shutil.rmtree(work, ignore_errors=True)

    def overhead(name: str, key: str = "total") -> float:
        return statistics.median(r[name][key] / r["raw"][key] - 1 for r in rows) * 100

    def med(name: str, key: str = "total") -> float:
        return statistics.median(r[name][key] for r in rows)

    result = {
        "machine": info, "model": args.model.name, "threads": args.threads, "runs": len(rows),
        "all_same_text": all(r["same_text"] for r in rows),
        "median_s": {n: {"first": med(n, "first"), "total": med(n)} for n in ("raw", "backend", "ask")},
        "overhead_pct": {n: {"first": overhead(n, "first"), "total": overhead(n)} for n in ("backend", "ask")},
        "rows": rows,
    }
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    (OUT_DIR / "server_overhead.json").write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    m, o = result["median_s"], result["overhead_pct"]
    print(f"\n{machine_line(info)}\nmodel {args.model.name}, llama_cpp.server on 127.0.0.1, {args.threads} threads, "
          f"{len(rows)} runs ({len(QUESTIONS)} questions × {args.repeat}), same text in all: "
          f"{result['all_same_text']}\n")
    print("| way | first piece (median) | whole answer (median) | overhead vs raw (median of runs) |")
    print("|---|---|---|---|")
    print(f"| raw HTTP (httpx, same body) | {m['raw']['first']:.3f} s | {m['raw']['total']:.3f} s | — |")
    print(f"| `ServerBackend.chat` | {m['backend']['first']:.3f} s | {m['backend']['total']:.3f} s | "
          f"{o['backend']['total']:+.2f} % |")
    print(f"| `ask` (search + prompt + stream + citation check) | {m['ask']['first']:.3f} s | "
          f"{m['ask']['total']:.3f} s | {o['ask']['total']:+.2f} % |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
