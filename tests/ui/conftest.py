"""UI fixtures: real services over the temp data home, the demo documents, and teardown that joins workers."""

from __future__ import annotations

import gc
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop.context import Context
from desktop.services import Services
from ui import i18n
from ui.workers import shutdown_workers

REPO_ROOT = Path(__file__).resolve().parents[2]
DEMO_KB = REPO_ROOT / "kb" / "demo"


def copy_demo_docs(dest: Path) -> Path:
    """The demo knowledge base's documents in ``dest`` (its notes live in the hidden ``.about`` folder)."""
    dest.mkdir(parents=True, exist_ok=True)
    for p in sorted(DEMO_KB.iterdir()):
        if p.is_file() and not p.name.startswith("."):
            shutil.copy2(p, dest / p.name)
    return dest


@pytest.fixture
def demo_docs(tmp_path: Path) -> Path:
    if not DEMO_KB.is_dir():
        pytest.skip("kb/demo is not present")
    return copy_demo_docs(tmp_path / "docs")


@pytest.fixture(autouse=True)
def _ui_teardown(qapp: object) -> Iterator[None]:
    """Every test starts in Japanese and ends with every background job cancelled and joined.

    As in the app (``ui.main.UiThreadGarbageCollector``), cycles are collected on the UI thread only:
    a Qt object freed by the collector on a pool thread crashes Qt later, at random."""
    i18n.set_language("ja")
    gc.collect()
    gc.disable()
    try:
        yield
        assert shutdown_workers(30_000), "background jobs still running after the test"
    finally:
        gc.collect()
        gc.enable()
        i18n.set_language("ja")


@pytest.fixture
def services(data_home: Path) -> Iterator[Services]:
    """Real services over the temp data home, with no model (tests that need one load the tiny model)."""
    ctx = Context.open(data_home)
    ctx.settings.model.active = str(data_home / "no-model.gguf")  # never the 1.1 GB demo model in tests
    ctx.settings.kb.watch = False  # watching is tested in kb; here it would only add threads
    ctx.save_settings()
    svc = Services(ctx)
    yield svc
    shutdown_workers(30_000)
    svc.close()


@pytest.fixture
def indexed(services: Services, demo_docs: Path) -> Services:
    """Services whose knowledge base holds the demo documents (indexed here, before the UI is built)."""
    for _ in services.kb.index(folders=[demo_docs]):
        pass
    return services


@pytest.fixture
def tiny_services(indexed: Services, tiny_model: Path) -> Services:
    """Indexed services with the tiny real model loaded."""
    indexed.settings.model.active = str(tiny_model)
    indexed.settings.model.max_tokens = 48  # a real model, not a long answer: tests stay quick
    indexed.reload_model(tiny_model)
    assert indexed.runtime.wait_until_loaded(120), indexed.runtime.error
    return indexed


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Qt's offscreen platform warns that it cannot propagate size hints or raise a window; it is a
    limit of the test platform, not of the app, so that one message does not fail UI tests."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.qt_log_ignore(r"This plugin does not support (propagateSizeHints|raise|activateWindow)"))
