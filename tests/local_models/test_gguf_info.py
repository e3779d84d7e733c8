"""GGUF header reading: real model files, and every way a file can be unusable."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from local_models.gguf_info import ModelFileError, check_usable, read_gguf_info
from tests.local_models.gguf_writer import write_gguf


def test_reads_the_tiny_models_header(tiny_model: Path) -> None:
    info = read_gguf_info(tiny_model)
    assert info.architecture == "llama"
    assert info.size_label == "135M"
    assert info.quantization == "Q4_1"
    assert info.context_length == 8192
    assert info.has_chat_template
    assert info.file_size == tiny_model.stat().st_size
    # The tensor table describes the file to the byte.
    assert info.expected_size == info.file_size and not info.truncated
    assert 130_000_000 < info.parameter_count < 140_000_000
    assert info.kv_cache_bytes(1024) > 0
    check_usable(info)


def test_truncated_copy_is_caught_from_the_header(tiny_model: Path, tmp_path: Path) -> None:
    cut = tmp_path / "cut.gguf"
    with tiny_model.open("rb") as src, cut.open("wb") as dst:
        dst.write(src.read(tiny_model.stat().st_size // 2))
    info = read_gguf_info(cut)
    assert info.truncated
    with pytest.raises(ModelFileError) as err:
        check_usable(info)
    assert err.value.code == "truncated"
    assert "途中で切れて" in err.value.message_ja and "truncated" in err.value.message_en


def test_random_bytes_named_gguf_are_not_gguf(tmp_path: Path) -> None:
    junk = tmp_path / "model.gguf"
    junk.write_bytes(os.urandom(4096))
    with pytest.raises(ModelFileError) as err:
        read_gguf_info(junk)
    assert err.value.code == "not_gguf"


def test_header_cut_inside_the_metadata_is_corrupt(tiny_model: Path, tmp_path: Path) -> None:
    cut = tmp_path / "head.gguf"
    with tiny_model.open("rb") as src:
        cut.write_bytes(src.read(5000))
    with pytest.raises(ModelFileError) as err:
        read_gguf_info(cut)
    assert err.value.code == "corrupt"


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ModelFileError) as err:
        read_gguf_info(tmp_path / "nope.gguf")
    assert err.value.code == "missing"


def test_unknown_and_non_chat_architectures_are_refused(tmp_path: Path) -> None:
    unknown = read_gguf_info(write_gguf(tmp_path / "u.gguf", {"general.architecture": "brand-new-arch"}))
    with pytest.raises(ModelFileError) as err:
        check_usable(unknown)
    assert err.value.code == "unsupported"
    embed = read_gguf_info(write_gguf(tmp_path / "e.gguf", {"general.architecture": "bert"}))
    with pytest.raises(ModelFileError) as err:
        check_usable(embed)
    assert err.value.code == "not_chat"


def test_written_header_round_trips(tmp_path: Path) -> None:
    path = write_gguf(
        tmp_path / "m.gguf",
        {"general.architecture": "qwen2", "general.name": "Test Model", "qwen2.context_length": 2048,
         "general.file_type": 15},
        tensors=2,
    )
    info = read_gguf_info(path)
    assert (info.name, info.architecture, info.context_length, info.quantization) == (
        "Test Model", "qwen2", 2048, "Q4_K_M")
    assert info.tensor_count == 2 and not info.truncated


def test_reading_does_not_modify_the_file(tiny_model: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy.gguf"
    shutil.copyfile(tiny_model, copy)
    before = copy.stat().st_mtime_ns
    read_gguf_info(copy)
    assert copy.stat().st_mtime_ns == before
