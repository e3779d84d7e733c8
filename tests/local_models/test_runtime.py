"""The runtime worker with the real tiny model: load, stream, cancel, queue, errors, JSON, prefix reuse."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from local_models import ModelError, ModelRuntime, RuntimeConfig
from local_models.prompts import FIXED_PREFIX_MESSAGES, Passage, grounded_messages
from tests.local_models.gguf_writer import write_gguf

pytestmark = pytest.mark.model

# One thread: the tiny model needs no more, and shared CI machines run faster without thread contention.
CONFIG = RuntimeConfig(n_ctx=1024, n_threads=1, temperature=0.0, max_tokens=48)
ASK = [{"role": "user", "content": "Write a long story about a cat who travels the world."}]


@pytest.fixture(scope="module")
def runtime(tiny_model: Path) -> Iterator[ModelRuntime]:
    rt = ModelRuntime(CONFIG)
    rt.load(tiny_model)
    assert rt.wait_until_loaded(120), rt.error
    yield rt
    rt.close()
    assert not rt._thread.is_alive()


def test_load_reports_states_in_order(tiny_model: Path) -> None:
    states: list[str] = []
    rt = ModelRuntime(CONFIG)
    rt.on_state(lambda state, error: states.append(state))
    assert rt.state == "none"
    rt.load(tiny_model)  # returns at once
    assert rt.wait_until_loaded(120)
    rt.close()
    assert states == ["loading", "ready"]
    assert rt.info is not None and rt.info.architecture == "llama"


def test_stream_yields_pieces(runtime: ModelRuntime) -> None:
    stream = runtime.chat(ASK, max_tokens=16)
    pieces = list(stream)
    assert len(pieces) > 3 and "".join(pieces).strip()
    assert stream.stats.generated_tokens == len(pieces) <= 16
    assert stream.stats.prompt_tokens > 5


def test_cancel_mid_answer_stops_within_one_token(runtime: ModelRuntime) -> None:
    cancel = threading.Event()
    stream = runtime.chat(ASK, max_tokens=400, cancel=cancel)
    got = [next(stream), next(stream), next(stream)]
    cancel.set()
    at_cancel = stream.stats.generated_tokens  # read after set: the worker can finish at most the token in flight
    got.extend(stream)
    assert stream.stats.cancelled
    assert stream.stats.generated_tokens - at_cancel <= 1
    assert len(got) == stream.stats.generated_tokens < 400


def test_requests_queue_in_order_and_a_cancelled_queued_request_never_runs(runtime: ModelRuntime) -> None:
    first = runtime.chat(ASK, max_tokens=24)
    skipped_cancel = threading.Event()
    skipped = runtime.chat(ASK, max_tokens=24, cancel=skipped_cancel)
    second = runtime.chat([{"role": "user", "content": "Say hi."}], max_tokens=8)
    skipped_cancel.set()  # still queued behind `first`
    second_text = second.text()  # blocks until the worker reaches it: `first` must be done by then
    assert first.stats.generated_tokens > 0 and first.stats.finish_reason
    assert second_text.strip()
    assert list(skipped) == [] and skipped.stats.cancelled and skipped.stats.generated_tokens == 0
    assert first.text().strip()


def test_closing_the_stream_early_frees_the_worker(runtime: ModelRuntime) -> None:
    stream = runtime.chat(ASK, max_tokens=400)
    next(stream)
    stream.close()
    assert runtime.chat([{"role": "user", "content": "Hi"}], max_tokens=4).text() is not None


def test_fixed_prefix_is_reused_after_another_request(runtime: ModelRuntime) -> None:
    # English and short: the tiny model's tokenizer spends ~3 tokens on each Japanese character.
    prefix = [
        {"role": "system", "content": "Answer only from the numbered passages and cite them like [1]. " * 3},
        {"role": "user", "content": "Passages:\n[1] Staff get a badge on day one.\n\nQuestion: When is the badge given?"},
        {"role": "assistant", "content": "On the first day [1]."},
    ]
    messages = [*prefix, {"role": "user", "content": "Passages:\n[1] Leave is five days.\n\nQuestion: How long?"}]
    first = runtime.chat(messages, max_tokens=4, prefix_messages=len(prefix))
    first.text()
    assert first.stats.fresh_prefix and first.stats.reused_tokens == 0
    runtime.chat([{"role": "user", "content": "Something unrelated."}], max_tokens=4).text()
    again = runtime.chat(messages, max_tokens=4, prefix_messages=len(prefix))
    again.text()
    assert again.stats.restored_prefix
    assert again.stats.reused_tokens > 60  # the system prompt and worked example were not evaluated again
    follow = runtime.chat(messages, max_tokens=4, prefix_messages=len(prefix))
    follow.text()
    assert follow.stats.reused_tokens >= again.stats.reused_tokens  # live-cache prefix match


def test_grounded_messages_keep_a_fixed_prefix() -> None:
    a = grounded_messages("質問A", [Passage(1, "規程", "第1条", "本文A")])
    b = grounded_messages("質問B", [Passage(1, "別の規程", "第9条", "本文B")])
    assert a[:FIXED_PREFIX_MESSAGES] == b[:FIXED_PREFIX_MESSAGES]
    assert "[1] 規程（第1条）" in a[-1]["content"] and "質問A" in a[-1]["content"]


def test_json_output_parses(runtime: ModelRuntime) -> None:
    schema = {
        "type": "object",
        "properties": {"colour": {"type": "string", "enum": ["red", "blue"]}, "count": {"type": "integer"}},
        "required": ["colour", "count"],
    }
    value = runtime.complete_json([{"role": "user", "content": "Pick a colour and a count."}], schema,
                                  max_tokens=40)
    assert value["colour"] in ("red", "blue") and isinstance(value["count"], int)


def test_prompt_longer_than_the_context_is_a_clear_error(runtime: ModelRuntime) -> None:
    stream = runtime.chat([{"role": "user", "content": "word " * 3000}], max_tokens=4)
    with pytest.raises(ModelError) as err:
        stream.text()
    assert err.value.code == "too_long"
    assert runtime.chat([{"role": "user", "content": "Hi"}], max_tokens=2).text() is not None


@pytest.mark.parametrize("kind", ["truncated", "random", "no_tensors", "unknown_arch", "missing"])
def test_bad_model_files_give_a_clear_error(kind: str, tiny_model: Path, tmp_path: Path) -> None:
    path = tmp_path / f"{kind}.gguf"
    if kind == "truncated":
        path.write_bytes(tiny_model.read_bytes()[: tiny_model.stat().st_size - 1000])
    elif kind == "random":
        path.write_bytes(os.urandom(100_000))
    elif kind == "no_tensors":  # a header llama.cpp itself rejects at load
        write_gguf(path, {"general.architecture": "llama", "llama.context_length": 512})
    elif kind == "unknown_arch":
        write_gguf(path, {"general.architecture": "not-an-arch"})
    rt = ModelRuntime(CONFIG)
    rt.load(path)
    assert not rt.wait_until_loaded(60)
    assert rt.state == "error" and rt.error is not None
    expected = {"truncated": "truncated", "random": "not_gguf", "no_tensors": "load_failed",
                "unknown_arch": "unsupported", "missing": "missing"}[kind]
    assert rt.error.code == expected
    assert rt.error.message_ja and rt.error.message_en
    with pytest.raises(ModelError):
        rt.chat(ASK)
    rt.close()


def test_chat_without_a_model_is_refused() -> None:
    rt = ModelRuntime(CONFIG)
    with pytest.raises(ModelError) as err:
        rt.chat(ASK)
    assert err.value.code == "not_loaded"
    rt.close()
    with pytest.raises(ModelError):
        rt.load("whatever.gguf")


def test_watch_reads_how_likely_an_opening_was_without_changing_the_answer(runtime: ModelRuntime) -> None:
    ask = [{"role": "user", "content": "Say hello to the team in one short sentence."}]
    plain = runtime.chat(ask, max_tokens=12)
    text = plain.text()
    assert text.strip() and plain.stats.lead_logprob is None  # not asked: not computed
    greedy = runtime.chat(ask, max_tokens=12, watch=text)  # the opening the model itself chose (temperature 0)
    assert greedy.text() == text  # evaluating the prompt first leaves the answer as it was
    odd = runtime.chat(ask, max_tokens=12, watch="資料に該当する記載が見つかりませんでした。")
    assert odd.text() == text
    chosen, other = greedy.stats.lead_logprob, odd.stats.lead_logprob
    assert chosen is not None and other is not None
    assert other < chosen <= 0.0  # the argmax token is the likeliest; a Japanese opening is far less likely here
    assert chosen > -3.0  # a greedy pick of a small model is rarely below 5 %
