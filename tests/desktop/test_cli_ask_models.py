"""`soumu-desk ask` and `soumu-desk models` through the real CLI entry point, in a temp data home."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from desktop.cli import main
from desktop.settings import Settings


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def indexed_home(home: Path, demo_kb: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    code, _, _ = run(capsys, "--home", str(home), "kb", "index", str(demo_kb))
    assert code == 0
    return home


def test_ask_json_shape_grounded(indexed_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--home", str(indexed_home), "ask", "結婚祝金はいくらですか？", "--no-model", "--json")
    assert code == 0
    data = json.loads(out)
    assert set(data) == {"question", "answer", "grounded", "sources", "model", "similarity", "draft_discarded",
                         "doubtful"}
    assert data["grounded"] is True and data["model"] is None
    assert "30,000円" in data["answer"]
    assert data["sources"] and all(set(s) == {"n", "path", "title", "location"} for s in data["sources"])
    assert all(Path(s["path"]).is_absolute() and f"[{s['n']}]" in data["answer"] for s in data["sources"])


@pytest.mark.parametrize("question", ["今日の天気は？", "社員食堂のメニューは？"])
def test_ask_json_out_of_scope(indexed_home: Path, capsys: pytest.CaptureFixture[str], question: str,
                               tiny_model: Path) -> None:
    code, out, _ = run(capsys, "--home", str(indexed_home), "ask", question, "--model", str(tiny_model), "--json")
    assert code == 0
    assert json.loads(out) == {"question": question, "answer": "規程・資料に該当する記載が見つかりませんでした。",
                               "grounded": False, "sources": [], "model": None, "similarity": None,
                               "draft_discarded": None, "doubtful": False}


def test_ask_text_streams_answer_then_sources(indexed_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--home", str(indexed_home), "ask", "社用車の予約はいつまでにすればいいですか？",
                       "--no-model", "-k", "5")
    assert code == 0
    answer, _, sources = out.partition("出典 / Sources:")
    assert "17時" in answer and "[1]" in answer
    assert "社用車利用ルール" in sources


def test_ask_with_a_missing_or_broken_model_fails_clearly(indexed_home: Path, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "--home", str(indexed_home), "ask", "質問", "--model", "no-such-model")
    assert code == 1 and "model not found" in err
    junk = tmp_path / "junk.gguf"
    junk.write_bytes(os.urandom(2048))
    code, out, err = run(capsys, "--home", str(indexed_home), "ask", "質問", "--model", str(junk), "--json")
    assert code == 1 and out == "" and "not a GGUF" in err


def test_models_import_use_info_list(home: Path, tiny_model: Path, tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "--home", str(home), "models", "import", str(tiny_model))
    assert code == 0 and "100%" in err
    imported = home / "models" / tiny_model.name
    assert imported.read_bytes() == tiny_model.read_bytes()

    code, out, _ = run(capsys, "--home", str(home), "models", "use", tiny_model.name)
    assert code == 0
    assert Settings.load(home / "settings.json").model.active == tiny_model.name

    code, out, _ = run(capsys, "--home", str(home), "models", "info", "--json")
    info = json.loads(out)
    assert code == 0 and info["path"] == str(imported) and info["architecture"] == "llama"
    assert info["quantization"] == "Q4_1" and info["has_chat_template"] is True and info["usable"] is True
    assert info["settings"]["n_ctx"] == 4096

    code, out, _ = run(capsys, "--home", str(home), "models", "list", "--json")
    listed = json.loads(out)
    assert listed["active"] == str(imported)
    assert [m["file"] for m in listed["models"] if m["active"]] == [tiny_model.name]
    assert len(listed["recommended"]) >= 5

    code, out, _ = run(capsys, "--home", str(home), "models", "list")
    assert code == 0 and f"* {tiny_model.name}" in out and "Hugging Face" in out


def test_models_refuse_bad_files(home: Path, tiny_model: Path, tmp_path: Path,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    junk = tmp_path / "random.gguf"
    junk.write_bytes(os.urandom(4096))
    cut = tmp_path / "cut.gguf"
    with tiny_model.open("rb") as src:
        cut.write_bytes(src.read(10_000_000))
    code, _, err = run(capsys, "--home", str(home), "models", "import", str(junk))
    assert code == 1 and "GGUF形式のモデルファイルではありません" in err and "not a GGUF" in err
    code, _, err = run(capsys, "--home", str(home), "models", "import", str(cut))
    assert code == 1 and "truncated" in err
    assert not (home / "models" / "cut.gguf").exists()
    shutil.copyfile(cut, home / "models" / "cut.gguf")
    code, _, err = run(capsys, "--home", str(home), "models", "use", "cut.gguf")
    assert code == 1 and "truncated" in err
    code, _, err = run(capsys, "--home", str(home), "models", "use", "nothing-here")
    assert code == 1 and "model not found" in err
    code, out, _ = run(capsys, "--home", str(home), "models", "list", "--json")
    broken = [m for m in json.loads(out)["models"] if m["file"] == "cut.gguf"]
    assert broken and broken[0]["usable"] is False and broken[0]["error"]["code"] == "truncated"


def test_an_embedding_gguf_is_imported_and_chosen_as_the_embedder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], tiny_model: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tests.conftest import EMBEDDER

    if not EMBEDDER.exists():
        pytest.fail(f"embedding model missing: {EMBEDDER} — run `make test` (it fetches it)")
    monkeypatch.delenv("SOUMU_DESK_EMBEDDER", raising=False)  # the setting decides here, not the tests' switch
    home = tmp_path / "home"
    code, out, _ = run(capsys, "--home", str(home), "models", "import", str(EMBEDDER))
    assert code == 0 and "models embedder" in out and (home / "models" / EMBEDDER.name).is_file()
    code, out, _ = run(capsys, "--home", str(home), "models", "embedder", EMBEDDER.name)
    assert code == 0 and Settings.load(home / "settings.json").kb.embedder == EMBEDDER.name
    code, _, err = run(capsys, "--home", str(home), "models", "embedder", str(tiny_model))
    assert code == 1 and "埋め込みモデルとして使えません" in err  # a chat model cannot embed
    assert Settings.load(home / "settings.json").kb.embedder == EMBEDDER.name  # nothing changed
    code, out, _ = run(capsys, "--home", str(home), "models", "embedder", "none")
    assert code == 0 and Settings.load(home / "settings.json").kb.embedder == "none"
    code, out, _ = run(capsys, "--home", str(home), "models", "embedder")
    assert code == 0 and "none" in out


def test_change_embedder_refuses_a_chat_model_and_changes_nothing(tmp_path: Path) -> None:
    from desktop.context import Context
    from desktop.services import Services
    from local_models import ModelFileError
    from tests.conftest import MODELS_DIR

    ctx = Context.open(tmp_path / "home")
    services = Services(ctx)
    try:
        before = services.settings.kb.embedder
        with pytest.raises(ModelFileError) as err:
            services.change_embedder(MODELS_DIR / "SmolLM2-135M-Instruct.Q4_1.gguf")
        assert err.value.message_ja and err.value.message_en
        assert services.settings.kb.embedder == before
        services.change_embedder(None)
        assert Context.open(tmp_path / "home").settings.kb.embedder == "none"  # saved
    finally:
        services.close()
