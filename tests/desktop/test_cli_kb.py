"""`soumu-desk kb ...`: the CLI contract of DESIGN.md §3, run in-process and (for watch) as a real process."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from desktop.cli import main
from kb import KnowledgeBase
from tests.conftest import REPO_ROOT

HIT_KEYS = {"path", "title", "location", "snippet", "highlights", "text", "score", "modified", "chunk_id"}


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    root = tmp_path / "規程 フォルダ"
    root.mkdir()
    (root / "慶弔.md").write_text(
        "# 慶弔見舞金規程\n\n## 第3条（結婚祝金）\n\n社員が結婚したときは結婚祝金3万円を支給する。\n", encoding="utf-8"
    )
    (root / "社用車.txt").write_text("社用車の鍵は総務部で管理する。\n", encoding="cp932")
    (root / "壊れた.docx").write_bytes(b"not a zip")
    return root


def test_add_index_search_status(docs: Path, data_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["kb", "add", str(docs)]) == 0
    assert str(docs) in capsys.readouterr().out

    assert main(["kb", "index"]) == 0  # one unreadable file does not make the run fail
    out, err = capsys.readouterr()
    assert "追加 added 2" in out and "失敗 failed 1" in out
    assert "壊れた.docx" in out
    assert "索引中" in err or "走査中" in err  # progress on stderr

    assert main(["kb", "search", "結婚祝金はいくら", "-k", "3"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("1. 慶弔見舞金規程")
    assert "【結婚祝金】" in out  # stdout is not a terminal: marks, not ANSI

    assert main(["kb", "search", "社用車", "--json"]) == 0
    hits = json.loads(capsys.readouterr().out)
    assert hits and set(hits[0]) >= HIT_KEYS
    assert hits[0]["path"] == str(docs / "社用車.txt") and Path(hits[0]["path"]).is_absolute()
    assert "社用車" in hits[0]["text"]

    assert main(["kb", "search", "存在しない語彙ゼロ件", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []

    assert main(["kb", "status", "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["files"] == 2 and status["sources"][0]["path"] == str(docs)
    (failure,) = status["failures"]
    assert failure["path"] == str(docs / "壊れた.docx") and failure["reason_ja"] and failure["reason_en"]

    assert main(["kb", "status"]) == 0
    out = capsys.readouterr().out
    assert str(docs) in out and "壊れた.docx" in out
    assert (data_home / "kb" / "index.sqlite").is_file()


def test_batch_search_keeps_order(
    docs: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert main(["kb", "index", str(docs)]) == 0
    capsys.readouterr()
    monkeypatch.setattr(sys, "stdin", io.StringIO("結婚祝金\n\n社用車の鍵\n存在しない語彙ゼロ件\n"))
    assert main(["kb", "search", "-", "-k", "2", "--json"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 4
    results = [json.loads(line) for line in lines]
    assert results[0][0]["path"].endswith("慶弔.md")
    assert results[1] == []
    assert results[2][0]["path"].endswith("社用車.txt")
    assert results[3] == []


def test_index_given_folder_registers_it(docs: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["kb", "index", str(docs)]) == 0
    assert main(["kb", "index"]) == 0
    out = capsys.readouterr().out
    assert "変更なし unchanged 2" in out
    assert main(["kb", "remove", str(docs)]) == 0
    assert main(["kb", "status", "--json"]) == 0
    assert json.loads(capsys.readouterr().out.split("\n", 1)[1])["sources"] == []


def test_no_sources_and_bad_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["kb", "index"]) == 2
    assert "kb add" in capsys.readouterr().err
    assert main(["kb", "add", str(tmp_path / "ない")]) == 1
    err = capsys.readouterr().err
    assert "フォルダが見つかりません" in err and "Folder not found" in err


def test_index_that_cannot_be_written_exits_non_zero(
    docs: Path, data_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (data_home / "kb" / "index.sqlite").mkdir(parents=True)  # the index file cannot be created
    assert main(["kb", "index", str(docs)]) == 1
    err = capsys.readouterr().err
    assert "エラー" in err and "Error" in err and "index" in err


@pytest.mark.skipif(os.name != "posix", reason="SIGINT to a child process is POSIX here")
def test_watch_until_interrupted(docs: Path, data_home: Path) -> None:
    env = {**os.environ, "SOUMU_DESK_HOME": str(data_home), "PYTHONPATH": str(REPO_ROOT)}
    assert main(["kb", "add", str(docs)]) == 0
    proc = subprocess.Popen(
        [sys.executable, "-m", "desktop.cli", "kb", "watch"],
        cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        # as in a terminal's foreground: a test run started in the background (`make test &`) has SIGINT
        # ignored, and the child would inherit that and never see the Ctrl+C below
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    err_lines: list[str] = []
    stderr = proc.stderr
    assert stderr is not None
    reader = threading.Thread(target=lambda: err_lines.extend(iter(stderr.readline, "")), daemon=True)
    reader.start()
    new = docs / "新規.md"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not any("監視中" in line for line in err_lines):
            time.sleep(0.05)  # the catch-up run first, then the observer starts
        assert any("監視中" in line for line in err_lines), err_lines
        new.write_text("# 新規\n\n避難経路は各階の掲示板に貼る。\n", encoding="utf-8")
        kbase = KnowledgeBase(data_home / "kb")
        try:
            while time.monotonic() < deadline and not kbase.search("避難経路"):
                time.sleep(0.1)
            assert kbase.search("避難経路")[0].path == str(new)
        finally:
            kbase.close()
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)
        reader.join(30)  # stderr belongs to the reader thread; communicate() would race it
        out = proc.stdout.read() if proc.stdout else ""
        if proc.stdout:
            proc.stdout.close()
        stderr.close()
    assert proc.returncode == 0, err_lines
    assert str(new) in out
    assert any("監視を終了" in line for line in err_lines)
