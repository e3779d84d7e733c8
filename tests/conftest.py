"""Shared fixtures: every test gets its own data home; Qt runs offscreen; the keyring is in memory."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import keyring
import keyring.backend
import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REPO_ROOT = Path(__file__).resolve().parent.parent
REALDOCS = REPO_ROOT.parent / "shared" / "realdocs"
DEMO_KB = REPO_ROOT / "kb" / "demo"
MODELS_DIR = REPO_ROOT / "local_models" / "models"
TINY_MODEL = MODELS_DIR / "SmolLM2-135M-Instruct.Q4_1.gguf"
DEFAULT_MODEL = MODELS_DIR / "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"


class MemoryKeyring(keyring.backend.KeyringBackend):
    """A real keyring backend that keeps secrets in this process only (tests have no OS keyring daemon)."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        try:
            del self.store[(service, username)]
        except KeyError:
            import keyring.errors

            raise keyring.errors.PasswordDeleteError(username) from None


@pytest.fixture(autouse=True)
def data_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point the data home at a fresh temp folder for every test."""
    home = tmp_path / "home"
    monkeypatch.setenv("SOUMU_DESK_HOME", str(home))
    monkeypatch.delenv("SOUMU_DESK_PASSPHRASE", raising=False)
    # Embedding a knowledge base costs ~0.5 s a chunk on 2 cores: only the tests of the semantic layer
    # (which use the ``embedder`` fixture) turn it on.
    monkeypatch.setenv("SOUMU_DESK_EMBEDDER", "none")
    yield home


@pytest.fixture(autouse=True)
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def realdocs(tmp_path: Path) -> Path:
    """A copy of ../shared/realdocs in a temp folder (tests never touch the originals)."""
    if not REALDOCS.is_dir():
        pytest.skip("../shared/realdocs is not present")
    dest = tmp_path / "realdocs"
    shutil.copytree(REALDOCS, dest)
    for p in dest.rglob("*"):
        p.chmod(0o700 if p.is_dir() else 0o600)
    dest.chmod(0o700)
    return dest


@pytest.fixture
def demo_kb(tmp_path: Path) -> Path:
    dest = tmp_path / "demo_kb"
    shutil.copytree(DEMO_KB, dest)
    return dest


@pytest.fixture(scope="session")
def tiny_model() -> Path:
    if not TINY_MODEL.exists():
        pytest.fail(f"test model missing: {TINY_MODEL} — run `make test` (it fetches it)")
    return TINY_MODEL


EMBEDDER = MODELS_DIR / "embeddinggemma-300m-q8_0.gguf"


@pytest.fixture
def embedder(monkeypatch: pytest.MonkeyPatch) -> Path:
    """The real embedding model (EmbeddingGemma-300M, converted by the set-up), switched on for this test."""
    if not EMBEDDER.exists():
        pytest.fail(f"embedding model missing: {EMBEDDER} — run `make test` (it fetches it)")
    monkeypatch.setenv("SOUMU_DESK_EMBEDDER", str(EMBEDDER))
    return EMBEDDER


def counting_texts(model: Any, model_id: str | None = None) -> tuple[Any, list[int]]:
    """``model`` (a real ``kb.SemanticModel``) with the number of texts its question-time ``embed_texts`` is
    given recorded; optionally under another model id (a vector space of its own)."""
    import dataclasses

    assert model is not None and model.embed_texts is not None
    calls: list[int] = []
    real = model.embed_texts

    def embed_texts(texts: Any) -> Any:
        calls.append(len(texts))
        return real(texts)

    return dataclasses.replace(model, embed_texts=embed_texts, model_id=model_id or model.model_id), calls


def services_over(data_home: Path, docs: Path) -> Any:
    """Real Services over ``data_home`` with no chat model, ``docs`` indexed (the embedder as the environment
    says: the ``embedder`` fixture turns it on). The caller closes it."""
    from desktop.context import Context
    from desktop.services import Services

    ctx = Context.open(data_home)
    ctx.settings.model.active = str(data_home / "none.gguf")
    services = Services(ctx)
    for _ in services.kb.index(folders=[docs]):
        pass
    return services
