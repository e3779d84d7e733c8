"""モデル page in team mode: the model server is shown (URL, the server's model name, reachable or not) instead
of a local GGUF — against a real `python -m llama_cpp.server` with the tiny test model (tests/model_server.py),
and a URL where nothing listens."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest

from desktop.services import Services
from tests.model_server import ModelServer, model_server  # noqa: F401
from tests.ui.helpers import dispose
from ui.pages.model import ModelPage


@pytest.fixture
def page(services: Services) -> Iterator[ModelPage]:
    p = ModelPage(services)
    p.show()
    yield p
    dispose(p)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.model
def test_the_model_server_is_shown_with_its_model_and_reachability(
    qtbot: Any, page: ModelPage, services: Services, model_server: ModelServer  # noqa: F811
) -> None:
    services.set_model_server(model_server.url)
    page.activated()
    qtbot.waitUntil(lambda: services.runtime.state == "ready", timeout=30_000)
    page._show_active()
    assert page.active_name.text().startswith("モデルサーバー: ")
    name = services.runtime.model_name
    assert name and name in page.active_name.text()  # the server's own name for its model
    assert "接続できています" in page.active_state.text()
    assert model_server.url.split("//")[1] in page.active_info.text()


def test_an_unreachable_model_server_says_so(qtbot: Any, page: ModelPage, services: Services) -> None:
    url = f"http://127.0.0.1:{_closed_port()}"
    services.set_model_server(url)
    page.activated()
    qtbot.waitUntil(lambda: services.runtime.state == "error", timeout=30_000)
    page._show_active()
    assert "接続できません" in page.active_state.text() and url in page.active_info.text()
    services.set_model_server("")  # back to this PC's model: the page shows the local state again
    page._show_active()
    assert not page.active_name.text().startswith("モデルサーバー")
