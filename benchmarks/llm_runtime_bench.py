"""Runtime overhead, prefix reuse and stop latency of ``local_models.ModelRuntime`` (run by hand).

Usage (from the repository root)::

    .venv/bin/python benchmarks/llm_runtime_bench.py [--model FILE] [--threads N] [--repeat N]

Measured in one process, on the same model file, so the ratios compare like with like:

1. **Tokens/s through the runtime vs a bare llama-cpp-python loop.** The bare loop is a second ``Llama`` on
   the main thread calling ``create_completion(stream=True)`` directly — the same call the worker makes —
   so the difference is our thread, queue and cancel checks. Generation speed is timed from the first to
   the last token (prompt evaluation excluded), runs alternate bare/runtime to cancel out drift.
2. **Time to first token for a ~1,500-token grounded prompt** (real passages from ``../shared/realdocs``):
   cold (the KV cache cleared: the whole prompt is evaluated), after another request came in between (the
   fixed prefix is restored from the runtime's snapshot), and right after a previous grounded question
   (llama-cpp-python's own prefix match on the live cache).
3. **Stop latency**: time from setting the cancel event to the stream's end, and tokens generated after it.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from local_models import ModelRuntime, RuntimeConfig  # noqa: E402  (sets OMP_WAIT_POLICY before llama_cpp)
from local_models.prompts import FIXED_PREFIX_MESSAGES, Passage, grounded_messages  # noqa: E402

DEFAULT_MODEL = REPO / "local_models" / "models" / "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
REALDOCS = REPO.parent / "shared" / "realdocs"
GEN_PROMPT = [{"role": "user", "content": "日本の四季について、それぞれの季節の特徴を詳しく説明してください。"}]
QUESTIONS = [
    "国内出張の旅費の清算は何日以内ですか？",
    "東京23区内の宿泊費はいくらですか？",
    "有料特急は何km以上で使えますか？",
    "日帰り出張の出張日数はどう数えますか？",
    "海外出張の清算期限はいつですか？",
    "懇親会費はいくらまで出ますか？",
]


def all_passages() -> list[Passage]:
    """Consecutive articles of the two travel rules (real text) joined into passages of ~650 characters."""
    out: list[Passage] = []
    for name in ("tuqulore__03_出張旅費規程.md", "denkiyagi__004_出張旅費規程.md"):
        text = (REALDOCS / name).read_text(encoding="utf-8")
        titles: list[str] = []
        body = ""
        for block in text.split("### ")[1:]:
            title, _, rest = block.partition("\n")
            titles.append(title.strip().split()[0])
            body += f"{title.strip()}\n{rest.strip()}\n"
            if len(body) >= 650:
                out.append(Passage(0, "出張旅費規程", "・".join(titles), body[:800]))
                titles, body = [], ""
    return out


def passages(i: int, pool: list[Passage], n: int = 2, chars: int = 480) -> list[Passage]:
    """A different set of passages for each question, as retrieval would give: only the fixed prefix is
    shared between two prompts."""
    start = (i * n) % len(pool)
    chosen = (pool + pool)[start : start + n]
    return [Passage(k + 1, p.title, p.location, p.text[:chars]) for k, p in enumerate(chosen)]


def bare_generation(llm: Any, tokens: list[int], n: int) -> float:
    llm.reset()
    first = last = 0.0
    count = 0
    for chunk in llm.create_completion(tokens, max_tokens=n, temperature=0.0, stream=True):
        if chunk["choices"][0]["text"]:
            last = time.perf_counter()
            if count == 0:
                first = last
            count += 1
    return (count - 1) / (last - first)


def runtime_generation(rt: ModelRuntime, n: int) -> float:
    rt.clear_cache()
    first = last = 0.0
    count = 0
    for _ in rt.chat(GEN_PROMPT, max_tokens=n, temperature=0.0):
        last = time.perf_counter()
        if count == 0:
            first = last
        count += 1
    return (count - 1) / (last - first)


def ttft(rt: ModelRuntime, messages: list[dict[str, str]], prefix: int) -> tuple[float, int, int]:
    t0 = time.perf_counter()
    stream = rt.chat(messages, max_tokens=8, temperature=0.0, prefix_messages=prefix)
    next(stream)
    first = time.perf_counter() - t0
    stream.close()
    for _ in stream:
        pass
    return first, stream.stats.prompt_tokens, stream.stats.reused_tokens


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--tokens", type=int, default=96)
    args = parser.parse_args()

    import llama_cpp
    import psutil

    config = RuntimeConfig(n_ctx=4096, n_threads=args.threads, temperature=0.0)
    rt = ModelRuntime(config)
    rt.load(args.model)
    if not rt.wait_until_loaded():
        print(f"model failed: {rt.error}", file=sys.stderr)
        return 1
    threads = rt.call(lambda llm: llm.n_threads)
    bare = llama_cpp.Llama(str(args.model), n_ctx=4096, n_batch=512, n_threads=threads,
                           n_threads_batch=max(threads, os.cpu_count() or 1), verbose=False)
    gen_tokens = rt.call(lambda llm: rt._tokens_for(GEN_PROMPT)[0])  # the exact prompt the runtime sends

    print(f"# {args.model.name}, {threads} threads, {platform.processor() or platform.machine()}, "
          f"{psutil.cpu_count(logical=True)} logical CPUs, {psutil.virtual_memory().total / 2**30:.0f} GiB, "
          f"OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY')}, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")

    # 1. generation speed, alternating
    bare_tps: list[float] = []
    rt_tps: list[float] = []
    for _ in range(args.repeat):
        bare_tps.append(bare_generation(bare, gen_tokens, args.tokens))
        rt_tps.append(runtime_generation(rt, args.tokens))
        print(f"  bare {bare_tps[-1]:.2f} tok/s, runtime {rt_tps[-1]:.2f} tok/s", file=sys.stderr, flush=True)
    bare.close()
    b, r = statistics.median(bare_tps), statistics.median(rt_tps)
    print(f"generation: bare llama-cpp-python {b:.2f} tok/s, ModelRuntime {r:.2f} tok/s "
          f"(median of {args.repeat}); overhead {100 * (b - r) / b:+.1f}%")

    # 2. time to first token for a grounded prompt
    pool = all_passages()
    cold: list[float] = []
    restored: list[float] = []
    live: list[float] = []
    size = 0
    for i in range(args.repeat):
        qa, qb, qc = (QUESTIONS[(3 * i + j) % len(QUESTIONS)] for j in range(3))
        rt.clear_cache()  # a true cold start: no live cache, no snapshot
        t, n, _ = ttft(rt, grounded_messages(qa, passages(3 * i, pool)), 0)
        cold.append(t)
        size = max(size, n)
        ttft(rt, grounded_messages(qa, passages(3 * i, pool)), FIXED_PREFIX_MESSAGES)  # takes the snapshot
        ttft(rt, GEN_PROMPT, 0)  # another request in between overwrites the live cache
        t, _, reused_r = ttft(rt, grounded_messages(qb, passages(3 * i + 1, pool)), FIXED_PREFIX_MESSAGES)
        restored.append(t)
        t, _, reused_l = ttft(rt, grounded_messages(qc, passages(3 * i + 2, pool)), FIXED_PREFIX_MESSAGES)
        live.append(t)
        print(f"  cold {cold[-1]:.2f}s, snapshot {restored[-1]:.2f}s ({reused_r} reused), "
              f"live {live[-1]:.2f}s ({reused_l} reused)", file=sys.stderr, flush=True)
    prefix_tokens = rt.call(lambda llm: len(rt._prefix_key))
    print(f"time to first token, ~{size}-token grounded prompts ({prefix_tokens}-token fixed prefix): "
          f"cold {statistics.median(cold):.2f} s; prefix restored from snapshot {statistics.median(restored):.2f} s; "
          f"prefix still in the cache from the previous question {statistics.median(live):.2f} s (medians of {args.repeat})")

    # 3. stop latency
    stops: list[float] = []
    extra: list[int] = []
    for _ in range(max(3, args.repeat)):
        cancel = threading.Event()
        stream = rt.chat(GEN_PROMPT, max_tokens=400, temperature=0.0, cancel=cancel)
        for _ in range(10):
            next(stream)
        t0 = time.perf_counter()
        cancel.set()
        at_cancel = stream.stats.generated_tokens
        for _ in stream:
            pass
        stops.append(time.perf_counter() - t0)
        extra.append(stream.stats.generated_tokens - at_cancel)
    print(f"stop → last token: median {1000 * statistics.median(stops):.0f} ms, max {1000 * max(stops):.0f} ms; "
          f"tokens generated after stop: max {max(extra)}")
    rt.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
