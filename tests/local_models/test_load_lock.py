"""Two llama.cpp loads at once (the chat model and an embedder, as the app does at start) leave the process's
stdout and stderr where they were: llama-cpp-python silences a load by swapping them with /dev/null."""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

import pytest

from local_models import ModelRuntime, RuntimeConfig
from local_models.embedding import Embedder


def _outputs() -> tuple[object, ...]:
    return os.readlink("/proc/self/fd/1"), os.readlink("/proc/self/fd/2"), sys.stdout, sys.stderr


@pytest.mark.model
@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="reads /proc (Linux)")
def test_concurrent_loads_keep_the_process_output(tiny_model: Path, embedder: Path) -> None:
    before = _outputs()
    runtime = ModelRuntime(RuntimeConfig(n_ctx=512, n_threads=1))
    embedders = [Embedder(embedder, n_threads=1, n_ctx=512), Embedder(embedder, n_threads=1, n_ctx=256)]
    try:
        # Each round starts three loads together. Unserialised, a round breaks the output whenever the load
        # that started first also ends first (about half of the overlapping rounds).
        for _ in range(4):
            start = threading.Barrier(3)

            def embed(e: Embedder, start: threading.Barrier = start) -> None:
                start.wait()
                e.embed_queries(["有給休暇"])

            threads = [threading.Thread(target=embed, args=(e,)) for e in embedders]
            for thread in threads:
                thread.start()
            start.wait()
            runtime.load(tiny_model)
            for thread in threads:
                thread.join(120)
            assert runtime.wait_until_loaded(120) and runtime.state == "ready"
            assert _outputs() == before
            for e in embedders:
                e.close()  # the next round loads them again
    finally:
        runtime.close()
        for e in embedders:
            e.close()
