"""Grounded answers through both model backends — the in-process runtime and a real ``python -m
llama_cpp.server`` with the same tiny model — with the same pipeline and the same citation check; and
``soumu-desk models server`` / ``ask`` in team mode. No mocks."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from desktop.answering import (
    NOT_FOUND_JA,
    Answer,
    AnswerDone,
    Answerer,
    AnswerToken,
    PassagesFound,
    runtime_config,
)
from desktop.cli import main
from desktop.context import Context
from desktop.services import Services, allowed_hosts
from desktop.settings import Settings
from kb import KnowledgeBase
from local_models import ModelRuntime
from local_models.server_backend import ServerBackend
from tests.model_server import SERVER_N_CTX, ModelServer, free_port, model_server  # noqa: F401

pytestmark = pytest.mark.model

TINY_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
QUESTION = "How many days of wedding leave does an employee get?"


def _settings() -> Settings:
    settings = Settings()
    settings.model.n_ctx = SERVER_N_CTX
    settings.model.n_threads = 1
    settings.model.temperature = 0.0
    settings.model.max_tokens = 40
    return settings


@pytest.fixture
def rules_index(tmp_path: Path) -> Iterator[KnowledgeBase]:
    docs = tmp_path / "rules"
    docs.mkdir()
    (docs / "leave.md").write_text(
        "# Leave rules\n\n## Article 3 Wedding leave\n\nAn employee who marries gets 5 days of wedding leave.\n",
        encoding="utf-8")
    (docs / "travel.md").write_text(
        "# Travel rules\n\n## Article 8 Hotels\n\nThe hotel limit is 12000 yen a night.\n", encoding="utf-8")
    kbase = KnowledgeBase(tmp_path / "index")
    for _ in kbase.index([docs]):
        pass
    yield kbase
    kbase.close()


@pytest.fixture(params=["local", "server"])
def backend(request: pytest.FixtureRequest, tiny_model: Path) -> Iterator[ModelRuntime | ServerBackend]:
    """The same tiny model in this process and behind the model server."""
    config = runtime_config(_settings())
    b: ModelRuntime | ServerBackend
    if request.param == "local":
        b = ModelRuntime(config)
        b.load(tiny_model)
    else:
        server: ModelServer = request.getfixturevalue("model_server")
        b = ServerBackend(server.url, config)
        b.load()
    assert b.wait_until_loaded(120), b.error
    yield b
    b.close()


def _run(answerer: Answerer, question: str, cancel: threading.Event | None = None) -> tuple[list[Any], Answer]:
    events = list(answerer.ask(question, 8, cancel))
    assert isinstance(events[0], PassagesFound) and isinstance(events[-1], AnswerDone)
    assert all(isinstance(e, AnswerToken) for e in events[1:-1])
    return events, events[-1].answer


def _numbers_supported(answer: Answer) -> None:
    """Every number in a sentence appears in a passage that sentence cites."""
    by_n = {s.n: s for s in answer.sources}
    for sentence in re.split(r"(?<=[。.])\s*|\n", answer.answer):
        if not sentence.strip():
            continue
        cites = [int(n) for n in re.findall(r"\[(\d+)\]", sentence)]
        assert cites, sentence
        for num in re.findall(r"\d[\d,]*", re.sub(r"\[\d+\]", "", sentence)):
            assert any(num.replace(",", "") in by_n[c].text.replace(",", "") for c in cites), (num, sentence)


def test_the_answer_streams_and_is_checked_against_the_passages(
    rules_index: KnowledgeBase, backend: ModelRuntime | ServerBackend
) -> None:
    events, answer = _run(Answerer(rules_index, backend, _settings()), QUESTION)
    tokens = [e for e in events if isinstance(e, AnswerToken)]
    assert len(tokens) > 3, "the model's answer should arrive piece by piece"
    assert answer.grounded and answer.answer.strip()
    # Whatever the tiny model wrote, what is left cites real passages and every number is supported.
    assert answer.cited and set(answer.cited) <= {s.n for s in answer.sources}
    _numbers_supported(answer)
    if answer.model is None:
        assert answer.extractive  # nothing the model wrote survived the check
    else:
        assert answer.model == TINY_NAME  # the same name shown whichever backend wrote it


def test_out_of_scope_stays_not_grounded(rules_index: KnowledgeBase, backend: ModelRuntime | ServerBackend) -> None:
    _, answer = _run(Answerer(rules_index, backend, _settings()), "社員食堂のメニューは？")
    assert not answer.grounded and answer.sources == [] and answer.answer == NOT_FOUND_JA


def test_stop_mid_answer_ends_it_at_once(rules_index: KnowledgeBase, backend: ModelRuntime | ServerBackend) -> None:
    settings = _settings()
    settings.model.max_tokens = 400
    cancel = threading.Event()
    events = Answerer(rules_index, backend, settings).ask(QUESTION, 8, cancel)
    assert isinstance(next(events), PassagesFound)
    assert isinstance(next(events), AnswerToken)
    cancel.set()
    t0 = time.perf_counter()
    rest = list(events)
    assert time.perf_counter() - t0 < 1.0
    assert isinstance(rest[-1], AnswerDone) and len(rest) <= 3  # at most the token in flight


def test_an_unreachable_server_gives_the_extractive_answer(rules_index: KnowledgeBase) -> None:
    b = ServerBackend(f"http://127.0.0.1:{free_port()}", runtime_config(_settings()), connect_timeout=1.0)
    b.load()
    try:
        assert not b.wait_until_loaded(10) and b.state == "error"
        _, answer = _run(Answerer(rules_index, b, _settings()), QUESTION)
    finally:
        b.close()
    assert answer.grounded and answer.extractive and answer.model is None
    assert "5 days" in answer.answer and answer.cited


def test_a_server_lost_mid_session_still_answers_from_the_passages(rules_index: KnowledgeBase) -> None:
    """The server is marked ready, then a request finds it gone: the pipeline answers from the passages."""
    b = ServerBackend(f"http://127.0.0.1:{free_port()}", runtime_config(_settings()), connect_timeout=1.0,
                      probe_interval=60)
    b._set_state("ready", None)  # as if it had answered a moment ago
    try:
        _, answer = _run(Answerer(rules_index, b, _settings()), QUESTION)
        assert b.state == "error" and b.error is not None and b.error.code == "unreachable"
    finally:
        b.close()
    assert answer.grounded and answer.extractive and answer.model is None


# ----- the app and the CLI in team mode -----


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_models_server_sets_shows_and_clears_the_server(
    tmp_path: Path, model_server: ModelServer, capsys: pytest.CaptureFixture[str]  # noqa: F811
) -> None:
    home = str(tmp_path / "home")
    code, out, _ = run(capsys, "--home", home, "models", "server")
    assert code == 0 and "none" in out
    code, out, _ = run(capsys, "--home", home, "models", "server", model_server.url)
    assert code == 0 and TINY_NAME in out
    settings = Settings.load(Path(home) / "settings.json")
    assert settings.model.backend == "server" and settings.model.server_url == model_server.url + "/v1"
    assert allowed_hosts(settings) == {("127.0.0.1", model_server.port)}
    code, out, _ = run(capsys, "--home", home, "models", "server")
    assert code == 0 and model_server.url in out
    code, out, _ = run(capsys, "--home", home, "models", "list", "--json")
    assert code == 0 and json.loads(out)["server"] == model_server.url + "/v1"
    code, out, _ = run(capsys, "--home", home, "models", "server", "none")
    assert code == 0
    settings = Settings.load(Path(home) / "settings.json")
    assert not settings.model.uses_server() and allowed_hosts(settings) == set()


def test_models_server_refuses_a_bad_url_and_warns_about_a_dead_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home = str(tmp_path / "home")
    code, _, err = run(capsys, "--home", home, "models", "server", "10.0.0.5:8080")
    assert code == 1 and "http://" in err
    assert not Settings.load(Path(home) / "settings.json").model.uses_server()
    dead = f"http://127.0.0.1:{free_port()}"
    code, _, err = run(capsys, "--home", home, "models", "server", dead)
    assert code == 1 and "保存しました" in err  # kept: the server may be started later
    assert Settings.load(Path(home) / "settings.json").model.server_url == dead + "/v1"


def test_ask_streams_from_the_model_server(
    tmp_path: Path, demo_kb: Path, model_server: ModelServer, capsys: pytest.CaptureFixture[str]  # noqa: F811
) -> None:
    home = tmp_path / "home"
    assert run(capsys, "--home", str(home), "kb", "index", str(demo_kb))[0] == 0
    assert run(capsys, "--home", str(home), "models", "server", model_server.url)[0] == 0
    settings = Settings.load(home / "settings.json")
    settings.model.temperature, settings.model.max_tokens = 0.0, 48
    settings.save(home / "settings.json")
    requests_before = model_server.log_text().count("POST /v1/chat/completions")
    code, out, err = run(capsys, "--home", str(home), "ask", "結婚祝金はいくらですか？", "-k", "3", "--json")
    assert code == 0, err
    answer = json.loads(out)
    assert answer["grounded"] and answer["sources"] and "[1]" in answer["answer"]
    # the tiny model's draft is kept only when it passes the citation check; else the extracts answer
    assert answer["model"] == TINY_NAME or (answer["model"] is None and answer["draft_discarded"])
    assert "30,000円" in answer["answer"] or answer["model"] is not None
    assert model_server.log_text().count("POST /v1/chat/completions") == requests_before + 1
    # as text, the model's pieces are printed as they come, then the sources and who answered
    code, out, err = run(capsys, "--home", str(home), "ask", "結婚祝金はいくらですか？", "-k", "3")
    assert code == 0 and "出典 / Sources:" in out
    assert f"（回答: {TINY_NAME}）" in err or "（回答: 抜粋 / extractive）" in err
    assert model_server.log_text().count("POST /v1/chat/completions") == requests_before + 2


def test_services_use_the_configured_server(tmp_path: Path, model_server: ModelServer) -> None:  # noqa: F811
    ctx = Context.open(str(tmp_path / "home"))
    ctx.settings.model.backend, ctx.settings.model.server_url = "server", model_server.url
    services = Services(ctx)
    try:
        assert isinstance(services.runtime, ServerBackend)
        services.start()
        assert services.runtime.wait_until_loaded(30) and services.runtime.model_name == TINY_NAME
        assert services.answerer.runtime is services.runtime
        ctx.settings.model.backend = "local"
        services.reload_model()  # back to this PC's model (none is set here: answers are extractive)
        assert isinstance(services.runtime, ModelRuntime) and services.answerer.runtime is services.runtime
    finally:
        services.close()
