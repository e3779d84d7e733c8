"""Finding, importing and choosing model files; the recommended list."""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

import pytest

from local_models import (
    RECOMMENDED,
    ModelFileError,
    check_memory,
    find_model,
    import_model,
    iter_import,
    read_gguf_info,
    resolve_active,
    scan_models,
)
from local_models.catalog import DEFAULT_MODEL_FILE

TINY_SHA256 = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"


def test_import_copies_hashes_and_records(tiny_model: Path, tmp_path: Path) -> None:
    dest = tmp_path / "models"
    seen: list[int] = []
    entry = import_model(tiny_model, dest, progress=lambda p: seen.append(p.copied))
    assert entry.path == dest / tiny_model.name and entry.path.exists()
    assert entry.sha256 == TINY_SHA256 == hashlib.sha256(entry.path.read_bytes()).hexdigest()
    assert seen and seen[-1] == tiny_model.stat().st_size
    assert [p.name for p in dest.iterdir() if p.name.startswith(".")] == []  # no .part left
    listed = scan_models([dest])
    assert [e.name for e in listed] == [tiny_model.name] and listed[0].usable
    assert listed[0].sha256 == TINY_SHA256
    with pytest.raises(ModelFileError) as err:
        import_model(tiny_model, dest)
    assert err.value.code == "exists"


def test_cancelled_import_leaves_nothing(tiny_model: Path, tmp_path: Path) -> None:
    dest = tmp_path / "models"
    cancel = threading.Event()
    gen = iter_import(tiny_model, dest, cancel=cancel)
    next(gen)
    cancel.set()
    with pytest.raises(InterruptedError):
        next(gen)
    assert list(dest.iterdir()) == []


def test_import_refuses_bad_files(tiny_model: Path, tmp_path: Path) -> None:
    junk = tmp_path / "junk.gguf"
    junk.write_bytes(b"not a model at all" * 100)
    cut = tmp_path / "cut.gguf"
    cut.write_bytes(tiny_model.read_bytes()[: 3_000_000])
    dest = tmp_path / "models"
    for bad, code in ((junk, "not_gguf"), (cut, "truncated")):
        with pytest.raises(ModelFileError) as err:
            import_model(bad, dest)
        assert err.value.code == code
    assert not dest.exists() or list(dest.iterdir()) == []


def test_too_little_memory_is_refused(tiny_model: Path) -> None:
    info = read_gguf_info(tiny_model)
    with pytest.raises(ModelFileError) as err:
        check_memory(info, 4096, available=info.file_size // 2)
    assert err.value.code == "memory" and "メモリが足りません" in err.value.message_ja
    check_memory(info, 4096, available=info.memory_needed(4096) + 1)


def test_scan_reports_unusable_files_without_raising(tiny_model: Path, tmp_path: Path) -> None:
    (tmp_path / "broken.gguf").write_bytes(b"\0" * 64)
    (tmp_path / "notes.txt").write_text("not a model", encoding="utf-8")
    entries = {e.name: e for e in scan_models([tmp_path, tiny_model.parent])}
    assert not entries["broken.gguf"].usable and entries["broken.gguf"].error is not None
    assert entries[tiny_model.name].usable
    assert "notes.txt" not in entries


def test_find_and_resolve(tiny_model: Path, tmp_path: Path) -> None:
    folders = [tmp_path, tiny_model.parent]
    assert find_model(tiny_model.name, folders) == tiny_model
    assert find_model(tiny_model.stem, folders) == tiny_model
    assert find_model(str(tiny_model), folders) == tiny_model.resolve()
    assert find_model("nothing-like-this", folders) is None
    assert resolve_active(tiny_model.name, folders) == tiny_model
    default = resolve_active("", folders)
    assert default is None or default.name == DEFAULT_MODEL_FILE


def test_recommended_list_is_complete() -> None:
    assert len(RECOMMENDED) >= 5
    for r in RECOMMENDED:
        assert r.name and r.license and "/" in r.source and r.file
        assert 0.5 < r.file_size_gb < r.memory_gb < 16
